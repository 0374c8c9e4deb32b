//! Cipher suites: the AEADs a backup can be sealed with, their ids and names.

/// Length of every suite's key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of every suite's nonce, in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of every suite's authentication tag, in bytes.
pub const TAG_LEN: usize = 16;

/// The AEAD that protects a backup's key slots and payload (SPEC.md, "Suites").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// AES-256-GCM: fastest where the CPU has AES and carry-less multiply instructions.
    Aes256Gcm,
    /// ChaCha20-Poly1305: constant-time and fast in software, for CPUs without AES instructions.
    ChaCha20Poly1305,
}

impl Suite {
    /// Every suite this build knows, in identifier order.
    pub const ALL: [Suite; 2] = [Suite::Aes256Gcm, Suite::ChaCha20Poly1305];

    /// The suite's one-byte identifier in the header.
    pub fn id(self) -> u8 {
        match self {
            Suite::Aes256Gcm => 0x01,
            Suite::ChaCha20Poly1305 => 0x02,
        }
    }

    /// The suite with header identifier `id`, if this build knows it.
    pub fn from_id(id: u8) -> Option<Suite> {
        Suite::ALL.into_iter().find(|suite| suite.id() == id)
    }

    /// The AEAD's name in the IANA "AEAD Algorithms" registry, as used by c2sp.org/chunked-encryption.
    pub fn iana_name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "AEAD_AES_256_GCM",
            Suite::ChaCha20Poly1305 => "AEAD_CHACHA20_POLY1305",
        }
    }

    /// The short name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256Gcm => "aes-256-gcm",
            Suite::ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// The suite with command-line name `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Suite> {
        Suite::ALL
            .into_iter()
            .find(|suite| suite.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Suite {
    type Err = UnknownName;

    /// The same as [`Suite::from_name`], with an error that lists the names.
    fn from_str(name: &str) -> Result<Suite, UnknownName> {
        Suite::from_name(name)
            .ok_or_else(|| UnknownName::new("cipher suite", name, Suite::ALL.map(Suite::name)))
    }
}

/// A name that is none of this build's (the error of [`Suite`]'s and [`crate::Backend`]'s `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; this build knows {}", known.join(", "))]
pub struct UnknownName {
    what: &'static str,
    name: String,
    known: Vec<&'static str>,
}

impl UnknownName {
    pub(crate) fn new(
        what: &'static str,
        name: &str,
        known: impl IntoIterator<Item = &'static str>,
    ) -> UnknownName {
        UnknownName {
            what,
            name: name.to_string(),
            known: known.into_iter().collect(),
        }
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names this build knows.
    pub fn known(&self) -> &[&'static str] {
        &self.known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for suite in Suite::ALL {
            assert_eq!(suite.name().parse(), Ok(suite));
            assert_eq!(suite.name().to_uppercase().parse(), Ok(suite));
        }
        let error = "aes-128-gcm".parse::<Suite>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown cipher suite \"aes-128-gcm\"; this build knows aes-256-gcm, chacha20-poly1305"
        );
    }
}
