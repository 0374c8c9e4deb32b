//! Plain recommendations from a run's figures: which suite and AEAD backend, how many threads,
//! and which KDF settings take about a given wall time on this host. `cargo xtask bench` uses the KDF choices
//! to pick the settings it measures as checks; reports use all of them, from the JSON alone.

use crate::schema::{KdfFigure, KdfSetting, Run};

/// Message size the suite choice is made at: e2eb's payload chunk.
pub const CHUNK_BYTES: u64 = 16 * 1024;
/// The most memory a recommended KDF setting asks for: restoring a backup needs this much free
/// on the restoring device too (e2eb's default caps allow at most half of physical memory),
/// and phones with 3 GiB are still common.
pub const MAX_RECOMMENDED_MEMORY_MIB: u32 = 1024;
/// The KDF wall times recommendations are made for.
pub const TARGETS: [f64; 3] = [0.25, 1.0, 3.0];
/// Recommended Argon2id settings go up to this many passes, extrapolated from the grid.
const MAX_PASSES: u32 = 10;

/// The faster suite on this host, at the chunk size.
#[derive(Clone, Debug, PartialEq)]
pub struct SuiteChoice {
    pub suite: String,
    pub rate: f64,
    pub other_suite: String,
    pub other_rate: f64,
    pub size_bytes: u64,
}

/// The native seal size nearest the chunk size.
fn chunk_size(run: &Run) -> Option<u64> {
    run.aead
        .iter()
        .filter(|figure| figure.implementation == "native" && figure.direction == "seal")
        .map(|figure| figure.size_bytes)
        .min_by_key(|size| size.abs_diff(CHUNK_BYTES))
}

/// Picks the suite whose native seal throughput at the chunk size (or the nearest measured
/// size), with its fastest backend, is higher.
pub fn suite_choice(run: &Run) -> Option<SuiteChoice> {
    let size = chunk_size(run)?;
    let rate = |suite: &str| {
        backend_rates(run, suite, size)
            .first()
            .map(|&(_, rate)| rate)
    };
    let aes = rate("aes-256-gcm")?;
    let chacha = rate("chacha20-poly1305")?;
    let (suite, rate, other_suite, other_rate) = if aes >= chacha {
        ("aes-256-gcm", aes, "chacha20-poly1305", chacha)
    } else {
        ("chacha20-poly1305", chacha, "aes-256-gcm", aes)
    };
    Some(SuiteChoice {
        suite: suite.into(),
        rate,
        other_suite: other_suite.into(),
        other_rate,
        size_bytes: size,
    })
}

/// Each backend's native seal throughput of `suite` at `size`, fastest first.
fn backend_rates<'a>(run: &'a Run, suite: &str, size: u64) -> Vec<(&'a str, f64)> {
    let mut rates: Vec<(&str, f64)> = run
        .native_backends()
        .into_iter()
        .filter_map(|backend| {
            run.backend_aead_figure(backend, suite, "seal", size)
                .map(|figure| (backend, figure.bytes_per_second.median))
        })
        .collect();
    rates.sort_by(|a, b| b.1.total_cmp(&a.1));
    rates
}

/// The AEAD backend to run a suite with.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendChoice {
    pub suite: String,
    pub size_bytes: u64,
    /// Every measured backend's seal throughput, fastest first.
    pub rates: Vec<(String, f64)>,
    /// The backend `auto` picks in the measuring build.
    pub auto: String,
}

impl BackendChoice {
    /// The fastest backend.
    pub fn backend(&self) -> &str {
        &self.rates[0].0
    }

    /// `auto`'s pick, measured; `None` when it was not measured.
    pub fn auto_rate(&self) -> Option<f64> {
        self.rates
            .iter()
            .find(|(backend, _)| *backend == self.auto)
            .map(|&(_, rate)| rate)
    }
}

/// The backend whose native seal of `suite` at the chunk size (or the nearest measured size) is
/// fastest.
pub fn backend_choice(run: &Run, suite: &str) -> Option<BackendChoice> {
    let size = chunk_size(run)?;
    let rates = backend_rates(run, suite, size);
    (!rates.is_empty()).then(|| BackendChoice {
        suite: suite.to_owned(),
        size_bytes: size,
        rates: rates
            .into_iter()
            .map(|(backend, rate)| (backend.to_owned(), rate))
            .collect(),
        auto: run.default_backend().to_owned(),
    })
}

/// The thread count to encrypt with.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadChoice {
    pub threads: usize,
    pub rate: f64,
    pub speedup: Option<f64>,
    pub best_threads: usize,
    pub best_rate: f64,
}

/// The fewest threads whose encryption of `suite` with the default backend reaches 95 % of the
/// best median throughput measured: more threads that buy almost nothing only take CPUs from
/// the app. In-memory figures are used where the run has them (the payload's own scaling); the
/// streaming pipeline's otherwise.
pub fn thread_choice(run: &Run, suite: &str) -> Option<ThreadChoice> {
    let mode = thread_mode(run);
    let mut figures: Vec<_> = run
        .stream
        .iter()
        .filter(|figure| {
            figure.suite == suite
                && figure.direction == "encrypt"
                && figure.backend_name() == run.default_backend()
                && figure.mode_name() == mode
        })
        .collect();
    figures.sort_by_key(|figure| figure.threads);
    let best = figures.iter().max_by(|a, b| {
        a.bytes_per_second
            .median
            .total_cmp(&b.bytes_per_second.median)
    })?;
    let chosen = figures
        .iter()
        .find(|figure| figure.bytes_per_second.median >= 0.95 * best.bytes_per_second.median)?;
    Some(ThreadChoice {
        threads: chosen.threads,
        rate: chosen.bytes_per_second.median,
        speedup: chosen.speedup,
        best_threads: best.threads,
        best_rate: best.bytes_per_second.median,
    })
}

/// The mode the thread recommendation is made from: `in-memory` where measured, else `stream`.
pub fn thread_mode(run: &Run) -> &'static str {
    if run.stream.iter().any(|f| f.mode_name() == "in-memory") {
        "in-memory"
    } else {
        "stream"
    }
}

/// A KDF setting picked for a target wall time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KdfChoice {
    pub target_seconds: f64,
    pub setting: KdfSetting,
    /// What the model of the grid predicts.
    pub predicted_seconds: f64,
    /// The setting was itself measured in the grid (its prediction is a measurement).
    pub measured_in_grid: bool,
}

/// Argon2id time for one lane count. At each measured memory size the time is a line in the
/// pass count, `a + b·t` (`a`: allocating and first-touching the memory, which a VM makes
/// costly; `b`: one pass). Per-MiB `a` and `b` are interpolated over log2 memory between
/// measured sizes, because the cost of a pass per MiB grows once the memory outgrows caches.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgonModel {
    pub lanes: u32,
    /// `(memory MiB, a per MiB, b per MiB)`, ascending by memory.
    pub sizes: Vec<(f64, f64, f64)>,
    /// Multiplies every prediction: 1, or measured over predicted after a check missed.
    pub scale: f64,
}

impl ArgonModel {
    pub fn predict(&self, memory_mib: u32, passes: u32) -> f64 {
        let m = f64::from(memory_mib);
        let (a, b) = self.per_mib(m);
        self.scale * m * (a + b * f64::from(passes))
    }

    /// The largest memory measured.
    pub fn max_memory_mib(&self) -> u32 {
        self.sizes.last().map_or(0, |&(m, _, _)| m as u32)
    }

    fn per_mib(&self, m: f64) -> (f64, f64) {
        let first = self.sizes[0];
        let last = self.sizes[self.sizes.len() - 1];
        if m <= first.0 {
            return (first.1, first.2);
        }
        if m >= last.0 {
            return (last.1, last.2);
        }
        let upper = self
            .sizes
            .iter()
            .position(|&(size, _, _)| size >= m)
            .unwrap_or(0);
        let (m0, a0, b0) = self.sizes[upper - 1];
        let (m1, a1, b1) = self.sizes[upper];
        let w = (m.log2() - m0.log2()) / (m1.log2() - m0.log2());
        (a0 + (a1 - a0) * w, b0 + (b1 - b0) * w)
    }

    /// Fits the grid figures with `lanes` lanes; `None` without any.
    pub fn fit(figures: &[KdfFigure], lanes: u32) -> Option<ArgonModel> {
        let mut by_memory: std::collections::BTreeMap<u32, Vec<(f64, f64)>> = Default::default();
        for figure in figures.iter().filter(|figure| figure.role == "grid") {
            if let KdfSetting::Argon2id {
                memory_kib,
                passes,
                lanes: l,
            } = figure.setting
                && l == lanes
                && figure.seconds.median > 0.0
            {
                by_memory
                    .entry(memory_kib)
                    .or_default()
                    .push((f64::from(passes), figure.seconds.median));
            }
        }
        let sizes: Vec<(f64, f64, f64)> = by_memory
            .into_iter()
            .map(|(memory_kib, points)| {
                let m = f64::from(memory_kib) / 1024.0;
                let (a, b) = fit_line(&points);
                (m, a / m, b / m)
            })
            .collect();
        (!sizes.is_empty()).then_some(ArgonModel {
            lanes,
            sizes,
            scale: 1.0,
        })
    }
}

/// `y ≈ a + b·t` by least squares, with `a ≥ 0` and `b > 0`: a line through the origin when
/// only one pass count was measured or noise makes the free fit unphysical.
fn fit_line(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    if spread > 0.0 {
        let b = points
            .iter()
            .map(|p| (p.0 - mean_t) * (p.1 - mean_y))
            .sum::<f64>()
            / spread;
        let a = mean_y - b * mean_t;
        if a >= 0.0 && b > 0.0 {
            return (a, b);
        }
    }
    let through_origin = points.iter().map(|p| p.0 * p.1).sum::<f64>()
        / points.iter().map(|p| p.0 * p.0).sum::<f64>();
    (0.0, through_origin)
}

/// Memory sizes a recommendation may use: 16, 24, 32, 48, 64, … MiB up to `cap`.
fn memory_steps(cap_mib: u32) -> Vec<u32> {
    let mut steps = Vec::new();
    let mut base = 16u32;
    while base <= cap_mib {
        steps.push(base);
        if base / 2 * 3 <= cap_mib {
            steps.push(base / 2 * 3);
        }
        base *= 2;
    }
    steps
}

/// The lane count to recommend: the measured one, at most the host's CPUs, whose model is
/// cheapest at the largest memory measured with three passes; more lanes only where they save
/// at least 5 %.
pub fn best_argon_model(figures: &[KdfFigure], logical_cpus: usize) -> Option<ArgonModel> {
    let mut lanes: Vec<u32> = figures
        .iter()
        .filter_map(|figure| match figure.setting {
            KdfSetting::Argon2id { lanes, .. } => Some(lanes),
            _ => None,
        })
        .filter(|&lanes| lanes as usize <= logical_cpus.max(1))
        .collect();
    lanes.sort_unstable();
    lanes.dedup();
    let mut best: Option<(ArgonModel, f64)> = None;
    for model in lanes
        .into_iter()
        .filter_map(|l| ArgonModel::fit(figures, l))
    {
        let cost = model.predict(model.max_memory_mib(), 3);
        match &best {
            Some((_, current)) if cost >= 0.95 * current => {}
            _ => best = Some((model, cost)),
        }
    }
    best.map(|(model, _)| model)
}

/// The most memory (up to the grid's largest, [`MAX_RECOMMENDED_MEMORY_MIB`] and a quarter of
/// RAM) with which some pass count fits in `target`, then the most passes that fit. Memory
/// first, as RFC 9106 advises: it is what makes guessing expensive on GPUs.
pub fn choose_argon2id(
    model: &ArgonModel,
    figures: &[KdfFigure],
    memory_bytes: Option<u64>,
    target: f64,
) -> KdfChoice {
    let ram_cap = memory_bytes.map_or(u32::MAX, |bytes| {
        ((bytes / 4) >> 20).min(u64::from(u32::MAX)) as u32
    });
    let cap = model
        .max_memory_mib()
        .min(MAX_RECOMMENDED_MEMORY_MIB)
        .min(ram_cap)
        .max(16);
    let fitting = memory_steps(cap).into_iter().rev().find_map(|mib| {
        (1..=MAX_PASSES)
            .rev()
            .find(|&passes| model.predict(mib, passes) <= target)
            .map(|passes| (mib, passes))
    });
    let (mib, passes) = fitting.unwrap_or((16, 1));
    let setting = KdfSetting::Argon2id {
        memory_kib: mib * 1024,
        passes,
        lanes: model.lanes,
    };
    let measured = (model.scale == 1.0)
        .then(|| grid_median(figures, setting))
        .flatten();
    KdfChoice {
        target_seconds: target,
        setting,
        predicted_seconds: measured.unwrap_or_else(|| model.predict(mib, passes)),
        measured_in_grid: measured.is_some(),
    }
}

/// [`choose_argon2id`] for each target, from the grid alone.
pub fn argon2id_choices(
    figures: &[KdfFigure],
    logical_cpus: usize,
    memory_bytes: Option<u64>,
    targets: &[f64],
) -> Vec<KdfChoice> {
    let Some(model) = best_argon_model(figures, logical_cpus) else {
        return Vec::new();
    };
    targets
        .iter()
        .map(|&target| choose_argon2id(&model, figures, memory_bytes, target))
        .collect()
}

/// For each target: the largest scrypt log2 N (r = 8, p = 1, at most 1 GiB and a quarter of
/// RAM) whose time fits, measured or extrapolated (each step of N doubles the time).
pub fn scrypt_choices(
    figures: &[KdfFigure],
    memory_bytes: Option<u64>,
    targets: &[f64],
) -> Vec<KdfChoice> {
    let mut measured: Vec<(u8, f64)> = figures
        .iter()
        .filter(|figure| figure.role == "grid")
        .filter_map(|figure| match figure.setting {
            KdfSetting::Scrypt { log_n, r: 8, p: 1 } => Some((log_n, figure.seconds.median)),
            _ => None,
        })
        .collect();
    measured.sort_by_key(|&(log_n, _)| log_n);
    let Some(&(last_log_n, last_seconds)) = measured.last() else {
        return Vec::new();
    };
    let memory_cap = memory_bytes
        .map_or(u64::MAX, |bytes| bytes / 4)
        .min(u64::from(MAX_RECOMMENDED_MEMORY_MIB) << 20);
    let predict = |log_n: u8| {
        measured
            .iter()
            .find(|&&(l, _)| l == log_n)
            .map(|&(_, seconds)| (seconds, true))
            .unwrap_or_else(|| {
                let steps = i32::from(log_n) - i32::from(last_log_n);
                (last_seconds * 2f64.powi(steps), false)
            })
    };
    let first = measured[0].0;
    targets
        .iter()
        .map(|&target| {
            let log_n = (first..=22)
                .filter(|&log_n| (128u64 * 8) << log_n <= memory_cap)
                .filter(|&log_n| predict(log_n).0 <= target)
                .max()
                .unwrap_or(first);
            let (predicted_seconds, measured_in_grid) = predict(log_n);
            KdfChoice {
                target_seconds: target,
                setting: KdfSetting::Scrypt { log_n, r: 8, p: 1 },
                predicted_seconds,
                measured_in_grid,
            }
        })
        .collect()
}

fn grid_median(figures: &[KdfFigure], setting: KdfSetting) -> Option<f64> {
    figures
        .iter()
        .find(|figure| figure.role == "grid" && figure.setting == setting)
        .map(|figure| figure.seconds.median)
}

/// The final `check` figure measured for `target`, if any.
pub fn check_for(run: &Run, target: f64) -> Option<&KdfFigure> {
    run.kdf
        .iter()
        .rev()
        .find(|figure| figure.role == "check" && figure.target_seconds == Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn picks_the_faster_suite_at_the_chunk_size() {
        let run = sample_run();
        let choice = suite_choice(&run).unwrap();
        assert_eq!(choice.suite, "aes-256-gcm");
        assert_eq!(choice.size_bytes, CHUNK_BYTES);
        assert!(choice.rate > choice.other_rate);
    }

    #[test]
    fn picks_the_fastest_backend_and_says_what_auto_picks() {
        let mut run = sample_run();
        let choice = backend_choice(&run, "aes-256-gcm").unwrap();
        assert_eq!(choice.backend(), "ring");
        assert_eq!(choice.auto, "ring");
        assert_eq!(choice.rates.len(), 2);
        assert!(choice.rates[0].1 > choice.rates[1].1);
        run.method.backends = vec!["rustcrypto".into(), "ring".into()];
        let choice = backend_choice(&run, "aes-256-gcm").unwrap();
        assert_eq!(
            (choice.backend(), choice.auto.as_str()),
            ("ring", "rustcrypto")
        );
        assert!(choice.auto_rate().unwrap() < choice.rates[0].1);
    }

    #[test]
    fn picks_the_fewest_threads_near_the_best() {
        let mut run = sample_run();
        assert_eq!(thread_choice(&run, "aes-256-gcm").unwrap().threads, 2);
        for figure in &mut run.stream {
            if figure.threads == 2 {
                figure.bytes_per_second = figure.bytes_per_second.scaled(2e9 * 1.01 / 3.1e9);
            }
        }
        assert_eq!(thread_choice(&run, "aes-256-gcm").unwrap().threads, 1);
    }

    #[test]
    fn the_argon_model_recovers_a_linear_cost() {
        let run = sample_run();
        let model = ArgonModel::fit(&run.kdf, 1).unwrap();
        // The sample grid takes 0.5 ms per MiB-pass on one lane.
        assert!((model.predict(256, 3) - 0.384).abs() < 1e-9, "{model:?}");
        assert!((model.predict(128, 5) - 0.32).abs() < 1e-9, "between sizes");
        assert!(
            (model.predict(1024, 1) - 0.512).abs() < 1e-9,
            "beyond the largest"
        );
        assert_eq!(model.max_memory_mib(), 256);
    }

    #[test]
    fn lines_stay_physical_under_noise() {
        let (a, b) = fit_line(&[(1.0, 1.0), (2.0, 1.5), (3.0, 2.0)]);
        assert!((a - 0.5).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
        // Three passes measured faster than one: no negative slope, a line through the origin.
        let (a, b) = fit_line(&[(1.0, 1.2), (3.0, 1.0)]);
        assert_eq!(a, 0.0);
        assert!(b > 0.0);
        assert_eq!(fit_line(&[(2.0, 4.0)]), (0.0, 2.0));
    }

    #[test]
    fn per_mib_costs_interpolate_over_log_memory() {
        let model = ArgonModel {
            lanes: 1,
            sizes: vec![(16.0, 0.0, 1.0), (64.0, 0.0, 3.0)],
            scale: 2.0,
        };
        // 32 MiB is half way in log2 between 16 and 64: 2 per MiB-pass, doubled by the scale.
        assert!((model.predict(32, 1) - 128.0).abs() < 1e-9);
    }

    #[test]
    fn kdf_choices_fit_their_targets_and_prefer_memory() {
        let run = sample_run();
        let choices = argon2id_choices(&run.kdf, 2, Some(8 << 30), &[0.05, 0.25, 1.0, 1e-6]);
        assert_eq!(choices.len(), 4);
        for choice in &choices[..3] {
            assert!(
                choice.predicted_seconds <= choice.target_seconds * 1.05,
                "{choice:?}"
            );
        }
        let KdfSetting::Argon2id {
            memory_kib, lanes, ..
        } = choices[2].setting
        else {
            panic!("argon2id");
        };
        assert_eq!(
            memory_kib,
            256 * 1024,
            "capped at the grid's largest memory"
        );
        assert_eq!(lanes, 2, "two lanes are cheaper on two CPUs");
        assert_eq!(
            choices[3].setting,
            KdfSetting::Argon2id {
                memory_kib: 16 * 1024,
                passes: 1,
                lanes: 2
            },
            "an impossible target gets the smallest setting"
        );
        let one_cpu = argon2id_choices(&run.kdf, 1, None, &[1.0]);
        assert!(matches!(
            one_cpu[0].setting,
            KdfSetting::Argon2id { lanes: 1, .. }
        ));
    }

    #[test]
    fn scrypt_choices_extrapolate_by_doubling() {
        let run = sample_run();
        let choices = scrypt_choices(&run.kdf, Some(64 << 30), &[0.06, 1.0]);
        assert_eq!(
            choices[0].setting,
            KdfSetting::Scrypt {
                log_n: 15,
                r: 8,
                p: 1
            }
        );
        assert!(choices[0].measured_in_grid);
        // 16 → 0.104 s, 17 → 0.208, 18 → 0.416, 19 → 0.832, 20 → 1.664.
        assert_eq!(
            choices[1].setting,
            KdfSetting::Scrypt {
                log_n: 19,
                r: 8,
                p: 1
            }
        );
        assert!(!choices[1].measured_in_grid);
        let small = scrypt_choices(&run.kdf, Some(1 << 30), &[10.0]);
        assert_eq!(
            small[0].setting,
            KdfSetting::Scrypt {
                log_n: 18,
                r: 8,
                p: 1
            },
            "a quarter of 1 GiB"
        );
    }

    #[test]
    fn memory_steps_are_readable() {
        assert_eq!(memory_steps(100), vec![16, 24, 32, 48, 64, 96]);
        assert_eq!(memory_steps(16), vec![16]);
    }
}
