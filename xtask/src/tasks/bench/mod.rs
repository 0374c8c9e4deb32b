//! `cargo xtask bench`: measures the AEADs (native, software-only, OpenSSL), the backup stream
//! across thread counts and the password KDFs, writes `reports/<host-id>/<timestamp>.json`,
//! then renders that host's charts and report and the cross-host index.

pub mod aead;
pub mod kdf;
pub mod stream;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use e2eb::Suite;
use e2eb_benches::aead::Direction;
use e2eb_benches::measure::Plan;
use indicatif::{ProgressBar, ProgressStyle};

use crate::manifest;
use crate::schema::{Method, Run, SCHEMA_VERSION, Sampling};

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// How much to measure: `tiny` is a smoke test of seconds (plus builds), `quick` takes a few
    /// minutes at most on two cores, `full` measures more sizes, settings and samples.
    #[arg(long, value_enum, default_value_t = ProfileName::Quick)]
    pub profile: ProfileName,
    /// Measure only these sections (comma separated; `aead` includes the software-only build and
    /// the OpenSSL reference).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Section>,
    /// The folder holding one folder per host [default: reports/ in the workspace].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The host folder's name [default: derived from CPU model, threads and memory].
    #[arg(long)]
    pub host_id: Option<String>,
    /// Skip the software-only build of the AEAD probe.
    #[arg(long)]
    pub no_soft: bool,
    /// Skip the `openssl speed` reference even where openssl is on PATH.
    #[arg(long)]
    pub no_openssl: bool,
    /// Write the JSON only; leave charts and reports to `cargo xtask report`.
    #[arg(long)]
    pub no_report: bool,
}

/// A named set of measurements.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileName {
    /// CI smoke test: every code path, minimal sizes and samples.
    Tiny,
    /// The default.
    Quick,
    /// More sizes, settings and samples.
    Full,
}

/// A part of the benchmark.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// AEAD throughput per message size (native, software-only, OpenSSL).
    Aead,
    /// The backup stream end to end across thread counts.
    Stream,
    /// Password KDF cost grid.
    Kdf,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Aead => "aead",
            Section::Stream => "stream",
            Section::Kdf => "kdf",
        }
    }
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
            },
        }
    }

    /// Drops KDF settings this host cannot hold comfortably: at most a quarter of its memory,
    /// since the machine may be shared and the OS needs the rest.
    fn cap_memory(&mut self, memory_bytes: Option<u64>) {
        if let Some(bytes) = memory_bytes {
            let cap_mib = bytes / 4 / MIB as u64;
            self.argon_memory_mib
                .retain(|&mib| u64::from(mib) <= cap_mib);
            self.scrypt_log_n
                .retain(|&log_n| (128u64 * 8) << log_n <= cap_mib * MIB as u64);
        }
    }
}

/// One step forward on the progress bar, labelled.
pub struct Progress(ProgressBar);

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise:.dim} [{bar:32}] {pos}/{len} {wide_msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        Progress(bar)
    }

    /// Shows what runs now.
    pub fn start(&self, what: impl Into<String>) {
        self.0.set_message(what.into());
    }

    /// Counts one finished measurement.
    pub fn done(&self) {
        self.0.inc(1);
    }

    /// Counts `steps` that will not run.
    pub fn skip(&self, steps: u64) {
        self.0.inc(steps);
    }
}

pub fn run(options: Options) -> Result<(), String> {
    let workspace = crate::workspace::workspace_root();
    let reports = options
        .out
        .clone()
        .unwrap_or_else(|| workspace.join("reports"));
    let sections: Vec<Section> = if options.only.is_empty() {
        vec![Section::Aead, Section::Stream, Section::Kdf]
    } else {
        options.only.clone()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let host = manifest::collect(
        &workspace,
        options.host_id.clone(),
        manifest::rfc3339_utc(now),
    );
    let mut profile = Profile::new(options.profile);
    profile.cap_memory(host.memory_bytes);
    let logical_cpus = host.logical_cpus;
    eprintln!(
        "e2eb bench, profile {}, on {} ({}, {} logical CPUs)",
        profile.name, host.host_id, host.cpu_model, logical_cpus
    );

    let mut notes = Vec::new();
    let wants = |section| sections.contains(&section);
    let openssl = (wants(Section::Aead) && !options.no_openssl)
        .then(aead::openssl_version)
        .flatten();
    if wants(Section::Aead) && !options.no_openssl && openssl.is_none() {
        notes.push("openssl is not on PATH: no OpenSSL reference line.".to_owned());
    }

    // The software-only probe is built before the clock starts: builds are not measurements.
    let build_started = Instant::now();
    let soft_probe = if wants(Section::Aead) && !options.no_soft {
        eprintln!("building the software-only AEAD probe (the first build takes a minute or two)");
        match aead::build_soft_probe(&workspace) {
            Ok(path) => Some(path),
            Err(error) => {
                notes.push(format!("software-only build failed, skipped: {error}"));
                None
            }
        }
    } else {
        None
    };
    let build_seconds = build_started.elapsed().as_secs_f64();

    let thread_counts = stream::thread_counts(logical_cpus);
    let mut total = 0u64;
    if wants(Section::Aead) {
        let cells =
            |sizes: &[usize]| (Suite::ALL.len() * Direction::ALL.len() * sizes.len()) as u64;
        total += cells(&profile.aead_sizes) * e2eb::Backend::compiled().len() as u64;
        if soft_probe.is_some() {
            total += cells(&profile.soft_sizes);
        }
        if openssl.is_some() {
            total += (Suite::ALL.len()
                * profile.openssl_directions.len()
                * profile.openssl_sizes.len()) as u64;
        }
    }
    if wants(Section::Stream) {
        // Two directions, each mode.
        total += (profile.stream_suites.len()
            * 2
            * stream::MODE_COUNT
            * thread_counts.len()
            * e2eb::Backend::compiled().len()) as u64
            + thread_counts.len() as u64;
    }
    if wants(Section::Kdf) {
        total += kdf::grid(&profile).len() as u64
            + profile.check_targets.len() as u64
            + profile.argon2_reference_rounds as u64;
    }

    let progress = Progress::new(total);
    let started = Instant::now();
    let mut aead_figures = Vec::new();
    let mut soft = None;
    let mut stream_figures = Vec::new();
    let mut memory_ceiling = Vec::new();
    let mut kdf_figures = Vec::new();
    let mut argon2_reference = None;
    if wants(Section::Aead) {
        aead_figures.extend(aead::native(&profile, &progress));
        if let Some(probe) = &soft_probe {
            match aead::soft(probe, &profile, &progress) {
                Ok((figures, build)) => {
                    if build.backends.values().any(|backend| backend != "soft") {
                        notes.push(format!(
                            "the software-only probe reported backends {:?}: not every crate was forced to its portable code",
                            build.backends
                        ));
                    }
                    aead_figures.extend(figures);
                    soft = Some(build);
                }
                Err(error) => notes.push(format!("software-only probe failed: {error}")),
            }
        }
        if openssl.is_some() {
            let (figures, errors) = aead::openssl(&profile, &progress);
            aead_figures.extend(figures);
            notes.extend(errors);
        }
    }
    if wants(Section::Stream) {
        stream_figures = stream::measure(&profile, &thread_counts, &progress)?;
        memory_ceiling = stream::memory_ceiling(&profile, &thread_counts, &progress)?;
    }
    if wants(Section::Kdf) {
        let (figures, errors) = kdf::measure(&profile, logical_cpus, host.memory_bytes, &progress);
        kdf_figures = figures;
        notes.extend(errors);
        if profile.argon2_reference_rounds > 0 {
            match versus_argon2_reference(&profile, logical_cpus, host.memory_bytes, &progress) {
                Ok(comparison) => argon2_reference = Some(comparison),
                Err(error) => notes.push(format!(
                    "Argon2id against the reference C code: not measured ({error})"
                )),
            }
        }
    }
    let measure_seconds = started.elapsed().as_secs_f64();
    progress.0.finish_and_clear();
    let mut host = host;
    if let Some(load) = &mut host.load {
        load.after = manifest::LoadSample::now();
    }

    let run = Run {
        schema_version: SCHEMA_VERSION,
        profile: profile.name.to_owned(),
        sections: sections
            .iter()
            .map(|section| section.name().to_owned())
            .collect(),
        measure_seconds,
        build_seconds,
        host,
        method: Method {
            aead: Sampling {
                warm_up_seconds: profile.aead_plan.warm_up.as_secs_f64(),
                min_samples: profile.aead_plan.samples,
                max_samples: profile.aead_plan.samples,
                sample_seconds: profile.aead_plan.sample_time.as_secs_f64(),
            },
            stream: Sampling {
                warm_up_seconds: 0.0,
                min_samples: profile.stream_samples,
                max_samples: profile.stream_samples,
                sample_seconds: 0.0,
            },
            stream_plaintext_bytes: profile.stream_bytes as u64,
            kdf: Sampling {
                warm_up_seconds: 0.0,
                min_samples: profile.kdf_min_samples,
                max_samples: profile.kdf_max_samples,
                sample_seconds: 0.0,
            },
            kdf_peak_memory: kdf::PEAK_MEMORY_METHOD.to_owned(),
            kdf_sampling: Some(kdf::SAMPLING_METHOD.to_owned()),
            aead_open: Some(e2eb_benches::aead::OPEN_METHOD.to_owned()),
            soft,
            openssl: openssl.map(|version| crate::schema::OpensslReference {
                version,
                command: aead::OPENSSL_COMMAND.to_owned(),
            }),
            cycles_per_byte: CYCLES_PER_BYTE.to_owned(),
            backends: aead::backend_names(),
        },
        aead: aead_figures,
        stream: stream_figures,
        memory_ceiling,
        kdf: kdf_figures,
        argon2_reference,
        notes,
    };
    let path = run.save(&reports)?;
    print!("{}", crate::report::summary(&run));
    println!(
        "measured in {:.0} s (builds {:.0} s more); results: {}",
        run.measure_seconds,
        run.build_seconds,
        path.display()
    );
    if !options.no_report {
        let written = crate::report::render_all(&reports)?;
        println!("report: {}", written.join(", "));
    }
    Ok(())
}

/// The Argon2id setting of the comparison with the reference C code: e2eb's default memory and
/// passes, at one lane, two, and every CPU where there are more.
const REFERENCE_MEMORY_MIB: u32 = 256;
const REFERENCE_PASSES: u32 = 2;

/// e2eb's Argon2id against the reference C code (fetched with pip and built with gcc first),
/// in the profile's number of interleaved rounds; a progress step per round.
fn versus_argon2_reference(
    profile: &Profile,
    logical_cpus: usize,
    memory_bytes: Option<u64>,
    progress: &Progress,
) -> Result<crate::schema::Argon2Reference, String> {
    let rounds = profile.argon2_reference_rounds;
    let fits = memory_bytes.is_none_or(|bytes| bytes / 4 >= u64::from(REFERENCE_MEMORY_MIB) << 20);
    if !fits {
        progress.skip(rounds as u64);
        return Err(format!(
            "{REFERENCE_MEMORY_MIB} MiB is more than a quarter of this host's memory"
        ));
    }
    let mut lanes = vec![1];
    if logical_cpus >= 2 {
        lanes.push(2);
    }
    if logical_cpus > 2 {
        lanes.push(u32::try_from(logical_cpus).unwrap_or(u32::MAX));
    }
    progress.start(format!(
        "Argon2id m={REFERENCE_MEMORY_MIB} MiB, t={REFERENCE_PASSES} against the reference C \
         code (fetching and building it first)"
    ));
    let options = crate::argon2_reference::Options {
        memory_mib: REFERENCE_MEMORY_MIB,
        passes: REFERENCE_PASSES,
        lanes,
        rounds,
        source: None,
    };
    let mut done = 0;
    let outcome = crate::argon2_reference::compare(&options, |_| {
        done += 1;
        progress.done();
    });
    if outcome.is_err() {
        progress.skip((rounds - done) as u64);
    }
    outcome
}

/// Why the results carry no cycles per byte.
const CYCLES_PER_BYTE: &str = "not measured: the benchmark harness forbids unsafe code, which \
rules out reading the time-stamp counter (core::arch::x86_64::_rdtsc is an unsafe function), \
and the TSC counts at a fixed reference rate rather than core cycles anyway; core cycle \
counters need perf_event_open and a PMU, which virtual machines often lack. Throughput is given \
in GB/s (10^9 bytes per second) instead.";
