//! The recovery-key parser on arbitrary text: never panics; a parsed key displays as 16 groups
//! that parse back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(key) = e2eb::RecoveryKey::parse(text) {
        let shown = key.display_grouped();
        assert_eq!(shown.split(' ').count(), 16);
        assert_eq!(e2eb::RecoveryKey::parse(&shown).expect("a displayed key parses"), key);
    }
});
