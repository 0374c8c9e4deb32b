//! `e2eb decrypt`: backup in, data out, opened by one secret under KDF caps.

use e2eb::{Decryptor, KdfCaps, Secret, Threads};

use crate::cli::DecryptArgs;
use crate::error::Failure;
use crate::input::Input;
use crate::output::{Contents, OutputPlan};
use crate::progress::{self, Progress};
use crate::secrets;

pub fn run(args: DecryptArgs) -> Result<(), Failure> {
    let input = Input::open(args.input.as_deref())?;
    if input.is_interactive_stdin() {
        return Err(Failure::new(
            "no backup given: name IN, or pipe the backup into stdin",
        ));
    }
    input.refuse_secret_from_stdin(
        [&args.recovery_key_file, &args.password_file]
            .into_iter()
            .flatten()
            .map(|path| path.as_path()),
    )?;
    let plan = OutputPlan::new(
        &args.output,
        args.run.force,
        Contents::Private,
        input.identity(),
    )?;
    let secret = read_secret(&args)?;
    let decryptor = Decryptor::new(secret)
        .caps(caps(&args))
        .threads(Threads::new(usize::from(args.run.threads)))
        .backend(args.run.backend.into());

    let progress = Progress::new(progress::wanted(args.run.quiet), "decrypting", input.len());
    let label = input.label().to_string();
    let failure = |error| Failure::library(error, Some(&label));
    // A named file is read at explicit offsets, by the threads that open its chunks; anything
    // else (stdin, a pipe, a device) in one stream. Either way the secret and the header are
    // checked before the output exists, so a wrong password never creates (or briefly holds
    // open) a file.
    let by_offsets = input.is_named_regular_file();
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
        output = plan.open()?;
        unlocked.decrypt_to(&mut output).map_err(failure)?;
    } else {
        let unlocked = decryptor.unlock(progress.wrap(reader)).map_err(failure)?;
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

fn read_secret(args: &DecryptArgs) -> Result<Secret, Failure> {
    if let Some(path) = &args.recovery_key_file {
        return Ok(Secret::RecoveryKey(secrets::read_recovery_key_file(path)?));
    }
    if let Some(path) = &args.password_file {
        return Ok(Secret::Password(secrets::read_password_file(path)?));
    }
    if args.recovery_key {
        return Ok(Secret::RecoveryKey(secrets::prompt_recovery_key()?));
    }
    // Clap requires exactly one secret flag, so this is --password.
    Ok(Secret::Password(secrets::prompt_password()?))
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
