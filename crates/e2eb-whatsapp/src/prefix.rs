//! The clear-text start of a crypt15 file: a protobuf varint giving the length of a
//! `BackupPrefix` protobuf message, then that message. It says which key type encrypted the
//! backup, carries the 16-byte GCM IV, and describes the app that made it.
//!
//! The few fields needed are parsed by hand (with a bounds check on every length) rather than
//! through generated code: the schema is not published, and fields this parser does not know are
//! skipped by wire type and reported, so a newer app version's prefix still opens.
//!
//! ```text
//! BackupPrefix {
//!   1: key type (varint; 1 = end-to-end, from before key types were spelled out)
//!   2: crypt14 key data (message)            -- WhatsApp-held key: not crypt15
//!   3: crypt15 key data (message) { 1: IV (16 bytes) }
//!   4: backup metadata (message) {
//!        1: app version (string), 3: last two digits of the account's phone number (string),
//!        4: backup version (varint), 5..: feature flags (varints, 0 or 1)
//!      }
//!   5: passkey encryption metadata (message)
//!   6: key type (varint; 2 = password, 3 = 64-digit key, 4 = passkey)
//! }
//! ```

use std::io::Read;

use crate::error::{Error, Part};
use crate::gcm::IV_LEN;

/// The prefix of a backup is a few hundred bytes; a length beyond this is not a crypt15 file,
/// and is refused before anything that size is allocated.
pub const MAX_PREFIX_LEN: u64 = 64 * 1024;
/// A protobuf varint of a 64-bit value takes at most ten bytes.
const MAX_VARINT_LEN: usize = 10;

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// A field of a message this parser does not interpret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownField {
    /// Its field number.
    pub number: u64,
    /// Its wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
    pub wire_type: u8,
    /// Its value's length in bytes (the varint's length for wire type 0).
    pub len: usize,
}

/// The `BackupPrefix` fields that were found. Scalars repeated in the message keep their last
/// value, as protobuf parsers do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupPrefix {
    /// Field 1, the original key type.
    pub key_type: Option<u64>,
    /// Field 6, the key type that replaced field 1 (2 password, 3 64-digit key, 4 passkey).
    pub key_type_new: Option<u64>,
    /// Field 3's IV: present in every crypt15 backup.
    pub iv: Option<Vec<u8>>,
    /// Field 3's other fields.
    pub crypt15_unknown_fields: Vec<UnknownField>,
    /// Length of field 2 (crypt14 key data) when present: such a file is not crypt15.
    pub crypt14_key_data_len: Option<usize>,
    /// Field 4.
    pub metadata: Option<BackupMetadata>,
    /// Length of field 5 (passkey encryption metadata) when present.
    pub passkey_metadata_len: Option<usize>,
    /// Fields this parser does not know.
    pub unknown_fields: Vec<UnknownField>,
}

/// Field 4 of the prefix: what made the backup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupMetadata {
    /// Field 1, e.g. "2.22.5.13". Bytes that are not UTF-8 are replaced.
    pub app_version: Option<String>,
    /// Field 3: the last two digits of the account's phone number.
    pub jid_suffix: Option<String>,
    /// Field 4.
    pub backup_version: Option<u64>,
    /// Fields 5 and above that are varints (feature flags, 0 or 1), as (field number, value) in
    /// the order found.
    pub features: Vec<(u64, u64)>,
    /// Other fields.
    pub unknown_fields: Vec<UnknownField>,
}

/// A parsed prefix and where the encrypted data starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPrefix {
    /// The fields.
    pub fields: BackupPrefix,
    /// The 16-byte IV of the GCM message.
    pub iv: [u8; IV_LEN],
    /// The raw bytes: varint length, then the message (what the MD5 trailer covers first).
    pub raw: Vec<u8>,
}

impl ParsedPrefix {
    /// Bytes before the encrypted data.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Always false: a prefix holds at least its length varint.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// Reads the varint length and the prefix message from the start of a backup, and checks that
/// it describes a crypt15 backup this crate can open.
pub fn read_prefix<R: Read + ?Sized>(reader: &mut R) -> Result<ParsedPrefix, Error> {
    let mut raw = Vec::with_capacity(256);
    let mut length: u64 = 0;
    let mut shift = 0u32;
    loop {
        let mut byte = [0u8; 1];
        if read_full(reader, &mut byte)? == 0 {
            return Err(if raw.is_empty() {
                Error::Truncated {
                    part: Part::Empty,
                    offset: 0,
                }
            } else {
                Error::Truncated {
                    part: Part::PrefixLength,
                    offset: raw.len() as u64,
                }
            });
        }
        raw.push(byte[0]);
        if raw.len() > MAX_VARINT_LEN {
            return Err(malformed(0, "the prefix length varint runs past ten bytes"));
        }
        length |= u64::from(byte[0] & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    if length > MAX_PREFIX_LEN {
        return Err(malformed(
            0,
            format!(
                "the prefix length {length} is over {MAX_PREFIX_LEN} bytes (not a crypt15 backup?)"
            ),
        ));
    }
    let start = raw.len();
    // `length` is at most MAX_PREFIX_LEN, so this is a small allocation.
    raw.resize(start + length as usize, 0);
    let got = read_full(reader, &mut raw[start..])?;
    if got < length as usize {
        return Err(Error::Truncated {
            part: Part::Prefix,
            offset: (start + got) as u64,
        });
    }
    let fields = parse_backup_prefix(&raw[start..], start as u64)?;
    let iv = crypt15_iv(&fields)?;
    Ok(ParsedPrefix { fields, iv, raw })
}

/// The IV, or why this prefix is not one of a crypt15 backup.
fn crypt15_iv(fields: &BackupPrefix) -> Result<[u8; IV_LEN], Error> {
    match (&fields.iv, fields.crypt14_key_data_len) {
        (Some(iv), _) => iv
            .as_slice()
            .try_into()
            .map_err(|_| Error::UnsupportedPrefix {
                found: format!(
                    "an IV of {} bytes in field 3 (crypt15 uses 16): {}",
                    iv.len(),
                    describe_fields(fields)
                ),
            }),
        (None, Some(_)) => Err(Error::UnsupportedPrefix {
            found: format!(
                "crypt14 key data (field 2) and no crypt15 IV: this is a crypt14 backup, \
                 encrypted with a key WhatsApp holds, not with the 64-digit key; {}",
                describe_fields(fields)
            ),
        }),
        (None, None) => Err(Error::UnsupportedPrefix {
            found: format!("no crypt15 IV (field 3.1): {}", describe_fields(fields)),
        }),
    }
}

/// One line naming every field found, for errors about prefixes of unknown layout.
pub fn describe_fields(fields: &BackupPrefix) -> String {
    let mut parts = Vec::new();
    if let Some(value) = fields.key_type {
        parts.push(format!("key type {value} (field 1)"));
    }
    if let Some(len) = fields.crypt14_key_data_len {
        parts.push(format!("crypt14 key data of {len} bytes (field 2)"));
    }
    if let Some(iv) = &fields.iv {
        parts.push(format!("IV of {} bytes (field 3.1)", iv.len()));
    }
    for field in &fields.crypt15_unknown_fields {
        parts.push(format!("unknown field 3.{}", describe_unknown(field)));
    }
    if let Some(metadata) = &fields.metadata {
        match &metadata.app_version {
            Some(version) => parts.push(format!("app version {version:?} (field 4.1)")),
            None => parts.push("metadata without app version (field 4)".into()),
        }
    }
    if let Some(len) = fields.passkey_metadata_len {
        parts.push(format!("passkey metadata of {len} bytes (field 5)"));
    }
    if let Some(value) = fields.key_type_new {
        parts.push(format!("key type {value} (field 6)"));
    }
    for field in &fields.unknown_fields {
        parts.push(format!("unknown field {}", describe_unknown(field)));
    }
    if parts.is_empty() {
        "an empty prefix message".into()
    } else {
        format!("found {}", parts.join(", "))
    }
}

fn describe_unknown(field: &UnknownField) -> String {
    let wire = match field.wire_type {
        WIRE_VARINT => "varint",
        WIRE_FIXED64 => "fixed64",
        WIRE_LEN => "length-delimited",
        WIRE_FIXED32 => "fixed32",
        _ => "unknown wire type",
    };
    format!("{} ({wire}, {} bytes)", field.number, field.len)
}

/// What a key type number means, for reports.
pub fn key_type_name(value: u64) -> &'static str {
    match value {
        0 => "key held by WhatsApp (crypt12/crypt14)",
        1 => "end-to-end (64-digit key or password)",
        2 => "end-to-end, password",
        3 => "end-to-end, 64-digit key",
        4 => "end-to-end, passkey",
        _ => "unknown",
    }
}

fn malformed(offset: u64, reason: impl Into<String>) -> Error {
    Error::MalformedPrefix {
        offset,
        reason: reason.into(),
    }
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
fn read_full<R: Read + ?Sized>(reader: &mut R, buffer: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::from_io(error)),
        }
    }
    Ok(filled)
}

/// A field's value as read off the wire.
enum Value<'a> {
    Varint(u64),
    /// A length-delimited value and its offset in the file.
    Bytes(&'a [u8], u64),
    Fixed(usize),
}

/// Walks the fields of one protobuf message held in `bytes`, which starts at file offset `base`.
struct Fields<'a> {
    bytes: &'a [u8],
    position: usize,
    base: u64,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8], base: u64) -> Fields<'a> {
        Fields {
            bytes,
            position: 0,
            base,
        }
    }

    fn offset(&self) -> u64 {
        self.base + self.position as u64
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let start = self.offset();
        let mut value: u64 = 0;
        for index in 0..MAX_VARINT_LEN {
            let Some(&byte) = self.bytes.get(self.position) else {
                return Err(malformed(
                    start,
                    "a varint runs past the end of its message",
                ));
            };
            self.position += 1;
            value |= u64::from(byte & 0x7f)
                .checked_shl(7 * index as u32)
                .unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed(start, "a varint runs past ten bytes"))
    }

    fn take(&mut self, len: u64, what: &str) -> Result<&'a [u8], Error> {
        let start = self.offset();
        let available = self.bytes.len() - self.position;
        match usize::try_from(len) {
            Ok(len) if len <= available => {
                let taken = &self.bytes[self.position..self.position + len];
                self.position += len;
                Ok(taken)
            }
            _ => Err(malformed(
                start,
                format!("{what} claims {len} bytes, but only {available} remain in its message"),
            )),
        }
    }

    /// The next field: (offset of its key, field number, wire type, value).
    fn next_field(&mut self) -> Option<Result<(u64, u64, u8, Value<'a>), Error>> {
        if self.position >= self.bytes.len() {
            return None;
        }
        Some(self.read_field())
    }

    fn read_field(&mut self) -> Result<(u64, u64, u8, Value<'a>), Error> {
        let key_offset = self.offset();
        let key = self.varint()?;
        let number = key >> 3;
        // The low three bits of a key are the wire type.
        let wire_type = (key & 0x07) as u8;
        if number == 0 {
            return Err(malformed(key_offset, "a field numbered 0"));
        }
        let value = match wire_type {
            WIRE_VARINT => Value::Varint(self.varint()?),
            WIRE_FIXED64 => Value::Fixed(self.take(8, "a fixed64 field")?.len()),
            WIRE_LEN => {
                let len = self.varint()?;
                let offset = self.offset();
                Value::Bytes(self.take(len, &format!("field {number}"))?, offset)
            }
            WIRE_FIXED32 => Value::Fixed(self.take(4, "a fixed32 field")?.len()),
            other => {
                return Err(malformed(
                    key_offset,
                    format!("field {number} has wire type {other} (groups or invalid)"),
                ));
            }
        };
        Ok((key_offset, number, wire_type, value))
    }
}

fn unknown(number: u64, wire_type: u8, value: &Value<'_>) -> UnknownField {
    let len = match value {
        Value::Varint(v) => varint_len(*v),
        Value::Bytes(bytes, _) => bytes.len(),
        Value::Fixed(len) => *len,
    };
    UnknownField {
        number,
        wire_type,
        len,
    }
}

fn wrong_type(offset: u64, number: &str, expected: &str) -> Error {
    malformed(offset, format!("field {number} should be {expected}"))
}

/// Parses a `BackupPrefix` message held in `bytes`, which starts at file offset `base`.
pub fn parse_backup_prefix(bytes: &[u8], base: u64) -> Result<BackupPrefix, Error> {
    let mut prefix = BackupPrefix::default();
    let mut fields = Fields::new(bytes, base);
    while let Some(field) = fields.next_field() {
        let (offset, number, wire_type, value) = field?;
        match (number, value) {
            (1, Value::Varint(v)) => prefix.key_type = Some(v),
            (6, Value::Varint(v)) => prefix.key_type_new = Some(v),
            (1 | 6, _) => return Err(wrong_type(offset, &number.to_string(), "a varint")),
            (2, Value::Bytes(body, _)) => prefix.crypt14_key_data_len = Some(body.len()),
            (3, Value::Bytes(body, at)) => parse_crypt15_data(&mut prefix, body, at)?,
            (4, Value::Bytes(body, at)) => prefix.metadata = Some(parse_metadata(body, at)?),
            (5, Value::Bytes(body, _)) => prefix.passkey_metadata_len = Some(body.len()),
            (2..=5, _) => return Err(wrong_type(offset, &number.to_string(), "a message")),
            (_, value) => prefix
                .unknown_fields
                .push(unknown(number, wire_type, &value)),
        }
    }
    Ok(prefix)
}

fn parse_crypt15_data(prefix: &mut BackupPrefix, bytes: &[u8], base: u64) -> Result<(), Error> {
    let mut fields = Fields::new(bytes, base);
    while let Some(field) = fields.next_field() {
        let (offset, number, wire_type, value) = field?;
        match (number, value) {
            (1, Value::Bytes(iv, _)) => prefix.iv = Some(iv.to_vec()),
            (1, _) => return Err(wrong_type(offset, "3.1 (the IV)", "bytes")),
            (_, value) => prefix
                .crypt15_unknown_fields
                .push(unknown(number, wire_type, &value)),
        }
    }
    Ok(())
}

fn parse_metadata(bytes: &[u8], base: u64) -> Result<BackupMetadata, Error> {
    let mut metadata = BackupMetadata::default();
    let mut fields = Fields::new(bytes, base);
    while let Some(field) = fields.next_field() {
        let (_, number, wire_type, value) = field?;
        match (number, value) {
            (1, Value::Bytes(text, _)) => {
                metadata.app_version = Some(String::from_utf8_lossy(text).into_owned())
            }
            (3, Value::Bytes(text, _)) => {
                metadata.jid_suffix = Some(String::from_utf8_lossy(text).into_owned())
            }
            (4, Value::Varint(v)) => metadata.backup_version = Some(v),
            (5.., Value::Varint(v)) => metadata.features.push((number, v)),
            (_, value) => metadata
                .unknown_fields
                .push(unknown(number, wire_type, &value)),
        }
    }
    Ok(metadata)
}

fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_varint_field(out: &mut Vec<u8>, number: u64, value: u64) {
    put_varint(out, number << 3 | u64::from(WIRE_VARINT));
    put_varint(out, value);
}

fn put_bytes_field(out: &mut Vec<u8>, number: u64, value: &[u8]) {
    put_varint(out, number << 3 | u64::from(WIRE_LEN));
    put_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// What a new backup's prefix says, besides its IV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixFields {
    /// Field 1; WhatsApp's crypt15 backups carry 1.
    pub key_type: u64,
    /// Field 4, when written.
    pub metadata: Option<BackupMetadata>,
}

impl Default for PrefixFields {
    /// The layout of a msgstore backup made by WhatsApp 2.22: key type 1 and metadata with an
    /// app version, a placeholder phone-number suffix and no feature flags.
    fn default() -> PrefixFields {
        PrefixFields {
            key_type: 1,
            metadata: Some(BackupMetadata {
                app_version: Some("2.22.5.13".into()),
                jid_suffix: Some("00".into()),
                backup_version: None,
                features: Vec::new(),
                unknown_fields: Vec::new(),
            }),
        }
    }
}

/// The bytes of a prefix: varint length, then the `BackupPrefix` message.
pub fn build_prefix(fields: &PrefixFields, iv: &[u8; IV_LEN]) -> Vec<u8> {
    let mut message = Vec::with_capacity(256);
    put_varint_field(&mut message, 1, fields.key_type);
    let mut crypt15 = Vec::with_capacity(IV_LEN + 2);
    put_bytes_field(&mut crypt15, 1, iv);
    put_bytes_field(&mut message, 3, &crypt15);
    if let Some(metadata) = &fields.metadata {
        let mut body = Vec::new();
        if let Some(version) = &metadata.app_version {
            put_bytes_field(&mut body, 1, version.as_bytes());
        }
        if let Some(suffix) = &metadata.jid_suffix {
            put_bytes_field(&mut body, 3, suffix.as_bytes());
        }
        if let Some(version) = metadata.backup_version {
            put_varint_field(&mut body, 4, version);
        }
        for &(number, value) in &metadata.features {
            put_varint_field(&mut body, number, value);
        }
        put_bytes_field(&mut message, 4, &body);
    }
    let mut out = Vec::with_capacity(message.len() + 3);
    put_varint(&mut out, message.len() as u64);
    out.extend_from_slice(&message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<ParsedPrefix, Error> {
        read_prefix(&mut &bytes[..])
    }

    #[test]
    fn built_prefixes_parse_back() {
        let iv = [0x11u8; 16];
        let mut fields = PrefixFields::default();
        if let Some(metadata) = &mut fields.metadata {
            metadata.backup_version = Some(1);
            metadata.features = (5..40).map(|n| (n, n % 2)).collect();
        }
        let raw = build_prefix(&fields, &iv);
        // 129 bytes of message: a two-byte varint, as in WhatsApp's msgstore backups.
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.iv, iv);
        assert_eq!(parsed.raw, raw);
        assert_eq!(parsed.fields.key_type, Some(1));
        assert_eq!(parsed.fields.metadata, fields.metadata);
        let short = build_prefix(
            &PrefixFields {
                key_type: 1,
                metadata: None,
            },
            &iv,
        );
        assert_eq!(short[0] as usize, short.len() - 1, "a one-byte varint");
        assert_eq!(parse(&short).unwrap().fields.metadata, None);
    }

    #[test]
    fn unknown_fields_are_skipped_by_wire_type_and_reported() {
        let mut message = Vec::new();
        put_varint_field(&mut message, 1, 1);
        put_varint_field(&mut message, 9, 300);
        message.extend_from_slice(&[(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
        message.extend_from_slice(&[(11 << 3) | 5, 1, 2, 3, 4]);
        put_bytes_field(&mut message, 12, b"later");
        let mut crypt15 = Vec::new();
        put_bytes_field(&mut crypt15, 1, &[7; 16]);
        put_varint_field(&mut crypt15, 2, 5);
        put_bytes_field(&mut message, 3, &crypt15);
        put_varint_field(&mut message, 6, 3);
        let mut raw = Vec::new();
        put_varint(&mut raw, message.len() as u64);
        raw.extend_from_slice(&message);
        let parsed = parse(&raw).unwrap();
        assert_eq!(parsed.iv, [7; 16]);
        assert_eq!(parsed.fields.key_type_new, Some(3));
        let numbers: Vec<(u64, u8, usize)> = parsed
            .fields
            .unknown_fields
            .iter()
            .map(|f| (f.number, f.wire_type, f.len))
            .collect();
        assert_eq!(numbers, vec![(9, 0, 2), (10, 1, 8), (11, 5, 4), (12, 2, 5)]);
        assert_eq!(parsed.fields.crypt15_unknown_fields.len(), 1);
    }

    #[test]
    fn crypt14_and_odd_ivs_are_reported_with_what_was_found() {
        let mut message = Vec::new();
        put_varint_field(&mut message, 1, 0);
        put_bytes_field(&mut message, 2, &[0; 40]);
        let mut raw = vec![message.len() as u8];
        raw.extend_from_slice(&message);
        let error = parse(&raw).unwrap_err();
        assert_eq!(error.class(), "UnsupportedPrefix");
        let text = error.to_string();
        assert!(text.contains("crypt14"), "{text}");
        assert!(text.contains("key type 0"), "{text}");

        let mut message = Vec::new();
        let mut crypt15 = Vec::new();
        put_bytes_field(&mut crypt15, 1, &[0; 12]);
        put_bytes_field(&mut message, 3, &crypt15);
        let mut raw = vec![message.len() as u8];
        raw.extend_from_slice(&message);
        let text = parse(&raw).unwrap_err().to_string();
        assert!(text.contains("IV of 12 bytes"), "{text}");
    }

    #[test]
    fn every_truncation_and_bad_length_is_an_error_not_a_panic() {
        let raw = build_prefix(&PrefixFields::default(), &[3; 16]);
        for cut in 0..raw.len() {
            let error = parse(&raw[..cut]).unwrap_err();
            assert_eq!(error.class(), "Truncated", "cut at {cut}: {error}");
        }
        // A length far past the message, inside a nested field.
        let mut broken = raw.clone();
        broken[5] = 0x7f;
        assert!(parse(&broken).is_err());
        // Every single-byte change either parses or fails cleanly.
        for position in 0..raw.len() {
            for value in [0x00, 0x7f, 0x80, 0xff] {
                let mut changed = raw.clone();
                changed[position] = value;
                let _ = parse(&changed);
            }
        }
        let too_long = [0xff, 0xff, 0x7f];
        assert_eq!(parse(&too_long).unwrap_err().class(), "MalformedPrefix");
        let endless = [0x80u8; 12];
        assert_eq!(parse(&endless).unwrap_err().class(), "MalformedPrefix");
    }

    #[test]
    fn groups_and_field_zero_are_malformed() {
        for message in [vec![0x0b, 0x0c], vec![0x00, 0x01]] {
            let mut raw = vec![message.len() as u8];
            raw.extend_from_slice(&message);
            assert_eq!(parse(&raw).unwrap_err().class(), "MalformedPrefix");
        }
    }
}
