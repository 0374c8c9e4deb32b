//! The vault section of `cargo xtask bench`: the release `e2eb-vault` binary served on loopback
//! over SQLite in a temporary folder and over a temporary PostgreSQL cluster (where one can be
//! started), loaded by `e2eb_vault::loadgen` at each of the profile's client counts, with the
//! server's (and the database's) CPU time read from /proc around each phase.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use e2eb_measure::bench::{Profile, Progress};
use e2eb_measure::schema::vault::{
    PER_CORE_CPU_TIME, PER_CORE_LOGICAL_CPUS, Phase, VaultFigure, VaultSection, VaultSkip,
};
use e2eb_vault::loadgen;

/// How the section measures, as the run file and the report give it.
const METHOD: &str = "Each engine gets a fresh `e2eb-vault serve` (the release binary with its \
    production settings: 10 attempts, plain HTTP on 127.0.0.1) over a fresh database: SQLite in \
    a temporary folder (WAL, synchronous = FULL), or a temporary PostgreSQL cluster on the same \
    machine (fsync on). At each number of clients, the clients (threads of the bench, one \
    keep-alive HTTP connection each) first register new accounts for the phase's time, then log \
    in with the right password (the envelope released), then with a wrong one (an attempt spent \
    and recorded, at most 9 per account so that none is erased); one untimed round at one client \
    warms each server up first. An operation's latency covers its two requests and the client's \
    OPAQUE steps. The clients' OPAQUE suite stretches the password with the identity function \
    instead of Argon2id (64 MiB): the key stretching function runs on the client alone, so the \
    server receives the same messages and does the same work, and the figures measure the \
    server, not clients paying 64 MiB of Argon2id on the CPUs the server needs. Clients and \
    server share the machine's CPUs.";

/// The sentence on the per-core basis that goes with [`METHOD`].
const CPU_TIME_METHOD: &str = " Per core: operations over the CPU time (user and system, from \
    /proc/<pid>/stat) the server process spent in the phase, plus, for PostgreSQL, that of the \
    cluster's processes: what one fully busy core sustains.";
const LOGICAL_CPUS_METHOD: &str = " Per core: operations per second over the host's logical \
    CPUs (the CPU time of the server could not be read here).";

/// Builds the release `e2eb-vault` binary; returns its path.
pub fn build_server(workspace: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--package",
            "e2eb-vault",
            "--bin",
            "e2eb-vault",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "cargo build failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let binary = crate::workspace::target_dir()
        .join("release")
        .join(format!("e2eb-vault{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("{} was not built", binary.display()))
    }
}

/// Progress steps of [`measure`]: one per engine and client count.
pub fn steps(profile: &Profile) -> u64 {
    2 * profile.vault_clients.len() as u64
}

/// Measures both engines with `server` (the binary [`build_server`] made).
pub fn measure(
    profile: &Profile,
    logical_cpus: usize,
    server: &Path,
    progress: &dyn Progress,
) -> Result<VaultSection, String> {
    let folder = tempfile::tempdir().map_err(|error| format!("temporary folder: {error}"))?;
    let setup = folder.path().join("vault.setup");
    let output = Command::new(server)
        .args(["init", "--setup"])
        .arg(&setup)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("{}: {error}", server.display()))?;
    if !output.status.success() {
        return Err(format!(
            "e2eb-vault init failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let ticks = clock_ticks();
    let mut section = VaultSection {
        method: String::new(),
        phase_seconds: profile.vault_phase.as_secs_f64(),
        per_core_basis: String::new(),
        figures: Vec::new(),
        skipped: Vec::new(),
    };
    let mut bases = Vec::new();
    let steps = profile.vault_clients.len() as u64;

    let sqlite = folder.path().join("vault.sqlite");
    let sqlite = sqlite
        .to_str()
        .ok_or("the temporary folder's path is not UTF-8")?;
    if let Err(reason) = measure_engine(
        Engine {
            name: "sqlite",
            db: sqlite,
            database: None,
        },
        &Context {
            profile,
            logical_cpus,
            server,
            setup: &setup,
            log: &folder.path().join("sqlite-server.log"),
            ticks,
            progress,
        },
        &mut section.figures,
        &mut bases,
    ) {
        section.skipped.push(VaultSkip {
            engine: "sqlite".into(),
            reason,
        });
        progress.skip(steps.saturating_sub(done_steps(&section, "sqlite")));
    }

    progress.start("vault: starting a temporary PostgreSQL cluster".to_owned());
    match Postgres::start() {
        Ok(cluster) => {
            if let Err(reason) = measure_engine(
                Engine {
                    name: "postgresql",
                    db: &cluster.url,
                    database: cluster.postmaster_pid(),
                },
                &Context {
                    profile,
                    logical_cpus,
                    server,
                    setup: &setup,
                    log: &folder.path().join("postgresql-server.log"),
                    ticks,
                    progress,
                },
                &mut section.figures,
                &mut bases,
            ) {
                section.skipped.push(VaultSkip {
                    engine: "postgresql".into(),
                    reason,
                });
                progress.skip(steps.saturating_sub(done_steps(&section, "postgresql")));
            }
        }
        Err(reason) => {
            section.skipped.push(VaultSkip {
                engine: "postgresql".into(),
                reason,
            });
            progress.skip(steps);
        }
    }
    let by_cpu_time = !bases.is_empty() && bases.iter().all(|basis| *basis == PER_CORE_CPU_TIME);
    section.per_core_basis = if by_cpu_time {
        PER_CORE_CPU_TIME
    } else {
        PER_CORE_LOGICAL_CPUS
    }
    .to_owned();
    section.method = format!(
        "{METHOD}{}",
        if by_cpu_time {
            CPU_TIME_METHOD
        } else {
            LOGICAL_CPUS_METHOD
        }
    );
    if !by_cpu_time {
        // One basis for the whole section: figures from CPU time would not compare with the rest.
        for figure in &mut section.figures {
            figure.per_core_per_second = figure.per_second / logical_cpus.max(1) as f64;
        }
    }
    Ok(section)
}

/// Client counts an engine finished, as progress steps.
fn done_steps(section: &VaultSection, engine: &str) -> u64 {
    (section
        .figures
        .iter()
        .filter(|f| f.engine == engine)
        .count()
        / loadgen::Operation::ALL.len()) as u64
}

struct Engine<'a> {
    name: &'static str,
    /// The server's `--db`.
    db: &'a str,
    /// The database's main process (PostgreSQL's postmaster), whose CPU time and its
    /// children's count with the server's.
    database: Option<u32>,
}

struct Context<'a> {
    profile: &'a Profile,
    logical_cpus: usize,
    server: &'a Path,
    setup: &'a Path,
    log: &'a Path,
    ticks: Option<f64>,
    progress: &'a dyn Progress,
}

/// CPU seconds read at one moment: the server's and the database's.
#[derive(Clone, Copy)]
struct CpuReading {
    server: Option<f64>,
    database: Option<f64>,
}

fn measure_engine(
    engine: Engine<'_>,
    context: &Context<'_>,
    figures: &mut Vec<VaultFigure>,
    bases: &mut Vec<&'static str>,
) -> Result<(), String> {
    let server = Server::start(context.server, context.setup, engine.db, context.log)?;
    let ticks = context.ticks;
    let pid = server.child.id();
    let database = engine.database;
    let mut meter = || CpuReading {
        server: ticks.and_then(|ticks| process_cpu_seconds(pid, ticks)),
        database: ticks
            .zip(database)
            .and_then(|(ticks, root)| tree_cpu_seconds(root, ticks)),
    };
    let phase = context.profile.vault_phase;
    context
        .progress
        .start(format!("vault {}: warming up", engine.name));
    loadgen::run_level(
        &server.url,
        1,
        phase.min(std::time::Duration::from_millis(300)),
        &mut meter,
    )
    .map_err(|error| server.failure(&format!("warm-up: {error}")))?;
    for &clients in &context.profile.vault_clients {
        context.progress.start(format!(
            "vault {}: {clients} client{}",
            engine.name,
            if clients == 1 { "" } else { "s" }
        ));
        let outcomes = loadgen::run_level(&server.url, clients, phase, &mut meter)
            .map_err(|error| server.failure(&format!("at {clients} clients: {error}")))?;
        for outcome in outcomes {
            let spent = |before: Option<f64>, after: Option<f64>| {
                before.zip(after).map(|(b, a)| (a - b).max(0.0))
            };
            let (figure, basis) = VaultFigure::from_phase(&Phase {
                engine: engine.name,
                operation: outcome.operation.name(),
                clients,
                seconds: outcome.wall.as_secs_f64(),
                latencies: &outcome.latencies,
                server_cpu_seconds: spent(outcome.before.server, outcome.after.server),
                database_cpu_seconds: spent(outcome.before.database, outcome.after.database),
                logical_cpus: context.logical_cpus,
            })
            .map_err(|error| {
                format!("{} at {clients} clients: {error}", outcome.operation.name())
            })?;
            figures.push(figure);
            bases.push(basis);
        }
        context.progress.done();
    }
    Ok(())
}

/// A running `e2eb-vault serve`, its standard error in a file; killed when dropped.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, setup: &Path, db: &str, log: &Path) -> Result<Server, String> {
        let errors =
            std::fs::File::create(log).map_err(|error| format!("{}: {error}", log.display()))?;
        let mut child = Command::new(binary)
            .args(["serve", "--setup"])
            .arg(setup)
            .args(["--db", db, "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(errors)
            .spawn()
            .map_err(|error| format!("{}: {error}", binary.display()))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            // Ends at the first line, or when the server exits.
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let mut server = Server {
            child,
            url: String::new(),
            log: log.to_owned(),
        };
        match line.trim().strip_prefix("listening on ") {
            Some(url) => {
                server.url = url.to_owned();
                Ok(server)
            }
            None => Err(server.failure("the server did not start")),
        }
    }

    /// `what`, with the end of the server's standard error.
    fn failure(&self, what: &str) -> String {
        let mut log = String::new();
        if let Ok(file) = std::fs::File::open(&self.log) {
            let _ = file.take(4096).read_to_string(&mut log);
        }
        let log = log.trim();
        if log.is_empty() {
            what.to_owned()
        } else {
            format!("{what} (server: {})", log.replace('\n', "; "))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`).
fn clock_ticks() -> Option<f64> {
    let output = Command::new("getconf").arg("CLK_TCK").output().ok()?;
    let ticks: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .ok()?;
    (ticks > 0.0).then_some(ticks)
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces): state first.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User and system CPU seconds of a process, all its threads (fields 14 and 15 of stat).
fn process_cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    cpu_of(&stat_fields(pid)?, ticks)
}

fn cpu_of(fields: &[String], ticks: f64) -> Option<f64> {
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / ticks)
}

/// CPU seconds of `root` and its living children (PostgreSQL's postmaster and its backends).
fn tree_cpu_seconds(root: u32, ticks: f64) -> Option<f64> {
    let mut total = process_cpu_seconds(root, ticks)?;
    let root = root.to_string();
    for entry in std::fs::read_dir("/proc").ok()?.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        // Field 4, the parent, is the second after the name.
        if let Some(fields) = stat_fields(pid)
            && fields.get(1) == Some(&root)
        {
            total += cpu_of(&fields, ticks).unwrap_or(0.0);
        }
    }
    Some(total)
}

/// A PostgreSQL cluster in a temporary folder, stopped when dropped (as the vault's tests start
/// one).
struct Postgres {
    bin: PathBuf,
    folder: tempfile::TempDir,
    url: String,
    as_postgres_user: bool,
}

impl Postgres {
    /// Starts a cluster, or says why not.
    fn start() -> Result<Postgres, String> {
        let bin = postgres_bin().ok_or(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb and pg_ctl)",
        )?;
        let folder = tempfile::tempdir().map_err(|error| format!("temporary folder: {error}"))?;
        // PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
        let as_postgres_user = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout == b"0\n");
        if as_postgres_user {
            let owned = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(folder.path())
                .output()
                .map_err(|error| format!("chown: {error}"))?;
            if !owned.status.success() {
                return Err(format!(
                    "running as root, and the temporary cluster could not be given to a \
                     `postgres` user: {}",
                    String::from_utf8_lossy(&owned.stderr).trim()
                ));
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .map_err(|error| format!("no free port: {error}"))?
            .port();
        let cluster = Postgres {
            url: format!("postgres://vault@127.0.0.1:{port}/postgres"),
            bin,
            folder,
            as_postgres_user,
        };
        let data = cluster.folder.path().join("data");
        let data = data
            .to_str()
            .ok_or("the temporary folder's path is not UTF-8")?;
        cluster.pg(&[
            "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "vault",
            "--no-sync",
        ])?;
        let options = format!(
            "-h 127.0.0.1 -p {port} -k {} -c fsync=on",
            cluster.folder.path().display()
        );
        let log = cluster.folder.path().join("log");
        cluster.pg(&[
            "pg_ctl",
            "-D",
            data,
            "-o",
            &options,
            "-l",
            log.to_str()
                .ok_or("the temporary folder's path is not UTF-8")?,
            "-w",
            "-t",
            "60",
            "start",
        ])?;
        Ok(cluster)
    }

    /// The postmaster's process id, from `postmaster.pid`.
    fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.folder.path().join("data").join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn pg(&self, args: &[&str]) -> Result<(), String> {
        let output = self
            .command(args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("{}: {error}", args[0]))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}{}",
                args[0],
                String::from_utf8_lossy(&output.stdout).trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.folder.path().join("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_are_read_after_the_command_name() {
        // A name with spaces and a parenthesis, as /proc may show one.
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        let rest = &line[line.rfind(')').unwrap() + 1..];
        let fields: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
        assert_eq!(fields[1], "1", "the parent");
        assert_eq!(cpu_of(&fields, 100.0), Some(3.0));
        assert_eq!(cpu_of(&fields[..5], 100.0), None);
    }

    #[test]
    fn this_process_has_cpu_time() {
        let ticks = clock_ticks().expect("getconf CLK_TCK answers on Linux");
        assert!(process_cpu_seconds(std::process::id(), ticks).is_some());
        assert!(tree_cpu_seconds(std::process::id(), ticks).is_some());
    }
}
