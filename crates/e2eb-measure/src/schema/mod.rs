//! The JSON result file of one benchmark run (`cargo xtask bench`, or `e2eb bench` on a device):
//! `reports/<host-id>/<timestamp>.json`.
//! `reports/SCHEMA.md` documents every field; bump [`SCHEMA_VERSION`] on any change that an
//! older reader would misread.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;
use crate::stats::Summary;

pub mod vault;

pub use vault::{VaultFigure, VaultSection, VaultSkip};

/// The version of this layout, written as `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of `cargo xtask bench` or `e2eb bench`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `tiny`, `quick` or `full`.
    pub profile: String,
    /// The sections measured (`aead`, `stream`, `kdf`, `vault`).
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
    /// The vault server's capacity on loopback, where measured (the `vault` section; absent in
    /// older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultSection>,
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
    /// How opening is measured, in words; absent in older files, whose opens copied the
    /// ciphertext back into the buffer inside the timed loop before each in-place open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aead_open: Option<String>,
    /// Stream sampling: one pass over the payload per sample.
    pub stream: Sampling,
    /// Bytes of plaintext per stream pass.
    pub stream_plaintext_bytes: u64,
    /// KDF sampling: one derivation per sample.
    pub kdf: Sampling,
    /// How peak memory is measured.
    pub kdf_peak_memory: String,
    /// How the KDF samples were taken, in words: in interleaved rounds over the settings
    /// since they were; absent in older files, which took each setting's samples in a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf_sampling: Option<String>,
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
                "{}: schema version {} is newer than this reader's {SCHEMA_VERSION}",
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

/// Why a text is not a run file this reader takes in (`cargo xtask report --add`).
#[derive(Debug)]
pub enum InvalidRun {
    /// Not JSON, or JSON without the fields of a run (serde's message names the field, line
    /// and column).
    Json(serde_json::Error),
    /// `schema_version` is 0 or newer than [`SCHEMA_VERSION`].
    SchemaVersion(u32),
    /// `host.host_id` is not a folder name of the form `reports/` uses.
    HostId(String),
    /// `host.timestamp` is not RFC 3339 in UTC to the second (`2026-11-30T07:45:12Z`).
    Timestamp(String),
    /// `profile` is not `tiny`, `quick` or `full`.
    Profile(String),
    /// A `sections` entry is not `aead`, `stream`, `kdf` or `vault`, or there is none.
    Section(String),
    /// A figure's samples are missing, not finite, or not positive: `what` names the figure.
    Figure {
        /// The figure, e.g. `aead[3]`.
        what: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A section is listed, yet no figure of it is there.
    EmptySection(String),
}

impl std::fmt::Display for InvalidRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidRun::Json(error) => write!(f, "not a run file: {error}"),
            InvalidRun::SchemaVersion(found) => write!(
                f,
                "schema_version {found} is not one this reader knows (1 to {SCHEMA_VERSION})"
            ),
            InvalidRun::HostId(id) => write!(
                f,
                "host.host_id {id:?} is not a host folder name (lower-case letters, digits and \
                 single dashes)"
            ),
            InvalidRun::Timestamp(timestamp) => write!(
                f,
                "host.timestamp {timestamp:?} is not RFC 3339 in UTC, like 2026-11-30T07:45:12Z"
            ),
            InvalidRun::Profile(profile) => {
                write!(f, "profile {profile:?} is not tiny, quick or full")
            }
            InvalidRun::Section(section) => write!(
                f,
                "sections: {section:?} is not aead, stream, kdf or vault (and at least one is needed)"
            ),
            InvalidRun::Figure { what, problem } => write!(f, "{what}: {problem}"),
            InvalidRun::EmptySection(section) => {
                write!(f, "section {section} is listed but has no figures")
            }
        }
    }
}

impl std::error::Error for InvalidRun {}

impl Run {
    /// Parses and checks a run file's text: the schema (every field there with its type), and
    /// what the reports rely on beyond it: a known version, profile and sections, a host id
    /// that is a folder name, a timestamp a file name can be made of, and figures whose
    /// samples are positive numbers.
    pub fn parse(text: &str) -> Result<Run, InvalidRun> {
        let run: Run = serde_json::from_str(text).map_err(InvalidRun::Json)?;
        run.check()?;
        Ok(run)
    }

    fn check(&self) -> Result<(), InvalidRun> {
        if self.schema_version == 0 || self.schema_version > SCHEMA_VERSION {
            return Err(InvalidRun::SchemaVersion(self.schema_version));
        }
        let id = &self.host.host_id;
        if id.is_empty() || crate::manifest::slugify(id) != *id {
            return Err(InvalidRun::HostId(id.clone()));
        }
        if !is_utc_timestamp(&self.host.timestamp) {
            return Err(InvalidRun::Timestamp(self.host.timestamp.clone()));
        }
        if !["tiny", "quick", "full"].contains(&self.profile.as_str()) {
            return Err(InvalidRun::Profile(self.profile.clone()));
        }
        if self.sections.is_empty() {
            return Err(InvalidRun::Section(String::new()));
        }
        for section in &self.sections {
            let empty = match section.as_str() {
                "aead" => self.aead.is_empty(),
                "stream" => self.stream.is_empty(),
                "kdf" => self.kdf.is_empty(),
                // A vault section whose every engine was skipped still says why.
                "vault" => self
                    .vault
                    .as_ref()
                    .is_none_or(|vault| vault.figures.is_empty() && vault.skipped.is_empty()),
                _ => return Err(InvalidRun::Section(section.clone())),
            };
            if empty {
                return Err(InvalidRun::EmptySection(section.clone()));
            }
        }
        if let Some(vault) = &self.vault
            && let Some(index) = vault.figures.iter().position(|figure| !figure.is_sound())
        {
            return Err(InvalidRun::Figure {
                what: format!("vault.figures[{index}]"),
                problem: "a count, time or rate is not a positive number, or p99 is below p50",
            });
        }
        let summaries = self
            .aead
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("aead[{i}]"), &f.bytes_per_second))
            .chain(
                self.stream
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("stream[{i}]"), &f.bytes_per_second)),
            )
            .chain(
                self.memory_ceiling
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("memory_ceiling[{i}]"), &f.bytes_per_second)),
            )
            .chain(
                self.kdf
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("kdf[{i}]"), &f.seconds)),
            );
        for (what, summary) in summaries {
            let problem = if summary.samples.is_empty() {
                Some("no samples")
            } else if !summary
                .samples
                .iter()
                .chain([&summary.median, &summary.q1, &summary.q3])
                .all(|value| value.is_finite() && *value > 0.0)
            {
                Some("a sample or quartile is not a positive number")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(InvalidRun::Figure { what, problem });
            }
        }
        Ok(())
    }
}

/// `2026-11-30T07:45:12Z`: digits where digits go, the separators where they go.
fn is_utc_timestamp(text: &str) -> bool {
    const SHAPE: &[u8] = b"0000-00-00T00:00:00Z";
    text.len() == SHAPE.len()
        && text.bytes().zip(SHAPE).all(|(byte, &shape)| {
            if shape == b'0' {
                byte.is_ascii_digit()
            } else {
                byte == shape
            }
        })
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

#[cfg(any(test, feature = "test-fixtures"))]
pub mod tests;
