//! The vault protocol: the OPAQUE cipher suite, its key stretching function, the JSON messages of
//! each endpoint and the vault id (VAULT.md, "Protocol").
//!
//! Byte strings travel as lowercase hex in JSON; every message has a fixed set of keys, and a key
//! the receiver does not know is an error (`deny_unknown_fields`), so a message means one thing.

use opaque_ke::errors::InternalError;
use opaque_ke::generic_array::{ArrayLength, GenericArray};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The protocol name and version, as `GET /v1/info` reports it.
pub const PROTOCOL: &str = "e2eb-vault v1";

/// Shortest and longest account id in bytes (VAULT.md, "Accounts").
pub const ACCOUNT_ID_MIN: usize = 16;
/// See [`ACCOUNT_ID_MIN`].
pub const ACCOUNT_ID_MAX: usize = 64;

/// Attempts a registration gets when the server is not told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// Byte lengths of the OPAQUE messages of [`Suite`] (RFC 9807 sizes for ristretto255 and
/// SHA-512); a message of any other length is malformed, trailing bytes included.
pub const REGISTRATION_REQUEST_LEN: usize = 32;
/// See [`REGISTRATION_REQUEST_LEN`].
pub const REGISTRATION_RESPONSE_LEN: usize = 64;
/// See [`REGISTRATION_REQUEST_LEN`].
pub const REGISTRATION_UPLOAD_LEN: usize = 192;
/// See [`REGISTRATION_REQUEST_LEN`].
pub const CREDENTIAL_REQUEST_LEN: usize = 96;
/// See [`REGISTRATION_REQUEST_LEN`].
pub const CREDENTIAL_RESPONSE_LEN: usize = 320;
/// See [`REGISTRATION_REQUEST_LEN`].
pub const CREDENTIAL_FINALIZATION_LEN: usize = 64;

/// Length of a vault id and of a vault secret.
pub const VAULT_ID_LEN: usize = 32;
/// Length of the secret a vault keeps for an account.
pub const VAULT_SECRET_LEN: usize = 32;

/// The domain-separation label of [`vault_id`].
const VAULT_ID_LABEL: &[u8] = b"e2eb vault id v1";

/// OPAQUE-3DH over ristretto255 with SHA-512 and Argon2id as the key stretching function
/// (VAULT.md, "Cipher suite" says why).
#[derive(Debug, Clone, Copy)]
pub struct Suite;

impl opaque_ke::CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2_010::Sha512>;
    type Ksf = VaultKsf;
}

/// Argon2id memory in KiB, passes and lanes: RFC 9106's second recommended option (64 MiB, t=3,
/// p=4). The client pays it once per registration and login; it guards the record only if the
/// server's OPRF seed leaks, which is when an offline guess becomes possible at all.
pub const KSF_MEMORY_KIB: u32 = 64 * 1024;
/// See [`KSF_MEMORY_KIB`].
pub const KSF_PASSES: u32 = 3;
/// See [`KSF_MEMORY_KIB`].
pub const KSF_LANES: u32 = 4;

/// OPAQUE's key stretching function as RFC 9807 (section 4.3.1) instantiates Argon2id: a zero
/// salt of 16 bytes (the OPRF output is already unique per user and server) and the output as long
/// as the input.
#[derive(Debug, Default, Clone, Copy)]
pub struct VaultKsf;

impl opaque_ke::ksf::Ksf for VaultKsf {
    fn hash<L: ArrayLength<u8>>(
        &self,
        input: GenericArray<u8, L>,
    ) -> Result<GenericArray<u8, L>, InternalError> {
        let params = argon2::Params::new(KSF_MEMORY_KIB, KSF_PASSES, KSF_LANES, Some(L::USIZE))
            .map_err(|_| InternalError::KsfError)?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut output = GenericArray::default();
        argon
            .hash_password_into(&input, &[0u8; 16], &mut output)
            .map_err(|_| InternalError::KsfError)?;
        Ok(output)
    }
}

/// SHA-256("e2eb vault id v1" || 0x00 || the server's OPAQUE public key): names one vault (one
/// server setup), so that a backup's slot can tell its vault from another.
pub fn vault_id(server_public_key: &[u8]) -> [u8; VAULT_ID_LEN] {
    let mut hash = Sha256::new();
    hash.update(VAULT_ID_LABEL);
    hash.update([0u8]);
    hash.update(server_public_key);
    hash.finalize().into()
}

/// `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// [`PROTOCOL`].
    pub protocol: String,
    /// The server's OPAQUE public key (32 bytes, hex).
    pub server_public_key: String,
    /// [`vault_id`] of that key (hex).
    pub vault_id: String,
    /// The attempts a new registration gets.
    pub max_attempts: u32,
}

/// `POST /v1/register/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStart {
    /// The account id (hex, 16..=64 bytes).
    pub account: String,
    /// OPAQUE RegistrationRequest (hex).
    pub registration_request: String,
}

/// Answer to [`RegisterStart`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStartReply {
    /// OPAQUE RegistrationResponse (hex).
    pub registration_response: String,
}

/// `POST /v1/register/finish`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFinish {
    /// The account id (hex).
    pub account: String,
    /// OPAQUE RegistrationUpload, the record the server keeps (hex).
    pub registration_upload: String,
    /// The sealed vault secret (hex, [`crate::envelope::SEALED_LEN`] bytes).
    pub envelope: String,
}

/// Answer to [`RegisterFinish`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFinishReply {
    /// Attempts the new account has.
    pub attempts_left: u32,
}

/// `POST /v1/login/start`: spends one attempt before it is answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStart {
    /// The account id (hex).
    pub account: String,
    /// OPAQUE CredentialRequest (hex).
    pub credential_request: String,
}

/// Answer to [`LoginStart`]; of the same keys and lengths for an unknown account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStartReply {
    /// The login's handle for its finish (hex, 32 bytes).
    pub login_id: String,
    /// OPAQUE CredentialResponse (hex).
    pub credential_response: String,
}

/// What a verified login does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Release the envelope.
    Release,
    /// Report the account's counters.
    Status,
    /// Erase the account.
    Delete,
}

/// `POST /v1/login/finish`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFinish {
    /// From [`LoginStartReply`].
    pub login_id: String,
    /// OPAQUE CredentialFinalization (hex).
    pub credential_finalization: String,
    /// What to do once the login is verified.
    pub action: Action,
}

/// Answer to a verified [`LoginFinish`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFinishReply {
    /// The sealed vault secret (hex) for [`Action::Release`], absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
    /// Attempts left now (the maximum after a verified login; 0 after a delete).
    pub attempts_left: u32,
    /// The account's maximum.
    pub max_attempts: u32,
    /// Whether the account was erased by this request ([`Action::Delete`]).
    pub deleted: bool,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReply {
    /// A stable code (VAULT.md, "Errors").
    pub error: ErrorCode,
    /// For [`ErrorCode::WrongPassword`] and [`ErrorCode::Erased`]: the attempts left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

/// Stable error codes (VAULT.md, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is not a well-formed message of this endpoint (400).
    Malformed,
    /// The account already exists (409).
    AccountExists,
    /// The login id is unknown, expired or already used (409).
    NoSuchLogin,
    /// The password was wrong (403); `attempts_left` says what remains. At 0 the account is
    /// erased once no other login that spent an attempt is pending.
    WrongPassword,
    /// The password was wrong and that was the account's last attempt: it is erased (410).
    Erased,
    /// No key is held for this account: never registered, or erased (404).
    NoKey,
    /// The server failed (500); no attempt was refunded.
    Internal,
}

/// Decodes a hex field with a length range, naming the field when it fails.
pub fn decode_hex(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
) -> Result<Vec<u8>, FieldError> {
    let bytes = hex::decode(text).map_err(|_| FieldError::NotHex(field))?;
    if bytes.len() < min || bytes.len() > max {
        return Err(FieldError::Length {
            field,
            len: bytes.len(),
        });
    }
    Ok(bytes)
}

/// A field of a message that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Not lowercase or uppercase hex of whole bytes.
    #[error("field `{0}` is not hex")]
    NotHex(&'static str),
    /// Outside the field's length range.
    #[error("field `{field}` has {len} bytes, outside its range")]
    Length {
        /// The field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_is_the_labelled_hash_of_the_key() {
        let key = [7u8; 32];
        let mut input = b"e2eb vault id v1\0".to_vec();
        input.extend_from_slice(&key);
        let expected: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(vault_id(&key), expected);
        assert_ne!(vault_id(&key), vault_id(&[8u8; 32]));
    }

    #[test]
    fn the_ksf_is_argon2id_with_the_stated_parameters() {
        use opaque_ke::ksf::Ksf;
        let input = GenericArray::<u8, opaque_ke::generic_array::typenum::U64>::from([3u8; 64]);
        let output = VaultKsf.hash(input).unwrap();
        let params = argon2::Params::new(65536, 3, 4, Some(64)).unwrap();
        let mut expected = [0u8; 64];
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(&[3u8; 64], &[0u8; 16], &mut expected)
            .unwrap();
        assert_eq!(output.as_slice(), expected.as_slice());
        assert_ne!(output.as_slice(), &[3u8; 64][..]);
    }

    #[test]
    fn messages_have_the_stated_sizes() {
        use opaque_ke::{
            ClientLogin, ClientLoginFinishParameters, ClientRegistration,
            ClientRegistrationFinishParameters, ServerLogin, ServerLoginParameters,
            ServerRegistration, ServerSetup,
        };
        use rand_core::OsRng;
        let setup = ServerSetup::<Suite>::new(&mut OsRng);
        let account = [1u8; 32];
        let started = ClientRegistration::<Suite>::start(&mut OsRng, b"pin").unwrap();
        assert_eq!(started.message.serialize().len(), REGISTRATION_REQUEST_LEN);
        let response = ServerRegistration::start(&setup, started.message, &account)
            .unwrap()
            .message;
        assert_eq!(response.serialize().len(), REGISTRATION_RESPONSE_LEN);
        let finished = started
            .state
            .finish(
                &mut OsRng,
                b"pin",
                response,
                ClientRegistrationFinishParameters::default(),
            )
            .unwrap();
        assert_eq!(finished.message.serialize().len(), REGISTRATION_UPLOAD_LEN);
        let record = ServerRegistration::finish(finished.message);
        let login = ClientLogin::<Suite>::start(&mut OsRng, b"pin").unwrap();
        assert_eq!(login.message.serialize().len(), CREDENTIAL_REQUEST_LEN);
        let server = ServerLogin::start(
            &mut OsRng,
            &setup,
            Some(record),
            login.message,
            &account,
            ServerLoginParameters::default(),
        )
        .unwrap();
        assert_eq!(server.message.serialize().len(), CREDENTIAL_RESPONSE_LEN);
        let done = login
            .state
            .finish(
                &mut OsRng,
                b"pin",
                server.message,
                ClientLoginFinishParameters::default(),
            )
            .unwrap();
        assert_eq!(done.message.serialize().len(), CREDENTIAL_FINALIZATION_LEN);
        assert_eq!(done.export_key, finished.export_key);
        assert!(
            server
                .state
                .finish(done.message, ServerLoginParameters::default())
                .is_ok()
        );
    }

    #[test]
    fn hex_fields_are_checked_for_form_and_length() {
        assert_eq!(decode_hex("a", "zz", 0, 4), Err(FieldError::NotHex("a")));
        assert_eq!(
            decode_hex("a", "0102", 3, 4),
            Err(FieldError::Length { field: "a", len: 2 })
        );
        assert_eq!(decode_hex("a", "010203", 3, 4).unwrap(), vec![1, 2, 3]);
    }
}
