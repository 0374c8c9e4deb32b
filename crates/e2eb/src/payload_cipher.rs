//! The payload layer's keyed part: c2sp.org/chunked-encryption v1 ("Cobblestone") key schedule,
//! nonces and chunk sealing, keyed by the backup's file key with the header bytes as context.
//! Public only with the `hazmat` feature: used on its own it lets a caller pick keys, salts and
//! contexts that the backup format otherwise derives and binds.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::aead::ChunkAead;
use crate::backend::Backend;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::hkdf_sha512;
use crate::payload::{CHUNK_LEN, COMMITMENT_LEN, FILE_KEY_LEN, MAX_CHUNKS, PREFIX_LEN, SALT_LEN};
use crate::suite::{KEY_LEN, NONCE_LEN, Suite, TAG_LEN};

/// The label that starts the HKDF info (c2sp.org/chunked-encryption, "Key derivation").
const INFO_LABEL: &[u8] = b"c2sp.org/chunked-encryption@v1+";

/// The random 32-byte key of one backup: the payload's input key, wrapped by every key slot.
#[derive(Clone)]
pub struct FileKey(Zeroizing<[u8; FILE_KEY_LEN]>);

impl FileKey {
    /// Draws a new file key from `entropy`.
    pub fn generate(entropy: &mut Entropy) -> Result<FileKey> {
        let mut key = FileKey(Zeroizing::new([0; FILE_KEY_LEN]));
        entropy.fill(key.0.as_mut_slice())?;
        Ok(key)
    }

    /// The file key with these bytes.
    pub fn from_bytes(bytes: [u8; FILE_KEY_LEN]) -> FileKey {
        FileKey(Zeroizing::new(bytes))
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; FILE_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(<secret>)")
    }
}

/// The per-message AEAD key and base nonce, with the chunk rules around them.
pub struct PayloadCipher {
    suite: Suite,
    aead: Box<dyn ChunkAead>,
    base_nonce: [u8; NONCE_LEN],
}

impl std::fmt::Debug for PayloadCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadCipher")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

/// The values the key schedule derives, exposed for test vectors and for implementers who need
/// to find where they diverge.
#[derive(Clone)]
pub struct PayloadSchedule {
    /// The AEAD key.
    pub aead_key: Zeroizing<[u8; KEY_LEN]>,
    /// The base nonce.
    pub base_nonce: [u8; NONCE_LEN],
    /// The commitment written after the salt.
    pub commitment: [u8; COMMITMENT_LEN],
}

impl std::fmt::Debug for PayloadSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadSchedule").finish_non_exhaustive()
    }
}

impl PayloadSchedule {
    /// key || base nonce || commitment = HKDF-Expand-SHA-512(prk = input key,
    /// info = "c2sp.org/chunked-encryption@v1+" || aead || 0x00 || salt || context).
    pub fn derive(
        suite: Suite,
        input_key: &[u8],
        salt: &[u8; SALT_LEN],
        context: &[u8],
    ) -> Result<PayloadSchedule> {
        if input_key.len() != KEY_LEN {
            return Err(Error::InvalidKeyLength {
                found: input_key.len(),
            });
        }
        let mut okm = Zeroizing::new([0u8; KEY_LEN + NONCE_LEN + COMMITMENT_LEN]);
        hkdf_sha512::expand(
            input_key,
            &[
                INFO_LABEL,
                suite.iana_name().as_bytes(),
                &[0x00],
                salt,
                context,
            ],
            okm.as_mut_slice(),
        );
        let mut schedule = PayloadSchedule {
            aead_key: Zeroizing::new([0; KEY_LEN]),
            base_nonce: [0; NONCE_LEN],
            commitment: [0; COMMITMENT_LEN],
        };
        schedule.aead_key.copy_from_slice(&okm[..KEY_LEN]);
        schedule
            .base_nonce
            .copy_from_slice(&okm[KEY_LEN..KEY_LEN + NONCE_LEN]);
        schedule
            .commitment
            .copy_from_slice(&okm[KEY_LEN + NONCE_LEN..]);
        Ok(schedule)
    }
}

impl PayloadCipher {
    /// The cipher for a new message, run by `backend`: draws the salt from `entropy` and
    /// returns the cipher with the 56-byte prefix (salt || commitment) to write before the first
    /// chunk.
    pub fn for_encryption(
        suite: Suite,
        backend: Backend,
        input_key: &[u8],
        context: &[u8],
        entropy: &mut Entropy,
    ) -> Result<(PayloadCipher, [u8; PREFIX_LEN])> {
        let mut salt = [0u8; SALT_LEN];
        entropy.fill(&mut salt)?;
        let schedule = PayloadSchedule::derive(suite, input_key, &salt, context)?;
        let mut prefix = [0u8; PREFIX_LEN];
        prefix[..SALT_LEN].copy_from_slice(&salt);
        prefix[SALT_LEN..].copy_from_slice(&schedule.commitment);
        Ok((
            PayloadCipher::from_schedule(suite, backend, &schedule),
            prefix,
        ))
    }

    /// The cipher of an existing message, run by `backend`, after checking its commitment:
    /// `prefix` is the 56 bytes (salt || commitment) before its first chunk.
    pub fn for_decryption(
        suite: Suite,
        backend: Backend,
        input_key: &[u8],
        context: &[u8],
        prefix: &[u8; PREFIX_LEN],
    ) -> Result<PayloadCipher> {
        let salt: &[u8; SALT_LEN] = prefix[..SALT_LEN].try_into().expect("fixed split");
        let schedule = PayloadSchedule::derive(suite, input_key, salt, context)?;
        if !bool::from(schedule.commitment.ct_eq(&prefix[SALT_LEN..])) {
            return Err(Error::HeaderAltered);
        }
        Ok(PayloadCipher::from_schedule(suite, backend, &schedule))
    }

    /// The cipher for an already derived key and base nonce ("raw mode" of the spec), run by
    /// `backend`.
    pub fn from_schedule(
        suite: Suite,
        backend: Backend,
        schedule: &PayloadSchedule,
    ) -> PayloadCipher {
        PayloadCipher {
            suite,
            aead: backend.aead(suite, &schedule.aead_key),
            base_nonce: schedule.base_nonce,
        }
    }

    /// The suite.
    #[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The nonce of chunk `index`: the base nonce XOR the index as a big-endian integer.
    pub fn nonce(&self, index: u64) -> [u8; NONCE_LEN] {
        debug_assert!(index < MAX_CHUNKS);
        let mut nonce = self.base_nonce;
        for (byte, counter) in nonce[NONCE_LEN - 8..].iter_mut().zip(index.to_be_bytes()) {
            *byte ^= counter;
        }
        nonce
    }

    /// Seals chunk `index` in place: `sealed` holds the plaintext followed by `TAG_LEN` bytes of
    /// room for the tag, which this writes.
    pub fn seal_chunk(&self, index: u64, sealed: &mut [u8]) -> Result<()> {
        check_index(index)?;
        let (plaintext, tag) = sealed.split_at_mut(sealed.len() - TAG_LEN);
        debug_assert!(plaintext.len() <= CHUNK_LEN);
        tag.copy_from_slice(&self.aead.seal_in_place(&self.nonce(index), plaintext));
        Ok(())
    }

    /// Opens chunk `index` in place; on success the first `sealed.len() - TAG_LEN` bytes are
    /// the plaintext. `offset` (of the chunk in the whole file) only goes into the error.
    pub fn open_chunk(&self, index: u64, sealed: &mut [u8], offset: u64) -> Result<()> {
        check_index(index)?;
        let last = is_final_window(sealed.len());
        let Some(plaintext_len) = sealed.len().checked_sub(TAG_LEN) else {
            return Err(Error::ChunkCorrupt {
                index,
                offset,
                last,
            });
        };
        let (ciphertext, tag) = sealed.split_at_mut(plaintext_len);
        let tag: &[u8; TAG_LEN] = (&*tag).try_into().expect("split at TAG_LEN");
        self.aead
            .open_in_place(&self.nonce(index), ciphertext, tag)
            .map_err(|_| Error::ChunkCorrupt {
                index,
                offset,
                last,
            })
    }
}

impl PayloadCipher {
    /// Seals chunk `index` from `plaintext` into `sealed`, which is `plaintext.len() + TAG_LEN`
    /// bytes: for encrypting straight from a plaintext buffer, without copying it first where
    /// the backend reads one buffer while writing another.
    pub fn seal_chunk_from(&self, index: u64, plaintext: &[u8], sealed: &mut [u8]) -> Result<()> {
        check_index(index)?;
        debug_assert!(plaintext.len() <= CHUNK_LEN);
        let (ciphertext, tag) = sealed.split_at_mut(plaintext.len());
        tag.copy_from_slice(&self.aead.seal_to(&self.nonce(index), plaintext, ciphertext));
        Ok(())
    }

    /// Opens chunk `index` whose ciphertext is `ciphertext` and whose tag is `tag` into
    /// `plaintext` (of the ciphertext's length): for decrypting straight into a plaintext
    /// buffer. On error `plaintext`'s contents are unspecified. `offset` (of the chunk in the
    /// whole file) only goes into the error.
    pub fn open_chunk_to(
        &self,
        index: u64,
        ciphertext: &[u8],
        tag: &[u8; TAG_LEN],
        plaintext: &mut [u8],
        offset: u64,
    ) -> Result<()> {
        check_index(index)?;
        self.aead
            .open_to(&self.nonce(index), ciphertext, tag, plaintext)
            .map_err(|_| Error::ChunkCorrupt {
                index,
                offset,
                last: is_final_window(ciphertext.len() + TAG_LEN),
            })
    }
}

/// Whether a window of `sealed_len` bytes is the backup's final chunk: only the final chunk
/// is shorter than a full sealed chunk (SPEC.md, "Payload").
fn is_final_window(sealed_len: usize) -> bool {
    sealed_len < crate::payload::SEALED_CHUNK_LEN
}

fn check_index(index: u64) -> Result<()> {
    if index >= MAX_CHUNKS {
        Err(Error::MessageTooLong)
    } else {
        Ok(())
    }
}
