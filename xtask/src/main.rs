//! Project tasks, run as `cargo xtask <task>` (an alias for `cargo run --package xtask --release --`).
//!
//! - `cargo xtask bench [--profile tiny|quick|full] [--only aead,stream,kdf]`: measure this host
//!   and write `reports/<host-id>/<timestamp>.json`, its charts and report.
//! - `cargo xtask report`: re-render every host's report and `reports/README.md` from the JSON.
//! - `cargo xtask vectors generate|verify|check`: the published test vectors.
//! - `cargo xtask memory [--size 4GiB]`: peak memory of the CLI on a large input.
//! - `cargo xtask tune --from reports/<host>/<run>.json [--target-ms 1000]`: the KDF setting
//!   for a target time on the device that recorded the run.
//! - `cargo xtask argon2-reference`: e2eb's Argon2id against the reference C implementation.
//! - `cargo xtask versus-age`: the CLI against `age` on the same file.

mod argon2_reference;
mod bench;
mod charts;
mod fuzz_corpus;
mod manifest;
mod memory;
mod recommend;
mod report;
mod schema;
mod stats;
mod tune;
mod vectors;
mod versus_age;

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "e2eb project tasks")]
enum Task {
    /// Benchmark the AEADs, the backup stream and the password KDFs on this host, then write
    /// the JSON result, charts and report under `reports/<host-id>/`.
    Bench(bench::Options),
    /// Re-render every host's report and the cross-host reports/README.md from the JSON files.
    Report(report::Options),
    /// Generate, verify, or run another implementation over the published test vectors.
    #[command(subcommand)]
    Vectors(vectors::Options),
    /// Write seed inputs for the fuzz targets under fuzz/corpus/ (see fuzz/README.md).
    FuzzCorpus,
    /// Peak memory and throughput of `e2eb encrypt` and `decrypt` on a large generated input.
    Memory(memory::Options),
    /// Predict the KDF setting that takes a target time on another device from the KDF grid
    /// `bench` recorded there, with the model's held-out error and the attacker's cost.
    Tune(tune::Options),
    /// Time e2eb's Argon2id against the reference C implementation (fetched with pip and built
    /// with gcc at run time), at one and two lanes.
    Argon2Reference(argon2_reference::Options),
    /// Time `e2eb encrypt` and `decrypt` against `age` (X25519 recipient) on the same file in
    /// the page cache, output to /dev/null, in interleaved rounds.
    VersusAge(versus_age::Options),
    /// Runs one KDF setting in this process and prints its timings and peak memory (started by
    /// `bench`, one process per setting).
    #[command(hide = true)]
    KdfProbe(bench::kdf::ProbeOptions),
}

fn main() -> ExitCode {
    let outcome = match Task::parse() {
        Task::Bench(options) => bench::run(options),
        Task::Report(options) => report::run(options),
        Task::Vectors(options) => vectors::run(options),
        Task::Memory(options) => memory::run(options),
        Task::Tune(options) => tune::run(options),
        Task::FuzzCorpus => fuzz_corpus::run(),
        Task::KdfProbe(options) => bench::kdf::probe(options),
        Task::Argon2Reference(options) => argon2_reference::run(options),
        Task::VersusAge(options) => versus_age::run(options),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
