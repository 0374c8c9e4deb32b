//! Differential tests of the AEAD backends: whichever backend runs, a backup has the same bytes
//! and a damaged one the same verdict, and chunks sealed by one backend open with any other.
//! (The published vectors and Wycheproof's files go through every backend in
//! `e2eb-vectors`, `wycheproof.rs` and `wycheproof_aead.rs`.)

mod common;

use common::*;
use e2eb::hazmat::ChunkAead;
use e2eb::hazmat::{PayloadCipher, PayloadSchedule};
use e2eb::payload::SALT_LEN;
use e2eb::suite::TAG_LEN;
use e2eb::{Backend, Decryptor, Error, Suite};
use proptest::prelude::*;

fn suite() -> impl Strategy<Value = Suite> {
    prop_oneof![Just(Suite::Aes256Gcm), Just(Suite::ChaCha20Poly1305)]
}

/// Every backend of this build and `Auto`, which must agree with them.
fn backends() -> Vec<Backend> {
    let mut all = Backend::compiled().to_vec();
    all.push(Backend::Auto);
    all
}

fn backup(suite: Suite, backend: Backend, plaintext: &[u8], threads: usize) -> Vec<u8> {
    encryptor(suite, &[SlotChoice::RecoveryKey], threads)
        .backend(backend)
        .encrypt_to_vec(plaintext)
        .unwrap()
}

/// The verdict of every decryption API with `backend`: plaintext, or the error class.
fn verdicts(backup: &[u8], backend: Backend) -> Vec<Result<Vec<u8>, &'static str>> {
    let decryptor =
        |threads| decryptor(secret_for(SlotChoice::RecoveryKey), threads).backend(backend);
    let class = |error: Error| error.class();
    let read_all = |mut reader: Box<dyn std::io::Read + '_>| {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut out)
            .map(|_| out)
            .map_err(Error::from_io)
    };
    let mut outcomes = Vec::new();
    for threads in [1, 2] {
        outcomes.push(decryptor(threads).decrypt_to_vec(backup).map_err(class));
        let mut out = Vec::new();
        outcomes.push(
            decryptor(threads)
                .unlock(backup)
                .and_then(|unlocked| unlocked.decrypt_to(&mut out))
                .map(|_| out)
                .map_err(class),
        );
        let mut out = Vec::new();
        outcomes.push(
            decryptor(threads)
                .unlock_file(backup)
                .and_then(|unlocked| unlocked.decrypt_to(&mut out))
                .map(|_| out)
                .map_err(class),
        );
        let mut data = backup.to_vec();
        let outcome = decryptor(threads)
            .open_buffer(&mut data)
            .map(|opened| opened.to_vec());
        assert!(
            outcome.is_ok() || data == backup || data.iter().all(|&byte| byte == 0),
            "a failed opening in place left the buffer neither as it was nor wiped"
        );
        outcomes.push(outcome.map_err(class));
    }
    outcomes.push(
        decryptor(1)
            .unlock(backup)
            .and_then(|unlocked| read_all(Box::new(unlocked.into_reader())))
            .map_err(class),
    );
    outcomes.push(
        decryptor(1)
            .unlock_file(backup)
            .and_then(|unlocked| read_all(Box::new(unlocked.into_reader())))
            .map_err(class),
    );
    outcomes
}

#[test]
fn every_backend_makes_the_same_backup_around_chunk_boundaries() {
    for suite in Suite::ALL {
        for len in [0, 1, 16383, 16384, 16385, 3 * 16384, 300 * 16384 + 7] {
            let plaintext = plaintext(len);
            let reference = backup(suite, Backend::RustCrypto, &plaintext, 1);
            for backend in backends() {
                for threads in [1, 2] {
                    assert!(
                        backup(suite, backend, &plaintext, threads) == reference,
                        "{suite} {backend} {threads} thread(s), {len} bytes"
                    );
                    let mut streamed = Vec::new();
                    encryptor(suite, &[SlotChoice::RecoveryKey], threads)
                        .backend(backend)
                        .encrypt(&plaintext[..], &mut streamed)
                        .unwrap();
                    assert!(
                        streamed == reference,
                        "{suite} {backend} stream, {len} bytes"
                    );
                }
                for opener in backends() {
                    assert!(
                        verdicts(&reference, opener)
                            .iter()
                            .all(|v| v.as_deref() == Ok(&plaintext[..])),
                        "{suite}: {opener} opens what {backend} sealed, {len} bytes"
                    );
                }
            }
        }
    }
}

#[test]
fn password_slots_are_wrapped_alike_by_every_backend() {
    for suite in Suite::ALL {
        let make = |backend| {
            encryptor(suite, &[SlotChoice::Argon2id, SlotChoice::Scrypt], 1)
                .backend(backend)
                .encrypt_to_vec(b"slots")
                .unwrap()
        };
        let reference = make(Backend::RustCrypto);
        for backend in backends() {
            assert!(make(backend) == reference, "{suite} {backend}");
            let opened = Decryptor::new(secret_for(SlotChoice::Argon2id))
                .backend(backend)
                .decrypt_to_vec(&reference)
                .unwrap();
            assert_eq!(opened, b"slots");
        }
    }
}

/// A payload cipher per backend over one random key schedule.
fn ciphers(suite: Suite, key: [u8; 32], nonce: [u8; 12]) -> Vec<(Backend, PayloadCipher)> {
    let mut schedule = PayloadSchedule::derive(suite, &[0; 32], &[0; SALT_LEN], b"").unwrap();
    schedule.aead_key.copy_from_slice(&key);
    schedule.base_nonce = nonce;
    Backend::compiled()
        .iter()
        .map(|&backend| {
            (
                backend,
                PayloadCipher::from_schedule(suite, backend, &schedule),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random messages: every backend, in place or from a plaintext buffer, seals to the same
    /// bytes; every backend opens what any other sealed, in place or into another buffer; and
    /// every backend refuses the same single-bit flips.
    #[test]
    fn chunks_are_interchangeable_between_backends(
        suite in suite(),
        key in any::<[u8; 32]>(),
        nonce in any::<[u8; 12]>(),
        index in 0u64..(1 << 38),
        plaintext in prop::collection::vec(any::<u8>(), 0..=16384),
        flip in any::<prop::sample::Index>(),
    ) {
        let ciphers = ciphers(suite, key, nonce);
        let mut sealed = Vec::new();
        for (backend, cipher) in &ciphers {
            let mut in_place = plaintext.clone();
            in_place.extend_from_slice(&[0; TAG_LEN]);
            cipher.seal_chunk(index, &mut in_place).unwrap();
            let mut from = vec![0u8; plaintext.len() + TAG_LEN];
            cipher.seal_chunk_from(index, &plaintext, &mut from).unwrap();
            prop_assert_eq!(&in_place, &from, "{}: in place and from a buffer", backend);
            sealed.push(in_place);
        }
        prop_assert!(sealed.windows(2).all(|pair| pair[0] == pair[1]), "backends disagree");
        let sealed = &sealed[0];
        let (ciphertext, tag) = sealed.split_at(plaintext.len());
        let tag: &[u8; TAG_LEN] = tag.try_into().unwrap();
        let mut damaged = sealed.clone();
        let bit = flip.index(damaged.len() * 8);
        damaged[bit / 8] ^= 1 << (bit % 8);
        for (backend, cipher) in &ciphers {
            let mut in_place = sealed.clone();
            cipher.open_chunk(index, &mut in_place, 0).unwrap();
            prop_assert_eq!(&in_place[..plaintext.len()], &plaintext[..], "{}", backend);
            let mut out = vec![0u8; plaintext.len()];
            cipher.open_chunk_to(index, ciphertext, tag, &mut out, 0).unwrap();
            prop_assert_eq!(&out, &plaintext, "{}", backend);
            let refused = cipher.open_chunk(index, &mut damaged.clone(), 0);
            prop_assert!(matches!(refused, Err(Error::ChunkCorrupt { .. })), "{}: flip {}", backend, bit);
            let wrong_index = cipher.open_chunk(index ^ 1, &mut sealed.clone(), 0);
            prop_assert!(wrong_index.is_err(), "{}: chunk index is bound", backend);
        }
    }

    /// Random whole backups: the same bytes from every backend, and after random damage the
    /// same verdict (plaintext or error class) from every backend through every API.
    #[test]
    fn backups_and_verdicts_agree_across_backends(
        suite in suite(),
        len in prop_oneof![0usize..2048, 16000usize..16800, 32700usize..33000, 140_000usize..150_000],
        damage in prop::option::of((any::<prop::sample::Index>(), 1u8..=255)),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let plaintext = plaintext(len);
        let reference = backup(suite, Backend::RustCrypto, &plaintext, 2);
        let mut altered = reference.clone();
        if let Some((at, xor)) = damage {
            let at = at.index(altered.len());
            altered[at] ^= xor;
        }
        if let Some(cut) = cut {
            altered.truncate(cut.index(altered.len()));
        }
        let expected = verdicts(&altered, Backend::RustCrypto);
        for backend in backends() {
            prop_assert!(backup(suite, backend, &plaintext, 2) == reference, "{}", backend);
            let mut buffer = encryptor(suite, &[SlotChoice::RecoveryKey], 2)
                .backend(backend)
                .backup_buffer(len)
                .unwrap();
            buffer.read_from(&plaintext[..]).unwrap();
            prop_assert!(buffer.seal().unwrap() == reference, "{} backup buffer", backend);
            prop_assert_eq!(&verdicts(&altered, backend), &expected, "{}", backend);
        }
    }
}

/// The trait's own contract, checked directly on each backend's `ChunkAead`: the out-of-place
/// calls panic on mismatched lengths rather than reading or writing past either buffer.
#[test]
fn out_of_place_calls_refuse_mismatched_lengths() {
    for &backend in Backend::compiled() {
        for suite in Suite::ALL {
            let aead: Box<dyn ChunkAead> = backend.cipher(suite, &[7; 32]);
            let sealing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                aead.seal_to(&[0; 12], &[1; 10], &mut [0; 11]);
            }));
            assert!(sealing.is_err(), "{backend} {suite} seal_to");
            let opening = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = aead.open_to(&[0; 12], &[1; 10], &[0; 16], &mut [0; 9]);
            }));
            assert!(opening.is_err(), "{backend} {suite} open_to");
        }
    }
}

/// A source that hands out at most 1000 bytes a call and fails from `fail_from` on.
struct Trickle {
    bytes: Vec<u8>,
    fail_from: u64,
}

impl e2eb::ReadAt for Trickle {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
        if offset >= self.fail_from {
            return Err(std::io::Error::other("the disk is on fire"));
        }
        let end = buffer.len().min(1000);
        self.bytes.as_slice().read_at(&mut buffer[..end], offset)
    }

    fn size(&self) -> std::io::Result<u64> {
        Ok(self.bytes.len() as u64)
    }
}

/// A [`Trickle`] read in order, at most 1000 bytes a call.
struct TrickleRead<'a> {
    source: &'a Trickle,
    offset: u64,
}

impl std::io::Read for TrickleRead<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = e2eb::ReadAt::read_at(self.source, buffer, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

#[test]
fn encrypting_a_file_by_offsets_makes_the_same_backup() {
    use e2eb::ReadAt;
    let dir = tempfile_dir();
    for suite in Suite::ALL {
        for len in [
            0,
            1,
            16384,
            16385,
            256 * 16384,
            256 * 16384 + 1,
            600 * 16384 - 3,
        ] {
            let plaintext = plaintext(len);
            let reference = backup(suite, Backend::RustCrypto, &plaintext, 1);
            let path = dir.join(format!("plain-{len}"));
            std::fs::write(&path, &plaintext).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            for backend in backends() {
                for threads in [1, 2] {
                    let make = |input: &dyn ReadAt| {
                        let mut out = Vec::new();
                        let read = encryptor(suite, &[SlotChoice::RecoveryKey], threads)
                            .backend(backend)
                            .encrypt_file(input, &mut out)
                            .unwrap();
                        assert_eq!(read, len as u64);
                        out
                    };
                    let id = format!("{suite} {backend} {threads} thread(s), {len} bytes");
                    assert!(make(&file) == reference, "file: {id}");
                    assert!(make(&plaintext.as_slice()) == reference, "slice: {id}");
                    let trickle = Trickle {
                        bytes: plaintext.clone(),
                        fail_from: u64::MAX,
                    };
                    assert!(make(&trickle) == reference, "short reads: {id}");
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_read_error_while_encrypting_a_file_is_reported() {
    for threads in [1, 2] {
        let source = Trickle {
            bytes: plaintext(3 << 20),
            fail_from: 2 << 20,
        };
        let outcome = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], threads)
            .encrypt_file(&source, std::io::sink());
        match outcome {
            Err(Error::Io(error)) => assert!(error.to_string().contains("on fire"), "{error}"),
            other => panic!("{threads} thread(s): {other:?}"),
        }
    }
}

#[test]
fn decrypting_by_offsets_survives_short_reads_and_reports_read_errors() {
    let plaintext = plaintext(600 * 16384 - 3);
    let backup = backup(Suite::Aes256Gcm, Backend::RustCrypto, &plaintext, 2);
    for threads in [1, 2] {
        let trickle = Trickle {
            bytes: backup.clone(),
            fail_from: u64::MAX,
        };
        let mut opened = Vec::new();
        decryptor(secret_for(SlotChoice::RecoveryKey), threads)
            .unlock_file(&trickle)
            .unwrap()
            .decrypt_to(&mut opened)
            .unwrap();
        assert!(opened == plaintext, "short reads, {threads} thread(s)");

        let failing = Trickle {
            bytes: backup.clone(),
            fail_from: 5 << 20,
        };
        let mut released = Vec::new();
        let outcome = decryptor(secret_for(SlotChoice::RecoveryKey), threads)
            .unlock_file(&failing)
            .unwrap()
            .decrypt_to(&mut released);
        match outcome {
            Err(Error::Io(error)) => assert!(error.to_string().contains("on fire"), "{error}"),
            other => panic!("{threads} thread(s): {other:?}"),
        }
        assert!(
            plaintext.starts_with(&released),
            "only authenticated plaintext is released"
        );
        assert!(released.len() < 5 << 20);
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("e2eb-backends-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A buffer of many batches' worth of chunks (1100), filled and sealed on the pool, makes the
/// backup every other path makes and opens where it lies, on every backend.
#[test]
fn a_large_backup_buffer_round_trips_on_the_pool() {
    let plaintext = plaintext(1100 * 16384 + 5);
    let reference = backup(Suite::Aes256Gcm, Backend::RustCrypto, &plaintext, 2);
    for backend in backends() {
        for threads in [2, 7] {
            let mut buffer = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], threads)
                .backend(backend)
                .backup_buffer(plaintext.len())
                .unwrap();
            buffer.fill_with(fill_from(&plaintext)).unwrap();
            let mut data = buffer.seal().unwrap();
            assert!(data == reference, "{backend} {threads} thread(s)");
            let opened = decryptor(secret_for(SlotChoice::RecoveryKey), threads)
                .backend(backend)
                .open_buffer(&mut data)
                .unwrap();
            assert!(
                opened.to_vec() == plaintext,
                "{backend} {threads} thread(s) back"
            );
        }
    }
}

/// A `fill_with` closure copying window `index` from `plaintext`.
fn fill_from(plaintext: &[u8]) -> impl Fn(usize, &mut [u8]) -> std::io::Result<()> + Sync + '_ {
    move |index, window| {
        let from = index * 16384;
        window.copy_from_slice(&plaintext[from..from + window.len()]);
        Ok(())
    }
}

/// A backup of 1100 chunks (runs of about 64 chunks on 7 threads), its chunks' offset, and a
/// copy with chunks 700 and 1050 damaged.
fn damaged_in_two_runs() -> (Vec<u8>, usize, Vec<u8>) {
    let plaintext = plaintext(1100 * 16384 + 5);
    let reference = backup(Suite::Aes256Gcm, Backend::RustCrypto, &plaintext, 2);
    let chunks_offset =
        reference.len() - e2eb::payload::sealed_len(plaintext.len() as u64) as usize;
    let mut damaged = reference.clone();
    for index in [700usize, 1050] {
        damaged[chunks_offset + index * 16400 + 99] ^= 1;
    }
    (reference, chunks_offset, damaged)
}

/// Whether `outcome` is the error a serial decryption of [`damaged_in_two_runs`]'s copy gives:
/// chunk 700, at its offset.
fn names_the_lower_damaged_chunk<T>(outcome: &e2eb::Result<T>, chunks_offset: usize) -> bool {
    matches!(outcome, Err(Error::ChunkCorrupt { index: 700, offset, .. })
        if *offset == (chunks_offset + 700 * 16400) as u64)
}

/// A decryptor with a recovery key that opens no slot of the test backups.
fn wrong_key_decryptor(threads: usize) -> Decryptor {
    decryptor(
        e2eb::Secret::RecoveryKey(e2eb::RecoveryKey::from_bytes([9; 32])),
        threads,
    )
}

/// Filling a backup buffer is all or nothing: when windows fail to fill, on any thread count,
/// the lowest failing window names the error and every window is wiped (none keeps the
/// plaintext of the windows that filled); the buffer can then be filled again and seals the
/// backup a fresh buffer would.
#[test]
fn a_failed_fill_names_the_lowest_window_and_wipes_every_window() {
    let plaintext = plaintext(200 * 16384 + 9);
    let reference = backup(Suite::ChaCha20Poly1305, Backend::RustCrypto, &plaintext, 1);
    for backend in backends() {
        for threads in [1, 2, 7] {
            let context = format!("{backend} {threads} thread(s)");
            let mut buffer =
                encryptor(Suite::ChaCha20Poly1305, &[SlotChoice::RecoveryKey], threads)
                    .backend(backend)
                    .backup_buffer(plaintext.len())
                    .unwrap();
            let outcome = buffer.fill_with(|index, window| {
                if index == 150 || index == 180 {
                    return Err(std::io::Error::other(format!("window {index} failed")));
                }
                fill_from(&plaintext)(index, window)
            });
            match outcome {
                Err(Error::Io(error)) => assert_eq!(error.to_string(), "window 150 failed"),
                other => panic!("{context}: {other:?}"),
            }
            assert!(
                buffer
                    .chunks_mut()
                    .all(|window| window.iter().all(|&b| b == 0)),
                "{context}: a window kept plaintext after the fill failed"
            );
            buffer.fill_with(fill_from(&plaintext)).unwrap();
            assert!(buffer.seal().unwrap() == reference, "{context}: refilled");
        }
    }
}

/// Plaintext written into a backup buffer's windows, in any of the four ways, seals into the
/// same backup as every other path, on every backend and thread count, with two slots or three;
/// opening it where it lies gives the plaintext back, chunk by chunk and through a writer.
#[test]
fn a_backup_buffer_seals_the_same_backup_and_opens_where_it_lies() {
    let sizes = [
        0,
        1,
        16383,
        16384,
        16385,
        7 * 16384 + 5,
        8 * 16384,
        40 * 16384 + 1,
        64 * 16384 - 1,
        300 * 16384 + 77,
    ];
    let slot_sets: [&[SlotChoice]; 2] = [
        &[SlotChoice::RecoveryKey, SlotChoice::Scrypt],
        &[
            SlotChoice::RecoveryKey,
            SlotChoice::Argon2id,
            SlotChoice::Scrypt,
        ],
    ];
    for suite in Suite::ALL {
        for (size_index, len) in sizes.into_iter().enumerate() {
            let plaintext = plaintext(len);
            let slots = slot_sets[size_index % 2];
            let reference = encryptor(suite, slots, 1)
                .backend(Backend::RustCrypto)
                .encrypt_to_vec(&plaintext)
                .unwrap();
            for backend in backends() {
                for (thread_index, threads) in [1, 2, 3, 7].into_iter().enumerate() {
                    // Every way of filling meets every thread count across the sizes.
                    let way = (size_index + thread_index) % 4;
                    let context = format!(
                        "{suite} {backend} {threads} thread(s), {len} bytes, {} slot(s), way {way}",
                        slots.len()
                    );
                    let mut encryptor = encryptor(suite, slots, threads).backend(backend);
                    let mut buffer = encryptor.backup_buffer(len).unwrap();
                    assert_eq!(buffer.plaintext_len(), len);
                    assert_eq!(buffer.backup_len(), reference.len());
                    match way {
                        0 => buffer
                            .chunks_mut()
                            .zip(plaintext.chunks(16384).chain([&[][..]]))
                            .for_each(|(window, part)| window.copy_from_slice(part)),
                        1 => buffer.read_from(&plaintext[..]).unwrap(),
                        2 => buffer.fill_with(fill_from(&plaintext)).unwrap(),
                        _ => buffer
                            .read_from(TrickleRead {
                                source: &Trickle {
                                    bytes: plaintext.clone(),
                                    fail_from: u64::MAX,
                                },
                                offset: 0,
                            })
                            .unwrap(),
                    }
                    let mut backup = buffer.seal().unwrap();
                    assert!(backup == reference, "{context}");

                    let opened = decryptor(secret_for(SlotChoice::RecoveryKey), threads)
                        .backend(backend)
                        .open_buffer(&mut backup)
                        .unwrap();
                    assert_eq!(opened.plaintext_len(), len, "{context}");
                    assert_eq!(opened.chunks().len(), len / 16384 + 1, "{context}");
                    assert!(opened.to_vec() == plaintext, "{context}");
                    let mut written = Vec::new();
                    assert_eq!(opened.write_to(&mut written).unwrap(), len as u64);
                    assert!(written == plaintext, "{context} written");
                }
            }
        }
    }
}

/// A buffer made in the allocation of an earlier backup, whose windows hold that backup's bytes
/// until written, seals like a fresh one once they are.
#[test]
fn a_backup_buffer_reuses_an_allocation() {
    let plaintext = plaintext(100 * 16384 + 3);
    let reference = backup(Suite::Aes256Gcm, Backend::RustCrypto, &plaintext, 1);
    let mut old = backup(
        Suite::ChaCha20Poly1305,
        Backend::RustCrypto,
        &[7; 300_000],
        1,
    );
    old.reserve(reference.len());
    let capacity = old.capacity();
    let mut buffer = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 2)
        .backup_buffer_in(plaintext.len(), old)
        .unwrap();
    buffer.read_from(&plaintext[..]).unwrap();
    let backup = buffer.seal().unwrap();
    assert!(backup == reference);
    assert_eq!(backup.capacity(), capacity, "the allocation was reused");

    // A longer allocation is cut to the new backup's length.
    let short = plaintext[..10_000].to_vec();
    let mut buffer = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 2)
        .backup_buffer_in(short.len(), backup)
        .unwrap();
    buffer.read_from(&short[..]).unwrap();
    let backup = buffer.seal().unwrap();
    assert!(backup == self::backup(Suite::Aes256Gcm, Backend::RustCrypto, &short, 1));
    assert_eq!(
        backup.capacity(),
        capacity,
        "the allocation was reused again"
    );
}

/// Plaintext that ends before the buffer is full is an error naming how much there was, and
/// lengths no backup can have are refused before anything is allocated.
#[test]
fn a_backup_buffer_refuses_short_plaintext_and_impossible_lengths() {
    let mut buffer = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1)
        .backup_buffer(50_000)
        .unwrap();
    let outcome = buffer.read_from(&plaintext(40_000)[..]);
    match outcome {
        Err(Error::Io(error)) => {
            assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
            assert!(
                error.to_string().contains("after 40000 of the 50000 bytes"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    let outcome =
        encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1).backup_buffer(usize::MAX);
    assert!(matches!(outcome, Err(Error::MessageTooLong)), "{outcome:?}");
    // Within the format's limit, but more memory than any machine has.
    let outcome = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1).backup_buffer(1 << 50);
    match outcome {
        Err(Error::Io(error)) => assert_eq!(error.kind(), std::io::ErrorKind::OutOfMemory),
        other => panic!("{other:?}"),
    }
}

/// Opening in place is all or nothing: a backup damaged in two places fails naming the lower
/// chunk and is wiped whole; a wrong key or an impossible length leaves it as it was.
#[test]
fn a_failed_opening_in_place_names_the_lowest_chunk_and_wipes_the_buffer() {
    let (reference, chunks_offset, damaged) = damaged_in_two_runs();
    for backend in backends() {
        for threads in [1, 2, 7] {
            let mut data = damaged.clone();
            let outcome = decryptor(secret_for(SlotChoice::RecoveryKey), threads)
                .backend(backend)
                .open_buffer(&mut data)
                .map(|opened| opened.plaintext_len());
            assert!(
                names_the_lower_damaged_chunk(&outcome, chunks_offset),
                "{backend} {threads}: {outcome:?}"
            );
            assert!(data.iter().all(|&byte| byte == 0), "{backend} {threads}");

            let mut data = reference.clone();
            let outcome = wrong_key_decryptor(threads)
                .backend(backend)
                .open_buffer(&mut data)
                .map(|opened| opened.plaintext_len());
            assert!(
                matches!(outcome, Err(Error::NoSlotOpened { .. })),
                "{backend} {threads}: {outcome:?}"
            );
            assert!(
                data == reference,
                "{backend} {threads}: a wrong key changed it"
            );

            // A final chunk cut below its tag: the length alone shows it.
            let mut data = reference[..reference.len() - 10].to_vec();
            let outcome = decryptor(secret_for(SlotChoice::RecoveryKey), threads)
                .backend(backend)
                .open_buffer(&mut data)
                .map(|opened| opened.plaintext_len());
            assert!(
                matches!(outcome, Err(Error::Truncated(_))),
                "{backend} {threads}: {outcome:?}"
            );
            assert!(data[..] == reference[..reference.len() - 10]);
        }
    }
}
