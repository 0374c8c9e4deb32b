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

/// Every heap block the process frees is zeroed first. Some secrets live in memory that other
/// crates allocate and free where e2eb cannot reach them: scrypt's `V` (from which one password
/// guess costs a single PBKDF2 call instead of a whole derivation) and its `B`, chiefly. Large
/// blocks go back to the kernel zeroed; smaller ones no longer wait in the heap, readable, for
/// reuse. It costs one `memset` per freed byte (figures in README.md, "Memory that held secrets").
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

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
