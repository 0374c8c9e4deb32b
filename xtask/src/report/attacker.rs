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

/// Where RFC 9106's recommended options are given.
const RFC_9106: &str = "https://www.rfc-editor.org/rfc/rfc9106.html#section-4";

/// Where OWASP's password storage recommendations are given.
const OWASP: &str =
    "https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html";

/// The rows of the attacker table: this host's picks, their scrypt alternatives, e2eb's
/// defaults and the published recommendations, each with what it is.
fn costed_settings(run: &Run, runs: &[Run]) -> Vec<(KdfSetting, String)> {
    let mut rows: Vec<(KdfSetting, String)> = Vec::new();
    let mut add =
        |setting: KdfSetting, label: String| match rows.iter_mut().find(|(s, _)| *s == setting) {
            Some((_, existing)) => {
                let _ = write!(existing, "; {label}");
            }
            None => rows.push((setting, label)),
        };
    for (target, setting) in recommended_settings(run) {
        add(setting, format!("recommended here for {}", seconds(target)));
    }
    let mut scrypt_grid = run.kdf.clone();
    scrypt_grid.extend(
        super::history::older_only_grid(runs, "scrypt")
            .into_iter()
            .map(|b| b.figure.clone()),
    );
    for choice in recommend::scrypt_choices(&scrypt_grid, run.host.memory_bytes, &TARGETS) {
        add(
            choice.setting,
            format!(
                "scrypt alternative here for {}",
                seconds(choice.target_seconds)
            ),
        );
    }
    add(
        super::index::default_argon2id(),
        format!("e2eb's default; [RFC 9106]({RFC_9106})'s second recommended option"),
    );
    add(
        KdfSetting::Argon2id {
            memory_kib: 2 << 20,
            passes: 1,
            lanes: 4,
        },
        format!("[RFC 9106]({RFC_9106})'s first recommended option"),
    );
    add(
        KdfSetting::Argon2id {
            memory_kib: 47104,
            passes: 1,
            lanes: 1,
        },
        format!("[OWASP]({OWASP})'s minimum (first of its equivalent Argon2id settings)"),
    );
    add(
        KdfSetting::Argon2id {
            memory_kib: 19456,
            passes: 2,
            lanes: 1,
        },
        format!("[OWASP]({OWASP})'s minimum (second of its equivalent Argon2id settings)"),
    );
    let scrypt_default = e2eb::ScryptParams::DEFAULT;
    add(
        KdfSetting::Scrypt {
            log_n: scrypt_default.log_n(),
            r: scrypt_default.r(),
            p: scrypt_default.p(),
        },
        format!("e2eb's scrypt default; [OWASP]({OWASP})'s scrypt minimum"),
    );
    rows
}

/// The section on what the recommended settings cost an attacker, in Markdown; empty without
/// KDF figures. `runs` (the host's, `run` last) lend scrypt sizes only older runs measured.
pub fn section(run: &Run, runs: &[Run]) -> String {
    if recommended_settings(run).is_empty() {
        return String::new();
    }
    let gpu = attacker::rtx_4090(attacker::DEFAULT_USD_PER_GPU_HOUR);
    let tables: Vec<(String, AttackerTable)> = costed_settings(run, runs)
        .into_iter()
        .map(|(setting, label)| (label, attacker::attacker_table(&setting.params(), &gpu)))
        .collect();
    let mut out = String::from("\n## What the recommended settings cost an attacker\n\n");
    let _ = writeln!(
        out,
        "Someone who has a backup guesses its password offline. Estimated time and GPU rental \
         for trying every candidate on one {} (on average the password falls after half), for \
         this host's recommended settings, their scrypt alternatives, e2eb's defaults and the \
         settings RFC 9106 and OWASP recommend. These are model estimates, not measurements; \
         the model and its sources follow the table. The last row is a backup whose slot an \
         e2eb vault guards instead: the vault answers {} guesses, then erases the account, so \
         the attacker's chance is fixed whatever the setting and the hardware.\n",
        gpu.name,
        attacker::VAULT_ATTEMPTS
    );
    let classes: Vec<&attacker::AttackerRow> = tables
        .first()
        .map(|(_, table)| table.rows.iter().filter(|row| row.bits < 200.0).collect())
        .unwrap_or_default();
    out.push_str("| setting | what it is | guesses per second |");
    for class in &classes {
        let _ = write!(
            out,
            " {} ({}, {:.0} bits) |",
            class.secret,
            attacker::human_count(class.candidates),
            class.bits
        );
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(classes.len()));
    out.push('\n');
    for (label, table) in &tables {
        let _ = write!(
            out,
            "| `{}` | {label} | {} |",
            table.params,
            attacker::human_count(table.guesses_per_second)
        );
        for row in table.rows.iter().filter(|row| row.bits < 200.0) {
            let _ = write!(
                out,
                " {}, {} |",
                attacker::human_duration(row.seconds_one_gpu),
                attacker::human_usd(row.usd)
            );
        }
        out.push('\n');
    }
    // The vault's row: its figure is a chance, the same for every setting above.
    if let Some((_, table)) = tables.first() {
        let _ = write!(
            out,
            "| any setting | behind an e2eb vault, {} attempts: the chance they find the secret | \
             {} guesses in all |",
            attacker::VAULT_ATTEMPTS,
            attacker::VAULT_ATTEMPTS
        );
        for row in table.rows.iter().filter(|row| row.bits < 200.0) {
            let _ = write!(
                out,
                " {} |",
                attacker::human_odds(row.vault_success_probability)
            );
        }
        out.push('\n');
    }
    out.push('\n');
    if let Some((_, table)) = tables.first() {
        for assumption in &table.assumptions {
            let _ = writeln!(out, "- {}", link_urls(assumption));
        }
    }
    let _ = writeln!(
        out,
        "- {}",
        link_urls(&attacker::anchor_assumption(
            &attacker::SCRYPT_ANCHOR.params
        ))
    );
    out.push_str(
        "\nTo choose settings for another device, record a run there (`e2eb bench -o run.json` \
         needs only the binary; `cargo xtask report --add run.json` adds it here) and run \
         `cargo xtask tune --from reports/<host>/<run>.json --target-ms N`; on the device \
         itself, `e2eb tune --target-ms N`.\n",
    );
    out
}

/// `<https://…>` (how the shared texts mark a link) as a Markdown link named by its host.
fn link_urls(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<http") {
        let Some(length) = rest[start..].find('>') else {
            break;
        };
        let url = &rest[start + 1..start + length];
        let host = url
            .split("//")
            .nth(1)
            .and_then(|tail| tail.split('/').next())
            .unwrap_or(url);
        out.push_str(&rest[..start]);
        let _ = write!(out, "[{host}]({url})");
        rest = &rest[start + length + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::sample_run;

    #[test]
    fn the_report_section_tabulates_the_recommended_settings() {
        let run = sample_run();
        let text = section(&run, std::slice::from_ref(&run));
        for expected in [
            "## What the recommended settings cost an attacker",
            "| `m=262144,t=2,p=2` | recommended here for 250 ms |",
            "| setting | what it is | guesses per second | 6-digit PIN (1,000,000, 20 bits) |",
            "| `m=65536,t=3,p=4` | e2eb's default; [RFC 9106](https://www.rfc-editor.org/rfc/rfc9106.html#section-4)'s second recommended option | 1,667 |",
            "| `m=2097152,t=1,p=4` | [RFC 9106](",
            "| `m=19456,t=2,p=1` | [OWASP](",
            "e2eb's scrypt default; [OWASP](",
            "scrypt alternative here for 1.00 s",
            "$0.50 per GPU-hour",
            "[github.com](https://github.com/hashcat/hashcat/pull/4284)",
            "[gist.github.com](https://gist.github.com/Chick3nman/32e662a5bb63bc4f51b847bb422222fd)",
            "[tobtu.com](https://tobtu.com/minimum-password-settings/)",
            "[www.spheron.network](",
            "scrypt: guesses per second = 0.237",
            "cargo xtask tune --from",
            "| any setting | behind an e2eb vault, 10 attempts: the chance they find the secret \
             | 10 guesses in all | 1 in 100,000 | 1 in 2.1×10^10 |",
            "not stolen together with its database",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("<http"), "{text}");
        let mut empty = sample_run();
        empty.kdf.clear();
        assert_eq!(section(&empty, std::slice::from_ref(&empty)), "");
    }
}
