//! A crash between the committed attempt and the answer costs the attempt (fail closed), and
//! restarts lose nothing. Needs the `failpoints` feature:
//! `cargo test -p e2eb-vault --features failpoints --test crash`.
#![cfg(feature = "failpoints")]

mod common;

use common::*;
use e2eb_vault::protocol::ErrorReply;
use e2eb_vault::{ClientOptions, VaultClient, VaultError};

#[test]
fn a_crash_after_the_spent_attempt_counts_it_and_restarts_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (setup, _) = setup_file(dir.path());
    let db = dir.path().join("vault.sqlite").to_str().unwrap().to_owned();
    let secret = [0x42u8; 32];
    let account = account();
    {
        let server = Server::start(&setup, &db, &[], &[]);
        let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
        vault.register(&account, PASSWORD, &secret).unwrap();
        server.kill();
    }
    // Two crashes, each at the moment the attempt is committed and nothing is answered yet.
    for crashes in 1..=2u32 {
        let mut server =
            Server::start(&setup, &db, &[], &[("E2EB_VAULT_FAILPOINT", "after-spend")]);
        let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
        // Even the right password: the client gets no answer.
        assert!(matches!(
            vault.login(&account, PASSWORD, None),
            Err(VaultError::Unreachable(_))
        ));
        let status = server.child.wait().unwrap();
        assert!(!status.success(), "the failpoint ended the server");
        assert!(!server.alive());
        assert_eq!(stored_attempts(&db, &account), Some(10 - crashes));
    }
    let server = Server::start(&setup, &db, &[], &[]);
    let (status, body) = wrong_login_raw(&agent(), &server.url, &account);
    assert_eq!(status, 403);
    assert_eq!(
        serde_json::from_str::<ErrorReply>(&body)
            .unwrap()
            .attempts_left,
        Some(7)
    );
    let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
    assert_eq!(*vault.login(&account, PASSWORD, None).unwrap(), secret);
    assert_eq!(stored_attempts(&db, &account), Some(10));
    server.kill();

    let server = Server::start(&setup, &db, &[], &[]);
    let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
    assert_eq!(
        vault
            .status(&account, PASSWORD, None)
            .unwrap()
            .attempts_left,
        10
    );
    assert_eq!(*vault.login(&account, PASSWORD, None).unwrap(), secret);
}
