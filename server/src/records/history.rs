//! Events with their whole timelines as the figures read them.

use chrono::{DateTime, Utc};
use wangge_core::event::{Category, Complexity, Holder, State};

use super::event::Place;

/// Which events the figures cover: reported in `[from, to)`, optionally in one division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsFilter {
    /// Reported at or after.
    pub from: DateTime<Utc>,
    /// Reported before.
    pub to: DateTime<Utc>,
    /// In this township.
    pub township: Option<String>,
    /// In this village or community.
    pub village: Option<String>,
    /// In this grid.
    pub grid: Option<String>,
}

/// One timeline row as the figures need it: when, which action, the holder after it and a
/// rating's score. Notes and reasons do not change a loop, so they are not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAction {
    /// When.
    pub at: DateTime<Utc>,
    /// The core action's name.
    pub action: String,
    /// The holder after it (the `to` of an assignment, escalation or arbitration).
    pub holder: Option<Holder>,
    /// A rating's score.
    pub score: Option<u8>,
}

/// An event with its whole timeline, as read for the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHistory {
    /// The event.
    pub event_id: String,
    /// Category.
    pub category: Category,
    /// Ordinary or complex (the 3 or 5 working days).
    pub complexity: Complexity,
    /// Where it is now.
    pub state: State,
    /// Its grid, village and township.
    pub place: Place,
    /// Its actions after the `reported` row, in order.
    pub actions: Vec<StoredAction>,
}
