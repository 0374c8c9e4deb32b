//! AEAD backends: the libraries that run a suite's AEAD behind one seal/open interface.
//!
//! Every backend computes the same function (the suite's AEAD with empty associated data), so
//! the choice changes speed only: backups are byte-identical whichever backend made them, and
//! any backend opens any backup. The RustCrypto crates are always built in and are the
//! reference; `ring` and AWS-LC (through `aws-lc-rs`) are optional, behind the cargo features
//! `ring` and `aws-lc`.

use crate::aead::ChunkAead;
use crate::suite::{KEY_LEN, Suite, UnknownName};

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "ring")]
mod ring;
mod rustcrypto;

/// Which library runs the AEAD of a backup's payload and key slots.
///
/// Variants other than `Auto` and `RustCrypto` exist only in builds with their cargo feature,
/// hence `non_exhaustive`: match with a wildcard arm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// The fastest backend of this build for this CPU: the first of [`Backend::compiled`].
    #[default]
    Auto,
    /// The RustCrypto crates (`aes-gcm`, `chacha20poly1305`): pure Rust, constant-time, with
    /// AES-NI/PCLMULQDQ/AVX2 (or ARMv8) code picked at run time. Wipes its key schedule on drop.
    RustCrypto,
    /// `ring`: BoringSSL's assembly, including AES-GCM with AES and carry-less multiply
    /// stitched together (VAES/VPCLMULQDQ with AVX2 where present). `ring` keeps the key
    /// schedule in memory after the key is dropped (it does not wipe it).
    #[cfg(feature = "ring")]
    Ring,
    /// AWS-LC through `aws-lc-rs`: BoringSSL-derived assembly plus AES-GCM for AVX-512
    /// (VAES/VPCLMULQDQ on 512-bit registers) where present. Wipes its key schedule on drop.
    #[cfg(feature = "aws-lc")]
    AwsLc,
}

impl Backend {
    /// The concrete backends of this build, fastest first: the order [`Backend::Auto`] picks from.
    ///
    /// The order is fixed rather than probed at run time. Each backend already dispatches to
    /// the best code for the CPU it runs on, and the three share their ranking on every CPU
    /// their assembly targets: AWS-LC carries a superset of the assembly `ring` takes from
    /// BoringSSL (adding AVX-512 AES-GCM), and both stitch AES and GHASH (or ChaCha20 and
    /// Poly1305) in assembly where the RustCrypto crates run the two passes separately. A probe
    /// would cost every process milliseconds, would be at the mercy of whatever else the CPU is
    /// doing at that moment, and could pick differently from one run to the next; `cargo xtask
    /// bench` measures every backend instead, and its report says when the fixed order is not
    /// the measured one on a host.
    pub fn compiled() -> &'static [Backend] {
        &[
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc,
            #[cfg(feature = "ring")]
            Backend::Ring,
            Backend::RustCrypto,
        ]
    }

    /// The concrete backend this one stands for: [`Backend::Auto`] becomes the first of
    /// [`Backend::compiled`]; every other backend is itself.
    pub fn resolve(self) -> Backend {
        match self {
            Backend::Auto => Backend::compiled()[0],
            concrete => concrete,
        }
    }

    /// The name used on the command line and in reports: `auto`, `rustcrypto`, `ring`, `aws-lc`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::RustCrypto => "rustcrypto",
            #[cfg(feature = "ring")]
            Backend::Ring => "ring",
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => "aws-lc",
        }
    }

    /// The backend called `name` (case-insensitive), if this build has it.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::named().find(|backend| backend.name().eq_ignore_ascii_case(name))
    }

    /// Every backend a name can pick: `Auto`, then [`Backend::compiled`].
    fn named() -> impl Iterator<Item = Backend> {
        std::iter::once(Backend::Auto).chain(Backend::compiled().iter().copied())
    }

    /// An implementation of `suite`'s AEAD under `key` from this backend. The nonces are the
    /// caller's to keep unique.
    #[cfg(feature = "hazmat")]
    pub fn cipher(self, suite: Suite, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
        self.aead(suite, key)
    }

    /// An implementation of `suite`'s AEAD under `key` from this backend.
    pub(crate) fn aead(self, suite: Suite, key: &[u8; KEY_LEN]) -> Box<dyn ChunkAead> {
        match self.resolve() {
            Backend::Auto => unreachable!("resolve() returns a concrete backend"),
            Backend::RustCrypto => rustcrypto::cipher(suite, key),
            #[cfg(feature = "ring")]
            Backend::Ring => ring::cipher(suite, key),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => aws_lc::cipher(suite, key),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Backend {
    type Err = UnknownName;

    /// The same as [`Backend::from_name`], with an error that lists this build's names.
    fn from_str(name: &str) -> Result<Backend, UnknownName> {
        Backend::from_name(name)
            .ok_or_else(|| UnknownName::new("backend", name, Backend::named().map(Backend::name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_resolves_to_the_first_compiled_backend() {
        assert_eq!(Backend::Auto.resolve(), Backend::compiled()[0]);
        assert_eq!(Backend::RustCrypto.resolve(), Backend::RustCrypto);
        assert_eq!(Backend::compiled().last(), Some(&Backend::RustCrypto));
    }

    #[test]
    fn names_round_trip() {
        for &backend in Backend::compiled().iter().chain(&[Backend::Auto]) {
            assert_eq!(Backend::from_name(backend.name()), Some(backend));
            assert_eq!(
                Backend::from_name(&backend.name().to_uppercase()),
                Some(backend)
            );
        }
        assert_eq!(Backend::from_name("openssl"), None);
        assert_eq!("RustCrypto".parse(), Ok(Backend::RustCrypto));
        let error = "openssl".parse::<Backend>().unwrap_err();
        assert_eq!(error.name(), "openssl");
        assert_eq!(error.known().len(), Backend::compiled().len() + 1);
        assert!(
            error
                .to_string()
                .starts_with("unknown backend \"openssl\"; this build knows auto, "),
            "{error}"
        );
        assert!(error.to_string().ends_with("rustcrypto"), "{error}");
    }

    #[test]
    fn features_decide_the_compiled_backends() {
        let names: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
        assert_eq!(names.contains(&"ring"), cfg!(feature = "ring"));
        assert_eq!(names.contains(&"aws-lc"), cfg!(feature = "aws-lc"));
    }
}
