//! The 256-bit recovery key: generated once, shown as 64 hex digits in 16 groups of 4, typed
//! back in by a person.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::entropy::Entropy;
pub use crate::error::RecoveryKeyError;
use crate::error::Result;

/// Number of hex digits in a recovery key.
pub const DIGITS: usize = 64;
/// Digits per group when the key is displayed.
pub const GROUP_LEN: usize = 4;

/// A 256-bit recovery key. Zeroized on drop; `Debug` never shows it; compared in constant time.
#[derive(Clone)]
pub struct RecoveryKey([u8; 32]);

// By hand rather than derived: the derive macros would build a proc-macro crate (and its
// parser) for every user of the library, for these few lines.
impl Zeroize for RecoveryKey {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for RecoveryKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for RecoveryKey {}

impl RecoveryKey {
    /// A new recovery key from the operating system's random number generator.
    pub fn generate() -> Result<RecoveryKey> {
        let mut key = RecoveryKey([0; 32]);
        Entropy::os().fill(&mut key.0)?;
        Ok(key)
    }

    /// The key with these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> RecoveryKey {
        RecoveryKey(bytes)
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses a key as a person types it: 64 hex digits in any case, with any spaces, tabs,
    /// newlines and dashes between them.
    pub fn parse(text: &str) -> Result<RecoveryKey, RecoveryKeyError> {
        let mut key = RecoveryKey([0; 32]);
        let mut digits = 0usize;
        for character in text.chars() {
            if character.is_whitespace() || character == '-' {
                continue;
            }
            let Some(value) = character.to_digit(16) else {
                return Err(RecoveryKeyError::InvalidCharacter {
                    character,
                    // Every place after the last digit is "group 17" (SPEC.md, "Recovery
                    // key"): a key has 16 groups, and a 17th names no real one.
                    group: (digits / GROUP_LEN + 1).min(DIGITS / GROUP_LEN + 1),
                    position: digits + 1,
                });
            };
            if digits < DIGITS {
                // `value` < 16, so the cast is lossless.
                key.0[digits / 2] |= (value as u8) << if digits.is_multiple_of(2) { 4 } else { 0 };
            }
            digits += 1;
        }
        if digits != DIGITS {
            return Err(RecoveryKeyError::WrongLength { found: digits });
        }
        Ok(key)
    }

    /// The key as a person should write it down: 16 groups of 4 lowercase hex digits separated
    /// by spaces. Treat the returned string as secret.
    pub fn display_grouped(&self) -> zeroize::Zeroizing<String> {
        let mut text = zeroize::Zeroizing::new(String::with_capacity(DIGITS + DIGITS / GROUP_LEN));
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 && index % (GROUP_LEN / 2) == 0 {
                text.push(' ');
            }
            text.push(hex_digit(byte >> 4));
            text.push(hex_digit(byte & 0x0f));
        }
        text
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).expect("a nibble is a hex digit")
}

impl ConstantTimeEq for RecoveryKey {
    fn ct_eq(&self, other: &RecoveryKey) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for RecoveryKey {
    /// Constant time: how long it takes says nothing of where the keys differ.
    fn eq(&self, other: &RecoveryKey) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for RecoveryKey {}

impl std::str::FromStr for RecoveryKey {
    type Err = RecoveryKeyError;

    /// The same as [`RecoveryKey::parse`].
    fn from_str(text: &str) -> Result<RecoveryKey, RecoveryKeyError> {
        RecoveryKey::parse(text)
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";

    fn reference() -> RecoveryKey {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(KEY_HEX, &mut bytes).unwrap();
        RecoveryKey::from_bytes(bytes)
    }

    #[test]
    fn display_is_sixteen_groups_of_four_and_parses_back() {
        let shown = reference().display_grouped();
        assert_eq!(
            shown.as_str(),
            "6730 a595 a148 4d0c 39c1 01dc 0ac8 2ec5 e401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017"
        );
        assert_eq!(RecoveryKey::parse(&shown).unwrap(), reference());
    }

    #[test]
    fn accepts_case_spaces_dashes_and_newlines() {
        for text in [
            KEY_HEX.to_string(),
            KEY_HEX.to_uppercase(),
            "6730-A595-a148-4d0c-39c1-01dc-0ac8-2ec5-e401-bb6f-0e1b-8ee2-dc10-4a6b-3687-f017".into(),
            "  6730 a595 a148 4d0c\n39c1 01dc 0ac8 2ec5\r\ne401 bb6f 0e1b 8ee2\tdc10 4a6b 3687 f017\n".into(),
        ] {
            assert_eq!(RecoveryKey::parse(&text).unwrap(), reference(), "{text:?}");
        }
    }

    #[test]
    fn a_bad_character_after_any_number_of_extra_digits_is_in_group_17() {
        for extra in [0, 1, 4, 5, 40] {
            let text = format!("{KEY_HEX}{}.", "0".repeat(extra));
            assert!(
                matches!(
                    RecoveryKey::parse(&text),
                    Err(RecoveryKeyError::InvalidCharacter { group: 17, .. })
                ),
                "{extra} extra digits"
            );
        }
    }

    #[test]
    fn wrong_length_says_how_many_digits() {
        assert_eq!(
            RecoveryKey::parse(&KEY_HEX[..63]),
            Err(RecoveryKeyError::WrongLength { found: 63 })
        );
        assert_eq!(
            RecoveryKey::parse(&format!("{KEY_HEX}0")),
            Err(RecoveryKeyError::WrongLength { found: 65 })
        );
        assert_eq!(
            RecoveryKey::parse(""),
            Err(RecoveryKeyError::WrongLength { found: 0 })
        );
    }

    #[test]
    fn bad_character_names_its_group() {
        let text =
            "6730 a595 a14g 4d0c 39c1 01dc 0ac8 2ec5 e401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017";
        let error = RecoveryKey::parse(text).unwrap_err();
        assert_eq!(
            error,
            RecoveryKeyError::InvalidCharacter {
                character: 'g',
                group: 3,
                position: 12
            }
        );
        assert!(error.to_string().contains("group 3"), "{error}");
        let after = RecoveryKey::parse(&format!("{KEY_HEX}.")).unwrap_err();
        assert!(matches!(
            after,
            RecoveryKeyError::InvalidCharacter { group: 17, .. }
        ));
        assert!(
            after.to_string().contains("after the last group"),
            "{after}"
        );
        // No-break and ideographic spaces are white space too.
        let spaced = KEY_HEX
            .as_bytes()
            .chunks(4)
            .map(|g| std::str::from_utf8(g).unwrap())
            .collect::<Vec<_>>()
            .join("\u{a0}\u{3000}");
        assert_eq!(RecoveryKey::parse(&spaced).unwrap(), reference());
        // Non-ASCII digits (e.g. fullwidth) are not hex digits.
        assert!(matches!(
            RecoveryKey::parse("６７３０"),
            Err(RecoveryKeyError::InvalidCharacter { group: 1, .. })
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", reference()), "RecoveryKey(<secret>)");
    }

    #[test]
    fn from_str_parses_and_equality_compares_every_byte() {
        let parsed: RecoveryKey = KEY_HEX.parse().unwrap();
        assert_eq!(parsed, reference());
        assert_eq!(
            "12".parse::<RecoveryKey>(),
            Err(RecoveryKeyError::WrongLength { found: 2 })
        );
        for index in [0, 31] {
            let mut bytes = *reference().as_bytes();
            bytes[index] ^= 1;
            assert_ne!(RecoveryKey::from_bytes(bytes), reference());
        }
    }
}
