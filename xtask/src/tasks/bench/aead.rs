//! AEAD throughput three ways: this build with every e2eb backend (CPU instructions detected at
//! run time), a second build of the probe with the RustCrypto crates forced to their portable
//! code (a stand-in for a CPU without AES or carry-less multiply instructions), and `openssl
//! speed` as a reference.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use e2eb::Suite;
use e2eb_measure::bench::aead::Direction;

use super::{Profile, Progress};
use crate::schema::{AeadFigure, SoftBuild};
use crate::stats::Summary;
use crate::units::size_label;
use e2eb_measure::bench::Progress as _;

/// The cfgs that select the portable backends of aes 0.9, polyval 0.7, chacha20 0.10 and
/// poly1305 0.9 (each crate's `[lints.rust.unexpected_cfgs]` and `src/backend*.rs` read them).
pub const SOFT_RUSTFLAGS: &str = "--cfg aes_backend=\"soft\" --cfg polyval_backend=\"soft\" \
--cfg chacha20_backend=\"soft\" --cfg poly1305_backend=\"soft\"";

/// What the software-only figures stand for.
const SOFT_LABEL: &str = "simulated device without AES or carry-less multiply instructions: the \
RustCrypto crates built with their portable, constant-time software backends (bitsliced AES, \
software POLYVAL/GHASH, and scalar ChaCha20 and Poly1305 without SIMD, so the ChaCha20-Poly1305 \
figure is lower than on a real CPU that lacks AES but has SSE2 or NEON)";

/// `openssl speed` as run for each figure.
pub const OPENSSL_COMMAND: &str =
    "openssl speed -mr -aead [-decrypt] -seconds 1 -bytes SIZE -evp CIPHER";

/// Builds the AEAD probe with [`SOFT_RUSTFLAGS`] and without the other backends (the cfgs reach
/// only the RustCrypto crates) into a target folder of its own (so neither build invalidates
/// the other) and returns the binary's path.
pub fn build_soft_probe(workspace: &Path) -> Result<PathBuf, String> {
    let target = crate::workspace::target_dir().join("soft-backends");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !rustflags.trim().is_empty() {
        rustflags.push(' ');
    }
    rustflags.push_str(SOFT_RUSTFLAGS);
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--package",
            "e2eb-benches",
            "--bin",
            "e2eb-aead-probe",
            "--no-default-features",
            "--target-dir",
        ])
        .arg(&target)
        // Where set, this takes precedence over RUSTFLAGS and would drop the cfgs.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", &rustflags)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "cargo build failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let binary = target
        .join("release")
        .join(format!("e2eb-aead-probe{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("{} was not built", binary.display()))
    }
}

/// Runs the software-only probe over the profile's sizes.
pub fn soft(
    probe: &Path,
    profile: &Profile,
    progress: &Progress,
) -> Result<(Vec<AeadFigure>, SoftBuild), String> {
    let sizes: Vec<String> = profile.soft_sizes.iter().map(usize::to_string).collect();
    let plan = &profile.aead_plan;
    let mut child = Command::new(probe)
        .args(["--samples", &plan.samples.to_string()])
        .args(["--warm-up-ms", &plan.warm_up.as_millis().to_string()])
        .args(["--sample-ms", &plan.sample_time.as_millis().to_string()])
        .args(["--sizes", &sizes.join(",")])
        .args(["--backends", "rustcrypto"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run {}: {error}", probe.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut figures = Vec::new();
    let mut backends = BTreeMap::new();
    progress.start("AEAD software-only build".into());
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|error| format!("reading the probe: {error}"))?;
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|error| format!("probe printed {line:?}: {error}"))?;
        if let Some(map) = value.get("backends").and_then(|b| b.as_object()) {
            backends = map
                .iter()
                .map(|(name, backend)| (name.clone(), backend.as_str().unwrap_or("?").to_owned()))
                .collect();
            continue;
        }
        let figure =
            parse_probe_line(&value).ok_or_else(|| format!("unexpected probe line {line:?}"))?;
        progress.start(format!(
            "AEAD software-only {} {} {}",
            figure.suite,
            figure.direction,
            size_label(figure.size_bytes as usize)
        ));
        figures.push(figure);
        progress.done();
    }
    let status = child
        .wait()
        .map_err(|error| format!("waiting for the probe: {error}"))?;
    if !status.success() {
        return Err(format!("the probe exited with {status}"));
    }
    Ok((
        figures,
        SoftBuild {
            rustflags: SOFT_RUSTFLAGS.to_owned(),
            backends,
            label: SOFT_LABEL.to_owned(),
        },
    ))
}

fn parse_probe_line(value: &serde_json::Value) -> Option<AeadFigure> {
    let samples: Vec<f64> = value
        .get("bytes_per_second")?
        .as_array()?
        .iter()
        .map(serde_json::Value::as_f64)
        .collect::<Option<_>>()?;
    Some(AeadFigure {
        implementation: "soft".into(),
        backend: Some(value.get("backend")?.as_str()?.to_owned()),
        suite: value.get("suite")?.as_str()?.to_owned(),
        direction: value.get("direction")?.as_str()?.to_owned(),
        size_bytes: value.get("size")?.as_u64()?,
        bytes_per_second: Summary::of(&samples)?,
    })
}

/// `openssl version`, when openssl runs.
pub fn openssl_version() -> Option<String> {
    let output = Command::new("openssl").arg("version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `openssl speed` in its TLS-like AEAD mode (per message: nonce, 13 bytes of associated data,
/// encryption or decryption, tag), one run per sample.
pub fn openssl(profile: &Profile, progress: &Progress) -> (Vec<AeadFigure>, Vec<String>) {
    let mut figures = Vec::new();
    let mut errors = Vec::new();
    for suite in Suite::ALL {
        for &direction in &profile.openssl_directions {
            for &size in &profile.openssl_sizes {
                progress.start(format!(
                    "OpenSSL {suite} {} {} ({} × {} s)",
                    direction.name(),
                    size_label(size),
                    profile.openssl_samples,
                    profile.openssl_seconds
                ));
                let mut samples = Vec::new();
                for _ in 0..profile.openssl_samples {
                    match openssl_speed(suite, direction, size, profile.openssl_seconds) {
                        Ok(rate) => samples.push(rate),
                        Err(error) => {
                            errors.push(format!(
                                "openssl speed {suite} {} {size}: {error}",
                                direction.name()
                            ));
                            break;
                        }
                    }
                }
                if samples.len() == profile.openssl_samples
                    && let Some(summary) = Summary::of(&samples)
                {
                    figures.push(AeadFigure {
                        implementation: "openssl".into(),
                        backend: None,
                        suite: suite.name().into(),
                        direction: direction.name().into(),
                        size_bytes: size as u64,
                        bytes_per_second: summary,
                    });
                }
                progress.done();
            }
        }
    }
    (figures, errors)
}

fn openssl_speed(
    suite: Suite,
    direction: Direction,
    size: usize,
    seconds: u32,
) -> Result<f64, String> {
    let mut command = Command::new("openssl");
    command.args(["speed", "-mr", "-aead"]);
    if direction == Direction::Open {
        command.arg("-decrypt");
    }
    let output = command
        .args(["-seconds", &seconds.to_string()])
        .args(["-bytes", &size.to_string()])
        .args(["-evp", suite.name()])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| error.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{}: {}", output.status, stderr.trim()));
    }
    parse_openssl_speed(&stdout).ok_or_else(|| format!("no +F line in {stdout:?}"))
}

/// Bytes per second from `openssl speed -mr` output: the last field of the `+F:` line.
pub fn parse_openssl_speed(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|line| line.starts_with("+F:"))?
        .rsplit(':')
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|rate: &f64| rate.is_finite() && *rate > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openssl_machine_readable_output() {
        let output = "+DT:AES-256-GCM:1:16384\n+R:345568:AES-256-GCM:1.000000\n+H:16384\n+F:25:AES-256-GCM:5661786112.00\n";
        assert_eq!(parse_openssl_speed(output), Some(5_661_786_112.0));
        assert_eq!(parse_openssl_speed("+H:16384\n"), None);
        assert_eq!(parse_openssl_speed("+F:25:AES-256-GCM:0.00\n"), None);
    }

    #[test]
    fn reads_probe_lines() {
        let line = serde_json::json!({
            "backend": "rustcrypto", "suite": "aes-256-gcm", "direction": "open", "size": 1024,
            "bytes_per_second": [1.0e9, 2.0e9, 3.0e9]
        });
        let figure = parse_probe_line(&line).unwrap();
        assert_eq!(figure.implementation, "soft");
        assert_eq!(figure.backend.as_deref(), Some("rustcrypto"));
        assert_eq!(figure.bytes_per_second.median, 2.0e9);
        assert!(parse_probe_line(&serde_json::json!({ "suite": "x" })).is_none());
    }
}
