//! The blocking client (VAULT.md, "Client"): registers a vault secret under a password and gets
//! it back, telling each way a login can fail apart.
//!
//! Before a login spends an attempt, the client checks that the server's key is the expected
//! vault's; after, OPAQUE itself authenticates that key, and the client checks it again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use opaque_ke::errors::ProtocolError;
use opaque_ke::rand::RngCore;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, RegistrationResponse,
};
use rand_core::OsRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::envelope;
use crate::protocol::{
    ACCOUNT_ID_MAX, ACCOUNT_ID_MIN, Action, ErrorCode, ErrorReply, Info, LoginFinish,
    LoginFinishReply, LoginStart, LoginStartReply, PROTOCOL, RegisterFinish, RegisterFinishReply,
    RegisterStart, RegisterStartReply, Suite, VAULT_ID_LEN, VAULT_SECRET_LEN, vault_id,
};

/// Why a vault operation failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The password was wrong; the account has this many attempts left (0: none, and the key is
    /// erased once the other pending logins end).
    #[error("wrong password: {attempts_left} attempt(s) left before the vault erases the key")]
    WrongPassword {
        /// Attempts left.
        attempts_left: u32,
    },
    /// That was the last attempt: the vault has erased the key for good.
    #[error("wrong password, and that was the last attempt: the vault has erased the key for good")]
    Erased,
    /// The vault holds no key for this account (never registered here, or erased earlier).
    #[error(
        "the vault holds no key for this account: erased after too many wrong passwords, deleted, or never registered here"
    )]
    NoKey,
    /// The server is not the expected vault (its key differs from the expected vault id).
    #[error(
        "the server at this address is not the expected vault (vault id {found}, expected {expected})"
    )]
    UnknownVault {
        /// The expected vault id (hex).
        expected: String,
        /// The server's vault id (hex).
        found: String,
    },
    /// Registration found the account taken.
    #[error("the vault already has this account")]
    AccountExists,
    /// The URL is not usable.
    #[error("vault URL {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The account id is outside 16..=64 bytes.
    #[error("account id of {0} bytes: must be 16 to 64")]
    BadAccount(usize),
    /// The CA file could not be read or holds no certificate.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("vault unreachable: {0}")]
    Unreachable(String),
    /// TLS failed (an untrusted or mismatched certificate, a handshake failure).
    #[error("TLS with the vault failed: {0}")]
    Tls(String),
    /// The server's answer is not a valid message of the protocol.
    #[error("malformed answer from the vault: {0}")]
    MalformedResponse(String),
    /// The server refused the request for a reason other than the above.
    #[error("the vault refused the request ({status}, {code:?})")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error code, when the answer had one.
        code: Option<ErrorCode>,
    },
    /// The released envelope did not open: the server returned something other than what was
    /// registered.
    #[error("the vault released an envelope that does not open with this login")]
    BadEnvelope,
    /// OPAQUE failed locally (the system random source, the key stretching function).
    #[error("OPAQUE failed locally: {0}")]
    Local(String),
}

/// How the client connects.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// PEM file of the CA (or self-signed certificate) to trust instead of the web's roots.
    pub ca_file: Option<PathBuf>,
    /// Limit on each request, connecting included.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            ca_file: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What `GET /v1/info` told, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultInfo {
    /// The server's OPAQUE public key.
    pub server_public_key: Vec<u8>,
    /// Its vault id.
    pub vault_id: [u8; VAULT_ID_LEN],
    /// Attempts a new account gets.
    pub max_attempts: u32,
}

/// A registration's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The vault id of the key OPAQUE registered with (to keep in the backup's slot).
    pub vault_id: [u8; VAULT_ID_LEN],
    /// Attempts the account has.
    pub attempts_left: u32,
}

/// An account's counters after a verified login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountStatus {
    /// Attempts left (the maximum, a verified login having just reset it).
    pub attempts_left: u32,
    /// The maximum.
    pub max_attempts: u32,
}

/// A client of one vault URL.
#[derive(Debug)]
pub struct VaultClient {
    base: String,
    agent: ureq::Agent,
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| {
                h.parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
            })
}

fn host_of(rest: &str) -> &str {
    let authority = rest.split('/').next().unwrap_or("");
    if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
    }
}

impl VaultClient {
    /// A client of the vault at `url` (`https://…`, or `http://` to a loopback address).
    pub fn new(url: &str, options: &ClientOptions) -> Result<VaultClient, VaultError> {
        let bad = |reason| VaultError::BadUrl {
            url: url.to_owned(),
            reason,
        };
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad(
                "must start with https:// (or http:// to a loopback address)",
            ));
        };
        let host = host_of(rest);
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        if !https && !is_loopback_host(host) {
            return Err(bad("plain http:// is allowed to loopback addresses only"));
        }
        let mut builder = ureq::AgentBuilder::new()
            .timeout(options.timeout)
            .redirects(0);
        if let Some(path) = &options.ca_file {
            builder = builder.tls_config(Arc::new(tls_config_with_ca(path)?));
        }
        Ok(VaultClient {
            base: url.trim_end_matches('/').to_owned(),
            agent: builder.build(),
        })
    }

    /// The server's key, vault id and attempt maximum.
    pub fn info(&self) -> Result<VaultInfo, VaultError> {
        let response = self.agent.get(&format!("{}/v1/info", self.base)).call();
        let info: Info = answer(response)?;
        if info.protocol != PROTOCOL {
            return Err(VaultError::MalformedResponse(format!(
                "protocol {:?}",
                info.protocol
            )));
        }
        let server_public_key = hex_field(&info.server_public_key, "server_public_key")?;
        let id = vault_id(&server_public_key);
        if hex::encode(id) != info.vault_id {
            return Err(VaultError::MalformedResponse(
                "vault_id is not the hash of the server key".into(),
            ));
        }
        Ok(VaultInfo {
            server_public_key,
            vault_id: id,
            max_attempts: info.max_attempts,
        })
    }

    fn post<Q: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        body: &Q,
    ) -> Result<A, VaultError> {
        answer(
            self.agent
                .post(&format!("{}{path}", self.base))
                .send_json(body),
        )
    }

    /// Registers `secret` for `account` under `password`; refused if the account exists.
    pub fn register(
        &self,
        account: &[u8],
        password: &[u8],
        secret: &[u8; VAULT_SECRET_LEN],
    ) -> Result<Registered, VaultError> {
        check_account(account)?;
        let local = |e: ProtocolError| VaultError::Local(e.to_string());
        let started = ClientRegistration::<Suite>::start(&mut OsRng, password).map_err(local)?;
        let reply: RegisterStartReply = self.post(
            "/v1/register/start",
            &RegisterStart {
                account: hex::encode(account),
                registration_request: hex::encode(started.message.serialize()),
            },
        )?;
        let response = RegistrationResponse::<Suite>::deserialize(&hex_field(
            &reply.registration_response,
            "registration_response",
        )?)
        .map_err(|e| VaultError::MalformedResponse(format!("registration_response: {e}")))?;
        let finished = started
            .state
            .finish(
                &mut OsRng,
                password,
                response,
                ClientRegistrationFinishParameters::default(),
            )
            .map_err(|e| match e {
                ProtocolError::SerializationError | ProtocolError::LibraryError(_) => local(e),
                other => VaultError::MalformedResponse(other.to_string()),
            })?;
        let sealed = envelope::seal(&finished.export_key, account, secret)
            .map_err(|e| VaultError::Local(e.to_string()))?;
        let reply: RegisterFinishReply = self.post(
            "/v1/register/finish",
            &RegisterFinish {
                account: hex::encode(account),
                registration_upload: hex::encode(finished.message.serialize()),
                envelope: hex::encode(sealed),
            },
        )?;
        Ok(Registered {
            vault_id: vault_id(&finished.server_s_pk.serialize()),
            attempts_left: reply.attempts_left,
        })
    }

    /// Logs in and returns the vault secret. With `expected_vault_id`, refuses (before spending
    /// an attempt) a server whose key is another vault's.
    pub fn login(
        &self,
        account: &[u8],
        password: &[u8],
        expected_vault_id: Option<&[u8; VAULT_ID_LEN]>,
    ) -> Result<Zeroizing<[u8; VAULT_SECRET_LEN]>, VaultError> {
        let (reply, export_key) =
            self.authenticate(account, password, expected_vault_id, Action::Release)?;
        let sealed = reply
            .envelope
            .ok_or_else(|| VaultError::MalformedResponse("no envelope in the answer".into()))?;
        let sealed = hex_field(&sealed, "envelope")?;
        envelope::open(&export_key, account, &sealed).map_err(|_| VaultError::BadEnvelope)
    }

    /// Logs in and reports the account's counters (the login resets them to the maximum).
    pub fn status(
        &self,
        account: &[u8],
        password: &[u8],
        expected_vault_id: Option<&[u8; VAULT_ID_LEN]>,
    ) -> Result<AccountStatus, VaultError> {
        let (reply, _) = self.authenticate(account, password, expected_vault_id, Action::Status)?;
        Ok(AccountStatus {
            attempts_left: reply.attempts_left,
            max_attempts: reply.max_attempts,
        })
    }

    /// Logs in and erases the account and its key.
    pub fn delete(
        &self,
        account: &[u8],
        password: &[u8],
        expected_vault_id: Option<&[u8; VAULT_ID_LEN]>,
    ) -> Result<(), VaultError> {
        let (reply, _) = self.authenticate(account, password, expected_vault_id, Action::Delete)?;
        if reply.deleted {
            Ok(())
        } else {
            Err(VaultError::NoKey)
        }
    }

    /// One OPAQUE login carrying `action`; returns the answer and the export key.
    fn authenticate(
        &self,
        account: &[u8],
        password: &[u8],
        expected_vault_id: Option<&[u8; VAULT_ID_LEN]>,
        action: Action,
    ) -> Result<(LoginFinishReply, Zeroizing<Vec<u8>>), VaultError> {
        check_account(account)?;
        if let Some(expected) = expected_vault_id {
            check_vault(expected, &self.info()?.vault_id)?;
        }
        let started = ClientLogin::<Suite>::start(&mut OsRng, password)
            .map_err(|e| VaultError::Local(e.to_string()))?;
        let reply: LoginStartReply = self.post(
            "/v1/login/start",
            &LoginStart {
                account: hex::encode(account),
                credential_request: hex::encode(started.message.serialize()),
            },
        )?;
        let response = CredentialResponse::<Suite>::deserialize(&hex_field(
            &reply.credential_response,
            "credential_response",
        )?)
        .map_err(|e| VaultError::MalformedResponse(format!("credential_response: {e}")))?;
        match started.state.finish(
            &mut OsRng,
            password,
            response,
            ClientLoginFinishParameters::default(),
        ) {
            Ok(finished) => {
                if let Some(expected) = expected_vault_id {
                    check_vault(expected, &vault_id(&finished.server_s_pk.serialize()))?;
                }
                let answer: LoginFinishReply = self.post(
                    "/v1/login/finish",
                    &LoginFinish {
                        login_id: reply.login_id,
                        credential_finalization: hex::encode(finished.message.serialize()),
                        action,
                    },
                )?;
                Ok((answer, Zeroizing::new(finished.export_key.to_vec())))
            }
            // The password is wrong (or the account unknown: the same to OPAQUE's client). The
            // attempt is spent already; a finish that cannot verify tells the server so, and
            // the answer says how many attempts remain.
            Err(ProtocolError::InvalidLoginError) => {
                let mut noise = [0u8; 64];
                OsRng.fill_bytes(&mut noise);
                let outcome: Result<LoginFinishReply, VaultError> = self.post(
                    "/v1/login/finish",
                    &LoginFinish {
                        login_id: reply.login_id,
                        credential_finalization: hex::encode(noise),
                        action,
                    },
                );
                match outcome {
                    Err(error) => Err(error),
                    Ok(_) => Err(VaultError::MalformedResponse(
                        "the vault accepted a login the client could not verify".into(),
                    )),
                }
            }
            Err(other) => Err(VaultError::MalformedResponse(other.to_string())),
        }
    }
}

fn check_account(account: &[u8]) -> Result<(), VaultError> {
    if (ACCOUNT_ID_MIN..=ACCOUNT_ID_MAX).contains(&account.len()) {
        Ok(())
    } else {
        Err(VaultError::BadAccount(account.len()))
    }
}

fn check_vault(
    expected: &[u8; VAULT_ID_LEN],
    found: &[u8; VAULT_ID_LEN],
) -> Result<(), VaultError> {
    if expected == found {
        Ok(())
    } else {
        Err(VaultError::UnknownVault {
            expected: hex::encode(expected),
            found: hex::encode(found),
        })
    }
}

fn hex_field(text: &str, field: &str) -> Result<Vec<u8>, VaultError> {
    hex::decode(text).map_err(|_| VaultError::MalformedResponse(format!("{field} is not hex")))
}

/// Turns an HTTP outcome into the answer or the specific failure.
fn answer<A: DeserializeOwned>(
    outcome: Result<ureq::Response, ureq::Error>,
) -> Result<A, VaultError> {
    match outcome {
        Ok(response) => response
            .into_json::<A>()
            .map_err(|e| VaultError::MalformedResponse(e.to_string())),
        Err(ureq::Error::Status(status, response)) => {
            let reply: ErrorReply = response
                .into_json()
                .map_err(|_| VaultError::Refused { status, code: None })?;
            Err(match (reply.error, reply.attempts_left) {
                (ErrorCode::Erased, _) => VaultError::Erased,
                (ErrorCode::WrongPassword, Some(attempts_left)) => {
                    VaultError::WrongPassword { attempts_left }
                }
                (ErrorCode::WrongPassword, None) => {
                    VaultError::MalformedResponse("wrong_password without attempts_left".into())
                }
                (ErrorCode::NoKey, _) => VaultError::NoKey,
                (ErrorCode::AccountExists, _) => VaultError::AccountExists,
                (code, _) => VaultError::Refused {
                    status,
                    code: Some(code),
                },
            })
        }
        Err(ureq::Error::Transport(transport)) => Err(transport_error(&transport)),
    }
}

fn transport_error(transport: &ureq::Transport) -> VaultError {
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        std::error::Error::source(transport);
    // Bounded: an error's source chain is finite, and a cycle would be a bug elsewhere.
    for _ in 0..16 {
        let Some(error) = source else { break };
        let tls = error.downcast_ref::<rustls::Error>().or_else(|| {
            error
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = tls {
            return VaultError::Tls(tls.to_string());
        }
        source = error.source();
    }
    VaultError::Unreachable(transport.to_string())
}

fn tls_config_with_ca(path: &std::path::Path) -> Result<rustls::ClientConfig, VaultError> {
    let ca_error = |reason: String| VaultError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots
            .add(cert.map_err(|e| ca_error(e.to_string()))?)
            .map_err(|e| ca_error(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(ca_error("no certificate in it".into()));
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| VaultError::Tls(e.to_string()))
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        let options = ClientOptions::default();
        assert!(VaultClient::new("http://127.0.0.1:8080", &options).is_ok());
        assert!(VaultClient::new("http://[::1]:8080/", &options).is_ok());
        assert!(VaultClient::new("http://localhost", &options).is_ok());
        assert!(matches!(
            VaultClient::new("http://10.0.0.1:80", &options),
            Err(VaultError::BadUrl { .. })
        ));
        assert!(matches!(
            VaultClient::new("http://vault.example", &options),
            Err(VaultError::BadUrl { .. })
        ));
        assert!(matches!(
            VaultClient::new("ftp://x", &options),
            Err(VaultError::BadUrl { .. })
        ));
        assert!(VaultClient::new("https://vault.example", &options).is_ok());
    }
}
