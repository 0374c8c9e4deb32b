//! Typo help for a recovery key that parses but opens no slot: most often one digit mistyped
//! or two neighbours swapped. Trying every such variant costs one HKDF per variant and slot,
//! milliseconds in all, so the library can say which digit looks wrong (SPEC.md, "Typo help
//! for the recovery key"). It is an explicit call that reports a place, never a key that is
//! silently accepted instead of the one typed.

use std::fmt;

use zeroize::Zeroizing;

use crate::backend::Backend;
use crate::error::Result;
use crate::header::Header;
use crate::recovery_key::RecoveryKey;
use crate::slot::{KeySlot, Secret};

/// Digits of a recovery key, and digits per displayed group.
const DIGITS: usize = 64;
const GROUP_LEN: usize = 4;

/// Where a recovery key looks mistyped: the one variant of it, a single digit changed or two
/// adjacent digits swapped, that opens one of the backup's recovery-key slots.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryKeyTypo {
    /// Index of the (first) digit that differs, from 0 to 63.
    pub position: usize,
    /// What was typed there: one digit, or the two swapped ones.
    pub typed: String,
    /// What opens the backup there.
    pub opens_with: String,
}

impl RecoveryKeyTypo {
    /// The 4-digit group of the (first) digit, from 1.
    pub fn group(&self) -> usize {
        self.position / GROUP_LEN + 1
    }

    /// The digit's place in its group, from 1.
    pub fn digit(&self) -> usize {
        self.position % GROUP_LEN + 1
    }
}

impl fmt::Display for RecoveryKeyTypo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (group, digit) = (self.group(), self.digit());
        if self.typed.len() == 1 {
            write!(f, "group {group}, digit {digit}")?;
        } else if digit < GROUP_LEN {
            write!(f, "group {group}, digits {digit} and {}", digit + 1)?;
        } else {
            write!(
                f,
                "group {group} digit {digit} and group {} digit 1",
                group + 1
            )?;
        }
        write!(
            f,
            ": you typed {}, the backup opens with {}",
            self.typed, self.opens_with
        )
    }
}

/// The one single-digit substitution or adjacent transposition of `typed` that opens a
/// recovery-key slot of `header`, or `None` when none does, when more than one does (then no
/// place can be named), or when `typed` itself opens a slot. Runs no KDF but HKDF.
pub(crate) fn find_typo(
    header: &Header,
    typed: &RecoveryKey,
    backend: Backend,
) -> Result<Option<RecoveryKeyTypo>> {
    let slots: Vec<(usize, &KeySlot)> = header
        .slots()
        .iter()
        .enumerate()
        .filter(|(_, slot)| matches!(slot, KeySlot::RecoveryKey { .. }))
        .collect();
    let opens = |bytes: &[u8; 32]| -> Result<bool> {
        let secret = Secret::RecoveryKey(RecoveryKey::from_bytes(*bytes));
        for &(index, slot) in &slots {
            let kek = slot
                .kek(&secret)?
                .expect("a recovery-key slot and a recovery key");
            // A slot whose key check matches but whose wrap fails does not count: it is
            // damaged, and no variant should be named for it.
            if let Ok(Some(_)) = slot.open_with_kek(index, header.suite(), backend, &kek) {
                return Ok(true);
            }
        }
        Ok(false)
    };
    if slots.is_empty() || opens(typed.as_bytes())? {
        return Ok(None);
    }
    let typed_bytes = typed.as_bytes();
    let mut found: Option<RecoveryKeyTypo> = None;
    let mut candidate = Zeroizing::new([0u8; 32]);
    let mut try_variant = |candidate: &[u8; 32], typo: RecoveryKeyTypo| -> Result<bool> {
        if !opens(candidate)? {
            return Ok(true);
        }
        if found.is_some() {
            // Two variants open: naming either would be a guess.
            found = None;
            return Ok(false);
        }
        found = Some(typo);
        Ok(true)
    };
    for position in 0..DIGITS {
        let was = nibble(typed_bytes, position);
        for value in (0..16u8).filter(|&value| value != was) {
            candidate.copy_from_slice(typed_bytes);
            set_nibble(&mut candidate, position, value);
            let typo = RecoveryKeyTypo {
                position,
                typed: hex(&[was]),
                opens_with: hex(&[value]),
            };
            if !try_variant(&candidate, typo)? {
                return Ok(None);
            }
        }
    }
    for position in 0..DIGITS - 1 {
        let (first, second) = (
            nibble(typed_bytes, position),
            nibble(typed_bytes, position + 1),
        );
        if first == second {
            continue;
        }
        candidate.copy_from_slice(typed_bytes);
        set_nibble(&mut candidate, position, second);
        set_nibble(&mut candidate, position + 1, first);
        let typo = RecoveryKeyTypo {
            position,
            typed: hex(&[first, second]),
            opens_with: hex(&[second, first]),
        };
        if !try_variant(&candidate, typo)? {
            return Ok(None);
        }
    }
    Ok(found)
}

/// Digit `position` of the key (0 is the high nibble of byte 0).
fn nibble(bytes: &[u8; 32], position: usize) -> u8 {
    let byte = bytes[position / 2];
    if position.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    }
}

fn set_nibble(bytes: &mut [u8; 32], position: usize, value: u8) {
    let byte = &mut bytes[position / 2];
    *byte = if position.is_multiple_of(2) {
        (*byte & 0x0f) | (value << 4)
    } else {
        (*byte & 0xf0) | value
    };
}

fn hex(nibbles: &[u8]) -> String {
    nibbles
        .iter()
        .map(|&value| char::from_digit(u32::from(value), 16).expect("a nibble"))
        .collect()
}
