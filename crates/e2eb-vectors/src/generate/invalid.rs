//! Invalid vectors made by damaging a valid backup: flipped, cut, reordered, appended or replaced
//! bytes in the header, the slots and the chunks, each with the error class it must raise.

use super::*;

/// Failures around a recovery-key backup of three chunks.
pub(super) fn invalid_recovery_key_backups(
    collector: &mut Collector,
    suite: Suite,
) -> e2eb::Result<()> {
    let name = suite.name();
    let label = format!("{suite}/invalid/recovery-key");
    let built = build_sized(
        &Recipe::new(&label, suite, vec![SlotRecipe::recovery_key(&label)]),
        2 * CHUNK_LEN + 100,
        &label,
    )?;
    let backup = &built.backup;
    let secret = rk_secret(&label);
    let header_len = built.header.len();
    let slot = 11; // the first slot's type byte
    let body = slot + 3;
    let chunk = |i: usize| chunk_start(&built.header, i);
    let mut push = |comment: &str, flags: &[&str], secret: &SecretInput, bytes: &[u8]| {
        collector.push(
            name,
            "recovery-key",
            invalid_test(comment.into(), flags, secret.clone(), bytes),
        );
    };

    push(
        "wrong recovery key",
        &["WrongSecret"],
        &rk_secret("a different key"),
        backup,
    );
    push(
        "a password offered to a backup with only a recovery-key slot",
        &["MissingSlotKind"],
        &password_secret(),
        backup,
    );
    for (comment, text) in [
        (
            "recovery key with 63 digits",
            e2eb::RecoveryKey::from_bytes(recovery_key_bytes(&label)).display_grouped()[..78]
                .to_string(),
        ),
        (
            "recovery key with 65 digits",
            format!(
                "{}0",
                e2eb::RecoveryKey::from_bytes(recovery_key_bytes(&label))
                    .display_grouped()
                    .as_str()
            ),
        ),
        ("recovery key with a non-hex letter in group 5", {
            let mut t = e2eb::RecoveryKey::from_bytes(recovery_key_bytes(&label))
                .display_grouped()
                .to_string();
            t.replace_range(21..22, "g");
            t
        }),
    ] {
        push(
            comment,
            &["MalformedRecoveryKey"],
            &SecretInput::RecoveryKey(text),
            backup,
        );
    }

    for (position, comment) in [
        (0, "first magic byte changed"),
        (4, "magic 'b' changed"),
        (7, "last magic byte changed"),
    ] {
        push(
            comment,
            &["ModifiedHeader"],
            &secret,
            &flip(backup, position, 0x01),
        );
    }
    for version in [0x00, 0x02, 0xff] {
        push(
            &format!("version byte 0x{version:02x}"),
            &["UnsupportedVersion"],
            &secret,
            &replace(backup, 8, &[version]),
        );
    }
    for suite_id in [0x00, 0x03, 0xff] {
        push(
            &format!("suite byte 0x{suite_id:02x}"),
            &["UnsupportedSuite"],
            &secret,
            &replace(backup, 9, &[suite_id]),
        );
    }
    let other = if suite == Suite::Aes256Gcm {
        Suite::ChaCha20Poly1305
    } else {
        Suite::Aes256Gcm
    };
    push(
        "suite byte changed to the other known suite: the slot's key schedule binds the suite",
        &["ModifiedHeader"],
        &secret,
        &replace(backup, 9, &[other.id()]),
    );
    for count in [0u8, 17, 255] {
        push(
            &format!("slot count {count}"),
            &["ModifiedHeader"],
            &secret,
            &replace(backup, 10, &[count]),
        );
    }
    push(
        "slot count 2 while the header has one slot: the payload salt is read as a slot",
        &["ModifiedHeader"],
        &secret,
        &replace(backup, 10, &[2]),
    );

    push(
        "slot type changed to unknown 0x00: nothing left to open",
        &["ModifiedSlot", "UnknownSlot"],
        &secret,
        &replace(backup, slot, &[0x00]),
    );
    push(
        "slot type changed to argon2id (0x02)",
        &["ModifiedSlot"],
        &secret,
        &replace(backup, slot, &[0x02]),
    );
    push(
        "slot type changed to scrypt (0x03)",
        &["ModifiedSlot"],
        &secret,
        &replace(backup, slot, &[0x03]),
    );
    push(
        "slot body length 111 instead of 112",
        &["ModifiedSlot"],
        &secret,
        &replace(backup, slot + 1, &111u16.to_be_bytes()),
    );
    push(
        "slot body length 113 instead of 112",
        &["ModifiedSlot"],
        &secret,
        &replace(backup, slot + 1, &113u16.to_be_bytes()),
    );
    push(
        "slot body length 4097, over the format's limit",
        &["ModifiedSlot", "LengthOverflow"],
        &secret,
        &replace(backup, slot + 1, &4097u16.to_be_bytes()),
    );
    push(
        "slot body length 0xffff",
        &["ModifiedSlot", "LengthOverflow"],
        &secret,
        &replace(backup, slot + 1, &[0xff, 0xff]),
    );
    push(
        "slot body length 4096 (allowed) running past the end of a short input",
        &["ModifiedSlot", "LengthOverflow", "Truncation"],
        &secret,
        &replace(&backup[..2000], slot + 1, &4096u16.to_be_bytes()),
    );
    push(
        "slot salt changed",
        &["ModifiedSlot"],
        &secret,
        &flip(backup, body, 0x80),
    );
    push(
        "slot key check changed",
        &["ModifiedSlot"],
        &secret,
        &flip(backup, body + 32 + 5, 0x01),
    );
    push(
        "wrapped file key ciphertext changed",
        &["ModifiedSlot"],
        &secret,
        &flip(backup, body + 64, 0x01),
    );
    push(
        "wrapped file key tag changed",
        &["ModifiedSlot"],
        &secret,
        &flip(backup, body + 64 + 47, 0x40),
    );

    push(
        "payload salt changed",
        &["ModifiedPayloadPrefix"],
        &secret,
        &flip(backup, header_len, 0x01),
    );
    push(
        "payload commitment changed",
        &["ModifiedPayloadPrefix"],
        &secret,
        &flip(backup, header_len + 24 + 31, 0x01),
    );
    push(
        "first chunk body changed",
        &["ModifiedCiphertext"],
        &secret,
        &flip(backup, chunk(0) + 100, 0x01),
    );
    push(
        "second chunk tag changed",
        &["ModifiedCiphertext"],
        &secret,
        &flip(backup, chunk(1) + SEALED_CHUNK_LEN - 1, 0x01),
    );
    push(
        "final chunk body changed",
        &["ModifiedCiphertext"],
        &secret,
        &flip(backup, chunk(2), 0x01),
    );
    push(
        "final chunk tag changed",
        &["ModifiedCiphertext"],
        &secret,
        &flip(backup, backup.len() - 1, 0x01),
    );

    for (cut, comment) in [
        (0, "empty input"),
        (4, "cut inside the magic"),
        (10, "cut inside the fixed header"),
        (slot + 2, "cut inside the slot length"),
        (body + 50, "cut inside the slot body"),
        (header_len, "cut at the end of the header"),
        (header_len + 10, "cut inside the payload salt"),
        (header_len + 40, "cut inside the commitment"),
        (
            header_len + PREFIX_LEN,
            "cut after the payload prefix: no chunk at all",
        ),
        (
            header_len + PREFIX_LEN + 15,
            "first chunk cut to 15 bytes, shorter than a tag",
        ),
        (
            chunk(1),
            "cut after the first full chunk: the final chunk is missing",
        ),
        (
            chunk(2),
            "cut after the second full chunk: the final chunk is missing",
        ),
        (chunk(2) + 15, "final chunk cut to 15 bytes"),
        (backup.len() - 1, "final chunk missing its last byte"),
    ] {
        push(comment, &["Truncation"], &secret, &backup[..cut]);
    }

    let mut garbage = backup.clone();
    garbage.push(0);
    push(
        "one zero byte appended",
        &["TrailingData"],
        &secret,
        &garbage,
    );
    garbage.extend_from_slice(&fixed_bytes("trailing", 19));
    push("20 bytes appended", &["TrailingData"], &secret, &garbage);
    let first = backup[chunk(0)..chunk(1)].to_vec();
    push(
        "a copy of the first chunk appended",
        &["TrailingData"],
        &secret,
        &[backup.as_slice(), &first].concat(),
    );
    let final_chunk = backup[chunk(2)..].to_vec();
    push(
        "the final chunk appended again",
        &["TrailingData"],
        &secret,
        &[backup.as_slice(), &final_chunk].concat(),
    );

    let second = backup[chunk(1)..chunk(2)].to_vec();
    push(
        "first and second chunks swapped",
        &["ChunkReordering"],
        &secret,
        &[&backup[..chunk(0)], &second, &first, &backup[chunk(2)..]].concat(),
    );
    push(
        "first chunk in place of the second",
        &["ChunkReordering"],
        &secret,
        &[&backup[..chunk(1)], &first, &backup[chunk(2)..]].concat(),
    );
    push(
        "second chunk dropped",
        &["ChunkReordering"],
        &secret,
        &[&backup[..chunk(1)], &backup[chunk(2)..]].concat(),
    );
    push(
        "final chunk moved to the front",
        &["ChunkReordering"],
        &secret,
        &[
            &backup[..chunk(0)],
            &final_chunk,
            &backup[chunk(0)..chunk(2)],
        ]
        .concat(),
    );

    // A 16 KiB message: one full chunk, then an empty final chunk.
    let label = format!("{suite}/invalid/full final chunk");
    let built = build_sized(
        &Recipe::new(&label, suite, vec![SlotRecipe::recovery_key(&label)]),
        CHUNK_LEN,
        &label,
    )?;
    let without_final = &built.backup[..built.backup.len() - 16];
    collector.push(
        name,
        "recovery-key",
        invalid_test(
            "16 KiB message without its empty final chunk: a full-size final chunk".into(),
            &["Truncation"],
            rk_secret(&label),
            without_final,
        ),
    );

    // A second slot altered, while the first opens.
    let label = format!("{suite}/invalid/two slots");
    let recipe = Recipe::new(
        &label,
        suite,
        vec![
            SlotRecipe::recovery_key(&label),
            SlotRecipe::password(&label, PASSWORD, FAST_ARGON2ID),
        ],
    );
    let built = build_sized(&recipe, 100, &label)?;
    let second_slot = 11 + 3 + 112;
    collector.push(
        name,
        "recovery-key",
        invalid_test(
            "the other (password) slot's salt changed: the commitment covers it".into(),
            &["ModifiedHeader", "MultipleSlots"],
            rk_secret(&label),
            &flip(&built.backup, second_slot + 3 + 13, 0x01),
        ),
    );
    collector.push(
        name,
        "recovery-key",
        invalid_test(
            "the other slot's type changed to unknown".into(),
            &["ModifiedHeader", "MultipleSlots"],
            rk_secret(&label),
            &replace(&built.backup, second_slot, &[0x42]),
        ),
    );
    // An unknown slot spliced into a valid header without re-encrypting the payload.
    let mut spliced = built.backup[..11].to_vec();
    spliced[10] = 3;
    spliced.extend_from_slice(&[0x42, 0, 4, 1, 2, 3, 4]);
    spliced.extend_from_slice(&built.backup[11..]);
    collector.push(
        name,
        "recovery-key",
        invalid_test(
            "an unknown slot inserted into the header".into(),
            &["ModifiedHeader", "UnknownSlot"],
            rk_secret(&label),
            &spliced,
        ),
    );
    Ok(())
}

/// Failures around password backups.
pub(super) fn invalid_password_backups(
    collector: &mut Collector,
    suite: Suite,
) -> e2eb::Result<()> {
    let name = suite.name();
    for (slot_type, kdf) in [("argon2id", FAST_ARGON2ID), ("scrypt", FAST_SCRYPT)] {
        let label = format!("{suite}/invalid/{slot_type}");
        let built = build_sized(
            &Recipe::new(
                &label,
                suite,
                vec![SlotRecipe::password(&label, PASSWORD, kdf)],
            ),
            100,
            &label,
        )?;
        let backup = &built.backup;
        let body = 14;
        let mut push = |comment: String, flags: &[&str], secret: SecretInput, bytes: &[u8]| {
            collector.push(name, slot_type, invalid_test(comment, flags, secret, bytes));
        };
        push(
            format!("wrong password ({slot_type})"),
            &["WrongSecret"],
            SecretInput::Password("Tr0ub4dor&3".into()),
            backup,
        );
        push(
            format!("password with a trailing newline ({slot_type}): passwords are not trimmed"),
            &["WrongSecret"],
            SecretInput::Password(format!("{PASSWORD}\n")),
            backup,
        );
        push(
            format!("a recovery key offered to a {slot_type}-only backup"),
            &["MissingSlotKind"],
            rk_secret(&label),
            backup,
        );
        let (first_param_len, salt_len_at) = if slot_type == "argon2id" {
            (4, 12)
        } else {
            (1, 9)
        };
        push(
            format!("{slot_type} first parameter changed"),
            &["ModifiedSlot"],
            password_secret(),
            &flip(backup, body + first_param_len - 1, 0x01),
        );
        push(
            format!("{slot_type} p changed"),
            &["ModifiedSlot"],
            password_secret(),
            &flip(backup, body + salt_len_at - 1, 0x02),
        );
        push(
            format!("{slot_type} salt changed"),
            &["ModifiedSlot"],
            password_secret(),
            &flip(backup, body + salt_len_at + 1, 0x01),
        );
        push(
            format!("{slot_type} salt length byte 31 with a 32-byte salt"),
            &["ModifiedSlot"],
            password_secret(),
            &replace(backup, body + salt_len_at, &[31]),
        );
        push(
            format!("{slot_type} salt length byte 200"),
            &["ModifiedSlot", "LengthOverflow"],
            password_secret(),
            &replace(backup, body + salt_len_at, &[200]),
        );
        push(
            format!("{slot_type} wrapped key changed"),
            &["ModifiedSlot"],
            password_secret(),
            &flip(backup, backup.len().min(built.header.len()) - 1, 0x01),
        );
    }
    Ok(())
}
