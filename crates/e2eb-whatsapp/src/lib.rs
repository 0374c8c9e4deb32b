//! WhatsApp's end-to-end encrypted backups (`msgstore.db.crypt15`), the system e2eb is modelled
//! on: read them with the 64-digit key, tell a wrong key from a damaged file, stream files of
//! any size in bounded memory, and write them for round trips and test vectors.
//!
//! A crypt15 file is a protobuf varint length and a `BackupPrefix` message (key type, the
//! 16-byte IV, the app version and feature flags), then one AES-256-GCM message with no
//! associated data over a zlib stream (or over a ZIP archive, for multi-file backups), its
//! 16-byte tag, and for single databases the MD5 of everything before. The AES key is
//! HKDF-SHA256 of the 32-byte root key, with no salt and info "backup encryption"; the root key
//! is what the user writes down as 64 hex digits, and what `encrypted_backup.key` holds.
//!
//! ```
//! use e2eb_whatsapp::{Crypt15Key, EncryptOptions, decrypt_to_vec, encrypt_to_vec};
//!
//! let key = Crypt15Key::parse_hex(
//!     "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017",
//! )?;
//! let backup = encrypt_to_vec(&key, &EncryptOptions::default(), b"SQLite format 3\0")?;
//! let (database, summary) = decrypt_to_vec(&key, &backup)?;
//! assert_eq!(database, b"SQLite format 3\0");
//! assert_eq!(summary.md5_trailer, e2eb_whatsapp::Md5Trailer::Verified);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! GCM authenticates the whole file at its end: [`Crypt15Reader`] and [`decrypt`] release data
//! before the tag is checked, and callers must discard it when they end in an error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decrypt;
mod encrypt;
mod error;
mod gcm;
mod key;
pub mod prefix;

pub use decrypt::{
    Crypt15Reader, Inspection, MD5_LEN, Md5Trailer, Summary, ZIP_MAGIC, decrypt, decrypt_to_vec,
    inspect,
};
pub use encrypt::{EncryptOptions, EncryptSummary, encrypt, encrypt_to_vec};
pub use error::{Damage, Error, KeyError, Part, Payload, ZlibFault};
pub use gcm::{IV_LEN, TAG_LEN};
pub use key::Crypt15Key;
pub use prefix::{BackupMetadata, BackupPrefix, ParsedPrefix, PrefixFields, UnknownField};
