//! `cargo xtask memory`: peak memory of `e2eb encrypt` and `e2eb decrypt` on a large input
//! generated on the fly (through a pipe and from a file), measured with `/usr/bin/time -v`, to
//! check that memory stays bounded whatever the input size.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What to measure.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// Input size, e.g. 4GiB.
    #[arg(long, default_value = "4GiB")]
    size: String,
    /// Where to put the backup (it takes the input size on disk).
    #[arg(long)]
    dir: Option<PathBuf>,
}

struct Measured {
    label: String,
    seconds: f64,
    max_rss_kib: u64,
}

/// Runs `e2eb args` under `/usr/bin/time -v`, feeding `feed` bytes of generated data to its
/// stdin when given.
fn measure(label: &str, e2eb: &Path, args: &[&str], feed: Option<u64>) -> Result<Measured, String> {
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-v")
        .arg(e2eb)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command.stdin(if feed.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("/usr/bin/time: {e} (install Debian's `time` package)"))?;
    if let Some(total) = feed {
        let mut stdin = child.stdin.take().expect("piped");
        // Generated, not read from disk, so the pipe measures e2eb rather than the disk.
        let block: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let mut sent = 0u64;
        while sent < total {
            let n = (total - sent).min(block.len() as u64) as usize;
            stdin
                .write_all(&block[..n])
                .map_err(|e| format!("feeding e2eb: {e}"))?;
            sent += n as u64;
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let report = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("{label} failed: {report}"));
    }
    let max_rss_kib = report
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|value| value.trim().parse().ok())
        .ok_or("no maximum resident set size in /usr/bin/time's report")?;
    Ok(Measured {
        label: label.into(),
        seconds,
        max_rss_kib,
    })
}

pub fn run(options: Options) -> Result<(), String> {
    let size = e2eb_measure::units::parse_size(&options.size).map_err(|error| error.to_string())?;
    let e2eb = crate::workspace::e2eb_binary()?;
    let dir = options
        .dir
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("e2eb-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        let key = dir.join("key.txt");
        let backup = dir.join("backup.e2eb");
        let password = dir.join("password.txt");
        std::fs::write(&password, "correct horse battery staple\n").map_err(|e| e.to_string())?;
        let (key, backup, password) = (
            key.to_str().unwrap(),
            backup.to_str().unwrap(),
            password.to_str().unwrap(),
        );
        let quiet = ["--quiet"];
        let status = Command::new(&e2eb)
            .args(["keygen", "-o", key])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            return Err("e2eb keygen failed".to_string());
        }
        let mut rows = Vec::new();
        rows.push(measure(
            "encrypt, stdin pipe -> file",
            &e2eb,
            &[
                &["encrypt", "-", "-o", backup, "--recovery-key-file", key],
                &quiet[..],
            ]
            .concat(),
            Some(size),
        )?);
        rows.push(measure(
            "decrypt, file -> /dev/null",
            &e2eb,
            &[
                &[
                    "decrypt",
                    backup,
                    "-o",
                    "/dev/null",
                    "--recovery-key-file",
                    key,
                ],
                &quiet[..],
            ]
            .concat(),
            None,
        )?);
        rows.push(measure(
            "decrypt, file -> file",
            &e2eb,
            &[
                &[
                    "decrypt",
                    backup,
                    "-o",
                    &format!("{backup}.out"),
                    "--recovery-key-file",
                    key,
                ],
                &quiet[..],
            ]
            .concat(),
            None,
        )?);
        let _ = std::fs::remove_file(format!("{backup}.out"));
        rows.push(measure(
            "decrypt, file -> stdout pipe",
            &e2eb,
            &[
                &["decrypt", backup, "-o", "-", "--recovery-key-file", key],
                &quiet[..],
            ]
            .concat(),
            None,
        )?);
        std::fs::remove_file(backup).map_err(|e| e.to_string())?;
        rows.push(measure(
            "encrypt, pipe -> file, Argon2id 64 MiB slot",
            &e2eb,
            &[
                &["encrypt", "-", "-o", backup, "--password-file", password],
                &quiet[..],
            ]
            .concat(),
            Some(size),
        )?);
        rows.push(measure(
            "decrypt, Argon2id 64 MiB slot -> /dev/null",
            &e2eb,
            &[
                &[
                    "decrypt",
                    backup,
                    "-o",
                    "/dev/null",
                    "--password-file",
                    password,
                ],
                &quiet[..],
            ]
            .concat(),
            None,
        )?);
        Ok(rows)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let rows = result?;
    println!(
        "input {} ({size} bytes), e2eb with all CPUs",
        e2eb_measure::units::format_bytes(u128::from(size))
    );
    println!(
        "{:<46} {:>9} {:>9} {:>13}",
        "run", "seconds", "GB/s", "max RSS MiB"
    );
    for row in &rows {
        println!(
            "{:<46} {:>9.2} {:>9.2} {:>13.1}",
            row.label,
            row.seconds,
            size as f64 / row.seconds / 1e9,
            row.max_rss_kib as f64 / 1024.0
        );
    }
    Ok(())
}
