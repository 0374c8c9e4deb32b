//! Reports from the JSON results alone: per host `reports/<host-id>/README.md` with charts in
//! `reports/<host-id>/charts/`, and the cross-host `reports/README.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::charts::{self, Chart, Guide, Point, Scale, Series};
use crate::recommend::{self, KdfChoice};
use crate::schema::{self, Argon2Reference, KdfFigure, KdfSetting, Run};
use crate::stats::Summary;

/// Options of `cargo xtask report`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// The folder holding one folder per host [default: reports/ in the workspace].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The KDF wall times recommendations are made for.
pub const TARGETS: [f64; 3] = [0.25, 1.0, 3.0];

const SUITES: [&str; 2] = ["aes-256-gcm", "chacha20-poly1305"];

pub fn run(options: Options) -> Result<(), String> {
    let reports = options
        .out
        .unwrap_or_else(|| crate::bench::workspace_root().join("reports"));
    let written = render_all(&reports)?;
    println!("wrote {}", written.join(", "));
    Ok(())
}

/// Renders every host's report from its latest run, and the index. Returns the files written.
pub fn render_all(reports: &Path) -> Result<Vec<String>, String> {
    let (hosts, errors) = schema::load_all(reports);
    for error in &errors {
        eprintln!("skipped {error}");
    }
    let mut written = Vec::new();
    for (host, runs) in &hosts {
        let folder = reports.join(host);
        let latest = runs.last().expect("hosts have at least one run");
        let charts = render_charts(latest, &folder.join("charts"))?;
        let text = host_report(latest, runs, &charts);
        let path = folder.join("README.md");
        std::fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))?;
        written.push(path.display().to_string());
    }
    let index = index_report(&hosts);
    let path = reports.join("README.md");
    std::fs::create_dir_all(reports).map_err(|error| error.to_string())?;
    std::fs::write(&path, index).map_err(|error| format!("{}: {error}", path.display()))?;
    written.push(path.display().to_string());
    Ok(written)
}

/// GB/s (10^9 bytes per second), two decimals, or three below 0.1.
fn gbps(bytes_per_second: f64) -> String {
    let value = bytes_per_second / 1e9;
    if value < 0.1 {
        format!("{value:.3}")
    } else {
        format!("{value:.2}")
    }
}

/// `median (IQR)` in GB/s.
fn gbps_iqr(summary: &Summary) -> String {
    format!("{} ({})", gbps(summary.median), gbps(summary.iqr))
}

fn seconds(value: f64) -> String {
    if value < 1.0 {
        format!("{:.0} ms", value * 1000.0)
    } else {
        format!("{value:.2} s")
    }
}

fn seconds_iqr(summary: &Summary) -> String {
    let iqr = if summary.iqr < 1.0 {
        format!("{:.1} ms", summary.iqr * 1000.0)
    } else {
        format!("{:.2} s", summary.iqr)
    };
    format!("{} ({iqr})", seconds(summary.median))
}

fn mib(bytes: u64) -> String {
    e2eb_measure::units::format_bytes(u128::from(bytes >> 20 << 20)).replace("bytes", "B")
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

/// One line of AEAD figures: implementation, backend (for native figures), title.
type AeadLine<'a> = (&'static str, Option<&'a str>, String);

/// The AEAD lines of a run: each native backend (in the build's order of preference), then the
/// software-only build and OpenSSL.
fn aead_lines(run: &Run) -> Vec<AeadLine<'_>> {
    let mut lines: Vec<AeadLine<'_>> = run
        .native_backends()
        .into_iter()
        .map(|backend| ("native", Some(backend), backend.to_owned()))
        .collect();
    lines.push(("soft", None, implementation_title("soft").to_owned()));
    lines.push(("openssl", None, implementation_title("openssl").to_owned()));
    lines
}

/// The charts of one run, as `(file stem, chart)`.
pub fn charts_for(run: &Run) -> Vec<(String, Chart)> {
    let mut charts = Vec::new();
    for suite in SUITES {
        let mut series = Vec::new();
        for (index, (implementation, backend, title)) in aead_lines(run).into_iter().enumerate() {
            for direction in ["seal", "open"] {
                let points: Vec<Point> = run
                    .aead
                    .iter()
                    .filter(|f| {
                        f.suite == suite
                            && f.implementation == implementation
                            && (backend.is_none() || Some(f.backend_name()) == backend)
                            && f.direction == direction
                    })
                    .map(|f| Point {
                        x: f.size_bytes as f64,
                        y: f.bytes_per_second.median / 1e9,
                        low: f.bytes_per_second.q1 / 1e9,
                        high: f.bytes_per_second.q3 / 1e9,
                    })
                    .collect();
                if !points.is_empty() {
                    series.push(Series {
                        name: format!("{title} {direction}"),
                        color: index * 2 + usize::from(direction == "open"),
                        dashed: implementation == "openssl",
                        points,
                    });
                }
            }
        }
        if !series.is_empty() {
            charts.push((
                format!("aead-{suite}"),
                Chart {
                    title: format!("{} throughput by message size", suite_title(suite)),
                    x_label: "message size".into(),
                    y_label: "GB/s (median, bar = IQR)".into(),
                    x_scale: Scale::Log2,
                    y_scale: Scale::Log10,
                    x_format: charts::format_bytes_axis,
                    y_format: charts::format_number_axis,
                    series,
                    guides: Vec::new(),
                },
            ));
        }
    }

    let mut series = Vec::new();
    for (index, suite) in SUITES.into_iter().enumerate() {
        for direction in ["encrypt", "decrypt"] {
            let points: Vec<Point> = run
                .stream
                .iter()
                .filter(|f| {
                    f.suite == suite
                        && f.direction == direction
                        && f.backend_name() == run.default_backend()
                        && f.mode_name() == recommend::thread_mode(run)
                })
                .filter_map(|f| {
                    let one = run.stream.iter().find(|o| {
                        o.suite == f.suite
                            && o.direction == f.direction
                            && o.backend_name() == f.backend_name()
                            && o.mode_name() == f.mode_name()
                            && o.threads == 1
                    })?;
                    let base = one.bytes_per_second.median;
                    Some(Point {
                        x: f.threads as f64,
                        y: f.bytes_per_second.median / base,
                        low: f.bytes_per_second.q1 / base,
                        high: f.bytes_per_second.q3 / base,
                    })
                })
                .collect();
            if !points.is_empty() {
                series.push(Series {
                    name: format!("{} {direction}", suite_title(suite)),
                    color: index * 2 + usize::from(direction == "decrypt"),
                    dashed: false,
                    points,
                });
            }
        }
    }
    if !series.is_empty() {
        let most = run.stream.iter().map(|f| f.threads).max().unwrap_or(1);
        series.push(Series {
            name: "ideal (linear)".into(),
            color: 6,
            dashed: true,
            points: vec![
                Point::exact(1.0, 1.0),
                Point::exact(most as f64, most as f64),
            ],
        });
        charts.push((
            "stream-speedup".into(),
            Chart {
                title: format!(
                    "Backup speedup over one thread ({}, {}, {})",
                    mib(run.method.stream_plaintext_bytes),
                    recommend::thread_mode(run),
                    run.default_backend()
                ),
                x_label: "threads".into(),
                y_label: "speedup (median; bar = IQR)".into(),
                x_scale: Scale::Integer,
                y_scale: Scale::Linear,
                x_format: charts::format_number_axis,
                y_format: charts::format_number_axis,
                series,
                guides: Vec::new(),
            },
        ));
    }

    let guides: Vec<Guide> = TARGETS
        .iter()
        .map(|&target| Guide {
            y: target,
            label: charts::format_seconds_axis(target),
        })
        .collect();
    let mut lanes: Vec<u32> = run
        .kdf
        .iter()
        .filter_map(|f| match f.setting {
            KdfSetting::Argon2id { lanes, .. } if f.role == "grid" => Some(lanes),
            _ => None,
        })
        .collect();
    lanes.sort_unstable();
    lanes.dedup();
    for lane_count in lanes {
        let mut passes: Vec<u32> = run
            .kdf
            .iter()
            .filter_map(|f| match f.setting {
                KdfSetting::Argon2id { passes, lanes, .. }
                    if lanes == lane_count && f.role == "grid" =>
                {
                    Some(passes)
                }
                _ => None,
            })
            .collect();
        passes.sort_unstable();
        passes.dedup();
        let series = passes
            .into_iter()
            .enumerate()
            .map(|(index, pass_count)| {
                let mut points: Vec<Point> = run
                    .kdf
                    .iter()
                    .filter_map(|f| match f.setting {
                        KdfSetting::Argon2id {
                            memory_kib,
                            passes,
                            lanes,
                        } if lanes == lane_count && passes == pass_count && f.role == "grid" => {
                            Some(seconds_point(f64::from(memory_kib) / 1024.0, &f.seconds))
                        }
                        _ => None,
                    })
                    .collect();
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                Series {
                    name: format!("t = {pass_count}"),
                    color: index,
                    dashed: false,
                    points,
                }
            })
            .collect();
        charts.push((
            format!("kdf-argon2id-p{lane_count}"),
            Chart {
                title: format!("Argon2id time by memory, p = {lane_count}"),
                x_label: "memory (m)".into(),
                y_label: "seconds per derivation (median)".into(),
                x_scale: Scale::Log2,
                y_scale: Scale::Log10,
                x_format: charts::format_mib_axis,
                y_format: charts::format_seconds_axis,
                series,
                guides: guides.clone(),
            },
        ));
    }
    let mut scrypt: Vec<Point> = run
        .kdf
        .iter()
        .filter(|f| f.role == "grid" && matches!(f.setting, KdfSetting::Scrypt { .. }))
        .map(|f| seconds_point(f.memory_bytes as f64 / f64::from(1u32 << 20), &f.seconds))
        .collect();
    scrypt.sort_by(|a, b| a.x.total_cmp(&b.x));
    if !scrypt.is_empty() {
        charts.push((
            "kdf-scrypt".into(),
            Chart {
                title: "scrypt time by memory (r = 8, p = 1; memory = 128·r·N)".into(),
                x_label: "memory".into(),
                y_label: "seconds per derivation (median)".into(),
                x_scale: Scale::Log2,
                y_scale: Scale::Log10,
                x_format: charts::format_mib_axis,
                y_format: charts::format_seconds_axis,
                series: vec![Series {
                    name: "scrypt".into(),
                    color: 0,
                    dashed: false,
                    points: scrypt,
                }],
                guides,
            },
        ));
    }
    charts
}

fn seconds_point(x: f64, summary: &Summary) -> Point {
    Point {
        x,
        y: summary.median,
        low: summary.q1,
        high: summary.q3,
    }
}

/// Replaces the chart files in `folder` with those of `run`; returns their stems.
fn render_charts(run: &Run, folder: &Path) -> Result<Vec<String>, String> {
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
    for (stem, chart) in charts_for(run) {
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

/// The recommendation block of a run, in Markdown.
fn recommendations(run: &Run) -> String {
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
    let scrypt = recommend::scrypt_choices(&run.kdf, run.host.memory_bytes, &TARGETS);
    if argon.is_empty() && scrypt.is_empty() {
        out.push_str("- **Password KDF:** no KDF figures in this run.\n");
        return out;
    }
    out.push_str(
        "- **Password KDF:** Argon2id, with the setting for the wait you accept when a backup is \
         made or restored on this host (a slower phone waits longer: scale by the ratio of the \
         two hosts' times):\n\n",
    );
    out.push_str("| wait | Argon2id (`--kdf-params`) | predicted | measured median (IQR) | peak memory | scrypt alternative |\n|---|---|---|---|---|---|\n");
    for (index, &target) in TARGETS.iter().enumerate() {
        // A measured check is the recommendation; the grid's model only stands in without one.
        let (setting, predicted, measured, peak) =
            match (recommend::check_for(run, target), argon.get(index)) {
                (Some(check), _) => (
                    format!("`{}`", check.params),
                    check
                        .predicted_seconds
                        .map_or_else(|| "–".to_owned(), seconds),
                    seconds_iqr(&check.seconds),
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
            |choice| format!("`{}`, {}", choice.setting.params(), predicted_text(choice)),
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
         count fits, then the most passes that fit. `cargo xtask bench` then measures the \
         chosen setting; when that misses the target by more than −25 %/+10 %, it scales the \
         model by the miss and measures the setting the corrected model picks (the \
         \"measured\" column is that final setting). Memory comes first because it is what \
         makes password guessing expensive on GPUs; restoring needs that memory free too \
         (e2eb's default caps allow at most half of physical memory).\n",
    );
    out
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

fn mib_or_kib(bytes: u64) -> String {
    crate::bench::aead::size_label(bytes as usize)
}

/// One host's report.
pub fn host_report(run: &Run, runs: &[Run], charts: &[String]) -> String {
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
    out.push_str(&recommendations(run));
    out.push_str(&crate::tune::attacker_section(run));

    if !run.aead.is_empty() {
        out.push_str("\n## AEAD throughput\n\n");
        out.push_str(
            "Sealing (encrypt and tag) and opening (verify and decrypt) one message through \
             e2eb's `ChunkAead` interface, in GB/s, median (IQR). One column pair per AEAD \
             backend of this build (each picks AES-NI/PCLMULQDQ/AVX2/VAES or AVX-512 code at run \
             time as its library supports; backups are the same bytes whichever runs); \
             *software-only*: ",
        );
        out.push_str(
            run.method
                .soft
                .as_ref()
                .map_or("not run", |soft| soft.label.as_str()),
        );
        out.push_str("; *OpenSSL*: ");
        match &run.method.openssl {
            Some(reference) => {
                let _ = write!(
                    out,
                    "{}, `{}` (TLS-like: 13 bytes of associated data per message, which e2eb does \
                     not use).",
                    reference.version, reference.command
                );
            }
            None => out.push_str("not run."),
        }
        out.push('\n');
        for suite in SUITES {
            aead_table(&mut out, run, suite);
            chart_link(
                &mut out,
                charts,
                &format!("aead-{suite}"),
                &format!("{} throughput", suite_title(suite)),
            );
        }
    }

    if !run.stream.is_empty() {
        let _ = writeln!(
            out,
            "\n## Backup stream\n\nA whole backup in memory (header with a recovery-key slot, then \
             the payload sealed in 16 KiB chunks), {} of plaintext per pass, one pass per sample. \
             Speedup is the median over the median at one thread of the same backend and mode; \
             efficiency is speedup per thread.\n",
            mib(run.method.stream_plaintext_bytes)
        );
        out.push_str(
            "*stream*: `encrypt_stream` / `decrypt_stream` from a byte slice into a `Vec`, the \
             pipeline for any reader and writer, whose reads and writes (two copies) are the \
             calling thread's alone; *by-offsets* (where measured): `encrypt_file` / \
             `decrypt_file` from a byte slice into a `Vec`, the CLI's path for a named file, \
             where the pool threads read the chunks they seal or open and the calling thread \
             only writes; *in-memory*: `encrypt_into` / `decrypt_into`, each chunk copied and \
             sealed by the thread that owns it; *in-place* (where measured): \
             `encrypt_in_place` / `decrypt_in_place`, the buffer (refilled untimed before each \
             pass) turned into the backup or back, each chunk sealed or opened where it lies and \
             then moved into place; *buffer* (where measured): `Encryptor::backup_buffer_in` + \
             `BackupBuffer::seal` / `Decryptor::open_buffer`, every chunk sealed or opened where \
             it lies in the backup and nothing moved (the plaintext, laid out in the chunks' \
             windows as a caller's reads would put it, or the backup refilled untimed before \
             each pass). Refills run on as many threads as the pass they prepare: on one, the \
             other CPUs of a virtual machine could fall asleep, and their wake-up landed in the \
             timed pass.\n\n",
        );
        out.push_str("| suite | direction | backend | mode | threads | GB/s median (IQR) | speedup | efficiency |\n|---|---|---|---|---|---|---|---|\n");
        for figure in &run.stream {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                suite_title(&figure.suite),
                figure.direction,
                figure.backend_name(),
                figure.mode_name(),
                figure.threads,
                gbps_iqr(&figure.bytes_per_second),
                figure.speedup.map_or("–".into(), |s| format!("{s:.2}×")),
                figure
                    .efficiency
                    .map_or("–".into(), |e| format!("{:.0} %", e * 100.0)),
            );
        }
        chart_link(&mut out, charts, "stream-speedup", "stream speedup");
        memory_ceiling_table(&mut out, run);
    }

    if run.kdf.iter().any(|f| f.role == "grid") {
        out.push_str("\n## Password KDFs\n\n");
        out.push_str(
            "Seconds per derivation, median (IQR), each setting in a child process of its own. \
             Each derivation is a backup made with one password slot (the KDF plus microseconds \
             of key wrapping). Peak memory is the child's resident high-water mark above its \
             baseline.\n",
        );
        argon_table(&mut out, run);
        let mut lanes: Vec<u32> = run
            .kdf
            .iter()
            .filter_map(|f| match f.setting {
                KdfSetting::Argon2id { lanes, .. } => Some(lanes),
                _ => None,
            })
            .collect();
        lanes.sort_unstable();
        lanes.dedup();
        for lane_count in lanes {
            chart_link(
                &mut out,
                charts,
                &format!("kdf-argon2id-p{lane_count}"),
                &format!("Argon2id time, p = {lane_count}"),
            );
        }
        scrypt_table(&mut out, run);
        chart_link(&mut out, charts, "kdf-scrypt", "scrypt time");
    }
    if let Some(comparison) = &run.argon2_reference {
        argon2_reference_table(&mut out, comparison);
    }

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

fn aead_table(out: &mut String, run: &Run, suite: &str) {
    let mut sizes: Vec<u64> = run
        .aead
        .iter()
        .filter(|f| f.suite == suite)
        .map(|f| f.size_bytes)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() {
        return;
    }
    let figure = |(implementation, backend, _): &AeadLine<'_>, direction: &str, size: u64| {
        run.aead.iter().find(|f| {
            f.suite == suite
                && f.implementation == *implementation
                && (backend.is_none() || Some(f.backend_name()) == *backend)
                && f.direction == direction
                && (size == 0 || f.size_bytes == size)
        })
    };
    let columns: Vec<(AeadLine<'_>, &str)> = aead_lines(run)
        .into_iter()
        .flat_map(|line| ["seal", "open"].map(|direction| (line.clone(), direction)))
        .filter(|(line, direction)| figure(line, direction, 0).is_some())
        .collect();
    let has_openssl = columns
        .iter()
        .any(|((implementation, _, _), _)| *implementation == "openssl");
    let _ = write!(out, "\n### {}\n\n| size |", suite_title(suite));
    for ((_, _, title), direction) in &columns {
        let _ = write!(out, " {title} {direction} |");
    }
    if has_openssl {
        out.push_str(" fastest backend / OpenSSL (seal) |");
    }
    out.push_str("\n|---|");
    for _ in &columns {
        out.push_str("---|");
    }
    if has_openssl {
        out.push_str("---|");
    }
    out.push('\n');
    for size in sizes {
        let _ = write!(out, "| {} |", mib_or_kib(size));
        for (line, direction) in &columns {
            let cell = figure(line, direction, size)
                .map_or_else(|| "–".to_owned(), |f| gbps_iqr(&f.bytes_per_second));
            let _ = write!(out, " {cell} |");
        }
        if has_openssl {
            let fastest = run
                .aead
                .iter()
                .filter(|f| {
                    f.implementation == "native"
                        && f.suite == suite
                        && f.direction == "seal"
                        && f.size_bytes == size
                })
                .max_by(|a, b| {
                    a.bytes_per_second
                        .median
                        .total_cmp(&b.bytes_per_second.median)
                });
            let ratio = fastest
                .zip(run.aead_figure("openssl", suite, "seal", size))
                .map_or_else(
                    || "–".to_owned(),
                    |(ours, theirs)| {
                        format!(
                            "{:.2}",
                            ours.bytes_per_second.median / theirs.bytes_per_second.median
                        )
                    },
                );
            let _ = write!(out, " {ratio} |");
        }
        out.push('\n');
    }
}

fn argon_table(out: &mut String, run: &Run) {
    let grid: Vec<(u32, u32, u32, &KdfFigure)> = run
        .kdf
        .iter()
        .filter(|f| f.role == "grid")
        .filter_map(|f| match f.setting {
            KdfSetting::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => Some((memory_kib, passes, lanes, f)),
            _ => None,
        })
        .collect();
    if grid.is_empty() {
        return;
    }
    let mut columns: Vec<(u32, u32)> = grid.iter().map(|&(_, t, p, _)| (p, t)).collect();
    columns.sort_unstable();
    columns.dedup();
    let mut memories: Vec<u32> = grid.iter().map(|&(m, _, _, _)| m).collect();
    memories.sort_unstable();
    memories.dedup();
    out.push_str("\n### Argon2id\n\n| m |");
    for (p, t) in &columns {
        let _ = write!(out, " t={t} p={p} |");
    }
    out.push_str(" peak memory (largest) |\n|---|");
    for _ in &columns {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for memory in memories {
        let _ = write!(out, "| {} |", mib(u64::from(memory) * 1024));
        let mut peak = None::<u64>;
        for &(p, t) in &columns {
            let figure = grid
                .iter()
                .find(|&&(m, passes, lanes, _)| m == memory && passes == t && lanes == p);
            let cell =
                figure.map_or_else(|| "–".to_owned(), |(_, _, _, f)| seconds_iqr(&f.seconds));
            if let Some(bytes) = figure.and_then(|(_, _, _, f)| f.peak_over_baseline()) {
                peak = Some(peak.map_or(bytes, |current| current.max(bytes)));
            }
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {} |", peak.map_or_else(|| "–".to_owned(), mib));
    }
}

fn scrypt_table(out: &mut String, run: &Run) {
    let rows: Vec<&KdfFigure> = run
        .kdf
        .iter()
        .filter(|f| f.role == "grid" && matches!(f.setting, KdfSetting::Scrypt { .. }))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("\n### scrypt\n\n| setting | memory | seconds median (IQR) | peak memory |\n|---|---|---|---|\n");
    for figure in rows {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            figure.params,
            mib(figure.memory_bytes),
            seconds_iqr(&figure.seconds),
            figure
                .peak_over_baseline()
                .map_or_else(|| "–".to_owned(), mib)
        );
    }
}

/// The cross-host comparison.
pub fn index_report(hosts: &[(String, Vec<Run>)]) -> String {
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

/// The short table printed at the end of `cargo xtask bench`.
pub fn summary(run: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\ne2eb bench ({}) on {}: medians, IQR in parentheses",
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
    if !run.notes.is_empty() {
        out.push('\n');
        for note in &run.notes {
            let _ = writeln!(out, "note: {note}");
        }
    }
    out
}

/// The memory ceiling per thread count, with how close the fastest in-place encryption came
/// to it and what speedup it leaves room for.
fn memory_ceiling_table(out: &mut String, run: &Run) {
    if run.memory_ceiling.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### Memory ceiling\n\nOne pass that reads and writes every byte of a buffer laid out \
         as the backups above ({}), in the same 16 KiB pieces shared out over the threads, with \
         no cryptography (each byte XORed with a constant), refilled untimed before each pass as \
         the in-place modes' buffers are. No mode that seals or opens in place can beat it on \
         as many threads; where one thread already comes close, no speedup can be large. \
         *Fastest in place* is the fastest `in-place` or `buffer` encryption (any suite and \
         backend) on that many threads.\n\n\
         | threads | GB/s median (IQR) | fastest in place | share of the ceiling | most speedup it allows (ceiling over the fastest on 1 thread) |\n\
         |---|---|---|---|---|",
        mib(run.memory_ceiling[0].bytes)
    );
    let fastest = |threads: usize| {
        run.stream
            .iter()
            .filter(|figure| {
                figure.threads == threads
                    && figure.direction == "encrypt"
                    && matches!(figure.mode_name(), "in-place" | "buffer")
            })
            .max_by(|a, b| {
                a.bytes_per_second
                    .median
                    .total_cmp(&b.bytes_per_second.median)
            })
    };
    let single = fastest(1).map(|figure| figure.bytes_per_second.median);
    for ceiling in &run.memory_ceiling {
        let best = fastest(ceiling.threads);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            ceiling.threads,
            gbps_iqr(&ceiling.bytes_per_second),
            best.map_or("–".into(), |figure| format!(
                "{} ({} {} {})",
                gbps(figure.bytes_per_second.median),
                suite_title(&figure.suite),
                figure.backend_name(),
                figure.mode_name()
            )),
            best.map_or("–".into(), |figure| format!(
                "{:.0} %",
                100.0 * figure.bytes_per_second.median / ceiling.bytes_per_second.median
            )),
            single
                .filter(|&rate| rate > 0.0)
                .map_or("–".into(), |rate| format!(
                    "{:.2}×",
                    ceiling.bytes_per_second.median / rate
                )),
        );
    }
}

/// e2eb's Argon2id beside the reference C code: times per lane count, each implementation's
/// speedup over one lane, and e2eb's time over each C build's.
fn argon2_reference_table(out: &mut String, comparison: &Argon2Reference) {
    let _ = writeln!(
        out,
        "\n### Argon2id against the reference C code\n\nm = {}, t = {}: seconds per derivation, \
         median (IQR), {} interleaved rounds, each running every implementation once per lane \
         count. The reference C code (the source distribution of `argon2-cffi-bindings`, fetched \
         with pip) is built with gcc at run time, once for its AVX2 code path and once for this \
         CPU (`-march=native`); its times are one process per derivation. Both sides allocate \
         their memory afresh for each derivation and wipe it, and their hashes are checked to \
         agree first.\n",
        mib(u64::from(comparison.memory_kib) << 10),
        comparison.passes,
        comparison.rounds
    );
    out.push_str("| implementation |");
    for lanes in &comparison.lanes {
        let _ = write!(out, " p = {lanes} |");
    }
    for lanes in comparison.lanes.iter().skip(1) {
        let _ = write!(out, " p = {lanes} over p = {} |", comparison.lanes[0]);
    }
    out.push_str("\n|---|");
    for _ in 0..comparison.lanes.len() * 2 - 1 {
        out.push_str("---|");
    }
    out.push('\n');
    for implementation in &comparison.implementations {
        let _ = write!(out, "| {} |", implementation.name);
        for summary in &implementation.seconds {
            let _ = write!(out, " {} |", seconds_iqr(summary));
        }
        for summary in implementation.seconds.iter().skip(1) {
            let _ = write!(
                out,
                " {:.2}× |",
                implementation.seconds[0].median / summary.median
            );
        }
        out.push('\n');
    }
    if let Some(e2eb) = comparison.e2eb() {
        out.push('\n');
        for reference in comparison.references() {
            let ratios: Vec<String> = comparison
                .lanes
                .iter()
                .zip(e2eb.seconds.iter().zip(&reference.seconds))
                .map(|(lanes, (own, theirs))| {
                    format!("{:.3} at p = {lanes}", own.median / theirs.median)
                })
                .collect();
            let _ = writeln!(
                out,
                "e2eb's time over {}'s: {}.",
                reference.name,
                ratios.join(", ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn renders_every_chart_of_a_full_run() {
        let names: Vec<String> = charts_for(&sample_run())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "aead-aes-256-gcm",
                "aead-chacha20-poly1305",
                "stream-speedup",
                "kdf-argon2id-p1",
                "kdf-argon2id-p2",
                "kdf-scrypt"
            ]
        );
    }

    #[test]
    fn host_report_has_tables_charts_and_recommendations() {
        let run = sample_run();
        let charts: Vec<String> = charts_for(&run).into_iter().map(|(n, _)| n).collect();
        let text = host_report(&run, std::slice::from_ref(&run), &charts);
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
        let summary = summary(&run);
        assert!(
            summary.contains("p=2: e2eb's time over C reference, AVX2 (AVX2)'s: 1.082"),
            "{summary}"
        );
        assert!(
            summary
                .contains("memory ceiling (read and write in place)            2     11.50 (0.50)"),
            "{summary}"
        );
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
        for chart in ["aead-aes-256-gcm", "stream-speedup", "kdf-argon2id-p1"] {
            for extension in ["svg", "png"] {
                let path = folder.join(format!("test-cpu-2t-8g/charts/{chart}.{extension}"));
                assert!(path.is_file(), "{}", path.display());
            }
        }
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn summary_lists_the_key_figures() {
        let text = summary(&sample_run());
        assert!(text.contains("AES-256-GCM"));
        assert!(text.contains("software-only"));
        assert!(text.contains("1.55×"), "{text}");
        assert!(text.contains("m=262144,t=2,p=2"));
    }
}
