//! The tasks `main.rs` dispatches to, one module each. A task parses its options and does its
//! job with the shared modules of the crate; it never reaches into another task.

pub mod argon2_reference;
pub mod bench;
pub mod cli_docs;
pub mod fuzz_corpus;
pub mod kill_campaign;
pub mod memory;
pub mod report;
pub mod simulate_device;
pub mod tune;
pub mod vectors;
pub mod versus_age;
