//! Every API (one-shot, streaming, parallel, seek) agrees byte for byte, for both suites, every
//! slot type and the sizes around chunk boundaries.

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use common::*;
use e2eb::{Header, SlotKind, Suite};

const SIZES: [usize; 8] = [
    0,
    1,
    16383,
    16384,
    16385,
    32768,
    3 * 1024 * 1024 + 7,
    4 * 1024 * 1024 + 16384,
];

#[test]
fn every_api_agrees_for_every_suite_slot_and_size() {
    for suite in Suite::ALL {
        for slot in SLOT_CHOICES {
            for len in SIZES {
                let message = plaintext(len);
                let context = format!("{suite} {slot:?} {len} bytes");

                let serial = encryptor(suite, &[slot], 1)
                    .encrypt_to_vec(&message)
                    .unwrap();
                let parallel = encryptor(suite, &[slot], 2)
                    .encrypt_to_vec(&message)
                    .unwrap();
                assert!(
                    serial == parallel,
                    "{context}: parallel encryption differs from serial"
                );
                // Backup buffers in reused allocations, shorter and longer than needed, give
                // the same bytes, and open where they lie.
                for stale in [vec![0xee; 3], vec![0xaa; len + 70_000]] {
                    let mut buffer = encryptor(suite, &[slot], 2)
                        .backup_buffer_in(len, stale)
                        .unwrap();
                    buffer.read_from(&message[..]).unwrap();
                    let mut reused = buffer.seal().unwrap();
                    assert!(reused == serial, "{context}: backup_buffer_in");
                    let opened = decryptor(secret_for(slot), 2)
                        .open_buffer(&mut reused)
                        .unwrap();
                    assert!(opened.to_vec() == message, "{context}: open_buffer");
                }
                let mut piped = Vec::new();
                encryptor(suite, &[slot], 2)
                    .encrypt(&message[..], &mut piped)
                    .unwrap();
                assert!(
                    serial == piped,
                    "{context}: encrypt differs from encrypt_to_vec"
                );
                let mut by_offsets = Vec::new();
                encryptor(suite, &[slot], 2)
                    .encrypt_file(&message[..], &mut by_offsets)
                    .unwrap();
                assert!(
                    serial == by_offsets,
                    "{context}: encrypt_file differs from encrypt_to_vec"
                );
                let mut writer = encryptor(suite, &[slot], 1).writer(Vec::new()).unwrap();
                for piece in message.chunks(7001) {
                    writer.write_all(piece).unwrap();
                }
                assert!(
                    writer.finish().unwrap() == serial,
                    "{context}: EncryptWriter differs"
                );

                let (header, header_len) = Header::parse(&serial).unwrap();
                assert_eq!(header.suite(), suite);
                assert_eq!(
                    serial.len() as u64,
                    header_len as u64 + 56 + e2eb::payload::sealed_len(len as u64)
                );

                for threads in [1, 2] {
                    let plain = decryptor(secret_for(slot), threads)
                        .decrypt_to_vec(&serial)
                        .unwrap();
                    assert!(
                        plain == message,
                        "{context}: decrypt_to_vec on {threads} thread(s)"
                    );
                }
                for threads in [1, 2] {
                    let mut plain = Vec::new();
                    let len_read = decryptor(secret_for(slot), threads)
                        .unlock(&serial[..])
                        .unwrap()
                        .decrypt_to(&mut plain)
                        .unwrap();
                    assert_eq!(len_read, len as u64, "{context}: unlock's length");
                    assert!(
                        plain == message,
                        "{context}: unlock + decrypt_to on {threads} thread(s)"
                    );
                    let mut by_offsets = Vec::new();
                    let len_read = decryptor(secret_for(slot), threads)
                        .unlock_file(&serial[..])
                        .unwrap()
                        .decrypt_to(&mut by_offsets)
                        .unwrap();
                    assert_eq!(len_read, len as u64, "{context}: unlock_file's length");
                    assert!(
                        by_offsets == message,
                        "{context}: unlock_file + decrypt_to on {threads} thread(s)"
                    );
                }
                let mut streamed = Vec::new();
                decryptor(secret_for(slot), 1)
                    .unlock(&serial[..])
                    .unwrap()
                    .into_reader()
                    .read_to_end(&mut streamed)
                    .unwrap();
                assert!(streamed == message, "{context}: DecryptReader in order");

                let mut seekable = decryptor(secret_for(slot), 1)
                    .unlock_file(Mutex::new(Cursor::new(&serial)))
                    .unwrap()
                    .into_reader();
                assert_eq!(seekable.seek(SeekFrom::End(0)).unwrap(), len as u64);
                assert_eq!(seekable.seek(SeekFrom::Start(0)).unwrap(), 0);
                let mut whole = Vec::new();
                seekable.read_to_end(&mut whole).unwrap();
                assert!(whole == message, "{context}: DecryptReader at offsets");
            }
        }
    }
}

/// A reader that hands out at most `step` bytes per call, like a pipe under load.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.step).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_give_the_same_backup_and_plaintext() {
    let message = plaintext(300_000);
    let expected = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1)
        .encrypt_to_vec(&message)
        .unwrap();
    for (threads, step) in [(1, 1), (1, 777), (2, 777), (2, 16_384), (2, 100_000)] {
        let reader = Trickle {
            data: if step == 1 {
                &message[..40_000]
            } else {
                &message
            },
            step,
        };
        let mut backup = Vec::new();
        encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], threads)
            .encrypt(reader, &mut backup)
            .unwrap();
        if step == 1 {
            let small = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1)
                .encrypt_to_vec(&message[..40_000])
                .unwrap();
            assert!(backup == small, "step 1");
            continue;
        }
        assert!(
            backup == expected,
            "{threads} thread(s), reads of {step} bytes"
        );
        let mut plain = Vec::new();
        decryptor(secret_for(SlotChoice::RecoveryKey), threads)
            .unlock(Trickle {
                data: &backup,
                step,
            })
            .unwrap()
            .decrypt_to(&mut plain)
            .unwrap();
        assert!(plain == message, "decrypting with reads of {step} bytes");
    }
}

/// Reads ranges of `message` from `reader` at offsets, checking each; then the last byte and a
/// seek before the start.
fn reads_any_range(mut reader: impl Read + Seek, message: &[u8], source: &str) {
    for (start, len) in [
        (0, 10),
        (16380, 10),
        (16384, 16384),
        (81_000, 5000),
        (3 * 16384 + 1, 40_000),
        (81_920, 100),
    ] {
        reader.seek(SeekFrom::Start(start as u64)).unwrap();
        let mut range = vec![0u8; len];
        let end = (start + len).min(message.len());
        let mut got = 0;
        while got < end - start {
            got += reader.read(&mut range[got..]).unwrap();
        }
        assert_eq!(
            range[..got],
            message[start..end],
            "{source}: range {start}+{len}"
        );
    }
    reader.seek(SeekFrom::End(-1)).unwrap();
    let mut last = [0u8; 4];
    assert_eq!(reader.read(&mut last).unwrap(), 1);
    assert_eq!(last[0], *message.last().unwrap());
    assert!(reader.seek(SeekFrom::Current(-10_000_000)).is_err());
    // A refused seek moves nothing and poisons nothing.
    assert_eq!(reader.stream_position().unwrap(), message.len() as u64);
    reader.seek(SeekFrom::Start(5)).unwrap();
    assert_eq!(reader.read(&mut last).unwrap(), 4);
    assert_eq!(last, message[5..9], "{source}");
}

#[test]
fn random_access_reads_any_range() {
    let message = plaintext(5 * 16384 + 100);
    let backup = encryptor(Suite::ChaCha20Poly1305, &[SlotChoice::RecoveryKey], 1)
        .encrypt_to_vec(&message)
        .unwrap();
    let decryptor = decryptor(secret_for(SlotChoice::RecoveryKey), 1);
    reads_any_range(
        decryptor
            .unlock_file(Mutex::new(Cursor::new(&backup)))
            .unwrap()
            .into_reader(),
        &message,
        "Mutex<Cursor>",
    );
    reads_any_range(
        decryptor.unlock_file(&backup[..]).unwrap().into_reader(),
        &message,
        "slice",
    );
}

#[test]
fn several_slots_each_open_the_backup() {
    let slots = [
        SlotChoice::Argon2id,
        SlotChoice::RecoveryKey,
        SlotChoice::Scrypt,
    ];
    let message = plaintext(40_000);
    let backup = encryptor(Suite::Aes256Gcm, &slots, 2)
        .encrypt_to_vec(&message)
        .unwrap();
    let (header, _) = Header::parse(&backup).unwrap();
    assert_eq!(
        header.slot_kinds().collect::<Vec<_>>(),
        [SlotKind::Argon2id, SlotKind::RecoveryKey, SlotKind::Scrypt]
    );
    assert_eq!(
        decryptor(secret_for(SlotChoice::RecoveryKey), 2)
            .decrypt_to_vec(&backup)
            .unwrap(),
        message
    );
    assert_eq!(
        decryptor(secret_for(SlotChoice::Argon2id), 2)
            .decrypt_to_vec(&backup)
            .unwrap(),
        message
    );

    // A password that only the second password slot knows.
    let mut two_passwords = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .password(e2eb::Password::new("first".into()).unwrap(), FAST_ARGON2ID)
        .password(e2eb::Password::new("second".into()).unwrap(), FAST_SCRYPT);
    let backup = two_passwords.encrypt_to_vec(&message).unwrap();
    let second = e2eb::Secret::Password(e2eb::Password::new("second".into()).unwrap());
    assert_eq!(
        decryptor(second, 1).decrypt_to_vec(&backup).unwrap(),
        message
    );
}

#[test]
fn fresh_randomness_gives_different_backups() {
    let key = recovery_key();
    let a = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .recovery_key(key.clone())
        .encrypt_to_vec(b"same")
        .unwrap();
    let b = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .recovery_key(key)
        .encrypt_to_vec(b"same")
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn unicode_passwords_open_whatever_their_normal_form() {
    let composed = e2eb::Password::new("p\u{e4}ssw\u{f6}rd".into()).unwrap();
    let decomposed = e2eb::Password::new("pa\u{308}sswo\u{308}rd".into()).unwrap();
    let backup = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .password(composed, FAST_ARGON2ID)
        .encrypt_to_vec(b"x")
        .unwrap();
    assert_eq!(
        decryptor(e2eb::Secret::Password(decomposed), 1)
            .decrypt_to_vec(&backup)
            .unwrap(),
        b"x"
    );
}

#[test]
fn default_kdf_settings_round_trip() {
    // The real defaults once each (64 MiB Argon2id, 128 MiB scrypt), so that what users get works.
    for kdf in [
        e2eb::KdfKind::Argon2id.default_params(),
        e2eb::KdfKind::Scrypt.default_params(),
    ] {
        let backup = e2eb::Encryptor::new(Suite::Aes256Gcm)
            .password(password(), kdf)
            .encrypt_to_vec(b"defaults")
            .unwrap();
        assert_eq!(
            decryptor(secret_for(SlotChoice::Argon2id), 1)
                .decrypt_to_vec(&backup)
                .unwrap(),
            b"defaults"
        );
    }
}
