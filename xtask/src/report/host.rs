//! One host's report page: the host and its latest run, the recommendations, then each
//! section in turn, the host and build table, the method, and the list of runs.

use std::fmt::Write as _;

use super::{aead, anomalies, attacker, history, kdf, recommendation, stream, suite_title, vault};
use crate::recommend::{self, TARGETS};
use crate::schema::{self, Run};
use crate::units::{self, FEW_SAMPLES, NOISY_MARK, seconds};

/// One host's report: `run` is the latest of `runs`, the runs that measured its core sections;
/// `all` adds the runs of the vault section alone, for that section and the list of runs.
pub fn page(run: &Run, runs: &[Run], all: &[Run], charts: &[String]) -> String {
    let host = &run.host;
    let mut out = String::new();
    let _ = writeln!(out, "# e2eb benchmarks: `{}`\n", host.host_id);
    let _ = writeln!(
        out,
        "{}, {} logical CPUs{}, {} of memory, {}{}. Latest run {} (profile `{}`, {:.0} s of \
         measurement), commit `{}`{}.\n",
        host.cpu_model,
        host.logical_cpus,
        host.physical_cores
            .map_or(String::new(), |cores| format!(" ({cores} physical cores)")),
        host.memory_bytes.map_or_else(
            || "unknown amount".to_owned(),
            |bytes| format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
        ),
        host.os,
        if host.hypervisor {
            ", in a virtual machine"
        } else {
            ""
        },
        host.timestamp,
        run.profile,
        run.measure_seconds,
        host.git_commit
            .as_deref()
            .map_or("unknown", |c| &c[..c.len().min(12)]),
        if host.git_dirty == Some(true) {
            " with local changes"
        } else {
            ""
        },
    );
    if let Some(probe) = &host.probe {
        let _ = writeln!(
            out,
            "Measured on the device by the lone binary, `{}` (`e2eb bench`), without the \
             repository or a toolchain, so this run has no: {}.\n",
            probe.program,
            probe.absent.join("; ")
        );
    }
    if let Some(limits) = &host.limits {
        let _ = writeln!(
            out,
            "The run was confined by control-group limits: {}. The figures are this process's \
             under them, not the machine's; the CPU model above is the machine's.\n",
            limits_text(limits)
        );
        if limits.cpu_share.is_some_and(|share| share < 1.0) {
            out.push_str(
                "A CPU quota is enforced per period (100 ms unless set otherwise): work shorter \
                 than the quota's slice of a period runs at the CPU's full speed, longer work at \
                 the quota's share on average. The AEAD figures (samples of milliseconds) \
                 therefore overstate what the limited device sustains; the backup stream (passes \
                 of tens of MiB) and KDF figures (derivations of tenths of a second and more) \
                 show the quota, with a spread from where the throttling fell.\n\n",
            );
        }
    }
    out.push_str(
        &"Figures are medians over repeated samples after a warm-up, with the interquartile \
         range (IQR, the middle half of the samples) in parentheses, or, for figures of {FEW_SAMPLES} \
         samples or fewer (where an IQR means little), the smallest and largest sample in \
         brackets. {NOISY_MARK} marks a noisy figure: its IQR is above 10 % of its median. \
         GB/s is 10^9 bytes per second. How much the figures move from run to run is in \
         [Run to run](#run-to-run).\n\n"
            .replace("{FEW_SAMPLES}", &FEW_SAMPLES.to_string())
            .replace("{NOISY_MARK}", NOISY_MARK),
    );
    out.push_str("## Recommendation for this host\n\n");
    out.push_str(&recommendation::section(run, runs));
    out.push_str(&attacker::section(run, runs));
    out.push_str(&history::section(runs));

    aead::section(&mut out, run, charts);
    stream::section(&mut out, run, charts);
    kdf::section(&mut out, run, runs, charts);
    vault::section(&mut out, super::vault_run(all), run, charts);
    out.push_str(&anomalies::section(run));

    out.push_str("\n## Host and build\n\n| | |\n|---|---|\n");
    let features: Vec<String> = host
        .cpu_features
        .iter()
        .map(|(name, present)| format!("{name} {}", if *present { "yes" } else { "no" }))
        .collect();
    let crates: Vec<String> = host
        .crates
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    let profile: Vec<String> = host
        .build
        .profile_settings
        .iter()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect();
    for (key, value) in [
        ("host id", host.host_id.clone()),
        ("hostname", host.hostname.clone()),
        ("CPU", format!("{} ({})", host.cpu_model, host.arch)),
        (
            "CPUs",
            format!(
                "{} logical, {} physical cores",
                host.logical_cpus,
                host.physical_cores
                    .map_or_else(|| "unknown".to_owned(), |c| c.to_string())
            ),
        ),
        ("CPU identity", cpu_identity(host)),
        ("CPU features", features.join(", ")),
        (
            "CPU flags the OS enabled",
            if host.cpu_flags.is_empty() {
                "not recorded (runs before the flags were)".to_owned()
            } else {
                format!(
                    "{} flags: {}",
                    host.cpu_flags.len(),
                    host.cpu_flags.join(" ")
                )
            },
        ),
        ("load", load_text(host)),
        (
            "measured by",
            host.probe.as_ref().map_or_else(
                || "`cargo xtask bench` in the repository".to_owned(),
                |probe| format!("`{}` alone (`e2eb bench`)", probe.program),
            ),
        ),
        (
            "control-group limits",
            host.limits
                .as_ref()
                .map_or_else(|| "none".to_owned(), limits_text),
        ),
        (
            "hypervisor",
            if host.hypervisor { "yes" } else { "no" }.into(),
        ),
        ("caches (CPU 0)", host.caches.join(", ")),
        (
            "memory",
            host.memory_bytes.map_or_else(
                || "unknown".to_owned(),
                |bytes| {
                    format!(
                        "{bytes} bytes ({:.1} GiB)",
                        bytes as f64 / f64::from(1u32 << 30)
                    )
                },
            ),
        ),
        ("OS", host.os.clone()),
        ("kernel", host.kernel.clone()),
        ("compiler", host.rustc.clone()),
        (
            "build",
            format!(
                "profile {} (opt-level {}, debug {}), target {}, {}",
                host.build.profile,
                host.build.opt_level,
                host.build.debug,
                host.build.target,
                profile.join(", ")
            ),
        ),
        (
            "RUSTFLAGS",
            if host.build.rustflags.is_empty() {
                "none".to_owned()
            } else {
                format!("`{}`", host.build.rustflags)
            },
        ),
        (
            "compile-time target features",
            host.build.target_features.clone(),
        ),
        ("crates", crates.join(", ")),
        (
            "commit",
            format!(
                "{}{}",
                host.git_commit.as_deref().unwrap_or("unknown"),
                if host.git_dirty == Some(true) {
                    " (with local changes)"
                } else {
                    ""
                }
            ),
        ),
        ("timestamp", host.timestamp.clone()),
    ] {
        let _ = writeln!(out, "| {key} | {} |", value.replace('|', "\\|"));
    }

    out.push_str("\n## Method\n\n");
    let method = &run.method;
    let _ = writeln!(
        out,
        "- AEAD: {:.0} ms of warm-up, then {} samples of at least {:.0} ms each (short messages \
         repeat within a sample). {}",
        method.aead.warm_up_seconds * 1000.0,
        method.aead.max_samples,
        method.aead.sample_seconds * 1000.0,
        method.aead_open.as_deref().map_or_else(
            || "In this run opening first copied the ciphertext back into the buffer it \
                decrypts in place, inside the timed loop: from 64 KiB on, where the message and \
                its copy outgrow L1, that copy shows as open slower than seal (see \
                [Anomalies](#anomalies)); runs since decrypt into a second buffer instead."
                .to_owned(),
            |how| format!("Opening: {how}."),
        )
    );
    if let Some(soft) = &method.soft {
        let backends: Vec<String> = soft
            .backends
            .iter()
            .map(|(name, backend)| format!("{name} {backend}"))
            .collect();
        let _ = writeln!(
            out,
            "- Software-only build: the AEAD probe (`benches/bin/aead_probe.rs`) built again with \
             `RUSTFLAGS='{}'` into `target/soft-backends`; it reported backends: {}.",
            soft.rustflags,
            backends.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "- Stream: one untimed pass, then {} timed passes per figure; output buffers are \
         reused so page faults on fresh memory stay out of the figures.",
        method.stream.max_samples
    );
    let _ = writeln!(
        out,
        "- KDFs: {}–{} timed derivations per setting (more while they fit in the profile's \
         time budget), {}. Peak memory: {}",
        method.kdf.min_samples,
        method.kdf.max_samples,
        method.kdf_sampling.as_deref().map_or(
            "each setting's in a row after one untimed derivation (runs before interleaved \
             sampling)",
            |how| how.trim_end_matches('.')
        ),
        method.kdf_peak_memory
    );
    let noisy = noisy_figures(run);
    let total = run.aead.len() + run.stream.len() + run.memory_ceiling.len() + run.kdf.len();
    if noisy.is_empty() {
        let _ = writeln!(
            out,
            "- Spread: none of the {total} figures has an IQR above 10 % of its median."
        );
    } else {
        let _ = writeln!(
            out,
            "- Spread: {} of {total} figures have an IQR above 10 % of their median (marked \
             {NOISY_MARK} where shown): {}.",
            noisy.len(),
            noisy.join("; ")
        );
    }
    let _ = writeln!(out, "- Cycles per byte: {}", method.cycles_per_byte);
    if host.hypervisor {
        out.push_str(
            "- This host is a virtual machine whose CPUs may be shared: other tenants' load \
             shows up as spread (IQR) and as run-to-run differences.\n",
        );
    }
    for note in &run.notes {
        let _ = writeln!(out, "- Note: {note}");
    }

    out.push_str(
        "\n## Runs\n\nEach run's commit (*dirty*: tracked files differed from it) and the \
         Argon2id setting it recommended for each wait, with its measured median.\n\n\
         | timestamp | profile | sections | measured | commit |",
    );
    for target in TARGETS {
        let _ = write!(out, " {} pick |", seconds(target));
    }
    out.push_str(" file |\n|---|---|---|---|---|");
    out.push_str(&"---|".repeat(TARGETS.len()));
    out.push_str("---|\n");
    for past in all.iter().rev() {
        let file = format!("{}.json", schema::file_stem(&past.host.timestamp));
        let commit = past.host.git_commit.as_deref().map_or_else(
            || "unknown".to_owned(),
            |c| {
                format!(
                    "`{}`{}",
                    &c[..c.len().min(12)],
                    match past.host.git_dirty {
                        Some(true) => ", dirty",
                        Some(false) => "",
                        None => ", dirty unknown",
                    }
                )
            },
        );
        let _ = write!(
            out,
            "| {} | {} | {} | {:.0} s | {commit} |",
            past.host.timestamp,
            past.profile,
            past.sections.join(", "),
            past.measure_seconds
        );
        for target in TARGETS {
            let cell = recommend::check_for(past, target).map_or_else(
                || "–".to_owned(),
                |check| format!("`{}` {}", check.params, seconds(check.seconds.median)),
            );
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " [{file}]({file}) |");
    }
    out.push_str(
        "\nRegenerate this page from the JSON files with `cargo xtask report`; the fields are \
         described in [../SCHEMA.md](../SCHEMA.md).\n",
    );
    out
}

/// Vendor, family, model, stepping, microcode and clock, where recorded.
fn cpu_identity(host: &crate::manifest::Manifest) -> String {
    let Some(identity) = &host.cpu_identity else {
        return "not recorded (runs before it was)".to_owned();
    };
    let field = |value: &Option<String>| value.clone().unwrap_or_else(|| "?".to_owned());
    format!(
        "vendor {}, family {}, model {}, stepping {}, microcode {}, {}",
        field(&identity.vendor),
        field(&identity.family),
        field(&identity.model),
        field(&identity.stepping),
        field(&identity.microcode),
        identity.mhz.map_or_else(
            || "clock unknown".to_owned(),
            |mhz| format!("{mhz:.0} MHz at the start")
        )
    )
}

/// The control-group limits a run was confined by, in words.
pub fn limits_text(limits: &crate::manifest::Limits) -> String {
    let mut parts = Vec::new();
    if let Some(share) = limits.cpu_share {
        parts.push(format!("CPU time {share:.2} of one CPU"));
    }
    if let Some(cpus) = &limits.cpuset {
        parts.push(format!("CPUs {cpus} only"));
    }
    if let Some(bytes) = limits.memory_bytes {
        parts.push(format!(
            "memory {:.1} GiB",
            bytes as f64 / f64::from(1u32 << 30)
        ));
    }
    parts.join(", ")
}

/// Load average before and after the run, and the share of CPU time stolen meanwhile.
fn load_text(host: &crate::manifest::Manifest) -> String {
    let Some(load) = &host.load else {
        return "not recorded (runs before it was)".to_owned();
    };
    let averages = |sample: &crate::manifest::LoadSample| {
        let [one, five, fifteen] = sample.load_average;
        format!("{one:.2} / {five:.2} / {fifteen:.2}")
    };
    let mut text = format!(
        "load average (1/5/15 min) {} before",
        averages(&load.before)
    );
    if let Some(after) = &load.after {
        let _ = write!(text, ", {} after", averages(after));
    }
    if let Some(share) = load.steal_share() {
        let _ = write!(
            text,
            "; the hypervisor stole {:.1} % of CPU time during the run",
            share * 100.0
        );
    }
    text
}

/// Every figure of `run` whose IQR is above 10 % of its median, named.
fn noisy_figures(run: &Run) -> Vec<String> {
    let share =
        |summary: &crate::stats::Summary| format!("IQR {:.0} %", summary.relative_iqr() * 100.0);
    let mut noisy = Vec::new();
    for figure in &run.aead {
        if !units::noisy_mark(&figure.bytes_per_second).is_empty() {
            noisy.push(format!(
                "AEAD {} {} {} {} ({})",
                suite_title(&figure.suite),
                if figure.implementation == "native" {
                    figure.backend_name()
                } else {
                    super::implementation_title(&figure.implementation)
                },
                figure.direction,
                super::mib_or_kib(figure.size_bytes),
                share(&figure.bytes_per_second)
            ));
        }
    }
    for figure in &run.stream {
        if !units::noisy_mark(&figure.bytes_per_second).is_empty() {
            noisy.push(format!(
                "stream {} {} {} {} on {} thread{} ({})",
                suite_title(&figure.suite),
                figure.direction,
                figure.backend_name(),
                figure.mode_name(),
                figure.threads,
                if figure.threads == 1 { "" } else { "s" },
                share(&figure.bytes_per_second)
            ));
        }
    }
    for figure in &run.memory_ceiling {
        if !units::noisy_mark(&figure.bytes_per_second).is_empty() {
            noisy.push(format!(
                "memory ceiling on {} threads ({})",
                figure.threads,
                share(&figure.bytes_per_second)
            ));
        }
    }
    for figure in &run.kdf {
        if !units::noisy_mark(&figure.seconds).is_empty() {
            noisy.push(format!(
                "{} `{}` ({}, {})",
                figure.setting.kdf_name(),
                figure.params,
                figure.role,
                share(&figure.seconds)
            ));
        }
    }
    noisy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts_for;
    use crate::schema::tests::sample_run;

    #[test]
    fn host_report_has_tables_charts_and_recommendations() {
        let run = sample_run();
        let charts: Vec<String> = charts_for(std::slice::from_ref(&run))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let text = page(
            &run,
            std::slice::from_ref(&run),
            std::slice::from_ref(&run),
            &charts,
        );
        for expected in [
            "## Recommendation for this host",
            "**Suite: AES-256-GCM.**",
            "**Threads: 2.**",
            "| 250 ms |",
            "charts/aead-aes-256-gcm.svg",
            "charts/kdf-scrypt.png",
            "### Argon2id",
            "| 16 MiB |",
            "fastest backend / OpenSSL (seal)",
            "**Backend: ring.**",
            "`--backend auto` (the default) picks it",
            "| size | ring seal | rustcrypto seal | software-only seal |",
            "| AES-256-GCM | encrypt | ring | in-memory | 2 |",
            "2026-11-30T07-45-12Z.json",
            "| CPU identity | vendor GenuineIntel, family 6, model 143, stepping 8, microcode 0x2b000603, 2100 MHz at the start |",
            "| CPU flags the OS enabled | 3 flags: fpu aes hypervisor |",
            "| load | load average (1/5/15 min) 0.50 / 0.40 / 0.30 before, 1.90 / 0.90 / 0.50 after; the hypervisor stole 5.0 % of CPU time during the run |",
            "8.0 GiB of memory",
            "### Argon2id against the reference C code",
            "| implementation | p = 1 | p = 2 | p = 2 over p = 1 |",
            "| e2eb (argon2 crate, parallel) | 450 ms [440 ms–460 ms] | 265 ms [260 ms–270 ms] | 1.70× |",
            "### Memory ceiling",
            "| 2 | 11.50 [11.00–12.00] | 9.00 (AES-256-GCM ring buffer) | 78 % | 2.30× |",
            "e2eb's time over C reference, AVX2 (AVX2)'s: 1.023 at p = 1, 1.082 at p = 2.",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
