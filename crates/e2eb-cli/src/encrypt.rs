//! `e2eb encrypt`: data in, backup out, with one key slot per secret given.

use std::io::{self, Write};

use e2eb::CapExceeded;
use e2eb::{Encryptor, KdfCaps, KdfKind, KdfParams, Threads};

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
    let has_password_slot = args
        .slots
        .iter()
        .any(|slot| !matches!(slot, SlotSource::RecoveryKeyFile(_)));
    if has_password_slot {
        warn_if_over_default_caps(&kdf_params);
    }

    refuse_recovery_keys_as_passwords(&args.slots)?;
    let input = Input::open(args.input.as_deref())?;
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

pub fn password_kdf(args: &EncryptArgs) -> Result<KdfParams, Failure> {
    let kind: KdfKind = args.kdf.map_or(KdfKind::Argon2id, Into::into);
    match &args.kdf_params {
        Some(text) => KdfParams::parse(kind, text).map_err(|error| {
            // Naming the KDF catches scrypt parameters given without --kdf scrypt.
            Failure::new(format!("--kdf-params {text} (for {kind}): {error}"))
        }),
        None => Ok(kind.default_params()),
    }
}

/// A backup is still made: the caps protect the decrypting side, and its owner may well mean
/// to open it on a bigger machine, with a raised cap.
pub fn warn_if_over_default_caps(params: &KdfParams) {
    let Err(exceeded) = KdfCaps::default().check(params) else {
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
