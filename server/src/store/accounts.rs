//! Accounts, sessions, the security policy and the chained audit log — the same SQL on both
//! backends (times are whole microseconds, so nothing differs but the write lock).

use chrono::{DateTime, Utc};

use super::dialect::Backend;
use super::{query, PgStore, SqliteStore, StoreError};

/// The device an account is bound to (人机格): the SHA-256 of the key the device holds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRecord {
    /// The account.
    pub username: String,
    /// SHA-256 (hex) of the device's key.
    pub key_hash: String,
    /// What the device said it is.
    pub label: String,
    /// Bound at (µs).
    pub bound_us: i64,
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
    /// argon2id PHC string (`!` for a service account: no password opens it).
    pub password_hash: String,
    /// When the password was last set (µs); 0 forces a change at the next login.
    pub password_changed_us: i64,
    /// Disabled accounts cannot log in and their sessions end.
    pub disabled: bool,
    /// Login attempts counted since the last success (charged before the password is checked).
    pub failures: i64,
    /// Locked until (µs).
    pub locked_until_us: Option<i64>,
    /// Created (µs).
    pub created_us: i64,
    /// A service account (an integration): holds API keys, never logs in with a password.
    pub service: bool,
}

impl AccountRecord {
    /// A new, enabled, unlocked person's account holding `role` over `jurisdiction` (both
    /// `None`: no grant yet), its password set `now`.
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
            service: false,
        }
    }

    /// A new service account (an integration) without a grant and without a password.
    pub fn service(username: &str, display_name: &str, now: DateTime<Utc>) -> Self {
        Self { service: true, ..Self::new(username, display_name, None, "", "!".into(), now) }
    }
}

/// A session or bearer token as stored (its secret only as a hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
    /// Ended by logout, disabling, revocation or expiry (µs).
    pub ended_us: Option<i64>,
    /// An API key's public id (listed, revoked by); `None` for sessions.
    pub key_id: Option<String>,
    /// An API key's scope (the routes it may call); empty for sessions.
    pub scope: String,
    /// When an API key stops working (µs).
    pub expires_us: Option<i64>,
}

/// A session joined with its account (the session's own `created_us` renamed).
#[derive(sqlx::FromRow)]
struct SessionJoin {
    token_hash: String,
    kind: String,
    label: String,
    csrf_hash: String,
    session_created_us: i64,
    last_seen_us: i64,
    ended_us: Option<i64>,
    key_id: Option<String>,
    scope: String,
    expires_us: Option<i64>,
    #[sqlx(flatten)]
    account: AccountRecord,
}

impl SessionJoin {
    fn split(self) -> (SessionRecord, AccountRecord) {
        let session = SessionRecord {
            token_hash: self.token_hash,
            username: self.account.username.clone(),
            kind: self.kind,
            label: self.label,
            csrf_hash: self.csrf_hash,
            created_us: self.session_created_us,
            last_seen_us: self.last_seen_us,
            ended_us: self.ended_us,
            key_id: self.key_id,
            scope: self.scope,
            expires_us: self.expires_us,
        };
        (session, self.account)
    }
}

/// An account's lockout state after a login attempt was charged to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Charged {
    /// Attempts counted since the last success, this one included.
    pub failures: i64,
    /// Locked until (µs), if locked.
    pub locked_until_us: Option<i64>,
}

/// Microseconds since the epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The time of `us` microseconds since the epoch (the epoch itself if out of range).
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

const ACCOUNT_COLUMNS: &str = "a.username, a.display_name, a.role, a.jurisdiction, a.acting_as, a.password_hash, \
     a.password_changed_us, a.disabled, a.failures, a.locked_until_us, a.created_us, a.service";
const SESSION_COLUMNS: &str = "s.token_hash, s.username, s.kind, s.label, s.csrf_hash, s.created_us, s.last_seen_us, \
     s.ended_us, s.key_id, s.scope, s.expires_us";

/// The account, session and policy methods, written once for both backends.
macro_rules! account_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One account.
            pub async fn account(&self, username: &str) -> Result<Option<AccountRecord>, StoreError> {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.username = $1")))
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading an account"))
            }

            /// Every account, by name.
            pub async fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM account a ORDER BY a.username")))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("listing accounts"))
            }

            /// Creates an account; `false` if the name is taken.
            pub async fn insert_account(&self, a: &AccountRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO account (username, display_name, role, jurisdiction, acting_as, password_hash, \
                     password_changed_us, disabled, failures, locked_until_us, created_us, service) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (username) DO NOTHING",
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
                .bind(a.service)
                .execute(&self.pool)
                .await
                .map_err(query("creating an account"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Charges one login attempt to an account before its password is checked, in one
            /// atomic statement (concurrent attempts each count): a lock that has run out starts
            /// the count afresh; reaching `max_failures` locks the account until
            /// `lock_until_us`; an attempt on a locked account counts past `max_failures`, so
            /// that the caller can tell it came after the lock. `None` if there is no such
            /// account.
            pub async fn charge_login(
                &self,
                username: &str,
                now_us: i64,
                max_failures: i64,
                lock_until_us: i64,
            ) -> Result<Option<Charged>, StoreError> {
                sqlx::query_as(
                    "UPDATE account SET \
                       failures = CASE \
                         WHEN locked_until_us > $2 THEN (CASE WHEN failures >= $3 THEN failures + 1 ELSE $3 + 1 END) \
                         WHEN locked_until_us <= $2 THEN 1 \
                         ELSE failures + 1 END, \
                       locked_until_us = CASE \
                         WHEN locked_until_us > $2 THEN locked_until_us \
                         WHEN (CASE WHEN locked_until_us <= $2 THEN 1 ELSE failures + 1 END) >= $3 THEN $4 \
                         ELSE NULL END \
                     WHERE username = $1 RETURNING failures, locked_until_us",
                )
                .bind(username)
                .bind(now_us)
                .bind(max_failures)
                .bind(lock_until_us)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("counting a login attempt"))
            }

            /// Clears an account's count and lock (a successful login; an unlock).
            pub async fn clear_failures(&self, username: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("UPDATE account SET failures = 0, locked_until_us = NULL WHERE username = $1")
                    .bind(username)
                    .execute(&self.pool)
                    .await
                    .map_err(query("clearing failed logins"))?;
                Ok(done.rows_affected() == 1)
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
                    "INSERT INTO session (token_hash, username, kind, label, csrf_hash, created_us, last_seen_us, ended_us, \
                     key_id, scope, expires_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&s.token_hash)
                .bind(&s.username)
                .bind(&s.kind)
                .bind(&s.label)
                .bind(&s.csrf_hash)
                .bind(s.created_us)
                .bind(s.last_seen_us)
                .bind(s.ended_us)
                .bind(&s.key_id)
                .bind(&s.scope)
                .bind(s.expires_us)
                .execute(&self.pool)
                .await
                .map_err(query("storing a session"))?;
                Ok(())
            }

            /// A session (ended or not) with its account.
            pub async fn session(&self, token_hash: &str) -> Result<Option<(SessionRecord, AccountRecord)>, StoreError> {
                let sql = format!(
                    "SELECT s.token_hash, s.kind, s.label, s.csrf_hash, s.created_us AS session_created_us, \
                     s.last_seen_us, s.ended_us, s.key_id, s.scope, s.expires_us, {ACCOUNT_COLUMNS} \
                     FROM session s JOIN account a ON a.username = s.username WHERE s.token_hash = $1"
                );
                let row: Option<SessionJoin> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a session"))?;
                Ok(row.map(SessionJoin::split))
            }

            /// Every session and token of an account that has not ended, newest first.
            pub async fn live_sessions(&self, username: &str) -> Result<Vec<SessionRecord>, StoreError> {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SESSION_COLUMNS} FROM session s WHERE s.username = $1 AND s.ended_us IS NULL \
                     ORDER BY s.created_us DESC"
                )))
                .bind(username)
                .fetch_all(&self.pool)
                .await
                .map_err(query("listing sessions"))
            }

            /// API keys (live and ended), newest first, at most `limit`.
            pub async fn api_keys(&self, limit: i64) -> Result<Vec<SessionRecord>, StoreError> {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SESSION_COLUMNS} FROM session s WHERE s.kind = 'api_key' AND s.key_id IS NOT NULL \
                     ORDER BY s.created_us DESC LIMIT $1"
                )))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(query("listing API keys"))
            }

            /// Ends an API key by its id; its account if it was live, `None` otherwise.
            pub async fn end_api_key(&self, key_id: &str, now_us: i64) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar(
                    "UPDATE session SET ended_us = $1 WHERE key_id = $2 AND kind = 'api_key' AND ended_us IS NULL \
                     RETURNING username",
                )
                .bind(now_us)
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("revoking an API key"))
            }

            /// A fact about the store itself (e.g. `demo`), if recorded.
            pub async fn store_fact(&self, name: &str) -> Result<Option<String>, StoreError> {
                sqlx::query_scalar("SELECT value FROM store_fact WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading a store fact"))
            }

            /// Records a fact about the store itself.
            pub async fn set_store_fact(&self, name: &str, value: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO store_fact (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&self.pool)
                .await
                .map_err(query("recording a store fact"))?;
                Ok(())
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

            /// The device an account is bound to (人机格), if any.
            pub async fn account_device(&self, username: &str) -> Result<Option<DeviceRecord>, StoreError> {
                sqlx::query_as("SELECT username, key_hash, label, bound_us FROM account_device WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading an account's device"))
            }

            /// Binds an account to a device unless it is bound already (two first sign-ins at
            /// once: one wins); `true` if this call bound it.
            pub async fn bind_device(&self, d: &DeviceRecord) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO account_device (username, key_hash, label, bound_us) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (username) DO NOTHING",
                )
                .bind(&d.username)
                .bind(&d.key_hash)
                .bind(&d.label)
                .bind(d.bound_us)
                .execute(&self.pool)
                .await
                .map_err(query("binding a device"))?;
                Ok(done.rows_affected() == 1)
            }

            /// Unbinds an account's device and ends its sessions, in one transaction; the
            /// device it was bound to, if any.
            pub async fn unbind_device(&self, username: &str, now_us: i64) -> Result<Option<DeviceRecord>, StoreError> {
                let mut tx = self.begin_write("starting an unbinding").await?;
                let gone: Option<DeviceRecord> = sqlx::query_as(
                    "DELETE FROM account_device WHERE username = $1 RETURNING username, key_hash, label, bound_us",
                )
                .bind(username)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query("unbinding a device"))?;
                if gone.is_some() {
                    sqlx::query("UPDATE session SET ended_us = $1 WHERE username = $2 AND ended_us IS NULL AND kind <> 'api_key'")
                        .bind(now_us)
                        .bind(username)
                        .execute(&mut *tx)
                        .await
                        .map_err(query("ending the unbound account's sessions"))?;
                }
                tx.commit().await.map_err(query("unbinding a device"))?;
                Ok(gone)
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

    /// Charges one login attempt to an account, atomically; `None` if there is none.
    pub async fn charge_login(
        &self,
        username: &str,
        now_us: i64,
        max_failures: i64,
        lock_until_us: i64,
    ) -> Result<Option<Charged>, StoreError> {
        dispatch!(self, s => s.charge_login(username, now_us, max_failures, lock_until_us).await)
    }

    /// Clears an account's count and lock; `false` if there is no such account.
    pub async fn clear_failures(&self, username: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.clear_failures(username).await)
    }

    /// API keys (live and ended), newest first, at most `limit`.
    pub async fn api_keys(&self, limit: i64) -> Result<Vec<SessionRecord>, StoreError> {
        dispatch!(self, s => s.api_keys(limit).await)
    }

    /// Ends an API key by its id; its account if it was live.
    pub async fn end_api_key(&self, key_id: &str, now_us: i64) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.end_api_key(key_id, now_us).await)
    }

    /// A fact about the store itself, if recorded.
    pub async fn store_fact(&self, name: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.store_fact(name).await)
    }

    /// Records a fact about the store itself.
    pub async fn set_store_fact(&self, name: &str, value: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_store_fact(name, value).await)
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

    /// The device an account is bound to (人机格), if any.
    pub async fn account_device(&self, username: &str) -> Result<Option<DeviceRecord>, StoreError> {
        dispatch!(self, s => s.account_device(username).await)
    }

    /// Binds an account to a device unless it is bound already; `true` if this call bound it.
    pub async fn bind_device(&self, device: &DeviceRecord) -> Result<bool, StoreError> {
        dispatch!(self, s => s.bind_device(device).await)
    }

    /// Unbinds an account's device and ends its sessions; the device it was bound to, if any.
    pub async fn unbind_device(&self, username: &str, now_us: i64) -> Result<Option<DeviceRecord>, StoreError> {
        dispatch!(self, s => s.unbind_device(username, now_us).await)
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
