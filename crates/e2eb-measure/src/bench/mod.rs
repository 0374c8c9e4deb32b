//! Measuring the ciphers, the backup stream and the password KDFs on this machine: the loops
//! behind every figure of a benchmark run, shared by `cargo xtask bench` (in the repository),
//! `e2eb bench` (the lone binary on a device), the criterion benches and the AEAD probe binary,
//! so that every figure comes from the same code.
//!
//! - [`measure`]: warmed-up, repeated timing;
//! - [`aead`]: AEAD throughput per backend, suite, direction and size;
//! - [`stream`]: the backup stream end to end across thread counts, and the memory ceiling;
//! - [`kdf`]: the KDF cost grid, each setting in a child process, and the checked picks;
//! - [`profile`]: what the `tiny`, `quick` and `full` profiles measure;
//! - [`probe`]: a whole run as the lone binary can make it.

pub mod aead;
pub mod kdf;
pub mod measure;
pub mod probe;
pub mod profile;
pub mod stream;

pub use profile::{Profile, ProfileName};

/// Where a run reports its steps: the caller draws them (a progress bar, lines of text).
pub trait Progress {
    /// Shows what runs now.
    fn start(&self, what: String);
    /// Counts one finished measurement.
    fn done(&self);
    /// Counts `steps` that will not run.
    fn skip(&self, steps: u64);
}

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

/// Runs `work` on a rayon pool of `threads` threads (kept for the life of the process), so that
/// the parallel iterators in it share out over that many.
///
/// The untimed preparation of a pass (refilling its buffer) runs on as many threads as the pass
/// itself: on a virtual machine, a CPU left idle while one thread refills goes to sleep, and
/// waking it took 2-5 ms on the 2-CPU machine these benches were written on, which then landed
/// inside the timed pass and split two-thread figures into a fast and a slow group.
pub fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let pool = {
        let mut pools = POOLS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(pools.entry(threads.max(1)).or_insert_with(|| {
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads.max(1))
                    .build()
                    .expect("a rayon pool"),
            )
        }))
    };
    pool.install(work)
}

/// Pieces in which buffers are refilled in parallel.
const REFILL_PIECE: usize = 1 << 20;

/// Makes `buffer` a copy of `input`, in parallel on the current rayon pool (see [`on_threads`]).
pub fn copy_into(buffer: &mut Vec<u8>, input: &[u8]) {
    use rayon::prelude::*;
    buffer.resize(input.len(), 0);
    buffer
        .par_chunks_mut(REFILL_PIECE)
        .zip(input.par_chunks(REFILL_PIECE))
        .for_each(|(to, from)| to.copy_from_slice(from));
}

/// Lays `plaintext` out in `buffer` as a backup buffer's windows hold it (what a caller's reads
/// into `e2eb::BackupBuffer::chunks_mut` leave): chunk `i` at
/// `chunks_offset + i * SEALED_CHUNK_LEN`, each followed by room for its tag. In parallel on
/// the current rayon pool (see [`on_threads`]).
pub fn lay_out(buffer: &mut Vec<u8>, plaintext: &[u8], chunks_offset: usize) {
    use e2eb::payload::{CHUNK_LEN, SEALED_CHUNK_LEN};
    use rayon::prelude::*;
    buffer.resize(
        chunks_offset + e2eb::payload::sealed_len(plaintext.len() as u64) as usize,
        0,
    );
    buffer[chunks_offset..]
        .par_chunks_mut(SEALED_CHUNK_LEN)
        .zip(plaintext.par_chunks(CHUNK_LEN))
        .for_each(|(chunk, part)| chunk[..part.len()].copy_from_slice(part));
}

/// Whether the plaintext windows of a laid-out backup (each chunk less its tag) hold exactly
/// `plaintext`, as [`lay_out`] puts it there.
pub fn windows_hold(buffer: &[u8], chunks_offset: usize, plaintext: &[u8]) -> bool {
    use e2eb::payload::SEALED_CHUNK_LEN;
    use e2eb::suite::TAG_LEN;
    let mut rest = plaintext;
    buffer[chunks_offset..]
        .chunks(SEALED_CHUNK_LEN)
        .map(|chunk| &chunk[..chunk.len() - TAG_LEN])
        .all(|window| match rest.split_at_checked(window.len()) {
            Some((head, tail)) if head == window => {
                rest = tail;
                true
            }
            _ => false,
        })
        && rest.is_empty()
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

    #[test]
    fn laid_out_plaintext_is_found_in_the_windows_and_nothing_else_is() {
        let plaintext = super::pattern(2 * 16384 + 5);
        let mut buffer = vec![0xee; 100];
        super::lay_out(&mut buffer, &plaintext, 100);
        assert_eq!(buffer.len(), 100 + 3 * 16 + plaintext.len());
        assert!(super::windows_hold(&buffer, 100, &plaintext));
        assert!(!super::windows_hold(&buffer, 100, &plaintext[1..]));
        buffer[100 + 16384 + 16 + 7] ^= 1;
        assert!(!super::windows_hold(&buffer, 100, &plaintext));
    }
}
