//! `cargo xtask argon2-reference`: runs the comparison of e2eb's Argon2id with the reference C
//! implementation and prints every implementation's times and the ratios between them.

use crate::argon2_reference::{Options, compare, ratios};

pub fn run(options: Options) -> Result<(), String> {
    eprintln!(
        "Argon2id m={} MiB, t={}, p in {:?}: {} rounds, interleaved",
        options.memory_mib, options.passes, options.lanes, options.rounds
    );
    let comparison = compare(&options, |round| {
        eprint!("\rround {}/{}", round + 1, options.rounds)
    })?;
    eprintln!();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nArgon2id m={} MiB t={}; seconds per derivation, median (IQR) [min–max]; load average \
         at the end: {}",
        options.memory_mib,
        options.passes,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for implementation in &comparison.implementations {
        print!("{:<44}", implementation.name);
        for (&lanes, summary) in comparison.lanes.iter().zip(&implementation.seconds) {
            print!(
                "  p={lanes}: {:.3} ({:.3}) [{:.3}–{:.3}]",
                summary.median, summary.iqr, summary.min, summary.max
            );
        }
        println!();
    }
    println!();
    for line in ratios(&comparison) {
        println!("{line}");
    }
    Ok(())
}
