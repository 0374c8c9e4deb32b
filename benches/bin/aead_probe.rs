//! Measures the AEADs and prints one JSON object a line: first the code the RustCrypto crates
//! were compiled to use, then one line per (backend, suite, direction, size) as soon as it is
//! measured.
//!
//! `cargo xtask bench` runs it from a second build made with the RustCrypto crates'
//! software-only code forced on (and without the other backends), to stand in for a CPU
//! without AES or carry-less multiply instructions.
//!
//! Usage: `e2eb-aead-probe [--samples N] [--warm-up-ms MS] [--sample-ms MS]
//! [--sizes 64,1024,...] [--suites aes-256-gcm,...] [--directions seal,open]
//! [--backends rustcrypto,ring,...]` (default: every backend of the build)

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use e2eb::{Backend, Suite};
use e2eb_benches::aead::{self, Direction};
use e2eb_benches::measure::Plan;
use serde_json::json;

struct Args {
    plan: Plan,
    sizes: Vec<usize>,
    suites: Vec<Suite>,
    directions: Vec<Direction>,
    backends: Vec<Backend>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        plan: Plan {
            warm_up: Duration::from_millis(100),
            samples: 10,
            sample_time: Duration::from_millis(20),
        },
        sizes: aead::SIZES.to_vec(),
        suites: Suite::ALL.to_vec(),
        directions: Direction::ALL.to_vec(),
        backends: Backend::compiled().to_vec(),
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(flag) = arguments.next() {
        let value = arguments
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value}: not a whole number"))
        };
        match flag.as_str() {
            "--samples" => args.plan.samples = number()? as usize,
            "--warm-up-ms" => args.plan.warm_up = Duration::from_millis(number()?),
            "--sample-ms" => args.plan.sample_time = Duration::from_millis(number()?),
            "--sizes" => {
                args.sizes = list(&value, |size| size.parse().ok())
                    .ok_or_else(|| format!("--sizes {value}: expected e.g. 64,1024"))?;
            }
            "--suites" => {
                args.suites = list(&value, Suite::from_name)
                    .ok_or_else(|| format!("--suites {value}: unknown suite"))?;
            }
            "--directions" => {
                args.directions = list(&value, Direction::from_name)
                    .ok_or_else(|| format!("--directions {value}: expected seal,open"))?;
            }
            "--backends" => {
                let known: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
                args.backends = list(&value, Backend::from_name).ok_or_else(|| {
                    format!("--backends {value}: this build has {}", known.join(", "))
                })?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

fn list<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    text.split(',').map(|item| parse(item.trim())).collect()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("e2eb-aead-probe: {message}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let backends: serde_json::Map<String, serde_json::Value> = aead::compiled_backends()
        .into_iter()
        .map(|(name, backend)| (name.to_owned(), json!(backend)))
        .collect();
    let mut emit =
        |line: serde_json::Value| writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    if emit(json!({ "backends": backends })).is_err() {
        return ExitCode::FAILURE;
    }
    for &backend in &args.backends {
        let backend = backend.resolve();
        for &suite in &args.suites {
            for &direction in &args.directions {
                for &size in &args.sizes {
                    let figures =
                        aead::bytes_per_second(suite, backend, direction, size, &args.plan);
                    let line = json!({
                        "backend": backend.name(),
                        "suite": suite.name(),
                        "direction": direction.name(),
                        "size": size,
                        "bytes_per_second": figures,
                    });
                    if emit(line).is_err() {
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
    }
    ExitCode::SUCCESS
}
