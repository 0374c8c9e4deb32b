//! AEAD throughput through e2eb's own [`ChunkAead`] interface, per backend, so that the figures
//! are those of the code path the payload uses, whatever code each backend was compiled with.

use e2eb::hazmat::ChunkAead;
use e2eb::suite::{KEY_LEN, NONCE_LEN};
use e2eb::{Backend, Suite};

use super::measure::{self, Plan};

/// Message sizes, in bytes, that the quick measurements cover (16 KiB is e2eb's chunk size).
pub const SIZES: [usize; 5] = [64, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];

/// Encryption or decryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// `seal_in_place`.
    Seal,
    /// `open_in_place`.
    Open,
}

impl Direction {
    /// Both directions.
    pub const ALL: [Direction; 2] = [Direction::Seal, Direction::Open];

    /// `"seal"` or `"open"`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Seal => "seal",
            Direction::Open => "open",
        }
    }

    /// The direction called `name`.
    pub fn from_name(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// A fixed key and nonce: benchmarks only, where reusing a nonce is harmless.
const KEY: [u8; KEY_LEN] = [0x42; KEY_LEN];
const NONCE: [u8; NONCE_LEN] = [0x24; NONCE_LEN];

/// How opening is measured, as results record it.
pub const OPEN_METHOD: &str = "opening decrypts the same sealed message from its buffer into \
a second buffer (`ChunkAead::open_to`), so every call authenticates and nothing is copied in \
the timed loop (a backend without a one-pass `open_to` copies and decrypts in place, as the \
payload's by-offsets path does with it)";

/// Bytes per second of `backend`'s `direction` on `size`-byte messages, one value per sample.
///
/// Sealing re-encrypts the same buffer in place. Opening decrypts one sealed message into a
/// second buffer with [`ChunkAead::open_to`], leaving the ciphertext intact for the next call:
/// runs before did `copy_from_slice` of the ciphertext back into the buffer before each
/// in-place open, which cost up to a third of the figure once the message and its copy
/// outgrew L1 (64 KiB and up).
pub fn bytes_per_second(
    suite: Suite,
    backend: Backend,
    direction: Direction,
    size: usize,
    plan: &Plan,
) -> Vec<f64> {
    let cipher = backend.cipher(suite, &KEY);
    let mut buffer = crate::bench::pattern(size);
    match direction {
        Direction::Seal => measure::bytes_per_second(plan, size as u64, || {
            std::hint::black_box(cipher.seal_in_place(&NONCE, &mut buffer));
        }),
        Direction::Open => {
            let tag = cipher.seal_in_place(&NONCE, &mut buffer);
            let ciphertext = buffer.clone();
            measure::bytes_per_second(plan, size as u64, || {
                open(cipher.as_ref(), &ciphertext, &tag, &mut buffer);
            })
        }
    }
}

fn open(cipher: &dyn ChunkAead, ciphertext: &[u8], tag: &[u8; 16], plaintext: &mut [u8]) {
    cipher
        .open_to(&NONCE, ciphertext, tag, plaintext)
        .expect("the benchmark's own ciphertext authenticates");
    std::hint::black_box(plaintext);
}

/// The backend each RustCrypto crate behind the suites was compiled to use: `"soft"` where the
/// build forced the portable, software-only code; `"auto"` where it picks CPU instructions
/// (AES-NI, PCLMULQDQ, AVX2, ARMv8 crypto) at run time when present.
pub fn compiled_backends() -> [(&'static str, &'static str); 4] {
    let pick = |soft: bool| if soft { "soft" } else { "auto" };
    [
        ("aes", pick(cfg!(aes_backend = "soft"))),
        ("polyval", pick(cfg!(polyval_backend = "soft"))),
        ("chacha20", pick(cfg!(chacha20_backend = "soft"))),
        ("poly1305", pick(cfg!(poly1305_backend = "soft"))),
    ]
}

/// This build's AEADs, every backend, in process.
///
/// Backends take turns per (suite, direction, size) rather than one after the other, so that
/// a change in the machine's load during the run falls on all of them alike.
pub fn native(
    profile: &super::Profile,
    progress: &dyn super::Progress,
) -> Vec<crate::schema::AeadFigure> {
    let mut figures = Vec::new();
    for suite in Suite::ALL {
        for direction in Direction::ALL {
            for &size in &profile.aead_sizes {
                for &backend in Backend::compiled() {
                    progress.start(format!(
                        "AEAD {backend} {suite} {} {}",
                        direction.name(),
                        crate::units::format_bytes(size as u128)
                    ));
                    let samples =
                        bytes_per_second(suite, backend, direction, size, &profile.aead_plan);
                    if let Some(summary) = crate::stats::Summary::of(&samples) {
                        figures.push(crate::schema::AeadFigure {
                            implementation: "native".into(),
                            backend: Some(backend.name().into()),
                            suite: suite.name().into(),
                            direction: direction.name().into(),
                            size_bytes: size as u64,
                            bytes_per_second: summary,
                        });
                    }
                    progress.done();
                }
            }
        }
    }
    figures
}

/// The backends this build measures, in the order `Backend::Auto` prefers them.
pub fn backend_names() -> Vec<String> {
    Backend::compiled()
        .iter()
        .map(|backend| backend.name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn both_directions_measure_both_suites_on_every_backend() {
        let plan = Plan {
            warm_up: Duration::ZERO,
            samples: 2,
            sample_time: Duration::from_millis(1),
        };
        for &backend in Backend::compiled() {
            for suite in Suite::ALL {
                for direction in Direction::ALL {
                    let figures = bytes_per_second(suite, backend, direction, 1024, &plan);
                    assert_eq!(figures.len(), 2);
                    assert!(figures.iter().all(|&f| f.is_finite() && f > 0.0));
                }
            }
        }
    }

    #[test]
    fn opening_leaves_the_ciphertext_to_open_again() {
        // Every timed call must authenticate the same message: were the ciphertext consumed,
        // the second call would fail and the expect in `open` would panic.
        for &backend in Backend::compiled() {
            for suite in Suite::ALL {
                let cipher = backend.cipher(suite, &KEY);
                let mut buffer = crate::bench::pattern(4096);
                let tag = cipher.seal_in_place(&NONCE, &mut buffer);
                let ciphertext = buffer.clone();
                let mut plaintext = vec![0u8; 4096];
                for _ in 0..3 {
                    open(cipher.as_ref(), &ciphertext, &tag, &mut plaintext);
                    assert_eq!(plaintext, crate::bench::pattern(4096));
                }
                assert_eq!(ciphertext, buffer);
            }
        }
    }
}
