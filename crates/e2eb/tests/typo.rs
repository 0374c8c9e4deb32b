//! Typo help for a recovery key: the one variant (a digit changed, two neighbours swapped)
//! that opens the backup is named by its place; anything else says nothing.

mod common;

use common::*;
use e2eb::{Decryptor, Error, RecoveryKey, Secret, Suite};

/// The reference key's 64 digits with `edit` applied.
fn typed(edit: impl FnOnce(&mut Vec<char>)) -> RecoveryKey {
    let mut digits: Vec<char> = recovery_key()
        .display_grouped()
        .replace(' ', "")
        .chars()
        .collect();
    edit(&mut digits);
    RecoveryKey::parse(&digits.iter().collect::<String>()).unwrap()
}

fn typo_for(backup: &[u8], key: RecoveryKey) -> Option<e2eb::RecoveryKeyTypo> {
    let decryptor = Decryptor::new(Secret::RecoveryKey(key));
    assert!(matches!(
        decryptor.decrypt_to_vec(backup),
        Err(Error::NoSlotOpened { .. }) | Ok(_)
    ));
    let started = std::time::Instant::now();
    let typo = decryptor.recovery_key_typo(backup).unwrap();
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    typo
}

#[test]
fn one_mistyped_digit_is_named_by_group_and_digit() {
    let backup = backup(Suite::Aes256Gcm, 100);
    // Group 7, digit 3 is digit index 26.
    let original = recovery_key().display_grouped().replace(' ', "");
    let right = original.chars().nth(26).unwrap();
    let wrong = if right == '8' { '9' } else { '8' };
    let key = typed(|digits| digits[26] = wrong);
    let typo = typo_for(&backup, key).expect("one digit off");
    assert_eq!((typo.group(), typo.digit()), (7, 3));
    assert_eq!(
        typo.to_string(),
        format!("group 7, digit 3: you typed {wrong}, the backup opens with {right}")
    );
}

#[test]
fn two_swapped_neighbours_are_named() {
    let backup = backup(Suite::Aes256Gcm, 10);
    let original: Vec<char> = recovery_key()
        .display_grouped()
        .replace(' ', "")
        .chars()
        .collect();
    let position = (0..63)
        .find(|&position| original[position] != original[position + 1])
        .unwrap();
    let typo = typo_for(&backup, typed(|digits| digits.swap(position, position + 1)))
        .expect("a transposition");
    assert_eq!(typo.position, position);
    assert_eq!(
        typo.typed,
        format!("{}{}", original[position + 1], original[position])
    );
    assert!(typo.to_string().contains("you typed"), "{typo}");
}

#[test]
fn a_wholly_wrong_key_or_the_right_one_gets_no_suggestion() {
    let backup = backup(Suite::Aes256Gcm, 10);
    assert_eq!(typo_for(&backup, RecoveryKey::from_bytes([0x5a; 32])), None);
    assert_eq!(typo_for(&backup, recovery_key()), None);
    // Two digits off is not one typo.
    assert_eq!(
        typo_for(
            &backup,
            typed(|digits| {
                digits[0] = if digits[0] == 'a' { 'b' } else { 'a' };
                digits[40] = if digits[40] == 'a' { 'b' } else { 'a' };
            })
        ),
        None
    );
}
