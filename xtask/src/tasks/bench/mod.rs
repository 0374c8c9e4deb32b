//! `cargo xtask bench`: measures the AEADs (native, software-only, OpenSSL), the backup stream
//! across thread counts, the password KDFs and the vault server's capacity, writes `reports/<host-id>/<timestamp>.json`,
//! then renders that host's charts and report and the cross-host index.

pub mod aead;
pub mod vault;

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use e2eb::Suite;
use e2eb_measure::bench::aead::Direction;
use e2eb_measure::bench::kdf::{self, ChildCommand};
use e2eb_measure::bench::{Profile, ProfileName, probe, stream};
use indicatif::{ProgressBar, ProgressStyle};

use crate::manifest;
use crate::schema::{Run, SCHEMA_VERSION};

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

/// A part of the benchmark.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// AEAD throughput per message size (native, software-only, OpenSSL).
    Aead,
    /// The backup stream end to end across thread counts.
    Stream,
    /// Password KDF cost grid.
    Kdf,
    /// The vault server's registrations and logins per second on loopback, SQLite and
    /// PostgreSQL.
    Vault,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Aead => "aead",
            Section::Stream => "stream",
            Section::Kdf => "kdf",
            Section::Vault => "vault",
        }
    }
}

/// Options of the hidden `xtask kdf-probe` that `bench` starts once per KDF setting.
#[derive(clap::Args, Debug)]
pub struct ProbeOptions {
    /// The setting, as JSON (`{"kdf":"argon2id","memory_kib":…,"passes":…,"lanes":…}`).
    #[arg(long)]
    setting: String,
    /// Serve samples (see `e2eb_measure::bench::kdf::serve`).
    #[arg(long)]
    serve: bool,
}

/// The child's side of one KDF setting.
pub fn kdf_probe(options: ProbeOptions) -> Result<(), String> {
    if !options.serve {
        return Err("kdf-probe is started by `cargo xtask bench` with --serve".into());
    }
    kdf::serve(&options.setting)
}

/// The program and arguments that start [`kdf_probe`].
pub const KDF_PROBE_ARGS: [&str; 1] = ["kdf-probe"];

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
}

impl e2eb_measure::bench::Progress for Progress {
    fn start(&self, what: String) {
        self.0.set_message(what);
    }

    fn done(&self) {
        self.0.inc(1);
    }

    fn skip(&self, steps: u64) {
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
        vec![Section::Aead, Section::Stream, Section::Kdf, Section::Vault]
    } else {
        options.only.clone()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut host = manifest::collect(options.host_id.clone(), manifest::rfc3339_utc(now));
    manifest::complete_from_workspace(&mut host, &workspace);
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
    let vault_server = if wants(Section::Vault) {
        eprintln!("building the e2eb-vault server (release)");
        match vault::build_server(&workspace) {
            Ok(path) => Some(path),
            Err(error) => {
                notes.push(format!(
                    "the e2eb-vault build failed, vault not measured: {error}"
                ));
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
        if soft_probe.is_some() {
            total += cells(&profile.soft_sizes);
        }
        if openssl.is_some() {
            total += (Suite::ALL.len()
                * profile.openssl_directions.len()
                * profile.openssl_sizes.len()) as u64;
        }
    }
    // The sections not measured leave their steps out.
    let mut unmeasured = profile.clone();
    if !wants(Section::Aead) {
        unmeasured.aead_sizes.clear();
    }
    if !wants(Section::Stream) {
        unmeasured.stream_suites.clear();
    }
    if !wants(Section::Kdf) {
        unmeasured.argon_memory_mib.clear();
        unmeasured.scrypt_log_n.clear();
        unmeasured.check_targets.clear();
    } else {
        total += profile.argon2_reference_rounds as u64;
    }
    let stream_counts: &[usize] = if wants(Section::Stream) {
        &thread_counts
    } else {
        &[]
    };
    total += probe::steps(&unmeasured, stream_counts);
    if vault_server.is_some() {
        total += vault::steps(&profile);
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
        aead_figures.extend(e2eb_measure::bench::aead::native(&profile, &progress));
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
        let child = ChildCommand::this_program(&KDF_PROBE_ARGS)?;
        let (figures, errors) =
            kdf::measure(&profile, logical_cpus, host.memory_bytes, &progress, &child);
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
    let mut vault_section = None;
    if let Some(server) = &vault_server {
        match vault::measure(&profile, logical_cpus, server, &progress) {
            Ok(section) => vault_section = Some(section),
            Err(error) => notes.push(format!("vault: not measured ({error})")),
        }
    }
    let measure_seconds = started.elapsed().as_secs_f64();
    progress.0.finish_and_clear();
    if let Some(load) = &mut host.load {
        load.after = manifest::LoadSample::now();
    }

    let run = Run {
        schema_version: SCHEMA_VERSION,
        profile: profile.name.to_owned(),
        sections: sections
            .iter()
            // A vault section that could not run at all is in the notes, not among the sections.
            .filter(|&&section| section != Section::Vault || vault_section.is_some())
            .map(|section| section.name().to_owned())
            .collect(),
        measure_seconds,
        build_seconds,
        host,
        method: probe::method(
            &profile,
            soft,
            openssl.map(|version| crate::schema::OpensslReference {
                version,
                command: aead::OPENSSL_COMMAND.to_owned(),
            }),
        ),
        aead: aead_figures,
        stream: stream_figures,
        memory_ceiling,
        kdf: kdf_figures,
        argon2_reference,
        vault: vault_section,
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
        // This host's page and the index: a run here changes no other host's page.
        let written = crate::report::render_hosts(&reports, Some(&run.host.host_id))?;
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
    use e2eb_measure::bench::Progress as _;
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
