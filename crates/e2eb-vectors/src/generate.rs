//! Writes the vector files: every suite × slot type × size, multi-slot and formatting variants,
//! and every failure class of SPEC.md, each as a mutation of a valid backup or a header built on
//! purpose.

use std::collections::BTreeMap;
use std::io::Read;

use e2eb::hazmat::Entropy;
use e2eb::payload::{CHUNK_LEN, PREFIX_LEN, SEALED_CHUNK_LEN};
use e2eb::{
    Argon2idParams, Decryptor, Header, KdfCaps, KdfParams, KeySlot, ScryptParams, Secret, Suite,
    Threads,
};
use sha2::{Digest, Sha512};

use crate::model::*;
use crate::recipe::{Built, Recipe, SlotRecipe, chunk_start, fixed_bytes, recovery_key_bytes};

mod hostile;
mod invalid;
mod vault;

use hostile::{cap_naming_headers, hostile_headers, slow_kdfs};
use invalid::{invalid_password_backups, invalid_recovery_key_backups};

/// The password of most password slots.
pub const PASSWORD: &str = "correct horse battery staple";
/// Argon2id at a tiny cost: vectors test the format, not the KDF's speed.
pub const FAST_ARGON2ID: KdfParams = KdfParams::Argon2id(Argon2idParams::unvalidated(64, 2, 1));
/// scrypt at a tiny cost.
pub const FAST_SCRYPT: KdfParams = KdfParams::Scrypt(ScryptParams::unvalidated(10, 8, 1));
/// Sizes around the chunk boundaries, and past a counter byte rollover (256 full chunks + 1).
pub const SIZES: [usize; 7] = [0, 1, 16383, 16384, 16385, 32768, 256 * CHUNK_LEN + 1];
/// Backups up to this size are written as `ct` hex, longer ones as `ctZlib`.
const HEX_LIMIT: usize = 4096;
/// Messages up to this size are written out in `msg`.
const MSG_LIMIT: usize = 1024;

/// The caps every backup group applies: the reference defaults on a machine with at least
/// 8 GiB of RAM.
pub fn caps() -> Caps {
    let caps = KdfCaps::for_physical_memory(None);
    Caps {
        max_memory_bytes: caps.max_memory_bytes(),
        argon2_max_t: caps.argon2_max_passes(),
        argon2_max_p: caps.argon2_max_lanes(),
        scrypt_max_log_n: caps.scrypt_max_log_n(),
        scrypt_max_r: caps.scrypt_max_r(),
        scrypt_max_p: caps.scrypt_max_p(),
        max_work_bytes: caps.max_work_bytes(),
        max_backup_work_bytes: caps.max_backup_work_bytes(),
        max_password_slots: caps.max_password_slots(),
    }
}

/// Converts a group's caps for the library.
pub fn library_caps(caps: &Caps) -> KdfCaps {
    KdfCaps::for_physical_memory(None)
        .with_max_memory_bytes(caps.max_memory_bytes)
        .with_argon2_max_passes(caps.argon2_max_t)
        .with_argon2_max_lanes(caps.argon2_max_p)
        .with_scrypt_max_log_n(caps.scrypt_max_log_n)
        .with_scrypt_max_r(caps.scrypt_max_r)
        .with_scrypt_max_p(caps.scrypt_max_p)
        .with_max_work_bytes(caps.max_work_bytes)
        .with_max_backup_work_bytes(caps.max_backup_work_bytes)
        .with_max_password_slots(caps.max_password_slots)
}

fn notes() -> BTreeMap<String, Note> {
    let note = |bug: &str, description: &str| Note {
        bug_type: bug.into(),
        description: description.into(),
    };
    [
        ("ChunkBoundary", note("EDGE_CASE", "The message length is at or next to a multiple of the 16 KiB chunk size, so the final chunk is empty or almost full.")),
        ("CounterRollover", note("EDGE_CASE", "More than 256 chunks: the chunk counter XOR'd into the nonce crosses a byte boundary.")),
        ("MultipleSlots", note("FUNCTIONALITY", "The header has several key slots; the secret opens one that is not necessarily the first.")),
        ("UnknownSlot", note("FUNCTIONALITY", "The header has a slot of a type this format version does not define; it must be skipped, yet its bytes stay authenticated.")),
        ("RecoveryKeyFormatting", note("FUNCTIONALITY", "The recovery key is typed with a different case, spaces, dashes or line breaks; it must be accepted.")),
        ("PasswordNormalization", note("FUNCTIONALITY", "The password is given in another Unicode normal form than at encryption; the KDF input is its NFC form.")),
        ("SlowKdf", note("FUNCTIONALITY", "Real-world KDF settings (the defaults of the reference implementation); slow to run.")),
        ("ScryptSmallR", note("EDGE_CASE", "scrypt with r = 1 and log2 N = 16: allowed by the format, refused by scrypt implementations that enforce RFC 7914's N < 2^(16 r) (OpenSSL's among them).")),
        ("WrongSecret", note("MISSING_STEP", "A valid backup opened with the wrong recovery key or password: no slot's key check matches.")),
        ("MissingSlotKind", note("FUNCTIONALITY", "The backup has no slot for the kind of secret offered.")),
        ("ModifiedHeader", note("AUTH_BYPASS", "A header byte outside the opening slot was changed (magic, version, suite, slot count, another slot): the parse or the payload commitment must fail.")),
        ("UnsupportedVersion", note("FUNCTIONALITY", "The version byte names a version other than 1: refuse by name before reading further.")),
        ("UnsupportedSuite", note("FUNCTIONALITY", "The suite byte names no suite of this version.")),
        ("ModifiedSlot", note("AUTH_BYPASS", "A byte of the opening slot was changed: its type, length, salt, parameters, key check or wrapped key.")),
        ("LengthOverflow", note("CAN_OF_WORMS", "A length field claims more bytes than the format allows or the input holds.")),
        ("ModifiedPayloadPrefix", note("AUTH_BYPASS", "The payload salt or commitment was changed: the commitment check must fail before any chunk is opened.")),
        ("ModifiedCiphertext", note("AUTH_BYPASS", "A chunk's body or tag was changed.")),
        ("Truncation", note("AUTH_BYPASS", "The backup was cut: inside the header or payload prefix, inside a chunk, or at a chunk boundary (the short final chunk is then missing).")),
        ("TrailingData", note("AUTH_BYPASS", "Bytes, or a whole valid chunk, follow the short final chunk.")),
        ("ChunkReordering", note("AUTH_BYPASS", "Chunks were swapped, duplicated or dropped.")),
        ("KdfOverCap", note("DOS", "A slot's KDF parameters exceed the group's caps: refuse before any KDF work or allocation.")),
        ("KdfBudget", note("DOS", "The password slots together exceed the backup's budget (maxPasswordSlots distinct derivations, maxBackupWorkBytes of summed work; slots with the same type, parameters and salt are one derivation): refuse the backup before any KDF work.")),
        ("InvalidKdfParameters", note("CAN_OF_WORMS", "A slot's KDF parameters are outside the ranges the format allows (e.g. t = 0, m < 8p, r*p >= 2^30).")),
        ("ShortSalt", note("MISSING_STEP", "A password slot's salt length is outside 16..=64 bytes.")),
        ("MalformedRecoveryKey", note("BASIC", "The recovery key text is not 64 hex digits; it must be refused before any decryption.")),
        ("PartialPlaintext", note("FUNCTIONALITY", "The backup is invalid but starts with validly encrypted chunks: msgLength and msgSha512 describe the longest valid prefix, which a streaming decryptor may release before it fails; never more.")),
        ("VaultSlot", note("FUNCTIONALITY", "The backup has a vault slot (type 0x04): its KEK derives by HKDF from the 32-byte vault secret a key vault releases (secret {\"vaultSecret\": hex}).")),
        ("EdgeCaseVaultSlot", note("EDGE_CASE", "A vault slot with its account or URL hint at a length limit (16 or 64 account bytes, an empty or a 1024-byte URL), or a non-ASCII URL.")),
        ("MalformedVaultSlot", note("CAN_OF_WORMS", "A vault slot's body breaks the format: account length outside 16..=64, URL longer than 1024 bytes or not UTF-8, or a body_len other than its fields imply.")),
        ("ValidFinalChunk", note("FUNCTIONALITY", "The backup is invalid, but its final chunk is validly encrypted at the right index: authenticating the length by opening the final chunk (random access) may succeed.")),
    ]
    .into_iter()
    .map(|(flag, note)| (flag.to_string(), note))
    .collect()
}

/// Collects tests into groups keyed by suite and slot type, in first-use order.
struct Collector {
    groups: Vec<BackupGroup>,
    next_id: u32,
}

impl Collector {
    fn push(&mut self, suite: &str, slot_type: &str, mut test: BackupTest) {
        self.next_id += 1;
        test.tc_id = self.next_id;
        match self
            .groups
            .iter_mut()
            .find(|g| g.suite == suite && g.slot_type == slot_type)
        {
            Some(group) => group.tests.push(test),
            None => self.groups.push(BackupGroup {
                suite: suite.into(),
                slot_type: slot_type.into(),
                caps: caps(),
                tests: vec![test],
            }),
        }
    }
}

fn encode_backup(test: &mut BackupTest, backup: &[u8]) {
    (test.ct, test.ct_zlib) = encode_ct(backup);
}

/// `(ct, ctZlib)` for a backup: hex up to 4 KiB, zlib-compressed hex beyond.
pub(crate) fn encode_ct(backup: &[u8]) -> (Option<String>, Option<String>) {
    if backup.len() <= HEX_LIMIT {
        (Some(hex::encode(backup)), None)
    } else {
        use std::io::Write;
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(backup).expect("writing to memory");
        (
            None,
            Some(hex::encode(encoder.finish().expect("writing to memory"))),
        )
    }
}

fn describe_message(test: &mut BackupTest, message: &[u8]) {
    test.msg_length = Some(message.len() as u64);
    test.msg_sha512 = Some(hex::encode(Sha512::digest(message)));
    if message.len() <= MSG_LIMIT {
        test.msg = Some(hex::encode(message));
    }
}

fn empty_test(comment: String, flags: &[&str], secret: SecretInput) -> BackupTest {
    BackupTest {
        tc_id: 0,
        comment,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        secret,
        encryption: None,
        msg: None,
        msg_length: None,
        msg_sha512: None,
        ct: None,
        ct_zlib: None,
        intermediates: None,
        result: String::new(),
        error: None,
        over_cap: None,
    }
}

fn valid_test(comment: String, flags: &[&str], secret: SecretInput, built: &Built) -> BackupTest {
    let mut test = empty_test(comment, flags, secret);
    test.encryption = Some(built.inputs.clone());
    test.intermediates = Some(built.intermediates.clone());
    describe_message(&mut test, &built.plaintext);
    encode_backup(&mut test, &built.backup);
    test.result = "valid".into();
    test
}

fn to_library_secret(secret: &SecretInput) -> Result<Secret, e2eb::Error> {
    secret.to_library()
}

/// An invalid test: the reference implementation's error class, the prefix its streaming reader
/// releases (`PartialPlaintext`) and whether random access can authenticate the length
/// (`ValidFinalChunk`) are recorded, and checked again by `verify`.
fn invalid_test(comment: String, flags: &[&str], secret: SecretInput, backup: &[u8]) -> BackupTest {
    let mut test = empty_test(comment, flags, secret.clone());
    encode_backup(&mut test, backup);
    test.result = "invalid".into();
    let caps = library_caps(&caps());
    let library_secret = match to_library_secret(&secret) {
        Ok(secret) => secret,
        Err(error) => {
            test.error = Some(error.class().into());
            return test;
        }
    };
    let decryptor = Decryptor::new(library_secret)
        .caps(caps)
        .threads(Threads::new(1));
    let error = decryptor
        .decrypt_to_vec(backup)
        .expect_err("an invalid vector must fail");
    test.error = Some(error.class().into());
    test.over_cap = crate::model::OverCap::of(&error);
    if let Ok(mut reader) = decryptor
        .unlock(backup)
        .map(|unlocked| unlocked.into_reader())
    {
        let mut released = Vec::new();
        let mut buffer = vec![0u8; CHUNK_LEN];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 {
                break;
            }
            released.extend_from_slice(&buffer[..n]);
        }
        if !released.is_empty() {
            test.flags.push("PartialPlaintext".into());
            test.msg_length = Some(released.len() as u64);
            test.msg_sha512 = Some(hex::encode(Sha512::digest(&released)));
        }
    }
    // Random access authenticates the final chunk on its first seek.
    let final_chunk_opens = decryptor.unlock_file(backup).is_ok_and(|unlocked| {
        std::io::Seek::seek(&mut unlocked.into_reader(), std::io::SeekFrom::End(0)).is_ok()
    });
    if final_chunk_opens {
        test.flags.push("ValidFinalChunk".into());
    }
    test
}

fn rk_secret(label: &str) -> SecretInput {
    SecretInput::RecoveryKey(
        e2eb::RecoveryKey::from_bytes(recovery_key_bytes(label))
            .display_grouped()
            .to_string(),
    )
}

fn password_secret() -> SecretInput {
    SecretInput::Password(PASSWORD.into())
}

fn flip(backup: &[u8], position: usize, mask: u8) -> Vec<u8> {
    let mut altered = backup.to_vec();
    altered[position] ^= mask;
    altered
}

fn replace(backup: &[u8], position: usize, bytes: &[u8]) -> Vec<u8> {
    let mut altered = backup.to_vec();
    altered[position..position + bytes.len()].copy_from_slice(bytes);
    altered
}

/// A message of `len` bytes: written out up to 1 KiB, else the keystream (zero chunk bodies).
fn build_sized(recipe: &Recipe, len: usize, label: &str) -> e2eb::Result<Built> {
    if len <= MSG_LIMIT {
        recipe.build(&fixed_bytes(&format!("{label}/message"), len))
    } else {
        recipe.build_zero_body(len)
    }
}

/// Generates every vector file: `(file name, contents)`.
pub fn generate() -> e2eb::Result<Vec<(String, VectorFile)>> {
    let mut collector = Collector {
        groups: Vec::new(),
        next_id: 0,
    };
    for suite in Suite::ALL {
        valid_matrix(&mut collector, suite)?;
    }
    for suite in Suite::ALL {
        valid_variants(&mut collector, suite)?;
    }
    for suite in Suite::ALL {
        invalid_recovery_key_backups(&mut collector, suite)?;
        invalid_password_backups(&mut collector, suite)?;
    }
    hostile_headers(&mut collector)?;
    slow_kdfs(&mut collector)?;
    vault::vault_vectors(&mut collector)?;
    cap_naming_headers(&mut collector)?;

    let backups = VectorFile {
        algorithm: "e2eb-v1".into(),
        format_version: 1,
        number_of_tests: collector.groups.iter().map(|g| g.tests.len()).sum(),
        header: vec![
            "Whole-backup decryption vectors for the e2eb format, version 1 (SPEC.md).".into(),
            "Decrypt ct (or ctZlib, zlib-inflated) with the secret under the group's caps; valid tests must yield the message (msg, or msgLength and msgSha512), invalid ones must fail with the error class given. See vectors/README.md.".into(),
        ],
        notes: notes(),
        schema: "schema.json".into(),
        test_groups: collector.groups.into_iter().map(TestGroup::BackupDecryption).collect(),
    };
    let recovery_keys = crate::recovery_keys::file();
    Ok(vec![
        ("e2eb_v1_test.json".into(), backups),
        ("recovery_key_test.json".into(), recovery_keys),
        (
            "secret_input_test.json".into(),
            crate::secret_inputs::file(),
        ),
        ("crypt15_test.json".into(), crate::crypt15::file()?),
    ])
}

/// Both suites × every slot type × every size.
fn valid_matrix(collector: &mut Collector, suite: Suite) -> e2eb::Result<()> {
    for slot_type in ["recovery-key", "argon2id", "scrypt"] {
        for len in SIZES {
            let label = format!("{suite}/{slot_type}/{len}");
            let (slot, secret) = match slot_type {
                "recovery-key" => (SlotRecipe::recovery_key(&label), rk_secret(&label)),
                "argon2id" => (
                    SlotRecipe::password(&label, PASSWORD, FAST_ARGON2ID),
                    password_secret(),
                ),
                _ => (
                    SlotRecipe::password(&label, PASSWORD, FAST_SCRYPT),
                    password_secret(),
                ),
            };
            let built = build_sized(&Recipe::new(&label, suite, vec![slot]), len, &label)?;
            let mut flags = Vec::new();
            if [16383, 16384, 16385, 32768].contains(&len) {
                flags.push("ChunkBoundary");
            }
            if len > 256 * CHUNK_LEN {
                flags.push("CounterRollover");
            }
            let comment = format!("{len}-byte message, one {slot_type} slot");
            collector.push(
                suite.name(),
                slot_type,
                valid_test(comment, &flags, secret, &built),
            );
        }
    }
    Ok(())
}

/// Multi-slot backups, unknown slots, recovery-key formatting and password normalisation.
fn valid_variants(collector: &mut Collector, suite: Suite) -> e2eb::Result<()> {
    let name = suite.name();
    let label = format!("{suite}/three slots");
    let recipe = Recipe::new(
        &label,
        suite,
        vec![
            SlotRecipe::password(&format!("{label}/argon2id"), PASSWORD, FAST_ARGON2ID),
            SlotRecipe::password(&format!("{label}/scrypt"), "another password", FAST_SCRYPT),
            SlotRecipe::recovery_key(&label),
        ],
    );
    let built = build_sized(&recipe, 5000, &label)?;
    for (comment, secret) in [
        (
            "three slots (argon2id, scrypt, recovery key), opened by the recovery key in the last slot",
            rk_secret(&label),
        ),
        (
            "three slots, opened by the first slot's password",
            password_secret(),
        ),
        (
            "three slots, opened by the second slot's password",
            SecretInput::Password("another password".into()),
        ),
    ] {
        collector.push(
            name,
            "mixed",
            valid_test(comment.into(), &["MultipleSlots"], secret, &built),
        );
    }

    let label = format!("{suite}/unknown slot");
    let unknown = SlotRecipe::Unknown {
        type_id: 0x7f,
        body: fixed_bytes(&format!("{label}/body"), 200),
    };
    let recipe = Recipe::new(
        &label,
        suite,
        vec![unknown, SlotRecipe::recovery_key(&label)],
    );
    let built = build_sized(&recipe, 100, &label)?;
    collector.push(
        name,
        "mixed",
        valid_test(
            "an unknown slot type 0x7f before the recovery-key slot is skipped".into(),
            &["UnknownSlot", "MultipleSlots"],
            rk_secret(&label),
            &built,
        ),
    );
    let empty_unknown = SlotRecipe::Unknown {
        type_id: 0xff,
        body: Vec::new(),
    };
    let recipe = Recipe::new(
        &label,
        suite,
        vec![SlotRecipe::recovery_key(&label), empty_unknown],
    );
    let built = build_sized(&recipe, 100, &label)?;
    collector.push(
        name,
        "mixed",
        valid_test(
            "an empty slot of unknown type 0xff after the recovery-key slot is skipped".into(),
            &["UnknownSlot", "MultipleSlots"],
            rk_secret(&label),
            &built,
        ),
    );

    let label = format!("{suite}/formatting");
    let built = build_sized(
        &Recipe::new(&label, suite, vec![SlotRecipe::recovery_key(&label)]),
        64,
        &label,
    )?;
    let key_hex = hex::encode(recovery_key_bytes(&label));
    let groups: Vec<&str> = (0..16).map(|g| &key_hex[4 * g..4 * g + 4]).collect();
    for (comment, text) in [
        (
            "recovery key typed in upper case",
            groups.join(" ").to_uppercase(),
        ),
        ("recovery key typed without separators", key_hex.clone()),
        ("recovery key typed with dashes", groups.join("-")),
        (
            "recovery key typed on four lines with a trailing newline",
            groups
                .chunks(4)
                .map(|l| l.join(" "))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        ),
        (
            "recovery key in mixed case with tabs and irregular spacing",
            {
                let mixed: String = key_hex
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i % 3 == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                format!("\t{}  {} -{}", &mixed[..10], &mixed[10..40], &mixed[40..])
            },
        ),
    ] {
        collector.push(
            name,
            "recovery-key",
            valid_test(
                comment.into(),
                &["RecoveryKeyFormatting"],
                SecretInput::RecoveryKey(text),
                &built,
            ),
        );
    }

    let label = format!("{suite}/normalisation");
    let composed = "p\u{e4}ssw\u{f6}rd \u{c5}ngstr\u{f6}m";
    let decomposed = "pa\u{308}sswo\u{308}rd A\u{30a}ngstro\u{308}m";
    let recipe = Recipe::new(
        &label,
        suite,
        vec![SlotRecipe::password(&label, composed, FAST_ARGON2ID)],
    );
    let built = build_sized(&recipe, 32, &label)?;
    collector.push(
        name,
        "argon2id",
        valid_test(
            "password set in NFC, typed in NFD (decomposed accents)".into(),
            &["PasswordNormalization"],
            SecretInput::Password(decomposed.into()),
            &built,
        ),
    );
    let recipe = Recipe::new(
        &label,
        suite,
        vec![SlotRecipe::password(&label, decomposed, FAST_SCRYPT)],
    );
    let built = build_sized(&recipe, 32, &label)?;
    collector.push(
        name,
        "scrypt",
        valid_test(
            "password set in NFD, typed in NFC".into(),
            &["PasswordNormalization"],
            SecretInput::Password(composed.into()),
            &built,
        ),
    );

    let label = format!("{suite}/scrypt r=1");
    let small_r = KdfParams::Scrypt(ScryptParams::unvalidated(16, 1, 1));
    let recipe = Recipe::new(
        &label,
        suite,
        vec![SlotRecipe::password(&label, PASSWORD, small_r)],
    );
    let built = build_sized(&recipe, 32, &label)?;
    let comment = "scrypt log2 N = 16, r = 1 (8 MiB): valid, though RFC 7914 as written forbids it";
    collector.push(
        name,
        "scrypt",
        valid_test(comment.into(), &["ScryptSmallR"], password_secret(), &built),
    );
    Ok(())
}
