//! The vault section of a host's report: an `e2eb-vault` server's registrations and logins per
//! second on loopback by storage engine and number of clients, with latencies, per-core figures
//! and a throughput chart, and the engines not measured with the reason.

use std::fmt::Write as _;

use super::chart_link;
use crate::charts::{self, Chart, Marker, Point, Scale, Series};
use crate::schema::Run;
use crate::schema::vault::{PER_CORE_CPU_TIME, VaultFigure, VaultSection};
use crate::units::seconds;

/// The operations in the order the tables show them, with their column titles.
const OPERATIONS: [(&str, &str); 3] = [
    ("register", "registrations"),
    ("login", "logins"),
    ("wrong-login", "wrong-password logins"),
];

/// `sqlite` → `SQLite`, `postgresql` → `PostgreSQL`.
pub fn engine_title(engine: &str) -> &str {
    match engine {
        "sqlite" => "SQLite",
        "postgresql" => "PostgreSQL",
        other => other,
    }
}

/// Operations per second for people: `1,234` from a thousand on, else three figures.
fn rate(value: f64) -> String {
    if value >= 1000.0 {
        e2eb_measure::attacker::human_count(value)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// A latency, with a decimal below 10 ms where whole milliseconds would hide it.
fn latency(value: f64) -> String {
    if value < 0.01 {
        format!("{:.1} ms", value * 1000.0)
    } else {
        seconds(value)
    }
}

/// Adds the throughput chart: operations per second by clients, one line per engine and
/// operation.
pub fn add_charts(run: &Run, charts: &mut Vec<(String, Chart)>) {
    let Some(vault) = &run.vault else { return };
    let mut series = Vec::new();
    for (engine_index, engine) in vault.engines().into_iter().enumerate() {
        for (index, (operation, title)) in OPERATIONS.iter().enumerate() {
            let mut points: Vec<Point> = vault
                .figures
                .iter()
                .filter(|f| f.engine == engine && f.operation == *operation)
                .map(|f| Point {
                    x: f.clients as f64,
                    y: f.per_second,
                    low: f.per_second,
                    high: f.per_second,
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            if points.is_empty() {
                continue;
            }
            series.push(Series {
                name: format!("{} {title}", engine_title(engine)),
                color: index,
                dashed: engine_index > 0,
                line: true,
                marker: [Marker::Circle, Marker::Triangle, Marker::Square][engine_index % 3],
                points,
            });
        }
    }
    if series.is_empty() {
        return;
    }
    charts.push((
        "vault-throughput".to_owned(),
        Chart {
            title: "Vault server: operations per second by concurrent clients (loopback)".into(),
            x_label: "concurrent clients".into(),
            y_label: "operations per second".into(),
            x_scale: Scale::Log2,
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

/// The section from `run` (the host's latest run with a vault section), in Markdown; nothing
/// without one. `page` is the run the rest of the page shows: when it is another, the section
/// names its own.
pub fn section(out: &mut String, run: Option<&Run>, page: &Run, charts: &[String]) {
    let Some((run, vault)) = run.and_then(|run| Some((run, run.vault.as_ref()?))) else {
        return;
    };
    out.push_str("\n## Vault server\n\n");
    if run.host.timestamp != page.host.timestamp {
        let _ = writeln!(
            out,
            "From run {} (profile `{}`, commit `{}`), the latest that measured the vault.\n",
            run.host.timestamp,
            run.profile,
            run.host
                .git_commit
                .as_deref()
                .map_or("unknown", |c| &c[..c.len().min(12)])
        );
    }
    let _ = writeln!(
        out,
        "How many registrations and logins an `e2eb-vault` server answers per second on this \
         host, over SQLite and PostgreSQL, with 1 to {} clients at once on loopback, each phase \
         {} long. A *wrong-password login* is the attack path: it spends one of the account's \
         attempts and records it, a write to the database like a registration's. Cells: \
         operations per second, then the median and 99th-percentile latency of one operation \
         (two requests); each phase ran once, so a cell is one measurement with no spread to \
         judge it by. *Per core*: {}\n",
        vault.client_counts().last().copied().unwrap_or(0),
        seconds(vault.phase_seconds),
        if vault.per_core_basis == PER_CORE_CPU_TIME {
            "operations per CPU-second the server spent (plus, for PostgreSQL, its cluster's \
             processes), read from /proc: what one fully busy core would sustain."
        } else {
            "operations per second over the host's logical CPUs (the server's CPU time could \
             not be read on this host)."
        }
    );
    out.push_str(
        "The load clients stretch the password with the identity function instead of \
         Argon2id (64 MiB): OPAQUE runs that step on the client alone, so the server gets the \
         same messages and does the same work, and these figures are the server's, not those \
         of clients paying for Argon2id on the same CPUs. A real client adds its own Argon2id \
         (a fraction of a second on a phone) to each registration and login, which loads the \
         client, not the server.\n\n",
    );
    for skip in &vault.skipped {
        let _ = writeln!(
            out,
            "**{} not measured:** {}\n",
            engine_title(&skip.engine),
            skip.reason
        );
    }
    if vault.figures.is_empty() {
        return;
    }
    headline(out, vault);
    out.push_str("| engine | clients |");
    for (_, title) in OPERATIONS {
        let _ = write!(out, " {title}/s (p50 / p99) |");
    }
    for (_, title) in OPERATIONS {
        let _ = write!(out, " {title}/s per core |");
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(2 * OPERATIONS.len()));
    out.push('\n');
    for engine in vault.engines() {
        for clients in vault.client_counts() {
            let figures: Vec<_> = OPERATIONS
                .iter()
                .map(|(operation, _)| vault.figure(engine, operation, clients))
                .collect();
            if figures.iter().all(Option::is_none) {
                continue;
            }
            let _ = write!(out, "| {} | {clients} |", engine_title(engine));
            for figure in &figures {
                let cell = figure.map_or_else(
                    || "–".to_owned(),
                    |f| {
                        format!(
                            "{} ({} / {})",
                            rate(f.per_second),
                            latency(f.latency_p50_seconds),
                            latency(f.latency_p99_seconds)
                        )
                    },
                );
                let _ = write!(out, " {cell} |");
            }
            for figure in &figures {
                let cell = figure.map_or_else(|| "–".to_owned(), |f| rate(f.per_core_per_second));
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
    }
    chart_link(
        out,
        charts,
        "vault-throughput",
        "Vault server operations per second by concurrent clients",
    );
    let _ = writeln!(
        out,
        "\nMethod: {}",
        vault.method.trim_end_matches('.').to_owned() + "."
    );
    if run.host.hypervisor || run.host.logical_cpus <= 2 {
        out.push_str(
            "\nThe load clients run on the same CPUs as the server (and, for PostgreSQL, its \
             database): on a host of few, shared CPUs the absolute rates say more about the \
             host than about the server, and the per-core figures are the ones to compare.\n",
        );
    }
    if vault.per_core_basis == PER_CORE_CPU_TIME {
        out.push_str(
            "\nWhere operations per second stop growing with clients while the server (with \
             its database) keeps well under one core busy, as the share in the sentence above \
             the table shows, the limit is not CPU but waiting: for commits to reach the disk, \
             and for the one connection each engine serialises its statements on (SQLite's, and \
             PostgreSQL's pipelined one). The per-core figure is then what the CPU alone would \
             allow, not what this setup reaches.\n",
        );
    }
}

/// `1 client`, `4 clients`.
fn clients_text(clients: usize) -> String {
    format!("{clients} client{}", if clients == 1 { "" } else { "s" })
}

/// One sentence per engine: its best login rate, and the per-core figures at that point.
fn headline(out: &mut String, vault: &VaultSection) {
    let mut parts = Vec::new();
    for engine in vault.engines() {
        let (Some(login), Some(wrong)) = (
            vault.best(engine, "login"),
            vault.best(engine, "wrong-login"),
        ) else {
            continue;
        };
        let busy = |figure: &VaultFigure| {
            figure.cpu_busy().map_or(String::new(), |share| {
                format!(" (the server busy {:.0} % of one core)", share * 100.0)
            })
        };
        parts.push(format!(
            "{} peaks at {} logins/s ({} per core, p99 {}) at {}{} and {} wrong-password \
             logins/s ({} per core) at {}{}",
            engine_title(engine),
            rate(login.per_second),
            rate(login.per_core_per_second),
            latency(login.latency_p99_seconds),
            clients_text(login.clients),
            busy(login),
            rate(wrong.per_second),
            rate(wrong.per_core_per_second),
            clients_text(wrong.clients),
            busy(wrong)
        ));
    }
    if !parts.is_empty() {
        let _ = writeln!(out, "{}.\n", parts.join("; "));
    }
}

/// The index's headline for a host: logins per second per core by engine at the best login
/// rate, e.g. `SQLite 1,234 · PostgreSQL 567`; `None` without vault figures.
pub fn headline_per_core(run: &Run) -> Option<String> {
    let vault = run.vault.as_ref()?;
    let parts: Vec<String> = vault
        .engines()
        .into_iter()
        .filter_map(|engine| {
            let best = vault.best(engine, "login")?;
            Some(format!(
                "{} {}",
                engine_title(engine),
                rate(best.per_core_per_second)
            ))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The lines `cargo xtask bench` prints for the vault section.
pub fn summary(vault: &VaultSection) -> String {
    let mut out = format!(
        "\n{:<22} {:>22} {:>22} {:>22} {:>14}\n",
        "vault, ops/s (p99)", "registrations", "logins", "wrong-password logins", "logins/core"
    );
    for engine in vault.engines() {
        for clients in vault.client_counts() {
            let cell = |operation: &str| {
                vault.figure(engine, operation, clients).map_or_else(
                    || "–".to_owned(),
                    |f| {
                        format!(
                            "{} ({})",
                            rate(f.per_second),
                            latency(f.latency_p99_seconds)
                        )
                    },
                )
            };
            let per_core = vault
                .figure(engine, "login", clients)
                .map_or_else(|| "–".to_owned(), |f| rate(f.per_core_per_second));
            let _ = writeln!(
                out,
                "{:<22} {:>22} {:>22} {:>22} {:>14}",
                format!("{} x{clients}", engine_title(engine)),
                cell("register"),
                cell("login"),
                cell("wrong-login"),
                per_core
            );
        }
    }
    for skip in &vault.skipped {
        let _ = writeln!(
            out,
            "vault: {} not measured: {}",
            engine_title(&skip.engine),
            skip.reason
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::{sample_run, sample_vault_skipped};

    #[test]
    fn the_section_tabulates_engines_by_clients() {
        let run = sample_run();
        let mut out = String::new();
        section(&mut out, Some(&run), &run, &["vault-throughput".to_owned()]);
        for expected in [
            "## Vault server",
            "with 1 to 2 clients at once on loopback, each phase 1.00 s long",
            "| engine | clients | registrations/s (p50 / p99) | logins/s (p50 / p99) | \
             wrong-password logins/s (p50 / p99) | registrations/s per core | logins/s per core \
             | wrong-password logins/s per core |",
            // 400 logins/s at one client: p50 1/400 s, p99 3/400 s, 400 / 0.8 CPU-s per core
            // (3/480 s is 6.25 ms, shown 6.2).
            "| SQLite | 1 | 480 (2.1 ms / 6.2 ms) | 400 (2.5 ms / 7.5 ms) | 320 (3.1 ms / 9.4 ms) \
             | 600 | 500 | 400 |",
            // PostgreSQL's per core counts the database's 0.3 CPU-s too: 375 / 1.1.
            "| PostgreSQL | 2 | 450 (4.4 ms / 13 ms) | 375 (5.3 ms / 16 ms) | 300 (6.7 ms / 20 ms) \
             | 409 | 341 | 273 |",
            "SQLite peaks at 600 logins/s (750 per core, p99 10 ms) at 2 clients (the server busy \
             80 % of one core) and 480 wrong-password logins/s (600 per core) at 2 clients",
            "PostgreSQL peaks at 375 logins/s (341 per core, p99 16 ms) at 2 clients (the server \
             busy 110 % of one core)",
            "the limit is not CPU but waiting",
            "identity function instead of Argon2id",
            "charts/vault-throughput.svg",
            "Method: loopback HTTP, identity KSF on the clients.",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in\n{out}");
        }
        assert!(!out.contains("not measured"), "{out}");
        assert!(!out.contains("From run"), "{out}");

        // A later run of the vault alone: the page's other sections keep their run.
        let mut later = run.clone();
        later.host.timestamp = "2026-12-01T00:00:00Z".into();
        let mut out = String::new();
        section(&mut out, Some(&later), &run, &[]);
        assert!(
            out.contains(
                "From run 2026-12-01T00:00:00Z (profile `tiny`, commit `0123456789ab`), the \
                 latest that measured the vault."
            ),
            "{out}"
        );
    }

    #[test]
    fn a_skipped_engine_says_why() {
        let mut run = sample_run();
        run.vault = Some(sample_vault_skipped());
        let mut out = String::new();
        section(&mut out, Some(&run), &run, &[]);
        assert!(
            out.contains(
                "**PostgreSQL not measured:** PostgreSQL is not installed (no \
                 /usr/lib/postgresql/*/bin/initdb)"
            ),
            "{out}"
        );
        assert!(!out.contains("| PostgreSQL |"), "{out}");
        assert!(!out.contains("charts/vault-throughput"), "{out}");
        assert_eq!(headline_per_core(&run).as_deref(), Some("SQLite 750"));
    }

    #[test]
    fn the_printed_summary_has_a_line_per_engine_and_clients() {
        let text = summary(&sample_vault_skipped());
        assert!(text.contains("SQLite x1"), "{text}");
        assert!(text.contains("400 (7.5 ms)"), "{text}");
        assert!(
            text.contains("vault: PostgreSQL not measured: PostgreSQL is not installed"),
            "{text}"
        );
    }

    #[test]
    fn runs_without_a_vault_section_have_none() {
        let mut run = sample_run();
        run.vault = None;
        let mut out = String::new();
        section(&mut out, Some(&run), &run, &[]);
        assert_eq!(out, "");
        section(&mut out, None, &run, &[]);
        assert_eq!(out, "");
        let mut charts = Vec::new();
        add_charts(&run, &mut charts);
        assert!(charts.is_empty());
        assert_eq!(headline_per_core(&run), None);
    }

    #[test]
    fn the_chart_has_a_line_per_engine_and_operation() {
        let mut charts = Vec::new();
        add_charts(&sample_run(), &mut charts);
        assert_eq!(charts.len(), 1);
        let (stem, chart) = &charts[0];
        assert_eq!(stem, "vault-throughput");
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "SQLite registrations",
                "SQLite logins",
                "SQLite wrong-password logins",
                "PostgreSQL registrations",
                "PostgreSQL logins",
                "PostgreSQL wrong-password logins"
            ]
        );
        assert!(chart.series.iter().all(|s| s.points.len() == 2));
    }
}
