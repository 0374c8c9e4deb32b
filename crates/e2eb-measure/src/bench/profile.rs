//! What a benchmark run measures: the named profiles (`tiny`, `quick`, `full`) shared by
//! `cargo xtask bench` and `e2eb bench`.

use std::time::Duration;

use e2eb::Suite;

use super::aead::Direction;
use super::measure::Plan;

/// A named set of measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ProfileName {
    /// CI smoke test: every code path, minimal sizes and samples.
    Tiny,
    /// The default.
    Quick,
    /// More sizes, settings and samples.
    Full,
}

/// What one profile measures.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: &'static str,
    pub aead_sizes: Vec<usize>,
    pub aead_plan: Plan,
    pub soft_sizes: Vec<usize>,
    pub openssl_sizes: Vec<usize>,
    pub openssl_directions: Vec<Direction>,
    pub openssl_samples: usize,
    pub openssl_seconds: u32,
    pub stream_bytes: usize,
    pub stream_samples: usize,
    pub stream_suites: Vec<Suite>,
    pub argon_memory_mib: Vec<u32>,
    pub argon_passes: Vec<u32>,
    pub argon_lanes: Vec<u32>,
    pub scrypt_log_n: Vec<u8>,
    pub kdf_min_samples: usize,
    pub kdf_max_samples: usize,
    /// Samples of a KDF setting whose one derivation exceeds the budget (at most the minimum).
    pub kdf_slow_min_samples: usize,
    /// Per KDF setting: samples beyond the minimum are taken while they fit in this.
    pub kdf_budget: Duration,
    /// Wall times for which a recommended Argon2id setting is picked and measured.
    pub check_targets: Vec<f64>,
    /// Rounds of e2eb's Argon2id against the reference C code (0: not measured, so nothing is
    /// fetched or built).
    pub argon2_reference_rounds: usize,
    /// The vault section's numbers of concurrent clients (`cargo xtask bench` only).
    pub vault_clients: Vec<usize>,
    /// How long each vault phase (one operation at one number of clients) runs.
    pub vault_phase: Duration,
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

impl Profile {
    pub fn new(name: ProfileName) -> Profile {
        match name {
            ProfileName::Tiny => Profile {
                name: "tiny",
                aead_sizes: vec![64, 16 * KIB],
                aead_plan: Plan {
                    warm_up: Duration::from_millis(20),
                    samples: 3,
                    sample_time: Duration::from_millis(5),
                },
                soft_sizes: vec![16 * KIB],
                openssl_sizes: vec![16 * KIB],
                openssl_directions: vec![Direction::Seal],
                openssl_samples: 3,
                openssl_seconds: 1,
                stream_bytes: 8 * MIB,
                stream_samples: 3,
                stream_suites: vec![Suite::Aes256Gcm],
                argon_memory_mib: vec![16],
                argon_passes: vec![1],
                argon_lanes: vec![1],
                scrypt_log_n: vec![14],
                kdf_min_samples: 3,
                kdf_max_samples: 3,
                kdf_slow_min_samples: 3,
                kdf_budget: Duration::ZERO,
                check_targets: vec![],
                argon2_reference_rounds: 0,
                vault_clients: vec![1, 2],
                vault_phase: Duration::from_millis(250),
            },
            ProfileName::Quick => Profile {
                name: "quick",
                aead_sizes: vec![64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, MIB],
                aead_plan: Plan {
                    warm_up: Duration::from_millis(50),
                    samples: 10,
                    sample_time: Duration::from_millis(15),
                },
                soft_sizes: vec![64, KIB, 16 * KIB, 64 * KIB, MIB],
                openssl_sizes: vec![64, 16 * KIB],
                openssl_directions: vec![Direction::Seal],
                openssl_samples: 3,
                openssl_seconds: 1,
                stream_bytes: 128 * MIB,
                stream_samples: 7,
                stream_suites: Suite::ALL.to_vec(),
                argon_memory_mib: vec![16, 64, 256, 1024],
                argon_passes: vec![1, 3],
                argon_lanes: vec![1, 2],
                scrypt_log_n: (14..=17).collect(),
                kdf_min_samples: 5,
                kdf_max_samples: 9,
                kdf_slow_min_samples: 4,
                kdf_budget: Duration::from_millis(1500),
                check_targets: vec![0.25, 1.0, 3.0],
                argon2_reference_rounds: 4,
                vault_clients: vec![1, 2, 4, 8, 16],
                vault_phase: Duration::from_millis(700),
            },
            ProfileName::Full => Profile {
                name: "full",
                aead_sizes: (6..=20).step_by(1).map(|log| 1 << log).collect(),
                aead_plan: Plan {
                    warm_up: Duration::from_millis(200),
                    samples: 20,
                    sample_time: Duration::from_millis(25),
                },
                soft_sizes: vec![64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, MIB],
                openssl_sizes: vec![64, KIB, 16 * KIB, 64 * KIB, MIB],
                openssl_directions: Direction::ALL.to_vec(),
                openssl_samples: 5,
                openssl_seconds: 1,
                stream_bytes: 256 * MIB,
                stream_samples: 10,
                stream_suites: Suite::ALL.to_vec(),
                argon_memory_mib: vec![16, 32, 64, 128, 256, 512, 1024],
                argon_passes: vec![1, 2, 3, 4],
                argon_lanes: vec![1, 2, 4],
                scrypt_log_n: (14..=20).collect(),
                kdf_min_samples: 7,
                kdf_max_samples: 11,
                kdf_slow_min_samples: 5,
                kdf_budget: Duration::from_secs(3),
                check_targets: vec![0.25, 1.0, 3.0],
                argon2_reference_rounds: 9,
                vault_clients: vec![1, 2, 4, 8, 16, 32, 64],
                vault_phase: Duration::from_secs(3),
            },
        }
    }

    /// Drops KDF settings this host cannot hold comfortably: at most a quarter of its memory,
    /// since the machine may be shared and the OS needs the rest.
    pub fn cap_memory(&mut self, memory_bytes: Option<u64>) {
        if let Some(bytes) = memory_bytes {
            let cap_mib = bytes / 4 / MIB as u64;
            self.argon_memory_mib
                .retain(|&mib| u64::from(mib) <= cap_mib);
            self.scrypt_log_n
                .retain(|&log_n| (128u64 * 8) << log_n <= cap_mib * MIB as u64);
        }
    }
}
