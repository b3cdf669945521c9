//! The disputes' answers as the API gives them: the screening board and a grid's screening,
//! a case's whole file, a move of a case or petition file, and the townships' result
//! indicators.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use wangge_core::dispute::{label, Month, OUTCOME_KINDS};

use crate::disputes::{self, cases, figures};
use crate::records::{Outcome, Screening};

/// A grid's screening of a month as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ScreeningView {
    pub(super) grid: String,
    /// `YYYY-MM`.
    pub(super) month: String,
    pub(super) township: String,
    pub(super) village: String,
    /// First recorded.
    pub(super) at: String,
    pub(super) by: String,
    /// Disputes found.
    pub(super) found: i64,
    pub(super) note: String,
    /// Recorded in time for its month.
    pub(super) on_time: bool,
    pub(super) updated_at: String,
}

pub(super) fn screening_view(s: &Screening) -> ScreeningView {
    let on_time = Month::parse(&s.month)
        .is_some_and(|m| wangge_core::dispute::screened_on_time(m, figures::today(s.screened_at)));
    ScreeningView {
        grid: s.grid_code.clone(),
        month: s.month.clone(),
        township: s.township_code.clone(),
        village: s.village_code.clone(),
        at: crate::records::time_text(s.screened_at),
        by: s.screened_by.clone(),
        found: s.found,
        note: s.note.clone(),
        on_time,
        updated_at: crate::records::time_text(s.updated_at),
    }
}

/// `GET /api/v1/screenings`: the screening board of a month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ScreeningBoard {
    /// `YYYY-MM`.
    pub(super) month: String,
    /// The month is over.
    pub(super) ended: bool,
    /// Grids to screen.
    pub(super) due: u64,
    /// Grids screened.
    pub(super) screened: u64,
    /// Grids screened on time.
    pub(super) on_time: u64,
    /// On time over due (`null` with no grid due).
    pub(super) rate: Option<f64>,
    pub(super) items: Vec<BoardLine>,
}

/// A grid of the board and its screening of the month (`null`: not screened).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BoardLine {
    pub(super) grid: String,
    pub(super) grid_name: String,
    pub(super) village: String,
    pub(super) village_name: String,
    pub(super) township: String,
    pub(super) township_name: String,
    pub(super) screening: Option<ScreeningView>,
}

/// A dispute case's whole file: the case, its moves, its event's summary and linked petitions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CaseFile {
    #[serde(flatten)]
    pub(super) case: cases::CaseView,
    pub(super) moves: Vec<FileMove>,
    /// Its event (`null` if no longer stored).
    pub(super) event: Option<CaseEvent>,
    /// The petitions linked to it.
    pub(super) petitions: Vec<String>,
}

/// The event a case hangs on, in short.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CaseEvent {
    pub(super) event_id: String,
    pub(super) category: &'static str,
    pub(super) description: String,
    pub(super) state: &'static str,
    pub(super) reported_at: String,
}

/// A move of a case or petition file as answered: who, when and the stage after, and the
/// move's own fields beside.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct FileMove {
    pub(super) seq: i64,
    pub(super) at: String,
    pub(super) actor: String,
    /// The move's wire name (`register` for the first).
    pub(super) action: String,
    pub(super) stage_after: String,
    /// The move's fields.
    #[serde(flatten)]
    pub(super) fields: serde_json::Map<String, Value>,
}

/// A move as answered: its fields, with who, when and the stage after.
pub(super) fn move_view(m: &crate::records::CaseMove) -> FileMove {
    FileMove {
        seq: m.seq,
        at: crate::records::time_text(m.at),
        actor: m.actor.clone(),
        action: m.action.clone(),
        stage_after: m.stage_after.clone(),
        fields: disputes::beside(&m.payload, &["seq", "at", "actor", "action", "stage_after"]),
    }
}

/// A township's result indicator as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OutcomeView {
    pub(super) outcome_id: String,
    pub(super) township: String,
    /// A code of the outcome kinds.
    pub(super) kind: String,
    pub(super) kind_name: Option<&'static str>,
    /// `YYYY-MM-DD`.
    pub(super) occurred_on: String,
    pub(super) note: String,
    /// A reference (case or petition id, police case number).
    #[serde(rename = "ref")]
    pub(super) reference: Option<String>,
    pub(super) recorded_by: String,
    pub(super) recorded_at: String,
}

pub(super) fn outcome_view(o: &Outcome) -> OutcomeView {
    OutcomeView {
        outcome_id: o.outcome_id.clone(),
        township: o.township_code.clone(),
        kind: o.kind.clone(),
        kind_name: label(&OUTCOME_KINDS, &o.kind),
        occurred_on: o.occurred_on.clone(),
        note: o.note.clone(),
        reference: o.reference.clone(),
        recorded_by: o.recorded_by.clone(),
        recorded_at: crate::records::time_text(o.recorded_at),
    }
}

/// `GET /api/v1/outcomes`: the result indicators of a period (none, and no period, for a
/// village's centre).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OutcomeList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) to: Option<NaiveDate>,
    pub(super) items: Vec<OutcomeView>,
}
