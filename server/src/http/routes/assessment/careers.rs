//! Around the scores: gridworkers' careers (`/api/v1/assessment/careers…`: the village proposes
//! and trains, the township approves, reviews and removes; a frozen failed month warns), the
//! yearly 最美网格员 candidates, the budget ledger (`/api/v1/assessment/budget`), and events
//! marked not valid for the assessment (`/api/v1/events/{id}/validity`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use wangge_core::access::{CodeLevel, Permission};
use wangge_core::assessment::career::{apply, Move, Stage};
use wangge_core::assessment::Level;
use wangge_core::people::Role;

use super::answers::{
    budget_view, move_view, validity_view, BestGridworker, BestGridworkers, BudgetLedger, CareerLine, CareerMoveView, EventValidity, GridworkerCareer,
    GridworkerCareers,
};
use super::super::{no_store, Routes};
use super::{period, visible, year};
use crate::access::{AuditNote, Caller};
use crate::assessment::careers::stages;
use crate::assessment::measures;
use crate::assessment::scores;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{BudgetLine, CareerMove, InvalidMark};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/assessment/careers", get(careers))
        .at("/api/v1/assessment/careers/{person}", get(career).post(career_move))
        .at("/api/v1/assessment/best", get(best))
        .at("/api/v1/assessment/budget", get(budget).post(add_budget))
        .at("/api/v1/events/{id}/validity", get(validity).put(mark))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AreaQuery {
    township: Option<String>,
    village: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/careers",
    operation_id = "get_api_v1_assessment_careers",
    tag = "assessment",
    params(AreaQuery),
    responses((status = 200, description = "the answer", body = GridworkerCareers), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/careers`: the gridworkers of the caller's area and their stage.
async fn careers(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<AreaQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadAssessment)?;
    let src = state.assessment_sources();
    let st = stages(&state.store.career_moves(None).await?);
    let items = measures::units(&src, Level::Gridworker)
        .iter()
        .filter(|u| {
            let code = u.village.as_deref().unwrap_or(&u.township);
            (scope.is_county() || scope.covers(code))
                && q.township.as_deref().is_none_or(|t| u.township == t)
                && q.village.as_deref().is_none_or(|v| u.village.as_deref() == Some(v))
        })
        .map(|u| {
            let stage = st.get(&u.id).map_or(Stage::Serving, |s| s.0);
            CareerLine { person_id: u.id.clone(), name: u.name.clone(), township: u.township.clone(), village: u.village.clone(), stage: stage.as_str(), stage_name: stage.label() }
        })
        .collect();
    Ok(AuditNote::success(Permission::ReadAssessment.as_str(), "careers").on(no_store(Json(GridworkerCareers { items }).into_response())))
}

/// The unit codes of a person on the roster: (township, village).
fn person_area(state: &AppState, person: &str) -> Option<(String, Option<String>, String)> {
    let roster = state.rules.roster();
    let p = roster.people().iter().find(|p| p.id == person && p.role == Role::Gridworker)?;
    let unit = measures::gridworker(p, &state.catalog.load());
    Some((unit.township, unit.village, unit.name))
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/careers/{person}",
    operation_id = "get_api_v1_assessment_careers_person",
    tag = "assessment",
    params(("person" = String, Path, description = "a person's id", example = "GW0001")),
    responses((status = 200, description = "the answer", body = GridworkerCareer), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/careers/{person}`.
async fn career(State(state): State<AppState>, caller: Caller, ApiPath(person): ApiPath<String>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadAssessment)?;
    let missing = || ApiError::NotFound(format!("no gridworker {person:?}"));
    let (township, village, name) = person_area(&state, &person).ok_or_else(missing)?;
    if !(scope.is_county() || scope.covers(village.as_deref().unwrap_or(&township))) {
        return Err(missing());
    }
    let moves = state.store.career_moves(Some(&person)).await?;
    let stage = moves.last().and_then(|m| Stage::parse(&m.stage)).unwrap_or(Stage::Serving);
    let line = CareerLine { person_id: person.clone(), name, township, village, stage: stage.as_str(), stage_name: stage.label() };
    let view = GridworkerCareer { line, moves: moves.iter().map(move_view).collect() };
    Ok(AuditNote::success(Permission::ReadAssessment.as_str(), format!("career:{person}")).on(no_store(Json(view).into_response())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    #[serde(rename = "move")]
    action: String,
    note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/assessment/careers/{person}",
    operation_id = "post_api_v1_assessment_careers_person",
    tag = "assessment",
    params(("person" = String, Path, description = "a person's id", example = "GW0001")),
    request_body = MoveBody,
    responses((status = 201, description = "created", body = CareerMoveView), crate::http::openapi::Problems)
)]
/// `POST /api/v1/assessment/careers/{person}`: a move; approval, review and removal need a
/// township (or county) grant; failed and passed periods are recorded by freezing them.
async fn career_move(State(state): State<AppState>, caller: Caller, ApiPath(person): ApiPath<String>, ApiJson(b): ApiJson<MoveBody>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ManageCareers)?;
    let missing = || ApiError::NotFound(format!("no gridworker {person:?}"));
    let (township, village, _) = person_area(&state, &person).ok_or_else(missing)?;
    if !(scope.is_county() || scope.covers(village.as_deref().unwrap_or(&township))) {
        return Err(missing());
    }
    let m = Move::parse(&b.action).ok_or_else(|| ApiError::Unprocessable(format!("move must be propose, approve, decline, train, keep or exit, got {:?}", b.action)))?;
    if matches!(m, Move::Fail | Move::Pass) {
        return Err(ApiError::Unprocessable("a failed or passed period is recorded by freezing the period (POST /api/v1/assessment/freeze)".into()));
    }
    if m.needs_township() && scope.0.level() > CodeLevel::Township {
        return Err(ApiError::Forbidden { action: Permission::ManageCareers.as_str().into(), reason: format!("{} needs a township or county grant (乡镇审核)", m.as_str()) });
    }
    let note = crate::disputes::text("note", &b.note)?;
    let before = state.store.career_moves(Some(&person)).await?;
    let last = before.last();
    let stage = last.and_then(|m| Stage::parse(&m.stage)).or((!before.is_empty()).then_some(Stage::Serving));
    // On the roster without a career: serving, unless the move starts one.
    let from = if before.is_empty() && m != Move::Propose { Some(Stage::Serving) } else { stage };
    let next = apply(from, m).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let record = CareerMove {
        person_id: person.clone(),
        seq: last.map_or(1, |l| l.seq + 1),
        action: m.as_str().into(),
        stage: next.as_str().into(),
        at: state.clock.now(),
        by: caller.username.clone(),
        period: None,
        note,
    };
    if !state.store.append_career(std::slice::from_ref(&record)).await? {
        return Err(ApiError::Conflict(format!("{person}'s career changed meanwhile; reload it")));
    }
    let response = (StatusCode::CREATED, Json(move_view(&record))).into_response();
    Ok(AuditNote::success(Permission::ManageCareers.as_str(), format!("career:{person}:{}", m.as_str())).on(no_store(response)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BestQuery {
    year: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/best",
    operation_id = "get_api_v1_assessment_best",
    tag = "assessment",
    params(BestQuery),
    responses((status = 200, description = "the answer", body = BestGridworkers), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/best?year=&limit=10`: the year's 最美网格员 candidates — the best
/// yearly scores with no failed indicator.
async fn best(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<BestQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadAssessment)?;
    let y = year(q.year.as_deref().ok_or_else(|| ApiError::BadRequest("year is required".into()))?)?;
    let limit = q.limit.unwrap_or(10).clamp(1, 100) as usize;
    let answer = scores::table(&state.assessment_sources(), Level::Gridworker, period(Some(&y.to_string()))?).await?;
    let items = answer
        .table
        .items
        .iter()
        .filter(|i| visible(&scope, i, None, None) && !i.card.any_failed() && i.unscored < 100.0)
        .take(limit)
        .map(|i| BestGridworker {
            person_id: i.unit.clone(),
            name: i.name.clone(),
            township: i.township.clone(),
            village: i.village.clone(),
            score: i.score,
            rank: i.rank,
            grade: i.grade.clone(),
        })
        .collect();
    Ok(AuditNote::success(Permission::ReadAssessment.as_str(), format!("best:{y}")).on(no_store(Json(BestGridworkers { year: y, items }).into_response())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct YearOnly {
    year: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/assessment/budget",
    operation_id = "get_api_v1_assessment_budget",
    tag = "assessment",
    params(YearOnly),
    responses((status = 200, description = "the answer", body = BudgetLedger), crate::http::openapi::Problems)
)]
/// `GET /api/v1/assessment/budget?year=`: the ledger (一笔账) and its execution.
async fn budget(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<YearOnly>) -> Result<Response, ApiError> {
    caller.scope(Permission::ReadCountyScore)?;
    let y = year(q.year.as_deref().ok_or_else(|| ApiError::BadRequest("year is required".into()))?)?;
    let lines = state.store.budget_lines(y).await?;
    Ok(AuditNote::success(Permission::ReadCountyScore.as_str(), format!("budget:{y}")).on(no_store(Json(budget_view(&lines, y)).into_response())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BudgetBody {
    year: i32,
    kind: String,
    item: String,
    /// Yuan with at most two decimals, as text (`"3763807.00"`) to keep it exact.
    amount: String,
    #[serde(default)]
    source: Option<String>,
    dated: String,
    #[serde(default)]
    note: Option<String>,
}

/// Yuan text (`1234.5`, `1234.56`) as fen.
fn fen(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}

#[utoipa::path(
    post,
    path = "/api/v1/assessment/budget",
    operation_id = "post_api_v1_assessment_budget",
    tag = "assessment",
    request_body = BudgetBody,
    responses((status = 201, description = "created", body = BudgetLedger), crate::http::openapi::Problems)
)]
/// `POST /api/v1/assessment/budget`: a budget or spending line, by the assessor.
async fn add_budget(State(state): State<AppState>, caller: Caller, ApiJson(b): ApiJson<BudgetBody>) -> Result<Response, ApiError> {
    caller.scope(Permission::Assess)?;
    if !(2000..=2100).contains(&b.year) {
        return Err(ApiError::Unprocessable(format!("year must be between 2000 and 2100, got {}", b.year)));
    }
    if b.kind != "budget" && b.kind != "spend" {
        return Err(ApiError::Unprocessable(format!("kind must be budget or spend, got {:?}", b.kind)));
    }
    let amount = fen(&b.amount).filter(|f| *f > 0).ok_or_else(|| ApiError::Unprocessable(format!("amount must be yuan above 0 with at most two decimals, e.g. \"3763807.00\", got {:?}", b.amount)))?;
    let dated = NaiveDate::parse_from_str(b.dated.trim(), "%Y-%m-%d").map_err(|_| ApiError::Unprocessable(format!("dated must be a date YYYY-MM-DD, got {:?}", b.dated)))?;
    if chrono::Datelike::year(&dated) != b.year {
        return Err(ApiError::Unprocessable(format!("dated {dated} is not in {}", b.year)));
    }
    let item = crate::disputes::text("item", &b.item)?;
    if item.chars().count() > 100 {
        return Err(ApiError::Unprocessable("item is longer than 100 characters".into()));
    }
    let line = BudgetLine {
        line_id: crate::disputes::new_id('B')?,
        year: i64::from(b.year),
        kind: b.kind,
        item,
        amount_fen: amount,
        source: crate::disputes::optional("source", b.source.as_deref(), 100)?,
        dated: dated.to_string(),
        note: crate::disputes::optional("note", b.note.as_deref(), 500)?,
        entered_by: caller.username.clone(),
        entered_at: state.clock.now(),
    };
    state.store.insert_budget_lines(std::slice::from_ref(&line)).await?;
    let lines = state.store.budget_lines(b.year).await?;
    let response = (StatusCode::CREATED, Json(budget_view(&lines, b.year))).into_response();
    Ok(AuditNote::success(Permission::Assess.as_str(), format!("budget:{}:{}", b.year, line.line_id)).on(no_store(response)))
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/validity",
    operation_id = "get_api_v1_events_id_validity",
    tag = "assessment",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 200, description = "the answer", body = EventValidity), crate::http::openapi::Problems)
)]
/// `GET /api/v1/events/{id}/validity`: whether the event counts as valid, and why not.
async fn validity(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let event = crate::http::routes::events::queues::find_visible(&state, &caller, &id).await?;
    let mark = state.store.invalid_mark(&event.event_id).await?;
    Ok(no_store(Json(validity_view(&event.event_id, mark.as_ref())).into_response()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ValidityBody {
    valid: bool,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/events/{id}/validity",
    operation_id = "put_api_v1_events_id_validity",
    tag = "assessment",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    request_body = ValidityBody,
    responses((status = 200, description = "the answer", body = EventValidity), crate::http::openapi::Problems)
)]
/// `PUT /api/v1/events/{id}/validity`: marks an event not valid (a test, unfounded) for the
/// assessment, or valid again.
async fn mark(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>, ApiJson(b): ApiJson<ValidityBody>) -> Result<Response, ApiError> {
    caller.require(Permission::MarkEventValidity)?;
    let event = crate::http::routes::events::queues::find_visible(&state, &caller, &id).await?;
    let mark = if b.valid {
        state.store.remove_invalid(&event.event_id).await?;
        None
    } else {
        let reason = b.reason.unwrap_or_default();
        if reason != "test" && reason != "unfounded" {
            return Err(ApiError::Unprocessable(format!("reason must be test or unfounded, got {reason:?}")));
        }
        let m = InvalidMark {
            event_id: event.event_id.clone(),
            reason,
            note: crate::disputes::optional("note", b.note.as_deref(), 500)?,
            marked_by: caller.username.clone(),
            marked_at: state.clock.now(),
        };
        state.store.put_invalid(&m).await?;
        Some(m)
    };
    let view = validity_view(&event.event_id, mark.as_ref());
    Ok(AuditNote::success(Permission::MarkEventValidity.as_str(), format!("event:{}", event.event_id))
        .with_detail(if b.valid { "valid".to_owned() } else { "not valid".to_owned() })
        .on(no_store(Json(view).into_response())))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(careers, career, career_move, best, budget, add_budget, validity, mark))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_text_is_exact_fen() {
        assert_eq!(fen("3763807"), Some(376_380_700));
        assert_eq!(fen("3763807.5"), Some(376_380_750));
        assert_eq!(fen("0.01"), Some(1));
        for bad in ["", "-1", "1.234", "1e3", "1,000", ".5", "abc", "9999999999999"] {
            assert_eq!(fen(bad), None, "{bad}");
        }
    }
}
