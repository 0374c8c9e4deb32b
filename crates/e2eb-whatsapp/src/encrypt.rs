//! Writing crypt15 backups in the layout WhatsApp writes: prefix, one AES-256-GCM message over
//! the zlib-compressed data (or over a ZIP archive as it is), the tag, and the MD5 of all that.
//! Used for round trips and test vectors; streaming, in bounded memory.

use std::io::{self, Read, Write};

use flate2::{Compress, Compression, FlushCompress, Status};
use md5::{Digest, Md5};

use crate::error::{Error, Payload};
use crate::gcm::{IV_LEN, StreamingGcm};
use crate::key::Crypt15Key;
use crate::prefix::{PrefixFields, build_prefix};

const READ_LEN: usize = 64 * 1024;

/// How to write a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptOptions {
    /// What the prefix says besides the IV.
    pub prefix: PrefixFields,
    /// The IV; `None` draws one from the operating system. Fixed IVs are for test vectors:
    /// two backups under one key and IV reveal the XOR of their data.
    pub iv: Option<[u8; IV_LEN]>,
    /// `Zlib` compresses the input (a database); `Zip` stores it as it is (the input is
    /// already a ZIP archive, as in multi-file backups).
    pub payload: Payload,
    /// zlib level, 0 to 9.
    pub compression_level: u32,
    /// Whether to end with the MD5 of the file (WhatsApp writes one for single databases and
    /// none for multi-file backups).
    pub md5_trailer: bool,
}

impl Default for EncryptOptions {
    /// A msgstore-like backup: zlib at the default level, with an MD5 trailer and a random IV.
    fn default() -> EncryptOptions {
        EncryptOptions {
            prefix: PrefixFields::default(),
            iv: None,
            payload: Payload::Zlib,
            compression_level: Compression::default().level(),
            md5_trailer: true,
        }
    }
}

impl EncryptOptions {
    /// A multi-file backup: the input (a ZIP archive) stored as it is, with no MD5 trailer.
    pub fn multi_file() -> EncryptOptions {
        EncryptOptions {
            payload: Payload::Zip,
            md5_trailer: false,
            ..EncryptOptions::default()
        }
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptSummary {
    /// Bytes read from the input.
    pub input_len: u64,
    /// Bytes of GCM ciphertext.
    pub ciphertext_len: u64,
    /// Bytes written in all.
    pub file_len: u64,
}

/// Feeds plaintext through GCM and MD5 into the output.
struct Sealer<W: Write> {
    output: W,
    gcm: StreamingGcm,
    md5: Md5,
    written: u64,
}

impl<W: Write> Sealer<W> {
    fn write_clear(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.md5.update(bytes);
        self.output.write_all(bytes).map_err(Error::Io)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn seal(&mut self, plaintext: &mut [u8]) -> Result<(), Error> {
        self.gcm.encrypt(plaintext).map_err(|_| Error::TooLong)?;
        self.write_clear(plaintext)
    }
}

/// Encrypts all of `input` into `output` as a crypt15 backup.
pub fn encrypt<R: Read, W: Write>(
    key: &Crypt15Key,
    options: &EncryptOptions,
    mut input: R,
    output: W,
) -> Result<EncryptSummary, Error> {
    let iv = match options.iv {
        Some(iv) => iv,
        None => {
            let mut iv = [0u8; IV_LEN];
            getrandom::fill(&mut iv).map_err(|error| {
                Error::Io(io::Error::other(format!(
                    "no randomness for the IV: {error}"
                )))
            })?;
            iv
        }
    };
    let mut sealer = Sealer {
        output,
        gcm: StreamingGcm::new(&key.encryption_key(), &iv),
        md5: Md5::new(),
        written: 0,
    };
    sealer.write_clear(&build_prefix(&options.prefix, &iv))?;

    // Both hold the database's plaintext (the second compressed, until it is sealed in place):
    // wiped when dropped.
    let mut read_buffer = zeroize::Zeroizing::new(vec![0u8; READ_LEN]);
    let mut sealed_buffer = zeroize::Zeroizing::new(vec![0u8; READ_LEN]);
    let mut compressor = match options.payload {
        Payload::Zlib => Some(Compress::new(
            Compression::new(options.compression_level.min(9)),
            true,
        )),
        Payload::Zip => None,
    };
    let mut input_len = 0u64;
    loop {
        let len = match input.read(&mut read_buffer) {
            Ok(len) => len,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::Io(error)),
        };
        input_len += len as u64;
        let at_end = len == 0;
        match &mut compressor {
            None if at_end => break,
            None => sealer.seal(&mut read_buffer[..len])?,
            Some(compressor) => {
                let flush = if at_end {
                    FlushCompress::Finish
                } else {
                    FlushCompress::None
                };
                let mut pending = &read_buffer[..len];
                loop {
                    let (in_before, out_before) = (compressor.total_in(), compressor.total_out());
                    let status = compressor
                        .compress(pending, &mut sealed_buffer, flush)
                        .map_err(|error| Error::Io(io::Error::other(error)))?;
                    let consumed = (compressor.total_in() - in_before) as usize;
                    let produced = (compressor.total_out() - out_before) as usize;
                    pending = &pending[consumed..];
                    sealer.seal(&mut sealed_buffer[..produced])?;
                    let finished = status == Status::StreamEnd;
                    // Without Finish, the compressor is done with this input once it took all
                    // of it and left some of the output buffer unused.
                    if finished || (!at_end && pending.is_empty() && produced < sealed_buffer.len())
                    {
                        break;
                    }
                }
                if at_end {
                    break;
                }
            }
        }
    }
    let tag = sealer.gcm.tag();
    let ciphertext_len = sealer.gcm.ciphertext_len();
    sealer.write_clear(&tag)?;
    if options.md5_trailer {
        let digest = sealer.md5.clone().finalize();
        sealer.output.write_all(&digest).map_err(Error::Io)?;
        sealer.written += digest.len() as u64;
    }
    sealer.output.flush().map_err(Error::Io)?;
    Ok(EncryptSummary {
        input_len,
        ciphertext_len,
        file_len: sealer.written,
    })
}

/// Encrypts `plaintext` held in memory into a crypt15 backup.
pub fn encrypt_to_vec(
    key: &Crypt15Key,
    options: &EncryptOptions,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut backup = Vec::new();
    encrypt(key, options, plaintext, &mut backup)?;
    Ok(backup)
}
