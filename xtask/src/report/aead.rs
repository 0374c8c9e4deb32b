//! The AEAD section of a host's report: a table per suite of seal and open throughput by
//! message size for each backend, the software-only build and OpenSSL, and their charts.

use std::fmt::Write as _;

use super::{SUITES, chart_link, implementation_title, mib_or_kib, suite_title};
use crate::charts::{self, Chart, Marker, Point, Scale, Series, XMark};
use crate::recommend;
use crate::schema::Run;
use crate::units::gbps_iqr;

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

/// Adds the throughput chart of each suite.
pub fn add_charts(run: &Run, charts: &mut Vec<(String, Chart)>) {
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
                    // One colour per implementation; seal solid with circles, open dashed with
                    // triangles, so neither hides the other where they coincide. OpenSSL is
                    // measured at a few sizes only: markers, no line inventing values between.
                    let openssl = implementation == "openssl";
                    let open = direction == "open";
                    series.push(Series {
                        name: format!("{title} {direction}"),
                        color: index,
                        dashed: open,
                        line: !openssl,
                        marker: match (openssl, open) {
                            (true, false) => Marker::Square,
                            (true, true) => Marker::Diamond,
                            (false, false) => Marker::Circle,
                            (false, true) => Marker::Triangle,
                        },
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
                    x_marks: vec![XMark {
                        x: recommend::CHUNK_BYTES as f64,
                        label: "e2eb's chunk".into(),
                    }],
                    subtitle: String::new(),
                },
            ));
        }
    }
}

/// The section, with its tables and charts; nothing without AEAD figures.
pub fn section(out: &mut String, run: &Run, charts: &[String]) {
    if run.aead.is_empty() {
        return;
    }
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
        aead_table(out, run, suite);
        chart_link(
            out,
            charts,
            &format!("aead-{suite}"),
            &format!("{} throughput", suite_title(suite)),
        );
    }
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
