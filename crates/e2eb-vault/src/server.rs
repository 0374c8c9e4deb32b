//! The HTTP/JSON server (VAULT.md, "Endpoints"): the OPAQUE server side of registration and
//! login over a [`Store`], with the attempt spent and committed before a login's first answer.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use opaque_ke::rand::RngCore;
use opaque_ke::{
    CredentialFinalization, CredentialRequest, RegistrationRequest, RegistrationUpload,
    ServerLogin, ServerLoginParameters, ServerRegistration,
};
use rand_core::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::envelope::SEALED_LEN;
use crate::protocol::{
    ACCOUNT_ID_MAX, ACCOUNT_ID_MIN, Action, CREDENTIAL_FINALIZATION_LEN, CREDENTIAL_REQUEST_LEN,
    ErrorCode, ErrorReply, Info, LoginFinish, LoginFinishReply, LoginStart, LoginStartReply,
    PROTOCOL, REGISTRATION_REQUEST_LEN, REGISTRATION_UPLOAD_LEN, RegisterFinish,
    RegisterFinishReply, RegisterStart, RegisterStartReply, Suite, decode_hex,
};
use crate::setup::Setup;
use crate::storage::{Failed, NewAccount, PendingLogin, Spend, Store, StoreError};

/// Seconds a login may take between its start and its finish.
pub const LOGIN_TTL_SECS: i64 = 60;
/// Largest request body accepted (the largest message is a few hundred bytes).
const BODY_LIMIT: usize = 16 * 1024;
/// Length of a login id.
const LOGIN_ID_LEN: usize = 32;

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Vault {
    setup: Setup,
    store: Box<dyn Store>,
    max_attempts: u32,
}

impl Vault {
    /// A vault over a setup and a store, giving new accounts `max_attempts` attempts.
    pub fn new(setup: Setup, store: Box<dyn Store>, max_attempts: u32) -> Vault {
        Vault {
            setup,
            store,
            max_attempts,
        }
    }
}

/// The router of the vault's endpoints.
pub fn router(vault: Arc<Vault>) -> Router {
    Router::new()
        .route("/v1/info", get(info))
        .route("/v1/register/start", post(register_start))
        .route("/v1/register/finish", post(register_finish))
        .route("/v1/login/start", post(login_start))
        .route("/v1/login/finish", post(login_finish))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(vault)
}

/// A request's failure, answered as an [`ErrorReply`].
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    body: ErrorReply,
}

impl Refusal {
    fn new(code: ErrorCode) -> Refusal {
        let status = match code {
            ErrorCode::Malformed => StatusCode::BAD_REQUEST,
            ErrorCode::AccountExists | ErrorCode::NoSuchLogin => StatusCode::CONFLICT,
            ErrorCode::WrongPassword => StatusCode::FORBIDDEN,
            ErrorCode::NoKey => StatusCode::NOT_FOUND,
            ErrorCode::Erased => StatusCode::GONE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Refusal {
            status,
            body: ErrorReply {
                error: code,
                attempts_left: None,
            },
        }
    }

    fn malformed() -> Refusal {
        Refusal::new(ErrorCode::Malformed)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        // Storage failures are the operator's to see; the client learns only that it failed.
        eprintln!("e2eb-vault: storage: {error}");
        Refusal::new(ErrorCode::Internal)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

type Answer<T> = Result<axum::Json<T>, Refusal>;

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|_| Refusal::malformed())
}

fn account_id(text: &str) -> Result<Vec<u8>, Refusal> {
    decode_hex("account", text, ACCOUNT_ID_MIN, ACCOUNT_ID_MAX).map_err(|_| Refusal::malformed())
}

fn field(name: &'static str, text: &str, len: usize) -> Result<Vec<u8>, Refusal> {
    decode_hex(name, text, len, len).map_err(|_| Refusal::malformed())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn ok<T: Serialize>(value: T) -> Answer<T> {
    Ok(axum::Json(value))
}

async fn info(State(vault): State<Arc<Vault>>) -> Answer<Info> {
    let public_key = vault.setup.public_key();
    ok(Info {
        protocol: PROTOCOL.to_owned(),
        vault_id: hex::encode(crate::protocol::vault_id(&public_key)),
        server_public_key: hex::encode(public_key),
        max_attempts: vault.max_attempts,
    })
}

async fn register_start(
    State(vault): State<Arc<Vault>>,
    body: Bytes,
) -> Answer<RegisterStartReply> {
    let request: RegisterStart = parse(&body)?;
    let account = account_id(&request.account)?;
    let message = field(
        "registration_request",
        &request.registration_request,
        REGISTRATION_REQUEST_LEN,
    )?;
    let message =
        RegistrationRequest::<Suite>::deserialize(&message).map_err(|_| Refusal::malformed())?;
    let started = ServerRegistration::<Suite>::start(vault.setup.opaque(), message, &account)
        .map_err(|_| Refusal::malformed())?;
    ok(RegisterStartReply {
        registration_response: hex::encode(started.message.serialize()),
    })
}

async fn register_finish(
    State(vault): State<Arc<Vault>>,
    body: Bytes,
) -> Answer<RegisterFinishReply> {
    let request: RegisterFinish = parse(&body)?;
    let account = account_id(&request.account)?;
    let upload = field(
        "registration_upload",
        &request.registration_upload,
        REGISTRATION_UPLOAD_LEN,
    )?;
    let upload =
        RegistrationUpload::<Suite>::deserialize(&upload).map_err(|_| Refusal::malformed())?;
    let envelope = decode_hex("envelope", &request.envelope, SEALED_LEN, SEALED_LEN)
        .map_err(|_| Refusal::malformed())?;
    let record = ServerRegistration::<Suite>::finish(upload)
        .serialize()
        .to_vec();
    let created = vault
        .store
        .create(NewAccount {
            account,
            record,
            envelope,
            max_attempts: vault.max_attempts,
        })
        .await?;
    if !created {
        return Err(Refusal::new(ErrorCode::AccountExists));
    }
    ok(RegisterFinishReply {
        attempts_left: vault.max_attempts,
    })
}

async fn login_start(State(vault): State<Arc<Vault>>, body: Bytes) -> Answer<LoginStartReply> {
    let request: LoginStart = parse(&body)?;
    let account = account_id(&request.account)?;
    let message = field(
        "credential_request",
        &request.credential_request,
        CREDENTIAL_REQUEST_LEN,
    )?;
    let message =
        CredentialRequest::<Suite>::deserialize(&message).map_err(|_| Refusal::malformed())?;

    // The attempt is spent and committed here, before anything is answered: a crash or a
    // dropped connection from now on costs it.
    let now = now();
    let record = match vault
        .store
        .spend_attempt(&account, now, now + LOGIN_TTL_SECS)
        .await?
    {
        Spend::Spent { record, .. } => Some(
            ServerRegistration::<Suite>::deserialize(&record)
                .map_err(|_| Refusal::from(StoreError::Damaged("registration record")))?,
        ),
        // opaque-ke answers with a dummy record then: the same shape as a real one.
        Spend::NoKey => None,
    };
    let record_found = record.is_some();
    failpoint_after_spend();

    let started = ServerLogin::start(
        &mut OsRng,
        vault.setup.opaque(),
        record,
        message,
        &account,
        ServerLoginParameters::default(),
    )
    .map_err(|_| Refusal::malformed())?;
    let mut login_id = [0u8; LOGIN_ID_LEN];
    OsRng.fill_bytes(&mut login_id);
    let spent = record_found;
    let state = started.state.serialize().to_vec();
    vault
        .store
        .put_login(
            &login_id,
            PendingLogin {
                account,
                state,
                spent,
            },
            now,
            now + LOGIN_TTL_SECS,
        )
        .await?;
    ok(LoginStartReply {
        login_id: hex::encode(login_id),
        credential_response: hex::encode(started.message.serialize()),
    })
}

async fn login_finish(State(vault): State<Arc<Vault>>, body: Bytes) -> Answer<LoginFinishReply> {
    let request: LoginFinish = parse(&body)?;
    let login_id = decode_hex("login_id", &request.login_id, LOGIN_ID_LEN, LOGIN_ID_LEN)
        .map_err(|_| Refusal::malformed())?;
    let finalization = field(
        "credential_finalization",
        &request.credential_finalization,
        CREDENTIAL_FINALIZATION_LEN,
    )?;
    let finalization = CredentialFinalization::<Suite>::deserialize(&finalization)
        .map_err(|_| Refusal::malformed())?;

    // Taken (deleted) before it is checked: a login id answers one finish, right or wrong.
    let Some(login) = vault.store.take_login(&login_id, now()).await? else {
        return Err(Refusal::new(ErrorCode::NoSuchLogin));
    };
    let state = ServerLogin::<Suite>::deserialize(&login.state)
        .map_err(|_| Refusal::from(StoreError::Damaged("login state")))?;
    if state
        .finish(finalization, ServerLoginParameters::default())
        .is_err()
    {
        // A dummy login spent nothing and has no account to charge.
        if !login.spent {
            return Err(Refusal::new(ErrorCode::NoKey));
        }
        return Err(match vault.store.failed(&login.account, now()).await? {
            Failed::AttemptsLeft(left) => wrong_password(ErrorCode::WrongPassword, left),
            Failed::Erased => wrong_password(ErrorCode::Erased, 0),
            Failed::NoKey => Refusal::new(ErrorCode::NoKey),
        });
    }
    let Some(verified) = vault.store.verified(&login.account).await? else {
        return Err(Refusal::new(ErrorCode::NoKey));
    };
    let reply = match request.action {
        Action::Release => LoginFinishReply {
            envelope: Some(hex::encode(&verified.envelope)),
            attempts_left: verified.max_attempts,
            max_attempts: verified.max_attempts,
            deleted: false,
        },
        Action::Status => LoginFinishReply {
            envelope: None,
            attempts_left: verified.max_attempts,
            max_attempts: verified.max_attempts,
            deleted: false,
        },
        Action::Delete => LoginFinishReply {
            envelope: None,
            attempts_left: 0,
            max_attempts: verified.max_attempts,
            deleted: vault.store.delete(&login.account).await?,
        },
    };
    ok(reply)
}

fn wrong_password(code: ErrorCode, attempts_left: u32) -> Refusal {
    let mut refusal = Refusal::new(code);
    refusal.body.attempts_left = Some(attempts_left);
    refusal
}

/// Test builds only: stops the request between the committed attempt and the answer, so that a
/// test can `kill -9` the server at exactly that moment. It first creates the file named by
/// `E2EB_VAULT_FAILPOINT_MARK` (the test's signal that the attempt is committed), then parks this
/// worker thread for good: the client waits for an answer that never comes.
#[cfg(feature = "failpoints")]
fn failpoint_after_spend() {
    if std::env::var_os("E2EB_VAULT_FAILPOINT").is_some_and(|v| v == "after-spend") {
        if let Some(mark) = std::env::var_os("E2EB_VAULT_FAILPOINT_MARK") {
            let _ = std::fs::File::create(mark);
        }
        loop {
            std::thread::park();
        }
    }
}

#[cfg(not(feature = "failpoints"))]
fn failpoint_after_spend() {}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// PEM certificate chain and private key; without them, only a loopback address is allowed.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Plain HTTP was asked for on an address other machines can reach.
    #[error(
        "{0} is not a loopback address: plain HTTP is served on loopback only; give --tls-cert and --tls-key"
    )]
    PlainHttpOffLoopback(SocketAddr),
    /// The certificate or key could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// Listening or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, ServeError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))
    };
    let cert_pem = read(cert)?;
    let key_pem = zeroize::Zeroizing::new(read(key)?);
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(ServeError::Tls(format!(
            "{}: no certificate in it",
            cert.display()
        )));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| ServeError::Tls(format!("{}: {e}", key.display())))?
        .ok_or_else(|| ServeError::Tls(format!("{}: no private key in it", key.display())))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ServeError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(chain, key_der)
    .map_err(|e| ServeError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Binds, calls `on_listening` with the bound address, and serves until the process ends.
pub async fn serve(
    vault: Arc<Vault>,
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr, bool),
) -> Result<(), ServeError> {
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls_config(cert, key)?),
        None if !options.listen.ip().is_loopback() => {
            return Err(ServeError::PlainHttpOffLoopback(options.listen));
        }
        None => None,
    };
    let listener = TcpListener::bind(options.listen)?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let app = router(vault).into_make_service();
    on_listening(address, tls.is_some());
    match tls {
        Some(config) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
            axum_server::from_tcp_rustls(listener, config)
                .serve(app)
                .await?;
        }
        None => axum_server::from_tcp(listener).serve(app).await?,
    }
    Ok(())
}
