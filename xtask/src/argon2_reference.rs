//! e2eb's Argon2id (the RustCrypto `argon2` crate) against the reference C implementation, at
//! one and more lanes, measured side by side in one run, for `cargo xtask argon2-reference` and
//! `cargo xtask bench`; and the ratios both print.
//!
//! The C code is not part of this repository. The comparison fetches the source distribution
//! of the Python package `argon2-cffi-bindings` (which vendors the upstream reference code in
//! `extras/libargon2`) with pip into a temporary folder, or takes an unpacked copy given with
//! `--source`, and builds its command-line tool twice with gcc: `-march=native -mno-avx512f`
//! (the AVX2 code path of `src/opt.c`) and `-march=native` (AVX-512 where the CPU has it).
//!
//! Every round runs each implementation once per lane count, interleaved, so that a change in
//! the machine's load falls on all of them alike. The C figures are wall times of one process
//! per derivation (process start-up, a millisecond, included; the tool's own "seconds" line is
//! CPU time summed over threads, so it is not used). e2eb's are wall times of one derivation in
//! this process. Both allocate their memory afresh for each derivation, and both outputs are
//! checked to be the same hash before any timing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use e2eb::slot::SealedFileKey;
use e2eb::{Argon2idParams, KdfParams, KeySlot, Password, Secret};

use crate::schema::{Argon2Implementation, Argon2Reference};
use crate::stats::Summary;

/// What to compare: the options of `cargo xtask argon2-reference`, which `bench` sets itself.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// Argon2id memory (m) in MiB
    #[arg(long, default_value_t = 256)]
    pub memory_mib: u32,
    /// Argon2id passes (t)
    #[arg(long, default_value_t = 2)]
    pub passes: u32,
    /// Lane counts (p) to measure, comma separated
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub lanes: Vec<u32>,
    /// Rounds; each runs every implementation once per lane count
    #[arg(long, default_value_t = 7)]
    pub rounds: usize,
    /// An unpacked reference implementation (a folder with src/ and include/) instead of the
    /// one pip fetches
    #[arg(long)]
    pub source: Option<PathBuf>,
}

const PASSWORD: &str = "e2eb argon2 reference password";
/// 32 bytes, as e2eb's password slots use; ASCII so that it passes through argv unchanged.
const SALT: &str = "e2eb-argon2-reference-salt-32-by";

/// One implementation under test.
struct Contender {
    name: String,
    binary: Option<PathBuf>,
}

/// Builds the reference code and times it against e2eb, `options.rounds` interleaved rounds;
/// `on_round` hears of each finished round. The C builds come first in the result, e2eb last.
pub fn compare(options: &Options, on_round: impl FnMut(usize)) -> Result<Argon2Reference, String> {
    if options.lanes.is_empty() || options.rounds == 0 {
        return Err("nothing to measure: give --lanes and --rounds".into());
    }
    let scratch =
        std::env::temp_dir().join(format!("e2eb-argon2-reference-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let outcome = measure(options, &scratch, on_round);
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

/// The speedups over the first lane count, then e2eb's time over each C build's, one line each.
pub fn ratios(comparison: &Argon2Reference) -> Vec<String> {
    let mut lines = Vec::new();
    let lanes = &comparison.lanes;
    for lane_index in 1..lanes.len() {
        for implementation in &comparison.implementations {
            lines.push(format!(
                "{:<44}  speedup of p={} over p={}: {:.2}×",
                implementation.name,
                lanes[lane_index],
                lanes[0],
                implementation.seconds[0].median / implementation.seconds[lane_index].median
            ));
        }
    }
    if let Some(e2eb) = comparison.e2eb() {
        for (lane_index, &lane_count) in lanes.iter().enumerate() {
            for reference in comparison.references() {
                lines.push(format!(
                    "p={lane_count}: e2eb's time over {}'s: {:.3}",
                    reference.name,
                    e2eb.seconds[lane_index].median / reference.seconds[lane_index].median
                ));
            }
        }
    }
    lines
}

fn measure(
    options: &Options,
    scratch: &Path,
    mut on_round: impl FnMut(usize),
) -> Result<Argon2Reference, String> {
    let source = match &options.source {
        Some(source) => source.clone(),
        None => fetch(scratch)?,
    };
    let mut contenders = Vec::new();
    for (name, flags) in [
        ("C reference, AVX2", &["-march=native", "-mno-avx512f"][..]),
        ("C reference, -march=native", &["-march=native"][..]),
    ] {
        let binary = scratch.join(name.replace([' ', ',', '='], "-"));
        build(&source, flags, &binary)?;
        contenders.push(Contender {
            name: format!("{name} ({})", simd_path(flags)?),
            binary: Some(binary),
        });
    }
    contenders.push(Contender {
        name: "e2eb (argon2 crate, parallel)".into(),
        binary: None,
    });

    let memory_kib = options.memory_mib * 1024;
    for &lanes in &options.lanes {
        let reference = derive(
            &contenders[contenders.len() - 1],
            memory_kib,
            options.passes,
            lanes,
        )?;
        for contender in &contenders[..contenders.len() - 1] {
            let output = derive(contender, memory_kib, options.passes, lanes)?;
            if output != reference {
                return Err(format!(
                    "{} and e2eb disagree at p={lanes}: {output} vs {reference}",
                    contender.name
                ));
            }
        }
    }

    // samples[contender][lane index]
    let mut samples = vec![vec![Vec::new(); options.lanes.len()]; contenders.len()];
    for round in 0..options.rounds {
        for (lane_index, &lanes) in options.lanes.iter().enumerate() {
            // Each round starts with the next contender, so that each follows every other
            // equally often: on a virtual machine that hands freed memory back to its host,
            // what a derivation pays for its memory can depend on what ran just before it.
            for index in (0..contenders.len()).map(|i| (i + round) % contenders.len()) {
                let contender = &contenders[index];
                let start = Instant::now();
                derive(contender, memory_kib, options.passes, lanes)?;
                samples[index][lane_index].push(start.elapsed().as_secs_f64());
            }
        }
        on_round(round);
    }
    Ok(Argon2Reference {
        memory_kib,
        passes: options.passes,
        lanes: options.lanes.clone(),
        rounds: options.rounds,
        implementations: contenders
            .into_iter()
            .zip(samples)
            .map(|(contender, per_lane)| Argon2Implementation {
                name: contender.name,
                seconds: per_lane
                    .iter()
                    .map(|s| Summary::of(s).expect("at least one finite sample"))
                    .collect(),
            })
            .collect(),
    })
}

/// Downloads and unpacks the source distribution; returns the reference code's folder.
fn fetch(scratch: &Path) -> Result<PathBuf, String> {
    eprintln!("fetching the source distribution of argon2-cffi-bindings with pip");
    // --no-binary for this package alone: its build dependencies may come as wheels, and pip
    // prepares (but does not build) the package to read its metadata.
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps"])
        .args(["--no-binary", "argon2-cffi-bindings", "-d"])
        .arg(scratch)
        .arg("argon2-cffi-bindings")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "pip download failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let archive = std::fs::read_dir(scratch)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".tar.gz"))
        .ok_or("pip saved no .tar.gz source distribution")?;
    run_quietly(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(scratch),
        "tar",
    )?;
    let unpacked = std::fs::read_dir(scratch)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("extras").join("libargon2"))
        .find(|path| path.join("src").join("opt.c").is_file())
        .ok_or("the source distribution has no extras/libargon2/src/opt.c")?;
    Ok(unpacked)
}

/// Builds the reference command-line tool (`src/run.c`) with the optimised core (`src/opt.c`).
fn build(source: &Path, flags: &[&str], binary: &Path) -> Result<(), String> {
    let src = source.join("src");
    let mut command = Command::new("gcc");
    command
        .args(["-std=c89", "-O3", "-pthread"])
        .args(flags)
        .arg("-I")
        .arg(source.join("include"))
        .arg("-I")
        .arg(&src);
    for file in [
        "argon2.c",
        "core.c",
        "blake2/blake2b.c",
        "thread.c",
        "encoding.c",
        "opt.c",
        "run.c",
    ] {
        command.arg(src.join(file));
    }
    command.arg("-o").arg(binary);
    run_quietly(&mut command, "gcc")
}

/// Which of `src/opt.c`'s code paths these flags select on this CPU.
fn simd_path(flags: &[&str]) -> Result<&'static str, String> {
    let output = Command::new("gcc")
        .args(flags)
        .args(["-dM", "-E", "-x", "c", "/dev/null"])
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    let macros = String::from_utf8_lossy(&output.stdout);
    let defined = |name: &str| {
        macros
            .lines()
            .any(|line| line.starts_with(&format!("#define {name} ")))
    };
    Ok(if defined("__AVX512F__") {
        "AVX-512"
    } else if defined("__AVX2__") {
        "AVX2"
    } else {
        "SSE"
    })
}

fn run_quietly(command: &mut Command, name: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// One derivation; returns the hash in hex.
fn derive(
    contender: &Contender,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
) -> Result<String, String> {
    match &contender.binary {
        Some(binary) => {
            let mut child = Command::new(binary)
                .arg(SALT)
                .args(["-id", "-v", "13", "-l", "32", "-r"])
                .args(["-t", &passes.to_string()])
                .args(["-k", &memory_kib.to_string()])
                .args(["-p", &lanes.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(PASSWORD.as_bytes())
                .map_err(|e| e.to_string())?;
            let output = child.wait_with_output().map_err(|e| e.to_string())?;
            if !output.status.success() {
                return Err(format!(
                    "{} failed: {}",
                    contender.name,
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        None => {
            let slot = KeySlot::Password {
                kdf: KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes)),
                salt: SALT.as_bytes().to_vec(),
                sealed: SealedFileKey {
                    key_check: Default::default(),
                    wrapped: [0; e2eb::slot::WRAPPED_KEY_LEN],
                },
            };
            let password = Password::new(PASSWORD.into()).map_err(|e| e.to_string())?;
            let kek = slot
                .derive_kek(&Secret::Password(password))
                .map_err(|e| e.to_string())?
                .ok_or("a password slot derives from a password")?;
            Ok(hex::encode(*kek))
        }
    }
}
