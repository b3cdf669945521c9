//! Events (事件) as the service keeps them: the report, where it is, who reported it, its closed
//! loop ([`Loop`]) and its timeline; the filters of the queues.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use wangge_core::event::{Category, Holder, Loop, State, Tier};
use wangge_core::LonLat;
pub use wangge_core::wire::{Channel, Paged, ReporterKind};


/// The reporter as recorded (name and phone are personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reporter {
    /// Gridworker, resident or operator.
    pub kind: ReporterKind,
    /// The person, when the report came from a bound device.
    pub person_id: Option<String>,
    /// Name given with the report.
    pub name: Option<String>,
    /// Phone given with the report.
    pub phone: Option<String>,
}

/// The grid an event is in, with its village and township.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Grid code.
    pub grid: String,
    /// Village or community code.
    pub village: String,
    /// Township code.
    pub township: String,
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// `E{yyyymmdd}-{seq}` (China-time day of the report). Empty in a [`NewEvent`] for the
    /// store to allocate.
    pub event_id: String,
    /// The client's idempotency key.
    pub report_id: String,
    /// Hash of the report as sent (see [`crate::events::intake`]).
    pub fingerprint: String,
    /// Category.
    pub category: Category,
    /// Subcategory (free text, matched by the responsibility table).
    pub subcategory: Option<String>,
    /// What the reporter said.
    pub description: String,
    /// Where, in CGCS2000.
    pub location: LonLat,
    /// The grid it is in.
    pub place: Place,
    /// Who reported it.
    pub reporter: Reporter,
    /// How it came in.
    pub channel: Channel,
    /// The closed loop: state, holder, deadlines, rating.
    pub flow: Loop,
    /// A gridworker's report from outside their own grids.
    pub patrol_flag: bool,
    /// The seq of the last timeline row (the optimistic-concurrency token).
    pub seq: i64,
    /// When it was received.
    pub reported_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was closed (cleared on reopening).
    pub closed_at: Option<DateTime<Utc>>,
}

/// One row of an event's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// 1, 2, … in order.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Person id, centre id, department code, `system`, or the reporter's kind.
    pub actor: String,
    /// The tier holding the event when the action was taken.
    pub tier: Option<Tier>,
    /// `reported` or a core action name.
    pub action: String,
    /// The action's fields.
    pub payload: Value,
    /// The state after the action.
    pub state_after: State,
    /// The holder after the action.
    pub holder_after: Option<Holder>,
}

/// A new event and its first timeline rows, written in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event; an empty `event_id` asks the store for the next one of its report day.
    pub event: EventRecord,
    /// Its first timeline rows (`reported`, `assign`), seq 1, 2, ….
    pub timeline: Vec<TimelineEntry>,
    /// Its photos (seq 1), their bytes already staged in the store.
    pub attachments: Vec<super::NewAttachment>,
    /// The audit row of its creation, sealed in the transaction that creates the event (its
    /// object is set to the event then); none for events written without a request (the demo
    /// county, tools).
    pub audit: Option<wangge_core::access::AuditRow>,
}

/// What inserting a report did.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// A new event.
    Created(EventRecord),
    /// The report id was already used: the event it created.
    Existing(EventRecord),
}

/// A transition to store: applies only if the event's seq is still `expected_seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionWrite {
    /// The event.
    pub event_id: String,
    /// Its seq when the transition was computed.
    pub expected_seq: i64,
    /// The loop after the action.
    pub flow: Loop,
    /// The timeline row (seq `expected_seq + 1`).
    pub entry: TimelineEntry,
    /// New `closed_at`.
    pub closed_at: Option<DateTime<Utc>>,
    /// A new place after the grids were redrawn (grid, village, township codes).
    pub regrid: Option<Regrid>,
    /// Photos with the transition (evidence of handling), their bytes already staged.
    pub attachments: Vec<super::NewAttachment>,
}

/// The place of an open event moved to the grid that now covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regrid {
    /// New grid code.
    pub grid: String,
    /// New village code.
    pub village: String,
    /// New township code.
    pub township: String,
}

/// Queue filters; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Any of these states.
    pub states: Vec<State>,
    /// Held at this tier.
    pub tier: Option<Tier>,
    /// Held by this person, centre or department.
    pub holder: Option<String>,
    /// In this township.
    pub township: Option<String>,
    /// In this village.
    pub village: Option<String>,
    /// In this grid.
    pub grid: Option<String>,
    /// Of this category.
    pub category: Option<Category>,
    /// Overdue (or not) at `now`, as [`Loop::overdue`] defines it.
    pub overdue: Option<bool>,
    /// Open with `done_by` before this time (supervision).
    pub done_before: Option<DateTime<Utc>>,
    /// Reported at or after.
    pub from: Option<DateTime<Utc>>,
    /// Reported before.
    pub to: Option<DateTime<Utc>>,
    /// The time `overdue` is judged at.
    pub now: Option<DateTime<Utc>>,
    /// Located in this box, `[min_lon, min_lat, max_lon, max_lat]` (CGCS2000).
    pub within_box: Option<[f64; 4]>,
}

/// Which page of a list (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl Page {
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }
}

/// A stored time as text: UTC, milliseconds, `Z`.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_offsets_from_one() {
        assert_eq!(Page { page: 1, per_page: 50 }.offset(), 0);
        assert_eq!(Page { page: 3, per_page: 20 }.offset(), 40);
        assert_eq!(Page { page: 0, per_page: 20 }.offset(), 0);
    }
}
