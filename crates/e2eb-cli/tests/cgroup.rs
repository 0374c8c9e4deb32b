//! The decrypt-side KDF caps follow the memory limit of the process's control group: a backup
//! whose password slot asks for 1 GiB of Argon2id, decrypted in a group limited to 512 MiB, is
//! refused with the KDF-over-cap status before any KDF work, instead of the process being killed
//! for running out of memory. It makes a cgroup, so it needs root and a writable cgroup v1
//! memory hierarchy or cgroup v2 mount: `cargo test -p e2eb-cli --test cgroup -- --ignored`
//! (CI runs it).

use std::path::{Path, PathBuf};
use std::process::Command;

const KDF_OVER_CAP: i32 = 5;

/// A memory-limited control group, removed on drop.
struct LimitedGroup {
    dir: PathBuf,
    procs: PathBuf,
}

impl LimitedGroup {
    fn new(name: &str, bytes: u64) -> LimitedGroup {
        let v1 = Path::new("/sys/fs/cgroup/memory");
        let (dir, limit_file) = if v1.join("memory.limit_in_bytes").exists() {
            (v1.join(name), "memory.limit_in_bytes")
        } else {
            (Path::new("/sys/fs/cgroup").join(name), "memory.max")
        };
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot make {} (root needed): {error}", dir.display()));
        std::fs::write(dir.join(limit_file), bytes.to_string()).expect("sets the limit");
        LimitedGroup {
            procs: dir.join("cgroup.procs"),
            dir,
        }
    }
}

impl Drop for LimitedGroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[test]
#[ignore = "makes a cgroup: needs root; run with --ignored"]
fn a_memory_limited_group_refuses_a_backup_that_asks_for_more() {
    let scratch = tempfile::tempdir().unwrap();
    let password = scratch.path().join("password");
    std::fs::write(&password, "correct horse\n").unwrap();
    let backup = scratch.path().join("backup.e2eb");
    let e2eb = env!("CARGO_BIN_EXE_e2eb");
    let encrypted = Command::new(e2eb)
        .args(["encrypt", "-o"])
        .arg(&backup)
        .arg("--password-file")
        .arg(&password)
        .args(["--kdf-params", "m=1048576,t=1,p=1", "-q"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(encrypted.status.success(), "{encrypted:?}");

    let group = LimitedGroup::new(&format!("e2eb-test-{}", std::process::id()), 512 << 20);
    // The shell moves itself into the group, then becomes e2eb.
    let decrypted = Command::new("sh")
        .arg("-c")
        .arg(r#"echo $$ > "$1" && exec "$2" decrypt "$3" -o - --password-file "$4" -q"#)
        .arg("sh")
        .arg(&group.procs)
        .arg(e2eb)
        .arg(&backup)
        .arg(&password)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&decrypted.stderr);
    assert_eq!(
        decrypted.status.code(),
        Some(KDF_OVER_CAP),
        "expected a refusal for the cap, got {:?}: {stderr}",
        decrypted.status
    );
    assert!(stderr.contains("memory = 1 GiB"), "{stderr}");
    assert!(decrypted.stdout.is_empty());
}
