//! 人机格: the one device a gridworker's account works from. The first sign-in binds it (a
//! random key handed to the device once; only its hash is stored), later sign-ins must present
//! the key, and a dispatcher or administrator releases the binding.

use chrono::{DateTime, Utc};
use wangge_core::access::Role;

use super::secret::{random_token, same, token_hash};
use super::service::{Auth, AuthError};
use crate::store::{from_micros, micros, AccountRecord, DeviceRecord};

/// What [`Auth::check_device`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCheck {
    /// The account's role does not work from a bound device.
    NotNeeded,
    /// The device presented the key of the account's bound device.
    Known,
    /// This sign-in bound the device: its key, to hand to it once.
    Bound {
        /// The device's key.
        key: String,
    },
}

/// Whether an account works from one bound device only (人机格): gridworkers.
pub fn needs_device(account: &AccountRecord) -> bool {
    !account.service && account.role.as_deref() == Some(Role::Gridworker.as_str())
}

fn device_refusal(bound: &DeviceRecord) -> AuthError {
    let since = from_micros(bound.bound_us).with_timezone(&wangge_core::calendar::china_time());
    AuthError::DeviceNotBound(format!(
        "this account works from the device it is bound to ({}, since {}); a dispatcher or administrator must unbind it before another device can sign in",
        if bound.label.is_empty() { "unnamed" } else { bound.label.as_str() },
        since.format("%Y-%m-%d %H:%M")
    ))
}

impl Auth {
    /// 人机格: whether `account` may sign in from the device that presented `key` (an account
    /// whose role works from a bound device: gridworkers). The first sign-in binds the device
    /// and answers the new key, to be kept by the device (shown once; only its hash is stored);
    /// a later sign-in must present it. Other accounts need no device.
    pub async fn check_device(
        &self,
        account: &AccountRecord,
        key: Option<&str>,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<DeviceCheck, AuthError> {
        if !needs_device(account) {
            return Ok(DeviceCheck::NotNeeded);
        }
        if let Some(bound) = self.store().account_device(&account.username).await? {
            return match key {
                Some(key) if same(&token_hash(key), &bound.key_hash) => Ok(DeviceCheck::Known),
                _ => Err(device_refusal(&bound)),
            };
        }
        let key = random_token()?;
        let record = DeviceRecord {
            username: account.username.clone(),
            key_hash: token_hash(&key),
            label: label.chars().filter(|c| !c.is_control()).take(200).collect(),
            bound_us: micros(now),
        };
        if self.store().bind_device(&record).await? {
            return Ok(DeviceCheck::Bound { key });
        }
        // Another device bound it first.
        match self.store().account_device(&account.username).await? {
            Some(bound) => Err(device_refusal(&bound)),
            None => Err(AuthError::DeviceNotBound("the device binding changed during sign-in; try again".into())),
        }
    }

    /// Unbinds `username`'s device and ends its sessions; the device it was bound to.
    pub async fn unbind_device(&self, username: &str, now: DateTime<Utc>) -> Result<Option<DeviceRecord>, AuthError> {
        Ok(self.store().unbind_device(username, micros(now)).await?)
    }

}
