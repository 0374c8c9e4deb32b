//! Password KDFs (Argon2id, scrypt): their parameters, the decrypt-side caps that keep a hostile
//! header from costing unbounded time or memory, and the derivation itself.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

mod argon2_memory;
mod password;
use argon2_memory::Argon2Memory;
pub use password::Password;

/// Length of every key-encryption key, in bytes.
pub const KEK_LEN: usize = 32;
/// Shortest password salt the format accepts, in bytes.
pub const MIN_SALT_LEN: usize = 16;
/// Longest password salt the format accepts, in bytes.
pub const MAX_SALT_LEN: usize = 64;
/// Length of the salt e2eb writes into new password slots, in bytes.
pub const DEFAULT_SALT_LEN: usize = 32;

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
    /// parameters: key derivation, encryption and header parsing all validate.
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

    /// Work of one derivation, memory × passes: `m` × 1024 × `t` bytes.
    pub fn work_bytes(&self) -> u128 {
        u128::from(self.memory_bytes()) * u128::from(self.passes)
    }
}

/// scrypt parameters (RFC 7914), 32-byte output.
///
/// The `scrypt` crate allocates its working memory (`V`, `128 × r × N` bytes, and `B'`) and frees
/// it without wiping it, where this library cannot reach it; a block of either lets an attacker
/// test a password guess for a few hash calls. A program that derives scrypt keys should install a
/// global allocator that zeroes what it frees, as the `e2eb` binary does:
///
/// ```text
/// #[global_allocator]
/// static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
///     zeroizing_alloc::ZeroAlloc(std::alloc::System);
/// ```
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
    /// parameters: key derivation, encryption and header parsing all validate.
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

    /// Bytes of memory one derivation allocates when its `p` lanes run one after another, as
    /// here: 128 * r * (N + p) (SPEC.md, "KDF caps"). Exact for every value of the fields.
    pub fn memory_bytes(&self) -> u128 {
        128 * u128::from(self.r) * ((1u128 << self.log_n) + u128::from(self.p))
    }

    /// Work of one derivation, memory × passes, each of the `p` lanes being one pass over its
    /// 128 * r * N bytes: 128 * r * N * p bytes.
    pub fn work_bytes(&self) -> u128 {
        128 * u128::from(self.r) * (1u128 << self.log_n) * u128::from(self.p)
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
    /// keys left out take the defaults of `kdf`. Argon2id's `m` is in KiB, or in the unit
    /// written after it: `m=64MiB` (KiB, MiB, GiB, TiB; a whole number of KiB). A key given
    /// twice and an empty item (`m=1024,,t=2`, a trailing comma, an empty text) are refused,
    /// since either is more likely a slip than a choice.
    pub fn parse(kdf: KdfKind, text: &str) -> Result<KdfParams> {
        let mut pairs: Vec<(String, u64)> = Vec::new();
        for pair in text.split(',').map(str::trim) {
            if pair.is_empty() {
                return Err(Error::InvalidKdfParameters(format!(
                    "{text:?} has an empty item; write key=value pairs separated by single commas"
                )));
            }
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                Error::InvalidKdfParameters(format!("{pair:?} is not of the form key=value"))
            })?;
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            let value = if kdf == KdfKind::Argon2id && key == "m" {
                parse_kib(value).ok_or_else(|| {
                    Error::InvalidKdfParameters(format!(
                        "{pair:?}: m is a whole number of KiB, or a size such as 64MiB"
                    ))
                })?
            } else {
                value.parse().map_err(|_| {
                    Error::InvalidKdfParameters(format!(
                        "{pair:?}: the value is not a whole number"
                    ))
                })?
            };
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(Error::InvalidKdfParameters(format!(
                    "{key} is given twice in {text:?}"
                )));
            }
            pairs.push((key, value));
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

    /// Work of one derivation, memory × passes, in bytes: what [`crate::KdfCaps`] bounds per
    /// slot and sums over a backup's password slots.
    pub fn work_bytes(&self) -> u128 {
        match self {
            KdfParams::Argon2id(params) => params.work_bytes(),
            KdfParams::Scrypt(params) => params.work_bytes(),
        }
    }

    /// Derives the 32-byte key-encryption key from `password` and `salt`, exactly as a slot's
    /// KEK is derived: for tuning and benchmarks to time the library's own code path.
    ///
    /// Callers check the parameters against [`crate::KdfCaps`] first: this allocates what they
    /// ask.
    #[cfg(feature = "hazmat")]
    pub fn derive(&self, password: &Password, salt: &[u8]) -> Result<Zeroizing<[u8; KEK_LEN]>> {
        self.derive_kek(password, salt)
    }

    /// The key-encryption key from `password` and `salt` (SPEC.md, "Deriving the KEK").
    pub(crate) fn derive_kek(
        &self,
        password: &Password,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEK_LEN]>> {
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
                let scrypt_params =
                    scrypt::Params::new(params.log_n, params.r, params.p).map_err(|_| {
                        Error::KdfMemory {
                            needed: params.memory_bytes(),
                        }
                    })?;
                // The scrypt crate allocates with `vec!`, which aborts the process when the
                // allocation fails: reserve the same amount first, so that memory this machine
                // cannot give is an error instead. (The reservation is released before scrypt
                // allocates; pages are only committed when written.)
                probe_allocation(params.memory_bytes())?;
                scrypt::scrypt(input.as_bytes(), salt, &scrypt_params, kek.as_mut_slice())
                    .map_err(|_| Error::InvalidKdfParameters(format!("scrypt {params}")))?;
            }
        }
        Ok(kek)
    }
}

/// `text` as KiB: a bare whole number is KiB; a whole number followed by KiB, MiB, GiB or TiB
/// (any case, a space allowed between) is converted, and must come to a whole number of KiB.
fn parse_kib(text: &str) -> Option<u64> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let number: u64 = number.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "kib" => 0,
        "mib" => 10,
        "gib" => 20,
        "tib" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

/// Fails with [`Error::KdfMemory`] unless `bytes` can be reserved now.
///
/// On unix the reservation is an anonymous mapping rather than a heap block, so that it bypasses
/// the global allocator: one that zeroes what it frees, as the `e2eb` binary's does, would
/// otherwise write, and so commit, every page of memory that was only reserved.
fn probe_allocation(bytes: u128) -> Result<()> {
    let too_much = || Error::KdfMemory { needed: bytes };
    let len = usize::try_from(bytes).map_err(|_| too_much())?;
    #[cfg(unix)]
    memmap2::MmapMut::map_anon(len).map_err(|_| too_much())?;
    #[cfg(not(unix))]
    Vec::<u8>::new()
        .try_reserve_exact(len)
        .map_err(|_| too_much())?;
    Ok(())
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
    fn duplicate_keys_and_empty_items_are_refused_and_m_takes_units() {
        for text in [
            "m=1024,m=2048",
            "t=2,T=3",
            "m=1024,,t=2",
            "m=1024,",
            ",m=1024",
            "",
            " ",
        ] {
            assert!(
                matches!(
                    KdfParams::parse(KdfKind::Argon2id, text),
                    Err(Error::InvalidKdfParameters(_))
                ),
                "{text:?}"
            );
        }
        assert!(KdfParams::parse(KdfKind::Scrypt, "ln=15,ln=16").is_err());
        let with_unit = |text| match KdfParams::parse(KdfKind::Argon2id, text).unwrap() {
            KdfParams::Argon2id(params) => params.memory_kib(),
            other => panic!("{other}"),
        };
        assert_eq!(with_unit("m=64MiB,t=3,p=4"), 65536);
        assert_eq!(with_unit("m=64 mib"), 65536);
        assert_eq!(with_unit("m=1GiB"), 1 << 20);
        assert_eq!(with_unit("m=19456KiB"), 19456);
        assert_eq!(with_unit("m=19456"), 19456);
        for text in ["m=1.5MiB", "m=64MB", "m=64x", "m=5TiB"] {
            assert!(KdfParams::parse(KdfKind::Argon2id, text).is_err(), "{text}");
        }
        assert!(
            KdfParams::parse(KdfKind::Scrypt, "ln=1MiB").is_err(),
            "units are for m only"
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

    #[test]
    fn the_unassigned_check_and_the_normalisation_use_one_unicode_version() {
        let (major, minor, update) = unicode_normalization::UNICODE_VERSION;
        let categories = unicode_properties::UNICODE_VERSION;
        assert_eq!(
            (u64::from(major), u64::from(minor), u64::from(update)),
            categories,
            "the two Unicode tables disagree; SPEC.md names one version"
        );
        let unassigned = Password::new("a\u{0378}".into()).unwrap();
        assert!(matches!(
            unassigned.check_assigned(),
            Err(Error::UnassignedInPassword { position: 2, .. })
        ));
        // Noncharacters are Cn too.
        assert!(
            Password::new("\u{FFFF}".into())
                .unwrap()
                .check_assigned()
                .is_err()
        );
        assert!(
            Password::new("e\u{0301}".into())
                .unwrap()
                .check_assigned()
                .is_ok()
        );
    }
}
