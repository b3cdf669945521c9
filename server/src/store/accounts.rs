//! Accounts, sessions, the security policy and the chained audit log — the same SQL on both
//! backends (times are whole microseconds, so nothing differs but the write lock).

use chrono::{DateTime, Utc};

use super::{PgStore, SqliteStore, StoreError};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Log-in name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// The grant's role wire name, if granted.
    pub role: Option<String>,
    /// The grant's jurisdiction (`county` or a code), if granted.
    pub jurisdiction: Option<String>,
    /// Person id or department code acted as (may be empty).
    pub acting_as: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set (µs).
    pub password_changed_us: i64,
    /// Disabled accounts cannot log in and their sessions end.
    pub disabled: bool,
    /// Consecutive failed logins.
    pub failures: i64,
    /// Locked until (µs).
    pub locked_until_us: Option<i64>,
    /// Created (µs).
    pub created_us: i64,
}

impl AccountRecord {
    /// A new, enabled, unlocked account holding `role` over `jurisdiction` (both `None`: no
    /// grant yet), its password set `now`.
    pub fn new(
        username: &str,
        display_name: &str,
        grant: Option<(&str, &str)>,
        acting_as: &str,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role: grant.map(|(role, _)| role.to_owned()),
            jurisdiction: grant.map(|(_, j)| j.to_owned()),
            acting_as: acting_as.to_owned(),
            password_hash,
            password_changed_us: micros(now),
            disabled: false,
            failures: 0,
            locked_until_us: None,
            created_us: micros(now),
        }
    }
}

/// A session or bearer token as stored (its secret only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// Whose.
    pub username: String,
    /// `browser`, `device` or `api_key`.
    pub kind: String,
    /// What it is for (API keys, devices).
    pub label: String,
    /// SHA-256 of the CSRF token (browser sessions), hex.
    pub csrf_hash: String,
    /// Created (µs).
    pub created_us: i64,
    /// Last used (µs, updated at most every few seconds).
    pub last_seen_us: i64,
    /// Ended by logout, disabling or expiry (µs).
    pub ended_us: Option<i64>,
}

/// Microseconds since the epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The time of `us` microseconds since the epoch (the epoch itself if out of range).
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

type AccountRow = (String, String, Option<String>, Option<String>, String, String, i64, bool, i64, Option<i64>, i64);
type SessionRow = (String, String, String, String, String, i64, i64, Option<i64>);

const ACCOUNT_COLUMNS: &str = "a.username, a.display_name, a.role, a.jurisdiction, a.acting_as, a.password_hash, \
     a.password_changed_us, a.disabled, a.failures, a.locked_until_us, a.created_us";
const SESSION_COLUMNS: &str =
    "s.token_hash, s.username, s.kind, s.label, s.csrf_hash, s.created_us, s.last_seen_us, s.ended_us";

fn account(r: AccountRow) -> AccountRecord {
    AccountRecord {
        username: r.0,
        display_name: r.1,
        role: r.2,
        jurisdiction: r.3,
        acting_as: r.4,
        password_hash: r.5,
        password_changed_us: r.6,
        disabled: r.7,
        failures: r.8,
        locked_until_us: r.9,
        created_us: r.10,
    }
}

fn session(r: SessionRow) -> SessionRecord {
    SessionRecord {
        token_hash: r.0,
        username: r.1,
        kind: r.2,
        label: r.3,
        csrf_hash: r.4,
        created_us: r.5,
        last_seen_us: r.6,
        ended_us: r.7,
    }
}

pub(super) fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}

/// The account, session and policy methods, written once for both backends.
macro_rules! account_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One account.
            pub async fn account(&self, username: &str) -> Result<Option<AccountRecord>, StoreError> {
                let row: Option<AccountRow> =
                    sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.username = $1"))
                        .bind(username)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(query("reading an account"))?;
                Ok(row.map(account))
            }

            /// Every account, by name.
            pub async fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
                let rows: Vec<AccountRow> =
                    sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM account a ORDER BY a.username"))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(query("listing accounts"))?;
                Ok(rows.into_iter().map(account).collect())
            }

            /// Creates an account; `false` if the name is taken.
            pub async fn insert_account(&self, a: &AccountRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO account (username, display_name, role, jurisdiction, acting_as, password_hash, \
                     password_changed_us, disabled, failures, locked_until_us, created_us) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (username) DO NOTHING",
                )
                .bind(&a.username)
                .bind(&a.display_name)
                .bind(&a.role)
                .bind(&a.jurisdiction)
                .bind(&a.acting_as)
                .bind(&a.password_hash)
                .bind(a.password_changed_us)
                .bind(a.disabled)
                .bind(a.failures)
                .bind(a.locked_until_us)
                .bind(a.created_us)
                .execute(&self.pool)
                .await
                .map_err(query("creating an account"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Stores a login's effect on the lockout state.
            pub async fn set_lock(&self, username: &str, failures: i64, locked_until_us: Option<i64>) -> Result<(), StoreError> {
                sqlx::query("UPDATE account SET failures = $1, locked_until_us = $2 WHERE username = $3")
                    .bind(failures)
                    .bind(locked_until_us)
                    .bind(username)
                    .execute(&self.pool)
                    .await
                    .map_err(query("recording a login"))?;
                Ok(())
            }

            /// Sets a new password hash; `false` if there is no such account.
            pub async fn set_password(&self, username: &str, hash: &str, now_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE account SET password_hash = $1, password_changed_us = $2 WHERE username = $3",
                )
                .bind(hash)
                .bind(now_us)
                .bind(username)
                .execute(&self.pool)
                .await
                .map_err(query("changing a password"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Disables or enables an account (a disabled one's sessions end too); `false` if
            /// there is no such account.
            pub async fn set_disabled(&self, username: &str, disabled: bool, now_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query("UPDATE account SET disabled = $1 WHERE username = $2")
                    .bind(disabled)
                    .bind(username)
                    .execute(&self.pool)
                    .await
                    .map_err(query("disabling an account"))?;
                if disabled {
                    self.end_sessions_of(username, now_us).await?;
                }
                Ok(done.rows_affected() == 1)
            }

            /// Sets (or clears) an account's grant; `false` if there is no such account.
            pub async fn set_grant(
                &self,
                username: &str,
                role: Option<&str>,
                jurisdiction: Option<&str>,
                acting_as: &str,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE account SET role = $1, jurisdiction = $2, acting_as = $3 WHERE username = $4",
                )
                .bind(role)
                .bind(jurisdiction)
                .bind(acting_as)
                .bind(username)
                .execute(&self.pool)
                .await
                .map_err(query("changing a grant"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Stores a new session or token.
            pub async fn insert_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO session (token_hash, username, kind, label, csrf_hash, created_us, last_seen_us, ended_us) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&s.token_hash)
                .bind(&s.username)
                .bind(&s.kind)
                .bind(&s.label)
                .bind(&s.csrf_hash)
                .bind(s.created_us)
                .bind(s.last_seen_us)
                .bind(s.ended_us)
                .execute(&self.pool)
                .await
                .map_err(query("storing a session"))?;
                Ok(())
            }

            /// A session (ended or not) with its account.
            pub async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, AccountRecord)>, StoreError> {
                let sql = format!(
                    "SELECT {SESSION_COLUMNS}, {ACCOUNT_COLUMNS} FROM session s JOIN account a ON a.username = s.username \
                     WHERE s.token_hash = $1"
                );
                let row = sqlx::query(&sql)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a session"))?;
                let Some(r) = row else { return Ok(None) };
                let decode = || -> Result<(SessionRecord, AccountRecord), sqlx::Error> {
                    use sqlx::Row;
                    let s = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?);
                    let a = (
                        r.try_get(8)?, r.try_get(9)?, r.try_get(10)?, r.try_get(11)?, r.try_get(12)?, r.try_get(13)?,
                        r.try_get(14)?, r.try_get(15)?, r.try_get(16)?, r.try_get(17)?, r.try_get(18)?,
                    );
                    Ok((session(s), account(a)))
                };
                decode().map(Some).map_err(query("reading a session"))
            }

            /// Every session and token of an account that has not ended, newest first.
            pub async fn live_sessions(&self, username: &str) -> Result<Vec<SessionRecord>, StoreError> {
                let rows: Vec<SessionRow> = sqlx::query_as(&format!(
                    "SELECT {SESSION_COLUMNS} FROM session s WHERE s.username = $1 AND s.ended_us IS NULL \
                     ORDER BY s.created_us DESC"
                ))
                .bind(username)
                .fetch_all(&self.pool)
                .await
                .map_err(query("listing sessions"))?;
                Ok(rows.into_iter().map(session).collect())
            }

            /// Records a session's use.
            pub async fn touch_session(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE session SET last_seen_us = $1 WHERE token_hash = $2 AND ended_us IS NULL")
                    .bind(now_us)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(query("recording a session's use"))?;
                Ok(())
            }

            /// Ends one session; `false` if it had already ended or does not exist.
            pub async fn end_session(&self, token_hash: &str, now_us: i64) -> Result<bool, StoreError> {
                let done = sqlx::query("UPDATE session SET ended_us = $1 WHERE token_hash = $2 AND ended_us IS NULL")
                    .bind(now_us)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(query("ending a session"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Ends every session and token of an account.
            pub async fn end_sessions_of(&self, username: &str, now_us: i64) -> Result<u64, StoreError> {
                let done = sqlx::query("UPDATE session SET ended_us = $1 WHERE username = $2 AND ended_us IS NULL")
                    .bind(now_us)
                    .bind(username)
                    .execute(&self.pool)
                    .await
                    .map_err(query("ending an account's sessions"))?;
                Ok(done.rows_affected())
            }

            /// The stored security policy (JSON), if one was ever saved.
            pub async fn security_policy(&self) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar("SELECT policy FROM security_policy WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading the security policy"))
            }

            /// Saves the security policy (JSON).
            pub async fn set_security_policy(&self, json: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO security_policy (id, policy) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET policy = excluded.policy",
                )
                .bind(json)
                .execute(&self.pool)
                .await
                .map_err(query("saving the security policy"))?;
                Ok(())
            }

        }
    };
}

account_store!(SqliteStore, sqlx::Sqlite);
account_store!(PgStore, sqlx::Postgres);

impl super::Store {
    /// One account.
    pub async fn account(&self, username: &str) -> Result<Option<AccountRecord>, StoreError> {
        dispatch!(self, s => s.account(username).await)
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        dispatch!(self, s => s.accounts().await)
    }

    /// Creates an account; `false` if the name is taken.
    pub async fn insert_account(&self, account: &AccountRecord) -> Result<bool, StoreError> {
        dispatch!(self, s => s.insert_account(account).await)
    }

    /// Stores a login's effect on the lockout state.
    pub async fn set_lock(&self, username: &str, failures: i64, locked_until_us: Option<i64>) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_lock(username, failures, locked_until_us).await)
    }

    /// Sets a new password hash; `false` if there is no such account.
    pub async fn set_password(&self, username: &str, hash: &str, now_us: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_password(username, hash, now_us).await)
    }

    /// Disables (ending its sessions) or enables an account; `false` if there is none.
    pub async fn set_disabled(&self, username: &str, disabled: bool, now_us: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_disabled(username, disabled, now_us).await)
    }

    /// Sets or clears an account's grant; `false` if there is no such account.
    pub async fn set_grant(
        &self,
        username: &str,
        role: Option<&str>,
        jurisdiction: Option<&str>,
        acting_as: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_grant(username, role, jurisdiction, acting_as).await)
    }

    /// Stores a new session or token.
    pub async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_session(session).await)
    }

    /// A session (ended or not) with its account.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, AccountRecord)>, StoreError> {
        dispatch!(self, s => s.session(token_hash).await)
    }

    /// Live sessions and tokens of an account, newest first.
    pub async fn live_sessions(&self, username: &str) -> Result<Vec<SessionRecord>, StoreError> {
        dispatch!(self, s => s.live_sessions(username).await)
    }

    /// Records a session's use.
    pub async fn touch_session(&self, token_hash: &str, now_us: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_session(token_hash, now_us).await)
    }

    /// Ends one session; `false` if it had already ended.
    pub async fn end_session(&self, token_hash: &str, now_us: i64) -> Result<bool, StoreError> {
        dispatch!(self, s => s.end_session(token_hash, now_us).await)
    }

    /// Ends every session and token of an account.
    pub async fn end_sessions_of(&self, username: &str, now_us: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.end_sessions_of(username, now_us).await)
    }

    /// The stored security policy (JSON).
    pub async fn security_policy(&self) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.security_policy().await)
    }

    /// Saves the security policy (JSON).
    pub async fn set_security_policy(&self, json: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_security_policy(json).await)
    }
}
