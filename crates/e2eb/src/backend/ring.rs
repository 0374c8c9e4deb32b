//! The `ring` backend.

use ::ring::aead::{AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};

use crate::aead::{AuthenticationFailed, ChunkAead};
use crate::suite::{KEY_LEN, NONCE_LEN, Suite, TAG_LEN};

pub(super) fn cipher(suite: Suite, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
    let algorithm = match suite {
        Suite::Aes256Gcm => &AES_256_GCM,
        Suite::ChaCha20Poly1305 => &CHACHA20_POLY1305,
    };
    let key = UnboundKey::new(algorithm, key).expect("both suites take 32-byte keys");
    Box::new(Ring(LessSafeKey::new(key)))
}

/// `LessSafeKey` because the payload derives each chunk's nonce itself (base nonce XOR chunk
/// index); `ring`'s nonce-sequence keys would hide that derivation behind a stateful counter.
struct Ring(LessSafeKey);

impl ChunkAead for Ring {
    fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buffer: &mut [u8]) -> [u8; TAG_LEN] {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::empty(), buffer)
            // Fails only past the AEAD's message limit; chunks are at most 16 KiB.
            .expect("a chunk is within the AEAD's message length limit");
        tag.as_ref()
            .try_into()
            .expect("both suites have 16-byte tags")
    }

    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AuthenticationFailed> {
        self.0
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::empty(),
                Tag::from(*tag),
                buffer,
                0..,
            )
            .map(|_| ())
            .map_err(|_| AuthenticationFailed)
    }
}
