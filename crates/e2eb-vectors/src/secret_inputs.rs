//! Secret-input vectors: the bytes of a recovery-key file or a password file, and a new password,
//! in; the secret, as the format uses it, out (SPEC.md §2.1 and §2.2). Each expected result is
//! written here by hand from the spec's rules; generating the file checks the reference library
//! against every one, so a rule the library breaks cannot become a vector.

use std::collections::BTreeMap;

use e2eb::secret_file::{password_from_file, recovery_key_from_file};
use e2eb::{Error, Password, RecoveryKey, RecoveryKeyError, SecretFileError};

use crate::model::{Note, SecretInputGroup, SecretInputTest, TestGroup, VectorFile};
use crate::recipe::recovery_key_bytes;

/// Which rule a group of secret-input tests pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretInputKind {
    /// A recovery-key file's bytes in, the key's 32 bytes out.
    RecoveryKeyFile,
    /// A password file's bytes in, the password's UTF-8 bytes out (before normalisation).
    PasswordFile,
    /// A new password's UTF-8 bytes in, the KDF input out: its NFC form; unassigned code points
    /// refused.
    PasswordNormalization,
}

impl SecretInputKind {
    /// The group's `type` in the vector file and in conformance requests.
    pub fn name(self) -> &'static str {
        match self {
            SecretInputKind::RecoveryKeyFile => "RecoveryKeyFile",
            SecretInputKind::PasswordFile => "PasswordFile",
            SecretInputKind::PasswordNormalization => "PasswordNormalization",
        }
    }

    /// The kind and tests of `group`, if it is a secret-input group.
    pub fn of(group: &TestGroup) -> Option<(SecretInputKind, &SecretInputGroup)> {
        match group {
            TestGroup::RecoveryKeyFile(tests) => Some((SecretInputKind::RecoveryKeyFile, tests)),
            TestGroup::PasswordFile(tests) => Some((SecretInputKind::PasswordFile, tests)),
            TestGroup::PasswordNormalization(tests) => {
                Some((SecretInputKind::PasswordNormalization, tests))
            }
            _ => None,
        }
    }
}

/// The outcome of one input: the output bytes, or the error class with its detail.
pub type Outcome = Result<Vec<u8>, (&'static str, Option<usize>)>;

/// What the reference library makes of `input` under the rule of `kind`.
pub fn evaluate(kind: SecretInputKind, input: &[u8]) -> Outcome {
    match kind {
        SecretInputKind::RecoveryKeyFile => recovery_key_from_file(input)
            .map(|key| key.as_bytes().to_vec())
            .map_err(|error| (error.class(), file_error_detail(&error))),
        SecretInputKind::PasswordFile => password_from_file(input)
            .map(|password| password.as_bytes().to_vec())
            .map_err(|error| (error.class(), None)),
        SecretInputKind::PasswordNormalization => {
            let text = std::str::from_utf8(input).map_err(|_| ("NotUtf8", None))?;
            let password = Password::new(text.to_string()).map_err(|e| error_of(&e))?;
            password.check_assigned().map_err(|e| error_of(&e))?;
            Ok(password.kdf_input().as_bytes().to_vec())
        }
    }
}

fn file_error_detail(error: &SecretFileError) -> Option<usize> {
    match error {
        SecretFileError::RecoveryKey(RecoveryKeyError::WrongLength { found }) => Some(*found),
        SecretFileError::RecoveryKey(RecoveryKeyError::InvalidCharacter { group, .. }) => {
            Some(*group)
        }
        _ => None,
    }
}

fn error_of(error: &Error) -> (&'static str, Option<usize>) {
    match error {
        Error::UnassignedInPassword { position, .. } => (error.class(), Some(*position)),
        other => (other.class(), None),
    }
}

/// One hand-written case: comment, flags, input bytes, expected outcome.
struct Case {
    comment: String,
    flags: &'static [&'static str],
    input: Vec<u8>,
    expected: Outcome,
}

fn case(
    comment: &str,
    flags: &'static [&'static str],
    input: impl Into<Vec<u8>>,
    expected: Outcome,
) -> Case {
    Case {
        comment: comment.into(),
        flags,
        input: input.into(),
        expected,
    }
}

fn recovery_key_file_cases() -> Vec<Case> {
    let key = recovery_key_bytes("secret input");
    let shown = RecoveryKey::from_bytes(key).display_grouped().to_string();
    let groups: Vec<&str> = shown.split(' ').collect();
    let lines = |per_line: usize, end: &str| {
        groups
            .chunks(per_line)
            .map(|line| line.join(" "))
            .collect::<Vec<_>>()
            .join(end)
    };
    let valid = || Ok(key.to_vec());
    let keygen_comment = "# e2eb recovery key. Keep it secret: anyone who has it can decrypt the \
                          backups it protects.\n# If it is lost, so are those backups (unless a \
                          password opens them): keep a copy offline.\n";
    let mut latin1 = b"# caf\xe9\n".to_vec();
    latin1.extend_from_slice(shown.as_bytes());
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(shown.encode_utf16().flat_map(u16::to_le_bytes));
    vec![
        case(
            "as e2eb keygen writes it",
            &[],
            format!("{keygen_comment}{shown}\n"),
            valid(),
        ),
        case(
            "CR LF line ends",
            &["LineEnding"],
            format!("{keygen_comment}{shown}\n").replace('\n', "\r\n"),
            valid(),
        ),
        case(
            "a byte-order mark at the start, before a comment, is ignored",
            &["ByteOrderMark"],
            format!("\u{feff}# mine\n{shown}\n"),
            valid(),
        ),
        case(
            "a byte-order mark right before the key is ignored",
            &["ByteOrderMark"],
            format!("\u{feff}{shown}"),
            valid(),
        ),
        case(
            "comments indented by spaces, a tab and a no-break space (all White_Space)",
            &["Comment"],
            format!("  # a\n\t# b\n\u{a0}# c\n{shown}\n"),
            valid(),
        ),
        case(
            "blank lines and lines of white space only",
            &["Comment"],
            format!("\n   \n{shown}\n\t\n\n"),
            valid(),
        ),
        case(
            "the key over four lines, no line break at the end",
            &["LineEnding"],
            lines(4, "\n"),
            valid(),
        ),
        case(
            "a comment line between the two halves of the key",
            &["Comment"],
            format!(
                "{}\n# the other half:\n{}\n",
                lines(8, "\n# the other half:\n")
                    .split('\n')
                    .next()
                    .unwrap(),
                groups[8..].join(" ")
            ),
            valid(),
        ),
        case(
            "a '#' after the key on its line is not a comment: a character after the 64th digit",
            &["Comment", "InvalidCharacter"],
            format!("{shown} # mine\n"),
            Err(("InvalidCharacter", Some(17))),
        ),
        case(
            "U+001C before '#': not White_Space, so the line is not a comment (a trim by another \
             definition of white space would make it one)",
            &["Comment", "InvalidCharacter"],
            format!("\u{1c}# note\n{shown}\n"),
            Err(("InvalidCharacter", Some(1))),
        ),
        case(
            "a comment ended by a lone CR runs on to the next LF and hides the key: lines end at LF",
            &["LineEnding", "WrongLength"],
            format!("# note\r{shown}\n"),
            Err(("WrongLength", Some(0))),
        ),
        case(
            "a comment ended by NEL (U+0085) likewise: NEL is white space, not a line end",
            &["LineEnding", "WrongLength"],
            format!("# note\u{85}{shown}\n"),
            Err(("WrongLength", Some(0))),
        ),
        case(
            "a second byte-order mark is a character of the key text",
            &["ByteOrderMark", "InvalidCharacter"],
            format!("\u{feff}\u{feff}{shown}\n"),
            Err(("InvalidCharacter", Some(1))),
        ),
        case(
            "a byte-order mark after group 4",
            &["ByteOrderMark", "InvalidCharacter"],
            format!(
                "{} \u{feff}{}\n",
                groups[..4].join(" "),
                groups[4..].join(" ")
            ),
            Err(("InvalidCharacter", Some(5))),
        ),
        case(
            "Latin-1 in a comment: the whole file must be UTF-8",
            &["NotUtf8"],
            latin1,
            Err(("NotUtf8", None)),
        ),
        case(
            "UTF-16LE with its byte-order mark is not UTF-8",
            &["NotUtf8"],
            utf16,
            Err(("NotUtf8", None)),
        ),
        case(
            "an empty file",
            &["WrongLength"],
            "",
            Err(("WrongLength", Some(0))),
        ),
        case(
            "comments only",
            &["Comment", "WrongLength"],
            "# nothing here\n",
            Err(("WrongLength", Some(0))),
        ),
        case(
            "a password file given by mistake: 'c' is a hex digit, 'o' is not",
            &["InvalidCharacter"],
            "correct horse battery staple\n",
            Err(("InvalidCharacter", Some(1))),
        ),
    ]
}

fn password_file_cases() -> Vec<Case> {
    let password = "correct horse battery staple";
    let valid = |text: &str| Ok(text.as_bytes().to_vec());
    vec![
        case("one line", &[], format!("{password}\n"), valid(password)),
        case(
            "no line break at the end",
            &["FirstLine"],
            password,
            valid(password),
        ),
        case(
            "CR LF",
            &["FirstLine"],
            format!("{password}\r\n"),
            valid(password),
        ),
        case(
            "later lines are ignored",
            &["FirstLine"],
            "a\nb\n",
            valid("a"),
        ),
        case(
            "a lone CR at the end is taken off",
            &["FirstLine"],
            "a\r",
            valid("a"),
        ),
        case(
            "only one CR is taken off",
            &["FirstLine"],
            "a\r\r\n",
            valid("a\r"),
        ),
        case(
            "a CR inside the line is kept",
            &["FirstLine"],
            "a\rb\n",
            valid("a\rb"),
        ),
        case(
            "spaces and tabs are kept",
            &["FirstLine"],
            "  a\tb  \n",
            valid("  a\tb  "),
        ),
        case(
            "bytes that are not UTF-8 after the first line are never read",
            &["FirstLine"],
            b"pw\n\xff\xfe\n".to_vec(),
            valid("pw"),
        ),
        case(
            "a decomposed accent is kept as typed (the KDF input is its NFC form)",
            &["FirstLine"],
            "cafe\u{301}\n",
            valid("cafe\u{301}"),
        ),
        case(
            "a byte-order mark inside the line is part of the password",
            &["ByteOrderMark"],
            "pass\u{feff}word\n",
            valid("pass\u{feff}word"),
        ),
        case(
            "a file that starts with a byte-order mark is refused",
            &["ByteOrderMark"],
            format!("\u{feff}{password}\n"),
            Err(("ByteOrderMark", None)),
        ),
        case(
            "Latin-1: not UTF-8",
            &["NotUtf8"],
            b"caf\xe9\n".to_vec(),
            Err(("NotUtf8", None)),
        ),
        case(
            "UTF-16LE with its byte-order mark: not UTF-8 (only UTF-8's mark is named)",
            &["NotUtf8"],
            vec![0xff, 0xfe, b'p', 0, b'w', 0],
            Err(("NotUtf8", None)),
        ),
        case(
            "an empty file",
            &["EmptyPassword"],
            "",
            Err(("EmptyPassword", None)),
        ),
        case(
            "a line break only",
            &["EmptyPassword"],
            "\n",
            Err(("EmptyPassword", None)),
        ),
        case(
            "CR LF only",
            &["EmptyPassword"],
            "\r\n",
            Err(("EmptyPassword", None)),
        ),
        case(
            "an empty first line before the password",
            &["EmptyPassword", "FirstLine"],
            format!("\n{password}\n"),
            Err(("EmptyPassword", None)),
        ),
    ]
}

fn normalization_cases() -> Vec<Case> {
    let same = |text: &str| Ok(text.as_bytes().to_vec());
    vec![
        case(
            "ASCII is unchanged",
            &[],
            "correct horse battery staple",
            same("correct horse battery staple"),
        ),
        case(
            "case and spaces are kept",
            &[],
            "  PassWord  ",
            same("  PassWord  "),
        ),
        case(
            "e + U+0301 composes to U+00E9",
            &["Normalization"],
            "cafe\u{301}",
            same("caf\u{e9}"),
        ),
        case(
            "U+00E9 stays",
            &["Normalization"],
            "caf\u{e9}",
            same("caf\u{e9}"),
        ),
        case(
            "the Angstrom sign U+212B becomes U+00C5",
            &["Normalization"],
            "\u{212b}",
            same("\u{c5}"),
        ),
        case(
            "combining marks are reordered, then composed: a + U+0302 + U+0323 is U+1EAD",
            &["Normalization"],
            "a\u{302}\u{323}",
            same("\u{1ead}"),
        ),
        case(
            "Hangul jamo compose into a syllable",
            &["Normalization"],
            "\u{1100}\u{1161}\u{11a8}",
            same("\u{ac01}"),
        ),
        case(
            "a composition exclusion: U+0958 decomposes and does not recompose",
            &["Normalization"],
            "\u{958}",
            same("\u{915}\u{93c}"),
        ),
        case(
            "NFC, not NFKC: a fullwidth A and the ligature fi are kept",
            &["Normalization"],
            "\u{ff21}\u{fb01}",
            same("\u{ff21}\u{fb01}"),
        ),
        case(
            "an emoji ZWJ sequence is kept",
            &[],
            "\u{1f469}\u{200d}\u{1f4bb}",
            same("\u{1f469}\u{200d}\u{1f4bb}"),
        ),
        case(
            "a private-use character is assigned (category Co)",
            &["Unassigned"],
            "\u{e000}",
            same("\u{e000}"),
        ),
        case(
            "U+0378, unassigned in every Unicode version so far, at position 3",
            &["Unassigned"],
            "ab\u{378}",
            Err(("UnassignedInPassword", Some(3))),
        ),
        case(
            "the noncharacter U+FDD0 (category Cn)",
            &["Unassigned"],
            "\u{fdd0}",
            Err(("UnassignedInPassword", Some(1))),
        ),
        case(
            "the noncharacter U+10FFFF at position 2",
            &["Unassigned"],
            "a\u{10ffff}",
            Err(("UnassignedInPassword", Some(2))),
        ),
        case(
            "the empty password",
            &["EmptyPassword"],
            "",
            Err(("EmptyPassword", None)),
        ),
    ]
}

/// The secret-input vector file. Panics if the reference library disagrees with a case: the
/// cases are the spec's rules, and a vector must not pin a bug.
pub fn file() -> VectorFile {
    let mut tc_id = 0;
    let mut groups = Vec::new();
    for (kind, cases) in [
        (SecretInputKind::RecoveryKeyFile, recovery_key_file_cases()),
        (SecretInputKind::PasswordFile, password_file_cases()),
        (
            SecretInputKind::PasswordNormalization,
            normalization_cases(),
        ),
    ] {
        let mut tests = Vec::new();
        for case in cases {
            tc_id += 1;
            let got = evaluate(kind, &case.input);
            assert_eq!(
                got, case.expected,
                "{kind:?} case {tc_id} ({}): the library disagrees with the rule",
                case.comment
            );
            let (result, output, error, detail) = match case.expected {
                Ok(output) => ("valid", Some(hex::encode(output)), None, None),
                Err((class, detail)) => ("invalid", None, Some(class.to_string()), detail),
            };
            tests.push(SecretInputTest {
                tc_id,
                comment: case.comment,
                flags: case.flags.iter().map(|f| f.to_string()).collect(),
                input: hex::encode(&case.input),
                output,
                result: result.into(),
                error,
                detail,
            });
        }
        let group = SecretInputGroup { tests };
        groups.push(match kind {
            SecretInputKind::RecoveryKeyFile => TestGroup::RecoveryKeyFile(group),
            SecretInputKind::PasswordFile => TestGroup::PasswordFile(group),
            SecretInputKind::PasswordNormalization => TestGroup::PasswordNormalization(group),
        });
    }
    let note = |bug: &str, description: &str| Note {
        bug_type: bug.into(),
        description: description.into(),
    };
    let notes: BTreeMap<String, Note> = [
        ("LineEnding", note("FUNCTIONALITY", "Lines end at LF, less one CR before it; no other character ends a line (a lone CR or NEL is white space inside the line).")),
        ("Comment", note("FUNCTIONALITY", "A key-file line that is blank, or whose first character other than White_Space is '#', is a comment; nothing else is.")),
        ("ByteOrderMark", note("FUNCTIONALITY", "A key file's leading U+FEFF is ignored (one, at the very start); a password file that starts with one is refused; elsewhere it is an ordinary character.")),
        ("NotUtf8", note("BASIC", "A key file must be UTF-8 throughout; a password file's first line must be UTF-8.")),
        ("WrongLength", note("BASIC", "The key text holds other than 64 hex digits; detail: how many.")),
        ("InvalidCharacter", note("BASIC", "A character of the key text is neither a hex digit, '-', nor White_Space; detail: its group, min(digits before it / 4 + 1, 17).")),
        ("FirstLine", note("FUNCTIONALITY", "A password file's password is its first line, less one CR at its end; nothing else is trimmed.")),
        ("EmptyPassword", note("BASIC", "The password is empty.")),
        ("Normalization", note("FUNCTIONALITY", "The KDFs receive the password's NFC form (not NFKC), as UTF-8.")),
        ("Unassigned", note("FUNCTIONALITY", "A new password slot refuses a code point of general category Cn (unassigned, noncharacters included); detail: its position, from 1, in code points. Private-use characters are assigned.")),
    ]
    .into_iter()
    .map(|(flag, note)| (flag.to_string(), note))
    .collect();
    VectorFile {
        algorithm: "e2eb-secret-input".into(),
        format_version: 1,
        number_of_tests: tc_id as usize,
        header: vec![
            "How a secret is read (SPEC.md section 2): a recovery-key file's bytes to the key, a password file's bytes to the password, and a new password to the bytes the KDFs receive.".into(),
            "input and output are hex; invalid tests must fail with the error class given (and its detail where there is one).".into(),
        ],
        notes,
        schema: "schema.json".into(),
        test_groups: groups,
    }
}

/// Checks one group against the reference library; returns (passed, failures).
pub fn check_group(kind: SecretInputKind, group: &SecretInputGroup) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for test in &group.tests {
        let got = match hex::decode(&test.input) {
            Err(error) => {
                failures.push(format!(
                    "secret input tc {}: input hex: {error}",
                    test.tc_id
                ));
                continue;
            }
            Ok(input) => evaluate(kind, &input),
        };
        if test.matches(&got) {
            passed += 1;
        } else {
            failures.push(format!(
                "secret input tc {} ({}): got {got:?}, expected {} {:?} {:?} {:?}",
                test.tc_id, test.comment, test.result, test.output, test.error, test.detail
            ));
        }
    }
    (passed, failures)
}

impl SecretInputTest {
    /// Whether `outcome` is what this test expects.
    pub fn matches(&self, outcome: &Outcome) -> bool {
        match outcome {
            Ok(output) => {
                self.result == "valid" && self.output.as_deref() == Some(&hex::encode(output))
            }
            Err((class, detail)) => {
                self.result == "invalid"
                    && self.error.as_deref() == Some(*class)
                    && self.detail == *detail
            }
        }
    }
}
