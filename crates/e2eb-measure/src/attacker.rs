//! What a KDF setting costs an attacker who has a backup and guesses its password on GPUs.
//!
//! A memory-bandwidth model: a guess must move a known number of bytes through the GPU's
//! memory, so guesses per second are at most the GPU's bandwidth over the bytes per guess.
//! Real crackers reach a fraction of that, different per KDF; the fraction comes from a
//! published measurement of each KDF on the reference GPU (the anchor), so the model
//! reproduces the anchor exactly and scales from it by bytes moved.
//!
//! Bytes moved per guess:
//! - Argon2id: `(3t − 1) · m` — each 1 KiB block is written once per pass after reading the
//!   block it references; from the second pass on the block it overwrites is read too
//!   (2 block accesses in the first pass, 3 in each later one). The previous block stays in
//!   registers or cache. Lanes do not change the total.
//! - scrypt: `2 · 128·r·N · p` — ROMix writes its `N` blocks of `128·r` bytes, then reads `N`
//!   of them back in data-dependent order; `p` instances do it in turn.
//!
//! What the model leaves out, and which way that errs: GPU crackers do not slow down as memory
//! grows beyond what makes them bandwidth-bound (fewer instances fit in the GPU's memory and
//! latency is hidden worse), so for settings far above the anchors' 64 MiB and 16 MiB the
//! model's attacker is faster, and the costs lower, than a real one: the figures are a floor
//! on the attacker's cost. Scrypt's anchor reaches only about a quarter of the bandwidth
//! because crackers trade memory for recomputation (a time-memory trade-off); the model keeps
//! that fraction at every size.

use e2eb::KdfParams;

use crate::family::{iterations_of, memory_of};

/// Guesses an e2eb vault gives an account before it erases it (`e2eb-vault serve`'s default
/// `--max-attempts`, VAULT.md): a slot behind a vault falls to a guesser with probability
/// `VAULT_ATTEMPTS / candidates`, whatever the KDF and the attacker's hardware.
pub const VAULT_ATTEMPTS: u32 = 10;

/// A GPU the attacker rents.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Gpu {
    pub name: &'static str,
    /// Memory bandwidth, bytes per second.
    pub bandwidth_bytes_per_second: f64,
    pub memory_bytes: u64,
    /// Rental price, US dollars per GPU-hour.
    pub usd_per_hour: f64,
    /// Where the bandwidth and memory come from.
    pub source: &'static str,
}

/// The default rental price of an RTX 4090, in US dollars per hour: an assumption in the
/// range of 2025–2026 cloud offers (roughly $0.34–$0.55, see [`PRICE_SOURCES`]). Change it
/// with `--usd-per-gpu-hour`.
pub const DEFAULT_USD_PER_GPU_HOUR: f64 = 0.50;

/// Published RTX 4090 rental prices the default price lies between.
pub const PRICE_SOURCES: &str = "on-demand offers of $0.34/h \
(<https://deploybase.ai/articles/rtx-4090-vs-h100>, July 2025) and from $0.55/h \
(<https://www.spheron.network/blog/nvidia-h100-vs-rtx-4090-ai-training-inference-2026/>, \
May 2026)";

/// Where the bandwidth model comes from: an attacker on a memory-hard KDF is limited by memory
/// bandwidth, and Argon2 moves (3t−1)·m bytes per guess, scrypt 2·128·r·N·p.
pub const BANDWIDTH_MODEL_SOURCE: &str = "the bandwidth model of GPU attacks on \
Argon2 and scrypt of \"Minimum password settings\" (<https://tobtu.com/minimum-password-settings/>)";

/// Parses a `--usd-per-gpu-hour` value: a finite, positive price.
pub fn parse_usd_per_gpu_hour(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(price) if price.is_finite() && price > 0.0 => Ok(price),
        _ => Err(format!("{text:?} is not a positive price")),
    }
}

/// The reference GPU: NVIDIA GeForce RTX 4090.
pub fn rtx_4090(usd_per_hour: f64) -> Gpu {
    Gpu {
        name: "NVIDIA GeForce RTX 4090",
        // 384-bit GDDR6X at 21 Gb/s per pin.
        bandwidth_bytes_per_second: 1008e9,
        memory_bytes: 24 << 30,
        usd_per_hour,
        source: "NVIDIA's RTX 4090 specification: 24 GiB GDDR6X on a 384-bit bus at 21 Gb/s, \
                 1008 GB/s (<https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/>)",
    }
}

/// A published measurement of one KDF setting on the reference GPU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    pub params: KdfParams,
    pub guesses_per_second: f64,
    pub source: &'static str,
}

/// Argon2id `m = 64 MiB, t = 3, p = 1` on an RTX 4090.
pub const ARGON2ID_ANCHOR: Anchor = Anchor {
    params: KdfParams::Argon2id(e2eb::Argon2idParams::unvalidated(65536, 3, 1)),
    guesses_per_second: 1667.0,
    source: "the RTX 4090 figure in the description of hashcat's pull request adding Argon2id \
             (mode 34000), at m=65536,t=3,p=1: 1,667 H/s \
             (<https://github.com/hashcat/hashcat/pull/4284>; its authors note that build ran \
             about 10 % slower than in their development, so the real rate may be higher)",
};

/// scrypt `N = 2^14, r = 8, p = 1` on an RTX 4090.
pub const SCRYPT_ANCHOR: Anchor = Anchor {
    params: KdfParams::Scrypt(e2eb::ScryptParams::unvalidated(14, 8, 1)),
    guesses_per_second: 7126.0,
    source: "hashcat v6.2.6's benchmark of scrypt (mode 8900, N=16384,r=8,p=1) on an RTX 4090: \
             7,126 H/s (<https://gist.github.com/Chick3nman/32e662a5bb63bc4f51b847bb422222fd>)",
};

/// Guesses per second an attacker is assumed to make against a recovery-key slot: HKDF-SHA-512
/// has no memory cost, and 10^12 is generously above what one GPU computes of it.
pub const RECOVERY_KEY_GUESSES_PER_SECOND: f64 = 1e12;

/// Bytes one guess moves through GPU memory (see the module documentation).
pub fn bytes_per_guess(params: &KdfParams) -> f64 {
    let memory = memory_of(params) as f64;
    let iterations = f64::from(iterations_of(params));
    match params {
        KdfParams::Scrypt(_) => 2.0 * memory * iterations,
        // Argon2id, and any later KDF until it has a model of its own: Argon2id's is the one
        // for a memory-hard KDF that fills its memory once and reads it back t - 1 times.
        _ => (3.0 * iterations - 1.0) * memory,
    }
}

/// The anchor of `params`' KDF.
pub fn anchor_for(params: &KdfParams) -> Anchor {
    match params {
        KdfParams::Scrypt(_) => SCRYPT_ANCHOR,
        // Argon2id, and any later KDF (modelled as Argon2id by `bytes_per_guess`).
        _ => ARGON2ID_ANCHOR,
    }
}

/// The fraction of the reference GPU's bandwidth a cracker of this KDF reaches, from its
/// anchor.
pub fn efficiency(params: &KdfParams) -> f64 {
    let anchor = anchor_for(params);
    anchor.guesses_per_second * bytes_per_guess(&anchor.params)
        / rtx_4090(DEFAULT_USD_PER_GPU_HOUR).bandwidth_bytes_per_second
}

/// Guesses per second on `gpu`.
pub fn guesses_per_second(params: &KdfParams, gpu: &Gpu) -> f64 {
    efficiency(params) * gpu.bandwidth_bytes_per_second / bytes_per_guess(params)
}

/// A kind of secret a user might choose, by how many equally likely values it has.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SecretClass {
    pub name: &'static str,
    /// How many values the attacker must try to be sure.
    pub candidates: f64,
    /// Whether a password KDF guards it (a recovery key is 256 random bits behind HKDF only).
    pub behind_kdf: bool,
}

impl SecretClass {
    /// log2 of the candidates.
    pub fn bits(&self) -> f64 {
        self.candidates.log2()
    }
}

/// The secrets the table compares, weakest first. Diceware: the EFF and Reinhold lists, 7776
/// words.
pub const SECRET_CLASSES: [SecretClass; 5] = [
    SecretClass {
        name: "6-digit PIN",
        candidates: 1e6,
        behind_kdf: true,
    },
    SecretClass {
        name: "8 random lowercase letters",
        // 26^8
        candidates: 208_827_064_576.0,
        behind_kdf: true,
    },
    SecretClass {
        name: "4-word diceware passphrase",
        // 7776^4
        candidates: 3_656_158_440_062_976.0,
        behind_kdf: true,
    },
    SecretClass {
        name: "6-word diceware passphrase",
        // 7776^6
        candidates: 2.210_739_197_207_333_6e23,
        behind_kdf: true,
    },
    SecretClass {
        name: "recovery key (256 random bits)",
        candidates: 1.157_920_892_373_162e77,
        behind_kdf: false,
    },
];

/// The attacker's cost of one setting for each secret class.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AttackerTable {
    /// The setting, in `--kdf-params` notation.
    pub params: String,
    pub gpu: Gpu,
    pub bytes_per_guess: f64,
    /// Fraction of the GPU's bandwidth a cracker reaches, from the anchor.
    pub efficiency: f64,
    pub guesses_per_second: f64,
    pub rows: Vec<AttackerRow>,
    /// The assumptions and sources, one sentence each.
    pub assumptions: Vec<String>,
}

/// The cost of trying every candidate of one secret class on one GPU.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AttackerRow {
    pub secret: &'static str,
    pub candidates: f64,
    pub bits: f64,
    /// Guesses per second this row assumes (the recovery key's differ).
    pub guesses_per_second: f64,
    /// Seconds on one GPU to try every candidate; on average half of that finds it.
    pub seconds_one_gpu: f64,
    /// US dollars of GPU rental to try every candidate (`seconds_one_gpu` as GPU-hours at
    /// the GPU's price; spreading over more GPUs shortens the time, not the bill).
    pub usd: f64,
    /// The chance that [`VAULT_ATTEMPTS`] guesses find the secret when a vault guards it
    /// instead: online guesses the vault counts, not offline ones.
    pub vault_success_probability: f64,
}

/// The chance that `attempts` distinct guesses find one of `candidates` equally likely
/// secrets.
pub fn vault_success_probability(attempts: u32, candidates: f64) -> f64 {
    (f64::from(attempts) / candidates).min(1.0)
}

/// A probability for people: `1 in 100,000`, `1 in 2.1×10^10`, or `certain`.
pub fn human_odds(probability: f64) -> String {
    if probability >= 1.0 {
        "certain".to_owned()
    } else {
        format!("1 in {}", human_count(1.0 / probability))
    }
}

/// What the vault figures assume, in words.
pub fn vault_assumption() -> String {
    format!(
        "Behind an e2eb vault ({VAULT_ATTEMPTS} attempts, VAULT.md), a guesser gets \
         {VAULT_ATTEMPTS} online guesses before the vault erases the account, whatever the KDF \
         and hardware: the chance is {VAULT_ATTEMPTS} in the number of candidates. This assumes \
         the vault's server setup (its OPRF seed and key pair, kept apart from the database) is \
         not stolen together with its database; with both, each guess becomes an offline \
         Argon2id evaluation at 64 MiB, t=3, p=4 (the cost of e2eb's default setting)."
    )
}

/// The attacker table of `params` on `gpu`.
pub fn attacker_table(params: &KdfParams, gpu: &Gpu) -> AttackerTable {
    let rate = guesses_per_second(params, gpu);
    let rows = SECRET_CLASSES
        .iter()
        .map(|class| {
            let rate = if class.behind_kdf {
                rate
            } else {
                RECOVERY_KEY_GUESSES_PER_SECOND
            };
            let seconds = class.candidates / rate;
            AttackerRow {
                secret: class.name,
                candidates: class.candidates,
                bits: class.bits(),
                guesses_per_second: rate,
                seconds_one_gpu: seconds,
                usd: seconds / 3600.0 * gpu.usd_per_hour,
                vault_success_probability: vault_success_probability(
                    VAULT_ATTEMPTS,
                    class.candidates,
                ),
            }
        })
        .collect();
    AttackerTable {
        params: params.to_string(),
        gpu: gpu.clone(),
        bytes_per_guess: bytes_per_guess(params),
        efficiency: efficiency(params),
        guesses_per_second: rate,
        rows,
        assumptions: vec![
            format!(
                "Attacker: one {} rented at ${:.2} per GPU-hour (an assumed price between \
                 {PRICE_SOURCES}; --usd-per-gpu-hour changes it); {}.",
                gpu.name, gpu.usd_per_hour, gpu.source
            ),
            anchor_assumption(params),
            "The model does not slow the attacker down for memory beyond the anchor's (fewer \
             parallel instances fit in the GPU), so its costs are a floor: a real attack on \
             large-memory settings costs more."
                .to_owned(),
            "Times and costs are for trying every candidate; on average the password is found \
             after half. More GPUs shorten the time, not the bill."
                .to_owned(),
            format!(
                "The recovery key has no password KDF: 2^256 candidates at an assumed {} \
                 guesses per second, far above what a GPU computes of HKDF-SHA-512.",
                human_count(RECOVERY_KEY_GUESSES_PER_SECOND)
            ),
            vault_assumption(),
        ],
    }
}

/// How the guess rate of `params`' KDF is modelled and anchored, in one sentence.
pub fn anchor_assumption(params: &KdfParams) -> String {
    let (kdf, bytes) = match params {
        KdfParams::Argon2id(_) => ("Argon2id", "(3t−1)·m"),
        KdfParams::Scrypt(_) => ("scrypt", "2·128·r·N·p"),
        other => (other.kind().name(), "(3t−1)·m, as for Argon2id"),
    };
    let factor = efficiency(params);
    format!(
        "{kdf}: guesses per second = {factor:.3} × bandwidth / ({bytes} bytes moved per guess, \
         after {BANDWIDTH_MODEL_SOURCE}); the factor {factor:.3} reproduces {}.",
        anchor_for(params).source
    )
}

/// A duration for people: `40 ms`, `2.84 s`, `12 s`, `7.5 min`, `3.2 h`, `12 days`, `4.1 years`,
/// `2.3×10^9 years`.
pub fn human_duration(seconds: f64) -> String {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    const YEAR: f64 = 365.25 * DAY;
    if !seconds.is_finite() {
        return "–".into();
    }
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 10.0 {
        format!("{seconds:.2} s")
    } else if seconds < 2.0 * MINUTE {
        format!("{seconds:.0} s")
    } else if seconds < 2.0 * HOUR {
        format!("{:.1} min", seconds / MINUTE)
    } else if seconds < 2.0 * DAY {
        format!("{:.1} h", seconds / HOUR)
    } else if seconds < YEAR {
        format!("{:.0} days", seconds / DAY)
    } else {
        format!("{} years", human_number(seconds / YEAR))
    }
}

/// US dollars for people: `$0.08`, `$12`, `$4,100`, `$3.1 million`, `$2.0×10^15`.
pub fn human_usd(usd: f64) -> String {
    if !usd.is_finite() {
        return "–".into();
    }
    if usd < 0.01 {
        return "under $0.01".into();
    }
    if usd < 10.0 {
        return format!("${usd:.2}");
    }
    if usd < 1e6 {
        return format!("${}", thousands(usd.round() as u64));
    }
    for (scale, word) in [(1e6, "million"), (1e9, "billion"), (1e12, "trillion")] {
        if usd < scale * 1000.0 {
            return format!("${:.1} {word}", usd / scale);
        }
    }
    format!("${}", scientific(usd))
}

/// A count for people: whole below ten million (`1,000,000`), else `2.1×10^11`.
pub fn human_count(count: f64) -> String {
    if count.is_finite() && count < 1e7 {
        thousands(count.round() as u64)
    } else {
        scientific(count)
    }
}

/// Numbers of years and the like: `4.1`, `350`, `12,000`, `2.3×10^9`.
fn human_number(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.1}")
    } else if value < 1e6 {
        thousands(value.round() as u64)
    } else {
        scientific(value)
    }
}

fn scientific(value: f64) -> String {
    if !value.is_finite() || value <= 0.0 {
        return format!("{value}");
    }
    let exponent = value.log10().floor();
    let mantissa = value / 10f64.powf(exponent);
    // 9.96 rounds to "10.0": carry it into the exponent.
    let (mantissa, exponent) = if format!("{mantissa:.1}") == "10.0" {
        (1.0, exponent + 1.0)
    } else {
        (mantissa, exponent)
    };
    format!("{mantissa:.1}×10^{exponent:.0}")
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use e2eb::{Argon2idParams, ScryptParams};

    fn argon(memory_kib: u32, passes: u32, lanes: u32) -> KdfParams {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    }

    #[test]
    fn the_anchors_are_reproduced() {
        let gpu = rtx_4090(DEFAULT_USD_PER_GPU_HOUR);
        let argon_rate = guesses_per_second(&ARGON2ID_ANCHOR.params, &gpu);
        assert!((argon_rate - 1667.0).abs() < 1e-6, "{argon_rate}");
        let scrypt_rate = guesses_per_second(&SCRYPT_ANCHOR.params, &gpu);
        assert!((scrypt_rate - 7126.0).abs() < 1e-6, "{scrypt_rate}");
    }

    #[test]
    fn bandwidth_factors_match_hand_computation() {
        // Argon2id 64 MiB, t=3: 8 × 67,108,864 = 536,870,912 bytes per guess;
        // 1667 × 536,870,912 / 1.008e12 = 0.887861...
        assert_eq!(bytes_per_guess(&ARGON2ID_ANCHOR.params), 536_870_912.0);
        assert!((efficiency(&ARGON2ID_ANCHOR.params) - 0.887_860_9).abs() < 1e-6);
        // scrypt N=2^14, r=8: 2 × 16 MiB = 33,554,432 bytes; 7126 × 33,554,432 / 1.008e12.
        assert_eq!(bytes_per_guess(&SCRYPT_ANCHOR.params), 33_554_432.0);
        assert!((efficiency(&SCRYPT_ANCHOR.params) - 0.237_211_2).abs() < 1e-6);
    }

    #[test]
    fn the_table_matches_hand_computed_values() {
        let gpu = rtx_4090(0.50);
        // Argon2id 1 GiB, t = 1: (3·1 − 1) × 2^30 bytes = 2,147,483,648 per guess;
        // 0.8878609 × 1.008e12 / 2,147,483,648 = 416.75 guesses per second
        // (= 1667 × 536,870,912 / 2,147,483,648 = 1667 / 4).
        let table = attacker_table(&argon(1 << 20, 1, 4), &gpu);
        assert!((table.guesses_per_second - 416.75).abs() < 1e-9);
        let pin = &table.rows[0];
        // 10^6 / 416.75 = 2399.52 s = 40.0 min; 0.66653 GPU-hours × $0.50 = $0.3333.
        assert!((pin.seconds_one_gpu - 2_399.520_096).abs() < 1e-3);
        assert!((pin.usd - 0.333_266_7).abs() < 1e-6);
        assert_eq!(human_duration(pin.seconds_one_gpu), "40.0 min");
        assert_eq!(human_usd(pin.usd), "$0.33");
        // 26^8 / 416.75 = 5.0108e8 s = 15.88 years; × $0.50 / 3600 = $69,595.
        let letters = &table.rows[1];
        assert!((letters.seconds_one_gpu / 501_084_738.035 - 1.0).abs() < 1e-9);
        assert_eq!(human_duration(letters.seconds_one_gpu), "16 years");
        assert_eq!(human_usd(letters.usd), "$69,595");
        // 7776^4 / 416.75 = 8.773e12 s = 278,000 years; $1.2 billion.
        let four = &table.rows[2];
        assert!((four.seconds_one_gpu / 8.773_025_651_021e12 - 1.0).abs() < 1e-9);
        assert_eq!(human_usd(four.usd), "$1.2 billion");
        let six = &table.rows[3];
        assert!((six.bits - 77.549).abs() < 1e-3);
        // The recovery key: 2^256 / 10^12 s.
        let key = &table.rows[4];
        assert_eq!(key.bits, 256.0);
        assert!((key.seconds_one_gpu / 1.157_920_892e65 - 1.0).abs() < 1e-9);

        // Argon2id at the anchor: the PIN takes 10^6 / 1667 = 600 s.
        let anchor = attacker_table(&ARGON2ID_ANCHOR.params, &gpu);
        assert!((anchor.rows[0].seconds_one_gpu - 599.88).abs() < 0.01);
        assert_eq!(human_duration(anchor.rows[0].seconds_one_gpu), "10.0 min");

        // scrypt N = 2^17, r = 8, p = 1 moves 8× the anchor's bytes: 7126 / 8 = 890.75 H/s.
        let scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(17, 8, 1));
        assert!((guesses_per_second(&scrypt, &gpu) - 890.75).abs() < 1e-9);
    }

    #[test]
    fn more_memory_or_passes_cost_the_attacker_more() {
        let gpu = rtx_4090(DEFAULT_USD_PER_GPU_HOUR);
        let rate = |params| guesses_per_second(&params, &gpu);
        assert!(rate(argon(65536, 1, 1)) > rate(argon(65536, 2, 1)));
        assert!(rate(argon(65536, 3, 1)) > rate(argon(131072, 3, 1)));
        assert_eq!(rate(argon(65536, 3, 1)), rate(argon(65536, 3, 4)), "lanes");
    }

    #[test]
    fn people_read_the_numbers() {
        assert_eq!(human_duration(0.04), "40 ms");
        assert_eq!(human_duration(2.8357), "2.84 s");
        assert_eq!(human_duration(45.0), "45 s");
        assert_eq!(human_duration(3.0 * 3600.0), "3.0 h");
        assert_eq!(human_duration(10.0 * 86_400.0), "10 days");
        assert_eq!(
            human_duration(3.7e57 * 365.25 * 86_400.0),
            "3.7×10^57 years"
        );
        assert_eq!(human_usd(0.001), "under $0.01");
        assert_eq!(human_usd(1234.4), "$1,234");
        assert_eq!(human_usd(3.1e6), "$3.1 million");
        assert_eq!(human_usd(2e15), "$2.0×10^15");
        assert_eq!(human_count(1e6), "1,000,000");
        assert_eq!(human_count(2.088e11), "2.1×10^11");
        assert_eq!(human_count(9.96e11), "1.0×10^12");
    }

    #[test]
    fn a_vault_gives_ten_guesses_whatever_the_setting() {
        let gpu = rtx_4090(DEFAULT_USD_PER_GPU_HOUR);
        for params in [argon(65536, 3, 4), argon(16384, 1, 1)] {
            let table = attacker_table(&params, &gpu);
            // A 6-digit PIN: 10 guesses in 10^6.
            assert_eq!(table.rows[0].vault_success_probability, 1e-5);
            assert_eq!(
                human_odds(table.rows[0].vault_success_probability),
                "1 in 100,000"
            );
            // 26^8 / 10 = 2.09×10^10.
            assert_eq!(
                human_odds(table.rows[1].vault_success_probability),
                "1 in 2.1×10^10"
            );
            assert!(table.rows[4].vault_success_probability < 1e-75);
        }
        assert_eq!(vault_success_probability(10, 4.0), 1.0);
        assert_eq!(human_odds(1.0), "certain");
        assert!(vault_assumption().contains("not stolen together with its database"));
        assert!(
            !vault_assumption().contains("  "),
            "one space between words"
        );
    }
}
