//! Measuring e2eb on a device, and choosing its password KDF settings and what they cost an
//! attacker.
//!
//! Shared by `e2eb bench` and `e2eb tune` (on the device itself) and `cargo xtask bench`,
//! `report` and `tune` (in the repository, or from a benchmark run recorded on the device):
//!
//! - [`bench`](mod@bench): the measurements of a benchmark run (ciphers, stream, KDF grid);
//! - [`schema`]: the run file they make, and [`manifest`], its record of the host;
//! - [`stats`]: the summary of a figure's samples;
//! - [`grid`]: cost models of a run's KDF grid and the settings they pick for target times;
//! - [`search`]: the search for the setting that takes a target time, memory first, generic
//!   over the cost function;
//! - [`timing`]: one derivation timed on this machine, and this process's memory;
//! - [`model`]: a least-squares cost model of a grid, with its held-out error;
//! - [`attacker`]: guesses per second on a reference GPU from a memory-bandwidth model, and
//!   the time and money to search passwords of given entropy;
//! - [`safety`]: memory the device cannot give, OWASP's minimums, decrypt-side caps;
//! - [`recommendation`]: all of it for one setting, as text or JSON;
//! - [`units`]: sizes as people write them (`512MiB`) and read them (`64 MiB`).
#![forbid(unsafe_code)]

pub mod attacker;
pub mod bench;
pub mod family;
pub mod grid;
pub mod manifest;
pub mod model;
pub mod recommendation;
pub mod safety;
pub mod schema;
pub mod search;
pub mod stats;
pub mod timing;
pub mod units;

pub use family::Family;
pub use recommendation::{Recommendation, TuneReport};
pub use search::{Landing, Outcome, SearchSpec};
