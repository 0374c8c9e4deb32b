//! The embedded engine: one SQLite file in WAL mode with `synchronous = FULL`, so that a commit
//! is on disk before the server answers; each attempt is one `BEGIN IMMEDIATE` transaction.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Failed, NewAccount, PendingLogin, Spend, Store, StoreError, Verified, counter};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account BLOB PRIMARY KEY,
    record BLOB NOT NULL,
    envelope BLOB NOT NULL,
    attempts_left INTEGER NOT NULL CHECK (attempts_left >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    pending INTEGER NOT NULL DEFAULT 0,
    pending_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS logins (
    login_id BLOB PRIMARY KEY,
    account BLOB NOT NULL,
    state BLOB NOT NULL,
    spent INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Erases an account at zero attempts unless a login that spent one is still pending.
const ERASE_AT_ZERO: &str = "DELETE FROM accounts WHERE account = ?1 AND attempts_left = 0
    AND (pending <= 0 OR pending_until <= ?2)";

/// SQLite storage; one connection, used by one blocking task at a time.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let connection = Connection::open(path)?;
        // secure_delete: an erased account's pages are overwritten, not left as free pages.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "secure_delete", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    async fn with<T, F>(&self, job: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a transaction half done (SQLite rolls
            // back an unfinished one), so a poisoned lock is still a sound connection.
            let mut guard = connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            job(&mut guard)
        })
        .await
        .map_err(|_| StoreError::Worker)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create(&self, account: NewAccount) -> Result<bool, StoreError> {
        self.with(move |c| {
            let inserted = c.execute(
                "INSERT INTO accounts (account, record, envelope, attempts_left, max_attempts)
                 VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (account) DO NOTHING",
                params![
                    account.account,
                    account.record,
                    account.envelope,
                    account.max_attempts
                ],
            )?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn spend_attempt(
        &self,
        account: &[u8],
        now: i64,
        expires: i64,
    ) -> Result<Spend, StoreError> {
        let account = account.to_vec();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let spent = tx
                .query_row(
                    "UPDATE accounts SET attempts_left = attempts_left - 1,
                         pending = pending + 1, pending_until = ?2
                     WHERE account = ?1 AND attempts_left > 0
                     RETURNING record, attempts_left",
                    params![account, expires],
                    |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()?;
            let outcome = match spent {
                Some((record, left)) => Spend::Spent {
                    record,
                    attempts_left: counter(left)?,
                },
                None => {
                    tx.execute(ERASE_AT_ZERO, params![account, now])?;
                    Spend::NoKey
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn put_login(
        &self,
        login_id: &[u8],
        login: PendingLogin,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        let login_id = login_id.to_vec();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM logins WHERE expires <= ?1", params![now])?;
            tx.execute(
                "INSERT INTO logins (login_id, account, state, spent, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![login_id, login.account, login.state, login.spent, expires],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn take_login(
        &self,
        login_id: &[u8],
        now: i64,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let login_id = login_id.to_vec();
        self.with(move |c| {
            let taken = c
                .query_row(
                    "DELETE FROM logins WHERE login_id = ?1 RETURNING account, state, spent, expires",
                    params![login_id],
                    |row| {
                        Ok((
                            PendingLogin { account: row.get(0)?, state: row.get(1)?, spent: row.get(2)? },
                            row.get::<_, i64>(3)?,
                        ))
                    },
                )
                .optional()?;
            Ok(taken.and_then(|(login, expires)| (expires > now).then_some(login)))
        })
        .await
    }

    async fn verified(&self, account: &[u8]) -> Result<Option<Verified>, StoreError> {
        let account = account.to_vec();
        self.with(move |c| {
            let row = c
                .query_row(
                    "UPDATE accounts SET attempts_left = max_attempts, pending = MAX(pending - 1, 0)
                     WHERE account = ?1
                     RETURNING envelope, max_attempts",
                    params![account],
                    |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()?;
            row.map(|(envelope, max)| {
                Ok(Verified {
                    envelope,
                    max_attempts: counter(max)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn failed(&self, account: &[u8], now: i64) -> Result<Failed, StoreError> {
        let account = account.to_vec();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let left = tx
                .query_row(
                    "UPDATE accounts SET pending = MAX(pending - 1, 0) WHERE account = ?1
                     RETURNING attempts_left",
                    params![account],
                    |row| row.get::<_, i64>(0),
                )
                .optional()?;
            let outcome = match left {
                None => Failed::NoKey,
                Some(0) if tx.execute(ERASE_AT_ZERO, params![account, now])? == 1 => Failed::Erased,
                Some(left) => Failed::AttemptsLeft(counter(left)?),
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn delete(&self, account: &[u8]) -> Result<bool, StoreError> {
        let account = account.to_vec();
        self.with(move |c| {
            Ok(c.execute("DELETE FROM accounts WHERE account = ?1", params![account])? == 1)
        })
        .await
    }

    async fn attempts_left(&self, account: &[u8]) -> Result<Option<u32>, StoreError> {
        let account = account.to_vec();
        self.with(move |c| {
            c.query_row(
                "SELECT attempts_left FROM accounts WHERE account = ?1",
                params![account],
                |row| row.get::<_, i64>(0),
            )
            .optional()?
            .map(counter)
            .transpose()
        })
        .await
    }
}
