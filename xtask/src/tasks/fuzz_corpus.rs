//! `cargo xtask fuzz-corpus`: seeds for the fuzz targets in fuzz/, from the published vectors and
//! from backups made with the decrypt target's fixed secrets, so the fuzzer starts from inputs
//! that reach every layer (header, slots, commitment, chunks).

use std::path::{Path, PathBuf};

use e2eb::{
    Argon2idParams, Encryptor, KdfParams, Password, RecoveryKey, ScryptParams, Suite, Threads,
};
use e2eb_vectors::model::{SecretInput, TestGroup};
use sha2::{Digest, Sha256};

/// The recovery key fuzz/fuzz_targets/decrypt.rs opens backups with.
const FUZZ_KEY: [u8; 32] = [0x5e; 32];
/// The password it tries.
const FUZZ_PASSWORD: &str = "fuzz";

fn write_seed(dir: &Path, data: &[u8]) -> Result<(), String> {
    let name = hex::encode(&Sha256::digest(data)[..12]);
    std::fs::write(dir.join(name), data).map_err(|e| format!("{}: {e}", dir.display()))
}

pub fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let dirs = ["header", "decrypt", "recovery_key", "kdf_params"].map(|target| root.join(target));
    for dir in &dirs {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let [header, decrypt, recovery_key, kdf_params] = &dirs;
    let files = e2eb_vectors::generate::generate().map_err(|e| e.to_string())?;
    let mut seeds = 0;
    for (_, file) in &files {
        for group in &file.test_groups {
            match group {
                TestGroup::BackupDecryption(group) => {
                    for test in &group.tests {
                        let backup = test.backup()?;
                        // Long backups are mostly chunks the fuzzer gains nothing from.
                        let prefix = &backup[..backup.len().min(64 * 1024)];
                        write_seed(header, prefix)?;
                        write_seed(decrypt, prefix)?;
                        if let SecretInput::RecoveryKey(text) = &test.secret {
                            write_seed(recovery_key, text.as_bytes())?;
                        }
                        seeds += 2;
                    }
                }
                TestGroup::RecoveryKeyParsing(group) => {
                    for test in &group.tests {
                        write_seed(recovery_key, test.text.as_bytes())?;
                        seeds += 1;
                    }
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }
    let tiny_argon = KdfParams::Argon2id(Argon2idParams::unvalidated(8, 1, 1));
    let tiny_scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(4, 1, 1));
    for suite in Suite::ALL {
        for len in [0usize, 1, 100, 16_383, 16_384, 16_385, 40_000] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let makers: [Box<dyn Fn() -> Result<Encryptor, e2eb::Error>>; 3] = [
                Box::new(move || {
                    Ok(Encryptor::new(suite).recovery_key(RecoveryKey::from_bytes(FUZZ_KEY)))
                }),
                Box::new(move || {
                    Ok(Encryptor::new(suite)
                        .password(Password::new(FUZZ_PASSWORD.into())?, tiny_argon))
                }),
                Box::new(move || {
                    Ok(Encryptor::new(suite)
                        .password(Password::new("other".into())?, tiny_argon)
                        .password(Password::new(FUZZ_PASSWORD.into())?, tiny_scrypt)
                        .recovery_key(RecoveryKey::from_bytes(FUZZ_KEY)))
                }),
            ];
            for make in &makers {
                let backup = make()
                    .and_then(|e| e.threads(Threads::new(1)).encrypt_to_vec(&plaintext))
                    .map_err(|e| e.to_string())?;
                write_seed(decrypt, &backup)?;
                write_seed(header, &backup[..backup.len().min(4096)])?;
                seeds += 2;
            }
        }
    }
    for text in [
        "m=65536,t=3,p=4",
        "ln=17,r=8,p=1",
        "m=64",
        "t=1, p=2",
        "ln=20",
        "512MiB",
        "1.5 GiB",
        "m=4294967295,t=4294967295",
    ] {
        write_seed(kdf_params, text.as_bytes())?;
        seeds += 1;
    }
    println!("wrote {seeds} seeds under {}", root.display());
    Ok(())
}
