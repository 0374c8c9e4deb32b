//! Order statistics over repeated samples: the median and interquartile range every figure in a
//! report is given as.

use serde::{Deserialize, Serialize};

/// A figure measured over several samples: its median, quartiles and extremes, and the samples
/// themselves so that a report can be re-rendered (or the statistics re-derived) from the JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The median sample.
    pub median: f64,
    /// First quartile (25th percentile).
    pub q1: f64,
    /// Third quartile (75th percentile).
    pub q3: f64,
    /// `q3 - q1`.
    pub iqr: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// The samples, in the order they were taken.
    pub samples: Vec<f64>,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none or any is not a finite number.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|value| !value.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q1 = quantile(&sorted, 0.25);
        let q3 = quantile(&sorted, 0.75);
        Some(Summary {
            median: quantile(&sorted, 0.5),
            q1,
            q3,
            iqr: q3 - q1,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            samples: samples.to_vec(),
        })
    }

    /// The interquartile range relative to the median, e.g. `0.03` for a 3 % spread.
    pub fn relative_iqr(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            self.iqr / self.median
        }
    }

    #[cfg(test)]
    /// Every statistic scaled by a positive `factor` (a unit change, e.g. bytes/s to GB/s).
    pub fn scaled(&self, factor: f64) -> Summary {
        debug_assert!(factor > 0.0);
        Summary {
            median: self.median * factor,
            q1: self.q1 * factor,
            q3: self.q3 * factor,
            iqr: self.iqr * factor,
            min: self.min * factor,
            max: self.max * factor,
            samples: self.samples.iter().map(|value| value * factor).collect(),
        }
    }
}

/// The `p` quantile of ascending `sorted` by linear interpolation between closest ranks
/// (Hyndman and Fan's type 7, the default of R and NumPy), so that the median of an even count
/// is the mean of the middle two.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let position = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let weight = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap().median, 2.5);
        assert_eq!(Summary::of(&[7.0]).unwrap().median, 7.0);
    }

    #[test]
    fn quartiles_match_numpy_linear_interpolation() {
        // numpy.percentile([1..=8], [25, 75]) == [2.75, 6.25]
        let summary = Summary::of(&[8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
        assert_eq!((summary.q1, summary.q3), (2.75, 6.25));
        assert_eq!(summary.iqr, 3.5);
        assert_eq!((summary.min, summary.max), (1.0, 8.0));
        // numpy.percentile([1, 2, 3, 4, 100], [25, 50, 75]) == [2, 3, 4]: an outlier moves
        // neither the median nor the quartiles.
        let summary = Summary::of(&[100.0, 1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((summary.q1, summary.median, summary.q3), (2.0, 3.0, 4.0));
    }

    #[test]
    fn one_sample_has_no_spread_and_samples_keep_their_order() {
        let summary = Summary::of(&[5.0]).unwrap();
        assert_eq!((summary.q1, summary.q3, summary.iqr), (5.0, 5.0, 0.0));
        let summary = Summary::of(&[2.0, 1.0]).unwrap();
        assert_eq!(summary.samples, vec![2.0, 1.0]);
    }

    #[test]
    fn rejects_empty_and_non_finite_samples() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        assert!(Summary::of(&[f64::INFINITY]).is_none());
    }

    #[test]
    fn scaling_changes_the_unit_of_every_statistic() {
        let summary = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let halved = summary.scaled(0.5);
        assert_eq!((halved.q1, halved.median, halved.q3), (1.0, 1.5, 2.0));
        assert_eq!((halved.iqr, halved.min, halved.max), (1.0, 0.5, 2.5));
        assert_eq!(halved.samples, vec![0.5, 1.0, 1.5, 2.0, 2.5]);
        assert!((summary.relative_iqr() - 2.0 / 3.0).abs() < 1e-12);
    }
}
