//! The key of a crypt15 backup: the 32-byte root key a user writes down as 64 hex digits (the
//! same text as an e2eb recovery key), or finds in the app's `encrypted_backup.key` file as a
//! Java-serialized `byte[32]`. The AES-256-GCM key is derived from it with HKDF-SHA256 (no
//! salt, info "backup encryption").

use e2eb::RecoveryKey;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::KeyError;

/// Java's object serialization stream magic and version.
const JAVA_STREAM_HEADER: [u8; 4] = [0xac, 0xed, 0x00, 0x05];
/// TC_ARRAY, then TC_CLASSDESC and the class name "[B" (byte[]) with its two-byte length.
const JAVA_BYTE_ARRAY_DESCRIPTOR: [u8; 6] = [0x75, 0x72, 0x00, 0x02, 0x5b, 0x42];
/// The byte[] class descriptor after its name: serialVersionUID (8 bytes), flags
/// (SC_SERIALIZABLE), no fields, TC_ENDBLOCKDATA, no superclass (TC_NULL); then the array
/// length (4 bytes, big-endian) and the elements.
const JAVA_ARRAY_LENGTH_OFFSET: usize = 4 + 6 + 8 + 1 + 2 + 1 + 1;
const ROOT_KEY_LEN: usize = 32;
const HKDF_INFO: &[u8] = b"backup encryption";

/// A crypt15 root key. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Crypt15Key(RecoveryKey);

impl std::fmt::Debug for Crypt15Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypt15Key(<secret>)")
    }
}

impl Crypt15Key {
    /// The key with these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Crypt15Key {
        Crypt15Key(RecoveryKey::from_bytes(bytes))
    }

    /// The key of an e2eb recovery key: the same 256 bits.
    pub fn from_recovery_key(key: RecoveryKey) -> Crypt15Key {
        Crypt15Key(key)
    }

    /// The 64-digit key as a person types it: 64 hex digits in any case, with spaces, line
    /// breaks and dashes anywhere (the e2eb recovery-key rules).
    pub fn parse_hex(text: &str) -> Result<Crypt15Key, KeyError> {
        Ok(Crypt15Key(RecoveryKey::parse(text)?))
    }

    /// The contents of a key file: WhatsApp's `encrypted_backup.key` (recognised by its Java
    /// serialization header), or text holding the 64 hex digits, where lines starting with `#`
    /// are comments.
    pub fn from_key_file(contents: &[u8]) -> Result<Crypt15Key, KeyError> {
        if contents.starts_with(&JAVA_STREAM_HEADER) {
            return Crypt15Key::from_java_serialized(contents);
        }
        let text = std::str::from_utf8(contents).map_err(|_| KeyError::Unrecognised)?;
        let mut digits = Zeroizing::new(String::with_capacity(text.len()));
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            digits.push_str(line);
            digits.push('\n');
        }
        match Crypt15Key::parse_hex(&digits) {
            Ok(key) => Ok(key),
            // A file of 32 random-looking bytes that happens to be UTF-8 is still no text key;
            // saying "not hex" about it would mislead.
            Err(_) if digits.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
                Err(KeyError::Unrecognised)
            }
            Err(error) => Err(error),
        }
    }

    /// `encrypted_backup.key`: a serialized `byte[32]`, the key being its last 32 bytes.
    fn from_java_serialized(contents: &[u8]) -> Result<Crypt15Key, KeyError> {
        let malformed = |reason| KeyError::JavaMalformed { reason };
        let descriptor = contents
            .get(4..4 + JAVA_BYTE_ARRAY_DESCRIPTOR.len())
            .ok_or(malformed("it ends inside the header"))?;
        if descriptor != JAVA_BYTE_ARRAY_DESCRIPTOR {
            return Err(malformed("the object is not a byte[]"));
        }
        let length_bytes: [u8; 4] = contents
            .get(JAVA_ARRAY_LENGTH_OFFSET..JAVA_ARRAY_LENGTH_OFFSET + 4)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(malformed("it ends before the array length"))?;
        let found = u32::from_be_bytes(length_bytes) as usize;
        let elements = &contents[JAVA_ARRAY_LENGTH_OFFSET + 4..];
        if found != ROOT_KEY_LEN {
            return Err(KeyError::JavaKeyLength { found });
        }
        if elements.len() != ROOT_KEY_LEN {
            return Err(malformed(
                "the file length does not match the array length it declares",
            ));
        }
        let mut bytes = Zeroizing::new([0u8; ROOT_KEY_LEN]);
        bytes.copy_from_slice(elements);
        Ok(Crypt15Key::from_bytes(*bytes))
    }

    /// The root key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The same 256 bits as an e2eb recovery key (for converting to e2eb with this key).
    pub fn to_recovery_key(&self) -> RecoveryKey {
        self.0.clone()
    }

    /// The AES-256-GCM key: HKDF-SHA256(ikm = root key, no salt, info "backup encryption").
    pub fn encryption_key(&self) -> Zeroizing<[u8; 32]> {
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, self.as_bytes())
            .expand(HKDF_INFO, key.as_mut_slice())
            .expect("32 bytes is within HKDF-SHA256's output limit");
        key
    }

    /// The key as WhatsApp's `encrypted_backup.key` stores it.
    pub fn to_java_serialized(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(JAVA_ARRAY_LENGTH_OFFSET + 4 + 32));
        out.extend_from_slice(&JAVA_STREAM_HEADER);
        out.extend_from_slice(&JAVA_BYTE_ARRAY_DESCRIPTOR);
        // byte[]'s serialVersionUID, SC_SERIALIZABLE, no fields, TC_ENDBLOCKDATA, TC_NULL.
        out.extend_from_slice(&[0xac, 0xf3, 0x17, 0xf8, 0x06, 0x08, 0x54, 0xe0]);
        out.extend_from_slice(&[0x02, 0x00, 0x00, 0x78, 0x70]);
        out.extend_from_slice(&(ROOT_KEY_LEN as u32).to_be_bytes());
        out.extend_from_slice(self.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";

    fn key() -> Crypt15Key {
        Crypt15Key::parse_hex(KEY_HEX).unwrap()
    }

    #[test]
    fn java_serialized_key_files_round_trip_and_have_the_apps_length() {
        let file = key().to_java_serialized();
        assert_eq!(file.len(), 59);
        assert_eq!(Crypt15Key::from_key_file(&file).unwrap(), key());
    }

    #[test]
    fn text_key_files_accept_spacing_and_comments() {
        let text = format!("# my key\n{}\n", &KEY_HEX.to_uppercase());
        assert_eq!(Crypt15Key::from_key_file(text.as_bytes()).unwrap(), key());
        let grouped =
            "6730 a595 a148 4d0c 39c1 01dc 0ac8 2ec5\ne401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017";
        assert_eq!(
            Crypt15Key::from_key_file(grouped.as_bytes()).unwrap(),
            key()
        );
    }

    #[test]
    fn wrong_key_files_say_what_they_are() {
        let mut crypt14 = key().to_java_serialized().to_vec();
        crypt14[JAVA_ARRAY_LENGTH_OFFSET + 3] = 131;
        crypt14.resize(JAVA_ARRAY_LENGTH_OFFSET + 4 + 131, 0);
        let error = Crypt15Key::from_key_file(&crypt14).unwrap_err();
        assert_eq!(error, KeyError::JavaKeyLength { found: 131 });
        assert!(error.to_string().contains("crypt14"), "{error}");

        let full = key().to_java_serialized();
        for cut in 4..full.len() {
            assert!(
                Crypt15Key::from_key_file(&full[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut other_class = full.to_vec();
        other_class[9] = b'I';
        assert!(matches!(
            Crypt15Key::from_key_file(&other_class),
            Err(KeyError::JavaMalformed { .. })
        ));
        assert_eq!(
            Crypt15Key::from_key_file(&[0xff, 0xfe, 0x00, 0x01]),
            Err(KeyError::Unrecognised)
        );
        assert!(matches!(
            Crypt15Key::from_key_file(b"6730a595"),
            Err(KeyError::NotHex(_))
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", key()), "Crypt15Key(<secret>)");
    }
}
