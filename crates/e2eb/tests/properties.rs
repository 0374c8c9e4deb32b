//! Properties over random inputs: round trips through every API agree; any flipped bit, any
//! truncation, and any reordering of chunks is an error, never different plaintext.

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::sync::Mutex;

use common::*;
use e2eb::payload::SEALED_CHUNK_LEN;
use e2eb::{Header, Suite};
use proptest::prelude::*;

fn suite() -> impl Strategy<Value = Suite> {
    prop_oneof![Just(Suite::Aes256Gcm), Just(Suite::ChaCha20Poly1305)]
}

fn slots() -> impl Strategy<Value = Vec<SlotChoice>> {
    prop::collection::vec(
        prop_oneof![
            Just(SlotChoice::RecoveryKey),
            Just(SlotChoice::Argon2id),
            Just(SlotChoice::Scrypt)
        ],
        1..4,
    )
}

/// Reads all of `reader`, the error as text.
fn read_all(mut reader: impl Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map(|_| out)
        .map_err(|e| e.to_string())
}

fn all_apis_decrypt(backup: &[u8], slot: SlotChoice) -> Vec<Result<Vec<u8>, String>> {
    let mut outcomes = Vec::new();
    for threads in [1, 2] {
        let decryptor = decryptor(secret_for(slot), threads);
        outcomes.push(decryptor.decrypt_to_vec(backup).map_err(|e| e.to_string()));
        let mut out = Vec::new();
        outcomes.push(
            decryptor
                .unlock(backup)
                .and_then(|unlocked| unlocked.decrypt_to(&mut out))
                .map(|_| out)
                .map_err(|e| e.to_string()),
        );
        let mut out = Vec::new();
        outcomes.push(
            decryptor
                .unlock_file(backup)
                .and_then(|unlocked| unlocked.decrypt_to(&mut out))
                .map(|_| out)
                .map_err(|e| e.to_string()),
        );
        let mut buffer = backup.to_vec();
        outcomes.push(
            decryptor
                .open_buffer(&mut buffer)
                .map(|opened| opened.to_vec())
                .map_err(|e| e.to_string()),
        );
    }
    let decryptor = decryptor(secret_for(slot), 1);
    outcomes.push(
        decryptor
            .unlock(backup)
            .map_err(|e| e.to_string())
            .and_then(|unlocked| read_all(unlocked.into_reader())),
    );
    outcomes.push(
        decryptor
            .unlock_file(Mutex::new(Cursor::new(backup)))
            .map_err(|e| e.to_string())
            .and_then(|unlocked| read_all(unlocked.into_reader())),
    );
    // The reader at offsets after a seek to the end, which authenticates the length first.
    outcomes.push(
        decryptor
            .unlock_file(backup)
            .map_err(|e| e.to_string())
            .and_then(|unlocked| {
                let mut reader = unlocked.into_reader();
                reader
                    .seek(SeekFrom::End(0))
                    .and_then(|_| reader.rewind())
                    .map_err(|e| e.to_string())?;
                read_all(reader)
            }),
    );
    outcomes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trips_through_every_api(suite in suite(), slots in slots(), len in 0usize..70_000, threads in 1usize..4) {
        let message = plaintext(len);
        let backup = encryptor(suite, &slots, threads).encrypt_to_vec(&message).unwrap();
        let serial = encryptor(suite, &slots, 1).encrypt_to_vec(&message).unwrap();
        prop_assert!(backup == serial, "parallel and serial encryption differ");
        for slot in &slots {
            for outcome in all_apis_decrypt(&backup, *slot) {
                prop_assert!(outcome.as_deref() == Ok(&message[..]));
            }
        }
    }

    #[test]
    fn any_flipped_bit_is_an_error(suite in suite(), len in 0usize..40_000, position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let backup = encryptor(suite, &[SlotChoice::RecoveryKey], 1).encrypt_to_vec(&plaintext(len)).unwrap();
        let mut altered = backup.clone();
        altered[position.index(backup.len())] ^= 1 << bit;
        for outcome in all_apis_decrypt(&altered, SlotChoice::RecoveryKey) {
            prop_assert!(outcome.is_err());
        }
    }

    #[test]
    fn any_truncation_is_an_error(len in 0usize..40_000, cut in any::<prop::sample::Index>()) {
        let backup = encryptor(Suite::Aes256Gcm, &[SlotChoice::RecoveryKey], 1).encrypt_to_vec(&plaintext(len)).unwrap();
        let cut = cut.index(backup.len());
        for outcome in all_apis_decrypt(&backup[..cut], SlotChoice::RecoveryKey) {
            prop_assert!(outcome.is_err());
        }
    }

    #[test]
    fn any_chunk_permutation_or_duplication_is_an_error(chunks in 2usize..6, tail in 0usize..16_384, swaps in prop::collection::vec((0usize..6, 0usize..6), 1..4), duplicate in any::<bool>()) {
        let message = plaintext(chunks * 16_384 + tail);
        let backup = encryptor(Suite::ChaCha20Poly1305, &[SlotChoice::RecoveryKey], 1).encrypt_to_vec(&message).unwrap();
        let (_, header_len) = Header::parse(&backup).unwrap();
        let start = header_len + 56;
        let mut pieces: Vec<Vec<u8>> = backup[start..].chunks(SEALED_CHUNK_LEN).map(<[u8]>::to_vec).collect();
        let original = pieces.clone();
        let count = pieces.len();
        for (a, b) in swaps {
            if duplicate {
                pieces[b % count] = pieces[a % count].clone();
            } else {
                pieces.swap(a % count, b % count);
            }
        }
        prop_assume!(pieces != original);
        let altered = [&backup[..start], &pieces.concat()].concat();
        for outcome in all_apis_decrypt(&altered, SlotChoice::RecoveryKey) {
            prop_assert!(outcome.is_err());
        }
    }
}
