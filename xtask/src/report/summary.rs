//! The short table `cargo xtask bench` prints when it is done: the key figures of the run,
//! medians with their IQR.

use std::fmt::Write as _;

use super::{SUITES, suite_title};
use crate::recommend;
use crate::schema::{KdfFigure, Run};
use crate::units::{gbps_iqr, mib, seconds, seconds_iqr};

/// The short table printed at the end of `cargo xtask bench`.
pub fn summary(run: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ne2eb bench ({}) on {}: medians, IQR in parentheses ([min–max] for 5 samples or fewer, ‡ when the IQR is above 10 %)",
        run.profile, run.host.host_id
    );
    if !run.aead.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<28} {:>16} {:>16} {:>16}",
            "AEAD seal 16 KiB, GB/s",
            format!("native ({})", run.default_backend()),
            "software-only",
            "OpenSSL"
        );
        for suite in SUITES {
            let cell = |implementation: &str| {
                run.aead_figure(implementation, suite, "seal", recommend::CHUNK_BYTES)
                    .map_or_else(|| "–".to_owned(), |f| gbps_iqr(&f.bytes_per_second))
            };
            let _ = writeln!(
                out,
                "{:<28} {:>16} {:>16} {:>16}",
                suite_title(suite),
                cell("native"),
                cell("soft"),
                cell("openssl")
            );
            for backend in run.native_backends() {
                let cell = run
                    .backend_aead_figure(backend, suite, "seal", recommend::CHUNK_BYTES)
                    .map_or_else(|| "–".to_owned(), |f| gbps_iqr(&f.bytes_per_second));
                let _ = writeln!(out, "{:<28} {:>16}", format!("  {backend}"), cell);
            }
        }
    }
    if !run.stream.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<44} {:>8} {:>16} {:>8}",
            format!("stream {}", mib(run.method.stream_plaintext_bytes)),
            "threads",
            "GB/s",
            "speedup"
        );
        for figure in &run.stream {
            let _ = writeln!(
                out,
                "{:<44} {:>8} {:>16} {:>8}",
                format!(
                    "{} {} {} {}",
                    suite_title(&figure.suite),
                    figure.direction,
                    figure.backend_name(),
                    figure.mode_name()
                ),
                figure.threads,
                gbps_iqr(&figure.bytes_per_second),
                figure.speedup.map_or("–".into(), |s| format!("{s:.2}×"))
            );
        }
    }
    for ceiling in &run.memory_ceiling {
        let _ = writeln!(
            out,
            "{:<44} {:>8} {:>16}",
            "memory ceiling (read and write in place)",
            ceiling.threads,
            gbps_iqr(&ceiling.bytes_per_second)
        );
    }
    let checks: Vec<&KdfFigure> = run.kdf.iter().filter(|f| f.role == "check").collect();
    if !checks.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<12} {:<24} {:>22}",
            "KDF target", "Argon2id", "measured"
        );
        for figure in checks {
            let _ = writeln!(
                out,
                "{:<12} {:<24} {:>22}",
                figure.target_seconds.map_or("–".into(), seconds),
                figure.params,
                seconds_iqr(&figure.seconds)
            );
        }
    } else if !run.kdf.is_empty() {
        let _ = writeln!(out, "\nKDF settings measured: {}", run.kdf.len());
    }
    if let Some(comparison) = &run.argon2_reference {
        let _ = writeln!(
            out,
            "\nArgon2id m={} t={} against the reference C code, {} rounds:",
            mib(u64::from(comparison.memory_kib) << 10),
            comparison.passes,
            comparison.rounds
        );
        for line in crate::argon2_reference::ratios(comparison) {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(vault) = &run.vault {
        out.push_str(&super::vault::summary(vault));
    }
    if !run.notes.is_empty() {
        out.push('\n');
        for note in &run.notes {
            let _ = writeln!(out, "note: {note}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn summary_lists_the_key_figures() {
        let text = summary(&sample_run());
        assert!(text.contains("AES-256-GCM"));
        assert!(text.contains("software-only"));
        assert!(text.contains("1.55×"), "{text}");
        assert!(text.contains("m=262144,t=2,p=2"));
        assert!(
            text.contains("p=2: e2eb's time over C reference, AVX2 (AVX2)'s: 1.082"),
            "{text}"
        );
        assert!(
            text.contains(
                "memory ceiling (read and write in place)            2 11.50 [11.00–12.00]"
            ),
            "{text}"
        );
    }
}
