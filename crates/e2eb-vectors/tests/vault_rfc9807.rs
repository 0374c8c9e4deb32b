//! The vault vectors' named inputs mean what RFC 9807's mean: the same transcript code, run with a
//! script built from RFC 9807's Appendix C.1.1 inputs (ristretto255, SHA-512, identity KSF,
//! context "OPAQUE-POC"), reproduces that test vector's outputs. The vault's suite differs only
//! in its KSF, so the draw order, the blinds' encoding and the script are the same.

use e2eb_vectors::vault_protocol::rng::FixedRng;
use e2eb_vectors::vault_protocol::transcript::{login, register, script, server_finish};
use opaque_ke::{Ristretto255, ServerSetup, TripleDh};

struct Rfc9807Suite;

impl opaque_ke::CipherSuite for Rfc9807Suite {
    type OprfCs = Ristretto255;
    type KeyExchange = TripleDh<Ristretto255, sha2_010::Sha512>;
    type Ksf = opaque_ke::ksf::Identity;
}

/// RFC 9807, Appendix C.1.1 (OPAQUE-3DH Real Test Vector 1): inputs and outputs.
const VECTOR: &[(&str, &str)] = &[
    (
        "oprf_seed",
        "f433d0227b0b9dd54f7c4422b600e764e47fb503f1f9a0f0a47c6606b054a7fdc65347f1a08f277e22358bbabe26f823fca82c7848e9a75661f4ec5d5c1989ef",
    ),
    ("credential_identifier", "31323334"),
    (
        "password",
        "436f7272656374486f72736542617474657279537461706c65",
    ),
    (
        "envelope_nonce",
        "ac13171b2f17bc2c74997f0fce1e1f35bec6b91fe2e12dbd323d23ba7a38dfec",
    ),
    (
        "masking_nonce",
        "38fe59af0df2c79f57b8780278f5ae47355fe1f817119041951c80f612fdfc6d",
    ),
    (
        "server_private_key",
        "47451a85372f8b3537e249d7b54188091fb18edde78094b43e2ba42b5eb89f0d",
    ),
    (
        "server_public_key",
        "b2fe7af9f48cc502d016729d2fe25cdd433f2c4bc904660b2a382c9b79df1a78",
    ),
    (
        "server_nonce",
        "71cd9960ecef2fe0d0f7494986fa3d8b2bb01963537e60efb13981e138e3d4a1",
    ),
    (
        "client_nonce",
        "da7e07376d6d6f034cfa9bb537d11b8c6b4238c334333d1f0aebb380cae6a6cc",
    ),
    (
        "client_keyshare_seed",
        "82850a697b42a505f5b68fcdafce8c31f0af2b581f063cf1091933541936304b",
    ),
    (
        "server_keyshare_seed",
        "05a4f54206eef1ba2f615bc0aa285cb22f26d1153b5b40a1e85ff80da12f982f",
    ),
    (
        "blind_registration",
        "76cfbfe758db884bebb33582331ba9f159720ca8784a2a070a265d9c2d6abe01",
    ),
    (
        "blind_login",
        "6ecc102d2e7a7cf49617aad7bbe188556792d4acd60a1a8a8d2b65d4b0790308",
    ),
    (
        "registration_request",
        "5059ff249eb1551b7ce4991f3336205bde44a105a032e747d21bf382e75f7a71",
    ),
    (
        "registration_response",
        "7408a268083e03abc7097fc05b587834539065e86fb0c7b6342fcf5e01e5b019b2fe7af9f48cc502d016729d2fe25cdd433f2c4bc904660b2a382c9b79df1a78",
    ),
    (
        "registration_upload",
        "76a845464c68a5d2f7e442436bb1424953b17d3e2e289ccbaccafb57ac5c36751ac5844383c7708077dea41cbefe2fa15724f449e535dd7dd562e66f5ecfb95864eadddec9db5874959905117dad40a4524111849799281fefe3c51fa82785c5ac13171b2f17bc2c74997f0fce1e1f35bec6b91fe2e12dbd323d23ba7a38dfec634b0f5b96109c198a8027da51854c35bee90d1e1c781806d07d49b76de6a28b8d9e9b6c93b9f8b64d16dddd9c5bfb5fea48ee8fd2f75012a8b308605cdd8ba5",
    ),
    (
        "KE1",
        "c4dedb0ba6ed5d965d6f250fbe554cd45cba5dfcce3ce836e4aee778aa3cd44dda7e07376d6d6f034cfa9bb537d11b8c6b4238c334333d1f0aebb380cae6a6cc6e29bee50701498605b2c085d7b241ca15ba5c32027dd21ba420b94ce60da326",
    ),
    (
        "KE2",
        "7e308140890bcde30cbcea28b01ea1ecfbd077cff62c4def8efa075aabcbb47138fe59af0df2c79f57b8780278f5ae47355fe1f817119041951c80f612fdfc6dd6ec60bcdb26dc455ddf3e718f1020490c192d70dfc7e403981179d8073d1146a4f9aa1ced4e4cd984c657eb3b54ced3848326f70331953d91b02535af44d9fedc80188ca46743c52786e0382f95ad85c08f6afcd1ccfbff95e2bdeb015b166c6b20b92f832cc6df01e0b86a7efd92c1c804ff865781fa93f2f20b446c8371b671cd9960ecef2fe0d0f7494986fa3d8b2bb01963537e60efb13981e138e3d4a1c4f62198a9d6fa9170c42c3c71f1971b29eb1d5d0bd733e40816c91f7912cc4a660c48dae03e57aaa38f3d0cffcfc21852ebc8b405d15bd6744945ba1a93438a162b6111699d98a16bb55b7bdddfe0fc5608b23da246e7bd73b47369169c5c90",
    ),
    (
        "KE3",
        "4455df4f810ac31a6748835888564b536e6da5d9944dfea9e34defb9575fe5e2661ef61d2ae3929bcf57e53d464113d364365eb7d1a57b629707ca48da18e442",
    ),
    (
        "export_key",
        "1ef15b4fa99e8a852412450ab78713aad30d21fa6966c9b8c9fb3262a970dc62950d4dd4ed62598229b1b72794fc0335199d9f7fcc6eaedde92cc04870e63f16",
    ),
    (
        "session_key",
        "42afde6f5aca0cfa5c163763fbad55e73a41db6b41bc87b8e7b62214a8eedc6731fa3cb857d657ab9b3764b89a84e91ebcb4785166fbb02cedfcbdfda215b96f",
    ),
];

fn value(name: &str) -> Vec<u8> {
    let (_, text) = VECTOR.iter().find(|(n, _)| *n == name).expect(name);
    hex::decode(text).unwrap()
}

#[test]
fn the_named_inputs_reproduce_rfc9807_appendix_c_1_1() {
    let setup = ServerSetup::<Rfc9807Suite>::deserialize(
        &[
            value("oprf_seed"),
            value("server_private_key"),
            value("server_public_key"),
        ]
        .concat(),
    )
    .unwrap();
    assert_eq!(
        setup.keypair().public().serialize().to_vec(),
        value("server_public_key")
    );
    let named: Vec<(&'static str, Vec<u8>)> = vec![
        ("blindRegistration", value("blind_registration")),
        ("envelopeNonce", value("envelope_nonce")),
        ("blindLogin", value("blind_login")),
        ("clientKeyshareSeed", value("client_keyshare_seed")),
        ("clientNonce", value("client_nonce")),
        ("dummyMaskingKey", vec![0u8; 64]),
        ("maskingNonce", value("masking_nonce")),
        ("serverKeyshareSeed", value("server_keyshare_seed")),
        ("serverNonce", value("server_nonce")),
    ];
    let mut rng = FixedRng::script(script(&named));
    let account = value("credential_identifier");
    let password = value("password");
    let registration = register::<Rfc9807Suite>(&mut rng, &setup, &account, &password).unwrap();
    let login = login::<Rfc9807Suite>(
        &mut rng,
        &setup,
        &registration.upload,
        &account,
        &password,
        b"OPAQUE-POC",
    )
    .unwrap();
    rng.finish().unwrap();
    assert_eq!(registration.request, value("registration_request"));
    assert_eq!(registration.response, value("registration_response"));
    assert_eq!(registration.upload, value("registration_upload"));
    assert_eq!(registration.export_key, value("export_key"));
    assert_eq!(login.ke1, value("KE1"));
    assert_eq!(login.ke2, value("KE2"));
    let done = login.finished.unwrap();
    assert_eq!(done.ke3, value("KE3"));
    assert_eq!(done.export_key, value("export_key"));
    assert_eq!(done.session_key, value("session_key"));
    assert_eq!(
        server_finish::<Rfc9807Suite>(&login.server_state, &done.ke3, b"OPAQUE-POC").unwrap(),
        Ok(value("session_key"))
    );
}
