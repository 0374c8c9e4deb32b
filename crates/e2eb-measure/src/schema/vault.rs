//! The vault section of a run: an `e2eb-vault` server's capacity on loopback, per storage
//! engine, operation and number of concurrent clients, and the figures derived from one phase's
//! latencies.

use serde::{Deserialize, Serialize};

use crate::stats::quantile;

/// What the vault section measured, and what it could not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaultSection {
    /// How the load was made and the figures taken, in words.
    pub method: String,
    /// Seconds each phase (one operation at one number of clients) ran for.
    pub phase_seconds: f64,
    /// How the per-core figures are derived: `server-cpu-time` (operations over the CPU
    /// seconds the server, and for PostgreSQL the database, spent in the phase) or
    /// `logical-cpus` (operations per second over the host's logical CPUs, where CPU time
    /// could not be read).
    pub per_core_basis: String,
    /// One figure per engine, operation and number of clients.
    pub figures: Vec<VaultFigure>,
    /// Engines not measured, and why.
    #[serde(default)]
    pub skipped: Vec<VaultSkip>,
}

/// An engine the run did not measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaultSkip {
    /// `sqlite` or `postgresql`.
    pub engine: String,
    /// Why, in words.
    pub reason: String,
}

/// One operation at one number of concurrent clients against one engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaultFigure {
    /// `sqlite` or `postgresql`.
    pub engine: String,
    /// `register`, `login` (right password, envelope released) or `wrong-login` (wrong
    /// password: an attempt spent and recorded).
    pub operation: String,
    /// Concurrent clients, each doing one operation after another.
    pub clients: usize,
    /// Operations completed in the phase.
    pub operations: u64,
    /// Wall time of the phase, from the first client's start to the last one's end.
    pub seconds: f64,
    /// `operations / seconds`.
    pub per_second: f64,
    /// Median latency of one operation (its two requests and the client's OPAQUE steps).
    pub latency_p50_seconds: f64,
    /// 99th percentile of the latency.
    pub latency_p99_seconds: f64,
    /// CPU seconds (user and system) of the server process over the phase, where read.
    pub server_cpu_seconds: Option<f64>,
    /// CPU seconds of the database's processes over the phase (PostgreSQL; SQLite runs inside
    /// the server), where read.
    pub database_cpu_seconds: Option<f64>,
    /// Operations per second one fully busy core sustains, by [`VaultSection::per_core_basis`].
    pub per_core_per_second: f64,
}

/// Why a phase gives no figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhaseError {
    /// No operation finished.
    NoOperations,
    /// The wall time is not a positive number.
    NoTime,
    /// A latency is not a finite, non-negative number.
    BadLatency,
}

impl std::fmt::Display for PhaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhaseError::NoOperations => "no operation finished in the phase",
            PhaseError::NoTime => "the phase's wall time is not positive",
            PhaseError::BadLatency => "a latency is not a finite, non-negative number",
        })
    }
}

impl std::error::Error for PhaseError {}

/// A phase as measured: what [`VaultFigure::from_phase`] derives a figure from.
#[derive(Clone, Debug)]
pub struct Phase<'a> {
    pub engine: &'a str,
    pub operation: &'a str,
    pub clients: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Seconds per operation, in any order.
    pub latencies: &'a [f64],
    pub server_cpu_seconds: Option<f64>,
    pub database_cpu_seconds: Option<f64>,
    /// The host's logical CPUs, for the per-core figure when no CPU time was read.
    pub logical_cpus: usize,
}

impl VaultFigure {
    /// The figure of a phase: throughput, the median and 99th percentile of its latencies
    /// (linear interpolation between closest ranks, as [`crate::stats`]), and the per-core
    /// figure from the CPU time where there is one (server plus database), else from the
    /// logical CPUs. Returns the basis used with it.
    pub fn from_phase(phase: &Phase<'_>) -> Result<(VaultFigure, &'static str), PhaseError> {
        if phase.latencies.is_empty() {
            return Err(PhaseError::NoOperations);
        }
        if !(phase.seconds.is_finite() && phase.seconds > 0.0) {
            return Err(PhaseError::NoTime);
        }
        if phase
            .latencies
            .iter()
            .any(|value| !value.is_finite() || *value < 0.0)
        {
            return Err(PhaseError::BadLatency);
        }
        let mut sorted = phase.latencies.to_vec();
        sorted.sort_by(f64::total_cmp);
        let operations = sorted.len() as u64;
        let per_second = operations as f64 / phase.seconds;
        let cpu = phase
            .server_cpu_seconds
            .map(|server| server + phase.database_cpu_seconds.unwrap_or(0.0))
            .filter(|cpu| *cpu > 0.0);
        let (per_core_per_second, basis) = match cpu {
            Some(cpu) => (operations as f64 / cpu, PER_CORE_CPU_TIME),
            None => (
                per_second / phase.logical_cpus.max(1) as f64,
                PER_CORE_LOGICAL_CPUS,
            ),
        };
        Ok((
            VaultFigure {
                engine: phase.engine.to_owned(),
                operation: phase.operation.to_owned(),
                clients: phase.clients,
                operations,
                seconds: phase.seconds,
                per_second,
                latency_p50_seconds: quantile(&sorted, 0.5),
                latency_p99_seconds: quantile(&sorted, 0.99),
                server_cpu_seconds: phase.server_cpu_seconds,
                database_cpu_seconds: phase.database_cpu_seconds,
                per_core_per_second,
            },
            basis,
        ))
    }

    /// The share of one core the server (and the database) kept busy over the phase, where
    /// their CPU time was read: well below the host's cores, the limit was not CPU.
    pub fn cpu_busy(&self) -> Option<f64> {
        let server = self.server_cpu_seconds?;
        Some((server + self.database_cpu_seconds.unwrap_or(0.0)) / self.seconds)
    }

    /// Whether every number is finite and positive where it must be (CPU times may be absent).
    pub fn is_sound(&self) -> bool {
        let positive = |value: f64| value.is_finite() && value > 0.0;
        self.operations > 0
            && self.clients > 0
            && positive(self.seconds)
            && positive(self.per_second)
            && positive(self.per_core_per_second)
            && self.latency_p50_seconds.is_finite()
            && self.latency_p50_seconds >= 0.0
            && self.latency_p99_seconds >= self.latency_p50_seconds
            && self.latency_p99_seconds.is_finite()
            && [self.server_cpu_seconds, self.database_cpu_seconds]
                .iter()
                .flatten()
                .all(|cpu| cpu.is_finite() && *cpu >= 0.0)
    }
}

/// [`VaultSection::per_core_basis`] when the per-core figures come from CPU time.
pub const PER_CORE_CPU_TIME: &str = "server-cpu-time";
/// [`VaultSection::per_core_basis`] when they come from the logical CPU count.
pub const PER_CORE_LOGICAL_CPUS: &str = "logical-cpus";

impl VaultSection {
    /// The figure for these keys, if measured.
    pub fn figure(&self, engine: &str, operation: &str, clients: usize) -> Option<&VaultFigure> {
        self.figures
            .iter()
            .find(|f| f.engine == engine && f.operation == operation && f.clients == clients)
    }

    /// The engines measured, in the order first measured.
    pub fn engines(&self) -> Vec<&str> {
        let mut engines: Vec<&str> = Vec::new();
        for figure in &self.figures {
            if !engines.contains(&figure.engine.as_str()) {
                engines.push(&figure.engine);
            }
        }
        engines
    }

    /// The client counts measured, ascending.
    pub fn client_counts(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = self.figures.iter().map(|f| f.clients).collect();
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    /// The figure of `operation` on `engine` with the most operations per second.
    pub fn best(&self, engine: &str, operation: &str) -> Option<&VaultFigure> {
        self.figures
            .iter()
            .filter(|f| f.engine == engine && f.operation == operation)
            .max_by(|a, b| a.per_second.total_cmp(&b.per_second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(latencies: &[f64]) -> Phase<'_> {
        Phase {
            engine: "sqlite",
            operation: "login",
            clients: 4,
            seconds: 2.0,
            latencies,
            server_cpu_seconds: Some(1.5),
            database_cpu_seconds: None,
            logical_cpus: 2,
        }
    }

    #[test]
    fn a_phase_gives_throughput_percentiles_and_per_core_from_cpu_time() {
        // 1..=100 ms: p50 = 50.5 ms, p99 = 99.01 ms (NumPy's linear interpolation).
        let latencies: Vec<f64> = (1..=100).rev().map(|ms| f64::from(ms) / 1000.0).collect();
        let (figure, basis) = VaultFigure::from_phase(&phase(&latencies)).unwrap();
        assert_eq!(basis, PER_CORE_CPU_TIME);
        assert_eq!(figure.operations, 100);
        assert_eq!(figure.per_second, 50.0);
        assert!((figure.latency_p50_seconds - 0.0505).abs() < 1e-12);
        assert!((figure.latency_p99_seconds - 0.09901).abs() < 1e-12);
        assert!((figure.per_core_per_second - 100.0 / 1.5).abs() < 1e-9);
        assert_eq!(figure.cpu_busy(), Some(0.75));
        assert!(figure.is_sound());
    }

    #[test]
    fn the_database_cpu_counts_and_without_cpu_time_the_cores_do() {
        let latencies = [0.01; 10];
        let mut with_database = phase(&latencies);
        with_database.database_cpu_seconds = Some(0.5);
        let (figure, _) = VaultFigure::from_phase(&with_database).unwrap();
        assert_eq!(figure.per_core_per_second, 10.0 / 2.0);
        assert_eq!(figure.cpu_busy(), Some(1.0));
        let mut without = phase(&latencies);
        without.server_cpu_seconds = None;
        let (figure, basis) = VaultFigure::from_phase(&without).unwrap();
        assert_eq!(basis, PER_CORE_LOGICAL_CPUS);
        assert_eq!(figure.cpu_busy(), None);
        assert_eq!(figure.per_core_per_second, 5.0 / 2.0);
    }

    #[test]
    fn empty_or_broken_phases_give_no_figure() {
        assert_eq!(
            VaultFigure::from_phase(&phase(&[])),
            Err(PhaseError::NoOperations)
        );
        assert_eq!(
            VaultFigure::from_phase(&phase(&[0.1, f64::NAN])),
            Err(PhaseError::BadLatency)
        );
        let latencies = [0.1];
        let mut timeless = phase(&latencies);
        timeless.seconds = 0.0;
        assert_eq!(VaultFigure::from_phase(&timeless), Err(PhaseError::NoTime));
    }

    #[test]
    fn lookups_find_engines_counts_and_the_best_figure() {
        let mut figures = Vec::new();
        for engine in ["sqlite", "postgresql"] {
            for (clients, latency) in [(2usize, 0.02), (1, 0.01)] {
                let latencies = vec![latency; clients * 10];
                let mut p = phase(&latencies);
                p.engine = engine;
                p.clients = clients;
                figures.push(VaultFigure::from_phase(&p).unwrap().0);
            }
        }
        let section = VaultSection {
            method: String::new(),
            phase_seconds: 2.0,
            per_core_basis: PER_CORE_CPU_TIME.into(),
            figures,
            skipped: vec![],
        };
        assert_eq!(section.engines(), ["sqlite", "postgresql"]);
        assert_eq!(section.client_counts(), [1, 2]);
        assert_eq!(section.best("postgresql", "login").unwrap().clients, 2);
        assert!(section.figure("sqlite", "login", 1).is_some());
        assert!(section.figure("sqlite", "register", 1).is_none());
    }
}
