//! A recommended setting with everything a team needs to adopt it: the time, the memory, the
//! decrypt-side caps, what it costs an attacker, and the warnings. Built by `e2eb tune`
//! (measured here) and `cargo xtask tune` (predicted from another device's grid), printed as
//! text or JSON.

use std::fmt::Write as _;

use e2eb::KdfParams;

use crate::attacker::{self, AttackerTable, Gpu};
use crate::family::{Family, memory_of};
use crate::model::{Fit, HeldOut};
use crate::safety::{self, CapsNeeded, Device, Warning, WarningKind, approx_bytes};
use crate::search::{self, Landing, Outcome, SearchSpec, WINDOW};
use crate::timing;

/// The memory cap when none is given is at most this: restoring needs it free too, and phones
/// with 3 GiB are still common.
pub const DEFAULT_MEMORY_CEILING: u64 = 1 << 30;

/// The default lanes: the device's CPUs, at most this many. RFC 9106's second recommended
/// option uses 4 lanes; more than a phone's fast cores buy nothing, and a restoring device
/// with fewer CPUs than the lanes pays for the difference.
pub const DEFAULT_MAX_LANES: u32 = 4;

/// The `--json` fields of `e2eb tune` and `cargo xtask tune`. Names are stable; fields may be
/// added.
pub const JSON_FIELDS_HELP: &str = "\
With --json, one JSON object with these fields:
  basis                \"measured\" (e2eb tune, on this machine) or \"predicted\" (cargo xtask
                       tune, from a benchmark grid)
  source               what the figures come from, in words
  target_seconds       the wall time asked for
  memory_cap_bytes     the most memory a setting may use, and memory_cap_reason in words
  device               physical_memory and available_memory in bytes (null: unknown)
  recommendations      one object per KDF:
    kdf                  \"argon2id\" or \"scrypt\"
    kdf_params           the setting as --kdf-params takes it
    encrypt_options      the e2eb encrypt options that use it
    seconds              measured median or predicted seconds per derivation
    samples              the measured seconds (measured only)
    ratio_to_target      seconds / target_seconds
    within_window        whether that ratio lies within 0.95–1.10
    landing              how the search ended: on_target, too_slow_at_minimum,
                         too_fast_at_caps or closest
    model_error          the model's largest leave-one-out error (predicted only)
    memory_bytes         memory the parameters allocate
    peak_rss_bytes       this process's resident high-water mark while timing the setting,
                         and peak_rss_over_baseline_bytes (measured only; null if unknown)
    caps                 memory_bytes, min_physical_memory_for_default_caps,
                         default_caps_accept_on_device, decrypt_flags
    attacker             params, gpu {name, bandwidth_bytes_per_second, memory_bytes,
                         usd_per_hour, source}, bytes_per_guess, efficiency,
                         guesses_per_second, rows [{secret, candidates, bits,
                         guesses_per_second, seconds_one_gpu, usd,
                         vault_success_probability}], assumptions
    warnings             [{kind, message}]; kind is memory_exceeds_device,
                         below_owasp_minimum, refused_by_default_caps, target_unreachable,
                         extrapolated or timing_varied
    trials               the settings the search tried: [{kdf_params, seconds}]
    model                null, or for a predicted setting the cost model: fit {once,
                         per_iteration, once_exponent, iteration_exponent, lane_exponent,
                         points, memory_range, lanes}, leave_one_out and checks, each null or
                         {points [{params, measured_seconds, predicted_seconds, error}],
                         max_error, rms_error}";

/// Everything one tuning run found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TuneReport {
    /// `measured` or `predicted`.
    pub basis: &'static str,
    /// What the figures come from, in words.
    pub source: String,
    pub target_seconds: f64,
    pub memory_cap_bytes: u64,
    pub memory_cap_reason: String,
    pub device: Device,
    pub recommendations: Vec<Recommendation>,
}

/// One KDF's recommended setting.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Recommendation {
    pub kdf: &'static str,
    pub kdf_params: String,
    pub encrypt_options: String,
    pub seconds: f64,
    pub samples: Option<Vec<f64>>,
    pub ratio_to_target: f64,
    pub within_window: bool,
    pub landing: Landing,
    pub model_error: Option<f64>,
    pub memory_bytes: u64,
    pub peak_rss_bytes: Option<u64>,
    pub peak_rss_over_baseline_bytes: Option<u64>,
    pub caps: CapsNeeded,
    pub attacker: AttackerTable,
    pub warnings: Vec<Warning>,
    pub trials: Vec<TrialRecord>,
    /// The cost model behind a predicted setting.
    pub model: Option<ModelSummary>,
}

/// The cost model behind a predicted setting, and how well it predicts points it was not
/// fitted to.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ModelSummary {
    /// The constants of the regime that predicts the setting.
    pub fit: Option<Fit>,
    /// Each grid point predicted by the model of all the others.
    pub leave_one_out: Option<HeldOut>,
    /// Settings the device measured apart from the grid (the bench's checks), predicted by
    /// the model of the whole grid.
    pub checks: Option<HeldOut>,
}

/// One setting a search tried.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrialRecord {
    pub kdf_params: String,
    pub seconds: f64,
}

/// The default memory cap for `device`: the smaller of [`DEFAULT_MEMORY_CEILING`] and half of
/// its available memory (half of its physical memory where availability is unknown), with the
/// reason in words.
pub fn default_memory_cap(device: &Device) -> (u64, String) {
    let (half, of) = match (device.available_memory, device.physical_memory) {
        (Some(available), _) => (
            available / 2,
            format!("{} available", approx_bytes(available)),
        ),
        (None, Some(physical)) => (physical / 2, format!("{} of RAM", approx_bytes(physical))),
        (None, None) => {
            return (
                DEFAULT_MEMORY_CEILING,
                "1 GiB (the device's memory is unknown)".to_owned(),
            );
        }
    };
    if half < DEFAULT_MEMORY_CEILING {
        (
            half.max(1 << 20),
            format!("half of the {of}, as it is less than 2 GiB"),
        )
    } else {
        (
            DEFAULT_MEMORY_CEILING,
            format!("1 GiB, less than half of the {of}"),
        )
    }
}

/// The default lanes for a device with `cpus` logical CPUs.
pub fn default_lanes(cpus: Option<usize>) -> u32 {
    cpus.map_or(DEFAULT_MAX_LANES, |cpus| {
        u32::try_from(cpus)
            .unwrap_or(u32::MAX)
            .clamp(1, DEFAULT_MAX_LANES)
    })
}

/// Builds the recommendation for what a search found, `seconds` being its final time
/// (measured or predicted).
pub fn recommendation(
    outcome: &Outcome,
    seconds: f64,
    target_seconds: f64,
    device: &Device,
    gpu: &Gpu,
) -> Recommendation {
    let params = outcome.params;
    let kdf = params.kind().name();
    let ratio = seconds / target_seconds;
    let mut warnings = Vec::new();
    if let Some(message) = unreachable_message(outcome, target_seconds) {
        warnings.push(Warning {
            kind: WarningKind::TargetUnreachable,
            message,
        });
    }
    warnings.extend(safety::check(&params, device));
    Recommendation {
        kdf,
        kdf_params: params.to_string(),
        encrypt_options: format!("--kdf {kdf} --kdf-params {params}"),
        seconds,
        samples: None,
        ratio_to_target: ratio,
        within_window: (WINDOW.0..=WINDOW.1).contains(&ratio),
        landing: outcome.landing,
        model_error: None,
        memory_bytes: memory_of(&params),
        peak_rss_bytes: None,
        peak_rss_over_baseline_bytes: None,
        caps: safety::caps_needed(&params, device),
        attacker: attacker::attacker_table(&params, gpu),
        warnings,
        trials: outcome
            .trials
            .iter()
            .map(|trial| TrialRecord {
                kdf_params: trial.params.to_string(),
                seconds: trial.seconds,
            })
            .collect(),
        model: None,
    }
}

fn unreachable_message(outcome: &Outcome, target_seconds: f64) -> Option<String> {
    let params = outcome.params;
    let took = attacker::human_duration(outcome.seconds);
    let target = attacker::human_duration(target_seconds);
    match outcome.landing {
        Landing::OnTarget => None,
        Landing::TooSlowAtMinimum => Some(format!(
            "even the smallest setting, {params}, takes {took}, more than the {target} target"
        )),
        Landing::TooFastAtCaps => Some(format!(
            "even {params}, the memory cap with the most {} e2eb decrypt's default caps \
             allow, takes only {took} of the {target} target; a larger --max-memory would use \
             the time",
            Family::of(&params).map_or("iterations", Family::iterations_name)
        )),
        Landing::Closest => Some(format!(
            "no setting landed within {:.0}–{:.0} % of the {target} target; {params}, the \
             closest tried, takes {took}",
            WINDOW.0 * 100.0,
            WINDOW.1 * 100.0
        )),
    }
}

/// What `e2eb tune` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasureRequest {
    pub families: Vec<Family>,
    pub target_seconds: f64,
    pub memory_cap_bytes: u64,
    pub memory_cap_reason: String,
    pub device: Device,
    pub gpu: Gpu,
    /// Timed derivations of the chosen setting, after one untimed one.
    pub samples: usize,
}

/// Searches for the chosen setting more than once at most this many times after the first:
/// when the chosen setting, timed again, misses the window.
const MAX_REFINEMENTS: usize = 2;

/// Searches each family on this machine, then times the chosen setting again (one untimed
/// derivation, then `samples`) with this process's peak memory reset around it. When that
/// median misses the window (noise steered the search), the search continues from all it
/// measured with the new figure, at most twice. `progress` hears of each
/// step in words.
pub fn tune_here(
    request: &MeasureRequest,
    mut progress: impl FnMut(&str),
) -> Result<TuneReport, String> {
    let mut recommendations = Vec::new();
    for &family in &request.families {
        progress(&format!("searching {} settings", family.name()));
        let spec = SearchSpec::new(family, request.target_seconds, request.memory_cap_bytes);
        let mut timer = timing::search_timer(request.target_seconds);
        let mut timed = |params: &KdfParams| {
            let seconds = timer(params)?;
            progress(&format!(
                "  {} {params}: {}",
                family.name(),
                attacker::human_duration(seconds)
            ));
            Ok(seconds)
        };
        let mut outcome = search::search(&spec, &mut timed)?;
        let mut refinements = 0;
        let final_timing = loop {
            let timing = time_chosen(&outcome.params, request.samples)?;
            let ratio = timing.seconds / request.target_seconds;
            let on_target = (WINDOW.0..=WINDOW.1).contains(&ratio);
            if on_target || outcome.landing != Landing::OnTarget || refinements == MAX_REFINEMENTS {
                break timing;
            }
            refinements += 1;
            let mut seeds = outcome.trials.clone();
            for trial in seeds
                .iter_mut()
                .filter(|trial| trial.params == outcome.params)
            {
                trial.seconds = timing.seconds;
            }
            let refined = search::search_seeded(&spec, &seeds, &mut timed)?;
            if refined.params == outcome.params {
                break timing;
            }
            outcome = refined;
        };
        let mut recommendation = recommendation(
            &outcome,
            final_timing.seconds,
            request.target_seconds,
            &request.device,
            &request.gpu,
        );
        let ratio = final_timing.seconds / request.target_seconds;
        if outcome.landing == Landing::OnTarget && !(WINDOW.0..=WINDOW.1).contains(&ratio) {
            recommendation.warnings.push(Warning {
                kind: WarningKind::TimingVaried,
                message: format!(
                    "the search timed {} at {} but timed again it took {} ({:.0} % of the \
                     target): timings vary on this machine; run tune again when it is idle",
                    outcome.params,
                    attacker::human_duration(
                        outcome
                            .trials
                            .iter()
                            .find(|trial| trial.params == outcome.params)
                            .map_or(f64::NAN, |trial| trial.seconds)
                    ),
                    attacker::human_duration(final_timing.seconds),
                    ratio * 100.0
                ),
            });
        }
        recommendation.samples = Some(final_timing.samples);
        recommendation.peak_rss_bytes = final_timing.peak;
        recommendation.peak_rss_over_baseline_bytes = final_timing
            .peak
            .zip(final_timing.baseline)
            .map(|(peak, base)| peak.saturating_sub(base));
        recommendations.push(recommendation);
    }
    Ok(TuneReport {
        basis: "measured",
        source: "measured on this machine".to_owned(),
        target_seconds: request.target_seconds,
        memory_cap_bytes: request.memory_cap_bytes,
        memory_cap_reason: request.memory_cap_reason.clone(),
        device: request.device,
        recommendations,
    })
}

/// The final timing of a chosen setting.
struct ChosenTiming {
    samples: Vec<f64>,
    seconds: f64,
    peak: Option<u64>,
    baseline: Option<u64>,
}

fn time_chosen(params: &KdfParams, samples: usize) -> Result<ChosenTiming, String> {
    let peak_resettable = timing::reset_peak_rss();
    let baseline = timing::current_rss_bytes();
    let samples = timing::time_samples(params, 1, samples)?;
    let peak = peak_resettable.then(timing::peak_rss_bytes).flatten();
    Ok(ChosenTiming {
        seconds: timing::median(&mut samples.clone()),
        samples,
        peak,
        baseline,
    })
}

/// The report as JSON, one object.
pub fn to_json(report: &TuneReport) -> Result<String, String> {
    serde_json::to_string_pretty(report).map_err(|error| format!("cannot write JSON: {error}"))
}

/// The report as text for a terminal.
pub fn render_text(report: &TuneReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Target: {} per derivation. Memory cap: {} ({}). Settings {}.",
        attacker::human_duration(report.target_seconds),
        approx_bytes(report.memory_cap_bytes),
        report.memory_cap_reason,
        report.source
    );
    for recommendation in &report.recommendations {
        out.push('\n');
        render_recommendation(&mut out, recommendation, report);
    }
    if let Some(first) = report.recommendations.first() {
        out.push_str("\nAssumptions of the attacker estimates:\n");
        for assumption in &first.attacker.assumptions {
            let _ = writeln!(out, "  - {assumption}");
        }
        for other in report.recommendations.iter().skip(1) {
            // The second assumption is the KDF's own anchor.
            if let Some(anchor) = other.attacker.assumptions.get(1) {
                let _ = writeln!(out, "  - {anchor}");
            }
        }
    }
    out
}

fn render_recommendation(out: &mut String, recommendation: &Recommendation, report: &TuneReport) {
    let _ = writeln!(
        out,
        "{}: --kdf-params {}",
        recommendation.kdf, recommendation.kdf_params
    );
    let target = attacker::human_duration(report.target_seconds);
    let percent = recommendation.ratio_to_target * 100.0;
    match (&recommendation.samples, recommendation.model_error) {
        (Some(samples), _) => {
            let _ = writeln!(
                out,
                "  time       {} median of {} runs, {percent:.0} % of the {target} target \
                 ({} settings tried)",
                attacker::human_duration(recommendation.seconds),
                samples.len(),
                recommendation.trials.len()
            );
        }
        (None, Some(error)) => {
            let _ = writeln!(
                out,
                "  time       {} predicted ± {:.0} % (the model's largest error on points left out of its fit), \
                 {percent:.0} % of the {target} target",
                attacker::human_duration(recommendation.seconds),
                error * 100.0
            );
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "  time       {}, {percent:.0} % of the {target} target",
                attacker::human_duration(recommendation.seconds)
            );
        }
    }
    let _ = write!(
        out,
        "  memory     {}",
        crate::units::format_bytes(u128::from(recommendation.memory_bytes))
    );
    if let Some(peak) = recommendation.peak_rss_bytes {
        let _ = write!(out, "; peak resident {}", approx_bytes(peak));
        if let Some(over) = recommendation.peak_rss_over_baseline_bytes {
            let _ = write!(
                out,
                " ({} above the process's baseline)",
                approx_bytes(over)
            );
        }
    }
    out.push('\n');
    let caps = &recommendation.caps;
    let _ = write!(out, "  restoring  ");
    match caps.min_physical_memory_for_default_caps {
        Some(bytes) => {
            let _ = write!(
                out,
                "e2eb decrypt's default caps accept it on devices with at least {} of RAM",
                approx_bytes(bytes)
            );
        }
        None => {
            let _ = write!(out, "no device's default caps accept it");
        }
    }
    match caps.default_caps_accept_on_device {
        Some(true) => out.push_str(" (this device: yes)"),
        Some(false) => {
            let _ = write!(
                out,
                " (this device: only with {})",
                caps.decrypt_flags.join(" ")
            );
        }
        None => {}
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  encrypt    e2eb encrypt {} ...",
        recommendation.encrypt_options
    );
    render_attacker(out, &recommendation.attacker);
    for warning in &recommendation.warnings {
        let _ = writeln!(out, "  warning: {}", warning.message);
    }
}

fn render_attacker(out: &mut String, table: &AttackerTable) {
    let _ = writeln!(
        out,
        "  attacker   one {}: {} guesses per second at ${:.2} per hour",
        table.gpu.name,
        attacker::human_count(table.guesses_per_second),
        table.gpu.usd_per_hour
    );
    let _ = writeln!(
        out,
        "    {:<32} {:>12} {:>6}  {:>22}  {:>16}  {:>22}",
        "secret",
        "candidates",
        "bits",
        "all, on one GPU",
        "GPU rental",
        format!("vault, {} attempts", attacker::VAULT_ATTEMPTS)
    );
    for row in &table.rows {
        let mut duration = attacker::human_duration(row.seconds_one_gpu);
        if (row.guesses_per_second - table.guesses_per_second).abs() > f64::EPSILON {
            duration.push_str(" *");
        }
        let _ = writeln!(
            out,
            "    {:<32} {:>12} {:>6.1}  {:>22}  {:>16}  {:>22}",
            row.secret,
            attacker::human_count(row.candidates),
            row.bits,
            duration,
            attacker::human_usd(row.usd),
            attacker::human_odds(row.vault_success_probability)
        );
    }
    let _ = writeln!(
        out,
        "    * no password KDF: HKDF only, at an assumed {} guesses per second",
        attacker::human_count(attacker::RECOVERY_KEY_GUESSES_PER_SECOND)
    );
    let _ = writeln!(
        out,
        "    vault: the chance that {} guesses succeed when an e2eb vault guards the secret \
         instead (if its server setup is not stolen with its database)",
        attacker::VAULT_ATTEMPTS
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Trial;
    use e2eb::Argon2idParams;

    fn sample_report() -> TuneReport {
        let params = KdfParams::Argon2id(Argon2idParams::unvalidated(512 * 1024, 2, 2));
        let outcome = Outcome {
            params,
            seconds: 0.51,
            landing: Landing::OnTarget,
            trials: vec![Trial {
                params,
                seconds: 0.51,
            }],
        };
        let device = Device {
            physical_memory: Some(8 << 30),
            available_memory: Some(6 << 30),
        };
        let gpu = attacker::rtx_4090(attacker::DEFAULT_USD_PER_GPU_HOUR);
        let mut recommendation = recommendation(&outcome, 0.5, 0.5, &device, &gpu);
        recommendation.samples = Some(vec![0.49, 0.5, 0.52]);
        TuneReport {
            basis: "measured",
            source: "measured on this machine".into(),
            target_seconds: 0.5,
            memory_cap_bytes: 1 << 30,
            memory_cap_reason: "1 GiB".into(),
            device,
            recommendations: vec![recommendation],
        }
    }

    #[test]
    fn json_parses_and_names_its_fields() {
        let json = to_json(&sample_report()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let first = &value["recommendations"][0];
        assert_eq!(first["kdf_params"], "m=524288,t=2,p=2");
        assert_eq!(first["landing"], "on_target");
        assert_eq!(first["within_window"], true);
        assert_eq!(first["attacker"]["rows"].as_array().unwrap().len(), 5);
        assert_eq!(first["caps"]["default_caps_accept_on_device"], true);
        for field in [
            "kdf",
            "encrypt_options",
            "seconds",
            "samples",
            "ratio_to_target",
            "model_error",
            "memory_bytes",
            "peak_rss_bytes",
            "peak_rss_over_baseline_bytes",
            "warnings",
            "trials",
            "model",
        ] {
            assert!(first.get(field).is_some(), "{field}");
            assert!(JSON_FIELDS_HELP.contains(field), "{field} undocumented");
        }
        for field in [
            "basis",
            "source",
            "target_seconds",
            "memory_cap_bytes",
            "device",
        ] {
            assert!(value.get(field).is_some(), "{field}");
            assert!(JSON_FIELDS_HELP.contains(field), "{field} undocumented");
        }
    }

    #[test]
    fn text_has_the_setting_caps_and_attacker_table() {
        let text = render_text(&sample_report());
        for expected in [
            "argon2id: --kdf-params m=524288,t=2,p=2",
            "median of 3 runs, 100 % of the 500 ms target",
            "at least 1.0 GiB of RAM (this device: yes)",
            "e2eb encrypt --kdf argon2id --kdf-params m=524288,t=2,p=2",
            "6-digit PIN",
            "recovery key (256 random bits)",
            "$0.50 per GPU-hour",
            "vault, 10 attempts",
            "1 in 100,000",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn defaults_follow_the_device() {
        let phone = Device {
            physical_memory: Some(3 << 30),
            available_memory: Some(1 << 30),
        };
        assert_eq!(default_memory_cap(&phone).0, 512 << 20);
        let desktop = Device {
            physical_memory: Some(32 << 30),
            available_memory: Some(20 << 30),
        };
        assert_eq!(default_memory_cap(&desktop).0, 1 << 30);
        assert_eq!(default_memory_cap(&Device::default()).0, 1 << 30);
        assert_eq!(default_lanes(Some(8)), 4);
        assert_eq!(default_lanes(Some(2)), 2);
        assert_eq!(default_lanes(Some(0)), 1);
    }
}
