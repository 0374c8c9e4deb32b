//! Helpers shared by the integration tests: fast KDF settings, fixed randomness, backups.
#![allow(dead_code)]

use e2eb::hazmat::Entropy;
use e2eb::{Argon2idParams, Password, RecoveryKey, ScryptParams, Secret, Suite, Threads};

/// Argon2id at its minimum cost: the format is under test, not the KDF.
pub const FAST_ARGON2ID: e2eb::KdfParams =
    e2eb::KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 1));
/// scrypt at a small cost.
pub const FAST_SCRYPT: e2eb::KdfParams =
    e2eb::KdfParams::Scrypt(ScryptParams::unvalidated(4, 8, 1));

pub const PASSWORD: &str = "correct horse battery staple";

pub fn recovery_key() -> RecoveryKey {
    RecoveryKey::from_bytes(std::array::from_fn(|i| i as u8 + 1))
}

pub fn password() -> Password {
    Password::new(PASSWORD.into()).unwrap()
}

/// A plaintext of `len` bytes that differs in every chunk.
pub fn plaintext(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0])
        .collect()
}

/// The file key the fixed entropy hands out first.
pub const FILE_KEY: [u8; 32] = [0x42; 32];

/// Deterministic randomness: the file key, then one 32-byte salt per slot, then the payload salt.
pub fn fixed_entropy(slots: usize) -> Entropy {
    let mut bytes = FILE_KEY.to_vec();
    for slot in 0..slots {
        bytes.extend_from_slice(&[0x10 + slot as u8; 32]);
    }
    bytes.extend_from_slice(&[0x5a; 24]);
    Entropy::fixed(bytes)
}

#[derive(Clone, Copy, Debug)]
pub enum SlotChoice {
    RecoveryKey,
    Argon2id,
    Scrypt,
}

pub const SLOT_CHOICES: [SlotChoice; 3] = [
    SlotChoice::RecoveryKey,
    SlotChoice::Argon2id,
    SlotChoice::Scrypt,
];

pub fn encryptor(suite: Suite, slots: &[SlotChoice], threads: usize) -> e2eb::Encryptor {
    let mut encryptor = e2eb::Encryptor::new(suite)
        .threads(Threads::new(threads))
        .entropy(fixed_entropy(slots.len()));
    for slot in slots {
        encryptor = match slot {
            SlotChoice::RecoveryKey => encryptor.recovery_key(recovery_key()),
            SlotChoice::Argon2id => encryptor.password(password(), FAST_ARGON2ID),
            SlotChoice::Scrypt => encryptor.password(password(), FAST_SCRYPT),
        };
    }
    encryptor
}

pub fn secret_for(slot: SlotChoice) -> Secret {
    match slot {
        SlotChoice::RecoveryKey => Secret::RecoveryKey(recovery_key()),
        SlotChoice::Argon2id | SlotChoice::Scrypt => Secret::Password(password()),
    }
}

pub fn decryptor(secret: Secret, threads: usize) -> e2eb::Decryptor {
    e2eb::Decryptor::new(secret).threads(Threads::new(threads))
}

/// A small recovery-key backup of `len` plaintext bytes.
pub fn backup(suite: Suite, len: usize) -> Vec<u8> {
    encryptor(suite, &[SlotChoice::RecoveryKey], 1)
        .encrypt_to_vec(&plaintext(len))
        .unwrap()
}
