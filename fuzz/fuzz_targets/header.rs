//! The header parser on arbitrary bytes: never panics; what parses re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, len)) = e2eb::Header::parse(data) {
        assert_eq!(header.as_bytes(), &data[..len]);
        // Canonical encoding: the parsed slots encode back to exactly the bytes read.
        let again = e2eb::Header::from_slots(header.suite(), header.slots().to_vec());
        assert_eq!(again.as_bytes(), header.as_bytes());
    }
});
