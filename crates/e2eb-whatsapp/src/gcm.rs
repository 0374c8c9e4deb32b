//! AES-256-GCM over one message that arrives in pieces: a crypt15 backup is a single GCM
//! message of any size, so a decryptor that must fit in bounded memory cannot hand it to a
//! one-shot AEAD. The keystream (CTR with GCM's 32-bit counter) and GHASH are driven here piece
//! by piece; the tag can be computed at any point without consuming the state, because the end
//! of a crypt15 message is only known once the trailer after it has been examined.
//!
//! Only the 16-byte IVs crypt15 uses are accepted; for them NIST SP 800-38D derives the initial
//! counter block as J0 = GHASH_H(IV || 0^64 || [128]_64).

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, KeyInit, KeyIvInit, StreamCipher};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The IV length of crypt15 backups.
pub const IV_LEN: usize = 16;
/// The GCM tag length.
pub const TAG_LEN: usize = 16;
const BLOCK_LEN: usize = 16;

type Keystream = ctr::Ctr32BE<Aes256>;

/// The message passed GCM's limit of 2^32 - 2 blocks (about 64 GiB) for one key and IV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageTooLong;

/// One GCM message in progress, with no associated data (crypt15 uses none).
pub struct StreamingGcm {
    keystream: Keystream,
    ghash: GHash,
    /// E_K(J0), XORed onto the GHASH output to make the tag.
    tag_mask: Zeroizing<[u8; BLOCK_LEN]>,
    /// Ciphertext bytes not yet hashed because they do not fill a block.
    partial: Zeroizing<[u8; BLOCK_LEN]>,
    partial_len: usize,
    ciphertext_len: u64,
}

impl std::fmt::Debug for StreamingGcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingGcm")
            .field("ciphertext_len", &self.ciphertext_len)
            .finish_non_exhaustive()
    }
}

impl StreamingGcm {
    pub fn new(key: &[u8; 32], iv: &[u8; IV_LEN]) -> StreamingGcm {
        let cipher = Aes256::new(key.into());
        let mut hash_key = ghash::Key::default();
        cipher.encrypt_block(&mut hash_key);
        let ghash = GHash::new(&hash_key);
        zeroize::Zeroize::zeroize(&mut hash_key);

        let mut j0_hash = ghash.clone();
        j0_hash.update_padded(iv);
        let mut length_block = ghash::Block::default();
        length_block[8..].copy_from_slice(&((IV_LEN as u64) * 8).to_be_bytes());
        j0_hash.update(&[length_block]);
        let j0 = j0_hash.finalize();

        let mut keystream = Keystream::new(key.into(), &j0);
        // The first keystream block, E_K(J0), masks the tag; the message starts at inc32(J0).
        let mut tag_mask = Zeroizing::new([0u8; BLOCK_LEN]);
        keystream.apply_keystream(tag_mask.as_mut_slice());
        StreamingGcm {
            keystream,
            ghash,
            tag_mask,
            partial: Zeroizing::new([0; BLOCK_LEN]),
            partial_len: 0,
            ciphertext_len: 0,
        }
    }

    /// Ciphertext bytes hashed so far.
    pub fn ciphertext_len(&self) -> u64 {
        self.ciphertext_len
    }

    /// Adds `ciphertext` to the authenticated message without decrypting it.
    pub fn absorb(&mut self, mut ciphertext: &[u8]) {
        self.ciphertext_len += ciphertext.len() as u64;
        if self.partial_len > 0 {
            let take = (BLOCK_LEN - self.partial_len).min(ciphertext.len());
            self.partial[self.partial_len..self.partial_len + take]
                .copy_from_slice(&ciphertext[..take]);
            self.partial_len += take;
            ciphertext = &ciphertext[take..];
            if self.partial_len < BLOCK_LEN {
                return;
            }
            let block = ghash::Block::from(*self.partial);
            self.ghash.update(&[block]);
            self.partial_len = 0;
        }
        let (blocks, rest) = ghash::Block::slice_as_chunks(ciphertext);
        // One call for all whole blocks lets GHASH use its multi-block backend.
        self.ghash.update(blocks);
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len = rest.len();
    }

    /// XORs the next keystream bytes onto `data` (decrypts or encrypts it), without hashing.
    pub fn apply_keystream(&mut self, data: &mut [u8]) -> Result<(), MessageTooLong> {
        self.keystream
            .try_apply_keystream(data)
            .map_err(|_| MessageTooLong)
    }

    /// Hashes `data` as ciphertext, then decrypts it in place.
    pub fn decrypt(&mut self, data: &mut [u8]) -> Result<(), MessageTooLong> {
        self.absorb(data);
        self.apply_keystream(data)
    }

    /// Encrypts `data` in place, then hashes the ciphertext.
    pub fn encrypt(&mut self, data: &mut [u8]) -> Result<(), MessageTooLong> {
        self.apply_keystream(data)?;
        self.absorb(data);
        Ok(())
    }

    /// The tag of the message absorbed so far; the state is left as it is, so more ciphertext
    /// may follow.
    pub fn tag(&self) -> [u8; TAG_LEN] {
        let mut ghash = self.ghash.clone();
        if self.partial_len > 0 {
            ghash.update_padded(&self.partial[..self.partial_len]);
        }
        let mut length_block = ghash::Block::default();
        // No associated data: the first half of the length block stays zero.
        length_block[8..].copy_from_slice(&(self.ciphertext_len * 8).to_be_bytes());
        ghash.update(&[length_block]);
        let mut tag: [u8; TAG_LEN] = ghash.finalize().into();
        for (byte, mask) in tag.iter_mut().zip(self.tag_mask.iter()) {
            *byte ^= mask;
        }
        tag
    }

    /// Whether `expected` is the tag of the message absorbed so far, compared in constant time.
    pub fn verify(&self, expected: &[u8]) -> bool {
        expected.len() == TAG_LEN && bool::from(self.tag().ct_eq(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::AeadInOut;
    use aes_gcm::aead::array::Array;
    use aes_gcm::aes::cipher::consts::U16;
    use proptest::prelude::*;

    type OneShot = aes_gcm::AesGcm<aes::Aes256, U16>;

    fn one_shot(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> (Vec<u8>, [u8; 16]) {
        let cipher = <OneShot as aes_gcm::KeyInit>::new(key.into());
        let mut buffer = plaintext.to_vec();
        let tag = cipher
            .encrypt_inout_detached(&Array::from(*iv), b"", buffer.as_mut_slice().into())
            .expect("within GCM's limits");
        (buffer, tag.into())
    }

    /// Feeds `data` in pieces cut at `cuts` (positions, any order, may repeat or exceed).
    fn pieces(data: &[u8], cuts: &[usize]) -> Vec<std::ops::Range<usize>> {
        let mut points: Vec<usize> = cuts.iter().map(|&cut| cut.min(data.len())).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        points.windows(2).map(|pair| pair[0]..pair[1]).collect()
    }

    fn streamed_encrypt(
        key: &[u8; 32],
        iv: &[u8; 16],
        plaintext: &[u8],
        cuts: &[usize],
    ) -> (Vec<u8>, [u8; 16]) {
        let mut gcm = StreamingGcm::new(key, iv);
        let mut buffer = plaintext.to_vec();
        for range in pieces(plaintext, cuts) {
            gcm.encrypt(&mut buffer[range]).unwrap();
        }
        (buffer, gcm.tag())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn matches_one_shot_aes_gcm_whatever_the_pieces(
            key in any::<[u8; 32]>(),
            iv in any::<[u8; 16]>(),
            plaintext in prop::collection::vec(any::<u8>(), 0..1100),
            cuts in prop::collection::vec(0usize..1100, 0..12),
        ) {
            let (expected, expected_tag) = one_shot(&key, &iv, &plaintext);
            let (ciphertext, tag) = streamed_encrypt(&key, &iv, &plaintext, &cuts);
            prop_assert_eq!(&ciphertext, &expected);
            prop_assert_eq!(tag, expected_tag);

            let mut gcm = StreamingGcm::new(&key, &iv);
            let mut opened = ciphertext.clone();
            for range in pieces(&ciphertext, &cuts) {
                gcm.decrypt(&mut opened[range]).unwrap();
            }
            prop_assert_eq!(&opened, &plaintext);
            prop_assert!(gcm.verify(&expected_tag));
        }
    }

    #[test]
    fn matches_one_shot_at_every_length_around_blocks_and_large_sizes() {
        let key = [7u8; 32];
        let iv = *b"sixteen byte iv!";
        let mut lengths: Vec<usize> = (0..=80).collect();
        lengths.extend([
            255,
            256,
            257,
            4095,
            4096,
            4097,
            65_535,
            65_536,
            65_537,
            1 << 20,
        ]);
        lengths.push((1 << 20) + 13);
        for len in lengths {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
            let (expected, expected_tag) = one_shot(&key, &iv, &plaintext);
            for cuts in [
                vec![],
                vec![1],
                vec![15, 17, 33],
                vec![len / 2],
                vec![len.saturating_sub(1)],
            ] {
                let (ciphertext, tag) = streamed_encrypt(&key, &iv, &plaintext, &cuts);
                assert_eq!(ciphertext, expected, "len {len}, cuts {cuts:?}");
                assert_eq!(tag, expected_tag, "len {len}, cuts {cuts:?}");
            }
        }
    }

    #[test]
    fn tag_can_be_taken_midway_and_the_message_continued() {
        let key = [1u8; 32];
        let iv = [2u8; 16];
        let plaintext = vec![0x5a; 100];
        let mut gcm = StreamingGcm::new(&key, &iv);
        let mut buffer = plaintext.clone();
        gcm.encrypt(&mut buffer[..37]).unwrap();
        assert_eq!(gcm.tag(), one_shot(&key, &iv, &plaintext[..37]).1);
        gcm.encrypt(&mut buffer[37..]).unwrap();
        assert_eq!(gcm.tag(), one_shot(&key, &iv, &plaintext).1);
    }

    #[test]
    fn a_changed_byte_or_tag_fails_verification() {
        let key = [3u8; 32];
        let iv = [4u8; 16];
        let (mut ciphertext, tag) = one_shot(&key, &iv, b"attack at dawn, bring snacks");
        ciphertext[5] ^= 1;
        let mut gcm = StreamingGcm::new(&key, &iv);
        gcm.decrypt(&mut ciphertext).unwrap();
        assert!(!gcm.verify(&tag));
        assert!(!gcm.verify(&tag[..15]), "a short tag never verifies");
    }

    #[test]
    fn the_counter_wraps_in_its_low_32_bits_only() {
        // GCM's inc32 leaves the upper 96 bits of the counter block alone; a 16-byte IV can
        // put J0 anywhere, so the wrap must be right.
        let key = [9u8; 32];
        let mut j0 = [0xabu8; 16];
        j0[12..].copy_from_slice(&0xffff_fffeu32.to_be_bytes());
        let mut keystream = Keystream::new((&key).into(), &j0.into());
        let mut produced = [0u8; 48];
        keystream.apply_keystream(&mut produced);
        let cipher = Aes256::new((&key).into());
        for (index, low) in [0xffff_fffeu32, 0xffff_ffff, 0].into_iter().enumerate() {
            let mut block = j0;
            block[12..].copy_from_slice(&low.to_be_bytes());
            let mut block = aes::Block::from(block);
            cipher.encrypt_block(&mut block);
            assert_eq!(
                &produced[index * 16..][..16],
                block.as_slice(),
                "block {index}"
            );
        }
    }
}
