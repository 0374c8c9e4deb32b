//! Choosing e2eb's password KDF settings for a device, and what they cost an attacker.
//!
//! Shared by `e2eb tune` (on the device itself) and `cargo xtask tune` (from a benchmark grid
//! recorded on the device):
//!
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
pub mod family;
pub mod model;
pub mod recommendation;
pub mod safety;
pub mod search;
pub mod timing;
pub mod units;

pub use family::Family;
pub use recommendation::{Recommendation, TuneReport};
pub use search::{Landing, Outcome, SearchSpec};
