//! One registration and one login through opaque-ke, the library the vault's client and server
//! use, with every random input taken from a [`FixedRng`]; and the two finishes an invalid vector
//! replays with an altered message.
//!
//! Generic over the cipher suite's key stretching function only, so that the same code runs the
//! vault's suite (Argon2id) and RFC 9807's ristretto255 test vectors (identity KSF).

use opaque_ke::errors::ProtocolError;
use opaque_ke::{
    CipherSuite, ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialFinalization, CredentialResponse, Identifiers,
    Ristretto255, ServerLogin, ServerLoginParameters, ServerRegistration, ServerSetup, TripleDh,
};

use super::rng::FixedRng;

/// The suites this module runs: OPAQUE-3DH over ristretto255 with SHA-512, any KSF.
pub trait Ristretto255Suite:
    CipherSuite<OprfCs = Ristretto255, KeyExchange = TripleDh<Ristretto255, sha2_010::Sha512>>
{
}

impl<CS> Ristretto255Suite for CS where
    CS: CipherSuite<OprfCs = Ristretto255, KeyExchange = TripleDh<Ristretto255, sha2_010::Sha512>>
{
}

/// The random inputs in the order opaque-ke 4.0 draws them, with their lengths: a registration
/// (client start, client finish), then a login (client start, server start). The blinds are
/// drawn as 64 bytes and reduced modulo the group order; the server draws a masking key for a
/// dummy record first, which it discards when it has the account's record.
pub const REGISTRATION_DRAWS: [(&str, usize); 2] =
    [("blindRegistration", 64), ("envelopeNonce", 32)];
/// See [`REGISTRATION_DRAWS`].
pub const LOGIN_DRAWS: [(&str, usize); 7] = [
    ("blindLogin", 64),
    ("clientKeyshareSeed", 32),
    ("clientNonce", 32),
    ("dummyMaskingKey", 64),
    ("maskingNonce", 32),
    ("serverKeyshareSeed", 32),
    ("serverNonce", 32),
];

/// What fails when a vector's message is altered.
pub const CLIENT_FINISH_FAILS: &str = "ClientFinishFails";
/// See [`CLIENT_FINISH_FAILS`].
pub const SERVER_FINISH_FAILS: &str = "ServerFinishFails";
/// See [`CLIENT_FINISH_FAILS`].
pub const MALFORMED_MESSAGE: &str = "MalformedMessage";

/// A registration's messages and results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The blind the client drew, reduced (32 bytes).
    pub blind: Vec<u8>,
    /// RegistrationRequest.
    pub request: Vec<u8>,
    /// RegistrationResponse.
    pub response: Vec<u8>,
    /// RegistrationUpload (the record).
    pub upload: Vec<u8>,
    /// The export key.
    pub export_key: Vec<u8>,
    /// The server public key the client registered with.
    pub server_public_key: Vec<u8>,
}

/// A client's successful finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFinished {
    /// KE3 (CredentialFinalization).
    pub ke3: Vec<u8>,
    /// The export key.
    pub export_key: Vec<u8>,
    /// The session key.
    pub session_key: Vec<u8>,
    /// The server public key OPAQUE authenticated.
    pub server_public_key: Vec<u8>,
}

/// A login's messages, the two sides' states after KE2, and the client's finish.
#[derive(Clone, Debug)]
pub struct Login {
    /// The blind the client drew, reduced (32 bytes).
    pub blind: Vec<u8>,
    /// KE1 (CredentialRequest).
    pub ke1: Vec<u8>,
    /// KE2 (CredentialResponse).
    pub ke2: Vec<u8>,
    /// The client's state after KE1, serialised, to finish again with another KE2.
    pub client_state: Vec<u8>,
    /// The server's state after KE2, serialised, to finish again with another KE3.
    pub server_state: Vec<u8>,
    /// The client's finish on the genuine KE2: its result, or the failure's class.
    pub finished: Result<ClientFinished, &'static str>,
}

fn local(step: &str) -> impl Fn(ProtocolError) -> String + '_ {
    move |e| format!("{step}: {e}")
}

/// Registers `password` for `account` at `setup` (both sides).
pub fn register<CS: Ristretto255Suite>(
    rng: &mut FixedRng,
    setup: &ServerSetup<CS>,
    account: &[u8],
    password: &[u8],
) -> Result<Registration, String> {
    let started = ClientRegistration::<CS>::start(rng, password).map_err(local("client start"))?;
    let blind = started.state.serialize()[..32].to_vec();
    let request = started.message.serialize().to_vec();
    let response = ServerRegistration::<CS>::start(setup, started.message, account)
        .map_err(local("server start"))?
        .message;
    let response_bytes = response.serialize().to_vec();
    let finished = started
        .state
        .finish(
            rng,
            password,
            response,
            ClientRegistrationFinishParameters::default(),
        )
        .map_err(local("client finish"))?;
    Ok(Registration {
        blind,
        request,
        response: response_bytes,
        upload: finished.message.serialize().to_vec(),
        export_key: finished.export_key.to_vec(),
        server_public_key: finished.server_s_pk.serialize().to_vec(),
    })
}

/// Logs in with `password` against the record `upload` (both sides), with `context`.
pub fn login<CS: Ristretto255Suite>(
    rng: &mut FixedRng,
    setup: &ServerSetup<CS>,
    upload: &[u8],
    account: &[u8],
    password: &[u8],
    context: &[u8],
) -> Result<Login, String> {
    let record = ServerRegistration::<CS>::finish(
        opaque_ke::RegistrationUpload::deserialize(upload).map_err(local("record"))?,
    );
    let started = ClientLogin::<CS>::start(rng, password).map_err(local("client start"))?;
    let client_state = started.state.serialize().to_vec();
    let blind = client_state[..32].to_vec();
    let ke1 = started.message.serialize().to_vec();
    let server = ServerLogin::start(
        rng,
        setup,
        Some(record),
        started.message,
        account,
        ServerLoginParameters {
            context: Some(context),
            identifiers: Identifiers::default(),
        },
    )
    .map_err(local("server start"))?;
    let ke2 = server.message.serialize().to_vec();
    let server_state = server.state.serialize().to_vec();
    let finished = client_finish::<CS>(&client_state, password, &ke2, context)?;
    Ok(Login {
        blind,
        ke1,
        ke2,
        client_state,
        server_state,
        finished,
    })
}

/// The client's finish from `client_state` on `ke2`: its result, or the class of its failure.
/// An `Err` of the outer result is a fault of the vector (its state does not load).
pub fn client_finish<CS: Ristretto255Suite>(
    client_state: &[u8],
    password: &[u8],
    ke2: &[u8],
    context: &[u8],
) -> Result<Result<ClientFinished, &'static str>, String> {
    let state = ClientLogin::<CS>::deserialize(client_state).map_err(local("client state"))?;
    let Ok(response) = CredentialResponse::<CS>::deserialize(ke2) else {
        return Ok(Err(MALFORMED_MESSAGE));
    };
    // The client's finish draws nothing in OPAQUE-3DH; a script left empty shows it.
    let mut no_draws = FixedRng::script(Vec::new());
    let outcome = state.finish(
        &mut no_draws,
        password,
        response,
        ClientLoginFinishParameters::new(Some(context), Identifiers::default(), None),
    );
    no_draws
        .finish()
        .map_err(|e| format!("client finish: {e}"))?;
    Ok(match outcome {
        Ok(done) => Ok(ClientFinished {
            ke3: done.message.serialize().to_vec(),
            export_key: done.export_key.to_vec(),
            session_key: done.session_key.to_vec(),
            server_public_key: done.server_s_pk.serialize().to_vec(),
        }),
        Err(ProtocolError::InvalidLoginError | ProtocolError::ReflectedValueError) => {
            Err(CLIENT_FINISH_FAILS)
        }
        Err(ProtocolError::SerializationError) => Err(MALFORMED_MESSAGE),
        Err(other) => return Err(format!("client finish failed locally: {other}")),
    })
}

/// The server's finish from `server_state` on `ke3`: the session key, or the failure's class.
pub fn server_finish<CS: Ristretto255Suite>(
    server_state: &[u8],
    ke3: &[u8],
    context: &[u8],
) -> Result<Result<Vec<u8>, &'static str>, String> {
    let state = ServerLogin::<CS>::deserialize(server_state).map_err(local("server state"))?;
    let Ok(finalization) = CredentialFinalization::<CS>::deserialize(ke3) else {
        return Ok(Err(MALFORMED_MESSAGE));
    };
    Ok(
        match state.finish(
            finalization,
            ServerLoginParameters {
                context: Some(context),
                identifiers: Identifiers::default(),
            },
        ) {
            Ok(done) => Ok(done.session_key.to_vec()),
            Err(ProtocolError::InvalidLoginError) => Err(SERVER_FINISH_FAILS),
            Err(other) => return Err(format!("server finish failed otherwise: {other}")),
        },
    )
}

/// The script of a registration then a login from their named inputs (the blinds as 32-byte
/// scalars, zero-extended to the 64 bytes drawn; the discarded dummy masking key as zeros).
pub fn script(named: &[(&'static str, Vec<u8>)]) -> Vec<(&'static str, Vec<u8>)> {
    named
        .iter()
        .map(|(name, bytes)| {
            let mut bytes = bytes.clone();
            if name.starts_with("blind") {
                bytes.resize(64, 0);
            }
            (*name, bytes)
        })
        .collect()
}

/// Checks that `rng` drew exactly `expected` (names and lengths), in order, from `from` on.
pub fn check_draws(rng: &FixedRng, from: usize, expected: &[(&str, usize)]) -> Result<(), String> {
    let lengths: Vec<usize> = rng.draws()[from..].iter().map(Vec::len).collect();
    let wanted: Vec<usize> = expected.iter().map(|(_, len)| *len).collect();
    if lengths == wanted {
        Ok(())
    } else {
        Err(format!(
            "opaque-ke drew random inputs of {lengths:?} bytes where {expected:?} was expected: its draw order changed, and the named inputs must be mapped again"
        ))
    }
}
