//! Login lockout and per-address throttling as pure state machines; the caller passes the
//! time in and stores the state.
//!
//! Order of a login: [`Throttle::admit`] for the address, then [`AccountLock::locked`] for the
//! account (both refuse before any password is checked), then the password check, then
//! [`record_login`]. A failure from an address that has run out of tokens is not counted
//! against the account, so one attacker cannot lock everyone out: an address spends at most
//! `burst` failures at once and then one per `refill_secs`.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Account lockout settings (security policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account (MLPS: 5).
    pub max_failures: u32,
    /// How long the lock lasts, in minutes.
    pub lock_minutes: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { max_failures: 5, lock_minutes: 30 }
    }
}

impl LockoutPolicy {
    fn lock_for(&self) -> Duration {
        Duration::minutes(i64::from(self.lock_minutes))
    }
}

/// One account's lockout state, stored with the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountLock {
    /// Consecutive failures since the last success or lock.
    pub failures: u32,
    /// Locked until then.
    pub locked_until: Option<DateTime<Utc>>,
}

impl AccountLock {
    /// The end of the lock, if the account is locked at `now`.
    pub fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| now < *until)
    }

    /// Counts a failed password; returns the end of the lock if the account is (now) locked.
    /// While locked nothing is counted (the password should not even have been checked).
    pub fn record_failure(&mut self, policy: &LockoutPolicy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some(until) = self.locked(now) {
            return Some(until);
        }
        if self.locked_until.take().is_some() {
            self.failures = 0;
        }
        self.failures += 1;
        if self.failures >= policy.max_failures.max(1) {
            self.failures = 0;
            self.locked_until = Some(now + policy.lock_for());
        }
        self.locked_until
    }

    /// A successful login (or an administrator's unlock): the count starts again.
    pub fn record_success(&mut self) {
        *self = Self::default();
    }
}

/// Per-address throttle settings: a token bucket of failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ThrottlePolicy {
    /// Failures an address may make at once.
    pub burst: u32,
    /// Seconds for one failure to be forgiven.
    pub refill_secs: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self { burst: 10, refill_secs: 60 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    since: DateTime<Utc>,
}

/// Why a login was refused before the password was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefusal {
    /// Too many failures from this address (answer 429 with `Retry-After`).
    #[error("too many failed logins from this address; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the next attempt is let through.
        retry_after_secs: u64,
    },
    /// The account is locked.
    #[error("the account is locked until {until}")]
    Locked {
        /// The end of the lock.
        until: DateTime<Utc>,
    },
}

/// Failed logins per address (token buckets), keyed by whatever identifies an address — for
/// IP addresses use [`Throttle::key_of`], which groups an IPv6 /64.
#[derive(Debug, Clone)]
pub struct Throttle<K> {
    policy: ThrottlePolicy,
    buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// An empty throttle.
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self { policy, buckets: HashMap::new() }
    }

    fn interval(&self) -> Duration {
        Duration::seconds(i64::from(self.policy.refill_secs.max(1)))
    }

    /// The bucket of `key` refilled to `now` (a clock that went back refills nothing).
    fn refilled(&self, key: &K, now: DateTime<Utc>) -> Bucket {
        let full = Bucket { tokens: self.policy.burst, since: now };
        let Some(b) = self.buckets.get(key).copied() else { return full };
        let step = self.interval();
        let earned = ((now - b.since).num_milliseconds().max(0) / step.num_milliseconds()) as u64;
        let tokens = u64::from(b.tokens) + earned;
        if tokens >= u64::from(self.policy.burst) {
            return full;
        }
        Bucket { tokens: tokens as u32, since: b.since + step * earned as i32 }
    }

    fn refusal(&self, b: Bucket, now: DateTime<Utc>) -> LoginRefusal {
        let wait = (b.since + self.interval() - now).num_milliseconds().max(0) as u64;
        LoginRefusal::Throttled { retry_after_secs: wait.div_ceil(1000).max(1) }
    }

    /// Whether an attempt from `key` may go ahead at `now`.
    pub fn admit(&self, key: &K, now: DateTime<Utc>) -> Result<(), LoginRefusal> {
        let b = self.refilled(key, now);
        if b.tokens == 0 {
            return Err(self.refusal(b, now));
        }
        Ok(())
    }

    /// Spends one token for a failure from `key`; refused (and so not to be counted against
    /// any account) when none is left.
    pub fn record_failure(&mut self, key: &K, now: DateTime<Utc>) -> Result<(), LoginRefusal> {
        let mut b = self.refilled(key, now);
        if b.tokens == 0 {
            return Err(self.refusal(b, now));
        }
        b.tokens -= 1;
        self.buckets.insert(key.clone(), b);
        Ok(())
    }

    /// Gives one attempt back to `key`'s bucket (a success after it was charged), never
    /// above the burst.
    pub fn refund(&mut self, key: &K, now: DateTime<Utc>) {
        let mut b = self.refilled(key, now);
        b.tokens = (b.tokens + 1).min(self.policy.burst);
        if b.tokens >= self.policy.burst {
            self.buckets.remove(key);
        } else {
            self.buckets.insert(key.clone(), b);
        }
    }

    /// Forgets addresses whose bucket has refilled (call now and then to bound memory).
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let full: Vec<K> =
            self.buckets.keys().filter(|k| self.refilled(k, now).tokens >= self.policy.burst).cloned().collect();
        for k in full {
            self.buckets.remove(&k);
        }
    }

    /// Addresses being tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no address is being tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

impl Throttle<IpAddr> {
    /// The key for an IP address: itself for IPv4, its /64 for IPv6 (one host holds a /64;
    /// an IPv4-mapped address counts as its IPv4 address).
    pub fn key_of(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
            },
        }
    }
}

/// Records the outcome of a password check that [`Throttle::admit`] and
/// [`AccountLock::locked`] let through. `account` is `None` for an unknown user name, which
/// still spends the address's token. Returns the end of the account's lock if this failure
/// locked it.
pub fn record_login<K: Hash + Eq + Clone>(
    throttle: &mut Throttle<K>,
    key: &K,
    account: Option<&mut AccountLock>,
    policy: &LockoutPolicy,
    ok: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if ok {
        account?.record_success();
        return None;
    }
    throttle.record_failure(key, now).ok()?;
    account?.record_failure(policy, now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap()
    }

    fn secs(n: i64) -> DateTime<Utc> {
        t0() + Duration::seconds(n)
    }

    #[test]
    fn a_refund_gives_back_one_attempt_and_drops_full_buckets() {
        let mut t = Throttle::new(ThrottlePolicy { burst: 2, refill_secs: 60 });
        assert!(t.record_failure(&1, t0()).is_ok());
        assert!(t.record_failure(&1, t0()).is_ok());
        assert!(t.admit(&1, t0()).is_err());
        t.refund(&1, t0());
        assert!(t.admit(&1, t0()).is_ok());
        t.refund(&1, t0());
        assert_eq!(t.len(), 0, "a full bucket is not kept");
    }

    #[test]
    fn five_failures_lock_for_the_period() {
        let policy = LockoutPolicy::default();
        let mut a = AccountLock::default();
        for i in 0..4 {
            assert_eq!(a.record_failure(&policy, secs(i)), None);
        }
        assert_eq!(a.locked(secs(4)), None);
        let until = a.record_failure(&policy, secs(4)).unwrap();
        assert_eq!(until, secs(4) + Duration::minutes(30));
        assert_eq!(a.locked(secs(5)), Some(until));
        assert_eq!(a.locked(until - Duration::seconds(1)), Some(until));
        assert_eq!(a.locked(until), None, "the lock ends on time");
        // Failures during the lock count nothing and do not extend it.
        assert_eq!(a.record_failure(&policy, secs(60)), Some(until));
        // After it, five fresh attempts.
        for i in 0..4 {
            assert_eq!(a.record_failure(&policy, until + Duration::seconds(i)), None);
        }
        assert!(a.record_failure(&policy, until + Duration::seconds(5)).is_some());
    }

    #[test]
    fn success_resets_the_count() {
        let policy = LockoutPolicy { max_failures: 3, lock_minutes: 10 };
        let mut a = AccountLock::default();
        a.record_failure(&policy, secs(0));
        a.record_failure(&policy, secs(1));
        a.record_success();
        assert_eq!(a, AccountLock::default());
        a.record_failure(&policy, secs(2));
        a.record_failure(&policy, secs(3));
        assert_eq!(a.locked(secs(4)), None);
        assert_eq!(a.record_failure(&policy, secs(4)), Some(secs(4) + Duration::minutes(10)));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<AccountLock>(&json).unwrap(), a);
    }

    #[test]
    fn the_bucket_empties_and_refills() {
        let mut t = Throttle::new(ThrottlePolicy { burst: 3, refill_secs: 60 });
        let ip = "10.0.0.1";
        for i in 0..3 {
            assert_eq!(t.admit(&ip, secs(i)), Ok(()));
            assert_eq!(t.record_failure(&ip, secs(i)), Ok(()));
        }
        assert_eq!(t.admit(&ip, secs(3)), Err(LoginRefusal::Throttled { retry_after_secs: 57 }));
        assert!(t.record_failure(&ip, secs(3)).is_err());
        assert!(t.admit(&"10.0.0.2", secs(3)).is_ok(), "other addresses are not affected");
        assert!(t.admit(&ip, secs(59)).is_err());
        assert_eq!(t.admit(&ip, secs(60)), Ok(()));
        t.record_failure(&ip, secs(60)).unwrap();
        assert_eq!(t.admit(&ip, secs(61)), Err(LoginRefusal::Throttled { retry_after_secs: 59 }));
        // A clock that steps back refills nothing and does not panic.
        assert!(t.admit(&ip, secs(-600)).is_err());
        assert_eq!(t.len(), 1);
        t.prune(secs(120));
        assert_eq!(t.len(), 1, "not refilled yet");
        t.prune(secs(240));
        assert!(t.is_empty());
    }

    #[test]
    fn one_address_cannot_lock_everyone_out() {
        let policy = LockoutPolicy::default();
        let mut t = Throttle::new(ThrottlePolicy { burst: 10, refill_secs: 60 });
        let mut accounts = vec![AccountLock::default(); 20];
        let attacker = "198.51.100.7";
        // The attacker tries 5 passwords on every account within a minute.
        let mut tried = 0;
        for (i, acct) in accounts.iter_mut().enumerate() {
            for k in 0..5 {
                let now = secs((i * 5 + k) as i64 / 4);
                if t.admit(&attacker, now).is_err() || acct.locked(now).is_some() {
                    continue;
                }
                tried += 1;
                record_login(&mut t, &attacker, Some(acct), &policy, false, now);
            }
        }
        assert_eq!(tried, 10, "the bucket let ten failures through");
        let locked = accounts.iter().filter(|a| a.locked(secs(30)).is_some()).count();
        assert_eq!(locked, 2, "ten failures lock at most two accounts");
        // A user of a locked-out-of-reach account logs in from elsewhere.
        let mut user = accounts[10];
        assert!(t.admit(&"203.0.113.9", secs(30)).is_ok() && user.locked(secs(30)).is_none());
        record_login(&mut t, &"203.0.113.9", Some(&mut user), &policy, true, secs(30));
        assert_eq!(user, AccountLock::default());
    }

    #[test]
    fn throttled_failures_do_not_count_against_the_account() {
        let policy = LockoutPolicy::default();
        let mut t = Throttle::new(ThrottlePolicy { burst: 2, refill_secs: 60 });
        let mut acct = AccountLock::default();
        for _ in 0..2 {
            record_login(&mut t, &"a", Some(&mut acct), &policy, false, secs(0));
        }
        assert_eq!(acct.failures, 2);
        // A racing request that passed admit before the bucket emptied.
        assert_eq!(record_login(&mut t, &"a", Some(&mut acct), &policy, false, secs(1)), None);
        assert_eq!(acct.failures, 2);
        // Unknown user names still spend the address's tokens.
        record_login(&mut t, &"b", None, &policy, false, secs(0));
        record_login(&mut t, &"b", None, &policy, false, secs(0));
        assert!(t.admit(&"b", secs(1)).is_err());
    }

    #[test]
    fn ipv6_hosts_are_grouped_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Throttle::key_of(a), Throttle::key_of(b));
        assert_ne!(Throttle::key_of(a), Throttle::key_of(c));
        assert_eq!(Throttle::key_of(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(Throttle::key_of(v4), v4);
        assert_eq!(Throttle::key_of("::ffff:192.0.2.1".parse().unwrap()), v4);
    }
}
