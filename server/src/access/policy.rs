//! The security policy the security administrator sets: passwords, lockout, throttling and
//! session lifetimes.

use serde::{Deserialize, Serialize};
use wangge_core::access::{LockoutPolicy, PasswordPolicy, ThrottlePolicy};

/// Everything configurable about logging in and staying logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Password rules (length, character classes, expiry).
    pub password: PasswordPolicy,
    /// Consecutive failures before a lock, and its length.
    pub lockout: LockoutPolicy,
    /// Failed logins per address.
    pub throttle: ThrottlePolicy,
    /// Minutes without a request after which a browser session or device token ends.
    pub idle_timeout_minutes: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            password: PasswordPolicy::default(),
            lockout: LockoutPolicy::default(),
            throttle: ThrottlePolicy::default(),
            idle_timeout_minutes: 30,
        }
    }
}

impl SecurityPolicy {
    /// Checks a policy before it is saved.
    pub fn validate(&self) -> Result<(), String> {
        self.password.validate().map_err(|e| e.to_string())?;
        if !(1..=20).contains(&self.lockout.max_failures) {
            return Err("lockout.max_failures must be 1 to 20 (MLPS: at most 5 is usual)".into());
        }
        if !(1..=24 * 60).contains(&self.lockout.lock_minutes) {
            return Err("lockout.lock_minutes must be 1 to 1440".into());
        }
        if self.throttle.burst == 0 || self.throttle.refill_secs == 0 {
            return Err("throttle.burst and throttle.refill_secs must be at least 1".into());
        }
        if !(1..=8 * 60).contains(&self.idle_timeout_minutes) {
            return Err("idle_timeout_minutes must be 1 to 480".into());
        }
        Ok(())
    }

    /// The idle timeout in microseconds.
    pub fn idle_us(&self) -> i64 {
        i64::from(self.idle_timeout_minutes) * 60_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_round_trips() {
        let p = SecurityPolicy::default();
        assert_eq!(p.validate(), Ok(()));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SecurityPolicy>(&json).unwrap(), p);
        let partial: SecurityPolicy = serde_json::from_str(r#"{"idle_timeout_minutes": 10}"#).unwrap();
        assert_eq!(partial.idle_timeout_minutes, 10);
        assert!(serde_json::from_str::<SecurityPolicy>(r#"{"idle": 10}"#).is_err());
        let bad = SecurityPolicy { idle_timeout_minutes: 0, ..p };
        assert!(bad.validate().is_err());
    }
}
