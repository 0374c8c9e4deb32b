//! Killing `e2eb encrypt` or `e2eb decrypt` mid-way (SIGINT, SIGTERM, SIGKILL) never leaves a
//! partial file under the output name: either nothing, or the file that was there before.
//! SIGINT and SIGTERM also remove the hidden temporary file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn e2eb() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("e2eb"))
}

fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .contains(".e2eb-tmp-")
        })
        .collect()
}

/// Waits until the run has created its temporary output (so it is mid-way), feeding it
/// `chunk` through stdin meanwhile; the pipe stays open so the run cannot finish.
fn wait_until_writing(child: &mut Child, dir: &Path, chunk: &[u8]) {
    let stdin = child.stdin.as_mut().unwrap();
    let started = Instant::now();
    loop {
        stdin.write_all(chunk).unwrap();
        if !temporary_files(dir).is_empty() {
            // One more batch so that data has reached the temporary file.
            stdin.write_all(chunk).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never started writing"
        );
    }
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
    let chunk: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    (dir, key, chunk)
}

#[test]
fn interrupted_encryption_leaves_no_output_and_no_temporary_file() {
    for signal in ["INT", "TERM"] {
        let (dir, key, chunk) = setup();
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
        wait_until_writing(&mut child, dir.path(), &chunk);
        send(&child, signal);
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status}");
        assert!(!out.exists(), "SIG{signal}: a partial backup was left");
        assert!(
            temporary_files(dir.path()).is_empty(),
            "SIG{signal}: the temporary file was left"
        );
    }
}

#[test]
fn killed_decryption_keeps_the_previous_file() {
    let (dir, key, chunk) = setup();
    let plaintext: Vec<u8> = chunk.iter().cycle().take(64 << 20).copied().collect();
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

    for signal in ["INT", "KILL"] {
        let out = dir.path().join("restored.db");
        std::fs::write(&out, b"the previous file").unwrap();
        let mut child = e2eb()
            .args(["decrypt", "-", "--quiet", "--force", "--recovery-key-file"])
            .arg(&key)
            .arg("-o")
            .arg(&out)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Feed the backup in pieces until the output is being written, then stop mid-way.
        let stdin = child.stdin.as_mut().unwrap();
        let mut fed = 0;
        while temporary_files(dir.path()).is_empty() || fed < 8 << 20 {
            stdin
                .write_all(&backup_bytes[fed..fed + (1 << 20)])
                .unwrap();
            fed += 1 << 20;
        }
        std::thread::sleep(Duration::from_millis(100));
        send(&child, signal);
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"the previous file",
            "SIG{signal}: OUT was replaced"
        );
        if signal == "INT" {
            assert!(
                temporary_files(dir.path()).is_empty(),
                "SIGINT: the temporary file was left"
            );
        } else {
            // SIGKILL cannot be caught: a hidden temporary file (mode 0600) may remain, never OUT.
            for leftover in temporary_files(dir.path()) {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&leftover).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", leftover.display());
                std::fs::remove_file(leftover).unwrap();
            }
        }
    }
}
