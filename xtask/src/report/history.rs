//! What a host's runs say together: each figure's median over the runs' medians with the
//! run-to-run range, whether the newest run moved beyond the noise, and measurements only an
//! older run (e.g. the `full` profile) holds. One run's IQR says how steady the machine was for
//! a few seconds; the spread between runs is what a reader can expect when measuring again.

use std::fmt::Write as _;

use super::{SUITES, suite_title};
use crate::recommend;
use crate::schema::{KdfFigure, KdfSetting, Run, StreamFigure};
use crate::stats::Summary;
use crate::units::seconds;

/// Changes smaller than this are never called real: criterion's default noise threshold.
pub const NOISE_THRESHOLD: f64 = 0.02;

/// One figure over several runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpread {
    /// Runs that measured it.
    pub runs: usize,
    /// The median of the runs' medians.
    pub median: f64,
    /// The smallest and largest run median.
    pub min: f64,
    pub max: f64,
}

impl RunSpread {
    /// `None` without medians.
    pub fn of(medians: &[f64]) -> Option<RunSpread> {
        let summary = Summary::of(medians)?;
        Some(RunSpread {
            runs: medians.len(),
            median: summary.median,
            min: summary.min,
            max: summary.max,
        })
    }

    /// `(max - min) / median`.
    pub fn relative_range(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.max - self.min) / self.median
        }
    }

    /// Decimals worth printing for a value in `unit` (e.g. 1e9 for GB/s): the digit at the
    /// order of the run-to-run range is the last one that repeats across runs.
    pub fn decimals(&self, unit: f64) -> usize {
        let range = (self.max - self.min) / unit;
        if range <= 0.0 {
            return 3;
        }
        (-range.log10().floor()).clamp(0.0, 3.0) as usize
    }
}

/// Whether the newest run differs from the one before beyond the noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The difference is within what the runs vary by.
    WithinNoise,
    /// Higher than before, beyond the noise.
    Higher,
    /// Lower than before, beyond the noise.
    Lower,
}

/// The newest run's median against the previous run's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    /// `newest / previous - 1`.
    pub relative: f64,
    pub verdict: Verdict,
}

/// Compares two runs' measurements of one figure, as criterion's change detection does in
/// spirit with what few samples a run has: a change counts only when it exceeds
/// [`NOISE_THRESHOLD`], the two runs' samples do not overlap at all, and it exceeds half the
/// range the runs before the newest spread over (`earlier_medians`, which include `previous`).
pub fn change(previous: &Summary, newest: &Summary, earlier_medians: &[f64]) -> Change {
    let relative = if previous.median == 0.0 {
        0.0
    } else {
        newest.median / previous.median - 1.0
    };
    let earlier = RunSpread::of(earlier_medians).map_or(0.0, |s| s.relative_range() / 2.0);
    let disjoint = newest.min > previous.max || newest.max < previous.min;
    let verdict = if relative.abs() > NOISE_THRESHOLD.max(earlier) && disjoint {
        if relative > 0.0 {
            Verdict::Higher
        } else {
            Verdict::Lower
        }
    } else {
        Verdict::WithinNoise
    };
    Change { relative, verdict }
}

/// The KDF figure of `setting` in `run`, preferring the grid's, then the last check's.
pub fn kdf_figure(run: &Run, setting: KdfSetting) -> Option<&KdfFigure> {
    run.kdf
        .iter()
        .find(|figure| figure.role == "grid" && figure.setting == setting)
        .or_else(|| {
            run.kdf
                .iter()
                .rev()
                .find(|figure| figure.setting == setting)
        })
}

/// The time of `setting` over every run of a host that measured it.
pub fn setting_seconds(runs: &[Run], setting: KdfSetting) -> Option<RunSpread> {
    let medians: Vec<f64> = runs
        .iter()
        .filter_map(|run| kdf_figure(run, setting))
        .map(|figure| figure.seconds.median)
        .collect();
    RunSpread::of(&medians)
}

/// A KDF grid figure the latest run lacks, with the run that measured it.
#[derive(Clone, Debug)]
pub struct BorrowedFigure<'a> {
    pub figure: &'a KdfFigure,
    /// When the run that measured it started, and its profile.
    pub timestamp: &'a str,
    pub profile: &'a str,
}

/// The grid settings of `kdf` (`argon2id` or `scrypt`) that only older runs measured, each
/// from the newest run that has it: e.g. scrypt at 256 MiB-1 GiB, which only the `full`
/// profile reaches.
pub fn older_only_grid<'a>(runs: &'a [Run], kdf: &str) -> Vec<BorrowedFigure<'a>> {
    let Some(latest) = runs.last() else {
        return Vec::new();
    };
    let mut found: Vec<BorrowedFigure<'a>> = Vec::new();
    for run in runs[..runs.len() - 1].iter().rev() {
        for figure in run.kdf.iter().filter(|f| f.role == "grid") {
            if figure.setting.kdf_name() != kdf
                || latest
                    .kdf
                    .iter()
                    .any(|f| f.role == "grid" && f.setting == figure.setting)
                || found.iter().any(|b| b.figure.setting == figure.setting)
            {
                continue;
            }
            found.push(BorrowedFigure {
                figure,
                timestamp: &run.host.timestamp,
                profile: &run.profile,
            });
        }
    }
    found
}

/// The latest run's grid figures together with [`older_only_grid`]'s, for models that should
/// see every size measured on the host.
pub fn merged_grid(runs: &[Run], kdf: &str) -> Vec<KdfFigure> {
    let Some(latest) = runs.last() else {
        return Vec::new();
    };
    let mut figures: Vec<KdfFigure> = latest
        .kdf
        .iter()
        .filter(|f| f.role == "grid" && f.setting.kdf_name() == kdf)
        .cloned()
        .collect();
    figures.extend(
        older_only_grid(runs, kdf)
            .into_iter()
            .map(|b| b.figure.clone()),
    );
    figures
}

/// Finds one figure in a run.
type FindFigure<'a> = Box<dyn Fn(&Run) -> Option<&Summary> + 'a>;

/// One figure across a host's runs: what to call it, how to find it in a run, and its unit.
struct Tracked<'a> {
    label: String,
    find: FindFigure<'a>,
    /// Throughput in GB/s when true, else seconds.
    rate: bool,
}

/// The figures followed across runs: AEAD at the chunk size, the recommended path's backup
/// encryption per mode and thread count, the memory ceiling, and the KDF grid of the lane count
/// the recommendations use.
fn tracked(latest: &Run) -> Vec<Tracked<'_>> {
    let mut out: Vec<Tracked<'_>> = Vec::new();
    let chunk = recommend::CHUNK_BYTES;
    let default_backend = latest.default_backend().to_owned();
    for suite in SUITES {
        for backend in latest.native_backends() {
            let directions: &[&str] = if backend == default_backend {
                &["seal", "open"]
            } else {
                &["seal"]
            };
            for &direction in directions {
                let backend = backend.to_owned();
                out.push(Tracked {
                    label: format!("{} {direction} 16 KiB, {backend}, GB/s", suite_title(suite)),
                    find: Box::new(move |run: &Run| {
                        run.backend_aead_figure(&backend, suite, direction, chunk)
                            .map(|f| &f.bytes_per_second)
                    }),
                    rate: true,
                });
            }
        }
        for (implementation, name) in [("soft", "software-only"), ("openssl", "OpenSSL")] {
            if latest
                .aead_figure(implementation, suite, "seal", chunk)
                .is_some()
            {
                out.push(Tracked {
                    label: format!("{} seal 16 KiB, {name}, GB/s", suite_title(suite)),
                    find: Box::new(move |run: &Run| {
                        run.aead_figure(implementation, suite, "seal", chunk)
                            .map(|f| &f.bytes_per_second)
                    }),
                    rate: true,
                });
            }
        }
    }
    let suite =
        recommend::suite_choice(latest).map_or_else(|| "aes-256-gcm".to_owned(), |c| c.suite);
    let mut streams: Vec<&StreamFigure> = latest
        .stream
        .iter()
        .filter(|f| {
            f.suite == suite && f.direction == "encrypt" && f.backend_name() == default_backend
        })
        .collect();
    streams.sort_by(|a, b| (a.mode_name(), a.threads).cmp(&(b.mode_name(), b.threads)));
    for figure in streams {
        let (suite, backend, mode, threads) = (
            figure.suite.clone(),
            figure.backend_name().to_owned(),
            figure.mode_name().to_owned(),
            figure.threads,
        );
        out.push(Tracked {
            label: format!(
                "{} encrypt, {backend} {mode}, {threads} thread{}, GB/s",
                suite_title(&suite),
                if threads == 1 { "" } else { "s" }
            ),
            find: Box::new(move |run: &Run| {
                run.stream
                    .iter()
                    .find(|f| {
                        f.suite == suite
                            && f.direction == "encrypt"
                            && f.backend_name() == backend
                            && f.mode_name() == mode
                            && f.threads == threads
                    })
                    .map(|f| &f.bytes_per_second)
            }),
            rate: true,
        });
    }
    for ceiling in &latest.memory_ceiling {
        let threads = ceiling.threads;
        out.push(Tracked {
            label: format!(
                "memory ceiling, {threads} thread{}, GB/s",
                if threads == 1 { "" } else { "s" }
            ),
            find: Box::new(move |run: &Run| {
                run.memory_ceiling
                    .iter()
                    .find(|f| f.threads == threads)
                    .map(|f| &f.bytes_per_second)
            }),
            rate: true,
        });
    }
    let lanes =
        recommend::best_argon_model(&latest.kdf, latest.host.logical_cpus).map(|model| model.lanes);
    for figure in latest.kdf.iter().filter(|f| f.role == "grid") {
        let keep = match figure.setting {
            KdfSetting::Argon2id { lanes: l, .. } => Some(l) == lanes,
            KdfSetting::Scrypt { .. } => true,
        };
        if !keep {
            continue;
        }
        let setting = figure.setting;
        out.push(Tracked {
            label: format!("{} `{}`, seconds", setting.kdf_name(), figure.params),
            find: Box::new(move |run: &Run| {
                run.kdf
                    .iter()
                    .find(|f| f.role == "grid" && f.setting == setting)
                    .map(|f| &f.seconds)
            }),
            rate: false,
        });
    }
    out
}

/// The run-to-run section of a host's page; empty with a single run.
pub fn section(runs: &[Run]) -> String {
    let Some(latest) = runs.last() else {
        return String::new();
    };
    if runs.len() < 2 {
        return String::new();
    }
    let mut out = format!(
        "\n## Run to run\n\nThe same figures over this host's {} runs (every profile): the \
         median of the runs' medians, the range the runs' medians span (the last digit shown \
         is the first that repeats across runs), and the newest run against the previous one \
         that measured the figure. *Within noise* unless the change exceeds {:.0} % (criterion's \
         default noise threshold) and half the range of the earlier runs, and the two runs' \
         samples do not overlap. A run's own IQR (in the sections below) says how steady the \
         machine was for a few seconds; this range is what measuring again may give.\n\n\
         | figure | runs | median of run medians | run-to-run range | newest vs previous | verdict |\n\
         |---|---|---|---|---|---|\n",
        runs.len(),
        NOISE_THRESHOLD * 100.0
    );
    for figure in tracked(latest) {
        let measured: Vec<&Summary> = runs.iter().filter_map(|run| (figure.find)(run)).collect();
        let medians: Vec<f64> = measured.iter().map(|s| s.median).collect();
        let Some(spread) = RunSpread::of(&medians) else {
            continue;
        };
        // The median to the digit that repeats across runs, the range one digit finer.
        let format = |value: f64, finer: usize| {
            if figure.rate {
                format!("{:.*}", (spread.decimals(1e9) + finer).min(3), value / 1e9)
            } else {
                seconds(value)
            }
        };
        let newest = (figure.find)(latest);
        let comparison = match (newest, measured.len()) {
            (Some(newest), n) if n >= 2 => {
                let previous = measured[n - 2];
                let result = change(previous, newest, &medians[..n - 1]);
                // For times, lower is better; the verdict names the direction of the figure.
                let verdict = match (result.verdict, figure.rate) {
                    (Verdict::WithinNoise, _) => "within noise",
                    (Verdict::Higher, true) | (Verdict::Lower, false) => "faster, beyond noise",
                    (Verdict::Lower, true) | (Verdict::Higher, false) => "slower, beyond noise",
                };
                (format!("{:+.1} %", result.relative * 100.0), verdict)
            }
            _ => ("–".to_owned(), "–"),
        };
        let (median, range) = if spread.runs == 1 {
            let only = if figure.rate {
                crate::units::gbps(spread.median)
            } else {
                seconds(spread.median)
            };
            (only, "one run".to_owned())
        } else {
            (
                format(spread.median, 0),
                format!(
                    "{}–{} ({:.0} %)",
                    format(spread.min, 1),
                    format(spread.max, 1),
                    spread.relative_range() * 100.0
                ),
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {median} | {range} | {} | {} |",
            figure.label, spread.runs, comparison.0, comparison.1
        );
    }
    out.push_str(&picks_across_runs(runs));
    out
}

/// The last check `run` made for a `target` wait: the setting it recommends.
fn final_check(run: &Run, target: f64) -> Option<&KdfFigure> {
    run.kdf
        .iter()
        .rfind(|f| f.role == "check" && f.target_seconds == Some(target))
}

/// How far the recommendation moves from run to run: for each target wait, the settings the
/// runs picked (each run's final check for that wait) and the spread of their measured times.
fn picks_across_runs(runs: &[Run]) -> String {
    let mut targets: Vec<f64> = runs
        .iter()
        .flat_map(|run| &run.kdf)
        .filter(|f| f.role == "check")
        .filter_map(|f| f.target_seconds)
        .collect();
    targets.sort_by(f64::total_cmp);
    targets.dedup();
    if targets.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nThe recommended Argon2id setting for each wait, run by run: the settings the runs \
         picked (with how many runs picked each, newest run's first) and the range of their \
         measured times. Expect a new run's pick to move within this spread.\n\n\
         | wait | runs | settings picked | measured, run to run |\n|---|---|---|---|\n",
    );
    for target in targets {
        let picks: Vec<&KdfFigure> = runs
            .iter()
            .rev()
            .filter_map(|run| final_check(run, target))
            .collect();
        let mut settings: Vec<(&str, usize)> = Vec::new();
        for pick in &picks {
            match settings
                .iter_mut()
                .find(|(params, _)| *params == pick.params)
            {
                Some((_, count)) => *count += 1,
                None => settings.push((&pick.params, 1)),
            }
        }
        let settings = settings
            .iter()
            .map(|(params, count)| format!("`{params}` ({count})"))
            .collect::<Vec<_>>()
            .join(", ");
        let medians: Vec<f64> = picks.iter().map(|pick| pick.seconds.median).collect();
        let measured = match RunSpread::of(&medians) {
            Some(spread) if spread.runs > 1 => format!(
                "{}–{} ({:.0} %)",
                seconds(spread.min),
                seconds(spread.max),
                spread.relative_range() * 100.0
            ),
            Some(spread) => format!("{} (one run)", seconds(spread.median)),
            None => "–".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {settings} | {measured} |",
            seconds(target),
            picks.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    fn summary(values: &[f64]) -> Summary {
        Summary::of(values).unwrap()
    }

    #[test]
    fn run_spread_is_the_median_of_medians_with_its_range() {
        let spread = RunSpread::of(&[13.1e9, 15.8e9, 14.0e9, 14.2e9]).unwrap();
        assert_eq!(spread.runs, 4);
        assert!((spread.median - 14.1e9).abs() < 1.0);
        assert_eq!((spread.min, spread.max), (13.1e9, 15.8e9));
        // A 2.7 GB/s range leaves no decimal that repeats across runs.
        assert_eq!(spread.decimals(1e9), 0);
        assert_eq!(RunSpread::of(&[1.02, 1.03]).unwrap().decimals(1.0), 2);
    }

    #[test]
    fn a_change_inside_the_run_to_run_range_is_noise() {
        let previous = summary(&[14.0, 14.1, 14.2]);
        let newest = summary(&[15.6, 15.8, 15.9]);
        // Disjoint samples and +12 %, but earlier runs ranged 13.1-15.7 (±9 %): still beyond.
        assert_eq!(
            change(&previous, &newest, &[13.1, 15.7, 14.1]).verdict,
            Verdict::Higher
        );
        // Earlier runs that ranged 12-16 (±14 %) make +12 % noise.
        assert_eq!(
            change(&previous, &newest, &[12.0, 16.0, 14.1]).verdict,
            Verdict::WithinNoise
        );
        // Overlapping samples are noise whatever the medians say.
        let overlapping = summary(&[14.1, 15.8, 15.9]);
        assert_eq!(
            change(&previous, &overlapping, &[14.1]).verdict,
            Verdict::WithinNoise
        );
        let slower = summary(&[10.0, 10.1]);
        let result = change(&previous, &slower, &[14.1]);
        assert_eq!(result.verdict, Verdict::Lower);
        assert!((result.relative + 0.287).abs() < 0.001);
    }

    #[test]
    fn run_to_run_section_gives_the_spread_and_the_verdict() {
        let older = sample_run();
        let mut newer = sample_run();
        newer.host.timestamp = "2026-12-01T00:00:00Z".into();
        for figure in &mut newer.aead {
            figure.bytes_per_second = Summary::of(&[figure.bytes_per_second.median * 1.5]).unwrap();
        }
        assert_eq!(section(std::slice::from_ref(&older)), "");
        let text = section(&[older, newer]);
        for expected in [
            "## Run to run",
            "| AES-256-GCM seal 16 KiB, ring, GB/s | 2 | 6 | 4.8–7.2 (40 %) | +50.0 % | faster, beyond noise |",
            "| AES-256-GCM encrypt, ring in-memory, 2 threads, GB/s | 2 | 3.100 | 3.100–3.100 (0 %) | +0.0 % | within noise |",
            "| argon2id `m=262144,t=3,p=2`, seconds |",
            "| scrypt `ln=16,r=8,p=1`, seconds | 2 |",
            "| wait | runs | settings picked | measured, run to run |",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn picks_are_listed_per_wait_with_their_spread_over_runs() {
        let older = sample_run();
        let mut newer = sample_run();
        newer.host.timestamp = "2026-12-01T00:00:00Z".into();
        let check = |run: &Run| {
            run.kdf
                .iter()
                .find(|f| f.role == "check")
                .cloned()
                .expect("the sample run has a check")
        };
        let target = check(&older).target_seconds.unwrap();
        let mut moved = check(&newer);
        moved.params = "m=1,t=1,p=1".into();
        moved.seconds = Summary::of(&[check(&older).seconds.median * 1.5]).unwrap();
        newer.kdf.push(moved);
        let text = picks_across_runs(&[older.clone(), newer]);
        let row = text
            .lines()
            .find(|line| line.starts_with(&format!("| {} | 2 |", seconds(target))))
            .unwrap_or_else(|| panic!("no row for the wait in\n{text}"));
        let original = format!("`{}` (1)", check(&older).params);
        assert!(row.contains("`m=1,t=1,p=1` (1)"), "{row}");
        assert!(row.contains(&original), "{row}");
        assert!(row.contains("(40 %)"), "{row}");
        let alone = picks_across_runs(std::slice::from_ref(&older));
        assert!(alone.contains("(one run)"), "{alone}");
    }

    #[test]
    fn older_runs_fill_in_what_the_latest_lacks() {
        let mut full = sample_run();
        full.host.timestamp = "2026-11-29T00:00:00Z".into();
        full.profile = "full".into();
        let mut big = full
            .kdf
            .iter()
            .find(|f| f.setting.kdf_name() == "scrypt" && f.role == "grid")
            .unwrap()
            .clone();
        big.setting = KdfSetting::Scrypt {
            log_n: 20,
            r: 8,
            p: 1,
        };
        big.params = "ln=20,r=8,p=1".into();
        full.kdf.push(big);
        let latest = sample_run();
        let runs = [full, latest];
        let borrowed = older_only_grid(&runs, "scrypt");
        assert_eq!(borrowed.len(), 1);
        assert_eq!(borrowed[0].figure.params, "ln=20,r=8,p=1");
        assert_eq!(borrowed[0].profile, "full");
        let merged = merged_grid(&runs, "scrypt");
        assert!(merged.iter().any(|f| f.params == "ln=20,r=8,p=1"));
        assert!(older_only_grid(&runs, "argon2id").is_empty());
    }
}
