//! Where secrets come from: recovery-key files and password files (prompts: `prompt.rs`). Every
//! buffer that holds a secret is zeroized when dropped, and no secret is ever printed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use e2eb::{Password, RecoveryKey};
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

/// Reads a recovery key from a file: blank lines and lines starting with `#` are ignored, the
/// rest is parsed as the key (any case, with spaces and dashes).
pub fn read_recovery_key_file(path: &Path) -> Result<RecoveryKey, Failure> {
    let label = path.display();
    let contents = read_secret_file(path, "recovery key file")?;
    let text = std::str::from_utf8(&contents)
        .map_err(|_| Failure::new(format!("recovery key file {label} is not text")))?;
    let mut key_text = Zeroizing::new(String::with_capacity(text.len()));
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        key_text.push_str(trimmed);
        key_text.push('\n');
    }
    RecoveryKey::parse(&key_text)
        .map_err(|error| Failure::new(format!("recovery key file {label}: {error}")))
}

/// Reads the password on the first line of `path` (without its line ending).
pub fn read_password_file(path: &Path) -> Result<Password, Failure> {
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
    Password::new(text.to_string())
        .map_err(|error| Failure::new(format!("password file {label}: {error}")))
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
