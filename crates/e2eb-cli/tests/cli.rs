//! Runs the real `e2eb` binary: key files, round trips through files and pipes, and the refusals
//! and messages a person meets when something is wrong.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// Argon2id and scrypt parameters that take milliseconds: the tests exercise the CLI, not the
/// KDFs' strength.
const FAST_ARGON2ID: &str = "m=64,t=1,p=1";
const FAST_SCRYPT: &str = "ln=10,r=8,p=1";

/// Exit statuses documented in `e2eb --help`.
const FAILURE: i32 = 1;
const USAGE: i32 = 2;
const WRONG_SECRET: i32 = 3;
const BAD_BACKUP: i32 = 4;
const KDF_OVER_CAP: i32 = 5;

fn e2eb() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    // Never inherit a terminal: nothing here may wait on a person.
    command.write_stdin(Vec::<u8>::new());
    command
}

/// Deterministic data spanning several 16 KiB chunks, with a short final one.
fn sample_data(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, contents).unwrap();
        path
    }

    fn keygen(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        e2eb().arg("keygen").arg("-o").arg(&path).assert().success();
        path
    }

    /// Names in the directory, to see that no temporary file was left behind.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn encrypt(input: &Path, output: &Path, slot_args: &[&str]) {
    e2eb()
        .arg("encrypt")
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(slot_args)
        .assert()
        .success()
        .stdout("");
}

fn decrypt_ok(input: &Path, output: &Path, secret_args: &[&str]) -> Vec<u8> {
    e2eb()
        .arg("decrypt")
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(secret_args)
        .assert()
        .success();
    fs::read(output).unwrap()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

// ---- keygen ----

#[test]
fn keygen_writes_a_private_key_file_that_parses_back() {
    let scratch = Scratch::new();
    let key = scratch.path("backup.key");
    e2eb()
        .args(["keygen", "-o"])
        .arg(&key)
        .assert()
        .success()
        .stdout("")
        .stderr(
            predicate::str::contains("write it down")
                .or(predicate::str::contains("Also write it down")),
        );
    assert_eq!(mode(&key), 0o600);
    let text = fs::read_to_string(&key).unwrap();
    let mut lines = text.lines();
    let comment = lines.next().unwrap();
    assert!(comment.starts_with('#'), "{comment}");
    assert!(text.contains("secret"), "{text}");
    let key_line = text.lines().find(|line| !line.starts_with('#')).unwrap();
    let groups: Vec<&str> = key_line.split(' ').collect();
    assert_eq!(groups.len(), 16, "{key_line}");
    assert!(
        groups
            .iter()
            .all(|group| group.len() == 4 && group.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert!(e2eb::RecoveryKey::parse(key_line).is_ok());

    // The file the key went into works as a recovery key file.
    let data = sample_data(1000);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    encrypt(&plain, &backup, &["--recovery-key-file", arg(&key)]);
    assert_eq!(
        decrypt_ok(
            &backup,
            &scratch.path("out"),
            &["--recovery-key-file", arg(&key)]
        ),
        data
    );
}

#[test]
fn keygen_prints_a_grouped_key_and_a_reminder() {
    let output = e2eb().arg("keygen").assert().success().get_output().clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout.trim_end();
    assert_eq!(line.split(' ').count(), 16);
    assert!(e2eb::RecoveryKey::parse(line).is_ok());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("Write this recovery key down"), "{stderr}");
    assert!(!stderr.contains(line), "the key must not go to stderr");
}

#[test]
fn keygen_refuses_to_overwrite_a_key_file_without_force() {
    let scratch = Scratch::new();
    let key = scratch.keygen("backup.key");
    let before = fs::read(&key).unwrap();
    e2eb()
        .args(["keygen", "-o"])
        .arg(&key)
        .assert()
        .code(FAILURE)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    assert_eq!(fs::read(&key).unwrap(), before);

    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    e2eb()
        .args(["keygen", "--force", "-o"])
        .arg(&key)
        .assert()
        .success();
    assert_ne!(fs::read(&key).unwrap(), before);
    assert_eq!(mode(&key), 0o600, "a replaced key file is private too");
    assert_eq!(scratch.names(), vec!["backup.key"]);
}

// ---- round trips ----

#[test]
fn recovery_key_round_trip_in_both_suites() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let data = sample_data(100_000);
    let plain = scratch.write("plain", &data);
    for suite in ["aes-256-gcm", "chacha20-poly1305"] {
        let backup = scratch.path(&format!("{suite}.e2eb"));
        encrypt(
            &plain,
            &backup,
            &["--recovery-key-file", arg(&key), "--suite", suite],
        );
        e2eb()
            .args(["inspect", "--json"])
            .arg(&backup)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("\"suite\": \"{suite}\"")));
        let out = scratch.path(&format!("{suite}.out"));
        assert_eq!(
            decrypt_ok(&backup, &out, &["--recovery-key-file", arg(&key)]),
            data
        );
        assert_eq!(mode(&out), 0o600, "decrypted data is private");
    }
}

#[test]
fn password_file_round_trip_with_argon2id_and_scrypt() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"correct horse battery staple\n");
    let data = sample_data(40_000);
    let plain = scratch.write("plain", &data);
    for (kdf, params, suite) in [
        ("argon2id", FAST_ARGON2ID, "chacha20-poly1305"),
        ("scrypt", FAST_SCRYPT, "aes-256-gcm"),
    ] {
        let backup = scratch.path(&format!("{kdf}.e2eb"));
        encrypt(
            &plain,
            &backup,
            &[
                "--password-file",
                arg(&password),
                "--kdf",
                kdf,
                "--kdf-params",
                params,
                "--accept-weak-kdf",
                "--suite",
                suite,
            ],
        );
        let out = scratch.path(&format!("{kdf}.out"));
        assert_eq!(
            decrypt_ok(&backup, &out, &["--password-file", arg(&password)]),
            data
        );
    }
}

#[test]
fn password_file_line_endings_do_not_matter() {
    let scratch = Scratch::new();
    let data = sample_data(10);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    let with_crlf = scratch.write("crlf", b"hunter2 with spaces \r\nsecond line ignored\n");
    let bare = scratch.write("bare", b"hunter2 with spaces ");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&with_crlf),
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
        ],
    );
    assert_eq!(
        decrypt_ok(
            &backup,
            &scratch.path("out"),
            &["--password-file", arg(&bare)]
        ),
        data
    );
}

#[test]
fn pipes_through_stdin_and_stdout() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let data = sample_data(70_000);
    let backup = e2eb()
        .args(["encrypt", "-", "-o", "-", "--recovery-key-file", arg(&key)])
        .write_stdin(data.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(backup.starts_with(b"\x89e2eb"));
    // IN left out means stdin too.
    let plaintext = e2eb()
        .args(["decrypt", "-o", "-", "--recovery-key-file", arg(&key)])
        .write_stdin(backup)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(plaintext, data);
}

#[test]
fn empty_input_round_trips() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let plain = scratch.write("empty", b"");
    let backup = scratch.path("backup.e2eb");
    encrypt(&plain, &backup, &["--recovery-key-file", arg(&key)]);
    assert_eq!(
        decrypt_ok(
            &backup,
            &scratch.path("out"),
            &["--recovery-key-file", arg(&key)]
        ),
        b""
    );
}

#[test]
fn any_thread_count_gives_the_same_plaintext() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let data = sample_data(300_000);
    let plain = scratch.write("plain", &data);
    for threads in ["1", "3", "0"] {
        let backup = scratch.path(&format!("backup{threads}"));
        e2eb()
            .args(["encrypt", arg(&plain), "-o", arg(&backup)])
            .args(["--recovery-key-file", arg(&key), "--threads", threads])
            .assert()
            .success();
        let out = scratch.path(&format!("out{threads}"));
        e2eb()
            .args(["decrypt", arg(&backup), "-o", arg(&out)])
            .args(["--recovery-key-file", arg(&key), "--threads", threads])
            .assert()
            .success();
        assert_eq!(fs::read(&out).unwrap(), data);
    }
}

#[test]
fn every_slot_of_a_multi_slot_backup_opens_it() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let first = scratch.write("first", b"first password\n");
    let second = scratch.write("second", b"second password\n");
    let data = sample_data(50_000);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&first),
            "--recovery-key-file",
            arg(&key),
            "--password-file",
            arg(&second),
            "--kdf",
            "scrypt",
            "--kdf-params",
            FAST_SCRYPT,
            "--accept-weak-kdf",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(
        &e2eb()
            .args(["inspect", "--json", arg(&backup)])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    let kinds: Vec<&str> = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["scrypt", "recovery-key", "scrypt"],
        "command-line order"
    );

    for (name, secret) in [
        ("by-key", ["--recovery-key-file", arg(&key)]),
        ("by-first", ["--password-file", arg(&first)]),
        ("by-second", ["--password-file", arg(&second)]),
    ] {
        assert_eq!(
            decrypt_ok(&backup, &scratch.path(name), &secret),
            data,
            "{name}"
        );
    }
}

// ---- wrong secrets, damage, truncation ----

#[test]
fn a_wrong_recovery_key_is_named_and_leaves_no_output() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let other = scratch.keygen("other");
    let plain = scratch.write("plain", &sample_data(1000));
    let backup = scratch.path("backup.e2eb");
    encrypt(&plain, &backup, &["--recovery-key-file", arg(&key)]);
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&other)])
        .assert()
        .code(WRONG_SECRET)
        .stdout("")
        .stderr(predicate::str::starts_with("e2eb: error: "))
        .stderr(predicate::str::contains("wrong recovery key"));
    assert!(!out.exists());
    assert_eq!(scratch.names(), ["backup.e2eb", "key", "other", "plain"]);
}

#[test]
fn a_wrong_password_is_named_and_leaves_no_output() {
    let scratch = Scratch::new();
    let right = scratch.write("right", b"right\n");
    let wrong = scratch.write("wrong", b"wrong\n");
    let plain = scratch.write("plain", &sample_data(1000));
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&right),
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
        ],
    );
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--password-file", arg(&wrong)])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains("wrong password"));
    assert!(!out.exists());
}

#[test]
fn a_recovery_key_does_not_open_a_password_only_backup() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let password = scratch.write("password", b"pw\n");
    let plain = scratch.write("plain", b"data");
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&password),
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
        ],
    );
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&scratch.path("out"))])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains("has no recovery key slot"));
}

fn key_and_backup(scratch: &Scratch, len: usize) -> (PathBuf, PathBuf, Vec<u8>) {
    let key = scratch.keygen("key");
    let data = sample_data(len);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    encrypt(&plain, &backup, &["--recovery-key-file", arg(&key)]);
    (key, backup, data)
}

#[test]
fn a_corrupted_backup_fails_and_leaves_no_output() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100_000);
    let mut bytes = fs::read(&backup).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&backup, &bytes).unwrap();
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(BAD_BACKUP)
        .stderr(predicate::str::contains("failed authentication"))
        .stderr(predicate::str::contains(arg(&backup)));
    assert!(!out.exists());
    assert_eq!(
        scratch.names(),
        ["backup.e2eb", "key", "plain"],
        "no temporary file left"
    );
}

#[test]
fn a_failed_forced_decrypt_keeps_the_old_output() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100_000);
    let mut bytes = fs::read(&backup).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x80;
    fs::write(&backup, &bytes).unwrap();
    let out = scratch.write("out", b"precious earlier output");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out), "--force"])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(BAD_BACKUP);
    assert_eq!(fs::read(&out).unwrap(), b"precious earlier output");
    assert_eq!(scratch.names(), ["backup.e2eb", "key", "out", "plain"]);
}

#[test]
fn a_truncated_backup_fails_to_a_file_and_to_a_stream() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100_000);
    let bytes = fs::read(&backup).unwrap();
    let cuts = [
        (bytes.len() - 5, "failed authentication"),
        (bytes.len() - 1700, "shorter than an authentication tag"),
        (40, "truncated backup"),
    ];
    for (cut_at, expected) in cuts {
        let truncated = scratch.write("truncated.e2eb", &bytes[..cut_at]);
        let out = scratch.path("out");
        e2eb()
            .args(["decrypt", arg(&truncated), "-o", arg(&out)])
            .args(["--recovery-key-file", arg(&key)])
            .assert()
            .code(BAD_BACKUP)
            .stderr(predicate::str::contains(expected));
        assert!(!out.exists());
        e2eb()
            .args(["decrypt", "-o", "-", "--recovery-key-file", arg(&key)])
            .write_stdin(bytes[..cut_at].to_vec())
            .assert()
            .code(BAD_BACKUP)
            .stderr(predicate::str::contains(expected));
    }
}

#[test]
fn a_backup_cut_at_a_chunk_boundary_is_reported_as_truncated() {
    let scratch = Scratch::new();
    let (key, backup, data) = key_and_backup(&scratch, 2 * 16 * 1024 + 100);
    let bytes = fs::read(&backup).unwrap();
    // Header, then the 56-byte salt and commitment, then the full chunks: drop the short last.
    let cut_at = bytes.len() - (data.len() % (16 * 1024) + 16);
    let truncated = scratch.write("truncated.e2eb", &bytes[..cut_at]);
    e2eb()
        .args(["decrypt", arg(&truncated), "-o", "/dev/null"])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(BAD_BACKUP)
        .stderr(
            predicate::str::contains("truncated backup")
                .and(predicate::str::contains("chunk boundary")),
        );
}

#[test]
fn something_that_is_not_a_backup_is_named_as_such() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let text = scratch.write("notes.txt", b"just some text, not a backup\n");
    e2eb()
        .args([
            "decrypt",
            arg(&text),
            "-o",
            "-",
            "--recovery-key-file",
            arg(&key),
        ])
        .assert()
        .code(BAD_BACKUP)
        .stderr(predicate::str::contains("not an e2eb backup"));
}

// ---- outputs ----

#[test]
fn an_existing_output_is_refused_without_force_and_replaced_with_it() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let data = sample_data(5000);
    let plain = scratch.write("plain", &data);
    let backup = scratch.write("backup.e2eb", b"existing file");
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&backup)])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(FAILURE)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    assert_eq!(fs::read(&backup).unwrap(), b"existing file");

    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&backup), "--force"])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .success();
    let out = scratch.write("out", b"old plaintext");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read(&out).unwrap(), b"old plaintext");
    assert_eq!(
        decrypt_ok(
            &backup,
            &out,
            &["--recovery-key-file", arg(&key), "--force"]
        ),
        data
    );
    assert_eq!(scratch.names(), ["backup.e2eb", "key", "out", "plain"]);
}

#[test]
fn the_input_file_is_never_its_own_output() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let plain = scratch.write("plain", b"data");
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&plain), "--force"])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("is the input file"));
    let link = scratch.path("hard-link");
    fs::hard_link(&plain, &link).unwrap();
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&link), "--force"])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("is the input file"));
    // Stdin redirected from the output file is the same file too (a real redirection: a
    // descriptor on the file, not a pipe fed from it).
    let run = std::process::Command::new(assert_cmd::cargo::cargo_bin!("e2eb"))
        .args(["encrypt", "-o", arg(&plain), "--force"])
        .args(["--recovery-key-file", arg(&key)])
        .stdin(fs::File::open(&plain).unwrap())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(FAILURE));
    assert!(String::from_utf8_lossy(&run.stderr).contains("is the input file"));
    assert_eq!(fs::read(&plain).unwrap(), b"data");
}

#[test]
fn streams_to_devices_need_no_force() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 20_000);
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            "/dev/null",
            "--recovery-key-file",
            arg(&key),
        ])
        .assert()
        .success();
    e2eb()
        .args([
            "encrypt",
            arg(&backup),
            "-o",
            "/dev/null",
            "--recovery-key-file",
            arg(&key),
        ])
        .assert()
        .success();
}

#[test]
fn an_output_in_a_missing_directory_is_named() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 10);
    let out = scratch.path("no-such-dir/out");
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            arg(&out),
            "--recovery-key-file",
            arg(&key),
        ])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains(format!(
            "cannot write {}: the directory {} does not exist",
            out.display(),
            scratch.path("no-such-dir").display()
        )));
}

// ---- inputs and secrets ----

#[test]
fn a_missing_input_file_is_named() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let missing = scratch.path("missing.bin");
    for subcommand in ["encrypt", "decrypt"] {
        e2eb()
            .args([subcommand, arg(&missing), "-o", arg(&scratch.path("out"))])
            .args(["--recovery-key-file", arg(&key)])
            .assert()
            .code(FAILURE)
            .stderr(format!(
                "e2eb: error: cannot open {}: No such file or directory\n",
                missing.display()
            ));
    }
    e2eb()
        .args(["inspect", arg(&missing)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("cannot open"));
    assert!(!scratch.path("out").exists());
}

#[test]
fn malformed_recovery_key_files_say_what_is_wrong() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let key_hex = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";
    let short = scratch.write(
        "short.key",
        format!("# a comment\n\n{}\n", &key_hex[..63]).as_bytes(),
    );
    let bad_char = scratch.write(
        "bad.key",
        b"6730 a595 a14g 4d0c 39c1 01dc 0ac8 2ec5 e401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017\n",
    );
    for (file, expected) in [
        (&short, "64 hex digits, found 63"),
        // The character itself is not quoted: the file may be a password file.
        (
            &bad_char,
            "a character that is not a hex digit, a space or a dash, in group 3",
        ),
    ] {
        e2eb()
            .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
            .args(["--recovery-key-file", arg(file)])
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains(expected))
            .stderr(predicate::str::contains(arg(file)));
    }
    assert!(!scratch.path("out").exists());

    // Upper case, dashes and several lines, with comments, are all accepted.
    let loose = scratch.write(
        "loose.key",
        b"# my key\n6730-A595-A148-4D0C 39c1 01dc\n  # not part of it\n0ac8 2ec5 e401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017\n",
    );
    encrypt(
        &plain,
        &scratch.path("backup"),
        &["--recovery-key-file", arg(&loose)],
    );
}

#[test]
fn bad_password_files_are_refused() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let empty = scratch.write("empty", b"\nsecond line\n");
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args(["--password-file", arg(&empty)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("empty"));
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args(["--password-file", "-"])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("cannot read stdin"));
    assert!(!scratch.path("out").exists());
}

#[test]
fn usage_errors_exit_with_status_2() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let plain = scratch.write("plain", b"data");
    // No slot at all.
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .assert()
        .code(USAGE);
    // Two secrets for decrypt.
    e2eb()
        .args(["decrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args([
            "--recovery-key-file",
            arg(&key),
            "--password-file",
            arg(&key),
        ])
        .assert()
        .code(USAGE);
    // KDF options without a password slot.
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args(["--recovery-key-file", arg(&key), "--kdf", "scrypt"])
        .assert()
        .code(USAGE);
    // A thread count past the limit.
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args(["--recovery-key-file", arg(&key), "--threads", "100000"])
        .assert()
        .code(USAGE);
    // A size that is not one.
    e2eb()
        .args(["decrypt", arg(&plain), "-o", "-"])
        .args(["--recovery-key-file", arg(&key), "--max-kdf-memory", "lots"])
        .assert()
        .code(USAGE);
    assert!(!scratch.path("out").exists());
}

#[test]
fn invalid_kdf_parameters_are_explained() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let password = scratch.write("password", b"pw\n");
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("out"))])
        .args(["--password-file", arg(&password), "--kdf-params", "t=0"])
        .assert()
        .code(USAGE)
        .stderr(
            predicate::str::contains("--kdf-params t=0 (for argon2id)")
                .and(predicate::str::contains("t = 0")),
        );
}

#[test]
fn kdf_parameters_above_the_cap_are_refused_before_any_work() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    let data = sample_data(3000);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&password),
            "--kdf-params",
            "m=262144,t=1,p=1",
        ],
    );
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args([
            "--password-file",
            arg(&password),
            "--max-kdf-memory",
            "64MiB",
        ])
        .assert()
        .code(KDF_OVER_CAP)
        .stderr(predicate::str::contains("256 MiB"))
        .stderr(predicate::str::contains("cap of 64 MiB"))
        .stderr(predicate::str::contains("--max-kdf-memory"));
    assert!(!out.exists());
    assert_eq!(
        decrypt_ok(
            &backup,
            &out,
            &[
                "--password-file",
                arg(&password),
                "--max-kdf-memory",
                "256MiB"
            ]
        ),
        data
    );
}

#[test]
fn other_caps_are_raised_by_their_own_flags() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    let plain = scratch.write("plain", b"data");
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&password),
            "--kdf-params",
            "m=64,t=3,p=1",
            "--accept-weak-kdf",
        ],
    );
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            "-",
            "--password-file",
            arg(&password),
        ])
        .args(["--max-argon2-t", "2"])
        .assert()
        .code(KDF_OVER_CAP)
        .stderr(predicate::str::contains("--max-argon2-t"));
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            "-",
            "--password-file",
            arg(&password),
        ])
        .args(["--max-argon2-t", "3"])
        .assert()
        .success()
        .stdout("data");
}

#[test]
fn encrypt_warns_when_the_kdf_exceeds_the_default_decrypt_caps() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    let plain = scratch.write("plain", b"data");
    let backup = scratch.path("backup.e2eb");
    // t above the default cap of 64, with so little memory that it still runs at once.
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&backup)])
        .args([
            "--password-file",
            arg(&password),
            "--kdf-params",
            "m=64,t=65,p=1",
            "--accept-weak-kdf",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("e2eb: warning:"))
        .stderr(predicate::str::contains("t = 65"))
        .stderr(predicate::str::contains("--max-argon2-t"));
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            "-",
            "--password-file",
            arg(&password),
        ])
        .assert()
        .code(KDF_OVER_CAP);
    e2eb()
        .args([
            "decrypt",
            arg(&backup),
            "-o",
            "-",
            "--password-file",
            arg(&password),
        ])
        .args(["--max-argon2-t", "65"])
        .assert()
        .success()
        .stdout("data");
}

// ---- inspect ----

#[test]
fn inspect_lists_slot_types_this_build_does_not_know() {
    use e2eb::{Header, KeySlot, Suite};
    let scratch = Scratch::new();
    let header = Header::from_slots(
        Suite::Aes256Gcm,
        vec![KeySlot::Unknown {
            type_id: 0x7f,
            body: vec![1, 2, 3],
        }],
    );
    // An empty message: the salt and commitment, then one final chunk holding only its tag.
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 56 + 16]);
    let backup = scratch.write("future.e2eb", &bytes);
    let report: serde_json::Value = serde_json::from_slice(
        &e2eb()
            .args(["inspect", "--json", arg(&backup)])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(report["slots"][0]["kind"], "unknown");
    assert_eq!(report["slots"][0]["type_id"], 0x7f);
    assert_eq!(report["plaintext_len"], 0);
    assert_eq!(report["chunk_count"], 1);
    e2eb()
        .args(["inspect", arg(&backup)])
        .assert()
        .success()
        .stdout(predicate::str::contains("unknown type 0x7f"));
}

#[test]
fn inspect_shows_a_vault_slots_vault_account_and_url_hint_as_unverified() {
    use e2eb::{Encryptor, Suite, VaultAccount, VaultId, VaultSecret};
    let scratch = Scratch::new();
    let vault_id = VaultId::from_server_public_key(b"server public key");
    let account = VaultAccount::new(
        vault_id,
        vec![0xac; 16],
        "https://v.example/\u{1b}[2J".into(),
    )
    .unwrap();
    let bytes = Encryptor::new(Suite::Aes256Gcm)
        .vault_secret(VaultSecret::from_bytes([7; 32]), account)
        .encrypt_to_vec(b"chat")
        .unwrap();
    let backup = scratch.write("vault.e2eb", &bytes);
    let report: serde_json::Value = serde_json::from_slice(
        &e2eb()
            .args(["inspect", "--json", arg(&backup)])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    let slot = &report["slots"][0];
    assert_eq!(slot["kind"], "vault");
    assert_eq!(slot["type_id"], 4);
    assert_eq!(slot["vault"]["vault_id"], vault_id.to_string());
    assert_eq!(slot["vault"]["account"], "ac".repeat(16));
    assert_eq!(slot["vault"]["url"], "https://v.example/\u{1b}[2J");
    assert_eq!(slot["vault"]["verified"], false);
    let text = e2eb()
        .args(["inspect", arg(&backup)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(&format!("vault {}…", &vault_id.to_string()[..16])),
        "{text}"
    );
    assert!(text.contains(&"ac".repeat(16)), "{text}");
    assert!(text.contains("unverified"), "{text}");
    // The escape character from the file is shown escaped, never sent to the terminal.
    assert!(
        text.contains("\\u{1b}[2J") && !text.contains('\u{1b}'),
        "{text}"
    );
}

#[test]
fn inspect_shows_slots_and_sizes_as_text_and_json() {
    let scratch = Scratch::new();
    let key = scratch.keygen("key");
    let password = scratch.write("password", b"pw\n");
    let data = sample_data(40_000);
    let plain = scratch.write("plain", &data);
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--recovery-key-file",
            arg(&key),
            "--password-file",
            arg(&password),
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
            "--suite",
            "chacha20-poly1305",
        ],
    );

    let text = e2eb()
        .args(["inspect", arg(&backup)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    for expected in [
        "format version:  1",
        "chacha20-poly1305",
        "2 key slots",
        "recovery-key",
        "argon2id m=64,t=1,p=1, 64 KiB of memory; within this machine's default caps",
        "3 chunks",
        "40000 bytes",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let json = e2eb()
        .args(["inspect", "--json", arg(&backup)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let file_len = fs::metadata(&backup).unwrap().len();
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["suite"], "chacha20-poly1305");
    assert_eq!(report["file_len"], file_len);
    assert_eq!(report["plaintext_len"], 40_000);
    assert_eq!(report["chunk_count"], 3);
    assert_eq!(report["payload_error"], serde_json::Value::Null);
    let header_len = report["header_len"].as_u64().unwrap();
    assert_eq!(report["payload_len"], file_len - header_len);
    let slots = report["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[0]["kind"], "recovery-key");
    assert_eq!(slots[0]["kdf"], serde_json::Value::Null);
    assert_eq!(slots[1]["kind"], "argon2id");
    assert_eq!(slots[1]["kdf"]["params"], "m=64,t=1,p=1");
    assert_eq!(slots[1]["kdf"]["m_kib"], 64);
    assert_eq!(slots[1]["kdf"]["t"], 1);
    assert_eq!(slots[1]["kdf"]["p"], 1);
    assert_eq!(slots[1]["kdf"]["memory"], "64 KiB");
    assert_eq!(slots[1]["within_default_caps"], true);

    // The same through stdin, read through to its end.
    let from_stdin: serde_json::Value = serde_json::from_slice(
        &e2eb()
            .args(["inspect", "--json", "-"])
            .write_stdin(fs::read(&backup).unwrap())
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    assert_eq!(from_stdin["plaintext_len"], 40_000);
    assert_eq!(from_stdin["file_len"], file_len);
}

#[test]
fn inspect_shows_scrypt_parameters() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    let plain = scratch.write("plain", b"data");
    let backup = scratch.path("backup.e2eb");
    encrypt(
        &plain,
        &backup,
        &[
            "--password-file",
            arg(&password),
            "--kdf",
            "scrypt",
            "--kdf-params",
            FAST_SCRYPT,
            "--accept-weak-kdf",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(
        &e2eb()
            .args(["inspect", "--json", arg(&backup)])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
    .unwrap();
    let slot = &report["slots"][0];
    assert_eq!(slot["kind"], "scrypt");
    assert_eq!(slot["kdf"]["ln"], 10);
    assert_eq!(slot["kdf"]["r"], 8);
    assert_eq!(slot["kdf"]["p"], 1);
    assert_eq!(slot["kdf"]["memory_bytes"], 128 * 8 * (1024 + 1));
}

#[test]
fn inspect_reports_an_impossible_length_without_panicking() {
    let scratch = Scratch::new();
    let (_, backup, _) = key_and_backup(&scratch, 2 * 16 * 1024 + 100);
    let bytes = fs::read(&backup).unwrap();
    let truncated = scratch.write("truncated.e2eb", &bytes[..bytes.len() - 116]);
    let output = e2eb()
        .args(["inspect", "--json", arg(&truncated)])
        .assert()
        .code(BAD_BACKUP)
        .stderr(predicate::str::contains("truncated backup"))
        .get_output()
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["plaintext_len"], serde_json::Value::Null);
    assert!(
        report["payload_error"]
            .as_str()
            .unwrap()
            .contains("truncated backup")
    );
    e2eb()
        .args(["inspect", arg(&truncated)])
        .assert()
        .code(BAD_BACKUP)
        .stdout(predicate::str::contains("payload error:"));
    // Cut inside the header: nothing to report but the error.
    let header_cut = scratch.write("header-cut.e2eb", &bytes[..20]);
    e2eb()
        .args(["inspect", arg(&header_cut)])
        .assert()
        .code(BAD_BACKUP)
        .stderr(predicate::str::contains("truncated backup"));
}

#[test]
fn help_documents_exit_statuses_and_json_fields() {
    e2eb()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit status"));
    e2eb()
        .args(["inspect", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("payload_error")
                .and(predicate::str::contains("within_default_caps")),
        );
}

// ---- AEAD backends ----

#[test]
fn any_backend_opens_what_any_other_made_from_a_file_or_stdin() {
    let scratch = Scratch::new();
    let key = scratch.keygen("backup.key");
    let data = sample_data(5 * 16384 + 123);
    let input = scratch.write("data.bin", &data);
    let backends = ["rustcrypto", "ring", "aws-lc", "auto"];
    for maker in backends {
        for threads in ["1", "2"] {
            let backup = scratch.path(&format!("data-{maker}-{threads}.e2eb"));
            e2eb()
                .args(["encrypt", "--backend", maker, "--threads", threads])
                .arg(&input)
                .arg("-o")
                .arg(&backup)
                .args(["--recovery-key-file", arg(&key)])
                .assert()
                .success();
            // The same data through stdin takes the streaming path rather than offsets.
            let streamed = scratch.path(&format!("stdin-{maker}-{threads}.e2eb"));
            e2eb()
                .args(["encrypt", "--backend", maker, "--threads", threads, "-o"])
                .arg(&streamed)
                .args(["--recovery-key-file", arg(&key)])
                .write_stdin(data.clone())
                .assert()
                .success();
            for opener in backends {
                for made in [&backup, &streamed] {
                    let out = scratch.path("out.bin");
                    let _ = fs::remove_file(&out);
                    let opened = e2eb()
                        .args(["decrypt", "--backend", opener, "-o", "-"])
                        .arg(made)
                        .args(["--recovery-key-file", arg(&key)])
                        .assert()
                        .success()
                        .get_output()
                        .stdout
                        .clone();
                    assert!(opened == data, "{opener} opening {}", made.display());
                }
            }
        }
    }
}

#[test]
fn an_unknown_backend_is_a_usage_error_that_lists_the_known_ones() {
    e2eb()
        .args([
            "encrypt",
            "--backend",
            "openssl",
            "-o",
            "-",
            "--recovery-key-file",
            "k",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("rustcrypto").and(predicates::str::contains("ring")));
}

/// A backup of `slots` Argon2id slots of `m` KiB, `t` passes and `p` lanes, each with its own
/// salt and a key check nothing matches, and a payload prefix: enough for the KDF caps to be
/// checked, nothing that opens.
fn hostile_argon2id_backup(slots: u8, m: u32, t: u32, p: u32) -> Vec<u8> {
    let mut backup = b"\x89e2eb\r\n\x1a\x01\x01".to_vec();
    backup.push(slots);
    for seed in 0..slots {
        backup.push(0x02);
        backup.extend_from_slice(&(93u16 + 32).to_be_bytes());
        for field in [m, t, p] {
            backup.extend_from_slice(&field.to_be_bytes());
        }
        backup.push(32);
        backup.extend_from_slice(&[seed; 32]);
        backup.extend_from_slice(&[0; 80]);
    }
    backup.extend_from_slice(&[0; 56 + 16]);
    backup
}

#[test]
fn a_hostile_header_of_sixteen_heavy_password_slots_is_refused_within_a_second() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    for (backup, named, flag) in [
        // Every parameter at its own cap: 256 GiB of work per slot.
        (
            hostile_argon2id_backup(16, 4 << 20, 64, 64),
            "key slot 0 (argon2id) asks for memory × passes = 256 GiB, above the cap of 16 GiB",
            "--max-kdf-work",
        ),
        // Every slot at the work cap: the backup's budget runs out at slot 2.
        (
            hostile_argon2id_backup(16, 1 << 20, 16, 4),
            "key slot 2 (argon2id) asks for memory × passes of the password slots so far = \
             48 GiB, above the cap of 32 GiB",
            "--max-backup-kdf-work",
        ),
    ] {
        let path = scratch.write("hostile.e2eb", &backup);
        let out = scratch.path("out");
        let started = std::time::Instant::now();
        e2eb()
            .args(["decrypt", arg(&path), "-o", arg(&out)])
            .args(["--password-file", arg(&password)])
            .assert()
            .code(KDF_OVER_CAP)
            .stderr(predicate::str::contains(named))
            .stderr(predicate::str::contains(flag));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(!out.exists());
    }
}

/// A backup of one scrypt slot of `log_n`, `r` and `p`, with a key check nothing matches, and a
/// payload prefix: enough for the KDF caps to be checked, nothing that opens.
fn hostile_scrypt_backup(log_n: u8, r: u32, p: u32) -> Vec<u8> {
    let mut backup = b"\x89e2eb\r\n\x1a\x01\x01\x01".to_vec();
    backup.push(0x03);
    backup.extend_from_slice(&(90u16 + 32).to_be_bytes());
    backup.push(log_n);
    backup.extend_from_slice(&r.to_be_bytes());
    backup.extend_from_slice(&p.to_be_bytes());
    backup.push(32);
    backup.extend_from_slice(&[7; 32]);
    backup.extend_from_slice(&[0; 80]);
    backup.extend_from_slice(&[0; 56 + 16]);
    backup
}

#[test]
fn a_scrypt_slot_whose_lanes_multiply_past_the_work_cap_is_refused_within_a_second() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    // log2 N = 20, r = 9, p = 16: each within its own cap and 1.1 GiB of memory, but sixteen
    // lanes of it are 18 GiB of work.
    let path = scratch.write("hostile.e2eb", &hostile_scrypt_backup(20, 9, 16));
    let out = scratch.path("out");
    let started = std::time::Instant::now();
    e2eb()
        .args(["decrypt", arg(&path), "-o", arg(&out)])
        .args(["--password-file", arg(&password)])
        .assert()
        .code(KDF_OVER_CAP)
        .stderr(predicate::str::contains("key slot 0 (scrypt)"))
        .stderr(predicate::str::contains("above the cap of 16 GiB"))
        .stderr(predicate::str::contains("--max-kdf-work"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!out.exists());
}

#[test]
fn scrypt_memory_this_machine_cannot_allocate_is_a_clean_error() {
    let scratch = Scratch::new();
    let password = scratch.write("password", b"pw\n");
    let plain = scratch.write("plain", b"data");
    let backup = scratch.path("backup.e2eb");
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&backup)])
        .args(["--password-file", arg(&password)])
        .args(["--kdf", "scrypt", "--kdf-params", "ln=40"])
        .assert()
        .code(KDF_OVER_CAP)
        .stderr(predicate::str::contains(
            "which this machine cannot allocate",
        ))
        .stderr(predicate::str::contains("backtrace").not());
    assert!(!backup.exists());
}

#[test]
fn a_backup_cut_short_is_called_truncated_and_inspect_says_its_sizes_are_unverified() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 3 * 16 * 1024 + 5000);
    let bytes = fs::read(&backup).unwrap();
    let cut = scratch.write("cut.e2eb", &bytes[..bytes.len() - 1000]);
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&cut), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(BAD_BACKUP)
        .stderr(predicate::str::contains("truncated or damaged final chunk"));
    assert!(!out.exists());

    // The length of a backup cut inside its last chunk is a possible one: inspect cannot tell,
    // and says so.
    e2eb()
        .args(["inspect", arg(&cut)])
        .assert()
        .success()
        .stdout(predicate::str::contains("53152 bytes"))
        .stdout(predicate::str::contains("unverified"));
    let json = e2eb()
        .args(["inspect", "--json", arg(&cut)])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(report["plaintext_len"], 3 * 16 * 1024 + 4000);
    assert_eq!(report["sizes_verified"], false);
}

#[test]
fn the_right_key_on_an_altered_slot_is_not_called_simply_wrong() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100);
    let mut bytes = fs::read(&backup).unwrap();
    // A byte of the first slot's salt.
    bytes[11 + 3 + 4] ^= 0x20;
    let altered = scratch.write("altered.e2eb", &bytes);
    e2eb()
        .args(["decrypt", arg(&altered), "-o", arg(&scratch.path("out"))])
        .args(["--recovery-key-file", arg(&key)])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains(
            "wrong recovery key, or this slot's bytes were altered",
        ));
}

#[test]
fn kdf_params_refuse_duplicates_and_empty_items_as_usage_errors_and_take_units() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let password = scratch.write("password", b"pw\n");
    let out = scratch.path("out");
    for (params, says) in [
        ("m=1024,m=2048", "m is given twice"),
        ("m=65536,,t=3", "empty item"),
        ("m=65536,t=3,", "empty item"),
    ] {
        e2eb()
            .args(["encrypt", arg(&plain), "-o", arg(&out)])
            .args(["--password-file", arg(&password), "--kdf-params", params])
            .assert()
            .code(USAGE)
            .stderr(predicate::str::contains(says));
        assert!(!out.exists());
    }
    // m=19MiB,t=2 is OWASP's minimum: accepted without a word about weakness.
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&out)])
        .args([
            "--password-file",
            arg(&password),
            "--kdf-params",
            "m=19MiB,t=2,p=1",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("OWASP").not());
    assert!(out.exists());
    e2eb()
        .args(["inspect", arg(&out)])
        .assert()
        .success()
        .stdout(predicate::str::contains("m=19456,t=2,p=1"));
}

#[test]
fn kdf_settings_below_owasp_minimum_need_a_flag_naming_the_risk() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let password = scratch.write("password", b"pw\n");
    for (kdf, params) in [("argon2id", "m=8,t=1,p=1"), ("scrypt", "ln=1")] {
        let out = scratch.path(kdf);
        e2eb()
            .args(["encrypt", arg(&plain), "-o", arg(&out)])
            .args(["--password-file", arg(&password)])
            .args(["--kdf", kdf, "--kdf-params", params])
            .assert()
            .code(USAGE)
            .stderr(predicate::str::contains("below OWASP's minimum"))
            .stderr(predicate::str::contains("--accept-weak-kdf"));
        assert!(!out.exists());
        e2eb()
            .args(["encrypt", arg(&plain), "-o", arg(&out)])
            .args(["--password-file", arg(&password)])
            .args(["--kdf", kdf, "--kdf-params", params, "--accept-weak-kdf"])
            .assert()
            .success()
            .stderr(predicate::str::contains("warning"))
            .stderr(predicate::str::contains("below OWASP's minimum"));
        assert!(out.exists());
    }
}

#[test]
fn secret_files_follow_the_spec_rules_for_marks_comments_and_lines() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let key = scratch.keygen("key");
    let key_text = fs::read_to_string(&key).unwrap();
    let key_line = key_text
        .lines()
        .find(|line| !line.starts_with('#'))
        .unwrap();
    // A byte-order mark, an indented comment and CRLF line ends in a key file are accepted.
    let edited = scratch.write(
        "edited.key",
        format!("\u{feff}  # saved by an editor\r\n{key_line}\r\n").as_bytes(),
    );
    let backup = scratch.path("backup.e2eb");
    encrypt(&plain, &backup, &["--recovery-key-file", arg(&key)]);
    assert_eq!(
        decrypt_ok(
            &backup,
            &scratch.path("out"),
            &["--recovery-key-file", arg(&edited)]
        ),
        b"data"
    );

    // A byte-order mark in a password file is refused, not made part of the password.
    let marked = scratch.write("marked", "\u{feff}hunter2\n".as_bytes());
    e2eb()
        .args(["encrypt", arg(&plain), "-o", arg(&scratch.path("x.e2eb"))])
        .args(["--password-file", arg(&marked)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("byte-order mark"));
    assert!(!scratch.path("x.e2eb").exists());

    // A password file given as a key file: its characters are not quoted.
    let password = scratch.write("password", b"hunter2\n");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&scratch.path("out2"))])
        .args(["--recovery-key-file", arg(&password)])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("is it the right file?"))
        .stderr(predicate::str::contains("'h'").not())
        .stderr(predicate::str::contains("hunter2").not());
}

#[test]
fn a_recovery_key_with_one_mistyped_digit_is_pointed_at() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100);
    let text = fs::read_to_string(&key).unwrap();
    let line = text.lines().find(|line| !line.starts_with('#')).unwrap();
    // Group 7, digit 3: the 27th digit, after six groups and their spaces.
    let mut chars: Vec<char> = line.chars().collect();
    let place = 6 * 5 + 2;
    let right = chars[place];
    let wrong = if right == '8' { '9' } else { '8' };
    chars[place] = wrong;
    let mistyped = scratch.write(
        "mistyped.key",
        format!("{}\n", chars.iter().collect::<String>()).as_bytes(),
    );
    let out = scratch.path("out");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&mistyped)])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains(format!(
            "one digit looks mistyped: group 7, digit 3: you typed {wrong}, the backup opens \
             with {right}"
        )));
    assert!(!out.exists());
    // A wholly different key gets no such note.
    let other = scratch.keygen("other");
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", arg(&other)])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains("mistyped").not());
}

/// A copy of the recovery key in `key` with group 7, digit 3 changed; returns the copy's text
/// and the digits typed and meant there.
fn mistyped_key(key: &Path) -> (String, char, char) {
    let text = fs::read_to_string(key).unwrap();
    let line = text.lines().find(|line| !line.starts_with('#')).unwrap();
    let mut chars: Vec<char> = line.chars().collect();
    let place = 6 * 5 + 2;
    let right = chars[place];
    let wrong = if right == '8' { '9' } else { '8' };
    chars[place] = wrong;
    (
        format!("{}\n", chars.iter().collect::<String>()),
        wrong,
        right,
    )
}

#[test]
fn typo_help_is_given_wherever_the_key_and_the_backup_come_from() {
    let scratch = Scratch::new();
    let (key, backup, _) = key_and_backup(&scratch, 100);
    let (mistyped, wrong, right) = mistyped_key(&key);
    let mistyped_file = scratch.write("mistyped.key", mistyped.as_bytes());
    let help = format!(
        "one digit looks mistyped: group 7, digit 3: you typed {wrong}, the backup opens with {right}"
    );
    let out = scratch.path("out");
    let backup_bytes = fs::read(&backup).unwrap();
    // Key from a file, backup on stdin (as `-` and as no IN at all).
    for input in [Some("-"), None] {
        let mut command = e2eb();
        command.arg("decrypt");
        if let Some(input) = input {
            command.arg(input);
        }
        command
            .args(["-o", arg(&out), "--recovery-key-file", arg(&mistyped_file)])
            .write_stdin(backup_bytes.clone())
            .assert()
            .code(WRONG_SECRET)
            .stderr(predicate::str::contains(&help));
        assert!(!out.exists());
    }
    // Key on stdin, backup named.
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", "/dev/stdin"])
        .write_stdin(mistyped.clone())
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains(&help));
    assert!(!out.exists());
    // `-` is not a file name for the key: said so, not "No such file".
    e2eb()
        .args(["decrypt", arg(&backup), "-o", arg(&out)])
        .args(["--recovery-key-file", "-"])
        .write_stdin(mistyped)
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains(
            "--recovery-key-file cannot read stdin as `-`",
        ));
    assert!(!out.exists());
}

#[test]
fn convert_checks_its_password_slots_as_encrypt_does() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    let password = scratch.write("password", b"pw\n");
    let crypt15_key = e2eb_whatsapp::Crypt15Key::from_bytes([0x5c; 32]);
    let crypt15 = e2eb_whatsapp::encrypt_to_vec(
        &crypt15_key,
        &e2eb_whatsapp::EncryptOptions::default(),
        b"data",
    )
    .unwrap();
    let crypt15_path = scratch.write("in.crypt15", &crypt15);
    let digits: String = crypt15_key
        .as_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let key_file = scratch.write("key.txt", format!("{digits}\n").as_bytes());
    let convert = |out: &Path| {
        let mut command = e2eb();
        command.args([
            "whatsapp",
            "convert",
            arg(&crypt15_path),
            "--key-file",
            arg(&key_file),
            "-o",
            arg(out),
        ]);
        command
    };

    // Below OWASP's minimum: refused before any work, as encrypt refuses it.
    let out = scratch.path("weak.e2eb");
    convert(&out)
        .args(["--password-file", arg(&password)])
        .args(["--kdf-params", "m=8,t=1,p=1"])
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("below OWASP's minimum"))
        .stderr(predicate::str::contains("--accept-weak-kdf"));
    assert!(!out.exists());

    // Nine password slots: over the default budget of eight derivations. Encrypt warns that
    // decrypting will need --max-password-slots; so must convert.
    let nine_slots: Vec<&str> = (0..9)
        .flat_map(|_| ["--password-file", arg(&password)])
        .collect();
    for (name, mut command) in [
        ("encrypted.e2eb", {
            let mut command = e2eb();
            command.args(["encrypt", arg(&plain), "-o"]);
            command.arg(scratch.path("encrypted.e2eb"));
            command
        }),
        ("converted.e2eb", convert(&scratch.path("converted.e2eb"))),
    ] {
        command
            .args(&nine_slots)
            .args(["--kdf-params", FAST_ARGON2ID, "--accept-weak-kdf"])
            .assert()
            .success()
            .stderr(predicate::str::contains("--max-password-slots"));
        e2eb()
            .args(["decrypt", arg(&scratch.path(name)), "-o", "-"])
            .args(["--password-file", arg(&password)])
            .assert()
            .code(KDF_OVER_CAP);
    }

    // An output that exists is refused before the key file is read or a password asked.
    let existing = scratch.write("existing.e2eb", b"keep");
    convert(&existing)
        .args(["--password-file", arg(&password)])
        .args(["--kdf-params", FAST_ARGON2ID, "--accept-weak-kdf"])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(fs::read(&existing).unwrap(), b"keep");
}
