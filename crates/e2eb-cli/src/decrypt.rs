//! `e2eb decrypt`: backup in, data out, opened by one secret under KDF caps; a secret typed at
//! the prompt that opens no slot may be typed again, each try under the same caps.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use e2eb::payload::PREFIX_LEN;
use e2eb::{Decryptor, Header, KdfCaps, KdfParams, KeySlot, Secret, SecretKind, Threads};

use crate::cli::DecryptArgs;
use crate::error::Failure;
use crate::hints;
use crate::input::Input;
use crate::output::{Contents, OutputPlan};
use crate::progress::{self, Progress};
use crate::{prompt, secrets, vault};

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
    // With --vault the secret is the vault's, asked for once the header names the vault slot.
    let secret = match &args.vault {
        None => Some(read_secret(&args)?),
        Some(_) => None,
    };
    let is_password = matches!(secret, Some(Secret::Password(_)));
    // A vault secret that opens no slot is not typed again: the password was right (the vault
    // released the secret), and another try would only spend an attempt.
    let prompted = (args.password || args.recovery_key) && args.vault.is_none();
    let decryptor_for = |secret: Secret| {
        Decryptor::new(secret)
            .caps(caps(&args))
            .threads(Threads::new(usize::from(args.run.threads)))
            .backend(args.run.backend.into())
    };

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
    let from_vault = |header: &Header| -> Result<Secret, Failure> {
        let url = args
            .vault
            .as_deref()
            .expect("only --vault leaves the secret to find");
        let source = match &args.password_file {
            Some(path) => vault::PasswordSource::File(path),
            None => vault::PasswordSource::Prompt,
        };
        progress.paused(|| vault::unlock(header, url, args.vault_ca.as_deref(), source, &label))
    };
    let reader = input.into_reader();
    let mut output;
    if by_offsets {
        let mut secret = match secret {
            Some(secret) => secret,
            None => {
                let path = args
                    .input
                    .as_deref()
                    .expect("a named file is read by offsets");
                let file = File::open(path).map_err(|error| {
                    Failure::io(format!("cannot open {}", path.display()), &error)
                })?;
                let header =
                    Header::read_from(&mut std::io::BufReader::new(file)).map_err(failure)?;
                from_vault(&header)?
            }
        };
        let source = progress.wrap_at(reader);
        let mut try_number = 1;
        let unlocked = loop {
            let decryptor = decryptor_for(secret);
            let error = match decryptor.unlock_file(&source) {
                Ok(unlocked) => break unlocked,
                Err(error) => error,
            };
            let header = args
                .input
                .as_deref()
                .and_then(|path| File::open(path).ok())
                .map(std::io::BufReader::new);
            secret = another_try(&error, &decryptor, header, prompted, try_number, &progress)
                .map_err(|gave_up| gave_up.into_failure(failure(error)))?;
            // The header is read again, and counted again.
            progress.rewind();
            try_number += 1;
        };
        progress.key_ready(show_bytes);
        output = plan.open()?;
        unlocked.decrypt_to(&mut output).map_err(failure)?;
    } else {
        let mut stream = progress.wrap(reader);
        // The header and the payload prefix, kept: a stream cannot be read twice, and both a
        // second try and the typo help read them again.
        let header = Header::read_from(&mut stream).map_err(failure)?;
        let mut start = header.as_bytes().to_vec();
        (&mut stream)
            .take(PREFIX_LEN as u64)
            .read_to_end(&mut start)
            .map_err(|error| failure(e2eb::Error::from_io(error)))?;
        let mut secret = match secret {
            Some(secret) => secret,
            None => from_vault(&header)?,
        };
        let mut try_number = 1;
        let unlocked = loop {
            let decryptor = decryptor_for(secret);
            let error = match decryptor.unlock((&start[..]).chain(&mut stream)) {
                Ok(unlocked) => break unlocked,
                Err(error) => error,
            };
            secret = another_try(
                &error,
                &decryptor,
                Some(header.as_bytes()),
                prompted,
                try_number,
                &progress,
            )
            .map_err(|gave_up| gave_up.into_failure(failure(error)))?;
            try_number += 1;
        };
        progress.key_ready(show_bytes);
        output = plan.open()?;
        unlocked.decrypt_to(&mut output).map_err(failure)?;
    }
    drop(progress);
    output.commit()
}

/// Why a failed try is not followed by another.
enum GaveUp {
    /// The failure stands, with this note appended.
    Note(String),
    /// The prompt for the next try failed (end of input, no terminal).
    Prompt(Failure),
}

impl GaveUp {
    fn into_failure(self, failure: Failure) -> Failure {
        match self {
            GaveUp::Note(note) => failure.with_note(&note),
            GaveUp::Prompt(prompt_failure) => prompt_failure,
        }
    }
}

/// After a try that failed with `error`: the secret typed again, where the secret that opened
/// no slot came from the terminal (`prompted`) and tries are left; otherwise `Err` with the
/// note to add to the error (typo help, the tries made), or the failure of the prompt itself.
/// `header` is the backup's header, for the typo help.
fn another_try(
    error: &e2eb::Error,
    decryptor: &Decryptor,
    header: Option<impl Read>,
    prompted: bool,
    try_number: usize,
    progress: &Progress,
) -> Result<Secret, GaveUp> {
    let e2eb::Error::NoSlotOpened { secret, tried, .. } = error else {
        return Err(GaveUp::Note(String::new()));
    };
    let typo = header.and_then(|header| typo_help(decryptor, header));
    // A secret from a file or stdin is read once; and where the backup has no slot of the
    // secret's kind, typing it again cannot help.
    if !prompted || *tried == 0 {
        let note = typo
            .map(|typo| format!("; one digit looks mistyped: {typo}. Check the key and try again"))
            .unwrap_or_default();
        return Err(GaveUp::Note(note));
    }
    if try_number >= prompt::TRIES {
        let note = typo
            .map(|typo| format!("; one digit looks mistyped: {typo}"))
            .unwrap_or_default();
        return Err(GaveUp::Note(format!("{note} ({} tries)", prompt::TRIES)));
    }
    let typo = typo
        .map(|typo| format!("; one digit looks mistyped: {typo}"))
        .unwrap_or_default();
    progress.paused(|| {
        prompt::say_try_again(
            &format!("wrong {secret}: it opens no key slot{typo}"),
            try_number + 1,
        );
        match secret {
            SecretKind::RecoveryKey => prompt::recovery_key().map(Secret::RecoveryKey),
            _ => prompt::password().map(Secret::Password),
        }
        .map_err(GaveUp::Prompt)
    })
}

/// Where a recovery key that opened nothing looks mistyped, when exactly one single-digit
/// change or swap of neighbours opens the backup whose header `header` reads. The key is not
/// taken in its place: the user types it again.
fn typo_help(decryptor: &Decryptor, header: impl Read) -> Option<e2eb::RecoveryKeyTypo> {
    decryptor.recovery_key_typo(header).ok()?
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
