//! What a host's runs say together: each figure's median over the runs' medians with the
//! run-to-run range, whether the newest run moved beyond the noise, and measurements only an
//! older run (e.g. the `full` profile) holds. One run's IQR says how steady the machine was for
//! a few seconds; the spread between runs is what a reader can expect when measuring again.

use crate::schema::{KdfFigure, KdfSetting, Run};
use crate::stats::Summary;

/// A figure whose IQR exceeds this share of its median is flagged as noisy where it is shown.
pub const NOISY_RELATIVE_IQR: f64 = 0.10;

/// Changes smaller than this are never called real: criterion's default noise threshold.
pub const NOISE_THRESHOLD: f64 = 0.02;

/// The mark a noisy figure carries in the tables, explained below each of them.
pub const NOISY_MARK: &str = "‡";

/// `"‡"` for a figure whose IQR is above [`NOISY_RELATIVE_IQR`] of its median, else empty.
pub fn noisy_mark(summary: &Summary) -> &'static str {
    if summary.relative_iqr() > NOISY_RELATIVE_IQR {
        NOISY_MARK
    } else {
        ""
    }
}

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
