//! The command line: what each subcommand accepts, and the help text that documents it.

use std::path::PathBuf;

use clap::{
    ArgAction, ArgGroup, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand,
    ValueEnum,
};

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  error: unreadable or invalid input files, I/O failures, refused output, and the like
  2  usage error on the command line
  3  the recovery key or password opens none of the backup's key slots, or the key vault
     refused the password (the message says how many attempts it has left)
  4  the input is not a backup this build can open: damaged, truncated, altered, not a backup,
     or of an unsupported version or suite
  5  a key slot asks for more KDF memory or work than the caps allow (see decrypt --max-kdf-memory)
  6  the key vault (--vault) could not be reached
  7  TLS with the key vault failed (untrusted or mismatched certificate; see --vault-ca)
  8  the key vault holds no key for the backup: erased after too many wrong passwords, or deleted
  9  the key vault's answer was malformed, or it refused the request
  10 the server at --vault is not the vault the backup's vault slot names (no attempt spent)
  11 the backup has no vault slot
  129, 130, 143  ended by SIGHUP, Ctrl-C (SIGINT) or SIGTERM (128 + the signal's number)
  141  the pipe OUT writes to was closed by its reader (as `e2eb decrypt ... | head`); no message";

/// End-to-end encrypted backups: make, open and inspect e2eb backups.
#[derive(Debug, Parser)]
#[command(name = "e2eb", version, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a new recovery key (64 hex digits in 16 groups of 4)
    Keygen(KeygenArgs),
    /// Encrypt data into a backup
    Encrypt(EncryptArgs),
    /// Decrypt a backup with a recovery key or a password
    Decrypt(DecryptArgs),
    /// Show a backup's header and sizes; needs no secret
    Inspect(InspectArgs),
    /// Find the password KDF setting that takes a target time on this machine
    Tune(crate::tune::TuneArgs),
    /// Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file
    Bench(crate::bench::BenchArgs),
    /// WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect
    Whatsapp(crate::whatsapp::WhatsappArgs),
    /// The key vault's account of a backup's vault slot: check it, or delete it
    Vault(VaultArgs),
    /// Print a shell's completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The key file is created with mode 0600: a '#' comment line, then the key. e2eb reads such files \
back ignoring blank lines and lines that start with '#'.")]
pub struct KeygenArgs {
    /// Write the key to FILE (mode 0600) instead of stdout
    #[arg(short, long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists (the key it holds is lost)
    #[arg(long)]
    pub force: bool,
}

/// More threads than this cannot speed up the chunk work of one stream, and would only exhaust
/// the process's thread limit.
const MOST_THREADS: i64 = 1024;

/// Options every streaming subcommand takes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only
    /// slows the run down
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        value_parser = clap::value_parser!(u16).range(0..=MOST_THREADS)
    )]
    pub threads: u16,

    /// AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then
    /// rustcrypto). Backups are the same bytes whichever runs
    #[arg(long, value_enum, value_name = "NAME", default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,

    /// Replace OUT if it exists (it is replaced only once the new one is complete)
    #[arg(long)]
    pub force: bool,

    /// Show no progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

impl RunArgs {
    /// Warns when `--threads` asks for more threads than there are CPUs: they then take turns
    /// and the run gets slower, not faster (70 times slower for 1000 threads on 2 CPUs).
    pub fn warn_if_threads_above_cpus(&self) {
        let Ok(cpus) = std::thread::available_parallelism() else {
            return;
        };
        if usize::from(self.threads) > cpus.get() {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!(
                    "e2eb: warning: --threads {} is more than the {cpus} CPUs this process may \
                     use; the extra threads only slow the run down (0: one per CPU)\n",
                    self.threads
                )
                .as_bytes(),
            );
        }
    }
}

/// Where one key slot of a new backup gets its secret, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotSource {
    RecoveryKeyFile(PathBuf),
    PasswordPrompt,
    PasswordFile(PathBuf),
}

#[derive(Debug, Args)]
#[command(
    group(
        ArgGroup::new("slot")
            .args(["recovery_key_files", "password", "password_files"])
            .required(true)
            .multiple(true)
    ),
    group(
        ArgGroup::new("password_slot")
            .args(["password", "password_files"])
            .multiple(true)
    ),
    after_help = "\
Each --recovery-key-file, --password and --password-file adds one key slot, in the order given; \
any one of their secrets opens the backup. Password slots all use --kdf and --kdf-params. \
Passwords are never taken on the command line: --password prompts on the terminal, \
--password-file reads the first line of a file (e.g. /dev/fd/3).

Without --kdf-params a KDF's defaults apply: argon2id m=65536,t=3,p=4 (m in KiB), \
scrypt ln=17,r=8,p=1. Keys left out of --kdf-params keep these defaults.

With --vault URL, the one password given (--password or --password-file) is not a password \
slot: it is registered at the key vault, which keeps a random 32-byte vault secret for it, and \
the backup gets a vault slot opened by that secret. The vault releases the secret to the right \
password and erases it after a fixed number of wrong ones (10 by default), so a short password \
cannot be guessed offline from the backup. Add a recovery key beside it (--recovery-key-file; \
make one with `e2eb keygen -o FILE`): without one, a forgotten password, too many wrong ones \
or a lost vault loses the backup."
)]
pub struct EncryptArgs {
    /// The data to back up; `-` or omitted: stdin
    #[arg(value_name = "IN")]
    pub input: Option<PathBuf>,

    /// Where the backup goes; `-`: stdout, which is also the default (but never a terminal)
    #[arg(
        short,
        long = "output",
        value_name = "OUT",
        default_value = "-",
        hide_default_value = true
    )]
    pub output: PathBuf,

    /// Add a slot opened by the recovery key in FILE (see `e2eb keygen`)
    #[arg(long = "recovery-key-file", value_name = "FILE")]
    pub recovery_key_files: Vec<PathBuf>,

    /// Add a slot opened by a password typed on the terminal (asked twice)
    // Appended values rather than a count: clap records an index for each value, which
    // `slots_in_command_line_order` needs, but only one for a counted flag.
    #[arg(
        long,
        action = ArgAction::Append,
        num_args = 0,
        default_missing_value = "true",
        value_parser = clap::value_parser!(bool)
    )]
    pub password: Vec<bool>,

    /// Add a slot opened by the password on the first line of FILE
    #[arg(long = "password-file", value_name = "FILE")]
    pub password_files: Vec<PathBuf>,

    /// KDF of the password slots [default: argon2id]
    #[arg(long, value_enum, requires = "password_slot")]
    pub kdf: Option<KdfChoice>,

    /// KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)
    #[arg(long, value_name = "PARAMS", requires = "password_slot")]
    pub kdf_params: Option<String>,

    /// Make the backup even with --kdf-params below OWASP's minimum: each password guess then
    /// costs an attacker who has the backup less, so a weak password falls faster
    #[arg(long, requires = "kdf_params")]
    pub accept_weak_kdf: bool,

    /// Register the password at the key vault at URL and add a vault slot in place of a
    /// password slot (https://, or http:// to a loopback address)
    #[arg(
        long,
        value_name = "URL",
        requires = "password_slot",
        conflicts_with_all = ["kdf", "kdf_params"]
    )]
    pub vault: Option<String>,

    /// PEM file of the CA (or self-signed certificate) to trust for the vault instead of the
    /// web's roots
    #[arg(long, value_name = "FILE", requires = "vault")]
    pub vault_ca: Option<PathBuf>,

    /// Cipher suite
    #[arg(long, value_enum, default_value_t = SuiteChoice::Aes256Gcm)]
    pub suite: SuiteChoice,

    #[command(flatten)]
    pub run: RunArgs,

    /// The slots' secrets in command-line order; filled in by [`parse`].
    #[arg(skip)]
    pub slots: Vec<SlotSource>,
}

#[derive(Debug, Args)]
#[command(
    group(
        ArgGroup::new("secret")
            .args(["recovery_key_file", "recovery_key", "password", "password_file"])
            .required(true)
            .multiple(false)
    ),
    after_help = "\
Before running a KDF, e2eb checks each password slot's parameters against caps, so that a \
hostile backup cannot exhaust this machine. The default caps: memory at most 4 GiB and at most \
half of physical memory, argon2id t <= 64 and p <= 64, scrypt log2 N <= 22, r <= 32, p <= 16, \
and memory × passes at most 16 GiB per slot; per backup, at most 8 password slots tried and \
32 GiB of memory × passes in all. Raise a cap only for a backup whose origin you trust.

Only authenticated data is written. When OUT is a regular file, it appears only once the whole \
backup has decrypted; when it is a stream (`-`, a pipe, a device) data flows as it is \
authenticated, and a damaged or truncated backup still ends with an error and a non-zero exit.

With --vault URL, the password is sent (through OPAQUE: the vault never sees it) to the key \
vault at URL, which releases the secret of the backup's vault slot. The URL is always the one \
given, never the hint the backup's header carries. Each wrong password costs one of the \
vault's attempts, at the prompt too (3 tries); when they run out the vault erases the key, and \
only the backup's other slots (its recovery key) open it."
)]
pub struct DecryptArgs {
    /// The backup; `-` or omitted: stdin
    #[arg(value_name = "IN")]
    pub input: Option<PathBuf>,

    /// Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o:
    /// stdout, unless it is a terminal
    #[arg(short, long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Open with the recovery key in FILE
    #[arg(long, value_name = "FILE")]
    pub recovery_key_file: Option<PathBuf>,

    /// Open with a recovery key typed on the terminal
    #[arg(long)]
    pub recovery_key: bool,

    /// Open with a password typed on the terminal
    #[arg(long)]
    pub password: bool,

    /// Open with the password on the first line of FILE
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Open the backup's vault slot: log in to the key vault at URL with the password
    #[arg(long, value_name = "URL", conflicts_with_all = ["recovery_key_file", "recovery_key"])]
    pub vault: Option<String>,

    /// PEM file of the CA (or self-signed certificate) to trust for the vault instead of the
    /// web's roots
    #[arg(long, value_name = "FILE", requires = "vault")]
    pub vault_ca: Option<PathBuf>,

    /// Most memory one KDF run may take, e.g. 512MiB, 8GiB
    #[arg(long, value_name = "SIZE", value_parser = e2eb_measure::units::parse_size)]
    pub max_kdf_memory: Option<u64>,

    /// Most argon2id passes (t)
    #[arg(long, value_name = "N")]
    pub max_argon2_t: Option<u32>,

    /// Most argon2id lanes (p)
    #[arg(long, value_name = "N")]
    pub max_argon2_p: Option<u32>,

    /// Largest scrypt log2 N
    #[arg(long, value_name = "N")]
    pub max_scrypt_log_n: Option<u8>,

    /// Largest scrypt block size r
    #[arg(long, value_name = "N")]
    pub max_scrypt_r: Option<u32>,

    /// Largest scrypt parallelism p
    #[arg(long, value_name = "N")]
    pub max_scrypt_p: Option<u32>,

    /// Most work one KDF run may ask, memory × passes, e.g. 16GiB
    #[arg(long, value_name = "SIZE", value_parser = e2eb_measure::units::parse_size)]
    pub max_kdf_work: Option<u64>,

    /// Most work all the password slots of the backup may ask together, e.g. 32GiB
    #[arg(long, value_name = "SIZE", value_parser = e2eb_measure::units::parse_size)]
    pub max_backup_kdf_work: Option<u64>,

    /// Most password slots (distinct KDF runs) a backup may ask to try
    #[arg(long, value_name = "N")]
    pub max_password_slots: Option<u32>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(subcommand)]
    pub command: VaultCommand,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Log in to the vault of a backup's vault slot and show its attempts (a correct password
    /// resets them; a wrong one costs one)
    Status(VaultAccountArgs),
    /// Log in and delete the account of a backup's vault slot: the vault slot then never opens
    /// again, and only the backup's other slots do
    Delete(VaultAccountArgs),
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("secret")
        .args(["password", "password_file"])
        .required(true)
        .multiple(false)
))]
pub struct VaultAccountArgs {
    /// The backup whose vault slot names the vault and the account
    #[arg(value_name = "BACKUP")]
    pub input: PathBuf,

    /// The key vault's URL (https://, or http:// to a loopback address)
    #[arg(long, value_name = "URL")]
    pub vault: String,

    /// PEM file of the CA (or self-signed certificate) to trust for the vault instead of the
    /// web's roots
    #[arg(long, value_name = "FILE")]
    pub vault_ca: Option<PathBuf>,

    /// The account's password, typed on the terminal
    #[arg(long)]
    pub password: bool,

    /// The account's password, on the first line of FILE
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_long_help = crate::inspect::JSON_FIELDS_HELP)]
pub struct InspectArgs {
    /// Print one JSON object instead of text (fields: see --help)
    #[arg(long)]
    pub json: bool,

    /// The backup; `-`: stdin (read through to its end to measure it)
    #[arg(value_name = "IN")]
    pub input: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KdfChoice {
    Argon2id,
    Scrypt,
}

impl From<KdfChoice> for e2eb::KdfKind {
    fn from(choice: KdfChoice) -> e2eb::KdfKind {
        match choice {
            KdfChoice::Argon2id => e2eb::KdfKind::Argon2id,
            KdfChoice::Scrypt => e2eb::KdfKind::Scrypt,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuiteChoice {
    #[value(name = "aes-256-gcm")]
    Aes256Gcm,
    #[value(name = "chacha20-poly1305")]
    ChaCha20Poly1305,
}

impl From<SuiteChoice> for e2eb::Suite {
    fn from(choice: SuiteChoice) -> e2eb::Suite {
        match choice {
            SuiteChoice::Aes256Gcm => e2eb::Suite::Aes256Gcm,
            SuiteChoice::ChaCha20Poly1305 => e2eb::Suite::ChaCha20Poly1305,
        }
    }
}

/// The AEAD backends of this build (the cargo features `ring` and `aws-lc` add theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    Auto,
    #[value(name = "rustcrypto")]
    RustCrypto,
    #[cfg(feature = "ring")]
    Ring,
    #[cfg(feature = "aws-lc")]
    #[value(name = "aws-lc")]
    AwsLc,
}

impl From<BackendChoice> for e2eb::Backend {
    fn from(choice: BackendChoice) -> e2eb::Backend {
        match choice {
            BackendChoice::Auto => e2eb::Backend::Auto,
            BackendChoice::RustCrypto => e2eb::Backend::RustCrypto,
            #[cfg(feature = "ring")]
            BackendChoice::Ring => e2eb::Backend::Ring,
            #[cfg(feature = "aws-lc")]
            BackendChoice::AwsLc => e2eb::Backend::AwsLc,
        }
    }
}

/// Parses the process's arguments; exits with clap's usage error (status 2) when they are wrong.
pub fn parse() -> Cli {
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match Cli::command().try_get_matches_from(&arguments) {
        Ok(matches) => matches,
        Err(error) => {
            if let Some(explanation) = password_given_a_value(&arguments, &error) {
                let _ = std::io::Write::write_all(&mut std::io::stderr(), explanation.as_bytes());
                std::process::exit(USAGE);
            }
            error.exit()
        }
    };
    if input_is_a_missing_word_after_password(&matches) {
        let explanation =
            password_value_explanation("it was taken as the input file, and no file has that name");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), explanation.as_bytes());
        std::process::exit(USAGE);
    }
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    if let Command::Encrypt(encrypt) = &mut cli.command {
        let encrypt_matches = matches
            .subcommand_matches("encrypt")
            .expect("the encrypt subcommand was parsed");
        encrypt.slots = slots_in_command_line_order(encrypt, encrypt_matches);
    }
    if let Command::Whatsapp(whatsapp) = &mut cli.command
        && let crate::whatsapp::WhatsappCommand::Convert(convert) = &mut whatsapp.command
    {
        let convert_matches = matches
            .subcommand_matches("whatsapp")
            .and_then(|whatsapp| whatsapp.subcommand_matches("convert"))
            .expect("the whatsapp convert subcommand was parsed");
        convert.encrypt.slots = slots_in_command_line_order(&convert.encrypt, convert_matches);
    }
    cli
}

/// Exit status of usage errors, clap's own.
const USAGE: i32 = 2;

/// The explanation for `--password WORD` or `--password=WORD`, where clap refused WORD: the
/// flag prompts and takes no value. Clap's own message would quote WORD, which may well be a
/// password, onto the screen and into logs; this one never does.
fn password_given_a_value(arguments: &[std::ffi::OsString], error: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        return None;
    }
    let refused = error.to_string();
    let given_a_value = arguments.iter().enumerate().any(|(position, argument)| {
        let Some(argument) = argument.to_str() else {
            return false;
        };
        if argument.starts_with("--password=") {
            return true;
        }
        // The next word counts only when clap's error is about it: `--password backup.e2eb`
        // names IN and is fine.
        argument == "--password"
            && arguments
                .get(position + 1)
                .and_then(|next| next.to_str())
                .is_some_and(|next| {
                    !next.is_empty() && !next.starts_with('-') && refused.contains(next)
                })
    });
    given_a_value.then(|| password_value_explanation("it was not used"))
}

/// `e2eb encrypt --password hunter2 -o x`: clap takes the word after `--password` as IN, and
/// opening it would fail with its name, which may well be a password, in the message. Where IN
/// is the word right after a `--password` and names nothing on disk, the explanation of
/// `password_given_a_value` is given instead; an IN that exists is used as it always was.
fn input_is_a_missing_word_after_password(matches: &ArgMatches) -> bool {
    let mut leaf = matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    let (Ok(Some(input)), Ok(true)) = (
        leaf.try_get_one::<PathBuf>("input"),
        leaf.try_contains_id("password"),
    ) else {
        return false;
    };
    let (Some(input_index), Some(mut passwords)) =
        (leaf.index_of("input"), leaf.indices_of("password"))
    else {
        return false;
    };
    passwords.any(|index| index + 1 == input_index) && !input.exists() && !input.is_symlink()
}

/// What `--password WORD` gets: the flag prompts; `fate` says what became of WORD, which is
/// never shown.
fn password_value_explanation(fate: &str) -> String {
    format!(
        "e2eb: error: --password takes no value: it asks for the password on the terminal (the \
         word given after it is not shown here, in case it is a password; {fate}).\n\
         e2eb: hint: to read the password from a file, use --password-file FILE (e.g. \
         /dev/fd/3); passwords are never taken on the command line, where other users and \
         the shell's history can see them\n"
    )
}

/// Clap keeps each flag's values apart; the slot order a person typed is recovered from the
/// argument indices so that the header lists slots as they were asked for.
fn slots_in_command_line_order(args: &EncryptArgs, matches: &ArgMatches) -> Vec<SlotSource> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(|indices| indices.collect())
            .unwrap_or_default()
    };
    let mut slots: Vec<(usize, SlotSource)> = Vec::new();
    for (index, path) in indices("recovery_key_files")
        .into_iter()
        .zip(&args.recovery_key_files)
    {
        slots.push((index, SlotSource::RecoveryKeyFile(path.clone())));
    }
    for (index, path) in indices("password_files")
        .into_iter()
        .zip(&args.password_files)
    {
        slots.push((index, SlotSource::PasswordFile(path.clone())));
    }
    for (index, _) in indices("password").into_iter().zip(&args.password) {
        slots.push((index, SlotSource::PasswordPrompt));
    }
    slots.sort_by_key(|(index, _)| *index);
    slots.into_iter().map(|(_, source)| source).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt_slots(arguments: &[&str]) -> Vec<SlotSource> {
        let matches = Cli::command()
            .try_get_matches_from(arguments)
            .expect("valid arguments");
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let Command::Encrypt(encrypt) = cli.command else {
            panic!("not encrypt")
        };
        slots_in_command_line_order(&encrypt, matches.subcommand_matches("encrypt").unwrap())
    }

    #[test]
    fn slots_keep_command_line_order() {
        let slots = encrypt_slots(&[
            "e2eb",
            "encrypt",
            "--password-file",
            "p1",
            "--password",
            "--recovery-key-file",
            "k1",
            "--password",
            "--password-file",
            "p2",
            "-o",
            "out",
        ]);
        assert_eq!(
            slots,
            vec![
                SlotSource::PasswordFile("p1".into()),
                SlotSource::PasswordPrompt,
                SlotSource::RecoveryKeyFile("k1".into()),
                SlotSource::PasswordPrompt,
                SlotSource::PasswordFile("p2".into()),
            ]
        );
    }

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
