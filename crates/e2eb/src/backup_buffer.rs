//! Backups sealed and opened where their chunks lie in memory.
//!
//! A [`BackupBuffer`] is laid out as the backup it becomes: header and payload prefix, then for
//! each chunk a window for its plaintext followed by 16 bytes of room for its tag. The caller
//! writes the plaintext straight into the windows (from a file, a database dump, a decoder), and
//! sealing then encrypts every chunk where it lies, in parallel: nothing is copied or moved, so
//! each byte crosses the memory bus once each way, and the backup needs no memory beyond its own
//! size. [`OpenedBackup`] is the reverse: the chunks of a backup in memory opened where they lie,
//! their plaintexts read (or written out with vectored writes) in their windows.

use std::fmt;
use std::io::{self, Read, Write};

use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::memory::backup_len;
use crate::pass;
use crate::payload::{self, SEALED_CHUNK_LEN};
use crate::payload_cipher::PayloadCipher;
use crate::pipeline::write_plaintexts;
use crate::source::read_up_to;
use crate::suite::TAG_LEN;
use crate::threads::Threads;

/// A backup being built in memory: its header is written, and each chunk's window waits for
/// the caller's plaintext. Made by [`crate::Encryptor::backup_buffer`]; [`BackupBuffer::seal`]
/// turns it into the backup.
///
/// A new buffer's windows hold zeros; one made in a reused allocation
/// ([`crate::Encryptor::backup_buffer_in`]) holds whatever that allocation held until its
/// windows are written. A buffer dropped without being sealed wipes its windows, which may hold
/// plaintext.
pub struct BackupBuffer {
    bytes: Vec<u8>,
    cipher: PayloadCipher,
    chunks_offset: usize,
    plaintext_len: usize,
    threads: Threads,
}

impl BackupBuffer {
    /// A buffer for `plaintext_len` bytes after `start` (header and payload prefix), in the
    /// allocation of `reuse`.
    pub(crate) fn new(
        start: &[u8],
        cipher: PayloadCipher,
        plaintext_len: usize,
        threads: Threads,
        reuse: Vec<u8>,
    ) -> Result<BackupBuffer> {
        let total = backup_len(start.len(), plaintext_len)?;
        let mut bytes = reuse;
        bytes.truncate(total);
        bytes.try_reserve_exact(total - bytes.len()).map_err(|_| {
            Error::Io(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("cannot allocate a {total}-byte backup buffer"),
            ))
        })?;
        // A fresh allocation's growth comes from the allocator's lazily zeroed pages, touched
        // first by whoever fills the windows.
        bytes.resize(total, 0);
        bytes[..start.len()].copy_from_slice(start);
        Ok(BackupBuffer {
            bytes,
            cipher,
            chunks_offset: start.len(),
            plaintext_len,
            threads,
        })
    }

    /// How many plaintext bytes the windows hold in all.
    pub fn plaintext_len(&self) -> usize {
        self.plaintext_len
    }

    /// How many bytes the backup will be.
    pub fn backup_len(&self) -> usize {
        self.bytes.len()
    }

    /// The plaintext windows in order: chunk `i`'s holds plaintext bytes
    /// `i * CHUNK_LEN..(i + 1) * CHUNK_LEN` (the last one fewer, possibly none).
    pub fn chunks_mut(&mut self) -> impl ExactSizeIterator<Item = &mut [u8]> + '_ {
        self.bytes[self.chunks_offset..]
            .chunks_mut(SEALED_CHUNK_LEN)
            .map(window)
    }

    /// Fills every window with `fill(index, window)`, on the encryptor's threads when there are
    /// enough chunks to share out: from a file read at offsets, for instance, each thread reading
    /// the windows it fills (window `index` takes plaintext bytes from `index * CHUNK_LEN`). The
    /// first error of the lowest failing window is returned, and then all windows are wiped.
    pub fn fill_with<F>(&mut self, fill: F) -> Result<()>
    where
        F: Fn(usize, &mut [u8]) -> std::io::Result<()> + Sync,
    {
        pass::for_each_chunk(
            self.threads,
            &mut self.bytes[self.chunks_offset..],
            SEALED_CHUNK_LEN,
            |index, chunk| fill(index as usize, window(chunk)).map_err(Error::from_io),
        )
    }

    /// Fills every window from `reader`, which must yield at least
    /// [`BackupBuffer::plaintext_len`] bytes (more are left unread).
    pub fn read_from<R: Read>(&mut self, mut reader: R) -> Result<()> {
        let expected = self.plaintext_len;
        let mut filled = 0usize;
        for window in self.chunks_mut() {
            let read = read_up_to(&mut reader, window)?;
            filled += read;
            if read < window.len() {
                return Err(Error::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the plaintext ended after {filled} of the {expected} bytes the backup \
                         buffer was made for"
                    ),
                )));
            }
        }
        Ok(())
    }

    /// Seals every chunk where it lies, in parallel when more than one thread is set, and
    /// returns the backup. On error the windows are wiped.
    pub fn seal(mut self) -> Result<Vec<u8>> {
        let mut bytes = std::mem::take(&mut self.bytes);
        pass::for_each_chunk(
            self.threads,
            &mut bytes[self.chunks_offset..],
            SEALED_CHUNK_LEN,
            |index, chunk| self.cipher.seal_chunk(index, chunk),
        )?;
        Ok(bytes)
    }
}

/// A sealed chunk's plaintext window: all of it but the room for the tag.
fn window(chunk: &mut [u8]) -> &mut [u8] {
    let len = chunk.len() - TAG_LEN;
    &mut chunk[..len]
}

impl Drop for BackupBuffer {
    fn drop(&mut self) {
        // Unsealed windows may hold plaintext; a sealed buffer has handed its bytes on.
        self.bytes.zeroize();
    }
}

impl fmt::Debug for BackupBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupBuffer")
            .field("plaintext_len", &self.plaintext_len)
            .field("backup_len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A backup in memory whose chunks have all been opened where they lie: its plaintext, chunk by
/// chunk, in the windows between the tags. Made by [`crate::Decryptor::open_buffer`]; the
/// plaintext stays in the caller's buffer, which the caller wipes if it must.
pub struct OpenedBackup<'a> {
    bytes: &'a [u8],
    chunks_offset: usize,
    plaintext_len: usize,
}

impl<'a> OpenedBackup<'a> {
    /// Opens the chunks of `buffer` after `chunks_offset`, all or nothing: on error the whole
    /// buffer is wiped, the lowest failing chunk naming the error. An impossible payload length
    /// is found before anything changes.
    pub(crate) fn open(
        cipher: &PayloadCipher,
        buffer: &'a mut [u8],
        chunks_offset: usize,
        threads: Threads,
    ) -> Result<OpenedBackup<'a>> {
        let sealed_len = buffer.len().saturating_sub(chunks_offset);
        let plaintext_len = usize::try_from(payload::plaintext_len(sealed_len as u64)?)
            .map_err(|_| Error::MessageTooLong)?;
        // On failure the pass wipes the chunks: those other than the failing one may have
        // opened, and none of them is released.
        pass::for_each_chunk(
            threads,
            &mut buffer[chunks_offset..],
            SEALED_CHUNK_LEN,
            |index, chunk| {
                let offset = chunks_offset as u64 + payload::chunk_offset(index);
                cipher.open_chunk(index, chunk, offset)
            },
        )
        .inspect_err(|_| buffer[..chunks_offset].zeroize())?;
        Ok(OpenedBackup {
            bytes: buffer,
            chunks_offset,
            plaintext_len,
        })
    }

    /// How many plaintext bytes the windows hold in all.
    pub fn plaintext_len(&self) -> usize {
        self.plaintext_len
    }

    /// The plaintext windows in order: chunk `i`'s holds plaintext bytes
    /// `i * CHUNK_LEN..(i + 1) * CHUNK_LEN` (the last one fewer, possibly none).
    pub fn chunks(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        self.bytes[self.chunks_offset..]
            .chunks(SEALED_CHUNK_LEN)
            .map(|chunk| &chunk[..chunk.len() - TAG_LEN])
    }

    /// Writes the plaintext to `writer` with vectored writes (a few MiB of windows a call) where
    /// the writer supports them; returns the plaintext length.
    pub fn write_to<W: Write>(&self, mut writer: W) -> Result<u64> {
        /// Windows per vectored write (4 MiB), below every platform's limit on slices a call
        /// once `write_vectored` splits them.
        const WINDOWS_PER_WRITE: usize = 256;
        for group in self.bytes[self.chunks_offset..].chunks(WINDOWS_PER_WRITE * SEALED_CHUNK_LEN) {
            write_plaintexts(&mut writer, group)?;
        }
        writer.flush().map_err(Error::from_io)?;
        Ok(self.plaintext_len as u64)
    }

    /// The plaintext, copied into one contiguous vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut plaintext = Vec::with_capacity(self.plaintext_len);
        self.chunks()
            .for_each(|window| plaintext.extend_from_slice(window));
        plaintext
    }
}

impl fmt::Debug for OpenedBackup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedBackup")
            .field("plaintext_len", &self.plaintext_len)
            .finish_non_exhaustive()
    }
}
