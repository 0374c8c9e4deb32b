//! The section of a host's report on what its recommended Argon2id settings cost someone who
//! guesses a backup's password offline on rented GPUs.

use std::fmt::Write as _;

use e2eb_measure::attacker::{self, AttackerTable};

use crate::recommend::{self, TARGETS};
use crate::schema::{KdfSetting, Run};
use crate::units::seconds;

/// The Argon2id settings a run's report recommends, one per target in [`TARGETS`]: the
/// measured check, or the grid model's choice without one.
fn recommended_settings(run: &Run) -> Vec<(f64, KdfSetting)> {
    let choices = recommend::argon2id_choices(
        &run.kdf,
        run.host.logical_cpus,
        run.host.memory_bytes,
        &TARGETS,
    );
    TARGETS
        .iter()
        .enumerate()
        .filter_map(|(index, &target)| {
            let setting = recommend::check_for(run, target)
                .map(|check| check.setting)
                .or_else(|| choices.get(index).map(|choice| choice.setting))?;
            Some((target, setting))
        })
        .collect()
}

/// The section on what the recommended settings cost an attacker, in Markdown; empty without
/// KDF figures.
pub fn section(run: &Run) -> String {
    let settings = recommended_settings(run);
    if settings.is_empty() {
        return String::new();
    }
    let gpu = attacker::rtx_4090(attacker::DEFAULT_USD_PER_GPU_HOUR);
    let tables: Vec<(f64, AttackerTable)> = settings
        .iter()
        .map(|&(target, setting)| (target, attacker::attacker_table(&setting.params(), &gpu)))
        .collect();
    let mut out = String::from("\n## What the recommended settings cost an attacker\n\n");
    let _ = writeln!(
        out,
        "Someone who has a backup guesses its password offline. Estimated time and GPU rental \
         for trying every candidate on one {} (on average the password falls after half), for \
         each recommended Argon2id setting:\n",
        gpu.name
    );
    out.push_str("| secret | candidates |");
    for (target, table) in &tables {
        let _ = write!(out, " `{}` ({}) |", table.params, seconds(*target));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(tables.len()));
    out.push_str("\n| guesses per second | |");
    for (_, table) in &tables {
        let _ = write!(
            out,
            " {} |",
            attacker::human_count(table.guesses_per_second)
        );
    }
    out.push('\n');
    let rows = tables.first().map_or(0, |(_, table)| table.rows.len());
    for row_index in 0..rows {
        let first = &tables[0].1.rows[row_index];
        let _ = write!(
            out,
            "| {} | {} ({:.0} bits) |",
            first.secret,
            attacker::human_count(first.candidates),
            first.bits
        );
        for (_, table) in &tables {
            let row = &table.rows[row_index];
            let _ = write!(
                out,
                " {}, {} |",
                attacker::human_duration(row.seconds_one_gpu),
                attacker::human_usd(row.usd)
            );
        }
        out.push('\n');
    }
    out.push('\n');
    if let Some((_, table)) = tables.first() {
        for assumption in &table.assumptions {
            let _ = writeln!(out, "- {assumption}");
        }
    }
    let _ = writeln!(
        out,
        "- {}",
        attacker::anchor_assumption(&attacker::SCRYPT_ANCHOR.params)
    );
    out.push_str(
        "\nTo choose settings for another device, record `cargo xtask bench` there and run \
         `cargo xtask tune --from reports/<host>/<run>.json --target-ms N`; on the device \
         itself, `e2eb tune --target-ms N`.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn the_report_section_tabulates_the_recommended_settings() {
        let text = section(&sample_run());
        for expected in [
            "## What the recommended settings cost an attacker",
            "`m=262144,t=2,p=2` (250 ms)",
            "| guesses per second |",
            "| 6-digit PIN | 1,000,000 (20 bits) |",
            "| recovery key (256 random bits) |",
            "$0.50 per GPU-hour",
            "scrypt: guesses per second = 0.237",
            "cargo xtask tune --from",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let mut empty = sample_run();
        empty.kdf.clear();
        assert_eq!(section(&empty), "");
    }
}
