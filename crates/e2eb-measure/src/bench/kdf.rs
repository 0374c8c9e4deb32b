//! Password KDF cost: wall time and peak memory of each setting, each measured in a child
//! process of its own (the measuring program started again as a KDF probe, [`ChildCommand`],
//! whose side is [`serve`]) so that the child's peak resident memory belongs to that setting
//! alone.

use crate::timing;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use e2eb::{Encryptor, KdfParams, Password, Suite};

use super::{Profile, Progress};
use crate::grid as recommend;
use crate::schema::{KdfFigure, KdfSetting};
use crate::stats::Summary;

/// How `peak_rss_bytes` is obtained, as results record it.
pub const PEAK_MEMORY_METHOD: &str = "each setting runs in a child process of its own (the \
measuring program started again as a KDF probe: `xtask kdf-probe` or `e2eb bench`'s) that reads VmRSS from /proc/self/status before its first derivation \
(baseline_rss_bytes) and VmHWM, the kernel's resident-set high-water mark, after its last \
(peak_rss_bytes); the difference is the memory the derivation made resident. Each derivation \
is a whole backup made with one password slot, as a user meets it.";

/// How the KDF samples are taken, as results record it.
pub const SAMPLING_METHOD: &str = "interleaved rounds: every setting of the grid (then every \
recommended setting) has its child process started and warmed up by one derivation at 16 MiB \
with the same passes and lanes (the setting's own memory is allocated and touched afresh by \
every derivation anyway), then each round takes one timed derivation of each setting in turn, \
one at a time, so that a burst of load from elsewhere lands on one sample of several settings \
rather than on every sample of one. Settings take as many rounds as fit in the profile's \
per-setting budget, between its minimum and maximum (settings slower than the budget take \
the profile's fewer samples for slow settings).";

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

/// Measures the grid in interleaved rounds, then picks Argon2id settings for the profile's
/// target times from it and measures those too (role `check`), interleaved as well. Returns the
/// figures and any errors in words.
pub fn measure(
    profile: &Profile,
    logical_cpus: usize,
    memory_bytes: Option<u64>,
    progress: &dyn Progress,
    child: &ChildCommand,
) -> (Vec<KdfFigure>, Vec<String>) {
    let mut figures = Vec::new();
    let mut errors = Vec::new();
    let settings = grid(profile);
    for (setting, result) in settings.iter().zip(measure_interleaved(
        &settings,
        profile,
        Some(progress),
        "KDF",
        child,
    )) {
        match result {
            Ok(figure) => figures.push(figure),
            Err(error) => errors.push(format!(
                "{} {}: {error}",
                setting.kdf_name(),
                setting.params()
            )),
        }
    }
    let Some(model) = recommend::best_argon_model(&figures, logical_cpus) else {
        progress.skip(profile.check_targets.len() as u64);
        return (figures, errors);
    };
    // Every target's pick first, measured in interleaved rounds; a pick that misses its target
    // by more than the noise corrects the model by the ratio it found, and the settings those
    // corrected models pick are measured next, again interleaved.
    let mut pending: Vec<(f64, recommend::ArgonModel, recommend::KdfChoice)> = profile
        .check_targets
        .iter()
        .map(|&target| {
            let choice = recommend::choose_argon2id(&model, &figures, memory_bytes, target);
            (target, model.clone(), choice)
        })
        .collect();
    for attempt in 0..2 {
        if pending.is_empty() {
            break;
        }
        let settings: Vec<KdfSetting> = pending.iter().map(|(_, _, c)| c.setting).collect();
        // Progress counts one step per target; corrected picks are part of that step.
        let step = (attempt == 0).then_some(progress);
        let results = measure_interleaved(&settings, profile, step, "KDF check", child);
        let mut next = Vec::new();
        for ((target, mut model, choice), result) in pending.into_iter().zip(results) {
            let mut recorded = match result {
                Ok(figure) => figure,
                Err(error) => {
                    errors.push(format!("check for {target} s: {error}"));
                    continue;
                }
            };
            let measured = recorded.seconds.median;
            let on_target = (0.75 * target..=1.1 * target).contains(&measured);
            recorded.target_seconds = Some(target);
            recorded.predicted_seconds = Some(choice.predicted_seconds);
            if on_target || attempt == 1 {
                recorded.role = "check".into();
                figures.push(recorded);
                continue;
            }
            model.scale *= measured / choice.predicted_seconds;
            let corrected = recommend::choose_argon2id(&model, &figures, memory_bytes, target);
            if corrected.setting == choice.setting {
                recorded.role = "check".into();
                figures.push(recorded);
                continue;
            }
            recorded.role = "calibration".into();
            figures.push(recorded);
            next.push((target, model, corrected));
        }
        pending = next;
    }
    // Keep each target's figures together, calibration before its check, as readers expect.
    let grid_count = figures.iter().filter(|f| f.role == "grid").count();
    let mut checks = figures.split_off(grid_count);
    checks.sort_by(|a, b| {
        let key = |f: &KdfFigure| (f.target_seconds.unwrap_or(0.0), f.role == "check");
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    figures.extend(checks);
    (figures, errors)
}

/// How many samples a setting gets: between the profile's least and most, as many as fit in
/// its budget at the time of the first sample.
/// A setting whose one derivation already exceeds the budget gets the profile's fewer samples
/// for slow settings.
pub fn planned_samples(profile: &Profile, first_sample_seconds: f64) -> usize {
    let least = profile.kdf_min_samples.max(1);
    let most = profile.kdf_max_samples.max(least);
    if first_sample_seconds <= 0.0 {
        return most;
    }
    let budget = profile.kdf_budget.as_secs_f64();
    if first_sample_seconds > budget && budget > 0.0 {
        return profile.kdf_slow_min_samples.clamp(1, least);
    }
    let affordable = (budget / first_sample_seconds) as usize;
    affordable.clamp(least, most)
}

/// Estimated wall time of the KDF section under `profile` from per-setting times (grid and
/// checks, including calibrations), each setting one cheap warm-up plus its planned samples:
/// how a profile's sample counts are sized against a measured run.
#[cfg(test)]
pub fn planned_seconds(profile: &Profile, per_setting_seconds: &[f64]) -> f64 {
    per_setting_seconds
        .iter()
        .map(|&seconds| seconds * planned_samples(profile, seconds) as f64)
        .sum()
}

/// One probe child per setting, all alive together, asked for one sample at
/// a time in rounds over the settings: a burst of load on a shared machine then lands on one
/// sample of several settings instead of every sample of one, so the spread each figure shows
/// includes the machine's drift over the whole section. Each child's peak resident memory still
/// belongs to its setting alone.
fn measure_interleaved(
    settings: &[KdfSetting],
    profile: &Profile,
    progress: Option<&dyn Progress>,
    label: &str,
    child: &ChildCommand,
) -> Vec<Result<KdfFigure, String>> {
    let mut children: Vec<Result<ProbeChild, String>> = settings
        .iter()
        .map(|&setting| ProbeChild::start(child, setting))
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); settings.len()];
    let mut planned: Vec<usize> = vec![1; settings.len()];
    let rounds = profile.kdf_max_samples.max(profile.kdf_min_samples).max(1);
    for round in 0..rounds {
        for (index, child) in children.iter_mut().enumerate() {
            let Ok(running) = child else { continue };
            if round >= planned[index] {
                continue;
            }
            match running.sample() {
                Ok(seconds) => {
                    samples[index].push(seconds);
                    if round == 0 {
                        planned[index] = planned_samples(profile, seconds);
                    }
                }
                Err(error) => *child = Err(error),
            }
        }
    }
    children
        .into_iter()
        .zip(settings)
        .zip(samples)
        .map(|((child, &setting), seconds)| {
            if let Some(progress) = progress {
                progress.start(format!(
                    "{label} {} {}",
                    setting.kdf_name(),
                    setting.params()
                ));
            }
            let report = child.and_then(ProbeChild::finish);
            if let Some(progress) = progress {
                progress.done();
            }
            let report = report?;
            Ok(KdfFigure {
                setting,
                params: setting.params().to_string(),
                role: "grid".into(),
                target_seconds: None,
                predicted_seconds: None,
                seconds: Summary::of(&seconds).ok_or("the probe took no samples")?,
                memory_bytes: setting.memory_bytes(),
                peak_rss_bytes: report.peak_rss_bytes,
                baseline_rss_bytes: report.baseline_rss_bytes,
            })
        })
        .collect()
}

/// How to start a KDF probe: a program and the arguments before `--setting JSON --serve`,
/// whose side is [`serve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildCommand {
    /// The program.
    pub program: PathBuf,
    /// The arguments that make it a probe, e.g. `["kdf-probe"]`.
    pub args: Vec<String>,
}

impl ChildCommand {
    /// This very program, started with `args`.
    pub fn this_program(args: &[&str]) -> Result<ChildCommand, String> {
        Ok(ChildCommand {
            program: std::env::current_exe().map_err(|error| {
                format!("cannot find this program to start a KDF probe: {error}")
            })?,
            args: args.iter().map(|&arg| arg.to_owned()).collect(),
        })
    }
}

/// A running KDF probe.
struct ProbeChild {
    process: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

impl ProbeChild {
    fn start(command: &ChildCommand, setting: KdfSetting) -> Result<ProbeChild, String> {
        let mut process = Command::new(&command.program)
            .args(&command.args)
            .arg("--setting")
            .arg(serde_json::to_string(&setting).map_err(|error| error.to_string())?)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start the probe: {error}"))?;
        let input = process.stdin.take().ok_or("the probe has no input")?;
        let output =
            std::io::BufReader::new(process.stdout.take().ok_or("the probe has no output")?);
        let mut child = ProbeChild {
            process,
            input,
            output,
        };
        // Wait for its warm-up: no two derivations may overlap, or they time each other.
        let mut line = String::new();
        std::io::BufRead::read_line(&mut child.output, &mut line)
            .map_err(|error| format!("probe output: {error}"))?;
        if line.trim() != "ready" {
            return Err(child.failure(&line));
        }
        Ok(child)
    }

    /// One timed derivation, in seconds.
    fn sample(&mut self) -> Result<f64, String> {
        use std::io::{BufRead, Write};
        writeln!(self.input, "sample")
            .and_then(|()| self.input.flush())
            .map_err(|error| format!("probe input: {error}"))?;
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .map_err(|error| format!("probe output: {error}"))?;
        line.trim().parse::<f64>().map_err(|_| self.failure(&line))
    }

    /// Closes the child's input and reads its memory figures.
    fn finish(self) -> Result<ProbeReport, String> {
        use std::io::Read;
        let ProbeChild {
            mut process,
            input,
            mut output,
        } = self;
        drop(input);
        let mut report = String::new();
        output
            .read_to_string(&mut report)
            .map_err(|error| format!("probe output: {error}"))?;
        let mut stderr = String::new();
        if let Some(mut error) = process.stderr.take() {
            let _ = error.read_to_string(&mut stderr);
        }
        let status = process.wait().map_err(|error| format!("probe: {error}"))?;
        if !status.success() {
            return Err(format!("probe exited with {status}: {}", stderr.trim()));
        }
        serde_json::from_str(report.trim()).map_err(|error| format!("probe output: {error}"))
    }

    fn failure(&mut self, line: &str) -> String {
        let _ = self.process.kill();
        let mut stderr = String::new();
        if let Some(mut error) = self.process.stderr.take() {
            use std::io::Read;
            let _ = error.read_to_string(&mut stderr);
        }
        let _ = self.process.wait();
        format!(
            "probe failed: {}",
            if stderr.trim().is_empty() {
                line.trim().to_owned()
            } else {
                stderr.trim().to_owned()
            }
        )
    }
}

/// What the probe prints at the end of its input.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ProbeReport {
    peak_rss_bytes: Option<u64>,
    baseline_rss_bytes: Option<u64>,
}

/// The cheap derivation that warms a probe before its first sample: the same KDF, passes and
/// lanes at the smallest memory of the grid (16 MiB) or the setting's own if smaller. It loads
/// the code, starts the lane threads and warms the allocator; the setting's own memory is
/// allocated and first touched afresh by every derivation anyway, so a full-size warm-up (as
/// runs before interleaving took) only cost time.
fn warm_up_setting(setting: KdfSetting) -> KdfSetting {
    match setting {
        KdfSetting::Argon2id {
            memory_kib,
            passes,
            lanes,
        } => KdfSetting::Argon2id {
            memory_kib: memory_kib.min(16 * 1024).max(8 * lanes),
            passes,
            lanes,
        },
        KdfSetting::Scrypt { log_n, r, p } => KdfSetting::Scrypt {
            log_n: log_n.min(14),
            r,
            p,
        },
    }
}

/// The child's side, for `setting` as JSON (`{"kdf":"argon2id","memory_kib":…,"passes":…,
/// "lanes":…}`): the cheap warm-up, then one timed derivation per `sample` line read from
/// stdin (its seconds printed on a line of their own), then at the end of input the memory
/// figures as one line of JSON.
pub fn serve(setting: &str) -> Result<(), String> {
    use std::io::{BufRead, Write};
    let setting: KdfSetting =
        serde_json::from_str(setting).map_err(|error| format!("--setting: {error}"))?;
    let params = setting.params();
    params.validate().map_err(|error| error.to_string())?;
    let baseline = timing::current_rss_bytes();
    derive(warm_up_setting(setting).params())?;
    let stdout = std::io::stdout();
    {
        let mut out = stdout.lock();
        writeln!(out, "ready")
            .and_then(|()| out.flush())
            .map_err(|error| error.to_string())?;
    }
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|error| error.to_string())?;
        if line.trim() != "sample" {
            return Err(format!("unexpected request {line:?}"));
        }
        let start = Instant::now();
        derive(params)?;
        let seconds = start.elapsed().as_secs_f64();
        let mut out = stdout.lock();
        writeln!(out, "{seconds}")
            .and_then(|()| out.flush())
            .map_err(|error| error.to_string())?;
    }
    let report = ProbeReport {
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

    #[test]
    fn quick_samples_every_setting_at_least_four_times() {
        let profile = Profile::new(super::super::ProfileName::Quick);
        assert_eq!(planned_samples(&profile, 0.004), 9);
        assert_eq!(planned_samples(&profile, 0.25), 6);
        assert_eq!(planned_samples(&profile, 0.64), 5);
        assert_eq!(planned_samples(&profile, 2.65), 4);
    }

    /// The quick profile's sampling sized against the two slowest quick runs made with the old
    /// plan (kept in `testdata/`, not read from `reports/`, which every bench rewrites): their
    /// measured time with the KDF section's old cost (one full warm-up plus the samples taken)
    /// replaced by the new plan's must stay within 180 s. The other sections' savings (AEAD
    /// warm-up and sample time, Argon2 reference rounds) are estimated from the same runs'
    /// sample counts.
    #[test]
    fn quick_profile_fits_in_180_seconds_of_the_old_plans_slowest_runs() {
        let profile = Profile::new(super::super::ProfileName::Quick);
        let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let runs: Vec<crate::schema::Run> = [
            "quick-run-amd-epyc-2t-24g-2026-12-04T09-25-29Z.json",
            "quick-run-intel-xeon-processor-2t-24g-2026-11-30T13-45-16Z.json",
        ]
        .iter()
        .map(|name| crate::schema::Run::load(&testdata.join(name)).expect("a fixture run"))
        .collect();
        let mut checked = 0;
        for run in &runs {
            assert_eq!(run.profile, "quick");
            assert_eq!(
                run.method.aead.warm_up_seconds, 0.1,
                "a run of the old plan"
            );
            let old_kdf: f64 = run
                .kdf
                .iter()
                .map(|f| (f.seconds.samples.len() + 1) as f64 * f.seconds.median)
                .sum();
            let medians: Vec<f64> = run.kdf.iter().map(|f| f.seconds.median).collect();
            let new_kdf = planned_seconds(&profile, &medians);
            let aead_figures = run
                .aead
                .iter()
                .filter(|f| f.implementation != "openssl")
                .count() as f64;
            let aead_saved = aead_figures
                * ((run.method.aead.warm_up_seconds - profile.aead_plan.warm_up.as_secs_f64())
                    + run.method.aead.max_samples as f64
                        * (run.method.aead.sample_seconds
                            - profile.aead_plan.sample_time.as_secs_f64()));
            let reference_saved = run.argon2_reference.as_ref().map_or(0.0, |reference| {
                let per_round: f64 = reference
                    .implementations
                    .iter()
                    .flat_map(|i| &i.seconds)
                    .map(|s| s.median)
                    .sum();
                per_round * (reference.rounds - profile.argon2_reference_rounds) as f64
            });
            let estimate = run.measure_seconds - old_kdf + new_kdf - aead_saved - reference_saved;
            eprintln!(
                "{}: {estimate:.0} s estimated, {:.0} s measured",
                run.host.timestamp, run.measure_seconds
            );
            assert!(
                estimate <= 180.0,
                "{}: {estimate:.0} s (was {:.0} s)",
                run.host.timestamp,
                run.measure_seconds
            );
            checked += 1;
        }
        assert_eq!(checked, 2);
    }
}
