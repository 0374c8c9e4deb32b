//! A whole benchmark run as a lone binary can make it on a device that has no repository,
//! toolchain or OpenSSL (`e2eb bench`): every compiled-in AEAD backend, the backup stream on
//! 1..N threads, the KDF grid within the memory this process may use, and the Argon2id settings
//! picked for the profile's target times, measured; written in the same schema as
//! `cargo xtask bench`, its host record marked as the probe's with what it lacks.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use e2eb::{Backend, Suite};

use super::aead::{self, Direction};
use super::kdf::{self, ChildCommand};
use super::{Profile, Progress, stream};
use crate::manifest::{self, ProbeRecord};
use crate::schema::{Method, OpensslReference, Run, SCHEMA_VERSION, Sampling, SoftBuild};

/// Why the results carry no cycles per byte.
pub const CYCLES_PER_BYTE: &str = "not measured: the benchmark harness forbids unsafe code, which \
rules out reading the time-stamp counter (core::arch::x86_64::_rdtsc is an unsafe function), \
and the TSC counts at a fixed reference rate rather than core cycles anyway; core cycle \
counters need perf_event_open and a PMU, which virtual machines often lack. Throughput is given \
in GB/s (10^9 bytes per second) instead.";

/// What a probe run lacks beside `cargo xtask bench`, as its host record says.
pub const ABSENT: [&str; 4] = [
    "software-only AEAD build: it needs the repository and a Rust toolchain",
    "OpenSSL reference: `openssl speed` is not run",
    "Argon2id against the reference C code: it needs pip and a C compiler",
    "crate versions from Cargo.lock, the release profile's settings and the git commit: only \
     e2eb's own version is recorded",
];

/// The sections of every run, in order.
pub const SECTIONS: [&str; 3] = ["aead", "stream", "kdf"];

/// What a probe run is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The profile, before [`Profile::cap_memory`] drops what this machine cannot hold.
    pub profile: Profile,
    /// The host folder's name; derived from the CPU, threads and memory when `None`.
    pub host_id: Option<String>,
    /// The program and version recorded as the probe, e.g. `e2eb 0.1.0`.
    pub program: String,
    /// How to start a KDF probe child.
    pub child: ChildCommand,
    /// Notes to record with the run, e.g. how the device was simulated.
    pub notes: Vec<String>,
}

/// The measuring steps of `profile` over `thread_counts` (for a progress bar), without the
/// software-only and OpenSSL AEAD steps and the reference Argon2id rounds, which the caller adds
/// where it runs them.
pub fn steps(profile: &Profile, thread_counts: &[usize]) -> u64 {
    let backends = Backend::compiled().len();
    let aead = Suite::ALL.len() * Direction::ALL.len() * profile.aead_sizes.len() * backends;
    // Two directions, each mode, each backend; then the memory ceiling per thread count.
    let stream =
        profile.stream_suites.len() * 2 * stream::MODE_COUNT * thread_counts.len() * backends
            + thread_counts.len();
    let kdf = kdf::grid(profile).len() + profile.check_targets.len();
    (aead + stream + kdf) as u64
}

/// How the figures of `profile` are taken, as the run records it.
pub fn method(
    profile: &Profile,
    soft: Option<SoftBuild>,
    openssl: Option<OpensslReference>,
) -> Method {
    Method {
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
        aead_open: Some(aead::OPEN_METHOD.to_owned()),
        soft,
        openssl,
        cycles_per_byte: CYCLES_PER_BYTE.to_owned(),
        backends: aead::backend_names(),
    }
}

/// Now, RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    manifest::rfc3339_utc(now)
}

/// Measures this machine per `options`, reporting each step to `progress` (which learns the
/// number of steps first through `total`). The KDF grid and picks stay within a quarter of the
/// memory this process may use (`KdfCaps::machine_memory`: the machine's, or its control
/// group's limit where lower).
pub fn run(
    options: Options,
    total: impl FnOnce(u64),
    progress: &dyn Progress,
) -> Result<Run, String> {
    let mut host = manifest::collect(options.host_id, now_rfc3339());
    host.probe = Some(ProbeRecord {
        program: options.program,
        absent: ABSENT.iter().map(|&part| part.to_owned()).collect(),
    });
    let mut profile = options.profile;
    profile.cap_memory(host.memory_bytes);
    let thread_counts = stream::thread_counts(host.logical_cpus);
    total(steps(&profile, &thread_counts));
    let mut notes = options.notes;
    let started = Instant::now();
    let aead_figures = aead::native(&profile, progress);
    let stream_figures = stream::measure(&profile, &thread_counts, progress)?;
    let memory_ceiling = stream::memory_ceiling(&profile, &thread_counts, progress)?;
    let (kdf_figures, errors) = kdf::measure(
        &profile,
        host.logical_cpus,
        host.memory_bytes,
        progress,
        &options.child,
    );
    notes.extend(errors);
    let measure_seconds = started.elapsed().as_secs_f64();
    if let Some(load) = &mut host.load {
        load.after = manifest::LoadSample::now();
    }
    Ok(Run {
        schema_version: SCHEMA_VERSION,
        profile: profile.name.to_owned(),
        sections: SECTIONS.iter().map(|&section| section.to_owned()).collect(),
        measure_seconds,
        build_seconds: 0.0,
        method: method(&profile, None, None),
        host,
        aead: aead_figures,
        stream: stream_figures,
        memory_ceiling,
        kdf: kdf_figures,
        argon2_reference: None,
        vault: None,
        notes,
    })
}
