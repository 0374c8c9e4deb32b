//! Timing one KDF derivation on this machine, and reading this process's memory.
//!
//! [`derive()`] runs the e2eb library's own derivation (`e2eb::KdfParams::derive`, as a key slot
//! does), so that what is tuned is what a backup will cost, including the library's own work
//! around the KDF crates (it zeroes Argon2id's memory on every CPU, which the `argon2` crate
//! alone does on one thread).

use std::time::Instant;

use e2eb::{KdfParams, Password};

/// The password every timed derivation uses; the KDFs' cost does not depend on it.
const PASSWORD: &str = "correct horse battery staple";
/// A fixed salt of e2eb's length (`e2eb::kdf::DEFAULT_SALT_LEN`).
const SALT: [u8; 32] = [0x5a; 32];

/// Runs one derivation with `params`.
pub fn derive(params: &KdfParams) -> Result<(), String> {
    let password = Password::new(PASSWORD.into()).map_err(|error| error.to_string())?;
    let key = params
        .derive(&password, &SALT)
        .map_err(|error| format!("{params}: {error}"))?;
    std::hint::black_box(key);
    Ok(())
}

/// Seconds of one derivation with `params`.
pub fn time_once(params: &KdfParams) -> Result<f64, String> {
    let start = Instant::now();
    derive(params)?;
    Ok(start.elapsed().as_secs_f64())
}

/// `samples` timed derivations, after `warm_up` untimed ones.
pub fn time_samples(
    params: &KdfParams,
    warm_up: usize,
    samples: usize,
) -> Result<Vec<f64>, String> {
    for _ in 0..warm_up {
        derive(params)?;
    }
    (0..samples.max(1)).map(|_| time_once(params)).collect()
}

/// The cost function `e2eb tune` searches with: one derivation, and when that lands near the
/// target (within 0.7–1.4×, where the window's edges are decided) more, for the median of 3 to
/// 7 (as many as fit in about a second), so that a noisy run on a shared machine does not
/// steer the search.
pub fn search_timer(target_seconds: f64) -> impl FnMut(&KdfParams) -> Result<f64, String> {
    let near_target = near_target_samples(target_seconds);
    move |params| {
        let first = time_once(params)?;
        let ratio = first / target_seconds;
        if !(0.7..=1.4).contains(&ratio) {
            return Ok(first);
        }
        let mut samples = vec![first];
        for _ in 1..near_target {
            samples.push(time_once(params)?);
        }
        Ok(median(&mut samples))
    }
}

/// Odd, so that the median is a sample: 3 for targets of half a second and more, up to 7 for
/// short ones.
fn near_target_samples(target_seconds: f64) -> usize {
    let fitting = (1.0 / target_seconds).floor();
    let count = if fitting.is_finite() {
        fitting.clamp(3.0, 7.0) as usize
    } else {
        7
    };
    count | 1
}

/// The median (the mean of the middle two for an even count); NaN for no values.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// Resets this process's resident-memory high-water mark (VmHWM) to its current resident
/// size, so that a later [`peak_rss_bytes`] reports the peak of what ran in between. Linux
/// only (writing `5` to /proc/self/clear_refs); `false` where that is refused.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's resident-memory high-water mark (VmHWM), where the OS tells it.
pub fn peak_rss_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// This process's resident memory now (VmRSS).
pub fn current_rss_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

/// Memory the OS could give a new allocation without swapping (MemAvailable).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&meminfo, "MemAvailable:").map(|kib| kib * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, field)
}

/// A `kB` field of /proc/self/status or /proc/meminfo.
fn kib_field(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use e2eb::{Argon2idParams, ScryptParams};

    #[test]
    fn more_samples_for_short_targets() {
        assert_eq!(near_target_samples(2.0), 3);
        assert_eq!(near_target_samples(0.5), 3);
        assert_eq!(near_target_samples(0.2), 5);
        assert_eq!(near_target_samples(0.01), 7);
        assert_eq!(near_target_samples(0.0), 7);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn reads_kib_fields() {
        let text = "MemTotal:       24684084 kB\nMemAvailable:   22000000 kB\n";
        assert_eq!(kib_field(text, "MemAvailable:"), Some(22_000_000));
        assert_eq!(kib_field(text, "VmHWM:"), None);
    }

    #[test]
    fn derives_small_settings_and_refuses_invalid_ones() {
        let argon = KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 1));
        assert!(time_once(&argon).unwrap() > 0.0);
        let scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(4, 8, 1));
        assert_eq!(time_samples(&scrypt, 1, 2).unwrap().len(), 2);
        let invalid = KdfParams::Argon2id(Argon2idParams::unvalidated(64, 0, 1));
        assert!(derive(&invalid).is_err());
    }
}
