//! The envelope: the vault secret sealed by the client under a key only the right password
//! yields (VAULT.md, "Envelope"). The server stores and releases it and cannot open it.
//!
//! key = HKDF-SHA-512(salt = empty, IKM = OPAQUE export_key, info = "e2eb vault envelope v1"),
//! 32 bytes; envelope = nonce (12 random bytes) || ChaCha20-Poly1305(key, nonce, vault secret,
//! associated data = account id) (32 + 16 bytes).

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use sha2::Sha512;
use zeroize::{Zeroize, Zeroizing};

use crate::protocol::VAULT_SECRET_LEN;

const KEY_INFO: &[u8] = b"e2eb vault envelope v1";
/// Length of the envelope's nonce, its first bytes.
pub const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Length of a sealed envelope in bytes.
pub const SEALED_LEN: usize = NONCE_LEN + VAULT_SECRET_LEN + TAG_LEN;

/// The envelope did not open: another password's export key, another account, or altered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the vault envelope does not open with this login's key and account")]
pub struct EnvelopeError;

/// The envelope's ChaCha20-Poly1305 key: HKDF-SHA-512 of the export key (public for the
/// published test vectors, which give it as an intermediate value).
pub fn envelope_key(export_key: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha512>::new(None, export_key)
        .expand(KEY_INFO, key.as_mut())
        .expect("32 bytes is within HKDF-SHA-512's output limit");
    key
}

/// Seals `secret` for `account` under the key derived from `export_key`, with a nonce from the
/// system's random source.
pub fn seal(
    export_key: &[u8],
    account: &[u8],
    secret: &[u8; VAULT_SECRET_LEN],
) -> Result<[u8; SEALED_LEN], getrandom::Error> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    Ok(seal_with_nonce(export_key, account, secret, &nonce))
}

/// [`seal`] with the nonce given: for test vectors, which fix every random input. A nonce must
/// never seal twice under one export key; [`seal`] draws a fresh one.
pub fn seal_with_nonce(
    export_key: &[u8],
    account: &[u8],
    secret: &[u8; VAULT_SECRET_LEN],
    nonce: &[u8; NONCE_LEN],
) -> [u8; SEALED_LEN] {
    let key = envelope_key(export_key);
    let mut sealed = [0u8; SEALED_LEN];
    sealed[..NONCE_LEN].copy_from_slice(nonce);
    let (nonce, rest) = sealed.split_at_mut(NONCE_LEN);
    let (body, tag_out) = rest.split_at_mut(VAULT_SECRET_LEN);
    body.copy_from_slice(secret);
    let nonce: &[u8; NONCE_LEN] = (&*nonce).try_into().expect("12 bytes");
    let key: &[u8; 32] = &key;
    let tag = ChaCha20Poly1305::new(key.into())
        .encrypt_inout_detached(nonce.into(), account, body.into())
        .expect("32 bytes are within the AEAD's message limit");
    tag_out.copy_from_slice(&tag);
    sealed
}

/// Opens an envelope sealed by [`seal`] with the same export key and account.
pub fn open(
    export_key: &[u8],
    account: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<[u8; VAULT_SECRET_LEN]>, EnvelopeError> {
    if sealed.len() != SEALED_LEN {
        return Err(EnvelopeError);
    }
    let key = envelope_key(export_key);
    let nonce: &[u8; NONCE_LEN] = sealed[..NONCE_LEN].try_into().expect("12 bytes");
    let tag: &[u8; TAG_LEN] = sealed[NONCE_LEN + VAULT_SECRET_LEN..]
        .try_into()
        .expect("16 bytes");
    let mut secret = Zeroizing::new([0u8; VAULT_SECRET_LEN]);
    secret.copy_from_slice(&sealed[NONCE_LEN..NONCE_LEN + VAULT_SECRET_LEN]);
    let key: &[u8; 32] = &key;
    let opened = ChaCha20Poly1305::new(key.into()).decrypt_inout_detached(
        nonce.into(),
        account,
        secret.as_mut_slice().into(),
        tag.into(),
    );
    match opened {
        Ok(()) => Ok(secret),
        Err(_) => {
            secret.zeroize();
            Err(EnvelopeError)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_same_export_key_and_account() {
        let secret = [9u8; 32];
        let sealed = seal(b"export key one", b"account-0000001", &secret).unwrap();
        assert_eq!(
            *open(b"export key one", b"account-0000001", &sealed).unwrap(),
            secret
        );
        assert_eq!(
            open(b"export key two", b"account-0000001", &sealed),
            Err(EnvelopeError)
        );
        assert_eq!(
            open(b"export key one", b"account-0000002", &sealed),
            Err(EnvelopeError)
        );
        let mut altered = sealed;
        altered[20] ^= 1;
        assert_eq!(
            open(b"export key one", b"account-0000001", &altered),
            Err(EnvelopeError)
        );
        assert_eq!(
            open(b"export key one", b"account-0000001", &sealed[1..]),
            Err(EnvelopeError)
        );
    }

    #[test]
    fn seal_is_seal_with_nonce_under_a_fresh_nonce() {
        let secret = [5u8; 32];
        let one = seal(b"export key", b"account-0000001", &secret).unwrap();
        let two = seal(b"export key", b"account-0000001", &secret).unwrap();
        assert_ne!(one[..NONCE_LEN], two[..NONCE_LEN]);
        let nonce: [u8; NONCE_LEN] = one[..NONCE_LEN].try_into().unwrap();
        assert_eq!(
            seal_with_nonce(b"export key", b"account-0000001", &secret, &nonce),
            one
        );
    }
}
