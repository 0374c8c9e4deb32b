//! The published e2eb test vectors: their JSON model, the generator that writes `vectors/`, the
//! verifier that runs the reference library over them, and the conformance runner that runs any
//! other implementation over them; and the vault protocol's vectors (`vault_protocol`).
#![forbid(unsafe_code)]

pub mod check;
pub mod crypt15;
pub mod generate;
pub mod model;
pub mod recipe;
pub mod recovery_keys;
pub mod secret_inputs;
pub mod vault_protocol;
pub mod verify;
