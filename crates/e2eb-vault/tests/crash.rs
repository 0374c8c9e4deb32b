//! `kill -9` of the server between the committed attempt and the answer costs the attempt (fail
//! closed), and restarts lose nothing, on SQLite and on PostgreSQL. Needs the `failpoints`
//! feature: `cargo test -p e2eb-vault --features failpoints --test crash`. The PostgreSQL test
//! starts its own cluster, and is skipped (saying so) without PostgreSQL unless
//! E2EB_REQUIRE_POSTGRES=1.
#![cfg(feature = "failpoints")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use e2eb_vault::protocol::ErrorReply;
use e2eb_vault::{ClientOptions, VaultClient, VaultError};

/// Logs in with the right password through a server held at the failpoint, waits until the
/// attempt is committed (the failpoint's mark), then SIGKILLs the server before it answers.
fn login_killed_after_the_spend(setup: &Path, db: &str, account: &[u8], mark: &Path) {
    let _ = std::fs::remove_file(mark);
    let mark_text = mark.to_str().unwrap();
    let mut server = Server::start(
        setup,
        db,
        &[],
        &[
            ("E2EB_VAULT_FAILPOINT", "after-spend"),
            ("E2EB_VAULT_FAILPOINT_MARK", mark_text),
        ],
    );
    let url = server.url.clone();
    let account = account.to_vec();
    // Even the right password: the client gets no answer.
    let login = std::thread::spawn(move || {
        let vault = VaultClient::new(&url, &ClientOptions::default()).unwrap();
        vault.login(&account, PASSWORD, None).map(|_| ())
    });
    // A bound on a wait, not a speed check: the mark comes after one database write.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !mark.exists() {
        assert!(server.alive(), "the server ended before the failpoint");
        assert!(Instant::now() < deadline, "the failpoint was never reached");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The literal `kill -9`: std's Child::kill sends SIGKILL on unix.
    server.child.kill().unwrap();
    let status = server.child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status:?}");
    assert!(matches!(
        login.join().unwrap(),
        Err(VaultError::Unreachable(_))
    ));
}

fn a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing(dir: &Path, db: &str) {
    let (setup, _) = setup_file(dir);
    let secret = [0x42u8; 32];
    let account = account();
    {
        let server = Server::start(&setup, db, &[], &[]);
        let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
        vault.register(&account, PASSWORD, &secret).unwrap();
        server.kill();
    }
    let mark = dir.join("failpoint-reached");
    for kills in 1..=2u32 {
        login_killed_after_the_spend(&setup, db, &account, &mark);
        assert_eq!(stored_attempts(db, &account), Some(10 - kills));
    }
    let server = Server::start(&setup, db, &[], &[]);
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
    assert_eq!(stored_attempts(db, &account), Some(10));
    server.kill();

    let server = Server::start(&setup, db, &[], &[]);
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

#[test]
fn sqlite_a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.sqlite").to_str().unwrap().to_owned();
    a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing(dir.path(), &db);
}

#[test]
fn postgres_a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing() {
    let Some(postgres) = Postgres::start(
        "postgres_a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    a_kill_after_the_spent_attempt_counts_it_and_restarts_lose_nothing(dir.path(), &postgres.url);
}
