//! Where the randomness of a new backup comes from: the OS, or fixed bytes for test vectors.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The source of a new backup's random values, drawn in the order SPEC.md gives
/// ("Encryption"): the file key, each slot's salt in slot order, then the payload salt.
pub struct Entropy(Source);

enum Source {
    Os,
    #[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
    Fixed {
        bytes: Zeroizing<Vec<u8>>,
        position: usize,
    },
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Fixed bytes become file keys and salts: never print them.
        f.write_str(match self.0 {
            Source::Os => "Entropy::Os",
            Source::Fixed { .. } => "Entropy::Fixed(<secret>)",
        })
    }
}

impl Entropy {
    /// The operating system's random number generator (the only source for real backups).
    pub fn os() -> Entropy {
        Entropy(Source::Os)
    }

    /// Hands out exactly `bytes`, in order, then fails. For reproducible test vectors only:
    /// a backup made twice with the same fixed bytes leaks the relation between its contents.
    #[cfg(feature = "hazmat")]
    pub fn fixed(bytes: Vec<u8>) -> Entropy {
        Entropy(Source::Fixed {
            bytes: Zeroizing::new(bytes),
            position: 0,
        })
    }

    /// Fills `buffer` with the next random bytes.
    pub fn fill(&mut self, buffer: &mut [u8]) -> Result<()> {
        match &mut self.0 {
            Source::Os => getrandom::fill(buffer).map_err(|_| Error::Randomness),
            Source::Fixed { bytes, position } => {
                let end = *position + buffer.len();
                let source = bytes.get(*position..end).ok_or(Error::Randomness)?;
                buffer.copy_from_slice(source);
                *position = end;
                Ok(())
            }
        }
    }
}
