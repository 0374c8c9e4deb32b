//! The vectors another implementation checks without OPAQUE: vault envelopes opened (and
//! refused) from a transcript's export key, and vault ids from a server's public key.

use sha2::{Digest, Sha256};

use super::*;

pub(super) fn envelope_tests(runs: &[Run]) -> Result<Vec<EnvelopeTest>, String> {
    let mut tests = Vec::new();
    let test = |comment: &str, flags: &[&str], export_key: &[u8], account: &[u8], sealed: &[u8]| {
        let opened = envelope::open(export_key, account, sealed);
        EnvelopeTest {
            tc_id: 0,
            comment: comment.into(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            export_key: hex::encode(export_key),
            account: hex::encode(account),
            envelope: hex::encode(sealed),
            envelope_key: opened
                .is_ok()
                .then(|| hex::encode(*envelope::envelope_key(export_key))),
            vault_secret: opened.as_ref().ok().map(|s| hex::encode(**s)),
            result: if opened.is_ok() { "valid" } else { "invalid" }.into(),
            error: opened.is_err().then(|| ENVELOPE_DOES_NOT_OPEN.into()),
        }
    };
    for run in runs.iter().filter(|r| r.test.result == "valid") {
        let account = hex::decode(&run.test.account).expect("hex");
        tests.push(test(
            &format!("the envelope of the login test \"{}\"", run.test.comment),
            &[],
            &run.registration.export_key,
            &account,
            &run.sealed,
        ));
    }
    let pin = &runs[0];
    let key = &pin.registration.export_key;
    let account = hex::decode(&pin.test.account).expect("hex");
    let sealed = &pin.sealed[..];
    let other = &runs[1];
    let other_account = hex::decode(&other.test.account).expect("hex");
    let mut near_account = account.clone();
    *near_account.last_mut().expect("account") ^= 1;
    let mut longer = sealed.to_vec();
    longer.push(0);
    let invalid = [
        (
            "the PIN's envelope with a bit of the nonce flipped",
            "ModifiedEnvelope",
            key.clone(),
            account.clone(),
            flip(sealed, 0),
        ),
        (
            "the PIN's envelope with a bit of the ciphertext flipped",
            "ModifiedEnvelope",
            key.clone(),
            account.clone(),
            flip(sealed, 12),
        ),
        (
            "the PIN's envelope with a bit of the tag flipped",
            "ModifiedEnvelope",
            key.clone(),
            account.clone(),
            flip(sealed, 59),
        ),
        (
            "the PIN's envelope without its last byte (59 bytes)",
            "EnvelopeLength",
            key.clone(),
            account.clone(),
            sealed[..59].to_vec(),
        ),
        (
            "the PIN's envelope with a zero byte appended (61 bytes)",
            "EnvelopeLength",
            key.clone(),
            account.clone(),
            longer,
        ),
        (
            "the PIN's envelope opened for an account id differing in its last bit",
            "OtherAccount",
            key.clone(),
            near_account,
            sealed.to_vec(),
        ),
        (
            "another account's envelope, released to the PIN's login",
            "OtherAccount",
            key.clone(),
            account.clone(),
            other.sealed.to_vec(),
        ),
        (
            "the PIN's envelope opened with another login's export key",
            "OtherExportKey",
            other.registration.export_key.clone(),
            account.clone(),
            sealed.to_vec(),
        ),
        (
            "the PIN's envelope opened with another login's export key and account",
            "OtherExportKey",
            other.registration.export_key.clone(),
            other_account,
            sealed.to_vec(),
        ),
    ];
    for (comment, flag, key, account, sealed) in invalid {
        let t = test(comment, &[flag], &key, &account, &sealed);
        if t.result != "invalid" {
            return Err(format!("envelope test \"{comment}\" opened"));
        }
        tests.push(t);
    }
    Ok(tests)
}

pub(super) fn vault_id_tests(a: &Server, b: &Server) -> Vec<VaultIdTest> {
    let key = hex::decode(&a.inputs.server_public_key).expect("hex");
    let unlabelled = hex::encode(Sha256::digest(&key));
    let no_zero = hex::encode(
        Sha256::new()
            .chain_update(b"e2eb vault id v1")
            .chain_update(&key)
            .finalize(),
    );
    let test = |comment: &str, flags: &[&str], server: &Server, expected: &str| {
        let matches = server.inputs.vault_id == expected;
        VaultIdTest {
            tc_id: 0,
            comment: comment.into(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            server_public_key: server.inputs.server_public_key.clone(),
            vault_id: expected.into(),
            result: if matches { "valid" } else { "invalid" }.into(),
            error: (!matches).then(|| UNKNOWN_VAULT.into()),
        }
    };
    vec![
        test(
            "server A's key and its vault id",
            &[],
            a,
            &a.inputs.vault_id,
        ),
        test(
            "server B's key and its vault id",
            &["SecondServer"],
            b,
            &b.inputs.vault_id,
        ),
        test(
            "server A's key, server B's vault id expected",
            &["VaultIdDerivation"],
            a,
            &b.inputs.vault_id,
        ),
        test(
            "server A's key, expected id SHA-256(key) without the label",
            &["VaultIdDerivation"],
            a,
            &unlabelled,
        ),
        test(
            "server A's key, expected id hashed without the zero byte after the label",
            &["VaultIdDerivation"],
            a,
            &no_zero,
        ),
    ]
}
