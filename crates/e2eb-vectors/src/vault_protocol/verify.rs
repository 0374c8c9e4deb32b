//! Checks the vault protocol vectors with the vault's own code, from their published values
//! alone: each transcript is replayed from its named inputs (not its seed), every message and key
//! compared, and every invalid test must be rejected by the side it names, with the class given.

use e2eb_vault::envelope;
use e2eb_vault::protocol::{Suite, vault_id};
use opaque_ke::ServerSetup;
use opaque_ke::rand::RngCore;

use super::generate::{suite, transcript_of};
use super::rng::FixedRng;
use super::transcript::{client_finish, login, register, script, server_finish};
use super::*;

fn bytes(field: &str, text: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|e| format!("{field}: {e}"))
}

/// The server setup of `inputs`, checked against its public key and vault id.
fn setup_of(inputs: &ServerInputs) -> Result<ServerSetup<Suite>, String> {
    let public = bytes("serverPublicKey", &inputs.server_public_key)?;
    // The dummy record's key only answers unknown accounts, which no test has.
    let serialised = [
        bytes("oprfSeed", &inputs.oprf_seed)?,
        bytes("serverPrivateKey", &inputs.server_private_key)?,
        public.clone(),
    ]
    .concat();
    let setup = ServerSetup::<Suite>::deserialize(&serialised)
        .map_err(|e| format!("server {}: {e}", inputs.name))?;
    if setup.keypair().public().serialize().as_slice() != public.as_slice() {
        return Err(format!(
            "server {}: the public key is not the private key's",
            inputs.name
        ));
    }
    if hex::encode(vault_id(&public)) != inputs.vault_id {
        return Err(format!(
            "server {}: the vault id is not the key's",
            inputs.name
        ));
    }
    Ok(setup)
}

fn check_login(
    file: &VaultProtocolFile,
    setups: &[(String, ServerSetup<Suite>)],
    test: &LoginTest,
) -> Result<(), String> {
    let (_, setup) = setups
        .iter()
        .find(|(name, _)| *name == test.server)
        .ok_or_else(|| format!("no server {}", test.server))?;
    let account = bytes("account", &test.account)?;
    let password = bytes("password", &test.password)?;
    let login_password = match &test.login_password {
        Some(text) => bytes("loginPassword", text)?,
        None => password.clone(),
    };
    let secret: [u8; 32] = bytes("vaultSecret", &test.vault_secret)?
        .try_into()
        .map_err(|_| "vaultSecret: not 32 bytes")?;
    let i = &test.inputs;
    let named = [
        ("blindRegistration", &i.blind_registration),
        ("envelopeNonce", &i.envelope_nonce),
        ("vaultEnvelopeNonce", &i.vault_envelope_nonce),
        ("blindLogin", &i.blind_login),
        ("clientKeyshareSeed", &i.client_keyshare_seed),
        ("clientNonce", &i.client_nonce),
    ]
    .into_iter()
    .chain([("dummyMaskingKey", &hex::encode([0u8; 64]))])
    .chain([
        ("maskingNonce", &i.masking_nonce),
        ("serverKeyshareSeed", &i.server_keyshare_seed),
        ("serverNonce", &i.server_nonce),
    ])
    .map(|(name, text)| Ok((name, bytes(name, text)?)))
    .collect::<Result<Vec<_>, String>>()?;
    let mut rng = FixedRng::script(script(&named));
    let registration = register::<Suite>(&mut rng, setup, &account, &password)?;
    let mut nonce = [0u8; envelope::NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let sealed = envelope::seal_with_nonce(&registration.export_key, &account, &secret, &nonce);
    let login = login::<Suite>(
        &mut rng,
        setup,
        &registration.upload,
        &account,
        &login_password,
        &[],
    )?;
    rng.finish()?;
    let mut transcript = transcript_of(&registration, &login, &account, &sealed)?;
    let context: &[u8] = &[];
    let outcome: Result<(), String> = if let Some(altered) = &test.altered {
        let value = bytes("altered.value", &altered.value)?;
        match altered.message.as_str() {
            "ke2" => {
                if value == login.ke2 {
                    return Err("the altered KE2 is the genuine one".into());
                }
                transcript.ke3 = None;
                transcript.session_key = None;
                transcript.released_vault_secret = None;
                match client_finish::<Suite>(&login.client_state, &login_password, &value, context)?
                {
                    Ok(_) => Ok(()),
                    Err(class) => Err(class.to_string()),
                }
            }
            "ke3" => {
                if Some(hex::encode(&value)) == transcript.ke3 {
                    return Err("the altered KE3 is the genuine one".into());
                }
                match server_finish::<Suite>(&login.server_state, &value, context)? {
                    Ok(_) => Ok(()),
                    Err(class) => Err(class.to_string()),
                }
            }
            other => return Err(format!("altered message {other:?}")),
        }
    } else {
        match &login.finished {
            Err(class) => Err(class.to_string()),
            Ok(done) => {
                let server_key =
                    match server_finish::<Suite>(&login.server_state, &done.ke3, context)? {
                        Ok(key) => key,
                        Err(class) => {
                            return Err(format!("the server rejected the genuine KE3: {class}"));
                        }
                    };
                if server_key != done.session_key {
                    return Err("the server's session key differs from the client's".into());
                }
                if done.export_key != registration.export_key {
                    return Err("the login's export key differs from the registration's".into());
                }
                let found = hex::encode(vault_id(&done.server_public_key));
                let server_id = &file
                    .servers
                    .iter()
                    .find(|s| s.name == test.server)
                    .expect("found above")
                    .vault_id;
                if found != *server_id {
                    return Err("the key OPAQUE authenticated is not the server's".into());
                }
                match &test.expected_vault_id {
                    Some(expected) if *expected != found => Err(UNKNOWN_VAULT.to_string()),
                    _ => Ok(()),
                }
            }
        }
    };
    if transcript != test.transcript {
        return Err(format!(
            "replaying the named inputs gives another transcript: {}",
            first_difference(&transcript, &test.transcript)
        ));
    }
    match (test.result.as_str(), outcome) {
        ("valid", Ok(())) => {
            if transcript.released_vault_secret.as_deref() != Some(test.vault_secret.as_str()) {
                return Err("the released vault secret is not the registered one".into());
            }
            Ok(())
        }
        ("valid", Err(class)) => Err(format!("a valid login failed: {class}")),
        (_, Ok(())) => Err("an invalid login was accepted".into()),
        (_, Err(class)) if Some(&class) == test.error.as_ref() => Ok(()),
        (_, Err(class)) => Err(format!("failed with {class}, expected {:?}", test.error)),
    }
}

fn first_difference(got: &LoginTranscript, want: &LoginTranscript) -> String {
    let a = serde_json::to_value(got).expect("serialises");
    let b = serde_json::to_value(want).expect("serialises");
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "not objects".into();
    };
    a.keys()
        .chain(b.keys())
        .find(|key| a.get(*key) != b.get(*key))
        .map_or_else(|| "none found".into(), |key| format!("`{key}` differs"))
}

fn check_envelope(test: &EnvelopeTest) -> Result<(), String> {
    let export_key = bytes("exportKey", &test.export_key)?;
    let account = bytes("account", &test.account)?;
    let sealed = bytes("envelope", &test.envelope)?;
    match (
        test.result.as_str(),
        envelope::open(&export_key, &account, &sealed),
    ) {
        ("valid", Ok(secret)) => {
            if Some(hex::encode(*secret)) != test.vault_secret {
                return Err("opens to another vault secret".into());
            }
            if Some(hex::encode(*envelope::envelope_key(&export_key))) != test.envelope_key {
                return Err("the envelope key differs".into());
            }
            let nonce: [u8; envelope::NONCE_LEN] =
                sealed[..envelope::NONCE_LEN].try_into().expect("60 bytes");
            if envelope::seal_with_nonce(&export_key, &account, &secret, &nonce)[..] != sealed[..] {
                return Err(
                    "sealing the secret with the envelope's nonce gives another envelope".into(),
                );
            }
            Ok(())
        }
        ("valid", Err(_)) => Err("a valid envelope does not open".into()),
        (_, Ok(_)) => Err("an invalid envelope opened".into()),
        (_, Err(_)) if test.error.as_deref() == Some(ENVELOPE_DOES_NOT_OPEN) => Ok(()),
        (_, Err(_)) => Err(format!("expected {:?}", test.error)),
    }
}

fn check_vault_id(test: &VaultIdTest) -> Result<(), String> {
    let key = bytes("serverPublicKey", &test.server_public_key)?;
    let matches = hex::encode(vault_id(&key)) == test.vault_id;
    match (test.result.as_str(), matches) {
        ("valid", true) => Ok(()),
        ("valid", false) => Err("the vault id is not the key's".into()),
        (_, true) => Err("an invalid test's vault id is the key's".into()),
        (_, false) if test.error.as_deref() == Some(UNKNOWN_VAULT) => Ok(()),
        (_, false) => Err(format!("expected {:?}", test.error)),
    }
}

/// Runs the vault's code over every test of `file`; returns (passed, failures).
pub fn run_reference(file: &VaultProtocolFile) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    if file.suite != suite() {
        failures.push("the suite is not the vault's (e2eb_vault::protocol)".into());
    }
    let mut setups = Vec::new();
    for server in &file.servers {
        match setup_of(server) {
            Ok(setup) => setups.push((server.name.clone(), setup)),
            Err(why) => failures.push(why),
        }
    }
    let mut record = |id: u32, comment: &str, outcome: Result<(), String>| match outcome {
        Ok(()) => passed += 1,
        Err(why) => failures.push(format!("vault tc {id} ({comment}): {why}")),
    };
    for group in &file.test_groups {
        match group {
            VaultGroup::VaultLogin(group) => {
                for test in &group.tests {
                    record(test.tc_id, &test.comment, check_login(file, &setups, test));
                }
            }
            VaultGroup::VaultEnvelope(group) => {
                for test in &group.tests {
                    record(test.tc_id, &test.comment, check_envelope(test));
                }
            }
            VaultGroup::VaultId(group) => {
                for test in &group.tests {
                    record(test.tc_id, &test.comment, check_vault_id(test));
                }
            }
        }
    }
    (passed, failures)
}
