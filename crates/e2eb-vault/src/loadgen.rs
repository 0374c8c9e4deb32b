//! Load on a running vault server, for measuring its capacity (`cargo xtask bench --only vault`):
//! clients on threads that register accounts, log in with the right password and with a wrong
//! one, each for a fixed time, and report every operation's latency.
//!
//! The clients speak the production protocol byte for byte, with one difference the server
//! cannot see: their OPAQUE suite stretches the password with the identity function instead of
//! Argon2id (64 MiB). OPAQUE runs its key stretching function on the client only; the server
//! stores and checks what the client derived without ever learning how. Clients that paid
//! 64 MiB of Argon2id per operation would measure themselves, not the server, on a machine they
//! share with it. The server is the production binary with its production settings.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use opaque_ke::rand::RngCore;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, RegistrationResponse,
};
use rand_core::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::{
    Action, ErrorCode, ErrorReply, Info, LoginFinish, LoginFinishReply, LoginStart,
    LoginStartReply, RegisterFinish, RegisterFinishReply, RegisterStart, RegisterStartReply,
};

/// The vault's suite with the identity key stretching function: identical on the wire to
/// [`crate::protocol::Suite`] (the KSF never leaves the client), for load generation only.
/// Nothing registered with it is reachable with the production client, which stretches the
/// password with Argon2id.
#[derive(Debug, Clone, Copy)]
pub struct LoadSuite;

impl opaque_ke::CipherSuite for LoadSuite {
    type OprfCs = <crate::protocol::Suite as opaque_ke::CipherSuite>::OprfCs;
    type KeyExchange = <crate::protocol::Suite as opaque_ke::CipherSuite>::KeyExchange;
    type Ksf = opaque_ke::ksf::Identity;
}

/// The password of every account the load registers, and the wrong one its failed logins try:
/// a 6-digit PIN, as the vault is meant for.
const PASSWORD: &[u8] = b"482916";
const WRONG_PASSWORD: &[u8] = b"000000";
/// Bytes of a generated account id (the reference length).
const ACCOUNT_LEN: usize = 32;

/// What a client does in a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `register/start` and `register/finish` of a new account.
    Register,
    /// `login/start` and `login/finish` with the right password, releasing the envelope.
    Login,
    /// `login/start` and `login/finish` with a wrong password: the attack path, which spends
    /// and records an attempt.
    WrongLogin,
}

impl Operation {
    /// In the order a level runs them: registration makes the accounts the logins use.
    pub const ALL: [Operation; 3] = [Operation::Register, Operation::Login, Operation::WrongLogin];

    /// `register`, `login` or `wrong-login`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Register => "register",
            Operation::Login => "login",
            Operation::WrongLogin => "wrong-login",
        }
    }
}

/// One phase at one concurrency: every operation's latency and the phase's wall time, with what
/// the caller's meter read just before and after it (the server's CPU time, say).
#[derive(Clone, Debug)]
pub struct PhaseOutcome<T> {
    /// What the clients did.
    pub operation: Operation,
    /// Concurrent clients.
    pub clients: usize,
    /// From the first client's start to the last client's end.
    pub wall: Duration,
    /// Seconds each operation took, both requests and the client's own OPAQUE steps.
    pub latencies: Vec<f64>,
    /// The meter just before the clients started.
    pub before: T,
    /// The meter once every client had finished.
    pub after: T,
}

/// Why the load could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A request failed below HTTP (connection refused, reset, timed out).
    #[error("{operation}: the server could not be reached: {reason}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// The transport's message.
        reason: String,
    },
    /// The server answered something other than what the operation expects.
    #[error("{operation}: unexpected answer {status}: {body}")]
    Unexpected {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The answer's body (at most 200 characters).
        body: String,
    },
    /// OPAQUE refused a message of the server's.
    #[error("{operation}: OPAQUE refused the server's message: {reason}")]
    Protocol {
        /// The operation.
        operation: &'static str,
        /// opaque-ke's error.
        reason: String,
    },
    /// A client used every wrong attempt of every account it had registered before the phase
    /// ended (the registration phase was too short to supply it).
    #[error(
        "a client ran out of accounts for wrong logins ({accounts} accounts, {per_account} wrong logins each)"
    )]
    OutOfAccounts {
        /// Accounts the client had.
        accounts: usize,
        /// Wrong logins each could take without being erased.
        per_account: u32,
    },
    /// A login phase began before the client had registered any account.
    #[error("{0}: the client has no registered account to log in to")]
    NoAccounts(&'static str),
    /// A client thread panicked.
    #[error("a load client stopped unexpectedly")]
    ClientPanicked,
}

/// An account a client registered, and how many more wrong logins it takes before its last
/// attempt (which would erase it, a path of its own that the load leaves out).
struct Account {
    id: Vec<u8>,
    wrong_left: u32,
}

/// One client: its connection and the accounts it registered.
struct Client {
    agent: ureq::Agent,
    base: String,
    accounts: Vec<Account>,
    /// The account the next login uses, round robin.
    next: usize,
    /// Wrong logins an account takes without erasure: the server's maximum less one.
    wrong_per_account: u32,
}

/// Asks the server for `/v1/info`.
pub fn info(base: &str) -> Result<Info, LoadError> {
    let agent = agent();
    let outcome = agent.get(&format!("{base}/v1/info")).call();
    match outcome {
        Ok(response) => response.into_json().map_err(|e| LoadError::Unexpected {
            operation: "info",
            status: 200,
            body: e.to_string(),
        }),
        Err(error) => Err(http_error("info", error)),
    }
}

/// Runs every [`Operation`] in turn at `clients` concurrent clients, each for `duration`, and
/// reads `meter` just before and after each phase (outside the clients' timing).
///
/// Each client registers its own accounts in the first phase; the logins use them.
pub fn run_level<T: Clone>(
    base: &str,
    clients: usize,
    duration: Duration,
    meter: &mut dyn FnMut() -> T,
) -> Result<Vec<PhaseOutcome<T>>, LoadError> {
    let clients = clients.max(1);
    let max_attempts = info(base)?.max_attempts;
    let barrier = Arc::new(Barrier::new(clients + 1));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let mut client = Client {
                agent: agent(),
                base: base.to_owned(),
                accounts: Vec::new(),
                next: 0,
                wrong_per_account: max_attempts.saturating_sub(1),
            };
            std::thread::spawn(move || {
                let mut results = Vec::new();
                let mut failed = None;
                for operation in Operation::ALL {
                    barrier.wait();
                    // A failed client still meets every barrier, so that the others finish.
                    if failed.is_none() {
                        match client.run(operation, duration) {
                            Ok(result) => results.push(result),
                            Err(error) => failed = Some(error),
                        }
                    }
                    barrier.wait();
                }
                match failed {
                    Some(error) => Err(error),
                    None => Ok(results),
                }
            })
        })
        .collect();
    let mut readings = Vec::new();
    for _ in Operation::ALL {
        let before = meter();
        barrier.wait();
        barrier.wait();
        readings.push((before, meter()));
    }
    let mut per_client = Vec::new();
    for thread in threads {
        per_client.push(thread.join().map_err(|_| LoadError::ClientPanicked)??);
    }
    Ok(Operation::ALL
        .iter()
        .enumerate()
        .map(|(index, &operation)| {
            let runs: Vec<&ClientRun> = per_client.iter().map(|runs| &runs[index]).collect();
            let start = runs
                .iter()
                .map(|r| r.start)
                .min()
                .expect("one client at least");
            let end = runs
                .iter()
                .map(|r| r.end)
                .max()
                .expect("one client at least");
            PhaseOutcome {
                operation,
                clients,
                wall: end - start,
                latencies: runs.iter().flat_map(|r| r.latencies.clone()).collect(),
                before: readings[index].0.clone(),
                after: readings[index].1.clone(),
            }
        })
        .collect())
}

/// One client's share of a phase.
struct ClientRun {
    start: Instant,
    end: Instant,
    latencies: Vec<f64>,
}

impl Client {
    /// Repeats `operation` until `duration` has passed (the last one started finishes).
    fn run(&mut self, operation: Operation, duration: Duration) -> Result<ClientRun, LoadError> {
        let start = Instant::now();
        let deadline = start + duration;
        let mut latencies = Vec::new();
        let mut now = start;
        while now < deadline {
            match operation {
                Operation::Register => self.register()?,
                Operation::Login => self.login()?,
                Operation::WrongLogin => self.wrong_login()?,
            }
            let done = Instant::now();
            latencies.push((done - now).as_secs_f64());
            now = done;
        }
        Ok(ClientRun {
            start,
            end: now,
            latencies,
        })
    }

    fn register(&mut self) -> Result<(), LoadError> {
        const OP: &str = "register";
        let mut id = vec![0u8; ACCOUNT_LEN];
        OsRng.fill_bytes(&mut id);
        let started = ClientRegistration::<LoadSuite>::start(&mut OsRng, PASSWORD)
            .map_err(|e| protocol_error(OP, e))?;
        let reply: RegisterStartReply = self.post(
            OP,
            "register/start",
            &RegisterStart {
                account: hex::encode(&id),
                registration_request: hex::encode(started.message.serialize()),
            },
        )?;
        let response = hex_bytes(OP, &reply.registration_response)?;
        let response = RegistrationResponse::<LoadSuite>::deserialize(&response)
            .map_err(|e| protocol_error(OP, e))?;
        let finished = started
            .state
            .finish(
                &mut OsRng,
                PASSWORD,
                response,
                ClientRegistrationFinishParameters::default(),
            )
            .map_err(|e| protocol_error(OP, e))?;
        // The secret is a fixed pattern: nothing here is worth keeping, and the sealing costs
        // the client what a real registration's does.
        let envelope = crate::envelope::seal(&finished.export_key, &id, &[0x5a; 32])
            .map_err(|e| protocol_error(OP, e))?;
        let _: RegisterFinishReply = self.post(
            OP,
            "register/finish",
            &RegisterFinish {
                account: hex::encode(&id),
                registration_upload: hex::encode(finished.message.serialize()),
                envelope: hex::encode(envelope),
            },
        )?;
        self.accounts.push(Account {
            id,
            wrong_left: self.wrong_per_account,
        });
        Ok(())
    }

    fn next_account(&mut self, operation: &'static str) -> Result<Vec<u8>, LoadError> {
        if self.accounts.is_empty() {
            return Err(LoadError::NoAccounts(operation));
        }
        self.next = (self.next + 1) % self.accounts.len();
        Ok(self.accounts[self.next].id.clone())
    }

    fn login(&mut self) -> Result<(), LoadError> {
        const OP: &str = "login";
        let id = self.next_account(OP)?;
        let started = ClientLogin::<LoadSuite>::start(&mut OsRng, PASSWORD)
            .map_err(|e| protocol_error(OP, e))?;
        let reply: LoginStartReply = self.post(
            OP,
            "login/start",
            &LoginStart {
                account: hex::encode(&id),
                credential_request: hex::encode(started.message.serialize()),
            },
        )?;
        let response = hex_bytes(OP, &reply.credential_response)?;
        let response = CredentialResponse::<LoadSuite>::deserialize(&response)
            .map_err(|e| protocol_error(OP, e))?;
        let finished = started
            .state
            .finish(
                &mut OsRng,
                PASSWORD,
                response,
                ClientLoginFinishParameters::default(),
            )
            .map_err(|e| protocol_error(OP, e))?;
        let released: LoginFinishReply = self.post(
            OP,
            "login/finish",
            &LoginFinish {
                login_id: reply.login_id,
                credential_finalization: hex::encode(finished.message.serialize()),
                action: Action::Release,
            },
        )?;
        let envelope = released
            .envelope
            .ok_or_else(|| LoadError::Unexpected {
                operation: OP,
                status: 200,
                body: "a release without the envelope".into(),
            })
            .and_then(|text| hex_bytes(OP, &text))?;
        crate::envelope::open(&finished.export_key, &id, &envelope)
            .map_err(|e| protocol_error(OP, e))?;
        // A verified login gives the account its attempts back.
        if let Some(account) = self.accounts.iter_mut().find(|a| a.id == id) {
            account.wrong_left = self.wrong_per_account;
        }
        Ok(())
    }

    /// A wrong password as an attacker sends it: the login's start, then, since the client
    /// cannot finish OPAQUE without the password, a finalization of random bytes.
    fn wrong_login(&mut self) -> Result<(), LoadError> {
        const OP: &str = "wrong-login";
        let Some(index) = (0..self.accounts.len())
            .map(|offset| (self.next + offset) % self.accounts.len())
            .find(|&index| self.accounts[index].wrong_left > 0)
        else {
            return Err(LoadError::OutOfAccounts {
                accounts: self.accounts.len(),
                per_account: self.wrong_per_account,
            });
        };
        self.next = (index + 1) % self.accounts.len();
        self.accounts[index].wrong_left -= 1;
        let id = self.accounts[index].id.clone();
        let started = ClientLogin::<LoadSuite>::start(&mut OsRng, WRONG_PASSWORD)
            .map_err(|e| protocol_error(OP, e))?;
        let reply: LoginStartReply = self.post(
            OP,
            "login/start",
            &LoginStart {
                account: hex::encode(&id),
                credential_request: hex::encode(started.message.serialize()),
            },
        )?;
        let mut noise = [0u8; crate::protocol::CREDENTIAL_FINALIZATION_LEN];
        OsRng.fill_bytes(&mut noise);
        let body = serde_json::to_vec(&LoginFinish {
            login_id: reply.login_id,
            credential_finalization: hex::encode(noise),
            action: Action::Release,
        })
        .expect("a message serialises");
        match self.send(OP, "login/finish", &body)? {
            (403, body) => {
                let reply: ErrorReply = parse(OP, 403, &body)?;
                if reply.error == ErrorCode::WrongPassword && reply.attempts_left.is_some() {
                    Ok(())
                } else {
                    Err(unexpected(OP, 403, &body))
                }
            }
            (status, body) => Err(unexpected(OP, status, &body)),
        }
    }

    /// POSTs `message` and parses a 200 answer.
    fn post<M: Serialize, A: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        message: &M,
    ) -> Result<A, LoadError> {
        let body = serde_json::to_vec(message).expect("a message serialises");
        match self.send(operation, path, &body)? {
            (200, body) => parse(operation, 200, &body),
            (status, body) => Err(unexpected(operation, status, &body)),
        }
    }

    /// POSTs `body`; the status and body of any HTTP answer.
    fn send(
        &self,
        operation: &'static str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, String), LoadError> {
        let outcome = self
            .agent
            .post(&format!("{}/v1/{path}", self.base))
            .set("content-type", "application/json")
            .send_bytes(body);
        let response = match outcome {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => return Err(http_error(operation, error)),
        };
        let status = response.status();
        let text = response.into_string().map_err(|e| LoadError::Transport {
            operation,
            reason: e.to_string(),
        })?;
        Ok((status, text))
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

fn http_error(operation: &'static str, error: ureq::Error) -> LoadError {
    match error {
        ureq::Error::Status(status, response) => {
            let body = response.into_string().unwrap_or_default();
            unexpected(operation, status, &body)
        }
        ureq::Error::Transport(transport) => LoadError::Transport {
            operation,
            reason: transport.to_string(),
        },
    }
}

fn parse<A: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &str,
) -> Result<A, LoadError> {
    serde_json::from_str(body).map_err(|_| unexpected(operation, status, body))
}

fn unexpected(operation: &'static str, status: u16, body: &str) -> LoadError {
    LoadError::Unexpected {
        operation,
        status,
        body: body.chars().take(200).collect(),
    }
}

fn hex_bytes(operation: &'static str, text: &str) -> Result<Vec<u8>, LoadError> {
    hex::decode(text).map_err(|_| LoadError::Unexpected {
        operation,
        status: 200,
        body: "a field that is not hex".into(),
    })
}

fn protocol_error(operation: &'static str, error: impl std::fmt::Display) -> LoadError {
    LoadError::Protocol {
        operation,
        reason: error.to_string(),
    }
}
