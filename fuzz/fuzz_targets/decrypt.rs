//! The whole decryptor on arbitrary bytes with a fixed recovery key, a fixed password and a
//! fixed vault secret (under tiny KDF caps, so hostile parameters are refused rather than run): never panics, and
//! every API gives the same verdict and the same plaintext.
#![no_main]

use std::io::Read;

use e2eb::{Decryptor, KdfCaps, Password, RecoveryKey, Secret, Threads, VaultSecret};
use libfuzzer_sys::fuzz_target;

/// The key the seed corpus (`cargo xtask fuzz-corpus`) is encrypted with.
const KEY: [u8; 32] = [0x5e; 32];

fn caps() -> KdfCaps {
    KdfCaps::for_physical_memory(None)
        .with_max_memory_bytes(1 << 20)
        .with_argon2_max_passes(2)
        .with_argon2_max_lanes(2)
        .with_scrypt_max_log_n(10)
        .with_scrypt_max_r(8)
        .with_scrypt_max_p(2)
}

fn decryptor(secret: &dyn Fn() -> Secret, threads: usize) -> Decryptor {
    Decryptor::new(secret()).caps(caps()).threads(Threads::new(threads))
}

fuzz_target!(|data: &[u8]| {
    let key = || Secret::RecoveryKey(RecoveryKey::from_bytes(KEY));
    let password = || Secret::Password(Password::new("fuzz".into()).expect("non-empty"));
    let vault = || Secret::VaultSecret(VaultSecret::from_bytes(KEY));
    for secret in [&key as &dyn Fn() -> Secret, &password, &vault] {
        let one_shot = decryptor(secret, 1).decrypt_to_vec(data);
        let parallel = decryptor(secret, 2).decrypt_to_vec(data);
        assert_eq!(one_shot.as_ref().ok(), parallel.as_ref().ok());
        let mut buffer = data.to_vec();
        let opened = decryptor(secret, 2).open_buffer(&mut buffer).map(|opened| opened.to_vec());
        assert_eq!(
            opened.as_ref().err().map(|e| e.class()),
            one_shot.as_ref().err().map(|e| e.class())
        );
        match &one_shot {
            Ok(plaintext) => assert_eq!(opened.as_ref().ok(), Some(plaintext)),
            Err(_) => assert!(buffer == data || buffer.iter().all(|&byte| byte == 0)),
        }
        let mut streamed = Vec::new();
        let stream = decryptor(secret, 2).unlock(data).and_then(|u| u.decrypt_to(&mut streamed));
        assert_eq!(stream.is_ok(), one_shot.is_ok());
        let mut by_offsets = Vec::new();
        let file = decryptor(secret, 2).unlock_file(data).and_then(|u| u.decrypt_to(&mut by_offsets));
        assert_eq!(file.as_ref().err().map(|e| e.class()), stream.as_ref().err().map(|e| e.class()));
        // Each path releases whole batches of authenticated chunks, and their batches differ.
        assert!(by_offsets.starts_with(&streamed) || streamed.starts_with(&by_offsets));
        let mut read = Vec::new();
        let reader = decryptor(secret, 1).unlock(data).map(|u| u.into_reader()).and_then(|mut r| r.read_to_end(&mut read).map_err(e2eb::Error::from_io));
        assert_eq!(reader.is_ok(), one_shot.is_ok());
        let mut seeked = Vec::new();
        let seek = decryptor(secret, 1).unlock_file(data).map(|u| u.into_reader()).and_then(|mut r| r.read_to_end(&mut seeked).map_err(e2eb::Error::from_io));
        assert_eq!(seek.is_ok(), one_shot.is_ok());
        if let Ok(plaintext) = one_shot {
            assert_eq!(streamed, plaintext);
            assert_eq!(read, plaintext);
            assert_eq!(seeked, plaintext);
        }
    }
});
