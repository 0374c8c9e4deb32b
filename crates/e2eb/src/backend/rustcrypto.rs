//! The RustCrypto backend: the pure-Rust reference implementation of both suites.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;

use crate::aead::{AuthenticationFailed, ChunkAead};
use crate::suite::{KEY_LEN, NONCE_LEN, Suite, TAG_LEN};

pub(super) fn cipher(suite: Suite, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
    match suite {
        Suite::Aes256Gcm => Box::new(RustCrypto(Aes256Gcm::new(key.into()))),
        Suite::ChaCha20Poly1305 => Box::new(RustCrypto(ChaCha20Poly1305::new(key.into()))),
    }
}

struct RustCrypto<A>(A);

/// Chunks are at most 16 KiB, far below either AEAD's message limit, so sealing cannot fail.
const WITHIN_LIMIT: &str = "a chunk is within the AEAD's message length limit";

impl<A> ChunkAead for RustCrypto<A>
where
    A: AeadInOut<NonceSize = aes_gcm::aead::consts::U12, TagSize = aes_gcm::aead::consts::U16>
        + Send
        + Sync,
{
    fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buffer: &mut [u8]) -> [u8; TAG_LEN] {
        self.0
            .encrypt_inout_detached(nonce.into(), &[], buffer.into())
            .expect(WITHIN_LIMIT)
            .into()
    }

    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AuthenticationFailed> {
        self.0
            .decrypt_inout_detached(nonce.into(), &[], buffer.into(), tag.into())
            .map_err(|_| AuthenticationFailed)
    }

    fn seal_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        ciphertext: &mut [u8],
    ) -> [u8; TAG_LEN] {
        let buffer = InOutBuf::new(plaintext, ciphertext).expect(SAME_LENGTH);
        self.0
            .encrypt_inout_detached(nonce.into(), &[], buffer)
            .expect(WITHIN_LIMIT)
            .into()
    }

    fn open_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
        tag: &[u8; TAG_LEN],
        plaintext: &mut [u8],
    ) -> Result<(), AuthenticationFailed> {
        let buffer = InOutBuf::new(ciphertext, plaintext).expect(SAME_LENGTH);
        self.0
            .decrypt_inout_detached(nonce.into(), &[], buffer, tag.into())
            .map_err(|_| AuthenticationFailed)
    }
}

const SAME_LENGTH: &str = "ChunkAead callers pass input and output of the same length";
