//! The PostgreSQL engine with two server processes over one database: the attempt counter stays
//! exact under concurrent logins spread over both. Starts its own cluster in a temporary
//! directory; skipped (and says so) when PostgreSQL is not installed, unless
//! E2EB_REQUIRE_POSTGRES=1.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use e2eb_vault::protocol::{ErrorCode, ErrorReply};
use e2eb_vault::{ClientOptions, VaultClient, VaultError};

fn concurrent_wrong_logins(urls: &[String], account: &[u8], n: usize) -> Vec<(u16, ErrorReply)> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let url = urls[i % urls.len()].clone();
            let account = account.to_vec();
            std::thread::spawn(move || {
                let agent = agent();
                barrier.wait();
                let (status, body) = wrong_login_raw(&agent, &url, &account);
                (status, serde_json::from_str::<ErrorReply>(&body).unwrap())
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn two_servers_share_one_database_and_the_counter_stays_exact() {
    let Some(postgres) =
        Postgres::start("two_servers_share_one_database_and_the_counter_stays_exact")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (setup, loaded) = setup_file(dir.path());
    let first = Server::start(&setup, &postgres.url, &[], &[]);
    let second = Server::start(&setup, &postgres.url, &[], &[]);
    let urls = vec![first.url.clone(), second.url.clone()];

    // Registered through one, logged in through the other.
    let account = account();
    let secret = [0x17u8; 32];
    VaultClient::new(&first.url, &ClientOptions::default())
        .unwrap()
        .register(&account, PASSWORD, &secret)
        .unwrap();
    let other = VaultClient::new(&second.url, &ClientOptions::default()).unwrap();
    assert_eq!(
        *other
            .login(&account, PASSWORD, Some(&loaded.vault_id()))
            .unwrap(),
        secret
    );

    // 100 concurrent wrong logins over both servers against 10 attempts.
    let outcomes = concurrent_wrong_logins(&urls, &account, 100);
    let spent = outcomes
        .iter()
        .filter(|(_, r)| matches!(r.error, ErrorCode::WrongPassword | ErrorCode::Erased))
        .count();
    let erased = outcomes
        .iter()
        .filter(|(s, r)| *s == 410 && r.error == ErrorCode::Erased)
        .count();
    let no_key = outcomes
        .iter()
        .filter(|(s, r)| *s == 404 && r.error == ErrorCode::NoKey)
        .count();
    assert_eq!((spent, erased, no_key), (10, 1, 90), "{outcomes:?}");
    assert_eq!(
        stored_attempts(&postgres.url, &account),
        None,
        "the record is erased"
    );
    assert!(matches!(
        other.login(&account, PASSWORD, None),
        Err(VaultError::NoKey)
    ));
}

#[test]
fn two_servers_lose_no_decrement_under_concurrency() {
    let Some(postgres) = Postgres::start("two_servers_lose_no_decrement_under_concurrency") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (setup, _) = setup_file(dir.path());
    let first = Server::start(&setup, &postgres.url, &["--max-attempts", "150"], &[]);
    let second = Server::start(&setup, &postgres.url, &["--max-attempts", "150"], &[]);
    let account = account();
    let vault = VaultClient::new(&first.url, &ClientOptions::default()).unwrap();
    vault.register(&account, PASSWORD, &[1u8; 32]).unwrap();
    let outcomes = concurrent_wrong_logins(&[first.url.clone(), second.url.clone()], &account, 100);
    assert!(
        outcomes
            .iter()
            .all(|(s, r)| *s == 403 && r.error == ErrorCode::WrongPassword)
    );
    assert_eq!(stored_attempts(&postgres.url, &account), Some(50));

    // A restart of both servers loses nothing; a verified login restores the maximum.
    first.kill();
    second.kill();
    let third = Server::start(&setup, &postgres.url, &["--max-attempts", "150"], &[]);
    assert_eq!(stored_attempts(&postgres.url, &account), Some(50));
    let vault = VaultClient::new(&third.url, &ClientOptions::default()).unwrap();
    assert_eq!(
        vault
            .status(&account, PASSWORD, None)
            .unwrap()
            .attempts_left,
        150
    );
}

#[test]
fn setup_secret_never_reaches_the_postgres_data_directory() {
    let Some(postgres) = Postgres::start("setup_secret_never_reaches_the_postgres_data_directory")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (setup, loaded) = setup_file(dir.path());
    let server = Server::start(&setup, &postgres.url, &[], &[]);
    let vault = VaultClient::new(&server.url, &ClientOptions::default()).unwrap();
    let accounts: Vec<Vec<u8>> = (0..3).map(|_| account()).collect();
    for account in &accounts {
        vault.register(account, PASSWORD, &[0x17; 32]).unwrap();
        let _ = wrong_login_raw(&agent(), &server.url, account);
        vault.login(account, PASSWORD, None).unwrap();
    }
    let _ = login_start(&agent(), &server.url, &common::account());
    vault.delete(&accounts[0], PASSWORD, None).unwrap();
    // Every file of the cluster: tables, indexes, the WAL (written at each commit, fsync on),
    // the commit log and the statistics.
    let files = files_under(&postgres.data_dir());
    let read = assert_no_setup_secret_in(&files, &loaded, &accounts[1]);
    assert!(read > 100, "only {read} files of the cluster were read");
    server.kill();
}
