//! The AWS-LC backend, through `aws-lc-rs`: the one backend that also seals and opens out of
//! place, so the in-memory paths read the input once instead of copying it first.

use aws_lc_rs::aead::{AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

use crate::aead::{AuthenticationFailed, ChunkAead};
use crate::suite::{KEY_LEN, NONCE_LEN, Suite, TAG_LEN};

pub(super) fn cipher(suite: Suite, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
    let algorithm = match suite {
        Suite::Aes256Gcm => &AES_256_GCM,
        Suite::ChaCha20Poly1305 => &CHACHA20_POLY1305,
    };
    let key = UnboundKey::new(algorithm, key).expect("both suites take 32-byte keys");
    Box::new(AwsLc(LessSafeKey::new(key)))
}

/// `LessSafeKey` because the payload derives each chunk's nonce itself (base nonce XOR chunk
/// index), which the nonce-sequence keys would hide behind a stateful counter.
struct AwsLc(LessSafeKey);

/// Sealing fails only past the AEAD's message limit (chunks are at most 16 KiB) or on
/// mismatched lengths, which callers of `ChunkAead` never pass.
const CANNOT_FAIL: &str = "a chunk is within the AEAD's limits and its buffers match";

impl ChunkAead for AwsLc {
    fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], buffer: &mut [u8]) -> [u8; TAG_LEN] {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::empty(), buffer)
            .expect(CANNOT_FAIL);
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
                tag,
                buffer,
            )
            .map(|_| ())
            .map_err(|_| AuthenticationFailed)
    }

    fn seal_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        ciphertext: &mut [u8],
    ) -> [u8; TAG_LEN] {
        assert_eq!(
            plaintext.len(),
            ciphertext.len(),
            "ChunkAead::seal_to lengths"
        );
        let mut tag = [0u8; TAG_LEN];
        self.0
            .seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(*nonce),
                Aad::empty(),
                plaintext,
                ciphertext,
                &[],
                &mut tag,
            )
            .expect(CANNOT_FAIL);
        tag
    }

    fn open_to(
        &self,
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
        tag: &[u8; TAG_LEN],
        plaintext: &mut [u8],
    ) -> Result<(), AuthenticationFailed> {
        assert_eq!(
            ciphertext.len(),
            plaintext.len(),
            "ChunkAead::open_to lengths"
        );
        self.0
            .open_separate_gather(
                Nonce::assume_unique_for_key(*nonce),
                Aad::empty(),
                ciphertext,
                tag,
                plaintext,
            )
            .map_err(|_| AuthenticationFailed)
    }
}
