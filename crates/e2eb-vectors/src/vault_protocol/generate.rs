//! Writes the vault protocol vectors: each transcript is run by the vault's own suite and
//! envelope code from a seeded stream, and its random inputs are named from the draws; invalid
//! tests alter one message of a transcript, or expect another vault.

use std::collections::BTreeMap;

use e2eb_vault::envelope;
use e2eb_vault::protocol::{KSF_LANES, KSF_MEMORY_KIB, KSF_PASSES, Suite, vault_id};
use opaque_ke::ServerSetup;
use opaque_ke::rand::RngCore;
use sha2::{Digest, Sha256};

use super::rng::{FixedRng, seed_for};
use super::transcript::{
    ClientFinished, LOGIN_DRAWS, Login, REGISTRATION_DRAWS, Registration, check_draws,
    client_finish, login, register, server_finish,
};
use super::*;

mod derivations;

use derivations::{envelope_tests, vault_id_tests};

/// A server setup drawn from its seed, with its published values.
pub(super) struct Server {
    pub(super) setup: ServerSetup<Suite>,
    pub(super) inputs: ServerInputs,
}

pub(super) fn server(name: &str) -> Server {
    let seed = seed_for(&format!("server {name}"));
    let setup = ServerSetup::<Suite>::new(&mut FixedRng::seeded(seed));
    // Serialised as OPRF seed (64 bytes), private key (32), dummy record's public key (32).
    let bytes = setup.serialize();
    let public = setup.keypair().public().serialize();
    Server {
        inputs: ServerInputs {
            name: name.into(),
            seed: hex::encode(seed),
            oprf_seed: hex::encode(&bytes[..64]),
            server_private_key: hex::encode(&bytes[64..96]),
            server_public_key: hex::encode(public),
            vault_id: hex::encode(vault_id(&public)),
        },
        setup,
    }
}

/// 32 bytes (or `len`) named by a label, for accounts and vault secrets.
fn labelled(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut counter = 0u32;
    while out.len() < len {
        out.extend_from_slice(
            &Sha256::new()
                .chain_update(b"e2eb vault vectors/")
                .chain_update(label.as_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize(),
        );
        counter += 1;
    }
    out.truncate(len);
    out
}

/// One transcript as generated: the test (valid, or the base of invalid ones) and its runs.
struct Run {
    test: LoginTest,
    registration: Registration,
    login: Login,
    sealed: [u8; envelope::SEALED_LEN],
}

struct Case<'a> {
    label: &'a str,
    comment: &'a str,
    flags: &'a [&'a str],
    server: &'a Server,
    account_len: usize,
    password: &'a [u8],
    login_password: Option<&'a [u8]>,
}

fn run(case: &Case<'_>) -> Result<Run, String> {
    let seed = seed_for(case.label);
    let account = labelled(&format!("{}/account", case.label), case.account_len);
    let secret: [u8; 32] = labelled(&format!("{}/vault secret", case.label), 32)
        .try_into()
        .expect("32 bytes");
    let setup = &case.server.setup;
    let mut rng = FixedRng::seeded(seed);
    let registration = register::<Suite>(&mut rng, setup, &account, case.password)?;
    check_draws(&rng, 0, &REGISTRATION_DRAWS)?;
    let mut nonce = [0u8; envelope::NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let sealed = envelope::seal_with_nonce(&registration.export_key, &account, &secret, &nonce);
    let from = rng.draws().len();
    let login_password = case.login_password.unwrap_or(case.password);
    let login = login::<Suite>(
        &mut rng,
        setup,
        &registration.upload,
        &account,
        login_password,
        &[],
    )?;
    check_draws(&rng, from, &LOGIN_DRAWS)?;
    let draws = rng.draws();
    let inputs = LoginInputs {
        blind_registration: hex::encode(&registration.blind),
        envelope_nonce: hex::encode(&draws[1]),
        vault_envelope_nonce: hex::encode(&draws[2]),
        blind_login: hex::encode(&login.blind),
        client_keyshare_seed: hex::encode(&draws[4]),
        client_nonce: hex::encode(&draws[5]),
        masking_nonce: hex::encode(&draws[7]),
        server_keyshare_seed: hex::encode(&draws[8]),
        server_nonce: hex::encode(&draws[9]),
    };
    let transcript = transcript_of(&registration, &login, &account, &sealed)?;
    let (result, error) = match &login.finished {
        Ok(_) => ("valid", None),
        Err(class) => ("invalid", Some(class.to_string())),
    };
    Ok(Run {
        test: LoginTest {
            tc_id: 0,
            comment: case.comment.into(),
            flags: case.flags.iter().map(|f| f.to_string()).collect(),
            server: case.server.inputs.name.clone(),
            seed: hex::encode(seed),
            account: hex::encode(&account),
            password: hex::encode(case.password),
            login_password: case.login_password.map(hex::encode),
            vault_secret: hex::encode(secret),
            inputs,
            transcript,
            altered: None,
            expected_vault_id: None,
            result: result.into(),
            error,
        },
        registration,
        login,
        sealed,
    })
}

/// The transcript fields of a registration and login (shared with `verify`).
pub(super) fn transcript_of(
    registration: &Registration,
    login: &Login,
    account: &[u8],
    sealed: &[u8],
) -> Result<LoginTranscript, String> {
    let finished: Option<&ClientFinished> = login.finished.as_ref().ok();
    let released = match finished {
        Some(done) => Some(hex::encode(
            *envelope::open(&done.export_key, account, sealed)
                .map_err(|e| format!("the transcript's own envelope: {e}"))?,
        )),
        None => None,
    };
    Ok(LoginTranscript {
        registration_request: hex::encode(&registration.request),
        registration_response: hex::encode(&registration.response),
        registration_upload: hex::encode(&registration.upload),
        export_key: hex::encode(&registration.export_key),
        envelope_key: hex::encode(*envelope::envelope_key(&registration.export_key)),
        vault_envelope: hex::encode(sealed),
        vault_id: hex::encode(vault_id(&registration.server_public_key)),
        ke1: hex::encode(&login.ke1),
        ke2: hex::encode(&login.ke2),
        ke3: finished.map(|d| hex::encode(&d.ke3)),
        session_key: finished.map(|d| hex::encode(&d.session_key)),
        released_vault_secret: released,
    })
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

fn replace(bytes: &[u8], at: usize, with: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + with.len()].copy_from_slice(with);
    out
}

/// An invalid test: `base` with one message altered, and the class of what rejects it.
fn altered(
    base: &Run,
    comment: &str,
    flag: &str,
    message: &str,
    field: &str,
    change: &str,
    value: Vec<u8>,
) -> Result<LoginTest, String> {
    let password = hex::decode(
        base.test
            .login_password
            .as_ref()
            .unwrap_or(&base.test.password),
    )
    .expect("hex");
    let outcome = match message {
        "ke2" => client_finish::<Suite>(&base.login.client_state, &password, &value, &[])?
            .err()
            .ok_or("the client accepted an altered KE2")?,
        _ => server_finish::<Suite>(&base.login.server_state, &value, &[])?
            .err()
            .ok_or("the server accepted an altered KE3")?,
    };
    let mut test = base.test.clone();
    test.comment = comment.into();
    test.flags = vec![flag.into()];
    if message == "ke2" {
        // The client stops at the altered KE2: nothing after it exists.
        test.transcript.ke3 = None;
        test.transcript.session_key = None;
        test.transcript.released_vault_secret = None;
    }
    test.altered = Some(Altered {
        message: message.into(),
        field: field.into(),
        change: change.into(),
        value: hex::encode(value),
    });
    test.result = "invalid".into();
    test.error = Some(outcome.into());
    Ok(test)
}

fn notes() -> BTreeMap<String, Note> {
    let note = |bug: &str, description: &str| Note {
        bug_type: bug.into(),
        description: description.into(),
    };
    [
        ("ShortPassword", note("EDGE_CASE", "A 6-digit PIN or a one-byte password (OPAQUE needs at least one byte): the passwords the vault's attempt counter exists for.")),
        ("UnicodePassword", note("FUNCTIONALITY", "The password is UTF-8 with non-ASCII characters; OPAQUE takes its bytes as given.")),
        ("LongPassword", note("EDGE_CASE", "A password of 1024 bytes.")),
        ("AccountLength", note("EDGE_CASE", "The account id (OPAQUE's credential_identifier, the envelope's associated data) is at a length limit: 16 or 64 bytes.")),
        ("SecondServer", note("FUNCTIONALITY", "A second server setup: another OPRF seed and key pair, hence another vault id.")),
        ("WrongPassword", note("AUTH_BYPASS", "The login uses another password than the registration: the client's finish must fail (the envelope's authentication tag does not verify), and the client then sends 64 random bytes as KE3, which the server must reject.")),
        ("ModifiedKe2", note("AUTH_BYPASS", "One field of KE2 was changed to another valid value: the client's finish must fail and it must not release a KE3 or keys.")),
        ("ReflectedElement", note("MISSING_STEP", "KE2's evaluated element equals the client's blinded element: RFC 9807 requires the client to abort.")),
        ("MalformedKe2", note("CAN_OF_WORMS", "A group element of KE2 is not a valid ristretto255 encoding: the message must be refused as it is decoded.")),
        ("ModifiedKe3", note("AUTH_BYPASS", "KE3 is not the client's genuine finalization (altered, random, zero, or another login's): the server's finish must fail, which the vault counts as a wrong password.")),
        ("UnknownVault", note("MISSING_STEP", "The login succeeds against a server whose key is not the expected vault's (the account was registered at another vault): the client must refuse it by the vault id (VAULT.md section 7).")),
        ("ModifiedEnvelope", note("AUTH_BYPASS", "A byte of the vault envelope (nonce, ciphertext or tag) was changed: it must not open.")),
        ("EnvelopeLength", note("CAN_OF_WORMS", "The envelope is shorter or longer than 60 bytes: it must not open.")),
        ("OtherAccount", note("AUTH_BYPASS", "The envelope is opened for another account id (the associated data), or is another account's envelope: a server passing one account's envelope off as another's must be caught.")),
        ("OtherExportKey", note("AUTH_BYPASS", "The envelope is opened with another login's export key: it must not open.")),
        ("VaultIdDerivation", note("MISSING_STEP", "The expected vault id was derived without the label or the zero byte, or from another key: it must not match.")),
    ]
    .into_iter()
    .map(|(flag, note)| (flag.to_string(), note))
    .collect()
}

/// The suite as VAULT.md section 1 states it.
pub(super) fn suite() -> SuiteDescription {
    SuiteDescription {
        oprf: "ristretto255-SHA512".into(),
        group: "ristretto255".into(),
        hash: "SHA512".into(),
        kdf: "HKDF-SHA512".into(),
        mac: "HMAC-SHA512".into(),
        ksf: KsfDescription {
            algorithm: "Argon2id".into(),
            version: 0x13,
            memory_kib: KSF_MEMORY_KIB,
            passes: KSF_PASSES,
            lanes: KSF_LANES,
            salt: hex::encode([0u8; 16]),
            output_length: 64,
        },
        context: String::new(),
        identities: "default".into(),
        envelope_key_info: "e2eb vault envelope v1".into(),
        vault_id_label: "e2eb vault id v1".into(),
    }
}

/// Generates the vault protocol vector file.
pub fn file() -> Result<VaultProtocolFile, String> {
    let a = server("A");
    let b = server("B");
    let long: Vec<u8> = (0..1024u32).map(|i| b'!' + (i % 94) as u8).collect();
    let unicode = "p\u{e4}ssw\u{f6}rd \u{2713} \u{5bc6}\u{7801} \u{1f511}".as_bytes();
    let cases = [
        Case {
            label: "pin",
            comment: "a 6-digit PIN, 32-byte account id",
            flags: &["ShortPassword"],
            server: &a,
            account_len: 32,
            password: b"123456",
            login_password: None,
        },
        Case {
            label: "one byte",
            comment: "a one-byte password, 16-byte account id",
            flags: &["ShortPassword", "AccountLength"],
            server: &a,
            account_len: 16,
            password: b"0",
            login_password: None,
        },
        Case {
            label: "unicode",
            comment: "a UTF-8 password with non-ASCII characters, 64-byte account id",
            flags: &["UnicodePassword", "AccountLength"],
            server: &a,
            account_len: 64,
            password: unicode,
            login_password: None,
        },
        Case {
            label: "long",
            comment: "a 1024-byte password",
            flags: &["LongPassword"],
            server: &a,
            account_len: 32,
            password: &long,
            login_password: None,
        },
        Case {
            label: "server B",
            comment: "a passphrase at a second server setup",
            flags: &["SecondServer"],
            server: &b,
            account_len: 32,
            password: b"correct horse battery staple",
            login_password: None,
        },
        Case {
            label: "wrong password",
            comment: "PIN 123456 registered, 123457 given at login: the client's finish fails",
            flags: &["WrongPassword"],
            server: &a,
            account_len: 32,
            password: b"123456",
            login_password: Some(b"123457"),
        },
    ];
    let runs = cases.iter().map(run).collect::<Result<Vec<_>, _>>()?;
    let mut logins: Vec<LoginTest> = runs.iter().map(|r| r.test.clone()).collect();
    for (case, run) in cases.iter().zip(&runs) {
        let expected = if case.login_password.is_some() {
            "invalid"
        } else {
            "valid"
        };
        if run.test.result != expected {
            return Err(format!(
                "case {}: the login is {}, not {expected}",
                case.label, run.test.result
            ));
        }
    }

    let pin = &runs[0];
    let ke2 = &pin.login.ke2;
    let ke1 = &pin.login.ke1;
    let server_key = hex::decode(&a.inputs.server_public_key).expect("hex");
    let not_an_element = [0xffu8; 32];
    // KE2: evaluated element 0..32, masking nonce 32..64, masked response 64..192 (server
    // public key, then the OPAQUE envelope: nonce and tag), server nonce 192..224, server key
    // share 224..256, server MAC 256..320.
    let ke2_changes: [(&str, &str, &str, &str, Vec<u8>); 11] = [
        (
            "KE2 with the evaluated element replaced by another valid element (the server public key)",
            "ModifiedKe2",
            "evaluated_message",
            "replaced by the server public key",
            replace(ke2, 0, &server_key),
        ),
        (
            "KE2 reflecting the client's blinded element as the evaluated element",
            "ReflectedElement",
            "evaluated_message",
            "replaced by KE1's blinded_message",
            replace(ke2, 0, &ke1[..32]),
        ),
        (
            "KE2 whose evaluated element is not a valid encoding",
            "MalformedKe2",
            "evaluated_message",
            "32 bytes of 0xff",
            replace(ke2, 0, &not_an_element),
        ),
        (
            "KE2 with a bit of the masking nonce flipped",
            "ModifiedKe2",
            "masking_nonce",
            "bit 0 of its first byte flipped",
            flip(ke2, 32),
        ),
        (
            "KE2 with a bit of the masked server public key flipped",
            "ModifiedKe2",
            "masked_response",
            "bit 0 of byte 0 flipped (the masked server public key)",
            flip(ke2, 64),
        ),
        (
            "KE2 with a bit of the masked envelope nonce flipped",
            "ModifiedKe2",
            "masked_response",
            "bit 0 of byte 32 flipped (the masked envelope nonce)",
            flip(ke2, 96),
        ),
        (
            "KE2 with a bit of the masked envelope tag flipped",
            "ModifiedKe2",
            "masked_response",
            "bit 0 of its last byte flipped (the masked envelope tag)",
            flip(ke2, 191),
        ),
        (
            "KE2 with a bit of the server nonce flipped",
            "ModifiedKe2",
            "server_nonce",
            "bit 0 of its first byte flipped",
            flip(ke2, 192),
        ),
        (
            "KE2 with the server key share replaced by another valid element (the server public key)",
            "ModifiedKe2",
            "server_public_keyshare",
            "replaced by the server public key",
            replace(ke2, 224, &server_key),
        ),
        (
            "KE2 whose server key share is not a valid encoding",
            "MalformedKe2",
            "server_public_keyshare",
            "32 bytes of 0xff",
            replace(ke2, 224, &not_an_element),
        ),
        (
            "KE2 with a bit of the server MAC flipped",
            "ModifiedKe2",
            "server_mac",
            "bit 0 of its last byte flipped",
            flip(ke2, 319),
        ),
    ];
    for (comment, flag, field, change, value) in ke2_changes {
        logins.push(altered(pin, comment, flag, "ke2", field, change, value)?);
    }
    let ke3 = hex::decode(
        pin.test
            .transcript
            .ke3
            .as_deref()
            .ok_or("the PIN login failed")?,
    )
    .expect("hex");
    let mut noise = vec![0u8; 64];
    FixedRng::seeded(seed_for("KE3 noise")).fill_bytes(&mut noise);
    let other_ke3 = hex::decode(
        runs[1]
            .test
            .transcript
            .ke3
            .as_deref()
            .ok_or("login failed")?,
    )
    .expect("hex");
    let ke3_changes: [(&str, &str, Vec<u8>); 4] = [
        (
            "KE3 with a bit of the client MAC flipped",
            "bit 0 of its first byte flipped",
            flip(&ke3, 0),
        ),
        (
            "KE3 of 64 random bytes, as a client whose own finish failed sends",
            "64 random bytes",
            noise,
        ),
        ("KE3 of zeros", "64 zero bytes", vec![0u8; 64]),
        (
            "KE3 of another account's login",
            "the KE3 of the one-byte password's login",
            other_ke3,
        ),
    ];
    for (comment, change, value) in ke3_changes {
        logins.push(altered(
            pin,
            comment,
            "ModifiedKe3",
            "ke3",
            "client_mac",
            change,
            value,
        )?);
    }
    let mut unknown = runs[4].test.clone();
    unknown.comment =
        "a login that succeeds at server B, by a client that expects server A's vault id".into();
    unknown.flags = vec!["UnknownVault".into()];
    unknown.expected_vault_id = Some(a.inputs.vault_id.clone());
    unknown.result = "invalid".into();
    unknown.error = Some(UNKNOWN_VAULT.into());
    logins.push(unknown);

    let envelopes = envelope_tests(&runs)?;
    let ids = vault_id_tests(&a, &b);

    let mut next = 0u32;
    let mut id = || {
        next += 1;
        next
    };
    for test in &mut logins {
        test.tc_id = id();
    }
    let envelopes: Vec<EnvelopeTest> = envelopes
        .into_iter()
        .map(|mut t| {
            t.tc_id = id();
            t
        })
        .collect();
    let ids: Vec<VaultIdTest> = ids
        .into_iter()
        .map(|mut t| {
            t.tc_id = id();
            t
        })
        .collect();
    Ok(VaultProtocolFile {
        algorithm: "e2eb-vault-v1".into(),
        format_version: 1,
        number_of_tests: next as usize,
        header: vec![
            "Vectors for the e2eb vault protocol, version 1 (VAULT.md): OPAQUE (RFC 9807) registrations and logins of the vault's suite from fixed random inputs, the vault envelope and the vault id.".into(),
            "Login tests name their random inputs as RFC 9807's test vectors do; replaying them reproduces the transcript. Invalid tests alter one message, which the client (ke2) or the server (ke3) must reject, or expect another vault. See vectors/README.md.".into(),
        ],
        notes: notes(),
        schema: "schema.json".into(),
        suite: suite(),
        servers: vec![a.inputs, b.inputs],
        test_groups: vec![
            VaultGroup::VaultLogin(LoginGroup { tests: logins }),
            VaultGroup::VaultEnvelope(EnvelopeGroup { tests: envelopes }),
            VaultGroup::VaultId(VaultIdGroup { tests: ids }),
        ],
    })
}
