//! Project tasks, run as `cargo xtask <task>` (an alias for `cargo run --package xtask --release --`).
//!
//! - `cargo xtask bench [--profile tiny|quick|full] [--only aead,stream,kdf,vault]`: measure this host
//!   and write `reports/<host-id>/<timestamp>.json`, its charts and report.
//! - `cargo xtask report [--add run.json]`: re-render every host's report and `reports/README.md`
//!   from the JSON, first adding a run made elsewhere (`e2eb bench` on a device).
//! - `cargo xtask simulate-device [--cpu-share 0.5 --cpus 1 --memory 2GiB]`: `e2eb bench` under
//!   cgroup limits, added to the reports as a stand-in for a smaller device.
//! - `cargo xtask vectors generate|verify|check`: the published test vectors.
//! - `cargo xtask memory [--size 4GiB]`: peak memory of the CLI on a large input.
//! - `cargo xtask tune --from reports/<host>/<run>.json [--target-ms 1000]`: the KDF setting
//!   for a target time on the device that recorded the run.
//! - `cargo xtask argon2-reference`: e2eb's Argon2id against the reference C implementation.
//! - `cargo xtask versus-age`: the CLI against `age` on the same file.
//! - `cargo xtask kill-campaign [--runs 200] [--size 64MiB]`: random signals at random moments
//!   over `e2eb encrypt`/`decrypt`, checking what each interrupted run left on disk.
//! - `cargo xtask cli-docs [--check]`: the CLI's manual pages and shell completions in doc/.
//!
//! This file only parses the command line and hands it to a task. Each task is a module under
//! `tasks/`; everything else at the top level is shared. Tasks import shared modules, and shared
//! modules import each other, but a shared module never imports a task and no task imports
//! another, so the modules form a graph without cycles and a task can change without touching
//! its neighbours. Where a task is the door to one engine, the two share a name:
//! `tasks::report` is `cargo xtask report`, `report` renders the pages that `bench` writes too.

// Shared modules: what several tasks need, or what a task's job is made of.
mod argon2_reference;
mod charts;
mod report;
mod units;
mod workspace;
// The run file, its host record, figure summaries and the models of a KDF grid, shared with
// `e2eb bench`, which writes the same files on a device.
use e2eb_measure::grid as recommend;
use e2eb_measure::{manifest, schema, stats};

mod tasks;

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "e2eb project tasks")]
enum Task {
    /// Benchmark the AEADs, the backup stream and the password KDFs on this host, then write
    /// the JSON result, charts and report under `reports/<host-id>/`.
    Bench(tasks::bench::Options),
    /// Re-render every host's report and the cross-host reports/README.md from the JSON files.
    Report(tasks::report::Options),
    /// Run `e2eb bench` confined by cgroup v1 limits (a CPU quota, a cpuset, a memory limit) as
    /// a stand-in for a smaller device, then add the run to the reports.
    SimulateDevice(tasks::simulate_device::Options),
    /// Generate, verify, or run another implementation over the published test vectors.
    #[command(subcommand)]
    Vectors(tasks::vectors::Options),
    /// Write seed inputs for the fuzz targets under fuzz/corpus/ (see fuzz/README.md).
    FuzzCorpus,
    /// Peak memory and throughput of `e2eb encrypt` and `decrypt` on a large generated input.
    Memory(tasks::memory::Options),
    /// Predict the KDF setting that takes a target time on another device from the KDF grid
    /// `bench` recorded there, with the model's held-out error and the attacker's cost.
    Tune(tasks::tune::Options),
    /// Time e2eb's Argon2id against the reference C implementation (fetched with pip and built
    /// with gcc at run time), at one and two lanes.
    Argon2Reference(argon2_reference::Options),
    /// Time `e2eb encrypt` and `decrypt` against `age` (X25519 recipient) on the same file in
    /// the page cache, output to /dev/null, in interleaved rounds.
    VersusAge(tasks::versus_age::Options),
    /// Interrupt `e2eb encrypt` and `decrypt` with random signals at random moments (with and
    /// without --force, on both output paths) and check what each run left on disk.
    KillCampaign(tasks::kill_campaign::Options),
    /// Write the CLI's manual pages (doc/man/) and shell completions (doc/completions/), or
    /// with --check fail where the committed ones are stale.
    CliDocs(tasks::cli_docs::Options),
    /// Runs one KDF setting in this process and prints its timings and peak memory (started by
    /// `bench`, one process per setting).
    #[command(hide = true)]
    KdfProbe(tasks::bench::ProbeOptions),
}

fn main() -> ExitCode {
    let outcome = match Task::parse() {
        Task::Bench(options) => tasks::bench::run(options),
        Task::Report(options) => tasks::report::run(options),
        Task::SimulateDevice(options) => tasks::simulate_device::run(options),
        Task::Vectors(options) => tasks::vectors::run(options),
        Task::Memory(options) => tasks::memory::run(options),
        Task::Tune(options) => tasks::tune::run(options),
        Task::FuzzCorpus => tasks::fuzz_corpus::run(),
        Task::KdfProbe(options) => tasks::bench::kdf_probe(options),
        Task::Argon2Reference(options) => tasks::argon2_reference::run(options),
        Task::VersusAge(options) => tasks::versus_age::run(options),
        Task::KillCampaign(options) => tasks::kill_campaign::run(options),
        Task::CliDocs(options) => tasks::cli_docs::run(options),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
