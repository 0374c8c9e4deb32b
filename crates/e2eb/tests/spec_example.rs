//! SPEC.md's worked example is regenerated here from its inputs and must match the document
//! byte for byte, so the spec and the code cannot drift apart silently. On a mismatch the test
//! prints the block to paste into SPEC.md (only after checking that the change is intended).
//!
//! The crate carries a copy of the repository's SPEC.md (crates/e2eb/SPEC.md), so that the
//! published package holds the spec and this test runs from it; where the repository's copy is
//! there too, the two must be identical.

use std::fmt::Write as _;

use e2eb::hazmat::{Entropy, PayloadSchedule};
use e2eb::payload::{PREFIX_LEN, SALT_LEN};
use e2eb::{
    Argon2idParams, Decryptor, Encryptor, Header, KdfParams, Password, RecoveryKey, Secret, Suite,
};

const BEGIN: &str = "<!-- worked-example:begin -->\n";
const END: &str = "<!-- worked-example:end -->";

fn render() -> String {
    let recovery_key = RecoveryKey::from_bytes(std::array::from_fn(|i| i as u8));
    let password = "correct horse battery staple";
    let argon = KdfParams::Argon2id(Argon2idParams::unvalidated(64, 1, 1));
    let file_key: Vec<u8> = (0xa0..=0xbf).collect();
    let rk_salt: Vec<u8> = (0x20..=0x3f).collect();
    let pw_salt: Vec<u8> = (0x40..=0x5f).collect();
    let payload_salt: Vec<u8> = (0x60..0x60 + SALT_LEN as u8).collect();
    let plaintext = b"Hello from e2eb!\n";
    let entropy = [&file_key[..], &rk_salt, &pw_salt, &payload_salt].concat();

    let backup = Encryptor::new(Suite::Aes256Gcm)
        .recovery_key(recovery_key.clone())
        .password(Password::new(password.into()).unwrap(), argon)
        .entropy(Entropy::fixed(entropy))
        .encrypt_to_vec(plaintext)
        .unwrap();
    // Both secrets open what was just written.
    let by_key = Decryptor::new(Secret::RecoveryKey(recovery_key.clone()))
        .decrypt_to_vec(&backup)
        .unwrap();
    assert_eq!(by_key, plaintext);
    let by_password = Secret::Password(Password::new(password.into()).unwrap());
    assert_eq!(
        Decryptor::new(by_password).decrypt_to_vec(&backup).unwrap(),
        plaintext
    );

    let (header, header_len) = Header::parse(&backup).unwrap();
    let mut out = String::new();
    let line = |out: &mut String, name: &str, value: &[u8]| {
        writeln!(out, "{name:<22}{}", hex::encode(value)).unwrap()
    };
    writeln!(out, "suite                 aes-256-gcm (0x01)").unwrap();
    writeln!(
        out,
        "recovery key          {}",
        recovery_key.display_grouped().as_str()
    )
    .unwrap();
    writeln!(out, "password              {password:?}").unwrap();
    writeln!(
        out,
        "slot 1 KDF            argon2id m=64 KiB, t=1, p=1 (tiny, for the example only)"
    )
    .unwrap();
    line(&mut out, "file key", &file_key);
    line(&mut out, "slot 0 salt", &rk_salt);
    line(&mut out, "slot 1 salt", &pw_salt);
    line(&mut out, "payload salt", &payload_salt);
    writeln!(
        out,
        "plaintext             {:?} ({} bytes)",
        std::str::from_utf8(plaintext).unwrap(),
        plaintext.len()
    )
    .unwrap();
    let secrets = [
        Secret::RecoveryKey(recovery_key),
        Secret::Password(Password::new(password.into()).unwrap()),
    ];
    for (index, (slot, secret)) in header.slots().iter().zip(&secrets).enumerate() {
        let kek = slot.derive_kek(secret).unwrap().unwrap();
        let schedule = slot.key_schedule(Suite::Aes256Gcm, &kek);
        line(&mut out, &format!("slot {index} KEK"), kek.as_slice());
        line(
            &mut out,
            &format!("slot {index} wrap key"),
            schedule.wrap_key.as_slice(),
        );
        line(
            &mut out,
            &format!("slot {index} wrap nonce"),
            &schedule.wrap_nonce,
        );
        line(
            &mut out,
            &format!("slot {index} key check"),
            &schedule.key_check,
        );
    }
    let salt: [u8; SALT_LEN] = payload_salt.try_into().unwrap();
    let payload =
        PayloadSchedule::derive(Suite::Aes256Gcm, &file_key, &salt, header.as_bytes()).unwrap();
    line(&mut out, "payload key", payload.aead_key.as_slice());
    line(&mut out, "payload base nonce", &payload.base_nonce);
    line(&mut out, "payload commitment", &payload.commitment);
    writeln!(
        out,
        "header length         {header_len} bytes; chunk 0 at offset {}",
        header_len + PREFIX_LEN
    )
    .unwrap();
    writeln!(out, "backup ({} bytes):", backup.len()).unwrap();
    for row in backup.chunks(32) {
        writeln!(out, "  {}", hex::encode(row)).unwrap();
    }
    format!("```text\n{out}```\n")
}

/// The crate's copy of the spec, the one the package ships.
const CRATE_SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/SPEC.md");
/// The repository's spec, absent from the package.
const REPOSITORY_SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../SPEC.md");

#[test]
fn spec_worked_example_matches_the_code() {
    let spec = std::fs::read_to_string(CRATE_SPEC).unwrap();
    let start = spec
        .find(BEGIN)
        .expect("SPEC.md has the worked-example markers")
        + BEGIN.len();
    let end = spec[start..].find(END).expect("end marker") + start;
    let expected = render();
    assert!(
        spec[start..end] == expected,
        "SPEC.md's worked example is stale; the code gives:\n{expected}"
    );
}

#[test]
fn crate_spec_is_the_repository_spec() {
    // In a package (no repository around it) there is nothing to compare.
    let Ok(repository) = std::fs::read(REPOSITORY_SPEC) else {
        return;
    };
    let copy = std::fs::read(CRATE_SPEC).unwrap();
    assert!(
        copy == repository,
        "crates/e2eb/SPEC.md differs from SPEC.md: run `cp SPEC.md crates/e2eb/SPEC.md`"
    );
}
