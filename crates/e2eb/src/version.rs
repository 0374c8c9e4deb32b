//! What every backup starts with: the magic bytes and the format version, which with the suite
//! byte make the prefix that every slot's key schedule binds.

use crate::suite::Suite;

/// The 8 magic bytes every backup starts with.
pub const MAGIC: [u8; 8] = *b"\x89e2eb\r\n\x1a";
/// The format version this build reads and writes.
pub const VERSION: u8 = 1;
/// magic || version || suite: the part of the header every slot's key schedule binds.
pub(crate) fn fixed_prefix(suite: Suite) -> [u8; MAGIC.len() + 2] {
    let mut prefix = [0u8; MAGIC.len() + 2];
    prefix[..MAGIC.len()].copy_from_slice(&MAGIC);
    prefix[MAGIC.len()] = VERSION;
    prefix[MAGIC.len() + 1] = suite.id();
    prefix
}
