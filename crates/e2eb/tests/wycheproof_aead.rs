//! Wycheproof's AES-GCM and ChaCha20-Poly1305 vectors. Those with empty associated data (the
//! only kind e2eb uses) go through the suites' `ChunkAead` interface of every backend of this
//! build, in place and out of place; every vector of the 256-bit-key, 96-bit-nonce, 128-bit-tag
//! groups goes through the RustCrypto primitives the reference backend is built on.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use e2eb::{Backend, Suite};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VectorFile {
    number_of_tests: usize,
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    key_size: usize,
    iv_size: usize,
    tag_size: usize,
    tests: Vec<Vector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    tc_id: u32,
    key: String,
    iv: String,
    aad: String,
    msg: String,
    ct: String,
    tag: String,
    result: String,
}

fn applicable(text: &str) -> (usize, Vec<Vector>) {
    let file: VectorFile = serde_json::from_str(text).unwrap();
    let total = file
        .test_groups
        .iter()
        .map(|g| g.tests.len())
        .sum::<usize>();
    assert_eq!(total, file.number_of_tests);
    let vectors = file
        .test_groups
        .into_iter()
        .filter(|g| (g.key_size, g.iv_size, g.tag_size) == (256, 96, 128))
        .flat_map(|g| g.tests)
        .collect();
    (total, vectors)
}

fn decode(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

/// Runs `vectors` through the suite's `ChunkAead` (empty AAD only) and through `primitive`
/// (all); returns how many went through each.
fn apply(
    suite: Suite,
    vectors: &[Vector],
    primitive: impl Fn(&[u8], &[u8], Payload<'_, '_>) -> Result<Vec<u8>, ()>,
) -> (usize, usize) {
    let mut through_interface = 0;
    for vector in vectors {
        let (key, iv, aad, msg, ct, tag) = (
            decode(&vector.key),
            decode(&vector.iv),
            decode(&vector.aad),
            decode(&vector.msg),
            decode(&vector.ct),
            decode(&vector.tag),
        );
        let valid = vector.result != "invalid";
        let sealed = [&ct[..], &tag[..]].concat();
        let opened = primitive(
            &key,
            &iv,
            Payload {
                msg: &sealed,
                aad: &aad,
            },
        );
        assert_eq!(
            opened.is_ok(),
            valid,
            "{suite} tc {}: primitive verdict",
            vector.tc_id
        );
        if valid {
            assert_eq!(opened.unwrap(), msg, "{suite} tc {}", vector.tc_id);
        }
        if !aad.is_empty() {
            continue;
        }
        through_interface += 1;
        let key: [u8; 32] = key.try_into().unwrap();
        let nonce: [u8; 12] = iv.try_into().unwrap();
        let tag: [u8; 16] = tag.try_into().unwrap();
        for &backend in Backend::compiled() {
            let aead = backend.cipher(suite, &key);
            let id = format!("{suite} {backend} tc {}", vector.tc_id);
            let mut buffer = ct.clone();
            let outcome = aead.open_in_place(&nonce, &mut buffer, &tag);
            assert_eq!(outcome.is_ok(), valid, "{id}: open_in_place verdict");
            let mut out = vec![0u8; ct.len()];
            let outcome = aead.open_to(&nonce, &ct, &tag, &mut out);
            assert_eq!(outcome.is_ok(), valid, "{id}: open_to verdict");
            if valid {
                assert_eq!(buffer, msg, "{id}: open_in_place");
                assert_eq!(out, msg, "{id}: open_to");
                let mut resealed = msg.clone();
                assert_eq!(aead.seal_in_place(&nonce, &mut resealed), tag, "{id}: tag");
                assert_eq!(resealed, ct, "{id}: seal_in_place");
                let mut sealed_to = vec![0u8; msg.len()];
                assert_eq!(aead.seal_to(&nonce, &msg, &mut sealed_to), tag, "{id}: tag");
                assert_eq!(sealed_to, ct, "{id}: seal_to");
            }
        }
    }
    (through_interface, vectors.len())
}

#[test]
fn aes_256_gcm() {
    let (total, vectors) = applicable(include_str!("data/wycheproof/aes_gcm_test.json"));
    let (interface, primitive) = apply(Suite::Aes256Gcm, &vectors, |key, iv, payload| {
        aes_gcm::Aes256Gcm::new_from_slice(key)
            .unwrap()
            .decrypt(iv.try_into().unwrap(), payload)
            .map_err(|_| ())
    });
    println!(
        "aes_gcm_test.json: {interface} through ChunkAead, {primitive} through aes-gcm, of {total}"
    );
    assert_eq!((interface, primitive), (48, 66));
}

#[test]
fn chacha20_poly1305() {
    let (total, vectors) = applicable(include_str!("data/wycheproof/chacha20_poly1305_test.json"));
    let (interface, primitive) = apply(Suite::ChaCha20Poly1305, &vectors, |key, iv, payload| {
        chacha20poly1305::ChaCha20Poly1305::new_from_slice(key)
            .unwrap()
            .decrypt(iv.try_into().unwrap(), payload)
            .map_err(|_| ())
    });
    println!(
        "chacha20_poly1305_test.json: {interface} through ChunkAead, {primitive} through chacha20poly1305, of {total}"
    );
    assert_eq!((interface, primitive), (45, 316));
}
