//! Password KDFs (Argon2id, scrypt): their parameters, the decrypt-side caps that keep a hostile
//! header from costing unbounded time or memory, and the derivation itself.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

mod argon2_memory;
use argon2_memory::Argon2Memory;

/// Length of every key-encryption key, in bytes.
pub const KEK_LEN: usize = 32;
/// Shortest password salt the format accepts, in bytes.
pub const MIN_SALT_LEN: usize = 16;
/// Longest password salt the format accepts, in bytes.
pub const MAX_SALT_LEN: usize = 64;
/// Length of the salt e2eb writes into new password slots, in bytes.
pub const DEFAULT_SALT_LEN: usize = 32;

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

    /// The bytes the KDFs receive (as UTF-8).
    fn kdf_input(&self) -> Zeroizing<String> {
        let password = self.0.expose_secret();
        // Reserved up front so that growing the string leaves no copies of it in freed memory;
        // NFC expands a string at most threefold.
        let mut normalized = Zeroizing::new(String::with_capacity(password.len() * 3));
        normalized.extend(password.nfc());
        normalized
    }
}

/// Argon2id parameters (RFC 9106), version 0x13, 32-byte output, no secret, no associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Argon2idParams {
    memory_kib: u32,
    passes: u32,
    lanes: u32,
}

impl Argon2idParams {
    /// RFC 9106's second recommended option, for memory-constrained environments:
    /// 64 MiB, t = 3, p = 4.
    pub const DEFAULT: Argon2idParams = Argon2idParams::unvalidated(64 * 1024, 3, 4);

    /// Memory `memory_kib` KiB (`m`), `passes` passes over it (`t`) and `lanes` lanes (`p`),
    /// checked by [`Argon2idParams::validate`]: [`Error::InvalidKdfParameters`] outside the
    /// ranges RFC 9106 allows.
    pub fn new(memory_kib: u32, passes: u32, lanes: u32) -> Result<Argon2idParams> {
        let params = Argon2idParams::unvalidated(memory_kib, passes, lanes);
        params.validate()?;
        Ok(params)
    }

    /// The same parameters without the range check, for constants and for deliberately invalid
    /// headers (tests, test vectors, fuzzing corpora). Nothing derives a key from invalid
    /// parameters: [`KdfParams::derive`], encryption and header parsing all validate.
    pub const fn unvalidated(memory_kib: u32, passes: u32, lanes: u32) -> Argon2idParams {
        Argon2idParams {
            memory_kib,
            passes,
            lanes,
        }
    }

    /// Memory in KiB (`m`).
    pub const fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over memory (`t`).
    pub const fn passes(&self) -> u32 {
        self.passes
    }

    /// Lanes (`p`).
    pub const fn lanes(&self) -> u32 {
        self.lanes
    }

    /// Checks the ranges RFC 9106 allows (SPEC.md, "Argon2id slot").
    pub fn validate(&self) -> Result<()> {
        let Argon2idParams {
            memory_kib,
            passes,
            lanes,
        } = *self;
        if !(1..=0x00ff_ffff).contains(&lanes) {
            return Err(Error::InvalidKdfParameters(format!(
                "argon2id p = {lanes}, must be 1..=16777215"
            )));
        }
        if passes == 0 {
            return Err(Error::InvalidKdfParameters(
                "argon2id t = 0, must be at least 1".into(),
            ));
        }
        if u64::from(memory_kib) < 8 * u64::from(lanes) {
            return Err(Error::InvalidKdfParameters(format!(
                "argon2id m = {memory_kib} KiB, must be at least 8 * p = {} KiB",
                8 * u64::from(lanes)
            )));
        }
        Ok(())
    }

    /// Bytes of memory one derivation allocates.
    pub fn memory_bytes(&self) -> u64 {
        u64::from(self.memory_kib) * 1024
    }
}

/// scrypt parameters (RFC 7914), 32-byte output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScryptParams {
    log_n: u8,
    r: u32,
    p: u32,
}

impl ScryptParams {
    /// OWASP's minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB).
    pub const DEFAULT: ScryptParams = ScryptParams::unvalidated(17, 8, 1);

    /// Cost N = 2^`log_n`, block size `r` and parallelization `p`, checked by
    /// [`ScryptParams::validate`]: [`Error::InvalidKdfParameters`] outside the ranges the format
    /// allows.
    pub fn new(log_n: u8, r: u32, p: u32) -> Result<ScryptParams> {
        let params = ScryptParams::unvalidated(log_n, r, p);
        params.validate()?;
        Ok(params)
    }

    /// The same parameters without the range check, for constants and for deliberately invalid
    /// headers (tests, test vectors, fuzzing corpora). Nothing derives a key from invalid
    /// parameters: [`KdfParams::derive`], encryption and header parsing all validate.
    pub const fn unvalidated(log_n: u8, r: u32, p: u32) -> ScryptParams {
        ScryptParams { log_n, r, p }
    }

    /// log2 of the CPU/memory cost `N`.
    pub const fn log_n(&self) -> u8 {
        self.log_n
    }

    /// Block size `r`.
    pub const fn r(&self) -> u32 {
        self.r
    }

    /// Parallelization `p`.
    pub const fn p(&self) -> u32 {
        self.p
    }

    /// Checks the ranges the format allows (SPEC.md, "scrypt slot").
    pub fn validate(&self) -> Result<()> {
        let ScryptParams { log_n, r, p } = *self;
        if !(1..=63).contains(&log_n) {
            return Err(Error::InvalidKdfParameters(format!(
                "scrypt log2 N = {log_n}, must be 1..=63"
            )));
        }
        if r == 0 || p == 0 {
            return Err(Error::InvalidKdfParameters(format!(
                "scrypt r = {r}, p = {p}: both must be at least 1"
            )));
        }
        if u64::from(r) * u64::from(p) >= 1 << 30 {
            return Err(Error::InvalidKdfParameters(format!(
                "scrypt r * p = {}, must be below 2^30",
                u64::from(r) * u64::from(p)
            )));
        }
        Ok(())
    }

    /// Bytes of memory one derivation allocates: 128 * r * (N + p).
    pub fn memory_bytes(&self) -> u128 {
        128 * u128::from(self.r) * ((1u128 << self.log_n) + u128::from(self.p))
    }
}

/// A password KDF with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KdfParams {
    /// Argon2id.
    Argon2id(Argon2idParams),
    /// scrypt.
    Scrypt(ScryptParams),
}

impl KdfParams {
    /// Checks the ranges the format allows.
    pub fn validate(&self) -> Result<()> {
        match self {
            KdfParams::Argon2id(params) => params.validate(),
            KdfParams::Scrypt(params) => params.validate(),
        }
    }

    /// Parses the command line's `m=65536,t=3,p=4` (Argon2id) or `ln=17,r=8,p=1` (scrypt);
    /// keys left out take the defaults of `kdf`.
    pub fn parse(kdf: KdfKind, text: &str) -> Result<KdfParams> {
        let mut pairs = Vec::new();
        for pair in text
            .split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
        {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                Error::InvalidKdfParameters(format!("{pair:?} is not of the form key=value"))
            })?;
            let value: u64 = value.trim().parse().map_err(|_| {
                Error::InvalidKdfParameters(format!("{pair:?}: the value is not a whole number"))
            })?;
            pairs.push((key.trim().to_ascii_lowercase(), value));
        }
        let params = match kdf {
            KdfKind::Argon2id => {
                let mut params = Argon2idParams::DEFAULT;
                for (key, value) in pairs {
                    let field = match key.as_str() {
                        "m" => &mut params.memory_kib,
                        "t" => &mut params.passes,
                        "p" => &mut params.lanes,
                        _ => return Err(unknown_key(&key, "m (KiB), t, p")),
                    };
                    *field = narrow(&key, value)?;
                }
                KdfParams::Argon2id(params)
            }
            KdfKind::Scrypt => {
                let mut params = ScryptParams::DEFAULT;
                for (key, value) in pairs {
                    match key.as_str() {
                        "ln" => params.log_n = narrow(&key, value)?,
                        "r" => params.r = narrow(&key, value)?,
                        "p" => params.p = narrow(&key, value)?,
                        _ => return Err(unknown_key(&key, "ln (log2 N), r, p")),
                    }
                }
                KdfParams::Scrypt(params)
            }
        };
        params.validate()?;
        Ok(params)
    }

    /// The kind of KDF.
    pub fn kind(&self) -> KdfKind {
        match self {
            KdfParams::Argon2id(_) => KdfKind::Argon2id,
            KdfParams::Scrypt(_) => KdfKind::Scrypt,
        }
    }

    /// Bytes of memory one derivation allocates.
    pub fn memory_bytes(&self) -> u128 {
        match self {
            KdfParams::Argon2id(params) => u128::from(params.memory_bytes()),
            KdfParams::Scrypt(params) => params.memory_bytes(),
        }
    }

    /// Derives the 32-byte key-encryption key from `password` and `salt`, exactly as a slot's
    /// KEK is derived (public so that tuning and benchmarks time the library's own code path).
    ///
    /// Callers check the parameters against [`KdfCaps`] first: this allocates what they ask.
    pub fn derive(&self, password: &Password, salt: &[u8]) -> Result<Zeroizing<[u8; KEK_LEN]>> {
        self.validate()?;
        let input = password.kdf_input();
        let mut kek = Zeroizing::new([0u8; KEK_LEN]);
        match self {
            KdfParams::Argon2id(params) => {
                let argon_params = argon2::Params::new(
                    params.memory_kib,
                    params.passes,
                    params.lanes,
                    Some(KEK_LEN),
                )
                .map_err(|error| Error::InvalidKdfParameters(format!("argon2id: {error}")))?;
                let mut memory = Argon2Memory::allocate(&argon_params)?;
                argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    argon_params,
                )
                .hash_password_into_with_memory(
                    input.as_bytes(),
                    salt,
                    kek.as_mut_slice(),
                    memory.blocks(),
                )
                .map_err(|error| Error::InvalidKdfParameters(format!("argon2id: {error}")))?;
            }
            KdfParams::Scrypt(params) => {
                let scrypt_params = scrypt::Params::new(params.log_n, params.r, params.p)
                    .map_err(|_| Error::InvalidKdfParameters(format!("scrypt {params}")))?;
                scrypt::scrypt(input.as_bytes(), salt, &scrypt_params, kek.as_mut_slice())
                    .map_err(|_| Error::InvalidKdfParameters(format!("scrypt {params}")))?;
            }
        }
        Ok(kek)
    }
}

fn unknown_key(key: &str, known: &str) -> Error {
    Error::InvalidKdfParameters(format!("unknown parameter {key:?}; expected {known}"))
}

fn narrow<T: TryFrom<u64>>(key: &str, value: u64) -> Result<T> {
    T::try_from(value)
        .map_err(|_| Error::InvalidKdfParameters(format!("{key} = {value} is out of range")))
}

impl fmt::Display for Argon2idParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "m={},t={},p={}",
            self.memory_kib, self.passes, self.lanes
        )
    }
}

impl fmt::Display for ScryptParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ln={},r={},p={}", self.log_n, self.r, self.p)
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KdfParams::Argon2id(params) => params.fmt(f),
            KdfParams::Scrypt(params) => params.fmt(f),
        }
    }
}

/// The password KDFs e2eb knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KdfKind {
    /// Argon2id (RFC 9106).
    Argon2id,
    /// scrypt (RFC 7914).
    Scrypt,
}

impl KdfKind {
    /// The KDF's name on the command line and in reports: `argon2id`, `scrypt`.
    pub fn name(self) -> &'static str {
        match self {
            KdfKind::Argon2id => "argon2id",
            KdfKind::Scrypt => "scrypt",
        }
    }

    /// The KDF's default parameters for new backups.
    pub fn default_params(self) -> KdfParams {
        match self {
            KdfKind::Argon2id => KdfParams::Argon2id(Argon2idParams::DEFAULT),
            KdfKind::Scrypt => KdfParams::Scrypt(ScryptParams::DEFAULT),
        }
    }
}

impl fmt::Display for KdfKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Upper bounds on the KDF work and memory a backup may ask of the decrypting machine, checked
/// before any KDF work or allocation (SPEC.md, "KDF caps").
///
/// Start from [`KdfCaps::default`] (this machine) or [`KdfCaps::for_physical_memory`] and change
/// single caps with the `with_` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCaps {
    max_memory_bytes: u64,
    argon2_max_passes: u32,
    argon2_max_lanes: u32,
    scrypt_max_log_n: u8,
    scrypt_max_r: u32,
    scrypt_max_p: u32,
}

impl KdfCaps {
    /// The memory cap's ceiling whatever the machine: 4 GiB.
    pub const MEMORY_CEILING: u64 = 4 << 30;

    /// The default caps: memory at most 4 GiB and at most half of `physical_memory` (when known),
    /// Argon2id t <= 64 and p <= 64, scrypt log2 N <= 22, r <= 32, p <= 16.
    pub fn for_physical_memory(physical_memory: Option<u64>) -> KdfCaps {
        let half = physical_memory.map_or(u64::MAX, |bytes| bytes / 2);
        KdfCaps {
            max_memory_bytes: Self::MEMORY_CEILING.min(half),
            argon2_max_passes: 64,
            argon2_max_lanes: 64,
            scrypt_max_log_n: 22,
            scrypt_max_r: 32,
            scrypt_max_p: 16,
        }
    }

    /// This machine's physical memory in bytes, where the OS tells it: what
    /// [`KdfCaps::default`] passes to [`KdfCaps::for_physical_memory`].
    pub fn machine_memory() -> Option<u64> {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    }

    /// Checks `params` against these caps; `Err` names the first parameter over its cap, with
    /// the value asked and the cap.
    pub fn check(&self, params: &KdfParams) -> Result<(), CapExceeded> {
        use KdfParameter::*;
        let mut limits: Vec<(KdfParameter, u128, u128)> = match params {
            KdfParams::Argon2id(argon) => vec![
                (
                    Argon2Passes,
                    argon.passes.into(),
                    self.argon2_max_passes.into(),
                ),
                (
                    Argon2Lanes,
                    argon.lanes.into(),
                    self.argon2_max_lanes.into(),
                ),
            ],
            KdfParams::Scrypt(scrypt) => vec![
                (
                    ScryptLogN,
                    scrypt.log_n.into(),
                    self.scrypt_max_log_n.into(),
                ),
                (ScryptR, scrypt.r.into(), self.scrypt_max_r.into()),
                (ScryptP, scrypt.p.into(), self.scrypt_max_p.into()),
            ],
        };
        limits.push((Memory, params.memory_bytes(), self.max_memory_bytes.into()));
        match limits.into_iter().find(|&(_, value, cap)| value > cap) {
            Some((parameter, value, cap)) => Err(CapExceeded {
                parameter,
                value,
                cap,
            }),
            None => Ok(()),
        }
    }
}

/// A getter and a `with_` setter for each cap.
macro_rules! cap_accessors {
    ($($(#[doc = $doc:literal])* $field:ident, $with:ident: $ty:ty;)*) => {
        impl KdfCaps {
            $(
                $(#[doc = $doc])*
                pub const fn $field(&self) -> $ty {
                    self.$field
                }

                /// These caps with this cap set to `cap`.
                #[must_use]
                pub const fn $with(mut self, cap: $ty) -> KdfCaps {
                    self.$field = cap;
                    self
                }
            )*
        }
    };
}

cap_accessors! {
    /// Most memory one derivation may allocate, in bytes.
    max_memory_bytes, with_max_memory_bytes: u64;
    /// Most Argon2id passes (`t`).
    argon2_max_passes, with_argon2_max_passes: u32;
    /// Most Argon2id lanes (`p`).
    argon2_max_lanes, with_argon2_max_lanes: u32;
    /// Largest scrypt log2 N.
    scrypt_max_log_n, with_scrypt_max_log_n: u8;
    /// Largest scrypt r.
    scrypt_max_r, with_scrypt_max_r: u32;
    /// Largest scrypt p.
    scrypt_max_p, with_scrypt_max_p: u32;
}

impl Default for KdfCaps {
    /// The default caps for this machine's physical memory.
    fn default() -> KdfCaps {
        KdfCaps::for_physical_memory(KdfCaps::machine_memory())
    }
}

/// A KDF parameter that [`KdfCaps`] bounds.
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
}

impl KdfParameter {
    /// The parameter's short name in messages: `memory`, `t`, `p`, `log2 N`, `r`, `p`.
    pub fn name(self) -> &'static str {
        match self {
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
                if parameter != KdfParameter::Memory {
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

/// A KDF parameter over its cap: what [`KdfCaps::check`] refuses.
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
    /// The value asked for (bytes for [`KdfParameter::Memory`]).
    pub value: u128,
    /// The cap in force (bytes for [`KdfParameter::Memory`]).
    pub cap: u128,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_command_line_parameters() {
        assert_eq!(
            KdfParams::parse(KdfKind::Argon2id, "m=65536,t=3,p=4").unwrap(),
            KdfParams::Argon2id(Argon2idParams {
                memory_kib: 65536,
                passes: 3,
                lanes: 4
            })
        );
        assert_eq!(
            KdfParams::parse(KdfKind::Scrypt, "ln=15").unwrap(),
            KdfParams::Scrypt(ScryptParams {
                log_n: 15,
                r: 8,
                p: 1
            })
        );
        assert!(
            KdfParams::parse(KdfKind::Argon2id, "m=4,p=1").is_err(),
            "m below 8p"
        );
        assert!(KdfParams::parse(KdfKind::Argon2id, "t=0").is_err());
        assert!(KdfParams::parse(KdfKind::Argon2id, "x=1").is_err());
        assert!(KdfParams::parse(KdfKind::Argon2id, "m=99999999999").is_err());
        assert!(KdfParams::parse(KdfKind::Scrypt, "ln=64").is_err());
        assert!(
            KdfParams::parse(KdfKind::Scrypt, "r=65536,p=16384").is_err(),
            "r*p >= 2^30"
        );
    }

    #[test]
    fn displayed_parameters_parse_back() {
        for params in [
            KdfKind::Argon2id.default_params(),
            KdfKind::Scrypt.default_params(),
        ] {
            assert_eq!(
                KdfParams::parse(params.kind(), &params.to_string()).unwrap(),
                params
            );
        }
    }

    #[test]
    fn caps_name_the_parameter_over_the_cap() {
        let caps = KdfCaps::for_physical_memory(Some(8 << 30));
        assert_eq!(caps.max_memory_bytes, 4 << 30);
        assert_eq!(
            KdfCaps::for_physical_memory(Some(2 << 30)).max_memory_bytes,
            1 << 30
        );
        let huge = KdfParams::Argon2id(Argon2idParams {
            memory_kib: u32::MAX,
            passes: 1,
            lanes: 1,
        });
        let error = caps.check(&huge).unwrap_err();
        assert_eq!(
            error,
            CapExceeded {
                parameter: KdfParameter::Memory,
                value: u128::from(u32::MAX) * 1024,
                cap: 4 << 30,
            }
        );
        assert_eq!(
            error.to_string(),
            "memory = 4294967295 KiB, above the cap of 4 GiB"
        );
        let slow = KdfParams::Argon2id(Argon2idParams::unvalidated(64, u32::MAX, 1));
        assert_eq!(
            caps.check(&slow).unwrap_err().parameter,
            KdfParameter::Argon2Passes
        );
        let scrypt = KdfParams::Scrypt(ScryptParams::unvalidated(23, 8, 1));
        let error = caps.check(&scrypt).unwrap_err();
        assert_eq!(error.parameter, KdfParameter::ScryptLogN);
        assert_eq!(error.to_string(), "log2 N = 23, above the cap of 22");
        assert!(caps.check(&KdfKind::Argon2id.default_params()).is_ok());
        assert!(caps.check(&KdfKind::Scrypt.default_params()).is_ok());
    }

    #[test]
    fn constructors_validate() {
        assert_eq!(
            Argon2idParams::new(65536, 3, 4).unwrap(),
            Argon2idParams::DEFAULT
        );
        assert!(matches!(
            Argon2idParams::new(7, 1, 1),
            Err(Error::InvalidKdfParameters(_))
        ));
        assert!(Argon2idParams::new(64, 0, 1).is_err());
        assert_eq!(ScryptParams::new(17, 8, 1).unwrap(), ScryptParams::DEFAULT);
        assert!(matches!(
            ScryptParams::new(0, 8, 1),
            Err(Error::InvalidKdfParameters(_))
        ));
        assert!(ScryptParams::new(10, 1 << 16, 1 << 14).is_err());
    }

    #[test]
    fn caps_change_one_at_a_time() {
        let caps = KdfCaps::for_physical_memory(None)
            .with_max_memory_bytes(1 << 20)
            .with_argon2_max_passes(2)
            .with_argon2_max_lanes(3)
            .with_scrypt_max_log_n(10)
            .with_scrypt_max_r(8)
            .with_scrypt_max_p(2);
        assert_eq!(
            (
                caps.max_memory_bytes(),
                caps.argon2_max_passes(),
                caps.argon2_max_lanes(),
                caps.scrypt_max_log_n(),
                caps.scrypt_max_r(),
                caps.scrypt_max_p()
            ),
            (1 << 20, 2, 3, 10, 8, 2)
        );
    }

    #[test]
    fn argon2_memory_is_wiped_after_a_derivation() {
        let params = argon2::Params::new(48, 1, 3, Some(KEK_LEN)).unwrap();
        let mut memory = Argon2Memory::allocate(&params).unwrap();
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into_with_memory(
                b"password",
                &[7u8; 32],
                &mut [0u8; 32],
                memory.blocks(),
            )
            .unwrap();
        let written = memory
            .blocks()
            .iter()
            .filter(|block| block.as_ref().iter().any(|&word| word != 0))
            .count();
        assert!(written > 0, "the derivation left no block to wipe");
        memory.wipe();
        assert!(
            memory
                .blocks()
                .iter()
                .all(|block| block.as_ref().iter().all(|&word| word == 0))
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let password = Password::new("hunter2".into()).unwrap();
        assert_eq!(format!("{password:?}"), "Password(<secret>)");
    }

    #[test]
    fn passwords_are_normalised_to_nfc() {
        let composed = Password::new("caf\u{e9}".into()).unwrap();
        let decomposed = Password::new("cafe\u{301}".into()).unwrap();
        assert_eq!(
            composed.kdf_input().as_str(),
            decomposed.kdf_input().as_str()
        );
        assert!(matches!(
            Password::new(String::new()),
            Err(Error::EmptyPassword)
        ));
    }
}
