//! The backup stream section of a host's report: throughput by suite, backend, mode and thread
//! count, the speedup chart, and the memory ceiling the in-place modes are held to.

use std::fmt::Write as _;

use super::{SUITES, chart_link, suite_title};
use crate::charts::{self, Chart, Point, Scale, Series};
use crate::recommend;
use crate::schema::Run;
use crate::units::{gbps, gbps_iqr, mib};

/// Adds the chart of the speedup over one thread, for the default backend and thread mode.
pub fn add_charts(run: &Run, charts: &mut Vec<(String, Chart)>) {
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
}

/// The section, with its table, chart and memory ceiling; nothing without stream figures.
pub fn section(out: &mut String, run: &Run, charts: &[String]) {
    if run.stream.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Backup stream\n\nA whole backup in memory (header with a recovery-key slot, then \
         the payload sealed in 16 KiB chunks), {} of plaintext per pass, one pass per sample. \
         Speedup is the median over the median at one thread of the same backend and mode; \
         efficiency is speedup per thread.\n",
        mib(run.method.stream_plaintext_bytes)
    );
    out.push_str(
        "*stream*: `encrypt` / `unlock` + `decrypt_to` from a byte slice into a `Vec`, the \
         pipeline for any reader and writer (in runs before this library version: \
         `encrypt_stream` / `decrypt_stream`, whose reads were the calling thread's too); \
         *by-offsets* (where measured): `encrypt_file` / `unlock_file` + `decrypt_to` from a \
         byte slice into a `Vec`, the CLI's path for a named file, where the pool threads read \
         the chunks they seal or open and the calling thread only writes; *to-vec* (where \
         measured): `encrypt_to_vec` / `decrypt_to_vec`, a new vector each pass, its page \
         faults included; *buffer* (where measured): `Encryptor::backup_buffer_in` + \
         `BackupBuffer::seal` / `Decryptor::open_buffer`, every chunk sealed or opened where \
         it lies in the backup and nothing moved (the plaintext, laid out in the chunks' \
         windows as a caller's reads would put it, or the backup refilled untimed before \
         each pass). Older runs also have *in-memory* (`encrypt_into` / `decrypt_into`) and \
         *in-place* (`encrypt_in_place` / `decrypt_in_place`), doors the library no longer \
         has. Refills run on as many threads as the pass they prepare: on one, the other CPUs \
         of a virtual machine could fall asleep, and their wake-up landed in the timed pass.\n\n",
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
    chart_link(out, charts, "stream-speedup", "stream speedup");
    memory_ceiling_table(out, run);
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
