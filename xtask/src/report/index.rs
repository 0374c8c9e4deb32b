//! The cross-host index, `reports/README.md`: one row per host with its latest run's key
//! figures and choices, each labelled with what it measures, and the time of the same KDF
//! settings on every host, which is what choosing a setting for the slowest device needs.

use std::fmt::Write as _;

use super::history::{self, RunSpread};
use super::suite_title;
use crate::recommend::{self, ArgonModel};
use crate::schema::{KdfSetting, Run};
use crate::units::{gbps, seconds};

/// e2eb's default Argon2id setting (`Argon2idParams::DEFAULT`).
pub fn default_argon2id() -> KdfSetting {
    let default = e2eb::Argon2idParams::DEFAULT;
    KdfSetting::Argon2id {
        memory_kib: default.memory_kib(),
        passes: default.passes(),
        lanes: default.lanes(),
    }
}

/// The cross-host comparison.
pub fn page(hosts: &[(String, Vec<Run>)]) -> String {
    let mut out = String::from(
        "# e2eb benchmark results\n\nOne folder per hardware class, each with its JSON results \
         (`<timestamp>.json`, described in [SCHEMA.md](SCHEMA.md)), charts and a report. \
         Add a host by running `cargo xtask bench` on it (`--profile full` for more sizes and \
         samples, `--profile tiny` for a smoke test); `cargo xtask report` re-renders every \
         page from the JSON files. The quick profile measures for at most about 180 s on a \
         2-CPU machine; a first run also builds the release binaries, the software-only probe \
         and the reference C code, about 6 minutes in all on a fresh clone of a 2-CPU VM. A \
         device without the repository or a toolchain (a phone, a board) runs the `e2eb` \
         binary alone, `e2eb bench -o device.json`, and `cargo xtask report --add \
         device.json` adds its run here.\n\n",
    );
    if hosts.is_empty() {
        out.push_str("No results yet.\n");
        return out;
    }
    out.push_str("## Hosts\n\n| host | CPU | CPUs | memory | virtual machine | AES / CLMUL | latest run | profile | measured by | runs |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (host, runs) in hosts {
        let run = super::page_run(runs);
        let features = &run.host.cpu_features;
        let has = |name: &str| features.get(name).copied().unwrap_or(false);
        let yes_no = |present: bool| if present { "yes" } else { "no" };
        let multiply = if features.contains_key("pclmulqdq") {
            "pclmulqdq"
        } else {
            "pmull"
        };
        let _ = writeln!(
            out,
            "| [{host}]({host}/README.md) | {} | {} | {} | {} | {} / {} | {} | `{}` | {} | {} |",
            run.host.cpu_model,
            run.host.logical_cpus,
            run.host.memory_bytes.map_or_else(
                || "unknown".to_owned(),
                |bytes| format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
            ),
            yes_no(run.host.hypervisor),
            yes_no(has("aes")),
            yes_no(has(multiply)),
            run.host.timestamp,
            run.profile,
            measured_by(&run.host),
            runs.len(),
        );
    }

    out.push_str(
        "\n## Key figures of the latest run\n\nGB/s medians (10^9 bytes per second) of each \
         host's latest run; the backend in parentheses is the one e2eb picks by default in \
         that build (`--backend auto`). *Backup encryption* is the recommended suite with that \
         backend in the mode the host page recommends threads from, at the recommended thread \
         count. The Argon2id setting is the one the host page recommends for a 1 s wait: \
         measured after calibration where the run did so, else the grid model's pick, marked \
         *predicted*. The host pages give each figure's spread over runs.\n\n",
    );
    out.push_str("| host | AES-256-GCM seal, 16 KiB | ChaCha20-Poly1305 seal, 16 KiB | software-only seal, 16 KiB: AES-256-GCM / ChaCha20-Poly1305 | OpenSSL AES-256-GCM seal, 16 KiB (default backend over OpenSSL) | backup encryption | suite | Argon2id for ~1 s |\n|---|---|---|---|---|---|---|---|\n");
    for (host, runs) in hosts {
        let run = super::page_run(runs);
        let rate = |implementation: &str, suite: &str| {
            run.aead_figure(implementation, suite, "seal", recommend::CHUNK_BYTES)
                .map(|f| f.bytes_per_second.median)
        };
        let native = |suite: &str| {
            rate("native", suite).map_or_else(
                || "–".to_owned(),
                |value| format!("{} ({})", gbps(value), run.default_backend()),
            )
        };
        let cell = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), gbps);
        let openssl = match (
            rate("native", "aes-256-gcm"),
            rate("openssl", "aes-256-gcm"),
        ) {
            (Some(ours), Some(theirs)) => format!("{} ({:.2}×)", gbps(theirs), ours / theirs),
            (None, Some(theirs)) => gbps(theirs),
            _ => "–".to_owned(),
        };
        let suite = recommend::suite_choice(run).map(|choice| choice.suite);
        let suite_name = suite.as_deref().unwrap_or("aes-256-gcm");
        let encryption = recommend::thread_choice(run, suite_name).map_or_else(
            || "–".to_owned(),
            |choice| {
                format!(
                    "{} GB/s: {} {} {}, {} thread{}{}",
                    gbps(choice.rate),
                    suite_title(suite_name),
                    run.default_backend(),
                    recommend::thread_mode(run),
                    choice.threads,
                    if choice.threads == 1 { "" } else { "s" },
                    choice
                        .speedup
                        .filter(|_| choice.threads > 1)
                        .map_or_else(String::new, |s| format!(" ({s:.2}× one thread)"))
                )
            },
        );
        let _ = writeln!(
            out,
            "| [{host}]({host}/README.md) | {} | {} | {} / {} | {openssl} | {encryption} | {} | {} |",
            native("aes-256-gcm"),
            native("chacha20-poly1305"),
            cell(rate("soft", "aes-256-gcm")),
            cell(rate("soft", "chacha20-poly1305")),
            suite.as_deref().map_or("–", suite_title),
            one_second_cell(run),
        );
    }

    out.push_str(&settings_on_every_host(hosts));
    out.push_str(&vault_on_every_host(hosts));
    out
}

/// Each host's vault server capacity: logins per second per core at its best login rate, by
/// storage engine; empty when no host measured the vault.
fn vault_on_every_host(hosts: &[(String, Vec<Run>)]) -> String {
    let rows: Vec<String> = hosts
        .iter()
        .filter_map(|(host, runs)| {
            let run = super::vault_run(runs)?;
            let headline = super::vault::headline_per_core(run)?;
            Some(format!(
                "| [{host}]({host}/README.md#vault-server) | {} | {headline} |\n",
                run.host.timestamp
            ))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n## Vault server\n\nLogins per second per core of an `e2eb-vault` server on each \
         host's latest vault run: operations per CPU-second of the server (and of PostgreSQL's \
         processes), at the number of clients where logins per second peaked; the host pages \
         give every engine, operation and client count with latencies.\n\n\
         | host | run | logins/s per core |\n|---|---|---|\n",
    );
    out.extend(rows);
    out
}

/// The Argon2id setting recommended for 1 s on `run`'s host and what it measured.
fn one_second_cell(run: &Run) -> String {
    if let Some(check) = recommend::check_for(run, 1.0) {
        let measured = check.seconds.median;
        let target = check.target_seconds.unwrap_or(1.0);
        let outside = !(0.75 * target..=1.10 * target).contains(&measured);
        return format!(
            "`{}`, {} measured{}",
            check.params,
            seconds(measured),
            if outside {
                " (outside the −25 %/+10 % window)"
            } else {
                ""
            }
        );
    }
    recommend::argon2id_choices(
        &run.kdf,
        run.host.logical_cpus,
        run.host.memory_bytes,
        &[1.0],
    )
    .first()
    .map_or_else(
        || "–".to_owned(),
        |choice| {
            format!(
                "`{}`, {} predicted",
                choice.setting.params(),
                seconds(choice.predicted_seconds)
            )
        },
    )
}

/// The settings compared on every host: e2eb's default, then each host's 1 s pick.
fn compared_settings(hosts: &[(String, Vec<Run>)]) -> Vec<(KdfSetting, String)> {
    let mut settings = vec![(default_argon2id(), "e2eb's default".to_owned())];
    for (host, runs) in hosts {
        let run = super::page_run(runs);
        let setting = recommend::check_for(run, 1.0)
            .map(|check| check.setting)
            .or_else(|| {
                recommend::argon2id_choices(
                    &run.kdf,
                    run.host.logical_cpus,
                    run.host.memory_bytes,
                    &[1.0],
                )
                .first()
                .map(|choice| choice.setting)
            });
        let Some(setting) = setting else { continue };
        match settings.iter_mut().find(|(s, _)| *s == setting) {
            Some((_, label)) => {
                let _ = write!(label, ", {host}'s 1 s pick");
            }
            None => settings.push((setting, format!("{host}'s 1 s pick"))),
        }
    }
    settings
}

/// The time of one setting on one host: measured in any of its runs, else predicted from the
/// newest grid with that lane count (or the most lanes measured below it: lanes beyond the
/// CPUs only share them).
pub fn setting_on_host(runs: &[Run], setting: KdfSetting) -> String {
    if let Some(spread) = history::setting_seconds(runs, setting) {
        return measured_text(&spread);
    }
    let KdfSetting::Argon2id {
        memory_kib,
        passes,
        lanes,
    } = setting
    else {
        return "–".to_owned();
    };
    for run in runs.iter().rev() {
        let fitted = (1..=lanes)
            .rev()
            .find_map(|l| ArgonModel::fit(&run.kdf, l).map(|model| (l, model)));
        if let Some((fitted_lanes, model)) = fitted {
            let memory_mib = memory_kib / 1024;
            let beyond = memory_mib > model.max_memory_mib();
            return format!(
                "~{} predicted{}{}",
                seconds(model.predict(memory_mib, passes)),
                if fitted_lanes == lanes {
                    String::new()
                } else {
                    format!(" from the p={fitted_lanes} grid")
                },
                if beyond {
                    format!(", beyond the {} MiB measured", model.max_memory_mib())
                } else {
                    String::new()
                }
            );
        }
    }
    "–".to_owned()
}

fn measured_text(spread: &RunSpread) -> String {
    if spread.runs == 1 {
        format!("{} measured (1 run)", seconds(spread.median))
    } else {
        format!(
            "{} measured ({} runs, {}–{})",
            seconds(spread.median),
            spread.runs,
            seconds(spread.min),
            seconds(spread.max)
        )
    }
}

fn settings_on_every_host(hosts: &[(String, Vec<Run>)]) -> String {
    let mut out = String::from(
        "\n## Time of one setting on every host\n\nTo choose a setting for the slowest device \
         that will open a backup, compare the same setting everywhere. Each cell is the \
         median over every run of that host that measured the setting (grid or recommendation \
         check), with the range of the runs' medians; where no run measured it, the host's \
         grid model predicts it (*predicted*).\n\n| setting | ",
    );
    let names: Vec<&str> = hosts.iter().map(|(host, _)| host.as_str()).collect();
    let _ = writeln!(out, "{} |", names.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(names.len()));
    for (setting, label) in compared_settings(hosts) {
        let cells: Vec<String> = hosts
            .iter()
            .map(|(_, runs)| setting_on_host(runs, setting))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` ({label}) | {} |",
            setting.params(),
            cells.join(" | ")
        );
    }
    out
}

/// Which program measured a host, and under what control-group limits, for the hosts table.
fn measured_by(host: &crate::manifest::Manifest) -> String {
    let program = if host.probe.is_some() {
        "`e2eb bench` (lone binary)"
    } else {
        "`cargo xtask bench`"
    };
    match &host.limits {
        Some(limits) => format!("{program}, limited to {}", super::host::limits_text(limits)),
        None => program.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;
    use crate::stats::Summary;

    #[test]
    fn index_gives_each_hosts_vault_headline() {
        let run = sample_run();
        let text = page(&[("test-cpu-2t-8g".into(), vec![run.clone()])]);
        assert!(
            text.contains(
                "| [test-cpu-2t-8g](test-cpu-2t-8g/README.md#vault-server) | \
                 2026-11-30T07:45:12Z | SQLite 750 · PostgreSQL 341 |"
            ),
            "{text}"
        );
        let mut without = run;
        without.vault = None;
        let text = page(&[("test-cpu-2t-8g".into(), vec![without])]);
        assert!(!text.contains("## Vault server"), "{text}");
    }

    #[test]
    fn index_labels_figures_and_shows_the_calibrated_setting() {
        let mut run = sample_run();
        // The check that missed is a calibration; the final check is the recommendation.
        let mut check = run.kdf.iter().find(|f| f.role == "check").unwrap().clone();
        check.target_seconds = Some(1.0);
        check.setting = KdfSetting::Argon2id {
            memory_kib: 262_144,
            passes: 5,
            lanes: 2,
        };
        check.params = "m=262144,t=5,p=2".into();
        check.seconds = Summary::of(&[1.01, 1.02, 1.03]).unwrap();
        run.kdf.push(check);
        let text = page(&[("test-cpu-2t-8g".into(), vec![run])]);
        for expected in [
            "| [test-cpu-2t-8g](test-cpu-2t-8g/README.md) | Test CPU | 2 | 8.0 GiB | yes | yes / no | 2026-11-30T07:45:12Z | `tiny` | `cargo xtask bench` | 1 |",
            "`m=262144,t=5,p=2`, 1.02 s measured |",
            "4.80 (ring)",
            "GB/s: AES-256-GCM ring in-memory, 2 threads (1.55× one thread)",
            "## Time of one setting on every host",
            "| `m=65536,t=3,p=4` (e2eb's default) | ~",
            "predicted from the p=2 grid |",
            "| `m=262144,t=5,p=2` (test-cpu-2t-8g's 1 s pick) | 1.02 s measured (1 run) |",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn a_setting_measured_in_several_runs_shows_their_range() {
        let older = sample_run();
        let mut newer = sample_run();
        for figure in &mut newer.kdf {
            figure.seconds = Summary::of(&[figure.seconds.median * 2.0]).unwrap();
        }
        let setting = KdfSetting::Argon2id {
            memory_kib: 65536,
            passes: 3,
            lanes: 2,
        };
        let single = setting_on_host(std::slice::from_ref(&older), setting);
        assert_eq!(single, "68 ms measured (1 run)");
        let both = setting_on_host(&[older, newer], setting);
        assert_eq!(both, "102 ms measured (2 runs, 68 ms–136 ms)");
    }
}
