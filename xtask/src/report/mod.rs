//! Reports from the JSON results alone: per host `reports/<host-id>/README.md` with charts in
//! `reports/<host-id>/charts/`, and the cross-host `reports/README.md`. This module writes the
//! files and gathers the charts; each section of a page is rendered by its own module.

mod aead;
mod anomalies;
mod attacker;
mod history;
mod host;
mod index;
mod kdf;
mod recommendation;
mod stream;
mod summary;
mod vault;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::charts::{self, Chart};
use crate::schema::{self, Run};
use crate::units;

pub use summary::summary;

const SUITES: [&str; 2] = ["aes-256-gcm", "chacha20-poly1305"];

/// Renders every host's report from its latest run, and the index. Returns the files written.
pub fn render_all(reports: &Path) -> Result<Vec<String>, String> {
    render_hosts(reports, None)
}

/// Renders the page and charts of host `only` (every host when `None`), then the index of all.
pub fn render_hosts(reports: &Path, only: Option<&str>) -> Result<Vec<String>, String> {
    let (hosts, errors) = schema::load_all(reports);
    for error in &errors {
        eprintln!("skipped {error}");
    }
    let mut written = Vec::new();
    for (host, runs) in &hosts {
        if only.is_some_and(|only| only != host) {
            continue;
        }
        let folder = reports.join(host);
        let core = core_runs(runs);
        let latest = core.last().expect("hosts have at least one run");
        let charts = render_charts(runs, &folder.join("charts"))?;
        let text = host::page(latest, &core, runs, &charts);
        let path = folder.join("README.md");
        std::fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))?;
        written.push(path.display().to_string());
    }
    let index = index::page(&hosts);
    let path = reports.join("README.md");
    std::fs::create_dir_all(reports).map_err(|error| error.to_string())?;
    std::fs::write(&path, index).map_err(|error| format!("{}: {error}", path.display()))?;
    written.push(path.display().to_string());
    Ok(written)
}

/// Checks the run in `file` and stores it under `reports`, refusing to replace a run already
/// there; returns its host id and where it went.
pub fn add_run(file: &Path, reports: &Path) -> Result<(String, PathBuf), String> {
    let text =
        std::fs::read_to_string(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let run = Run::parse(&text).map_err(|error| format!("{}: {error}", file.display()))?;
    let path = run.path(reports);
    if path.exists() {
        return Err(format!(
            "{}: a run of host {} at {} is already there ({}); nothing was added",
            file.display(),
            run.host.host_id,
            run.host.timestamp,
            path.display()
        ));
    }
    let saved = run.save(reports)?;
    Ok((run.host.host_id, saved))
}

fn suite_title(suite: &str) -> &str {
    match suite {
        "aes-256-gcm" => "AES-256-GCM",
        "chacha20-poly1305" => "ChaCha20-Poly1305",
        other => other,
    }
}

fn implementation_title(implementation: &str) -> &str {
    match implementation {
        "native" => "native",
        "soft" => "software-only",
        "openssl" => "OpenSSL",
        other => other,
    }
}

fn mib_or_kib(bytes: u64) -> String {
    units::size_label(bytes as usize)
}

/// Whether a run measured any of the sections a host page is built around (the AEADs, the
/// stream, the KDFs): a run of the vault section alone did not.
fn measures_core(run: &Run) -> bool {
    !(run.aead.is_empty() && run.stream.is_empty() && run.kdf.is_empty())
}

/// The runs a host page's core sections come from (oldest first): those that measured one of
/// them, or all where none did. A later `--only vault` run leaves them in place.
pub fn core_runs(runs: &[Run]) -> Vec<Run> {
    let core: Vec<Run> = runs.iter().filter(|r| measures_core(r)).cloned().collect();
    if core.is_empty() { runs.to_vec() } else { core }
}

/// The run a host's page and index row describe: the latest of [`core_runs`].
pub fn page_run(runs: &[Run]) -> &Run {
    runs.iter()
        .rev()
        .find(|r| measures_core(r))
        .or_else(|| runs.last())
        .expect("hosts have at least one run")
}

/// The latest run with a vault section.
pub fn vault_run(runs: &[Run]) -> Option<&Run> {
    runs.iter().rev().find(|r| r.vault.is_some())
}

/// The charts of a host's page (`runs`, oldest first): the core sections' from the latest of
/// [`core_runs`] (older runs lend what only they measured), the vault's from [`vault_run`];
/// as `(file stem, chart)`.
pub fn charts_for(runs: &[Run]) -> Vec<(String, Chart)> {
    let mut charts = Vec::new();
    let core = core_runs(runs);
    let Some(run) = core.last() else {
        return charts;
    };
    aead::add_charts(run, &mut charts);
    stream::add_charts(run, &mut charts);
    kdf::add_charts(run, &core, &mut charts);
    let subtitle = chart_subtitle(run);
    for (_, chart) in &mut charts {
        chart.subtitle.clone_from(&subtitle);
    }
    if let Some(vault_run) = vault_run(runs) {
        let first = charts.len();
        vault::add_charts(vault_run, &mut charts);
        let subtitle = chart_subtitle(vault_run);
        for (_, chart) in &mut charts[first..] {
            chart.subtitle.clone_from(&subtitle);
        }
    }
    charts
}

/// What every chart of a run says under its title: host, run, profile, commit.
fn chart_subtitle(run: &Run) -> String {
    format!(
        "{} · run {} ({} profile) · commit {}{}",
        run.host.host_id,
        run.host.timestamp,
        run.profile,
        run.host
            .git_commit
            .as_deref()
            .map_or("unknown", |c| &c[..c.len().min(12)]),
        if run.host.git_dirty == Some(true) {
            " (dirty)"
        } else {
            ""
        }
    )
}

/// Replaces the chart files in `folder` with those of the latest of `runs`; returns their stems.
fn render_charts(runs: &[Run], folder: &Path) -> Result<Vec<String>, String> {
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path
                .extension()
                .is_some_and(|extension| extension == "svg" || extension == "png")
            {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    std::fs::create_dir_all(folder).map_err(|error| format!("{}: {error}", folder.display()))?;
    let mut stems = Vec::new();
    for (stem, chart) in charts_for(runs) {
        charts::render(&chart, &folder.join(&stem))?;
        stems.push(stem);
    }
    Ok(stems)
}

fn chart_link(out: &mut String, charts: &[String], stem: &str, alt: &str) {
    if charts.iter().any(|chart| chart == stem) {
        let _ = writeln!(
            out,
            "\n![{alt}](charts/{stem}.svg)\n\n<sub>[PNG](charts/{stem}.png)</sub>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn renders_every_chart_of_a_full_run() {
        let names: Vec<String> = charts_for(&[sample_run()])
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "aead-aes-256-gcm",
                "aead-chacha20-poly1305",
                "stream-aes-256-gcm",
                "stream-chacha20-poly1305",
                "kdf-argon2id-p1",
                "kdf-argon2id-p2",
                "kdf-scrypt",
                "vault-throughput"
            ]
        );
    }

    #[test]
    fn every_chart_names_its_host_run_and_commit() {
        for (stem, chart) in charts_for(&[sample_run()]) {
            assert_eq!(
                chart.subtitle,
                "test-cpu-2t-8g · run 2026-11-30T07:45:12Z (tiny profile) · commit 0123456789ab",
                "{stem}"
            );
        }
    }

    #[test]
    fn render_all_writes_reports_and_charts_from_json_alone() {
        let folder = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        sample_run().save(&folder).unwrap();
        let written = render_all(&folder).unwrap();
        assert_eq!(written.len(), 2);
        let index = std::fs::read_to_string(folder.join("README.md")).unwrap();
        assert!(index.contains("[test-cpu-2t-8g](test-cpu-2t-8g/README.md)"));
        for chart in ["aead-aes-256-gcm", "stream-aes-256-gcm", "kdf-argon2id-p1"] {
            for extension in ["svg", "png"] {
                let path = folder.join(format!("test-cpu-2t-8g/charts/{chart}.{extension}"));
                assert!(path.is_file(), "{}", path.display());
            }
        }
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
