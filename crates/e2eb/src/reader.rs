//! Decryption as a [`Read`] adapter (and [`Seek`] where the backup is read at offsets), one
//! chunk at a time on the calling thread; only authenticated plaintext comes out.

use std::io::{self, IoSliceMut, Read, Seek, SeekFrom};

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result, Truncation};
use crate::payload::{self, CHUNK_LEN, SEALED_CHUNK_LEN};
use crate::payload_cipher::PayloadCipher;
use crate::source::{AtOffsets, ChunkSource, ReadAt};
use crate::suite::TAG_LEN;

/// Decrypts a backup as it is read, chunk by chunk; made by
/// [`crate::Unlocked::into_reader`]. Over a backup read at offsets
/// ([`crate::Decryptor::unlock_file`]) it also seeks, opening only the chunks it reads; the
/// first seek authenticates the final chunk, so the plaintext length it seeks against is the
/// real one.
///
/// After a failed read (or a seek that failed to open the final chunk) every further read or
/// seek fails with [`Error::EarlierFailure`]; a seek refused for landing before the start
/// changes nothing.
pub struct DecryptReader<S> {
    cipher: PayloadCipher,
    source: S,
    chunks_offset: u64,
    /// The chunk loaded, opened in place: its plaintext, then its tag.
    chunk: Zeroizing<Vec<u8>>,
    /// The index and plaintext length of the chunk loaded.
    loaded: Option<(u64, usize)>,
    position: u64,
    /// Known once the final chunk has been opened.
    plaintext_len: Option<u64>,
    failed: bool,
}

impl<S> std::fmt::Debug for DecryptReader<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptReader")
            .field("position", &self.position)
            .field("plaintext_len", &self.plaintext_len)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<S: ChunkSource> DecryptReader<S> {
    /// Reads `source`, whose first chunk sits at `chunks_offset`.
    pub(crate) fn new(cipher: PayloadCipher, source: S, chunks_offset: u64) -> DecryptReader<S> {
        DecryptReader {
            cipher,
            source,
            chunks_offset,
            chunk: Zeroizing::new(vec![0; SEALED_CHUNK_LEN]),
            loaded: None,
            position: 0,
            plaintext_len: None,
            failed: false,
        }
    }

    /// Runs `operation`; a failure poisons the reader and wipes the chunk it held.
    fn or_poison<T>(&mut self, operation: impl FnOnce(&mut Self) -> Result<T>) -> io::Result<T> {
        if self.failed {
            return Err(Error::EarlierFailure.into_io());
        }
        operation(self).map_err(|error| {
            self.failed = true;
            self.loaded = None;
            self.chunk.zeroize();
            error.into_io()
        })
    }

    /// Reads and opens chunk `index` (a stream source is always at the next one).
    fn load(&mut self, index: u64) -> Result<()> {
        if self.loaded.is_some_and(|(loaded, _)| loaded == index) {
            return Ok(());
        }
        self.loaded = None;
        let offset = self.chunks_offset + payload::chunk_offset(index);
        let read = self
            .source
            .fill(&mut [IoSliceMut::new(&mut self.chunk)], offset)?;
        if read < TAG_LEN {
            return Err(Error::Truncated(if read == 0 {
                Truncation::MissingFinalChunk { index }
            } else {
                Truncation::FinalChunkTooShort { index }
            }));
        }
        self.cipher
            .open_chunk(index, &mut self.chunk[..read], offset)?;
        if read < SEALED_CHUNK_LEN {
            self.plaintext_len = Some(index * CHUNK_LEN as u64 + (read - TAG_LEN) as u64);
        }
        self.loaded = Some((index, read - TAG_LEN));
        Ok(())
    }
}

impl<S: ChunkSource> Read for DecryptReader<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.or_poison(|reader| {
            if out.is_empty()
                || reader
                    .plaintext_len
                    .is_some_and(|len| reader.position >= len)
            {
                return Ok(0);
            }
            let index = reader.position / CHUNK_LEN as u64;
            reader.load(index)?;
            let (_, len) = reader.loaded.expect("just loaded");
            let within = (reader.position % CHUNK_LEN as u64) as usize;
            let n = out.len().min(len.saturating_sub(within));
            out[..n].copy_from_slice(&reader.chunk[within..within + n]);
            reader.position += n as u64;
            Ok(n)
        })
    }
}

impl<R: ReadAt> DecryptReader<AtOffsets<R>> {
    /// The plaintext length, authenticated by opening the final chunk.
    fn authenticated_len(&mut self) -> Result<u64> {
        if let Some(len) = self.plaintext_len {
            return Ok(len);
        }
        let total = self.source.source().size().map_err(Error::from_io)?;
        let sealed_len = total
            .checked_sub(self.chunks_offset)
            .ok_or(Error::Truncated(Truncation::PayloadPrefix))?;
        let len = payload::plaintext_len(sealed_len)?;
        self.load(len / CHUNK_LEN as u64)?;
        // Opening it set the length, unless the source changed under us.
        self.plaintext_len
            .filter(|&opened| opened == len)
            .ok_or(Error::Truncated(Truncation::FinalChunkTooShort {
                index: len / CHUNK_LEN as u64,
            }))
    }
}

impl<R: ReadAt> Seek for DecryptReader<AtOffsets<R>> {
    fn seek(&mut self, target: SeekFrom) -> io::Result<u64> {
        let len = self.or_poison(Self::authenticated_len)?;
        let (base, delta) = match target {
            SeekFrom::Start(position) => (position, 0),
            SeekFrom::End(delta) => (len, delta),
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
    use std::io::{Read, Seek, SeekFrom};

    use zeroize::ZeroizeOnDrop;

    use crate::payload::CHUNK_LEN;
    use crate::{Decryptor, Encryptor, RecoveryKey, Secret, Suite};

    /// The buffer's type wipes it when the reader is dropped.
    fn wipes_itself_on_drop<T: ZeroizeOnDrop>(_: &T) {}

    fn backup(len: usize) -> (Vec<u8>, Vec<u8>) {
        let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
        let backup = Encryptor::new(Suite::ChaCha20Poly1305)
            .recovery_key(RecoveryKey::from_bytes([9; 32]))
            .encrypt_to_vec(&plaintext)
            .unwrap();
        (plaintext, backup)
    }

    fn decryptor() -> Decryptor {
        Decryptor::new(Secret::RecoveryKey(RecoveryKey::from_bytes([9; 32])))
    }

    #[test]
    fn a_failed_read_wipes_the_chunk_the_reader_held() {
        let (plaintext, mut backup) = backup(3 * CHUNK_LEN);
        let len = backup.len();
        // The last full chunk is damaged; the ones before it open.
        backup[len - 40] ^= 1;
        let mut reader = decryptor().unlock(&backup[..]).unwrap().into_reader();
        wipes_itself_on_drop(&reader.chunk);
        let mut first = vec![0; CHUNK_LEN];
        reader.read_exact(&mut first).unwrap();
        assert_eq!(first, plaintext[..CHUNK_LEN]);
        assert!(
            reader.chunk.iter().any(|&byte| byte != 0),
            "the reader holds the plaintext of the chunk it opened"
        );
        let mut rest = Vec::new();
        assert!(reader.read_to_end(&mut rest).is_err());
        // `zeroize` overwrites the whole allocation, then empties the vector: nothing else does.
        assert!(reader.chunk.is_empty(), "{} bytes kept", reader.chunk.len());
    }

    #[test]
    fn a_failed_seek_wipes_the_chunk_the_seekable_reader_held() {
        let (_, mut backup) = backup(3 * CHUNK_LEN + 100);
        let len = backup.len();
        backup[len - 20] ^= 1;
        let mut reader = decryptor().unlock_file(&backup[..]).unwrap().into_reader();
        wipes_itself_on_drop(&reader.chunk);
        let mut first = vec![0; 100];
        reader.read_exact(&mut first).unwrap();
        assert!(reader.chunk.iter().any(|&byte| byte != 0));
        // Seeking from the end must open the damaged final chunk first.
        assert!(reader.seek(SeekFrom::End(-10)).is_err());
        assert!(reader.chunk.is_empty(), "{} bytes kept", reader.chunk.len());
    }
}
