//! `cargo xtask versus-age`: `e2eb encrypt` and `e2eb decrypt` against `age` (Debian's package,
//! an X25519 recipient) on the same file in the page cache, output to /dev/null, in interleaved
//! rounds so that a change in the machine's load falls on every contender alike.
//!
//! Each figure is the wall time of one process, start-up included. e2eb runs twice per
//! direction: with the file named (read at explicit offsets by the threads that seal or open
//! it) and on stdin (the streaming pipeline every reader gets).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::stats::Summary;

/// What to measure.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// Plaintext size, e.g. 1GiB.
    #[arg(long, default_value = "1GiB")]
    size: String,
    /// Rounds; each runs every contender once.
    #[arg(long, default_value_t = 9)]
    rounds: usize,
    /// Where the plaintext and the two encrypted copies go (three times the size on disk).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// One timed command: its arguments, and the file its stdin reads, if any.
struct Contender {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
    stdin: Option<PathBuf>,
}

impl Contender {
    fn run(&self) -> Result<f64, String> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdout(File::create("/dev/null").map_err(|e| e.to_string())?)
            .stderr(Stdio::piped());
        command.stdin(match &self.stdin {
            Some(path) => Stdio::from(File::open(path).map_err(|e| e.to_string())?),
            None => Stdio::null(),
        });
        let started = Instant::now();
        let output = command
            .output()
            .map_err(|e| format!("{}: {e}", self.program.display()))?;
        let seconds = started.elapsed().as_secs_f64();
        if !output.status.success() {
            return Err(format!(
                "{} failed: {}",
                self.label,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(seconds)
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Runs `program args` once, untimed, for set-up; returns its stdout.
fn set_up(program: &Path, args: &[String], stdout: Option<&Path>) -> Result<String, String> {
    let mut command = Command::new(program);
    command.args(args).stderr(Stdio::piped());
    if let Some(path) = stdout {
        command.stdout(File::create(path).map_err(|e| e.to_string())?);
    }
    let output = command.output().map_err(|e| {
        format!(
            "{}: {e} (age comes from Debian's `age` package)",
            program.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "{} {}: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Incompressible plaintext, generated rather than read from /dev/urandom so that making a GiB
/// takes a second.
fn write_plaintext(path: &Path, size: u64) -> Result<(), String> {
    let mut file = std::io::BufWriter::new(File::create(path).map_err(|e| e.to_string())?);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0u64;
    while written < size {
        for word in block.chunks_mut(8) {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        let n = (size - written).min(block.len() as u64) as usize;
        file.write_all(&block[..n]).map_err(|e| e.to_string())?;
        written += n as u64;
    }
    file.flush().map_err(|e| e.to_string())
}

pub fn run(options: Options) -> Result<(), String> {
    let size = e2eb_measure::units::parse_size(&options.size).map_err(|error| error.to_string())?;
    if options.rounds == 0 {
        return Err("nothing to measure: give --rounds".into());
    }
    let e2eb = crate::workspace::e2eb_binary()?;
    let age = PathBuf::from("age");
    let dir = options
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("e2eb-versus-age-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let outcome = measure(&options, size, &e2eb, &age, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn measure(
    options: &Options,
    size: u64,
    e2eb: &Path,
    age: &Path,
    dir: &Path,
) -> Result<(), String> {
    let plaintext = dir.join("plaintext");
    let key = dir.join("key.txt");
    let age_identity = dir.join("age-identity.txt");
    let backup = dir.join("backup.e2eb");
    let age_file = dir.join("backup.age");
    eprintln!("writing {} of plaintext to {}", options.size, dir.display());
    write_plaintext(&plaintext, size)?;
    let args = |first: &[&str], rest: &[&str]| -> Vec<String> {
        first.iter().chain(rest).map(|s| s.to_string()).collect()
    };
    let age_keygen = Path::new("age-keygen");
    set_up(e2eb, &args(&["keygen", "-o"], &[&path_text(&key)]), None)?;
    set_up(
        age_keygen,
        &args(&["-o"], &[&path_text(&age_identity)]),
        None,
    )?;
    let recipient = set_up(
        age_keygen,
        &args(&["-y"], &[&path_text(&age_identity)]),
        None,
    )?
    .trim()
    .to_string();
    let key_args = [
        "--quiet",
        "--recovery-key-file",
        &path_text(&key),
        "-o",
        "-",
    ];
    let mut encrypt_named = args(&["encrypt"], &key_args);
    encrypt_named.push(path_text(&plaintext));
    let mut decrypt_named = args(&["decrypt"], &key_args);
    decrypt_named.push(path_text(&backup));
    set_up(e2eb, &encrypt_named, Some(&backup))?;
    set_up(
        age,
        &args(
            &["-r", &recipient, "-o"],
            &[&path_text(&age_file), &path_text(&plaintext)],
        ),
        None,
    )?;
    let contenders = [
        Contender {
            label: "e2eb encrypt (named file)",
            program: e2eb.into(),
            args: encrypt_named.clone(),
            stdin: None,
        },
        Contender {
            label: "e2eb encrypt (stdin)",
            program: e2eb.into(),
            args: args(&["encrypt"], &key_args),
            stdin: Some(plaintext.clone()),
        },
        Contender {
            label: "age encrypt",
            program: age.into(),
            args: args(&["-r", &recipient], &[&path_text(&plaintext)]),
            stdin: None,
        },
        Contender {
            label: "e2eb decrypt (named file)",
            program: e2eb.into(),
            args: decrypt_named,
            stdin: None,
        },
        Contender {
            label: "e2eb decrypt (stdin)",
            program: e2eb.into(),
            args: args(&["decrypt"], &key_args),
            stdin: Some(backup.clone()),
        },
        Contender {
            label: "age decrypt",
            program: age.into(),
            args: args(
                &["-d", "-i", &path_text(&age_identity)],
                &[&path_text(&age_file)],
            ),
            stdin: None,
        },
    ];
    // One untimed pass puts every file in the page cache and warms each program.
    for contender in &contenders {
        contender.run()?;
    }
    let mut samples = vec![Vec::new(); contenders.len()];
    for round in 1..=options.rounds {
        eprint!("\rround {round}/{}", options.rounds);
        for (contender, samples) in contenders.iter().zip(&mut samples) {
            samples.push(contender.run()?);
        }
    }
    eprintln!();
    let summaries: Vec<Summary> = samples
        .iter()
        .map(|s| Summary::of(s).expect("at least one round"))
        .collect();
    println!(
        "\n{} of plaintext in the page cache, output to /dev/null, {} interleaved rounds; \
         seconds per run, median (IQR) [min-max]; load average at the end: {}",
        options.size,
        options.rounds,
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );
    for (contender, summary) in contenders.iter().zip(&summaries) {
        println!(
            "{:<28} {:.3} ({:.3}) [{:.3}-{:.3}]  {:.2} GB/s",
            contender.label,
            summary.median,
            summary.iqr,
            summary.min,
            summary.max,
            size as f64 / summary.median / 1e9
        );
    }
    for (direction, e2eb_rows, age_row) in [("encrypt", [0, 1], 2), ("decrypt", [3, 4], 5)] {
        for row in e2eb_rows {
            println!(
                "{direction}: {} is {:.2}x age's throughput",
                contenders[row].label,
                summaries[age_row].median / summaries[row].median
            );
        }
    }
    Ok(())
}
