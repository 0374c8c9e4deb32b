//! Where a backup (or the plaintext to encrypt) is read from: any [`Read`] stream, read in
//! order, or a [`ReadAt`] source such as a regular file, read at explicit offsets so that
//! several threads can read it at once, each the chunks it seals or opens.

use std::io::{self, IoSliceMut, Read, Seek, SeekFrom};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// A source read at explicit offsets, so that several threads can read it at once: a regular
/// file, a byte slice, or any `Read + Seek` behind a [`Mutex`]. Reading from one lets each
/// thread read the chunks it seals or opens, so that the copy out of the file is shared out like
/// the cryptography and the data is sealed while it is still in that core's cache; it also
/// lets a decrypting reader seek.
pub trait ReadAt: Sync {
    /// Reads into `buffer` from `offset`; returns how many bytes were read, fewer than asked
    /// only at the end of the source (or where the source says so), 0 past its end.
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize>;

    /// The source's length in bytes.
    fn size(&self) -> io::Result<u64>;
}

#[cfg(unix)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buffer, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

#[cfg(windows)]
impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buffer, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        let n = buffer.len().min(self.len() - start);
        buffer[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        self.as_slice().read_at(buffer, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
}

/// Any `Read + Seek` (a cursor, a file handle of another kind) as a [`ReadAt`] source: each read
/// seeks first, one thread at a time.
impl<R: Read + Seek + Send> ReadAt for Mutex<R> {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut inner = self.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.seek(SeekFrom::Start(offset))?;
        inner.read(buffer)
    }

    fn size(&self) -> io::Result<u64> {
        let mut inner = self.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.seek(SeekFrom::End(0))
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        (**self).read_at(buffer, offset)
    }

    fn size(&self) -> io::Result<u64> {
        (**self).size()
    }
}

/// How the engine reads chunks from a source: it hands out runs of consecutive chunks to the
/// threads that seal or open them, and each run's bytes land straight in the windows where
/// they are sealed or opened.
pub trait ChunkSource: sealed::Sealed {
    /// Whether runs must be read one after the other in order (a stream), under the lock that
    /// hands them out, rather than at their offsets by whichever thread takes them.
    #[doc(hidden)]
    const IN_ORDER: bool;

    /// Fills `windows` in order with the source's bytes from `offset` until they are full or
    /// the source ends; returns how many bytes that was. An in-order source is always at
    /// `offset`.
    #[doc(hidden)]
    fn fill(&self, windows: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize>;
}

mod sealed {
    pub trait Sealed {}
    impl<R> Sealed for super::InOrder<R> {}
    impl<R> Sealed for super::AtOffsets<R> {}
}

/// A [`Read`] stream as a chunk source: read in order, one run of chunks at a time, by the
/// thread that seals or opens the run.
pub struct InOrder<R>(Mutex<R>);

impl<R> InOrder<R> {
    pub(crate) fn new(reader: R) -> InOrder<R> {
        InOrder(Mutex::new(reader))
    }
}

impl<R: Read> ChunkSource for InOrder<R> {
    const IN_ORDER: bool = true;

    fn fill(&self, windows: &mut [IoSliceMut<'_>], _offset: u64) -> Result<usize> {
        let mut reader = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        read_vectored_up_to(&mut *reader, windows)
    }
}

/// A [`ReadAt`] source as a chunk source: each run read at its offset by the thread that seals
/// or opens it.
pub struct AtOffsets<R>(R);

impl<R> AtOffsets<R> {
    pub(crate) fn new(source: R) -> AtOffsets<R> {
        AtOffsets(source)
    }

    pub(crate) fn source(&self) -> &R {
        &self.0
    }
}

impl<R: ReadAt> ChunkSource for AtOffsets<R> {
    const IN_ORDER: bool = false;

    fn fill(&self, windows: &mut [IoSliceMut<'_>], offset: u64) -> Result<usize> {
        let mut filled = 0usize;
        for window in windows {
            let read = read_full_at(&self.0, window, offset + filled as u64)?;
            filled += read;
            if read < window.len() {
                break;
            }
        }
        Ok(filled)
    }
}

impl<R> std::fmt::Debug for InOrder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InOrder")
    }
}

impl<R> std::fmt::Debug for AtOffsets<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtOffsets")
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
pub(crate) fn read_full_at<R: ReadAt + ?Sized>(
    source: &R,
    buffer: &mut [u8],
    offset: u64,
) -> Result<usize> {
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

/// Fills as much of `buffer` as the reader yields before its end; returns how much.
pub(crate) fn read_up_to<R: Read + ?Sized>(reader: &mut R, buffer: &mut [u8]) -> Result<usize> {
    read_vectored_up_to(reader, &mut [IoSliceMut::new(buffer)])
}

/// Fills `slices` in order until they are full or the reader is at its end; returns how much
/// was read. Readers without vectored reads fill one slice per call, as plain reads would.
pub(crate) fn read_vectored_up_to<R: Read + ?Sized>(
    reader: &mut R,
    mut slices: &mut [IoSliceMut<'_>],
) -> Result<usize> {
    let mut total = 0;
    IoSliceMut::advance_slices(&mut slices, 0);
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
