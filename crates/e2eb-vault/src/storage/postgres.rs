//! The shared engine: PostgreSQL, for several server processes over one database. Every step is
//! a single statement (recording a failure: one transaction); a conditional `UPDATE … RETURNING`
//! takes the row lock and re-checks its condition after waiting for a concurrent writer, so the
//! counter stays exact across processes.
//!
//! The connection has no TLS: reach the database over a Unix socket or loopback.

use async_trait::async_trait;
use tokio_postgres::{Client, NoTls};

use super::{Failed, NewAccount, PendingLogin, Spend, Store, StoreError, Verified, counter};

// The advisory lock serialises schema creation when several servers start at once
// (CREATE TABLE IF NOT EXISTS alone can race on the catalog).
const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7306374582921536612);
CREATE TABLE IF NOT EXISTS vault_accounts (
    account BYTEA PRIMARY KEY,
    record BYTEA NOT NULL,
    envelope BYTEA NOT NULL,
    attempts_left INTEGER NOT NULL CHECK (attempts_left >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    pending INTEGER NOT NULL DEFAULT 0,
    pending_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS vault_logins (
    login_id BYTEA PRIMARY KEY,
    account BYTEA NOT NULL,
    state BYTEA NOT NULL,
    spent BOOLEAN NOT NULL,
    expires BIGINT NOT NULL
);
COMMIT;
";

/// Erases an account at zero attempts unless a login that spent one is still pending. Its
/// conditions are on the row alone, so that PostgreSQL re-checks all of them on the newest
/// version of the row after waiting for a concurrent writer.
const ERASE_AT_ZERO: &str = "DELETE FROM vault_accounts WHERE account = $1 AND attempts_left = 0
    AND (pending <= 0 OR pending_until <= $2)";

/// PostgreSQL storage: one pipelined connection for the single-statement steps, and one for the
/// step that needs a transaction (recording a failure), taken by one request at a time.
#[derive(Debug)]
pub struct PostgresStore {
    client: Client,
    transactions: tokio::sync::Mutex<Client>,
}

async fn connection(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        // The connection ends when the client is dropped or the server goes; requests then
        // fail with the client's error, which the server reports as internal.
        let _ = connection.await;
    });
    Ok(client)
}

impl PostgresStore {
    /// Connects to `url` and creates the tables if they are missing.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let client = connection(url).await?;
        client.batch_execute(SCHEMA).await?;
        let transactions = tokio::sync::Mutex::new(connection(url).await?);
        Ok(PostgresStore {
            client,
            transactions,
        })
    }
}

fn to_i32(value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::Damaged("attempt maximum out of range"))
}

#[async_trait]
impl Store for PostgresStore {
    async fn create(&self, account: NewAccount) -> Result<bool, StoreError> {
        let max = to_i32(account.max_attempts)?;
        let inserted = self
            .client
            .execute(
                "INSERT INTO vault_accounts (account, record, envelope, attempts_left, max_attempts)
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account) DO NOTHING",
                &[&account.account, &account.record, &account.envelope, &max],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn spend_attempt(
        &self,
        account: &[u8],
        now: i64,
        expires: i64,
    ) -> Result<Spend, StoreError> {
        let row = self
            .client
            .query_opt(
                "UPDATE vault_accounts SET attempts_left = attempts_left - 1,
                     pending = pending + 1, pending_until = $2
                 WHERE account = $1 AND attempts_left > 0
                 RETURNING record, attempts_left",
                &[&account, &expires],
            )
            .await?;
        match row {
            Some(row) => Ok(Spend::Spent {
                record: row.try_get(0)?,
                attempts_left: counter(i64::from(row.try_get::<_, i32>(1)?))?,
            }),
            None => {
                self.client
                    .execute(ERASE_AT_ZERO, &[&account, &now])
                    .await?;
                Ok(Spend::NoKey)
            }
        }
    }

    async fn put_login(
        &self,
        login_id: &[u8],
        login: PendingLogin,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.client
            .execute("DELETE FROM vault_logins WHERE expires <= $1", &[&now])
            .await?;
        self.client
            .execute(
                "INSERT INTO vault_logins (login_id, account, state, spent, expires)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &login_id,
                    &login.account,
                    &login.state,
                    &login.spent,
                    &expires,
                ],
            )
            .await?;
        Ok(())
    }

    async fn take_login(
        &self,
        login_id: &[u8],
        now: i64,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let row = self
            .client
            .query_opt(
                "DELETE FROM vault_logins WHERE login_id = $1 RETURNING account, state, spent, expires",
                &[&login_id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: i64 = row.try_get(3)?;
        if expires <= now {
            return Ok(None);
        }
        Ok(Some(PendingLogin {
            account: row.try_get(0)?,
            state: row.try_get(1)?,
            spent: row.try_get(2)?,
        }))
    }

    async fn verified(&self, account: &[u8]) -> Result<Option<Verified>, StoreError> {
        let row = self
            .client
            .query_opt(
                "UPDATE vault_accounts SET attempts_left = max_attempts,
                     pending = GREATEST(pending - 1, 0)
                 WHERE account = $1
                 RETURNING envelope, max_attempts",
                &[&account],
            )
            .await?;
        row.map(|row| {
            Ok(Verified {
                envelope: row.try_get(0)?,
                max_attempts: counter(i64::from(row.try_get::<_, i32>(1)?))?,
            })
        })
        .transpose()
    }

    async fn failed(&self, account: &[u8], now: i64) -> Result<Failed, StoreError> {
        // One transaction: the row stays locked from the decrement to the erasure, so a
        // concurrent start cannot erase it in between and the erasure is told to this request.
        let mut client = self.transactions.lock().await;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "UPDATE vault_accounts SET pending = GREATEST(pending - 1, 0) WHERE account = $1
                 RETURNING attempts_left",
                &[&account],
            )
            .await?;
        let outcome = match row {
            None => Failed::NoKey,
            Some(row) => {
                let left = counter(i64::from(row.try_get::<_, i32>(0)?))?;
                if left == 0 && tx.execute(ERASE_AT_ZERO, &[&account, &now]).await? == 1 {
                    Failed::Erased
                } else {
                    Failed::AttemptsLeft(left)
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn delete(&self, account: &[u8]) -> Result<bool, StoreError> {
        Ok(self
            .client
            .execute("DELETE FROM vault_accounts WHERE account = $1", &[&account])
            .await?
            == 1)
    }

    async fn attempts_left(&self, account: &[u8]) -> Result<Option<u32>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT attempts_left FROM vault_accounts WHERE account = $1",
                &[&account],
            )
            .await?;
        row.map(|row| counter(i64::from(row.try_get::<_, i32>(0)?)))
            .transpose()
    }
}
