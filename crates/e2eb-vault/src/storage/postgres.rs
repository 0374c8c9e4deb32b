//! The shared engine: PostgreSQL, for several server processes over one database. Every step is
//! a single statement; a conditional `UPDATE … RETURNING` takes the row lock and re-checks its
//! condition after waiting for a concurrent writer, so the counter stays exact across processes.
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
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0)
);
CREATE TABLE IF NOT EXISTS vault_logins (
    login_id BYTEA PRIMARY KEY,
    account BYTEA NOT NULL,
    state BYTEA NOT NULL,
    spent BOOLEAN NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS vault_logins_account ON vault_logins (account);
COMMIT;
";

/// Erases an account at zero attempts unless a login that spent one is still pending.
const ERASE_IF_SPENT: &str = "DELETE FROM vault_accounts WHERE account = $1 AND attempts_left = 0
    AND NOT EXISTS (SELECT 1 FROM vault_logins WHERE account = $1 AND spent AND expires > $2)";

/// PostgreSQL storage over one pipelined connection.
#[derive(Debug)]
pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connects to `url` and creates the tables if they are missing.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            // The connection ends when the client is dropped or the server goes; requests then
            // fail with the client's error, which the server reports as internal.
            let _ = connection.await;
        });
        client.batch_execute(SCHEMA).await?;
        Ok(PostgresStore { client })
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

    async fn spend_attempt(&self, account: &[u8], now: i64) -> Result<Spend, StoreError> {
        let row = self
            .client
            .query_opt(
                "UPDATE vault_accounts SET attempts_left = attempts_left - 1
                 WHERE account = $1 AND attempts_left > 0
                 RETURNING record, attempts_left",
                &[&account],
            )
            .await?;
        match row {
            Some(row) => Ok(Spend::Spent {
                record: row.try_get(0)?,
                attempts_left: counter(i64::from(row.try_get::<_, i32>(1)?))?,
            }),
            None => {
                self.client.execute(ERASE_IF_SPENT, &[&account, &now]).await?;
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
        self.client.execute("DELETE FROM vault_logins WHERE expires <= $1", &[&now]).await?;
        self.client
            .execute(
                "INSERT INTO vault_logins (login_id, account, state, spent, expires)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&login_id, &login.account, &login.state, &login.spent, &expires],
            )
            .await?;
        Ok(())
    }

    async fn take_login(&self, login_id: &[u8], now: i64) -> Result<Option<PendingLogin>, StoreError> {
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
        Ok(Some(PendingLogin { account: row.try_get(0)?, state: row.try_get(1)?, spent: row.try_get(2)? }))
    }

    async fn verified(&self, account: &[u8]) -> Result<Option<Verified>, StoreError> {
        let row = self
            .client
            .query_opt(
                "UPDATE vault_accounts SET attempts_left = max_attempts WHERE account = $1
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
        let erased = self.client.execute(ERASE_IF_SPENT, &[&account, &now]).await?;
        if erased == 1 {
            return Ok(Failed::Erased);
        }
        let row = self
            .client
            .query_opt("SELECT attempts_left FROM vault_accounts WHERE account = $1", &[&account])
            .await?;
        match row {
            Some(row) => Ok(Failed::AttemptsLeft(counter(i64::from(row.try_get::<_, i32>(0)?))?)),
            None => Ok(Failed::NoKey),
        }
    }

    async fn delete(&self, account: &[u8]) -> Result<bool, StoreError> {
        Ok(self.client.execute("DELETE FROM vault_accounts WHERE account = $1", &[&account]).await? == 1)
    }

    async fn attempts_left(&self, account: &[u8]) -> Result<Option<u32>, StoreError> {
        let row = self
            .client
            .query_opt("SELECT attempts_left FROM vault_accounts WHERE account = $1", &[&account])
            .await?;
        row.map(|row| counter(i64::from(row.try_get::<_, i32>(0)?))).transpose()
    }
}
