//! The conformance runner itself: a correct implementation (the reference, through its protocol
//! program) passes every vector; wrong ones are caught.

use std::time::Duration;

use e2eb_vectors::check::{CheckOptions, check};

fn options(command: String) -> CheckOptions {
    CheckOptions {
        command,
        skip_slow: true,
        any_error_class: false,
        timeout: Duration::from_secs(60),
        streaming: true,
    }
}

#[test]
fn the_reference_program_passes_every_vector() {
    let files = e2eb_vectors::generate::generate().unwrap();
    let verdicts = check(
        &files,
        &options(env!("CARGO_BIN_EXE_e2eb-conformance").to_string()),
        |_| {},
    );
    let failed: Vec<_> = verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| format!("{} {}", v.id, v.got))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(verdicts.len() > 250);
}

#[test]
fn wrong_answers_fail() {
    let files = e2eb_vectors::generate::generate().unwrap();
    let keys = vec![files[1].clone()];
    let count = |command: &str, any_error_class: bool| {
        let options = CheckOptions {
            any_error_class,
            ..options(command.into())
        };
        check(&keys, &options, |_| {})
            .iter()
            .filter(|v| !v.passed)
            .count()
    };
    let total = keys[0].1.number_of_tests;
    // Says every key is valid with the wrong bytes: every test fails.
    assert_eq!(
        count(r#"echo '{"result": "valid", "key": "00"}'"#, false),
        total
    );
    // Refuses everything with the wrong kind of error: only the valid tests fail, unless any
    // error class is accepted... and the detail is missing.
    let refuses = r#"echo '{"result": "invalid", "error": "WrongLength"}'"#;
    let invalid = keys[0]
        .1
        .test_groups
        .iter()
        .map(|g| match g {
            e2eb_vectors::model::TestGroup::RecoveryKeyParsing(g) => {
                g.tests.iter().filter(|t| t.result == "invalid").count()
            }
            _ => 0,
        })
        .sum::<usize>();
    assert_eq!(count(refuses, true), total - invalid);
    assert_eq!(count(refuses, false), total);
    // A program that prints nothing, or crashes, fails every test.
    assert_eq!(count("true", false), total);
    assert_eq!(count("exit 3", false), total);
}

#[test]
fn the_reference_program_opens_the_crypt15_vectors_and_streams_within_the_flags() {
    let files = e2eb_vectors::generate::generate().unwrap();
    let verdicts = check(
        &files,
        &options(env!("CARGO_BIN_EXE_e2eb-conformance").to_string()),
        |_| {},
    );
    let crypt15: Vec<_> = verdicts
        .iter()
        .filter(|v| v.id.starts_with("crypt15"))
        .collect();
    assert!(crypt15.len() > 20, "{}", crypt15.len());
    assert!(crypt15.iter().all(|v| v.passed && !v.skipped));
}

/// A backup test of the generated vectors with (or without) `PartialPlaintext`.
fn backup_test(partial: bool) -> e2eb_vectors::model::BackupTest {
    let files = e2eb_vectors::generate::generate().unwrap();
    files
        .iter()
        .flat_map(|(_, file)| &file.test_groups)
        .filter_map(|group| match group {
            e2eb_vectors::model::TestGroup::BackupDecryption(group) => Some(&group.tests),
            _ => None,
        })
        .flatten()
        .find(|test| !test.is_valid() && test.has("PartialPlaintext") == partial)
        .cloned()
        .expect("such a test")
}

#[test]
fn releases_are_judged_by_the_partial_plaintext_flag() {
    use e2eb_vectors::check::{Released, released_problem, sha512_hex};
    let released = |msg_length: u64, msg_sha512: &str| Released {
        msg_length,
        msg_sha512: msg_sha512.to_string(),
    };
    let nothing = released(0, &sha512_hex(b""));

    let partial = backup_test(true);
    let prefix = partial.msg_length.unwrap();
    let prefix_sha = partial.msg_sha512.clone().unwrap();
    assert!(prefix > 0);
    assert_eq!(released_problem(&partial, &nothing), None);
    assert_eq!(
        released_problem(&partial, &released(prefix, &prefix_sha)),
        None
    );
    assert!(released_problem(&partial, &released(prefix, &sha512_hex(b"other"))).is_some());
    assert!(released_problem(&partial, &released(prefix + 1, &prefix_sha)).is_some());
    assert!(released_problem(&partial, &released(prefix - 1, &prefix_sha)).is_some());

    let whole = backup_test(false);
    assert_eq!(released_problem(&whole, &nothing), None);
    assert!(released_problem(&whole, &released(1, &sha512_hex(b"x"))).is_some());
}

#[test]
fn streaming_and_crypt15_answers_are_checked() {
    let files = e2eb_vectors::generate::generate().unwrap();
    let run = |command: &str, streaming: bool| {
        let options = CheckOptions {
            streaming,
            ..options(command.into())
        };
        check(&files, &options, |_| {})
    };
    // Refuses every backup, saying it released a megabyte first: every invalid backup test fails
    // for what it released.
    let leaky = run(
        r#"echo '{"result": "invalid", "error": "ChunkCorrupt", "released": {"msgLength": 1048576, "msgSha512": "00"}}'"#,
        false,
    );
    let released_too_much = leaky
        .iter()
        .filter(|v| v.got.contains("released 1048576 bytes"))
        .count();
    assert!(released_too_much > 20, "{released_too_much}");
    // Says nothing of what it released: fine, unless streaming is checked.
    let silent = r#"echo '{"result": "invalid", "error": "ChunkCorrupt"}'"#;
    assert!(
        !run(silent, false)
            .iter()
            .any(|v| v.got.contains("released"))
    );
    assert!(
        run(silent, true)
            .iter()
            .any(|v| v.got.contains("without `released`"))
    );
    // Knows no crypt15: those are skipped, but `unsupported` is no answer for an e2eb backup.
    let unsupported = run(r#"echo '{"result": "unsupported"}'"#, false);
    for verdict in &unsupported {
        if verdict.id.starts_with("crypt15") {
            assert!(verdict.skipped && verdict.passed, "{verdict:?}");
        } else {
            assert!(!verdict.passed && !verdict.skipped, "{verdict:?}");
        }
    }
}
