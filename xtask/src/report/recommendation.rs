//! The recommendation block of a host's report: the suite, AEAD backend, thread count and
//! password KDF settings that suit the host, with the figures behind each choice.

use std::fmt::Write as _;

use super::history;
use super::{mib_or_kib, suite_title};
use crate::recommend::{self, KdfChoice, TARGETS};
use crate::schema::Run;
use crate::units::{gbps, mib, seconds, seconds_iqr};

/// The recommendation block of a run, in Markdown; `runs` (the host's, oldest first, `run`
/// last) lend the scrypt grid sizes only an older run measured.
pub fn section(run: &Run, runs: &[Run]) -> String {
    let mut out = String::new();
    let suite = recommend::suite_choice(run);
    match &suite {
        Some(choice) => {
            let _ = write!(
                out,
                "- **Suite: {}.** It seals {} chunks at {} GB/s here, against {} GB/s for {}.",
                suite_title(&choice.suite),
                mib_or_kib(choice.size_bytes),
                gbps(choice.rate),
                gbps(choice.other_rate),
                suite_title(&choice.other_suite)
            );
            let soft = |name: &str| {
                run.aead_figure("soft", name, "seal", choice.size_bytes)
                    .map(|f| f.bytes_per_second.median)
            };
            if let (Some(aes), Some(chacha)) = (soft("aes-256-gcm"), soft("chacha20-poly1305")) {
                let _ = write!(
                    out,
                    " On a CPU without AES and carry-less multiply instructions (the software-only \
                     build) AES-256-GCM drops to {} GB/s and ChaCha20-Poly1305 to {} GB/s, so \
                     apps for such devices should pick {}.",
                    gbps(aes),
                    gbps(chacha),
                    if chacha > aes {
                        "ChaCha20-Poly1305"
                    } else {
                        "AES-256-GCM"
                    }
                );
            }
            out.push('\n');
        }
        None => out.push_str("- **Suite:** no AEAD figures in this run.\n"),
    }
    let suite_name = suite.as_ref().map_or("aes-256-gcm", |c| c.suite.as_str());
    if let Some(choice) = recommend::backend_choice(run, suite_name) {
        out.push_str(&backend_recommendation(&choice));
    }
    match recommend::thread_choice(run, suite_name) {
        Some(choice) => {
            let _ = write!(
                out,
                "- **Threads: {}.** Encrypting a backup ({}) with {} and {} reaches {} GB/s",
                choice.threads,
                recommend::thread_mode(run),
                suite_title(suite_name),
                run.default_backend(),
                gbps(choice.rate)
            );
            if let Some(speedup) = choice.speedup.filter(|_| choice.threads > 1) {
                let _ = write!(out, " ({speedup:.2}× one thread)");
            }
            if choice.best_threads != choice.threads {
                let _ = write!(
                    out,
                    "; {} threads reach {} GB/s, less than 5 % more",
                    choice.best_threads,
                    gbps(choice.best_rate)
                );
            }
            out.push_str(". Fewer threads leave CPUs to the app while a backup runs.\n");
        }
        None => out.push_str("- **Threads:** no stream figures in this run.\n"),
    }
    let argon = recommend::argon2id_choices(
        &run.kdf,
        run.host.logical_cpus,
        run.host.memory_bytes,
        &TARGETS,
    );
    let older_scrypt = history::older_only_grid(runs, "scrypt");
    let mut scrypt_grid: Vec<_> = run.kdf.clone();
    scrypt_grid.extend(older_scrypt.iter().map(|b| b.figure.clone()));
    let scrypt = recommend::scrypt_choices(&scrypt_grid, run.host.memory_bytes, &TARGETS);
    if argon.is_empty() && scrypt.is_empty() {
        out.push_str("- **Password KDF:** no KDF figures in this run.\n");
        return out;
    }
    out.push_str(
        "- **Password KDF:** Argon2id, with the setting for the wait you accept when a backup is \
         made or restored on this host (a slower phone waits longer: scale by the ratio of the \
         two hosts' times):\n\n",
    );
    out.push_str("| wait | Argon2id (`--kdf-params`) | predicted | measured median (IQR or [min–max]) | peak memory | scrypt alternative |\n|---|---|---|---|---|---|\n");
    for (index, &target) in TARGETS.iter().enumerate() {
        // A measured check is the recommendation; the grid's model only stands in without one.
        let (setting, predicted, measured, peak) =
            match (recommend::check_for(run, target), argon.get(index)) {
                (Some(check), _) => (
                    format!("`{}`", check.params),
                    check
                        .predicted_seconds
                        .map_or_else(|| "–".to_owned(), seconds),
                    format!(
                        "{}{}",
                        seconds_iqr(&check.seconds),
                        window_warning(check, target)
                    ),
                    check
                        .peak_over_baseline()
                        .map_or_else(|| "–".to_owned(), mib),
                ),
                (None, Some(choice)) => (
                    format!("`{}`", choice.setting.params()),
                    predicted_text(choice),
                    "not measured".to_owned(),
                    "–".to_owned(),
                ),
                (None, None) => ("–".into(), "–".into(), "–".into(), "–".into()),
            };
        let scrypt_cell = scrypt.get(index).map_or_else(
            || "–".to_owned(),
            |choice| {
                let borrowed = older_scrypt
                    .iter()
                    .find(|b| b.figure.setting == choice.setting);
                match borrowed {
                    Some(b) => format!(
                        "`{}`, {} measured in the `{}` run of {}",
                        choice.setting.params(),
                        seconds(choice.predicted_seconds),
                        b.profile,
                        b.timestamp
                    ),
                    None => format!("`{}`, {}", choice.setting.params(), predicted_text(choice)),
                }
            },
        );
        let _ = writeln!(
            out,
            "| {} | {setting} | {predicted} | {measured} | {peak} | {scrypt_cell} |",
            seconds(target)
        );
    }
    out.push_str(
        "\nArgon2id settings come from a model of the cost grid for the best lane count on this \
         host (at each measured memory, time = a + b·t; per-MiB costs interpolated between \
         memories): the most memory, up to 1 GiB and the grid's largest, for which some pass \
         count fits, then the most passes that fit. The benchmark (`cargo xtask bench` or \
         `e2eb bench`) then measures the chosen setting; when that misses the target by more than −25 %/+10 %, it scales the \
         model by the miss and measures the setting the corrected model picks (the \
         \"measured\" column is that final setting). Memory comes first because it is what \
         makes password guessing expensive on GPUs; restoring needs that memory free too \
         (e2eb's default caps allow at most half of physical memory).\n",
    );
    out
}

/// Says so when a recommended setting, after calibration, still measured outside the window
/// the bench accepts (−25 %/+10 % of its target): the page must not present it as on target.
fn window_warning(check: &crate::schema::KdfFigure, target: f64) -> String {
    let miss = check.seconds.median / target - 1.0;
    if (-0.25..=0.10).contains(&miss) {
        String::new()
    } else {
        format!(
            " **{:+.0} % off target, outside the −25 %/+10 % window**",
            miss * 100.0
        )
    }
}

fn backend_recommendation(choice: &recommend::BackendChoice) -> String {
    let mut out = format!(
        "- **Backend: {}.** It seals {} {} chunks at {} GB/s",
        choice.backend(),
        suite_title(&choice.suite),
        mib_or_kib(choice.size_bytes),
        gbps(choice.rates[0].1)
    );
    let others: Vec<String> = choice.rates[1..]
        .iter()
        .map(|(backend, rate)| format!("{} GB/s for {backend}", gbps(*rate)))
        .collect();
    if !others.is_empty() {
        let _ = write!(out, ", against {}", others.join(", "));
    }
    out.push('.');
    if choice.auto == choice.backend() {
        out.push_str(" `--backend auto` (the default) picks it in this build.");
    } else {
        let _ = write!(
            out,
            " `--backend auto` (the default) picks {} in this build{}: pass `--backend {}` for \
             the fastest on this host.",
            choice.auto,
            choice
                .auto_rate()
                .map_or_else(String::new, |rate| format!(", {} GB/s here", gbps(rate))),
            choice.backend()
        );
    }
    out.push_str(" Backups are the same bytes whichever backend makes or opens them.\n");
    out
}

fn predicted_text(choice: &KdfChoice) -> String {
    if choice.measured_in_grid {
        format!("{} measured in the grid", seconds(choice.predicted_seconds))
    } else {
        format!("{} predicted", seconds(choice.predicted_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;
    use crate::stats::Summary;

    #[test]
    fn a_pick_that_misses_its_window_says_so() {
        let mut run = sample_run();
        let text = section(&run, std::slice::from_ref(&run));
        assert!(!text.contains("outside the −25 %/+10 % window"), "{text}");
        // The 250 ms pick measured at 172 ms: −31 %, as on a loaded machine.
        for figure in run.kdf.iter_mut().filter(|f| f.role == "check") {
            figure.seconds = Summary::of(&[0.170, 0.172, 0.175]).unwrap();
        }
        let text = section(&run, std::slice::from_ref(&run));
        assert!(
            text.contains(
                "172 ms [170 ms–175 ms] **-31 % off target, outside the −25 %/+10 % window**"
            ),
            "{text}"
        );
    }
}
