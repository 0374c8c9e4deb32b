//! The key vault from the command line (VAULT.md): `encrypt --vault` registers a fresh vault
//! secret and account, `decrypt --vault` logs in to get the secret of a backup's vault slot,
//! and `e2eb vault status|delete` serve the account's owner. Each way a vault fails has its own
//! message and exit status; no message holds a password or a vault secret.

use std::io::{self, Write};
use std::path::Path;

use e2eb::{Header, KeySlot, Secret, VaultAccount, VaultId, VaultSecret};
use e2eb_vault::protocol::VAULT_SECRET_LEN;
use e2eb_vault::{ClientOptions, VaultClient, VaultError, VaultInfo};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::cli::{VaultAccountArgs, VaultArgs, VaultCommand};
use crate::error::{Failure, Status};
use crate::{prompt, secrets};

/// Length of the account ids this tool registers (VAULT.md's reference length).
const ACCOUNT_LEN: usize = 32;

/// A client of the vault at `url` (checked: https://, or http:// to loopback), trusting
/// `ca_file` where given.
pub fn connect(url: &str, ca_file: Option<&Path>) -> Result<VaultClient, Failure> {
    let options = ClientOptions {
        ca_file: ca_file.map(Path::to_path_buf),
        ..ClientOptions::default()
    };
    VaultClient::new(url, &options).map_err(|error| failure(error, url))
}

/// The failure for `error` from the vault at `url`, with its exit status.
pub fn failure(error: VaultError, url: &str) -> Failure {
    let status = match &error {
        VaultError::WrongPassword { .. } => Status::WrongSecret,
        VaultError::Erased | VaultError::NoKey => Status::VaultErased,
        VaultError::UnknownVault { .. } => Status::UnknownVault,
        VaultError::Unreachable(_) => Status::VaultUnreachable,
        VaultError::Tls(_) => Status::VaultTls,
        VaultError::MalformedResponse(_)
        | VaultError::Refused { .. }
        | VaultError::BadEnvelope
        | VaultError::AccountExists => Status::VaultMalformed,
        VaultError::BadUrl { .. } => Status::Usage,
        VaultError::BadAccount(_) => Status::BadBackup,
        VaultError::CaFile { .. } | VaultError::Local(_) => Status::Failure,
    };
    let message = match &error {
        VaultError::WrongPassword { attempts_left } => format!(
            "wrong password: {attempts_left} {} left before the vault erases the key",
            attempts(*attempts_left)
        ),
        VaultError::Erased => "wrong password, and that was the last attempt: the vault has \
                               erased the key after too many wrong passwords; the backup now \
                               opens only with its recovery key (or another slot it has)"
            .to_owned(),
        VaultError::NoKey => "the vault holds no key for this backup: erased after too many \
                              wrong passwords, or deleted; the backup opens only with its \
                              recovery key (or another slot it has)"
            .to_owned(),
        VaultError::UnknownVault { expected, found } => format!(
            "the server at {url} is not the vault of this backup (its vault id is {found}, the \
             backup's vault slot names {expected}); no attempt was spent"
        ),
        VaultError::BadUrl { .. } | VaultError::CaFile { .. } => error.to_string(),
        _ => format!("{url}: {error}"),
    };
    Failure::with_status(message, status)
}

fn attempts(count: u32) -> &'static str {
    if count == 1 { "attempt" } else { "attempts" }
}

/// The password as the vault receives it: its Unicode NFC normalisation, as password slots
/// take it (SPEC.md, "Passwords"), so that the same password typed on keyboards that compose
/// accents differently is the same password at the vault.
fn normalized(password: &str) -> Zeroizing<String> {
    // Reserved up front so that growing leaves no copy in freed memory; NFC expands a string
    // at most threefold.
    let mut text = Zeroizing::new(String::with_capacity(password.len() * 3));
    text.extend(password.nfc());
    text
}

/// The server's key, id and attempts, or the failure.
pub fn info(client: &VaultClient, url: &str) -> Result<VaultInfo, Failure> {
    client.info().map_err(|error| failure(error, url))
}

/// An account registered for a backup being made. Dropped before [`Registration::keep`] (the
/// backup failed, or was refused, after the registration), it logs in and deletes the account,
/// best effort: an account whose backup does not exist would only hold a key nobody needs.
pub struct Registration {
    client: VaultClient,
    url: String,
    account: Vec<u8>,
    password: Zeroizing<String>,
    vault_id: [u8; 32],
    kept: bool,
}

impl std::fmt::Debug for Registration {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("url", &self.url)
            .field("vault_id", &VaultId::from_bytes(self.vault_id))
            .field("kept", &self.kept)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// The backup is complete: the account stays.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let outcome = self.client.delete(
            &self.account,
            self.password.as_bytes(),
            Some(&self.vault_id),
        );
        let _ = match outcome {
            Ok(()) => writeln!(
                io::stderr(),
                "e2eb: the account registered at the vault for this backup was deleted again"
            ),
            Err(error) => writeln!(
                io::stderr(),
                "e2eb: warning: the account registered at the vault for this backup could not \
                 be deleted again ({}); it holds a key no backup uses",
                failure(error, &self.url).message()
            ),
        };
    }
}

/// Registers a fresh random vault secret under a fresh random account at the vault `info`
/// describes, with the password from `password_file` or typed twice on the terminal; returns
/// the secret and account for the backup's vault slot, and the registration to keep once the
/// backup is complete.
pub fn register(
    client: VaultClient,
    url: &str,
    info: &VaultInfo,
    password_file: Option<&Path>,
) -> Result<(VaultSecret, VaultAccount, Registration), Failure> {
    let typed = match password_file {
        Some(path) => secrets::read_password_text(path)?,
        None => prompt::new_vault_password()?,
    };
    // The same rules as a new password slot's: not empty, no code point Unicode has not assigned
    // (whose normalisation a later version could change, locking the owner out).
    e2eb::Password::new(String::from(typed.as_str()))
        .and_then(|password| password.check_assigned())
        .map_err(|error| Failure::library(error, None))?;
    let password = normalized(&typed);
    drop(typed);
    let mut secret = Zeroizing::new([0u8; VAULT_SECRET_LEN]);
    let mut account = vec![0u8; ACCOUNT_LEN];
    getrandom::fill(&mut secret[..])
        .and_then(|()| getrandom::fill(&mut account))
        .map_err(|error| Failure::new(format!("the system random source failed: {error}")))?;
    let registered = client
        .register(&account, password.as_bytes(), &secret)
        .map_err(|error| failure(error, url))?;
    let registration = Registration {
        client,
        url: url.to_owned(),
        account: account.clone(),
        password,
        vault_id: registered.vault_id,
        kept: false,
    };
    // The key OPAQUE registered with is the one `info` announced, unless the server changed
    // keys in between; the slot names the registered one, which logins authenticate.
    if registered.vault_id != info.vault_id {
        return Err(failure(
            VaultError::MalformedResponse(
                "the vault registered with another key than /v1/info announced".into(),
            ),
            url,
        ));
    }
    let slot_account = VaultAccount::new(
        VaultId::from_bytes(registered.vault_id),
        account,
        url.to_owned(),
    )
    .map_err(|error| Failure::library(error, None))?;
    Ok((VaultSecret::from_bytes(*secret), slot_account, registration))
}

/// The vault slots of `header`, in header order.
fn vault_slots(header: &Header) -> Vec<&VaultAccount> {
    header
        .slots()
        .iter()
        .filter_map(|slot| match slot {
            KeySlot::Vault { account, .. } => Some(account),
            _ => None,
        })
        .collect()
}

/// The vault slot of `header` that belongs to the vault at `url`: refused where the backup has
/// none, or none of this vault's (before any attempt is spent). A URL hint that differs from
/// `url` is mentioned, not followed.
fn slot_of_this_vault<'a>(
    header: &'a Header,
    client: &VaultClient,
    url: &str,
    backup: &str,
) -> Result<&'a VaultAccount, Failure> {
    let slots = vault_slots(header);
    if slots.is_empty() {
        return Err(Failure::with_status(
            format!(
                "{backup} has no vault slot; open it with its recovery key or password instead \
                 of --vault"
            ),
            Status::NoVaultSlot,
        ));
    }
    let found = info(client, url)?.vault_id;
    let Some(account) = slots
        .iter()
        .find(|account| *account.vault_id().as_bytes() == found)
    else {
        return Err(failure(
            VaultError::UnknownVault {
                expected: slots
                    .iter()
                    .map(|account| account.vault_id().to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: VaultId::from_bytes(found).to_string(),
            },
            url,
        )
        .with_note(&format!(
            "; the backup's vault slot gives the address {}",
            slots
                .iter()
                .map(|account| format!("{:?}", account.url()))
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    };
    if account.url() != url {
        // The hint is unauthenticated text from the file: quoted, so that it cannot pass for
        // anything else on the terminal.
        let _ = writeln!(
            io::stderr(),
            "e2eb: note: the backup's vault slot names {:?}; using {url:?} as given (its vault \
             id matches the slot's)",
            account.url()
        );
    }
    Ok(account)
}

/// Where the password comes from: a file (read once), or the terminal (asked up to
/// [`prompt::TRIES`] times while the vault says it was wrong).
#[derive(Debug, Clone, Copy)]
pub enum PasswordSource<'a> {
    File(&'a Path),
    Prompt,
}

impl PasswordSource<'_> {
    fn read(self) -> Result<Zeroizing<String>, Failure> {
        let typed = match self {
            PasswordSource::File(path) => secrets::read_password_text(path)?,
            PasswordSource::Prompt => prompt::vault_password()?,
        };
        Ok(normalized(&typed))
    }
}

/// Runs `login` with the password from `source`; at the terminal, a password the vault calls
/// wrong is asked again while tries and attempts remain (each one costs an attempt).
fn with_password<T>(
    source: PasswordSource<'_>,
    url: &str,
    mut login: impl FnMut(&[u8]) -> Result<T, VaultError>,
) -> Result<T, Failure> {
    let mut try_number = 1;
    loop {
        let password = source.read()?;
        match login(password.as_bytes()) {
            Ok(value) => return Ok(value),
            Err(VaultError::WrongPassword { attempts_left })
                if matches!(source, PasswordSource::Prompt)
                    && attempts_left > 0
                    && try_number < prompt::TRIES =>
            {
                try_number += 1;
                prompt::say_try_again(
                    &format!(
                        "wrong password: the vault has {attempts_left} {} left before it erases \
                         the key, and each try costs one",
                        attempts(attempts_left)
                    ),
                    try_number,
                );
            }
            Err(error) => return Err(failure(error, url)),
        }
    }
}

/// Logs in to the vault at `url` for the vault slot of `header` and returns the secret that
/// opens it. `backup` names the backup in messages.
pub fn unlock(
    header: &Header,
    url: &str,
    ca_file: Option<&Path>,
    source: PasswordSource<'_>,
    backup: &str,
) -> Result<Secret, Failure> {
    let client = connect(url, ca_file)?;
    let account = slot_of_this_vault(header, &client, url, backup)?;
    let vault_id = account.vault_id().as_bytes();
    let released = with_password(source, url, |password| {
        client.login(account.account(), password, Some(vault_id))
    })?;
    Ok(Secret::VaultSecret(VaultSecret::from_bytes(*released)))
}

/// `e2eb vault status|delete`.
pub fn run(args: VaultArgs) -> Result<(), Failure> {
    match args.command {
        VaultCommand::Status(account_args) => {
            let (client, account) = account_of(&account_args)?;
            let vault_id = account.vault_id().as_bytes();
            let url = &account_args.vault;
            let status = with_password(source_of(&account_args), url, |password| {
                client.status(account.account(), password, Some(vault_id))
            })?;
            let mut stdout = io::stdout().lock();
            writeln!(
                stdout,
                "vault id {}\nthe vault holds the key of this backup's vault slot; \
                 {} of {} {} left (a correct password resets them)",
                account.vault_id(),
                status.attempts_left,
                status.max_attempts,
                attempts(status.max_attempts),
            )
            .and_then(|()| stdout.flush())
            .map_err(|error| Failure::io("cannot write stdout", &error))
        }
        VaultCommand::Delete(account_args) => {
            let (client, account) = account_of(&account_args)?;
            let vault_id = account.vault_id().as_bytes();
            let url = &account_args.vault;
            with_password(source_of(&account_args), url, |password| {
                client.delete(account.account(), password, Some(vault_id))
            })?;
            let _ = writeln!(
                io::stderr(),
                "e2eb: the vault has deleted the key of this backup's vault slot: that slot \
                 never opens again; the backup opens only with its other slots"
            );
            Ok(())
        }
    }
}

fn source_of(args: &VaultAccountArgs) -> PasswordSource<'_> {
    match &args.password_file {
        Some(path) => PasswordSource::File(path),
        None => PasswordSource::Prompt,
    }
}

/// The client and the vault slot's account for `args`' backup, refused where the backup has
/// no slot of the vault at `--vault`.
fn account_of(args: &VaultAccountArgs) -> Result<(VaultClient, VaultAccount), Failure> {
    let label = args.input.display().to_string();
    let file = std::fs::File::open(&args.input)
        .map_err(|error| Failure::io(format!("cannot open {label}"), &error))?;
    let header = Header::read_from(&mut io::BufReader::new(file))
        .map_err(|error| Failure::library(error, Some(&label)))?;
    let client = connect(&args.vault, args.vault_ca.as_deref())?;
    let account = slot_of_this_vault(&header, &client, &args.vault, &label)?.clone();
    Ok((client, account))
}
