//! How close `e2eb tune` lands on its target: searches the setting for the target on this
//! machine as `e2eb tune` does, then times that setting again, independently, through the
//! e2eb library itself (a backup made with one password slot, as `e2eb encrypt` makes it), and
//! prints the target, the search's figure and the re-timed median.
//!
//! ```sh
//! cargo bench -p e2eb-measure --bench landing                          # 500 ms, argon2id
//! cargo bench -p e2eb-measure --bench landing -- --target-ms 1000 --kdf both --runs 9
//! ```
//!
//! Timing accuracy is checked here rather than in a test: wall times on a shared machine vary
//! from run to run, and a test must not fail for that.

use std::time::Instant;

use e2eb::{Encryptor, KdfParams, Password, Suite};
use e2eb_measure::recommendation::{default_lanes, default_memory_cap};
use e2eb_measure::safety::Device;
use e2eb_measure::search::{self, SearchSpec, WINDOW};
use e2eb_measure::{Family, timing};

struct Options {
    target_ms: u64,
    runs: usize,
    families: Vec<Family>,
}

fn options() -> Result<Options, String> {
    let cpus = std::thread::available_parallelism()
        .ok()
        .map(|cpus| cpus.get());
    let argon = Family::Argon2id {
        lanes: default_lanes(cpus),
    };
    let mut options = Options {
        target_ms: 500,
        runs: 7,
        families: vec![argon],
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = |name: &str| {
            arguments
                .next()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match argument.as_str() {
            // cargo bench passes this to every bench binary.
            "--bench" => {}
            "--target-ms" => {
                options.target_ms = value("--target-ms")?
                    .parse()
                    .map_err(|_| "--target-ms takes whole milliseconds".to_owned())?;
            }
            "--runs" => {
                options.runs = value("--runs")?
                    .parse()
                    .map_err(|_| "--runs takes a whole number".to_owned())?;
            }
            "--kdf" => {
                options.families = match value("--kdf")?.as_str() {
                    "argon2id" => vec![argon],
                    "scrypt" => vec![Family::Scrypt],
                    "both" => vec![argon, Family::Scrypt],
                    other => return Err(format!("--kdf {other}: argon2id, scrypt or both")),
                };
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.target_ms == 0 {
        return Err("--target-ms must be at least 1".into());
    }
    Ok(options)
}

/// One backup with a password slot under `params`: what `e2eb encrypt` pays for its KDF.
fn e2eb_seconds(params: KdfParams) -> Result<f64, String> {
    let password =
        Password::new("correct horse battery staple".into()).map_err(|error| error.to_string())?;
    let start = Instant::now();
    let backup = Encryptor::new(Suite::Aes256Gcm)
        .password(password, params)
        .encrypt_to_vec(b"")
        .map_err(|error| error.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(backup);
    Ok(seconds)
}

fn main() {
    if let Err(message) = run() {
        eprintln!("landing: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let options = options()?;
    let device = Device {
        physical_memory: e2eb::KdfCaps::machine_memory(),
        available_memory: timing::available_memory(),
    };
    let (cap, reason) = default_memory_cap(&device);
    let target = options.target_ms as f64 / 1000.0;
    println!(
        "target {} ms, memory cap {} MiB ({reason}); wall times on this machine, which may be \
         shared: expect run-to-run spread",
        options.target_ms,
        cap >> 20
    );
    for family in options.families {
        let spec = SearchSpec::new(family, target, cap);
        let started = Instant::now();
        let outcome = search::search(&spec, timing::search_timer(target))?;
        let search_seconds = started.elapsed().as_secs_f64();
        let params = outcome.params;
        e2eb_seconds(params)?;
        let mut through_e2eb = (0..options.runs.max(1))
            .map(|_| e2eb_seconds(params))
            .collect::<Result<Vec<f64>, String>>()?;
        let mut direct = timing::time_samples(&params, 0, options.runs.max(1))?;
        let median = timing::median(&mut through_e2eb);
        let direct_median = timing::median(&mut direct);
        let ratio = median / target;
        println!(
            "{}: {params} after {} trials in {search_seconds:.1} s (search figure {:.0} ms)\n  \
             re-timed through e2eb::Encryptor: median {:.1} ms of {} runs (min {:.1}, max \
             {:.1}) = {:.1} % of the target, {}\n  re-timed with e2eb-measure's own derivation: \
             median {:.1} ms",
            family.name(),
            outcome.trials.len(),
            outcome.seconds * 1000.0,
            median * 1000.0,
            through_e2eb.len(),
            through_e2eb[0] * 1000.0,
            through_e2eb[through_e2eb.len() - 1] * 1000.0,
            ratio * 100.0,
            if (WINDOW.0..=WINDOW.1).contains(&ratio) {
                "within 95–110 %"
            } else {
                "OUTSIDE 95–110 %"
            },
            direct_median * 1000.0,
        );
    }
    Ok(())
}
