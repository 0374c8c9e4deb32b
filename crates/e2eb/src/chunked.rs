//! The payload layer alone: c2sp.org/chunked-encryption with a caller-supplied input key and
//! context, as its test vectors exercise it. Hazardous: the caller is responsible for the input
//! key and the context that the backup format otherwise derives and binds.

use std::io::{Read, Write};

use crate::backend::Backend;
use crate::entropy::Entropy;
use crate::error::{Error, Result, Truncation};
use crate::payload::PREFIX_LEN;
use crate::payload_cipher::PayloadCipher;
use crate::reader::DecryptReader;
use crate::source::{AtOffsets, InOrder, ReadAt, read_up_to};
use crate::suite::{self, Suite};
use crate::threads::Threads;
use crate::{memory, pipeline};

/// How the payload functions run: threads and AEAD backend. A bare [`Threads`] converts into
/// options with the default backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    threads: Threads,
    backend: Backend,
}

impl Options {
    /// These threads, with `backend`.
    pub fn new(threads: Threads, backend: Backend) -> Options {
        Options { threads, backend }
    }
}

impl From<Threads> for Options {
    fn from(threads: Threads) -> Options {
        Options::new(threads, Backend::Auto)
    }
}

/// Encrypts `reader` into `writer` as a complete chunked-encryption message
/// (salt || commitment || chunks).
pub fn encrypt<R: Read + Send, W: Write>(
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
    pipeline::seal(&cipher, &InOrder::new(reader), writer, threads)
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
    memory::seal(&cipher, &prefix, plaintext, threads)
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
    if read_up_to(reader, &mut prefix)? < PREFIX_LEN {
        return Err(Error::Truncated(Truncation::PayloadPrefix));
    }
    PayloadCipher::for_decryption(suite, backend, input_key, context, &prefix)
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
    memory::open(&cipher, reader, PREFIX_LEN as u64, threads)
}

/// Decrypts a chunked-encryption message into `writer` with the batched pipeline, releasing
/// only authenticated chunks.
pub fn decrypt<R: Read + Send, W: Write>(
    suite: Suite,
    input_key: &[u8],
    context: &[u8],
    mut reader: R,
    writer: W,
    options: impl Into<Options>,
) -> Result<u64> {
    let Options { threads, backend } = options.into();
    let cipher = open(suite, backend, input_key, context, &mut reader)?;
    pipeline::open(
        &cipher,
        &InOrder::new(reader),
        PREFIX_LEN as u64,
        writer,
        threads,
    )
}

/// A `Read` adapter over a chunked-encryption message.
pub fn reader<R: Read>(
    suite: Suite,
    input_key: &[u8],
    context: &[u8],
    mut reader: R,
) -> Result<DecryptReader<InOrder<R>>> {
    let cipher = open(suite, Backend::Auto, input_key, context, &mut reader)?;
    Ok(DecryptReader::new(
        cipher,
        InOrder::new(reader),
        PREFIX_LEN as u64,
    ))
}

/// A `Read + Seek` adapter over a chunked-encryption message read at offsets from 0.
pub fn reader_at<R: ReadAt>(
    suite: Suite,
    input_key: &[u8],
    context: &[u8],
    source: R,
) -> Result<DecryptReader<AtOffsets<R>>> {
    let cipher = open(
        suite,
        Backend::Auto,
        input_key,
        context,
        &mut crate::source::ReadAtCursor::new(&source),
    )?;
    Ok(DecryptReader::new(
        cipher,
        AtOffsets::new(source),
        PREFIX_LEN as u64,
    ))
}
