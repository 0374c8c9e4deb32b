//! Killing `e2eb encrypt` or `e2eb decrypt` mid-way (SIGINT, SIGTERM, SIGKILL) never leaves a
//! partial file under the output name: either nothing, or the file that was there before. On
//! Linux the output is written to an unnamed file (`O_TMPFILE`) that only gets its name once
//! complete, so not even a SIGKILL leaves a temporary file behind. The portable path
//! (`E2EB_PORTABLE_OUTPUT=1`, what other systems use) writes a hidden named file: SIGINT and
//! SIGTERM remove it, a SIGKILL leaves it (hidden, recognisable, mode 0600 for decrypted data)
//! and the next run into the directory removes it. Both paths run every test here.
//!
//! Linux only: the tests watch the process through /proc.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn e2eb(portable: bool) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin!("e2eb"));
    if portable {
        command.env("E2EB_PORTABLE_OUTPUT", "1");
    } else {
        command.env_remove("E2EB_PORTABLE_OUTPUT");
    }
    command
}

/// Both output paths: the platform's (unnamed files on Linux) and the portable one.
const PATHS: [bool; 2] = [false, true];

/// Checks what a killed run left beside `before`: on the Linux path nothing; on the portable
/// path after a SIGKILL at most hidden `.NAME.e2eb-tmp-*` files of mode `mode`, which are
/// returned for the caller to see removed by the next run.
fn check_leftovers(
    dir: &Path,
    before: &[PathBuf],
    portable: bool,
    signal: &str,
    mode: u32,
) -> Vec<PathBuf> {
    let left: Vec<PathBuf> = entries(dir)
        .into_iter()
        .filter(|path| !before.contains(path))
        .collect();
    if !portable || signal != "KILL" {
        assert_eq!(
            left,
            Vec::<PathBuf>::new(),
            "SIG{signal}: a file was left behind"
        );
        return left;
    }
    for path in &left {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with('.') && name.contains(".e2eb-tmp-"),
            "SIG{signal}: {name} left behind"
        );
        let file_mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            file_mode & !mode,
            0,
            "SIG{signal}: {name} has mode {file_mode:o}"
        );
    }
    left
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    names
}

/// Whether the process has an output file open in `dir`, named or not (an unnamed one shows in
/// /proc as `DIR/#INODE (deleted)`).
fn is_writing_into(child: &Child, dir: &Path) -> bool {
    let dir = dir.canonicalize().unwrap();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", child.id())) else {
        return false;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| target.starts_with(&dir))
}

/// Feeds `child` pieces of `data` through stdin until it has its output open in `dir` and at
/// least `at_least` bytes went in; the pipe stays open, so the run is caught mid-way.
fn feed_until_writing(child: &mut Child, dir: &Path, data: &[u8], at_least: usize) {
    let started = Instant::now();
    let mut fed = 0;
    while !is_writing_into(child, dir) || fed < at_least {
        let piece = &data[fed % data.len()..][..(1 << 20).min(data.len() - fed % data.len())];
        child.stdin.as_mut().unwrap().write_all(piece).unwrap();
        fed += piece.len();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started writing"
        );
    }
    // Let the data just fed reach the output.
    std::thread::sleep(Duration::from_millis(100));
}

/// Waits for `child` to end after a signal, with its stdin still open: closed first (as
/// `wait_with_output` does), the end of the input would race the signal, and the run could
/// end on it (complete, or truncated) before the signal's handler ran.
fn wait_for_the_signal(mut child: Child) -> std::process::Output {
    let stdin = child.stdin.take();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    output
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn setup() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.txt");
    let status = e2eb(false)
        .args(["keygen", "-o"])
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let data: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    (dir, key, data)
}

#[test]
fn interrupted_encryption_leaves_nothing() {
    for portable in PATHS {
        for signal in ["INT", "TERM", "KILL"] {
            let (dir, key, data) = setup();
            let before = entries(dir.path());
            let out = dir.path().join("backup.e2eb");
            let mut child = e2eb(portable)
                .args(["encrypt", "-", "--quiet", "--recovery-key-file"])
                .arg(&key)
                .arg("-o")
                .arg(&out)
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            feed_until_writing(&mut child, dir.path(), &data, 8 << 20);
            send(&child, signal);
            let output = wait_for_the_signal(child);
            assert!(!output.status.success(), "SIG{signal}: {}", output.status);
            assert!(!out.exists(), "SIG{signal}: a partial backup was left");
            if signal != "KILL" {
                assert!(
                    String::from_utf8_lossy(&output.stderr).contains("nothing was written"),
                    "SIG{signal}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let umask_free = 0o666;
            let left = check_leftovers(dir.path(), &before, portable, signal, umask_free);
            if !left.is_empty() {
                // The next run into the directory removes what the killed one left.
                let mut next = e2eb(portable)
                    .args(["encrypt", "-", "--quiet", "--recovery-key-file"])
                    .arg(&key)
                    .arg("-o")
                    .arg(&out)
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap();
                next.stdin.take().unwrap().write_all(b"next").unwrap();
                assert!(next.wait().unwrap().success());
                assert!(left.iter().all(|path| !path.exists()), "SIG{signal}");
            }
        }
    }
}

#[test]
fn killed_decryption_keeps_the_previous_file() {
    let (dir, key, data) = setup();
    let plaintext: Vec<u8> = data.iter().cycle().take(64 << 20).copied().collect();
    let backup = dir.path().join("backup.e2eb");
    let mut encrypt = e2eb(false)
        .args(["encrypt", "-", "--quiet", "--recovery-key-file"])
        .arg(&key)
        .arg("-o")
        .arg(&backup)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    encrypt.stdin.take().unwrap().write_all(&plaintext).unwrap();
    assert!(encrypt.wait().unwrap().success());
    let backup_bytes = std::fs::read(&backup).unwrap();

    for portable in PATHS {
        for signal in ["INT", "TERM", "KILL"] {
            let out = dir.path().join("restored.db");
            std::fs::write(&out, b"the previous file").unwrap();
            let before = entries(dir.path());
            let mut child = e2eb(portable)
                .args(["decrypt", "-", "--quiet", "--force", "--recovery-key-file"])
                .arg(&key)
                .arg("-o")
                .arg(&out)
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            feed_until_writing(&mut child, dir.path(), &backup_bytes[..32 << 20], 8 << 20);
            send(&child, signal);
            let output = wait_for_the_signal(child);
            assert!(!output.status.success(), "SIG{signal}: {}", output.status);
            assert_eq!(
                std::fs::read(&out).unwrap(),
                b"the previous file",
                "SIG{signal}: OUT was replaced"
            );
            if signal != "KILL" {
                assert!(
                    String::from_utf8_lossy(&output.stderr).contains("nothing was written"),
                    "SIG{signal}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            // Decrypted data: a leftover of the portable path is readable by its owner only.
            let left = check_leftovers(dir.path(), &before, portable, signal, 0o600);
            for path in left {
                // Removed by the next run into the directory (which fails: its input is empty).
                let _ = e2eb(portable)
                    .args(["decrypt", "-", "--quiet", "--force", "--recovery-key-file"])
                    .arg(&key)
                    .arg("-o")
                    .arg(&out)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                assert!(!path.exists(), "SIG{signal}: {} stayed", path.display());
            }
        }
    }
}

#[test]
fn an_interrupted_stream_is_reported_incomplete() {
    let (dir, key, data) = setup();
    let plaintext: Vec<u8> = data.iter().cycle().take(32 << 20).copied().collect();
    let backup = dir.path().join("backup.e2eb");
    let mut encrypt = e2eb(false)
        .args(["encrypt", "-", "--quiet", "--recovery-key-file"])
        .arg(&key)
        .arg("-o")
        .arg(&backup)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    encrypt.stdin.take().unwrap().write_all(&plaintext).unwrap();
    assert!(encrypt.wait().unwrap().success());
    let backup_bytes = std::fs::read(&backup).unwrap();

    let mut child = e2eb(false)
        .args(["decrypt", "-", "--quiet", "-o", "-", "--recovery-key-file"])
        .arg(&key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Three quarters of the backup in, the pipe kept open; once plaintext came out, the stream
    // has started.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&backup_bytes[..backup_bytes.len() * 3 / 4]);
        stdin
    });
    let mut first = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    send(&child, "INT");
    let output = wait_for_the_signal(child);
    drop(feeder.join());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("stdout is incomplete") && !stderr.contains("nothing was written"),
        "{stderr}"
    );
}

/// The process strace started: its one child.
fn traced_child(strace: &Child) -> Option<u32> {
    let children = std::fs::read_to_string(format!(
        "/proc/{pid}/task/{pid}/children",
        pid = strace.id()
    ))
    .ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// SIGINT or SIGTERM while the output's last sync runs, once OUT already holds the complete
/// output under its name: what the run says must be what is on disk. strace's fault injection
/// holds every sync after the first for 3 s, so the signal lands there on every run; skipped
/// where strace is not installed (unless `E2EB_REQUIRE_STRACE` is set, as CI does).
#[test]
fn a_signal_during_the_last_sync_is_reported_as_what_is_on_disk() {
    let strace = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !strace.is_ok_and(|status| status.success()) {
        assert!(
            std::env::var_os("E2EB_REQUIRE_STRACE").is_none(),
            "E2EB_REQUIRE_STRACE is set but strace cannot be run"
        );
        println!("skipped: strace is not installed");
        return;
    }
    let (dir, key, data) = setup();
    let plaintext = &data[..300_000];
    let backup = dir.path().join("backup.e2eb");
    let mut encrypt = e2eb(false)
        .args(["encrypt", "-", "--quiet", "--recovery-key-file"])
        .arg(&key)
        .arg("-o")
        .arg(&backup)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    encrypt.stdin.take().unwrap().write_all(plaintext).unwrap();
    assert!(encrypt.wait().unwrap().success());

    for portable in PATHS {
        for signal in ["INT", "TERM"] {
            for force in [false, true] {
                let case = format!("portable: {portable}, SIG{signal}, force: {force}");
                let out = dir.path().join("out.bin");
                let _ = std::fs::remove_file(&out);
                let previous: Option<&[u8]> = force.then_some(b"the previous file");
                if let Some(previous) = previous {
                    std::fs::write(&out, previous).unwrap();
                }
                let before = entries(dir.path());
                let mut command = Command::new("strace");
                command
                    .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync"])
                    .args(["-e", "inject=fsync:delay_enter=3000000:when=2+"])
                    .arg(assert_cmd::cargo::cargo_bin!("e2eb"))
                    .args(["decrypt", "--quiet", "--recovery-key-file"])
                    .arg(&key)
                    .arg("-o")
                    .arg(&out)
                    .arg(&backup)
                    .stdin(Stdio::null())
                    .stderr(Stdio::piped());
                if force {
                    command.arg("--force");
                }
                if portable {
                    command.env("E2EB_PORTABLE_OUTPUT", "1");
                } else {
                    command.env_remove("E2EB_PORTABLE_OUTPUT");
                }
                let mut child = command.spawn().unwrap();
                // Wait for OUT to hold the complete output: the last sync is then being held.
                let started = Instant::now();
                while std::fs::read(&out).ok().as_deref() != Some(plaintext) {
                    assert!(child.try_wait().unwrap().is_none(), "{case}: ended early");
                    assert!(started.elapsed() < Duration::from_secs(60), "{case}");
                    std::thread::sleep(Duration::from_millis(20));
                }
                let pid = traced_child(&child).expect("strace's child");
                let status = Command::new("kill")
                    .args([format!("-{signal}"), pid.to_string()])
                    .status()
                    .unwrap();
                assert!(status.success());
                let output = child.wait_with_output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                let on_disk = std::fs::read(&out).ok();
                if stderr.contains("nothing was written") {
                    assert_eq!(
                        on_disk.as_deref(),
                        previous,
                        "{case}: said nothing was written, but OUT changed: {stderr}"
                    );
                }
                assert!(
                    on_disk.as_deref() == Some(plaintext) || on_disk.as_deref() == previous,
                    "{case}: OUT is neither as before nor complete"
                );
                let mut left: Vec<PathBuf> = entries(dir.path())
                    .into_iter()
                    .filter(|path| !before.contains(path) && *path != out)
                    .collect();
                left.sort();
                assert_eq!(left, Vec::<PathBuf>::new(), "{case}: {stderr}");
            }
        }
    }
}
