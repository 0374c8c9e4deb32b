//! Encryption as a [`Write`] adapter, one chunk at a time on the calling thread.

use std::io::{self, Write};

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::payload::{CHUNK_LEN, SEALED_CHUNK_LEN};
use crate::payload_cipher::PayloadCipher;
use crate::suite::TAG_LEN;

/// Encrypts what is written to it, one chunk at a time, into the inner writer. Made by
/// [`crate::Encryptor::writer`].
///
/// Call [`EncryptWriter::finish`] at the end: it writes the short final chunk without which the
/// message is truncated (a dropped writer leaves a backup that fails to decrypt, never one that
/// decrypts to a prefix).
///
/// A chunk is sealed exactly once. When the inner writer fails, the writer is poisoned: the
/// failing call returns the error, and every later `write`, `flush` or `finish` returns
/// [`Error::EarlierFailure`], so a retry can neither seal a chunk a second time (which would
/// release its plaintext) nor finish a backup that lacks a chunk. A `write` that returns an
/// error has taken none of its bytes.
pub struct EncryptWriter<W: Write> {
    cipher: PayloadCipher,
    inner: W,
    /// The chunk being filled, with room for its tag; holds plaintext until it is sealed.
    chunk: Zeroizing<Vec<u8>>,
    filled: usize,
    index: u64,
    poisoned: bool,
}

impl<W: Write> std::fmt::Debug for EncryptWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptWriter")
            .field("index", &self.index)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EncryptWriter<W> {
    /// Wraps `inner`, which has already received everything before the first chunk.
    pub(crate) fn new(cipher: PayloadCipher, inner: W) -> EncryptWriter<W> {
        EncryptWriter {
            cipher,
            inner,
            chunk: Zeroizing::new(vec![0; SEALED_CHUNK_LEN]),
            filled: 0,
            index: 0,
            poisoned: false,
        }
    }

    fn check_usable(&self) -> Result<()> {
        if self.poisoned {
            Err(Error::EarlierFailure)
        } else {
            Ok(())
        }
    }

    /// Seals the chunk held and writes it out; any failure poisons the writer.
    fn emit_chunk(&mut self) -> Result<()> {
        let sealed = &mut self.chunk[..self.filled + TAG_LEN];
        let outcome = self
            .cipher
            .seal_chunk(self.index, sealed)
            .and_then(|()| self.inner.write_all(sealed).map_err(Error::from_io));
        if outcome.is_err() {
            self.poisoned = true;
            self.chunk.zeroize();
        } else {
            self.index += 1;
        }
        self.filled = 0;
        outcome
    }

    /// Writes the final chunk, flushes, and returns the inner writer.
    pub fn finish(mut self) -> Result<W> {
        self.check_usable()?;
        // A full chunk waits for the next write: only then is it known not to be the last.
        if self.filled == CHUNK_LEN {
            self.emit_chunk()?;
        }
        self.emit_chunk()?;
        self.inner.flush().map_err(Error::from_io)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check_usable().map_err(Error::into_io)?;
        if data.is_empty() {
            return Ok(0);
        }
        // A full chunk is never the final one (the final chunk is always short), so it goes out
        // once more data arrives; a failure here takes none of `data`.
        if self.filled == CHUNK_LEN {
            self.emit_chunk().map_err(Error::into_io)?;
        }
        let taken = data.len().min(CHUNK_LEN - self.filled);
        self.chunk[self.filled..self.filled + taken].copy_from_slice(&data[..taken]);
        self.filled += taken;
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_usable().map_err(Error::into_io)?;
        self.inner.flush().inspect_err(|_| {
            self.poisoned = true;
            self.chunk.zeroize();
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Write};

    use zeroize::ZeroizeOnDrop;

    use crate::payload::CHUNK_LEN;
    use crate::{Encryptor, RecoveryKey, Suite};

    /// Takes the header and one chunk, then fails, as a full disk would.
    struct FailsAfter(usize);

    impl Write for FailsAfter {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.0 < data.len() {
                return Err(io::Error::other("the disk is full"));
            }
            self.0 -= data.len();
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn wipes_itself_on_drop<T: ZeroizeOnDrop>(_: &T) {}

    #[test]
    fn a_failed_write_wipes_the_chunk_the_writer_held() {
        let mut encryptor =
            Encryptor::new(Suite::Aes256Gcm).recovery_key(RecoveryKey::from_bytes([3; 32]));
        let mut writer = encryptor.writer(FailsAfter(1 << 20)).unwrap();
        wipes_itself_on_drop(&writer.chunk);
        writer.inner = FailsAfter(0);
        writer.write_all(&[0x5a; CHUNK_LEN]).unwrap();
        assert!(
            writer.chunk.contains(&0x5a),
            "the writer holds the plaintext it has not sealed yet"
        );
        // The next byte sends the full chunk out, and the write fails.
        assert!(writer.write_all(&[0x5a]).is_err());
        // `zeroize` overwrites the whole allocation, then empties the vector: nothing else does.
        assert!(writer.chunk.is_empty(), "{} bytes kept", writer.chunk.len());
    }
}
