//! Vault-slot vectors (type 0x04): backups opened by a vault secret, alone and beside a
//! recovery key, and the vault slots an implementation must refuse: malformed bodies, altered
//! parameters, wrong secrets.

use e2eb::slot::TYPE_VAULT;

use super::hostile::backup_with_slot;
use super::*;
use crate::recipe::vault_secret_bytes;

const URL: &str = "https://vault.example/v1";

fn vault_secret(label: &str) -> SecretInput {
    SecretInput::VaultSecret(hex::encode(vault_secret_bytes(label)))
}

/// Every vault vector, appended after the others so that their ids stay as they were.
pub(super) fn vault_vectors(collector: &mut Collector) -> e2eb::Result<()> {
    for suite in Suite::ALL {
        valid_vault_backups(collector, suite)?;
    }
    for suite in Suite::ALL {
        altered_vault_backups(collector, suite)?;
    }
    malformed_vault_slots(collector)
}

fn valid_vault_backups(collector: &mut Collector, suite: Suite) -> e2eb::Result<()> {
    let name = suite.name();
    for len in [0, 1, 16384, 16385] {
        let label = format!("{suite}/vault/{len}");
        let built = build_sized(
            &Recipe::new(&label, suite, vec![SlotRecipe::vault(&label, URL)]),
            len,
            &label,
        )?;
        let flags: &[&str] = if len >= CHUNK_LEN {
            &["VaultSlot", "ChunkBoundary"]
        } else {
            &["VaultSlot"]
        };
        collector.push(
            name,
            "vault",
            valid_test(
                format!("{len}-byte message, one vault slot"),
                flags,
                vault_secret(&label),
                &built,
            ),
        );
    }

    let label = format!("{suite}/vault and recovery key");
    let recipe = Recipe::new(
        &label,
        suite,
        vec![
            SlotRecipe::vault(&label, URL),
            SlotRecipe::recovery_key(&label),
        ],
    );
    let built = build_sized(&recipe, 300, &label)?;
    for (comment, secret) in [
        (
            "a vault slot then a recovery-key slot, opened by the vault secret",
            vault_secret(&label),
        ),
        (
            "a vault slot then a recovery-key slot, opened by the recovery key",
            rk_secret(&label),
        ),
    ] {
        collector.push(
            name,
            "mixed",
            valid_test(
                comment.into(),
                &["VaultSlot", "MultipleSlots"],
                secret,
                &built,
            ),
        );
    }

    let label = format!("{suite}/vault lengths");
    for (comment, account_len, url) in [
        (
            "vault slot with the shortest account (16 bytes) and an empty URL",
            16,
            String::new(),
        ),
        (
            "vault slot with the longest account (64 bytes) and a non-ASCII URL",
            64,
            "https://b\u{fc}cher.example/\u{4fdd}\u{7ba1}".to_string(),
        ),
        (
            "vault slot with a URL of 1024 bytes, the longest allowed",
            32,
            format!("https://vault.example/{}", "a".repeat(1024 - 22)),
        ),
    ] {
        let slot_label = format!("{label}/{account_len}/{}", url.len());
        let SlotRecipe::Vault { secret, salt, .. } = SlotRecipe::vault(&slot_label, "") else {
            unreachable!("a vault recipe");
        };
        let account = e2eb::VaultAccount::new(
            e2eb::VaultId::from_server_public_key(&fixed_bytes(
                &format!("{slot_label}/vault server public key"),
                32,
            )),
            fixed_bytes(&format!("{slot_label}/vault account"), account_len),
            url,
        )?;
        let recipe = Recipe::new(
            &slot_label,
            suite,
            vec![SlotRecipe::Vault {
                secret,
                salt,
                account,
            }],
        );
        let built = build_sized(&recipe, 50, &slot_label)?;
        collector.push(
            name,
            "vault",
            valid_test(
                comment.into(),
                &["VaultSlot", "EdgeCaseVaultSlot"],
                vault_secret(&slot_label),
                &built,
            ),
        );
    }
    Ok(())
}

/// Wrong secrets, and each field of a valid vault slot altered.
fn altered_vault_backups(collector: &mut Collector, suite: Suite) -> e2eb::Result<()> {
    let name = suite.name();
    let label = format!("{suite}/invalid/vault");
    let built = build_sized(
        &Recipe::new(&label, suite, vec![SlotRecipe::vault(&label, URL)]),
        100,
        &label,
    )?;
    let backup = &built.backup;
    let secret = vault_secret(&label);
    let slot = 11;
    let body = slot + 3;
    let url_at = body + 32 + 32 + 1 + 32 + 2;
    let key_check = url_at + URL.len();
    let mut push = |comment: &str, flags: &[&str], secret: &SecretInput, bytes: &[u8]| {
        collector.push(
            name,
            "vault",
            invalid_test(comment.into(), flags, secret.clone(), bytes),
        );
    };
    push(
        "wrong vault secret",
        &["VaultSlot", "WrongSecret"],
        &vault_secret("a different vault secret"),
        backup,
    );
    push(
        "a recovery key offered to a backup with only a vault slot",
        &["VaultSlot", "MissingSlotKind"],
        &rk_secret(&label),
        backup,
    );
    push(
        "a password offered to a backup with only a vault slot",
        &["VaultSlot", "MissingSlotKind"],
        &password_secret(),
        backup,
    );
    for (comment, position) in [
        ("vault id changed: the slot names another vault", body),
        ("vault slot salt changed", body + 32 + 7),
        (
            "account id changed: the slot names another account",
            body + 64 + 1 + 9,
        ),
        ("URL hint changed", url_at + 8),
        ("vault slot key check changed", key_check + 3),
    ] {
        push(
            comment,
            &["VaultSlot", "ModifiedSlot"],
            &secret,
            &flip(backup, position, 0x01),
        );
    }
    push(
        "vault slot wrapped key changed",
        &["VaultSlot", "ModifiedSlot"],
        &secret,
        &flip(backup, key_check + 32 + 10, 0x01),
    );
    let body_len = u16::from_be_bytes([backup[slot + 1], backup[slot + 2]]);
    push(
        "vault slot body_len one more than its fields imply",
        &["VaultSlot", "ModifiedSlot", "MalformedVaultSlot"],
        &secret,
        &replace(backup, slot + 1, &(body_len + 1).to_be_bytes()),
    );
    push(
        "vault slot body_len one less than its fields imply",
        &["VaultSlot", "ModifiedSlot", "MalformedVaultSlot"],
        &secret,
        &replace(backup, slot + 1, &(body_len - 1).to_be_bytes()),
    );
    push(
        "input cut inside the vault slot's URL",
        &["VaultSlot", "Truncation"],
        &secret,
        &backup[..url_at + 5],
    );
    push(
        "a vault secret offered to a backup with only a recovery-key slot",
        &["VaultSlot", "MissingSlotKind"],
        &secret,
        &build_sized(
            &Recipe::new(&label, suite, vec![SlotRecipe::recovery_key(&label)]),
            10,
            &label,
        )?
        .backup,
    );

    // The vault slot altered while the recovery key opens its own slot: the commitment.
    let label = format!("{suite}/invalid/vault and recovery key");
    let built = build_sized(
        &Recipe::new(
            &label,
            suite,
            vec![
                SlotRecipe::vault(&label, URL),
                SlotRecipe::recovery_key(&label),
            ],
        ),
        100,
        &label,
    )?;
    collector.push(
        name,
        "mixed",
        invalid_test(
            "the vault slot's URL hint changed, the recovery key offered: the commitment covers it"
                .into(),
            &["VaultSlot", "ModifiedHeader", "MultipleSlots"],
            rk_secret(&label),
            &flip(&built.backup, url_at + 3, 0x20),
        ),
    );
    Ok(())
}

/// A vault slot's body as the format lays it out, with lengths as given (not checked).
fn raw_vault_body(account_len: u8, account: &[u8], url_len: u16, url: &[u8]) -> Vec<u8> {
    let mut body = fixed_bytes("malformed vault/vault id", 32);
    body.extend_from_slice(&fixed_bytes("malformed vault/salt", 32));
    body.push(account_len);
    body.extend_from_slice(account);
    body.extend_from_slice(&url_len.to_be_bytes());
    body.extend_from_slice(url);
    body.extend_from_slice(&fixed_bytes("malformed vault/sealed", 80));
    body
}

/// Vault slots whose body the format forbids, each in an otherwise valid backup whose payload
/// is sealed under that header.
fn malformed_vault_slots(collector: &mut Collector) -> e2eb::Result<()> {
    let account = |len: usize| fixed_bytes("malformed vault/account", len);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "vault slot account length 15, below 16",
            raw_vault_body(15, &account(15), 3, b"abc"),
        ),
        (
            "vault slot account length 65, above 64",
            raw_vault_body(65, &account(65), 3, b"abc"),
        ),
        (
            "vault slot account length 0",
            raw_vault_body(0, &[], 3, b"abc"),
        ),
        (
            "vault slot URL is not UTF-8 (a lone 0xff byte)",
            raw_vault_body(32, &account(32), 5, b"ab\xffcd"),
        ),
        (
            "vault slot URL is not UTF-8 (an overlong encoding of '/')",
            raw_vault_body(32, &account(32), 4, b"a\xc0\xafb"),
        ),
        (
            "vault slot URL length 1025, above 1024",
            raw_vault_body(32, &account(32), 1025, &[b'a'; 1025]),
        ),
        (
            "vault slot body of 79 bytes, shorter than a key check and a wrapped key",
            fixed_bytes("malformed vault/short", 79),
        ),
        (
            "vault slot URL length larger than what the body holds",
            raw_vault_body(32, &account(32), 40, b"abc"),
        ),
    ];
    for (comment, body) in cases {
        let backup = backup_with_slot(
            &format!("malformed vault/{comment}"),
            KeySlot::Unknown {
                type_id: TYPE_VAULT,
                body,
            },
        )?;
        collector.push(
            Suite::Aes256Gcm.name(),
            "vault",
            invalid_test(
                comment.into(),
                &["VaultSlot", "MalformedVaultSlot"],
                vault_secret("malformed vault"),
                &backup,
            ),
        );
    }
    Ok(())
}
