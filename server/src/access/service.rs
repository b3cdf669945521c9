//! Logging in and out, sessions and tokens, passwords: the account rules of
//! [`wangge_core::access`] applied to the store.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use wangge_core::access::{Grant, Jurisdiction, LoginRefusal, Role, Throttle, WeakPassword};

use super::caller::{Caller, Via};
use super::policy::SecurityPolicy;
use super::scope::KeyScope;
use super::secret::{hash_password, random_token, same, token_hash, verify_password};
use crate::store::{from_micros, micros, AccountRecord, SessionRecord, Store, StoreError};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user name or wrong password (never says which).
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many password checks in flight; retry shortly.
    #[error("the service is busy checking passwords; retry in a moment")]
    Busy,
    /// Not allowed for this account or credential (the reason says why).
    #[error("{0}")]
    NotAllowed(String),
    /// Refused before the password was checked.
    #[error(transparent)]
    Refused(#[from] LoginRefusal),
    /// A new password breaks the policy.
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    /// The account works from one bound device and this is not it (人机格).
    #[error("{0}")]
    DeviceNotBound(String),
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

/// An API key lives at most this many days.
pub const MAX_KEY_DAYS: i64 = 366;

/// Above this many address buckets, full ones are dropped before a new one is made.
const PRUNE_ABOVE: usize = 4096;

/// What the system administrator asks for when issuing an API key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    /// The routes it may call.
    pub scope: KeyScope,
    /// What it is for (shown in the list).
    #[serde(default)]
    pub label: String,
    /// Days until it stops working (1 to 366).
    #[serde(default = "default_key_days")]
    pub expires_in_days: i64,
}

fn default_key_days() -> i64 {
    90
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

    /// Takes one attempt from the address's bucket before any password is checked (429 when
    /// it is empty), pruning the map of full buckets now and then.
    fn charge_address(&self, key: &IpAddr, now: DateTime<Utc>) -> Result<(), LoginRefusal> {
        let Ok(mut t) = self.throttle.lock() else { return Ok(()) };
        if t.len() > PRUNE_ABOVE {
            t.prune(now);
        }
        t.record_failure(key, now)
    }

    /// Gives the attempt back after a success, so that people behind one address are not
    /// refused for logging in.
    fn refund_address(&self, key: &IpAddr, now: DateTime<Utc>) {
        if let Ok(mut t) = self.throttle.lock() {
            t.refund(key, now);
        }
    }

    /// How many addresses the throttle holds a bucket for (tests, metrics).
    pub fn throttled_addresses(&self) -> usize {
        self.throttle.lock().map_or(0, |t| t.len())
    }

    /// Checks `password` for `account` (unknown: `None`). The attempt is charged to the
    /// account atomically before the slow hash, so that concurrent guesses each count; an
    /// account locked before this attempt is refused without hashing. A disabled or service
    /// account answers exactly like a wrong password.
    async fn check_password(
        &self,
        account: Option<&AccountRecord>,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let Some(a) = account else {
            verify_password(password.to_owned(), self.dummy_hash.to_string()).await?;
            return Err(AuthError::BadCredentials);
        };
        let lockout = self.policy().lockout;
        let max = i64::from(lockout.max_failures.max(1));
        let until = micros(now + chrono::Duration::minutes(i64::from(lockout.lock_minutes)));
        let charged = self.store.charge_login(&a.username, micros(now), max, until).await?;
        let Some(charged) = charged else { return Err(AuthError::BadCredentials) };
        let locked = charged.locked_until_us.filter(|u| *u > micros(now)).map(from_micros);
        if let (Some(until), true) = (locked, charged.failures > max) {
            return Err(LoginRefusal::Locked { until }.into());
        }
        let ok = verify_password(password.to_owned(), a.password_hash.clone()).await?;
        if !ok {
            return Err(locked.map_or(AuthError::BadCredentials, |until| LoginRefusal::Locked { until }.into()));
        }
        if a.disabled || a.service {
            return Err(AuthError::BadCredentials);
        }
        self.store.clear_failures(&a.username).await?;
        Ok(())
    }

    /// Checks a user name and password from `from` and opens a session or device token.
    /// Order: the address's bucket is charged, then the account (atomically, in the store),
    /// then the password is hashed within the global bound of argon2 computations.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        kind: TokenKind,
        label: &str,
        from: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        let account = self.authenticate(username, password, from, now).await?;
        self.issue(&account, kind, label, now).await
    }

    /// The account whose user name and password these are, checked as a login is (address
    /// bucket, the account's lock, the hash), without opening a session yet.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        from: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<AccountRecord, AuthError> {
        let key = Throttle::<IpAddr>::key_of(from);
        self.charge_address(&key, now)?;
        let account = self.store.account(username).await?;
        self.check_password(account.as_ref(), password, now).await?;
        self.refund_address(&key, now);
        account.ok_or(AuthError::BadCredentials)
    }

    /// Opens a browser session or a device token for a person's `account` without a
    /// password (after a login; tests). API keys are [`Auth::issue_api_key`]'s.
    pub async fn issue(
        &self,
        account: &AccountRecord,
        kind: TokenKind,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<Issued, AuthError> {
        if kind == TokenKind::ApiKey || account.service {
            return Err(AuthError::NotAllowed("API keys are issued to service accounts only, with a scope".into()));
        }
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
            key_id: None,
            scope: String::new(),
            expires_us: None,
        };
        self.store.insert_session(&record).await?;
        let caller = self.caller(&token, &record, account, now)?;
        Ok(Issued { token, csrf, caller })
    }

    /// Issues an API key to a service account: its scope, label and expiry. Nobody obtains a
    /// key for a person's account.
    pub async fn issue_api_key(
        &self,
        account: &AccountRecord,
        request: &ApiKeyRequest,
        now: DateTime<Utc>,
    ) -> Result<(Issued, SessionRecord), AuthError> {
        if !account.service {
            return Err(AuthError::NotAllowed(format!(
                "{} is a person's account: API keys are issued to service accounts only",
                account.username
            )));
        }
        if account.disabled {
            return Err(AuthError::NotAllowed(format!("{} is disabled", account.username)));
        }
        if !(1..=MAX_KEY_DAYS).contains(&request.expires_in_days) {
            return Err(AuthError::NotAllowed(format!("expires_in_days must be 1 to {MAX_KEY_DAYS}")));
        }
        let token = random_token()?;
        let key_id = random_token()?.chars().take(16).collect::<String>();
        let record = SessionRecord {
            token_hash: token_hash(&token),
            username: account.username.clone(),
            kind: TokenKind::ApiKey.as_str().to_owned(),
            label: request.label.chars().take(64).collect(),
            csrf_hash: String::new(),
            created_us: micros(now),
            last_seen_us: micros(now),
            ended_us: None,
            key_id: Some(key_id),
            scope: request.scope.as_str().to_owned(),
            expires_us: Some(micros(now + chrono::Duration::days(request.expires_in_days))),
        };
        self.store.insert_session(&record).await?;
        let caller = self.caller(&token, &record, account, now)?;
        Ok((Issued { token, csrf: String::new(), caller }, record))
    }

    /// An API key offered outside the `Authorization` header (Open311's `api_key` field): only
    /// a live API key is accepted there, never a session or device token.
    pub async fn resolve_api_key(&self, key: &str, now: DateTime<Utc>) -> Result<Caller, AuthError> {
        let caller = self.resolve(key, now).await?;
        if caller.key_scope.is_none() {
            return Err(AuthError::SessionEnded("api_key takes an API key; send session and device tokens as Authorization: Bearer"));
        }
        Ok(caller)
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
        let is_key = session.kind == TokenKind::ApiKey.as_str();
        if is_key != account.service {
            return Err(AuthError::SessionEnded("unknown session or token"));
        }
        if session.expires_us.is_some_and(|e| e <= micros(now)) {
            return Err(AuthError::SessionEnded("the API key has expired; ask the system administrator for a new one"));
        }
        let idle = micros(now) - session.last_seen_us;
        if TokenKind::idles(&session.kind) && idle > self.policy().idle_us() {
            self.store.end_session(&hash, micros(now)).await?;
            return Err(AuthError::SessionEnded("the session ended after being idle too long; log in again"));
        }
        if idle > TOUCH_EVERY_US {
            // Best effort while the disk is full or the database overloaded: reads go on; the
            // session's last use is recorded by the next request that can write.
            match self.store.touch_session(&hash, micros(now)).await {
                Err(e) if e.outage().is_some() => {
                    tracing::warn!(error = %crate::logging::error_chain(&e), "a session's last use not recorded");
                }
                other => other?,
            }
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
        let expired = session.expires_us.is_some_and(|e| e <= micros(now));
        Ok(session.ended_us.is_none() && !account.disabled && !idled && !expired)
    }

    /// Whether `caller`'s session is still live and its account still holds the grant (role,
    /// jurisdiction, acted-as person or department) it had: a long-lived answer opened under
    /// one grant ends when the grant is changed or taken away.
    pub async fn still_holds(&self, caller: &Caller, now: DateTime<Utc>) -> Result<bool, AuthError> {
        let token_hash = caller.via.token_hash();
        if !self.is_live(token_hash, now).await? {
            return Ok(false);
        }
        let Some((_, account)) = self.store.session(token_hash).await? else { return Ok(false) };
        let role = caller.grant.as_ref().map(|g| g.role.as_str().to_owned());
        let jurisdiction = caller.grant.as_ref().map(|g| g.jurisdiction.as_str().to_owned());
        Ok(account.role == role && account.jurisdiction == jurisdiction && account.acting_as == caller.acting_as)
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
        // A password set by somebody else (a new account, a reset) is changed at first use.
        let must_change = account.password_changed_us == 0;
        // An account without a password (a service account, or `!`) has none to expire.
        let has_password = !account.service && account.password_hash.starts_with('$');
        let password_expired = has_password && (must_change || self.policy().password.expired(changed, now));
        let key_scope = if session.kind == TokenKind::ApiKey.as_str() {
            Some(KeyScope::parse(&session.scope).ok_or_else(|| bad(format!("API key with unknown scope {:?}", session.scope)))?)
        } else {
            None
        };
        Ok(Caller {
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            grant,
            acting_as: account.acting_as.clone(),
            via,
            password_expired,
            key_scope,
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
        // The current password is guessed through the same lockout as a login.
        self.check_password(Some(&account), current, now).await?;
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
        let record = AccountRecord { password_changed_us: 0, ..AccountRecord::new(username, display_name, None, "", hash, now) };
        Ok(self.store.insert_account(&record).await?)
    }

    /// The first administrators of a real deployment (`wangge admin bootstrap`): an account
    /// holding `role` over the county with a random one-time password, answered once and to be
    /// changed at the first login. `None` if the name is taken.
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, AuthError> {
        if !matches!(role, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin) {
            return Err(AuthError::NotAllowed("bootstrap makes the three administrators only".into()));
        }
        let grant = Grant::new(role, Jurisdiction::County).map_err(|e| AuthError::NotAllowed(e.to_string()))?;
        self.create_with_one_time_password(username, display_name, Some(&grant), "", now).await
    }

    /// A person's account holding `grant` (acting as `acting_as`) with a random one-time
    /// password, answered once and to be changed at the first login (`wangge admin
    /// create-account`). `None` if the name is taken.
    pub async fn create_with_one_time_password(
        &self,
        username: &str,
        display_name: &str,
        grant: Option<&Grant>,
        acting_as: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, AuthError> {
        let password = one_time_password()?;
        let hash = hash_password(password.clone()).await?;
        let grant = grant.map(|g| (g.role.as_str(), g.jurisdiction.as_str()));
        let record = AccountRecord { password_changed_us: 0, ..AccountRecord::new(username, display_name, grant, acting_as, hash, now) };
        Ok(self.store.insert_account(&record).await?.then_some(password))
    }

    /// Sets a random one-time password (to be changed at the next login), lifts the lock and
    /// ends every session of a person's account (`wangge admin reset-password`). `None` if
    /// there is no such account.
    pub async fn reset_password(&self, username: &str, now: DateTime<Utc>) -> Result<Option<String>, AuthError> {
        match self.store.account(username).await? {
            Some(a) if !a.service => {}
            Some(_) => return Err(AuthError::NotAllowed("a service account has no password; issue it API keys".into())),
            None => return Ok(None),
        }
        let password = one_time_password()?;
        let hash = hash_password(password.clone()).await?;
        self.store.set_password(username, &hash, 0).await?;
        self.store.clear_failures(username).await?;
        self.store.end_sessions_of(username, micros(now)).await?;
        Ok(Some(password))
    }

    /// Lifts a lock (the system administrator); `false` if there is no such account.
    pub async fn unlock(&self, username: &str) -> Result<bool, AuthError> {
        Ok(self.store.clear_failures(username).await?)
    }

    /// The store behind it.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// A random password meeting every policy (four character classes), shown once.
fn one_time_password() -> Result<String, AuthError> {
    Ok(format!("Wg-{}-9a", random_token()?.chars().take(20).collect::<String>()))
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
