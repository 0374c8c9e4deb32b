//! `crypt15_test.json`: vectors for WhatsApp's crypt15 backups as `e2eb-whatsapp` reads them:
//! valid backups of several sizes and prefix layouts, multi-file (ZIP) backups, and the damage
//! a decryptor must tell from a wrong key. Generated here and checked by `verify`.
//!
//! Every backup is made with the reference writer (`e2eb_whatsapp::encrypt`) and fixed IVs, then
//! altered where a test needs it; the class of each invalid test is what the reference reader
//! reports.

use std::collections::BTreeMap;
use std::io::Read;

use e2eb_whatsapp::{
    Crypt15Key, Crypt15Reader, EncryptOptions, Md5Trailer, Payload, PrefixFields, Summary,
    ZIP_MAGIC, decrypt_to_vec, encrypt_to_vec,
};
use md5::Md5;
use sha2::{Digest, Sha512};

use crate::generate::encode_ct;
use crate::model::{Crypt15Group, Crypt15Intermediates, Crypt15Test, Note, TestGroup, VectorFile};

mod check;

pub use check::check_group;

/// Outputs up to this size are written out in `msg`.
const MSG_LIMIT: usize = 1024;
const TAG_LEN: usize = 16;
const MD5_LEN: usize = 16;

/// The key of every test but the wrong-key ones: the 64-digit key published with the real
/// backup that wa-crypt-tools tests with, so that a reader can check both with one key.
const KEY_HEX: &str = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";
const WRONG_KEY_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn notes() -> BTreeMap<String, Note> {
    let note = |bug: &str, description: &str| Note {
        bug_type: bug.into(),
        description: description.into(),
    };
    [
        ("EmptyDatabase", note("EDGE_CASE", "The database is empty: the GCM plaintext is the 8-byte zlib stream of no data.")),
        ("LongZlibStream", note("EDGE_CASE", "The zlib stream is longer than 64 KiB, more than one read buffer of a streaming decryptor, so the trailer arrives split across reads.")),
        ("HighRatio", note("EDGE_CASE", "A small zlib stream inflates to megabytes: a streaming decryptor must produce output in bounded pieces.")),
        ("PrefixLayout", note("FUNCTIONALITY", "The BackupPrefix has another layout: a one- or two-byte length varint, metadata with feature flags, key type field 6, or fields of every wire type the reader does not know, to be skipped.")),
        ("MultiFile", note("FUNCTIONALITY", "A multi-file backup: the GCM plaintext is a ZIP archive, stored as it is, with no MD5 trailer; the output is the archive.")),
        ("ZipInZlib", note("FUNCTIONALITY", "The inflated data is a ZIP archive: report it as one.")),
        ("Md5Mismatch", note("FUNCTIONALITY", "Only bytes GCM does not cover were changed (the MD5 trailer, or a prefix byte other than the IV): the data authenticates, the MD5 does not match. The reference reader releases the data and reports the mismatch (md5Trailer \"mismatch\").")),
        ("Md5Missing", note("FUNCTIONALITY", "The MD5 trailer was cut off: the file has the layout of a multi-file backup and authenticates (md5Trailer \"absent\").")),
        ("WrongKey", note("MISSING_STEP", "A valid backup opened with another key. When the MD5 trailer matches, the file was not damaged by accident: the key is wrong, or the file was modified on purpose and its unkeyed MD5 recomputed (WrongKey); without one, the reader cannot be sure (WrongKeyOrDamaged).")),
        ("ModifiedCiphertext", note("AUTH_BYPASS", "A byte of the GCM ciphertext or tag was changed: the MD5 does not match and the tag fails. When the start still decrypts to a zlib stream or a ZIP archive, the key is right and the file Damaged; a change in the zlib header itself looks like a wrong key (WrongKeyOrDamaged).")),
        ("ModifiedIv", note("AUTH_BYPASS", "A byte of the IV in the prefix was changed: all data decrypts to noise and the tag fails (WrongKeyOrDamaged).")),
        ("Truncation", note("AUTH_BYPASS", "The file was cut: inside the prefix (Truncated), before a whole tag (Truncated), or inside the data (Damaged, the zlib stream stopping early).")),
        ("TrailingData", note("AUTH_BYPASS", "Bytes were appended to a valid backup.")),
        ("MalformedPrefix", note("CAN_OF_WORMS", "The prefix is not a valid protobuf message, or its length varint is too long or over 64 KiB.")),
        ("UnsupportedPrefix", note("FUNCTIONALITY", "The prefix parses but does not describe a crypt15 backup: crypt14 key data, an IV of another length, or no IV.")),
        ("BadPayload", note("FUNCTIONALITY", "The data authenticates but is not a zlib stream or a ZIP archive (UnknownPayload), or its zlib stream is broken, incomplete or followed by stray bytes (BadZlib).")),
    ]
    .into_iter()
    .map(|(flag, note)| (flag.to_string(), note))
    .collect()
}

fn key() -> Crypt15Key {
    Crypt15Key::parse_hex(KEY_HEX).expect("a valid key")
}

fn options(iv_byte: u8, payload: Payload, md5_trailer: bool) -> EncryptOptions {
    EncryptOptions {
        iv: Some([iv_byte; 16]),
        payload,
        md5_trailer,
        ..EncryptOptions::default()
    }
}

/// Deterministic data: `rows` like a database's, or noise.
fn data(len: usize, rows: bool) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ len as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    if rows {
        let mut out = Vec::with_capacity(len + 48);
        while out.len() < len {
            let value = next();
            out.extend_from_slice(
                format!("msg {}: see you at {} ", value % 1000, value % 24).as_bytes(),
            );
        }
        out.truncate(len);
        out
    } else {
        (0..len).map(|_| next() as u8).collect()
    }
}

fn zip_archive(len: usize) -> Vec<u8> {
    let mut archive = ZIP_MAGIC.to_vec();
    archive.extend(data(len, true));
    archive
}

fn zlib_stream(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn encrypt(options: &EncryptOptions, plaintext: &[u8]) -> Result<Vec<u8>, e2eb::Error> {
    encrypt_to_vec(&key(), options, plaintext).map_err(library_error)
}

fn library_error(error: e2eb_whatsapp::Error) -> e2eb::Error {
    e2eb::Error::Io(std::io::Error::other(error))
}

/// The prefix length of a backup the reference writer made.
fn prefix_len(backup: &[u8]) -> usize {
    e2eb_whatsapp::prefix::read_prefix(&mut &backup[..])
        .map(|prefix| prefix.len())
        .unwrap_or(0)
}

/// `backup` with its prefix replaced by `prefix` (which must carry the same IV) and, when it
/// had one, its MD5 trailer recomputed: GCM does not cover the prefix, so the result is as valid
/// as the original.
fn with_prefix(backup: &[u8], prefix: &[u8], has_md5: bool) -> Vec<u8> {
    let end = if has_md5 {
        backup.len() - MD5_LEN
    } else {
        backup.len()
    };
    let mut out = prefix.to_vec();
    out.extend_from_slice(&backup[prefix_len(backup)..end]);
    if has_md5 {
        let digest = Md5::digest(&out);
        out.extend_from_slice(&digest);
    }
    out
}

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn field_varint(number: u64, value: u64, out: &mut Vec<u8>) {
    varint(number << 3, out);
    varint(value, out);
}

fn field_bytes(number: u64, value: &[u8], out: &mut Vec<u8>) {
    varint(number << 3 | 2, out);
    varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

/// A length varint and `message`.
fn framed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(message.len() as u64, &mut out);
    out.extend_from_slice(message);
    out
}

fn crypt15_field(iv: &[u8]) -> Vec<u8> {
    let mut inner = Vec::new();
    field_bytes(1, iv, &mut inner);
    inner
}

fn flip(bytes: &[u8], position: usize, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[position] ^= mask;
    out
}

fn md5_name(trailer: Md5Trailer) -> &'static str {
    match trailer {
        Md5Trailer::Verified => "verified",
        Md5Trailer::Absent => "absent",
        Md5Trailer::Mismatch => "mismatch",
    }
}

/// Collects tests into the two groups, numbering them in order.
struct Collector {
    zlib: Vec<Crypt15Test>,
    stored: Vec<Crypt15Test>,
    next_id: u32,
}

impl Collector {
    fn push(&mut self, payload: Payload, mut test: Crypt15Test) {
        self.next_id += 1;
        test.tc_id = self.next_id;
        match payload {
            Payload::Zlib => self.zlib.push(test),
            Payload::Zip => self.stored.push(test),
        }
    }

    fn empty(comment: &str, flags: &[&str], key_hex: &str, backup: &[u8]) -> Crypt15Test {
        let (ct, ct_zlib) = encode_ct(backup);
        Crypt15Test {
            tc_id: 0,
            comment: comment.into(),
            flags: flags.iter().map(|flag| flag.to_string()).collect(),
            key: key_hex.into(),
            msg: None,
            msg_length: None,
            msg_sha512: None,
            ct,
            ct_zlib,
            md5_trailer: None,
            output_is_zip: None,
            intermediates: None,
            result: String::new(),
            error: None,
        }
    }

    /// A backup the reference reader opens; its output and intermediates are recorded.
    fn valid(
        &mut self,
        payload: Payload,
        comment: &str,
        flags: &[&str],
        backup: &[u8],
    ) -> Result<(), e2eb::Error> {
        let (output, summary) = decrypt_to_vec(&key(), backup).map_err(library_error)?;
        let mut test = Collector::empty(comment, flags, KEY_HEX, backup);
        test.msg_length = Some(output.len() as u64);
        test.msg_sha512 = Some(hex::encode(Sha512::digest(&output)));
        if output.len() <= MSG_LIMIT {
            test.msg = Some(hex::encode(&output));
        }
        test.md5_trailer = Some(md5_name(summary.md5_trailer).into());
        test.output_is_zip = Some(summary.output_is_zip);
        test.intermediates = Some(intermediates(backup, &summary));
        test.result = "valid".into();
        self.push(payload, test);
        Ok(())
    }

    /// A backup the reference reader refuses with `key_hex`; its error class is recorded.
    fn invalid(
        &mut self,
        payload: Payload,
        comment: &str,
        flags: &[&str],
        key_hex: &str,
        backup: &[u8],
    ) -> Result<(), e2eb::Error> {
        let key = Crypt15Key::parse_hex(key_hex).map_err(|e| library_error_key(&e))?;
        let error = match decrypt_to_vec(&key, backup) {
            Ok(_) => {
                return Err(e2eb::Error::Io(std::io::Error::other(format!(
                    "the crypt15 vector {comment:?} was meant to be invalid, but it opens"
                ))));
            }
            Err(error) => error,
        };
        let mut test = Collector::empty(comment, flags, key_hex, backup);
        test.result = "invalid".into();
        test.error = Some(error.class().into());
        self.push(payload, test);
        Ok(())
    }
}

fn library_error_key(error: &e2eb_whatsapp::KeyError) -> e2eb::Error {
    library_error_key_text(&error.to_string())
}

fn library_error_key_text(text: &str) -> e2eb::Error {
    e2eb::Error::Io(std::io::Error::other(text.to_string()))
}

fn intermediates(backup: &[u8], summary: &Summary) -> Crypt15Intermediates {
    let prefix = e2eb_whatsapp::prefix::read_prefix(&mut &backup[..]).ok();
    let tag_at = (summary.prefix_len + summary.ciphertext_len) as usize;
    Crypt15Intermediates {
        aes_key: hex::encode(*key().encryption_key()),
        iv: prefix.map(|p| hex::encode(p.iv)).unwrap_or_default(),
        prefix_len: summary.prefix_len,
        ciphertext_len: summary.ciphertext_len,
        tag: hex::encode(&backup[tag_at..tag_at + TAG_LEN]),
    }
}

/// The crypt15 vector file.
pub fn file() -> Result<VectorFile, e2eb::Error> {
    let mut c = Collector {
        zlib: Vec::new(),
        stored: Vec::new(),
        next_id: 0,
    };
    let zlib = Payload::Zlib;
    let stored = Payload::Zip;

    // Valid single databases.
    let sizes: [(&str, Vec<u8>, &[&str]); 5] = [
        ("empty database", Vec::new(), &["EmptyDatabase"]),
        ("a one-byte database", b"S".to_vec(), &[]),
        ("1000 bytes of rows", data(1000, true), &[]),
        (
            "70000 bytes of noise: a zlib stream over 64 KiB",
            data(70_000, false),
            &["LongZlibStream"],
        ),
        (
            "4 MiB of zeros from a 4 KiB zlib stream",
            vec![0; 4 << 20],
            &["HighRatio"],
        ),
    ];
    for (index, (comment, plaintext, flags)) in sizes.into_iter().enumerate() {
        let backup = encrypt(&options(0x10 + index as u8, zlib, true), &plaintext)?;
        c.valid(zlib, comment, flags, &backup)?;
    }
    let rows = data(300, true);

    let short = EncryptOptions {
        prefix: PrefixFields {
            key_type: 1,
            metadata: None,
        },
        ..options(0x20, zlib, true)
    };
    c.valid(
        zlib,
        "prefix without metadata: a one-byte length varint",
        &["PrefixLayout"],
        &encrypt(&short, &rows)?,
    )?;

    let mut msgstore_like = options(0x21, zlib, true);
    if let Some(metadata) = &mut msgstore_like.prefix.metadata {
        metadata.backup_version = Some(0);
        metadata.features = (5..=39)
            .filter(|n| *n != 38)
            .map(|n| (n, n % 3 / 2))
            .collect();
    }
    c.valid(
        zlib,
        "prefix with 34 feature flags, as msgstore backups have: a two-byte length varint",
        &["PrefixLayout"],
        &encrypt(&msgstore_like, &rows)?,
    )?;

    let base = encrypt(&options(0x22, zlib, true), &rows)?;
    let mut message = Vec::new();
    field_varint(1, 1, &mut message);
    field_varint(9, 300, &mut message);
    message.extend_from_slice(&[(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
    message.extend_from_slice(&[(11 << 3) | 5, 1, 2, 3, 4]);
    let mut crypt15 = crypt15_field(&[0x22; 16]);
    field_varint(7, 1, &mut crypt15);
    field_bytes(3, &crypt15, &mut message);
    field_bytes(12, b"a later field", &mut message);
    field_varint(6, 3, &mut message);
    c.valid(zlib, "prefix with key type field 6 and unknown fields of every wire type, at the top level and in field 3", &["PrefixLayout"], &with_prefix(&base, &framed(&message), true))?;

    let zip_in_zlib = encrypt(&options(0x23, zlib, true), &zip_archive(500))?;
    c.valid(
        zlib,
        "the inflated data is a ZIP archive",
        &["ZipInZlib"],
        &zip_in_zlib,
    )?;

    let len = base.len();
    c.valid(
        zlib,
        "the last byte of the MD5 trailer changed",
        &["Md5Mismatch"],
        &flip(&base, len - 1, 0x01),
    )?;
    let version_at = base
        .windows(4)
        .position(|window| window == b"2.22")
        .ok_or_else(|| library_error_key_text("no app version in the prefix"))?;
    c.valid(
        zlib,
        "a byte of the app version in the prefix changed (GCM does not cover it)",
        &["Md5Mismatch"],
        &flip(&base, version_at, 0x01),
    )?;
    c.valid(
        zlib,
        "the MD5 trailer cut off",
        &["Md5Missing"],
        &base[..len - MD5_LEN],
    )?;

    // Wrong key and damage.
    c.invalid(
        zlib,
        "another key; the MD5 trailer matches",
        &["WrongKey"],
        WRONG_KEY_HEX,
        &base,
    )?;
    let body = prefix_len(&base);
    c.invalid(
        zlib,
        "the first byte of the zlib header changed",
        &["ModifiedCiphertext"],
        KEY_HEX,
        &flip(&base, body, 0x01),
    )?;
    for (comment, position) in [
        ("a byte of the deflate data changed", body + 10),
        (
            "the middle byte of the ciphertext changed",
            body + (len - body - 32) / 2,
        ),
        ("the last ciphertext byte changed", len - 33),
        ("the first tag byte changed", len - 32),
        ("the last tag byte changed", len - 17),
    ] {
        c.invalid(
            zlib,
            comment,
            &["ModifiedCiphertext"],
            KEY_HEX,
            &flip(&base, position, 0x01),
        )?;
    }
    let iv_position = base[..body]
        .windows(16)
        .position(|window| window == [0x22; 16])
        .ok_or_else(|| library_error_key_text("the IV is not in the prefix"))?;
    c.invalid(
        zlib,
        "the first IV byte changed",
        &["ModifiedIv"],
        KEY_HEX,
        &flip(&base, iv_position, 0x01),
    )?;

    for (comment, cut) in [
        ("an empty file", 0),
        ("cut inside the prefix", body / 2),
        ("cut right after the prefix", body),
        ("cut 15 bytes after the prefix", body + 15),
        ("cut in the middle of the data", body + (len - body) / 2),
        ("cut 1 byte short", len - 1),
        ("cut 17 bytes short (the MD5 and one tag byte)", len - 17),
    ] {
        c.invalid(zlib, comment, &["Truncation"], KEY_HEX, &base[..cut])?;
    }
    let big = encrypt(&options(0x24, zlib, true), &data(150_000, true))?;
    c.invalid(
        zlib,
        "a larger backup cut in the middle",
        &["Truncation"],
        KEY_HEX,
        &big[..big.len() / 2],
    )?;
    for (comment, extra) in [
        ("one byte appended", vec![0u8]),
        ("16 bytes appended", vec![0xab; 16]),
    ] {
        let mut longer = base.clone();
        longer.extend_from_slice(&extra);
        c.invalid(zlib, comment, &["TrailingData"], KEY_HEX, &longer)?;
    }

    // Prefixes that are not crypt15.
    let mut too_long_varint = vec![0x80; 10];
    too_long_varint.push(0x01);
    let mut over_cap = Vec::new();
    varint(70_000, &mut over_cap);
    let mut with_group = Vec::new();
    field_varint(1, 1, &mut with_group);
    with_group.extend_from_slice(&[(5 << 3) | 3, (5 << 3) | 4]);
    let mut overflowing = Vec::new();
    varint(3 << 3 | 2, &mut overflowing);
    varint(200, &mut overflowing);
    overflowing.extend_from_slice(&crypt15_field(&[0x22; 16]));
    for (comment, bytes) in [
        ("a length varint of 11 bytes", too_long_varint),
        ("a prefix length over 64 KiB", over_cap),
        (
            "a field with wire type 3 (a group) in the prefix",
            framed(&with_group),
        ),
        (
            "field 3 claims more bytes than the prefix holds",
            framed(&overflowing),
        ),
        ("a field numbered 0", framed(&[0x00, 0x01])),
    ] {
        let mut backup = bytes;
        backup.extend_from_slice(&base[body..]);
        c.invalid(zlib, comment, &["MalformedPrefix"], KEY_HEX, &backup)?;
    }
    let mut crypt14 = Vec::new();
    field_varint(1, 0, &mut crypt14);
    field_bytes(2, &[0x55; 48], &mut crypt14);
    let mut short_iv = Vec::new();
    field_varint(1, 1, &mut short_iv);
    field_bytes(3, &crypt15_field(&[0x22; 12]), &mut short_iv);
    let mut no_iv = Vec::new();
    field_varint(1, 1, &mut no_iv);
    for (comment, message) in [
        ("a crypt14 prefix: key data in field 2, no IV", crypt14),
        ("an IV of 12 bytes", short_iv),
        ("no IV at all", no_iv),
    ] {
        c.invalid(
            zlib,
            comment,
            &["UnsupportedPrefix"],
            KEY_HEX,
            &with_prefix(&base, &framed(&message), true),
        )?;
    }

    // Authenticated data that is not what it should be, stored as it is with an MD5 trailer as
    // databases have.
    let stream = zlib_stream(&rows);
    let mut stray = stream.clone();
    stray.extend_from_slice(b"stray");
    let mut corrupt = stream[..2].to_vec();
    corrupt.extend_from_slice(&[0xff; 20]);
    for (comment, plaintext) in [
        ("a zlib stream followed by stray bytes", stray),
        (
            "a zlib stream that stops early",
            stream[..stream.len() / 2].to_vec(),
        ),
        ("a zlib header over invalid deflate data", corrupt),
        (
            "a SQLite header where a zlib stream should be",
            b"SQLite format 3\0".to_vec(),
        ),
    ] {
        let backup = encrypt(&options(0x30, stored, true), &plaintext)?;
        c.invalid(stored, comment, &["BadPayload"], KEY_HEX, &backup)?;
    }

    // Multi-file backups.
    for (comment, len) in [
        ("the ZIP signature alone", 0),
        ("a 2000-byte archive", 1996),
        ("a 6000-byte archive", 5996),
    ] {
        let backup = encrypt(&options(0x40, stored, false), &zip_archive(len))?;
        c.valid(stored, comment, &["MultiFile"], &backup)?;
    }
    let archive = encrypt(&options(0x41, stored, false), &zip_archive(3000))?;
    c.invalid(
        stored,
        "another key: no MD5 to tell a wrong key from damage",
        &["MultiFile", "WrongKey"],
        WRONG_KEY_HEX,
        &archive,
    )?;
    let alen = archive.len();
    c.invalid(
        stored,
        "a byte of the archive changed",
        &["MultiFile", "ModifiedCiphertext"],
        KEY_HEX,
        &flip(&archive, alen / 2, 0x01),
    )?;
    c.invalid(
        stored,
        "the last tag byte changed",
        &["MultiFile", "ModifiedCiphertext"],
        KEY_HEX,
        &flip(&archive, alen - 1, 0x01),
    )?;
    c.invalid(
        stored,
        "cut in the middle",
        &["MultiFile", "Truncation"],
        KEY_HEX,
        &archive[..alen / 2],
    )?;
    let empty = encrypt(&options(0x42, stored, false), b"")?;
    c.invalid(
        stored,
        "no data at all, just the prefix and the tag",
        &["MultiFile", "BadPayload"],
        KEY_HEX,
        &empty,
    )?;
    let not_zip = encrypt(
        &options(0x43, stored, false),
        b"PK\x05\x06 not a local file header",
    )?;
    c.invalid(
        stored,
        "data starting with another ZIP signature",
        &["MultiFile", "BadPayload"],
        KEY_HEX,
        &not_zip,
    )?;

    let number_of_tests = c.zlib.len() + c.stored.len();
    Ok(VectorFile {
        algorithm: "whatsapp-crypt15".into(),
        format_version: 1,
        number_of_tests,
        header: vec![
            "Decryption vectors for WhatsApp's crypt15 backups (msgstore.db.crypt15), as the e2eb-whatsapp crate reads them.".into(),
            "Open ct (or ctZlib, zlib-inflated) with the 64-digit key: valid tests must yield the output (msg, or msgLength and msgSha512), with the MD5 trailer state md5Trailer; invalid ones must fail, and the reference reader's error class is given. See vectors/README.md.".into(),
        ],
        notes: notes(),
        schema: "schema.json".into(),
        test_groups: vec![
            TestGroup::Crypt15Decryption(Crypt15Group {
                payload: "zlib".into(),
                tests: c.zlib,
            }),
            TestGroup::Crypt15Decryption(Crypt15Group {
                payload: "stored".into(),
                tests: c.stored,
            }),
        ],
    })
}

/// Hands out its bytes a few at a time, as a pipe might.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let len = self.step.min(out.len()).min(self.data.len());
        out[..len].copy_from_slice(&self.data[..len]);
        self.data = &self.data[len..];
        Ok(len)
    }
}

type Outcome = Result<(Vec<u8>, Option<Summary>), String>;
