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
