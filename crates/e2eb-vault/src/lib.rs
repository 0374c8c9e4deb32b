//! A rate-limited key vault for e2eb backups, normative description in VAULT.md.
//!
//! A backup's vault slot is opened by a 32-byte vault secret. The vault keeps that secret sealed
//! in an envelope only the right password opens, and lets a client at it through OPAQUE
//! (RFC 9807): the server never sees the password, counts every login attempt before answering
//! it, resets the count after a verified login, and erases the account when the count runs out.
//! A short password is then as strong as the count is small.
//!
//! - [`protocol`]: the cipher suite, the messages and the vault id;
//! - [`envelope`]: how the client seals the vault secret;
//! - `setup`: the server's OPAQUE keys in their own file;
//! - `storage`: the account store, on SQLite or PostgreSQL;
//! - `server`: the HTTP/JSON endpoints;
//! - [`client`]: the blocking client;
//! - [`loadgen`]: load on a running server, for measuring its capacity (client side only).
//!
//! The `server` feature (on by default) builds `setup`, `storage`, `server` and the
//! `e2eb-vault` binary; without it only the client side is built, with none of the server's
//! HTTP stack, async runtime or database drivers.

pub mod client;
pub mod envelope;
pub mod loadgen;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod setup;
#[cfg(feature = "server")]
pub mod storage;

pub use client::{AccountStatus, ClientOptions, Registered, VaultClient, VaultError, VaultInfo};
