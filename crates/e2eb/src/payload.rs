//! The payload's layout: c2sp.org/chunked-encryption v1 ("Cobblestone") chunk sizes and the
//! lengths they imply. The keyed part (key schedule, nonces, sealing) is in `payload_cipher`.

use crate::error::{Error, Result};
use crate::suite::{KEY_LEN, TAG_LEN};

/// Plaintext bytes in every chunk but the last.
pub const CHUNK_LEN: usize = 16 * 1024;
/// Bytes of a full chunk once sealed.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// Length of the payload salt.
pub const SALT_LEN: usize = 24;
/// Length of the payload commitment.
pub const COMMITMENT_LEN: usize = 32;
/// Bytes before the first chunk: salt, then commitment.
pub const PREFIX_LEN: usize = SALT_LEN + COMMITMENT_LEN;
/// The chunk counter must stay below 2^38.
pub const MAX_CHUNKS: u64 = 1 << 38;
/// Length of a file key.
pub const FILE_KEY_LEN: usize = KEY_LEN;

/// Where chunk `index` starts, counted from the first byte after the payload prefix.
pub fn chunk_offset(index: u64) -> u64 {
    index * SEALED_CHUNK_LEN as u64
}

/// The plaintext length of a payload whose chunks (after the 56-byte prefix) take
/// `sealed_len` bytes, or the truncation that makes the length impossible.
pub fn plaintext_len(sealed_len: u64) -> Result<u64> {
    let full = sealed_len / SEALED_CHUNK_LEN as u64;
    let remainder = sealed_len % SEALED_CHUNK_LEN as u64;
    if remainder == 0 {
        return Err(Error::Truncated(
            crate::error::Truncation::MissingFinalChunk { index: full },
        ));
    }
    if remainder < TAG_LEN as u64 {
        return Err(Error::Truncated(
            crate::error::Truncation::FinalChunkTooShort { index: full },
        ));
    }
    if full >= MAX_CHUNKS {
        return Err(Error::MessageTooLong);
    }
    Ok(full * CHUNK_LEN as u64 + remainder - TAG_LEN as u64)
}

/// The sealed length of the chunks of a `plaintext_len`-byte message (without the prefix).
pub fn sealed_len(plaintext_len: u64) -> u64 {
    let chunks = plaintext_len / CHUNK_LEN as u64 + 1;
    plaintext_len + chunks * TAG_LEN as u64
}
