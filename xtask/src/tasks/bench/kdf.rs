//! Password KDF cost: wall time and peak memory of each setting, each measured in a child
//! process of its own (`xtask kdf-probe`) so that the child's peak resident memory belongs to
//! that setting alone.

use e2eb_measure::timing;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2eb::{Encryptor, KdfParams, Password, Suite};

use super::{Profile, Progress};
use crate::recommend;
use crate::schema::{KdfFigure, KdfSetting};
use crate::stats::Summary;

/// How `peak_rss_bytes` is obtained, as results record it.
pub const PEAK_MEMORY_METHOD: &str = "each setting runs in a fresh child process (`xtask \
kdf-probe`) that reads VmRSS from /proc/self/status before its first derivation \
(baseline_rss_bytes) and VmHWM, the kernel's resident-set high-water mark, after its last \
(peak_rss_bytes); the difference is the memory the derivation made resident. Each derivation \
is a whole backup made with one password slot, as a user meets it.";

/// The cost grid of `profile`: Argon2id over memory × passes × lanes, then scrypt over log2 N.
pub fn grid(profile: &Profile) -> Vec<KdfSetting> {
    let mut settings = Vec::new();
    for &lanes in &profile.argon_lanes {
        for &passes in &profile.argon_passes {
            for &mib in &profile.argon_memory_mib {
                settings.push(KdfSetting::Argon2id {
                    memory_kib: mib * 1024,
                    passes,
                    lanes,
                });
            }
        }
    }
    for &log_n in &profile.scrypt_log_n {
        settings.push(KdfSetting::Scrypt { log_n, r: 8, p: 1 });
    }
    settings
}

/// Measures the grid, then picks Argon2id settings for the profile's target times from it and
/// measures those too (role `check`). Returns the figures and any errors in words.
pub fn measure(
    profile: &Profile,
    logical_cpus: usize,
    memory_bytes: Option<u64>,
    progress: &Progress,
) -> (Vec<KdfFigure>, Vec<String>) {
    let mut figures = Vec::new();
    let mut errors = Vec::new();
    for setting in grid(profile) {
        progress.start(format!("KDF {} {}", setting.kdf_name(), setting.params()));
        match run_child(setting, profile) {
            Ok(figure) => figures.push(figure),
            Err(error) => errors.push(format!(
                "{} {}: {error}",
                setting.kdf_name(),
                setting.params()
            )),
        }
        progress.done();
    }
    let model = recommend::best_argon_model(&figures, logical_cpus);
    for &target in &profile.check_targets {
        let Some(mut model) = model.clone() else {
            progress.skip(1);
            continue;
        };
        let mut choice = recommend::choose_argon2id(&model, &figures, memory_bytes, target);
        // A check that misses its target by more than the noise corrects the model by the
        // ratio it found and measures the setting that model picks, once.
        for attempt in 0..2 {
            progress.start(format!(
                "KDF check for {target} s: argon2id {}",
                choice.setting.params()
            ));
            let figure = match run_child(choice.setting, profile) {
                Ok(figure) => figure,
                Err(error) => {
                    errors.push(format!("check for {target} s: {error}"));
                    break;
                }
            };
            let measured = figure.seconds.median;
            let on_target = (0.75 * target..=1.1 * target).contains(&measured);
            let mut recorded = figure;
            recorded.target_seconds = Some(target);
            recorded.predicted_seconds = Some(choice.predicted_seconds);
            if on_target || attempt == 1 {
                recorded.role = "check".into();
                figures.push(recorded);
                break;
            }
            model.scale *= measured / choice.predicted_seconds;
            let corrected = recommend::choose_argon2id(&model, &figures, memory_bytes, target);
            if corrected.setting == choice.setting {
                recorded.role = "check".into();
                figures.push(recorded);
                break;
            }
            recorded.role = "calibration".into();
            figures.push(recorded);
            choice = corrected;
        }
        progress.done();
    }
    (figures, errors)
}

/// Runs `xtask kdf-probe` for `setting` and reads its one line of JSON.
fn run_child(setting: KdfSetting, profile: &Profile) -> Result<KdfFigure, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = Command::new(exe)
        .arg("kdf-probe")
        .arg("--setting")
        .arg(serde_json::to_string(&setting).map_err(|error| error.to_string())?)
        .args(["--min-samples", &profile.kdf_min_samples.to_string()])
        .args(["--max-samples", &profile.kdf_max_samples.to_string()])
        .args(["--budget-ms", &profile.kdf_budget.as_millis().to_string()])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot start the probe: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "probe exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let report: ProbeReport =
        serde_json::from_slice(&output.stdout).map_err(|error| format!("probe output: {error}"))?;
    Ok(KdfFigure {
        setting,
        params: setting.params().to_string(),
        role: "grid".into(),
        target_seconds: None,
        predicted_seconds: None,
        seconds: Summary::of(&report.seconds).ok_or("the probe took no samples")?,
        memory_bytes: setting.memory_bytes(),
        peak_rss_bytes: report.peak_rss_bytes,
        baseline_rss_bytes: report.baseline_rss_bytes,
    })
}

/// Options of the hidden `xtask kdf-probe` that [`run_child`] starts.
#[derive(clap::Args, Debug)]
pub struct ProbeOptions {
    /// The setting, as JSON (`{"kdf":"argon2id","memory_kib":…,"passes":…,"lanes":…}`).
    #[arg(long)]
    setting: String,
    #[arg(long, default_value_t = 3)]
    min_samples: usize,
    #[arg(long, default_value_t = 5)]
    max_samples: usize,
    /// Samples beyond the minimum are taken while the estimate of all samples fits in this.
    #[arg(long, default_value_t = 0)]
    budget_ms: u64,
}

/// What the probe prints.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ProbeReport {
    seconds: Vec<f64>,
    peak_rss_bytes: Option<u64>,
    baseline_rss_bytes: Option<u64>,
}

/// The child's side: one warm-up derivation, then the samples, then the memory figures.
pub fn probe(options: ProbeOptions) -> Result<(), String> {
    let setting: KdfSetting =
        serde_json::from_str(&options.setting).map_err(|error| format!("--setting: {error}"))?;
    let params = setting.params();
    params.validate().map_err(|error| error.to_string())?;
    let baseline = timing::current_rss_bytes();
    let warm_up = Instant::now();
    derive(params)?;
    let per_call = warm_up.elapsed();
    let affordable = if per_call.is_zero() {
        options.max_samples
    } else {
        (Duration::from_millis(options.budget_ms).as_secs_f64() / per_call.as_secs_f64()) as usize
    };
    let samples = affordable.clamp(options.min_samples.max(1), options.max_samples.max(1));
    let mut seconds = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        derive(params)?;
        seconds.push(start.elapsed().as_secs_f64());
    }
    let report = ProbeReport {
        seconds,
        peak_rss_bytes: timing::peak_rss_bytes(),
        baseline_rss_bytes: baseline,
    };
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|error| error.to_string())?
    );
    Ok(())
}

/// A backup with one password slot under `params`: the KDF, plus microseconds of key wrapping.
fn derive(params: KdfParams) -> Result<(), String> {
    let password =
        Password::new("correct horse battery staple".into()).map_err(|error| error.to_string())?;
    let backup = Encryptor::new(Suite::Aes256Gcm)
        .password(password, params)
        .encrypt_to_vec(b"")
        .map_err(|error| error.to_string())?;
    std::hint::black_box(backup);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_every_combination() {
        let profile = Profile::new(super::super::ProfileName::Quick);
        let settings = grid(&profile);
        let argon = settings
            .iter()
            .filter(|setting| matches!(setting, KdfSetting::Argon2id { .. }))
            .count();
        assert_eq!(
            argon,
            profile.argon_memory_mib.len() * profile.argon_passes.len() * profile.argon_lanes.len()
        );
        assert_eq!(settings.len() - argon, profile.scrypt_log_n.len());
    }
}
