//! Failures of the database that are not the request's fault: the database is away
//! (restarting, failing over, out of connections), its disk is full, or it is overloaded. They
//! are answered 503 (507 for a full disk) with `Retry-After`, never 500, and nothing is
//! acknowledged that was not committed.

use std::time::Duration;

use super::StoreError;

/// How long a request waits for a database connection before it is answered 503.
pub const POOL_WAIT: Duration = Duration::from_secs(3);

/// The longest statement PostgreSQL runs for a request before cancelling it (`statement_timeout`).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the store lets a request wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest wait for a connection ([`POOL_WAIT`]).
    pub pool_wait: Duration,
    /// The longest statement on PostgreSQL ([`STATEMENT_TIMEOUT`]); `None`: no limit.
    pub statement_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self { pool_wait: POOL_WAIT, statement_timeout: Some(STATEMENT_TIMEOUT) }
    }
}

/// Why the store cannot serve for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The database cannot be reached: restarting, failing over, or no connection free in time.
    Unreachable,
    /// The database's disk (or the attachments' directory) is full.
    Full,
    /// The database is overloaded: a statement, a lock or a retryable conflict ran out of time.
    Overloaded,
}

impl Outage {
    /// When a client should try again, in seconds.
    pub fn retry_after_secs(self) -> u32 {
        match self {
            Self::Unreachable => 5,
            Self::Full => 60,
            Self::Overloaded => 2,
        }
    }

    /// What to tell the client.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unreachable => "the database cannot be reached, or has no free connection, for now; nothing was changed, try again",
            Self::Full => "the server's storage is full; nothing was changed, try again later",
            Self::Overloaded => "the database is overloaded; nothing was changed, try again",
        }
    }

    /// The outage a driver error shows, if it is one.
    pub fn of_sqlx(e: &sqlx::Error) -> Option<Self> {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => Some(Self::Unreachable),
            sqlx::Error::Io(io) => Some(Self::of_io(io).unwrap_or(Self::Unreachable)),
            sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => Some(Self::Unreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
                    Self::of_sqlstate(&code)
                } else {
                    Self::of_sqlite(&code)
                }
            }
            _ => None,
        }
    }

    /// The outage of a file-system error, if it is one (a full disk or quota).
    pub fn of_io(e: &std::io::Error) -> Option<Self> {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => Some(Self::Full),
            _ => None,
        }
    }

    /// SQLite's extended result code (a number).
    fn of_sqlite(code: &str) -> Option<Self> {
        match code.parse::<i32>().ok()? & 0xff {
            13 => Some(Self::Full),             // SQLITE_FULL
            5 | 6 => Some(Self::Overloaded),    // SQLITE_BUSY, SQLITE_LOCKED
            10 | 14 => Some(Self::Unreachable), // SQLITE_IOERR, SQLITE_CANTOPEN
            _ => None,
        }
    }

    /// PostgreSQL's SQLSTATE.
    fn of_sqlstate(code: &str) -> Option<Self> {
        match code {
            "53100" => Some(Self::Full), // disk_full
            // Cancelled (statement_timeout), serialization, deadlock, lock wait, out of memory.
            "57014" | "40001" | "40P01" | "55P03" | "53200" => Some(Self::Overloaded),
            "25006" => Some(Self::Unreachable), // read-only: a standby after a failover
            _ if code.starts_with("08") || code.starts_with("57P") || code == "53300" => Some(Self::Unreachable),
            _ => None,
        }
    }
}

impl StoreError {
    /// The outage this failure shows, if it is one (the request itself was not at fault).
    pub fn outage(&self) -> Option<Outage> {
        match self {
            Self::Open { source, .. } | Self::Query { source, .. } => Outage::of_sqlx(source),
            Self::Migrate(sqlx::migrate::MigrateError::Execute(source)) => Outage::of_sqlx(source),
            Self::Blob(io) => Outage::of_io(io),
            Self::Audit { outage, .. } => *outage,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_both_databases_are_told_apart() {
        assert_eq!(Outage::of_sqlite("13"), Some(Outage::Full));
        assert_eq!(Outage::of_sqlite("5"), Some(Outage::Overloaded));
        assert_eq!(Outage::of_sqlite("517"), Some(Outage::Overloaded)); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(Outage::of_sqlite("778"), Some(Outage::Unreachable)); // SQLITE_IOERR_WRITE
        assert_eq!(Outage::of_sqlite("2067"), None); // SQLITE_CONSTRAINT_UNIQUE: the request's fault
        assert_eq!(Outage::of_sqlstate("53100"), Some(Outage::Full));
        assert_eq!(Outage::of_sqlstate("57P01"), Some(Outage::Unreachable));
        assert_eq!(Outage::of_sqlstate("08006"), Some(Outage::Unreachable));
        assert_eq!(Outage::of_sqlstate("25006"), Some(Outage::Unreachable));
        assert_eq!(Outage::of_sqlstate("57014"), Some(Outage::Overloaded));
        assert_eq!(Outage::of_sqlstate("23505"), None);
        assert_eq!(Outage::of_sqlx(&sqlx::Error::PoolTimedOut), Some(Outage::Unreachable));
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(StoreError::Blob(full).outage(), Some(Outage::Full));
        assert_eq!(StoreError::Stale { event_id: "e".into() }.outage(), None);
    }
}
