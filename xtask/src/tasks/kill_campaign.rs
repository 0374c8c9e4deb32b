//! `cargo xtask kill-campaign`: interrupts `e2eb encrypt` and `e2eb decrypt` with a random
//! signal (SIGKILL, SIGINT, SIGTERM) at a random moment, with and without `--force`, on both
//! output paths (Linux's unnamed temporary files, and the portable named ones forced with
//! `E2EB_PORTABLE_OUTPUT=1`), and checks after every run what the output path promises:
//!
//! - no partial output under the final name: OUT is either as it was before the run or the
//!   complete, correct output;
//! - an existing file is intact unless the run reported success (or said OUT was complete);
//! - the exit message agrees with the disk ("nothing was written" means OUT is as before);
//! - no temporary file holding plaintext is left, except where the README says the OS allows
//!   it (a SIGKILL on the portable path, or in the instant between naming the complete file and
//!   renaming it over OUT with `--force`), and every leftover is hidden, recognisable, of the
//!   output's mode, and removed by the next run into the directory.
//!
//! Prints the figures per case; exits non-zero if any run broke a promise.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// What to run.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// Number of interrupted runs.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Size of the data encrypted and decrypted, e.g. 64MiB.
    #[arg(long, default_value = "64MiB")]
    size: String,
    /// Seed of the random choices, so a failing campaign can be replayed.
    #[arg(long)]
    seed: Option<u64>,
    /// Where the runs write (it needs about four times the size free).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The `e2eb` binary to interrupt; by default its release build, built first.
    #[arg(long)]
    binary: Option<PathBuf>,
}

/// The signals sent, as `kill` names them.
const SIGNALS: [&str; 3] = ["KILL", "INT", "TERM"];

/// xorshift64*: reproducible from `--seed`, and enough for picking cases and moments.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    Encrypt,
    Decrypt,
}

/// One case: what ran, how OUT was set up, which output path, which signal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Case {
    operation: Operation,
    force: bool,
    portable: bool,
    signal: &'static str,
}

impl Case {
    fn label(&self) -> String {
        format!(
            "{:<7} {:<8} {:<9} SIG{}",
            match self.operation {
                Operation::Encrypt => "encrypt",
                Operation::Decrypt => "decrypt",
            },
            if self.force { "--force" } else { "new OUT" },
            if self.portable {
                "portable"
            } else {
                "O_TMPFILE"
            },
            self.signal
        )
    }
}

/// What one case's runs came to.
#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    /// Exited 0: OUT complete and correct.
    succeeded: usize,
    /// Stopped by the signal with nothing under OUT's name changed.
    nothing_written: usize,
    /// Interrupted after OUT was complete, and said so.
    complete_then_interrupted: usize,
    /// Killed without a message (SIGKILL, or a signal before the handler was installed).
    killed_silently: usize,
    /// Of those, killed after OUT was already complete.
    killed_after_complete: usize,
    /// Temporary files left (all hidden and recognisable, else a violation is counted).
    leftovers: usize,
    /// Of those, how many held data (a complete or partial output).
    leftovers_with_data: usize,
    /// Leftovers the next run into the directory removed.
    leftovers_removed_by_next_run: usize,
    /// Broken promises, described.
    violations: Vec<String>,
}

pub fn run(options: Options) -> Result<(), String> {
    let size = e2eb_measure::units::parse_size(&options.size).map_err(|error| error.to_string())?;
    let size = usize::try_from(size).map_err(|_| "size too large".to_string())?;
    let binary = match options.binary {
        Some(binary) => binary,
        None => crate::workspace::e2eb_binary()?,
    };
    let seed = options.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |elapsed| elapsed.as_nanos() as u64)
            | 1
    });
    let dir = options
        .dir
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("e2eb-kill-campaign-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let outcome = campaign(&binary, &dir, size, options.runs, seed);
    let _ = fs::remove_dir_all(&dir);
    outcome
}

/// The fixed files of a campaign, in a directory of their own (runs write elsewhere).
struct Fixture {
    binary: PathBuf,
    key: PathBuf,
    plaintext: PathBuf,
    plaintext_sha256: [u8; 32],
    backup: PathBuf,
    backup_len: u64,
    /// How long an uninterrupted run takes, per operation: signals land within 1.1 times that.
    duration: BTreeMap<Operation, Duration>,
}

fn campaign(binary: &Path, dir: &Path, size: usize, runs: usize, seed: u64) -> Result<(), String> {
    let fixture = prepare(binary, &dir.join("fixture"), size)?;
    let work = dir.join("work");
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    println!(
        "kill campaign: {runs} runs, {} MiB, seed {seed}; uninterrupted encrypt {:.0} ms, decrypt {:.0} ms",
        size >> 20,
        fixture.duration[&Operation::Encrypt].as_secs_f64() * 1e3,
        fixture.duration[&Operation::Decrypt].as_secs_f64() * 1e3,
    );
    let mut random = Random(seed);
    let mut tallies: BTreeMap<Case, Tally> = BTreeMap::new();
    let started = Instant::now();
    for run in 0..runs {
        let case = Case {
            operation: *random.pick(&[Operation::Encrypt, Operation::Decrypt]),
            force: *random.pick(&[false, true]),
            portable: *random.pick(&[false, true]),
            signal: SIGNALS[random.below(SIGNALS.len() as u64) as usize],
        };
        let window = fixture.duration[&case.operation].mul_f64(1.1);
        let delay = Duration::from_micros(random.below(window.as_micros() as u64 + 1));
        let tally = tallies.entry(case.clone()).or_default();
        one_run(&fixture, &work, &case, delay, tally)
            .map_err(|error| format!("run {run} ({}): {error}", case.label()))?;
        if (run + 1) % 20 == 0 {
            println!(
                "  {} runs, {:.0} s",
                run + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    report(&tallies)
}

fn e2eb(fixture: &Fixture, portable: bool) -> Command {
    let mut command = Command::new(&fixture.binary);
    if portable {
        command.env("E2EB_PORTABLE_OUTPUT", "1");
    } else {
        command.env_remove("E2EB_PORTABLE_OUTPUT");
    }
    command.stdin(Stdio::null()).stdout(Stdio::null());
    command
}

fn prepare(binary: &Path, dir: &Path, size: usize) -> Result<Fixture, String> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut fixture = Fixture {
        binary: binary.to_path_buf(),
        key: dir.join("key.txt"),
        plaintext: dir.join("plain.bin"),
        plaintext_sha256: [0; 32],
        backup: dir.join("backup.e2eb"),
        backup_len: 0,
        duration: BTreeMap::new(),
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    fs::write(&fixture.plaintext, &data).map_err(|e| e.to_string())?;
    fixture.plaintext_sha256 = Sha256::digest(&data).into();
    let status = e2eb(&fixture, false)
        .arg("keygen")
        .arg("-o")
        .arg(&fixture.key)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if !status.success() {
        return Err("e2eb keygen failed".into());
    }
    for operation in [Operation::Encrypt, Operation::Decrypt] {
        // The median of three runs: the first one also warms the page cache.
        let mut durations = Vec::new();
        for _ in 0..3 {
            let out = dir.join("timing.out");
            let _ = fs::remove_file(&out);
            let started = Instant::now();
            let status = command_for(&fixture, operation, false, &out)
                .stderr(Stdio::null())
                .status()
                .map_err(|e| e.to_string())?;
            durations.push(started.elapsed());
            if !status.success() {
                return Err(format!("an uninterrupted {operation:?} failed"));
            }
            if operation == Operation::Encrypt {
                fs::rename(&out, &fixture.backup).map_err(|e| e.to_string())?;
            }
        }
        durations.sort();
        fixture.duration.insert(operation, durations[1]);
    }
    fixture.backup_len = fs::metadata(&fixture.backup)
        .map_err(|e| e.to_string())?
        .len();
    Ok(fixture)
}

fn command_for(fixture: &Fixture, operation: Operation, portable: bool, out: &Path) -> Command {
    let mut command = e2eb(fixture, portable);
    match operation {
        Operation::Encrypt => command.arg("encrypt").arg(&fixture.plaintext),
        Operation::Decrypt => command.arg("decrypt").arg(&fixture.backup),
    };
    command
        .arg("--quiet")
        .arg("--recovery-key-file")
        .arg(&fixture.key)
        .arg("-o")
        .arg(out);
    command
}

/// The previous file a `--force` run may replace.
const PREVIOUS: &[u8] = b"the previous file, which must survive an interrupted run\n";

/// What is under OUT's name after a run.
#[derive(Debug, PartialEq, Eq)]
enum OutState {
    /// As before the run: absent, or the previous file.
    AsBefore,
    /// The complete, correct output.
    Complete,
    /// Anything else: a partial or wrong output under the final name.
    Damaged(String),
}

fn out_state(fixture: &Fixture, case: &Case, out: &Path) -> Result<OutState, String> {
    let contents = match fs::read(out) {
        Ok(contents) => contents,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(if case.force {
                OutState::Damaged("the previous file is gone".into())
            } else {
                OutState::AsBefore
            });
        }
        Err(error) => return Err(format!("reading OUT: {error}")),
    };
    if case.force && contents == PREVIOUS {
        return Ok(OutState::AsBefore);
    }
    let complete = match case.operation {
        Operation::Decrypt => {
            <[u8; 32]>::from(Sha256::digest(&contents)) == fixture.plaintext_sha256
        }
        Operation::Encrypt => {
            contents.len() as u64 == fixture.backup_len && decrypts_to_the_plaintext(fixture, out)?
        }
    };
    Ok(if complete {
        OutState::Complete
    } else {
        OutState::Damaged(format!("{} bytes that are not the output", contents.len()))
    })
}

fn decrypts_to_the_plaintext(fixture: &Fixture, backup: &Path) -> Result<bool, String> {
    let output = e2eb(fixture, false)
        .arg("decrypt")
        .arg(backup)
        .args(["--quiet", "-o", "-", "--recovery-key-file"])
        .arg(&fixture.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    Ok(output.status.success()
        && <[u8; 32]>::from(Sha256::digest(&output.stdout)) == fixture.plaintext_sha256)
}

fn temporary_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_name().to_string_lossy().contains("e2eb-tmp") {
            found.push(entry.path());
        }
    }
    Ok(found)
}

fn one_run(
    fixture: &Fixture,
    work: &Path,
    case: &Case,
    delay: Duration,
    tally: &mut Tally,
) -> Result<(), String> {
    tally.runs += 1;
    let out = work.join("out.bin");
    let _ = fs::remove_file(&out);
    if case.force {
        fs::write(&out, PREVIOUS).map_err(|e| e.to_string())?;
    }
    let mut command = command_for(fixture, case.operation, case.portable, &out);
    if case.force {
        command.arg("--force");
    }
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    std::thread::sleep(delay);
    // The process may have finished already; then the signal goes nowhere, as in life.
    let _ = Command::new("kill")
        .arg(format!("-{}", case.signal))
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let state = out_state(fixture, case, &out)?;
    let mut violation = |what: String| tally.violations.push(what);

    if let OutState::Damaged(what) = &state {
        violation(format!("partial or wrong output under OUT's name: {what}"));
    }
    if status.success() {
        tally.succeeded += 1;
        if state != OutState::Complete {
            violation(format!("exit 0 but OUT is {state:?}"));
        }
    } else if stderr.contains("nothing was written") {
        tally.nothing_written += 1;
        if state != OutState::AsBefore {
            violation(format!("said nothing was written, but OUT is {state:?}"));
        }
    } else if stderr.contains("is written in full") {
        tally.complete_then_interrupted += 1;
        if state != OutState::Complete {
            violation(format!("said OUT was complete, but it is {state:?}"));
        }
    } else if status.code().is_none() && stderr.trim().is_empty() {
        // Killed by the signal without a word: SIGKILL, or another signal before the handler
        // was installed. OUT must be as before or complete; a damaged one was counted above.
        tally.killed_silently += 1;
        if state == OutState::Complete {
            tally.killed_after_complete += 1;
        }
    } else {
        violation(format!(
            "unexpected end: {status}, stderr {:?}",
            stderr.trim_end()
        ));
    }

    let leftovers = temporary_files(work)?;
    for path in &leftovers {
        tally.leftovers += 1;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let metadata = fs::metadata(path).map_err(|e| e.to_string())?;
        if metadata.len() > 0 {
            tally.leftovers_with_data += 1;
        }
        if !name.starts_with('.') {
            violation(format!("a leftover that is not hidden: {name}"));
        }
        let mode = metadata.permissions().mode() & 0o777;
        if case.operation == Operation::Decrypt && mode & 0o077 != 0 {
            violation(format!(
                "a leftover of decrypted data with mode {mode:o}: {name}"
            ));
        }
        let allowed = case.signal == "KILL" && (case.portable || case.force);
        if !allowed {
            violation(format!(
                "a leftover where none may be ({} bytes): {name}",
                metadata.len()
            ));
        }
    }
    if !leftovers.is_empty() {
        // The next run into the directory (any that writes a file there) removes them.
        let probe = work.join("next-run.key");
        let _ = e2eb(fixture, case.portable)
            .arg("keygen")
            .arg("--force")
            .arg("-o")
            .arg(&probe)
            .stderr(Stdio::null())
            .status();
        let _ = fs::remove_file(&probe);
        for path in &leftovers {
            if path.exists() {
                violation(format!(
                    "the next run left {} in place",
                    path.file_name().unwrap_or_default().to_string_lossy()
                ));
                let _ = fs::remove_file(path);
            } else {
                tally.leftovers_removed_by_next_run += 1;
            }
        }
    }
    Ok(())
}

fn report(tallies: &BTreeMap<Case, Tally>) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "\n{:<38} {:>4} {:>4} {:>7} {:>8} {:>6} {:>6} {:>9} {:>7} {:>9}",
        "case",
        "runs",
        "ok",
        "nothing",
        "complete",
        "killed",
        "k-done",
        "leftovers",
        "w/ data",
        "violation"
    );
    let mut total = Tally::default();
    for (case, tally) in tallies {
        let _ = writeln!(
            stdout,
            "{:<38} {:>4} {:>4} {:>7} {:>8} {:>6} {:>6} {:>9} {:>7} {:>9}",
            case.label(),
            tally.runs,
            tally.succeeded,
            tally.nothing_written,
            tally.complete_then_interrupted,
            tally.killed_silently,
            tally.killed_after_complete,
            tally.leftovers,
            tally.leftovers_with_data,
            tally.violations.len()
        );
        total.runs += tally.runs;
        total.succeeded += tally.succeeded;
        total.nothing_written += tally.nothing_written;
        total.complete_then_interrupted += tally.complete_then_interrupted;
        total.killed_silently += tally.killed_silently;
        total.killed_after_complete += tally.killed_after_complete;
        total.leftovers += tally.leftovers;
        total.leftovers_with_data += tally.leftovers_with_data;
        total.leftovers_removed_by_next_run += tally.leftovers_removed_by_next_run;
        for violation in &tally.violations {
            total
                .violations
                .push(format!("{}: {violation}", case.label()));
        }
    }
    let _ = writeln!(
        stdout,
        "\ntotal: {} runs; {} exited 0 with OUT complete; {} interrupted with \"nothing was \
         written\" and OUT as before; {} interrupted after OUT was complete, and said so; {} \
         killed without a message ({} of them after OUT was complete, the others with OUT as \
         before); {} temporary files left ({} holding data), \
         {} of them removed by the next run; {} violations",
        total.runs,
        total.succeeded,
        total.nothing_written,
        total.complete_then_interrupted,
        total.killed_silently,
        total.killed_after_complete,
        total.leftovers,
        total.leftovers_with_data,
        total.leftovers_removed_by_next_run,
        total.violations.len()
    );
    let _ = writeln!(
        stdout,
        "columns: ok = exit 0; nothing = interrupted, \"nothing was written\"; complete = \
         interrupted after OUT was complete; killed = ended by the signal without a message; \
         k-done = of those, after OUT was complete; w/ data = leftovers holding data"
    );
    if total.violations.is_empty() {
        Ok(())
    } else {
        for violation in &total.violations {
            let _ = writeln!(stdout, "VIOLATION {violation}");
        }
        Err(format!("{} broken promises", total.violations.len()))
    }
}
