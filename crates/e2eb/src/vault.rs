//! Vault slots: the file key wrapped under a 32-byte vault secret that a rate-limited key vault
//! (an OPAQUE server) releases to whoever proves the account's password, and the parameters
//! that tell a client which vault and account to ask before anything is unlocked.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// Length of a vault secret, in bytes.
pub const VAULT_SECRET_LEN: usize = 32;
/// Length of a vault identifier, in bytes.
pub const VAULT_ID_LEN: usize = 32;
/// Length of a vault slot's HKDF salt, in bytes.
pub const VAULT_SALT_LEN: usize = 32;
/// Shortest account identifier a vault slot may hold, in bytes.
pub const MIN_ACCOUNT_LEN: usize = 16;
/// Longest account identifier a vault slot may hold, in bytes.
pub const MAX_ACCOUNT_LEN: usize = 64;
/// Longest URL hint a vault slot may hold, in bytes of UTF-8.
pub const MAX_URL_LEN: usize = 1024;
/// Domain separation of [`VaultId::from_server_public_key`] (SPEC.md, "Vault slot").
const VAULT_ID_LABEL: &[u8] = b"e2eb vault id v1";

/// The 32-byte secret a key vault holds for an account and releases after a successful
/// password login. Zeroized on drop; `Debug` never shows it; compared in constant time.
#[derive(Clone)]
pub struct VaultSecret([u8; VAULT_SECRET_LEN]);

// By hand rather than derived, as for `RecoveryKey`: no proc-macro crate for these few lines.
impl Zeroize for VaultSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for VaultSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for VaultSecret {}

impl VaultSecret {
    /// The secret with these 32 bytes (as the vault released them).
    pub fn from_bytes(bytes: [u8; VAULT_SECRET_LEN]) -> VaultSecret {
        VaultSecret(bytes)
    }

    /// The secret's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; VAULT_SECRET_LEN] {
        &self.0
    }
}

impl ConstantTimeEq for VaultSecret {
    fn ct_eq(&self, other: &VaultSecret) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for VaultSecret {
    /// Constant time: how long it takes says nothing of where the secrets differ.
    fn eq(&self, other: &VaultSecret) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for VaultSecret {}

impl fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultSecret(<secret>)")
    }
}

/// Which key vault a slot belongs to: SHA-256 of a label and the vault's OPAQUE server public
/// key, so that a client can check that the server it reached is the one the backup names.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VaultId([u8; VAULT_ID_LEN]);

impl VaultId {
    /// `SHA-256("e2eb vault id v1" || 0x00 || server_public_key)`, where `server_public_key` is
    /// the vault's OPAQUE server public key as its bytes are serialized (SPEC.md, "Vault slot").
    pub fn from_server_public_key(server_public_key: &[u8]) -> VaultId {
        let mut hash = Sha256::new();
        hash.update(VAULT_ID_LABEL);
        hash.update([0x00]);
        hash.update(server_public_key);
        VaultId(hash.finalize().into())
    }

    /// The identifier with these 32 bytes (as read from a slot, or stored by a client).
    pub const fn from_bytes(bytes: [u8; VAULT_ID_LEN]) -> VaultId {
        VaultId(bytes)
    }

    /// The identifier's 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; VAULT_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for VaultId {
    /// 64 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultId({self})")
    }
}

/// Where a vault slot's secret is kept: the vault, the account on it, and a hint of where to
/// reach the vault. Public (a vault slot shows them to anyone holding the backup), and readable
/// before any secret: a client reads them from [`crate::KeySlot::Vault`] to know whom to ask.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VaultAccount {
    vault_id: VaultId,
    account: Vec<u8>,
    url: String,
}

impl VaultAccount {
    /// The account `account` (16..=64 bytes, chosen at random by the client when it
    /// registered) on the vault `vault_id`, reached at `url` (0..=1024 bytes of UTF-8; may be
    /// empty). [`Error::InvalidVaultAccount`] outside those lengths.
    pub fn new(vault_id: VaultId, account: Vec<u8>, url: String) -> Result<VaultAccount> {
        let account = VaultAccount::unvalidated(vault_id, account, url);
        account.validate().map_err(Error::InvalidVaultAccount)?;
        Ok(account)
    }

    /// The same without the length checks, for deliberately invalid headers (tests, test
    /// vectors, fuzzing corpora). Encryption and header parsing both validate.
    pub fn unvalidated(vault_id: VaultId, account: Vec<u8>, url: String) -> VaultAccount {
        VaultAccount {
            vault_id,
            account,
            url,
        }
    }

    /// The vault.
    pub fn vault_id(&self) -> &VaultId {
        &self.vault_id
    }

    /// The account identifier on the vault.
    pub fn account(&self) -> &[u8] {
        &self.account
    }

    /// Where the vault may be reached. A hint only: nothing vouches for it before the slot
    /// opens, so a client checks the vault it reaches against [`VaultAccount::vault_id`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Checks the lengths the format allows; says which is wrong.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(MIN_ACCOUNT_LEN..=MAX_ACCOUNT_LEN).contains(&self.account.len()) {
            return Err(format!(
                "account identifier of {} bytes is outside {MIN_ACCOUNT_LEN}..={MAX_ACCOUNT_LEN}",
                self.account.len()
            ));
        }
        if self.url.len() > MAX_URL_LEN {
            return Err(format!(
                "URL hint of {} bytes is longer than {MAX_URL_LEN}",
                self.url.len()
            ));
        }
        Ok(())
    }

    /// Appends the encoding: vault_id || salt || account_len || account || url_len || url.
    pub(crate) fn encode(&self, salt: &[u8; VAULT_SALT_LEN], out: &mut Vec<u8>) {
        out.extend_from_slice(self.vault_id.as_bytes());
        out.extend_from_slice(salt);
        out.push(u8::try_from(self.account.len()).expect("account identifiers are checked"));
        out.extend_from_slice(&self.account);
        let url_len = u16::try_from(self.url.len()).expect("URL hints are checked");
        out.extend_from_slice(&url_len.to_be_bytes());
        out.extend_from_slice(self.url.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_is_sha256_of_label_zero_and_key() {
        // Computed independently: printf 'e2eb vault id v1\0abc' | sha256sum
        let id = VaultId::from_server_public_key(b"abc");
        let mut expected = Sha256::new();
        expected.update(b"e2eb vault id v1\x00abc");
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(id.as_bytes(), &expected);
        assert_ne!(id, VaultId::from_server_public_key(b"abd"));
        assert_eq!(id.to_string().len(), 64);
        assert_eq!(format!("{id:?}"), format!("VaultId({id})"));
    }

    #[test]
    fn debug_hides_the_vault_secret_and_equality_is_by_value() {
        let secret = VaultSecret::from_bytes([0xab; 32]);
        assert_eq!(format!("{secret:?}"), "VaultSecret(<secret>)");
        assert_eq!(secret, VaultSecret::from_bytes([0xab; 32]));
        let mut other = [0xab; 32];
        other[31] ^= 1;
        assert_ne!(secret, VaultSecret::from_bytes(other));
    }

    #[test]
    fn account_lengths_are_checked() {
        let id = VaultId::from_bytes([1; 32]);
        for len in [0, 15, 65, 255] {
            assert!(matches!(
                VaultAccount::new(id, vec![7; len], String::new()),
                Err(Error::InvalidVaultAccount(_))
            ));
        }
        for len in [16, 32, 64] {
            VaultAccount::new(id, vec![7; len], String::new()).unwrap();
        }
        VaultAccount::new(id, vec![7; 32], "é".repeat(512)).unwrap();
        let error = VaultAccount::new(id, vec![7; 32], "x".repeat(1025)).unwrap_err();
        assert!(error.to_string().contains("1025"), "{error}");
    }
}
