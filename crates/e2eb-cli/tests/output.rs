//! Where the output goes, checked before any work and reported truthfully, on both output
//! paths: Linux's unnamed temporary files, and the portable named ones
//! (`E2EB_PORTABLE_OUTPUT=1`), which every other system uses.
//!
//! Linux only: the tests use /dev/full, /proc and mount namespaces, and compare the two output
//! paths, which other systems do not both have.

#![cfg(target_os = "linux")]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const FAILURE: i32 = 1;

/// Both output paths: the platform's (unnamed files on Linux) and the portable one.
const PATHS: [bool; 2] = [false, true];

fn e2eb(portable: bool) -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    command.write_stdin(Vec::<u8>::new());
    if portable {
        command.env("E2EB_PORTABLE_OUTPUT", "1");
    } else {
        command.env_remove("E2EB_PORTABLE_OUTPUT");
    }
    command
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin!("e2eb").to_path_buf()
}

struct Scratch {
    dir: TempDir,
    key: PathBuf,
    backup: PathBuf,
    data: Vec<u8>,
}

impl Scratch {
    /// A directory with a recovery key and a backup of 300 KB made with it.
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.txt");
        e2eb(false)
            .args(["keygen", "-o"])
            .arg(&key)
            .assert()
            .success();
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let plain = dir.path().join("plain.bin");
        fs::write(&plain, &data).unwrap();
        let backup = dir.path().join("backup.e2eb");
        e2eb(false)
            .arg("encrypt")
            .arg(&plain)
            .arg("--recovery-key-file")
            .arg(&key)
            .arg("-o")
            .arg(&backup)
            .assert()
            .success();
        fs::remove_file(&plain).unwrap();
        Scratch {
            dir,
            key,
            backup,
            data,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn decrypt(&self, portable: bool, out: &Path) -> Command {
        let mut command = e2eb(portable);
        command
            .arg("decrypt")
            .arg(&self.backup)
            .arg("--recovery-key-file")
            .arg(&self.key)
            .arg("-o")
            .arg(out);
        command
    }

    /// The names in the directory that are neither the key nor the backup.
    fn others(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != "key.txt" && name != "backup.e2eb")
            .collect();
        names.sort();
        names
    }
}

/// An error that names what the user gave: no temporary file name, no "(os error N)".
fn a_plain_error() -> impl Predicate<str> {
    predicate::str::contains("e2eb-tmp")
        .not()
        .and(predicate::str::contains("os error").not())
}

#[test]
fn a_missing_directory_is_found_before_any_secret_is_read() {
    for portable in PATHS {
        let scratch = Scratch::new();
        // The password file does not exist either: the output is checked first, so the error
        // is about the output, found before a secret is read or a KDF runs.
        e2eb(portable)
            .arg("decrypt")
            .arg(&scratch.backup)
            .arg("--password-file")
            .arg(scratch.path("no-such-password"))
            .arg("-o")
            .arg(scratch.path("nodir/out.bin"))
            .assert()
            .code(FAILURE)
            .stderr(
                predicate::str::contains("the directory")
                    .and(predicate::str::contains("nodir does not exist")),
            )
            .stderr(a_plain_error());
        e2eb(portable)
            .arg("decrypt")
            .arg(&scratch.backup)
            .arg("--password-file")
            .arg(scratch.path("no-such-password"))
            .arg("-o")
            .arg(format!("{}/", scratch.path("newdir").display()))
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("ends in a directory"))
            .stderr(a_plain_error());
        assert_eq!(scratch.others(), Vec::<String>::new());
    }
}

/// Runs `script` as root of a new user and mount namespace, where a test may mount what it
/// needs; `None` where this system does not allow that (the test is then skipped).
fn in_private_mounts(script: &str, portable: bool) -> Option<std::process::Output> {
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|status| status.success()) {
        println!("skipped: unshare -rm is not available here");
        return None;
    }
    let mut command = std::process::Command::new("unshare");
    command
        .args(["-rm", "sh", "-euc", script])
        .env("E2EB", binary());
    if portable {
        command.env("E2EB_PORTABLE_OUTPUT", "1");
    } else {
        command.env_remove("E2EB_PORTABLE_OUTPUT");
    }
    Some(command.output().unwrap())
}

#[test]
fn a_read_only_directory_is_found_before_any_work() {
    for portable in PATHS {
        let scratch = Scratch::new();
        fs::create_dir(scratch.path("ro")).unwrap();
        let script = format!(
            "mount --bind {ro} {ro}; mount -o remount,bind,ro {ro}; \
             \"$E2EB\" decrypt {backup} --password-file {missing} -o {ro}/out.bin",
            ro = scratch.path("ro").display(),
            backup = scratch.backup.display(),
            missing = scratch.path("no-such-password").display(),
        );
        let Some(output) = in_private_mounts(&script, portable) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(FAILURE), "{stderr}");
        assert!(
            stderr.contains("cannot create a file in") && stderr.contains("Read-only file system"),
            "{stderr}"
        );
        assert!(a_plain_error().eval(&stderr), "{stderr}");
    }
}

#[test]
fn without_proc_the_output_still_gets_into_place() {
    let scratch = Scratch::new();
    let script = format!(
        "mount -t tmpfs none /proc; \"$E2EB\" decrypt {backup} --recovery-key-file {key} -o {out}",
        backup = scratch.backup.display(),
        key = scratch.key.display(),
        out = scratch.path("out.bin").display(),
    );
    let Some(output) = in_private_mounts(&script, false) else {
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(fs::read(scratch.path("out.bin")).unwrap() == scratch.data);
    assert_eq!(scratch.others(), vec!["out.bin".to_string()]);
}

#[test]
fn force_does_not_replace_a_file_through_a_link_that_leaves_the_directory() {
    for portable in PATHS {
        let scratch = Scratch::new();
        fs::create_dir(scratch.path("elsewhere")).unwrap();
        fs::write(scratch.path("elsewhere/victim"), b"keep me").unwrap();
        std::os::unix::fs::symlink("elsewhere/victim", scratch.path("link")).unwrap();
        scratch
            .decrypt(portable, &scratch.path("link"))
            .arg("--force")
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("outside its directory"));
        assert_eq!(
            fs::read(scratch.path("elsewhere/victim")).unwrap(),
            b"keep me"
        );

        // A link to a file beside it is followed: the file is replaced, the link survives.
        fs::write(scratch.path("beside"), b"old").unwrap();
        std::os::unix::fs::symlink("beside", scratch.path("link-beside")).unwrap();
        scratch
            .decrypt(portable, &scratch.path("link-beside"))
            .arg("--force")
            .assert()
            .success();
        assert!(fs::read(scratch.path("beside")).unwrap() == scratch.data);
        assert!(
            fs::symlink_metadata(scratch.path("link-beside"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}

#[test]
fn a_password_file_that_is_stdin_is_refused_when_the_data_is_stdin() {
    let scratch = Scratch::new();
    for alias in ["/dev/stdin", "/dev/fd/0"] {
        let out = scratch.path("x.e2eb");
        e2eb(false)
            .args(["encrypt", "--password-file", alias, "-o"])
            .arg(&out)
            .write_stdin(b"pw\nDATA\n".to_vec())
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains(format!("{alias} is stdin")));
        assert!(!out.exists());
        e2eb(false)
            .args(["decrypt", "-", "--recovery-key-file", alias, "-o"])
            .arg(scratch.path("out.bin"))
            .write_stdin(fs::read(&scratch.backup).unwrap())
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains(format!("{alias} is stdin")));
    }
    // A password file on stdin is fine when the data is a named file.
    fs::write(scratch.path("plain"), b"DATA").unwrap();
    e2eb(false)
        .args([
            "encrypt",
            "--kdf-params",
            "m=64,t=1,p=1",
            "--accept-weak-kdf",
        ])
        .arg(scratch.path("plain"))
        .args(["--password-file", "/dev/stdin", "-o"])
        .arg(scratch.path("y.e2eb"))
        .write_stdin(b"pw\n".to_vec())
        .assert()
        .success();
}

#[test]
fn a_closed_stdout_is_an_error_not_a_silent_success() {
    let scratch = Scratch::new();
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "\"$E2EB\" decrypt \"$BACKUP\" --recovery-key-file \"$KEY\" -o - >&-",
        ])
        .env("E2EB", binary())
        .env("BACKUP", &scratch.backup)
        .env("KEY", &scratch.key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(FAILURE));
    assert!(String::from_utf8_lossy(&output.stderr).contains("stdout is closed"));
    // Python's subprocess.DEVNULL opens /dev/null read-write, which a closed stdout cannot be
    // told from: the error says so and names the way that works, which does.
    let read_write_null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .unwrap();
    let output = std::process::Command::new(binary())
        .args(["decrypt", "--recovery-key-file"])
        .arg(&scratch.key)
        .args(["-o", "-"])
        .arg(&scratch.backup)
        .stdout(read_write_null)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(FAILURE));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("or is /dev/null opened read-write, which is how a closed stdout looks"),
        "{output:?}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("-o /dev/null to discard it"));
    let discarded = std::process::Command::new(binary())
        .args(["decrypt", "--recovery-key-file"])
        .arg(&scratch.key)
        .args(["-o", "/dev/null"])
        .arg(&scratch.backup)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(discarded.success(), "-o /dev/null discards the output");
    // Redirecting to /dev/null on purpose still works.
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            "\"$E2EB\" decrypt \"$BACKUP\" --recovery-key-file \"$KEY\" -o - >/dev/null",
        ])
        .env("E2EB", binary())
        .env("BACKUP", &scratch.backup)
        .env("KEY", &scratch.key)
        .output()
        .unwrap();
    assert!(output.status.success());
}

#[test]
fn keygen_into_a_full_device_says_the_device_is_full() {
    for portable in PATHS {
        e2eb(portable)
            .args(["keygen", "-o", "/dev/full"])
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains(
                "cannot write /dev/full: No space left on device",
            ))
            .stderr(predicate::str::contains("already exists").not())
            .stderr(a_plain_error());
    }
}

#[test]
fn a_dead_runs_temporary_file_is_removed_by_the_next_run_and_a_live_one_is_kept() {
    for portable in PATHS {
        let scratch = Scratch::new();
        // As a killed run leaves it: hidden, recognisable, mode 0600, holding plaintext.
        let stale = scratch.path(".out.bin.e2eb-tmp-k1ll3d00");
        fs::write(&stale, b"plaintext of a killed run").unwrap();
        fs::set_permissions(&stale, fs::Permissions::from_mode(0o600)).unwrap();
        // A live run's file: its lock is held (here by flock(1), for the test's duration).
        let live = scratch.path(".other.e2eb-tmp-l1v3l1v3");
        fs::write(&live, b"a run still writing").unwrap();
        // Without util-linux's flock(1) only the dead run's file is checked.
        let holder = std::process::Command::new("flock")
            .arg(&live)
            .args(["sleep", "30"])
            .spawn()
            .ok();
        std::thread::sleep(std::time::Duration::from_millis(300));

        scratch
            .decrypt(portable, &scratch.path("out.bin"))
            .assert()
            .success();
        assert!(!stale.exists(), "portable: {portable}");
        if let Some(mut holder) = holder {
            let _ = holder.kill();
            let _ = holder.wait();
            assert!(live.exists(), "portable: {portable}");
        } else {
            println!("skipped the live file: no flock(1) here");
        }
        assert!(fs::read(scratch.path("out.bin")).unwrap() == scratch.data);
    }
}

#[test]
fn outputs_are_written_in_full_with_their_modes_on_both_paths() {
    for portable in PATHS {
        let scratch = Scratch::new();
        let out = scratch.path("out.bin");
        scratch.decrypt(portable, &out).assert().success();
        assert!(fs::read(&out).unwrap() == scratch.data);
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        scratch
            .decrypt(portable, &out)
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("already exists"));
        fs::write(&out, b"old").unwrap();
        scratch
            .decrypt(portable, &out)
            .arg("--force")
            .assert()
            .success();
        assert!(fs::read(&out).unwrap() == scratch.data);
        assert_eq!(scratch.others(), vec!["out.bin".to_string()]);
    }
}

#[test]
fn an_unusable_output_is_named_plainly_when_the_secret_opens_the_backup() {
    // With a secret that opens the backup, the output's own faults are what is reported: the
    // directory, not a temporary file's name or an OS error number, and not after the work.
    for portable in PATHS {
        let scratch = Scratch::new();
        scratch
            .decrypt(portable, &scratch.path("nodir/out.bin"))
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("nodir does not exist"))
            .stderr(a_plain_error());
        scratch
            .decrypt(portable, &scratch.path("newdir/"))
            .assert()
            .code(FAILURE)
            .stderr(predicate::str::contains("ends in a directory"))
            .stderr(predicate::str::contains("cannot move the output into place").not())
            .stderr(a_plain_error());
        assert_eq!(scratch.others(), Vec::<String>::new());

        fs::create_dir(scratch.path("ro")).unwrap();
        let script = format!(
            "mount --bind {ro} {ro}; mount -o remount,bind,ro {ro}; \
             \"$E2EB\" decrypt {backup} --recovery-key-file {key} -o {ro}/out.bin",
            ro = scratch.path("ro").display(),
            backup = scratch.backup.display(),
            key = scratch.key.display(),
        );
        let Some(output) = in_private_mounts(&script, portable) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(FAILURE), "{stderr}");
        assert!(stderr.contains("Read-only file system"), "{stderr}");
        assert!(a_plain_error().eval(&stderr), "{stderr}");
    }
}
