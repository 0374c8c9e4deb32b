//! Vault slots (type 0x04): their layout as SPEC.md gives it, encoding and parsing round trips,
//! every malformed body refused with `MalformedSlot`, and backups opened by a vault secret
//! beside a recovery key, each alone.

mod common;

use common::*;
use e2eb::{
    Error, Header, KeySlot, Secret, SecretKind, SlotKind, Suite, VaultAccount, VaultId, VaultSecret,
};

const VAULT_SECRET: [u8; 32] = [0x5e; 32];
const URL: &str = "https://vault.example/v1";

fn vault_secret() -> VaultSecret {
    VaultSecret::from_bytes(VAULT_SECRET)
}

fn account() -> VaultAccount {
    VaultAccount::new(
        VaultId::from_server_public_key(b"server public key"),
        (0..32).collect(),
        URL.into(),
    )
    .unwrap()
}

/// A backup with a vault slot then a recovery-key slot, from the fixed entropy.
fn vault_and_recovery_key_backup(message: &[u8]) -> Vec<u8> {
    e2eb::Encryptor::new(Suite::Aes256Gcm)
        .threads(e2eb::Threads::new(1))
        .entropy(fixed_entropy(2))
        .vault_secret(vault_secret(), account())
        .recovery_key(recovery_key())
        .encrypt_to_vec(message)
        .unwrap()
}

fn vault() -> Secret {
    Secret::VaultSecret(vault_secret())
}

/// A header whose one slot is type 0x04 with exactly `body`, then a payload prefix's worth of
/// zeros: enough for the parser to reach the slot.
fn with_vault_body(body: Vec<u8>) -> Vec<u8> {
    let header = Header::from_slots(
        Suite::Aes256Gcm,
        vec![KeySlot::Unknown {
            type_id: 0x04,
            body,
        }],
    );
    [header.as_bytes(), &[0; 56]].concat()
}

/// A well-formed vault body: vault id, salt, account, URL, key check, wrapped key.
fn vault_body(account_len: u8, account: &[u8], url_len: u16, url: &[u8]) -> Vec<u8> {
    let mut body = vec![0x11; 32];
    body.extend_from_slice(&[0x22; 32]);
    body.push(account_len);
    body.extend_from_slice(account);
    body.extend_from_slice(&url_len.to_be_bytes());
    body.extend_from_slice(url);
    body.extend_from_slice(&[0x33; 80]);
    body
}

#[test]
fn the_slot_is_laid_out_as_the_spec_says() {
    let backup = vault_and_recovery_key_backup(b"chat");
    // Fixed part, then the vault slot: type 0x04, body_len = 147 + 32 + 24.
    assert_eq!(backup[10], 2, "two slots");
    assert_eq!(backup[11], 0x04);
    let body_len = usize::from(u16::from_be_bytes([backup[12], backup[13]]));
    assert_eq!(body_len, 147 + 32 + URL.len());
    let body = &backup[14..14 + body_len];
    assert_eq!(&body[..32], account().vault_id().as_bytes());
    assert_eq!(
        &body[32..64],
        &[0x10; 32],
        "the first slot's salt from the entropy"
    );
    assert_eq!(body[64], 32);
    assert_eq!(&body[65..97], account().account());
    assert_eq!(&body[97..99], &(URL.len() as u16).to_be_bytes());
    assert_eq!(&body[99..99 + URL.len()], URL.as_bytes());
    assert_eq!(
        body.len() - (99 + URL.len()),
        80,
        "key check and wrapped key"
    );

    let (header, _) = Header::parse(&backup).unwrap();
    assert_eq!(
        header.slot_kinds().collect::<Vec<_>>(),
        [SlotKind::Vault, SlotKind::RecoveryKey]
    );
    let KeySlot::Vault { account: read, .. } = &header.slots()[0] else {
        panic!("the first slot is a vault slot");
    };
    assert_eq!(read, &account(), "the parameters read without a secret");
    assert_eq!(read.url(), URL);
}

#[test]
fn parsing_and_encoding_round_trip() {
    for (account_len, url) in [(16usize, ""), (32, URL), (64, "https://保管庫.example/ü")] {
        let account = VaultAccount::new(
            VaultId::from_bytes([9; 32]),
            vec![0xa5; account_len],
            url.to_string(),
        )
        .unwrap();
        let slot = KeySlot::Vault {
            account,
            salt: [7; 32],
            sealed: e2eb::slot::SealedFileKey {
                key_check: [1; 32],
                wrapped: [2; 48],
            },
        };
        let header = Header::from_slots(Suite::ChaCha20Poly1305, vec![slot.clone()]);
        let (parsed, len) = Header::parse(header.as_bytes()).unwrap();
        assert_eq!(len, header.len());
        assert_eq!(parsed.slots(), &[slot]);
        assert_eq!(parsed.as_bytes(), header.as_bytes());
        assert_eq!(header.len(), 11 + 3 + 147 + account_len + url.len());
    }
    // The largest vault slot fits the format's body limit.
    let largest = vault_body(64, &[1; 64], 1024, &[b'a'; 1024]);
    assert!(largest.len() <= e2eb::header::MAX_SLOT_BODY_LEN);
    Header::parse(&with_vault_body(largest)).unwrap();
}

#[test]
fn every_malformed_vault_body_is_a_malformed_slot() {
    let good = vault_body(32, &[1; 32], 3, b"abc");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "account length 15",
            vault_body(15, &[1; 15], 3, b"abc"),
            "account length 15",
        ),
        (
            "account length 65",
            vault_body(65, &[1; 65], 3, b"abc"),
            "account length 65",
        ),
        (
            "account length 0",
            vault_body(0, &[], 3, b"abc"),
            "account length 0",
        ),
        (
            "URL not UTF-8",
            vault_body(32, &[1; 32], 3, b"a\xffc"),
            "not UTF-8",
        ),
        (
            "URL length 1025",
            vault_body(32, &[1; 32], 1025, &[b'a'; 1025]),
            "URL length 1025",
        ),
        (
            "one byte more than the fields imply",
            [good.clone(), vec![0]].concat(),
            "1 bytes after its fields",
        ),
        (
            "URL length says more than the body holds",
            vault_body(32, &[1; 32], 10, b"abc"),
            "ends inside the URL",
        ),
        (
            "account length says more than the body holds",
            vault_body(64, &[1; 20], 0, b""),
            "ends inside",
        ),
        (
            "body shorter than key check and wrapped key",
            vec![0; 79],
            "too short for a vault slot",
        ),
        (
            "body cut inside the salt",
            [vec![0; 40], vec![0x33; 80]].concat(),
            "ends inside the salt",
        ),
    ];
    for (what, body, says) in cases {
        let error = Header::parse(&with_vault_body(body)).unwrap_err();
        assert!(
            matches!(&error, Error::MalformedSlot { index: 0, .. }),
            "{what}: {error:?}"
        );
        assert!(error.to_string().contains(says), "{what}: {error}");
        assert_eq!(error.class(), "MalformedSlot");
    }
    Header::parse(&with_vault_body(good)).unwrap();
}

#[test]
fn a_vault_slot_beside_a_recovery_key_opens_with_either_alone() {
    let message = plaintext(40_000);
    let backup = vault_and_recovery_key_backup(&message);
    for secret in [vault(), Secret::RecoveryKey(recovery_key())] {
        assert_eq!(
            decryptor(secret, 2).decrypt_to_vec(&backup).unwrap(),
            message
        );
    }
    let mut restored = Vec::new();
    decryptor(vault(), 1)
        .unlock(&backup[..])
        .unwrap()
        .decrypt_to(&mut restored)
        .unwrap();
    assert_eq!(restored, message);
    // Each slot alone, too: neither depends on the other being there.
    let vault_only = e2eb::Encryptor::new(Suite::ChaCha20Poly1305)
        .vault_secret(vault_secret(), account())
        .encrypt_to_vec(&message)
        .unwrap();
    assert_eq!(
        decryptor(vault(), 1).decrypt_to_vec(&vault_only).unwrap(),
        message
    );
}

#[test]
fn a_wrong_vault_secret_is_a_wrong_vault_secret() {
    let backup = vault_and_recovery_key_backup(b"chat");
    let mut wrong = VAULT_SECRET;
    wrong[0] ^= 1;
    let error = decryptor(Secret::VaultSecret(VaultSecret::from_bytes(wrong)), 1)
        .decrypt_to_vec(&backup)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::NoSlotOpened {
                secret: SecretKind::VaultSecret,
                tried: 1,
                unknown: 0
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.class(), "NoSlotOpened");
    assert!(error.to_string().contains("wrong vault secret"), "{error}");

    // A vault secret offered to a backup without a vault slot, and a password to one whose
    // only slot is a vault slot.
    let rk_only = backup_with(&[SlotChoice::RecoveryKey]);
    let error = decryptor(vault(), 1).decrypt_to_vec(&rk_only).unwrap_err();
    assert_eq!(error.to_string(), "this backup has no vault secret slot");
    let vault_only = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .vault_secret(vault_secret(), account())
        .encrypt_to_vec(b"x")
        .unwrap();
    let error = decryptor(Secret::Password(password()), 1)
        .decrypt_to_vec(&vault_only)
        .unwrap_err();
    assert!(
        matches!(error, Error::NoSlotOpened { tried: 0, .. }),
        "{error:?}"
    );
}

fn backup_with(slots: &[SlotChoice]) -> Vec<u8> {
    encryptor(Suite::Aes256Gcm, slots, 1)
        .encrypt_to_vec(b"chat")
        .unwrap()
}

#[test]
fn the_vault_slot_binds_its_parameters_and_the_commitment_covers_it() {
    let backup = vault_and_recovery_key_backup(b"chat");
    let body = 14;
    let flip = |position: usize| {
        let mut altered = backup.clone();
        altered[position] ^= 1;
        altered
    };
    for (what, position) in [
        ("vault id", body),
        ("salt", body + 40),
        ("account", body + 70),
        ("URL", body + 100),
        ("key check", body + 99 + URL.len() + 3),
    ] {
        let altered = flip(position);
        let error = decryptor(vault(), 1).decrypt_to_vec(&altered).unwrap_err();
        assert!(
            matches!(error, Error::NoSlotOpened { .. }),
            "{what}: {error:?}"
        );
        // The recovery key still opens its slot, and then the commitment catches the change.
        let error = decryptor(Secret::RecoveryKey(recovery_key()), 1)
            .decrypt_to_vec(&altered)
            .unwrap_err();
        assert!(matches!(error, Error::HeaderAltered), "{what}: {error:?}");
    }
    let wrapped = body + 99 + URL.len() + 32 + 5;
    let error = decryptor(vault(), 1)
        .decrypt_to_vec(&flip(wrapped))
        .unwrap_err();
    assert!(
        matches!(error, Error::SlotCorrupt { index: 0 }),
        "{error:?}"
    );
}

#[test]
fn invalid_vault_accounts_are_refused_when_encrypting() {
    let too_short = VaultAccount::unvalidated(VaultId::from_bytes([0; 32]), vec![1; 8], "".into());
    let error = e2eb::Encryptor::new(Suite::Aes256Gcm)
        .vault_secret(vault_secret(), too_short)
        .encrypt_to_vec(b"x")
        .unwrap_err();
    assert!(matches!(error, Error::InvalidVaultAccount(_)), "{error:?}");
}

#[test]
fn debug_never_shows_the_vault_secret() {
    let shown = [
        format!("{:?}", vault()),
        format!(
            "{:?}",
            e2eb::SlotSecret::VaultSecret(vault_secret(), account())
        ),
    ];
    for text in shown {
        assert!(text.contains("<secret>"), "{text}");
        assert!(!text.contains("94, 94"), "{text}");
    }
}
