//! The JSON result file of one `cargo xtask bench` run: `reports/<host-id>/<timestamp>.json`.
//! `reports/SCHEMA.md` documents every field; bump [`SCHEMA_VERSION`] on any change that an
//! older reader would misread.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;
use crate::stats::Summary;

/// The version of this layout, written as `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of `cargo xtask bench`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `tiny`, `quick` or `full`.
    pub profile: String,
    /// The sections measured (`aead`, `stream`, `kdf`).
    pub sections: Vec<String>,
    /// Wall time of the measurements, builds excluded.
    pub measure_seconds: f64,
    /// Wall time spent building the software-only AEAD probe (0 when it was up to date).
    pub build_seconds: f64,
    /// The machine and build.
    pub host: Manifest,
    /// How the figures were taken.
    pub method: Method,
    /// AEAD throughput per implementation, suite, direction and message size.
    pub aead: Vec<AeadFigure>,
    /// Payload stream throughput per suite, direction and thread count.
    pub stream: Vec<StreamFigure>,
    /// How fast this machine reads and writes memory in place, per thread count: the ceiling of
    /// the in-place stream modes (runs since it was added, with the `stream` section).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_ceiling: Vec<MemoryFigure>,
    /// Password KDF wall time and peak memory per setting.
    pub kdf: Vec<KdfFigure>,
    /// e2eb's Argon2id against the reference C implementation, where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argon2_reference: Option<Argon2Reference>,
    /// What was skipped or went wrong, in words.
    pub notes: Vec<String>,
}

/// One pass that reads and writes every byte of a buffer laid out as the stream section's
/// backups, in 16 KiB pieces shared out over `threads` threads, with no cryptography (each byte
/// XORed with a constant), the buffer refilled untimed before each pass as the in-place modes'
/// is: no mode that seals or opens in place can beat it on that many threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryFigure {
    /// Threads sharing the pass.
    pub threads: usize,
    /// Bytes of the buffer per pass.
    pub bytes: u64,
    /// Bytes read (and as many written) per second.
    pub bytes_per_second: Summary,
}

/// e2eb's Argon2id and the reference C implementation (built at run time), timed side by side
/// in interleaved rounds at one setting and several lane counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Argon2Reference {
    /// Argon2id `m`, KiB.
    pub memory_kib: u32,
    /// Argon2id `t`.
    pub passes: u32,
    /// The lane counts (`p`) measured, in order.
    pub lanes: Vec<u32>,
    /// Rounds; each ran every implementation once per lane count.
    pub rounds: usize,
    /// The C builds first, e2eb last.
    pub implementations: Vec<Argon2Implementation>,
}

/// One implementation's wall times in an [`Argon2Reference`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Argon2Implementation {
    /// What it is, e.g. `C reference, AVX2 (AVX2)` or `e2eb (argon2 crate, parallel)`.
    pub name: String,
    /// Seconds per derivation, one summary per entry of `lanes`.
    pub seconds: Vec<Summary>,
}

impl Argon2Reference {
    /// e2eb's entry (the last).
    pub fn e2eb(&self) -> Option<&Argon2Implementation> {
        self.implementations.last()
    }

    /// The C builds (all but the last).
    pub fn references(&self) -> &[Argon2Implementation] {
        &self.implementations[..self.implementations.len().saturating_sub(1)]
    }
}

/// Sampling settings and measurement methods, so a reader can judge the figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// AEAD sampling (native and software-only builds alike).
    pub aead: Sampling,
    /// Stream sampling: one pass over the payload per sample.
    pub stream: Sampling,
    /// Bytes of plaintext per stream pass.
    pub stream_plaintext_bytes: u64,
    /// KDF sampling: one derivation per sample.
    pub kdf: Sampling,
    /// How peak memory is measured.
    pub kdf_peak_memory: String,
    /// The software-only build, when it ran.
    pub soft: Option<SoftBuild>,
    /// The OpenSSL reference, when it ran.
    pub openssl: Option<OpensslReference>,
    /// Why cycles per byte are not reported.
    pub cycles_per_byte: String,
    /// The AEAD backends of the measuring build, in the order `Backend::Auto` prefers them: the
    /// first is the one e2eb uses by default. Empty in files written before backends existed,
    /// which measured RustCrypto alone.
    #[serde(default)]
    pub backends: Vec<String>,
}

/// Warm-up and sample counts of one kind of measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Untimed running before sampling, in seconds (at least one call).
    pub warm_up_seconds: f64,
    /// Fewest samples per figure.
    pub min_samples: usize,
    /// Most samples per figure.
    pub max_samples: usize,
    /// Shortest sample, in seconds; quick operations repeat within a sample to fill it.
    pub sample_seconds: f64,
}

/// The second build of the AEAD probe, with the RustCrypto crates' portable code forced on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoftBuild {
    /// The RUSTFLAGS it was built with.
    pub rustflags: String,
    /// The backend each crate reported it was compiled with (`soft` or `auto`).
    pub backends: std::collections::BTreeMap<String, String>,
    /// What the build stands for.
    pub label: String,
}

/// The `openssl speed` reference line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpensslReference {
    /// `openssl version`.
    pub version: String,
    /// The command, with `SIZE`, `CIPHER` and `[-decrypt]` standing for what varies.
    pub command: String,
}

/// AEAD throughput of one implementation, suite, direction and message size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AeadFigure {
    /// `native` (this build, CPU instructions detected at run time), `soft` (software-only
    /// build) or `openssl` (`openssl speed`).
    pub implementation: String,
    /// The e2eb AEAD backend measured (`rustcrypto`, `ring`, `aws-lc`); `None` for OpenSSL and
    /// in files written before backends existed (whose e2eb figures are RustCrypto's).
    #[serde(default)]
    pub backend: Option<String>,
    /// `aes-256-gcm` or `chacha20-poly1305`.
    pub suite: String,
    /// `seal` (encrypt and tag) or `open` (verify and decrypt).
    pub direction: String,
    /// Bytes per message.
    pub size_bytes: u64,
    /// Throughput in bytes per second.
    pub bytes_per_second: Summary,
}

/// The e2eb backup stream end to end in memory at one thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamFigure {
    /// `aes-256-gcm` or `chacha20-poly1305`.
    pub suite: String,
    /// `encrypt` or `decrypt`.
    pub direction: String,
    /// The AEAD backend that sealed or opened the chunks; `None` in files written before
    /// backends existed (RustCrypto).
    #[serde(default)]
    pub backend: Option<String>,
    /// `stream` (`encrypt_stream` / `decrypt_stream` from a slice into a `Vec`), `by-offsets`
    /// (`encrypt_file` / `decrypt_file` from a slice), `in-memory` (`encrypt_into` /
    /// `decrypt_into`) or `in-place` (`encrypt_in_place` / `decrypt_in_place`); `None` in older
    /// files, which measured the stream.
    #[serde(default)]
    pub mode: Option<String>,
    /// Threads sealing or opening chunks.
    pub threads: usize,
    /// Plaintext bytes per pass.
    pub plaintext_bytes: u64,
    /// Plaintext bytes per second.
    pub bytes_per_second: Summary,
    /// Median throughput over the median at one thread, when one thread was measured.
    pub speedup: Option<f64>,
    /// `speedup / threads`.
    pub efficiency: Option<f64>,
}

/// KDF parameters, tagged by KDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kdf", rename_all = "lowercase")]
pub enum KdfSetting {
    /// Argon2id.
    Argon2id {
        /// `m` in KiB.
        memory_kib: u32,
        /// `t`.
        passes: u32,
        /// `p`.
        lanes: u32,
    },
    /// scrypt.
    Scrypt {
        /// log2 `N`.
        log_n: u8,
        /// `r`.
        r: u32,
        /// `p`.
        p: u32,
    },
}

impl KdfSetting {
    /// The e2eb parameters.
    pub fn params(self) -> e2eb::KdfParams {
        match self {
            KdfSetting::Argon2id {
                memory_kib,
                passes,
                lanes,
            } => e2eb::KdfParams::Argon2id(e2eb::Argon2idParams::unvalidated(
                memory_kib, passes, lanes,
            )),
            KdfSetting::Scrypt { log_n, r, p } => {
                e2eb::KdfParams::Scrypt(e2eb::ScryptParams::unvalidated(log_n, r, p))
            }
        }
    }

    /// `argon2id` or `scrypt`.
    pub fn kdf_name(self) -> &'static str {
        match self {
            KdfSetting::Argon2id { .. } => "argon2id",
            KdfSetting::Scrypt { .. } => "scrypt",
        }
    }

    /// Bytes the derivation allocates by its parameters.
    pub fn memory_bytes(self) -> u64 {
        self.params().memory_bytes().try_into().unwrap_or(u64::MAX)
    }
}

/// Wall time and peak memory of one KDF setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KdfFigure {
    /// The KDF and its parameters.
    #[serde(flatten)]
    pub setting: KdfSetting,
    /// The parameters in e2eb's command-line notation, e.g. `m=65536,t=3,p=4`.
    pub params: String,
    /// `grid` (the cost grid), `check` (the setting recommended for a target time, measured)
    /// or `calibration` (a recommended setting whose measurement missed the target and
    /// corrected the model; a `check` for the same target follows it).
    pub role: String,
    /// For `check` and `calibration`: the wall time the setting was picked to take.
    pub target_seconds: Option<f64>,
    /// For `check` and `calibration`: the time the model of the grid predicted.
    pub predicted_seconds: Option<f64>,
    /// Seconds per derivation.
    pub seconds: Summary,
    /// Bytes the parameters make the KDF allocate.
    pub memory_bytes: u64,
    /// Peak resident memory (VmHWM) of the child process that ran only this setting.
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory (VmRSS) of that child before its first derivation.
    pub baseline_rss_bytes: Option<u64>,
}

impl KdfFigure {
    /// Peak resident memory above the child's baseline: the memory the derivation cost.
    pub fn peak_over_baseline(&self) -> Option<u64> {
        Some(
            self.peak_rss_bytes?
                .saturating_sub(self.baseline_rss_bytes?),
        )
    }
}

impl Run {
    /// The file this run is stored in, under `reports`.
    pub fn path(&self, reports: &Path) -> PathBuf {
        reports
            .join(&self.host.host_id)
            .join(format!("{}.json", file_stem(&self.host.timestamp)))
    }

    /// Reads a result file.
    pub fn load(path: &Path) -> Result<Run, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let run: Run =
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        if run.schema_version > SCHEMA_VERSION {
            return Err(format!(
                "{}: schema version {} is newer than this xtask's {SCHEMA_VERSION}",
                path.display(),
                run.schema_version
            ));
        }
        Ok(run)
    }

    /// Writes this run as pretty-printed JSON, creating the host folder.
    pub fn save(&self, reports: &Path) -> Result<PathBuf, String> {
        let path = self.path(reports);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|error| format!("{}: {error}", folder.display()))?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|error| error.to_string())?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|error| format!("{}: {error}", path.display()))?;
        Ok(path)
    }

    /// The AEAD figure for these keys, if measured; `native` means the default backend's
    /// ([`Run::default_backend`]).
    pub fn aead_figure(
        &self,
        implementation: &str,
        suite: &str,
        direction: &str,
        size: u64,
    ) -> Option<&AeadFigure> {
        self.aead.iter().find(|figure| {
            figure.implementation == implementation
                && (implementation != "native" || figure.backend_name() == self.default_backend())
                && figure.suite == suite
                && figure.direction == direction
                && figure.size_bytes == size
        })
    }

    /// The native AEAD figure of `backend` for these keys, if measured.
    pub fn backend_aead_figure(
        &self,
        backend: &str,
        suite: &str,
        direction: &str,
        size: u64,
    ) -> Option<&AeadFigure> {
        self.aead.iter().find(|figure| {
            figure.implementation == "native"
                && figure.backend_name() == backend
                && figure.suite == suite
                && figure.direction == direction
                && figure.size_bytes == size
        })
    }

    /// The backend e2eb uses by default in the measuring build (`auto` resolves to it).
    pub fn default_backend(&self) -> &str {
        self.method
            .backends
            .first()
            .map_or(LEGACY_BACKEND, String::as_str)
    }

    /// The backends with native AEAD figures, in the build's order of preference.
    pub fn native_backends(&self) -> Vec<&str> {
        let mut backends: Vec<&str> = self.method.backends.iter().map(String::as_str).collect();
        for figure in self.aead.iter().filter(|f| f.implementation == "native") {
            if !backends.contains(&figure.backend_name()) {
                backends.push(figure.backend_name());
            }
        }
        backends.retain(|&backend| {
            self.aead
                .iter()
                .any(|f| f.implementation == "native" && f.backend_name() == backend)
        });
        backends
    }
}

/// The backend of results written before there was a choice.
pub const LEGACY_BACKEND: &str = "rustcrypto";

impl AeadFigure {
    /// The backend, with files from before backends read as RustCrypto.
    pub fn backend_name(&self) -> &str {
        self.backend.as_deref().unwrap_or(LEGACY_BACKEND)
    }
}

impl StreamFigure {
    /// The backend, with files from before backends read as RustCrypto.
    pub fn backend_name(&self) -> &str {
        self.backend.as_deref().unwrap_or(LEGACY_BACKEND)
    }

    /// The mode, with older files read as the stream.
    pub fn mode_name(&self) -> &str {
        self.mode.as_deref().unwrap_or("stream")
    }
}

/// `2026-11-30T07:45:12Z` → `2026-11-30T07-45-12Z`: colons are awkward in file names.
pub fn file_stem(timestamp: &str) -> String {
    timestamp.replace(':', "-")
}

/// Every host folder under `reports` with its runs, oldest first; files that fail to parse are
/// returned as errors beside them.
pub fn load_all(reports: &Path) -> (Vec<(String, Vec<Run>)>, Vec<String>) {
    let mut hosts = Vec::new();
    let mut errors = Vec::new();
    let Ok(entries) = std::fs::read_dir(reports) else {
        return (hosts, errors);
    };
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let Ok(files) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = files
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "json")
            })
            .collect();
        files.sort();
        let mut runs = Vec::new();
        for file in files {
            match Run::load(&file) {
                Ok(run) => runs.push(run),
                Err(error) => errors.push(error),
            }
        }
        runs.sort_by(|a, b| a.host.timestamp.cmp(&b.host.timestamp));
        if let (false, Some(name)) = (runs.is_empty(), folder.file_name()) {
            hosts.push((name.to_string_lossy().into_owned(), runs));
        }
    }
    (hosts, errors)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::manifest::BuildInfo;
    use std::collections::BTreeMap;

    /// A small but complete run, for tests of everything that reads runs.
    pub fn sample_run() -> Run {
        let summary = |values: &[f64]| Summary::of(values).unwrap();
        let mut aead = Vec::new();
        for (implementation, backend, scale) in [
            ("native", Some("ring"), 1.6),
            ("native", Some("rustcrypto"), 1.0),
            ("soft", Some("rustcrypto"), 0.1),
            ("openssl", None, 1.5),
        ] {
            for suite in ["aes-256-gcm", "chacha20-poly1305"] {
                for (size, base) in [(64u64, 0.5e9), (16384, 3e9), (1 << 20, 3.2e9)] {
                    let rate = base * scale * if suite == "aes-256-gcm" { 1.0 } else { 0.4 };
                    aead.push(AeadFigure {
                        implementation: implementation.into(),
                        backend: backend.map(Into::into),
                        suite: suite.into(),
                        direction: "seal".into(),
                        size_bytes: size,
                        bytes_per_second: summary(&[rate * 0.98, rate, rate * 1.01]),
                    });
                }
            }
        }
        let mut stream = Vec::new();
        for suite in ["aes-256-gcm", "chacha20-poly1305"] {
            for direction in ["encrypt", "decrypt"] {
                for (threads, rate) in [(1usize, 2e9), (2, 3.1e9)] {
                    stream.push(StreamFigure {
                        suite: suite.into(),
                        direction: direction.into(),
                        backend: Some("ring".into()),
                        mode: Some("in-memory".into()),
                        threads,
                        plaintext_bytes: 8 << 20,
                        bytes_per_second: summary(&[rate * 0.99, rate, rate * 1.02]),
                        speedup: Some(rate / 2e9),
                        efficiency: Some(rate / 2e9 / threads as f64),
                    });
                }
            }
        }
        for (threads, rate) in [(1usize, 5e9), (2, 9e9)] {
            stream.push(StreamFigure {
                suite: "aes-256-gcm".into(),
                direction: "encrypt".into(),
                backend: Some("ring".into()),
                mode: Some("buffer".into()),
                threads,
                plaintext_bytes: 8 << 20,
                bytes_per_second: summary(&[rate * 0.99, rate, rate * 1.02]),
                speedup: Some(rate / 5e9),
                efficiency: Some(rate / 5e9 / threads as f64),
            });
        }
        let mut kdf = Vec::new();
        for lanes in [1, 2] {
            for passes in [1, 3] {
                for mib in [16u32, 64, 256] {
                    let seconds = f64::from(mib * passes) * 0.5e-3 / f64::from(lanes).sqrt();
                    kdf.push(KdfFigure {
                        setting: KdfSetting::Argon2id {
                            memory_kib: mib * 1024,
                            passes,
                            lanes,
                        },
                        params: format!("m={},t={passes},p={lanes}", mib * 1024),
                        role: "grid".into(),
                        target_seconds: None,
                        predicted_seconds: None,
                        seconds: summary(&[seconds, seconds * 1.02, seconds * 0.99]),
                        memory_bytes: u64::from(mib) << 20,
                        peak_rss_bytes: Some((u64::from(mib) << 20) + (6 << 20)),
                        baseline_rss_bytes: Some(5 << 20),
                    });
                }
            }
        }
        for log_n in 14..=16u8 {
            let seconds = 0.026 * f64::from(1u32 << (log_n - 14));
            kdf.push(KdfFigure {
                setting: KdfSetting::Scrypt { log_n, r: 8, p: 1 },
                params: format!("ln={log_n},r=8,p=1"),
                role: "grid".into(),
                target_seconds: None,
                predicted_seconds: None,
                seconds: summary(&[seconds, seconds * 1.01, seconds * 0.98]),
                memory_bytes: 128 * 8 * ((1 << log_n) + 1),
                peak_rss_bytes: Some((128 * 8) << log_n),
                baseline_rss_bytes: Some(5 << 20),
            });
        }
        kdf.push(KdfFigure {
            setting: KdfSetting::Argon2id {
                memory_kib: 256 * 1024,
                passes: 2,
                lanes: 2,
            },
            params: "m=262144,t=2,p=2".into(),
            role: "check".into(),
            target_seconds: Some(0.25),
            predicted_seconds: Some(0.22),
            seconds: summary(&[0.18, 0.19, 0.2]),
            memory_bytes: 256 << 20,
            peak_rss_bytes: None,
            baseline_rss_bytes: None,
        });
        Run {
            schema_version: SCHEMA_VERSION,
            profile: "tiny".into(),
            sections: vec!["aead".into(), "stream".into(), "kdf".into()],
            measure_seconds: 12.5,
            build_seconds: 0.0,
            host: Manifest {
                host_id: "test-cpu-2t-8g".into(),
                hostname: "test".into(),
                arch: "x86_64".into(),
                cpu_model: "Test CPU".into(),
                logical_cpus: 2,
                physical_cores: Some(2),
                cpu_features: BTreeMap::from([("aes".into(), true), ("vaes".into(), false)]),
                hypervisor: true,
                caches: vec!["L1d 48 KiB".into()],
                memory_bytes: Some(8 << 30),
                os: "Test OS".into(),
                kernel: "6.0".into(),
                rustc: "rustc 1.95.0".into(),
                crates: BTreeMap::from([("aes".into(), "0.9.2".into())]),
                build: BuildInfo {
                    profile: "release".into(),
                    opt_level: "3".into(),
                    debug: "false".into(),
                    target: "x86_64-unknown-linux-gnu".into(),
                    rustflags: String::new(),
                    target_features: "sse,sse2".into(),
                    profile_settings: BTreeMap::from([("lto".into(), "\"thin\"".into())]),
                },
                git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                git_dirty: Some(false),
                timestamp: "2026-11-30T07:45:12Z".into(),
            },
            method: Method {
                aead: Sampling {
                    warm_up_seconds: 0.1,
                    min_samples: 10,
                    max_samples: 10,
                    sample_seconds: 0.02,
                },
                stream: Sampling {
                    warm_up_seconds: 0.0,
                    min_samples: 5,
                    max_samples: 5,
                    sample_seconds: 0.0,
                },
                stream_plaintext_bytes: 8 << 20,
                kdf: Sampling {
                    warm_up_seconds: 0.0,
                    min_samples: 3,
                    max_samples: 5,
                    sample_seconds: 0.0,
                },
                kdf_peak_memory: "VmHWM".into(),
                soft: Some(SoftBuild {
                    rustflags: "--cfg aes_backend=\"soft\"".into(),
                    backends: BTreeMap::from([("aes".into(), "soft".into())]),
                    label: "software only".into(),
                }),
                openssl: Some(OpensslReference {
                    version: "OpenSSL 3.0.19".into(),
                    command: "openssl speed".into(),
                }),
                cycles_per_byte: "not measured".into(),
                backends: vec!["ring".into(), "rustcrypto".into()],
            },
            aead,
            stream,
            memory_ceiling: vec![
                MemoryFigure {
                    threads: 1,
                    bytes: 8 << 20,
                    bytes_per_second: summary(&[6e9, 6.2e9, 6.1e9]),
                },
                MemoryFigure {
                    threads: 2,
                    bytes: 8 << 20,
                    bytes_per_second: summary(&[11e9, 12e9, 11.5e9]),
                },
            ],
            kdf,
            argon2_reference: Some(Argon2Reference {
                memory_kib: 256 * 1024,
                passes: 2,
                lanes: vec![1, 2],
                rounds: 3,
                implementations: vec![
                    Argon2Implementation {
                        name: "C reference, AVX2 (AVX2)".into(),
                        seconds: vec![summary(&[0.44, 0.45, 0.43]), summary(&[0.25, 0.24])],
                    },
                    Argon2Implementation {
                        name: "e2eb (argon2 crate, parallel)".into(),
                        seconds: vec![summary(&[0.45, 0.46, 0.44]), summary(&[0.27, 0.26])],
                    },
                ],
            }),
            notes: vec!["a note".into()],
        }
    }

    /// Files written before the reference comparison existed load without it.
    #[test]
    fn files_without_the_argon2_reference_load() {
        let mut value = serde_json::to_value(sample_run()).unwrap();
        value.as_object_mut().unwrap().remove("argon2_reference");
        let run: Run = serde_json::from_value(value).unwrap();
        assert_eq!(run.argon2_reference, None);
        let text = serde_json::to_string(&run).unwrap();
        assert!(!text.contains("argon2_reference"), "absent, not null");
    }

    /// Files written before the memory ceiling was measured load without it.
    #[test]
    fn files_without_the_memory_ceiling_load() {
        let mut value = serde_json::to_value(sample_run()).unwrap();
        value.as_object_mut().unwrap().remove("memory_ceiling");
        let run: Run = serde_json::from_value(value).unwrap();
        assert!(run.memory_ceiling.is_empty());
        let text = serde_json::to_string(&run).unwrap();
        assert!(!text.contains("memory_ceiling"), "absent, not empty");
    }

    #[test]
    fn a_run_round_trips_through_json() {
        let run = sample_run();
        let text = serde_json::to_string_pretty(&run).unwrap();
        let back: Run = serde_json::from_str(&text).unwrap();
        assert_eq!(back, run);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["kdf"][0]["kdf"], "argon2id",
            "the KDF tag is flattened"
        );
        assert_eq!(value["kdf"][0]["memory_kib"], 16384);
    }

    /// Files written before backends existed still load, and read as RustCrypto's figures.
    #[test]
    fn files_without_backends_load_as_rustcrypto() {
        let mut value = serde_json::to_value(sample_run()).unwrap();
        value["method"].as_object_mut().unwrap().remove("backends");
        for list in ["aead", "stream"] {
            for figure in value[list].as_array_mut().unwrap() {
                figure.as_object_mut().unwrap().remove("backend");
                figure.as_object_mut().unwrap().remove("mode");
            }
        }
        let run: Run = serde_json::from_value(value).unwrap();
        assert_eq!(run.default_backend(), "rustcrypto");
        assert_eq!(run.aead[0].backend_name(), "rustcrypto");
        assert_eq!(run.stream[0].backend_name(), "rustcrypto");
        assert_eq!(run.stream[0].mode_name(), "stream");
        assert!(
            run.aead_figure("native", "aes-256-gcm", "seal", 16384)
                .is_some()
        );
    }

    #[test]
    fn native_figures_are_the_default_backends_unless_named() {
        let run = sample_run();
        assert_eq!(run.default_backend(), "ring");
        assert_eq!(run.native_backends(), ["ring", "rustcrypto"]);
        let native = run
            .aead_figure("native", "aes-256-gcm", "seal", 16384)
            .unwrap();
        assert_eq!(native.backend_name(), "ring");
        let reference = run
            .backend_aead_figure("rustcrypto", "aes-256-gcm", "seal", 16384)
            .unwrap();
        assert!(reference.bytes_per_second.median < native.bytes_per_second.median);
    }

    #[test]
    fn saves_under_the_host_folder_and_loads_back() {
        let folder = std::env::temp_dir().join(format!("xtask-schema-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let run = sample_run();
        let path = run.save(&folder).unwrap();
        assert_eq!(
            path,
            folder.join("test-cpu-2t-8g/2026-11-30T07-45-12Z.json")
        );
        std::fs::write(folder.join("test-cpu-2t-8g/broken.json"), "{").unwrap();
        let (hosts, errors) = load_all(&folder);
        assert_eq!(hosts.len(), 1);
        assert_eq!(hosts[0].1, vec![run]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn newer_schemas_are_refused() {
        let folder = std::env::temp_dir().join(format!("xtask-newer-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let mut run = sample_run();
        run.schema_version = SCHEMA_VERSION + 1;
        let path = folder.join("run.json");
        std::fs::write(&path, serde_json::to_string(&run).unwrap()).unwrap();
        assert!(Run::load(&path).unwrap_err().contains("newer"));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    /// Every key a run writes is documented in reports/SCHEMA.md.
    #[test]
    fn schema_document_names_every_field() {
        let schema = include_str!("../../reports/SCHEMA.md");
        let value = serde_json::to_value(sample_run()).unwrap();
        let mut keys = std::collections::BTreeSet::new();
        collect_keys(&value, &mut keys, false);
        let missing: Vec<&String> = keys
            .iter()
            .filter(|key| !schema.contains(&format!("`{key}`")))
            .collect();
        assert!(missing.is_empty(), "undocumented fields: {missing:?}");
    }

    fn collect_keys(
        value: &serde_json::Value,
        keys: &mut std::collections::BTreeSet<String>,
        free_form: bool,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    if !free_form {
                        keys.insert(key.clone());
                    }
                    // Maps keyed by data (crate names, CPU flags, settings) are not fields.
                    let child_free = matches!(
                        key.as_str(),
                        "crates" | "cpu_features" | "backends" | "profile_settings"
                    );
                    collect_keys(child, keys, child_free);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    collect_keys(item, keys, false);
                }
            }
            _ => {}
        }
    }
}
