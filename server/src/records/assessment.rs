//! The assessment's stored facts: scheme versions, manual scores, frozen periods, the budget
//! ledger, careers and events marked not valid.

use chrono::{DateTime, Utc};
use serde::Serialize;
use wangge_core::assessment::Scheme;

/// A version of a year's scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeVersion {
    /// Its version (1 for the first).
    pub version: i64,
    /// The scheme.
    pub scheme: Scheme,
    /// Who changed it (`system` for the default).
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// Why.
    pub note: String,
}

/// An assessor's points for a manual indicator of one unit in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManualScore {
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY`.
    pub period: String,
    /// The level's wire name.
    pub level: String,
    /// Gridworker id, village or township code, or `county`.
    pub unit: String,
    /// The indicator's code.
    pub indicator: String,
    /// The points.
    pub points: f64,
    /// The evidence (台账, 实地测评).
    pub evidence: String,
    /// Who entered it.
    pub entered_by: String,
    /// When.
    pub entered_at: DateTime<Utc>,
}

/// A frozen league table.
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    /// The period.
    pub period: String,
    /// The level.
    pub level: String,
    /// The scheme's year and version.
    pub scheme: (i64, i64),
    /// The table (JSON).
    pub body: String,
    /// Who froze it.
    pub frozen_by: String,
    /// When.
    pub frozen_at: DateTime<Utc>,
}

/// A budget or spending line (一笔账).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetLine {
    /// `B…`.
    pub line_id: String,
    /// The year.
    pub year: i64,
    /// `budget` or `spend`.
    pub kind: String,
    /// The line (网格员补贴, 设备, 培训, 奖励…).
    pub item: String,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Funding source (一般公共预算…).
    pub source: String,
    /// Date `YYYY-MM-DD`.
    pub dated: String,
    /// Note.
    pub note: String,
    /// Who entered it.
    pub entered_by: String,
    /// When.
    pub entered_at: DateTime<Utc>,
}

/// A move of a gridworker's career.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareerMove {
    /// The gridworker.
    pub person_id: String,
    /// 1, 2, … in order.
    pub seq: i64,
    /// The move's wire name.
    pub action: String,
    /// The stage it left.
    pub stage: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// The assessed period, for a failed or passed one.
    pub period: Option<String>,
    /// Note (the training, the reason).
    pub note: String,
}

/// An event marked not valid for the assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvalidMark {
    /// The event.
    pub event_id: String,
    /// `test` or `unfounded`.
    pub reason: String,
    /// Note.
    pub note: String,
    /// Who.
    pub marked_by: String,
    /// When.
    pub marked_at: DateTime<Utc>,
}
