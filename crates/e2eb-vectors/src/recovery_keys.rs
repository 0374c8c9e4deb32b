//! Recovery-key parsing vectors: how a typed key must be read (SPEC.md section 2.1).

use std::collections::BTreeMap;

use e2eb::{RecoveryKey, RecoveryKeyError};

use crate::model::{Note, RecoveryKeyGroup, RecoveryKeyTest, TestGroup, VectorFile};
use crate::recipe::recovery_key_bytes;

/// The error class the vectors give a recovery-key parse error, with its detail: the digits
/// found (`WrongLength`) or the group of the bad character (`InvalidCharacter`).
pub fn error_class(error: &RecoveryKeyError) -> (&'static str, Option<usize>) {
    match error {
        RecoveryKeyError::WrongLength { found } => ("WrongLength", Some(*found)),
        RecoveryKeyError::InvalidCharacter { group, .. } => ("InvalidCharacter", Some(*group)),
        // An error of a later library version, which no vector expects.
        _ => ("Unclassified", None),
    }
}

/// The recovery-key parsing vector file.
pub fn file() -> VectorFile {
    let key = recovery_key_bytes("recovery key parsing");
    let hex_key = hex::encode(key);
    let groups: Vec<&str> = (0..16).map(|g| &hex_key[4 * g..4 * g + 4]).collect();
    let shown = groups.join(" ");
    let with_char_at = |digit: usize, replacement: &str| {
        let mut text = hex_key.clone();
        text.replace_range(digit..digit + 1, replacement);
        text
    };
    let cases: Vec<(&str, &[&str], String)> = vec![
        (
            "as displayed: 16 groups of 4, lower case",
            &[],
            shown.clone(),
        ),
        ("upper case", &["Formatting"], shown.to_uppercase()),
        ("no separators", &["Formatting"], hex_key.clone()),
        ("dashes between groups", &["Formatting"], groups.join("-")),
        (
            "groups of 8 with double spaces",
            &["Formatting"],
            (0..8)
                .map(|g| &hex_key[8 * g..8 * g + 8])
                .collect::<Vec<_>>()
                .join("  "),
        ),
        (
            "four lines with CR LF",
            &["Formatting"],
            groups
                .chunks(4)
                .map(|l| l.join(" "))
                .collect::<Vec<_>>()
                .join("\r\n"),
        ),
        (
            "leading and trailing white space and tabs",
            &["Formatting"],
            format!(" \t{shown}\n\n"),
        ),
        (
            "dashes and spaces mixed, doubled",
            &["Formatting"],
            groups.join(" - "),
        ),
        (
            "no-break spaces (U+00A0) between groups, as pasted from a phone",
            &["Formatting"],
            groups.join("\u{a0}"),
        ),
        (
            "ideographic spaces (U+3000) and a narrow no-break space (U+202F)",
            &["Formatting"],
            format!(
                "{}\u{202f}{}",
                groups[..8].join("\u{3000}"),
                groups[8..].join("\u{3000}")
            ),
        ),
        ("63 digits", &["WrongLength"], hex_key[..63].to_string()),
        ("65 digits", &["WrongLength"], format!("{hex_key}a")),
        ("empty", &["WrongLength"], String::new()),
        ("only separators", &["WrongLength"], " - - ".into()),
        (
            "32 digits: half a key",
            &["WrongLength"],
            hex_key[..32].to_string(),
        ),
        (
            "the letter g in group 1",
            &["InvalidCharacter"],
            with_char_at(2, "g"),
        ),
        (
            "the letter O for zero in group 9",
            &["InvalidCharacter"],
            with_char_at(33, "O"),
        ),
        (
            "a colon between groups after group 16's first digit",
            &["InvalidCharacter"],
            with_char_at(61, ":"),
        ),
        (
            "underscores between groups: the first one follows group 1",
            &["InvalidCharacter"],
            groups.join("_"),
        ),
        (
            "a 63-digit key with a letter z: the invalid character wins over the length",
            &["InvalidCharacter", "WrongLength"],
            format!("{}z", &hex_key[..63]),
        ),
        (
            "a fullwidth digit in group 16",
            &["InvalidCharacter"],
            with_char_at(63, "\u{ff11}"),
        ),
        ("a 0x prefix", &["InvalidCharacter"], format!("0x{hex_key}")),
        (
            "a period after the key: group 17, after the last group",
            &["InvalidCharacter"],
            format!("{shown}."),
        ),
        (
            "a period after 72 digits: still group 17, not 19 (every place after the 64th \
             digit is group 17)",
            &["InvalidCharacter", "WrongLength"],
            format!("{shown} 0123 4567."),
        ),
    ];
    let tests = cases
        .into_iter()
        .zip(1..)
        .map(|((comment, flags, text), tc_id)| {
            let mut test = RecoveryKeyTest {
                tc_id,
                comment: comment.into(),
                flags: flags.iter().map(|f| f.to_string()).collect(),
                text: text.clone(),
                key: None,
                result: "valid".into(),
                error: None,
                detail: None,
            };
            match RecoveryKey::parse(&text) {
                Ok(parsed) => test.key = Some(hex::encode(parsed.as_bytes())),
                Err(error) => {
                    let (class, detail) = error_class(&error);
                    test.result = "invalid".into();
                    test.error = Some(class.into());
                    test.detail = detail;
                }
            }
            test
        })
        .collect::<Vec<_>>();
    let note = |bug: &str, description: &str| Note {
        bug_type: bug.into(),
        description: description.into(),
    };
    let notes: BTreeMap<String, Note> = [
        ("Formatting", note("FUNCTIONALITY", "Case, spaces, tabs, line breaks and dashes must be accepted anywhere.")),
        ("WrongLength", note("BASIC", "Not 64 hex digits: report how many were found (detail).")),
        ("InvalidCharacter", note("BASIC", "A character that is neither a hex digit nor a separator: report the 4-digit group it falls in, min(digits before it / 4 + 1, 17) (detail: 1..16, or 17 anywhere after the 64th digit). The first such character is reported, before the length is checked.")),
    ]
    .into_iter()
    .map(|(flag, note)| (flag.to_string(), note))
    .collect();
    VectorFile {
        algorithm: "e2eb-recovery-key".into(),
        format_version: 1,
        number_of_tests: tests.len(),
        header: vec!["Parsing a recovery key as a person types it (SPEC.md section 2.1).".into()],
        notes,
        schema: "schema.json".into(),
        test_groups: vec![TestGroup::RecoveryKeyParsing(RecoveryKeyGroup { tests })],
    }
}
