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
use crate::{prompt, secrets, vault};

pub fn run(args: EncryptArgs) -> Result<(), Failure> {
    args.run.warn_if_threads_above_cpus();
    let kdf_params = password_kdf(&args)?;
    check_vault_password(&args)?;
    let password_slots = password_slot_count(&args);
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
    // A vault account registered here is deleted again if anything below fails.
    let (mut encryptor, registration) = add_slots(encryptor, &args, kdf_params)?;

    let mut output = plan.open()?;
    let progress = Progress::for_encryption(
        progress::wanted(args.run.quiet),
        "encrypting",
        input.len(),
        &password_kdfs(&args, kdf_params),
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
    output.commit()?;
    if let Some(registration) = registration {
        registration.keep();
    }
    Ok(())
}

/// The password slots the backup will have: none with `--vault`, whose password goes to the
/// vault.
pub fn password_slot_count(args: &EncryptArgs) -> usize {
    if args.vault.is_some() {
        return 0;
    }
    args.slots
        .iter()
        .filter(|slot| !matches!(slot, SlotSource::RecoveryKeyFile(_)))
        .count()
}

/// Refuses `--vault` with more than one password: the vault keeps one, and a password slot
/// beside the vault slot would let anyone who has the backup guess the password offline,
/// without the vault's limit on attempts.
pub fn check_vault_password(args: &EncryptArgs) -> Result<(), Failure> {
    let passwords = args
        .slots
        .iter()
        .filter(|slot| !matches!(slot, SlotSource::RecoveryKeyFile(_)))
        .count();
    if args.vault.is_some() && passwords != 1 {
        return Err(Failure::usage(
            "--vault takes exactly one password (--password or --password-file), the one the \
             vault keeps: a password slot beside the vault slot would let anyone who has the \
             backup guess that password offline, without the vault's limit on attempts",
        ));
    }
    Ok(())
}

/// The files the key slots' secrets are read from.
pub fn secret_files(slots: &[SlotSource]) -> impl Iterator<Item = &Path> {
    slots.iter().filter_map(|slot| match slot {
        SlotSource::RecoveryKeyFile(path) | SlotSource::PasswordFile(path) => Some(path.as_path()),
        SlotSource::PasswordPrompt => None,
    })
}

/// The KDF of each password slot, derived before the first input byte is read.
pub fn password_kdfs(args: &EncryptArgs, kdf_params: KdfParams) -> Vec<KdfParams> {
    vec![kdf_params; password_slot_count(args)]
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
/// goes; password slots use `kdf_params`. With `--vault`, the password's slot is a vault slot
/// instead, and the vault account registered for it comes back too: it is deleted again when
/// dropped, unless kept once the backup is complete.
pub fn add_slots(
    mut encryptor: Encryptor,
    args: &EncryptArgs,
    kdf_params: KdfParams,
) -> Result<(Encryptor, Option<vault::Registration>), Failure> {
    if let Some(url) = args.vault.as_deref() {
        return add_slots_with_vault(encryptor, args, url)
            .map(|(encryptor, registration)| (encryptor, Some(registration)));
    }
    for (index, slot) in args.slots.iter().enumerate() {
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
    Ok((encryptor, None))
}

/// The slots of `args` with the password at the vault at `url`. The vault is asked for its key
/// before the password is, so that an unreachable or wrong address fails before any typing;
/// every local secret is read before the registration, so that a bad key file leaves no
/// account behind.
fn add_slots_with_vault(
    mut encryptor: Encryptor,
    args: &EncryptArgs,
    url: &str,
) -> Result<(Encryptor, vault::Registration), Failure> {
    let client = vault::connect(url, args.vault_ca.as_deref())?;
    let info = vault::info(&client, url)?;
    let mut recovery_keys = Vec::new();
    for slot in &args.slots {
        if let SlotSource::RecoveryKeyFile(path) = slot {
            recovery_keys.push(secrets::read_recovery_key_file(path)?);
        }
    }
    if recovery_keys.is_empty() {
        let _ = writeln!(
            io::stderr(),
            "e2eb: warning: this backup will have no recovery key: if the password is \
             forgotten, or {} wrong ones make the vault erase the key, or the vault is lost, so \
             is the backup. Add --recovery-key-file FILE (make one with `e2eb keygen -o FILE`)",
            info.max_attempts
        );
    }
    let password_file = args.slots.iter().find_map(|slot| match slot {
        SlotSource::PasswordFile(path) => Some(path.as_path()),
        _ => None,
    });
    let (secret, account, registration) = vault::register(client, url, &info, password_file)?;
    let mut recovery_keys = recovery_keys.into_iter();
    let mut vault_slot = Some((secret, account));
    for slot in &args.slots {
        encryptor = match slot {
            SlotSource::RecoveryKeyFile(_) => encryptor.recovery_key(
                recovery_keys
                    .next()
                    .expect("one key was read for each recovery-key slot"),
            ),
            SlotSource::PasswordFile(_) | SlotSource::PasswordPrompt => {
                let (secret, account) = vault_slot
                    .take()
                    .expect("check_vault_password allows one password");
                encryptor.vault_secret(secret, account)
            }
        };
    }
    Ok((encryptor, registration))
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
