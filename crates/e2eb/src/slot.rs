//! Key slots: each wraps the backup's file key under a key-encryption key derived from one
//! secret (a recovery key, a password, or a key vault's vault secret), with a key check that
//! commits the slot to that secret.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::backend::Backend;
use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::hkdf_sha512;
use crate::kdf::{self, KEK_LEN, KdfParams, Password};
use crate::payload::FILE_KEY_LEN;
use crate::payload_cipher::FileKey;
use crate::recovery_key::RecoveryKey;
use crate::suite::{KEY_LEN, NONCE_LEN, Suite, TAG_LEN};
use crate::vault::{
    MAX_ACCOUNT_LEN, MAX_URL_LEN, MIN_ACCOUNT_LEN, VAULT_SALT_LEN, VaultAccount, VaultId,
    VaultSecret,
};
use crate::version::fixed_prefix;

pub use crate::slot_kind::{SlotKind, TYPE_ARGON2ID, TYPE_RECOVERY_KEY, TYPE_SCRYPT, TYPE_VAULT};

/// Length of a recovery-key slot's salt.
pub const RECOVERY_KEY_SALT_LEN: usize = 32;
/// Length of a slot's key check.
pub const KEY_CHECK_LEN: usize = 32;
/// Length of a wrapped file key: the encrypted key and its tag.
pub const WRAPPED_KEY_LEN: usize = FILE_KEY_LEN + TAG_LEN;
/// Length of the part every known slot ends with: key check, then wrapped file key.
pub const SEALED_LEN: usize = KEY_CHECK_LEN + WRAPPED_KEY_LEN;

/// HKDF info label of the slot key schedule (SPEC.md, "Wrapping the file key").
const SLOT_LABEL: &[u8] = b"e2eb v1 key slot";
/// HKDF info of the recovery-key KEK (SPEC.md, "Recovery-key slot").
const RECOVERY_KEY_LABEL: &[u8] = b"e2eb v1 recovery key";
/// HKDF info of the vault-secret KEK (SPEC.md, "Vault slot").
const VAULT_SECRET_LABEL: &[u8] = b"e2eb v1 vault secret";

/// A secret that can open key slots.
#[derive(Debug)]
#[non_exhaustive]
pub enum Secret {
    /// Opens recovery-key slots.
    RecoveryKey(RecoveryKey),
    /// Opens Argon2id and scrypt slots.
    Password(Password),
    /// Opens vault slots.
    VaultSecret(VaultSecret),
}

impl Secret {
    /// Which kind of secret this is.
    pub fn kind(&self) -> crate::error::SecretKind {
        match self {
            Secret::RecoveryKey(_) => crate::error::SecretKind::RecoveryKey,
            Secret::Password(_) => crate::error::SecretKind::Password,
            Secret::VaultSecret(_) => crate::error::SecretKind::VaultSecret,
        }
    }
}

/// What a new slot is opened by: the secret and, for a password, the KDF and its parameters.
#[derive(Debug)]
#[non_exhaustive]
pub enum SlotSecret {
    /// A recovery-key slot.
    RecoveryKey(RecoveryKey),
    /// A password slot.
    Password(Password, KdfParams),
    /// A vault slot: the vault secret, and the vault and account that hold it.
    VaultSecret(VaultSecret, VaultAccount),
}

/// The key check and wrapped file key every known slot ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedFileKey {
    /// Commits the slot to one key-encryption key (SPEC.md, "Why a key check").
    pub key_check: [u8; KEY_CHECK_LEN],
    /// The file key encrypted under the slot's wrap key, then its tag.
    pub wrapped: [u8; WRAPPED_KEY_LEN],
}

/// One key slot of a header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySlot {
    /// Opened by the recovery key.
    RecoveryKey {
        /// HKDF salt.
        salt: [u8; RECOVERY_KEY_SALT_LEN],
        /// The sealed file key.
        sealed: SealedFileKey,
    },
    /// Opened by a password.
    Password {
        /// The KDF and its parameters.
        kdf: KdfParams,
        /// The KDF salt, 16..=64 bytes.
        salt: Vec<u8>,
        /// The sealed file key.
        sealed: SealedFileKey,
    },
    /// Opened by the vault secret a key vault holds for an account.
    Vault {
        /// The vault, the account on it and where to reach it: readable without a secret.
        account: VaultAccount,
        /// HKDF salt.
        salt: [u8; VAULT_SALT_LEN],
        /// The sealed file key.
        sealed: SealedFileKey,
    },
    /// A slot of a type this build does not know, kept byte for byte.
    Unknown {
        /// Its type byte.
        type_id: u8,
        /// Its body.
        body: Vec<u8>,
    },
}

impl KeySlot {
    /// The slot's kind.
    pub fn kind(&self) -> SlotKind {
        match self {
            KeySlot::RecoveryKey { .. } => SlotKind::RecoveryKey,
            KeySlot::Password {
                kdf: KdfParams::Argon2id(_),
                ..
            } => SlotKind::Argon2id,
            KeySlot::Password {
                kdf: KdfParams::Scrypt(_),
                ..
            } => SlotKind::Scrypt,
            KeySlot::Vault { .. } => SlotKind::Vault,
            KeySlot::Unknown { type_id, .. } => SlotKind::Unknown(*type_id),
        }
    }

    /// Appends the slot's parameters: its body up to the key check.
    fn encode_parameters(&self, out: &mut Vec<u8>) {
        match self {
            KeySlot::RecoveryKey { salt, .. } => out.extend_from_slice(salt),
            KeySlot::Password {
                kdf: KdfParams::Argon2id(params),
                salt,
                ..
            } => {
                out.extend_from_slice(&params.memory_kib().to_be_bytes());
                out.extend_from_slice(&params.passes().to_be_bytes());
                out.extend_from_slice(&params.lanes().to_be_bytes());
                push_salt(out, salt);
            }
            KeySlot::Password {
                kdf: KdfParams::Scrypt(params),
                salt,
                ..
            } => {
                out.push(params.log_n());
                out.extend_from_slice(&params.r().to_be_bytes());
                out.extend_from_slice(&params.p().to_be_bytes());
                push_salt(out, salt);
            }
            KeySlot::Vault { account, salt, .. } => account.encode(salt, out),
            KeySlot::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn sealed(&self) -> Option<&SealedFileKey> {
        match self {
            KeySlot::RecoveryKey { sealed, .. }
            | KeySlot::Password { sealed, .. }
            | KeySlot::Vault { sealed, .. } => Some(sealed),
            KeySlot::Unknown { .. } => None,
        }
    }

    /// Appends the slot's encoding: type, body length, body.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(256);
        self.encode_parameters(&mut body);
        if let Some(sealed) = self.sealed() {
            body.extend_from_slice(&sealed.key_check);
            body.extend_from_slice(&sealed.wrapped);
        }
        out.push(self.kind().type_id());
        let length =
            u16::try_from(body.len()).expect("slot bodies are bounded by MAX_SLOT_BODY_LEN");
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&body);
    }

    /// Decodes a slot body of a known type; `Ok(None)` for a type this build does not know.
    /// `Err` carries what is wrong, for [`Error::MalformedSlot`].
    pub(crate) fn decode(type_id: u8, body: &[u8]) -> Result<KeySlot, String> {
        let Some(parameters_len) = body.len().checked_sub(SEALED_LEN) else {
            if matches!(
                type_id,
                TYPE_RECOVERY_KEY | TYPE_ARGON2ID | TYPE_SCRYPT | TYPE_VAULT
            ) {
                return Err(format!(
                    "body of {} bytes is too short for a {} slot",
                    body.len(),
                    kind_name(type_id)
                ));
            }
            return Ok(KeySlot::Unknown {
                type_id,
                body: body.to_vec(),
            });
        };
        let (parameters, sealed) = body.split_at(parameters_len);
        let sealed = SealedFileKey {
            key_check: sealed[..KEY_CHECK_LEN]
                .try_into()
                .expect("split at SEALED_LEN"),
            wrapped: sealed[KEY_CHECK_LEN..]
                .try_into()
                .expect("split at SEALED_LEN"),
        };
        let mut reader = FieldReader(parameters);
        let slot = match type_id {
            TYPE_RECOVERY_KEY => {
                let salt = reader.array::<RECOVERY_KEY_SALT_LEN>("salt")?;
                KeySlot::RecoveryKey { salt, sealed }
            }
            TYPE_ARGON2ID => {
                let params = kdf::Argon2idParams::unvalidated(
                    reader.u32("m")?,
                    reader.u32("t")?,
                    reader.u32("p")?,
                );
                let salt = reader.salt()?;
                let kdf = KdfParams::Argon2id(params);
                kdf.validate().map_err(|error| error.to_string())?;
                KeySlot::Password { kdf, salt, sealed }
            }
            TYPE_SCRYPT => {
                let params = kdf::ScryptParams::unvalidated(
                    reader.u8("log2 N")?,
                    reader.u32("r")?,
                    reader.u32("p")?,
                );
                let salt = reader.salt()?;
                let kdf = KdfParams::Scrypt(params);
                kdf.validate().map_err(|error| error.to_string())?;
                KeySlot::Password { kdf, salt, sealed }
            }
            TYPE_VAULT => {
                let vault_id = VaultId::from_bytes(reader.array("vault id")?);
                let salt = reader.array::<VAULT_SALT_LEN>("salt")?;
                let account_len = usize::from(reader.u8("account length")?);
                if !(MIN_ACCOUNT_LEN..=MAX_ACCOUNT_LEN).contains(&account_len) {
                    return Err(format!(
                        "account length {account_len} is outside \
                         {MIN_ACCOUNT_LEN}..={MAX_ACCOUNT_LEN} bytes"
                    ));
                }
                let account = reader.take(account_len, "account")?.to_vec();
                let url_len = usize::from(u16::from_be_bytes(reader.array("URL length")?));
                if url_len > MAX_URL_LEN {
                    return Err(format!("URL length {url_len} exceeds {MAX_URL_LEN} bytes"));
                }
                let url = String::from_utf8(reader.take(url_len, "URL")?.to_vec())
                    .map_err(|error| format!("the URL hint is not UTF-8: {error}"))?;
                KeySlot::Vault {
                    account: VaultAccount::unvalidated(vault_id, account, url),
                    salt,
                    sealed,
                }
            }
            _ => {
                return Ok(KeySlot::Unknown {
                    type_id,
                    body: body.to_vec(),
                });
            }
        };
        if !reader.0.is_empty() {
            return Err(format!(
                "{} slot body has {} bytes after its fields",
                kind_name(type_id),
                reader.0.len()
            ));
        }
        Ok(slot)
    }

    /// Creates a slot that wraps `file_key` under `secret`, drawing its salt from `entropy`.
    pub(crate) fn seal(
        suite: Suite,
        backend: Backend,
        secret: &SlotSecret,
        file_key: &FileKey,
        entropy: &mut Entropy,
    ) -> Result<KeySlot> {
        let placeholder = SealedFileKey {
            key_check: [0; KEY_CHECK_LEN],
            wrapped: [0; WRAPPED_KEY_LEN],
        };
        let (mut slot, kek) = match secret {
            SlotSecret::RecoveryKey(recovery_key) => {
                let mut salt = [0u8; RECOVERY_KEY_SALT_LEN];
                entropy.fill(&mut salt)?;
                let kek = recovery_key_kek(recovery_key, &salt);
                (
                    KeySlot::RecoveryKey {
                        salt,
                        sealed: placeholder,
                    },
                    kek,
                )
            }
            SlotSecret::Password(password, kdf) => {
                kdf.validate()?;
                let mut salt = vec![0u8; kdf::DEFAULT_SALT_LEN];
                entropy.fill(&mut salt)?;
                let kek = kdf.derive_kek(password, &salt)?;
                (
                    KeySlot::Password {
                        kdf: *kdf,
                        salt,
                        sealed: placeholder,
                    },
                    kek,
                )
            }
            SlotSecret::VaultSecret(vault_secret, account) => {
                account.validate().map_err(Error::InvalidVaultAccount)?;
                let mut salt = [0u8; VAULT_SALT_LEN];
                entropy.fill(&mut salt)?;
                let kek = vault_secret_kek(vault_secret, &salt);
                (
                    KeySlot::Vault {
                        account: account.clone(),
                        salt,
                        sealed: placeholder,
                    },
                    kek,
                )
            }
        };
        let schedule = slot.schedule(suite, &kek);
        let mut wrapped = [0u8; WRAPPED_KEY_LEN];
        wrapped[..FILE_KEY_LEN].copy_from_slice(file_key.as_bytes());
        let tag = backend
            .aead(suite, &schedule.wrap_key)
            .seal_in_place(&schedule.wrap_nonce, &mut wrapped[..FILE_KEY_LEN]);
        wrapped[FILE_KEY_LEN..].copy_from_slice(&tag);
        let sealed = SealedFileKey {
            key_check: schedule.key_check,
            wrapped,
        };
        match &mut slot {
            KeySlot::RecoveryKey {
                sealed: slot_sealed,
                ..
            }
            | KeySlot::Password {
                sealed: slot_sealed,
                ..
            }
            | KeySlot::Vault {
                sealed: slot_sealed,
                ..
            } => {
                *slot_sealed = sealed;
            }
            KeySlot::Unknown { .. } => unreachable!("seal creates known slots only"),
        }
        Ok(slot)
    }

    /// Tries to open this slot with `kek`, a key-encryption key derived from a secret of this
    /// slot's kind: `Ok(None)` when it is not this slot's (its key check differs),
    /// [`Error::SlotCorrupt`] when the key check matches but the wrapped key fails
    /// authentication. Deriving the KEK, under the caps, is the caller's.
    pub(crate) fn open_with_kek(
        &self,
        index: usize,
        suite: Suite,
        backend: Backend,
        kek: &[u8; KEK_LEN],
    ) -> Result<Option<FileKey>> {
        let Some(sealed) = self.sealed() else {
            return Ok(None);
        };
        let schedule = self.schedule(suite, kek);
        if !bool::from(schedule.key_check.ct_eq(&sealed.key_check)) {
            return Ok(None);
        }
        let mut file_key = Zeroizing::new([0u8; FILE_KEY_LEN]);
        file_key.copy_from_slice(&sealed.wrapped[..FILE_KEY_LEN]);
        let tag: [u8; TAG_LEN] = sealed.wrapped[FILE_KEY_LEN..]
            .try_into()
            .expect("fixed length");
        backend
            .aead(suite, &schedule.wrap_key)
            .open_in_place(&schedule.wrap_nonce, file_key.as_mut_slice(), &tag)
            .map_err(|_| Error::SlotCorrupt { index })?;
        Ok(Some(FileKey::from_bytes(*file_key)))
    }

    /// The slot's key-encryption key from `secret` (SPEC.md, "Deriving the KEK"), or `None` when
    /// the secret is not of this slot's kind. Runs the KDF: check the caps first.
    #[cfg(feature = "hazmat")]
    pub fn derive_kek(&self, secret: &Secret) -> Result<Option<Zeroizing<[u8; KEK_LEN]>>> {
        self.kek(secret)
    }

    pub(crate) fn kek(&self, secret: &Secret) -> Result<Option<Zeroizing<[u8; KEK_LEN]>>> {
        Ok(Some(match (self, secret) {
            (KeySlot::RecoveryKey { salt, .. }, Secret::RecoveryKey(recovery_key)) => {
                recovery_key_kek(recovery_key, salt)
            }
            (KeySlot::Password { kdf, salt, .. }, Secret::Password(password)) => {
                kdf.derive_kek(password, salt)?
            }
            (KeySlot::Vault { salt, .. }, Secret::VaultSecret(vault_secret)) => {
                vault_secret_kek(vault_secret, salt)
            }
            _ => return Ok(None),
        }))
    }

    /// wrap key || wrap nonce || key check = HKDF-Expand-SHA-512(KEK, info) (SPEC.md,
    /// "Wrapping the file key"), for test vectors' intermediate values.
    #[cfg(feature = "hazmat")]
    pub fn key_schedule(&self, suite: Suite, kek: &[u8; KEK_LEN]) -> SlotKeySchedule {
        self.schedule(suite, kek)
    }

    pub(crate) fn schedule(&self, suite: Suite, kek: &[u8; KEK_LEN]) -> SlotKeySchedule {
        let mut slot_head = Vec::with_capacity(128);
        slot_head.push(self.kind().type_id());
        let body_len = self.encoded_body_len();
        slot_head.extend_from_slice(&u16::try_from(body_len).expect("bounded").to_be_bytes());
        self.encode_parameters(&mut slot_head);
        let prefix = fixed_prefix(suite);
        let mut okm = Zeroizing::new([0u8; KEY_LEN + NONCE_LEN + KEY_CHECK_LEN]);
        hkdf_sha512::expand(
            kek,
            &[SLOT_LABEL, &[0x00], &prefix, &slot_head],
            okm.as_mut_slice(),
        );
        let mut schedule = SlotKeySchedule {
            wrap_key: Zeroizing::new([0; KEY_LEN]),
            wrap_nonce: [0; NONCE_LEN],
            key_check: [0; KEY_CHECK_LEN],
        };
        schedule.wrap_key.copy_from_slice(&okm[..KEY_LEN]);
        schedule
            .wrap_nonce
            .copy_from_slice(&okm[KEY_LEN..KEY_LEN + NONCE_LEN]);
        schedule
            .key_check
            .copy_from_slice(&okm[KEY_LEN + NONCE_LEN..]);
        schedule
    }

    fn encoded_body_len(&self) -> usize {
        let mut parameters = Vec::new();
        self.encode_parameters(&mut parameters);
        parameters.len()
            + if self.sealed().is_some() {
                SEALED_LEN
            } else {
                0
            }
    }
}

/// The keys a slot derives from its KEK.
pub struct SlotKeySchedule {
    /// Key that wraps the file key.
    pub wrap_key: Zeroizing<[u8; KEY_LEN]>,
    /// Nonce of the wrap.
    pub wrap_nonce: [u8; NONCE_LEN],
    /// Commits the slot to the KEK.
    pub key_check: [u8; KEY_CHECK_LEN],
}

impl fmt::Debug for SlotKeySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotKeySchedule").finish_non_exhaustive()
    }
}

/// KEK = HKDF-SHA-512(salt = slot salt, IKM = recovery key, info = label), 32 bytes.
fn recovery_key_kek(recovery_key: &RecoveryKey, salt: &[u8]) -> Zeroizing<[u8; KEK_LEN]> {
    hkdf_kek(recovery_key.as_bytes(), salt, RECOVERY_KEY_LABEL)
}

/// KEK = HKDF-SHA-512(salt = slot salt, IKM = vault secret, info = label), 32 bytes.
fn vault_secret_kek(vault_secret: &VaultSecret, salt: &[u8]) -> Zeroizing<[u8; KEK_LEN]> {
    hkdf_kek(vault_secret.as_bytes(), salt, VAULT_SECRET_LABEL)
}

/// The KEK of a slot whose secret is already 256 bits of key: one HKDF, no stretching.
fn hkdf_kek(ikm: &[u8], salt: &[u8], label: &[u8]) -> Zeroizing<[u8; KEK_LEN]> {
    let prk = Zeroizing::new(hkdf_sha512::extract(salt, ikm));
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    hkdf_sha512::expand(prk.as_slice(), &[label], kek.as_mut_slice());
    kek
}

fn push_salt(out: &mut Vec<u8>, salt: &[u8]) {
    out.push(u8::try_from(salt.len()).expect("salts are at most 64 bytes"));
    out.extend_from_slice(salt);
}

fn kind_name(type_id: u8) -> String {
    match type_id {
        TYPE_RECOVERY_KEY => SlotKind::RecoveryKey,
        TYPE_ARGON2ID => SlotKind::Argon2id,
        TYPE_SCRYPT => SlotKind::Scrypt,
        TYPE_VAULT => SlotKind::Vault,
        other => SlotKind::Unknown(other),
    }
    .to_string()
}

/// Reads big-endian fields off a slot body, naming the field that is cut short.
struct FieldReader<'a>(&'a [u8]);

impl FieldReader<'_> {
    fn take(&mut self, len: usize, field: &str) -> Result<&[u8], String> {
        if self.0.len() < len {
            return Err(format!("the body ends inside the {field} field"));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], String> {
        Ok(self.take(N, field)?.try_into().expect("took N bytes"))
    }

    fn u8(&mut self, field: &str) -> Result<u8, String> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u32(&mut self, field: &str) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn salt(&mut self) -> Result<Vec<u8>, String> {
        let len = usize::from(self.u8("salt length")?);
        if !(kdf::MIN_SALT_LEN..=kdf::MAX_SALT_LEN).contains(&len) {
            return Err(format!(
                "salt length {len} is outside {}..={} bytes",
                kdf::MIN_SALT_LEN,
                kdf::MAX_SALT_LEN
            ));
        }
        Ok(self.take(len, "salt")?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let key = || RecoveryKey::from_bytes([0xab; 32]);
        let password = || Password::new("hunter2".into()).unwrap();
        let shown = [
            format!("{:?}", Secret::RecoveryKey(key())),
            format!("{:?}", Secret::Password(password())),
            format!("{:?}", SlotSecret::RecoveryKey(key())),
            format!(
                "{:?}",
                SlotSecret::Password(
                    password(),
                    KdfParams::Argon2id(kdf::Argon2idParams::DEFAULT)
                )
            ),
        ];
        for text in shown {
            assert!(!text.contains("ab, ab") && !text.contains("171"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("<secret>"), "{text}");
        }
    }
}
