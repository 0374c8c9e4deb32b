//! Opening backups: the secret checked against the header first, then one of the ways to
//! decrypt.

use std::io::{Read, Write};

use crate::backend::Backend;
use crate::backup_buffer::OpenedBackup;
use crate::caps::KdfCaps;
use crate::error::{Error, Result, Truncation};
use crate::header::Header;
use crate::payload::PREFIX_LEN;
use crate::payload_cipher::PayloadCipher;
use crate::reader::DecryptReader;
use crate::slot::Secret;
use crate::source::{AtOffsets, ChunkSource, InOrder, ReadAt, ReadAtCursor, read_up_to};
use crate::threads::Threads;
use crate::typo::RecoveryKeyTypo;
use crate::{memory, pipeline};

/// Opens backups with one secret (see the crate documentation for which way to decrypt when).
#[derive(Debug)]
pub struct Decryptor {
    secret: Secret,
    caps: KdfCaps,
    threads: Threads,
    backend: Backend,
}

/// A backup's opened payload cipher, and where its first chunk sits.
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
        if read_up_to(reader, &mut prefix)? < PREFIX_LEN {
            return Err(Error::Truncated(Truncation::PayloadPrefix));
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
    /// found before the caller creates any output. The [`Unlocked`] backup then decrypts into a
    /// writer or reads as a [`Read`].
    pub fn unlock<R: Read>(&self, mut reader: R) -> Result<Unlocked<InOrder<R>>> {
        let opened = self.open(&mut reader)?;
        Ok(self.unlocked(opened, InOrder::new(reader)))
    }

    /// As [`Decryptor::unlock`], for a backup read at explicit offsets from the start of
    /// `source` (a regular file, a byte slice, a `Mutex` around any `Read + Seek`): its chunks
    /// are then read by the threads that open them, and its reader seeks.
    pub fn unlock_file<R: ReadAt>(&self, source: R) -> Result<Unlocked<AtOffsets<R>>> {
        let opened = self.open(&mut ReadAtCursor::new(&source))?;
        Ok(self.unlocked(opened, AtOffsets::new(source)))
    }

    fn unlocked<S>(&self, opened: Opened, source: S) -> Unlocked<S> {
        Unlocked {
            cipher: opened.cipher,
            chunks_offset: opened.chunks_offset,
            source,
            threads: self.threads,
        }
    }

    /// Typo help, for a recovery key that opened none of the backup's recovery-key slots
    /// ([`Error::NoSlotOpened`]): reads the header from `reader` and tries every single-digit
    /// substitution and adjacent transposition of this decryptor's recovery key (about 1,000
    /// variants, one HKDF each per slot: milliseconds). When exactly one variant opens a slot,
    /// returns where the key looks mistyped, to show the user ("group 7, digit 3: you typed 8,
    /// the backup opens with b"); it never returns the key itself, and nothing is decrypted:
    /// the user types the key again. `None` when none or several variants open, when the key
    /// itself opens, or when the secret is not a recovery key. See SPEC.md ("Typo help for the
    /// recovery key") for what this costs in security: nothing for an attacker without a
    /// near-correct key.
    pub fn recovery_key_typo<R: Read>(&self, mut reader: R) -> Result<Option<RecoveryKeyTypo>> {
        let Secret::RecoveryKey(typed) = &self.secret else {
            return Ok(None);
        };
        let header = Header::read_from(&mut reader)?;
        crate::typo::find_typo(&header, typed, self.backend)
    }

    /// Decrypts a backup held in memory into a new buffer; all or nothing.
    pub fn decrypt_to_vec(&self, backup: &[u8]) -> Result<Vec<u8>> {
        let mut reader = backup;
        let opened = self.open(&mut reader)?;
        memory::open(&opened.cipher, reader, opened.chunks_offset, self.threads)
    }

    /// Opens every chunk of the backup in `data` where it lies and returns its plaintext as a
    /// view of the windows between the tags ([`OpenedBackup::chunks`],
    /// [`OpenedBackup::write_to`]): the restore that moves nothing and needs no second buffer.
    /// All or nothing: on error `data` holds no plaintext. It is unchanged when the failure
    /// comes before any chunk is opened (wrong secret, damaged header, impossible length), and
    /// wiped (zeroed) when a chunk fails to authenticate.
    pub fn open_buffer<'a>(&self, data: &'a mut [u8]) -> Result<OpenedBackup<'a>> {
        let opened = self.open(&mut &data[..])?;
        // The header and prefix were read from `data`, so they fit in it.
        let chunks_offset = opened.chunks_offset as usize;
        OpenedBackup::open(&opened.cipher, data, chunks_offset, self.threads)
    }
}

/// A backup whose secret and header have been checked, positioned at its first chunk: made by
/// [`Decryptor::unlock`] (any `Read`) or [`Decryptor::unlock_file`] (read at offsets).
pub struct Unlocked<S> {
    cipher: PayloadCipher,
    chunks_offset: u64,
    source: S,
    threads: Threads,
}

impl<S> std::fmt::Debug for Unlocked<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("chunks_offset", &self.chunks_offset)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl<S: ChunkSource> Unlocked<S> {
    /// Decrypts the chunks into `writer`, in parallel when more than one thread was set,
    /// releasing only authenticated chunks, in order. Returns the plaintext length. A damaged
    /// or truncated backup returns an error, possibly after an authenticated prefix was
    /// written: write to a temporary place and keep it only on success.
    pub fn decrypt_to<W: Write>(self, writer: W) -> Result<u64>
    where
        S: Sync,
    {
        pipeline::open(
            &self.cipher,
            &self.source,
            self.chunks_offset,
            writer,
            self.threads,
        )
    }

    /// A `Read` adapter over the chunks, on the calling thread; it also seeks when the backup
    /// is read at offsets.
    pub fn into_reader(self) -> DecryptReader<S> {
        DecryptReader::new(self.cipher, self.source, self.chunks_offset)
    }
}
