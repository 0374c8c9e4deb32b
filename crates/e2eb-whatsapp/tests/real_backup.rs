//! The real WhatsApp backup published with wa-crypt-tools' tests (GPLv3, so it is not copied
//! into this repository): used from `../shared/external/whatsapp/` beside the repository when
//! present; the tests say they were skipped otherwise.

use std::path::PathBuf;

use e2eb_whatsapp::{Crypt15Key, Md5Trailer, Payload, decrypt, inspect};
use sha2::{Digest, Sha256};

const KEY_HEX: &str = "6730a595a1484d0c39c101dc0ac82ec5e401bb6f0e1b8ee2dc104a6b3687f017";
const DATABASE_SHA256: &str = "1425b944a2e3885fc936a7bb82f6548c5cc09523a2f61f02aa836c4ed8bbd16e";
const DATABASE_LEN: u64 = 1_273_856;

fn fixture_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/external/whatsapp");
    if dir.join("msgstore.db.crypt15").is_file() && dir.join("encrypted_backup.key").is_file() {
        Some(dir)
    } else {
        println!("skipped: no real crypt15 backup at {}", dir.display());
        None
    }
}

/// Hashes what it is given, so the database is checked without holding it.
struct Sha256Writer(Sha256, u64);

impl std::io::Write for Sha256Writer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.update(data);
        self.1 += data.len() as u64;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn decrypt_file(key: &Crypt15Key, path: &std::path::Path) -> (String, u64, e2eb_whatsapp::Summary) {
    let file = std::fs::File::open(path).unwrap();
    let mut sink = Sha256Writer(Sha256::new(), 0);
    let summary = decrypt(key, std::io::BufReader::new(file), &mut sink).unwrap();
    (hex::encode(sink.0.finalize()), sink.1, summary)
}

#[test]
fn the_real_backup_decrypts_with_the_key_file_and_with_the_64_digits() {
    let Some(dir) = fixture_dir() else { return };
    let backup = dir.join("msgstore.db.crypt15");
    let from_file =
        Crypt15Key::from_key_file(&std::fs::read(dir.join("encrypted_backup.key")).unwrap())
            .unwrap();
    let from_text = Crypt15Key::from_key_file(format!("{KEY_HEX}\n").as_bytes()).unwrap();
    assert_eq!(from_file, from_text);
    for key in [from_file, from_text] {
        let (sha256, len, summary) = decrypt_file(&key, &backup);
        assert_eq!(sha256, DATABASE_SHA256);
        assert_eq!(len, DATABASE_LEN);
        assert_eq!(summary.output_len, DATABASE_LEN);
        assert_eq!(summary.payload, Payload::Zlib);
        assert!(!summary.output_is_zip);
        assert_eq!(summary.md5_trailer, Md5Trailer::Verified);
        assert_eq!(summary.file_len, 240_529);
        assert_eq!(summary.prefix_len, 131);
        assert_eq!(summary.ciphertext_len, 240_529 - 131 - 32);
    }
}

#[test]
fn the_real_backups_prefix_is_reported() {
    let Some(dir) = fixture_dir() else { return };
    let inspection =
        inspect(std::fs::File::open(dir.join("msgstore.db.crypt15")).unwrap()).unwrap();
    assert!(inspection.md5_trailer_matches);
    let fields = &inspection.prefix.fields;
    assert_eq!(fields.key_type, Some(1));
    let metadata = fields.metadata.as_ref().unwrap();
    assert_eq!(metadata.app_version.as_deref(), Some("2.22.5.13"));
    assert!(!metadata.features.is_empty());
    assert!(
        fields.unknown_fields.is_empty(),
        "{:?}",
        fields.unknown_fields
    );
    println!("{fields:#?}");
}
