//! What every door leaves behind when its reader or its writer fails: the error comes back, no
//! plaintext reaches the sink of an encryption, only an authenticated prefix of the plaintext
//! reaches the sink of a decryption, the adapters stay failed, and the source is read no further
//! than the work already in flight. Short reads and short writes change no byte of any output.
//!
//! The plaintexts here are "marked": 16-byte blocks, each a marker and the block's index. Every
//! 32-byte window of such a plaintext holds a whole block, so its marker: a sink in which the
//! marker appears nowhere holds no 32-byte window of the plaintext.

mod common;

use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use e2eb::payload::{CHUNK_LEN, PREFIX_LEN, SEALED_CHUNK_LEN};
use e2eb::{Backend, Error, Header, ReadAt, Suite};

const MIB: usize = 1 << 20;
const MARKER: [u8; 8] = *b"PLAINTXT";
const SOURCE_FAILED: &str = "the source failed";
const SINK_FAILED: &str = "the sink failed";
/// The chunks in flight are read at most this far past the point where a call failed: the
/// ring of runs, 128 KiB for each of its slots (4 per thread, at least 16: 3.5 MiB on the 7
/// threads these tests use at most), with room to spare.
const READ_AHEAD_BOUND: u64 = 8 << 20;

/// Byte `offset` of the marked plaintext.
fn marked_byte(offset: u64) -> u8 {
    let within = (offset % 16) as usize;
    if within < MARKER.len() {
        MARKER[within]
    } else {
        (offset / 16).to_be_bytes()[within - MARKER.len()]
    }
}

fn marked_plaintext(len: usize) -> Vec<u8> {
    (0..len as u64).map(marked_byte).collect()
}

/// Whether `bytes` hold the marker anywhere, hence possibly a window of a marked plaintext.
fn holds_plaintext(bytes: &[u8]) -> bool {
    bytes.windows(MARKER.len()).any(|window| window == MARKER)
}

fn rk() -> e2eb::Secret {
    secret_for(SlotChoice::RecoveryKey)
}

/// A recovery-key encryptor with fixed randomness (so the same backup every time).
fn rk_encryptor(suite: Suite, threads: usize) -> e2eb::Encryptor {
    encryptor(suite, &[SlotChoice::RecoveryKey], threads)
}

/// Where the first chunk of `backup` sits.
fn chunks_offset(backup: &[u8]) -> usize {
    Header::parse(backup).unwrap().1 + PREFIX_LEN
}

/// Whether `outcome` failed with the source's injected error.
fn is_source_failure<T>(outcome: &e2eb::Result<T>) -> bool {
    matches!(outcome, Err(Error::Io(error)) if error.to_string() == SOURCE_FAILED)
}

/// Whether `outcome` failed with the sink's injected error, of `kind`.
fn is_sink_failure<T>(outcome: &e2eb::Result<T>, kind: io::ErrorKind) -> bool {
    matches!(outcome, Err(Error::Io(error))
        if error.kind() == kind && error.to_string() == SINK_FAILED)
}

/// Whether an error that came through `Read` is the source's injected error.
fn is_source_io_failure(error: io::Error) -> bool {
    is_source_failure::<()>(&Err(Error::from_io(error)))
}

fn is_earlier_failure(error: io::Error) -> bool {
    matches!(Error::from_io(error), Error::EarlierFailure)
}

/// How many bytes a source hands out per call.
enum Step {
    /// As many as asked.
    Whole,
    /// At most this many.
    AtMost(usize),
    /// A pseudo-random count from 1 to 2000, drawn per call from this state.
    Random(Mutex<u64>),
}

/// A source of bytes read in order ([`Read`]) or at offsets ([`ReadAt`]), that may hand out
/// few bytes a call and fail once, on the call that would hand out byte `fail_at`, and recover
/// after. It counts its calls, those after its failure, and the furthest byte it handed out.
struct Source {
    bytes: Option<Vec<u8>>,
    /// The length of the marked plaintext it holds when `bytes` is `None`.
    len: u64,
    /// Where a `Read` is.
    position: u64,
    step: Step,
    fail_at: Option<u64>,
    failed: AtomicBool,
    calls: AtomicU64,
    calls_after_failure: AtomicU64,
    furthest: Arc<AtomicU64>,
}

impl Source {
    /// `len` bytes of the marked plaintext, made as they are read.
    fn marked(len: usize) -> Source {
        Source::new(None, len as u64)
    }

    fn bytes(bytes: &[u8]) -> Source {
        Source::new(Some(bytes.to_vec()), bytes.len() as u64)
    }

    fn new(bytes: Option<Vec<u8>>, len: u64) -> Source {
        Source {
            bytes,
            len,
            position: 0,
            step: Step::Whole,
            fail_at: None,
            failed: AtomicBool::new(false),
            calls: AtomicU64::new(0),
            calls_after_failure: AtomicU64::new(0),
            furthest: Arc::new(AtomicU64::new(0)),
        }
    }

    fn failing_once_at(mut self, offset: usize) -> Source {
        self.fail_at = Some(offset as u64);
        self
    }

    fn step(mut self, step: Step) -> Source {
        self.step = step;
        self
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    fn calls_after_failure(&self) -> u64 {
        self.calls_after_failure.load(Ordering::SeqCst)
    }

    fn furthest(&self) -> u64 {
        self.furthest.load(Ordering::SeqCst)
    }

    fn serve(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failed() {
            self.calls_after_failure.fetch_add(1, Ordering::SeqCst);
        }
        if offset >= self.len || buffer.is_empty() {
            return Ok(0);
        }
        let step = match &self.step {
            Step::Whole => usize::MAX,
            Step::AtMost(most) => *most,
            Step::Random(state) => {
                let mut state = state.lock().unwrap();
                // xorshift64
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                (*state % 2000) as usize + 1
            }
        };
        let n = buffer
            .len()
            .min(step)
            .min(usize::try_from(self.len - offset).unwrap_or(usize::MAX));
        if let Some(at) = self.fail_at
            && (offset..offset + n as u64).contains(&at)
            && !self.failed.swap(true, Ordering::SeqCst)
        {
            return Err(io::Error::other(SOURCE_FAILED));
        }
        match &self.bytes {
            Some(bytes) => {
                let from = offset as usize;
                buffer[..n].copy_from_slice(&bytes[from..from + n]);
            }
            None => {
                for (i, byte) in buffer[..n].iter_mut().enumerate() {
                    *byte = marked_byte(offset + i as u64);
                }
            }
        }
        self.furthest.fetch_max(offset + n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

impl Read for Source {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.serve(buffer, self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl ReadAt for Source {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        self.serve(buffer, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.len)
    }
}

/// A sink that keeps what it accepts, at most `max_per_write` bytes a call (a vectored write
/// takes part of its first slice only), and may fail once, with `fail_kind`, on the first call
/// once it holds `fail_at` bytes (a write across that point is cut short there), then accept
/// again. It counts the calls made after its failure.
struct Sink {
    data: Vec<u8>,
    max_per_write: usize,
    fail_at: Option<usize>,
    fail_kind: io::ErrorKind,
    /// How much it held when it failed.
    failed_at: Option<usize>,
    calls_after_failure: usize,
    /// A source's furthest byte, noted when the sink fails.
    watch: Option<Arc<AtomicU64>>,
    source_at_failure: u64,
}

impl Sink {
    fn new() -> Sink {
        Sink {
            data: Vec::new(),
            max_per_write: usize::MAX,
            fail_at: None,
            fail_kind: io::ErrorKind::Other,
            failed_at: None,
            calls_after_failure: 0,
            watch: None,
            source_at_failure: 0,
        }
    }

    fn failing_once_at(at: usize, kind: io::ErrorKind) -> Sink {
        Sink {
            fail_at: Some(at),
            fail_kind: kind,
            ..Sink::new()
        }
    }

    fn short_writes(max_per_write: usize) -> Sink {
        Sink {
            max_per_write,
            ..Sink::new()
        }
    }

    fn watching(mut self, source: &Source) -> Sink {
        self.watch = Some(Arc::clone(&source.furthest));
        self
    }
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed_at.is_some() {
            self.calls_after_failure += 1;
        }
        if data.is_empty() {
            return Ok(0);
        }
        let mut n = data.len().min(self.max_per_write);
        if let (Some(at), None) = (self.fail_at, self.failed_at) {
            let room = at.saturating_sub(self.data.len());
            if room == 0 {
                self.failed_at = Some(self.data.len());
                if let Some(watch) = &self.watch {
                    self.source_at_failure = watch.load(Ordering::SeqCst);
                }
                return Err(io::Error::new(self.fail_kind, SINK_FAILED));
            }
            n = n.min(room);
        }
        self.data.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        let first = slices.iter().find(|slice| !slice.is_empty());
        self.write(first.map_or(&[][..], |slice| &slice[..]))
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed_at.is_some() {
            self.calls_after_failure += 1;
        }
        Ok(())
    }
}

#[test]
fn the_marker_is_in_every_window_of_a_marked_plaintext() {
    let plaintext = marked_plaintext(1000);
    for start in 0..plaintext.len() - 32 {
        assert!(holds_plaintext(&plaintext[start..start + 32]), "{start}");
    }
    let mut source = Source::marked(1000);
    let mut read = Vec::new();
    source.read_to_end(&mut read).unwrap();
    assert_eq!(read, plaintext);
    assert!(!holds_plaintext(&common::backup(Suite::Aes256Gcm, 0)));
}

/// The regression test for a plaintext leak of the old `EncryptWriter`: when its sink failed
/// once on chunk 0, it kept the sealed chunk as if it were still to be sent, and the caller's
/// retry (or `finish`) sealed the same bytes again under the same key and nonce, which undid
/// the keystream: the sink then received the chunk's plaintext, and `finish` returned a backup
/// with no final chunk. Now a failed `write` takes none of its bytes and poisons the writer:
/// every later `write`, `flush` and `finish` fails with `EarlierFailure`, nothing more reaches
/// the sink, and the sink holds only the reference backup's leading bytes.
#[test]
fn a_writer_whose_sink_failed_once_leaks_nothing_and_stays_failed() {
    let plaintext = marked_plaintext(40_000);
    for suite in Suite::ALL {
        for &backend in Backend::compiled() {
            let reference = rk_encryptor(suite, 1)
                .backend(backend)
                .encrypt_to_vec(&plaintext)
                .unwrap();
            let chunks = chunks_offset(&reference);
            // At chunk 0's first byte, inside chunk 0, inside chunk 1, inside the final chunk
            // (which `finish` writes).
            let failure_points = [
                chunks,
                chunks + 5000,
                chunks + SEALED_CHUNK_LEN + 7,
                reference.len() - 10,
            ];
            for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
                for fail_at in failure_points {
                    for retry in [true, false] {
                        let context =
                            format!("{suite} {backend}, {kind:?} at byte {fail_at}, retry {retry}");
                        let mut sink = Sink::failing_once_at(fail_at, kind);
                        let mut writer = rk_encryptor(suite, 1)
                            .backend(backend)
                            .writer(&mut sink)
                            .unwrap();
                        let mut accepted = 0;
                        let mut failure = None;
                        while accepted < plaintext.len() {
                            match writer.write(&plaintext[accepted..]) {
                                Ok(n) => {
                                    assert!(n > 0, "{context}");
                                    accepted += n;
                                }
                                Err(error) => {
                                    failure = Some(error);
                                    break;
                                }
                            }
                        }
                        let finished = match failure {
                            Some(error) => {
                                assert_eq!(error.kind(), kind, "{context}: {error}");
                                if retry {
                                    let again = writer.write(&plaintext[accepted..]);
                                    assert!(
                                        is_earlier_failure(again.expect_err(&context)),
                                        "{context}: the retried write"
                                    );
                                    let again = writer.write_all(&plaintext[accepted..]);
                                    assert!(
                                        is_earlier_failure(again.expect_err(&context)),
                                        "{context}: write_all"
                                    );
                                    let again = writer.write(&[]);
                                    assert!(
                                        is_earlier_failure(again.expect_err(&context)),
                                        "{context}: an empty write"
                                    );
                                    let again = writer.flush();
                                    assert!(
                                        is_earlier_failure(again.expect_err(&context)),
                                        "{context}: flush"
                                    );
                                }
                                let finished = writer.finish().map(|_| ());
                                assert!(
                                    matches!(finished, Err(Error::EarlierFailure)),
                                    "{context}: finish after a failed write: {finished:?}"
                                );
                                finished
                            }
                            None => {
                                // Every write went through: the sink fails in `finish`.
                                let finished = writer.finish().map(|_| ());
                                assert!(
                                    is_sink_failure(&finished, kind),
                                    "{context}: {finished:?}"
                                );
                                finished
                            }
                        };
                        assert!(finished.is_err());
                        assert!(
                            !holds_plaintext(&sink.data),
                            "{context}: plaintext reached the sink"
                        );
                        assert!(
                            reference.starts_with(&sink.data),
                            "{context}: the sink holds bytes the backup does not"
                        );
                        assert_eq!(
                            Some(sink.data.len()),
                            sink.failed_at,
                            "{context}: bytes reached the sink after it failed"
                        );
                        assert_eq!(sink.calls_after_failure, 0, "{context}");
                        // A write that failed took none of its bytes: the sink holds at most the
                        // sealed chunks of the bytes accepted before it (a chunk goes out only
                        // once more bytes arrive, the last one in `finish`).
                        let bound = if accepted == plaintext.len() {
                            reference.len()
                        } else {
                            chunks + accepted / CHUNK_LEN * SEALED_CHUNK_LEN
                        };
                        assert!(
                            sink.data.len() <= bound,
                            "{context}: {} bytes out for {accepted} accepted",
                            sink.data.len()
                        );
                        assert!(
                            decryptor(rk(), 1).decrypt_to_vec(&sink.data).is_err(),
                            "{context}: an incomplete backup decrypts"
                        );
                    }
                }
            }

            // An interruption is retried where it happens, and changes nothing.
            let mut sink = Sink::failing_once_at(chunks + 5000, io::ErrorKind::Interrupted);
            let mut writer = rk_encryptor(suite, 1)
                .backend(backend)
                .writer(&mut sink)
                .unwrap();
            writer.write_all(&plaintext).unwrap();
            writer.finish().unwrap();
            assert!(sink.data == reference, "{suite} {backend}: interrupted");
        }
    }
}

/// `encrypt` (a stream) and `encrypt_file` (read at offsets) on a source that fails once, a
/// few batches in: the source's error comes back, the sink holds only the reference backup's
/// leading bytes (no plaintext, nothing of the batch that failed), the stream is not read again
/// after its failing read, and a source read at offsets is read at most a few batches further.
#[test]
fn encrypting_stops_at_a_source_error_and_leaks_nothing() {
    let len = 32 * MIB + 5;
    let fail_at = 9 * MIB + 12_345;
    let reference = rk_encryptor(Suite::Aes256Gcm, 1)
        .encrypt_to_vec(&marked_plaintext(len))
        .unwrap();
    let chunks = chunks_offset(&reference);
    let sealed_before_failure = chunks + fail_at / CHUNK_LEN * SEALED_CHUNK_LEN;
    for threads in [1, 2, 7] {
        for at_offsets in [false, true] {
            let context = format!("{threads} thread(s), at offsets {at_offsets}");
            let mut source = Source::marked(len).failing_once_at(fail_at);
            let mut sink = Sink::new();
            let outcome = if at_offsets {
                rk_encryptor(Suite::Aes256Gcm, threads).encrypt_file(&source, &mut sink)
            } else {
                rk_encryptor(Suite::Aes256Gcm, threads).encrypt(&mut source, &mut sink)
            };
            assert!(is_source_failure(&outcome), "{context}: {outcome:?}");
            assert!(source.failed(), "{context}");
            assert!(!holds_plaintext(&sink.data), "{context}: plaintext leaked");
            assert!(reference.starts_with(&sink.data), "{context}");
            assert!(
                sink.data.len() <= sealed_before_failure,
                "{context}: chunks from the failed read went out"
            );
            if at_offsets {
                assert!(
                    source.furthest() < (fail_at as u64) + READ_AHEAD_BOUND,
                    "{context}: read up to {} after a failure at {fail_at}",
                    source.furthest()
                );
            } else {
                assert_eq!(
                    source.calls_after_failure(),
                    0,
                    "{context}: the stream was read after its failing read"
                );
            }
        }
    }
}

/// `encrypt` and `encrypt_file` into a sink that fails once: the sink's error comes back, the
/// sink holds only the reference backup's leading bytes, nothing is written after the failure,
/// and the source is read at most a few batches past what had been read when the sink failed.
/// A sink that fails on the header stops the call before the source is read at all.
#[test]
fn encrypting_stops_at_a_sink_error_and_leaks_nothing() {
    let len = 32 * MIB + 5;
    let reference = rk_encryptor(Suite::ChaCha20Poly1305, 1)
        .encrypt_to_vec(&marked_plaintext(len))
        .unwrap();
    let kind = io::ErrorKind::TimedOut;
    for threads in [1, 2, 7] {
        for at_offsets in [false, true] {
            for fail_at in [10, 6 * MIB + 777] {
                let context =
                    format!("{threads} thread(s), at offsets {at_offsets}, failing at {fail_at}");
                let mut source = Source::marked(len);
                let mut sink = Sink::failing_once_at(fail_at, kind).watching(&source);
                let mut encryptor = rk_encryptor(Suite::ChaCha20Poly1305, threads);
                let outcome = if at_offsets {
                    encryptor.encrypt_file(&source, &mut sink)
                } else {
                    encryptor.encrypt(&mut source, &mut sink)
                };
                assert!(is_sink_failure(&outcome, kind), "{context}: {outcome:?}");
                assert!(!holds_plaintext(&sink.data), "{context}: plaintext leaked");
                assert!(reference.starts_with(&sink.data), "{context}");
                assert_eq!(sink.failed_at, Some(fail_at), "{context}");
                assert_eq!(
                    sink.calls_after_failure, 0,
                    "{context}: written after failing"
                );
                if fail_at < chunks_offset(&reference) {
                    assert_eq!(source.calls.load(Ordering::SeqCst), 0, "{context}");
                }
                assert!(
                    source.furthest() < sink.source_at_failure + READ_AHEAD_BOUND,
                    "{context}: read up to {} after the sink failed with {} read",
                    source.furthest(),
                    sink.source_at_failure
                );
            }
        }
    }
}

/// The two ways to unlock a backup read from a [`Source`].
#[derive(Clone, Copy, Debug)]
enum Door {
    /// `unlock`: read in order.
    InOrder,
    /// `unlock_file`: read at offsets.
    AtOffsets,
}

const DOORS: [Door; 2] = [Door::InOrder, Door::AtOffsets];

fn decrypt_to(
    door: Door,
    threads: usize,
    source: &mut Source,
    sink: &mut Sink,
) -> e2eb::Result<u64> {
    let decryptor = decryptor(rk(), threads);
    match door {
        Door::InOrder => decryptor.unlock(source)?.decrypt_to(sink),
        Door::AtOffsets => decryptor.unlock_file(&*source)?.decrypt_to(sink),
    }
}

/// A marked plaintext of several batches and its backup.
fn large_backup() -> (Vec<u8>, Vec<u8>) {
    let plaintext = marked_plaintext(20 * MIB + 3);
    let backup = rk_encryptor(Suite::Aes256Gcm, 2)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    (plaintext, backup)
}

/// `decrypt_to`, after both ways to unlock, into a sink that fails once: the sink's error comes
/// back, the sink holds a prefix of the plaintext, and nothing is written after the failure.
#[test]
fn decrypting_stops_at_a_sink_error_with_a_prefix_of_the_plaintext() {
    let (plaintext, backup) = large_backup();
    let kind = io::ErrorKind::WouldBlock;
    for threads in [1, 2, 7] {
        for door in DOORS {
            for fail_at in [1000, 7 * MIB + 1234] {
                let context = format!("{door:?} {threads} thread(s), failing at {fail_at}");
                let mut source = Source::bytes(&backup);
                let mut sink = Sink::failing_once_at(fail_at, kind);
                let outcome = decrypt_to(door, threads, &mut source, &mut sink);
                assert!(is_sink_failure(&outcome, kind), "{context}: {outcome:?}");
                assert!(plaintext.starts_with(&sink.data), "{context}");
                assert_eq!(sink.failed_at, Some(fail_at), "{context}");
                assert_eq!(
                    sink.calls_after_failure, 0,
                    "{context}: written after failing"
                );
            }
        }
    }
}

/// `decrypt_to`, after both ways to unlock, from a source that fails once a few batches in:
/// the source's error comes back and the sink holds a prefix of the plaintext that ends before
/// the chunk that could not be read; a stream is not read again after its failing read.
#[test]
fn decrypting_stops_at_a_source_error_with_a_prefix_of_the_plaintext() {
    let (plaintext, backup) = large_backup();
    let chunks = chunks_offset(&backup);
    let fail_at = chunks + 9 * MIB + 4321;
    let failing_chunk = (fail_at - chunks) / SEALED_CHUNK_LEN;
    for threads in [1, 2, 7] {
        for door in DOORS {
            let context = format!("{door:?} {threads} thread(s)");
            let mut source = Source::bytes(&backup).failing_once_at(fail_at);
            let mut sink = Sink::new();
            let outcome = decrypt_to(door, threads, &mut source, &mut sink);
            assert!(is_source_failure(&outcome), "{context}: {outcome:?}");
            assert!(plaintext.starts_with(&sink.data), "{context}");
            assert!(
                sink.data.len() <= failing_chunk * CHUNK_LEN,
                "{context}: {} bytes released",
                sink.data.len()
            );
            if let Door::InOrder = door {
                assert_eq!(source.calls_after_failure(), 0, "{context}");
            } else {
                assert!(source.furthest() < (fail_at as u64) + READ_AHEAD_BOUND);
            }
        }
    }
}

/// `decrypt_to`, after both ways to unlock, on a backup with a damaged chunk (in the first
/// batch, or several batches in): the chunk is named, and only whole chunks of plaintext from
/// before it reached the sink.
#[test]
fn decrypting_releases_nothing_from_a_damaged_chunk_on() {
    let (plaintext, backup) = large_backup();
    let chunks = chunks_offset(&backup);
    for damaged_chunk in [3, 500] {
        let mut damaged = backup.clone();
        damaged[chunks + damaged_chunk * SEALED_CHUNK_LEN + 99] ^= 0x20;
        for threads in [1, 2, 7] {
            for door in DOORS {
                let context = format!("{door:?} {threads} thread(s), chunk {damaged_chunk}");
                let mut source = Source::bytes(&damaged);
                let mut sink = Sink::new();
                let outcome = decrypt_to(door, threads, &mut source, &mut sink);
                assert!(
                    matches!(outcome, Err(Error::ChunkCorrupt { index, .. }) if index == damaged_chunk as u64),
                    "{context}: {outcome:?}"
                );
                assert!(plaintext.starts_with(&sink.data), "{context}");
                assert!(
                    sink.data.len() <= damaged_chunk * CHUNK_LEN
                        && sink.data.len().is_multiple_of(CHUNK_LEN),
                    "{context}: {} bytes released",
                    sink.data.len()
                );
            }
        }
    }
}

/// A reader (of either door) over `source`.
fn reader<'a>(door: Door, source: &'a mut Source) -> Box<dyn ReadSeek + 'a> {
    let decryptor = decryptor(rk(), 1);
    match door {
        Door::InOrder => Box::new(NoSeek(decryptor.unlock(source).unwrap().into_reader())),
        Door::AtOffsets => Box::new(decryptor.unlock_file(&*source).unwrap().into_reader()),
    }
}

/// A reader, and a seek where it has one.
trait ReadSeek: Read {
    fn seek_if_able(&mut self, target: SeekFrom) -> Option<io::Result<u64>>;
}

impl<R: ReadAt> ReadSeek for e2eb::DecryptReader<e2eb::source::AtOffsets<R>> {
    fn seek_if_able(&mut self, target: SeekFrom) -> Option<io::Result<u64>> {
        Some(self.seek(target))
    }
}

/// A reader without `Seek`.
struct NoSeek<R>(R);

impl<R: Read> Read for NoSeek<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.0.read(buffer)
    }
}

impl<R: Read> ReadSeek for NoSeek<R> {
    fn seek_if_able(&mut self, _: SeekFrom) -> Option<io::Result<u64>> {
        None
    }
}

/// Reads 5000 bytes at a time until a read fails; returns what came out and the error.
fn read_until_error(reader: &mut dyn ReadSeek) -> (Vec<u8>, io::Error) {
    let mut out = Vec::new();
    let mut buffer = [0u8; 5000];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => panic!("the reader ended without an error"),
            Ok(n) => out.extend_from_slice(&buffer[..n]),
            Err(error) => return (out, error),
        }
    }
}

/// After a failure every read fails with `EarlierFailure`, and so does every seek.
fn assert_stays_failed(reader: &mut dyn ReadSeek, context: &str) {
    for _ in 0..3 {
        let error = reader.read(&mut [0; 100]).expect_err(context);
        assert!(is_earlier_failure(error), "{context}: a later read");
    }
    for target in [SeekFrom::Start(0), SeekFrom::End(0), SeekFrom::Current(0)] {
        if let Some(outcome) = reader.seek_if_able(target) {
            let error = outcome.expect_err(context);
            assert!(is_earlier_failure(error), "{context}: a seek");
        }
    }
}

/// A reader (of either door) whose source fails once in chunk 7: the chunks before it read
/// whole, the read that reaches it fails with the source's error, and every later read or seek
/// fails with `EarlierFailure` although the source would now serve it (the reader does not
/// even ask). A reader at offsets whose source fails in the first seek stays failed too.
#[test]
fn a_reader_stays_failed_after_a_source_error() {
    let plaintext = marked_plaintext(20 * CHUNK_LEN + 77);
    let backup = rk_encryptor(Suite::ChaCha20Poly1305, 1)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    let chunks = chunks_offset(&backup);
    for door in DOORS {
        let context = format!("{door:?}");
        let mut source =
            Source::bytes(&backup).failing_once_at(chunks + 7 * SEALED_CHUNK_LEN + 100);
        {
            let mut reader = reader(door, &mut source);
            let (out, error) = read_until_error(&mut *reader);
            assert!(
                out == plaintext[..7 * CHUNK_LEN],
                "{context}: {} bytes",
                out.len()
            );
            assert!(is_source_io_failure(error), "{context}");
            assert_stays_failed(&mut *reader, &context);
        }
        assert!(source.failed());
        assert_eq!(source.calls_after_failure(), 0, "{context}");
    }

    let mut source = Source::bytes(&backup).failing_once_at(backup.len() - 5);
    let mut reader = reader(Door::AtOffsets, &mut source);
    let error = reader
        .seek_if_able(SeekFrom::Start(CHUNK_LEN as u64))
        .unwrap()
        .expect_err("the final chunk could not be read");
    assert!(is_source_io_failure(error));
    assert_stays_failed(&mut *reader, "a failed first seek");
}

/// A reader (of either door) over a backup whose chunk 7 is damaged: reads return the chunks
/// before it whole, the read that reaches it fails naming it, and every later read or seek
/// fails. A reader at offsets may seek past the damaged chunk and read on, until it reads the
/// damaged chunk.
#[test]
fn a_reader_stops_at_a_damaged_chunk_and_stays_failed() {
    let plaintext = marked_plaintext(20 * CHUNK_LEN + 77);
    let mut backup = rk_encryptor(Suite::Aes256Gcm, 1)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    let chunks = chunks_offset(&backup);
    backup[chunks + 7 * SEALED_CHUNK_LEN + 16_390] ^= 1;
    let names_chunk_7 =
        |error: io::Error| matches!(Error::from_io(error), Error::ChunkCorrupt { index: 7, .. });
    for door in DOORS {
        let context = format!("{door:?}");
        let mut source = Source::bytes(&backup);
        let mut reader = reader(door, &mut source);
        let (out, error) = read_until_error(&mut *reader);
        assert!(
            out == plaintext[..7 * CHUNK_LEN],
            "{context}: {} bytes",
            out.len()
        );
        assert!(names_chunk_7(error), "{context}");
        assert_stays_failed(&mut *reader, &context);
    }

    let mut source = Source::bytes(&backup);
    let mut reader = reader(Door::AtOffsets, &mut source);
    let start = 9 * CHUNK_LEN + 5;
    reader
        .seek_if_able(SeekFrom::Start(start as u64))
        .unwrap()
        .unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest == plaintext[start..], "past the damaged chunk");
    reader
        .seek_if_able(SeekFrom::Start(7 * CHUNK_LEN as u64 + 3))
        .unwrap()
        .unwrap();
    assert!(names_chunk_7(reader.read(&mut [0; 10]).unwrap_err()));
    assert_stays_failed(&mut *reader, "after seeking into the damaged chunk");
}

/// Sources that hand out at most 1000 bytes a call, or a random 1 to 2000, read in order and at
/// offsets, on one and two threads: every encryption makes the reference backup, every
/// decryption gives the plaintext back.
#[test]
fn short_reads_change_no_byte() {
    let plaintext = marked_plaintext(5 * MIB + 333);
    let reference = rk_encryptor(Suite::Aes256Gcm, 1)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    let steps = ["at most 1000", "random"];
    let step = |case: &str| match case {
        "random" => Step::Random(Mutex::new(0x9e37_79b9_7f4a_7c15)),
        _ => Step::AtMost(1000),
    };
    for threads in [1, 2] {
        for case in steps {
            let context = format!("{threads} thread(s), reads of {case} bytes");
            let mut backup = Vec::new();
            let mut source = Source::bytes(&plaintext).step(step(case));
            rk_encryptor(Suite::Aes256Gcm, threads)
                .encrypt(&mut source, &mut backup)
                .unwrap();
            assert!(backup == reference, "{context}: encrypt");
            let mut backup = Vec::new();
            let source = Source::bytes(&plaintext).step(step(case));
            rk_encryptor(Suite::Aes256Gcm, threads)
                .encrypt_file(&source, &mut backup)
                .unwrap();
            assert!(backup == reference, "{context}: encrypt_file");
            let mut buffer = rk_encryptor(Suite::Aes256Gcm, threads)
                .backup_buffer(plaintext.len())
                .unwrap();
            buffer
                .read_from(Source::bytes(&plaintext).step(step(case)))
                .unwrap();
            assert!(buffer.seal().unwrap() == reference, "{context}: read_from");

            for door in DOORS {
                let mut sink = Sink::new();
                let mut source = Source::bytes(&reference).step(step(case));
                let len = decrypt_to(door, threads, &mut source, &mut sink).unwrap();
                assert_eq!(len, plaintext.len() as u64, "{context}: {door:?}");
                assert!(sink.data == plaintext, "{context}: {door:?} decrypt_to");
                let mut source = Source::bytes(&reference).step(step(case));
                let mut read = Vec::new();
                reader(door, &mut source).read_to_end(&mut read).unwrap();
                assert!(read == plaintext, "{context}: {door:?} reader");
            }
        }
    }
}

/// A sink that takes at most 777 bytes a write, and only part of the first slice of a vectored
/// write, on one and two threads: every encryption writes the reference backup, every
/// decryption writes the plaintext.
#[test]
fn short_writes_change_no_byte() {
    let plaintext = marked_plaintext(5 * MIB + 333);
    let reference = rk_encryptor(Suite::ChaCha20Poly1305, 1)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    for threads in [1, 2] {
        let context = format!("{threads} thread(s)");
        let mut sink = Sink::short_writes(777);
        rk_encryptor(Suite::ChaCha20Poly1305, threads)
            .encrypt(&plaintext[..], &mut sink)
            .unwrap();
        assert!(sink.data == reference, "{context}: encrypt");
        let mut sink = Sink::short_writes(777);
        rk_encryptor(Suite::ChaCha20Poly1305, threads)
            .encrypt_file(&plaintext[..], &mut sink)
            .unwrap();
        assert!(sink.data == reference, "{context}: encrypt_file");
        let mut sink = Sink::short_writes(777);
        let mut writer = rk_encryptor(Suite::ChaCha20Poly1305, threads)
            .writer(&mut sink)
            .unwrap();
        writer.write_all(&plaintext).unwrap();
        writer.finish().unwrap();
        assert!(sink.data == reference, "{context}: writer");

        for door in DOORS {
            let mut sink = Sink::short_writes(777);
            let len = decrypt_to(door, threads, &mut Source::bytes(&reference), &mut sink).unwrap();
            assert_eq!(len, plaintext.len() as u64, "{context}: {door:?}");
            assert!(sink.data == plaintext, "{context}: {door:?} decrypt_to");
        }
        let mut backup = reference.clone();
        let opened = decryptor(rk(), threads).open_buffer(&mut backup).unwrap();
        let mut sink = Sink::short_writes(777);
        assert_eq!(opened.write_to(&mut sink).unwrap(), plaintext.len() as u64);
        assert!(sink.data == plaintext, "{context}: open_buffer's write_to");
    }
}

/// A writer that panics part-way: the panic reaches the caller, and no thread of the pipeline
/// is left waiting for a writer that will never drain (the call returns at all).
#[test]
fn a_panicking_writer_unwinds_the_call_and_leaves_no_thread_waiting() {
    struct PanicsAfter(usize);
    impl Write for PanicsAfter {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.0 < data.len() {
                panic!("the writer panicked");
            }
            self.0 -= data.len();
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let plaintext = marked_plaintext(8 * MIB + 7);
    for threads in [2, 7] {
        for at_offsets in [false, true] {
            let outcome = std::panic::catch_unwind(|| {
                let sink = PanicsAfter(3 * MIB);
                let mut encryptor = rk_encryptor(Suite::Aes256Gcm, threads);
                if at_offsets {
                    encryptor.encrypt_file(plaintext.as_slice(), sink)
                } else {
                    encryptor.encrypt(plaintext.as_slice(), sink)
                }
            });
            assert!(
                outcome.is_err(),
                "{threads} thread(s), at offsets {at_offsets}: the panic did not come back"
            );
        }
    }
    // The pool still works after the panics.
    let backup = rk_encryptor(Suite::Aes256Gcm, 2)
        .encrypt_to_vec(&plaintext)
        .unwrap();
    assert!(!holds_plaintext(&backup));
}
