//! `e2eb whatsapp decrypt|convert|inspect` through the real binary: the real WhatsApp backup
//! (from `../shared/external/whatsapp/` beside the repository when present; GPLv3, so not
//! copied here), generated backups of several sizes, and the exit statuses that tell a wrong
//! key from a damaged file.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use e2eb_whatsapp::{Crypt15Key, EncryptOptions, ZIP_MAGIC, encrypt_to_vec};
use predicates::prelude::*;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const FAILURE: i32 = 1;
const WRONG_SECRET: i32 = 3;
const BAD_BACKUP: i32 = 4;

const REAL_KEY_HEX: &str = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";
const REAL_DATABASE_SHA256: &str =
    "1425b944a2e3885fc936a7bb82f6548c5cc09523a2f61f02aa836c4ed8bbd16e";

fn e2eb() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    command.write_stdin(Vec::<u8>::new());
    command
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn real_fixture() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/external/whatsapp");
    if dir.join("msgstore.db.crypt15").is_file() && dir.join("encrypted_backup.key").is_file() {
        Some(dir)
    } else {
        println!("skipped: no real crypt15 backup at {}", dir.display());
        None
    }
}

/// Files in `dir` other than `keep`: a failed run must leave no output and no temporary file.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

fn key() -> Crypt15Key {
    Crypt15Key::from_bytes([0x5c; 32])
}

/// Database-like data: rows of text and small numbers.
fn rows(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        counter += 1;
        out.extend_from_slice(format!("row {counter}: see you at {} ", counter % 24).as_bytes());
    }
    out.truncate(len);
    out
}

struct Setup {
    dir: TempDir,
}

impl Setup {
    fn new() -> Setup {
        let setup = Setup {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::write(setup.path("key.txt"), hex_key(&key())).unwrap();
        fs::write(
            setup.path("encrypted_backup.key"),
            key().to_java_serialized(),
        )
        .unwrap();
        fs::write(
            setup.path("wrong.txt"),
            hex_key(&Crypt15Key::from_bytes([1; 32])),
        )
        .unwrap();
        e2eb()
            .args(["keygen", "-o"])
            .arg(setup.path("recovery.key"))
            .assert()
            .success();
        setup
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

fn hex_key(key: &Crypt15Key) -> String {
    let digits: String = key
        .as_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("# a crypt15 key\n{digits}\n")
}

#[test]
fn the_real_backup_decrypts_and_converts_with_both_key_forms() {
    let Some(fixture) = real_fixture() else {
        return;
    };
    let setup = Setup::new();
    fs::write(setup.path("real.txt"), format!("{REAL_KEY_HEX}\n")).unwrap();
    let backup = fixture.join("msgstore.db.crypt15");
    let key_file = fixture.join("encrypted_backup.key");
    for (label, key) in [
        ("key file", key_file.clone()),
        ("hex", setup.path("real.txt")),
    ] {
        let out = setup.path("msgstore.db");
        e2eb()
            .args(["whatsapp", "decrypt"])
            .arg(&backup)
            .arg("--key-file")
            .arg(&key)
            .arg("-o")
            .arg(&out)
            .arg("--force")
            .assert()
            .success();
        assert_eq!(
            sha256_hex(&fs::read(&out).unwrap()),
            REAL_DATABASE_SHA256,
            "{label}"
        );

        let converted = setup.path("msgstore.e2eb");
        e2eb()
            .args(["whatsapp", "convert"])
            .arg(&backup)
            .arg("--key-file")
            .arg(&key)
            .args(["-o", &setup.arg("msgstore.e2eb"), "--force"])
            .args(["--recovery-key-file", &setup.arg("recovery.key")])
            .assert()
            .success();
        let decrypted = e2eb()
            .arg("decrypt")
            .arg(&converted)
            .args(["--recovery-key-file", &setup.arg("recovery.key"), "-o", "-"])
            .output()
            .unwrap();
        assert!(decrypted.status.success(), "{label}");
        assert_eq!(
            sha256_hex(&decrypted.stdout),
            REAL_DATABASE_SHA256,
            "{label}"
        );
    }

    e2eb()
        .args(["whatsapp", "inspect"])
        .arg(&backup)
        .assert()
        .success()
        .stdout(predicate::str::contains("app version        2.22.5.13"))
        .stdout(predicate::str::contains("present, matches the file"))
        .stdout(predicate::str::contains("240529 bytes"));

    // A wrong key meets a file whose MD5 trailer matches: that rules out accidental damage
    // only, since anyone who alters the file can recompute the MD5.
    e2eb()
        .args(["whatsapp", "decrypt"])
        .arg(&backup)
        .args([
            "--key-file",
            &setup.arg("wrong.txt"),
            "-o",
            &setup.arg("wrong.db"),
        ])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains(
            "MD5 matches: not accidental damage: the wrong key, or deliberate modification",
        ))
        .stderr(predicate::str::contains("intact").not());
    assert!(!setup.path("wrong.db").exists());
}

#[test]
fn generated_backups_of_several_sizes_decrypt_and_convert() {
    let setup = Setup::new();
    for len in [0usize, 1, 1000, 70_000, 3 << 20] {
        let database = rows(len);
        let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), &database).unwrap();
        fs::write(setup.path("in.crypt15"), &backup).unwrap();
        for key_file in ["key.txt", "encrypted_backup.key"] {
            e2eb()
                .args(["whatsapp", "decrypt", &setup.arg("in.crypt15"), "--force"])
                .args([
                    "--key-file",
                    &setup.arg(key_file),
                    "-o",
                    &setup.arg("out.db"),
                ])
                .assert()
                .success();
            assert!(fs::read(setup.path("out.db")).unwrap() == database, "{len}");
        }
        e2eb()
            .args(["whatsapp", "convert", &setup.arg("in.crypt15"), "--force"])
            .args([
                "--key-file",
                &setup.arg("key.txt"),
                "-o",
                &setup.arg("out.e2eb"),
            ])
            .args(["--recovery-key-file", &setup.arg("recovery.key")])
            .args(["--threads", "2"])
            .assert()
            .success();
        let decrypted = e2eb()
            .args(["decrypt", &setup.arg("out.e2eb"), "-o", "-"])
            .args(["--recovery-key-file", &setup.arg("recovery.key")])
            .output()
            .unwrap();
        assert!(decrypted.status.success());
        assert!(decrypted.stdout == database, "{len}");
    }
}

#[test]
fn stdin_and_stdout_work() {
    let setup = Setup::new();
    let database = rows(100_000);
    let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), &database).unwrap();
    let output = e2eb()
        .args(["whatsapp", "decrypt", "-", "-o", "-"])
        .args(["--key-file", &setup.arg("key.txt")])
        .write_stdin(backup)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout == database);
}

#[test]
fn a_wrong_key_damage_and_truncation_have_their_own_status_and_leave_nothing() {
    let setup = Setup::new();
    let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), &rows(200_000)).unwrap();
    let mut corrupted = backup.clone();
    corrupted[backup.len() / 2] ^= 0x10;
    let truncated = backup[..backup.len() * 2 / 3].to_vec();
    let cases: [(&str, &[u8], &str, i32, &str); 4] = [
        ("wrong key", &backup, "wrong.txt", WRONG_SECRET, "wrong key"),
        (
            "corrupted",
            &corrupted,
            "key.txt",
            BAD_BACKUP,
            "the file is corrupted",
        ),
        (
            "truncated",
            &truncated,
            "key.txt",
            BAD_BACKUP,
            "the file is truncated",
        ),
        (
            "not crypt15",
            b"SQLite format 3\0",
            "key.txt",
            BAD_BACKUP,
            "or not a crypt15 backup",
        ),
    ];
    for (what, bytes, key_file, status, message) in cases {
        fs::write(setup.path("in.crypt15"), bytes).unwrap();
        let keep = [
            "in.crypt15",
            "key.txt",
            "wrong.txt",
            "encrypted_backup.key",
            "recovery.key",
        ];
        e2eb()
            .args(["whatsapp", "decrypt", &setup.arg("in.crypt15")])
            .args([
                "--key-file",
                &setup.arg(key_file),
                "-o",
                &setup.arg("out.db"),
            ])
            .assert()
            .code(status)
            .stderr(predicate::str::contains(message));
        assert_eq!(
            leftovers(setup.dir.path(), &keep),
            Vec::<String>::new(),
            "{what}"
        );
        e2eb()
            .args(["whatsapp", "convert", &setup.arg("in.crypt15")])
            .args([
                "--key-file",
                &setup.arg(key_file),
                "-o",
                &setup.arg("out.e2eb"),
            ])
            .args(["--recovery-key-file", &setup.arg("recovery.key")])
            .assert()
            .code(status)
            .stderr(predicate::str::contains(message));
        assert_eq!(
            leftovers(setup.dir.path(), &keep),
            Vec::<String>::new(),
            "{what}"
        );
    }
}

/// The MD5 trailer has no key: a tamperer recomputes it, so a match rules out accidental damage
/// and nothing more. The right key on such a file must not be called wrong for certain (its owner
/// might throw a valid key away), neither by the error nor by the help that explains exit 3.
#[test]
fn a_matching_md5_is_never_said_to_make_the_key_certainly_wrong() {
    use md5::Md5;
    let setup = Setup::new();
    let mut tampered = encrypt_to_vec(&key(), &EncryptOptions::default(), &rows(200_000)).unwrap();
    let len = tampered.len();
    tampered[len / 2] ^= 0x01;
    let md5 = Md5::digest(&tampered[..len - 16]);
    tampered[len - 16..].copy_from_slice(md5.as_slice());
    fs::write(setup.path("in.crypt15"), &tampered).unwrap();
    for command in ["decrypt", "convert"] {
        let output = setup.path(&format!("out.{command}"));
        let mut run = e2eb();
        run.args(["whatsapp", command, &setup.arg("in.crypt15")])
            .args(["--key-file", &setup.arg("key.txt")])
            .arg("-o")
            .arg(&output);
        if command == "convert" {
            run.args(["--recovery-key-file", &setup.arg("recovery.key")]);
        }
        run.assert()
            .code(WRONG_SECRET)
            .stderr(predicate::str::contains(
                "the wrong key, or deliberate modification",
            ))
            .stderr(predicate::str::contains("intact").not());
        assert!(!output.exists(), "{command}");

        let help = e2eb()
            .args(["whatsapp", command, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        // clap rewraps the text; compare it with its line breaks taken out.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!help.contains("certain"), "{command}: {help}");
        assert!(
            help.contains("either the key is wrong or the file was modified on purpose"),
            "{command}: {help}"
        );
    }
}

#[test]
fn multi_file_backups_come_out_as_zip_archives() {
    let setup = Setup::new();
    let mut archive = ZIP_MAGIC.to_vec();
    archive.extend(rows(50_000));
    let backup = encrypt_to_vec(&key(), &EncryptOptions::multi_file(), &archive).unwrap();
    fs::write(setup.path("files.crypt15"), &backup).unwrap();
    e2eb()
        .args(["whatsapp", "decrypt", &setup.arg("files.crypt15")])
        .args([
            "--key-file",
            &setup.arg("key.txt"),
            "-o",
            &setup.arg("files.zip"),
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("ZIP archive"));
    assert_eq!(fs::read(setup.path("files.zip")).unwrap(), archive);
    e2eb()
        .args(["whatsapp", "inspect", &setup.arg("files.crypt15")])
        .assert()
        .success()
        .stdout(predicate::str::contains("none matches"));
    // No MD5 to lean on: the message says how sure it is.
    e2eb()
        .args(["whatsapp", "decrypt", &setup.arg("files.crypt15")])
        .args([
            "--key-file",
            &setup.arg("wrong.txt"),
            "-o",
            &setup.arg("x.zip"),
        ])
        .assert()
        .code(WRONG_SECRET)
        .stderr(predicate::str::contains("most likely wrong"));
}

#[test]
fn bad_key_files_are_refused_before_any_output() {
    let setup = Setup::new();
    let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), b"data").unwrap();
    fs::write(setup.path("in.crypt15"), backup).unwrap();
    let mut crypt14_key = key().to_java_serialized().to_vec();
    crypt14_key[26] = 131;
    crypt14_key.resize(27 + 131, 0);
    fs::write(setup.path("crypt14.key"), crypt14_key).unwrap();
    fs::write(setup.path("short.txt"), "6730 a595").unwrap();
    for (file, message) in [
        ("crypt14.key", "crypt12/crypt14 key"),
        ("short.txt", "64 hex digits, found 8"),
    ] {
        e2eb()
            .args(["whatsapp", "decrypt", &setup.arg("in.crypt15")])
            .args(["--key-file", &setup.arg(file), "-o", &setup.arg("out.db")])
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains(message));
        assert!(!setup.path("out.db").exists());
    }
}

#[test]
fn inspect_json_reports_the_prefix() {
    let setup = Setup::new();
    let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), b"data").unwrap();
    fs::write(setup.path("in.crypt15"), backup).unwrap();
    let output = e2eb()
        .args(["whatsapp", "inspect", "--json", &setup.arg("in.crypt15")])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["format"], "crypt15");
    assert_eq!(report["key_type"], 1);
    assert_eq!(report["md5_trailer_matches"], true);
    assert_eq!(report["iv"].as_str().unwrap().len(), 32);
}

/// Runs `e2eb ARGS` with stdout into a pipe read to its end here, and returns the exit status
/// and every byte that came through the pipe.
fn through_a_pipe(args: &[&str], portable: bool) -> (Option<i32>, Vec<u8>) {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("e2eb"));
    command
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if portable {
        command.env("E2EB_PORTABLE_OUTPUT", "1");
    }
    let output = command.output().unwrap();
    (output.status.code(), output.stdout)
}

#[test]
fn a_tampered_backup_releases_nothing_into_a_pipe_and_a_good_one_streams() {
    let setup = Setup::new();
    // A multi-file backup: a ZIP archive, whose entry names a tamperer can rewrite without the
    // key (CTR is malleable), and several MiB so that a streaming decrypt would have released
    // most of it before the tag at the end.
    let mut archive = ZIP_MAGIC.to_vec();
    archive.extend(b"Databases/msgstore.db");
    archive.extend(rows(8 << 20));
    let backup = encrypt_to_vec(&key(), &EncryptOptions::multi_file(), &archive).unwrap();
    let mut tampered = backup.clone();
    // A bit of the first compressed block's ciphertext, well before the tag.
    tampered[backup.len() / 8] ^= 0x01;
    fs::write(setup.path("good.crypt15"), &backup).unwrap();
    fs::write(setup.path("tampered.crypt15"), &tampered).unwrap();
    for portable in [false, true] {
        let decrypt = |file: &str, extra: &[&str]| {
            let mut args = vec!["whatsapp", "decrypt", "--quiet", "-o", "-", "--key-file"];
            let key = setup.arg("key.txt");
            let input = setup.arg(file);
            args.push(&key);
            args.push(&input);
            args.extend_from_slice(extra);
            through_a_pipe(&args, portable)
        };
        let (status, released) = decrypt("tampered.crypt15", &[]);
        assert_eq!(status, Some(BAD_BACKUP), "portable: {portable}");
        assert_eq!(released.len(), 0, "portable: {portable}");

        let (status, released) = decrypt("good.crypt15", &[]);
        assert_eq!(status, Some(0), "portable: {portable}");
        assert!(released == archive, "portable: {portable}");

        // The explicit opt-in streams as it decrypts, and so releases the tampered data.
        let (status, released) = decrypt("tampered.crypt15", &["--unverified-stream"]);
        assert_eq!(status, Some(BAD_BACKUP), "portable: {portable}");
        assert!(!released.is_empty(), "portable: {portable}");

        let convert = |file: &str| {
            through_a_pipe(
                &[
                    "whatsapp",
                    "convert",
                    "--quiet",
                    "-o",
                    "-",
                    "--key-file",
                    &setup.arg("key.txt"),
                    "--recovery-key-file",
                    &setup.arg("recovery.key"),
                    &setup.arg(file),
                ],
                portable,
            )
        };
        let (status, released) = convert("tampered.crypt15");
        assert_eq!(status, Some(BAD_BACKUP), "portable: {portable}");
        assert_eq!(released.len(), 0, "portable: {portable}");
        let (status, released) = convert("good.crypt15");
        assert_eq!(status, Some(0), "portable: {portable}");
        fs::write(setup.path("converted.e2eb"), released).unwrap();
        let decrypted = e2eb()
            .args(["decrypt", &setup.arg("converted.e2eb"), "-o", "-"])
            .args(["--recovery-key-file", &setup.arg("recovery.key")])
            .output()
            .unwrap();
        assert!(decrypted.status.success());
        assert!(decrypted.stdout == archive, "portable: {portable}");
    }
}

#[test]
fn the_real_backup_tampered_releases_nothing_into_a_pipe() {
    let Some(fixture) = real_fixture() else {
        return;
    };
    let setup = Setup::new();
    let mut backup = fs::read(fixture.join("msgstore.db.crypt15")).unwrap();
    let middle = backup.len() / 2;
    backup[middle] ^= 0x04;
    fs::write(setup.path("tampered.crypt15"), &backup).unwrap();
    let key = fixture.join("encrypted_backup.key").display().to_string();
    let (status, released) = through_a_pipe(
        &[
            "whatsapp",
            "decrypt",
            "--quiet",
            "-o",
            "-",
            "--key-file",
            &key,
            &setup.arg("tampered.crypt15"),
        ],
        false,
    );
    assert_eq!(status, Some(BAD_BACKUP));
    assert_eq!(released.len(), 0);
}

#[test]
fn a_key_file_on_stdin_is_refused_when_the_backup_comes_from_stdin() {
    let setup = Setup::new();
    let backup = encrypt_to_vec(&key(), &EncryptOptions::default(), b"data").unwrap();
    for alias in ["/dev/stdin", "/dev/fd/0"] {
        e2eb()
            .args(["whatsapp", "decrypt", "-", "--key-file", alias, "-o"])
            .arg(setup.path("out.db"))
            .write_stdin(backup.clone())
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("is stdin"));
        assert!(!setup.path("out.db").exists());
    }
}
