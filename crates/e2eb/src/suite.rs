//! Cipher suites and the seal/open interface that AEAD backends ([`crate::Backend`]) implement.

use crate::backend::Backend;

/// Length of every suite's key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of every suite's nonce, in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of every suite's authentication tag, in bytes.
pub const TAG_LEN: usize = 16;

/// The AEAD that protects a backup's key slots and payload (SPEC.md, "Suites").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// AES-256-GCM: fastest where the CPU has AES and carry-less multiply instructions.
    Aes256Gcm,
    /// ChaCha20-Poly1305: constant-time and fast in software, for CPUs without AES instructions.
    ChaCha20Poly1305,
}

impl Suite {
    /// Every suite this build knows, in identifier order.
    pub const ALL: [Suite; 2] = [Suite::Aes256Gcm, Suite::ChaCha20Poly1305];

    /// The suite's one-byte identifier in the header.
    pub fn id(self) -> u8 {
        match self {
            Suite::Aes256Gcm => 0x01,
            Suite::ChaCha20Poly1305 => 0x02,
        }
    }

    /// The suite with header identifier `id`, if this build knows it.
    pub fn from_id(id: u8) -> Option<Suite> {
        Suite::ALL.into_iter().find(|suite| suite.id() == id)
    }

    /// The AEAD's name in the IANA "AEAD Algorithms" registry, as used by c2sp.org/chunked-encryption.
    pub fn iana_name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "AEAD_AES_256_GCM",
            Suite::ChaCha20Poly1305 => "AEAD_CHACHA20_POLY1305",
        }
    }

    /// The short name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "aes-256-gcm",
            Suite::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// The suite with command-line name `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL
            .into_iter()
            .find(|suite| suite.name().eq_ignore_ascii_case(name))
    }

    /// The RustCrypto (reference) implementation of this suite's AEAD under `key`; see
    /// [`Backend::cipher`] for the others.
    pub fn cipher(self, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
        Backend::RustCrypto.cipher(self, key)
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Suite {
    type Err = UnknownName;

    /// The same as [`Suite::from_name`], with an error that lists the names.
    fn from_str(name: &str) -> Result<Suite, UnknownName> {
        Suite::from_name(name)
            .ok_or_else(|| UnknownName::new("cipher suite", name, Suite::ALL.map(Suite::name)))
    }
}

/// A name that is none of this build's (the error of [`Suite`]'s and [`Backend`]'s `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; this build knows {}", known.join(", "))]
pub struct UnknownName {
    what: &'static str,
    name: String,
    known: Vec<&'static str>,
}

impl UnknownName {
    pub(crate) fn new(
        what: &'static str,
        name: &str,
        known: impl IntoIterator<Item = &'static str>,
    ) -> UnknownName {
        UnknownName {
            what,
            name: name.to_string(),
            known: known.into_iter().collect(),
        }
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names this build knows.
    pub fn known(&self) -> &[&'static str] {
        &self.known
    }
}

/// An AEAD keyed for one message, sealing and opening with a detached tag and empty associated
/// data (the only way e2eb uses an AEAD).
///
/// Each [`Backend`] implements this trait; the format code never sees which one runs.
pub trait ChunkAead: Send + Sync {
    /// Encrypts `buffer` in place and returns its tag.
    fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buffer: &mut [u8]) -> [u8; TAG_LEN];

    /// Decrypts `buffer` in place if `tag` authenticates it; on failure the buffer's contents
    /// are unspecified and must not be used.
    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AuthenticationFailed>;

    /// Encrypts `plaintext` into `ciphertext` (of the same length) and returns the tag.
    ///
    /// Backends that can read one buffer while writing another override this: the default
    /// copies first and so passes over the data twice.
    ///
    /// # Panics
    ///
    /// When the lengths differ.
    fn seal_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        ciphertext: &mut [u8],
    ) -> [u8; TAG_LEN] {
        ciphertext.copy_from_slice(plaintext);
        self.seal_in_place(nonce, ciphertext)
    }

    /// Decrypts `ciphertext` into `plaintext` (of the same length) if `tag` authenticates it;
    /// on failure `plaintext`'s contents are unspecified and must not be used.
    ///
    /// # Panics
    ///
    /// When the lengths differ.
    fn open_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
        tag: &[u8; TAG_LEN],
        plaintext: &mut [u8],
    ) -> Result<(), AuthenticationFailed> {
        plaintext.copy_from_slice(ciphertext);
        self.open_in_place(nonce, plaintext, tag)
    }
}

/// An AEAD tag did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticationFailed;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for suite in Suite::ALL {
            assert_eq!(suite.name().parse(), Ok(suite));
            assert_eq!(suite.name().to_uppercase().parse(), Ok(suite));
        }
        let error = "aes-128-gcm".parse::<Suite>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown cipher suite \"aes-128-gcm\"; this build knows aes-256-gcm, chacha20-poly1305"
        );
    }
}
