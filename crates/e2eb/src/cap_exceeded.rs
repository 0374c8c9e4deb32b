//! What a KDF cap refuses: the parameter over its cap, the value asked and the cap, named in
//! errors. Shared by the caps and the error type.

use std::fmt;

/// A KDF parameter that [`crate::KdfCaps`] bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KdfParameter {
    /// Memory one derivation allocates, in bytes (either KDF).
    Memory,
    /// Argon2id passes (`t`).
    Argon2Passes,
    /// Argon2id lanes (`p`).
    Argon2Lanes,
    /// scrypt log2 N.
    ScryptLogN,
    /// scrypt block size `r`.
    ScryptR,
    /// scrypt parallelization `p`.
    ScryptP,
    /// Work of one derivation: memory × passes, in bytes (either KDF).
    Work,
    /// Work of all the password derivations of one backup up to the slot named, in bytes.
    BackupWork,
    /// Distinct password derivations of one backup up to the slot named.
    PasswordSlots,
}

impl KdfParameter {
    /// The parameter's short name in messages: `memory`, `t`, `p`, `log2 N`, `r`, `p`,
    /// `memory × passes`, `memory × passes of the password slots so far`,
    /// `password slots so far`.
    pub fn name(self) -> &'static str {
        match self {
            KdfParameter::Work => "memory × passes",
            KdfParameter::BackupWork => "memory × passes of the password slots so far",
            KdfParameter::PasswordSlots => "password slots so far",
            KdfParameter::Memory => "memory",
            KdfParameter::Argon2Passes => "t",
            KdfParameter::Argon2Lanes | KdfParameter::ScryptP => "p",
            KdfParameter::ScryptLogN => "log2 N",
            KdfParameter::ScryptR => "r",
        }
    }

    /// `value` of this parameter as messages show it: memory in the largest binary unit that
    /// keeps it whole (`64 MiB`), other parameters as plain numbers.
    pub fn display_value(self, value: u128) -> impl fmt::Display {
        struct Shown(KdfParameter, u128);
        impl fmt::Display for Shown {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let Shown(parameter, value) = *self;
                if !matches!(
                    parameter,
                    KdfParameter::Memory | KdfParameter::Work | KdfParameter::BackupWork
                ) {
                    return write!(f, "{value}");
                }
                const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
                let mut value = value;
                let mut unit = 0;
                while unit + 1 < UNITS.len() && value >= 1024 && value.is_multiple_of(1024) {
                    value /= 1024;
                    unit += 1;
                }
                write!(f, "{value} {}", UNITS[unit])
            }
        }
        Shown(self, value)
    }
}

impl fmt::Display for KdfParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A KDF parameter over its cap: what [`crate::KdfCaps::check`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{parameter} = {}, above the cap of {}",
    parameter.display_value(*value),
    parameter.display_value(*cap)
)]
#[non_exhaustive]
pub struct CapExceeded {
    /// The parameter over its cap.
    pub parameter: KdfParameter,
    /// The value asked for (bytes for memory and work).
    pub value: u128,
    /// The cap in force (bytes for memory and work).
    pub cap: u128,
}
