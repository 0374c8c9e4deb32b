//! Hints for two likely mix-ups: a WhatsApp backup given to `e2eb decrypt`, and a recovery-key
//! file given where a password file is expected.

use std::path::Path;

use crate::error::Failure;
use crate::secrets;

/// File name endings of WhatsApp's encrypted backups, which `e2eb whatsapp` opens.
const WHATSAPP_ENDINGS: [&str; 3] = [".crypt15", ".crypt14", ".crypt12"];

/// What to do instead, where `error` says IN is no e2eb backup and IN looks like WhatsApp's.
pub fn not_a_backup(input: Option<&Path>, error: &e2eb::Error) -> Option<String> {
    if !matches!(error, e2eb::Error::NotABackup) {
        return None;
    }
    let name = input?.file_name()?.to_string_lossy().to_ascii_lowercase();
    WHATSAPP_ENDINGS
        .iter()
        .any(|ending| name.ends_with(ending))
        .then(|| {
            "this looks like a WhatsApp backup: open a .crypt15 with `e2eb whatsapp decrypt` \
             and its 64-digit key (see `e2eb whatsapp --help`)"
                .to_owned()
        })
}

/// Refuses a `--password-file` that holds a recovery key, as `e2eb keygen` writes it: its first
/// line would silently become the password. Only regular files are looked at: a pipe
/// (/dev/fd/N) can be read only once.
pub fn refuse_recovery_key_as_password(path: &Path) -> Result<(), Failure> {
    let is_regular_file = std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file());
    if !is_regular_file {
        return Ok(());
    }
    // Unreadable: the password file's own reading reports it.
    let Ok(contents) = secrets::read_secret_file(path, "password file") else {
        return Ok(());
    };
    if holds_recovery_key(&contents) {
        let label = path.display();
        return Err(Failure::usage(format!(
            "--password-file {label} holds a recovery key, not a password: use \
             --recovery-key-file {label}"
        )));
    }
    Ok(())
}

/// Whether `contents` is a recovery-key file: the comment `e2eb keygen` writes, or a key alone.
fn holds_recovery_key(contents: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(contents) else {
        return false;
    };
    if text.starts_with("# e2eb recovery key") {
        return true;
    }
    e2eb::secret_file::recovery_key_from_file(contents).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use e2eb::RecoveryKey;

    #[test]
    fn recovery_key_files_are_recognised() {
        let key = RecoveryKey::generate().unwrap();
        let file = secrets::recovery_key_file_text(&key);
        assert!(holds_recovery_key(file.as_bytes()));
        assert!(holds_recovery_key(key.display_grouped().as_bytes()));
        assert!(!holds_recovery_key(b"correct horse battery staple\n"));
        assert!(!holds_recovery_key(b""));
    }

    #[test]
    fn whatsapp_backups_get_a_hint_only_when_not_a_backup() {
        let path = Path::new("/sdcard/msgstore.db.crypt15");
        assert!(not_a_backup(Some(path), &e2eb::Error::NotABackup).is_some());
        assert!(not_a_backup(Some(path), &e2eb::Error::HeaderAltered).is_none());
        assert!(not_a_backup(Some(Path::new("x.e2eb")), &e2eb::Error::NotABackup).is_none());
    }
}
