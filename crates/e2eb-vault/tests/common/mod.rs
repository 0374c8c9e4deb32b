//! Shared by the vault's integration tests: a server process on loopback, raw protocol steps,
//! and a PostgreSQL cluster of the test's own.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use e2eb_vault::protocol::{LoginFinish, LoginStart, LoginStartReply, Suite};
use e2eb_vault::setup::Setup;
use opaque_ke::ClientLogin;
use opaque_ke::rand::RngCore;
use rand_core::OsRng;

pub const PASSWORD: &[u8] = b"482916";
pub const WRONG: &[u8] = b"000000";

/// A fresh random account id of the reference length (32 bytes).
pub fn account() -> Vec<u8> {
    let mut id = vec![0u8; 32];
    OsRng.fill_bytes(&mut id);
    id
}

/// Writes a new setup file in `dir`.
pub fn setup_file(dir: &Path) -> (PathBuf, Setup) {
    let path = dir.join("vault.setup");
    let setup = Setup::generate();
    setup.write_new(&path).unwrap();
    let loaded = Setup::load(&path).unwrap();
    (path, loaded)
}

/// A running `e2eb-vault serve`; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    /// Starts a server on a free loopback port and waits for its "listening on" line.
    pub fn start(setup: &Path, db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_e2eb-vault"));
        command
            .args(["serve", "--setup"])
            .arg(setup)
            .args(["--db", db, "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("spawn e2eb-vault");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, url }
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `e2eb-vault` to completion with `args`; returns (success, stderr).
pub fn run_vault(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_e2eb-vault"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// POSTs raw bytes; returns the status and the body.
pub fn post_raw(agent: &ureq::Agent, url: &str, body: &[u8]) -> (u16, String) {
    let outcome = agent
        .post(url)
        .set("content-type", "application/json")
        .send_bytes(body);
    let response = match outcome {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(other) => panic!("transport failure: {other}"),
    };
    let status = response.status();
    let mut body = String::new();
    response
        .into_reader()
        .take(1 << 20)
        .read_to_string(&mut body)
        .unwrap();
    (status, body)
}

/// A login-start as a client sends it (the password only blinds the OPRF input: no KSF runs).
pub fn login_start(agent: &ureq::Agent, base: &str, account: &[u8]) -> (u16, String) {
    let started = ClientLogin::<Suite>::start(&mut OsRng, WRONG).unwrap();
    let body = serde_json::to_vec(&LoginStart {
        account: hex::encode(account),
        credential_request: hex::encode(started.message.serialize()),
    })
    .unwrap();
    post_raw(agent, &format!("{base}/v1/login/start"), &body)
}

/// A finish as a client whose password was wrong sends it: 64 random bytes for the MAC.
pub fn failing_finish_body(login_id: &str) -> Vec<u8> {
    let mut noise = [0u8; 64];
    OsRng.fill_bytes(&mut noise);
    serde_json::to_vec(&LoginFinish {
        login_id: login_id.to_owned(),
        credential_finalization: hex::encode(noise),
        action: e2eb_vault::protocol::Action::Release,
    })
    .unwrap()
}

/// One wrong-password login on the wire; returns the finish's status and body.
pub fn wrong_login_raw(agent: &ureq::Agent, base: &str, account: &[u8]) -> (u16, String) {
    let (status, body) = login_start(agent, base, account);
    assert_eq!(status, 200, "login start: {body}");
    let reply: LoginStartReply = serde_json::from_str(&body).unwrap();
    post_raw(
        agent,
        &format!("{base}/v1/login/finish"),
        &failing_finish_body(&reply.login_id),
    )
}

/// Runs a future on a fresh runtime (for reading storage from a synchronous test).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The counter of `account` as the store has it.
pub fn stored_attempts(db: &str, account: &[u8]) -> Option<u32> {
    block_on(async {
        let store = e2eb_vault::storage::open(db).await.unwrap();
        store.attempts_left(account).await.unwrap()
    })
}

/// A PostgreSQL cluster in a temporary directory, stopped when dropped.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub url: String,
    as_postgres_user: bool,
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

impl Postgres {
    /// Starts a cluster, or returns `None` (after saying so) when PostgreSQL is not installed and
    /// `E2EB_REQUIRE_POSTGRES=1` is not set.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = postgres_bin() else {
            if std::env::var("E2EB_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "{test}: PostgreSQL binaries not found under /usr/lib/postgresql and E2EB_REQUIRE_POSTGRES=1"
                );
            }
            eprintln!(
                "{test}: SKIPPED: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
        let as_postgres_user = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        if as_postgres_user {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success());
        }
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let cluster = Postgres {
            url: format!("postgres://vault@127.0.0.1:{port}/postgres"),
            bin,
            dir,
            as_postgres_user,
        };
        let data = cluster.dir.path().join("data");
        let data = data.to_str().unwrap();
        cluster.pg(&[
            "initdb",
            "-D",
            data,
            "-A",
            "trust",
            "-U",
            "vault",
            "--no-sync",
        ]);
        let options = format!(
            "-h 127.0.0.1 -p {port} -k {} -c fsync=on",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("log");
        cluster.pg(&[
            "pg_ctl",
            "-D",
            data,
            "-o",
            &options,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "60",
            "start",
        ]);
        Some(cluster)
    }

    /// The cluster's data directory: its tables, WAL and everything else it writes.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg(&self, args: &[&str]) {
        let program = self.bin.join(args[0]);
        let output = if self.as_postgres_user {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(&args[1..])
                .output()
        } else {
            Command::new(&program).args(&args[1..]).output()
        }
        .unwrap();
        assert!(
            output.status.success(),
            "{} failed: {}{}",
            args[0],
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let program = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let _ = command
            .arg("-D")
            .arg(data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    files
}

/// Searches `files` for any 16-byte window of the setup's secret part (the OPRF seed and the
/// server's private key: any of it found would be a leak), and, as a positive control that the
/// search sees what is stored, for the 32-byte account id `stored`. Returns how many files were
/// read; panics on a leak or when `stored` is nowhere.
pub fn assert_no_setup_secret_in(files: &[PathBuf], setup: &Setup, stored: &[u8]) -> usize {
    let secret = setup.secret_bytes();
    assert!(
        secret.len() >= 96,
        "setup serialises to {} bytes",
        secret.len()
    );
    // Raw, and as hex text in case something stored it as text.
    let hex_secret = hex::encode(&*secret).into_bytes();
    let windows: Vec<&[u8]> = secret
        .chunks_exact(16)
        .chain(hex_secret.chunks_exact(16))
        .collect();
    let mut read = 0;
    let mut stored_seen = false;
    for path in files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        read += 1;
        for window in &windows {
            assert!(
                !bytes.windows(16).any(|w| w == *window),
                "setup bytes found in {}",
                path.display()
            );
        }
        stored_seen |= bytes.windows(stored.len()).any(|w| w == stored);
    }
    assert!(
        stored_seen,
        "the search never found the account id it should see"
    );
    read
}
