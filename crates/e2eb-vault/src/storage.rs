//! What the vault stores and the one interface both engines offer (VAULT.md, "Storage").
//!
//! Every method is one atomic step: the attempt counter changes only through a conditional
//! update, so concurrent requests, and several server processes over one PostgreSQL database,
//! never spend one attempt twice or lose one.

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;

/// A new account as registration stores it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The account id.
    pub account: Vec<u8>,
    /// The serialised OPAQUE registration record.
    pub record: Vec<u8>,
    /// The sealed vault secret.
    pub envelope: Vec<u8>,
    /// Attempts the account starts with and returns to after each verified login.
    pub max_attempts: u32,
}

/// The outcome of spending an attempt.
#[derive(Debug, Clone)]
pub enum Spend {
    /// One attempt was spent and committed; `attempts_left` remain.
    Spent {
        /// The account's OPAQUE registration record.
        record: Vec<u8>,
        /// Attempts left after this one.
        attempts_left: u32,
    },
    /// No key here: never registered, or erased (an account found at zero is erased now).
    NoKey,
}

/// What a verified login gets.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The sealed vault secret.
    pub envelope: Vec<u8>,
    /// The maximum, which is also the counter now.
    pub max_attempts: u32,
}

/// The outcome of recording a failed login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// The account remains with this many attempts.
    AttemptsLeft(u32),
    /// The account had none left and is erased.
    Erased,
    /// No such account (never registered, erased meanwhile).
    NoKey,
}

/// A login between its start and its finish.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// The account the login is for.
    pub account: Vec<u8>,
    /// The serialised OPAQUE server login state.
    pub state: Vec<u8>,
    /// Whether the start spent one of the account's attempts (false for opaque-ke's dummy
    /// answer to an account with no key).
    pub spent: bool,
}

/// A storage engine failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// A stored value is out of range (a counter below zero, a damaged row).
    #[error("stored data is damaged: {0}")]
    Damaged(&'static str),
    /// The blocking worker of the SQLite engine stopped.
    #[error("the storage worker stopped")]
    Worker,
}

/// The vault's storage. Implementations commit each method durably before returning.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Stores a new account; `false` if the account exists already (nothing changes then).
    async fn create(&self, account: NewAccount) -> Result<bool, StoreError>;
    /// Spends one attempt of `account` if it has one, counting a login pending until `expires`
    /// in the same step. An account at zero with no pending login at `now` is erased here;
    /// either way one at zero has no key to offer.
    async fn spend_attempt(
        &self,
        account: &[u8],
        now: i64,
        expires: i64,
    ) -> Result<Spend, StoreError>;
    /// Keeps a login's state until `expires` (Unix seconds); drops expired ones.
    async fn put_login(
        &self,
        login_id: &[u8],
        login: PendingLogin,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError>;
    /// Removes and returns a login that has not expired at `now`: each login is taken once.
    async fn take_login(
        &self,
        login_id: &[u8],
        now: i64,
    ) -> Result<Option<PendingLogin>, StoreError>;
    /// A verified login: counter back to the maximum, one pending login fewer, the envelope
    /// released.
    async fn verified(&self, account: &[u8]) -> Result<Option<Verified>, StoreError>;
    /// A failed login that had spent an attempt: one pending login fewer, then the counter as it
    /// stands, or the account erased if it is at zero and no other such login is pending at
    /// `now` (a pending one may still be the right password).
    async fn failed(&self, account: &[u8], now: i64) -> Result<Failed, StoreError>;
    /// Erases an account; `false` if there was none.
    async fn delete(&self, account: &[u8]) -> Result<bool, StoreError>;
    /// The counter of an account, for operators and tests.
    async fn attempts_left(&self, account: &[u8]) -> Result<Option<u32>, StoreError>;
}

/// Opens the engine a `--db` argument names: `postgres://` or `postgresql://` URLs go to
/// PostgreSQL, anything else is a SQLite file path.
pub async fn open(db: &str) -> Result<Box<dyn Store>, StoreError> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(Box::new(postgres::PostgresStore::connect(db).await?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(
            db,
        ))?))
    }
}

pub(crate) fn counter(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Damaged("attempt counter out of range"))
}
