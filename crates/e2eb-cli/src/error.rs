//! How a failed command is reported: one line for stderr, and an exit status that lets scripts
//! tell a wrong secret from a damaged backup.

use std::fmt;
use std::io;
use std::process::ExitCode;

use e2eb::KdfParameter;

/// The exit statuses documented in `e2eb --help`; 2, for usage errors, is also clap's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Failure = 1,
    Usage = 2,
    WrongSecret = 3,
    BadBackup = 4,
    KdfOverCap = 5,
    /// The key vault could not be reached (no answer, refused connection, timeout).
    VaultUnreachable = 6,
    /// TLS with the key vault failed (untrusted or mismatched certificate, handshake).
    VaultTls = 7,
    /// The key vault holds no key for the backup's account: erased after too many wrong
    /// passwords, or deleted.
    VaultErased = 8,
    /// The key vault's answer was malformed, or it refused the request.
    VaultMalformed = 9,
    /// The server reached is not the vault the backup's vault slot names.
    UnknownVault = 10,
    /// The backup has no vault slot (`--vault` cannot open it).
    NoVaultSlot = 11,
    /// Ctrl-C at a prompt: the status a shell reports for SIGINT (128 + 2).
    Interrupted = 130,
    /// The reader of a pipe went away (`e2eb decrypt -o - | head`): the status a shell reports
    /// for SIGPIPE (128 + 13), and no message, as for the tools killed by that signal.
    ClosedPipe = 141,
}

/// A failed command: the message after `e2eb: error: `, and the exit status.
#[derive(Debug)]
pub struct Failure {
    message: String,
    status: Status,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            status: Status::Failure,
        }
    }

    /// A command line that asks for something impossible or refused: exit status 2, as for
    /// clap's errors.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::with_status(message, Status::Usage)
    }

    /// A failure with its own exit status, for errors of other libraries than e2eb.
    pub fn with_status(message: impl Into<String>, status: Status) -> Failure {
        Failure {
            message: message.into(),
            status,
        }
    }

    /// `action` names the operation and the path, e.g. "cannot open backup.e2eb".
    pub fn io(action: impl fmt::Display, error: &io::Error) -> Failure {
        let status = if error.kind() == io::ErrorKind::BrokenPipe {
            Status::ClosedPipe
        } else {
            Status::Failure
        };
        Failure::with_status(format!("{action}: {}", describe_io(error)), status)
    }

    /// A library error met while handling `subject` (the backup's name, or `None` where the
    /// error is not about one input).
    pub fn library(error: e2eb::Error, subject: Option<&str>) -> Failure {
        let status = match &error {
            e2eb::Error::Io(io_error) if io_error.kind() == io::ErrorKind::BrokenPipe => {
                Status::ClosedPipe
            }
            e2eb::Error::NoSlotOpened { .. } => Status::WrongSecret,
            e2eb::Error::KdfOverCap { .. } | e2eb::Error::KdfMemory { .. } => Status::KdfOverCap,
            e2eb::Error::NotABackup
            | e2eb::Error::UnsupportedVersion { .. }
            | e2eb::Error::UnsupportedSuite(_)
            | e2eb::Error::MalformedHeader(_)
            | e2eb::Error::MalformedSlot { .. }
            | e2eb::Error::SlotCorrupt { .. }
            | e2eb::Error::HeaderAltered
            | e2eb::Error::ChunkCorrupt { .. }
            | e2eb::Error::Truncated(_)
            | e2eb::Error::MessageTooLong => Status::BadBackup,
            _ => Status::Failure,
        };
        let message = match &error {
            e2eb::Error::Io(io_error) => match LabelledIoError::find(io_error) {
                // The reader or writer adapter already said which path failed.
                Some(labelled) => labelled.to_string(),
                None => match subject {
                    Some(subject) => format!("{subject}: {}", describe_io(io_error)),
                    None => describe_io(io_error),
                },
            },
            e2eb::Error::KdfOverCap { exceeded, .. } => {
                let hint = cap_flag(exceeded.parameter)
                    .map(|flag| format!(" (with {flag})"))
                    .unwrap_or_default();
                with_subject(subject, format!("{error}{hint}"))
            }
            _ => with_subject(subject, error.to_string()),
        };
        Failure { message, status }
    }

    /// This failure with `note` appended to its message, same exit status.
    pub fn with_note(mut self, note: &str) -> Failure {
        self.message.push_str(note);
        self
    }

    /// Adds a line that says what the person probably meant to do.
    pub fn with_hint(mut self, hint: &str) -> Failure {
        self.message = format!("{}\ne2eb: hint: {hint}", self.message);
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the failure is worth a message: a closed pipe is not (its reader has gone, and
    /// the one who closed it knows).
    pub fn is_reported(&self) -> bool {
        self.status != Status::ClosedPipe
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.status as u8)
    }
}

fn with_subject(subject: Option<&str>, message: String) -> String {
    match subject {
        Some(subject) => format!("{subject}: {message}"),
        None => message,
    }
}

/// The decrypt flag that raises the cap of `parameter`, where there is one.
pub fn cap_flag(parameter: KdfParameter) -> Option<&'static str> {
    match parameter {
        KdfParameter::Memory => Some("--max-kdf-memory"),
        KdfParameter::Argon2Passes => Some("--max-argon2-t"),
        KdfParameter::Argon2Lanes => Some("--max-argon2-p"),
        KdfParameter::ScryptLogN => Some("--max-scrypt-log-n"),
        KdfParameter::ScryptR => Some("--max-scrypt-r"),
        KdfParameter::ScryptP => Some("--max-scrypt-p"),
        KdfParameter::Work => Some("--max-kdf-work"),
        KdfParameter::BackupWork => Some("--max-backup-kdf-work"),
        KdfParameter::PasswordSlots => Some("--max-password-slots"),
        _ => None,
    }
}

/// The OS's description of an I/O error without Rust's " (os error N)" suffix, which says
/// nothing to a person.
pub fn describe_io(error: &io::Error) -> String {
    if let Some(labelled) = LabelledIoError::find(error) {
        return describe_io(&labelled.source);
    }
    let text = error.to_string();
    match (error.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(cut)) => text[..cut].to_string(),
        _ => text,
    }
}

/// An I/O error tagged with what was being done to which path, so that one the library passes
/// back as `e2eb::Error::Io` still says whether reading IN or writing OUT failed.
#[derive(Debug)]
pub struct LabelledIoError {
    action: String,
    source: io::Error,
}

impl LabelledIoError {
    /// Wraps `source` for travel through the library, keeping its kind so that retry logic on
    /// `Interrupted` still works.
    pub fn wrap(action: &str, source: io::Error) -> io::Error {
        if source.kind() == io::ErrorKind::Interrupted {
            return source;
        }
        let kind = source.kind();
        io::Error::new(
            kind,
            LabelledIoError {
                action: action.to_string(),
                source,
            },
        )
    }

    fn find(error: &io::Error) -> Option<&LabelledIoError> {
        error.get_ref()?.downcast_ref::<LabelledIoError>()
    }
}

impl fmt::Display for LabelledIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, describe_io(&self.source))
    }
}

impl std::error::Error for LabelledIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_lose_their_number() {
        let error = io::Error::from_raw_os_error(2);
        assert_eq!(describe_io(&error), "No such file or directory");
    }

    #[test]
    fn labelled_errors_survive_the_library() {
        let wrapped =
            LabelledIoError::wrap("cannot write out.bin", io::Error::from_raw_os_error(28));
        let failure = Failure::library(e2eb::Error::from_io(wrapped), Some("in.e2eb"));
        assert_eq!(
            failure.message(),
            "cannot write out.bin: No space left on device"
        );
    }

    #[test]
    fn wrong_secret_and_damage_have_their_own_status() {
        let wrong = Failure::library(
            e2eb::Error::NoSlotOpened {
                secret: e2eb::SecretKind::Password,
                tried: 1,
                unknown: 0,
            },
            None,
        );
        assert_eq!(wrong.status, Status::WrongSecret);
        let damaged = Failure::library(e2eb::Error::HeaderAltered, None);
        assert_eq!(damaged.status, Status::BadBackup);
    }
}
