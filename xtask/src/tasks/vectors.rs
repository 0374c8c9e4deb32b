//! `cargo xtask vectors generate|verify|check`: the published test vectors (the work is done by
//! the `e2eb-vectors` crate; this module only parses arguments and prints).

use std::path::PathBuf;
use std::time::Duration;

use e2eb_vectors::check::{CheckOptions, check};
use e2eb_vectors::verify;

/// What to do with `vectors/`.
#[derive(clap::Subcommand, Debug)]
pub enum Options {
    /// Rewrite vectors/ from the generator (deterministic).
    Generate,
    /// Fail if vectors/ differs from what the generator writes, then run the reference
    /// library over every vector through every API.
    Verify,
    /// Run another implementation over every vector through the conformance protocol of
    /// vectors/README.md.
    Check {
        /// The implementation's command line, run with `sh -c` once per vector.
        #[arg(long)]
        cmd: String,
        /// Leave out the vectors flagged SlowKdf.
        #[arg(long)]
        skip_slow: bool,
        /// Accept any error class for invalid vectors.
        #[arg(long)]
        any_error_class: bool,
        /// Seconds one vector may take.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        /// Require every answer for a failing backup to say what was released before the
        /// failure (`released`), and check it against the vectors' flags.
        #[arg(long)]
        streaming: bool,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

pub fn run(options: Options) -> Result<(), String> {
    let dir = vectors_dir();
    match options {
        Options::Generate => {
            for line in verify::write_all(&dir)? {
                println!("{line}");
            }
            Ok(())
        }
        Options::Verify => {
            let lines = verify::verify(&dir)?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Options::Check {
            cmd,
            skip_slow,
            any_error_class,
            timeout,
            streaming,
            quiet,
        } => {
            let files = verify::check_committed(&dir)?;
            let options = CheckOptions {
                command: cmd,
                skip_slow,
                any_error_class,
                timeout: Duration::from_secs(timeout),
                streaming,
            };
            println!(
                "{:<28} {:<7} {:<28} {:<28} comment",
                "vector", "verdict", "expected", "got"
            );
            let verdicts = check(&files, &options, |verdict| {
                if !quiet || !verdict.passed {
                    let mark = match (verdict.passed, verdict.skipped) {
                        (_, true) => "skip",
                        (true, false) => "pass",
                        (false, false) => "FAIL",
                    };
                    println!(
                        "{:<28} {:<7} {:<28} {:<28} {}",
                        verdict.id, mark, verdict.expected, verdict.got, verdict.comment
                    );
                }
            });
            let failed = verdicts.iter().filter(|v| !v.passed).count();
            let skipped = verdicts.iter().filter(|v| v.skipped).count();
            println!(
                "{} passed, {failed} failed, {skipped} skipped",
                verdicts.len() - failed - skipped
            );
            if failed == 0 {
                Ok(())
            } else {
                Err(format!("{failed} vector(s) failed"))
            }
        }
    }
}
