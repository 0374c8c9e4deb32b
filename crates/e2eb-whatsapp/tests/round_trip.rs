//! Generated crypt15 backups: round trips of many sizes through every way of reading, and every
//! kind of damage told apart from a wrong key.

use std::io::Read;

use e2eb_whatsapp::{
    Crypt15Key, Crypt15Reader, Damage, EncryptOptions, Error, Md5Trailer, Payload, ZIP_MAGIC,
    decrypt_to_vec, encrypt_to_vec, inspect,
};

fn key() -> Crypt15Key {
    Crypt15Key::from_bytes([0x42; 32])
}

fn other_key() -> Crypt15Key {
    Crypt15Key::from_bytes([0x43; 32])
}

/// Deterministic bytes: `compressible` ones look like database rows, the others like noise.
fn data(len: usize, compressible: bool) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64 ^ len as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    if compressible {
        let words = [
            &b"hello "[..],
            b"see you at 8 ",
            b"ok ",
            b"\x00\x00\x00\x01",
            b"thanks! ",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            let value = next();
            out.extend_from_slice(words[(value % words.len() as u64) as usize]);
            out.extend_from_slice(&value.to_le_bytes()[..2]);
        }
        out.truncate(len);
        out
    } else {
        (0..len).map(|_| next() as u8).collect()
    }
}

fn options_with_iv() -> EncryptOptions {
    EncryptOptions {
        iv: Some([0x24; 16]),
        ..EncryptOptions::default()
    }
}

/// Hands out its bytes `step` at a time, as a pipe or a slow disk might.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let len = self.step.min(out.len()).min(self.data.len());
        out[..len].copy_from_slice(&self.data[..len]);
        self.data = &self.data[len..];
        Ok(len)
    }
}

/// Reads everything with reads of `chunk` bytes.
fn read_in_chunks<R: Read>(mut reader: R, chunk: usize) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    let mut buffer = vec![0u8; chunk];
    loop {
        let len = reader.read(&mut buffer)?;
        if len == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buffer[..len]);
    }
}

#[test]
fn backups_of_many_sizes_round_trip_through_every_way_of_reading() {
    let sizes = [
        0usize, 1, 2, 15, 16, 17, 31, 32, 33, 100, 4096, 65_535, 65_536, 65_537, 300_000,
    ];
    for compressible in [true, false] {
        for len in sizes {
            let plaintext = data(len, compressible);
            let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
            let (opened, summary) = decrypt_to_vec(&key(), &backup).unwrap();
            assert!(
                opened == plaintext,
                "len {len}, compressible {compressible}"
            );
            assert_eq!(summary.md5_trailer, Md5Trailer::Verified);
            assert_eq!(summary.payload, Payload::Zlib);
            assert_eq!(summary.file_len, backup.len() as u64);
            assert_eq!(summary.output_len, len as u64);
            assert_eq!(
                summary.prefix_len + summary.ciphertext_len + 32,
                backup.len() as u64
            );
            for (input_step, read_size) in [(1, 1), (7, 3), (4096, 100_000), (100_000, 1)] {
                if backup.len() > 70_000 && (input_step == 1 || read_size == 1) {
                    continue;
                }
                let reader = Crypt15Reader::new(
                    &key(),
                    Trickle {
                        data: &backup,
                        step: input_step,
                    },
                )
                .unwrap();
                let opened = read_in_chunks(reader, read_size).unwrap();
                assert!(
                    opened == plaintext,
                    "len {len}, input step {input_step}, read size {read_size}"
                );
            }
        }
    }
}

#[test]
fn zlib_output_longer_than_the_buffers_and_an_empty_database_round_trip() {
    // Noise compresses to more than the 64 KiB buffers: many fills, with the trailer split
    // across reads.
    let plaintext = data(1 << 20, false);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    assert!(backup.len() > 1 << 20);
    assert_eq!(decrypt_to_vec(&key(), &backup).unwrap().0, plaintext);

    let empty = encrypt_to_vec(&key(), &options_with_iv(), b"").unwrap();
    let (opened, summary) = decrypt_to_vec(&key(), &empty).unwrap();
    assert!(opened.is_empty());
    assert_eq!(summary.ciphertext_len, 8, "an empty zlib stream");
}

fn zip_archive(len: usize) -> Vec<u8> {
    let mut archive = ZIP_MAGIC.to_vec();
    archive.extend(data(len, true));
    archive
}

#[test]
fn multi_file_backups_are_zip_archives_without_md5_and_come_out_as_they_are() {
    for len in [0, 1, 12, 13, 100, 70_000] {
        let archive = zip_archive(len);
        let options = EncryptOptions {
            iv: Some([1; 16]),
            ..EncryptOptions::multi_file()
        };
        let backup = encrypt_to_vec(&key(), &options, &archive).unwrap();
        let (opened, summary) = decrypt_to_vec(&key(), &backup).unwrap();
        assert_eq!(opened, archive, "len {len}");
        assert_eq!(summary.payload, Payload::Zip);
        assert!(summary.output_is_zip);
        assert_eq!(summary.md5_trailer, Md5Trailer::Absent);
        assert!(!inspect(&backup[..]).unwrap().md5_trailer_matches);
        let reader = Crypt15Reader::new(
            &key(),
            Trickle {
                data: &backup,
                step: 5,
            },
        )
        .unwrap();
        assert_eq!(read_in_chunks(reader, 3).unwrap(), archive);

        let error = decrypt_to_vec(&other_key(), &backup).unwrap_err();
        assert!(
            matches!(error, Error::WrongKeyOrDamaged),
            "len {len}: {error}"
        );
    }
}

#[test]
fn a_zip_archive_inside_the_zlib_stream_is_reported_as_zip() {
    let archive = zip_archive(1000);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &archive).unwrap();
    let (opened, summary) = decrypt_to_vec(&key(), &backup).unwrap();
    assert_eq!(opened, archive);
    assert_eq!(summary.payload, Payload::Zlib);
    assert!(summary.output_is_zip);
}

#[test]
fn a_wrong_key_is_told_apart_from_damage() {
    let plaintext = data(200_000, true);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    let error = decrypt_to_vec(&other_key(), &backup).unwrap_err();
    assert!(matches!(error, Error::WrongKey), "{error}");
    assert!(error.is_wrong_key());
    assert!(error.to_string().contains("wrong key"), "{error}");

    let prefix_len = inspect(&backup[..]).unwrap().prefix.len();
    let len = backup.len();
    // The zlib header decrypts to something else: that looks like a wrong key (or damage
    // at the start, as the message says).
    let mut damaged = backup.clone();
    damaged[prefix_len] ^= 0x01;
    let error = decrypt_to_vec(&key(), &damaged).unwrap_err();
    assert!(matches!(error, Error::WrongKeyOrDamaged), "{error}");
    assert!(
        error.to_string().contains("damaged from its start"),
        "{error}"
    );

    for (what, position) in [
        ("early ciphertext byte", prefix_len + 10),
        ("middle", len / 2),
        ("last ciphertext byte", len - 33),
        ("tag", len - 20),
    ] {
        let mut damaged = backup.clone();
        damaged[position] ^= 0x01;
        let error = decrypt_to_vec(&key(), &damaged).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Damaged {
                    payload: Payload::Zlib,
                    ..
                }
            ),
            "{what}: {error}"
        );
        assert!(!error.is_wrong_key() && error.is_bad_backup(), "{what}");
        // With the wrong key the verdict is still "wrong key or damaged", never "wrong key".
        let error = decrypt_to_vec(&other_key(), &damaged).unwrap_err();
        assert!(matches!(error, Error::WrongKeyOrDamaged), "{what}: {error}");
    }
}

#[test]
fn a_tampered_file_with_its_md5_recomputed_is_not_called_intact_under_the_right_key() {
    use md5::{Digest, Md5};
    let plaintext = data(200_000, true);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    // A tamperer flips a ciphertext bit and recomputes the MD5 trailer, which has no key.
    let mut tampered = backup.clone();
    let len = tampered.len();
    tampered[len / 2] ^= 0x01;
    let md5 = Md5::digest(&tampered[..len - 16]);
    tampered[len - 16..].copy_from_slice(md5.as_slice());
    let error = decrypt_to_vec(&key(), &tampered).unwrap_err();
    let message = error.to_string();
    // The right key must not be called wrong on an intact file: that could make its owner
    // throw a valid key away.
    assert!(
        message.contains("the wrong key, or deliberate modification"),
        "{message}"
    );
    assert!(!message.contains("intact"), "{message}");
}

#[test]
fn a_damaged_md5_trailer_alone_still_releases_the_authenticated_data() {
    let plaintext = data(5000, true);
    let mut backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    let last = backup.len() - 1;
    backup[last] ^= 0x80;
    let (opened, summary) = decrypt_to_vec(&key(), &backup).unwrap();
    assert_eq!(opened, plaintext);
    assert_eq!(summary.md5_trailer, Md5Trailer::Mismatch);
}

#[test]
fn truncated_files_are_never_accepted_and_say_truncated_when_the_stream_stops_early() {
    let plaintext = data(150_000, false);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    let prefix_len = inspect(&backup[..]).unwrap().prefix.len();
    let mut cuts: Vec<usize> = (0..prefix_len + 40).collect();
    cuts.extend((prefix_len + 40..backup.len()).step_by(997));
    cuts.extend(backup.len() - 40..backup.len());
    for cut in cuts {
        let error = match decrypt_to_vec(&key(), &backup[..cut]) {
            // Without its MD5 the file has the layout of a multi-file backup; the data is
            // whole and authentic.
            Ok((opened, summary)) if cut == backup.len() - 16 => {
                assert_eq!(summary.md5_trailer, Md5Trailer::Absent);
                assert!(opened == plaintext);
                continue;
            }
            Ok(_) => panic!("a backup cut at {cut} of {} opened", backup.len()),
            Err(error) => error,
        };
        assert!(!matches!(error, Error::Io(_)), "cut {cut}: {error}");
        if cut < prefix_len {
            assert_eq!(error.class(), "Truncated", "cut {cut}: {error}");
        }
        if (prefix_len + 100..backup.len() - 100).contains(&cut) {
            assert!(
                matches!(
                    error,
                    Error::Damaged {
                        damage: Damage::Truncated,
                        ..
                    }
                ),
                "cut {cut}: {error}"
            );
            assert!(error.to_string().contains("truncated"), "{error}");
        }
    }
}

#[test]
fn every_single_byte_change_of_a_small_backup_is_refused_or_only_hits_the_md5() {
    // GCM authenticates the IV and the data; the rest of the prefix and the MD5 trailer are
    // covered by the MD5 alone. A change there leaves the data authentic, and is reported.
    let plaintext = data(300, true);
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
    let prefix = inspect(&backup[..]).unwrap().prefix;
    let iv_at = prefix
        .raw
        .windows(16)
        .position(|w| w == [0x24; 16])
        .unwrap();
    for position in 0..backup.len() {
        let mut changed = backup.clone();
        changed[position] ^= 0x04;
        match decrypt_to_vec(&key(), &changed) {
            Ok((opened, summary)) => {
                let in_iv = (iv_at..iv_at + 16).contains(&position);
                let outside_gcm = position < prefix.len() && !in_iv;
                assert!(
                    outside_gcm || position >= backup.len() - 16,
                    "byte {position} changed unnoticed"
                );
                assert_eq!(summary.md5_trailer, Md5Trailer::Mismatch);
                assert_eq!(opened, plaintext);
            }
            Err(error) => assert!(!matches!(error, Error::Io(_)), "{position}: {error}"),
        }
    }
}

#[test]
fn authenticated_payloads_that_are_not_zlib_or_zip_are_reported() {
    let options = EncryptOptions {
        iv: Some([5; 16]),
        ..EncryptOptions::multi_file()
    };
    let backup = encrypt_to_vec(&key(), &options, b"SQLite format 3\0").unwrap();
    let error = decrypt_to_vec(&key(), &backup).unwrap_err();
    assert_eq!(error.class(), "UnknownPayload");
    assert!(error.to_string().contains("53 51 4c 69"), "{error}");
    let empty = encrypt_to_vec(&key(), &options, b"").unwrap();
    let error = decrypt_to_vec(&key(), &empty).unwrap_err();
    assert!(error.to_string().contains("no bytes at all"), "{error}");
}

#[test]
fn a_failed_reader_keeps_failing() {
    let backup = encrypt_to_vec(&key(), &options_with_iv(), &data(1000, true)).unwrap();
    let mut reader = Crypt15Reader::new(&other_key(), &backup[..]).unwrap();
    let mut sink = Vec::new();
    let error = reader.read_to_end(&mut sink).unwrap_err();
    assert!(matches!(Error::from_io(error), Error::WrongKey));
    assert!(reader.read(&mut [0u8; 10]).is_err());
    assert!(reader.summary().is_none());
}

#[test]
fn memory_stays_bounded_whatever_the_size() {
    // 32 MiB of data that inflates at a high ratio and 2 MiB of noise: the reader's buffer
    // never grows past one read and the trailer.
    for plaintext in [vec![b'a'; 32 << 20], data(2 << 20, false)] {
        let backup = encrypt_to_vec(&key(), &options_with_iv(), &plaintext).unwrap();
        let mut reader = Crypt15Reader::new(&key(), &backup[..]).unwrap();
        let mut buffer = vec![0u8; 1 << 20];
        let mut total = 0;
        loop {
            let len = reader.read(&mut buffer).unwrap();
            if len == 0 {
                break;
            }
            total += len;
            assert!(reader.buffer_capacity() <= 64 * 1024 + 32);
        }
        assert_eq!(total, plaintext.len());
    }
}
