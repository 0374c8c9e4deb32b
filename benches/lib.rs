//! criterion benchmarks live in `[[bench]]` targets of this crate.
