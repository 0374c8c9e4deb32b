//! Every failure class of SPEC.md, with the error it must produce: altered bytes in each header
//! field, slot, salt, commitment, chunk body and tag; truncation at each boundary; reordered,
//! duplicated and appended chunks; wrong secrets; unknown versions, suites and slot types;
//! hostile KDF parameters.

mod common;

use std::io::Read;

use common::*;
use e2eb::header::{FIXED_LEN, MAGIC};
use e2eb::payload::{PREFIX_LEN, SEALED_CHUNK_LEN};
use e2eb::{Error, Header, KdfCaps, KeySlot, Secret, Suite, Threads, Truncation};

/// Byte ranges of a one-recovery-key-slot backup.
const SLOT_TYPE: usize = FIXED_LEN;
const SLOT_LEN: std::ops::Range<usize> = FIXED_LEN + 1..FIXED_LEN + 3;
const SLOT_SALT: std::ops::Range<usize> = FIXED_LEN + 3..FIXED_LEN + 35;
const SLOT_CHECK: std::ops::Range<usize> = FIXED_LEN + 35..FIXED_LEN + 67;
const SLOT_WRAPPED: std::ops::Range<usize> = FIXED_LEN + 67..FIXED_LEN + 115;
const HEADER_LEN: usize = FIXED_LEN + 115;
const PAYLOAD_SALT: std::ops::Range<usize> = HEADER_LEN..HEADER_LEN + 24;
const COMMITMENT: std::ops::Range<usize> = HEADER_LEN + 24..HEADER_LEN + PREFIX_LEN;
const CHUNKS: usize = HEADER_LEN + PREFIX_LEN;

/// Decrypts through the one-shot API on one and two threads, `open_buffer`, the streaming and
/// by-offsets pipelines on one and two threads, and both readers (in order and at offsets); all
/// must fail with the same class, and that class is returned. `open_buffer` must leave its
/// buffer as it was or wiped, never part opened.
fn failure(backup: &[u8], secret: impl Fn() -> Secret) -> Error {
    let serial = decryptor(secret(), 1)
        .decrypt_to_vec(backup)
        .expect_err("serial decryption must fail");
    let parallel = decryptor(secret(), 2)
        .decrypt_to_vec(backup)
        .expect_err("parallel decryption must fail");
    assert_eq!(serial.class(), parallel.class(), "{serial} / {parallel}");
    for threads in [1, 2] {
        let mut buffer = backup.to_vec();
        let in_place = decryptor(secret(), threads)
            .open_buffer(&mut buffer)
            .map(|opened| opened.plaintext_len())
            .expect_err("open_buffer must fail");
        assert_eq!(serial.class(), in_place.class(), "{serial} / {in_place}");
        assert!(
            buffer == backup || buffer.iter().all(|&byte| byte == 0),
            "open_buffer left its buffer neither as it was nor wiped after failing"
        );
        let streamed = decryptor(secret(), threads)
            .unlock(backup)
            .and_then(|unlocked| unlocked.decrypt_to(&mut Vec::new()))
            .expect_err("unlock + decrypt_to must fail");
        assert_eq!(
            serial.class(),
            streamed.class(),
            "{serial} / unlock + decrypt_to on {threads} thread(s): {streamed}"
        );
        let by_offsets = decryptor(secret(), threads)
            .unlock_file(backup)
            .and_then(|unlocked| unlocked.decrypt_to(&mut Vec::new()))
            .expect_err("unlock_file + decrypt_to must fail");
        assert_eq!(
            serial.class(),
            by_offsets.class(),
            "{serial} / unlock_file + decrypt_to on {threads} thread(s): {by_offsets}"
        );
    }
    let read = match decryptor(secret(), 1).unlock(backup) {
        Err(error) => error,
        Ok(unlocked) => Error::from_io(
            unlocked
                .into_reader()
                .read_to_end(&mut Vec::new())
                .expect_err("reader must fail"),
        ),
    };
    assert_eq!(serial.class(), read.class(), "{serial} / {read}");
    let read_at = match decryptor(secret(), 1).unlock_file(backup) {
        Err(error) => error,
        Ok(unlocked) => Error::from_io(
            unlocked
                .into_reader()
                .read_to_end(&mut Vec::new())
                .expect_err("reader at offsets must fail"),
        ),
    };
    assert_eq!(serial.class(), read_at.class(), "{serial} / {read_at}");
    serial
}

fn rk() -> Secret {
    secret_for(SlotChoice::RecoveryKey)
}

fn flipped(backup: &[u8], position: usize, mask: u8) -> Vec<u8> {
    let mut altered = backup.to_vec();
    altered[position] ^= mask;
    altered
}

#[test]
fn layout_of_a_recovery_key_backup_is_as_the_spec_says() {
    let backup = backup(Suite::Aes256Gcm, 3 * 16384 + 5);
    let (header, len) = Header::parse(&backup).unwrap();
    assert_eq!(len, HEADER_LEN);
    assert_eq!(&backup[..8], &MAGIC);
    assert_eq!(backup[8..11], [1, 1, 1], "version 1, suite 0x01, one slot");
    assert_eq!(backup[SLOT_TYPE], 0x01);
    assert_eq!(backup[SLOT_LEN], [0, 112]);
    let KeySlot::RecoveryKey { salt, sealed } = &header.slots()[0] else {
        panic!("not a recovery-key slot")
    };
    assert_eq!(&backup[SLOT_SALT], salt);
    assert_eq!(&backup[SLOT_CHECK], &sealed.key_check);
    assert_eq!(&backup[SLOT_WRAPPED], &sealed.wrapped);
    assert_eq!(backup.len(), CHUNKS + 3 * SEALED_CHUNK_LEN + 5 + 16);
}

#[test]
fn every_flipped_bit_in_the_header_and_prefix_is_caught_with_its_class() {
    let backup = backup(Suite::Aes256Gcm, 20_000);
    for position in 0..CHUNKS {
        for bit in 0..8 {
            let error = failure(&flipped(&backup, position, 1 << bit), rk);
            let class = error.class();
            let expected: &[&str] = match position {
                0..8 => &["NotABackup"],
                8 => &["UnsupportedVersion"],
                9 => &["UnsupportedSuite"],
                // More slots than the header holds: the next "slot" is read from the payload.
                10 => &[
                    "MalformedHeader",
                    "MalformedSlot",
                    "Truncated",
                    "HeaderAltered",
                ],
                SLOT_TYPE => &["MalformedSlot", "NoSlotOpened"],
                p if SLOT_LEN.contains(&p) => &["MalformedSlot", "Truncated"],
                p if SLOT_SALT.contains(&p) || SLOT_CHECK.contains(&p) => &["NoSlotOpened"],
                p if SLOT_WRAPPED.contains(&p) => &["SlotCorrupt"],
                p if PAYLOAD_SALT.contains(&p) || COMMITMENT.contains(&p) => &["HeaderAltered"],
                _ => unreachable!(),
            };
            assert!(
                expected.contains(&class),
                "byte {position} bit {bit}: {class}: {error}"
            );
        }
    }
}

#[test]
fn every_flipped_byte_in_chunks_names_the_chunk() {
    let backup = backup(Suite::ChaCha20Poly1305, 2 * 16384 + 100);
    // First, last and a middle byte of each chunk's body and tag.
    for (index, start) in [
        (0u64, CHUNKS),
        (1, CHUNKS + SEALED_CHUNK_LEN),
        (2, CHUNKS + 2 * SEALED_CHUNK_LEN),
    ] {
        let end = (start + SEALED_CHUNK_LEN).min(backup.len());
        for position in [
            start,
            start + 1000.min(end - start - 17),
            end - 17,
            end - 16,
            end - 1,
        ] {
            match failure(&flipped(&backup, position, 0x80), rk) {
                Error::ChunkCorrupt {
                    index: got, offset, ..
                } => {
                    assert_eq!((got, offset), (index, start as u64), "byte {position}");
                }
                other => panic!("byte {position}: {other}"),
            }
        }
    }
}

#[test]
fn truncation_at_every_boundary_is_an_error() {
    let backup = backup(Suite::Aes256Gcm, 2 * 16384 + 100);
    let final_start = CHUNKS + 2 * SEALED_CHUNK_LEN;
    let cuts = [
        (0, "Truncated"),
        (5, "Truncated"),
        (8, "Truncated"),
        (FIXED_LEN, "Truncated"),
        (HEADER_LEN - 1, "Truncated"),
        (HEADER_LEN, "Truncated"),
        (HEADER_LEN + 23, "Truncated"),
        (CHUNKS - 1, "Truncated"),
        (CHUNKS, "Truncated"),
        (CHUNKS + 15, "Truncated"),
        (CHUNKS + 16, "ChunkCorrupt"),
        (CHUNKS + SEALED_CHUNK_LEN - 1, "ChunkCorrupt"),
        (CHUNKS + SEALED_CHUNK_LEN, "Truncated"),
        (final_start, "Truncated"),
        (final_start + 15, "Truncated"),
        (final_start + 16, "ChunkCorrupt"),
        (backup.len() - 1, "ChunkCorrupt"),
    ];
    for (cut, class) in cuts {
        let error = failure(&backup[..cut], rk);
        assert_eq!(error.class(), class, "cut at {cut}: {error}");
    }
    // Any prefix of the magic, the empty input included, is a truncated backup.
    assert!(matches!(
        failure(&backup[..5], rk),
        Error::Truncated(Truncation::Header)
    ));
    assert!(matches!(
        failure(&backup[..final_start], rk),
        Error::Truncated(Truncation::MissingFinalChunk { index: 2 })
    ));
}

#[test]
fn the_right_key_on_an_altered_slot_is_not_called_simply_wrong() {
    // An altered salt (or suite, KDF parameter, key check) makes the right secret fail the key
    // check: the verdict must leave room for the alteration.
    let backup = backup(Suite::Aes256Gcm, 100);
    let altered = flipped(&backup, SLOT_SALT.start + 5, 0x10);
    let error = failure(&altered, rk);
    assert!(matches!(error, Error::NoSlotOpened { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("wrong recovery key, or this slot's bytes were altered"),
        "{error}"
    );
}

#[test]
fn every_slot_field_the_key_check_covers_altered_leaves_room_for_the_alteration() {
    // The suite byte, a recovery-key slot's salt and key check, and a password slot's KDF
    // parameters, salt and key check: altered, each makes the right secret fail its key check,
    // which must not be reported as a plainly wrong secret.
    let backup = backup(Suite::Aes256Gcm, 100);
    for (field, position, mask) in [
        (
            "suite",
            9,
            Suite::Aes256Gcm.id() ^ Suite::ChaCha20Poly1305.id(),
        ),
        ("salt", SLOT_SALT.start + 5, 0x10),
        ("key check", SLOT_CHECK.start + 7, 0x80),
    ] {
        let error = failure(&flipped(&backup, position, mask), rk);
        assert!(
            matches!(error, Error::NoSlotOpened { .. }),
            "{field}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("wrong recovery key, or this slot's bytes were altered"),
            "{field}: {error}"
        );
    }
    // An Argon2id slot: type, length, m, t, p, salt length, salt, key check, wrapped key.
    let password_backup = encryptor(Suite::Aes256Gcm, &[SlotChoice::Argon2id], 1)
        .encrypt_to_vec(&plaintext(100))
        .unwrap();
    let params = FIXED_LEN + 3;
    let salt = params + 12 + 1;
    let check = salt + 32;
    for (field, position, mask) in [
        // t from 1 to 3.
        ("passes", params + 7, 0x02),
        ("salt", salt + 5, 0x10),
        ("key check", check + 7, 0x80),
    ] {
        let error = failure(&flipped(&password_backup, position, mask), || {
            secret_for(SlotChoice::Argon2id)
        });
        assert!(
            matches!(error, Error::NoSlotOpened { .. }),
            "{field}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("wrong password, or this slot's bytes were altered"),
            "{field}: {error}"
        );
    }
}

#[test]
fn a_backup_cut_inside_its_last_chunk_is_reported_as_truncated_or_damaged() {
    let backup = backup(Suite::Aes256Gcm, 3 * 16384 + 2000);
    for cut in [1000, 1, 2000] {
        let error = failure(&backup[..backup.len() - cut], rk);
        assert!(
            matches!(
                error,
                Error::ChunkCorrupt {
                    index: 3,
                    last: true,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("truncated or damaged final chunk: chunk 3"),
            "{error}"
        );
    }
    // A damaged chunk before the last is not called a truncation.
    let error = failure(&flipped(&backup, CHUNKS + 10, 1), rk);
    assert!(
        matches!(
            error,
            Error::ChunkCorrupt {
                index: 0,
                last: false,
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("truncated"), "{error}");
}

#[test]
fn reordered_duplicated_and_appended_chunks_are_caught() {
    let backup = backup(Suite::Aes256Gcm, 3 * 16384 + 100);
    let chunk = |i: usize| CHUNKS + i * SEALED_CHUNK_LEN..CHUNKS + (i + 1) * SEALED_CHUNK_LEN;

    let mut swapped = backup.clone();
    let (first, second) = (backup[chunk(0)].to_vec(), backup[chunk(1)].to_vec());
    swapped[chunk(0)].copy_from_slice(&second);
    swapped[chunk(1)].copy_from_slice(&first);
    assert!(matches!(
        failure(&swapped, rk),
        Error::ChunkCorrupt { index: 0, .. }
    ));

    let mut duplicated = backup.clone();
    duplicated[chunk(1)].copy_from_slice(&first);
    assert!(matches!(
        failure(&duplicated, rk),
        Error::ChunkCorrupt { index: 1, .. }
    ));

    let mut dropped = backup[..chunk(1).start].to_vec();
    dropped.extend_from_slice(&backup[chunk(2).start..]);
    assert!(matches!(
        failure(&dropped, rk),
        Error::ChunkCorrupt { index: 1, .. }
    ));

    let mut garbage = backup.clone();
    garbage.extend_from_slice(&[0u8; 20]);
    assert!(matches!(
        failure(&garbage, rk),
        Error::ChunkCorrupt { index: 3, .. }
    ));

    let mut extra_chunk = backup.clone();
    extra_chunk.extend_from_slice(&first);
    assert!(matches!(
        failure(&extra_chunk, rk),
        Error::ChunkCorrupt { index: 3, .. }
    ));

    // The same backup with an empty final chunk appended twice: the first empty chunk ends it.
    let empty_final = common::backup(Suite::Aes256Gcm, 16384);
    let mut doubled = empty_final.clone();
    doubled.extend_from_slice(&empty_final[empty_final.len() - 16..]);
    assert!(failure(&doubled, rk).class() == "ChunkCorrupt");
}

#[test]
fn wrong_secrets_say_which_kind_failed() {
    let backup = encryptor(
        Suite::Aes256Gcm,
        &[SlotChoice::RecoveryKey, SlotChoice::Argon2id],
        1,
    )
    .encrypt_to_vec(b"hello")
    .unwrap();
    let wrong_key = || Secret::RecoveryKey(e2eb::RecoveryKey::from_bytes([9; 32]));
    let error = failure(&backup, wrong_key);
    assert!(
        matches!(
            error,
            Error::NoSlotOpened {
                tried: 1,
                unknown: 0,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "wrong recovery key, or this slot's bytes were altered: the recovery key does not open \
         this backup's recovery key slot"
    );

    let wrong_password = || Secret::Password(e2eb::Password::new("Tr0ub4dor&3".into()).unwrap());
    let error = failure(&backup, wrong_password);
    assert!(error.to_string().starts_with("wrong password"), "{error}");

    let rk_only = common::backup(Suite::Aes256Gcm, 10);
    let error = failure(&rk_only, || secret_for(SlotChoice::Argon2id));
    assert_eq!(error.to_string(), "this backup has no password slot");
}

/// Rebuilds `backup` (made with the fixed entropy) around a header with `slots`, re-encrypting
/// the payload under the same file key so only the header differs.
fn with_slots(suite: Suite, slots: Vec<KeySlot>, message: &[u8]) -> Vec<u8> {
    let header = Header::from_slots(suite, slots);
    let mut backup = header.as_bytes().to_vec();
    let mut entropy = e2eb::hazmat::Entropy::fixed(vec![0x33; 24]);
    e2eb::hazmat::chunked::encrypt(
        suite,
        &FILE_KEY,
        header.as_bytes(),
        &mut entropy,
        message,
        &mut backup,
        Threads::new(1),
    )
    .unwrap();
    backup
}

#[test]
fn unknown_slot_types_are_skipped_and_still_authenticated() {
    let original = backup(Suite::Aes256Gcm, 100);
    let (header, _) = Header::parse(&original).unwrap();
    let unknown = KeySlot::Unknown {
        type_id: 0x7f,
        body: vec![0xab; 300],
    };
    let backup = with_slots(
        Suite::Aes256Gcm,
        vec![unknown, header.slots()[0].clone()],
        &plaintext(100),
    );
    assert_eq!(
        decryptor(rk(), 1).decrypt_to_vec(&backup).unwrap(),
        plaintext(100)
    );

    let password_error = failure(&backup, || secret_for(SlotChoice::Argon2id));
    assert!(matches!(
        password_error,
        Error::NoSlotOpened {
            tried: 0,
            unknown: 1,
            ..
        }
    ));
    assert!(
        password_error
            .to_string()
            .contains("1 slot(s) of a kind this build does not know")
    );

    // The unknown slot's bytes are covered by the commitment like any other header byte.
    let altered = flipped(&backup, FIXED_LEN + 3 + 150, 1);
    assert!(matches!(failure(&altered, rk), Error::HeaderAltered));
}

#[test]
fn unsupported_versions_and_suites_are_refused_by_name() {
    let backup = backup(Suite::Aes256Gcm, 10);
    let mut v2 = backup.clone();
    v2[8] = 2;
    assert_eq!(
        failure(&v2, rk).to_string(),
        "unsupported format version 2 (this build reads version 1)"
    );
    let mut suite = backup.clone();
    suite[9] = 0x07;
    assert!(
        failure(&suite, rk)
            .to_string()
            .starts_with("unsupported cipher suite 0x07")
    );
    let mut no_slots = backup.clone();
    no_slots[10] = 0;
    assert!(matches!(failure(&no_slots, rk), Error::MalformedHeader(_)));
    let mut too_many = backup;
    too_many[10] = 17;
    assert!(matches!(failure(&too_many, rk), Error::MalformedHeader(_)));
}

/// A password slot with the given KDF, opened by nothing (its sealed key is zero): only its
/// parameters matter here.
fn hostile_slot(kdf: e2eb::KdfParams, salt_len: usize) -> KeySlot {
    KeySlot::Password {
        kdf,
        salt: vec![7; salt_len],
        sealed: e2eb::slot::SealedFileKey {
            key_check: [0; 32],
            wrapped: [0; 48],
        },
    }
}

#[test]
fn hostile_kdf_parameters_are_refused_before_any_work() {
    use e2eb::KdfParameter;
    use e2eb::{Argon2idParams, KdfParams, ScryptParams};
    let caps = KdfCaps::for_physical_memory(Some(24 << 30));
    let cases = [
        (
            KdfParams::Argon2id(Argon2idParams::unvalidated(u32::MAX, 1, 1)),
            KdfParameter::Memory,
        ),
        (
            KdfParams::Argon2id(Argon2idParams::unvalidated(64, u32::MAX, 1)),
            KdfParameter::Argon2Passes,
        ),
        (
            KdfParams::Argon2id(Argon2idParams::unvalidated(1 << 20, 1, 1 << 16)),
            KdfParameter::Argon2Lanes,
        ),
        (
            KdfParams::Scrypt(ScryptParams::unvalidated(63, 8, 1)),
            KdfParameter::ScryptLogN,
        ),
        (
            KdfParams::Scrypt(ScryptParams::unvalidated(20, 1 << 20, 1)),
            KdfParameter::ScryptR,
        ),
        (
            KdfParams::Scrypt(ScryptParams::unvalidated(14, 8, (1 << 27) - 1)),
            KdfParameter::ScryptP,
        ),
        (
            KdfParams::Scrypt(ScryptParams::unvalidated(22, 32, 1)),
            KdfParameter::Memory,
        ),
    ];
    for (kdf, parameter) in cases {
        let backup = with_slots(Suite::Aes256Gcm, vec![hostile_slot(kdf, 16)], b"x");
        let started = std::time::Instant::now();
        let error = decryptor(secret_for(SlotChoice::Argon2id), 1)
            .caps(caps)
            .decrypt_to_vec(&backup)
            .unwrap_err();
        match &error {
            Error::KdfOverCap {
                exceeded, index: 0, ..
            } => assert_eq!(exceeded.parameter, parameter, "{kdf}"),
            other => panic!("{kdf}: {other}"),
        }
        // Not a speed target (that is a benchmark's job): a refusal that ran the KDF would take
        // minutes, so this only guards against the check coming after the work.
        assert!(started.elapsed().as_secs() < 5, "{kdf}: {error}");
    }
}

/// A password slot like [`hostile_slot`] with its own salt, numbered `seed`.
fn password_slot_salted(kdf: e2eb::KdfParams, seed: u8) -> KeySlot {
    KeySlot::Password {
        kdf,
        salt: vec![seed; 32],
        sealed: e2eb::slot::SealedFileKey {
            key_check: [0; 32],
            wrapped: [0; 48],
        },
    }
}

/// Decrypts `backup` with the wrong password under `caps`, timing the refusal.
fn refused_within_a_second(backup: &[u8], caps: KdfCaps) -> Error {
    let started = std::time::Instant::now();
    let error = decryptor(secret_for(SlotChoice::Argon2id), 1)
        .caps(caps)
        .decrypt_to_vec(backup)
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{error}: answered after {:?}",
        started.elapsed()
    );
    error
}

#[test]
fn sixteen_slots_at_the_old_per_parameter_caps_are_refused_before_any_work() {
    use e2eb::{Argon2idParams, KdfParameter, KdfParams};
    // m = 4 GiB, t = 64, p = 64: each parameter equal to its cap, so allowed one by one; their
    // product is 256 GiB of work per slot.
    let heavy = KdfParams::Argon2id(Argon2idParams::unvalidated(4 << 20, 64, 64));
    let slots = (0..16)
        .map(|seed| password_slot_salted(heavy, seed))
        .collect();
    let backup = with_slots(Suite::Aes256Gcm, slots, b"x");
    let error = refused_within_a_second(&backup, KdfCaps::for_physical_memory(None));
    match &error {
        Error::KdfOverCap {
            index: 0, exceeded, ..
        } => {
            assert_eq!(exceeded.parameter, KdfParameter::Work);
            assert_eq!(exceeded.value, 256 << 30);
            assert_eq!(exceeded.cap, 16 << 30);
        }
        other => panic!("{other}"),
    }
    assert!(
        error
            .to_string()
            .contains("memory × passes = 256 GiB, above the cap of 16 GiB"),
        "{error}"
    );
}

#[test]
fn sixteen_slots_at_the_per_slot_caps_exceed_the_backup_budget_before_any_work() {
    use e2eb::{Argon2idParams, KdfParameter, KdfParams};
    // 1 GiB × 16 passes: exactly the per-slot work cap, so every slot passes on its own.
    let at_cap = KdfParams::Argon2id(Argon2idParams::unvalidated(1 << 20, 16, 4));
    let slots = (0..16)
        .map(|seed| password_slot_salted(at_cap, seed))
        .collect();
    let backup = with_slots(Suite::Aes256Gcm, slots, b"x");
    let error = refused_within_a_second(&backup, KdfCaps::for_physical_memory(None));
    match &error {
        // Slots 0 and 1 fill the 32 GiB budget; slot 2 is the one over it.
        Error::KdfOverCap {
            index: 2, exceeded, ..
        } => {
            assert_eq!(exceeded.parameter, KdfParameter::BackupWork);
            assert_eq!((exceeded.value, exceeded.cap), (48 << 30, 32 << 30));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn more_password_slots_than_the_cap_are_refused_before_any_work() {
    use e2eb::{Argon2idParams, KdfParameter, KdfParams};
    let tiny = KdfParams::Argon2id(Argon2idParams::unvalidated(8, 1, 1));
    let slots = (0..9)
        .map(|seed| password_slot_salted(tiny, seed))
        .collect();
    let backup = with_slots(Suite::Aes256Gcm, slots, b"x");
    let error = refused_within_a_second(&backup, KdfCaps::for_physical_memory(None));
    match &error {
        Error::KdfOverCap {
            index: 8, exceeded, ..
        } => {
            assert_eq!(exceeded.parameter, KdfParameter::PasswordSlots);
            assert_eq!((exceeded.value, exceeded.cap), (9, 8));
        }
        other => panic!("{other}"),
    }
    // Raised, every slot is tried.
    let error = decryptor(secret_for(SlotChoice::Argon2id), 1)
        .caps(KdfCaps::for_physical_memory(None).with_max_password_slots(9))
        .decrypt_to_vec(&backup)
        .unwrap_err();
    assert!(
        matches!(error, Error::NoSlotOpened { tried: 9, .. }),
        "{error}"
    );
}

#[test]
fn slots_with_the_same_kdf_parameters_and_salt_are_one_derivation() {
    use e2eb::{Argon2idParams, KdfParams};
    let kdf = KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 1));
    let caps = KdfCaps::for_physical_memory(None)
        .with_max_backup_work_bytes(64 << 10)
        .with_max_password_slots(1);
    let same: Vec<KeySlot> = (0..3).map(|_| password_slot_salted(kdf, 9)).collect();
    let error = decryptor(secret_for(SlotChoice::Argon2id), 1)
        .caps(caps)
        .decrypt_to_vec(&with_slots(Suite::Aes256Gcm, same, b"x"))
        .unwrap_err();
    assert!(
        matches!(error, Error::NoSlotOpened { tried: 3, .. }),
        "one derivation for three identical slots fits the budget: {error}"
    );
    let distinct: Vec<KeySlot> = (0..3).map(|seed| password_slot_salted(kdf, seed)).collect();
    let error = decryptor(secret_for(SlotChoice::Argon2id), 1)
        .caps(caps)
        .decrypt_to_vec(&with_slots(Suite::Aes256Gcm, distinct, b"x"))
        .unwrap_err();
    assert!(
        matches!(error, Error::KdfOverCap { index: 1, .. }),
        "{error}"
    );
}

#[test]
fn a_kdf_setting_this_machine_cannot_allocate_is_an_error_not_an_abort() {
    use e2eb::{Encryptor, KdfParams, ScryptParams};
    // 2^40 × 1 KiB: scrypt's own allocation would abort the process.
    let huge = KdfParams::Scrypt(ScryptParams::new(40, 8, 1).unwrap());
    let error = Encryptor::new(Suite::Aes256Gcm)
        .password(password(), huge)
        .encrypt_to_vec(b"x")
        .unwrap_err();
    assert!(matches!(error, Error::KdfMemory { .. }), "{error}");
    assert_eq!(error.class(), "KdfOverCap");
    assert!(
        error.to_string().contains("1099511627777 KiB of memory"),
        "{error}"
    );
}

#[test]
fn a_new_password_with_an_unassigned_code_point_is_refused_before_any_kdf_work() {
    use e2eb::{Encryptor, KdfParams, Password, ScryptParams};
    // U+0378 is unassigned (general category Cn) in the Greek block. The scrypt setting would
    // abort the process if it were derived, so the refusal must come first.
    let huge = KdfParams::Scrypt(ScryptParams::new(40, 8, 1).unwrap());
    let password = Password::new("pässwörd\u{0378}!".into()).unwrap();
    let error = Encryptor::new(Suite::Aes256Gcm)
        .password(password, huge)
        .encrypt_to_vec(b"x")
        .unwrap_err();
    assert!(
        matches!(error, Error::UnassignedInPassword { position: 9, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("character 9"), "{error}");
    assert!(!error.to_string().contains('\u{0378}'), "{error}");
    // Assigned characters of every kind pass, the decomposed accent and an emoji among them.
    for assigned in [
        "pa\u{0301}ss",
        "\u{1F511} key",
        "\u{4E2D}\u{6587}",
        "\u{10FFFD}",
    ] {
        let backup = Encryptor::new(Suite::Aes256Gcm)
            .password(Password::new(assigned.into()).unwrap(), FAST_ARGON2ID)
            .encrypt_to_vec(b"x");
        assert!(backup.is_ok(), "{assigned:?}: {backup:?}");
    }
}

#[test]
fn structurally_invalid_slots_are_malformed() {
    use e2eb::{Argon2idParams, KdfParams, ScryptParams};
    let cases = [
        hostile_slot(
            KdfParams::Argon2id(Argon2idParams::unvalidated(64, 0, 1)),
            16,
        ),
        hostile_slot(
            KdfParams::Argon2id(Argon2idParams::unvalidated(7, 1, 1)),
            16,
        ),
        hostile_slot(
            KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 0)),
            16,
        ),
        hostile_slot(KdfParams::Scrypt(ScryptParams::unvalidated(0, 8, 1)), 16),
        hostile_slot(
            KdfParams::Scrypt(ScryptParams::unvalidated(10, 1 << 16, 1 << 14)),
            16,
        ),
        hostile_slot(
            KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 1)),
            15,
        ),
        hostile_slot(KdfParams::Scrypt(ScryptParams::unvalidated(10, 8, 1)), 65),
    ];
    for slot in cases {
        let backup = with_slots(Suite::Aes256Gcm, vec![slot.clone()], b"x");
        let error = failure(&backup, || secret_for(SlotChoice::Argon2id));
        assert!(
            matches!(error, Error::MalformedSlot { index: 0, .. }),
            "{slot:?}: {error}"
        );
    }
    // A recovery-key slot body with one byte too many or too few.
    let original = backup(Suite::Aes256Gcm, 1);
    for delta in [-1i32, 1] {
        let mut altered = original[..SLOT_LEN.start].to_vec();
        let body_len = (112 + delta) as u16;
        altered.extend_from_slice(&body_len.to_be_bytes());
        altered.extend_from_slice(&original[SLOT_SALT.start..HEADER_LEN - 1]);
        if delta > 0 {
            altered.extend_from_slice(&original[HEADER_LEN - 1..HEADER_LEN]);
            altered.push(0);
        }
        altered.extend_from_slice(&original[HEADER_LEN..]);
        assert!(
            matches!(failure(&altered, rk), Error::MalformedSlot { .. }),
            "delta {delta}"
        );
    }
    // A slot body longer than the format allows is refused before it is read.
    let mut oversized = original[..SLOT_LEN.start].to_vec();
    oversized.extend_from_slice(&4097u16.to_be_bytes());
    oversized.extend_from_slice(&original[SLOT_SALT.start..]);
    assert!(matches!(
        failure(&oversized, rk),
        Error::MalformedSlot { .. }
    ));
}

#[test]
fn a_slot_whose_secret_matches_but_key_is_damaged_is_reported_as_corrupt() {
    let backup = backup(Suite::Aes256Gcm, 1);
    let error = failure(&flipped(&backup, SLOT_WRAPPED.start + 3, 4), rk);
    assert!(matches!(error, Error::SlotCorrupt { index: 0 }), "{error}");
}

#[test]
fn slots_are_bound_to_the_suite() {
    // Moving a backup to the other suite changes every slot's key schedule: no slot opens.
    let mut backup = backup(Suite::Aes256Gcm, 1);
    backup[9] = Suite::ChaCha20Poly1305.id();
    assert!(matches!(
        failure(&backup, rk),
        Error::NoSlotOpened { tried: 1, .. }
    ));
}

/// The streaming and by-offsets paths report the same error, and release only whole chunks of
/// the message before the failing one, on a backup of several parallel batches that is damaged
/// in its second batch, cut at a batch boundary, or cut inside its final chunk.
#[test]
fn streaming_and_by_offsets_decryption_fail_alike_and_release_only_a_valid_prefix() {
    let chunks = 600;
    let backup = backup(Suite::Aes256Gcm, chunks * 16384 + 100);
    let chunk_start = |i: usize| CHUNKS + i * SEALED_CHUNK_LEN;
    let mut damaged = backup.clone();
    damaged[chunk_start(300) + 7] ^= 1;
    // (case, input, error class, index of the chunk that fails)
    let cases: [(&str, &[u8], &str, usize); 3] = [
        ("damaged chunk 300", &damaged, "ChunkCorrupt", 300),
        (
            "cut after chunk 511",
            &backup[..chunk_start(512)],
            "Truncated",
            512,
        ),
        (
            "cut inside the final chunk",
            &backup[..backup.len() - 1],
            "ChunkCorrupt",
            600,
        ),
    ];
    let message = plaintext(chunks * 16384 + 100);
    for (name, input, class, failing_chunk) in cases {
        for threads in [1, 2] {
            let mut streamed = Vec::new();
            let stream_error = decryptor(rk(), threads)
                .unlock(input)
                .unwrap()
                .decrypt_to(&mut streamed)
                .expect_err(name);
            let mut by_offsets = Vec::new();
            let file_error = decryptor(rk(), threads)
                .unlock_file(input)
                .unwrap()
                .decrypt_to(&mut by_offsets)
                .expect_err(name);
            assert_eq!(stream_error.class(), class, "{name}: {stream_error}");
            assert_eq!(file_error.to_string(), stream_error.to_string(), "{name}");
            for released in [&streamed, &by_offsets] {
                assert!(
                    message.starts_with(released),
                    "{name}: released bytes are not the message"
                );
                assert_eq!(
                    released.len() % 16384,
                    0,
                    "{name}: a partial chunk was released"
                );
                assert!(
                    released.len() <= failing_chunk * 16384,
                    "{name}: released past the failure"
                );
            }
        }
    }
}

/// `unlock_file` on a real file: the whole message, and a truncated file refused.
#[test]
fn unlock_file_reads_a_file_at_offsets() {
    let message = plaintext(5 * 16384 + 3);
    let backup = backup(Suite::ChaCha20Poly1305, message.len());
    let directory = std::env::temp_dir().join(format!("e2eb-decrypt-file-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("backup.e2eb");
    std::fs::write(&path, &backup).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut opened = Vec::new();
    let len = decryptor(rk(), 2)
        .unlock_file(&file)
        .unwrap()
        .decrypt_to(&mut opened)
        .unwrap();
    assert_eq!(len, message.len() as u64);
    assert!(opened == message);

    std::fs::write(&path, &backup[..backup.len() - 20]).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let error = decryptor(rk(), 2)
        .unlock_file(&file)
        .expect("the header is intact")
        .decrypt_to(&mut Vec::new())
        .expect_err("a truncated file must fail");
    assert_eq!(error.class(), "ChunkCorrupt", "{error}");
    std::fs::remove_dir_all(&directory).unwrap();
}
