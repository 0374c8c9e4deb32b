//! Wycheproof's Cobblestone-256 vectors (c2sp.org/chunked-encryption with AES-256-GCM), applied
//! as `data/wycheproof/c2sp_chunked_encryption.md` says, through every decryption API: the
//! batched pipeline on one and two threads, the streaming reader, random access, raw mode, and
//! encryption with the salt injected.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::sync::Mutex;

use e2eb::hazmat::{Entropy, Options, PayloadCipher, PayloadSchedule, chunked};
use e2eb::payload::{PREFIX_LEN, SALT_LEN};
use e2eb::{Backend, Suite, Threads};
use serde::Deserialize;
use sha2::{Digest, Sha512};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VectorFile {
    number_of_tests: usize,
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    aead: String,
    sha: String,
    tests: Vec<Vector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    tc_id: u32,
    comment: String,
    key: String,
    ctx: String,
    ct: String,
    aead_key: Option<String>,
    base_nonce: Option<String>,
    msg_length: Option<usize>,
    msg_sha512: Option<String>,
    result: String,
    flags: Vec<String>,
}

impl Vector {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn ciphertext(&self) -> Vec<u8> {
        let compressed = hex::decode(&self.ct).unwrap();
        let mut ciphertext = Vec::new();
        flate2::read::ZlibDecoder::new(&compressed[..])
            .read_to_end(&mut ciphertext)
            .unwrap();
        ciphertext
    }

    fn valid(&self) -> bool {
        self.result == "valid"
    }

    /// Checks output that a decryptor released: all of the message for valid vectors; for
    /// invalid ones at most the longest valid prefix (`PartialPlaintext`), else nothing.
    fn check_released(&self, api: &str, released: &[u8], succeeded: bool) {
        let id = self.tc_id;
        if self.valid() {
            assert!(
                succeeded,
                "tc {id} ({}) {api}: valid vector rejected",
                self.comment
            );
            assert_eq!(
                Some(released.len()),
                self.msg_length,
                "tc {id} {api}: length"
            );
            assert_eq!(
                hex::encode(Sha512::digest(released)),
                *self.msg_sha512.as_ref().unwrap(),
                "tc {id} {api}"
            );
            return;
        }
        assert!(
            !succeeded,
            "tc {id} ({}) {api}: invalid vector accepted",
            self.comment
        );
        if self.has("PartialPlaintext") {
            let prefix_len = self.msg_length.unwrap();
            assert!(
                released.len() <= prefix_len,
                "tc {id} {api}: released beyond the valid prefix"
            );
            if released.len() == prefix_len {
                assert_eq!(
                    hex::encode(Sha512::digest(released)),
                    *self.msg_sha512.as_ref().unwrap(),
                    "tc {id} {api}"
                );
            }
        } else {
            assert!(
                released.is_empty(),
                "tc {id} {api}: released {} bytes of an invalid message",
                released.len()
            );
        }
    }
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("data/wycheproof/c2sp_chunked_encryption_aes_256_gcm_test.json");
    let file: VectorFile = serde_json::from_str(text).unwrap();
    let mut all = Vec::new();
    for group in file.test_groups {
        assert_eq!(
            (group.aead.as_str(), group.sha.as_str()),
            ("AEAD_AES_256_GCM", "SHA-512")
        );
        all.extend(group.tests);
    }
    assert_eq!(all.len(), file.number_of_tests);
    assert_eq!(
        all.len(),
        35,
        "the file holds the 35 Cobblestone-256 vectors"
    );
    all
}

#[test]
fn batched_pipeline_on_one_and_two_threads() {
    for vector in vectors() {
        let key = hex::decode(&vector.key).unwrap();
        let ctx = hex::decode(&vector.ctx).unwrap();
        let ciphertext = vector.ciphertext();
        for (threads, &backend) in [1, 2]
            .into_iter()
            .flat_map(|threads| Backend::compiled().iter().map(move |b| (threads, b)))
        {
            let options = Options::new(Threads::new(threads), backend);
            let mut released = Vec::new();
            let outcome = chunked::decrypt(
                Suite::Aes256Gcm,
                &key,
                &ctx,
                &ciphertext[..],
                &mut released,
                options,
            );
            if vector.has("InvalidKeySize") {
                assert!(
                    matches!(outcome, Err(e2eb::Error::InvalidKeyLength { .. })),
                    "tc {}",
                    vector.tc_id
                );
            }
            let api = format!("pipeline/{threads}/{backend}");
            vector.check_released(&api, &released, outcome.is_ok());
            let api = format!("in-memory/{threads}/{backend}");
            match chunked::decrypt_to_vec(Suite::Aes256Gcm, &key, &ctx, &ciphertext, options) {
                Ok(message) => vector.check_released(&api, &message, true),
                Err(_) => vector.check_released(&api, &[], false),
            }
        }
    }
}

#[test]
fn streaming_reader_keeps_failing_after_an_error() {
    for vector in vectors() {
        let key = hex::decode(&vector.key).unwrap();
        let ctx = hex::decode(&vector.ctx).unwrap();
        let ciphertext = vector.ciphertext();
        let mut released = Vec::new();
        let succeeded = match chunked::reader(Suite::Aes256Gcm, &key, &ctx, &ciphertext[..]) {
            Err(_) => false,
            Ok(mut reader) => {
                // Small, odd-sized reads exercise the chunk buffer's bookkeeping.
                let mut buffer = [0u8; 5000];
                loop {
                    match reader.read(&mut buffer) {
                        Ok(0) => break true,
                        Ok(n) => released.extend_from_slice(&buffer[..n]),
                        Err(_) => {
                            assert!(
                                reader.read(&mut buffer).is_err(),
                                "tc {}: error not sticky",
                                vector.tc_id
                            );
                            break false;
                        }
                    }
                }
            }
        };
        vector.check_released("reader", &released, succeeded);
    }
}

/// The reader at offsets checks the commitment when it is made and authenticates the length
/// (by opening the final chunk) on its first seek: only a message whose final chunk is valid
/// gets past that seek, and reading all of it then succeeds only for a valid message.
#[test]
fn random_access_authenticates_the_length() {
    for vector in vectors() {
        let key = hex::decode(&vector.key).unwrap();
        let ctx = hex::decode(&vector.ctx).unwrap();
        let ciphertext = vector.ciphertext();
        let id = vector.tc_id;
        let mut reader = match chunked::reader_at(
            Suite::Aes256Gcm,
            &key,
            &ctx,
            Mutex::new(Cursor::new(&ciphertext)),
        ) {
            Err(_) => {
                assert!(!vector.valid(), "tc {id}: valid vector rejected");
                continue;
            }
            Ok(reader) => reader,
        };
        let len = match reader.seek(SeekFrom::End(0)) {
            Err(_) => {
                assert!(
                    !vector.valid(),
                    "tc {id} ({}): length of a valid vector refused",
                    vector.comment
                );
                assert!(
                    reader.read(&mut [0; 100]).is_err(),
                    "tc {id}: the reader is still usable after a failed seek"
                );
                continue;
            }
            Ok(len) => len,
        };
        assert!(
            vector.valid() || vector.has("ValidFinalChunk"),
            "tc {id} ({}): length authentication must fail",
            vector.comment
        );
        reader.seek(SeekFrom::Start(0)).unwrap();
        let mut all = Vec::new();
        let whole = reader.read_to_end(&mut all);
        if vector.valid() {
            whole.unwrap();
            assert_eq!(len, all.len() as u64, "tc {id}: the authenticated length");
            vector.check_released("seek", &all, true);
            // Read the last 100 bytes by seeking from the end.
            let tail_len = (len as i64).min(100);
            reader.seek(SeekFrom::End(-tail_len)).unwrap();
            let mut tail = Vec::new();
            reader.read_to_end(&mut tail).unwrap();
            assert_eq!(tail, all[all.len() - tail.len()..]);
        } else {
            assert!(
                whole.is_err(),
                "tc {id}: whole read of an invalid message succeeded"
            );
        }
    }
}

#[test]
fn raw_mode_decrypts_and_reencrypts() {
    for vector in vectors().into_iter().filter(|v| !v.has("HeaderFailure")) {
        let mut schedule =
            PayloadSchedule::derive(Suite::Aes256Gcm, &[0; 32], &[0; SALT_LEN], b"").unwrap();
        schedule
            .aead_key
            .copy_from_slice(&hex::decode(vector.aead_key.as_ref().unwrap()).unwrap());
        schedule
            .base_nonce
            .copy_from_slice(&hex::decode(vector.base_nonce.as_ref().unwrap()).unwrap());
        // Every backend opens and reseals each chunk alike.
        for &backend in Backend::compiled() {
            let cipher = PayloadCipher::from_schedule(Suite::Aes256Gcm, backend, &schedule);
            let ciphertext = vector.ciphertext();
            let mut sealed = ciphertext[PREFIX_LEN..].to_vec();
            let chunks: Vec<&mut [u8]> = sealed.chunks_mut(16400).collect();
            let count = chunks.len();
            let mut message = Vec::new();
            let mut ok = count > 0;
            for (index, chunk) in chunks.into_iter().enumerate() {
                let last = index + 1 == count;
                if (last && chunk.len() == 16400)
                    || chunk.len() < 16
                    || cipher.open_chunk(index as u64, chunk, 0).is_err()
                {
                    ok = false;
                    break;
                }
                message.extend_from_slice(&chunk[..chunk.len() - 16]);
            }
            vector.check_released("raw", &message, ok);
            if vector.valid() {
                let mut resealed = Vec::new();
                for (index, piece) in message
                    .chunks(16384)
                    .chain(
                        // The final chunk is empty when the message is a whole number of chunks.
                        message.len().is_multiple_of(16384).then_some(&[][..]),
                    )
                    .enumerate()
                {
                    let mut chunk = piece.to_vec();
                    chunk.extend_from_slice(&[0; 16]);
                    cipher.seal_chunk(index as u64, &mut chunk).unwrap();
                    resealed.extend_from_slice(&chunk);
                }
                assert_eq!(
                    resealed,
                    ciphertext[PREFIX_LEN..],
                    "tc {}: raw re-encryption",
                    vector.tc_id
                );
            }
        }
    }
}

#[test]
fn encryption_with_the_salt_injected_reproduces_valid_vectors() {
    for vector in vectors().into_iter().filter(Vector::valid) {
        let key = hex::decode(&vector.key).unwrap();
        let ctx = hex::decode(&vector.ctx).unwrap();
        let ciphertext = vector.ciphertext();
        let mut message = Vec::new();
        chunked::decrypt(
            Suite::Aes256Gcm,
            &key,
            &ctx,
            &ciphertext[..],
            &mut message,
            Threads::new(1),
        )
        .unwrap();
        for (threads, &backend) in [1, 2]
            .into_iter()
            .flat_map(|threads| Backend::compiled().iter().map(move |b| (threads, b)))
        {
            let options = Options::new(Threads::new(threads), backend);
            let mut entropy = Entropy::fixed(ciphertext[..SALT_LEN].to_vec());
            let mut again = Vec::new();
            chunked::encrypt(
                Suite::Aes256Gcm,
                &key,
                &ctx,
                &mut entropy,
                &message[..],
                &mut again,
                options,
            )
            .unwrap();
            assert!(
                again == ciphertext,
                "tc {}: re-encryption on {threads} thread(s) with {backend} differs",
                vector.tc_id
            );
            let mut entropy = Entropy::fixed(ciphertext[..SALT_LEN].to_vec());
            let in_memory = chunked::encrypt_to_vec(
                Suite::Aes256Gcm,
                &key,
                &ctx,
                &mut entropy,
                &message,
                options,
            )
            .unwrap();
            assert!(
                in_memory == ciphertext,
                "tc {}: in-memory re-encryption on {threads} thread(s) with {backend} differs",
                vector.tc_id
            );
        }
    }
}
