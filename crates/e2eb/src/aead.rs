//! The seal/open interface that every AEAD backend ([`crate::Backend`]) implements for a suite.
//! Public only with the `hazmat` feature: it takes the caller's nonces.

use crate::suite::{NONCE_LEN, TAG_LEN};

/// An AEAD keyed for one message, sealing and opening with a detached tag and empty associated
/// data (the only way e2eb uses an AEAD).
///
/// Each [`crate::Backend`] implements this trait; the format code never sees which one runs.
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
