//! Events as points on the map: where, what, which grid.

use chrono::{DateTime, Utc};
use wangge_core::event::Category;

/// Which events a heatmap or choropleth counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointFilter {
    /// Any of these categories (none: every category).
    pub categories: Vec<Category>,
    /// Reported at or after.
    pub from: Option<DateTime<Utc>>,
    /// Reported before.
    pub to: Option<DateTime<Utc>>,
    /// In this township.
    pub township: Option<String>,
    /// In this village or community.
    pub village: Option<String>,
}

/// One event as the map needs it: where, what and which grid.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPoint {
    /// Longitude, CGCS2000.
    pub lon: f64,
    /// Latitude, CGCS2000.
    pub lat: f64,
    /// Category.
    pub category: Category,
    /// The grid it was reported in.
    pub grid_code: String,
}

/// One event as the in-memory figures keep it: its history, where it is, when it was reported
/// and whether it is marked a duplicate (the figures leave those out).
#[derive(Debug, Clone, PartialEq)]
pub struct FactRow {
    /// The event and its timeline.
    pub history: crate::records::EventHistory,
    /// Longitude, CGCS2000.
    pub lon: f64,
    /// Latitude, CGCS2000.
    pub lat: f64,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Marked a duplicate of another event.
    pub duplicate: bool,
    /// Open: from when it is past a deadline ([`wangge_core::event::overdue_from`], to the
    /// millisecond as stored).
    pub overdue_from: Option<DateTime<Utc>>,
    /// Its done-by deadline, as stored (the order in which overdue events are listed).
    pub done_by: Option<DateTime<Utc>>,
}

/// Where a process's in-memory figures are up to in the store's log of event changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeMark {
    /// SQLite: the last change read (its ids are in commit order).
    Sqlite(i64),
    /// PostgreSQL: the oldest transaction still running when the log was last read; the rows of
    /// that transaction and every later one are read again next time.
    Postgres(u64),
}

/// Events changed since a mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Their ids (each once).
    pub event_ids: Vec<String>,
    /// Where the next read starts.
    pub mark: ChangeMark,
}
