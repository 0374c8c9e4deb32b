//! `cargo xtask report --add`: a run made by the lone binary's code (`e2eb bench`'s tiny
//! profile, through the shared `e2eb_measure::bench::probe`) is taken into a reports folder and
//! rendered; a file that is not a run is refused with what is wrong, and nothing is written.
//! Everything happens in temporary folders, never in the committed reports/.

use std::path::Path;
use std::process::Command;

use e2eb_measure::bench::kdf::ChildCommand;
use e2eb_measure::bench::{Profile, ProfileName, Progress, probe};
use tempfile::TempDir;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: String) {}
    fn done(&self) {}
    fn skip(&self, _: u64) {}
}

fn xtask_report(args: &[&str], reports: &Path) -> std::process::Output {
    Command::new(XTASK)
        .arg("report")
        .args(args)
        .arg("--out")
        .arg(reports)
        .output()
        .unwrap()
}

#[test]
fn a_tiny_probe_run_is_added_and_rendered_beside_the_index() {
    let options = probe::Options {
        profile: Profile::new(ProfileName::Tiny),
        host_id: Some("tiny-probe".into()),
        program: "e2eb test".into(),
        child: ChildCommand {
            program: XTASK.into(),
            args: vec!["kdf-probe".into()],
        },
        notes: vec![],
    };
    let mut steps = 0;
    let run = probe::run(options, |total| steps = total, &Quiet).unwrap();
    assert!(steps > 0);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("run.json");
    std::fs::write(&file, serde_json::to_string_pretty(&run).unwrap()).unwrap();
    let reports = dir.path().join("reports");

    let output = xtask_report(&["--add", file.to_str().unwrap()], &reports);
    assert!(output.status.success(), "{output:?}");
    let host = reports.join("tiny-probe");
    assert_eq!(
        std::fs::read_dir(&host).unwrap().count(),
        3,
        "run, page, charts"
    );
    let page = std::fs::read_to_string(host.join("README.md")).unwrap();
    assert!(page.contains("Measured on the device by the lone binary, `e2eb test`"));
    assert!(page.contains("OpenSSL reference"));
    let index = std::fs::read_to_string(reports.join("README.md")).unwrap();
    assert!(
        index.contains("| [tiny-probe](tiny-probe/README.md) |"),
        "{index}"
    );
    assert!(index.contains("`e2eb bench` (lone binary)"), "{index}");
    assert!(std::fs::read_dir(host.join("charts")).unwrap().count() > 0);

    // The same run again would replace the first: refused.
    let output = xtask_report(&["--add", file.to_str().unwrap()], &reports);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("is already there"), "{error}");
}

#[test]
fn a_file_that_is_not_a_run_is_refused_with_what_is_wrong() {
    let dir = TempDir::new().unwrap();
    let reports = dir.path().join("reports");
    for (text, expected) in [
        (
            "{\"schema_version\": 1, \"profile\": \"tiny\"}",
            "not a run file: missing field",
        ),
        (
            "PNG garbage",
            "not a run file: expected value at line 1 column 1",
        ),
    ] {
        let file = dir.path().join("garbage.json");
        std::fs::write(&file, text).unwrap();
        let output = xtask_report(&["--add", file.to_str().unwrap()], &reports);
        assert!(!output.status.success());
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "{error}");
        assert!(!reports.exists(), "nothing written");
    }
}
