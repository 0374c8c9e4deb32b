//! Where secrets come from: recovery-key files and password files (prompts: `prompt.rs`). Every
//! buffer that holds a secret is zeroized when dropped, and no secret is ever printed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use e2eb::secret_file::{password_from_file, recovery_key_from_file};
use e2eb::{Password, RecoveryKey, RecoveryKeyError, SecretFileError};
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
    recovery_key_from_file(&contents).map_err(|error| match error {
        SecretFileError::RecoveryKey(RecoveryKeyError::InvalidCharacter { group, .. }) => {
            Failure::new(format!(
                "recovery key file {label}: a character that is not a hex digit, a space or a \
                 dash, {}; is it the right file?",
                if group > 16 {
                    "after the 64th digit".to_string()
                } else {
                    format!("in group {group}")
                }
            ))
        }
        SecretFileError::NotUtf8 => Failure::new(format!("recovery key file {label} is not text")),
        other => Failure::new(format!("recovery key file {label}: {other}")),
    })
}

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
    password_from_file(&contents).map_err(|error| match error {
        SecretFileError::ByteOrderMark => Failure::new(format!(
            "password file {label} starts with a byte-order mark (U+FEFF); save it without one"
        )),
        SecretFileError::NotUtf8 => Failure::new(format!(
            "password file {label}: the password is not UTF-8 text"
        )),
        other => Failure::new(format!("password file {label}: {other}")),
    })
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
