//! The backup stream section of a host's report: throughput by suite, backend, mode and thread
//! count, the speedup chart, and the memory ceiling the in-place modes are held to.

use std::fmt::Write as _;

use super::{SUITES, chart_link, suite_title};
use crate::charts::{self, Chart, Marker, Point, Scale, Series};
use crate::schema::Run;
use crate::units::{gbps, gbps_iqr, mib};

/// Adds one throughput chart per suite: GB/s by thread count for every mode with the default
/// backend, encryption solid and decryption dashed, against the memory ceiling.
pub fn add_charts(run: &Run, charts: &mut Vec<(String, Chart)>) {
    let backend = run.default_backend();
    let mut modes: Vec<&str> = Vec::new();
    for figure in &run.stream {
        if !modes.contains(&figure.mode_name()) {
            modes.push(figure.mode_name());
        }
    }
    for suite in SUITES {
        let mut series = Vec::new();
        for (index, mode) in modes.iter().enumerate() {
            for direction in ["encrypt", "decrypt"] {
                let mut points: Vec<Point> = run
                    .stream
                    .iter()
                    .filter(|f| {
                        f.suite == suite
                            && f.direction == direction
                            && f.backend_name() == backend
                            && f.mode_name() == *mode
                    })
                    .map(|f| Point {
                        x: f.threads as f64,
                        y: f.bytes_per_second.median / 1e9,
                        low: f.bytes_per_second.q1 / 1e9,
                        high: f.bytes_per_second.q3 / 1e9,
                    })
                    .collect();
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                if !points.is_empty() {
                    series.push(Series {
                        name: format!("{mode} {direction}"),
                        color: index,
                        dashed: direction == "decrypt",
                        line: true,
                        marker: if direction == "decrypt" {
                            Marker::Triangle
                        } else {
                            Marker::Circle
                        },
                        points,
                    });
                }
            }
        }
        if series.is_empty() {
            continue;
        }
        let mut ceiling: Vec<Point> = run
            .memory_ceiling
            .iter()
            .map(|f| Point {
                x: f.threads as f64,
                y: f.bytes_per_second.median / 1e9,
                low: f.bytes_per_second.q1 / 1e9,
                high: f.bytes_per_second.q3 / 1e9,
            })
            .collect();
        ceiling.sort_by(|a, b| a.x.total_cmp(&b.x));
        if !ceiling.is_empty() {
            series.push(Series {
                name: "memory ceiling (no crypto)".into(),
                color: 7,
                dashed: false,
                line: true,
                marker: Marker::Square,
                points: ceiling,
            });
        }
        charts.push((
            format!("stream-{suite}"),
            Chart {
                title: format!(
                    "Backup throughput by threads: {}, {backend}, {} per pass",
                    suite_title(suite),
                    mib(run.method.stream_plaintext_bytes)
                ),
                x_label: "threads".into(),
                y_label: "GB/s of plaintext (median; bar = IQR)".into(),
                x_scale: Scale::Integer,
                y_scale: Scale::Linear,
                x_format: charts::format_number_axis,
                y_format: charts::format_number_axis,
                series,
                guides: Vec::new(),
                x_marks: Vec::new(),
                subtitle: String::new(),
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
    for suite in SUITES {
        chart_link(
            out,
            charts,
            &format!("stream-{suite}"),
            &format!("{} backup throughput", suite_title(suite)),
        );
    }
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
