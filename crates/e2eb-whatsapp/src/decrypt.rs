//! Decrypting a crypt15 backup as a stream, in bounded memory whatever its size.
//!
//! After the prefix comes one AES-256-GCM message (no associated data), then the 16-byte tag
//! and, in single-database backups, the MD5 of everything before the MD5 itself. Multi-file
//! backups (a ZIP archive) carry no MD5. Where the message ends is only known at the end of
//! the file, so the last 32 bytes read are always held back until the input ends; then:
//!
//! - the MD5 trailer matches and the tag before it verifies: the backup is good;
//! - the MD5 trailer matches but the tag fails: not accidental damage, so the key is wrong or
//!   the file was modified on purpose (the MD5 has no key: a tamperer recomputes it);
//! - the tag before the last 16 bytes verifies but the MD5 does not match: the data is
//!   authentic and only the MD5 trailer is damaged (reported, not refused);
//! - the last 16 bytes are a valid tag: a backup without MD5 trailer;
//! - nothing verifies: the file is damaged if the key decrypted its start into a zlib stream
//!   or a ZIP archive (an attacker or a bit flip cannot make a wrong key do that, barring
//!   chance), and the key is most likely wrong otherwise.
//!
//! GCM authenticates only at the end, so plaintext is released before the tag is checked: a
//! caller must hold it back (a temporary file renamed into place on success) and discard it if
//! reading ends in an error.

use std::io::{self, Read, Write};

use flate2::{Decompress, FlushDecompress, Status};
use md5::{Digest, Md5};

use crate::error::{Damage, Error, Part, Payload, ZlibFault};
use crate::gcm::{StreamingGcm, TAG_LEN};
use crate::key::Crypt15Key;
use crate::prefix::{ParsedPrefix, read_prefix};

/// Ciphertext read from the input at a time.
const READ_LEN: usize = 64 * 1024;
/// The MD5 trailer's length.
pub const MD5_LEN: usize = 16;
/// The longest trailer (tag and MD5): held back until the input ends.
const TRAILER_MAX: usize = TAG_LEN + MD5_LEN;
/// A multi-file backup's ZIP archive starts with a local file header.
pub const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";
/// Enough plaintext to tell zlib from ZIP.
const START_LEN: usize = ZIP_MAGIC.len();

/// What became of the MD5 trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Md5Trailer {
    /// Present, and it matches the file.
    Verified,
    /// The file has none (as multi-file backups).
    Absent,
    /// The data authenticated with the tag before the last 16 bytes, but those 16 bytes are
    /// not the MD5 of the rest: only the trailer is damaged.
    Mismatch,
}

/// What a decrypted backup held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Bytes read: the whole file.
    pub file_len: u64,
    /// Bytes of the prefix (length varint and message).
    pub prefix_len: u64,
    /// Bytes of the GCM ciphertext.
    pub ciphertext_len: u64,
    /// Bytes released: the inflated database, or the ZIP archive.
    pub output_len: u64,
    /// How the decrypted data was encoded.
    pub payload: Payload,
    /// Whether the output is a ZIP archive (a multi-file backup), to be unzipped.
    pub output_is_zip: bool,
    /// The MD5 trailer's state.
    pub md5_trailer: Md5Trailer,
}

/// flate2's inflater. Its 32 KiB window holds the last plaintext it produced (chat data), so it
/// is wiped before it is freed, whenever that happens (stream end, error, drop): on flate2's
/// default pure-Rust backend, which this crate uses, `reset` is miniz_oxide's `FullReset`, which
/// zeroes the window. (A C zlib backend's reset would not.) `black_box` keeps the compiler from
/// dropping those stores as dead before the free.
struct Inflater(Box<Decompress>);

impl Inflater {
    fn new() -> Inflater {
        Inflater(Box::new(Decompress::new(true)))
    }
}

impl std::ops::Deref for Inflater {
    type Target = Decompress;

    fn deref(&self) -> &Decompress {
        &self.0
    }
}

impl std::ops::DerefMut for Inflater {
    fn deref_mut(&mut self) -> &mut Decompress {
        &mut self.0
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        self.0.reset(true);
        std::hint::black_box(&*self.0);
    }
}

/// What the plaintext is turned into.
enum Decoder {
    /// Too few plaintext bytes yet to tell zlib from ZIP.
    Detecting,
    Inflating(Inflater),
    /// The zlib stream ended; any more plaintext is stray.
    Inflated,
    /// A ZIP archive, released as it is.
    Stored,
    /// The plaintext cannot be decoded: this error is reported if the tag verifies (if it does
    /// not, the authentication error says more). Further plaintext is dropped undecrypted.
    Broken(Error),
}

impl Decoder {
    fn payload(&self) -> Option<Payload> {
        match self {
            Decoder::Inflating(_) | Decoder::Inflated => Some(Payload::Zlib),
            Decoder::Stored => Some(Payload::Zip),
            Decoder::Detecting | Decoder::Broken(_) => None,
        }
    }
}

/// The zlib header check of RFC 1950: deflate, a window of at most 32 KiB, and a header
/// checksum that one random pair of bytes in about 500 passes.
fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// What the first plaintext bytes say: `None` while more are needed.
fn identify(start: &[u8]) -> Option<Option<Payload>> {
    if start.len() >= 2 && is_zlib_header(start[0], start[1]) {
        return Some(Some(Payload::Zlib));
    }
    if ZIP_MAGIC.starts_with(start) {
        return (start.len() == ZIP_MAGIC.len()).then_some(Some(Payload::Zip));
    }
    if start.len() < 2 {
        return None;
    }
    Some(None)
}

fn describe_start(start: &[u8]) -> String {
    if start.is_empty() {
        "no bytes at all".into()
    } else {
        let hex: Vec<String> = start.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

enum Phase {
    /// Ciphertext is still arriving.
    Reading,
    /// The tag verified; the last plaintext is being decoded.
    Authenticated(Md5Trailer),
    Done(Summary),
    /// An error was returned; reading again repeats it in words.
    Failed(String),
}

/// A `Read` adapter that decrypts a crypt15 backup and inflates its zlib stream (or passes a
/// ZIP archive through) as it is read, in memory bounded by a 64 KiB buffer and the inflater's
/// window whatever the backup's size.
///
/// The bytes it returns are NOT authenticated until it returns end of file (`Ok(0)`): GCM's tag
/// is checked at the very end. A reader that ends in an error has released data that must be
/// discarded.
pub struct Crypt15Reader<R: Read> {
    input: R,
    prefix: ParsedPrefix,
    gcm: StreamingGcm,
    md5: Md5,
    /// `[plaintext not yet decoded: plain_pos..plain_end][held-back ciphertext: plain_end..]`.
    buffer: Vec<u8>,
    plain_pos: usize,
    plain_end: usize,
    input_ended: bool,
    file_len: u64,
    /// The first plaintext bytes, kept aside until they say what the payload is.
    start: Vec<u8>,
    start_sent: usize,
    decoder: Decoder,
    stray_len: u64,
    output_len: u64,
    output_start: Vec<u8>,
    phase: Phase,
}

impl<R: Read> std::fmt::Debug for Crypt15Reader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypt15Reader")
            .field("file_len", &self.file_len)
            .field("output_len", &self.output_len)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Crypt15Reader<R> {
    /// Reads and checks the prefix of the backup `input` yields; the data is decrypted as it
    /// is read.
    pub fn new(key: &Crypt15Key, mut input: R) -> Result<Crypt15Reader<R>, Error> {
        let prefix = read_prefix(&mut input)?;
        let gcm = StreamingGcm::new(&key.encryption_key(), &prefix.iv);
        let mut md5 = Md5::new();
        md5.update(&prefix.raw);
        Ok(Crypt15Reader {
            input,
            file_len: prefix.raw.len() as u64,
            prefix,
            gcm,
            md5,
            buffer: Vec::with_capacity(READ_LEN + TRAILER_MAX),
            plain_pos: 0,
            plain_end: 0,
            input_ended: false,
            start: Vec::with_capacity(START_LEN),
            start_sent: 0,
            decoder: Decoder::Detecting,
            stray_len: 0,
            output_len: 0,
            output_start: Vec::with_capacity(START_LEN),
            phase: Phase::Reading,
        })
    }

    /// The backup's prefix.
    pub fn prefix(&self) -> &ParsedPrefix {
        &self.prefix
    }

    /// What the backup held, once the reader has returned end of file.
    pub fn summary(&self) -> Option<&Summary> {
        match &self.phase {
            Phase::Done(summary) => Some(summary),
            _ => None,
        }
    }

    /// The most bytes this reader holds at once, whatever the backup's size (its buffer; the
    /// inflater adds its fixed state of about 40 KiB).
    pub fn buffer_capacity(&self) -> usize {
        self.buffer.capacity()
    }

    /// Decrypts the rest into `output`; returns what the backup held once authenticated.
    pub fn decrypt_to<W: Write>(mut self, mut output: W) -> Result<Summary, Error> {
        // Decrypted chat data passes through it: wiped when dropped.
        let mut chunk = zeroize::Zeroizing::new(vec![0u8; READ_LEN]);
        loop {
            let len = match self.read(&mut chunk) {
                Ok(0) => break,
                Ok(len) => len,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(Error::from_io(error)),
            };
            output.write_all(&chunk[..len]).map_err(Error::Io)?;
        }
        output.flush().map_err(Error::Io)?;
        self.summary().cloned().ok_or_else(|| {
            Error::Io(io::Error::other(
                "the crypt15 reader ended without a summary",
            ))
        })
    }

    /// One step of work: returns bytes placed in `out` (0 when only progress was made), or
    /// `None` at the authenticated end.
    fn step(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        if self.start_sent < self.start.len() && !matches!(self.decoder, Decoder::Detecting) {
            let start = std::mem::take(&mut self.start);
            let (consumed, produced) = self.decode(&start[self.start_sent..], out);
            self.start = start;
            self.start_sent += consumed;
            return Ok(Some(produced));
        }
        if self.plain_pos < self.plain_end {
            if matches!(self.decoder, Decoder::Detecting) {
                self.take_start_bytes(false);
                return Ok(Some(0));
            }
            let buffer = std::mem::take(&mut self.buffer);
            let (consumed, produced) = self.decode(&buffer[self.plain_pos..self.plain_end], out);
            self.buffer = buffer;
            self.plain_pos += consumed;
            return Ok(Some(produced));
        }
        if matches!(self.decoder, Decoder::Inflating(_)) {
            // The inflater may hold output that did not fit in a small `out`.
            let (_, produced) = self.decode(&[], out);
            if produced > 0 {
                return Ok(Some(produced));
            }
        }
        match self.phase {
            Phase::Reading if !self.input_ended => self.fill().map(|()| Some(0)),
            Phase::Reading => self.authenticate().map(|()| Some(0)),
            Phase::Authenticated(md5_trailer) => self.complete(md5_trailer).map(|()| None),
            Phase::Done(_) | Phase::Failed(_) => Ok(None),
        }
    }

    /// Moves plaintext bytes aside until they identify the payload (or, at the end, until
    /// there are no more).
    fn take_start_bytes(&mut self, at_end: bool) {
        let wanted = START_LEN - self.start.len();
        let available = self.plain_end - self.plain_pos;
        let taken = wanted.min(available);
        self.start
            .extend_from_slice(&self.buffer[self.plain_pos..self.plain_pos + taken]);
        self.plain_pos += taken;
        let verdict = match identify(&self.start) {
            Some(verdict) => verdict,
            None if at_end || self.start.len() == START_LEN => None,
            None => return,
        };
        self.decoder = match verdict {
            Some(Payload::Zlib) => Decoder::Inflating(Inflater::new()),
            Some(Payload::Zip) => Decoder::Stored,
            None => Decoder::Broken(Error::UnknownPayload {
                start: describe_start(&self.start),
            }),
        };
    }

    /// Decodes plaintext `input` into `out`: (input consumed, output produced).
    fn decode(&mut self, input: &[u8], out: &mut [u8]) -> (usize, usize) {
        let (consumed, produced) = match &mut self.decoder {
            Decoder::Detecting => (0, 0),
            Decoder::Broken(_) => (input.len(), 0),
            Decoder::Inflated => {
                self.stray_len += input.len() as u64;
                (input.len(), 0)
            }
            Decoder::Stored => {
                let len = input.len().min(out.len());
                out[..len].copy_from_slice(&input[..len]);
                (len, len)
            }
            Decoder::Inflating(inflater) => {
                let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
                let outcome = inflater.decompress(input, out, FlushDecompress::None);
                // Both deltas are bounded by the slices' lengths.
                let consumed = (inflater.total_in() - in_before) as usize;
                let produced = (inflater.total_out() - out_before) as usize;
                match outcome {
                    Ok(Status::StreamEnd) => self.decoder = Decoder::Inflated,
                    Ok(_) if consumed == 0 && produced == 0 && !input.is_empty() => {
                        self.decoder = Decoder::Broken(Error::BadZlib {
                            fault: ZlibFault::Corrupt {
                                after: self.output_len,
                                message: "the inflater makes no progress".into(),
                            },
                        });
                    }
                    Ok(_) => {}
                    Err(error) => {
                        self.decoder = Decoder::Broken(Error::BadZlib {
                            fault: ZlibFault::Corrupt {
                                after: self.output_len + produced as u64,
                                message: error.to_string(),
                            },
                        });
                    }
                }
                (consumed, produced)
            }
        };
        if self.output_start.len() < START_LEN {
            let take = (START_LEN - self.output_start.len()).min(produced);
            self.output_start.extend_from_slice(&out[..take]);
        }
        self.output_len += produced as u64;
        (consumed, produced)
    }

    /// Reads more ciphertext and decrypts all of it except the last 32 bytes, which may be the
    /// trailer.
    fn fill(&mut self) -> Result<(), Error> {
        self.buffer.drain(..self.plain_end);
        self.plain_pos = 0;
        self.plain_end = 0;
        let mut filled = self.buffer.len();
        self.buffer.resize(READ_LEN + TRAILER_MAX, 0);
        while filled < self.buffer.len() {
            match self.input.read(&mut self.buffer[filled..]) {
                Ok(0) => {
                    self.input_ended = true;
                    break;
                }
                Ok(len) => {
                    filled += len;
                    self.file_len += len as u64;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.buffer.truncate(filled);
                    return Err(Error::from_io(error));
                }
            }
        }
        self.buffer.truncate(filled);
        let ready = filled.saturating_sub(TRAILER_MAX);
        if ready > 0 {
            let ciphertext = &mut self.buffer[..ready];
            self.md5.update(&*ciphertext);
            if matches!(self.decoder, Decoder::Broken(_)) {
                // Only the verdict is still wanted: hash, but decrypt nothing.
                self.gcm.absorb(ciphertext);
            } else {
                self.gcm.decrypt(ciphertext).map_err(|_| Error::TooLong)?;
            }
            self.plain_end = ready;
        }
        Ok(())
    }

    /// At the end of the input: tells the layout of the trailer from the MD5 and the tag, and
    /// verifies; see the module's description.
    fn authenticate(&mut self) -> Result<(), Error> {
        let mut tail = std::mem::take(&mut self.buffer);
        tail.drain(..self.plain_end);
        self.plain_pos = 0;
        self.plain_end = 0;
        let verdict = self.judge_tail(&tail);
        let outcome = verdict.and_then(|(md5_trailer, data_len)| {
            // The withheld bytes before the trailer turned out to be data.
            tail.truncate(data_len);
            self.gcm
                .apply_keystream(&mut tail)
                .map_err(|_| Error::TooLong)?;
            self.plain_end = data_len;
            self.phase = Phase::Authenticated(md5_trailer);
            Ok(())
        });
        self.buffer = tail;
        outcome
    }

    /// The MD5 trailer's state and how many of the withheld `tail` bytes are data, or why the
    /// backup does not authenticate.
    fn judge_tail(&mut self, tail: &[u8]) -> Result<(Md5Trailer, usize), Error> {
        let len = tail.len();
        if len < TAG_LEN {
            return Err(Error::Truncated {
                part: Part::Tag,
                offset: self.file_len,
            });
        }
        let with_md5 = len == TRAILER_MAX;
        let md5_matches = with_md5 && {
            let mut md5 = self.md5.clone();
            md5.update(&tail[..TAG_LEN]);
            md5.finalize().as_slice() == &tail[TAG_LEN..]
        };
        let tag_before_md5_verifies = with_md5 && self.gcm.verify(&tail[..TAG_LEN]);
        if md5_matches {
            if !tag_before_md5_verifies {
                return Err(Error::WrongKey);
            }
            return Ok((Md5Trailer::Verified, 0));
        }
        if tag_before_md5_verifies {
            return Ok((Md5Trailer::Mismatch, 0));
        }
        let data_len = len - TAG_LEN;
        self.gcm.absorb(&tail[..data_len]);
        if self.gcm.verify(&tail[data_len..]) {
            return Ok((Md5Trailer::Absent, data_len));
        }
        Err(self.classify_failure(&tail[..data_len]))
    }

    /// Neither layout verifies: damage if the key decrypted the start correctly, else most
    /// likely a wrong key.
    fn classify_failure(&mut self, last_ciphertext: &[u8]) -> Error {
        let mut start = self.start.clone();
        if start.len() < START_LEN && matches!(self.decoder, Decoder::Detecting) {
            // A tiny backup: the withheld bytes may be all its data.
            let mut last = last_ciphertext.to_vec();
            if self.gcm.apply_keystream(&mut last).is_ok() {
                let wanted = START_LEN - start.len();
                start.extend(last.iter().take(wanted));
            }
        }
        let payload = self
            .decoder
            .payload()
            .or_else(|| identify(&start).flatten());
        match payload {
            None => Error::WrongKeyOrDamaged,
            Some(payload) => Error::Damaged {
                damage: match self.decoder {
                    // The inflater took every byte without complaint and wants more.
                    Decoder::Inflating(_) => Damage::Truncated,
                    _ => Damage::Corrupted,
                },
                payload,
            },
        }
    }

    /// All plaintext decoded: checks that the payload ended where it should.
    fn complete(&mut self, md5_trailer: Md5Trailer) -> Result<(), Error> {
        if matches!(self.decoder, Decoder::Detecting) {
            self.take_start_bytes(true);
            if self.start_sent < self.start.len() || self.plain_pos < self.plain_end {
                // Decided just now; the start bytes still need decoding.
                return Ok(());
            }
        }
        let payload = match std::mem::replace(&mut self.decoder, Decoder::Detecting) {
            Decoder::Broken(error) => return Err(error),
            Decoder::Inflating(_) => {
                return Err(Error::BadZlib {
                    fault: ZlibFault::Incomplete,
                });
            }
            Decoder::Inflated if self.stray_len > 0 => {
                return Err(Error::BadZlib {
                    fault: ZlibFault::TrailingData {
                        len: self.stray_len,
                    },
                });
            }
            Decoder::Inflated => Payload::Zlib,
            Decoder::Stored => Payload::Zip,
            Decoder::Detecting => {
                return Err(Error::UnknownPayload {
                    start: describe_start(&self.start),
                });
            }
        };
        self.phase = Phase::Done(Summary {
            file_len: self.file_len,
            prefix_len: self.prefix.raw.len() as u64,
            ciphertext_len: self.gcm.ciphertext_len(),
            output_len: self.output_len,
            payload,
            output_is_zip: self.output_start == ZIP_MAGIC,
            md5_trailer,
        });
        Ok(())
    }
}

impl<R: Read> Drop for Crypt15Reader<R> {
    /// The buffers hold decrypted chat data, which should not linger in freed memory. (The
    /// inflater's window is wiped by the `Inflater` wrapper's own drop.)
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.buffer);
        zeroize::Zeroize::zeroize(&mut self.start);
        zeroize::Zeroize::zeroize(&mut self.output_start);
    }
}

impl<R: Read> Read for Crypt15Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if let Phase::Failed(message) = &self.phase {
                return Err(io::Error::other(format!(
                    "crypt15 decryption already failed: {message}"
                )));
            }
            match self.step(out) {
                Ok(Some(0)) => continue,
                Ok(Some(produced)) => return Ok(produced),
                Ok(None) => return Ok(0),
                Err(error) => {
                    self.phase = Phase::Failed(error.to_string());
                    return Err(error.into_io());
                }
            }
        }
    }
}

/// Decrypts the backup `input` yields into `output`; returns what it held.
///
/// `output` receives data before it is authenticated: on error, discard what it received.
pub fn decrypt<R: Read, W: Write>(key: &Crypt15Key, input: R, output: W) -> Result<Summary, Error> {
    Crypt15Reader::new(key, input)?.decrypt_to(output)
}

/// Decrypts a backup held in memory; all or nothing.
pub fn decrypt_to_vec(key: &Crypt15Key, backup: &[u8]) -> Result<(Vec<u8>, Summary), Error> {
    let mut plaintext = Vec::new();
    let summary = decrypt(key, backup, &mut plaintext)?;
    Ok((plaintext, summary))
}

/// What can be told about a backup without its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The prefix.
    pub prefix: ParsedPrefix,
    /// The file's length.
    pub file_len: u64,
    /// Whether the last 16 bytes are the MD5 of the rest. When they are not, the file either
    /// has no MD5 trailer (multi-file backups) or is damaged.
    pub md5_trailer_matches: bool,
}

impl Inspection {
    /// The ciphertext length implied by the trailer layout (tag, and MD5 where it matched), or
    /// `None` when the file is too short to hold a tag.
    pub fn ciphertext_len(&self) -> Option<u64> {
        let trailer = if self.md5_trailer_matches {
            TRAILER_MAX
        } else {
            TAG_LEN
        };
        self.file_len
            .checked_sub(self.prefix.raw.len() as u64)?
            .checked_sub(trailer as u64)
    }
}

/// Reads a whole backup without its key: the prefix, the length, and whether an MD5 trailer
/// matches.
pub fn inspect<R: Read>(mut input: R) -> Result<Inspection, Error> {
    let prefix = read_prefix(&mut input)?;
    let mut md5 = Md5::new();
    md5.update(&prefix.raw);
    let mut file_len = prefix.raw.len() as u64;
    let mut buffer = vec![0u8; READ_LEN + MD5_LEN];
    let mut held = 0;
    loop {
        let len = match input.read(&mut buffer[held..]) {
            Ok(0) => break,
            Ok(len) => len,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::from_io(error)),
        };
        file_len += len as u64;
        let filled = held + len;
        let ready = filled.saturating_sub(MD5_LEN);
        md5.update(&buffer[..ready]);
        buffer.copy_within(ready..filled, 0);
        held = filled - ready;
    }
    let md5_trailer_matches = held == MD5_LEN && md5.finalize().as_slice() == &buffer[..MD5_LEN];
    Ok(Inspection {
        prefix,
        file_len,
        md5_trailer_matches,
    })
}
