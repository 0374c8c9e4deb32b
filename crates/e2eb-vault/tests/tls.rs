//! HTTPS: the server serves TLS with a given certificate; the client trusts a given CA file and
//! tells a TLS failure apart from other failures.

mod common;

use common::*;
use e2eb_vault::{ClientOptions, VaultClient, VaultError};

fn self_signed(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn tls_with_a_custom_ca_and_its_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (setup, _) = setup_file(dir.path());
    let db = dir.path().join("vault.sqlite");
    let (cert, key) = self_signed(dir.path(), "server");
    let (other_cert, _) = self_signed(dir.path(), "other");
    let server = Server::start(
        &setup,
        db.to_str().unwrap(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let trusted = ClientOptions {
        ca_file: Some(cert.clone()),
        ..ClientOptions::default()
    };
    let vault = VaultClient::new(&server.url, &trusted).unwrap();
    let account = account();
    vault.register(&account, PASSWORD, &[3u8; 32]).unwrap();
    assert_eq!(*vault.login(&account, PASSWORD, None).unwrap(), [3u8; 32]);

    let wrong_ca = ClientOptions {
        ca_file: Some(other_cert),
        ..ClientOptions::default()
    };
    let vault = VaultClient::new(&server.url, &wrong_ca).unwrap();
    assert!(
        matches!(vault.info(), Err(VaultError::Tls(_))),
        "{:?}",
        vault.info()
    );
    let web_roots = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
    assert!(
        matches!(web_roots.info(), Err(VaultError::Tls(_))),
        "{:?}",
        web_roots.info()
    );

    let plain = VaultClient::new(&server.url.replace("https://", "http://"), &trusted).unwrap();
    assert!(
        matches!(
            plain.info(),
            Err(VaultError::Unreachable(_) | VaultError::MalformedResponse(_))
        ),
        "{:?}",
        plain.info()
    );

    let missing = ClientOptions {
        ca_file: Some(dir.path().join("absent.pem")),
        ..ClientOptions::default()
    };
    assert!(matches!(
        VaultClient::new(&server.url, &missing),
        Err(VaultError::CaFile { .. })
    ));
}
