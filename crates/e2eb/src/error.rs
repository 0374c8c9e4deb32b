//! The one error type of the library: what failed, and where.

use std::fmt;

use crate::cap_exceeded::CapExceeded;
use crate::slot_kind::SlotKind;

/// Everything that can go wrong while encrypting, decrypting or inspecting a backup.
///
/// Each variant names a failure class of SPEC.md ("Error classes"); [`Error::class`] gives the
/// name the published test vectors use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not start with the e2eb magic bytes.
    #[error("not an e2eb backup: the file does not start with the e2eb magic bytes")]
    NotABackup,

    /// The header names a format version this build cannot read.
    #[error("unsupported format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version byte in the header.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },

    /// The header names a cipher suite this build does not know.
    #[error(
        "unsupported cipher suite 0x{0:02x} (this build knows 0x01 aes-256-gcm and 0x02 chacha20-poly1305)"
    )]
    UnsupportedSuite(u8),

    /// The header is structurally invalid outside any key slot.
    #[error("malformed header: {0}")]
    MalformedHeader(String),

    /// A key slot is structurally invalid.
    #[error("malformed key slot {index}: {problem}")]
    MalformedSlot {
        /// Position of the slot in the header, from 0.
        index: usize,
        /// What is wrong with it.
        problem: String,
    },

    /// A slot's KDF parameters ask for more work or memory than the decrypt-side caps allow.
    /// Raised before any KDF work or allocation.
    #[error(
        "key slot {index} ({kind}) asks for {exceeded}; \
         raise the cap only if you trust this backup's origin"
    )]
    KdfOverCap {
        /// Position of the slot in the header, from 0.
        index: usize,
        /// The slot's kind.
        kind: SlotKind,
        /// The parameter over its cap, the value the slot asks for and the cap in force.
        exceeded: CapExceeded,
    },

    /// The secret opened none of the slots of its kind: it is the wrong one, or the bytes its
    /// key check depends on (the suite, the slot's salt, parameters or key check) were altered.
    #[error("{}", describe_no_slot_opened(*.secret, *.tried, *.unknown))]
    NoSlotOpened {
        /// The kind of secret offered.
        secret: SecretKind,
        /// How many slots of that kind were tried.
        tried: usize,
        /// How many slots of kinds this build does not know were skipped.
        unknown: usize,
    },

    /// A slot's key check matched the secret but its wrapped file key failed authentication:
    /// the slot was altered after it was written.
    #[error(
        "key slot {index} is corrupt: the secret matches it, but its wrapped file key fails authentication"
    )]
    SlotCorrupt {
        /// Position of the slot in the header, from 0.
        index: usize,
    },

    /// The payload commitment does not match the header and the file key: a header byte, the
    /// payload salt or the commitment was altered.
    #[error(
        "the header was altered: the payload commitment does not match the header and the file key"
    )]
    HeaderAltered,

    /// A chunk failed authentication. The final chunk is the one window shorter than a full
    /// chunk; a backup cut inside a chunk ends with such a window, so a failing final chunk
    /// may be a truncation that no length field could reveal.
    #[error("{}", describe_chunk_corrupt(*.index, *.offset, *.last))]
    ChunkCorrupt {
        /// The chunk's index, from 0.
        index: u64,
        /// Offset of the chunk from the start of the backup, in bytes.
        offset: u64,
        /// Whether it is the final chunk (shorter than a full chunk).
        last: bool,
    },

    /// The backup ends where no valid backup can end.
    #[error("truncated backup: {0}")]
    Truncated(Truncation),

    /// The message exceeds c2sp.org/chunked-encryption's limit of 2^38 chunks.
    #[error("message too long: more than 2^38 chunks (4 PiB)")]
    MessageTooLong,

    /// A recovery key could not be parsed.
    #[error(transparent)]
    MalformedRecoveryKey(#[from] RecoveryKeyError),

    /// An adapter ([`crate::EncryptWriter`], [`crate::DecryptReader`]) was used again after a
    /// call of it failed: the backup it was writing is incomplete, or the one it was reading
    /// released all the authenticated plaintext it had.
    #[error(
        "an earlier call failed, so this stream takes no more: the backup it was writing is \
         incomplete, or no more plaintext follows"
    )]
    EarlierFailure,

    /// A KDF could not get the memory its parameters ask for: the machine's own limit, below
    /// the caps. Opening a backup treats the slot as over a cap (class `KdfOverCap`).
    #[error(
        "the KDF needs {} of memory, which this machine cannot allocate",
        crate::cap_exceeded::KdfParameter::Memory.display_value(*.needed)
    )]
    KdfMemory {
        /// The bytes the derivation asked for.
        needed: u128,
    },

    /// KDF parameters are outside the ranges the format allows (for example t = 0).
    #[error("invalid KDF parameters: {0}")]
    InvalidKdfParameters(String),

    /// A vault slot's account identifier or URL hint has a length the format does not allow.
    #[error("invalid vault account: {0}")]
    InvalidVaultAccount(String),

    /// A payload input key does not have the suite's key length (32 bytes).
    #[error("the payload input key is {found} bytes long; the suite needs 32")]
    InvalidKeyLength {
        /// Length of the key given.
        found: usize,
    },

    /// A password is empty.
    #[error("the password is empty")]
    EmptyPassword,

    /// A new password holds a code point that Unicode has not assigned (in the version of the
    /// reference's tables), whose normalisation a later version may change (SPEC.md,
    /// "Passwords"). Refused at encryption only; the character itself is never shown.
    #[error(
        "character {position} of the password is a code point unassigned in Unicode \
         {unicode_version}, which a later Unicode version may normalise differently; choose \
         another password"
    )]
    UnassignedInPassword {
        /// The offending character's position in the password, from 1.
        position: usize,
        /// The Unicode version of the tables, e.g. "18.0.0".
        unicode_version: String,
    },

    /// Encryption was asked for with no key slot, or with more than the format allows.
    #[error("a backup needs between 1 and {max} key slots, {found} were given")]
    SlotCount {
        /// Slots requested.
        found: usize,
        /// The format's maximum.
        max: usize,
    },

    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Randomness,

    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn describe_chunk_corrupt(index: u64, offset: u64, last: bool) -> String {
    if last {
        format!(
            "truncated or damaged final chunk: chunk {index} (ciphertext offset {offset}), the \
             last, failed authentication; the backup was cut short, its end was altered, or data \
             was appended after it"
        )
    } else {
        format!(
            "chunk {index} (ciphertext offset {offset}) failed authentication: the backup is \
             corrupt, its chunks were reordered, or data was appended after its end"
        )
    }
}

fn describe_no_slot_opened(secret: SecretKind, tried: usize, unknown: usize) -> String {
    let unknown_note = if unknown > 0 {
        format!(" ({unknown} slot(s) of a kind this build does not know were skipped)")
    } else {
        String::new()
    };
    match (secret, tried) {
        (_, 0) => format!("this backup has no {secret} slot{unknown_note}"),
        // A failed key check cannot tell a wrong secret from an altered suite byte, salt, KDF
        // parameter or key check: both change the key check the secret is compared with.
        (_, 1) => format!(
            "wrong {secret}, or this slot's bytes were altered: the {secret} does not open this \
             backup's {secret} slot{unknown_note}"
        ),
        (_, n) => format!(
            "wrong {secret}, or these slots' bytes were altered: the {secret} opens none of this \
             backup's {n} {secret} slots{unknown_note}"
        ),
    }
}

/// How a backup is truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Truncation {
    /// The input ends inside the header.
    Header,
    /// The input ends inside the payload salt or commitment.
    PayloadPrefix,
    /// The final chunk is shorter than an authentication tag.
    FinalChunkTooShort {
        /// Index of the incomplete chunk.
        index: u64,
    },
    /// Every chunk is full-size: the short final chunk that ends every message is missing.
    MissingFinalChunk {
        /// Index the final chunk should have had.
        index: u64,
    },
}

impl fmt::Display for Truncation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Truncation::Header => f.write_str("the input ends inside the header"),
            Truncation::PayloadPrefix => {
                f.write_str("the input ends inside the payload salt or commitment")
            }
            Truncation::FinalChunkTooShort { index } => {
                write!(f, "chunk {index} is shorter than an authentication tag")
            }
            Truncation::MissingFinalChunk { index } => write!(
                f,
                "the short final chunk (chunk {index}) is missing; the backup was cut at a chunk boundary"
            ),
        }
    }
}

/// The kind of secret offered to open a backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// A 64-digit recovery key.
    RecoveryKey,
    /// A password (for Argon2id and scrypt slots).
    Password,
    /// A vault secret (for vault slots), as a key vault released it.
    VaultSecret,
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretKind::RecoveryKey => "recovery key",
            SecretKind::Password => "password",
            SecretKind::VaultSecret => "vault secret",
        })
    }
}

impl Error {
    /// The failure class's name in SPEC.md and the published test vectors.
    pub fn class(&self) -> &'static str {
        match self {
            Error::NotABackup => "NotABackup",
            Error::UnsupportedVersion { .. } => "UnsupportedVersion",
            Error::UnsupportedSuite(_) => "UnsupportedSuite",
            Error::MalformedHeader(_) => "MalformedHeader",
            Error::MalformedSlot { .. } => "MalformedSlot",
            Error::KdfOverCap { .. } | Error::KdfMemory { .. } => "KdfOverCap",
            Error::NoSlotOpened { .. } => "NoSlotOpened",
            Error::SlotCorrupt { .. } => "SlotCorrupt",
            Error::HeaderAltered => "HeaderAltered",
            Error::ChunkCorrupt { .. } => "ChunkCorrupt",
            Error::Truncated(_) => "Truncated",
            Error::MessageTooLong => "MessageTooLong",
            Error::MalformedRecoveryKey(_) => "MalformedRecoveryKey",
            Error::InvalidKdfParameters(_) => "InvalidKdfParameters",
            Error::InvalidVaultAccount(_) => "InvalidVaultAccount",
            Error::InvalidKeyLength { .. } => "InvalidKeyLength",
            Error::EmptyPassword => "EmptyPassword",
            Error::UnassignedInPassword { .. } => "UnassignedInPassword",
            Error::SlotCount { .. } => "SlotCount",
            Error::Randomness => "Randomness",
            Error::EarlierFailure | Error::Io(_) => "Io",
        }
    }

    /// Recovers an e2eb error that travelled through [`std::io::Read`] or [`std::io::Write`]
    /// as an [`std::io::Error`]; other I/O errors become [`Error::Io`].
    pub fn from_io(error: std::io::Error) -> Error {
        if error.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = error.into_inner().expect("checked above");
            *inner.downcast::<Error>().expect("checked above")
        } else {
            Error::Io(error)
        }
    }

    /// Wraps this error for a [`std::io::Read`] or [`std::io::Write`] implementation;
    /// [`Error::from_io`] recovers it.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Error::Io(io) => io,
            other => std::io::Error::other(other),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a recovery key could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryKeyError {
    /// The text does not hold exactly 64 hex digits.
    #[error("a recovery key has 64 hex digits, found {found}")]
    WrongLength {
        /// Hex digits found.
        found: usize,
    },
    /// A character is neither a hex digit nor a separator (white space or dash).
    #[error(
        "invalid character {character:?} {} of the recovery key; \
         only 0-9, a-f, spaces and dashes are allowed",
        describe_place(*group, *position)
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// The 4-digit group it falls in, from 1; 17 anywhere after the 64th digit.
        group: usize,
        /// The digit position it takes, from 1.
        position: usize,
    },
}

/// Where in a recovery key a bad character sits, for the error message: a key has 64 digits,
/// so a character in position 65 or later comes after the last group.
fn describe_place(group: usize, position: usize) -> String {
    if position > 64 {
        "after the last group".into()
    } else {
        format!("in group {group} (after digit {})", position - 1)
    }
}
