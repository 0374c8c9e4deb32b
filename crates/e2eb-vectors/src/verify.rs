//! `vectors verify`: the committed files are exactly what the generator writes, and the
//! reference library passes every vector through every API.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use e2eb::hazmat::chunked::Options;
use e2eb::{Backend, Decryptor, RecoveryKey, Secret, Threads};
use sha2::{Digest, Sha512};

use crate::generate::{generate, library_caps};
use crate::model::OverCap;
use crate::model::{BackupGroup, BackupTest, RecoveryKeyGroup, SecretInput, TestGroup, VectorFile};
use crate::recovery_keys::error_class;
use crate::secret_inputs::SecretInputKind;
use crate::vault_protocol::{self, VaultProtocolFile};

/// Serialises a vector file the one way the project commits it.
pub fn to_json(file: &VectorFile) -> String {
    let mut text = serde_json::to_string_pretty(file).expect("vector files serialise");
    text.push('\n');
    text
}

/// Serialises the vault protocol file the one way the project commits it.
pub fn vault_to_json(file: &VaultProtocolFile) -> String {
    let mut text = serde_json::to_string_pretty(file).expect("vector files serialise");
    text.push('\n');
    text
}

/// Writes every generated file into `dir`.
pub fn write_all(dir: &Path) -> Result<Vec<String>, String> {
    let files = generate().map_err(|e| format!("generating: {e}"))?;
    let mut written = Vec::new();
    for (name, file) in files {
        let path = dir.join(&name);
        std::fs::write(&path, to_json(&file))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        written.push(format!("{name}: {} tests", file.number_of_tests));
    }
    let vault = vault_protocol::file().map_err(|e| format!("generating the vault vectors: {e}"))?;
    let path = dir.join(vault_protocol::FILE_NAME);
    std::fs::write(&path, vault_to_json(&vault))
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    written.push(format!(
        "{}: {} tests",
        vault_protocol::FILE_NAME,
        vault.number_of_tests
    ));
    Ok(written)
}

/// Fails when the committed vault protocol file differs from the generator's output; returns it.
pub fn check_committed_vault(dir: &Path) -> Result<VaultProtocolFile, String> {
    let file = vault_protocol::file().map_err(|e| format!("generating the vault vectors: {e}"))?;
    let path = dir.join(vault_protocol::FILE_NAME);
    let committed =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if committed != vault_to_json(&file) {
        return Err(format!(
            "{} is stale: it differs from what the generator writes; run `cargo xtask vectors generate` and review the diff",
            path.display()
        ));
    }
    Ok(file)
}

/// Fails when a committed file differs from the generator's output; returns the files checked.
pub fn check_committed(dir: &Path) -> Result<Vec<(String, VectorFile)>, String> {
    let files = generate().map_err(|e| format!("generating: {e}"))?;
    for (name, file) in &files {
        let path = dir.join(name);
        let committed = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if committed != to_json(file) {
            return Err(format!(
                "{} is stale: it differs from what the generator writes; run `cargo xtask vectors generate` and review the diff",
                path.display()
            ));
        }
    }
    Ok(files)
}

/// Runs the reference library over every vector of `file`; returns (passed, failures).
pub fn run_reference(file: &VectorFile) -> (usize, Vec<String>) {
    run_reference_with(file, Backend::Auto)
}

/// As [`run_reference`], with the library's AEAD run by `backend`: every decryption API must
/// give the same verdict, and encrypting the published inputs the same bytes, whatever the
/// backend.
pub fn run_reference_with(file: &VectorFile, backend: Backend) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for group in &file.test_groups {
        match group {
            TestGroup::BackupDecryption(group) => {
                for test in &group.tests {
                    match check_backup(group, test, backend) {
                        Ok(()) => passed += 1,
                        Err(why) => {
                            failures.push(format!("tc {} ({}): {why}", test.tc_id, test.comment))
                        }
                    }
                }
            }
            TestGroup::RecoveryKeyParsing(group) => {
                let (ok, bad) = check_recovery_keys(group);
                passed += ok;
                failures.extend(bad);
            }
            TestGroup::Crypt15Decryption(group) => {
                let (ok, bad) = crate::crypt15::check_group(group);
                passed += ok;
                failures.extend(bad);
            }
            TestGroup::RecoveryKeyFile(_)
            | TestGroup::PasswordFile(_)
            | TestGroup::PasswordNormalization(_) => {
                let (kind, tests) = SecretInputKind::of(group).expect("a secret-input group");
                let (ok, bad) = crate::secret_inputs::check_group(kind, tests);
                passed += ok;
                failures.extend(bad);
            }
        }
    }
    (passed, failures)
}

fn library_secret(secret: &SecretInput) -> Result<Secret, e2eb::Error> {
    secret.to_library()
}

/// One API's outcome: the plaintext, or the error class with what was released before it.
type Outcome = Result<Vec<u8>, (String, Vec<u8>)>;

fn apis(
    group: &BackupGroup,
    test: &BackupTest,
    backup: &[u8],
    backend: Backend,
) -> Result<Vec<(&'static str, Outcome)>, String> {
    let decryptor = |threads| -> Result<Decryptor, e2eb::Error> {
        Ok(Decryptor::new(library_secret(&test.secret)?)
            .caps(library_caps(&group.caps))
            .threads(Threads::new(threads))
            .backend(backend))
    };
    let class = |error: e2eb::Error| OverCap::label(error.class(), OverCap::of(&error).as_ref());
    let mut outcomes: Vec<(&'static str, Outcome)> = Vec::new();
    for (name, threads) in [("one-shot/1", 1), ("one-shot/2", 2)] {
        let outcome = decryptor(threads).and_then(|d| d.decrypt_to_vec(backup));
        outcomes.push((name, outcome.map_err(|e| (class(e), Vec::new()))));
    }
    // Opened where it lies, a failure leaves the backup as it was or wiped to zeros.
    for (name, threads) in [("buffer/1", 1), ("buffer/2", 2)] {
        let mut data = backup.to_vec();
        let outcome = decryptor(threads).and_then(|d| d.open_buffer(&mut data).map(|o| o.to_vec()));
        let wiped = data.iter().all(|&byte| byte == 0);
        outcomes.push((
            name,
            match outcome {
                Ok(plaintext) => Ok(plaintext),
                Err(e) if data == backup || wiped => Err((class(e), Vec::new())),
                Err(e) => Err((class(e), data)),
            },
        ));
    }
    // `file`: the by-offsets path (`unlock_file`), where the pool threads read the chunks.
    for (name, threads, by_offsets) in [
        ("stream/1", 1, false),
        ("stream/2", 2, false),
        ("file/1", 1, true),
        ("file/2", 2, true),
    ] {
        let mut out = Vec::new();
        let outcome = decryptor(threads).and_then(|d| {
            if by_offsets {
                d.unlock_file(backup)?.decrypt_to(&mut out)
            } else {
                d.unlock(backup)?.decrypt_to(&mut out)
            }
        });
        outcomes.push((
            name,
            match outcome {
                Ok(_) => Ok(out),
                Err(e) => Err((class(e), out)),
            },
        ));
    }
    let mut released = Vec::new();
    let reader = decryptor(1)
        .and_then(|d| d.unlock(backup))
        .map(|unlocked| unlocked.into_reader())
        .map_err(|e| (class(e), Vec::new()));
    outcomes.push((
        "reader",
        reader.and_then(|mut reader| match reader.read_to_end(&mut released) {
            Ok(_) => Ok(std::mem::take(&mut released)),
            Err(e) => Err((
                class(e2eb::Error::from_io(e)),
                std::mem::take(&mut released),
            )),
        }),
    ));
    // Random access authenticates the final chunk on its first seek.
    let seekable = decryptor(1)
        .and_then(|d| d.unlock_file(backup))
        .and_then(|unlocked| {
            let mut reader = unlocked.into_reader();
            reader
                .seek(SeekFrom::End(0))
                .and_then(|_| reader.seek(SeekFrom::Start(0)))
                .map_err(e2eb::Error::from_io)?;
            Ok(reader)
        });
    if seekable.is_ok() && !test.is_valid() && !test.has("ValidFinalChunk") {
        return Err("random access authenticated the length of an invalid backup not flagged ValidFinalChunk".into());
    }
    let mut all = Vec::new();
    outcomes.push((
        "seek",
        match seekable {
            Err(e) => Err((class(e), Vec::new())),
            Ok(mut reader) => match reader.read_to_end(&mut all) {
                Ok(_) => Ok(all),
                Err(e) => Err((class(e2eb::Error::from_io(e)), Vec::new())),
            },
        },
    ));
    Ok(outcomes)
}

fn check_backup(group: &BackupGroup, test: &BackupTest, backend: Backend) -> Result<(), String> {
    let backup = test.backup()?;
    for (api, outcome) in apis(group, test, &backup, backend)? {
        match (test.is_valid(), outcome) {
            (true, Ok(plaintext)) => {
                check_message(test, &plaintext).map_err(|why| format!("{api}: {why}"))?
            }
            (true, Err((class, _))) => {
                return Err(format!("{api}: valid backup rejected with {class}"));
            }
            (false, Ok(_)) => return Err(format!("{api}: invalid backup accepted")),
            (false, Err((class, released))) => {
                let expected = test
                    .error
                    .as_deref()
                    .map(|error| OverCap::label(error, test.over_cap.as_ref()));
                if Some(&class) != expected.as_ref() {
                    return Err(format!("{api}: error {class}, expected {expected:?}"));
                }
                let limit = if test.has("PartialPlaintext") {
                    test.msg_length.unwrap_or(0)
                } else {
                    0
                };
                if released.len() as u64 > limit {
                    return Err(format!(
                        "{api}: released {} bytes, more than the valid prefix of {limit}",
                        released.len()
                    ));
                }
            }
        }
    }
    if let (true, Some(inputs)) = (test.is_valid(), &test.encryption) {
        let plaintext = match &test.msg {
            Some(msg) => hex::decode(msg).map_err(|e| e.to_string())?,
            None => Decryptor::new(library_secret(&test.secret).map_err(|e| e.to_string())?)
                .caps(library_caps(&group.caps))
                .decrypt_to_vec(&backup)
                .map_err(|e| e.to_string())?,
        };
        let rebuilt = crate::recipe::Recipe::from_inputs(inputs)?
            .build_with(&plaintext, backend)
            .map_err(|e| e.to_string())?;
        if rebuilt.backup != backup {
            return Err(
                "encrypting the message with the published inputs does not reproduce the backup"
                    .into(),
            );
        }
        if Some(&rebuilt.intermediates) != test.intermediates.as_ref() {
            return Err("the published intermediate values differ from the derived ones".into());
        }
    }
    Ok(())
}

fn check_message(test: &BackupTest, plaintext: &[u8]) -> Result<(), String> {
    if Some(plaintext.len() as u64) != test.msg_length {
        return Err(format!(
            "plaintext of {} bytes, expected {:?}",
            plaintext.len(),
            test.msg_length
        ));
    }
    if Some(hex::encode(Sha512::digest(plaintext))) != test.msg_sha512 {
        return Err("plaintext SHA-512 differs".into());
    }
    if let Some(msg) = &test.msg
        && hex::encode(plaintext) != *msg
    {
        return Err("plaintext differs from msg".into());
    }
    Ok(())
}

fn check_recovery_keys(group: &RecoveryKeyGroup) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for test in &group.tests {
        let got = match RecoveryKey::parse(&test.text) {
            Ok(key) => ("valid", Some(hex::encode(key.as_bytes())), None, None),
            Err(error) => {
                let (class, detail) = error_class(&error);
                ("invalid", None, Some(class), detail)
            }
        };
        let expected = (
            test.result.as_str(),
            test.key.clone(),
            test.error.as_deref(),
            test.detail,
        );
        if got == expected {
            passed += 1;
        } else {
            failures.push(format!(
                "recovery key tc {} ({}): got {got:?}, expected {expected:?}",
                test.tc_id, test.comment
            ));
        }
    }
    (passed, failures)
}

/// Where Wycheproof's Cobblestone-256 vectors sit, relative to the repository root.
pub const COBBLESTONE_VECTORS: &str =
    "crates/e2eb/tests/data/wycheproof/c2sp_chunked_encryption_aes_256_gcm_test.json";

/// Runs Wycheproof's Cobblestone-256 vectors through the payload layer's in-memory, pipelined
/// and streaming decryption (the library's own tests go further: random access, raw mode,
/// re-encryption); returns (passed, failures).
pub fn run_cobblestone(path: &Path) -> Result<(usize, Vec<String>), String> {
    run_cobblestone_with(path, Backend::Auto)
}

/// As [`run_cobblestone`], with the payload's AEAD run by `backend`.
pub fn run_cobblestone_with(path: &Path, backend: Backend) -> Result<(usize, Vec<String>), String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let file: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let field =
        |test: &serde_json::Value, name: &str| test[name].as_str().unwrap_or_default().to_string();
    let tests = file["testGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["tests"].as_array().into_iter().flatten());
    let mut passed = 0;
    let mut failures = Vec::new();
    for test in tests {
        let id = test["tcId"].as_u64().unwrap_or_default();
        let key = hex::decode(field(test, "key")).unwrap_or_default();
        let ctx = hex::decode(field(test, "ctx")).unwrap_or_default();
        let mut ciphertext = Vec::new();
        let compressed = hex::decode(field(test, "ct")).unwrap_or_default();
        if flate2::read::ZlibDecoder::new(&compressed[..])
            .read_to_end(&mut ciphertext)
            .is_err()
        {
            failures.push(format!("cobblestone tc {id}: unreadable ct"));
            continue;
        }
        let valid = field(test, "result") == "valid";
        let expected = field(test, "msgSha512");
        let suite = e2eb::Suite::Aes256Gcm;
        let mut outcomes = vec![e2eb::hazmat::chunked::decrypt_to_vec(
            suite,
            &key,
            &ctx,
            &ciphertext,
            Options::new(Threads::new(2), backend),
        )];
        for threads in [1, 2] {
            let mut out = Vec::new();
            let outcome = e2eb::hazmat::chunked::decrypt(
                suite,
                &key,
                &ctx,
                &ciphertext[..],
                &mut out,
                Options::new(Threads::new(threads), backend),
            );
            outcomes.push(outcome.map(|_| out));
        }
        outcomes.push(
            e2eb::hazmat::chunked::reader(suite, &key, &ctx, &ciphertext[..]).and_then(
                |mut reader| {
                    let mut out = Vec::new();
                    reader
                        .read_to_end(&mut out)
                        .map(|_| out)
                        .map_err(e2eb::Error::from_io)
                },
            ),
        );
        let agrees = outcomes.iter().all(|outcome| match outcome {
            Ok(message) => valid && hex::encode(Sha512::digest(message)) == expected,
            Err(_) => !valid,
        });
        if agrees {
            passed += 1;
        } else {
            failures.push(format!(
                "cobblestone tc {id} ({}): a verdict differs from {}",
                field(test, "comment"),
                field(test, "result")
            ));
        }
    }
    Ok((passed, failures))
}

/// The whole `verify` task over `dir` (the repository's `vectors/`): staleness, then the
/// reference library over every file, Wycheproof's Cobblestone-256 vectors, and the vault's code
/// over the vault protocol vectors. Returns a summary line per file.
pub fn verify(dir: &Path) -> Result<Vec<String>, String> {
    let files = check_committed(dir)?;
    let vault = check_committed_vault(dir)?;
    let mut lines = Vec::new();
    let mut all_failures = Vec::new();
    // The vault's code has no AEAD backends to choose from: it runs once.
    let (passed, failures) = vault_protocol::run_reference(&vault);
    lines.push(format!(
        "{} (e2eb-vault): {passed} passed, {} failed",
        vault_protocol::FILE_NAME,
        failures.len()
    ));
    all_failures.extend(failures);
    // Every AEAD backend of this build, so that none can drift from the others.
    for &backend in Backend::compiled() {
        for (name, file) in &files {
            let (passed, failures) = run_reference_with(file, backend);
            lines.push(format!(
                "{name} ({backend} backend): {passed} passed, {} failed",
                failures.len()
            ));
            all_failures.extend(failures.into_iter().map(|f| format!("{backend}: {f}")));
        }
        let (passed, failures) =
            run_cobblestone_with(&dir.join("..").join(COBBLESTONE_VECTORS), backend)?;
        let name = "c2sp_chunked_encryption_aes_256_gcm_test.json (Wycheproof)";
        lines.push(format!(
            "{name} ({backend} backend): {passed} passed, {} failed",
            failures.len()
        ));
        all_failures.extend(failures.into_iter().map(|f| format!("{backend}: {f}")));
    }
    if all_failures.is_empty() {
        Ok(lines)
    } else {
        Err(format!("{}\n{}", lines.join("\n"), all_failures.join("\n")))
    }
}
