//! The measuring code of the criterion benches and the AEAD probe binary: the loops of
//! `e2eb_measure::bench`, shared with `cargo xtask bench` and `e2eb bench`, so that every figure
//! (native or software-only build, criterion, xtask or the lone binary) comes from the same
//! code.
//!
//! The criterion benchmarks themselves are the `[[bench]]` targets of this crate:
//! `cargo bench -p e2eb-benches --bench payload` (or `aead`, `kdf`).
#![forbid(unsafe_code)]

pub use e2eb_measure::bench::{
    aead, copy_into, lay_out, measure, on_threads, pattern, windows_hold,
};
