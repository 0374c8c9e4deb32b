//! The kinds of key slot and their type bytes: the vocabulary that the slots, the header and the
//! errors share.

use std::fmt;

/// Slot type identifier of a recovery-key slot.
pub const TYPE_RECOVERY_KEY: u8 = 0x01;
/// Slot type identifier of an Argon2id password slot.
pub const TYPE_ARGON2ID: u8 = 0x02;
/// Slot type identifier of a scrypt password slot.
pub const TYPE_SCRYPT: u8 = 0x03;
/// Slot type identifier of a vault slot.
pub const TYPE_VAULT: u8 = 0x04;

/// The kind of a key slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotKind {
    /// Opened by the 256-bit recovery key.
    RecoveryKey,
    /// Opened by a password through Argon2id.
    Argon2id,
    /// Opened by a password through scrypt.
    Scrypt,
    /// Opened by the vault secret a key vault releases after a password login.
    Vault,
    /// A type this build does not know; skipped.
    Unknown(u8),
}

impl SlotKind {
    /// The slot type byte.
    pub fn type_id(self) -> u8 {
        match self {
            SlotKind::RecoveryKey => TYPE_RECOVERY_KEY,
            SlotKind::Argon2id => TYPE_ARGON2ID,
            SlotKind::Scrypt => TYPE_SCRYPT,
            SlotKind::Vault => TYPE_VAULT,
            SlotKind::Unknown(id) => id,
        }
    }
}

impl fmt::Display for SlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotKind::RecoveryKey => f.write_str("recovery-key"),
            SlotKind::Argon2id => f.write_str("argon2id"),
            SlotKind::Scrypt => f.write_str("scrypt"),
            SlotKind::Vault => f.write_str("vault"),
            SlotKind::Unknown(id) => write!(f, "unknown type 0x{id:02x}"),
        }
    }
}
