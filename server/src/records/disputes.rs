//! Disputes, petitions, call-backs and outcomes as the store keeps them (see
//! `migrations/*/…_disputes.sql`): the facts the county's benefit indicators are counted from.

use chrono::{DateTime, Utc};
use serde_json::Value;
use wangge_core::dispute::{self, CaseSummary, Level};
use wangge_core::petition::{self, Lodged};

use crate::records::Place;

/// A grid's screening (排查) of one month.
#[derive(Debug, Clone, PartialEq)]
pub struct Screening {
    /// The grid.
    pub grid_code: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Its township.
    pub township_code: String,
    /// Its village.
    pub village_code: String,
    /// First recorded.
    pub screened_at: DateTime<Utc>,
    /// By whom.
    pub screened_by: String,
    /// Disputes found.
    pub found: i64,
    /// What was seen.
    pub note: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One dispute case (矛盾纠纷).
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeCase {
    /// `D…`.
    pub case_id: String,
    /// The event it hangs on.
    pub event_id: String,
    /// The event's grid, village and township.
    pub place: Place,
    /// A code of [`dispute::KINDS`].
    pub kind: String,
    /// A code of [`dispute::SCALES`].
    pub scale: String,
    /// Its stage.
    pub stage: dispute::Stage,
    /// Registered.
    pub registered_at: DateTime<Utc>,
    /// Accepted by a mediating body.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Mediation due (acceptance + 30 days).
    pub due_at: Option<DateTime<Utc>>,
    /// Agreed, failed or transferred.
    pub concluded_at: Option<DateTime<Utc>>,
    /// What the rates count.
    pub facts: CaseSummary,
    /// The case file's fields (summary, people, body, mediator, method, outcome, masked parties).
    pub doc: Value,
    /// The parties, sealed.
    pub parties_sealed: String,
    /// The seq of its last move.
    pub seq: i64,
    /// Who registered it.
    pub created_by: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One move of a dispute case or a petition (its file's timeline).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseMove {
    /// 1, 2, …
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// The move's wire name (`register` for the first).
    pub action: String,
    /// Its fields.
    pub payload: Value,
    /// The stage after it.
    pub stage_after: String,
}

/// One petition case (信访).
#[derive(Debug, Clone, PartialEq)]
pub struct Petition {
    /// `P…`.
    pub petition_id: String,
    /// Letter, visit or online.
    pub channel: petition::Channel,
    /// Where it was lodged.
    pub lodged: Lodged,
    /// The township it concerns.
    pub township_code: String,
    /// The village, when known.
    pub village_code: Option<String>,
    /// Its stage.
    pub stage: petition::Stage,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Acceptance to be decided by (received + 15 days).
    pub accept_by: DateTime<Utc>,
    /// Accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Handling due (accepted + 60 days, + an extension).
    pub due_at: Option<DateTime<Utc>>,
    /// Whether the handling was extended.
    pub extended: bool,
    /// Answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Resolved (化解), once answered.
    pub resolved: Option<bool>,
    /// The first petition of the same matter.
    pub repeat_of: Option<String>,
    /// A linked event.
    pub event_id: Option<String>,
    /// A linked dispute case.
    pub case_id: Option<String>,
    /// The matter, people, office, answer and the masked petitioners.
    pub doc: Value,
    /// The petitioners, sealed.
    pub petitioners_sealed: String,
    /// The seq of its last move.
    pub seq: i64,
    /// Who registered it.
    pub created_by: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A call-back (回访) of a closed event.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// `C…`.
    pub callback_id: String,
    /// The event.
    pub event_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who called (or the reporter rating it).
    pub actor: String,
    /// `desk` or `reporter`.
    pub source: String,
    /// Whether the reporter was reached.
    pub reached: bool,
    /// Their level, when reached.
    pub level: Option<Level>,
    /// What was said.
    pub note: String,
    /// Whether it reopened the event.
    pub reopened: bool,
    /// The event's grid, village and township.
    pub place: Place,
    /// When the event was reported (the figures' period).
    pub event_reported_at: DateTime<Utc>,
}

/// A township's result indicator (结果性指标).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `O…`.
    pub outcome_id: String,
    /// The township.
    pub township_code: String,
    /// A code of [`dispute::OUTCOME_KINDS`].
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub occurred_on: String,
    /// What happened.
    pub note: String,
    /// A reference (case or petition id, police case number).
    pub reference: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Which cases or petitions a ledger lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    /// Registered (received) at or after.
    pub from: Option<DateTime<Utc>>,
    /// Registered (received) before.
    pub to: Option<DateTime<Utc>>,
    /// In this township.
    pub township: Option<String>,
    /// In this village.
    pub village: Option<String>,
    /// In this grid (cases only).
    pub grid: Option<String>,
    /// At this stage.
    pub stage: Option<String>,
    /// Of this kind (cases only).
    pub kind: Option<String>,
}

/// A closed event as the call-back desk sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedEvent {
    /// The event.
    pub event_id: String,
    /// Its category's wire name.
    pub category: String,
    /// When it was closed.
    pub closed_at: DateTime<Utc>,
    /// Call-backs since it was closed.
    pub attempts: i64,
    /// Whether one of them reached the reporter.
    pub reached: bool,
}

/// A petition as the rates read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PetitionFact {
    /// Accepted, resolved, repeat.
    pub summary: petition::PetitionSummary,
    /// Where it was lodged.
    pub lodged: Lodged,
}
