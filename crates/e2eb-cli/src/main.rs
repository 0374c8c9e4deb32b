//! `e2eb`: make, open and inspect end-to-end encrypted backups from the command line.

mod bench;
mod cli;
mod completions;
mod decrypt;
mod encrypt;
mod error;
mod hints;
mod input;
mod inspect;
mod interrupt;
mod keygen;
mod output;
mod progress;
mod prompt;
mod secrets;
mod signals;
mod temporary;
mod tune;
mod vault;
mod whatsapp;

use std::io::Write;
use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    interrupt::install();
    if let Some(dir) = completions::manpages_requested() {
        return report(completions::write_manpages(&dir));
    }
    if let Some(setting) = bench::kdf_probe_requested() {
        return report(bench::kdf_probe(&setting));
    }
    report(match cli::parse().command {
        Command::Keygen(args) => keygen::run(args),
        Command::Encrypt(args) => encrypt::run(args),
        Command::Decrypt(args) => decrypt::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Tune(args) => tune::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Whatsapp(args) => whatsapp::run(args),
        Command::Vault(args) => vault::run(args),
        Command::Completions(args) => completions::print_completions(args),
    })
}

fn report(outcome: Result<(), error::Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // Not eprintln!: it panics when stderr is closed, and a failure must still exit
            // with its status.
            if failure.is_reported() {
                let _ = writeln!(std::io::stderr(), "e2eb: error: {}", failure.message());
            }
            failure.exit_code()
        }
    }
}
