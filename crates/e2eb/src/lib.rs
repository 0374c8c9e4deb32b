//! e2eb: end-to-end encrypted backups.
//!
//! A backup is a header (magic, version, cipher suite, and key slots that each wrap a random
//! file key under one secret: a 256-bit recovery key, a password through Argon2id or scrypt, or
//! the vault secret a rate-limited key vault releases after a password login) followed by a
//! c2sp.org/chunked-encryption payload keyed by the file key, whose context is the header.
//! `SPEC.md` at the root of the repository is the normative description.
//!
//! # Which door when
//!
//! Every secret goes through the same doors; only the slot it adds, and the [`Secret`] that
//! opens it, differ:
//!
//! | the secret is…                             | add its slot with                      | open with |
//! |-------------------------------------------|----------------------------------------|-----------|
//! | a [`RecoveryKey`] (64 hex digits)          | [`Encryptor::recovery_key`]            | [`Secret::RecoveryKey`] |
//! | a [`Password`], stretched by a KDF         | [`Encryptor::password`]                | [`Secret::Password`] |
//! | a [`VaultSecret`] a key vault released     | [`Encryptor::vault_secret`]            | [`Secret::VaultSecret`] |
//!
//! A vault slot's [`VaultAccount`] (the vault, the account on it, a URL hint) is readable from
//! the parsed [`Header`] without any secret ([`KeySlot::Vault`]), so a client knows which vault
//! to ask for the vault secret before it unlocks anything.
//!
//! An [`Encryptor`] collects the slots' secrets, then encrypts one of five ways:
//!
//! | the plaintext is…                         | call                                   |
//! |-------------------------------------------|----------------------------------------|
//! | any [`Read`](std::io::Read) stream         | [`Encryptor::encrypt`]                 |
//! | a regular file (any [`ReadAt`] source)     | [`Encryptor::encrypt_file`]            |
//! | a slice in memory                          | [`Encryptor::encrypt_to_vec`]          |
//! | about to be produced, and fits in memory   | [`Encryptor::backup_buffer`] (or `_in`), then [`BackupBuffer::seal`] |
//! | written piece by piece by other code       | [`Encryptor::writer`] ([`EncryptWriter`]) |
//!
//! A [`Decryptor`] holds the secret. It unlocks a backup first (header, slots and commitment
//! checked before any output exists), then decrypts:
//!
//! | the backup is…                             | call                                   |
//! |-------------------------------------------|----------------------------------------|
//! | any `Read` stream                          | [`Decryptor::unlock`], then [`Unlocked::decrypt_to`] a writer or [`Unlocked::into_reader`] |
//! | a regular file (any [`ReadAt`] source)     | [`Decryptor::unlock_file`], then the same; its reader also seeks |
//! | a slice in memory                          | [`Decryptor::decrypt_to_vec`]          |
//! | a buffer you own and may overwrite         | [`Decryptor::open_buffer`] (nothing moved, no second buffer) |
//!
//! Every door but the adapters runs on the [`Threads`] set (all CPUs by default), with the
//! AEAD [`Backend`] set (the fastest compiled in by default); the backup's bytes depend on
//! neither. Every door releases only authenticated plaintext; the streaming ones may have
//! released an authenticated prefix before they report a damaged chunk, so write to a
//! temporary place and keep the output only on success.
//!
//! ```
//! use e2eb::{Decryptor, Encryptor, RecoveryKey, Secret, Suite};
//!
//! let recovery_key = RecoveryKey::generate()?;
//! let mut encryptor = Encryptor::new(Suite::Aes256Gcm).recovery_key(recovery_key.clone());
//! let decryptor = Decryptor::new(Secret::RecoveryKey(recovery_key));
//!
//! // In memory.
//! let backup = encryptor.encrypt_to_vec(b"chat history")?;
//! assert_eq!(decryptor.decrypt_to_vec(&backup)?, b"chat history");
//!
//! // Streams: any reader into any writer, and back.
//! let mut backup = Vec::new();
//! encryptor.encrypt(&b"chat history"[..], &mut backup)?;
//! let mut restored = Vec::new();
//! decryptor.unlock(&backup[..])?.decrypt_to(&mut restored)?;
//! assert_eq!(restored, b"chat history");
//!
//! // At offsets (a file, here a slice): threads read what they open; the reader seeks.
//! use std::io::{Read, Seek, SeekFrom};
//! let mut reader = decryptor.unlock_file(&backup[..])?.into_reader();
//! reader.seek(SeekFrom::Start(5))?;
//! let mut rest = String::new();
//! reader.read_to_string(&mut rest)?;
//! assert_eq!(rest, "history");
//!
//! // A buffer laid out as the backup, filled where it lies, sealed in place, opened in place.
//! let mut buffer = encryptor.backup_buffer(12)?;
//! buffer.read_from(&b"chat history"[..])?;
//! let mut backup = buffer.seal()?;
//! let opened = decryptor.open_buffer(&mut backup)?;
//! assert_eq!(opened.to_vec(), b"chat history");
//!
//! // A `Write` adapter.
//! use std::io::Write;
//! let mut writer = encryptor.writer(Vec::new())?;
//! writer.write_all(b"chat history")?;
//! let backup = writer.finish()?;
//! assert_eq!(decryptor.decrypt_to_vec(&backup)?, b"chat history");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `ring`, `aws-lc`: faster AEAD backends (see [`Backend`]); backups do not depend on them.
//! - `hazmat`: the layers below the format, for test vectors, benchmarks and fuzzing: fixed
//!   randomness (`Encryptor::entropy`), the raw payload layer (`chunked`, `PayloadCipher`),
//!   the key schedules and the KDFs on their own. Misused, they reuse nonces or release keys;
//!   a backup tool never needs them.
//!
//! # Unsafe code
//!
//! None but one function: on unix, Argon2id's working memory is an anonymous mapping (zeroed by
//! the kernel as the fill first touches it, and advised to use transparent huge pages on Linux
//! unless the host takes free memory back), viewed as the `argon2` crate's blocks, which that
//! crate takes only as initialised memory.
//! Everything else is safe Rust, `#![deny(unsafe_code)]`.
// One function may use `unsafe`: the view of Argon2id's freshly mapped, kernel-zeroed memory as
// the `argon2` crate's blocks (src/kdf/argon2_memory.rs says why and on what it relies).
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod aead;
pub mod backend;
mod backup_buffer;
mod batch;
mod cap_exceeded;
mod caps;
#[cfg(feature = "hazmat")]
#[doc(hidden)]
pub mod chunked;
mod decryptor;
mod encryptor;
mod entropy;
mod error;
pub mod header;
mod hkdf_sha512;
pub mod kdf;
mod memory;
mod pass;
pub mod payload;
mod payload_cipher;
mod pipeline;
mod reader;
pub mod recovery_key;
pub mod secret_file;
pub mod slot;
mod slot_kind;
pub mod source;
pub mod suite;
mod threads;
mod typo;
pub mod vault;
mod version;
mod writer;

pub use backend::Backend;
pub use backup_buffer::{BackupBuffer, OpenedBackup};
pub use cap_exceeded::{CapExceeded, KdfParameter};
pub use caps::KdfCaps;
pub use decryptor::{Decryptor, Unlocked};
pub use encryptor::Encryptor;
pub use error::{Error, Result, SecretKind, Truncation};
pub use header::Header;
pub use kdf::{Argon2idParams, KdfKind, KdfParams, Password, ScryptParams};
pub use reader::DecryptReader;
pub use recovery_key::{RecoveryKey, RecoveryKeyError};
pub use secret_file::SecretFileError;
pub use slot::{KeySlot, Secret, SlotKind, SlotSecret};
pub use source::ReadAt;
pub use suite::Suite;
pub use threads::Threads;
pub use typo::RecoveryKeyTypo;
pub use vault::{VaultAccount, VaultId, VaultSecret};
pub use writer::EncryptWriter;

/// The layers below the backup format: fixed randomness, the raw payload layer, key schedules.
/// For test vectors, benchmarks and fuzzing; misused, they reuse nonces or release keys.
#[cfg(feature = "hazmat")]
pub mod hazmat {
    pub use crate::aead::{AuthenticationFailed, ChunkAead};
    pub use crate::chunked::{self, Options};
    pub use crate::entropy::Entropy;
    pub use crate::payload_cipher::{FileKey, PayloadCipher, PayloadSchedule};
}
