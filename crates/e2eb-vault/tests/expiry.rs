//! VAULT.md's clock rules, on both engines, with the clock given to the store (every storage
//! step takes `now`), so no test waits a minute: a pending login lives 60 seconds, and an account
//! at zero is erased only once no login that spent an attempt is pending. The PostgreSQL test
//! starts its own cluster, and is skipped (saying so) without PostgreSQL unless
//! E2EB_REQUIRE_POSTGRES=1.

mod common;

use common::*;
use e2eb_vault::server::LOGIN_TTL_SECS;
use e2eb_vault::storage::{self, Failed, NewAccount, PendingLogin, Spend, Store};

const T0: i64 = 1_800_000_000;

async fn new_account(store: &dyn Store, max_attempts: u32) -> Vec<u8> {
    let account = account();
    let created = store
        .create(NewAccount {
            account: account.clone(),
            record: vec![7; 64],
            envelope: vec![8; 60],
            max_attempts,
        })
        .await
        .unwrap();
    assert!(created);
    account
}

async fn spend(store: &dyn Store, account: &[u8], now: i64) -> Option<u32> {
    match store
        .spend_attempt(account, now, now + LOGIN_TTL_SECS)
        .await
        .unwrap()
    {
        Spend::Spent { attempts_left, .. } => Some(attempts_left),
        Spend::NoKey => None,
    }
}

async fn clock_rules(db: &str) {
    let store = storage::open(db).await.unwrap();
    let store = store.as_ref();

    // A pending login is taken up to 60 seconds after its start, and not after.
    let account = new_account(store, 10).await;
    for (id, age, kept) in [
        (1u8, LOGIN_TTL_SECS - 1, true),
        (2, LOGIN_TTL_SECS + 1, false),
    ] {
        let login = PendingLogin {
            account: account.clone(),
            state: vec![id; 32],
            spent: true,
        };
        store
            .put_login(&[id; 32], login, T0, T0 + LOGIN_TTL_SECS)
            .await
            .unwrap();
        let taken = store.take_login(&[id; 32], T0 + age).await.unwrap();
        assert_eq!(taken.is_some(), kept, "a login {age} s old");
        // Taken or expired, it answers no second finish.
        assert!(store.take_login(&[id; 32], T0).await.unwrap().is_none());
    }

    // Two logins start on the last two attempts. The first fails while the second is still
    // pending: the counter is at zero, but the account stays, since the second may be right.
    let account = new_account(store, 2).await;
    assert_eq!(spend(store, &account, T0).await, Some(1));
    assert_eq!(spend(store, &account, T0 + 1).await, Some(0));
    assert_eq!(
        store.failed(&account, T0 + 2).await.unwrap(),
        Failed::AttemptsLeft(0)
    );
    assert_eq!(store.attempts_left(&account).await.unwrap(), Some(0));
    // At zero, a new start spends nothing and gets no key, but erases nothing while the second
    // login is pending.
    assert_eq!(spend(store, &account, T0 + 3).await, None);
    assert_eq!(store.attempts_left(&account).await.unwrap(), Some(0));
    // The second login never finishes (its client went away). Once its 60 seconds have passed,
    // the next start erases the account for good.
    assert_eq!(
        spend(store, &account, T0 + 1 + LOGIN_TTL_SECS + 1).await,
        None
    );
    assert_eq!(store.attempts_left(&account).await.unwrap(), None);

    // The same, ended by a late failure: past the other login's deadline, the failure erases.
    let account = new_account(store, 2).await;
    assert_eq!(spend(store, &account, T0).await, Some(1));
    assert_eq!(spend(store, &account, T0).await, Some(0));
    assert_eq!(
        store
            .failed(&account, T0 + LOGIN_TTL_SECS + 1)
            .await
            .unwrap(),
        Failed::Erased
    );
    assert_eq!(store.attempts_left(&account).await.unwrap(), None);
}

#[test]
fn sqlite_pending_logins_expire_and_an_account_at_zero_is_erased_once_none_is_pending() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.sqlite").to_str().unwrap().to_owned();
    block_on(clock_rules(&db));
}

#[test]
fn postgres_pending_logins_expire_and_an_account_at_zero_is_erased_once_none_is_pending() {
    let Some(postgres) = Postgres::start(
        "postgres_pending_logins_expire_and_an_account_at_zero_is_erased_once_none_is_pending",
    ) else {
        return;
    };
    block_on(clock_rules(&postgres.url));
}
