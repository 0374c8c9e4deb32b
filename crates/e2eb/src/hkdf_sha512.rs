//! HKDF with SHA-512, as used by the payload key schedule and the key slots.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use zeroize::Zeroize;

type HmacSha512 = Hmac<Sha512>;

/// HKDF-Expand (RFC 5869, section 2.3) with SHA-512, over an `info` given in parts.
///
/// The `hkdf` crate refuses a PRK shorter than the hash output (RFC 5869's "at least HashLen
/// octets"), but c2sp.org/chunked-encryption feeds HKDF-Expand a 32-byte input key directly, so
/// the expansion is written out here over HMAC-SHA-512. `okm` is at most 255 * 64 bytes in every
/// caller.
pub(crate) fn expand(prk: &[u8], info: &[&[u8]], okm: &mut [u8]) {
    debug_assert!(okm.len() <= 255 * 64);
    let keyed = HmacSha512::new_from_slice(prk).expect("HMAC accepts keys of any length");
    let mut previous = [0u8; 64];
    for (counter, block) in (1u8..).zip(okm.chunks_mut(64)) {
        let mut mac = keyed.clone();
        if counter > 1 {
            mac.update(&previous);
        }
        for part in info {
            mac.update(part);
        }
        mac.update(&[counter]);
        previous.copy_from_slice(&mac.finalize().into_bytes());
        block.copy_from_slice(&previous[..block.len()]);
    }
    previous.zeroize();
}

/// HKDF-Extract (RFC 5869, section 2.2) with SHA-512: the 64-byte PRK for `expand`.
pub(crate) fn extract(salt: &[u8], ikm: &[u8]) -> [u8; 64] {
    let mut mac = HmacSha512::new_from_slice(salt).expect("HMAC accepts keys of any length");
    mac.update(ikm);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HMAC states keyed by a KEK, a file key or a recovery key's PRK wipe themselves when
    /// dropped: `Hmac<Sha512>` is two SHA-512 core states and a block buffer, and with the
    /// `zeroize` features of `sha2` and `hmac` (which turns on `digest`'s and so the block
    /// buffer's) each of them wipes itself on drop. `hmac` 0.13 does not declare the marker
    /// trait for `Hmac` itself, so this checks the SHA-512 state; without the features it does
    /// not compile.
    #[test]
    fn hmac_states_wipe_themselves_on_drop() {
        fn wipes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wipes_on_drop::<Sha512>();
    }

    /// Where the `hkdf` crate accepts the PRK (64 bytes and up), it is the reference.
    #[test]
    fn matches_the_hkdf_crate_for_long_prks() {
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0u8..=12).collect();
        let info: Vec<u8> = (0xf0u8..=0xf9).collect();
        let (expected_prk, hk) = hkdf::Hkdf::<Sha512>::extract(Some(&salt), &ikm);
        let mut expected = [0u8; 200];
        hk.expand(&info, &mut expected).unwrap();

        let prk = extract(&salt, &ikm);
        assert_eq!(prk.as_slice(), expected_prk.as_slice());
        let mut okm = [0u8; 200];
        expand(&prk, &[&info[..3], &info[3..]], &mut okm);
        assert_eq!(okm, expected);
    }
}
