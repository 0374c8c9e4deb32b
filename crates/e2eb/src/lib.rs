//! e2eb: end-to-end encrypted backups.
//!
//! A backup is a header (magic, version, cipher suite, and key slots that each wrap a random
//! file key under one secret: a 256-bit recovery key, or a password through Argon2id or scrypt)
//! followed by a c2sp.org/chunked-encryption payload keyed by the file key, whose context is
//! the header. `SPEC.md` at the root of the repository is the normative description.
//!
//! ```
//! use e2eb::{Decryptor, Encryptor, RecoveryKey, Secret, Suite};
//!
//! let recovery_key = RecoveryKey::generate()?;
//! let backup = Encryptor::new(Suite::Aes256Gcm)
//!     .recovery_key(recovery_key.clone())
//!     .encrypt_to_vec(b"chat history")?;
//! let plaintext = Decryptor::new(Secret::RecoveryKey(recovery_key)).decrypt_to_vec(&backup)?;
//! assert_eq!(plaintext, b"chat history");
//! # Ok::<(), e2eb::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
mod backup_buffer;
mod entropy;
mod error;
pub mod header;
mod hkdf_sha512;
pub mod kdf;
pub mod payload;
pub mod recovery_key;
pub mod slot;
pub mod stream;
pub mod suite;

use std::io::{Read, Seek, Write};

pub use backend::Backend;
pub use backup_buffer::{BackupBuffer, OpenedBackup};
pub use entropy::Entropy;
pub use error::{Error, Result, SecretKind, Truncation};
pub use header::Header;
pub use kdf::{Argon2idParams, KdfCaps, KdfKind, KdfParams, Password, ScryptParams};
pub use payload::{FileKey, PayloadCipher};
pub use recovery_key::{RecoveryKey, RecoveryKeyError};
pub use slot::{KeySlot, Secret, SlotKind, SlotSecret};
pub use stream::{DecryptReader, EncryptWriter, ReadAt, SeekableDecryptReader, Threads};
pub use suite::Suite;

use error::Truncation as Cut;
use payload::PREFIX_LEN;

/// Makes backups: collects the slots' secrets, then encrypts.
#[derive(Debug)]
pub struct Encryptor {
    suite: Suite,
    slots: Vec<SlotSecret>,
    threads: Threads,
    backend: Backend,
    entropy: Entropy,
}

impl Encryptor {
    /// A backup in `suite`, with no slot yet, one thread per CPU, the fastest AEAD backend of
    /// this build, and the OS's randomness.
    pub fn new(suite: Suite) -> Encryptor {
        Encryptor {
            suite,
            slots: Vec::new(),
            threads: Threads::default(),
            backend: Backend::Auto,
            entropy: Entropy::os(),
        }
    }

    /// Adds a slot opened by `recovery_key`.
    pub fn recovery_key(mut self, recovery_key: RecoveryKey) -> Encryptor {
        self.slots.push(SlotSecret::RecoveryKey(recovery_key));
        self
    }

    /// Adds a slot opened by `password` through `kdf`.
    pub fn password(mut self, password: Password, kdf: KdfParams) -> Encryptor {
        self.slots.push(SlotSecret::Password(password, kdf));
        self
    }

    /// Seals chunks on `threads` threads.
    pub fn threads(mut self, threads: Threads) -> Encryptor {
        self.threads = threads;
        self
    }

    /// Runs the AEAD with `backend`. The backup's bytes do not depend on it.
    pub fn backend(mut self, backend: Backend) -> Encryptor {
        self.backend = backend;
        self
    }

    /// Draws the file key and salts from `entropy` instead of the OS (for test vectors).
    pub fn entropy(mut self, entropy: Entropy) -> Encryptor {
        self.entropy = entropy;
        self
    }

    /// Builds the header and payload cipher, and writes header and payload prefix to `writer`.
    fn start<W: Write>(&mut self, writer: &mut W) -> Result<PayloadCipher> {
        let file_key = FileKey::generate(&mut self.entropy)?;
        let header = Header::seal(
            self.suite,
            self.backend,
            &self.slots,
            &file_key,
            &mut self.entropy,
        )?;
        let (cipher, prefix) = PayloadCipher::for_encryption(
            self.suite,
            self.backend,
            file_key.as_bytes(),
            header.as_bytes(),
            &mut self.entropy,
        )?;
        writer
            .write_all(header.as_bytes())
            .map_err(Error::from_io)?;
        writer.write_all(&prefix).map_err(Error::from_io)?;
        Ok(cipher)
    }

    /// Encrypts all of `reader` into `writer`, in parallel when more than one thread is set.
    /// Returns the plaintext length.
    pub fn encrypt_stream<R: Read, W: Write>(&mut self, reader: R, mut writer: W) -> Result<u64> {
        let cipher = self.start(&mut writer)?;
        stream::seal_payload(&cipher, reader, writer, self.threads)
    }

    /// Encrypts all of `input` (a regular file, read from its start to its end at explicit
    /// offsets) into `writer`: the same backup [`Encryptor::encrypt_stream`] makes, faster on
    /// several threads because each one reads the chunks it seals. Returns the plaintext length.
    pub fn encrypt_file<R: ReadAt + ?Sized, W: Write>(
        &mut self,
        input: &R,
        mut writer: W,
    ) -> Result<u64> {
        let cipher = self.start(&mut writer)?;
        stream::seal_payload_at(&cipher, input, writer, self.threads)
    }

    /// Encrypts `plaintext` in memory, in parallel when more than one thread is set: each
    /// chunk is copied into place and sealed by the same task.
    pub fn encrypt_to_vec(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut start = Vec::new();
        let cipher = self.start(&mut start)?;
        let mut backup = stream::sealed_buffer(&start, plaintext.len())?;
        stream::seal_in_memory(&cipher, plaintext, &mut backup[start.len()..], self.threads)?;
        Ok(backup)
    }

    /// As [`Encryptor::encrypt_to_vec`], into `backup`, whose contents are replaced and whose
    /// allocation is reused: a caller making backups repeatedly pays for fresh memory once.
    pub fn encrypt_into(&mut self, plaintext: &[u8], backup: &mut Vec<u8>) -> Result<()> {
        let mut start = Vec::new();
        let cipher = self.start(&mut start)?;
        let total = stream::backup_len(start.len(), plaintext.len())?;
        // Every byte is overwritten below; only growth beyond the old length is zero-filled.
        resize_for_overwrite(backup, total);
        backup[..start.len()].copy_from_slice(&start);
        stream::seal_in_memory(&cipher, plaintext, &mut backup[start.len()..], self.threads)
    }

    /// Replaces the plaintext in `data` with its backup, in place: the buffer grows by the
    /// header and 16 bytes per 16 KiB chunk (reserved up front, so a buffer with that much spare
    /// capacity is not reallocated). Needs half the memory of [`Encryptor::encrypt_to_vec`], and
    /// each byte crosses the memory bus once each way. On error `data` is unchanged.
    pub fn encrypt_in_place(&mut self, data: &mut Vec<u8>) -> Result<()> {
        let mut start = Vec::new();
        let cipher = self.start(&mut start)?;
        stream::seal_in_place(&cipher, data, &start, self.threads)
    }

    /// A backup of `plaintext_len` bytes to build in memory with no copy: its header is written
    /// now, the caller writes the plaintext into each chunk's window
    /// ([`BackupBuffer::chunks_mut`], [`BackupBuffer::read_from`]), and
    /// [`BackupBuffer::seal`] encrypts the chunks where they lie, in parallel when more than
    /// one thread is set. Makes the same backup as [`Encryptor::encrypt_to_vec`] and needs no
    /// memory beyond it; the fastest way to encrypt in memory.
    pub fn backup_buffer(&mut self, plaintext_len: usize) -> Result<BackupBuffer> {
        self.backup_buffer_in(plaintext_len, Vec::new())
    }

    /// As [`Encryptor::backup_buffer`], in the allocation of `buffer` (a backup returned by an
    /// earlier [`BackupBuffer::seal`], for instance): a caller making backups repeatedly pays
    /// for fresh memory once. Its windows hold the old bytes until written.
    pub fn backup_buffer_in(
        &mut self,
        plaintext_len: usize,
        buffer: Vec<u8>,
    ) -> Result<BackupBuffer> {
        let mut start = Vec::new();
        let cipher = self.start(&mut start)?;
        BackupBuffer::new(&start, cipher, plaintext_len, self.threads, buffer)
    }

    /// A `Write` adapter that encrypts into `writer` on the calling thread; call
    /// [`EncryptWriter::finish`] at the end.
    pub fn writer<W: Write>(&mut self, mut writer: W) -> Result<EncryptWriter<W>> {
        let cipher = self.start(&mut writer)?;
        Ok(EncryptWriter::new(cipher, writer))
    }
}

/// Opens backups with one secret.
#[derive(Debug)]
pub struct Decryptor {
    secret: Secret,
    caps: KdfCaps,
    threads: Threads,
    backend: Backend,
}

/// A backup's header, its opened payload cipher, and where its first chunk sits.
struct Opened {
    cipher: PayloadCipher,
    chunks_offset: u64,
}

impl Decryptor {
    /// Opens backups with `secret`, under the default KDF caps for this machine, with the
    /// fastest AEAD backend of this build.
    pub fn new(secret: Secret) -> Decryptor {
        Decryptor {
            secret,
            caps: KdfCaps::default(),
            threads: Threads::default(),
            backend: Backend::Auto,
        }
    }

    /// Replaces the KDF caps.
    pub fn caps(mut self, caps: KdfCaps) -> Decryptor {
        self.caps = caps;
        self
    }

    /// Opens chunks on `threads` threads.
    pub fn threads(mut self, threads: Threads) -> Decryptor {
        self.threads = threads;
        self
    }

    /// Runs the AEAD with `backend`; any backend opens any backup.
    pub fn backend(mut self, backend: Backend) -> Decryptor {
        self.backend = backend;
        self
    }

    /// Parse header → read payload prefix → caps → KDF → unwrap → commitment (SPEC.md,
    /// "Opening a backup"); leaves `reader` at the first chunk.
    fn open<R: Read + ?Sized>(&self, reader: &mut R) -> Result<Opened> {
        let header = Header::read_from(reader)?;
        let mut prefix = [0u8; PREFIX_LEN];
        if header::read_up_to(reader, &mut prefix)? < PREFIX_LEN {
            return Err(Error::Truncated(Cut::PayloadPrefix));
        }
        let file_key = header.unlock_with(&self.secret, &self.caps, self.backend)?;
        let cipher = PayloadCipher::for_decryption(
            header.suite(),
            self.backend,
            file_key.as_bytes(),
            header.as_bytes(),
            &prefix,
        )?;
        Ok(Opened {
            cipher,
            chunks_offset: (header.len() + PREFIX_LEN) as u64,
        })
    }

    /// Reads the header and payload prefix from `reader`, opens a slot with the secret and checks
    /// the commitment, without decrypting any chunk: a wrong secret or an altered header is
    /// found before the caller creates any output.
    pub fn unlock<R: Read>(&self, mut reader: R) -> Result<UnlockedBackup<R>> {
        let opened = self.open(&mut reader)?;
        Ok(UnlockedBackup {
            opened,
            reader,
            threads: self.threads,
        })
    }

    /// Decrypts the backup `reader` yields into `writer`, in parallel when more than one thread
    /// is set. Only authenticated chunks reach `writer`; a damaged or truncated backup returns an
    /// error, possibly after an authenticated prefix was written. Returns the plaintext length.
    pub fn decrypt_stream<R: Read, W: Write>(&self, mut reader: R, writer: W) -> Result<u64> {
        let opened = self.open(&mut reader)?;
        stream::open_payload(
            &opened.cipher,
            reader,
            writer,
            self.threads,
            opened.chunks_offset,
        )
    }

    /// Decrypts the backup `source` holds (a regular file, read from its start at explicit
    /// offsets) into `writer`: what [`Decryptor::decrypt_stream`] writes, faster on several
    /// threads because each one reads the chunks it opens. Only authenticated chunks reach
    /// `writer`. Returns the plaintext length.
    pub fn decrypt_file<R: ReadAt + ?Sized, W: Write>(&self, source: &R, writer: W) -> Result<u64> {
        self.unlock_file(source)?.decrypt_to(writer)
    }

    /// As [`Decryptor::unlock`], for a backup read at explicit offsets from the start of
    /// `source`: the secret and the header are checked before any output exists.
    pub fn unlock_file<R: ReadAt>(&self, source: R) -> Result<UnlockedFile<R>> {
        let opened = self.open(&mut stream::ReadAtCursor::new(&source))?;
        Ok(UnlockedFile {
            opened,
            source,
            threads: self.threads,
        })
    }

    /// Decrypts a backup held in memory, in parallel when more than one thread is set; all or
    /// nothing.
    pub fn decrypt_to_vec(&self, backup: &[u8]) -> Result<Vec<u8>> {
        let mut reader = backup;
        let opened = self.open(&mut reader)?;
        stream::open_in_memory(&opened.cipher, reader, self.threads, opened.chunks_offset)
    }

    /// As [`Decryptor::decrypt_to_vec`], into `plaintext`, whose contents are replaced and whose
    /// allocation is reused. On error `plaintext` holds no plaintext.
    pub fn decrypt_into(&self, backup: &[u8], plaintext: &mut Vec<u8>) -> Result<()> {
        let outcome = (|| {
            let mut reader = backup;
            let opened = self.open(&mut reader)?;
            let len = usize::try_from(payload::plaintext_len(reader.len() as u64)?)
                .map_err(|_| Error::MessageTooLong)?;
            resize_for_overwrite(plaintext, len);
            stream::open_in_memory_into(
                &opened.cipher,
                reader,
                plaintext,
                self.threads,
                opened.chunks_offset,
            )
        })();
        if outcome.is_err() {
            // Chunks before a failing one were decrypted in place: release none of them.
            plaintext.clear();
        }
        outcome
    }

    /// Replaces the backup in `data` with its plaintext, in place, in parallel when more than
    /// one thread is set; all or nothing. Needs no second buffer (half the memory of
    /// [`Decryptor::decrypt_to_vec`], for a restore on a phone), and each byte crosses the memory
    /// bus once each way. On error `data` holds no plaintext: it is unchanged when the failure
    /// comes before any chunk is opened (wrong secret, damaged header, impossible length), and
    /// wiped and emptied when a chunk fails to authenticate.
    pub fn decrypt_in_place(&self, data: &mut Vec<u8>) -> Result<()> {
        let opened = self.open(&mut &data[..])?;
        // The header and prefix were read from `data`, so they fit in it.
        let shift = opened.chunks_offset as usize;
        stream::open_in_place(&opened.cipher, data, shift, self.threads)
    }

    /// Opens every chunk of the backup in `data` where it lies, in parallel when more than one
    /// thread is set, and returns its plaintext as a view of the windows between the tags
    /// ([`OpenedBackup::chunks`], [`OpenedBackup::write_to`]): the restore that moves nothing.
    /// All or nothing: on error `data` holds no plaintext. It is unchanged when the failure
    /// comes before any chunk is opened (wrong secret, damaged header, impossible length), and
    /// wiped (zeroed) when a chunk fails to authenticate.
    pub fn open_buffer<'a>(&self, data: &'a mut [u8]) -> Result<OpenedBackup<'a>> {
        let opened = self.open(&mut &data[..])?;
        // The header and prefix were read from `data`, so they fit in it.
        let chunks_offset = opened.chunks_offset as usize;
        OpenedBackup::open(&opened.cipher, data, chunks_offset, self.threads)
    }

    /// A `Read` adapter that decrypts `reader` chunk by chunk on the calling thread.
    pub fn reader<R: Read>(&self, mut reader: R) -> Result<DecryptReader<R>> {
        let opened = self.open(&mut reader)?;
        Ok(DecryptReader::new(
            opened.cipher,
            reader,
            opened.chunks_offset,
        ))
    }

    /// A `Read + Seek` adapter for random access; `reader` must be at the start of the backup.
    pub fn seekable<R: Read + Seek>(&self, mut reader: R) -> Result<SeekableDecryptReader<R>> {
        let start = reader.stream_position().map_err(Error::from_io)?;
        let opened = self.open(&mut reader)?;
        SeekableDecryptReader::new(opened.cipher, reader, start + opened.chunks_offset)
    }
}

/// Sets `buffer`'s length to `len` for contents that will be overwritten whole: existing bytes
/// are kept rather than zeroed again.
fn resize_for_overwrite(buffer: &mut Vec<u8>, len: usize) {
    if buffer.len() >= len {
        buffer.truncate(len);
    } else {
        buffer.resize(len, 0);
    }
}

/// A backup whose secret has been checked, positioned at its first chunk.
pub struct UnlockedBackup<R: Read> {
    opened: Opened,
    reader: R,
    threads: Threads,
}

impl<R: Read> std::fmt::Debug for UnlockedBackup<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockedBackup")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<R: Read> UnlockedBackup<R> {
    /// Decrypts the chunks into `writer` (in parallel when more than one thread was set),
    /// releasing only authenticated chunks. Returns the plaintext length.
    pub fn decrypt_to<W: Write>(self, writer: W) -> Result<u64> {
        stream::open_payload(
            &self.opened.cipher,
            self.reader,
            writer,
            self.threads,
            self.opened.chunks_offset,
        )
    }

    /// A `Read` adapter over the chunks, on the calling thread.
    pub fn into_reader(self) -> DecryptReader<R> {
        DecryptReader::new(self.opened.cipher, self.reader, self.opened.chunks_offset)
    }
}

/// A backup read at explicit offsets whose secret has been checked.
pub struct UnlockedFile<R: ReadAt> {
    opened: Opened,
    source: R,
    threads: Threads,
}

impl<R: ReadAt> std::fmt::Debug for UnlockedFile<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockedFile")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<R: ReadAt> UnlockedFile<R> {
    /// Decrypts the chunks into `writer` (each pool thread reading the chunks it opens when
    /// more than one thread was set), releasing only authenticated chunks, in order. Returns
    /// the plaintext length.
    pub fn decrypt_to<W: Write>(self, writer: W) -> Result<u64> {
        stream::open_payload_at(
            &self.opened.cipher,
            &self.source,
            self.opened.chunks_offset,
            writer,
            self.threads,
        )
    }
}

/// The payload layer alone (c2sp.org/chunked-encryption with a caller-supplied input key and
/// context), as its test vectors exercise it.
pub mod chunked {
    use super::*;

    /// How the payload functions run: threads and AEAD backend. A bare [`Threads`] converts
    /// into options with the default backend.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Options {
        /// Threads that seal or open chunks.
        pub threads: Threads,
        /// The AEAD backend.
        pub backend: Backend,
    }

    impl Options {
        /// These threads, with `backend`.
        pub fn new(threads: Threads, backend: Backend) -> Options {
            Options { threads, backend }
        }
    }

    impl From<Threads> for Options {
        fn from(threads: Threads) -> Options {
            Options {
                threads,
                backend: Backend::Auto,
            }
        }
    }

    /// Encrypts `reader` into `writer` as a complete chunked-encryption message
    /// (salt || commitment || chunks).
    pub fn encrypt<R: Read, W: Write>(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        entropy: &mut Entropy,
        reader: R,
        mut writer: W,
        options: impl Into<Options>,
    ) -> Result<u64> {
        let Options { threads, backend } = options.into();
        let (cipher, prefix) =
            PayloadCipher::for_encryption(suite, backend, input_key, context, entropy)?;
        writer.write_all(&prefix).map_err(Error::from_io)?;
        stream::seal_payload(&cipher, reader, writer, threads)
    }

    fn open<R: Read>(
        suite: Suite,
        backend: Backend,
        input_key: &[u8],
        context: &[u8],
        reader: &mut R,
    ) -> Result<PayloadCipher> {
        if input_key.len() != suite::KEY_LEN {
            return Err(Error::InvalidKeyLength {
                found: input_key.len(),
            });
        }
        let mut prefix = [0u8; PREFIX_LEN];
        if header::read_up_to(reader, &mut prefix)? < PREFIX_LEN {
            return Err(Error::Truncated(Cut::PayloadPrefix));
        }
        PayloadCipher::for_decryption(suite, backend, input_key, context, &prefix)
    }

    /// Encrypts `plaintext` in memory into a complete chunked-encryption message.
    pub fn encrypt_to_vec(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        entropy: &mut Entropy,
        plaintext: &[u8],
        options: impl Into<Options>,
    ) -> Result<Vec<u8>> {
        let Options { threads, backend } = options.into();
        let (cipher, prefix) =
            PayloadCipher::for_encryption(suite, backend, input_key, context, entropy)?;
        let mut message = stream::sealed_buffer(&prefix, plaintext.len())?;
        stream::seal_in_memory(&cipher, plaintext, &mut message[PREFIX_LEN..], threads)?;
        Ok(message)
    }

    /// Decrypts a chunked-encryption message held in memory; all or nothing.
    pub fn decrypt_to_vec(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        message: &[u8],
        options: impl Into<Options>,
    ) -> Result<Vec<u8>> {
        let Options { threads, backend } = options.into();
        let mut reader = message;
        let cipher = open(suite, backend, input_key, context, &mut reader)?;
        stream::open_in_memory(&cipher, reader, threads, PREFIX_LEN as u64)
    }

    /// Decrypts a chunked-encryption message into `writer` with the batched pipeline.
    pub fn decrypt<R: Read, W: Write>(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        mut reader: R,
        writer: W,
        options: impl Into<Options>,
    ) -> Result<u64> {
        let Options { threads, backend } = options.into();
        let cipher = open(suite, backend, input_key, context, &mut reader)?;
        stream::open_payload(&cipher, reader, writer, threads, PREFIX_LEN as u64)
    }

    /// A `Read` adapter over a chunked-encryption message.
    pub fn reader<R: Read>(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        mut reader: R,
    ) -> Result<DecryptReader<R>> {
        let cipher = open(suite, Backend::Auto, input_key, context, &mut reader)?;
        Ok(DecryptReader::new(cipher, reader, PREFIX_LEN as u64))
    }

    /// A `Read + Seek` adapter over a chunked-encryption message that starts at offset 0.
    pub fn seekable<R: Read + Seek>(
        suite: Suite,
        input_key: &[u8],
        context: &[u8],
        mut reader: R,
    ) -> Result<SeekableDecryptReader<R>> {
        reader
            .seek(std::io::SeekFrom::Start(0))
            .map_err(Error::from_io)?;
        let cipher = open(suite, Backend::Auto, input_key, context, &mut reader)?;
        SeekableDecryptReader::new(cipher, reader, PREFIX_LEN as u64)
    }
}
