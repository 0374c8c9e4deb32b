//! Runs the real `e2eb tune` with targets of milliseconds: its output must parse and hold a
//! setting that `e2eb encrypt` accepts. How close it lands on a target is a matter for the
//! `landing` bench of e2eb-measure, not for a test on a machine that may be busy.

use assert_cmd::Command;
use predicates::prelude::*;

const FAILURE: i32 = 1;
const USAGE: i32 = 2;

fn e2eb() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    command.write_stdin(Vec::<u8>::new());
    command
}

#[test]
fn json_output_parses_and_its_setting_encrypts() {
    let output = e2eb()
        .args([
            "tune",
            "--kdf",
            "both",
            "--target-ms",
            "20",
            "--max-memory",
            "4MiB",
            "--lanes",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["basis"], "measured");
    assert_eq!(report["memory_cap_bytes"], 4 << 20);
    let recommendations = report["recommendations"].as_array().unwrap();
    assert_eq!(recommendations.len(), 2);
    for (recommendation, kdf) in recommendations.iter().zip(["argon2id", "scrypt"]) {
        assert_eq!(recommendation["kdf"], kdf);
        assert!(recommendation["memory_bytes"].as_u64().unwrap() <= 4 << 20);
        assert!(recommendation["seconds"].as_f64().unwrap() > 0.0);
        assert_eq!(recommendation["samples"].as_array().unwrap().len(), 5);
        assert_eq!(
            recommendation["attacker"]["rows"].as_array().unwrap().len(),
            5
        );
        assert!(
            recommendation["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|warning| warning["kind"] == "below_owasp_minimum"),
            "4 MiB is below every OWASP minimum setting, whatever the iterations"
        );
        // The setting is one `e2eb encrypt` takes (told that it is below OWASP's minimum).
        let params = recommendation["kdf_params"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, "a password\n").unwrap();
        e2eb()
            .args(["encrypt", "-", "-o"])
            .arg(dir.path().join("backup.e2eb"))
            .arg("--password-file")
            .arg(&password)
            .args(["--kdf", kdf, "--kdf-params", params, "--quiet"])
            .arg("--accept-weak-kdf")
            .assert()
            .success();
    }
    if let Some(argon) = recommendations[0]["kdf_params"].as_str() {
        assert!(argon.ends_with(",p=1"), "--lanes sets the lanes: {argon}");
    }
}

#[test]
fn text_output_names_the_setting_and_the_attacker_cost() {
    e2eb()
        .args(["tune", "--target-ms", "10", "--max-memory", "4MiB"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("argon2id: --kdf-params m=")
                .and(predicate::str::contains("6-digit PIN"))
                .and(predicate::str::contains(
                    "Assumptions of the attacker estimates",
                )),
        );
}

#[test]
fn bad_options_are_refused_with_reasons() {
    e2eb()
        .args(["tune", "--max-memory", "1KiB"])
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("below the smallest setting"));
    e2eb()
        .args(["tune", "--max-memory", "1000TiB"])
        .assert()
        .code(FAILURE)
        .stderr(predicate::str::contains("available now"));
    e2eb()
        .args(["tune", "--target-ms", "0"])
        .assert()
        .code(USAGE);
    // Lanes: at least one, at most 64; `--threads` is their old name.
    for lanes in ["--lanes=0", "--lanes=65", "--threads=65"] {
        e2eb().args(["tune", lanes]).assert().code(USAGE);
    }
    e2eb()
        .args(["tune", "--usd-per-gpu-hour", "0"])
        .assert()
        .code(USAGE)
        .stderr(predicate::str::contains("not a positive price"));
}
