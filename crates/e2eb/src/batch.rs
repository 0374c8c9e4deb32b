//! The pipeline's unit of work: a batch buffer holding a run of consecutive sealed chunks, and
//! the spare buffers kept between calls. Batch buffers hold plaintext while they work, so every
//! byte a call may have left plaintext in is wiped before a buffer is kept for another call.

use crate::error::{Error, Result};
use crate::payload::SEALED_CHUNK_LEN;

/// A run of consecutive sealed chunks in one buffer, each at a multiple of `SEALED_CHUNK_LEN`.
pub(crate) struct Batch {
    pub(crate) buffer: Vec<u8>,
    pub(crate) first_index: u64,
    /// Bytes of `buffer` in use.
    pub(crate) used: usize,
    /// The batch ends the message.
    pub(crate) last: bool,
    /// Raised after the batch's authenticated chunks are written (a truncation found at the end).
    pub(crate) deferred: Option<Error>,
    /// Bytes of `buffer`, from its start, that may hold plaintext of this call (wiped before the
    /// buffer is kept for another call; ciphertext needs no wiping).
    dirty: usize,
}

impl Batch {
    pub(crate) fn new(chunks: usize, first_index: u64) -> Batch {
        Batch {
            buffer: spare_buffers::take(chunks * SEALED_CHUNK_LEN),
            first_index,
            used: 0,
            last: false,
            deferred: None,
            dirty: 0,
        }
    }

    /// How many chunks the buffer holds.
    pub(crate) fn capacity(&self) -> u64 {
        (self.buffer.len() / SEALED_CHUNK_LEN) as u64
    }

    /// Notes that `buffer[..end]` may hold plaintext.
    pub(crate) fn touch(&mut self, end: usize) {
        self.dirty = self.dirty.max(end);
    }

    /// Notes what the chunk tasks left: `Ok(n)` means the chunk at that position holds `n`
    /// bytes of plaintext from its start. After an error a task may have left anything anywhere
    /// (a read of several chunks fails as one), so all of the buffer counts.
    pub(crate) fn touch_chunks(&mut self, outcomes: &[Result<usize>]) {
        if outcomes.iter().any(Result::is_err) {
            self.touch(self.buffer.len());
            return;
        }
        // A chunk that holds nothing (a position past the end, or the tag of an empty final
        // chunk) needs no wipe; counting it would wipe whole batches for nothing.
        let end = outcomes
            .iter()
            .enumerate()
            .filter_map(|(position, outcome)| match outcome {
                Ok(held) if *held > 0 => Some(position * SEALED_CHUNK_LEN + held),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        self.touch(end);
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        spare_buffers::give_back(std::mem::take(&mut self.buffer), self.dirty);
    }
}

/// Batch buffers of finished calls, kept for later ones: a process that makes many backups
/// would otherwise allocate and zero (and fault in) megabytes of buffers per backup, which costs
/// more than sealing a backup of a few MiB. At most `LIMIT` bytes of buffers are kept, like
/// rayon's threads, for the life of the process.
mod spare_buffers {
    use std::sync::Mutex;

    const LIMIT: usize = 16 << 20;
    static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

    /// A buffer of `len` bytes, holding zeros or an earlier call's ciphertext (never plaintext:
    /// that is wiped before a buffer is kept).
    pub(super) fn take(len: usize) -> Vec<u8> {
        let reused = SPARE.lock().ok().and_then(|mut spare| {
            let position = spare.iter().position(|buffer| buffer.len() == len)?;
            Some(spare.swap_remove(position))
        });
        reused.unwrap_or_else(|| vec![0; len])
    }

    /// Keeps `buffer`, whose first `dirty` bytes are wiped first; wipes all of it if there is
    /// no room.
    pub(super) fn give_back(mut buffer: Vec<u8>, dirty: usize) {
        use zeroize::Zeroize;
        let dirty = dirty.min(buffer.len());
        let Ok(mut spare) = SPARE.lock() else {
            buffer[..dirty].zeroize();
            return;
        };
        // Plaintext must not outlive the call in a buffer its caller cannot see.
        buffer[..dirty].zeroize();
        let kept: usize = spare.iter().map(Vec::len).sum();
        if !buffer.is_empty() && kept + buffer.len() <= LIMIT {
            spare.push(buffer);
        }
    }
}

/// The lowest index of a chunk found shorter than a full one (or failing), shared by the tasks
/// of a call: the payload ends there, so chunks past it need neither a read nor any
/// cryptography. Only where the work stops depends on it, never which chunk is reported: the
/// first short chunk in index order is still the one taken.
pub(crate) struct PayloadEnd(std::sync::atomic::AtomicU64);

impl Default for PayloadEnd {
    fn default() -> PayloadEnd {
        PayloadEnd(std::sync::atomic::AtomicU64::new(u64::MAX))
    }
}

impl PayloadEnd {
    pub(crate) fn found_at(&self, index: u64) {
        self.0
            .fetch_min(index, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn is_before(&self, index: u64) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) < index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_buffers_kept_for_later_calls_come_back_wiped() {
        // A size no pipeline uses, so that only this test takes such buffers.
        let len = 7 * SEALED_CHUNK_LEN;
        let mut batch = Batch::new(7, 0);
        batch.buffer[..3 * SEALED_CHUNK_LEN + 5].fill(0xaa);
        batch.touch_chunks(&[Ok(3), Ok(0), Ok(0)]);
        assert_eq!(batch.dirty, 3, "chunks that hold nothing need no wipe");
        batch.touch_chunks(&[Ok(SEALED_CHUNK_LEN), Ok(7), Ok(0), Ok(5)]);
        assert_eq!(batch.dirty, 3 * SEALED_CHUNK_LEN + 5);
        batch.touch_chunks(&[Ok(1), Err(Error::MessageTooLong)]);
        assert_eq!(
            batch.dirty, len,
            "after a failed read all of the buffer counts"
        );
        let address = batch.buffer.as_ptr();
        drop(batch);
        let again = spare_buffers::take(len);
        // No other unit test here runs a pipeline, so the cache had room and this is the same
        // buffer.
        assert_eq!(again.as_ptr(), address, "the buffer was not kept");
        assert!(
            again.iter().all(|&byte| byte == 0),
            "the kept buffer was not wiped"
        );
    }
}
