//! `e2eb bench`: the lone binary's benchmark run, its file in the schema of `cargo xtask bench`
//! and its refusals.

use std::fs;

use assert_cmd::Command;
use e2eb_measure::schema::Run;
use predicates::prelude::*;
use tempfile::TempDir;

const USAGE: i32 = 2;

fn e2eb() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    command.write_stdin(Vec::<u8>::new());
    command
}

#[test]
fn the_tiny_profile_writes_a_run_file_of_the_bench_schema() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.json");
    e2eb()
        .args([
            "bench",
            "--profile",
            "tiny",
            "--host",
            "probe-test",
            "--note",
            "a test",
        ])
        .arg("-o")
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("e2eb bench: [1/"))
        .stderr(predicate::str::contains("written to"));
    let run = Run::parse(&fs::read_to_string(&path).unwrap()).expect("a valid run file");
    assert_eq!(run.profile, "tiny");
    assert_eq!(run.host.host_id, "probe-test");
    assert_eq!(run.sections, ["aead", "stream", "kdf"]);
    let probe = run.host.probe.as_ref().expect("marked as the probe's");
    assert!(probe.program.starts_with("e2eb "), "{}", probe.program);
    assert!(probe.absent.iter().any(|part| part.contains("OpenSSL")));
    assert!(run.method.openssl.is_none() && run.method.soft.is_none());
    assert!(run.argon2_reference.is_none());
    // Every compiled-in backend has AEAD figures; the KDF grid came from probe children, which
    // recorded their peak memory.
    for backend in &run.method.backends {
        assert!(
            run.aead.iter().any(|f| f.backend.as_ref() == Some(backend)),
            "{backend}"
        );
    }
    assert!(run.stream.iter().any(|f| f.threads == 1));
    assert!(run.kdf.iter().any(|f| f.setting.kdf_name() == "argon2id"));
    assert!(run.kdf.iter().any(|f| f.setting.kdf_name() == "scrypt"));
    assert!(
        run.kdf.iter().all(|f| f.peak_rss_bytes.is_some()),
        "{:?}",
        run.kdf
    );
    assert_eq!(run.notes, ["a test"]);
}

#[test]
fn an_existing_output_is_kept_without_force_and_nothing_is_measured() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("run.json");
    fs::write(&path, "earlier run").unwrap();
    e2eb()
        .args(["bench", "--profile", "tiny", "-o"])
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"))
        .stderr(predicate::str::contains("measurements").not());
    assert_eq!(fs::read_to_string(&path).unwrap(), "earlier run");
}

#[test]
fn a_host_name_that_is_not_a_folder_name_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    e2eb()
        .args(["bench", "--profile", "tiny", "--host", "../Phone 12", "-o"])
        .arg(dir.path().join("run.json"))
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("\"phone-12\""));
    assert!(!dir.path().join("run.json").exists());
}
