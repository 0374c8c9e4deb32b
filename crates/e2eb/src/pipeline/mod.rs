//! The one driver behind every streaming door: chunks read from a source (a `Read` stream in
//! order, or a `ReadAt` source at offsets), sealed or opened where they land, and written out
//! in order. Chunks go in runs of eight, each read by one call on the source straight into the
//! windows where the run is sealed or opened.
//!
//! On one thread, and for the first megabyte on any number (a small payload wakes no other
//! thread), one batch buffer of 1 MiB is read, sealed or opened, and written in turn. With
//! more threads, the calling thread and a pool of the others take runs in order from a ring
//! of run slots ([`ring`]), and the calling thread writes the finished runs out in order. Memory stays
//! bounded whatever the message size: the batch and the ring, 1 MiB and 4 runs per thread
//! (at least 16) per call.
//!
//! A stream is read under the lock that hands the runs out, so its bytes arrive in order; a
//! `ReadAt` source is read after the lock is released, by all threads at once.

use std::io::{self, IoSlice, IoSliceMut, Write};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, TryLockError};

use crate::batch::{Batch, PayloadEnd};
use crate::error::{Error, Result, Truncation};
use crate::payload::{self, CHUNK_LEN, SEALED_CHUNK_LEN};
use crate::payload_cipher::PayloadCipher;
use crate::source::ChunkSource;
use crate::suite::TAG_LEN;
use crate::threads::{Threads, pool};

mod ring;

/// Chunks read by one call on the source (128 KiB): a system call per chunk cost as much as a
/// tenth of a decryption.
const RUN_CHUNKS: usize = 8;
/// Chunks of the batch used on one thread, and first on any number (1 MiB): a payload that
/// ends in it needs no second thread, and the reads past its end stay few.
const FIRST_BATCH_CHUNKS: usize = 64;
const _: () = assert!(FIRST_BATCH_CHUNKS.is_multiple_of(RUN_CHUNKS));

/// Encrypts everything `source` yields from its start into chunks written to `writer` (after
/// the payload prefix, which the caller writes). Returns the plaintext length.
pub(crate) fn seal<S: ChunkSource + Sync + ?Sized, W: Write>(
    cipher: &PayloadCipher,
    source: &S,
    mut writer: W,
    threads: Threads,
) -> Result<u64> {
    let work = Work::new(cipher, source, Direction::Seal);
    let mut plaintext_len = 0u64;
    drive(threads, &work, |batch| {
        plaintext_len +=
            batch.used as u64 - batch.used.div_ceil(SEALED_CHUNK_LEN) as u64 * TAG_LEN as u64;
        writer
            .write_all(&batch.buffer[..batch.used])
            .map_err(Error::from_io)
    })?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

/// Decrypts the chunks `source` holds from `chunks_offset` on (where the first chunk sits in the
/// backup, which also places chunks in error messages) into `writer`, releasing only
/// authenticated chunks, in order. Returns the plaintext length.
pub(crate) fn open<S: ChunkSource + Sync + ?Sized, W: Write>(
    cipher: &PayloadCipher,
    source: &S,
    chunks_offset: u64,
    mut writer: W,
    threads: Threads,
) -> Result<u64> {
    let work = Work::new(cipher, source, Direction::Open { chunks_offset });
    let mut plaintext_len = 0u64;
    drive(threads, &work, |batch| {
        plaintext_len += write_plaintexts(&mut writer, &batch.buffer[..batch.used])?;
        Ok(())
    })?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

#[derive(Clone, Copy)]
enum Direction {
    Seal,
    /// `chunks_offset`: where the first chunk sits, in the source and in the backup.
    Open {
        chunks_offset: u64,
    },
}

/// What every task of one call shares.
struct Work<'a, S: ?Sized> {
    cipher: &'a PayloadCipher,
    source: &'a S,
    direction: Direction,
    end: PayloadEnd,
    /// Set when the call has failed: tasks still queued read nothing more.
    cancelled: AtomicBool,
}

impl<'a, S: ChunkSource + Sync + ?Sized> Work<'a, S> {
    fn new(cipher: &'a PayloadCipher, source: &'a S, direction: Direction) -> Work<'a, S> {
        Work {
            cipher,
            source,
            direction,
            end: PayloadEnd::default(),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Reads, then seals or opens, the runs of `batch` in turn on this thread, and settles
    /// where the batch ends.
    fn process_batch(&self, batch: &mut Batch) -> Result<()> {
        let mut outcomes: [Result<usize>; FIRST_BATCH_CHUNKS] = std::array::from_fn(|_| Ok(0));
        let chunks = batch.buffer.len() / SEALED_CHUNK_LEN;
        let outcomes = &mut outcomes[..chunks];
        for (run, (bytes, run_outcomes)) in batch
            .buffer
            .chunks_mut(RUN_CHUNKS * SEALED_CHUNK_LEN)
            .zip(outcomes.chunks_mut(RUN_CHUNKS))
            .enumerate()
        {
            let first_index = batch.first_index + (run * RUN_CHUNKS) as u64;
            if self.end.is_before(first_index) {
                // Past the end: the payload ends in an earlier run.
                break;
            }
            let read = self.fill(bytes, first_index);
            self.finish_run(bytes, run_outcomes, first_index, read);
        }
        self.settle(batch, outcomes)
    }

    /// Reads one run from the source into its windows: the plaintext windows between the tags
    /// when sealing, the whole run of sealed chunks when opening. Notes where the payload ends
    /// (a short read) or stops (a failed one) at once, so that a stream read under the hand-out
    /// lock is read no further.
    fn fill(&self, bytes: &mut [u8], first_index: u64) -> Result<usize> {
        let (read, unit) = match self.direction {
            Direction::Seal => {
                // Every run holds RUN_CHUNKS chunks (batches are whole runs): no allocation here.
                let mut chunks = bytes.chunks_exact_mut(SEALED_CHUNK_LEN);
                let mut windows: [IoSliceMut<'_>; RUN_CHUNKS] = std::array::from_fn(|_| {
                    let chunk = chunks.next().expect("a run holds RUN_CHUNKS chunks");
                    IoSliceMut::new(&mut chunk[..CHUNK_LEN])
                });
                let offset = first_index.checked_mul(CHUNK_LEN as u64);
                let read = offset
                    .ok_or(Error::MessageTooLong)
                    .and_then(|offset| self.source.fill(&mut windows, offset));
                (read, CHUNK_LEN)
            }
            Direction::Open { chunks_offset } => {
                let offset = first_index
                    .checked_mul(SEALED_CHUNK_LEN as u64)
                    .and_then(|relative| relative.checked_add(chunks_offset));
                let read = offset
                    .ok_or(Error::MessageTooLong)
                    .and_then(|offset| self.source.fill(&mut [IoSliceMut::new(bytes)], offset));
                (read, SEALED_CHUNK_LEN)
            }
        };
        let capacity = bytes.len() / SEALED_CHUNK_LEN * unit;
        match &read {
            Ok(read) if *read < capacity => self.end.found_at(first_index + (read / unit) as u64),
            Ok(_) => {}
            Err(_) => self.end.found_at(first_index),
        }
        read
    }

    /// Seals or opens the chunks of one run once its bytes are in, filling one outcome per chunk:
    /// `Ok(n)` for a chunk of `n` bytes (plaintext when sealing, sealed when opening), left
    /// `Ok(0)` past the end. A failed read is the run's first chunk's failure.
    fn finish_run(
        &self,
        bytes: &mut [u8],
        outcomes: &mut [Result<usize>],
        first_index: u64,
        read: Result<usize>,
    ) {
        let read = match read {
            Ok(read) => read,
            Err(error) => {
                outcomes[0] = Err(error);
                return;
            }
        };
        for (k, (chunk, outcome)) in bytes
            .chunks_mut(SEALED_CHUNK_LEN)
            .zip(outcomes.iter_mut())
            .enumerate()
        {
            let index = first_index + k as u64;
            let (len, full) = match self.direction {
                Direction::Seal => {
                    let Some(len) = read.checked_sub(k * CHUNK_LEN) else {
                        break;
                    };
                    let len = len.min(CHUNK_LEN);
                    *outcome = self
                        .cipher
                        .seal_chunk(index, &mut chunk[..len + TAG_LEN])
                        .map(|()| len);
                    (len, CHUNK_LEN)
                }
                Direction::Open { chunks_offset } => {
                    let len = read
                        .saturating_sub(k * SEALED_CHUNK_LEN)
                        .min(SEALED_CHUNK_LEN);
                    if len >= TAG_LEN {
                        let offset = chunks_offset + payload::chunk_offset(index);
                        *outcome = self
                            .cipher
                            .open_chunk(index, &mut chunk[..len], offset)
                            .map(|()| len);
                    } else {
                        *outcome = Ok(len);
                    }
                    (len, SEALED_CHUNK_LEN)
                }
            };
            if len < full || outcome.is_err() {
                break;
            }
        }
    }

    /// Settles what the chunks of `batch` came to, given their outcomes in order: where the
    /// payload ends (at the first chunk that is not full) and how many bytes are ready to be
    /// written, or the failure of the lowest failing chunk.
    fn settle(&self, batch: &mut Batch, outcomes: &mut [Result<usize>]) -> Result<()> {
        match self.direction {
            Direction::Seal => Self::settle_sealed(batch, outcomes),
            Direction::Open { .. } => Self::settle_opened(batch, outcomes),
        }
    }

    fn settle_sealed(batch: &mut Batch, outcomes: &mut [Result<usize>]) -> Result<()> {
        // Every chunk read is sealed at once, so only a failed batch may keep plaintext.
        if outcomes.iter().any(Result::is_err) {
            batch.touch(batch.buffer.len());
        }
        batch.last = false;
        batch.used = 0;
        batch.deferred = None;
        for outcome in outcomes {
            let len = std::mem::replace(outcome, Ok(0))?;
            if len < CHUNK_LEN {
                batch.used += len + TAG_LEN;
                batch.last = true;
                return Ok(());
            }
            batch.used += SEALED_CHUNK_LEN;
        }
        Ok(())
    }

    /// Finality is a matter of length (SPEC.md §7): a full chunk is opened as an inner chunk, a
    /// shorter one as the final chunk, and the payload ends at the first chunk that is not full.
    /// A batch that ends the payload without a valid final chunk keeps its truncation in
    /// `deferred`, raised once its authenticated chunks are written.
    fn settle_opened(batch: &mut Batch, outcomes: &mut [Result<usize>]) -> Result<()> {
        batch.touch_chunks(outcomes);
        batch.last = false;
        batch.used = 0;
        batch.deferred = None;
        // In chunk order, so that the first failing chunk is the one reported; chunks past the
        // end were read past it (or raced a growing file) and are ignored.
        for (position, outcome) in outcomes.iter_mut().enumerate() {
            let len = std::mem::replace(outcome, Ok(0))?;
            if len < SEALED_CHUNK_LEN {
                let index = batch.first_index + position as u64;
                batch.last = true;
                if len == 0 {
                    batch.deferred =
                        Some(Error::Truncated(Truncation::MissingFinalChunk { index }));
                } else if len < TAG_LEN {
                    batch.deferred =
                        Some(Error::Truncated(Truncation::FinalChunkTooShort { index }));
                } else {
                    batch.used += len;
                }
                return Ok(());
            }
            batch.used += SEALED_CHUNK_LEN;
        }
        Ok(())
    }
}

/// Drives the payload through `drain`, which gets the batches of sealed or opened chunks in
/// order until one is the last; a batch's deferred error is raised after it is drained. With
/// more than one thread, the first batch is done here and the rest in the ring, on the pool.
fn drive<S: ChunkSource + Sync + ?Sized>(
    threads: Threads,
    work: &Work<'_, S>,
    mut drain: impl FnMut(&Batch) -> Result<()>,
) -> Result<()> {
    let mut drain_one = |batch: &mut Batch| -> Result<bool> {
        drain(batch)?;
        match batch.deferred.take() {
            Some(error) => Err(error),
            None => Ok(batch.last),
        }
    };
    let mut first = Batch::new(FIRST_BATCH_CHUNKS, 0);
    loop {
        work.process_batch(&mut first)?;
        if drain_one(&mut first)? {
            return Ok(());
        }
        first.first_index += first.capacity();
        if threads.get() > 1 {
            break;
        }
    }
    let next_index = first.first_index;
    drop(first);
    // The calling thread works in the ring too: the pool makes up the rest of the threads.
    let helpers = pool(Threads::new(threads.get() - 1))?;
    ring::drive(work, &helpers, threads.get(), next_index, drain_one)
}

/// Locks `mutex`, spinning (and yielding to other runnable threads) rather than sleeping while
/// it is held. The hand-out lock is held for one run's read at most (tens of microseconds), and
/// a thread put to sleep on it pays a wake-up that costs milliseconds on some virtual machines,
/// where an idle virtual CPU is halted: with a stream source the threads take turns reading, and
/// sleeping on each turn made two threads slower than one.
fn lock_spinning<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    loop {
        for _ in 0..64 {
            match mutex.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
            }
        }
        std::thread::yield_now();
    }
}

fn pipeline_stopped() -> Error {
    Error::Io(io::Error::other("the chunk pipeline stopped unexpectedly"))
}

/// Writes the plaintext of the opened chunks in `opened` (each chunk less its tag, the chunks
/// `SEALED_CHUNK_LEN` apart) to `writer` in one vectored write where the writer supports it;
/// returns how many bytes that was.
pub(crate) fn write_plaintexts<W: Write>(writer: &mut W, opened: &[u8]) -> Result<u64> {
    let mut plaintexts: Vec<IoSlice<'_>> = opened
        .chunks(SEALED_CHUNK_LEN)
        .map(|chunk| IoSlice::new(&chunk[..chunk.len() - TAG_LEN]))
        .collect();
    let len = plaintexts.iter().map(|slice| slice.len() as u64).sum();
    write_all_vectored(writer, &mut plaintexts).map_err(Error::from_io)?;
    Ok(len)
}

/// `Write::write_all_vectored` (unstable in std): one system call for many chunks where the
/// writer supports it.
fn write_all_vectored<W: Write>(writer: &mut W, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match writer.write_vectored(slices) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ));
            }
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
