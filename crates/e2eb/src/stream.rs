//! Streaming over the payload: the batched, parallel pipeline (reading, sealing or opening, and
//! writing overlap), a `Write` adapter for encryption, and `Read` and `Read + Seek` adapters
//! for decryption. Memory stays bounded whatever the message size.

use std::collections::HashMap;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::error::{Error, Result, Truncation};
use crate::header::read_up_to;
use crate::payload::{self, CHUNK_LEN, PayloadCipher, SEALED_CHUNK_LEN};
use crate::suite::TAG_LEN;

/// Sealed chunks read by one system call on the by-offsets decryption path (128 KiB).
const READ_RUN_CHUNKS: usize = 8;
/// Chunks per batch on the single-threaded path (1 MiB).
const SERIAL_BATCH_CHUNKS: usize = 64;
/// Chunks per batch on the parallel path (4 MiB): large enough to amortise scheduling, small
/// enough that the four batches in flight stay far below the 64 MiB memory budget.
const PARALLEL_BATCH_CHUNKS: usize = 256;

/// How many threads seal or open chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(usize);

impl Threads {
    /// `count` threads; 0 means one per available CPU.
    pub fn new(count: usize) -> Threads {
        if count == 0 {
            Threads::available()
        } else {
            Threads(count)
        }
    }

    /// One thread per available CPU.
    pub fn available() -> Threads {
        // Asked once per process: the standard library reads the cgroup files on every call,
        // which cost a small backup (every `Encryptor::new` asks) tens of microseconds.
        static AVAILABLE: OnceLock<usize> = OnceLock::new();
        Threads(
            *AVAILABLE.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from)),
        )
    }

    /// The thread count.
    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for Threads {
    fn default() -> Threads {
        Threads::available()
    }
}

/// A run of consecutive sealed chunks in one buffer, each at a multiple of `SEALED_CHUNK_LEN`.
struct Batch {
    buffer: Vec<u8>,
    first_index: u64,
    /// Bytes of `buffer` in use.
    used: usize,
    /// The batch ends the message.
    last: bool,
    /// Raised after the batch's authenticated chunks are written (a truncation found at EOF).
    deferred: Option<Error>,
    /// Bytes of `buffer`, from its start, that may hold plaintext of this call (wiped before the
    /// buffer is kept for another call; ciphertext needs no wiping).
    dirty: usize,
}

impl Batch {
    fn new(chunks: usize) -> Batch {
        Batch {
            buffer: spare_buffers::take(chunks * SEALED_CHUNK_LEN),
            first_index: 0,
            used: 0,
            last: false,
            deferred: None,
            dirty: 0,
        }
    }

    fn chunk_count(&self) -> u64 {
        self.used.div_ceil(SEALED_CHUNK_LEN) as u64
    }

    /// How many chunks the buffer holds.
    fn capacity(&self) -> u64 {
        (self.buffer.len() / SEALED_CHUNK_LEN) as u64
    }

    /// Notes that `buffer[..end]` may hold data.
    fn touch(&mut self, end: usize) {
        self.dirty = self.dirty.max(end);
    }

    /// Notes what tasks that read and opened chunks left there: `Ok(n)` bytes of plaintext from
    /// the chunk's start. After an error a read may have left anything anywhere (a read of
    /// several chunks fails as one), so all of the buffer counts.
    fn touch_chunks(&mut self, outcomes: &[Result<usize>]) {
        if outcomes.iter().any(Result::is_err) {
            self.touch(self.buffer.len());
            return;
        }
        // A chunk that read nothing holds no data (at most the tag of an empty final chunk, which
        // is ciphertext); counting the positions past the end would wipe whole batches for
        // nothing.
        let end = outcomes
            .iter()
            .enumerate()
            .filter_map(|(position, outcome)| match outcome {
                Ok(read) if *read > 0 => Some(position * SEALED_CHUNK_LEN + read),
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
/// more than sealing a backup of a few MiB. At most `LIMIT` buffers (16 MiB) are kept, like
/// rayon's threads, for the life of the process.
mod spare_buffers {
    use std::sync::Mutex;

    const LIMIT: usize = 4;
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

    /// Keeps `buffer`, whose first `dirty` bytes are wiped first, if there is room.
    pub(super) fn give_back(mut buffer: Vec<u8>, dirty: usize) {
        let Ok(mut spare) = SPARE.lock() else {
            return;
        };
        if buffer.is_empty() || spare.len() >= LIMIT {
            return;
        }
        // Plaintext must not outlive the call in a buffer its caller cannot see. The buffer
        // stays reachable from `SPARE`, so these stores cannot be optimised away.
        let dirty = dirty.min(buffer.len());
        buffer[..dirty].fill(0);
        spare.push(buffer);
    }
}

/// Runs `fill → process → drain` over batches until a batch is the last. With more than one
/// thread, `process` runs on a rayon pool of that size while the calling thread fills the next
/// batch and drains the previous one, so reading, crypto and writing overlap; batches are
/// drained in order.
fn run_pipeline(
    threads: Threads,
    mut fill: impl FnMut(&mut Batch) -> Result<()>,
    process: impl Fn(&mut Batch, bool) -> Result<()> + Sync,
    mut drain: impl FnMut(&Batch) -> Result<()>,
) -> Result<()> {
    if threads.get() <= 1 {
        let mut batch = Batch::new(SERIAL_BATCH_CHUNKS);
        loop {
            fill(&mut batch)?;
            process(&mut batch, false)?;
            drain(&batch)?;
            if let Some(error) = batch.deferred.take() {
                return Err(error);
            }
            if batch.last {
                return Ok(());
            }
        }
    }
    let pool = pool(threads)?;
    // A message that fits in one batch needs no pipeline.
    let mut first = Batch::new(PARALLEL_BATCH_CHUNKS);
    fill(&mut first)?;
    if first.last {
        if first.chunk_count() as usize >= PARALLEL_THRESHOLD_CHUNKS {
            pool.install(|| process(&mut first, true))?;
        } else {
            process(&mut first, false)?;
        }
        drain(&first)?;
        return first.deferred.take().map_or(Ok(()), Err);
    }
    let mut first = Some(first);
    std::thread::scope(|scope| {
        let (to_crypto, crypto_inbox) = std::sync::mpsc::sync_channel::<Batch>(1);
        let (to_drain, drain_inbox) = std::sync::mpsc::sync_channel::<(Batch, Result<()>)>(1);
        let process = &process;
        let pool = &*pool;
        scope.spawn(move || {
            for mut batch in crypto_inbox {
                let outcome = pool.install(|| process(&mut batch, true));
                if to_drain.send((batch, outcome)).is_err() {
                    break;
                }
            }
        });
        let mut spare: Vec<Batch> = Vec::new();
        let mut in_flight = 0usize;
        let mut input_done = false;
        let mut next_index = 0u64;
        loop {
            if !input_done {
                let batch = match first.take() {
                    Some(batch) => batch,
                    None => {
                        let mut batch = spare
                            .pop()
                            .unwrap_or_else(|| Batch::new(PARALLEL_BATCH_CHUNKS));
                        batch.first_index = next_index;
                        fill(&mut batch)?;
                        batch
                    }
                };
                next_index += batch.chunk_count();
                input_done = batch.last;
                to_crypto.send(batch).map_err(|_| pipeline_stopped())?;
                in_flight += 1;
            }
            if in_flight == 0 {
                return Ok(());
            }
            if in_flight >= 2 || input_done {
                let (mut batch, outcome) = drain_inbox.recv().map_err(|_| pipeline_stopped())?;
                in_flight -= 1;
                outcome?;
                drain(&batch)?;
                if let Some(error) = batch.deferred.take() {
                    return Err(error);
                }
                spare.push(batch);
            }
        }
    })
}

fn pipeline_stopped() -> Error {
    Error::Io(io::Error::other("the chunk pipeline stopped unexpectedly"))
}

/// Applies `operation` to every sealed chunk of `buffer` (chunk `i` of the batch at
/// `i * SEALED_CHUNK_LEN`); the error of the lowest failing chunk wins, as in a serial run.
fn for_each_chunk(
    buffer: &mut [u8],
    parallel: bool,
    operation: impl Fn(u64, &mut [u8]) -> Result<()> + Sync,
) -> Result<()> {
    if parallel {
        buffer
            .par_chunks_mut(SEALED_CHUNK_LEN)
            .enumerate()
            .filter_map(|(position, chunk)| {
                operation(position as u64, chunk)
                    .err()
                    .map(|error| (position, error))
            })
            .min_by_key(|(position, _)| *position)
            .map_or(Ok(()), |(_, error)| Err(error))
    } else {
        buffer
            .chunks_mut(SEALED_CHUNK_LEN)
            .enumerate()
            .try_for_each(|(position, chunk)| operation(position as u64, chunk))
    }
}

/// Encrypts everything `reader` yields into chunks written to `writer` (after the payload
/// prefix, which the caller writes). Returns the plaintext length.
pub(crate) fn seal_payload<R: Read, W: Write>(
    cipher: &PayloadCipher,
    mut reader: R,
    mut writer: W,
    threads: Threads,
) -> Result<u64> {
    let mut plaintext_len = 0u64;
    let mut serial_index = 0u64;
    run_pipeline(
        threads,
        |batch| {
            if threads.get() <= 1 {
                batch.first_index = serial_index;
            }
            // One vectored read fills every chunk's plaintext slot of the batch, leaving room
            // for the tags between them.
            let mut slots: Vec<IoSliceMut<'_>> = batch
                .buffer
                .chunks_mut(SEALED_CHUNK_LEN)
                .map(|chunk| IoSliceMut::new(&mut chunk[..CHUNK_LEN]))
                .collect();
            let capacity = slots.len() * CHUNK_LEN;
            let outcome = read_vectored_up_to(&mut reader, &mut slots);
            drop(slots);
            if outcome.is_err() {
                // A failed read may have filled part of the buffer.
                batch.touch(batch.buffer.len());
            }
            let read = outcome?;
            plaintext_len += read as u64;
            let full_chunks = read / CHUNK_LEN;
            batch.last = read < capacity;
            batch.used = if batch.last {
                full_chunks * SEALED_CHUNK_LEN + read % CHUNK_LEN + TAG_LEN
            } else {
                full_chunks * SEALED_CHUNK_LEN
            };
            serial_index += batch.chunk_count();
            Ok(())
        },
        |batch, parallel| {
            let first = batch.first_index;
            let outcome = for_each_chunk(
                &mut batch.buffer[..batch.used],
                parallel,
                |position, chunk| cipher.seal_chunk(first + position, chunk),
            );
            if outcome.is_err() {
                // Sealed chunks are ciphertext, but a failed batch may keep plaintext.
                batch.touch(batch.used);
            }
            outcome
        },
        |batch| {
            writer
                .write_all(&batch.buffer[..batch.used])
                .map_err(Error::from_io)
        },
    )?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

/// A source read at explicit offsets, so that several threads can read it at once: a regular
/// file (or a byte slice). Sealing from one lets each thread read the chunks it seals itself,
/// so that the copy out of the file is shared out like the cryptography and the data is sealed
/// while it is still in that core's cache.
pub trait ReadAt: Sync {
    /// Reads into `buffer` from `offset`; returns how many bytes were read, fewer than asked
    /// only at the end of the source (or where the source says so), 0 past its end.
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize>;
}

#[cfg(unix)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buffer, offset)
    }
}

#[cfg(windows)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buffer, offset)
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buffer.len().min(self.len() - start);
        buffer[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        (**self).read_at(buffer, offset)
    }
}

/// Reads a [`ReadAt`] source in order from its start, as a `Read`: for the header, before the
/// chunks are read at their offsets.
pub(crate) struct ReadAtCursor<'a, R: ?Sized> {
    source: &'a R,
    offset: u64,
}

impl<'a, R: ReadAt + ?Sized> ReadAtCursor<'a, R> {
    pub(crate) fn new(source: &'a R) -> ReadAtCursor<'a, R> {
        ReadAtCursor { source, offset: 0 }
    }
}

impl<R: ReadAt + ?Sized> Read for ReadAtCursor<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.source.read_at(buffer, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

/// Fills `buffer` from `offset` until it is full or the source ends; returns how much was read.
fn read_full_at<R: ReadAt + ?Sized>(source: &R, buffer: &mut [u8], offset: u64) -> Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read_at(&mut buffer[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(Error::from_io(error)),
        }
    }
    Ok(filled)
}

/// The lowest index of a chunk found shorter than a full one, shared by the tasks of a by-offsets
/// call: the payload ends there, so chunks past it need neither a read (each a system call that
/// returns nothing) nor any cryptography. Only where the payload ends depends on it, never
/// which chunk is reported: the first short chunk in index order is still the one taken.
struct PayloadEnd(std::sync::atomic::AtomicU64);

impl Default for PayloadEnd {
    fn default() -> PayloadEnd {
        PayloadEnd(std::sync::atomic::AtomicU64::new(u64::MAX))
    }
}

impl PayloadEnd {
    fn found_at(&self, index: u64) {
        self.0
            .fetch_min(index, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_before(&self, index: u64) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) < index
    }
}

/// Reads and seals the chunks of `batch` (from `batch.first_index` on) out of `source`, each
/// chunk by the task that reads it; then marks where the message ends, if it ends in this
/// batch: at the first chunk that is not full (which can be empty). Chunks past that one were
/// read past the end and are dropped unsent.
fn read_and_seal_batch<R: ReadAt + ?Sized>(
    cipher: &PayloadCipher,
    source: &R,
    end: &PayloadEnd,
    batch: &mut Batch,
    parallel: bool,
) -> Result<()> {
    let first = batch.first_index;
    let read_and_seal = |position: usize, chunk: &mut [u8]| -> Result<usize> {
        let index = first + position as u64;
        if end.is_before(index) {
            return Ok(0);
        }
        let offset = index
            .checked_mul(CHUNK_LEN as u64)
            .ok_or(Error::MessageTooLong)?;
        let read = read_full_at(source, &mut chunk[..CHUNK_LEN], offset)?;
        if read < CHUNK_LEN {
            end.found_at(index);
        }
        cipher.seal_chunk(index, &mut chunk[..read + TAG_LEN])?;
        Ok(read)
    };
    let lengths: Vec<Result<usize>> = if parallel {
        batch
            .buffer
            .par_chunks_mut(SEALED_CHUNK_LEN)
            .enumerate()
            .map(|(position, chunk)| read_and_seal(position, chunk))
            .collect()
    } else {
        let mut lengths = Vec::with_capacity(batch.buffer.len() / SEALED_CHUNK_LEN);
        for (position, chunk) in batch.buffer.chunks_mut(SEALED_CHUNK_LEN).enumerate() {
            let outcome = read_and_seal(position, chunk);
            let stop = !matches!(outcome, Ok(CHUNK_LEN));
            lengths.push(outcome);
            if stop {
                break;
            }
        }
        lengths
    };
    // Every chunk read is sealed at once, so only a failed batch may keep plaintext.
    if lengths.iter().any(Result::is_err) {
        batch.touch(batch.buffer.len());
    }
    batch.last = false;
    batch.used = 0;
    for outcome in lengths {
        let read = outcome?;
        if read < CHUNK_LEN {
            batch.used += read + TAG_LEN;
            batch.last = true;
            return Ok(());
        }
        batch.used += SEALED_CHUNK_LEN;
    }
    Ok(())
}

/// Encrypts everything `source` holds from offset 0 into chunks written to `writer` (after the
/// payload prefix, which the caller writes). With more than one thread, pool tasks read and
/// seal each batch while the calling thread writes the one before. Returns the plaintext
/// length.
pub(crate) fn seal_payload_at<R: ReadAt + ?Sized, W: Write>(
    cipher: &PayloadCipher,
    source: &R,
    mut writer: W,
    threads: Threads,
) -> Result<u64> {
    let mut plaintext_len = 0u64;
    let end = PayloadEnd::default();
    run_by_offsets(
        threads,
        |batch, parallel| read_and_seal_batch(cipher, source, &end, batch, parallel),
        |batch| {
            plaintext_len += batch.used as u64 - batch.chunk_count() * TAG_LEN as u64;
            writer
                .write_all(&batch.buffer[..batch.used])
                .map_err(Error::from_io)
        },
    )?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

/// Reads and opens the sealed chunks of `batch` (from `batch.first_index` on) out of `source`,
/// where chunk `i` starts at `chunks_offset + i * SEALED_CHUNK_LEN`, each chunk by the task that
/// reads it. Finality is a matter of length (SPEC.md §7): a full chunk is opened as an inner
/// chunk, a shorter one as the final chunk, and the payload ends at the first chunk that is not
/// full. A batch that ends the payload without a valid final chunk keeps its truncation in
/// `deferred`, raised once its authenticated chunks are written, as the streaming path does.
fn read_and_open_batch<R: ReadAt + ?Sized>(
    cipher: &PayloadCipher,
    source: &R,
    chunks_offset: u64,
    end: &PayloadEnd,
    batch: &mut Batch,
    parallel: bool,
) -> Result<()> {
    let first = batch.first_index;
    // Sealed chunks lie back to back in the file as in the buffer, so a run of them is one read:
    // a system call per chunk cost as much as a tenth of the decryption.
    // Fills one outcome per chunk of the run (left `Ok(0)` past the end); says whether every
    // chunk was full, so that the payload goes on after it.
    let read_and_open_run =
        |run: usize, chunks: &mut [u8], outcomes: &mut [Result<usize>]| -> bool {
            let first_index = first + (run * READ_RUN_CHUNKS) as u64;
            if end.is_before(first_index) {
                return false;
            }
            let read = first_index
                .checked_mul(SEALED_CHUNK_LEN as u64)
                .and_then(|relative| relative.checked_add(chunks_offset))
                .ok_or(Error::MessageTooLong)
                .and_then(|offset| read_full_at(source, chunks, offset));
            let read = match read {
                Ok(read) => read,
                // Reported as the run's first chunk's failure, which ends the payload there.
                Err(error) => {
                    outcomes[0] = Err(error);
                    return false;
                }
            };
            let mut full = true;
            for (k, (chunk, outcome)) in chunks
                .chunks_mut(SEALED_CHUNK_LEN)
                .zip(outcomes.iter_mut())
                .enumerate()
            {
                let index = first_index + k as u64;
                let len = read
                    .saturating_sub(k * SEALED_CHUNK_LEN)
                    .min(SEALED_CHUNK_LEN);
                if len < SEALED_CHUNK_LEN {
                    end.found_at(index);
                    full = false;
                }
                *outcome = if len >= TAG_LEN {
                    let offset = chunks_offset + payload::chunk_offset(index);
                    cipher
                        .open_chunk(index, &mut chunk[..len], offset)
                        .map(|()| len)
                } else {
                    Ok(len)
                };
                full &= outcome.is_ok();
            }
            full
        };
    let run_len = READ_RUN_CHUNKS * SEALED_CHUNK_LEN;
    let mut outcomes: Vec<Result<usize>> = (0..batch.buffer.len() / SEALED_CHUNK_LEN)
        .map(|_| Ok(0))
        .collect();
    if parallel {
        batch
            .buffer
            .par_chunks_mut(run_len)
            .zip(outcomes.par_chunks_mut(READ_RUN_CHUNKS))
            .enumerate()
            .for_each(|(run, (chunks, outcomes))| {
                read_and_open_run(run, chunks, outcomes);
            });
    } else {
        for (run, (chunks, outcomes)) in batch
            .buffer
            .chunks_mut(run_len)
            .zip(outcomes.chunks_mut(READ_RUN_CHUNKS))
            .enumerate()
        {
            if !read_and_open_run(run, chunks, outcomes) {
                break;
            }
        }
    }
    batch.touch_chunks(&outcomes);
    batch.last = false;
    batch.used = 0;
    batch.deferred = None;
    // In chunk order, so that the first failing chunk is the one reported; chunks past the end
    // were read past it (or raced a growing file) and are ignored.
    for (position, outcome) in outcomes.into_iter().enumerate() {
        let read = outcome?;
        if read < SEALED_CHUNK_LEN {
            let index = first + position as u64;
            batch.last = true;
            if read == 0 {
                batch.deferred = Some(Error::Truncated(Truncation::MissingFinalChunk { index }));
            } else if read < TAG_LEN {
                batch.deferred = Some(Error::Truncated(Truncation::FinalChunkTooShort { index }));
            } else {
                batch.used += read;
            }
            return Ok(());
        }
        batch.used += SEALED_CHUNK_LEN;
    }
    Ok(())
}

/// Decrypts the chunks `source` holds from `chunks_offset` on into `writer`, releasing only
/// authenticated chunks, in order. With more than one thread, pool tasks read and open each
/// batch while the calling thread writes the plaintext of the one before, so the copy out of
/// the file is shared out like the cryptography. Returns the plaintext length.
pub(crate) fn open_payload_at<R: ReadAt + ?Sized, W: Write>(
    cipher: &PayloadCipher,
    source: &R,
    chunks_offset: u64,
    mut writer: W,
    threads: Threads,
) -> Result<u64> {
    let mut plaintext_len = 0u64;
    let end = PayloadEnd::default();
    run_by_offsets(
        threads,
        |batch, parallel| read_and_open_batch(cipher, source, chunks_offset, &end, batch, parallel),
        |batch| {
            plaintext_len += write_plaintexts(&mut writer, &batch.buffer[..batch.used])?;
            Ok(())
        },
    )?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

/// Drives batches whose chunks `process` both reads (at offsets derived from the batch's first
/// index) and seals or opens, until a batch is the last; `drain` gets them in order, and a
/// batch's deferred error is raised after it is drained. With more than one thread, `process`
/// runs on the pool for one batch while the calling thread drains the one before.
fn run_by_offsets(
    threads: Threads,
    process: impl Fn(&mut Batch, bool) -> Result<()> + Sync,
    mut drain: impl FnMut(&Batch) -> Result<()>,
) -> Result<()> {
    if threads.get() <= 1 {
        let mut batch = Batch::new(SERIAL_BATCH_CHUNKS);
        loop {
            process(&mut batch, false)?;
            drain(&batch)?;
            if let Some(error) = batch.deferred.take() {
                return Err(error);
            }
            if batch.last {
                return Ok(());
            }
            batch.first_index += SERIAL_BATCH_CHUNKS as u64;
        }
    }
    let pool = pool(threads)?;
    // The first batch is small (1 MiB) and done before any pipeline starts: a payload that ends
    // in it needs no second thread, and the reads past its end (each position of a batch reads)
    // stay few.
    let mut first = Batch::new(SERIAL_BATCH_CHUNKS);
    process(&mut first, false)?;
    if first.last {
        drain(&first)?;
        return first.deferred.take().map_or(Ok(()), Err);
    }
    std::thread::scope(|scope| -> Result<()> {
        let (to_crypto, crypto_inbox) = std::sync::mpsc::channel::<Batch>();
        let (to_drain, drain_inbox) = std::sync::mpsc::channel::<(Batch, Result<()>)>();
        let pool = &*pool;
        let process = &process;
        scope.spawn(move || {
            for mut batch in crypto_inbox {
                let outcome = pool.install(|| process(&mut batch, true));
                if to_drain.send((batch, outcome)).is_err() {
                    break;
                }
            }
        });
        // Two batches in flight: the pool works on one while this thread drains the other.
        let mut next_index = first.capacity();
        for _ in 0..2 {
            let mut batch = Batch::new(PARALLEL_BATCH_CHUNKS);
            batch.first_index = next_index;
            next_index += batch.capacity();
            to_crypto.send(batch).map_err(|_| pipeline_stopped())?;
        }
        let mut ready = Some(first);
        loop {
            let mut batch = match ready.take() {
                Some(batch) => batch,
                None => {
                    let (batch, outcome) = drain_inbox.recv().map_err(|_| pipeline_stopped())?;
                    outcome?;
                    batch
                }
            };
            drain(&batch)?;
            if let Some(error) = batch.deferred.take() {
                return Err(error);
            }
            if batch.last {
                // The batches behind it lie past the end: dropping the sender lets the crypto
                // thread finish them and stop.
                return Ok(());
            }
            if batch.capacity() < PARALLEL_BATCH_CHUNKS as u64 {
                // The small first batch: its buffer is not the pipeline's size.
                batch = Batch::new(PARALLEL_BATCH_CHUNKS);
            }
            batch.first_index = next_index;
            next_index += batch.capacity();
            to_crypto.send(batch).map_err(|_| pipeline_stopped())?;
        }
    })
}

/// Writes the plaintext of the opened chunks in `opened` (each chunk less its tag, the chunks
/// `SEALED_CHUNK_LEN` apart) to `writer` in one vectored write where the writer supports it;
/// returns how many bytes that was.
pub(crate) fn write_plaintexts<W: Write>(writer: &mut W, opened: &[u8]) -> Result<u64> {
    let plaintexts: Vec<IoSlice<'_>> = opened
        .chunks(SEALED_CHUNK_LEN)
        .map(|chunk| IoSlice::new(&chunk[..chunk.len() - TAG_LEN]))
        .collect();
    let len = plaintexts.iter().map(|slice| slice.len() as u64).sum();
    write_all_vectored(writer, plaintexts).map_err(Error::from_io)?;
    Ok(len)
}

/// Decrypts the chunks `reader` yields (after the payload prefix) into `writer`, releasing
/// only authenticated chunks, in order. `chunks_offset` is where the first chunk sits in the
/// whole file, for error messages. Returns the plaintext length.
pub(crate) fn open_payload<R: Read, W: Write>(
    cipher: &PayloadCipher,
    mut reader: R,
    mut writer: W,
    threads: Threads,
    chunks_offset: u64,
) -> Result<u64> {
    let mut plaintext_len = 0u64;
    let mut serial_index = 0u64;
    run_pipeline(
        threads,
        |batch| {
            if threads.get() <= 1 {
                batch.first_index = serial_index;
            }
            let outcome = read_up_to(&mut reader, &mut batch.buffer);
            // A failed read may have filled part of the buffer.
            batch.touch(outcome.as_ref().map_or(batch.buffer.len(), |&read| read));
            batch.used = outcome?;
            batch.last = batch.used < batch.buffer.len();
            batch.deferred = None;
            serial_index += batch.chunk_count();
            Ok(())
        },
        |batch, parallel| {
            let first = batch.first_index;
            let full_chunks = batch.used / SEALED_CHUNK_LEN;
            let remainder = batch.used % SEALED_CHUNK_LEN;
            let mut authenticated = batch.used;
            if batch.last {
                let final_index = first + full_chunks as u64;
                if remainder == 0 {
                    batch.deferred = Some(Error::Truncated(Truncation::MissingFinalChunk {
                        index: final_index,
                    }));
                } else if remainder < TAG_LEN {
                    batch.deferred = Some(Error::Truncated(Truncation::FinalChunkTooShort {
                        index: final_index,
                    }));
                    authenticated -= remainder;
                }
            }
            for_each_chunk(
                &mut batch.buffer[..authenticated],
                parallel,
                |position, chunk| {
                    let index = first + position;
                    cipher.open_chunk(index, chunk, chunks_offset + payload::chunk_offset(index))
                },
            )?;
            batch.used = authenticated;
            Ok(())
        },
        |batch| {
            plaintext_len += write_plaintexts(&mut writer, &batch.buffer[..batch.used])?;
            Ok(())
        },
    )?;
    writer.flush().map_err(Error::from_io)?;
    Ok(plaintext_len)
}

/// The rayon pool of `threads` threads, built on first use and kept for the life of the
/// process (as rayon's global pool is), so that many small backups do not each pay for
/// starting threads.
fn pool(threads: Threads) -> Result<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&threads.get()) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .thread_name(|index| format!("e2eb-chunks-{index}"))
        .build()
        .map_err(|error| Error::Io(io::Error::other(error)))?;
    let pool = Arc::new(pool);
    pools.insert(threads.get(), Arc::clone(&pool));
    Ok(pool)
}

/// Chunks (1 MiB) below which one thread does the work: splitting fewer costs more than it
/// saves. Waking pool threads costs tens of microseconds, more on virtual machines, while one
/// thread seals 1 MiB in 0.1-0.2 ms with the fast backends: on a 2-CPU VM, two threads were 1.5-3x
/// slower than one at 128-512 KiB and broke even around 1-2 MiB.
const PARALLEL_THRESHOLD_CHUNKS: usize = 64;

/// Runs `work` on the pool of `threads` threads, or inline for one thread or `chunks` too few
/// to share out.
fn with_pool<T: Send>(
    threads: Threads,
    chunks: usize,
    work: impl FnOnce(bool) -> T + Send,
) -> Result<T> {
    if threads.get() <= 1 || chunks < PARALLEL_THRESHOLD_CHUNKS {
        return Ok(work(false));
    }
    Ok(pool(threads)?.install(|| work(true)))
}

/// Seals `plaintext` in memory into `sealed`, which must be exactly
/// [`payload::sealed_len`] bytes. Each chunk is sealed from the plaintext straight into its
/// place by one task (backends that cannot do that copy it into place first, while it is in
/// cache), so the plaintext is read from memory once.
pub(crate) fn seal_in_memory(
    cipher: &PayloadCipher,
    plaintext: &[u8],
    sealed: &mut [u8],
    threads: Threads,
) -> Result<()> {
    // Callers size `sealed` with `backup_len`, which refuses messages the format cannot hold.
    debug_assert_eq!(
        sealed.len() as u64,
        payload::sealed_len(plaintext.len() as u64)
    );
    for_each_chunk_on(threads, sealed, |index, chunk| {
        let from = index as usize * CHUNK_LEN;
        let len = chunk.len() - TAG_LEN;
        cipher.seal_chunk_from(index, &plaintext[from..from + len], chunk)
    })
}

/// [`for_each_chunk`] over the sealed chunks of a whole payload in memory, on the pool of
/// `threads` threads (inline for one thread or too few chunks to share out).
pub(crate) fn for_each_chunk_on(
    threads: Threads,
    sealed: &mut [u8],
    operation: impl Fn(u64, &mut [u8]) -> Result<()> + Sync,
) -> Result<()> {
    let operation = &operation;
    with_pool(threads, sealed.len() / SEALED_CHUNK_LEN, |parallel| {
        for_each_chunk(sealed, parallel, operation)
    })?
}

/// Turns `buffer`, which holds the plaintext, into `start` (header and payload prefix) followed
/// by the sealed chunks, in place.
///
/// Chunk `k` moves right, from `k * CHUNK_LEN` to `start.len() + k * SEALED_CHUNK_LEN`, so the
/// chunks are taken from the last to the first: a chunk's new place then covers only plaintext
/// already moved on. A chunk is sealed where it lies, so that its loads stream in from memory
/// while the cipher works (a copy first would wait on memory with nothing to overlap), and then
/// moved, while in cache, onto lines read moments before: the data crosses the memory bus once
/// each way, where sealing into a second buffer also reads every line of that buffer before
/// writing it. The first chunks of a run, whose plaintext starts below the run's own bytes, are
/// assembled in place from the run's head and then sealed.
///
/// With several threads the chunks are split into runs, a few per thread. Run `r` owns the bytes
/// from its first chunk's new place to its last chunk's end, which holds all of its plaintext
/// but a head (from its first chunk's old place to its new place) that the run before it writes
/// over; those heads are copied aside first.
pub(crate) fn seal_in_place(
    cipher: &PayloadCipher,
    buffer: &mut Vec<u8>,
    start: &[u8],
    threads: Threads,
) -> Result<()> {
    let plaintext_len = buffer.len();
    let chunks = plaintext_len / CHUNK_LEN + 1;
    let shift = start.len();
    let total = backup_len(shift, plaintext_len)?;
    buffer
        .try_reserve_exact(total - plaintext_len)
        .map_err(|_| {
            Error::Io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!(
                    "cannot grow the {plaintext_len}-byte plaintext buffer to the {total}-byte backup"
                ),
            ))
        })?;
    let runs = InPlaceRuns::new(threads, chunks, shift, total);
    // Everything that can fail comes before the buffer changes.
    let pool = if runs.count > 1 {
        Some(pool(threads)?)
    } else {
        None
    };
    buffer.resize(total, 0);
    // The plaintext each run needs from below its own bytes, taken before any run writes.
    let heads: Vec<Vec<u8>> = (0..runs.count)
        .map(|r| {
            let from = (runs.first[r] * CHUNK_LEN).min(plaintext_len);
            buffer[from..runs.owned[r].min(plaintext_len).max(from)].to_vec()
        })
        .collect();
    let seal_run = |(r, piece): (usize, &mut [u8])| -> Result<()> {
        let base = runs.owned[r];
        let head_from = runs.first[r] * CHUNK_LEN;
        for index in (runs.first[r]..runs.first[r + 1]).rev() {
            let from = index * CHUNK_LEN;
            let len = CHUNK_LEN.min(plaintext_len - from.min(plaintext_len));
            let to = shift + index * SEALED_CHUNK_LEN - base;
            if from >= base {
                // The whole plaintext lies in this run's bytes: seal it where it lies, while
                // the loads stream from memory under the cipher's work, then move the
                // ciphertext, now in cache, to its place. Moving first would read the chunk
                // from memory with nothing to overlap the wait.
                let at = from - base;
                let tag = cipher.seal_chunk_detached(index as u64, &mut piece[at..at + len])?;
                piece.copy_within(at..at + len, to);
                piece[to + len..to + len + TAG_LEN].copy_from_slice(&tag);
                continue;
            }
            // The part of the plaintext below this run's bytes comes from its head.
            let below = (base.saturating_sub(from)).min(len);
            let within = len - below;
            if within > 0 {
                let at = from + below - base;
                piece.copy_within(at..at + within, to + below);
            }
            if below > 0 {
                let at = from - head_from;
                piece[to..to + below].copy_from_slice(&heads[r][at..at + below]);
            }
            cipher.seal_chunk(index as u64, &mut piece[to..to + len + TAG_LEN])?;
        }
        Ok(())
    };
    let pieces = runs.pieces(buffer);
    match pool {
        Some(pool) => pool.install(|| pieces.into_par_iter().try_for_each(seal_run))?,
        None => pieces.into_iter().try_for_each(seal_run)?,
    }
    buffer[..shift].copy_from_slice(start);
    Ok(())
}

/// How a buffer holding `shift` bytes (header and payload prefix) and then `chunks` sealed chunks
/// is split for work in place: run `r` takes chunks `first[r]..first[r + 1]` and owns
/// `owned[r]..owned[r + 1]`, from where its first sealed chunk starts (0 for the first run) to
/// where the next run's does (the buffer's end for the last). A run's plaintext also starts
/// within its own bytes, but for its first chunks, which start lower (by the header and 16 bytes
/// per earlier chunk) and overlap the run before it.
struct InPlaceRuns {
    count: usize,
    first: Vec<usize>,
    owned: Vec<usize>,
}

impl InPlaceRuns {
    fn new(threads: Threads, chunks: usize, shift: usize, total: usize) -> InPlaceRuns {
        // A few runs per thread, so that a thread held up by the rest of the machine leaves its
        // later runs to the others; a run costs only the bytes it shares with the run before
        // it, the header plus 16 bytes per earlier chunk (under 1/1000 of the data).
        let count = if threads.get() <= 1 || chunks < PARALLEL_THRESHOLD_CHUNKS {
            1
        } else {
            (threads.get() * 4)
                .min(chunks / PARALLEL_THRESHOLD_CHUNKS)
                .max(1)
        };
        let first: Vec<usize> = (0..=count).map(|r| r * chunks / count).collect();
        let owned = (0..=count)
            .map(|r| match r {
                0 => 0,
                r if r == count => total,
                r => shift + first[r] * SEALED_CHUNK_LEN,
            })
            .collect();
        InPlaceRuns {
            count,
            first,
            owned,
        }
    }

    /// The buffer split at the runs' boundaries, each piece with its run's index.
    fn pieces<'a>(&self, buffer: &'a mut [u8]) -> Vec<(usize, &'a mut [u8])> {
        let mut pieces = Vec::with_capacity(self.count);
        let mut rest = buffer;
        for r in 0..self.count {
            let (piece, tail) = rest.split_at_mut(self.owned[r + 1] - self.owned[r]);
            pieces.push((r, piece));
            rest = tail;
        }
        pieces
    }
}

/// Turns `buffer`, which holds `shift` bytes (header and payload prefix) and then the sealed
/// chunks, into the plaintext, in place; all or nothing. Errors give chunk offsets counted
/// from the buffer's start. Chunk `k` moves left, from
/// `shift + k * SEALED_CHUNK_LEN` to `k * CHUNK_LEN`, so the chunks are taken from the first to
/// the last, and each is opened where it lies (its loads streaming in under the cipher's work)
/// and then moved, in cache, onto bytes already opened. With several threads, the plaintext of
/// a run's first chunks that lands below the run's own bytes is kept aside and copied into place
/// once every run is done. A chunk that fails to authenticate fails the whole call, the lowest
/// such chunk naming the error; `buffer` is then wiped and emptied. An impossible payload length
/// is found before anything changes.
pub(crate) fn open_in_place(
    cipher: &PayloadCipher,
    buffer: &mut Vec<u8>,
    shift: usize,
    threads: Threads,
) -> Result<()> {
    use zeroize::{Zeroize, Zeroizing};
    let total = buffer.len();
    let sealed_len = total.saturating_sub(shift);
    let plaintext_len = usize::try_from(payload::plaintext_len(sealed_len as u64)?)
        .map_err(|_| Error::MessageTooLong)?;
    let chunks = plaintext_len / CHUNK_LEN + 1;
    let runs = InPlaceRuns::new(threads, chunks, shift, total);
    let pool = if runs.count > 1 {
        Some(pool(threads)?)
    } else {
        None
    };
    // The plaintext of run r that lands below its own bytes: from its first chunk's new place
    // to its own first byte.
    let mut below_runs: Vec<Zeroizing<Vec<u8>>> = (0..runs.count)
        .map(|r| {
            let from = (runs.first[r] * CHUNK_LEN).min(plaintext_len);
            Zeroizing::new(vec![
                0u8;
                runs.owned[r].min(plaintext_len).saturating_sub(from)
            ])
        })
        .collect();
    let open_run = |((r, piece), below_run): ((usize, &mut [u8]), &mut Zeroizing<Vec<u8>>)| {
        let base = runs.owned[r];
        let below_from = runs.first[r] * CHUNK_LEN;
        for index in runs.first[r]..runs.first[r + 1] {
            let to = index * CHUNK_LEN;
            let len = CHUNK_LEN.min(plaintext_len - to.min(plaintext_len));
            let at = shift + index * SEALED_CHUNK_LEN - base;
            let offset = (shift + index * SEALED_CHUNK_LEN) as u64;
            cipher.open_chunk(index as u64, &mut piece[at..at + len + TAG_LEN], offset)?;
            let below = base.saturating_sub(to).min(len);
            if below > 0 {
                let into = to - below_from;
                below_run[into..into + below].copy_from_slice(&piece[at..at + below]);
            }
            if len > below {
                piece.copy_within(at + below..at + len, to + below - base);
            }
        }
        Ok(())
    };
    let work = runs.pieces(buffer).into_iter().zip(below_runs.iter_mut());
    let outcomes: Vec<Result<()>> = match pool {
        Some(pool) => pool.install(|| {
            work.collect::<Vec<_>>()
                .into_par_iter()
                .map(open_run)
                .collect()
        }),
        None => work.map(open_run).collect(),
    };
    // Runs are in chunk order and each stops at its first failure: the first error is the
    // lowest failing chunk's, as in a serial run.
    if let Some(error) = outcomes.into_iter().find_map(Result::err) {
        buffer.zeroize();
        return Err(error);
    }
    for (r, below_run) in below_runs.iter().enumerate() {
        let from = runs.first[r] * CHUNK_LEN;
        buffer[from..from + below_run.len()].copy_from_slice(below_run);
    }
    buffer.truncate(plaintext_len);
    Ok(())
}

/// The length of a backup in memory: `start_len` bytes (header and payload prefix) and then the
/// sealed chunks of `plaintext_len` bytes; `MessageTooLong` where the message has more chunks
/// than the format allows or the backup's length does not fit in a `usize`.
pub(crate) fn backup_len(start_len: usize, plaintext_len: usize) -> Result<usize> {
    if plaintext_len as u64 / CHUNK_LEN as u64 >= payload::MAX_CHUNKS {
        return Err(Error::MessageTooLong);
    }
    usize::try_from(payload::sealed_len(plaintext_len as u64))
        .ok()
        .and_then(|sealed_len| sealed_len.checked_add(start_len))
        .ok_or(Error::MessageTooLong)
}

/// A zeroed buffer of `prefix.len() + sealed_len(plaintext_len)` bytes starting with `prefix`.
/// `vec![0; n]` maps fresh zero pages lazily, so the pages are first touched by the parallel
/// sealing tasks rather than zeroed up front by one thread.
pub(crate) fn sealed_buffer(prefix: &[u8], plaintext_len: usize) -> Result<Vec<u8>> {
    let mut buffer = vec![0u8; backup_len(prefix.len(), plaintext_len)?];
    buffer[..prefix.len()].copy_from_slice(prefix);
    Ok(buffer)
}

/// Opens the chunks `sealed` (everything after the payload prefix) in memory: all or nothing.
pub(crate) fn open_in_memory(
    cipher: &PayloadCipher,
    sealed: &[u8],
    threads: Threads,
    chunks_offset: u64,
) -> Result<Vec<u8>> {
    let plaintext_len = usize::try_from(payload::plaintext_len(sealed.len() as u64)?)
        .map_err(|_| Error::MessageTooLong)?;
    let mut plaintext = vec![0u8; plaintext_len];
    open_in_memory_into(cipher, sealed, &mut plaintext, threads, chunks_offset)?;
    Ok(plaintext)
}

/// Opens the chunks `sealed` into `plaintext`, which must be exactly the plaintext length
/// ([`payload::plaintext_len`]); on error its contents are unspecified.
pub(crate) fn open_in_memory_into(
    cipher: &PayloadCipher,
    sealed: &[u8],
    plaintext: &mut [u8],
    threads: Threads,
    chunks_offset: u64,
) -> Result<()> {
    let plaintext_len = plaintext.len();
    debug_assert_eq!(
        payload::plaintext_len(sealed.len() as u64).ok(),
        Some(plaintext_len as u64)
    );
    with_pool(
        threads,
        plaintext_len / CHUNK_LEN,
        |parallel| -> Result<()> {
            let open = |index: usize, out: &mut [u8]| {
                let from = index * SEALED_CHUNK_LEN;
                let (body, tag) = sealed[from..from + out.len() + TAG_LEN].split_at(out.len());
                let offset = chunks_offset + payload::chunk_offset(index as u64);
                cipher.open_chunk_to(
                    index as u64,
                    body,
                    tag.try_into().expect("TAG_LEN bytes"),
                    out,
                    offset,
                )
            };
            if parallel {
                // The lowest failing chunk wins, as in a serial run.
                let failure = plaintext
                    .par_chunks_mut(CHUNK_LEN)
                    .enumerate()
                    .filter_map(|(index, out)| open(index, out).err().map(|error| (index, error)))
                    .min_by_key(|(index, _)| *index);
                if let Some((_, error)) = failure {
                    return Err(error);
                }
            } else {
                plaintext
                    .chunks_mut(CHUNK_LEN)
                    .enumerate()
                    .try_for_each(|(index, out)| open(index, out))?;
            }
            // A message of whole chunks ends with an empty chunk, which has no piece above.
            if plaintext_len.is_multiple_of(CHUNK_LEN) {
                open(plaintext_len / CHUNK_LEN, &mut [])?;
            }
            Ok(())
        },
    )?
}

/// Fills `slices` in order until they are full or the reader is at its end; returns how much
/// was read. Readers without vectored reads fill one slice per call, as plain reads would.
fn read_vectored_up_to<R: Read>(
    reader: &mut R,
    mut slices: &mut [IoSliceMut<'_>],
) -> Result<usize> {
    let mut total = 0;
    while !slices.is_empty() {
        match reader.read_vectored(slices) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                IoSliceMut::advance_slices(&mut slices, n);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(Error::from_io(error)),
        }
    }
    Ok(total)
}

/// `Write::write_all_vectored` (unstable in std): one system call for many chunks where the
/// writer supports it.
fn write_all_vectored<W: Write>(writer: &mut W, mut slices: Vec<IoSlice<'_>>) -> io::Result<()> {
    let mut remaining: &mut [IoSlice<'_>] = &mut slices;
    IoSlice::advance_slices(&mut remaining, 0);
    while !remaining.is_empty() {
        match writer.write_vectored(remaining) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ));
            }
            Ok(written) => IoSlice::advance_slices(&mut remaining, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Encrypts what is written to it, one chunk at a time, into the inner writer.
///
/// Call [`EncryptWriter::finish`] at the end: it writes the short final chunk without which the
/// message is truncated (a dropped writer leaves a backup that fails to decrypt, never one that
/// decrypts to a prefix).
pub struct EncryptWriter<W: Write> {
    cipher: PayloadCipher,
    inner: W,
    chunk: Vec<u8>,
    filled: usize,
    index: u64,
}

impl<W: Write> std::fmt::Debug for EncryptWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptWriter")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EncryptWriter<W> {
    /// Wraps `inner`, which has already received everything before the first chunk.
    pub(crate) fn new(cipher: PayloadCipher, inner: W) -> EncryptWriter<W> {
        EncryptWriter {
            cipher,
            inner,
            chunk: vec![0; SEALED_CHUNK_LEN],
            filled: 0,
            index: 0,
        }
    }

    fn emit_chunk(&mut self) -> Result<()> {
        let sealed = &mut self.chunk[..self.filled + TAG_LEN];
        self.cipher.seal_chunk(self.index, sealed)?;
        self.inner.write_all(sealed).map_err(Error::from_io)?;
        self.index += 1;
        self.filled = 0;
        Ok(())
    }

    /// Writes the final chunk, flushes, and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.emit_chunk()?;
        self.inner.flush().map_err(Error::from_io)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let taken = data.len().min(CHUNK_LEN - self.filled);
        self.chunk[self.filled..self.filled + taken].copy_from_slice(&data[..taken]);
        self.filled += taken;
        // A full chunk is never the final one (the final chunk is always short), so it can go
        // out at once.
        if self.filled == CHUNK_LEN {
            self.emit_chunk().map_err(Error::into_io)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a payload as it is read, one chunk at a time; only authenticated plaintext comes
/// out. After an error every further read fails again.
pub struct DecryptReader<R: Read> {
    cipher: PayloadCipher,
    inner: R,
    chunk: Vec<u8>,
    start: usize,
    end: usize,
    index: u64,
    chunks_offset: u64,
    state: ReaderState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderState {
    Reading,
    Finished,
    Failed,
}

impl<R: Read> std::fmt::Debug for DecryptReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptReader")
            .field("index", &self.index)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<R: Read> DecryptReader<R> {
    /// Wraps `inner`, positioned at the first chunk, which sits at `chunks_offset` in the file.
    pub(crate) fn new(cipher: PayloadCipher, inner: R, chunks_offset: u64) -> DecryptReader<R> {
        DecryptReader {
            cipher,
            inner,
            chunk: vec![0; SEALED_CHUNK_LEN],
            start: 0,
            end: 0,
            index: 0,
            chunks_offset,
            state: ReaderState::Reading,
        }
    }

    fn next_chunk(&mut self) -> Result<()> {
        let read = read_up_to(&mut self.inner, &mut self.chunk)?;
        let index = self.index;
        if read < SEALED_CHUNK_LEN {
            if read == 0 {
                return Err(Error::Truncated(Truncation::MissingFinalChunk { index }));
            }
            if read < TAG_LEN {
                return Err(Error::Truncated(Truncation::FinalChunkTooShort { index }));
            }
            self.state = ReaderState::Finished;
        }
        let offset = self.chunks_offset + payload::chunk_offset(index);
        self.cipher
            .open_chunk(index, &mut self.chunk[..read], offset)?;
        self.start = 0;
        self.end = read - TAG_LEN;
        self.index += 1;
        Ok(())
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.start < self.end || out.is_empty() {
                let n = out.len().min(self.end - self.start);
                out[..n].copy_from_slice(&self.chunk[self.start..self.start + n]);
                self.start += n;
                return Ok(n);
            }
            match self.state {
                ReaderState::Finished => return Ok(0),
                ReaderState::Failed => {
                    return Err(io::Error::other(
                        "the backup failed to decrypt earlier; no more plaintext follows",
                    ));
                }
                ReaderState::Reading => {
                    if let Err(error) = self.next_chunk() {
                        self.state = ReaderState::Failed;
                        self.start = 0;
                        self.end = 0;
                        return Err(error.into_io());
                    }
                }
            }
        }
    }
}

/// Random-access decryption: reads any range of the plaintext, opening only the chunks it
/// covers. The message length is authenticated at construction by opening the final chunk,
/// so seeking from the end is safe.
pub struct SeekableDecryptReader<R: Read + Seek> {
    cipher: PayloadCipher,
    inner: R,
    chunks_offset: u64,
    plaintext_len: u64,
    position: u64,
    chunk: Vec<u8>,
    cached: Option<(u64, usize)>,
}

impl<R: Read + Seek> std::fmt::Debug for SeekableDecryptReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeekableDecryptReader")
            .field("plaintext_len", &self.plaintext_len)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl<R: Read + Seek> SeekableDecryptReader<R> {
    /// Wraps `inner`, whose first chunk sits at `chunks_offset`; checks the length and opens
    /// the final chunk.
    pub(crate) fn new(
        cipher: PayloadCipher,
        mut inner: R,
        chunks_offset: u64,
    ) -> Result<SeekableDecryptReader<R>> {
        let total = inner.seek(SeekFrom::End(0)).map_err(Error::from_io)?;
        let sealed_len = total
            .checked_sub(chunks_offset)
            .ok_or(Error::Truncated(Truncation::PayloadPrefix))?;
        let plaintext_len = payload::plaintext_len(sealed_len)?;
        let mut reader = SeekableDecryptReader {
            cipher,
            inner,
            chunks_offset,
            plaintext_len,
            position: 0,
            chunk: vec![0; SEALED_CHUNK_LEN],
            cached: None,
        };
        reader.load(plaintext_len / CHUNK_LEN as u64)?;
        Ok(reader)
    }

    /// The authenticated plaintext length.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    fn load(&mut self, index: u64) -> Result<()> {
        if self.cached.is_some_and(|(cached, _)| cached == index) {
            return Ok(());
        }
        self.cached = None;
        let final_index = self.plaintext_len / CHUNK_LEN as u64;
        let sealed_len = if index == final_index {
            (self.plaintext_len % CHUNK_LEN as u64) as usize + TAG_LEN
        } else {
            SEALED_CHUNK_LEN
        };
        let offset = self.chunks_offset + payload::chunk_offset(index);
        self.inner
            .seek(SeekFrom::Start(offset))
            .map_err(Error::from_io)?;
        if read_up_to(&mut self.inner, &mut self.chunk[..sealed_len])? < sealed_len {
            // The file shrank after its length was checked.
            return Err(Error::Truncated(Truncation::FinalChunkTooShort { index }));
        }
        self.cipher
            .open_chunk(index, &mut self.chunk[..sealed_len], offset)?;
        self.cached = Some((index, sealed_len - TAG_LEN));
        Ok(())
    }
}

impl<R: Read + Seek> Read for SeekableDecryptReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.plaintext_len || out.is_empty() {
            return Ok(0);
        }
        let index = self.position / CHUNK_LEN as u64;
        self.load(index).map_err(Error::into_io)?;
        let (_, len) = self.cached.expect("just loaded");
        let within = (self.position % CHUNK_LEN as u64) as usize;
        let n = out.len().min(len - within);
        out[..n].copy_from_slice(&self.chunk[within..within + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekableDecryptReader<R> {
    fn seek(&mut self, target: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match target {
            SeekFrom::Start(position) => (position, 0),
            SeekFrom::End(delta) => (self.plaintext_len, delta),
            SeekFrom::Current(delta) => (self.position, delta),
        };
        let position = base.checked_add_signed(delta).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the plaintext",
            )
        })?;
        self.position = position;
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_buffers_kept_for_later_calls_come_back_wiped() {
        // A size no pipeline uses, so that only this test takes such buffers.
        let len = 7 * SEALED_CHUNK_LEN;
        let mut batch = Batch {
            buffer: spare_buffers::take(len),
            first_index: 0,
            used: 0,
            last: false,
            deferred: None,
            dirty: 0,
        };
        batch.buffer[..3 * SEALED_CHUNK_LEN + 5].fill(0xaa);
        batch.touch_chunks(&[Ok(3), Ok(0), Ok(0)]);
        assert_eq!(batch.dirty, 3, "chunks that read nothing hold nothing");
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
