//! The two password KDFs as the search and the cost model see them: a memory size and an
//! iteration count, mapped onto parameters that `e2eb encrypt --kdf-params` accepts.
//!
//! Argon2id: memory `m`, iterations `t` (passes), lanes `p` held fixed.
//! scrypt: memory `128·r·N`, iterations `p`. This build runs scrypt's `p` ROMix instances one
//! after another over the same `N·r` memory (the `scrypt` crate without its `parallel`
//! feature), so `p` multiplies the time and leaves memory alone, like Argon2id's `t`.
//! libsodium raises scrypt's `p` the same way once memory is at its limit.

use e2eb::{Argon2idParams, KdfCaps, KdfKind, KdfParams, ScryptParams};

const MIB: u64 = 1 << 20;

/// The smallest memory a search goes down to: 1 MiB.
pub const MIN_MEMORY_BYTES: u64 = MIB;

/// scrypt's smallest `log2 N` here: with `r = 8`, 1 MiB.
const SCRYPT_MIN_LOG_N: u8 = 10;
/// scrypt's `r` stays at 8 (RFC 7914's and OWASP's choice) at the bottom of each doubling of
/// `N` and grows up to this between doublings, so that memory and time move in steps of at
/// most 12.5 % instead of 100 %: a power of two of `N` alone could not land within 95–110 %
/// of a target.
const SCRYPT_MAX_STEP_R: u32 = 15;

/// A password KDF with the parameters a search holds fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Argon2id with `lanes` lanes (`p`).
    Argon2id {
        /// Lanes, `p`: the threads one derivation runs on.
        lanes: u32,
    },
    /// scrypt.
    Scrypt,
}

impl Family {
    /// The family of `params`, with its lanes; `None` for a KDF the search does not cover.
    pub fn of(params: &KdfParams) -> Option<Family> {
        match params {
            KdfParams::Argon2id(argon) => Some(Family::Argon2id {
                lanes: argon.lanes(),
            }),
            KdfParams::Scrypt(_) => Some(Family::Scrypt),
            _ => None,
        }
    }

    /// The KDF.
    pub fn kind(self) -> KdfKind {
        match self {
            Family::Argon2id { .. } => KdfKind::Argon2id,
            Family::Scrypt => KdfKind::Scrypt,
        }
    }

    /// `argon2id` or `scrypt`, as `e2eb encrypt --kdf` spells it.
    pub fn name(self) -> &'static str {
        kind_name(self.kind())
    }

    /// The parameter the iterations are: `t` (Argon2id) or `p` (scrypt).
    pub fn iterations_name(self) -> &'static str {
        match self {
            Family::Argon2id { .. } => "t",
            Family::Scrypt => "p",
        }
    }

    /// The most iterations a setting may have: what e2eb's default decrypt caps accept, so
    /// that a tuned backup opens without raising them.
    pub fn max_iterations(self) -> u32 {
        let caps = KdfCaps::for_physical_memory(None);
        match self {
            Family::Argon2id { .. } => caps.argon2_max_passes(),
            Family::Scrypt => caps.scrypt_max_p(),
        }
    }

    /// The largest setting with at most `memory_bytes` of memory (and at least
    /// [`MIN_MEMORY_BYTES`]) and `iterations` iterations. Argon2id memory is a whole number of
    /// MiB, which keeps `--kdf-params` readable and costs at most 1/16 of the memory at the
    /// 16 MiB where OWASP's minimum lies.
    pub fn params(self, memory_bytes: u64, iterations: u32) -> KdfParams {
        let iterations = iterations.clamp(1, self.max_iterations());
        match self {
            Family::Argon2id { lanes } => {
                let mib = (memory_bytes / MIB).clamp(1, u64::from(u32::MAX / 1024)) as u32;
                // Argon2id needs at least 8 KiB per lane; whole MiB give that up to 128 lanes.
                let memory_kib = (mib * 1024).max(lanes.saturating_mul(8));
                KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, iterations, lanes))
            }
            Family::Scrypt => {
                let (log_n, r) = scrypt_shape(memory_bytes);
                KdfParams::Scrypt(ScryptParams::unvalidated(log_n, r, iterations))
            }
        }
    }

    /// The memory of the largest setting that fits in `memory_bytes`.
    pub fn representable_memory(self, memory_bytes: u64) -> u64 {
        memory_of(&self.params(memory_bytes, 1))
    }

    /// The smallest representable memory above `memory_bytes`'s representable one (the same
    /// one at the top of the range).
    pub fn next_memory_above(self, memory_bytes: u64) -> u64 {
        let current = self.representable_memory(memory_bytes);
        match self {
            Family::Argon2id { .. } => self.representable_memory(current.saturating_add(MIB)),
            Family::Scrypt => {
                let (log_n, r) = scrypt_shape(current);
                let one_more_r = (128 * (u64::from(r) + 1)) << log_n;
                let next = self.representable_memory(one_more_r);
                if next > current {
                    next
                } else {
                    self.representable_memory(1024u64 << (log_n + 1).min(62))
                }
            }
        }
    }
}

/// `argon2id` or `scrypt`.
pub fn kind_name(kind: KdfKind) -> &'static str {
    kind.name()
}

/// Bytes the parameters make one derivation allocate, without the scrypt's `p` term of e2eb's
/// `128·r·(N + p)`: those few KiB are the inputs of each ROMix, not memory it fills, and
/// leaving them out keeps memory independent of the iterations.
pub fn memory_of(params: &KdfParams) -> u64 {
    match params {
        KdfParams::Argon2id(argon) => argon.memory_bytes(),
        KdfParams::Scrypt(scrypt) => {
            let bytes = 128u128 * u128::from(scrypt.r()) * (1u128 << scrypt.log_n().min(63));
            bytes.try_into().unwrap_or(u64::MAX)
        }
        other => other.memory_bytes().try_into().unwrap_or(u64::MAX),
    }
}

/// Argon2id `t` or scrypt `p`.
pub fn iterations_of(params: &KdfParams) -> u32 {
    match params {
        KdfParams::Argon2id(argon) => argon.passes(),
        KdfParams::Scrypt(scrypt) => scrypt.p(),
        _ => 1,
    }
}

/// Lanes that run at once: Argon2id `p`; 1 for scrypt, whose instances run in sequence here.
pub fn lanes_of(params: &KdfParams) -> u32 {
    match params {
        KdfParams::Argon2id(argon) => argon.lanes(),
        _ => 1,
    }
}

/// The largest `(log2 N, r)` with `128·r·N <= memory_bytes`, `r` from 8 to
/// [`SCRYPT_MAX_STEP_R`] (to 32, e2eb's default cap, once `N` reaches its own cap of 2^22).
fn scrypt_shape(memory_bytes: u64) -> (u8, u32) {
    let caps = KdfCaps::for_physical_memory(None);
    // Units of 128 bytes: r·N.
    let units = (memory_bytes / 128).max(8 << SCRYPT_MIN_LOG_N);
    let log_n = ((units / 8).ilog2() as u8).clamp(SCRYPT_MIN_LOG_N, caps.scrypt_max_log_n());
    let max_r = if log_n == caps.scrypt_max_log_n() {
        caps.scrypt_max_r()
    } else {
        SCRYPT_MAX_STEP_R
    };
    let r = (units >> log_n).clamp(8, u64::from(max_r)) as u32;
    (log_n, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_memory_is_whole_mebibytes() {
        let family = Family::Argon2id { lanes: 4 };
        assert_eq!(
            family.params(100 * MIB + 5000, 3),
            KdfParams::Argon2id(Argon2idParams::unvalidated(100 * 1024, 3, 4))
        );
        assert_eq!(family.representable_memory(0), MIB, "never below 1 MiB");
        assert_eq!(
            iterations_of(&family.params(MIB, 1000)),
            64,
            "iterations stay within the default decrypt caps"
        );
    }

    #[test]
    fn scrypt_steps_are_at_most_an_eighth() {
        let family = Family::Scrypt;
        assert_eq!(
            family.params(128 * MIB, 1),
            KdfParams::Scrypt(ScryptParams::unvalidated(17, 8, 1))
        );
        assert_eq!(
            family.params(255 * MIB, 2),
            KdfParams::Scrypt(ScryptParams::unvalidated(17, 15, 2))
        );
        let mut previous = family.representable_memory(MIN_MEMORY_BYTES);
        let mut bytes = MIN_MEMORY_BYTES;
        while bytes < 2 << 30 {
            bytes += bytes / 64;
            let memory = family.representable_memory(bytes);
            assert!(memory <= bytes.max(MIN_MEMORY_BYTES), "{bytes}");
            assert!(memory >= previous, "monotone");
            assert!(memory as f64 >= bytes as f64 / 1.126, "{bytes}: {memory}");
            previous = memory;
        }
        assert_eq!(family.next_memory_above(128 * MIB), 144 * MIB, "r = 9");
        assert_eq!(
            family.next_memory_above(255 * MIB),
            256 * MIB,
            "r = 15 to N·2"
        );
        assert_eq!(
            Family::Argon2id { lanes: 1 }.next_memory_above(100 * MIB + 1),
            101 * MIB
        );
        let KdfParams::Scrypt(huge) = family.params(16 << 30, 1) else {
            panic!("scrypt")
        };
        assert_eq!((huge.log_n(), huge.r()), (22, 32), "at the caps");
    }
}
