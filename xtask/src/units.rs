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

/// `median (IQR)` in GB/s.
pub fn gbps_iqr(summary: &Summary) -> String {
    format!("{} ({})", gbps(summary.median), gbps(summary.iqr))
}

/// A time in milliseconds below a second, else in seconds with two decimals.
pub fn seconds(value: f64) -> String {
    if value < 1.0 {
        format!("{:.0} ms", value * 1000.0)
    } else {
        format!("{value:.2} s")
    }
}

/// `median (IQR)` of a time, the IQR one decimal finer than the median.
pub fn seconds_iqr(summary: &Summary) -> String {
    let iqr = if summary.iqr < 1.0 {
        format!("{:.1} ms", summary.iqr * 1000.0)
    } else {
        format!("{:.2} s", summary.iqr)
    };
    format!("{} ({iqr})", seconds(summary.median))
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
    fn labels_sizes() {
        assert_eq!(size_label(64), "64 B");
        assert_eq!(size_label(16384), "16 KiB");
        assert_eq!(size_label(1 << 20), "1 MiB");
        assert_eq!(size_label(1500), "1500 B");
    }
}
