//! Logging in and out, sessions and tokens, passwords: the account rules of
//! [`wangge_core::access`] applied to the store.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use wangge_core::access::{
    record_login, AccountLock, Grant, Jurisdiction, LoginRefusal, Role, Throttle, WeakPassword,
};

use super::caller::{Caller, Via};
use super::policy::SecurityPolicy;
use super::secret::{hash_password, random_token, same, token_hash, verify_password};
use crate::store::{from_micros, micros, AccountRecord, SessionRecord, Store, StoreError};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user name or wrong password (never says which).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The account is disabled.
    #[error("this account is disabled")]
    Disabled,
    /// Refused before the password was checked.
    #[error(transparent)]
    Refused(#[from] LoginRefusal),
    /// A new password breaks the policy.
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    /// The session or token is unknown, ended, or idle too long.
    #[error("{0}")]
    SessionEnded(&'static str),
    /// A stored grant no longer makes sense.
    #[error("account {username} has an unusable grant: {reason}")]
    BadGrant {
        /// The account.
        username: String,
        /// What is wrong.
        reason: String,
    },
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The OS gave no randomness.
    #[error("no randomness: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A browser session: cookie plus CSRF token; ends when idle.
    Browser,
    /// The phone app's bearer token; ends when idle.
    Device,
    /// An integration's API key (Open311): bearer, ends only when revoked or the account is.
    ApiKey,
}

impl TokenKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Device => "device",
            Self::ApiKey => "api_key",
        }
    }

    fn idles(kind: &str) -> bool {
        kind != Self::ApiKey.as_str()
    }
}

/// A new session or token: its secrets are shown once and never stored.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The bearer token or session cookie value.
    pub token: String,
    /// The CSRF token (browser sessions; empty otherwise).
    pub csrf: String,
    /// Who it is for.
    pub caller: Caller,
}

/// Accounts and sessions over the store, with the security policy and the per-address
/// throttle in memory.
#[derive(Debug, Clone)]
pub struct Auth {
    store: Store,
    policy: Arc<ArcSwap<SecurityPolicy>>,
    throttle: Arc<Mutex<Throttle<IpAddr>>>,
    /// Verified when the user name is unknown, so that the answer takes as long.
    dummy_hash: Arc<str>,
}

/// Sessions are marked used at most this often (µs).
const TOUCH_EVERY_US: i64 = 15_000_000;

impl Auth {
    /// Loads the stored policy (or the default).
    pub async fn new(store: Store) -> Result<Self, AuthError> {
        let policy = match store.security_policy().await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored security policy is unreadable; using the default");
                SecurityPolicy::default()
            }),
            None => SecurityPolicy::default(),
        };
        let dummy_hash = hash_password(random_token()?).await?.into();
        Ok(Self {
            store,
            throttle: Arc::new(Mutex::new(Throttle::new(policy.throttle))),
            policy: Arc::new(ArcSwap::from_pointee(policy)),
            dummy_hash,
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<SecurityPolicy> {
        self.policy.load_full()
    }

    /// Saves and applies a new policy.
    pub async fn set_policy(&self, policy: SecurityPolicy) -> Result<(), AuthError> {
        let json = serde_json::to_string(&policy).map_err(|e| AuthError::Hash(e.to_string()))?;
        self.store.set_security_policy(&json).await?;
        if let Ok(mut throttle) = self.throttle.lock() {
            *throttle = Throttle::new(policy.throttle);
        }
        self.policy.store(Arc::new(policy));
        Ok(())
    }

    fn admit(&self, from: IpAddr, now: DateTime<Utc>) -> Result<(), LoginRefusal> {
        match self.throttle.lock() {
            Ok(t) => t.admit(&Throttle::<IpAddr>::key_of(from), now),
            Err(_) => Ok(()),
        }
    }

    /// Checks a user name and password from `from` and opens a session or device token.
    /// Order: the address's throttle, the account's lock, the password; a failure counts
    /// against both (unless the address is out of tokens).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        kind: TokenKind,
        label: &str,
        from: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        self.admit(from, now)?;
        let account = self.store.account(username).await?;
        let mut lock = account.as_ref().map(lock_of).unwrap_or_default();
        if let Some(until) = lock.locked(now) {
            return Err(LoginRefusal::Locked { until }.into());
        }
        let hash = account.as_ref().map_or_else(|| self.dummy_hash.to_string(), |a| a.password_hash.clone());
        let ok = verify_password(password.to_owned(), hash).await? && account.is_some();
        let policy = self.policy();
        let locked = match self.throttle.lock() {
            Ok(mut t) => {
                let key = Throttle::<IpAddr>::key_of(from);
                record_login(&mut t, &key, account.as_ref().map(|_| &mut lock), &policy.lockout, ok, now)
            }
            Err(_) => None,
        };
        if let Some(a) = &account {
            if lock != lock_of(a) {
                let until = lock.locked_until.map(micros);
                self.store.set_lock(&a.username, i64::from(lock.failures), until).await?;
            }
        }
        let Some(account) = account.filter(|_| ok) else {
            return Err(match locked {
                Some(until) => LoginRefusal::Locked { until }.into(),
                None => AuthError::BadCredentials,
            });
        };
        if account.disabled {
            return Err(AuthError::Disabled);
        }
        self.issue(&account, kind, label, now).await
    }

    /// Opens a session or token for `account` without a password (API keys made by the
    /// system administrator; tests).
    pub async fn issue(
        &self,
        account: &AccountRecord,
        kind: TokenKind,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        let token = random_token()?;
        let csrf = if kind == TokenKind::Browser { csrf_of(&token) } else { String::new() };
        let record = SessionRecord {
            token_hash: token_hash(&token),
            username: account.username.clone(),
            kind: kind.as_str().to_owned(),
            label: label.chars().take(64).collect(),
            csrf_hash: String::new(),
            created_us: micros(now),
            last_seen_us: micros(now),
            ended_us: None,
        };
        self.store.insert_session(&record).await?;
        let caller = self.caller(&token, &record, account, now)?;
        Ok(Issued { token, csrf, caller })
    }

    /// The caller holding `token`, if it is live: not ended, the account not disabled, not
    /// idle longer than the policy allows (browser sessions and device tokens).
    pub async fn resolve(&self, token: &str, now: DateTime<Utc>) -> Result<Caller, AuthError> {
        let hash = token_hash(token);
        let Some((session, account)) = self.store.session(&hash).await? else {
            return Err(AuthError::SessionEnded("unknown session or token"));
        };
        if session.ended_us.is_some() {
            return Err(AuthError::SessionEnded("the session has ended (logged out or revoked); log in again"));
        }
        if account.disabled {
            return Err(AuthError::SessionEnded("the account is disabled"));
        }
        let idle = micros(now) - session.last_seen_us;
        if TokenKind::idles(&session.kind) && idle > self.policy().idle_us() {
            self.store.end_session(&hash, micros(now)).await?;
            return Err(AuthError::SessionEnded("the session ended after being idle too long; log in again"));
        }
        if idle > TOUCH_EVERY_US {
            self.store.touch_session(&hash, micros(now)).await?;
        }
        self.caller(token, &session, &account, now)
    }

    /// Whether the session or token with this stored hash is still live (not ended, the
    /// account not disabled, not idle too long): a long-lived answer (the live queue) asks
    /// again as it goes, so that a logout or a disabling ends it too.
    pub async fn is_live(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool, AuthError> {
        let Some((session, account)) = self.store.session(token_hash).await? else { return Ok(false) };
        let idle = micros(now) - session.last_seen_us;
        let idled = TokenKind::idles(&session.kind) && idle > self.policy().idle_us();
        Ok(session.ended_us.is_none() && !account.disabled && !idled)
    }

    fn caller(
        &self,
        token: &str,
        session: &SessionRecord,
        account: &AccountRecord,
        now: DateTime<Utc>,
    ) -> Result<Caller, AuthError> {
        let bad = |reason: String| AuthError::BadGrant { username: account.username.clone(), reason };
        let grant = match (&account.role, &account.jurisdiction) {
            (Some(role), Some(j)) => {
                let role = Role::parse(role).ok_or_else(|| bad(format!("unknown role {role:?}")))?;
                let j = Jurisdiction::parse(j).map_err(|e| bad(e.to_string()))?;
                Some(Grant::new(role, j).map_err(|e| bad(e.to_string()))?)
            }
            _ => None,
        };
        let via = if session.kind == TokenKind::Browser.as_str() {
            Via::Cookie { token_hash: session.token_hash.clone(), csrf: csrf_of(token) }
        } else {
            Via::Bearer { token_hash: session.token_hash.clone() }
        };
        let changed = from_micros(account.password_changed_us);
        let password_expired =
            session.kind != TokenKind::ApiKey.as_str() && self.policy().password.expired(changed, now);
        Ok(Caller {
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            grant,
            acting_as: account.acting_as.clone(),
            via,
            password_expired,
        })
    }

    /// Ends the caller's session or token.
    pub async fn logout(&self, caller: &Caller, now: DateTime<Utc>) -> Result<(), AuthError> {
        self.store.end_session(caller.via.token_hash(), micros(now)).await?;
        Ok(())
    }

    /// Changes the caller's password after checking the current one and the policy; every
    /// other session and token of the account ends.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let account = self.store.account(&caller.username).await?.ok_or(AuthError::BadCredentials)?;
        if !verify_password(current.to_owned(), account.password_hash.clone()).await? {
            return Err(AuthError::BadCredentials);
        }
        self.policy().password.check_change(&account.username, current, new)?;
        let hash = hash_password(new.to_owned()).await?;
        self.store.set_password(&account.username, &hash, micros(now)).await?;
        let keep = caller.via.token_hash().to_owned();
        for s in self.store.live_sessions(&account.username).await? {
            if !same(&s.token_hash, &keep) && s.kind != TokenKind::ApiKey.as_str() {
                self.store.end_session(&s.token_hash, micros(now)).await?;
            }
        }
        Ok(())
    }

    /// Creates an account without a grant (the system administrator's part); the security
    /// administrator grants it a role. `false` if the name is taken.
    pub async fn create_account(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        self.policy().password.check(username, password)?;
        let hash = hash_password(password.to_owned()).await?;
        let record = AccountRecord::new(username, display_name, None, "", hash, now);
        Ok(self.store.insert_account(&record).await?)
    }

    /// Lifts a lock (the system administrator); `false` if there is no such account.
    pub async fn unlock(&self, username: &str) -> Result<bool, AuthError> {
        if self.store.account(username).await?.is_none() {
            return Ok(false);
        }
        self.store.set_lock(username, 0, None).await?;
        Ok(true)
    }

    /// The store behind it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn lock_of(a: &AccountRecord) -> AccountLock {
    AccountLock {
        failures: u32::try_from(a.failures).unwrap_or(u32::MAX),
        locked_until: a.locked_until_us.map(from_micros),
    }
}

/// The CSRF token of a browser session: derived from the session's secret, which only the
/// browser holding the (HttpOnly) cookie has; another site can neither read nor compute it.
pub fn csrf_of(session_token: &str) -> String {
    token_hash(&format!("wangge-csrf\0{session_token}"))
}

/// Whether the CSRF token sent matches the session's.
pub fn csrf_matches(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && same(sent, expected)
}
