//! The JSON layout of the vector files (documented in vectors/README.md, checked by
//! vectors/schema.json).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One vector file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorFile {
    /// What the file tests, e.g. `e2eb-v1` or `e2eb-recovery-key`.
    pub algorithm: String,
    /// The e2eb format version the vectors are for.
    pub format_version: u8,
    /// Number of tests in all groups.
    pub number_of_tests: usize,
    /// Free text for the reader.
    pub header: Vec<String>,
    /// Every flag used, with its bug type and description.
    pub notes: BTreeMap<String, Note>,
    /// The schema file, relative to the vector file.
    pub schema: String,
    /// The tests, in groups.
    pub test_groups: Vec<TestGroup>,
}

/// What a flag means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// Wycheproof's bug classes: BASIC, AUTH_BYPASS, MISSING_STEP, EDGE_CASE, FUNCTIONALITY,
    /// CAN_OF_WORMS, MALLEABILITY, WRONG_PRIMITIVE, DOS.
    pub bug_type: String,
    /// What an implementation that fails it gets wrong.
    pub description: String,
}

/// A group of tests sharing a type (and, for backups, a suite, a slot type and caps).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum TestGroup {
    /// Whole-backup decryption tests.
    BackupDecryption(BackupGroup),
    /// Recovery-key text parsing tests.
    RecoveryKeyParsing(RecoveryKeyGroup),
    /// WhatsApp crypt15 backup decryption tests (the `e2eb-whatsapp` crate).
    Crypt15Decryption(Crypt15Group),
    /// Recovery-key files: bytes in, the key out (SPEC.md §2.1).
    RecoveryKeyFile(SecretInputGroup),
    /// Password files: bytes in, the password as typed out (SPEC.md §2.2).
    PasswordFile(SecretInputGroup),
    /// New passwords: UTF-8 in, the KDF input out (SPEC.md §2.2).
    PasswordNormalization(SecretInputGroup),
}

/// Backup tests of one suite and slot type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupGroup {
    /// The suite's name (`aes-256-gcm`, `chacha20-poly1305`), or `other` for tests whose
    /// header names none this version knows.
    pub suite: String,
    /// The kind of slot the secret opens (`recovery-key`, `argon2id`, `scrypt`, `vault`), or
    /// `mixed`.
    pub slot_type: String,
    /// The KDF caps the decryptor must apply.
    pub caps: Caps,
    /// The tests.
    pub tests: Vec<BackupTest>,
}

/// KDF caps (SPEC.md section 10) in force for a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Caps {
    /// Most memory one derivation may use, in bytes.
    pub max_memory_bytes: u64,
    /// Most Argon2id passes.
    pub argon2_max_t: u32,
    /// Most Argon2id lanes.
    pub argon2_max_p: u32,
    /// Largest scrypt log2 N.
    pub scrypt_max_log_n: u8,
    /// Largest scrypt r.
    pub scrypt_max_r: u32,
    /// Largest scrypt p.
    pub scrypt_max_p: u32,
    /// Most work (memory × passes) one derivation may ask, in bytes.
    pub max_work_bytes: u64,
    /// Most work all the password derivations of one backup may ask together, in bytes.
    pub max_backup_work_bytes: u64,
    /// Most distinct password derivations one backup may ask for.
    pub max_password_slots: u32,
}

/// One backup decryption test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags (see the file's notes).
    pub flags: Vec<String>,
    /// The secret to open the backup with.
    pub secret: SecretInput,
    /// How the backup was made, with its fixed "random" inputs, so encryption can be reproduced.
    /// Absent when the backup was altered after encryption.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub encryption: Option<EncryptionInputs>,
    /// The plaintext in hex (messages up to 1 KiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg: Option<String>,
    /// Plaintext length (of the whole message for valid tests, of the longest valid prefix for
    /// `PartialPlaintext` ones).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg_length: Option<u64>,
    /// SHA-512 of that plaintext, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg_sha512: Option<String>,
    /// The backup in hex (when it is at most 4 KiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ct: Option<String>,
    /// The backup zlib-compressed, then hex (when it is longer than 4 KiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ct_zlib: Option<String>,
    /// Values derived on the way, for finding where an implementation diverges.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub intermediates: Option<Intermediates>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: the error class of SPEC.md section 11.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// For `KdfOverCap`: the slot and the cap it names (SPEC.md sections 9 and 10 say which,
    /// when several slots or caps are over).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub over_cap: Option<OverCap>,
}

/// Which slot and which cap a `KdfOverCap` failure names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverCap {
    /// The slot's position in the header, from 0.
    pub slot: usize,
    /// The cap: `t`, `p`, `logN`, `r`, `memory`, `work` (per slot), `passwordSlots` or
    /// `backupWork` (the backup's budget).
    pub parameter: String,
}

impl OverCap {
    /// What `error` names, if it is a refusal by a KDF cap.
    pub fn of(error: &e2eb::Error) -> Option<OverCap> {
        use e2eb::KdfParameter;
        let e2eb::Error::KdfOverCap {
            index, exceeded, ..
        } = error
        else {
            return None;
        };
        let parameter = match exceeded.parameter {
            KdfParameter::Argon2Passes => "t",
            KdfParameter::Argon2Lanes | KdfParameter::ScryptP => "p",
            KdfParameter::ScryptLogN => "logN",
            KdfParameter::ScryptR => "r",
            KdfParameter::Memory => "memory",
            KdfParameter::Work => "work",
            KdfParameter::PasswordSlots => "passwordSlots",
            KdfParameter::BackupWork => "backupWork",
            _ => "unknown",
        };
        Some(OverCap {
            slot: *index,
            parameter: parameter.into(),
        })
    }

    /// An error's class, with the slot and cap for `KdfOverCap`: what the vectors compare.
    pub fn label(class: &str, over_cap: Option<&OverCap>) -> String {
        match over_cap {
            Some(over) => format!("{class} (slot {}, {})", over.slot, over.parameter),
            None => class.to_string(),
        }
    }
}

/// The secret a test offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum SecretInput {
    /// Recovery-key text, as a user would type it.
    RecoveryKey(String),
    /// A password.
    Password(String),
    /// A vault secret, 32 bytes as 64 hex digits.
    VaultSecret(String),
}

impl SecretInput {
    /// The library's secret. A vault secret that is not 32 bytes of hex is an error of the
    /// vector itself, reported as such.
    pub fn to_library(&self) -> Result<e2eb::Secret, e2eb::Error> {
        Ok(match self {
            SecretInput::RecoveryKey(text) => {
                e2eb::Secret::RecoveryKey(e2eb::RecoveryKey::parse(text)?)
            }
            SecretInput::Password(password) => {
                e2eb::Secret::Password(e2eb::Password::new(password.clone())?)
            }
            SecretInput::VaultSecret(text) => e2eb::Secret::VaultSecret(
                e2eb::VaultSecret::from_bytes(hex_array(text).ok_or_else(|| {
                    e2eb::Error::Io(std::io::Error::other(
                        "the vault secret is not 32 bytes of hex",
                    ))
                })?),
            ),
        })
    }
}

/// `text` as `N` bytes of hex, if it is.
pub fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// The fixed inputs of an encryption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionInputs {
    /// The suite's name.
    pub suite: String,
    /// The file key, hex.
    pub file_key: String,
    /// The slots in header order.
    pub slots: Vec<SlotInputs>,
    /// The 24-byte payload salt, hex.
    pub payload_salt: String,
}

/// How one slot was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotInputs {
    /// `recovery-key`, `argon2id`, `scrypt`, `vault`, or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The secret: recovery key or vault secret (64 hex digits), or password.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
    /// KDF parameters (`m`, `t`, `p` or `logN`, `r`, `p`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kdf: Option<BTreeMap<String, u64>>,
    /// The salt, hex (absent for unknown slots).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub salt: Option<String>,
    /// For unknown slots: type byte and body, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub raw: Option<String>,
    /// For vault slots: the vault identifier, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vault_id: Option<String>,
    /// For vault slots: the account identifier, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account: Option<String>,
    /// For vault slots: the URL hint.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
}

/// Intermediate values of a valid backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Intermediates {
    /// Per slot, in header order (unknown slots have empty entries).
    pub slots: Vec<SlotIntermediates>,
    /// The header bytes (the payload context), hex.
    pub header: String,
    /// The payload AEAD key, hex.
    pub aead_key: String,
    /// The payload base nonce, hex.
    pub base_nonce: String,
    /// The payload commitment, hex.
    pub commitment: String,
}

/// Intermediate values of one slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotIntermediates {
    /// The key-encryption key, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kek: Option<String>,
    /// The wrap key, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wrap_key: Option<String>,
    /// The wrap nonce, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wrap_nonce: Option<String>,
    /// The key check, hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_check: Option<String>,
    /// The wrapped file key (ciphertext || tag), hex.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wrapped_key: Option<String>,
}

/// Recovery-key parsing tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryKeyGroup {
    /// The tests.
    pub tests: Vec<RecoveryKeyTest>,
}

/// One recovery-key parsing test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryKeyTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The text as typed.
    pub text: String,
    /// The key's 32 bytes, hex (valid tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: `WrongLength` or `InvalidCharacter`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// For `WrongLength`: digits found; for `InvalidCharacter`: the group (1..16).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<usize>,
}

/// Secret-input tests of one kind (the group's `type`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretInputGroup {
    /// The tests.
    pub tests: Vec<SecretInputTest>,
}

/// One secret-input test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretInputTest {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The input bytes, hex: a file's contents, or a password's UTF-8.
    pub input: String,
    /// For valid tests, hex: the key's 32 bytes, the password's UTF-8, or the KDF input.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub output: Option<String>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: the error class.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// `WrongLength`: digits found; `InvalidCharacter`: the group; `UnassignedInPassword`: the
    /// code point's position, from 1.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<usize>,
}

/// WhatsApp crypt15 backups whose GCM plaintext is written one way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Crypt15Group {
    /// `zlib`: the data was zlib-compressed before encryption (single databases); `stored`:
    /// encrypted as it is (multi-file backups store a ZIP archive).
    pub payload: String,
    /// The tests.
    pub tests: Vec<Crypt15Test>,
}

/// One crypt15 decryption test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Crypt15Test {
    /// Unique id within the file.
    pub tc_id: u32,
    /// What the test checks.
    pub comment: String,
    /// Flags (see the file's notes).
    pub flags: Vec<String>,
    /// The 64-digit key (32 bytes, hex) to open the backup with.
    pub key: String,
    /// The decrypted output (inflated database or ZIP archive) in hex, up to 1 KiB.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg: Option<String>,
    /// Output length (valid tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg_length: Option<u64>,
    /// SHA-512 of the output, hex (valid tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg_sha512: Option<String>,
    /// The backup in hex (when it is at most 4 KiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ct: Option<String>,
    /// The backup zlib-compressed, then hex (when it is longer than 4 KiB).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ct_zlib: Option<String>,
    /// For valid tests: the MD5 trailer is `verified`, `absent` or `mismatch` (the data
    /// authenticated but the MD5 does not match).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub md5_trailer: Option<String>,
    /// For valid tests: whether the output is a ZIP archive.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub output_is_zip: Option<bool>,
    /// For valid tests: values derived on the way.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub intermediates: Option<Crypt15Intermediates>,
    /// `valid` or `invalid`.
    pub result: String,
    /// For invalid tests: the error class the reference implementation reports.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Intermediate values of a valid crypt15 backup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Crypt15Intermediates {
    /// HKDF-SHA256(key, no salt, "backup encryption"): the AES-256-GCM key, hex.
    pub aes_key: String,
    /// The 16-byte IV from the prefix, hex.
    pub iv: String,
    /// Bytes before the ciphertext: the length varint and the prefix message.
    pub prefix_len: u64,
    /// GCM ciphertext length (the zlib stream's or archive's length).
    pub ciphertext_len: u64,
    /// The GCM tag, hex.
    pub tag: String,
}

/// The bytes of `ct` or `ctZlib`, exactly one of which must be present.
pub fn decode_ct(tc_id: u32, ct: Option<&str>, ct_zlib: Option<&str>) -> Result<Vec<u8>, String> {
    match (ct, ct_zlib) {
        (Some(hex_text), None) => hex::decode(hex_text).map_err(|e| format!("tc {tc_id}: ct: {e}")),
        (None, Some(hex_text)) => {
            use std::io::Read;
            let compressed =
                hex::decode(hex_text).map_err(|e| format!("tc {tc_id}: ctZlib: {e}"))?;
            let mut backup = Vec::new();
            flate2::read::ZlibDecoder::new(&compressed[..])
                .read_to_end(&mut backup)
                .map_err(|e| format!("tc {tc_id}: ctZlib: {e}"))?;
            Ok(backup)
        }
        _ => Err(format!(
            "tc {tc_id}: exactly one of ct and ctZlib must be present"
        )),
    }
}

impl Crypt15Test {
    /// The backup's bytes, from `ct` or `ctZlib`.
    pub fn backup(&self) -> Result<Vec<u8>, String> {
        decode_ct(self.tc_id, self.ct.as_deref(), self.ct_zlib.as_deref())
    }

    /// Whether the backup must open.
    pub fn is_valid(&self) -> bool {
        self.result == "valid"
    }
}

impl BackupTest {
    /// The backup's bytes, from `ct` or `ctZlib`.
    pub fn backup(&self) -> Result<Vec<u8>, String> {
        decode_ct(self.tc_id, self.ct.as_deref(), self.ct_zlib.as_deref())
    }

    /// Whether the test carries `flag`.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Whether the backup must open.
    pub fn is_valid(&self) -> bool {
        self.result == "valid"
    }
}
