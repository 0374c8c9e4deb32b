//! Prompts on the controlling terminal (/dev/tty, not stdin or stdout, which may carry data)
//! for passwords and recovery keys, typed without echo. A mistyped answer gets another try, up
//! to [`TRIES`]; Ctrl-C ends the run with status 130, Ctrl-D ends the prompt's line.

use std::io::{self, Write};
use std::sync::Mutex;
use std::time::Duration;

use e2eb::{Password, RecoveryKey};
use zeroize::Zeroizing;

use crate::error::{Failure, Status};

/// Tries at one prompt before the run gives up.
pub const TRIES: usize = 3;

/// Asks for a new password for the key slot at `slot_index` (counted from 0, as `e2eb inspect`
/// and the errors count slots), twice; an empty password or two that differ are asked again.
pub fn new_password(slot_index: usize) -> Result<Password, Failure> {
    let typed = new_password_text(&format!("Password for key slot {slot_index}: "))?;
    Password::new(typed.to_string()).map_err(|error| Failure::library(error, None))
}

/// Asks for the password a key vault will keep a new backup's vault secret under, twice.
pub fn new_vault_password() -> Result<Zeroizing<String>, Failure> {
    new_password_text("Password for the key vault: ")
}

/// Asks for a new password after `prompt`, twice; an empty password or two that differ are
/// asked again.
fn new_password_text(prompt: &str) -> Result<Zeroizing<String>, Failure> {
    let mut problem = "";
    for try_number in 1..=TRIES {
        if try_number > 1 {
            say_try_again(problem, try_number);
        }
        let first = hidden(prompt, "--password")?;
        if first.is_empty() {
            problem = "the password is empty";
            continue;
        }
        let second = hidden("Repeat the password: ", "--password")?;
        if *first != *second {
            problem = "the two passwords typed differ";
            continue;
        }
        return Ok(first);
    }
    Err(Failure::new(format!("{problem} ({TRIES} tries)")))
}

/// Asks for the password of an existing backup.
pub fn password() -> Result<Password, Failure> {
    let typed = hidden("Password: ", "--password")?;
    Password::new(typed.to_string()).map_err(|error| Failure::library(error, None))
}

/// Asks for the password of a backup's key vault account; empty answers are asked again (the
/// vault would count them as wrong).
pub fn vault_password() -> Result<Zeroizing<String>, Failure> {
    for try_number in 1..=TRIES {
        if try_number > 1 {
            say_try_again("the password is empty", try_number);
        }
        let typed = hidden("Vault password: ", "--password")?;
        if !typed.is_empty() {
            return Ok(typed);
        }
    }
    Err(Failure::new(format!(
        "the password is empty ({TRIES} tries)"
    )))
}

/// Asks for a recovery key, hidden like a password; one that is not a well-formed key (a digit
/// too many or too few, a letter that is not hex) is asked again.
pub fn recovery_key() -> Result<RecoveryKey, Failure> {
    let mut problem = String::new();
    for try_number in 1..=TRIES {
        if try_number > 1 {
            say_try_again(&problem, try_number);
        }
        let typed = hidden("Recovery key: ", "--recovery-key")?;
        match RecoveryKey::parse(&typed) {
            Ok(key) => return Ok(key),
            Err(error) => problem = format!("the recovery key typed: {error}"),
        }
    }
    Err(Failure::new(format!("{problem} ({TRIES} tries)")))
}

/// Says what was wrong with try `try_number - 1` and how many are left, before try `try_number`.
pub fn say_try_again(problem: &str, try_number: usize) {
    let left = TRIES + 1 - try_number;
    let _ = writeln!(
        io::stderr(),
        "e2eb: {problem}; try again ({left} {} left)",
        if left == 1 { "try" } else { "tries" }
    );
}

/// Prompts and reads one hidden line on the controlling terminal; `flag` is what asked for the
/// prompt, for the error when there is no terminal.
fn hidden(prompt: &str, flag: &str) -> Result<Zeroizing<String>, Failure> {
    let _saved = SavedTerminal::save();
    match rpassword::prompt_password(prompt) {
        Ok(typed) => Ok(Zeroizing::new(typed)),
        Err(error) => Err(match error.kind() {
            io::ErrorKind::Interrupted => {
                // Ctrl-C: the prompt raised SIGINT, whose handler cleans up and exits with 130;
                // this thread only waits for it. Should the handler be missing, the run still
                // ends with that status.
                std::thread::sleep(Duration::from_secs(5));
                Failure::with_status("interrupted", Status::Interrupted)
            }
            io::ErrorKind::UnexpectedEof => {
                // Ctrl-D on an empty line: end the prompt's line, so that the message does not
                // continue it.
                end_prompt_line();
                Failure::new("nothing was typed (end of input)")
            }
            _ => Failure::io(
                format!("{flag} needs a terminal to prompt on (/dev/tty)"),
                &error,
            ),
        }),
    }
}

fn end_prompt_line() {
    match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        Ok(mut terminal) => {
            let _ = terminal.write_all(b"\n");
        }
        Err(_) => {
            let _ = io::stderr().write_all(b"\n");
        }
    }
}

/// The terminal's settings from before a prompt turned echo off, while the prompt runs.
static SAVED: Mutex<Option<Settings>> = Mutex::new(None);

#[cfg(unix)]
type Settings = nix::sys::termios::Termios;

#[cfg(not(unix))]
type Settings = ();

/// Holds the terminal's settings for [`restore_terminal`] while a prompt runs.
#[derive(Debug)]
struct SavedTerminal;

impl SavedTerminal {
    fn save() -> SavedTerminal {
        #[cfg(unix)]
        if let Ok(terminal) = std::fs::File::open("/dev/tty")
            && let Ok(settings) = nix::sys::termios::tcgetattr(&terminal)
        {
            *lock_saved() = Some(settings);
        }
        SavedTerminal
    }
}

impl Drop for SavedTerminal {
    fn drop(&mut self) {
        lock_saved().take();
    }
}

fn lock_saved() -> std::sync::MutexGuard<'static, Option<Settings>> {
    SAVED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Puts back the terminal's settings if a prompt is running, before a signal ends the process:
/// otherwise the shell would be left without echo.
pub fn restore_terminal() {
    #[cfg(unix)]
    if let Some(settings) = lock_saved().take()
        && let Ok(terminal) = std::fs::File::open("/dev/tty")
    {
        let _ =
            nix::sys::termios::tcsetattr(&terminal, nix::sys::termios::SetArg::TCSANOW, &settings);
    }
}
