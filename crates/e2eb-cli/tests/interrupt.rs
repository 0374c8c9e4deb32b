//! Killing `e2eb encrypt` or `e2eb decrypt` mid-way (SIGINT, SIGTERM, SIGKILL) never leaves a
//! partial file under the output name: either nothing, or the file that was there before. The
//! output is written to an unnamed file (`O_TMPFILE`) that only gets its name once complete, so
//! not even a SIGKILL leaves a temporary file behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn e2eb() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("e2eb"))
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
    let status = e2eb()
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
    for signal in ["INT", "TERM", "KILL"] {
        let (dir, key, data) = setup();
        let before = entries(dir.path());
        let out = dir.path().join("backup.e2eb");
        let mut child = e2eb()
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
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status}");
        assert!(!out.exists(), "SIG{signal}: a partial backup was left");
        assert_eq!(
            entries(dir.path()),
            before,
            "SIG{signal}: a file was left behind"
        );
    }
}

#[test]
fn killed_decryption_keeps_the_previous_file() {
    let (dir, key, data) = setup();
    let plaintext: Vec<u8> = data.iter().cycle().take(64 << 20).copied().collect();
    let backup = dir.path().join("backup.e2eb");
    let mut encrypt = e2eb()
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

    for signal in ["INT", "TERM", "KILL"] {
        let out = dir.path().join("restored.db");
        std::fs::write(&out, b"the previous file").unwrap();
        let before = entries(dir.path());
        let mut child = e2eb()
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
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"the previous file",
            "SIG{signal}: OUT was replaced"
        );
        // Not even SIGKILL, which nothing can catch, leaves a temporary file.
        assert_eq!(
            entries(dir.path()),
            before,
            "SIG{signal}: a file was left behind"
        );
    }
}
