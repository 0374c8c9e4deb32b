//! `e2eb whatsapp decrypt|convert|inspect`: WhatsApp's crypt15 backups (msgstore.db.crypt15),
//! opened with the 64-digit key or the app's `encrypted_backup.key`, and turned into e2eb
//! backups without the database ever touching the disk.
//!
//! A crypt15 file is one AES-GCM message: it authenticates only at its very end. Both
//! `decrypt` and `convert` therefore write into a temporary file beside OUT that is renamed
//! into place only after the tag verified; a wrong key or a damaged file leaves nothing. A
//! stream (stdout, a pipe, a FIFO, a device) gets the data only after the tag verified too: it
//! is held in a private unnamed temporary file until then, unless `--unverified-stream` asks
//! for the data as it is decrypted.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use e2eb::{Encryptor, Threads};
use e2eb_whatsapp::{Crypt15Key, Crypt15Reader, Md5Trailer, Summary};
use serde::Serialize;

use crate::cli::EncryptArgs;
use crate::encrypt;
use crate::error::{Failure, Status};
use crate::input::Input;
use crate::output::{Contents, OutputPlan, Release};
use crate::progress::{self, Progress};
use crate::secrets;

const KEY_FILE_HELP: &str = "\
The key file is either WhatsApp's encrypted_backup.key (a Java-serialized 32-byte key, \
recognised by its header) or a text file holding the 64-digit key as hex digits, with any \
spaces, dashes and line breaks; lines starting with '#' are ignored.

Exit status 3: the key does not open the backup. WhatsApp's single-database backups end with \
an MD5 of the file, which has no key: when it matches but the key does not authenticate the \
data, the file was not damaged by accident, so either the key is wrong or the file was modified \
on purpose (whoever alters it can recompute the MD5). Exit status 4: the file is damaged, \
truncated or not a crypt15 backup.";

#[derive(Debug, Args)]
pub struct WhatsappArgs {
    #[command(subcommand)]
    pub command: WhatsappCommand,
}

#[derive(Debug, Subcommand)]
pub enum WhatsappCommand {
    /// Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds
    Decrypt(WhatsappDecryptArgs),
    /// Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk
    Convert(WhatsappConvertArgs),
    /// Show a crypt15 backup's prefix, sizes and MD5 trailer; needs no key
    Inspect(WhatsappInspectArgs),
}

#[derive(Debug, Args)]
#[command(after_help = format!("{KEY_FILE_HELP}

A database comes out inflated (a SQLite file); a multi-file backup comes out as the ZIP \
archive it holds, to be unzipped. Nothing leaves e2eb before the whole backup has \
authenticated: a regular-file OUT appears only then, and a stream (`-`, a pipe) receives the \
data only then, held until that point in a private unnamed temporary file (in TMPDIR, which \
needs room for the database), unless --unverified-stream is given."))]
pub struct WhatsappDecryptArgs {
    /// The crypt15 backup; `-` or omitted: stdin
    #[arg(value_name = "IN")]
    pub input: Option<PathBuf>,

    /// Where the database goes; `-`: stdout. A new file gets mode 0600
    #[arg(short, long = "output", value_name = "OUT")]
    pub output: PathBuf,

    /// The key: encrypted_backup.key, or a text file with the 64-digit key
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,

    /// Replace OUT if it exists (it is replaced only once the new one is complete)
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub unverified: UnverifiedStream,

    /// Show no progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct UnverifiedStream {
    /// When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the
    /// backup's only authentication tag (at its end) is checked, instead of holding it back
    /// until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP
    /// archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the
    /// stream before e2eb reports the damage. Only for a consumer that discards everything
    /// when e2eb exits non-zero
    #[arg(long)]
    pub unverified_stream: bool,
}

impl UnverifiedStream {
    fn release(&self) -> Release {
        if self.unverified_stream {
            Release::AsWritten
        } else {
            Release::OnCommit
        }
    }
}

#[derive(Debug, Args)]
#[command(
    mut_arg("input", |arg| arg.help("The crypt15 backup; `-` or omitted: stdin")),
    mut_arg("output", |arg| arg.help("Where the e2eb backup goes; `-`: stdout (never a terminal)")),
    after_help = format!("{KEY_FILE_HELP}

The e2eb backup gets the key slots given by --recovery-key-file, --password and \
--password-file, as `e2eb encrypt` does (see its help). The decrypted database only passes \
through memory, and OUT is renamed into place only once the crypt15 backup has authenticated; \
a stream OUT (`-`, a pipe) receives the e2eb backup only then (held until that point in a \
private unnamed temporary file in TMPDIR), unless --unverified-stream is given.")
)]
pub struct WhatsappConvertArgs {
    /// The crypt15 key: encrypted_backup.key, or a text file with the 64-digit key
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,

    #[command(flatten)]
    pub unverified: UnverifiedStream,

    #[command(flatten)]
    pub encrypt: EncryptArgs,
}

#[derive(Debug, Args)]
pub struct WhatsappInspectArgs {
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The crypt15 backup; `-`: stdin (read through to its end)
    #[arg(value_name = "IN")]
    pub input: PathBuf,
}

pub fn run(args: WhatsappArgs) -> Result<(), Failure> {
    match args.command {
        WhatsappCommand::Decrypt(args) => decrypt(args),
        WhatsappCommand::Convert(args) => convert(args),
        WhatsappCommand::Inspect(args) => inspect(args),
    }
}

fn read_key(path: &Path) -> Result<Crypt15Key, Failure> {
    let contents = secrets::read_secret_file(path, "key file")?;
    Crypt15Key::from_key_file(&contents)
        .map_err(|error| Failure::new(format!("key file {}: {error}", path.display())))
}

fn open_input(path: Option<&Path>) -> Result<Input, Failure> {
    let input = Input::open(path)?;
    if input.is_interactive_stdin() {
        return Err(Failure::new(
            "no backup given: name IN, or pipe the backup into stdin",
        ));
    }
    Ok(input)
}

/// The exit status that lets a script tell a wrong key from a damaged file.
fn crypt15_failure(error: e2eb_whatsapp::Error, label: &str) -> Failure {
    if let e2eb_whatsapp::Error::Io(io_error) = error {
        // The input and output adapters label their own errors; the library's mapping of
        // I/O errors says which path failed.
        return Failure::library(e2eb::Error::Io(io_error), Some(label));
    }
    let status = if error.is_wrong_key() {
        Status::WrongSecret
    } else {
        Status::BadBackup
    };
    Failure::with_status(format!("{label}: {error}"), status)
}

/// Reports what the backup held: where the data went is only half the story when it is a ZIP
/// archive, or when only the MD5 trailer is damaged.
fn report_summary(summary: &Summary, label: &str) {
    let mut stderr = io::stderr();
    if summary.md5_trailer == Md5Trailer::Mismatch {
        let _ = writeln!(
            stderr,
            "e2eb: warning: {label}: the MD5 trailer does not match the file, but the data \
             authenticated: only the trailer (or the clear-text prefix) is damaged"
        );
    }
    if summary.output_is_zip {
        let _ = writeln!(
            stderr,
            "e2eb: note: {label} is a multi-file backup: the output is a ZIP archive; unzip it"
        );
    }
}

fn decrypt(args: WhatsappDecryptArgs) -> Result<(), Failure> {
    let input = open_input(args.input.as_deref())?;
    input.refuse_secret_from_stdin([args.key_file.as_path()])?;
    let plan = OutputPlan::new(
        &args.output,
        args.force,
        Contents::Private,
        input.identity(),
    )?
    .release(args.unverified.release());
    let key = read_key(&args.key_file)?;
    let label = input.label().to_string();
    let progress = Progress::new(progress::wanted(args.quiet), "decrypting", input.len());
    // The prefix is read before the output exists, so a file that is not crypt15 creates
    // nothing.
    let reader = Crypt15Reader::new(&key, progress.wrap(input.into_reader()))
        .map_err(|error| crypt15_failure(error, &label))?;
    let mut output = plan.open()?;
    let summary = reader
        .decrypt_to(&mut output)
        .map_err(|error| crypt15_failure(error, &label))?;
    drop(progress);
    output.commit()?;
    report_summary(&summary, &label);
    Ok(())
}

fn convert(args: WhatsappConvertArgs) -> Result<(), Failure> {
    let encrypt_args = &args.encrypt;
    encrypt_args.run.warn_if_threads_above_cpus();
    let kdf_params = encrypt::password_kdf(encrypt_args)?;
    encrypt::check_vault_password(encrypt_args)?;
    // All the password slots, as encrypt counts them: the backup's budget covers them
    // together, not one at a time.
    let password_slots = encrypt::password_slot_count(encrypt_args);
    if password_slots > 0 {
        encrypt::warn_if_slots_over_default_caps(&kdf_params, password_slots);
    }
    encrypt::refuse_recovery_keys_as_passwords(&encrypt_args.slots)?;
    let input = open_input(encrypt_args.input.as_deref())?;
    input.refuse_secret_from_stdin(
        std::iter::once(args.key_file.as_path()).chain(encrypt::secret_files(&encrypt_args.slots)),
    )?;
    let plan = OutputPlan::new(
        &encrypt_args.output,
        encrypt_args.run.force,
        Contents::Ciphertext,
        input.identity(),
    )?
    .release(args.unverified.release());
    let key = read_key(&args.key_file)?;
    let label = input.label().to_string();
    // The slots' passwords are prompted for before the bar exists, which would draw over them.
    let encryptor = Encryptor::new(encrypt_args.suite.into())
        .threads(Threads::new(usize::from(encrypt_args.run.threads)))
        .backend(encrypt_args.run.backend.into());
    // A vault account registered here is deleted again if anything below fails.
    let (mut encryptor, registration) = encrypt::add_slots(encryptor, encrypt_args, kdf_params)?;
    let progress = Progress::new(
        progress::wanted(encrypt_args.run.quiet),
        "converting",
        input.len(),
    );
    let mut reader = Crypt15Reader::new(&key, progress.wrap(input.into_reader()))
        .map_err(|error| crypt15_failure(error, &label))?;
    drop(key);

    let mut output = plan.open()?;
    let outcome = encryptor.encrypt(&mut reader, &mut output);
    drop(progress);
    if let Err(error) = outcome {
        return Err(match error {
            // The crypt15 reader's verdict travels through the encryptor as an I/O error.
            e2eb::Error::Io(io_error) if e2eb_whatsapp::Error::find_in(&io_error).is_some() => {
                crypt15_failure(e2eb_whatsapp::Error::from_io(io_error), &label)
            }
            other => Failure::library(other, None),
        });
    }
    let summary = reader.summary().cloned().ok_or_else(|| {
        Failure::new(format!(
            "{label}: the crypt15 backup was not read to its end"
        ))
    })?;
    output.commit()?;
    if let Some(registration) = registration {
        registration.keep();
    }
    report_summary(&summary, &label);
    Ok(())
}

#[derive(Debug, Serialize)]
struct InspectReport {
    input: String,
    format: &'static str,
    file_len: u64,
    prefix_len: usize,
    key_type: Option<u64>,
    key_type_name: Option<&'static str>,
    key_type_new: Option<u64>,
    key_type_new_name: Option<&'static str>,
    iv: String,
    app_version: Option<String>,
    jid_suffix: Option<String>,
    backup_version: Option<u64>,
    feature_flags: Vec<FeatureFlag>,
    passkey_metadata_len: Option<usize>,
    unknown_fields: Vec<String>,
    md5_trailer_matches: bool,
    ciphertext_len: Option<u64>,
}

#[derive(Debug, Serialize)]
struct FeatureFlag {
    field: u64,
    value: u64,
}

fn inspect(args: WhatsappInspectArgs) -> Result<(), Failure> {
    let input = Input::open(Some(&args.input))?;
    let label = input.label().to_string();
    let inspection =
        e2eb_whatsapp::inspect(input.into_reader()).map_err(|e| crypt15_failure(e, &label))?;
    let fields = &inspection.prefix.fields;
    let metadata = fields.metadata.clone().unwrap_or_default();
    let mut unknown_fields: Vec<String> = fields
        .unknown_fields
        .iter()
        .map(|field| format!("{} ({} bytes)", field.number, field.len))
        .collect();
    unknown_fields.extend(
        fields
            .crypt15_unknown_fields
            .iter()
            .map(|field| format!("3.{} ({} bytes)", field.number, field.len)),
    );
    unknown_fields.extend(
        metadata
            .unknown_fields
            .iter()
            .map(|field| format!("4.{} ({} bytes)", field.number, field.len)),
    );
    let report = InspectReport {
        input: args.input.display().to_string(),
        format: "crypt15",
        file_len: inspection.file_len,
        prefix_len: inspection.prefix.len(),
        key_type: fields.key_type,
        key_type_name: fields.key_type.map(e2eb_whatsapp::prefix::key_type_name),
        key_type_new: fields.key_type_new,
        key_type_new_name: fields
            .key_type_new
            .map(e2eb_whatsapp::prefix::key_type_name),
        iv: inspection
            .prefix
            .iv
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
        app_version: metadata.app_version.clone(),
        jid_suffix: metadata.jid_suffix.clone(),
        backup_version: metadata.backup_version,
        feature_flags: metadata
            .features
            .iter()
            .map(|&(field, value)| FeatureFlag { field, value })
            .collect(),
        passkey_metadata_len: fields.passkey_metadata_len,
        unknown_fields,
        md5_trailer_matches: inspection.md5_trailer_matches,
        ciphertext_len: inspection.ciphertext_len(),
    };
    crate::output::print_report(&report, args.json, write_text)?;
    if report.ciphertext_len.is_none() {
        return Err(Failure::with_status(
            format!("{label}: too short to hold an authentication tag after its prefix"),
            Status::BadBackup,
        ));
    }
    Ok(())
}

fn write_text(out: &mut impl Write, report: &InspectReport) -> io::Result<()> {
    let or_none = |value: Option<String>| value.unwrap_or_else(|| "none".into());
    writeln!(out, "input              {}", report.input)?;
    writeln!(
        out,
        "format             crypt15 (WhatsApp end-to-end encrypted backup)"
    )?;
    writeln!(out, "file length        {} bytes", report.file_len)?;
    writeln!(out, "prefix             {} bytes", report.prefix_len)?;
    let key_type = |value: Option<u64>, name: Option<&str>| match (value, name) {
        (Some(value), Some(name)) => format!("{value} ({name})"),
        _ => "none".into(),
    };
    writeln!(
        out,
        "key type           {}",
        key_type(report.key_type, report.key_type_name)
    )?;
    if report.key_type_new.is_some() {
        writeln!(
            out,
            "key type (new)     {}",
            key_type(report.key_type_new, report.key_type_new_name)
        )?;
    }
    writeln!(out, "IV                 {}", report.iv)?;
    writeln!(
        out,
        "app version        {}",
        or_none(report.app_version.clone())
    )?;
    writeln!(
        out,
        "phone number ends  {}",
        or_none(report.jid_suffix.clone())
    )?;
    writeln!(
        out,
        "backup version     {}",
        or_none(report.backup_version.map(|v| v.to_string()))
    )?;
    let set: Vec<String> = report
        .feature_flags
        .iter()
        .filter(|flag| flag.value != 0)
        .map(|flag| flag.field.to_string())
        .collect();
    writeln!(
        out,
        "feature flags      {} ({} set: {})",
        report.feature_flags.len(),
        set.len(),
        if set.is_empty() {
            "none".into()
        } else {
            format!("fields {}", set.join(","))
        }
    )?;
    if let Some(len) = report.passkey_metadata_len {
        writeln!(out, "passkey metadata   {len} bytes")?;
    }
    writeln!(
        out,
        "unknown fields     {}",
        if report.unknown_fields.is_empty() {
            "none".into()
        } else {
            report.unknown_fields.join(", ")
        }
    )?;
    writeln!(
        out,
        "MD5 trailer        {}",
        if report.md5_trailer_matches {
            "present, matches the file"
        } else {
            "none matches (multi-file backups have none; otherwise the file is damaged)"
        }
    )?;
    writeln!(
        out,
        "ciphertext         {}",
        match report.ciphertext_len {
            Some(len) => format!("{len} bytes"),
            None => "none: the file is too short".into(),
        }
    )?;
    Ok(())
}
