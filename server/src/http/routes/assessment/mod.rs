//! 考评 (docs/assessment.md): the year's indicator system (`/api/v1/assessment/schemes/{year}`,
//! versioned, kept by the assessor), league tables per level and period with each unit's
//! scorecard and the records behind it, manual scores with their evidence, freezing a closed
//! period, and the county's self-evaluation as JSON, DOCX and XLSX; the league tables also as
//! XLSX or CSV. Careers, the budget ledger and not-valid marks are in `careers`. Everything is
//! scoped to the caller's jurisdiction.

mod answers;
pub(super) mod careers;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::access::Permission;
use wangge_core::assessment::{Level, Measure, Period, Scheme};

use self::answers::{
    item_view, scheme_view, Freezing, IndicatorRecords, LeagueTable, ManualScoreView, SchemeChange, SchemeNumber, SchemeView, SchemeWithHistory,
    ScoreTrends, TrendMonth, TrendSeries, UnitScorecard,
};
use super::sheets::{self, Name};
use super::{no_store, Routes};
use crate::access::{AuditNote, Caller, Scope};
use crate::assessment::measures;
use crate::assessment::{report, scheme_for, scores, Refused};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{time_text, ManualScore, SchemeVersion};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/assessment/schemes/{year}", get(scheme).put(change_scheme))
        .at("/api/v1/assessment/{level}", get(league))
        .at("/api/v1/assessment/{level}/{unit}", get(scorecard))
        .at("/api/v1/assessment/trends/{level}", get(trends))
        .at("/api/v1/assessment/manual", post(manual))
        .at("/api/v1/assessment/freeze", post(freeze))
        .at("/api/v1/assessment/self-evaluation", get(self_evaluation))
        .at("/api/v1/assessment/self-evaluation.docx", get(self_evaluation_docx))
        .at("/api/v1/assessment/self-evaluation.xlsx", get(self_evaluation_xlsx))
        .merge(careers::router())
}

fn year(text: &str) -> Result<i32, ApiError> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::BadRequest(format!("year must be between 2000 and 2100, got {text:?}")))
}

fn period(text: Option<&str>) -> Result<Period, ApiError> {
    let text = text.ok_or_else(|| ApiError::BadRequest("period is required: YYYY-MM, YYYY-Qn or YYYY".into()))?;
    Period::parse(text).ok_or_else(|| ApiError::BadRequest(format!("period must be YYYY-MM, YYYY-Qn or YYYY, got {text:?}")))
}

/// The level of a path (`gridworkers`, `villages`, `townships`, `county`).
fn level(text: &str) -> Result<Level, ApiError> {
    match text {
        "gridworkers" => Ok(Level::Gridworker),
        "villages" => Ok(Level::Village),
        "townships" => Ok(Level::Township),
        "county" => Ok(Level::County),
        other => Err(ApiError::NotFound(format!("no assessment {other:?}: gridworkers, villages, townships or county"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/schemes/{year}",
    operation_id = "get_api_v1_assessment_schemes_year",
    tag = "assessment",
    params(("year" = String, Path, description = "a year (e.g. 2024)", example = "2024")),
    responses((status = 200, description = "the answer", body = SchemeWithHistory), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/schemes/{year}`: the scheme assessing the year, with its history.
async fn scheme(State(state): State<AppState>, caller: Caller, ApiPath(y): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::ReadAssessment)?;
    let y = year(&y)?;
    let (v, from) = scheme_for(&state.store, y).await?;
    let history = state
        .store
        .schemes(y)
        .await?
        .into_iter()
        .map(|h| SchemeChange { version: h.version, changed_by: h.changed_by, changed_at: time_text(h.changed_at), note: h.note })
        .collect();
    let view = SchemeWithHistory { current: scheme_view(&v, from), history };
    Ok(no_store(Json(view).into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SchemeBody {
    /// The version the change is based on (0 for the built-in or carried-over one).
    base_version: i64,
    note: String,
    /// The whole scheme: indicators, weights and rules (as `GET /api/v1/assessment/schemes/{year}` answers it).
    #[schema(value_type = Object)]
    scheme: Scheme,
}

#[utoipa::path(
    put,
    path = "/api/v1/assessment/schemes/{year}",
    operation_id = "put_api_v1_assessment_schemes_year",
    tag = "assessment",
    params(("year" = String, Path, description = "a year (e.g. 2024)", example = "2024")),
    request_body = SchemeBody,
    responses((status = 200, description = "the answer", body = SchemeView), crate::http::openapi::Problems)
)]
/// `PUT /api/v1/assessment/schemes/{year}`: a new version, checked and audited; refused (409)
/// when another change came first.
async fn change_scheme(State(state): State<AppState>, caller: Caller, ApiPath(y): ApiPath<String>, ApiJson(body): ApiJson<SchemeBody>) -> Result<Response, ApiError> {
    caller.scope(Permission::Assess)?;
    let y = year(&y)?;
    let mut scheme = body.scheme;
    if scheme.year != y {
        return Err(ApiError::Unprocessable(format!("the scheme's year {} is not the year {y} of the path", scheme.year)));
    }
    scheme.indicators.iter_mut().for_each(|i| i.code = i.code.trim().to_owned());
    scheme.check().map_err(Refused::from)?;
    let note = crate::disputes::text("note", &body.note)?;
    let existing = state.store.schemes(y).await?;
    let latest = existing.last().map_or(0, |v| v.version);
    if body.base_version != latest {
        return Err(ApiError::Conflict(format!("the scheme of {y} is at version {latest}, not {}; reload it and change again", body.base_version)));
    }
    let v = SchemeVersion { version: latest + 1, scheme, changed_by: caller.username.clone(), changed_at: state.clock.now(), note };
    if !state.store.insert_scheme(&v).await? {
        return Err(ApiError::Conflict(format!("version {} of {y} was stored by another change; reload it", v.version)));
    }
    let response = (StatusCode::OK, Json(scheme_view(&v, y))).into_response();
    Ok(AuditNote::success(Permission::Assess.as_str(), format!("scheme:{y}:v{}", v.version)).on(no_store(response)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LeagueQuery {
    period: Option<String>,
    township: Option<String>,
    village: Option<String>,
    /// `xlsx` or `csv`: the league table as a spreadsheet (the league only).
    format: Option<String>,
}

/// Whether a unit is inside the scope (and the asked area).
fn visible(scope: &Scope, item: &scores::Item, township: Option<&str>, village: Option<&str>) -> bool {
    let code = item.village.as_deref().unwrap_or(&item.township);
    let inside = scope.is_county() || (!code.is_empty() && scope.covers(code));
    inside && township.is_none_or(|t| item.township == t) && village.is_none_or(|v| item.village.as_deref() == Some(v))
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/{level}",
    operation_id = "get_api_v1_assessment_level",
    tag = "assessment",
    params(("level" = String, Path, description = "an assessment level (township, village, gridworker…)", example = "township"), LeagueQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((LeagueTable = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/{level}?period=&township=&village=`: the league table (or, with
/// `format=xlsx|csv`, as a spreadsheet: the assessors' own list, no `export_data` needed).
async fn league(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(lv): ApiPath<String>,
    ApiQuery(q): ApiQuery<LeagueQuery>,
) -> Result<Response, ApiError> {
    let level = level(&lv)?;
    let scope = caller.scope(if level == Level::County { Permission::ReadCountyScore } else { Permission::ReadAssessment })?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    let period = period(q.period.as_deref())?;
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let answer = scores::table(&state.assessment_sources(), level, period).await?;
    if let Some(format) = export {
        let shown: Vec<scores::Item> = answer
            .table
            .items
            .into_iter()
            .filter(|i| level == Level::County || visible(&scope, i, q.township.as_deref(), q.village.as_deref()))
            .collect();
        let title = period.to_string();
        let build = move || report::league(level, &title, &shown.iter().collect::<Vec<_>>());
        let object = format!("assessment:{}:{period}", level.as_str());
        return sheets::file(&state, format, Name { ascii: "assessment", zh: "考评排名" }, &object, build).await;
    }
    let items = answer
        .table
        .items
        .iter()
        .filter(|i| level == Level::County || visible(&scope, i, q.township.as_deref(), q.village.as_deref()))
        .map(|i| item_view(level, i))
        .collect();
    let t = &answer.table;
    // Each warning starts with its township's code: only those of the caller's area and the
    // asked township.
    let warnings = t
        .warnings
        .iter()
        .filter(|_| level != Level::Gridworker)
        .filter(|w| {
            let code = w.get(..9).unwrap_or_default();
            (scope.is_county() || scope.covers(code) || scope.0.as_str().starts_with(code)) && q.township.as_deref().is_none_or(|t| t == code)
        })
        .cloned()
        .collect();
    let view = LeagueTable {
        level: level.as_str(),
        period: t.period,
        scheme: SchemeNumber { year: t.scheme_year, version: t.scheme_version },
        computed_at: t.computed_at.clone(),
        frozen: answer.frozen,
        warnings,
        items,
    };
    Ok(AuditNote::success(Permission::ReadAssessment.as_str(), format!("assessment:{}:{period}", level.as_str())).on(no_store(Json(view).into_response())))
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/{level}/{unit}",
    operation_id = "get_api_v1_assessment_level_unit",
    tag = "assessment",
    params(("level" = String, Path, description = "an assessment level (township, village, gridworker…)", example = "township"), ("unit" = String, Path, description = "an assessed unit's code or id", example = "130730100"), LeagueQuery),
    responses((status = 200, description = "the answer", body = UnitScorecard), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/{level}/{unit}?period=`: one unit's scorecard with the records
/// behind each indicator (events, call-backs; the patrols and registry by their queries).
async fn scorecard(State(state): State<AppState>, caller: Caller, ApiPath((lv, unit)): ApiPath<(String, String)>, ApiQuery(q): ApiQuery<LeagueQuery>) -> Result<Response, ApiError> {
    let level = level(&lv)?;
    // A gridworker reads its own scorecard (以考促学); the rest is for who assesses.
    let own = level == Level::Gridworker && caller.require(Permission::Patrol).is_ok() && caller.acting_as == unit;
    let scope = if own {
        Scope(wangge_core::access::Jurisdiction::County)
    } else {
        caller.scope(if level == Level::County { Permission::ReadCountyScore } else { Permission::ReadAssessment })?
    };
    if q.format.is_some() {
        return Err(ApiError::BadRequest("format is answered by the league table (GET /api/v1/assessment/{level}), not by a scorecard".into()));
    }
    let period = period(q.period.as_deref())?;
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let src = state.assessment_sources();
    // The records come from the live measures (a frozen card keeps its figures; its records
    // are those of the period as now stored).
    let (live, tallies, _) = scores::compute(&src, level, period).await?;
    let answer = match state.store.frozen(&period.to_string(), level.as_str()).await? {
        Some(_) => scores::table(&src, level, period).await?,
        None => scores::Answer { table: live, frozen: None },
    };
    let missing = || ApiError::NotFound(format!("no {} {unit:?} assessed in {period}", level.as_str()));
    let item = answer.table.items.iter().find(|i| i.unit == unit).ok_or_else(missing)?;
    if !(scope.is_county() || (level != Level::County && visible(&scope, item, None, None))) {
        return Err(missing());
    }
    let (tally, tally_grids) =
        tallies.iter().find(|(u, _)| u.id == unit).map(|(u, t)| (t.clone(), u.grids.clone())).unwrap_or_default();
    let (from, to) = measures::instants(period);
    let events_of = |pick: &dyn Fn(&measures::Counted) -> bool| -> Vec<String> {
        tally.event_ids.iter().filter(|e| pick(e)).map(|e| e.id.clone()).collect()
    };
    let range = format!("from={}&to={}", period.first_day(), period.last_day());
    let area = match level {
        Level::Gridworker => format!("person={unit}&{range}"),
        Level::County => range.clone(),
        Level::Village => format!("village={unit}&{range}"),
        Level::Township => format!("township={unit}&{range}"),
    };
    let query = |q: String| IndicatorRecords { query: Some(q), ..IndicatorRecords::default() };
    let events = |events: Vec<String>| IndicatorRecords { events: Some(events), ..IndicatorRecords::default() };
    let records = |m: Measure| -> IndicatorRecords {
        match m {
            Measure::ClosureRate | Measure::VerifyOnTimeRate | Measure::FinishOnTimeRate => {
                IndicatorRecords { open: Some(events_of(&|e| !e.closed)), ..events(events_of(&|_| true)) }
            }
            Measure::ValidEvents => IndicatorRecords { not_valid: Some(events_of(&|e| !e.valid)), ..events(events_of(&|e| e.valid)) },
            Measure::DisputesReported => events(events_of(&|e| e.category == wangge_core::event::Category::Dispute)),
            Measure::HazardsReported => events(events_of(&|e| e.category == wangge_core::event::Category::Hazard)),
            Measure::SatisfactionRate => IndicatorRecords { callbacks: Some(tally.callback_ids.clone()), ..IndicatorRecords::default() },
            Measure::PatrolRate => query(format!("/api/v1/patrols?{area}")),
            Measure::CollectionRate => {
                let area = match level {
                    Level::Village => format!("?village={unit}"),
                    Level::Township => format!("?township={unit}"),
                    _ => String::new(),
                };
                IndicatorRecords {
                    grids: Some(if level == Level::Gridworker { tally_grids.clone() } else { Vec::new() }),
                    period_days: Some(state.collection_period_days),
                    ..query(format!("/api/v1/registry/summary{area}"))
                }
            }
            Measure::ScreeningRate => query(format!("/api/v1/screenings?month={}", period.months().last().map(ToString::to_string).unwrap_or_default())),
            Measure::MediatedRate | Measure::SuccessRate => query(format!("/api/v1/disputes?{area}")),
            Measure::PetitionResolvedRate | Measure::PetitionsBeyondCity => query(format!("/api/v1/petitions?{area}")),
            Measure::PublicSafetyIncidents | Measure::CivilToCriminal => query(format!("/api/v1/outcomes?{range}")),
            Measure::BudgetExecution => query(format!("/api/v1/assessment/budget?year={}", period.year())),
            Measure::ValidEventTownships => IndicatorRecords { valid_by_township: Some(tally.other_basis.get(&m).copied()), ..IndicatorRecords::default() },
            Measure::Manual => query("/api/v1/assessment/manual".into()),
        }
    };
    let mut item = item_view(level, item);
    for ind in item.indicators.values_mut() {
        ind.records = Some(records(ind.measure));
    }
    let view = UnitScorecard { item, level: level.as_str(), period: period.to_string(), frozen: answer.frozen, from: time_text(from), to: time_text(to) };
    let action = if own { Permission::Patrol } else { Permission::ReadAssessment };
    Ok(AuditNote::success(action.as_str(), format!("scorecard:{}:{unit}:{period}", level.as_str())).on(no_store(Json(view).into_response())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TrendQuery {
    year: Option<String>,
    unit: Option<String>,
    township: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/trends/{level}",
    operation_id = "get_api_v1_assessment_trends_level",
    tag = "assessment",
    params(("level" = String, Path, description = "an assessment level (township, village, gridworker…)", example = "township"), TrendQuery),
    responses((status = 200, description = "the answer", body = ScoreTrends), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/trends/{level}?year=&unit=&township=`: each month's score of the
/// level's units (one unit, or those of a township, or all in the caller's area), frozen
/// months as frozen, months not begun left out.
async fn trends(State(state): State<AppState>, caller: Caller, ApiPath(lv): ApiPath<String>, ApiQuery(q): ApiQuery<TrendQuery>) -> Result<Response, ApiError> {
    let level = level(&lv)?;
    let scope = caller.scope(if level == Level::County { Permission::ReadCountyScore } else { Permission::ReadAssessment })?;
    let y = year(q.year.as_deref().ok_or_else(|| ApiError::BadRequest("year is required".into()))?)?;
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let src = state.assessment_sources();
    let today = crate::disputes::figures::today(src.now);
    let mut months = Vec::new();
    let mut series: std::collections::BTreeMap<String, (String, Vec<Option<f64>>)> = std::collections::BTreeMap::new();
    for (n, month) in Period::Year(y).months().into_iter().filter(|m| m.first_day() <= today).enumerate() {
        let answer = scores::table(&src, level, month).await?;
        months.push(TrendMonth { period: month, frozen: answer.frozen.is_some() });
        for i in answer.table.items.iter().filter(|i| {
            (level == Level::County || visible(&scope, i, q.township.as_deref(), None)) && q.unit.as_deref().is_none_or(|u| u == i.unit)
        }) {
            let entry = series.entry(i.unit.clone()).or_insert_with(|| (i.name.clone(), Vec::new()));
            entry.1.resize(n, None);
            entry.1.push(Some(i.score));
        }
    }
    let len = months.len();
    let items = series
        .into_iter()
        .map(|(unit, (name, mut scores))| {
            scores.resize(len, None);
            TrendSeries { unit, name, scores }
        })
        .collect();
    let view = ScoreTrends { level: level.as_str(), year: y, months, items };
    Ok(AuditNote::success(Permission::ReadAssessment.as_str(), format!("trends:{}:{y}", level.as_str())).on(no_store(Json(view).into_response())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ManualBody {
    period: String,
    level: String,
    unit: String,
    indicator: String,
    points: f64,
    evidence: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/assessment/manual",
    operation_id = "post_api_v1_assessment_manual",
    tag = "assessment",
    request_body = ManualBody,
    responses((status = 200, description = "the answer", body = ManualScoreView), crate::http::openapi::Problems)
)]
/// `POST /api/v1/assessment/manual`: an assessor's points with the evidence, for a manual
/// indicator of the period's scheme.
async fn manual(State(state): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ManualBody>) -> Result<Response, ApiError> {
    caller.scope(Permission::Assess)?;
    let period = Period::parse(&b.period).ok_or_else(|| ApiError::Unprocessable(format!("period must be YYYY-MM, YYYY-Qn or YYYY, got {:?}", b.period)))?;
    let level = Level::parse(&b.level).ok_or_else(|| ApiError::Unprocessable(format!("level must be gridworker, village, township or county, got {:?}", b.level)))?;
    let (v, _) = scheme_for(&state.store, period.year()).await?;
    let ind = v
        .scheme
        .of(level)
        .find(|i| i.code == b.indicator)
        .ok_or_else(|| ApiError::Unprocessable(format!("the {} scheme of {} has no indicator {:?}", level.as_str(), period.year(), b.indicator)))?;
    if ind.measure != Measure::Manual {
        return Err(ApiError::Unprocessable(format!("{} is measured from the records ({}), not scored by hand", ind.code, ind.measure.as_str())));
    }
    if !b.points.is_finite() || b.points < 0.0 || b.points > ind.max {
        return Err(ApiError::Unprocessable(format!("points must be between 0 and {}, got {}", ind.max, b.points)));
    }
    let src = state.assessment_sources();
    if !measures::units(&src, level).iter().any(|u| u.id == b.unit) {
        return Err(ApiError::Unprocessable(format!("no {} {:?} to score", level.as_str(), b.unit)));
    }
    if state.store.frozen(&period.to_string(), level.as_str()).await?.is_some() {
        return Err(ApiError::Conflict(format!("{} {period} is frozen; recompute it after changing its scores", level.as_str())));
    }
    let evidence = crate::disputes::text("evidence", &b.evidence)?;
    if evidence.chars().count() > 1000 {
        return Err(ApiError::Unprocessable("evidence is longer than 1000 characters".into()));
    }
    let m = ManualScore {
        period: period.to_string(),
        level: level.as_str().into(),
        unit: b.unit,
        indicator: ind.code.clone(),
        points: b.points,
        evidence,
        entered_by: caller.username.clone(),
        entered_at: state.clock.now(),
    };
    state.store.put_manual(&m).await?;
    let target = format!("manual:{}:{}:{}:{}", m.level, m.unit, m.indicator, m.period);
    let view = ManualScoreView {
        period: m.period,
        level: m.level,
        unit: m.unit,
        indicator: m.indicator,
        points: m.points,
        evidence: m.evidence,
        entered_by: m.entered_by,
        entered_at: time_text(m.entered_at),
    };
    Ok(AuditNote::success(Permission::Assess.as_str(), target).on(no_store(Json(view).into_response())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FreezeBody {
    level: String,
    period: String,
    #[serde(default)]
    recompute: bool,
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/assessment/freeze",
    operation_id = "post_api_v1_assessment_freeze",
    tag = "assessment",
    request_body = FreezeBody,
    responses((status = 200, description = "the answer", body = Freezing), crate::http::openapi::Problems)
)]
/// `POST /api/v1/assessment/freeze`: freezes a closed period's table with its scheme version;
/// `recompute` (with a reason) replaces a frozen one. Gridworkers who failed the period get
/// a `fail` career move, those who passed after a warning a `pass`.
async fn freeze(State(state): State<AppState>, caller: Caller, ApiJson(b): ApiJson<FreezeBody>) -> Result<Response, ApiError> {
    caller.scope(Permission::Assess)?;
    let period = Period::parse(&b.period).ok_or_else(|| ApiError::Unprocessable(format!("period must be YYYY-MM, YYYY-Qn or YYYY, got {:?}", b.period)))?;
    let level = Level::parse(&b.level).ok_or_else(|| ApiError::Unprocessable(format!("level must be gridworker, village, township or county, got {:?}", b.level)))?;
    let reason = if b.recompute { Some(crate::disputes::text("reason", b.reason.as_deref().unwrap_or_default())?) } else { None };
    let now = state.clock.now();
    let by = caller.username.clone();
    let (table, before) = scores::freeze(&state.assessment_sources(), level, period, b.recompute, &by, now).await?;
    let moves = if level == Level::Gridworker && before.is_none() {
        crate::assessment::careers::after_period(&state.store, &table, &by, now).await?
    } else {
        0
    };
    let view = Freezing {
        level: level.as_str(),
        period,
        scheme: SchemeNumber { year: table.scheme_year, version: table.scheme_version },
        frozen_at: time_text(now),
        frozen_by: by,
        units: table.items.len(),
        replaced: before.map(|f| time_text(f.frozen_at)),
        reason,
        career_moves: moves,
    };
    let target = format!("freeze:{}:{period}{}", level.as_str(), if b.recompute { ":recompute" } else { "" });
    Ok(AuditNote::success(Permission::Assess.as_str(), target).on(no_store(Json(view).into_response())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct YearQuery {
    year: Option<String>,
}

async fn evaluation(state: &AppState, caller: &Caller, q: &YearQuery) -> Result<report::SelfEvaluation, ApiError> {
    caller.scope(Permission::ReadCountyScore)?;
    let y = year(q.year.as_deref().ok_or_else(|| ApiError::BadRequest("year is required".into()))?)?;
    let _turn = crate::http::overload::heavy_turn(state).await?;
    Ok(report::self_evaluation(&state.assessment_sources(), y).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/self-evaluation",
    operation_id = "get_api_v1_assessment_self_evaluation",
    tag = "assessment",
    params(YearQuery),
    responses((status = 200, description = "the answer", body = report::SelfEvaluation), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/self-evaluation?year=`.
async fn self_evaluation(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<YearQuery>) -> Result<Response, ApiError> {
    let r = evaluation(&state, &caller, &q).await?;
    let target = format!("self-evaluation:{}", r.year);
    Ok(AuditNote::success(Permission::ReadCountyScore.as_str(), target).on(no_store(Json(r).into_response())))
}

fn download(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    no_store(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/self-evaluation.docx",
    operation_id = "get_api_v1_assessment_self_evaluation_docx",
    tag = "assessment",
    params(YearQuery),
    responses((status = 200, description = "the answer", content((String = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/self-evaluation.docx?year=`: the report for the office to edit.
async fn self_evaluation_docx(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<YearQuery>) -> Result<Response, ApiError> {
    let r = evaluation(&state, &caller, &q).await?;
    let bytes = report::docx(&r)?;
    let response = download(bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", &format!("self-evaluation-{}.docx", r.year));
    Ok(AuditNote::success(Permission::ReadCountyScore.as_str(), format!("self-evaluation.docx:{}", r.year)).on(response))
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/self-evaluation.xlsx",
    operation_id = "get_api_v1_assessment_self_evaluation_xlsx",
    tag = "assessment",
    params(YearQuery),
    responses((status = 200, description = "the answer", content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/self-evaluation.xlsx?year=`: the indicator sheet.
async fn self_evaluation_xlsx(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<YearQuery>) -> Result<Response, ApiError> {
    let r = evaluation(&state, &caller, &q).await?;
    let bytes = report::xlsx(&r).map_err(|e| ApiError::Internal(format!("the indicator sheet could not be written: {e}")))?;
    let response = download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("self-evaluation-{}.xlsx", r.year));
    Ok(AuditNote::success(Permission::ReadCountyScore.as_str(), format!("self-evaluation.xlsx:{}", r.year)).on(response))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(scheme, change_scheme, league, scorecard, trends, manual, freeze, self_evaluation, self_evaluation_docx, self_evaluation_xlsx))]
pub struct Doc;
