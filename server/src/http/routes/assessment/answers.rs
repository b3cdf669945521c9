//! The assessment's answers as the API gives them: schemes, league tables with each unit's
//! line, scorecards with the records behind each indicator, trends, manual scores, freezing,
//! careers, the best gridworkers, the budget ledger and events' validity.

use std::collections::BTreeMap;

use serde::Serialize;
use wangge_core::assessment::career::Stage;
use wangge_core::assessment::{GroupScore, Level, Measure, Period, Scheme};

use crate::assessment::measures::{self, budget_totals};
use crate::assessment::report::yuan;
use crate::assessment::scores::{self, FrozenBy};
use crate::records::{time_text, BudgetLine, CareerMove, InvalidMark, SchemeVersion};

/// A version of a year's scheme as answered, with every measure an indicator may read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SchemeView {
    pub(super) year: i32,
    pub(super) version: i64,
    /// The year whose scheme it is (an earlier one when carried over).
    pub(super) carried_from: i32,
    pub(super) changed_by: String,
    pub(super) changed_at: String,
    pub(super) note: String,
    pub(super) scheme: Scheme,
    pub(super) measures: Vec<MeasureView>,
}

/// A measure an indicator may read, and the levels it reads it for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct MeasureView {
    pub(super) measure: &'static str,
    pub(super) label: &'static str,
    /// A rate (0–1), not a count.
    pub(super) rate: bool,
    pub(super) levels: Vec<&'static str>,
}

/// `GET /api/v1/assessment/schemes/{year}`: the scheme and its stored versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SchemeWithHistory {
    #[serde(flatten)]
    pub(super) current: SchemeView,
    pub(super) history: Vec<SchemeChange>,
}

/// A stored version of a scheme.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SchemeChange {
    pub(super) version: i64,
    pub(super) changed_by: String,
    pub(super) changed_at: String,
    pub(super) note: String,
}

pub(super) fn scheme_view(v: &SchemeVersion, from_year: i32) -> SchemeView {
    SchemeView {
        year: v.scheme.year,
        version: v.version,
        carried_from: from_year,
        changed_by: v.changed_by.clone(),
        changed_at: time_text(v.changed_at),
        note: v.note.clone(),
        scheme: v.scheme.clone(),
        measures: Measure::ALL
            .iter()
            .map(|m| MeasureView { measure: m.as_str(), label: m.label(), rate: m.is_rate(), levels: m.levels().iter().map(|l| l.as_str()).collect() })
            .collect(),
    }
}

/// A scheme's year and version (0: built in).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SchemeNumber {
    pub(super) year: i32,
    pub(super) version: i64,
}

/// `GET /api/v1/assessment/{level}`: a level's league table in a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct LeagueTable {
    pub(super) level: &'static str,
    #[schema(value_type = String)]
    pub(super) period: Period,
    /// The scheme it was scored by.
    pub(super) scheme: SchemeNumber,
    pub(super) computed_at: String,
    /// When frozen, by whom (`null`: computed now).
    pub(super) frozen: Option<FrozenBy>,
    /// Each starts with its township's code.
    pub(super) warnings: Vec<String>,
    pub(super) items: Vec<LeagueItem>,
}

/// A unit's line of a league table.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct LeagueItem {
    /// Gridworker id, village or township code, or `county`.
    pub(super) unit: String,
    pub(super) name: String,
    pub(super) township: String,
    pub(super) village: Option<String>,
    pub(super) score: f64,
    pub(super) unscored: f64,
    pub(super) normalised: Option<f64>,
    pub(super) grade: Option<String>,
    pub(super) failed: bool,
    pub(super) rank: u32,
    pub(super) rank_in_township: u32,
    pub(super) groups: Vec<GroupScore>,
    /// By indicator code.
    pub(super) indicators: BTreeMap<String, LeagueIndicator>,
    pub(super) counts: BTreeMap<String, u64>,
    /// The gridworker (gridworkers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) person_id: Option<String>,
    /// The rank among the village's gridworkers (gridworkers only; `null` outside a village).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub(super) rank_in_village: Option<Option<u32>>,
    /// The unit's code (every level but the gridworkers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) code: Option<String>,
}

/// An indicator's result in a unit's line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct LeagueIndicator {
    pub(super) name: String,
    pub(super) group: String,
    pub(super) measure: Measure,
    pub(super) measured: Option<f64>,
    pub(super) points: Option<f64>,
    pub(super) max: f64,
    pub(super) failed: bool,
    /// Numerator and denominator of a rate.
    #[schema(value_type = Option<Vec<u64>>)]
    pub(super) basis: Option<(u64, u64)>,
    /// The records behind it (a scorecard's only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) records: Option<IndicatorRecords>,
}

/// The records behind an indicator: their ids, or the query that lists them.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub(super) struct IndicatorRecords {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) events: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) open: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) not_valid: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) callbacks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) grids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) period_days: Option<u32>,
    /// Townships with enough valid events, of all (`null` without data).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<u64>>)]
    pub(super) valid_by_township: Option<Option<(u64, u64)>>,
}

pub(super) fn item_view(level: Level, i: &scores::Item) -> LeagueItem {
    let indicators = i
        .card
        .indicators
        .iter()
        .map(|s| {
            let ind = LeagueIndicator {
                name: s.name.clone(),
                group: s.group.clone(),
                measure: s.measure,
                measured: s.measured,
                points: s.points,
                max: s.max,
                failed: s.failed,
                basis: i.basis.get(s.measure.as_str()).copied(),
                records: None,
            };
            (s.code.clone(), ind)
        })
        .collect();
    let gridworker = level == Level::Gridworker;
    LeagueItem {
        unit: i.unit.clone(),
        name: i.name.clone(),
        township: i.township.clone(),
        village: i.village.clone(),
        score: i.score,
        unscored: i.unscored,
        normalised: i.normalised,
        grade: i.grade.clone(),
        failed: i.failed,
        rank: i.rank,
        rank_in_township: i.rank_in_township,
        groups: i.card.groups.clone(),
        indicators,
        counts: i.counts.clone(),
        person_id: gridworker.then(|| i.unit.clone()),
        rank_in_village: gridworker.then_some(i.rank_in_village),
        code: (!gridworker).then(|| i.unit.clone()),
    }
}

/// `GET /api/v1/assessment/{level}/{unit}`: a unit's line with the records behind each
/// indicator.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct UnitScorecard {
    #[serde(flatten)]
    pub(super) item: LeagueItem,
    pub(super) level: &'static str,
    pub(super) period: String,
    /// When frozen, by whom (`null`: computed now).
    pub(super) frozen: Option<FrozenBy>,
    pub(super) from: String,
    pub(super) to: String,
}

/// `GET /api/v1/assessment/trends/{level}`: each month's score of the units.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ScoreTrends {
    pub(super) level: &'static str,
    pub(super) year: i32,
    /// The months begun, in order.
    pub(super) months: Vec<TrendMonth>,
    pub(super) items: Vec<TrendSeries>,
}

/// A month of the trends.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct TrendMonth {
    #[schema(value_type = String)]
    pub(super) period: Period,
    pub(super) frozen: bool,
}

/// A unit's score of each month (`null`: not assessed that month).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct TrendSeries {
    pub(super) unit: String,
    pub(super) name: String,
    pub(super) scores: Vec<Option<f64>>,
}

/// A manual score as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ManualScoreView {
    pub(super) period: String,
    pub(super) level: String,
    pub(super) unit: String,
    pub(super) indicator: String,
    pub(super) points: f64,
    pub(super) evidence: String,
    pub(super) entered_by: String,
    pub(super) entered_at: String,
}

/// A frozen table's summary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Freezing {
    pub(super) level: &'static str,
    #[schema(value_type = String)]
    pub(super) period: Period,
    pub(super) scheme: SchemeNumber,
    pub(super) frozen_at: String,
    pub(super) frozen_by: String,
    /// Units in the table.
    pub(super) units: usize,
    /// When the table it replaced was frozen (a recompute only).
    pub(super) replaced: Option<String>,
    /// Why it was recomputed.
    pub(super) reason: Option<String>,
    /// Career moves recorded (gridworkers failed or passed after a warning).
    pub(super) career_moves: usize,
}

/// A move of a gridworker's career as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CareerMoveView {
    pub(super) seq: i64,
    /// The move's wire name.
    #[serde(rename = "move")]
    pub(super) action: String,
    /// The stage it left.
    pub(super) stage: String,
    pub(super) stage_name: Option<&'static str>,
    pub(super) at: String,
    pub(super) by: String,
    /// The assessed period, for a failed or passed one.
    pub(super) period: Option<String>,
    pub(super) note: String,
}

pub(super) fn move_view(m: &CareerMove) -> CareerMoveView {
    CareerMoveView {
        seq: m.seq,
        action: m.action.clone(),
        stage: m.stage.clone(),
        stage_name: Stage::parse(&m.stage).map(Stage::label),
        at: time_text(m.at),
        by: m.by.clone(),
        period: m.period.clone(),
        note: m.note.clone(),
    }
}

/// A gridworker and the stage of its career.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CareerLine {
    pub(super) person_id: String,
    pub(super) name: String,
    pub(super) township: String,
    pub(super) village: Option<String>,
    pub(super) stage: &'static str,
    pub(super) stage_name: &'static str,
}

/// `GET /api/v1/assessment/careers`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct GridworkerCareers {
    pub(super) items: Vec<CareerLine>,
}

/// `GET /api/v1/assessment/careers/{person}`: a gridworker's career.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct GridworkerCareer {
    #[serde(flatten)]
    pub(super) line: CareerLine,
    pub(super) moves: Vec<CareerMoveView>,
}

/// `GET /api/v1/assessment/best`: the year's 最美网格员 candidates, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BestGridworkers {
    pub(super) year: i32,
    pub(super) items: Vec<BestGridworker>,
}

/// A candidate and the year's score.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BestGridworker {
    pub(super) person_id: String,
    pub(super) name: String,
    pub(super) township: String,
    pub(super) village: Option<String>,
    pub(super) score: f64,
    pub(super) rank: u32,
    pub(super) grade: Option<String>,
}

/// The budget ledger (一笔账) of a year and its execution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BudgetLedger {
    pub(super) year: i32,
    pub(super) budget_yuan: f64,
    pub(super) spent_yuan: f64,
    /// Spent over budget (`null` without a budget).
    pub(super) execution_rate: Option<f64>,
    /// Spent by item, by item name.
    pub(super) spent_by_item: Vec<ItemSpent>,
    pub(super) lines: Vec<BudgetLineView>,
}

/// What an item of the ledger spent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ItemSpent {
    pub(super) item: String,
    pub(super) amount_yuan: f64,
}

/// A budget or spending line as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct BudgetLineView {
    pub(super) line_id: String,
    /// `budget` or `spend`.
    pub(super) kind: String,
    pub(super) item: String,
    pub(super) amount_yuan: f64,
    pub(super) source: String,
    /// `YYYY-MM-DD`.
    pub(super) dated: String,
    pub(super) note: String,
    pub(super) entered_by: String,
    pub(super) entered_at: String,
}

pub(super) fn budget_view(lines: &[BudgetLine], y: i32) -> BudgetLedger {
    let (b, s) = budget_totals(lines);
    let line = |l: &BudgetLine| BudgetLineView {
        line_id: l.line_id.clone(),
        kind: l.kind.clone(),
        item: l.item.clone(),
        amount_yuan: yuan(l.amount_fen),
        source: l.source.clone(),
        dated: l.dated.clone(),
        note: l.note.clone(),
        entered_by: l.entered_by.clone(),
        entered_at: time_text(l.entered_at),
    };
    let mut by_item: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for l in lines.iter().filter(|l| l.kind == "spend") {
        *by_item.entry(l.item.as_str()).or_default() += l.amount_fen;
    }
    BudgetLedger {
        year: y,
        budget_yuan: yuan(b),
        spent_yuan: yuan(s),
        execution_rate: measures::rate(u64::try_from(s).unwrap_or(0), u64::try_from(b).unwrap_or(0)),
        spent_by_item: by_item.into_iter().map(|(k, v)| ItemSpent { item: k.to_owned(), amount_yuan: yuan(v) }).collect(),
        lines: lines.iter().map(line).collect(),
    }
}

/// Whether an event counts for the assessment; the mark's facts when it does not.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct EventValidity {
    pub(super) event_id: String,
    pub(super) marked_not_valid: bool,
    /// `test` or `unfounded`.
    pub(super) reason: Option<String>,
    pub(super) note: Option<String>,
    pub(super) marked_by: Option<String>,
    pub(super) marked_at: Option<String>,
}

pub(super) fn validity_view(id: &str, mark: Option<&InvalidMark>) -> EventValidity {
    EventValidity {
        event_id: id.to_owned(),
        marked_not_valid: mark.is_some(),
        reason: mark.map(|m| m.reason.clone()),
        note: mark.map(|m| m.note.clone()),
        marked_by: mark.map(|m| m.marked_by.clone()),
        marked_at: mark.map(|m| time_text(m.marked_at)),
    }
}
