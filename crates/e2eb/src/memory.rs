//! Whole payloads in memory: sealed from a plaintext slice into a new buffer, or opened from a
//! backup slice into a new plaintext buffer, each chunk by one task straight from its source to
//! its place (one read of each byte from memory, one write). All or nothing when opening.

use crate::error::{Error, Result};
use crate::pass;
use crate::payload::{self, CHUNK_LEN, MAX_CHUNKS, SEALED_CHUNK_LEN};
use crate::payload_cipher::PayloadCipher;
use crate::suite::TAG_LEN;
use crate::threads::Threads;

/// The length of a backup in memory: `start_len` bytes (header and payload prefix) and then the
/// sealed chunks of `plaintext_len` bytes; `MessageTooLong` where the message has more chunks
/// than the format allows or the backup's length does not fit in a `usize`.
pub(crate) fn backup_len(start_len: usize, plaintext_len: usize) -> Result<usize> {
    if plaintext_len as u64 / CHUNK_LEN as u64 >= MAX_CHUNKS {
        return Err(Error::MessageTooLong);
    }
    usize::try_from(payload::sealed_len(plaintext_len as u64))
        .ok()
        .and_then(|sealed_len| sealed_len.checked_add(start_len))
        .ok_or(Error::MessageTooLong)
}

/// `start` (header and payload prefix) followed by the sealed chunks of `plaintext`. The buffer
/// comes zeroed from the allocator's lazily mapped pages, so its pages are first touched by the
/// sealing tasks rather than by one thread up front.
pub(crate) fn seal(
    cipher: &PayloadCipher,
    start: &[u8],
    plaintext: &[u8],
    threads: Threads,
) -> Result<Vec<u8>> {
    let mut backup = vec![0u8; backup_len(start.len(), plaintext.len())?];
    backup[..start.len()].copy_from_slice(start);
    pass::for_each_chunk(
        threads,
        &mut backup[start.len()..],
        SEALED_CHUNK_LEN,
        |index, sealed| {
            let from = index as usize * CHUNK_LEN;
            let len = sealed.len() - TAG_LEN;
            cipher.seal_chunk_from(index, &plaintext[from..from + len], sealed)
        },
    )?;
    Ok(backup)
}

/// Opens the chunks `sealed` (everything after the payload prefix, which sits at
/// `chunks_offset` in the backup) into a new plaintext buffer: all or nothing.
pub(crate) fn open(
    cipher: &PayloadCipher,
    sealed: &[u8],
    chunks_offset: u64,
    threads: Threads,
) -> Result<Vec<u8>> {
    let plaintext_len = usize::try_from(payload::plaintext_len(sealed.len() as u64)?)
        .map_err(|_| Error::MessageTooLong)?;
    let open = |index: u64, plaintext: &mut [u8]| {
        let from = index as usize * SEALED_CHUNK_LEN;
        let (body, tag) = sealed[from..from + plaintext.len() + TAG_LEN].split_at(plaintext.len());
        let offset = chunks_offset + payload::chunk_offset(index);
        let tag = tag.try_into().expect("TAG_LEN bytes");
        cipher.open_chunk_to(index, body, tag, plaintext, offset)
    };
    let mut plaintext = vec![0u8; plaintext_len];
    pass::for_each_chunk(threads, &mut plaintext, CHUNK_LEN, open)?;
    // A message of whole chunks ends with an empty chunk, which has no piece of the plaintext.
    if plaintext_len.is_multiple_of(CHUNK_LEN)
        && let Err(error) = open((plaintext_len / CHUNK_LEN) as u64, &mut [])
    {
        zeroize::Zeroize::zeroize(&mut plaintext);
        return Err(error);
    }
    Ok(plaintext)
}
