//! `e2eb tune`: calibrates the password KDF on the machine it runs on, the device a team wants
//! backups to unlock on in a given time, and says what the setting costs an attacker.

use std::io::{self, Write};

use clap::{Args, ValueEnum};
use e2eb_measure::Family;
use e2eb_measure::attacker;
use e2eb_measure::family::MIN_MEMORY_BYTES;
use e2eb_measure::recommendation::{self, MeasureRequest, default_lanes, default_memory_cap};
use e2eb_measure::safety::{Device, approx_bytes};
use e2eb_measure::timing;

use crate::error::Failure;
use crate::progress;

/// Timed runs of the chosen setting, after one untimed run.
const FINAL_SAMPLES: usize = 5;

#[derive(Debug, Args)]
#[command(
    after_help = "\
Searches memory and iterations for the setting that takes the target time here (within \
95-110 %, the median of repeated runs): memory first, up to the cap, then more iterations \
(argon2id t, scrypt p). Copy the binary to the slowest device your users restore on and run \
it there. Prints the --kdf-params to encrypt with, the measured time and peak memory, the \
decrypt caps the setting needs, warnings, and what guessing the password costs on a GPU.

For a device you cannot run this on, `cargo xtask tune --from reports/<host>/<run>.json` \
predicts the setting from a benchmark recorded there with `cargo xtask bench`.",
    after_long_help = e2eb_measure::recommendation::JSON_FIELDS_HELP
)]
pub struct TuneArgs {
    /// KDF to tune
    #[arg(long, value_enum, default_value_t = TuneKdf::Argon2id)]
    pub kdf: TuneKdf,

    /// Wall time one derivation should take, in milliseconds
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000)
    )]
    pub target_ms: u64,

    /// Most memory a setting may use, e.g. 512MiB, 1GiB [default: the smaller of 1 GiB and
    /// half of the available memory]
    #[arg(long, value_name = "SIZE", value_parser = e2eb_measure::units::parse_size)]
    pub max_memory: Option<u64>,

    /// Argon2id lanes (p), the threads one derivation runs on, written into the backup's key
    /// slot [default: the CPUs, at most 4]
    // `--threads` is the old name, kept so that scripts keep working; elsewhere `--threads`
    // means worker threads, which the lanes are not.
    #[arg(
        long,
        alias = "threads",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=64)
    )]
    pub lanes: Option<u32>,

    /// Rental price of the attacker's GPU in US dollars per hour
    #[arg(
        long,
        value_name = "USD",
        default_value_t = attacker::DEFAULT_USD_PER_GPU_HOUR,
        value_parser = attacker::parse_usd_per_gpu_hour
    )]
    pub usd_per_gpu_hour: f64,

    /// Print one JSON object instead of text (fields: see --help)
    #[arg(long)]
    pub json: bool,

    /// Show no progress on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TuneKdf {
    Argon2id,
    Scrypt,
    Both,
}

pub fn run(args: TuneArgs) -> Result<(), Failure> {
    let device = Device {
        physical_memory: e2eb::KdfCaps::machine_memory(),
        available_memory: timing::available_memory(),
    };
    let cpus = std::thread::available_parallelism()
        .ok()
        .map(|cpus| cpus.get());
    let lanes = args.lanes.unwrap_or_else(|| default_lanes(cpus));
    let (memory_cap, reason) = match args.max_memory {
        Some(bytes) => (bytes, "--max-memory".to_owned()),
        None => default_memory_cap(&device),
    };
    if memory_cap < MIN_MEMORY_BYTES {
        return Err(Failure::usage(format!(
            "--max-memory {memory_cap} bytes is below the smallest setting tried, 1 MiB"
        )));
    }
    if let Some(available) = device.available_memory
        && memory_cap > available
    {
        // Timing a setting allocates all of it: past what is available that swaps or gets the
        // process killed rather than measuring anything.
        return Err(Failure::new(format!(
            "--max-memory {} is more than the {} this machine has available now; free memory \
             or lower it",
            approx_bytes(memory_cap),
            approx_bytes(available)
        )));
    }
    let argon = Family::Argon2id { lanes };
    let families = match args.kdf {
        TuneKdf::Argon2id => vec![argon],
        TuneKdf::Scrypt => vec![Family::Scrypt],
        TuneKdf::Both => vec![argon, Family::Scrypt],
    };
    let request = MeasureRequest {
        families,
        target_seconds: args.target_ms as f64 / 1000.0,
        memory_cap_bytes: memory_cap,
        memory_cap_reason: reason,
        device,
        gpu: attacker::rtx_4090(args.usd_per_gpu_hour),
        samples: FINAL_SAMPLES,
    };
    let show_progress = progress::wanted(args.quiet);
    let report = recommendation::tune_here(&request, |step| {
        if show_progress {
            let _ = writeln!(io::stderr(), "{step}");
        }
    })
    .map_err(|message| Failure::new(format!("tuning failed: {message}")))?;
    let text = if args.json {
        let mut json = recommendation::to_json(&report).map_err(Failure::new)?;
        json.push('\n');
        json
    } else {
        format!(
            "This machine: {}{}{}. Timings vary with other load; on a shared machine, run it \
             again to compare.\n{}",
            cpus.map_or_else(|| "CPUs unknown".to_owned(), |cpus| format!("{cpus} CPUs")),
            device
                .physical_memory
                .map_or_else(String::new, |bytes| format!(
                    ", {} of RAM",
                    approx_bytes(bytes)
                )),
            device
                .available_memory
                .map_or_else(String::new, |bytes| format!(
                    ", {} available",
                    approx_bytes(bytes)
                )),
            recommendation::render_text(&report)
        )
    };
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::io("cannot write stdout", &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_must_be_positive() {
        assert_eq!(attacker::parse_usd_per_gpu_hour("0.8"), Ok(0.8));
        for bad in ["0", "-1", "nan", "inf", "cheap"] {
            assert!(attacker::parse_usd_per_gpu_hour(bad).is_err(), "{bad}");
        }
    }
}
