//! The cross-host index, `reports/README.md`: one row per host with its latest run's key
//! figures and choices.

use std::fmt::Write as _;

use super::suite_title;
use crate::recommend;
use crate::schema::Run;
use crate::units::gbps;

/// The cross-host comparison.
pub fn page(hosts: &[(String, Vec<Run>)]) -> String {
    let mut out = String::from(
        "# e2eb benchmark results\n\nOne folder per hardware class, each with its JSON results \
         (`<timestamp>.json`, described in [SCHEMA.md](SCHEMA.md)), charts and a report. \
         Add a host by running `cargo xtask bench` on it (`--profile full` for more sizes and \
         samples, `--profile tiny` for a smoke test); `cargo xtask report` re-renders every \
         page from the JSON files.\n\nLatest run per host; GB/s medians at e2eb's 16 KiB chunk \
         size, sealing.\n\n",
    );
    if hosts.is_empty() {
        out.push_str("No results yet.\n");
        return out;
    }
    out.push_str(
        "| host | CPU | CPUs | AES / CLMUL | AES-GCM native | ChaCha20 native | AES-GCM software-only | ChaCha20 software-only | AES-GCM / OpenSSL | stream speedup | Argon2id for ~1 s | suite |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (host, runs) in hosts {
        let run = runs.last().expect("hosts have runs");
        let rate = |implementation: &str, suite: &str| {
            run.aead_figure(implementation, suite, "seal", recommend::CHUNK_BYTES)
                .map(|f| f.bytes_per_second.median)
        };
        let cell = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), gbps);
        let features = &run.host.cpu_features;
        let has = |name: &str| features.get(name).copied().unwrap_or(false);
        let aes_clmul = if features.contains_key("pclmulqdq") {
            format!(
                "{} / {}",
                if has("aes") { "yes" } else { "no" },
                if has("pclmulqdq") { "yes" } else { "no" }
            )
        } else {
            format!(
                "{} / {}",
                if has("aes") { "yes" } else { "no" },
                if has("pmull") { "yes" } else { "no" }
            )
        };
        let openssl_ratio = rate("native", "aes-256-gcm")
            .zip(rate("openssl", "aes-256-gcm"))
            .map_or_else(
                || "–".to_owned(),
                |(ours, theirs)| format!("{:.2}", ours / theirs),
            );
        let speedup = run
            .stream
            .iter()
            .filter(|f| f.direction == "encrypt")
            .filter_map(|f| f.speedup.map(|s| (s, f.threads)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map_or_else(
                || "–".to_owned(),
                |(s, threads)| format!("{s:.2}× at {threads}"),
            );
        let argon = recommend::argon2id_choices(
            &run.kdf,
            run.host.logical_cpus,
            run.host.memory_bytes,
            &[1.0],
        )
        .first()
        .map_or_else(
            || "–".to_owned(),
            |choice| format!("`{}`", choice.setting.params()),
        );
        let suite = recommend::suite_choice(run).map_or_else(
            || "–".to_owned(),
            |choice| suite_title(&choice.suite).to_owned(),
        );
        let _ = writeln!(
            out,
            "| [{host}]({host}/README.md) | {} | {} | {aes_clmul} | {} | {} | {} | {} | {openssl_ratio} | {speedup} | {argon} | {suite} |",
            run.host.cpu_model,
            run.host.logical_cpus,
            cell(rate("native", "aes-256-gcm")),
            cell(rate("native", "chacha20-poly1305")),
            cell(rate("soft", "aes-256-gcm")),
            cell(rate("soft", "chacha20-poly1305")),
        );
    }
    out
}
