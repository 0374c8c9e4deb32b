//! One host's report page: the host and its latest run, the recommendations, then each
//! section in turn, the host and build table, the method, and the list of runs.

use std::fmt::Write as _;

use super::{aead, attacker, kdf, recommendation, stream};
use crate::schema::{self, Run};

/// One host's report.
pub fn page(run: &Run, runs: &[Run], charts: &[String]) -> String {
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
            |bytes| format!("{:.0} GiB", bytes as f64 / f64::from(1u32 << 30))
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
    out.push_str(
        "Figures are medians over repeated samples after a warm-up, with the interquartile \
         range (IQR, the middle half of the samples) in parentheses. GB/s is 10^9 bytes per \
         second.\n\n",
    );
    out.push_str("## Recommendation for this host\n\n");
    out.push_str(&recommendation::section(run));
    out.push_str(&attacker::section(run));

    aead::section(&mut out, run, charts);
    stream::section(&mut out, run, charts);
    kdf::section(&mut out, run, charts);

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
        ("CPU features", features.join(", ")),
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
         repeat within a sample). Opening first copies the ciphertext back into the buffer it \
         decrypts in place; at these sizes the copy runs from cache and costs a few percent at \
         most.",
        method.aead.warm_up_seconds * 1000.0,
        method.aead.max_samples,
        method.aead.sample_seconds * 1000.0
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
        "- KDFs: one untimed derivation, then {}–{} timed ones (more while they fit in the \
         profile's time budget). Peak memory: {}",
        method.kdf.min_samples, method.kdf.max_samples, method.kdf_peak_memory
    );
    let spreads: Vec<f64> = run
        .aead
        .iter()
        .map(|f| f.bytes_per_second.relative_iqr())
        .chain(run.stream.iter().map(|f| f.bytes_per_second.relative_iqr()))
        .chain(run.kdf.iter().map(|f| f.seconds.relative_iqr()))
        .collect();
    let noisy = spreads.iter().filter(|&&spread| spread > 0.1).count();
    let _ = writeln!(
        out,
        "- Spread: {noisy} of {} figures have an IQR above 10 % of their median.",
        spreads.len()
    );
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

    out.push_str("\n## Runs\n\n| timestamp | profile | sections | measured | file |\n|---|---|---|---|---|\n");
    for past in runs.iter().rev() {
        let file = format!("{}.json", schema::file_stem(&past.host.timestamp));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} s | [{file}]({file}) |",
            past.host.timestamp,
            past.profile,
            past.sections.join(", "),
            past.measure_seconds
        );
    }
    out.push_str(
        "\nRegenerate this page from the JSON files with `cargo xtask report`; the fields are \
         described in [../SCHEMA.md](../SCHEMA.md).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts_for;
    use crate::schema::tests::sample_run;

    #[test]
    fn host_report_has_tables_charts_and_recommendations() {
        let run = sample_run();
        let charts: Vec<String> = charts_for(&run).into_iter().map(|(n, _)| n).collect();
        let text = page(&run, std::slice::from_ref(&run), &charts);
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
            "### Argon2id against the reference C code",
            "| implementation | p = 1 | p = 2 | p = 2 over p = 1 |",
            "| e2eb (argon2 crate, parallel) | 450 ms (10.0 ms) | 265 ms (5.0 ms) | 1.70× |",
            "### Memory ceiling",
            "| 2 | 11.50 (0.50) | 9.00 (AES-256-GCM ring buffer) | 78 % | 2.30× |",
            "e2eb's time over C reference, AVX2 (AVX2)'s: 1.023 at p = 1, 1.082 at p = 2.",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
