//! `e2eb encrypt`: data in, backup out, with one key slot per secret given.

use std::io::{self, Write};
use std::path::Path;

use e2eb::CapExceeded;
use e2eb::{Encryptor, KdfCaps, KdfKind, KdfParams, Threads};

use e2eb_measure::safety;

use crate::cli::{EncryptArgs, SlotSource};
use crate::error::{Failure, cap_flag};
use crate::hints;
use crate::input::Input;
use crate::output::{Contents, OutputPlan};
use crate::progress::{self, Progress};
use crate::{prompt, secrets};

pub fn run(args: EncryptArgs) -> Result<(), Failure> {
    args.run.warn_if_threads_above_cpus();
    let kdf_params = password_kdf(&args)?;
    let password_slots = args
        .slots
        .iter()
        .filter(|slot| !matches!(slot, SlotSource::RecoveryKeyFile(_)))
        .count();
    if password_slots > 0 {
        warn_if_slots_over_default_caps(&kdf_params, password_slots);
    }

    refuse_recovery_keys_as_passwords(&args.slots)?;
    let input = Input::open(args.input.as_deref())?;
    input.refuse_secret_from_stdin(secret_files(&args.slots))?;
    let plan = OutputPlan::new(
        &args.output,
        args.run.force,
        Contents::Ciphertext,
        input.identity(),
    )?;

    let encryptor = Encryptor::new(args.suite.into())
        .threads(Threads::new(usize::from(args.run.threads)))
        .backend(args.run.backend.into());
    let mut encryptor = add_slots(encryptor, &args.slots, kdf_params)?;

    let mut output = plan.open()?;
    let progress = Progress::for_encryption(
        progress::wanted(args.run.quiet),
        "encrypting",
        input.len(),
        &password_kdfs(&args.slots, kdf_params),
    );
    // A named file is read at explicit offsets, by the threads that seal it; anything else
    // (stdin, a pipe, a device) in one stream.
    let by_offsets = input.is_named_regular_file();
    let reader = input.into_reader();
    let outcome = if by_offsets {
        encryptor.encrypt_file(&progress.wrap_at(reader), &mut output)
    } else {
        encryptor.encrypt(progress.wrap(reader), &mut output)
    };
    outcome.map_err(|error| Failure::library(error, None))?;
    drop(progress);
    output.commit()
}

/// The files the key slots' secrets are read from.
pub fn secret_files(slots: &[SlotSource]) -> impl Iterator<Item = &Path> {
    slots.iter().filter_map(|slot| match slot {
        SlotSource::RecoveryKeyFile(path) | SlotSource::PasswordFile(path) => Some(path.as_path()),
        SlotSource::PasswordPrompt => None,
    })
}

/// The KDF of each password slot, derived before the first input byte is read.
pub fn password_kdfs(slots: &[SlotSource], kdf_params: KdfParams) -> Vec<KdfParams> {
    slots
        .iter()
        .filter(|slot| !matches!(slot, SlotSource::RecoveryKeyFile(_)))
        .map(|_| kdf_params)
        .collect()
}

/// Refuses a recovery-key file given as `--password-file`, before any prompt or work.
pub fn refuse_recovery_keys_as_passwords(slots: &[SlotSource]) -> Result<(), Failure> {
    for slot in slots {
        if let SlotSource::PasswordFile(path) = slot {
            hints::refuse_recovery_key_as_password(path)?;
        }
    }
    Ok(())
}

/// Adds a key slot for each secret, in command-line order, reading files and prompting as it
/// goes; password slots use `kdf_params`.
pub fn add_slots(
    mut encryptor: Encryptor,
    slots: &[SlotSource],
    kdf_params: KdfParams,
) -> Result<Encryptor, Failure> {
    for (index, slot) in slots.iter().enumerate() {
        encryptor = match slot {
            SlotSource::RecoveryKeyFile(path) => {
                encryptor.recovery_key(secrets::read_recovery_key_file(path)?)
            }
            SlotSource::PasswordFile(path) => {
                encryptor.password(secrets::read_password_file(path)?, kdf_params)
            }
            SlotSource::PasswordPrompt => {
                encryptor.password(prompt::new_password(index)?, kdf_params)
            }
        };
    }
    Ok(encryptor)
}

/// The password slots' KDF: the defaults of `--kdf`, or `--kdf-params`, which is refused (as a
/// usage error) when it does not parse, and when it is below OWASP's minimum without
/// `--accept-weak-kdf`.
pub fn password_kdf(args: &EncryptArgs) -> Result<KdfParams, Failure> {
    let kind: KdfKind = args.kdf.map_or(KdfKind::Argon2id, Into::into);
    let Some(text) = &args.kdf_params else {
        return Ok(kind.default_params());
    };
    let params = KdfParams::parse(kind, text).map_err(|error| {
        // Naming the KDF catches scrypt parameters given without --kdf scrypt.
        Failure::usage(format!("--kdf-params {text} (for {kind}): {error}"))
    })?;
    if !safety::meets_owasp_minimum(&params) {
        let minimum = safety::owasp_text(&params);
        if !args.accept_weak_kdf {
            return Err(Failure::usage(format!(
                "--kdf-params {text}: {kind} {params} is below OWASP's minimum ({minimum}), so \
                 each guess at a password costs an attacker who has the backup less; choose \
                 stronger parameters (`e2eb tune` finds some for a target time), or pass \
                 --accept-weak-kdf to make the backup anyway"
            )));
        }
        let _ = writeln!(
            io::stderr(),
            "e2eb: warning: {kind} {params} is below OWASP's minimum ({minimum}); made anyway, \
             as --accept-weak-kdf asks"
        );
    }
    Ok(params)
}

/// Warns when this machine's default decrypt caps would refuse `password_slots` slots of
/// `params` (each with its own salt): one slot's parameters, or the backup's budget.
/// A backup is still made: the caps protect the decrypting side, and its owner may well mean
/// to open it on a bigger machine, with a raised cap.
pub fn warn_if_slots_over_default_caps(params: &KdfParams, password_slots: usize) {
    let caps = KdfCaps::default();
    let exceeded = caps.check(params).err().or_else(|| {
        let derivations = (0..password_slots).map(|position| (position, params.work_bytes()));
        caps.check_backup(derivations)
            .err()
            .map(|(_, exceeded)| exceeded)
    });
    let Some(exceeded) = exceeded else {
        return;
    };
    let CapExceeded {
        parameter,
        value,
        cap,
        ..
    } = exceeded;
    let (value, cap) = (parameter.display_value(value), parameter.display_value(cap));
    let kind = params.kind();
    let how = cap_flag(parameter)
        .map(|flag| format!("decrypt {flag}"))
        .unwrap_or_else(|| "a raised cap".to_string());
    let _ = writeln!(
        io::stderr(),
        "e2eb: warning: the password KDF ({kind} {params}) asks for {parameter} = {value}, \
         above the default decrypt cap of {cap} on this machine; opening the backup will need \
         {how}"
    );
}
