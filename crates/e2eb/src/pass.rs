//! The chunk pass over a payload in memory: every chunk sealed or opened where it lies, on the
//! calling thread or on the pool; the lowest failing chunk names the error, as in a serial run,
//! and a failed pass wipes what it worked on.

use rayon::prelude::*;
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::threads::{Threads, on_pool};

/// The error of the lowest failing chunk among `failures` (chunk index, error), if any: what a
/// serial run, which stops at its first failure, would report.
pub(crate) fn lowest_failure(failures: impl Iterator<Item = (u64, Error)>) -> Option<Error> {
    failures.min_by_key(|(index, _)| *index).map(|(_, e)| e)
}

/// Applies `operation` to every `stride`-byte piece of `buffer` (piece `i` at `i * stride`, the
/// last one shorter), on the pool of `threads` threads when there are enough pieces to share
/// out. On failure the lowest failing piece names the error and all of `buffer` is wiped: the
/// pieces before and after it may hold plaintext that must not be released.
pub(crate) fn for_each_chunk(
    threads: Threads,
    buffer: &mut [u8],
    stride: usize,
    operation: impl Fn(u64, &mut [u8]) -> Result<()> + Sync,
) -> Result<()> {
    let operation = &operation;
    let pieces = buffer.len().div_ceil(stride);
    let outcome = on_pool(threads, pieces, |parallel| {
        if parallel {
            let failures: Vec<(u64, Error)> = buffer
                .par_chunks_mut(stride)
                .enumerate()
                .filter_map(|(i, piece)| operation(i as u64, piece).err().map(|e| (i as u64, e)))
                .collect();
            lowest_failure(failures.into_iter()).map_or(Ok(()), Err)
        } else {
            buffer
                .chunks_mut(stride)
                .enumerate()
                .try_for_each(|(i, piece)| operation(i as u64, piece))
        }
    })?;
    if outcome.is_err() {
        buffer.zeroize();
    }
    outcome
}
