//! Invalid vectors whose header is built on purpose: slots with hostile or malformed
//! parameters, which a decryptor must refuse before any KDF work, and slow KDF settings.

use super::*;

/// A backup whose only slot is `slot` (not openable: its sealed key is zeros); the payload is
/// sealed under the header, so only the slot's parameters can make it fail.
pub(super) fn backup_with_slot(label: &str, slot: KeySlot) -> e2eb::Result<Vec<u8>> {
    backup_with_slots(label, vec![slot])
}

/// As [`backup_with_slot`], with several slots.
fn backup_with_slots(label: &str, slots: Vec<KeySlot>) -> e2eb::Result<Vec<u8>> {
    let header = Header::from_slots(Suite::Aes256Gcm, slots);
    let payload = e2eb::hazmat::chunked::encrypt_to_vec(
        Suite::Aes256Gcm,
        &fixed_bytes(&format!("{label}/file key"), 32),
        header.as_bytes(),
        &mut Entropy::fixed(fixed_bytes(&format!("{label}/payload salt"), 24)),
        b"hostile",
        Threads::new(1),
    )?;
    Ok([header.as_bytes(), &payload].concat())
}

fn password_slot(kdf: KdfParams, salt_len: usize) -> KeySlot {
    password_slot_salted(kdf, fixed_bytes("hostile salt", salt_len))
}

fn password_slot_salted(kdf: KdfParams, salt: Vec<u8>) -> KeySlot {
    KeySlot::Password {
        kdf,
        salt,
        sealed: e2eb::slot::SealedFileKey {
            key_check: [0; 32],
            wrapped: [0; 48],
        },
    }
}

/// KDF parameters over the caps, outside the format's ranges, and short salts.
pub(super) fn hostile_headers(collector: &mut Collector) -> e2eb::Result<()> {
    let argon = |memory_kib, passes, lanes| {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    };
    let scrypt = |log_n, r, p| KdfParams::Scrypt(ScryptParams::unvalidated(log_n, r, p));
    let cases: Vec<(&str, KdfParams, usize, &[&str])> = vec![
        (
            "argon2id m = 2^32-1 KiB (4 TiB)",
            argon(u32::MAX, 1, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id m = 4 GiB + 1 KiB, just over the memory cap",
            argon(4 * 1024 * 1024 + 1, 1, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id t = 2^32-1",
            argon(64, u32::MAX, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id t = 65, just over the cap",
            argon(64, 65, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id p = 65, just over the cap",
            argon(8 * 65, 1, 65),
            32,
            &["KdfOverCap"],
        ),
        ("scrypt log2 N = 63", scrypt(63, 8, 1), 32, &["KdfOverCap"]),
        (
            "scrypt log2 N = 23, just over the cap",
            scrypt(23, 8, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "scrypt r = 33, just over the cap",
            scrypt(10, 33, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "scrypt p = 17, just over the cap",
            scrypt(10, 8, 17),
            32,
            &["KdfOverCap"],
        ),
        (
            "scrypt log2 N = 22, r = 9: 4.5 GiB, over the memory cap",
            scrypt(22, 9, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id m = 4 GiB, t = 64, p = 64: every parameter at its cap, 256 GiB of work",
            argon(4 * 1024 * 1024, 64, 64),
            32,
            &["KdfOverCap"],
        ),
        (
            "argon2id m = 1 GiB, t = 17: 17 GiB of work, just over the work cap",
            argon(1024 * 1024, 17, 1),
            32,
            &["KdfOverCap"],
        ),
        (
            "scrypt log2 N = 20, r = 9, p = 16: 18 GiB of work (128 r N p), within the memory cap",
            scrypt(20, 9, 16),
            32,
            &["KdfOverCap"],
        ),
        (
            "scrypt r = 2^29, log2 N = 20: 128 r N = 2^56 bytes overflows 32-bit arithmetic",
            scrypt(20, 1 << 29, 1),
            32,
            &["KdfOverCap", "LengthOverflow"],
        ),
        (
            "argon2id t = 0",
            argon(64, 0, 1),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "argon2id p = 0",
            argon(64, 1, 0),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "argon2id m = 7 KiB, below 8 p",
            argon(7, 1, 1),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "argon2id p = 2^24, above RFC 9106's range",
            argon(u32::MAX, 1, 1 << 24),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "scrypt log2 N = 0",
            scrypt(0, 8, 1),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "scrypt r = 0",
            scrypt(10, 0, 1),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "scrypt p = 0",
            scrypt(10, 8, 0),
            32,
            &["InvalidKdfParameters"],
        ),
        (
            "scrypt r * p = 2^30",
            scrypt(10, 1 << 15, 1 << 15),
            32,
            &["InvalidKdfParameters", "LengthOverflow"],
        ),
        (
            "argon2id salt of 15 bytes",
            argon(64, 2, 1),
            15,
            &["ShortSalt"],
        ),
        (
            "scrypt salt of 15 bytes",
            scrypt(10, 8, 1),
            15,
            &["ShortSalt"],
        ),
        (
            "argon2id salt of 65 bytes",
            argon(64, 2, 1),
            65,
            &["ShortSalt"],
        ),
        (
            "argon2id salt of 16 bytes, at the minimum, with the wrong password",
            argon(64, 2, 1),
            16,
            &["WrongSecret"],
        ),
    ];
    for (comment, kdf, salt_len, flags) in cases {
        let slot_type = if matches!(kdf, KdfParams::Argon2id(_)) {
            "argon2id"
        } else {
            "scrypt"
        };
        let backup = backup_with_slot(comment, password_slot(kdf, salt_len))?;
        collector.push(
            "aes-256-gcm",
            slot_type,
            invalid_test(comment.into(), flags, password_secret(), &backup),
        );
    }
    budget_headers(collector)?;
    let unknown_only = backup_with_slot(
        "unknown only",
        KeySlot::Unknown {
            type_id: 0x10,
            body: vec![0; 80],
        },
    )?;
    collector.push(
        "aes-256-gcm",
        "mixed",
        invalid_test(
            "the only slot is of unknown type 0x10".into(),
            &["UnknownSlot"],
            password_secret(),
            &unknown_only,
        ),
    );
    Ok(())
}

/// Headers whose password slots pass the per-slot caps one by one but not the backup's budget
/// together (SPEC.md section 10), and the rule that identical slots are one derivation.
fn budget_headers(collector: &mut Collector) -> e2eb::Result<()> {
    let argon = |memory_kib, passes, lanes| {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    };
    let salted = |kdf, count: usize, distinct: bool| -> Vec<KeySlot> {
        (0..count)
            .map(|index| {
                let label = format!("budget salt {}", if distinct { index } else { 0 });
                password_slot_salted(kdf, fixed_bytes(&label, 32))
            })
            .collect()
    };
    let cases: Vec<(&str, Vec<KeySlot>, &[&str])> = vec![
        (
            "16 argon2id slots of 1 GiB, t = 16 (each at the work cap): slot 2 takes the summed \
             work to 48 GiB, over the backup's budget of 32 GiB",
            salted(argon(1024 * 1024, 16, 4), 16, true),
            &["KdfOverCap", "KdfBudget", "MultipleSlots"],
        ),
        (
            "9 tiny argon2id slots with distinct salts: one derivation more than the budget allows",
            salted(argon(64, 1, 1), 9, true),
            &["KdfOverCap", "KdfBudget", "MultipleSlots"],
        ),
        (
            "9 argon2id slots of identical parameters and salt are one derivation, within the \
             budget: the wrong password opens none",
            salted(argon(64, 1, 1), 9, false),
            &["WrongSecret", "KdfBudget", "MultipleSlots"],
        ),
        (
            "8 tiny argon2id slots with distinct salts, at the budget's count: the wrong password \
             opens none",
            salted(argon(64, 1, 1), 8, true),
            &["WrongSecret", "KdfBudget", "MultipleSlots"],
        ),
    ];
    for (comment, slots, flags) in cases {
        let backup = backup_with_slots(comment, slots)?;
        collector.push(
            "aes-256-gcm",
            "argon2id",
            invalid_test(comment.into(), flags, password_secret(), &backup),
        );
    }
    Ok(())
}

/// Headers where several slots or several caps are over at once: which one a `KdfOverCap`
/// names (SPEC.md sections 9 and 10), pinned by each test's `overCap`. Generated after every
/// other backup vector, so that the earlier tests keep their ids.
pub(super) fn cap_naming_headers(collector: &mut Collector) -> e2eb::Result<()> {
    let argon = |memory_kib, passes, lanes| {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    };
    let scrypt = |log_n, r, p| KdfParams::Scrypt(ScryptParams::unvalidated(log_n, r, p));
    let slot = |kdf, index: usize| {
        password_slot_salted(kdf, fixed_bytes(&format!("naming salt {index}"), 32))
    };
    let cases: Vec<(&str, &str, Vec<KeySlot>)> = vec![
        (
            "argon2id",
            "argon2id m = 8 GiB, t = 65, p = 65: every per-slot cap over, the first in the \
             table's order (t) is named",
            vec![slot(argon(8 * 1024 * 1024, 65, 65), 0)],
        ),
        (
            "scrypt",
            "scrypt log2 N = 23, r = 33, p = 17: log2 N, first in the table's order, is named",
            vec![slot(scrypt(23, 33, 17), 0)],
        ),
        (
            "scrypt",
            "scrypt log2 N = 22, r = 8, p = 1: 128 r (N + p) is 4 GiB + 1 KiB, just over the \
             memory cap (128 r N alone would be at it)",
            vec![slot(scrypt(22, 8, 1), 0)],
        ),
        (
            "argon2id",
            "slot 0 over by p = 65, slot 1 over by t = 65: the first slot in header order is \
             named, with its own parameter",
            vec![slot(argon(8 * 65, 1, 65), 0), slot(argon(64, 65, 1), 1)],
        ),
        (
            "argon2id",
            "slot 0 within the caps (the wrong password does not open it), slot 1 over by \
             t = 65: slot 1 is named",
            vec![slot(argon(64, 1, 1), 0), slot(argon(64, 65, 1), 1)],
        ),
        (
            "argon2id",
            "slot 0 over by t = 65 is skipped before the budget: slots 1-9, 9 distinct tiny \
             derivations, put slot 9 over the count of 8",
            std::iter::once(slot(argon(64, 65, 1), 0))
                .chain((1..10).map(|index| slot(argon(64, 1, 1), index)))
                .collect(),
        ),
        (
            "argon2id",
            "both budgets over at slot 8 (the 9th derivation, and 36 GiB of work): the count, \
             checked first, is named",
            (0..9)
                .map(|index| slot(argon(4 * 1024 * 1024, 1, 4), index))
                .collect(),
        ),
    ];
    for (slot_type, comment, slots) in cases {
        let flags: &[&str] = if slots.len() > 1 {
            &["KdfOverCap", "MultipleSlots"]
        } else {
            &["KdfOverCap"]
        };
        let backup = backup_with_slots(comment, slots)?;
        collector.push(
            "aes-256-gcm",
            slot_type,
            invalid_test(comment.into(), flags, password_secret(), &backup),
        );
    }
    Ok(())
}

/// The reference defaults, once per password KDF.
pub(super) fn slow_kdfs(collector: &mut Collector) -> e2eb::Result<()> {
    for (slot_type, kdf) in [
        ("argon2id", e2eb::KdfKind::Argon2id.default_params()),
        ("scrypt", e2eb::KdfKind::Scrypt.default_params()),
    ] {
        let label = format!("slow/{slot_type}");
        let built = build_sized(
            &Recipe::new(
                &label,
                Suite::Aes256Gcm,
                vec![SlotRecipe::password(&label, PASSWORD, kdf)],
            ),
            100,
            &label,
        )?;
        collector.push(
            "aes-256-gcm",
            slot_type,
            valid_test(
                format!("{slot_type} at the reference default {kdf}"),
                &["SlowKdf"],
                password_secret(),
                &built,
            ),
        );
    }
    Ok(())
}
