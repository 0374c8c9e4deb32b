//! Password KDFs (Argon2id, scrypt): their parameters, the decrypt-side caps that keep a hostile
//! header from costing unbounded time or memory, and the derivation itself.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

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
#[derive(Debug)]
pub struct Password(SecretString);

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
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub passes: u32,
    /// Lanes (`p`).
    pub lanes: u32,
}

impl Argon2idParams {
    /// RFC 9106's second recommended option, for memory-constrained environments:
    /// 64 MiB, t = 3, p = 4.
    pub const DEFAULT: Argon2idParams = Argon2idParams {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 4,
    };

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
    /// log2 of the CPU/memory cost `N`.
    pub log_n: u8,
    /// Block size `r`.
    pub r: u32,
    /// Parallelization `p`.
    pub p: u32,
}

impl ScryptParams {
    /// OWASP's minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB).
    pub const DEFAULT: ScryptParams = ScryptParams {
        log_n: 17,
        r: 8,
        p: 1,
    };

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
                    &mut memory.blocks,
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

/// Argon2id's working memory. Every block is derived from the password, and a single one lets
/// an attacker test a guess for the price of a few BLAKE2b calls instead of a whole derivation,
/// so the blocks are wiped when the derivation ends, whether it succeeded or not (the reference
/// C code does the same; the `argon2` crate leaves this to whoever owns the memory).
///
/// Allocation and wiping are shared out over the CPUs (one piece per lane, or per CPU where
/// there are more): the page faults of the first touch cost, on some machines, half a pass, and
/// the `argon2` crate's own allocation would zero everything on one thread before hashing starts
/// (its blocks are 64-byte aligned, which the allocator's lazily zeroed pages do not serve), a
/// serial cost that capped what more lanes could gain. Neither is Argon2 work, so even one lane
/// gets every CPU for them.
struct Argon2Memory {
    blocks: Vec<argon2::Block>,
    piece_len: usize,
}

impl Argon2Memory {
    fn allocate(params: &argon2::Params) -> Result<Argon2Memory> {
        use rayon::prelude::*;
        let count = params.block_count();
        let lanes = usize::try_from(params.p_cost()).unwrap_or(1);
        let pieces = lanes.max(rayon::current_num_threads()).max(1);
        let piece_len = count.div_ceil(pieces).max(1);
        let mut blocks = Vec::new();
        blocks.try_reserve_exact(count).map_err(|_| {
            Error::InvalidKdfParameters(format!(
                "argon2id: cannot allocate {} KiB of memory",
                count
            ))
        })?;
        (0..count)
            .into_par_iter()
            .with_min_len(piece_len)
            .map(|_| argon2::Block::new())
            .collect_into_vec(&mut blocks);
        Ok(Argon2Memory { blocks, piece_len })
    }

    fn wipe(&mut self) {
        use rayon::prelude::*;
        use zeroize::Zeroize;
        self.blocks
            .par_chunks_mut(self.piece_len)
            .for_each(|piece| piece.iter_mut().for_each(Zeroize::zeroize));
    }
}

impl Drop for Argon2Memory {
    fn drop(&mut self) {
        self.wipe();
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
pub enum KdfKind {
    /// Argon2id (RFC 9106).
    Argon2id,
    /// scrypt (RFC 7914).
    Scrypt,
}

impl KdfKind {
    /// The KDF's default parameters for new backups.
    pub fn default_params(self) -> KdfParams {
        match self {
            KdfKind::Argon2id => KdfParams::Argon2id(Argon2idParams::DEFAULT),
            KdfKind::Scrypt => KdfParams::Scrypt(ScryptParams::DEFAULT),
        }
    }
}

/// Upper bounds on the KDF work and memory a backup may ask of the decrypting machine, checked
/// before any KDF work or allocation (SPEC.md, "KDF caps").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCaps {
    /// Most memory one derivation may allocate, in bytes.
    pub max_memory_bytes: u64,
    /// Most Argon2id passes (`t`).
    pub argon2_max_passes: u32,
    /// Most Argon2id lanes (`p`).
    pub argon2_max_lanes: u32,
    /// Largest scrypt log2 N.
    pub scrypt_max_log_n: u8,
    /// Largest scrypt r.
    pub scrypt_max_r: u32,
    /// Largest scrypt p.
    pub scrypt_max_p: u32,
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

    /// Checks `params` against these caps; `Err` names the first parameter over its cap with the
    /// value asked and the cap, as `(parameter, value, cap)`.
    pub fn check(&self, params: &KdfParams) -> Result<(), (&'static str, String, String)> {
        let memory = params.memory_bytes();
        let over =
            |parameter: &'static str, value: String, cap: String| Err((parameter, value, cap));
        match params {
            KdfParams::Argon2id(argon) => {
                if argon.passes > self.argon2_max_passes {
                    return over(
                        "t",
                        argon.passes.to_string(),
                        self.argon2_max_passes.to_string(),
                    );
                }
                if argon.lanes > self.argon2_max_lanes {
                    return over(
                        "p",
                        argon.lanes.to_string(),
                        self.argon2_max_lanes.to_string(),
                    );
                }
            }
            KdfParams::Scrypt(scrypt) => {
                if scrypt.log_n > self.scrypt_max_log_n {
                    return over(
                        "log2 N",
                        scrypt.log_n.to_string(),
                        self.scrypt_max_log_n.to_string(),
                    );
                }
                if scrypt.r > self.scrypt_max_r {
                    return over("r", scrypt.r.to_string(), self.scrypt_max_r.to_string());
                }
                if scrypt.p > self.scrypt_max_p {
                    return over("p", scrypt.p.to_string(), self.scrypt_max_p.to_string());
                }
            }
        }
        if memory > u128::from(self.max_memory_bytes) {
            return over(
                "memory",
                format_bytes(memory),
                format_bytes(u128::from(self.max_memory_bytes)),
            );
        }
        Ok(())
    }
}

impl Default for KdfCaps {
    /// The default caps for this machine's physical memory.
    fn default() -> KdfCaps {
        KdfCaps::for_physical_memory(physical_memory())
    }
}

/// This machine's physical memory in bytes, where the OS tells it.
pub fn physical_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `bytes` in the largest binary unit that keeps it whole, e.g. `64 MiB`.
pub fn format_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes;
    let mut unit = 0;
    while unit + 1 < UNITS.len() && value >= 1024 && value.is_multiple_of(1024) {
        value /= 1024;
        unit += 1;
    }
    format!("{value} {}", UNITS[unit])
}

/// Parses a size written like `512MiB`, `1GiB`, `64 KiB`, `1.5GiB` or a plain number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?}; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size"))?;
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes >= u64::MAX as f64 {
        return Err(format!("{text:?} is out of range"));
    }
    Ok(bytes as u64)
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
        let (parameter, value, cap) = caps.check(&huge).unwrap_err();
        assert_eq!((parameter, cap.as_str()), ("memory", "4 GiB"));
        assert_eq!(value, "4294967295 KiB");
        let slow = KdfParams::Argon2id(Argon2idParams {
            memory_kib: 64,
            passes: u32::MAX,
            lanes: 1,
        });
        assert_eq!(caps.check(&slow).unwrap_err().0, "t");
        let scrypt = KdfParams::Scrypt(ScryptParams {
            log_n: 23,
            r: 8,
            p: 1,
        });
        assert_eq!(caps.check(&scrypt).unwrap_err().0, "log2 N");
        assert!(caps.check(&KdfKind::Argon2id.default_params()).is_ok());
        assert!(caps.check(&KdfKind::Scrypt.default_params()).is_ok());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("GiB").is_err());
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
                &mut memory.blocks,
            )
            .unwrap();
        let written = memory
            .blocks
            .iter()
            .filter(|block| block.as_ref().iter().any(|&word| word != 0))
            .count();
        assert!(written > 0, "the derivation left no block to wipe");
        memory.wipe();
        assert!(
            memory
                .blocks
                .iter()
                .all(|block| block.as_ref().iter().all(|&word| word == 0))
        );
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
