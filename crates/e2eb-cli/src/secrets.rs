//! Where secrets come from: recovery-key files and password files (prompts: `prompt.rs`). Every
//! buffer that holds a secret is zeroized when dropped, and no secret is ever printed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use e2eb::{Password, RecoveryKey, RecoveryKeyError};
use zeroize::Zeroizing;

use crate::error::Failure;
use crate::input::is_standard_stream;

/// Secret files are small; a larger one is some other file given by mistake (a backup, say),
/// and is not read into memory whole.
const LONGEST_SECRET_FILE: usize = 64 * 1024;

/// The text of a recovery-key file as `e2eb keygen -o` writes it.
pub fn recovery_key_file_text(key: &RecoveryKey) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(512));
    text.push_str(
        "# e2eb recovery key. Keep it secret: anyone who has it can decrypt the backups it \
         protects.\n# If it is lost, so are those backups (unless a password opens them): keep \
         a copy offline.\n",
    );
    text.push_str(&key.display_grouped());
    text.push('\n');
    text
}

/// Reads a recovery key from a file (SPEC.md, "Recovery key"): a leading byte-order mark is
/// ignored, lines end with LF or CRLF, blank lines and lines whose first character other than
/// white space is `#` are comments, the rest is parsed as the key (any case, with spaces and
/// dashes). Errors never quote the file's characters: it may be a password file given by
/// mistake.
pub fn read_recovery_key_file(path: &Path) -> Result<RecoveryKey, Failure> {
    if is_standard_stream(path) {
        // Not "no such file -": say what is meant, and what works instead.
        return Err(Failure::new(
            "--recovery-key-file cannot read stdin as `-`; use a file, or /dev/stdin",
        ));
    }
    let label = path.display();
    let contents = read_secret_file(path, "recovery key file")?;
    let text = std::str::from_utf8(&contents)
        .map_err(|_| Failure::new(format!("recovery key file {label} is not text")))?;
    let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    let key_text = key_lines(text);
    RecoveryKey::parse(&key_text).map_err(|error| match error {
        RecoveryKeyError::InvalidCharacter { group, .. } => Failure::new(format!(
            "recovery key file {label}: a character that is not a hex digit, a space or a dash, \
             {}; is it the right file?",
            if group > 16 {
                "after the 64th digit".to_string()
            } else {
                format!("in group {group}")
            }
        )),
        other => Failure::new(format!("recovery key file {label}: {other}")),
    })
}

/// The lines of a key file's `text` that are not comments, trimmed, each followed by a line
/// feed, in a buffer reserved up front for all of them: one byte more than `text`, for the line
/// feed after a last line that has none, so that it never grows and leaves a copy behind.
fn key_lines(text: &str) -> Zeroizing<String> {
    let mut key_text = Zeroizing::new(String::with_capacity(text.len() + 1));
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

/// U+FEFF, which some editors write at the start of a text file.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// Reads the password on the first line of `path` (SPEC.md, "Passwords"): the bytes before the
/// first LF, less one CR at their end; a leading byte-order mark, text that is not UTF-8 and
/// an empty first line are refused.
pub fn read_password_file(path: &Path) -> Result<Password, Failure> {
    let text = read_password_text(path)?;
    Password::new(text.to_string())
        .map_err(|error| Failure::new(format!("password file {}: {error}", path.display())))
}

/// The password on the first line of `path`, by the rules of [`read_password_file`], as text
/// (for a key vault, which takes the password itself rather than a KDF's input).
pub fn read_password_text(path: &Path) -> Result<Zeroizing<String>, Failure> {
    if is_standard_stream(path) {
        // Stdin may carry the data being encrypted or decrypted; taking the password from it
        // too would silently mix the two.
        return Err(Failure::new(
            "--password-file cannot read stdin; use a file, or /dev/fd/N for a descriptor",
        ));
    }
    let label = path.display();
    let contents = read_secret_file(path, "password file")?;
    let first_line = match contents.iter().position(|&byte| byte == b'\n') {
        Some(end) => &contents[..end],
        None => &contents[..],
    };
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    // Taken as part of the password, an editor's byte-order mark would make a password that
    // differs from the one typed everywhere else; dropped silently, it would open a different
    // backup than another tool that keeps it. Refused (SPEC.md, "Passwords").
    if first_line.starts_with("\u{feff}".as_bytes()) {
        return Err(Failure::new(format!(
            "password file {label} starts with a byte-order mark (U+FEFF); save it without one"
        )));
    }
    let text = std::str::from_utf8(first_line).map_err(|_| {
        Failure::new(format!(
            "password file {label}: the password is not UTF-8 text"
        ))
    })?;
    if text.is_empty() {
        return Err(Failure::new(format!(
            "password file {label}: the first line is empty; it must hold the password"
        )));
    }
    // Reserved at full size, so that the copy never grows and leaves a piece behind.
    let mut password = Zeroizing::new(String::with_capacity(text.len()));
    password.push_str(text);
    Ok(password)
}

/// Reads a small file that holds a secret into memory that is zeroized when dropped; `what`
/// names it in errors ("password file").
pub fn read_secret_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let label = path.display();
    let file = File::open(path)
        .map_err(|error| Failure::io(format!("cannot open {what} {label}"), &error))?;
    // Allocated once at full size so that no reallocation leaves a copy of the secret behind.
    let mut contents = Zeroizing::new(Vec::with_capacity(LONGEST_SECRET_FILE + 1));
    file.take(LONGEST_SECRET_FILE as u64 + 1)
        .read_to_end(&mut contents)
        .map_err(|error| Failure::io(format!("cannot read {what} {label}"), &error))?;
    if contents.len() > LONGEST_SECRET_FILE {
        return Err(Failure::new(format!(
            "{what} {label} is larger than {} KiB; is it the right file?",
            LONGEST_SECRET_FILE / 1024
        )));
    }
    Ok(contents)
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
}
