//! `vectors check --cmd "..."`: runs another implementation over every vector through the
//! conformance protocol of vectors/README.md: one JSON request per process on standard input,
//! one JSON answer on standard output. Besides each answer's verdict it checks what a streaming
//! implementation says it released before failing, against the vectors' `PartialPlaintext` flag.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::model::{Caps, OverCap, SecretInput, SecretInputTest, TestGroup, VectorFile};
use crate::secret_inputs::SecretInputKind;

/// A request to the implementation under test.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Request {
    /// Decrypt `backup` with `secret` under `caps`.
    BackupDecryption {
        /// The vector's id (for the implementation's logs).
        tc_id: u32,
        /// The backup, hex.
        backup: String,
        /// The secret.
        secret: SecretInput,
        /// The caps to apply.
        caps: Caps,
    },
    /// Decrypt the WhatsApp crypt15 backup `backup` with the 32-byte `key` (hex).
    Crypt15Decryption {
        /// The vector's id.
        tc_id: u32,
        /// The backup, hex.
        backup: String,
        /// The 64-digit key, hex.
        key: String,
    },
    /// Parse `text` as a recovery key.
    RecoveryKeyParsing {
        /// The vector's id.
        tc_id: u32,
        /// The typed text.
        text: String,
    },
    /// Read the recovery key in a key file's bytes (SPEC.md §2.1).
    RecoveryKeyFile {
        /// The vector's id.
        tc_id: u32,
        /// The file's bytes, hex.
        input: String,
    },
    /// Read the password in a password file's bytes (SPEC.md §2.2).
    PasswordFile {
        /// The vector's id.
        tc_id: u32,
        /// The file's bytes, hex.
        input: String,
    },
    /// Give the KDF input of a new password (SPEC.md §2.2).
    PasswordNormalization {
        /// The vector's id.
        tc_id: u32,
        /// The password's UTF-8, hex.
        input: String,
    },
}

/// What a streaming implementation handed on before it failed: the length and SHA-512 of that
/// plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Released {
    /// Bytes released.
    pub msg_length: u64,
    /// Their SHA-512, hex.
    pub msg_sha512: String,
}

/// The implementation's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `valid` (decrypted / parsed), `invalid`, or, for a crypt15 request only, `unsupported`
    /// (the implementation does not read WhatsApp backups).
    pub result: String,
    /// For a decrypted backup: the plaintext's SHA-512, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_sha512: Option<String>,
    /// For a decrypted backup: the plaintext length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg_length: Option<u64>,
    /// For a parsed recovery key: its 32 bytes, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For a secret input read: the output, hex (the key's 32 bytes, the password's UTF-8, or
    /// the KDF input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// For a `KdfOverCap` failure: the slot and cap it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_cap: Option<OverCap>,
    /// For a failure: the error class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a recovery key that does not parse: digits found (`WrongLength`) or the group
    /// (`InvalidCharacter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<usize>,
    /// For a backup that failed: what was released before the failure (streaming
    /// implementations; one that releases nothing before it knows may leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<Released>,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The command line of the implementation, run with `sh -c`.
    pub command: String,
    /// Skip `SlowKdf` vectors.
    pub skip_slow: bool,
    /// Accept any error class for invalid vectors (only validity must match).
    pub any_error_class: bool,
    /// Give up on one vector after this long.
    pub timeout: Duration,
    /// Require `released` in every answer for a backup that failed (a streaming
    /// implementation's check).
    pub streaming: bool,
}

/// One vector's verdict.
#[derive(Debug)]
pub struct Verdict {
    /// File and test id, e.g. `e2eb_v1_test.json#12`.
    pub id: String,
    /// What was expected.
    pub expected: String,
    /// What came back.
    pub got: String,
    /// Pass or fail (a skipped vector counts as passed).
    pub passed: bool,
    /// The implementation said it does not support this kind of vector (crypt15 only).
    pub skipped: bool,
    /// The vector's comment.
    pub comment: String,
}

fn ask(options: &CheckOptions, request: &Request) -> Result<Answer, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&options.command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", options.command))?;
    let body = serde_json::to_vec(request).expect("requests serialise");
    // A broken pipe here just means the program did not read its input; its answer decides.
    let _ = child.stdin.take().expect("piped").write_all(&body);
    let started = Instant::now();
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if started.elapsed() > options.timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {:?}", options.timeout));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).map_err(|e| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        format!(
            "unreadable answer ({e}): {:?}; stderr: {}",
            text.trim(),
            stderr.trim()
        )
    })
}

/// Runs the implementation over every vector of `files`.
pub fn check(
    files: &[(String, VectorFile)],
    options: &CheckOptions,
    mut progress: impl FnMut(&Verdict),
) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for (name, file) in files {
        for group in &file.test_groups {
            match group {
                TestGroup::BackupDecryption(group) => {
                    for test in &group.tests {
                        if options.skip_slow && test.has("SlowKdf") {
                            continue;
                        }
                        let expected = if test.is_valid() {
                            "valid".to_string()
                        } else {
                            format!(
                                "invalid {}",
                                OverCap::label(
                                    test.error.as_deref().unwrap_or("?"),
                                    test.over_cap.as_ref()
                                )
                            )
                        };
                        let request = test.backup().map(|backup| Request::BackupDecryption {
                            tc_id: test.tc_id,
                            backup: hex::encode(backup),
                            secret: test.secret.clone(),
                            caps: group.caps,
                        });
                        let (got, passed) = match request.and_then(|request| ask(options, &request))
                        {
                            Err(why) => (format!("error: {why}"), false),
                            Ok(answer) => judge_backup(test, &answer, options),
                        };
                        let verdict = Verdict {
                            id: format!("{name}#{}", test.tc_id),
                            expected,
                            got,
                            passed,
                            skipped: false,
                            comment: test.comment.clone(),
                        };
                        progress(&verdict);
                        verdicts.push(verdict);
                    }
                }
                // WhatsApp's format: implementations of e2eb alone answer `unsupported`.
                TestGroup::Crypt15Decryption(group) => {
                    for test in &group.tests {
                        let expected = if test.is_valid() {
                            "valid".to_string()
                        } else {
                            format!("invalid {}", test.error.as_deref().unwrap_or("?"))
                        };
                        let request = test.backup().map(|backup| Request::Crypt15Decryption {
                            tc_id: test.tc_id,
                            backup: hex::encode(backup),
                            key: test.key.clone(),
                        });
                        let answer = request.and_then(|request| ask(options, &request));
                        let skipped = answer
                            .as_ref()
                            .is_ok_and(|answer| answer.result == "unsupported");
                        let (got, passed) = match answer {
                            Err(why) => (format!("error: {why}"), false),
                            Ok(_) if skipped => ("unsupported (skipped)".to_string(), true),
                            Ok(answer) => judge_crypt15(test, &answer, options.any_error_class),
                        };
                        let verdict = Verdict {
                            id: format!("{name}#{}", test.tc_id),
                            expected,
                            got,
                            passed,
                            skipped,
                            comment: test.comment.clone(),
                        };
                        progress(&verdict);
                        verdicts.push(verdict);
                    }
                }
                TestGroup::RecoveryKeyParsing(group) => {
                    for test in &group.tests {
                        let request = Request::RecoveryKeyParsing {
                            tc_id: test.tc_id,
                            text: test.text.clone(),
                        };
                        let expected = Parsed {
                            tc_id: test.tc_id,
                            comment: &test.comment,
                            result: &test.result,
                            value: &test.key,
                            error: &test.error,
                            detail: test.detail,
                        };
                        let verdict =
                            check_parse(options, name, &request, &expected, |answer| &answer.key);
                        progress(&verdict);
                        verdicts.push(verdict);
                    }
                }
                TestGroup::RecoveryKeyFile(_)
                | TestGroup::PasswordFile(_)
                | TestGroup::PasswordNormalization(_) => {
                    let (kind, tests) = SecretInputKind::of(group).expect("a secret-input group");
                    for test in &tests.tests {
                        let verdict = check_secret_input(options, name, kind, test);
                        progress(&verdict);
                        verdicts.push(verdict);
                    }
                }
            }
        }
    }
    verdicts
}

/// What a parsing vector (recovery key, secret input) expects.
struct Parsed<'a> {
    tc_id: u32,
    comment: &'a str,
    result: &'a str,
    /// The parsed value, hex, for valid tests.
    value: &'a Option<String>,
    error: &'a Option<String>,
    detail: Option<usize>,
}

fn check_secret_input(
    options: &CheckOptions,
    name: &str,
    kind: SecretInputKind,
    test: &SecretInputTest,
) -> Verdict {
    let (tc_id, input) = (test.tc_id, test.input.clone());
    let request = match kind {
        SecretInputKind::RecoveryKeyFile => Request::RecoveryKeyFile { tc_id, input },
        SecretInputKind::PasswordFile => Request::PasswordFile { tc_id, input },
        SecretInputKind::PasswordNormalization => Request::PasswordNormalization { tc_id, input },
    };
    let expected = Parsed {
        tc_id,
        comment: &test.comment,
        result: &test.result,
        value: &test.output,
        error: &test.error,
        detail: test.detail,
    };
    check_parse(options, name, &request, &expected, |answer| &answer.output)
}

/// Asks for `request` and judges the answer against `expected`, whose value the answer gives
/// in the field `value_of` picks.
fn check_parse(
    options: &CheckOptions,
    name: &str,
    request: &Request,
    expected: &Parsed<'_>,
    value_of: fn(&Answer) -> &Option<String>,
) -> Verdict {
    let (got, passed) = match ask(options, request) {
        Err(why) => (format!("error: {why}"), false),
        Ok(answer) => {
            let got = format!(
                "{} {}",
                answer.result,
                answer.error.as_deref().unwrap_or("")
            );
            let passed = answer.result == expected.result
                && (expected.result != "valid" || value_of(&answer) == expected.value)
                && (expected.result == "valid"
                    || options.any_error_class
                    || (&answer.error == expected.error && answer.detail == expected.detail));
            (got.trim().to_string(), passed)
        }
    };
    Verdict {
        id: format!("{name}#{}", expected.tc_id),
        expected: match expected.error {
            None => "valid".to_string(),
            Some(error) => format!("invalid {error}"),
        },
        got,
        passed,
        skipped: false,
        comment: expected.comment.to_string(),
    }
}

fn judge_backup(
    test: &crate::model::BackupTest,
    answer: &Answer,
    options: &CheckOptions,
) -> (String, bool) {
    match answer.result.as_str() {
        "valid" => {
            let got = "valid".to_string();
            let matches = test.is_valid()
                && answer.msg_sha512 == test.msg_sha512
                && answer.msg_length == test.msg_length;
            if test.is_valid() && !matches {
                return ("valid, but a different plaintext".into(), false);
            }
            (got, matches)
        }
        "invalid" => {
            let class = answer.error.clone().unwrap_or_else(|| "?".into());
            // The slot and cap a KdfOverCap names are part of the class here.
            let passed = !test.is_valid()
                && (options.any_error_class
                    || (answer.error == test.error && answer.over_cap == test.over_cap));
            let got = format!(
                "invalid {}",
                OverCap::label(&class, answer.over_cap.as_ref())
            );
            match (&answer.released, test.is_valid()) {
                (Some(released), false) => match released_problem(test, released) {
                    Some(problem) => (format!("{got}, {problem}"), false),
                    None => (got, passed),
                },
                (None, false) if options.streaming => (format!("{got}, without `released`"), false),
                _ => (got, passed),
            }
        }
        other => (format!("unknown result {other:?}"), false),
    }
}

/// What is wrong with what an implementation released before failing on `test`, if anything.
/// `PartialPlaintext` tests may release their valid prefix (`msgLength`, `msgSha512`) or the
/// part of it made of whole chunks (a shorter release cannot be checked against the vector but
/// its length); every other invalid test nothing.
pub fn released_problem(test: &crate::model::BackupTest, released: &Released) -> Option<String> {
    if !test.has("PartialPlaintext") {
        return (released.msg_length != 0).then(|| {
            format!(
                "released {} bytes where nothing may be",
                released.msg_length
            )
        });
    }
    let prefix = test.msg_length.unwrap_or(0);
    if released.msg_length > prefix {
        return Some(format!(
            "released {} bytes, more than the {prefix}-byte valid prefix",
            released.msg_length
        ));
    }
    if released.msg_length == prefix {
        return (Some(&released.msg_sha512) != test.msg_sha512.as_ref())
            .then(|| "released a prefix of the right length but other bytes".to_string());
    }
    (!released
        .msg_length
        .is_multiple_of(e2eb::payload::CHUNK_LEN as u64))
    .then(|| {
        format!(
            "released {} bytes, not a whole number of chunks of the valid prefix",
            released.msg_length
        )
    })
}

fn judge_crypt15(
    test: &crate::model::Crypt15Test,
    answer: &Answer,
    any_error_class: bool,
) -> (String, bool) {
    match answer.result.as_str() {
        "valid" => {
            let matches = test.is_valid()
                && answer.msg_sha512 == test.msg_sha512
                && answer.msg_length == test.msg_length;
            if test.is_valid() && !matches {
                return ("valid, but a different output".into(), false);
            }
            ("valid".into(), matches)
        }
        "invalid" => {
            let class = answer.error.clone().unwrap_or_else(|| "?".into());
            let passed = !test.is_valid() && (any_error_class || answer.error == test.error);
            (format!("invalid {class}"), passed)
        }
        other => (format!("unknown result {other:?}"), false),
    }
}

/// The SHA-512 of `data`, hex: what an implementation answers for a decrypted backup.
pub fn sha512_hex(data: &[u8]) -> String {
    hex::encode(Sha512::digest(data))
}
