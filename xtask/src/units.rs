//! How sizes, rates and durations are written, in the reports and in `bench`'s progress lines.

use crate::stats::Summary;

/// GB/s (10^9 bytes per second), two decimals, or three below 0.1.
pub fn gbps(bytes_per_second: f64) -> String {
    let value = bytes_per_second / 1e9;
    if value < 0.1 {
        format!("{value:.3}")
    } else {
        format!("{value:.2}")
    }
}

/// Figures with at most this many samples show their extremes instead of an IQR, which says
/// little about three to five samples.
pub const FEW_SAMPLES: usize = 5;

/// The mark of a noisy figure: an IQR above 10 % of the median.
pub const NOISY_MARK: &str = "‡";

/// A figure whose IQR exceeds this share of its median is marked noisy wherever it is shown.
pub const NOISY_RELATIVE_IQR: f64 = 0.10;

/// [`NOISY_MARK`] for a noisy figure, else nothing.
pub fn noisy_mark(summary: &Summary) -> &'static str {
    if summary.relative_iqr() > NOISY_RELATIVE_IQR {
        NOISY_MARK
    } else {
        ""
    }
}

/// `median (IQR)` in GB/s, or `median [min–max]` with [`FEW_SAMPLES`] samples or fewer, marked
/// when noisy.
pub fn gbps_iqr(summary: &Summary) -> String {
    if summary.samples.len() <= FEW_SAMPLES {
        format!(
            "{} [{}–{}]{}",
            gbps(summary.median),
            gbps(summary.min),
            gbps(summary.max),
            noisy_mark(summary)
        )
    } else {
        format!(
            "{} ({}){}",
            gbps(summary.median),
            gbps(summary.iqr),
            noisy_mark(summary)
        )
    }
}

/// A time in milliseconds below a second, else in seconds with two decimals.
pub fn seconds(value: f64) -> String {
    if value < 1.0 {
        format!("{:.0} ms", value * 1000.0)
    } else {
        format!("{value:.2} s")
    }
}

/// `median (IQR)` of a time, the IQR one decimal finer than the median, or `median
/// [min–max]` with [`FEW_SAMPLES`] samples or fewer; marked when noisy.
pub fn seconds_iqr(summary: &Summary) -> String {
    if summary.samples.len() <= FEW_SAMPLES {
        return format!(
            "{} [{}–{}]{}",
            seconds(summary.median),
            seconds(summary.min),
            seconds(summary.max),
            noisy_mark(summary)
        );
    }
    let iqr = if summary.iqr < 1.0 {
        format!("{:.1} ms", summary.iqr * 1000.0)
    } else {
        format!("{:.2} s", summary.iqr)
    };
    format!("{} ({iqr}){}", seconds(summary.median), noisy_mark(summary))
}

/// A byte count rounded down to whole MiB, in e2eb's units (`256 MiB`, `1 GiB`).
pub fn mib(bytes: u64) -> String {
    e2eb_measure::units::format_bytes(u128::from(bytes >> 20 << 20)).replace("bytes", "B")
}

/// A message size in its largest whole binary unit, e.g. `16 KiB`.
pub fn size_label(bytes: usize) -> String {
    match bytes {
        bytes if bytes >= 1 << 20 && bytes % (1 << 20) == 0 => format!("{} MiB", bytes >> 20),
        bytes if bytes >= 1 << 10 && bytes % (1 << 10) == 0 => format!("{} KiB", bytes >> 10),
        bytes => format!("{bytes} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_samples_show_their_extremes_and_noise_is_marked() {
        let steady = Summary::of(&[1.0e9, 1.01e9, 0.99e9]).unwrap();
        assert_eq!(gbps_iqr(&steady), "1.00 [0.99–1.01]");
        let noisy = Summary::of(&[0.8, 1.955, 0.81]).unwrap();
        assert_eq!(seconds_iqr(&noisy), "810 ms [800 ms–1.96 s]‡");
        let many: Vec<f64> = (0..7).map(|i| 0.2 + f64::from(i) * 0.001).collect();
        assert_eq!(seconds_iqr(&Summary::of(&many).unwrap()), "203 ms (3.0 ms)");
    }

    #[test]
    fn labels_sizes() {
        assert_eq!(size_label(64), "64 B");
        assert_eq!(size_label(16384), "16 KiB");
        assert_eq!(size_label(1 << 20), "1 MiB");
        assert_eq!(size_label(1500), "1500 B");
    }
}
