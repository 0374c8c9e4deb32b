//! The password KDF section of a host's report: the Argon2id and scrypt cost grids as tables
//! and charts, and e2eb's Argon2id beside the reference C code.

use std::fmt::Write as _;

use super::{chart_link, history};
use crate::charts::{self, Chart, Guide, Marker, Point, Scale, Series};
use crate::recommend::TARGETS;
use crate::schema::{Argon2Reference, KdfFigure, KdfSetting, Run};
use crate::stats::Summary;
use crate::units::{mib, seconds_iqr};

/// Adds the time-by-memory chart of Argon2id for each lane count and of scrypt, with the
/// recommendation targets as guides.
pub fn add_charts(run: &Run, runs: &[Run], charts: &mut Vec<(String, Chart)>) {
    let guides: Vec<Guide> = TARGETS
        .iter()
        .map(|&target| Guide {
            y: target,
            label: format!("{} target", charts::format_seconds_axis(target)),
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
    let lanes_measured = lanes.clone();
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
                    name: format!("grid, t = {pass_count}"),
                    color: index,
                    line: true,
                    points,
                    ..Series::default()
                }
            })
            .collect::<Vec<_>>();
        let mut series = series;
        let picks: Vec<Point> = run
            .kdf
            .iter()
            .filter(|f| f.role == "check")
            .filter_map(|f| match f.setting {
                KdfSetting::Argon2id {
                    memory_kib, lanes, ..
                } if lanes == lane_count => {
                    Some(seconds_point(f64::from(memory_kib) / 1024.0, &f.seconds))
                }
                _ => None,
            })
            .collect();
        if !picks.is_empty() {
            series.push(Series {
                name: "recommended picks, measured".into(),
                color: 7,
                marker: Marker::Ring,
                points: picks,
                ..Series::default()
            });
        }
        if let Some((point, label)) = default_point(run, runs, lane_count, &lanes_measured) {
            series.push(Series {
                name: label,
                color: 3,
                marker: Marker::Diamond,
                points: vec![point],
                ..Series::default()
            });
        }
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
                x_marks: Vec::new(),
                subtitle: String::new(),
            },
        ));
    }
    // Every scrypt size measured on the host: the quick profile stops at 128 MiB, while
    // recommendations reach 1 GiB, which only a `full` run measures.
    let mut scrypt_grid = history::merged_grid(runs, "scrypt");
    if scrypt_grid.is_empty() {
        scrypt_grid = run
            .kdf
            .iter()
            .filter(|f| f.role == "grid" && matches!(f.setting, KdfSetting::Scrypt { .. }))
            .cloned()
            .collect();
    }
    let mut scrypt: Vec<Point> = scrypt_grid
        .iter()
        .map(|f| seconds_point(f.memory_bytes as f64 / f64::from(1u32 << 20), &f.seconds))
        .collect();
    scrypt.sort_by(|a, b| a.x.total_cmp(&b.x));
    if !scrypt.is_empty() {
        let default = e2eb::ScryptParams::DEFAULT;
        let default_setting = KdfSetting::Scrypt {
            log_n: default.log_n(),
            r: default.r(),
            p: default.p(),
        };
        let mut scrypt_series = vec![Series {
            name: "grid (r = 8, p = 1)".into(),
            color: 0,
            line: true,
            points: scrypt,
            ..Series::default()
        }];
        if let Some(figure) = scrypt_grid.iter().find(|f| f.setting == default_setting) {
            scrypt_series.push(Series {
                name: format!("e2eb's scrypt default {}", figure.params),
                color: 3,
                marker: Marker::Diamond,
                points: vec![seconds_point(
                    figure.memory_bytes as f64 / f64::from(1u32 << 20),
                    &figure.seconds,
                )],
                ..Series::default()
            });
        }
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
                series: scrypt_series,
                guides,
                x_marks: Vec::new(),
                subtitle: String::new(),
            },
        ));
    }
}

/// e2eb's default Argon2id setting as a point on the chart of `lane_count` lanes: on the chart
/// of its own lane count where the grid has one, else on that of the most lanes below it,
/// measured where any run of the host measured it, else predicted from this chart's grid.
fn default_point(
    run: &Run,
    runs: &[Run],
    lane_count: u32,
    lanes_measured: &[u32],
) -> Option<(Point, String)> {
    let setting = super::index::default_argon2id();
    let KdfSetting::Argon2id {
        memory_kib,
        passes,
        lanes,
    } = setting
    else {
        return None;
    };
    let home = lanes_measured
        .iter()
        .copied()
        .filter(|&l| l <= lanes)
        .max()?;
    if home != lane_count {
        return None;
    }
    let x = f64::from(memory_kib) / 1024.0;
    let name = format!("e2eb's default {}", setting.params());
    if let Some(figure) = history::kdf_figure(run, setting) {
        return Some((
            seconds_point(x, &figure.seconds),
            format!("{name}\nmeasured"),
        ));
    }
    if let Some(spread) = history::setting_seconds(runs, setting) {
        return Some((
            Point::exact(x, spread.median),
            format!(
                "{name}\nmeasured at p = {lanes}, median of {} run{}",
                spread.runs,
                if spread.runs == 1 { "" } else { "s" }
            ),
        ));
    }
    let model = crate::recommend::ArgonModel::fit(&run.kdf, lane_count)?;
    Some((
        Point::exact(x, model.predict(memory_kib / 1024, passes)),
        format!("{name}\npredicted from the p = {lane_count} grid"),
    ))
}

fn seconds_point(x: f64, summary: &Summary) -> Point {
    Point {
        x,
        y: summary.median,
        low: summary.q1,
        high: summary.q3,
    }
}

/// The section: the grids' tables and charts, then the comparison with the reference C code,
/// each only where the run has it.
pub fn section(out: &mut String, run: &Run, runs: &[Run], charts: &[String]) {
    if run.kdf.iter().any(|f| f.role == "grid") {
        out.push_str("\n## Password KDFs\n\n");
        out.push_str(
            "Seconds per derivation, median (IQR), each setting in a child process of its own. \
             Each derivation is a backup made with one password slot (the KDF plus microseconds \
             of key wrapping). Peak memory is the child's resident high-water mark above its \
             baseline.\n",
        );
        argon_table(out, run);
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
                out,
                charts,
                &format!("kdf-argon2id-p{lane_count}"),
                &format!("Argon2id time, p = {lane_count}"),
            );
        }
        scrypt_table(out, run, runs);
        chart_link(out, charts, "kdf-scrypt", "scrypt time");
    }
    if let Some(comparison) = &run.argon2_reference {
        argon2_reference_table(out, comparison);
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

fn scrypt_table(out: &mut String, run: &Run, runs: &[Run]) {
    let mut rows: Vec<(&KdfFigure, String)> = run
        .kdf
        .iter()
        .filter(|f| f.role == "grid" && matches!(f.setting, KdfSetting::Scrypt { .. }))
        .map(|f| (f, "this run".to_owned()))
        .collect();
    for borrowed in history::older_only_grid(runs, "scrypt") {
        rows.push((
            borrowed.figure,
            format!("`{}` run of {}", borrowed.profile, borrowed.timestamp),
        ));
    }
    if rows.is_empty() {
        return;
    }
    rows.sort_by_key(|(f, _)| f.memory_bytes);
    out.push_str("\n### scrypt\n\nSizes the latest run did not reach come from the newest run that measured them.\n\n| setting | memory | seconds median (IQR or [min–max]) | peak memory | measured in |\n|---|---|---|---|---|\n");
    for (figure, source) in rows {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {source} |",
            figure.params,
            mib(figure.memory_bytes),
            seconds_iqr(&figure.seconds),
            figure
                .peak_over_baseline()
                .map_or_else(|| "–".to_owned(), mib)
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
