//! Passwords as the KDFs receive them: NFC-normalised, checked for unassigned code points, wiped
//! on drop.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A password. Zeroized on drop, never shown by `Debug`.
///
/// The KDFs receive its Unicode NFC normalisation, UTF-8 encoded (SPEC.md, "Passwords"), so the
/// same password typed on keyboards that compose accents differently opens the same backup.
pub struct Password(SecretString);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<secret>)")
    }
}

impl Password {
    /// Takes ownership of `password`; it is zeroized when the `Password` is dropped.
    pub fn new(password: String) -> Result<Password> {
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        Ok(Password(SecretString::from(password)))
    }

    /// [`Error::UnassignedInPassword`] where the password holds a code point unassigned in the
    /// Unicode version of the normalisation tables: its NFC may differ under a later version,
    /// so a backup sealed with it could stop opening elsewhere. Checked for new slots only; a
    /// password that opens an existing slot is taken as it is. Public for other places a new
    /// password is normalised the same way, such as a key vault's registration.
    pub fn check_assigned(&self) -> Result<()> {
        use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
        let unassigned = self
            .0
            .expose_secret()
            .chars()
            .position(|c| c.general_category() == GeneralCategory::Unassigned);
        match unassigned {
            None => Ok(()),
            Some(index) => {
                let (major, minor, update) = unicode_normalization::UNICODE_VERSION;
                Err(Error::UnassignedInPassword {
                    position: index + 1,
                    unicode_version: format!("{major}.{minor}.{update}"),
                })
            }
        }
    }

    /// What the KDFs receive: the password's NFC normalisation, whose UTF-8 bytes are the KDF
    /// input (SPEC.md §2.2). Public so that the normalisation can be checked against the
    /// vectors; it is as secret as the password.
    pub fn kdf_input(&self) -> Zeroizing<String> {
        let password = self.0.expose_secret();
        // Reserved up front so that growing the string leaves no copies of it in freed memory;
        // NFC expands a string at most threefold.
        let mut normalized = Zeroizing::new(String::with_capacity(password.len() * 3));
        normalized.extend(password.nfc());
        normalized
    }
}
