//! Secret files: how a recovery key or a password is read from a file's bytes (SPEC.md §2.1 and
//! §2.2). The rules live in the library, beside the parsers of the secrets themselves, so that
//! every tool built on it reads the same file into the same secret; `vectors/` pins them.

use zeroize::Zeroizing;

use crate::recovery_key::{RecoveryKey, RecoveryKeyError};

/// U+FEFF, which some editors write at the start of a text file.
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// Why a secret file gives no secret. No variant holds the file's characters: a password file
/// given as a key file, say, must not be echoed in an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The bytes that hold the secret are not UTF-8 (for a recovery-key file: any of them).
    #[error("the secret is not UTF-8 text")]
    NotUtf8,
    /// A password file starts with the UTF-8 byte-order mark, which would silently become part
    /// of the password if kept, and open another backup than another tool if dropped.
    #[error("it starts with a byte-order mark (U+FEFF); save it without one")]
    ByteOrderMark,
    /// A password file's first line is empty.
    #[error("the first line is empty; it must hold the password")]
    EmptyPassword,
    /// The lines of a recovery-key file that are not comments do not hold a recovery key.
    #[error(transparent)]
    RecoveryKey(#[from] RecoveryKeyError),
}

impl SecretFileError {
    /// A stable name for the kind of error, as the secret-input test vectors use it:
    /// `NotUtf8`, `ByteOrderMark`, `EmptyPassword`, or the recovery key's `WrongLength` and
    /// `InvalidCharacter`.
    pub fn class(&self) -> &'static str {
        match self {
            SecretFileError::NotUtf8 => "NotUtf8",
            SecretFileError::ByteOrderMark => "ByteOrderMark",
            SecretFileError::EmptyPassword => "EmptyPassword",
            SecretFileError::RecoveryKey(RecoveryKeyError::WrongLength { .. }) => "WrongLength",
            SecretFileError::RecoveryKey(RecoveryKeyError::InvalidCharacter { .. }) => {
                "InvalidCharacter"
            }
        }
    }
}

/// The recovery key in a recovery-key file's `contents` (SPEC.md §2.1): UTF-8 text whose
/// leading byte-order mark is ignored; lines end with LF or CR LF; a line that is blank, or whose
/// first character other than white space is `#`, is a comment; the other lines, joined, are
/// parsed as [`RecoveryKey::parse`] does.
pub fn recovery_key_from_file(contents: &[u8]) -> Result<RecoveryKey, SecretFileError> {
    let text = std::str::from_utf8(contents).map_err(|_| SecretFileError::NotUtf8)?;
    let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    Ok(RecoveryKey::parse(&key_lines(text))?)
}

/// The lines of a key file's `text` that are not comments, trimmed, each followed by a line
/// feed, in a buffer reserved up front for all of them: one byte more than `text`, for the line
/// feed after a last line that has none, so that it never grows and leaves a copy behind.
fn key_lines(text: &str) -> Zeroizing<String> {
    let mut key_text = Zeroizing::new(String::with_capacity(text.len() + 1));
    // `lines` ends lines at LF, less one CR before it; `trim` takes off characters with the
    // White_Space property, the set the key parser ignores, so a comment is recognised exactly
    // where the key parser would skip what precedes the `#`.
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        key_text.push_str(trimmed);
        key_text.push('\n');
    }
    key_text
}

/// The password in a password file's `contents` (SPEC.md §2.2), as text: the bytes before the
/// first LF (all of them when there is none), less one CR at their end. A file that starts with
/// a byte-order mark, a first line that is not UTF-8 and an empty first line are refused. The
/// text is what the user typed; the KDFs receive its NFC form ([`crate::Password`]).
pub fn password_from_file(contents: &[u8]) -> Result<Zeroizing<String>, SecretFileError> {
    let first_line = match contents.iter().position(|&byte| byte == b'\n') {
        Some(end) => &contents[..end],
        None => contents,
    };
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    if first_line.starts_with(BYTE_ORDER_MARK.as_bytes()) {
        return Err(SecretFileError::ByteOrderMark);
    }
    let text = std::str::from_utf8(first_line).map_err(|_| SecretFileError::NotUtf8)?;
    if text.is_empty() {
        return Err(SecretFileError::EmptyPassword);
    }
    // Reserved at full size, so that the copy never grows and leaves a piece behind.
    let mut password = Zeroizing::new(String::with_capacity(text.len()));
    password.push_str(text);
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_never_grow_their_buffer() {
        for text in [
            "0123 4567",
            "# comment\n0123 4567",
            "0123\n4567\n",
            "  0123  \r\n4567",
        ] {
            let lines = key_lines(text);
            assert_eq!(lines.capacity(), text.len() + 1, "{text:?} reallocated");
            assert_eq!(lines.replace(['\n', ' '], ""), "01234567", "{text:?}");
        }
    }

    #[test]
    fn a_password_is_its_first_line_less_one_carriage_return() {
        for (file, password) in [
            (&b"a\r"[..], "a"),
            (b"a\r\r\n", "a\r"),
            (b"a\nb", "a"),
            (b"a\r\nb\r\n", "a"),
            (b"  a b  ", "  a b  "),
            (b"a\n\xff", "a"),
        ] {
            let got = password_from_file(file).unwrap();
            assert_eq!(got.as_str(), password, "{file:?}");
            assert_eq!(
                got.capacity(),
                password.len(),
                "{file:?} copied with room to grow"
            );
        }
    }

    #[test]
    fn a_password_file_that_is_not_utf8_starts_with_a_mark_or_is_empty_is_refused() {
        for (file, error) in [
            (&b"caf\xe9\n"[..], SecretFileError::NotUtf8),
            (b"\xff", SecretFileError::NotUtf8),
            (b"\xef\xbb\xbfpassword\n", SecretFileError::ByteOrderMark),
            (b"", SecretFileError::EmptyPassword),
            (b"\r\n", SecretFileError::EmptyPassword),
            (b"\npassword", SecretFileError::EmptyPassword),
        ] {
            assert_eq!(password_from_file(file).unwrap_err(), error, "{file:?}");
        }
    }

    #[test]
    fn a_key_file_that_is_not_utf8_is_refused_even_in_a_comment() {
        let key = RecoveryKey::from_bytes([7; 32]).display_grouped();
        let mut file = b"# caf\xe9\n".to_vec();
        file.extend_from_slice(key.as_bytes());
        assert_eq!(
            recovery_key_from_file(&file).unwrap_err(),
            SecretFileError::NotUtf8
        );
        let file = format!("\u{feff}  # note\r\n\r\n{}\r\n", key.as_str());
        assert_eq!(
            recovery_key_from_file(file.as_bytes()).unwrap().as_bytes(),
            &[7; 32]
        );
    }
}
