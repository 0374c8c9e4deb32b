//! The `--kdf-params` parser on arbitrary text: never panics; what parses is valid and
//! displays as text that parses back to it.
#![no_main]

use e2eb::{KdfKind, KdfParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for kind in [KdfKind::Argon2id, KdfKind::Scrypt] {
        if let Ok(params) = KdfParams::parse(kind, text) {
            assert!(params.validate().is_ok());
            assert_eq!(KdfParams::parse(kind, &params.to_string()).expect("displayed parameters parse"), params);
            let _ = e2eb::KdfCaps::default().check(&params);
        }
    }
    let _ = e2eb_measure::units::parse_size(text);
});
