//! The service's clock: the system time, or a fixed time that tests and replays set.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

/// Where "now" comes from. Times are truncated to milliseconds, the precision the store keeps.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A time set by hand (tests, replays of historical data).
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A clock that stays at `at` until [`Clock::set`].
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self::Fixed(Arc::new(Mutex::new(at)))
    }

    /// The current time, to the millisecond.
    pub fn now(&self) -> DateTime<Utc> {
        let t = match self {
            Self::System => system_now(),
            Self::Fixed(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
        };
        millis(t)
    }

    /// Moves a fixed clock to `at` (no effect on the system clock).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Self::Fixed(t) = self {
            *t.lock().unwrap_or_else(PoisonError::into_inner) = at;
        }
    }
}

/// `t` truncated to whole milliseconds.
pub fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// The system time (chrono's `clock` feature is not built: the pure crate must not need it).
pub fn system_now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}
