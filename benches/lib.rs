//! Measuring code shared by the criterion benches, the AEAD probe binary and `cargo xtask bench`,
//! so that every figure (native or software-only build, criterion or xtask) comes from the same
//! loops.
//!
//! The criterion benchmarks themselves are the `[[bench]]` targets of this crate:
//! `cargo bench -p e2eb-benches --bench payload` (or `aead`, `kdf`).
#![forbid(unsafe_code)]

pub mod aead;
pub mod measure;

/// `len` bytes of a fixed pseudo-random pattern.
///
/// Every page is written: a buffer left as the allocator's zero pages would be read from one
/// shared, always-cached page and flatter the figures.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = vec![0u8; len];
    for chunk in bytes.chunks_mut(8) {
        // xorshift64: cheap, and nothing that compresses or deduplicates to a shortcut.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = state.to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn pattern_fills_every_byte_position() {
        let bytes = super::pattern(4099);
        assert_eq!(bytes.len(), 4099);
        assert!(bytes.chunks(4096).all(|page| page.iter().any(|&b| b != 0)));
        assert_eq!(bytes, super::pattern(4099), "the pattern is fixed");
    }
}
