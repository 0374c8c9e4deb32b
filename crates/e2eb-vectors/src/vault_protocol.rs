//! The vault protocol vectors (`vectors/vault_protocol_test.json`, VAULT.md): OPAQUE
//! registrations and logins of the vault's suite from fixed random inputs, the e2eb derivations
//! on top of them (envelope key, envelope, vault id), and the alterations a client or server must
//! reject. Their JSON layout is below; `generate` writes them, `verify` checks them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Note;

mod generate;
pub mod rng;
pub mod transcript;
mod verify;

pub use generate::file;
pub use verify::run_reference;

/// The file's name in `vectors/`.
pub const FILE_NAME: &str = "vault_protocol_test.json";

/// The vault protocol vector file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultProtocolFile {
    /// `e2eb-vault-v1`.
    pub algorithm: String,
    /// The vault protocol version (VAULT.md), 1.
    pub format_version: u8,
    /// Number of tests in all groups.
    pub number_of_tests: usize,
    /// Free text for the reader.
    pub header: Vec<String>,
    /// Every flag used, with its bug type and description.
    pub notes: BTreeMap<String, Note>,
    /// The schema file, relative to the vector file.
    pub schema: String,
    /// The OPAQUE configuration and the e2eb derivations, named.
    pub suite: SuiteDescription,
    /// The server setups the tests name.
    pub servers: Vec<ServerInputs>,
    /// The tests, in groups.
    pub test_groups: Vec<VaultGroup>,
}

/// The configuration, as RFC 9807's test vectors state theirs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuiteDescription {
    /// `ristretto255-SHA512`.
    pub oprf: String,
    /// `ristretto255`.
    pub group: String,
    /// `SHA512`.
    pub hash: String,
    /// `HKDF-SHA512`.
    pub kdf: String,
    /// `HMAC-SHA512`.
    pub mac: String,
    /// The key stretching function.
    pub ksf: KsfDescription,
    /// The OPAQUE context, hex (empty).
    pub context: String,
    /// Client and server identities: `default` (their public keys).
    pub identities: String,
    /// The envelope key's HKDF info, as text.
    pub envelope_key_info: String,
    /// The vault id's label, as text (hashed with a zero byte and the server public key).
    pub vault_id_label: String,
}

/// Argon2id as the KSF (VAULT.md section 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KsfDescription {
    /// `Argon2id`.
    pub algorithm: String,
    /// The Argon2 version number (19 = 0x13).
    pub version: u32,
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub passes: u32,
    /// Lanes.
    pub lanes: u32,
    /// The salt, hex.
    pub salt: String,
    /// Output length in bytes (the input's).
    pub output_length: u32,
}

/// A server setup: what `e2eb-vault init` writes, fixed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerInputs {
    /// The name tests refer to.
    pub name: String,
    /// The seed of the stream the setup was drawn from (this implementation's regression input).
    pub seed: String,
    /// The OPRF seed, hex (64 bytes).
    pub oprf_seed: String,
    /// The server's private key, hex (32 bytes).
    pub server_private_key: String,
    /// The server's public key, hex (32 bytes).
    pub server_public_key: String,
    /// Its vault id, hex.
    pub vault_id: String,
}

/// A group of tests of one kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum VaultGroup {
    /// Registration and login transcripts.
    VaultLogin(LoginGroup),
    /// The envelope alone: key derivation, seal and open.
    VaultEnvelope(EnvelopeGroup),
    /// The vault id of a server key, against the one a client expects.
    VaultId(VaultIdGroup),
}

/// Login transcripts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginGroup {
    /// The tests.
    pub tests: Vec<LoginTest>,
}

/// A registration then a login; for invalid tests, one message altered or a wrong expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags (see the file's notes).
    pub flags: Vec<String>,
    /// The server setup's name.
    pub server: String,
    /// The seed of the stream the random inputs were drawn from.
    pub seed: String,
    /// The account id (OPAQUE's credential_identifier), hex.
    pub account: String,
    /// The password registered, hex.
    pub password: String,
    /// The password the login uses, hex, when it is not the registered one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub login_password: Option<String>,
    /// The vault secret sealed at registration, hex.
    pub vault_secret: String,
    /// The random inputs, named as RFC 9807's vectors name them.
    pub inputs: LoginInputs,
    /// The messages and keys, as far as the exchange goes.
    pub transcript: LoginTranscript,
    /// The altered message an invalid test sends in place of the genuine one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub altered: Option<Altered>,
    /// The vault id the client expects, when it is not the server's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expected_vault_id: Option<String>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: `ClientFinishFails`, `ServerFinishFails`, `MalformedMessage` or
    /// `UnknownVault`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// A login test's random inputs, hex.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginInputs {
    /// The registration's OPRF blind (a scalar, 32 bytes little-endian).
    pub blind_registration: String,
    /// The OPAQUE envelope's nonce (32 bytes).
    pub envelope_nonce: String,
    /// The vault envelope's nonce (12 bytes, VAULT.md section 3).
    pub vault_envelope_nonce: String,
    /// The login's OPRF blind.
    pub blind_login: String,
    /// The seed of the client's key share (32 bytes).
    pub client_keyshare_seed: String,
    /// The client nonce (32 bytes).
    pub client_nonce: String,
    /// The masking nonce (32 bytes).
    pub masking_nonce: String,
    /// The seed of the server's key share (32 bytes).
    pub server_keyshare_seed: String,
    /// The server nonce (32 bytes).
    pub server_nonce: String,
}

/// A login test's messages and keys, hex.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginTranscript {
    /// RegistrationRequest.
    pub registration_request: String,
    /// RegistrationResponse.
    pub registration_response: String,
    /// RegistrationUpload, the record the server keeps.
    pub registration_upload: String,
    /// The export key of the registration.
    pub export_key: String,
    /// HKDF-SHA-512(export key, info "e2eb vault envelope v1"), 32 bytes.
    pub envelope_key: String,
    /// The vault envelope the client uploads (nonce, ciphertext, tag).
    pub vault_envelope: String,
    /// The vault id of the server key the registration saw.
    pub vault_id: String,
    /// KE1 (CredentialRequest).
    pub ke1: String,
    /// KE2 (CredentialResponse).
    pub ke2: String,
    /// KE3 (CredentialFinalization), when the client's finish succeeds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ke3: Option<String>,
    /// The session key, when the client's finish succeeds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session_key: Option<String>,
    /// The vault secret the released envelope opens to, when the login succeeds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub released_vault_secret: Option<String>,
}

/// An altered message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Altered {
    /// `ke2` (the client must reject it) or `ke3` (the server must).
    pub message: String,
    /// The field altered, as RFC 9807 names it.
    pub field: String,
    /// How, in words.
    pub change: String,
    /// The altered message, hex.
    pub value: String,
}

/// Envelope tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvelopeGroup {
    /// The tests.
    pub tests: Vec<EnvelopeTest>,
}

/// Opening (and, for valid tests, sealing) one envelope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvelopeTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The export key the client holds, hex.
    pub export_key: String,
    /// The account id it opens for (the associated data), hex.
    pub account: String,
    /// The envelope, hex.
    pub envelope: String,
    /// For valid tests: HKDF-SHA-512 of the export key, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub envelope_key: Option<String>,
    /// For valid tests: the vault secret inside, hex; sealing it with the envelope's first
    /// 12 bytes as nonce gives the envelope.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vault_secret: Option<String>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: `EnvelopeDoesNotOpen`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Vault id tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultIdGroup {
    /// The tests.
    pub tests: Vec<VaultIdTest>,
}

/// A client that expects `vaultId` meets a server with `serverPublicKey`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultIdTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The server's public key, hex.
    pub server_public_key: String,
    /// The vault id the client expects, hex.
    pub vault_id: String,
    /// `valid` (the ids match) or `invalid`.
    pub result: String,
    /// For invalid tests: `UnknownVault`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// The class of an envelope that does not open.
pub const ENVELOPE_DOES_NOT_OPEN: &str = "EnvelopeDoesNotOpen";
/// The class of a server whose key is not the expected vault's.
pub const UNKNOWN_VAULT: &str = "UnknownVault";

impl VaultProtocolFile {
    /// Every test's flags, for checking that each has a note.
    pub fn flags(&self) -> Vec<&String> {
        self.test_groups
            .iter()
            .flat_map(|group| -> Vec<&String> {
                match group {
                    VaultGroup::VaultLogin(g) => g.tests.iter().flat_map(|t| &t.flags).collect(),
                    VaultGroup::VaultEnvelope(g) => g.tests.iter().flat_map(|t| &t.flags).collect(),
                    VaultGroup::VaultId(g) => g.tests.iter().flat_map(|t| &t.flags).collect(),
                }
            })
            .collect()
    }
}
