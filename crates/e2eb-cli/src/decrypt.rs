//! `e2eb decrypt`: backup in, data out, opened by one secret under KDF caps.

use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use e2eb::{Decryptor, Header, KdfCaps, KdfParams, KeySlot, Secret, Threads};

use crate::cli::DecryptArgs;
use crate::error::Failure;
use crate::hints;
use crate::input::Input;
use crate::output::{Contents, OutputPlan};
use crate::progress::{self, Progress};
use crate::{prompt, secrets};

pub fn run(args: DecryptArgs) -> Result<(), Failure> {
    args.run.warn_if_threads_above_cpus();
    let output_path = output_path(args.output.as_deref())?;
    let input = Input::open(args.input.as_deref())?;
    if input.is_interactive_stdin() {
        return Err(Failure::usage(
            "no backup given: name IN, or pipe the backup into stdin",
        ));
    }
    input.refuse_secret_from_stdin(
        [&args.recovery_key_file, &args.password_file]
            .into_iter()
            .flatten()
            .map(|path| path.as_path()),
    )?;
    if let Some(path) = &args.password_file {
        hints::refuse_recovery_key_as_password(path)?;
    }
    let plan = OutputPlan::new(
        &output_path,
        args.run.force,
        Contents::Private,
        input.identity(),
    )?;
    let secret = read_secret(&args)?;
    let is_password = matches!(secret, Secret::Password(_));
    let decryptor = Decryptor::new(secret)
        .caps(caps(&args))
        .threads(Threads::new(usize::from(args.run.threads)))
        .backend(args.run.backend.into());

    let progress = Progress::for_decryption(
        progress::wanted(args.run.quiet),
        "decrypting",
        input.len(),
        is_password,
    );
    let label = input.label().to_string();
    let input_path = args.input.clone();
    let failure = |error: e2eb::Error| {
        let hint = hints::not_a_backup(input_path.as_deref(), &error);
        let failure = Failure::library(error, Some(&label));
        match hint {
            Some(hint) => failure.with_hint(&hint),
            None => failure,
        }
    };
    // Plaintext shown on this terminal: the bar would draw into it, so it goes once the key is
    // ready.
    let show_bytes = !is_this_terminal(&output_path);
    // A named file is read at explicit offsets, by the threads that open its chunks; anything
    // else (stdin, a pipe, a device) in one stream. Either way the secret and the header are
    // checked before the output exists, so a wrong password never creates (or briefly holds
    // open) a file.
    let by_offsets = input.is_named_regular_file();
    if by_offsets
        && is_password
        && let Some(path) = &args.input
    {
        progress.deriving(&password_kdfs(path));
    }
    let reader = input.into_reader();
    let mut output;
    if by_offsets {
        let unlocked = match decryptor.unlock_file(progress.wrap_at(reader)) {
            Ok(unlocked) => unlocked,
            Err(error @ e2eb::Error::NoSlotOpened { .. }) => {
                let note = args
                    .input
                    .as_deref()
                    .and_then(|path| typo_note(&decryptor, path))
                    .unwrap_or_default();
                return Err(failure(error).with_note(&note));
            }
            Err(error) => return Err(failure(error)),
        };
        progress.key_ready(show_bytes);
        output = plan.open()?;
        unlocked.decrypt_to(&mut output).map_err(failure)?;
    } else {
        let unlocked = decryptor.unlock(progress.wrap(reader)).map_err(failure)?;
        progress.key_ready(show_bytes);
        output = plan.open()?;
        unlocked.decrypt_to(&mut output).map_err(failure)?;
    }
    drop(progress);
    output.commit()
}

/// Where a recovery key that opened nothing looks mistyped, as a note for the error, when
/// exactly one single-digit change or swap of neighbours opens the backup at `path`. The key
/// is not taken in its place: the user types it again.
fn typo_note(decryptor: &Decryptor, path: &std::path::Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let typo = decryptor
        .recovery_key_typo(std::io::BufReader::new(file))
        .ok()??;
    Some(format!(
        "; one digit looks mistyped: {typo}. Check the key and try again"
    ))
}

/// OUT, or stdout where no `-o` was given and stdout is not a terminal (a pipe or a file, as in
/// `e2eb decrypt b.e2eb --password > data`).
fn output_path(output: Option<&Path>) -> Result<PathBuf, Failure> {
    match output {
        Some(path) => Ok(path.to_path_buf()),
        None if std::io::stdout().is_terminal() => Err(Failure::usage(
            "no output given, and stdout is a terminal: name a file with -o OUT, redirect \
             stdout, or show the data here with -o -",
        )),
        None => Ok(PathBuf::from("-")),
    }
}

/// Whether OUT is the terminal this run reports progress on.
fn is_this_terminal(output: &Path) -> bool {
    let is_stdout = output == Path::new("-") || output == Path::new("/dev/stdout");
    (is_stdout && std::io::stdout().is_terminal()) || output == Path::new("/dev/tty")
}

/// The password slots' KDFs in the backup at `path`, for the spinner; none where the header
/// cannot be read (the unlock that follows reports why).
fn password_kdfs(path: &Path) -> Vec<KdfParams> {
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let Ok(header) = Header::read_from(&mut file) else {
        return Vec::new();
    };
    header
        .slots()
        .iter()
        .filter_map(|slot| match slot {
            KeySlot::Password { kdf, .. } => Some(*kdf),
            _ => None,
        })
        .collect()
}

fn read_secret(args: &DecryptArgs) -> Result<Secret, Failure> {
    if let Some(path) = &args.recovery_key_file {
        return Ok(Secret::RecoveryKey(secrets::read_recovery_key_file(path)?));
    }
    if let Some(path) = &args.password_file {
        return Ok(Secret::Password(secrets::read_password_file(path)?));
    }
    if args.recovery_key {
        return Ok(Secret::RecoveryKey(prompt::recovery_key()?));
    }
    // Clap requires exactly one secret flag, so this is --password.
    Ok(Secret::Password(prompt::password()?))
}

/// This machine's default caps, with each given flag replacing its field.
fn caps(args: &DecryptArgs) -> KdfCaps {
    let mut caps = KdfCaps::default();
    if let Some(bytes) = args.max_kdf_memory {
        caps = caps.with_max_memory_bytes(bytes);
    }
    if let Some(passes) = args.max_argon2_t {
        caps = caps.with_argon2_max_passes(passes);
    }
    if let Some(lanes) = args.max_argon2_p {
        caps = caps.with_argon2_max_lanes(lanes);
    }
    if let Some(log_n) = args.max_scrypt_log_n {
        caps = caps.with_scrypt_max_log_n(log_n);
    }
    if let Some(r) = args.max_scrypt_r {
        caps = caps.with_scrypt_max_r(r);
    }
    if let Some(p) = args.max_scrypt_p {
        caps = caps.with_scrypt_max_p(p);
    }
    if let Some(bytes) = args.max_kdf_work {
        caps = caps.with_max_work_bytes(bytes);
    }
    if let Some(bytes) = args.max_backup_kdf_work {
        caps = caps.with_max_backup_work_bytes(bytes);
    }
    if let Some(slots) = args.max_password_slots {
        caps = caps.with_max_password_slots(slots);
    }
    caps
}
