//! Making backups: the slots' secrets collected, then one of the ways to encrypt.

use std::io::{Read, Write};

use crate::backend::Backend;
use crate::backup_buffer::BackupBuffer;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::header::Header;
use crate::kdf::{KdfParams, Password};
use crate::payload_cipher::{FileKey, PayloadCipher};
use crate::recovery_key::RecoveryKey;
use crate::slot::SlotSecret;
use crate::source::{AtOffsets, InOrder, ReadAt};
use crate::suite::Suite;
use crate::threads::Threads;
use crate::vault::{VaultAccount, VaultSecret};
use crate::writer::EncryptWriter;
use crate::{memory, pipeline};

/// Makes backups: collects the slots' secrets, then encrypts (see the crate documentation for
/// which way to encrypt when).
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

    /// Adds a slot opened by `vault_secret`, the secret that the key vault `account` names
    /// holds for that account (SPEC.md, "Vault slot"). A backup usually has a recovery-key slot
    /// too: the vault may be out of reach, or the account locked after too many wrong passwords.
    pub fn vault_secret(mut self, vault_secret: VaultSecret, account: VaultAccount) -> Encryptor {
        self.slots
            .push(SlotSecret::VaultSecret(vault_secret, account));
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

    /// Draws the file key and salts from `entropy` instead of the OS. For test vectors only:
    /// fixed randomness reused across backups reuses their keys and nonces.
    #[cfg(feature = "hazmat")]
    pub fn entropy(mut self, entropy: Entropy) -> Encryptor {
        self.entropy = entropy;
        self
    }

    /// Builds the header and payload cipher; returns the cipher and what precedes the first
    /// chunk (header and payload prefix).
    fn start(&mut self) -> Result<(PayloadCipher, Vec<u8>)> {
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
        let mut start = Vec::with_capacity(header.len() + prefix.len());
        start.extend_from_slice(header.as_bytes());
        start.extend_from_slice(&prefix);
        Ok((cipher, start))
    }

    fn start_into<W: Write>(&mut self, writer: &mut W) -> Result<PayloadCipher> {
        let (cipher, start) = self.start()?;
        writer.write_all(&start).map_err(Error::from_io)?;
        Ok(cipher)
    }

    /// Encrypts all of `reader` into `writer`; returns the plaintext length. On several
    /// threads the pool's threads read the stream in turn, each straight into the chunks it
    /// seals, while this thread writes.
    pub fn encrypt<R: Read + Send, W: Write>(&mut self, reader: R, mut writer: W) -> Result<u64> {
        let cipher = self.start_into(&mut writer)?;
        pipeline::seal(&cipher, &InOrder::new(reader), writer, self.threads)
    }

    /// Encrypts all of `input` (a regular file, read from its start to its end at explicit
    /// offsets) into `writer`: the backup [`Encryptor::encrypt`] makes, faster on several
    /// threads because they all read at once, each the chunks it seals. Returns the plaintext
    /// length.
    pub fn encrypt_file<R: ReadAt + ?Sized, W: Write>(
        &mut self,
        input: &R,
        mut writer: W,
    ) -> Result<u64> {
        let cipher = self.start_into(&mut writer)?;
        pipeline::seal(&cipher, &AtOffsets::new(input), writer, self.threads)
    }

    /// Encrypts `plaintext` in memory into a new backup, each chunk sealed from the plaintext
    /// straight into its place. Where the plaintext is not in memory yet, a
    /// [`BackupBuffer`] takes it straight into place instead.
    pub fn encrypt_to_vec(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let (cipher, start) = self.start()?;
        memory::seal(&cipher, &start, plaintext, self.threads)
    }

    /// A backup of `plaintext_len` bytes to build in memory with no copy: its header is written
    /// now, the caller writes the plaintext into each chunk's window
    /// ([`BackupBuffer::chunks_mut`], [`BackupBuffer::fill_with`], [`BackupBuffer::read_from`]),
    /// and [`BackupBuffer::seal`] encrypts the chunks where they lie. The fastest way to
    /// encrypt in memory, and it needs no memory beyond the backup.
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
        let (cipher, start) = self.start()?;
        BackupBuffer::new(&start, cipher, plaintext_len, self.threads, buffer)
    }

    /// A `Write` adapter that encrypts into `writer` on the calling thread; call
    /// [`EncryptWriter::finish`] at the end.
    pub fn writer<W: Write>(&mut self, mut writer: W) -> Result<EncryptWriter<W>> {
        let cipher = self.start_into(&mut writer)?;
        Ok(EncryptWriter::new(cipher, writer))
    }
}
