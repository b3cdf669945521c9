//! Disputes (矛盾纠纷): the monthly screening of each grid (`/api/v1/screenings`), dispute
//! cases on their events with their mediation (`/api/v1/disputes…`), the townships' result
//! indicators (`/api/v1/outcomes`); petitions are in `petitions`. The board, the ledgers and
//! the outcomes are also answered as XLSX or CSV (`?format=`). Every file read or written is
//! audited; anything outside the caller's jurisdiction is answered as missing. See
//! docs/disputes.md.

mod answers;
pub(super) mod petitions;

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use wangge_core::access::{Permission, Role};
use wangge_core::dispute::{label, Month, Move, OUTCOME_KINDS};

use self::answers::{move_view, outcome_view, screening_view, BoardLine, CaseEvent, CaseFile, OutcomeList, OutcomeView, ScreeningBoard, ScreeningView};
use super::sheets::{self, Name};
use super::{code, no_store, page, revealed, time, RevealBody, Routes};
use crate::access::{AuditNote, Caller, Scope};
use crate::disputes::{self, cases, figures};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::records::{CaseFilter, DisputeCase, Outcome, Page, Paged, Screening};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/screenings", get(screening_board).post(screen))
        .at("/api/v1/disputes", get(ledger).post(register))
        .at("/api/v1/disputes/{id}", get(case_file))
        .at("/api/v1/disputes/{id}/moves", post(move_case))
        .at("/api/v1/disputes/{id}/reveal", post(reveal))
        .at("/api/v1/outcomes", get(outcome_list).post(record_outcome))
        .merge(petitions::router())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScreenBody {
    grid: String,
    #[serde(default)]
    month: Option<String>,
    found: u32,
    #[serde(default)]
    note: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/screenings",
    operation_id = "post_api_v1_screenings",
    tag = "disputes",
    request_body = ScreenBody,
    responses((status = 200, description = "the answer", body = ScreeningView), (status = 201, description = "created", body = ScreeningView), crate::http::openapi::Problems)
)]
/// `POST /api/v1/screenings`: a grid's screening of a month, by its gridworker or a centre.
async fn screen(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<ScreenBody>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::RecordScreening)?;
    let now = state.clock.now();
    let current = Month::of(figures::today(now));
    let month = match body.month.as_deref() {
        None => current,
        Some(m) => Month::parse(m).ok_or_else(|| ApiError::Unprocessable(format!("month must be YYYY-MM, got {m:?}")))?,
    };
    if month > current {
        return Err(ApiError::Unprocessable(format!("month {month} has not begun; a screening is recorded in or after its month")));
    }
    if body.found > 10_000 {
        return Err(ApiError::Unprocessable(format!("found must be 0 to 10000, got {}", body.found)));
    }
    let note = disputes::optional("note", body.note.as_deref(), disputes::MAX_TEXT)?;
    let catalog = state.catalog.load();
    let missing = || ApiError::Hidden(format!("no grid {:?}", body.grid));
    let grid = catalog.grid(&body.grid).ok_or_else(missing)?;
    let g = &grid.grid;
    if !scope.0.covers(&g.township_code, &g.village_code) {
        return Err(missing());
    }
    if own_grids(&state, &caller).is_some_and(|own| !own.contains(&g.code)) {
        return Err(ApiError::Forbidden {
            action: Permission::RecordScreening.as_str().into(),
            reason: format!("grid {} is not one of this gridworker's grids", g.code),
        });
    }
    let record = Screening {
        grid_code: g.code.clone(),
        month: month.to_string(),
        township_code: g.township_code.clone(),
        village_code: g.village_code.clone(),
        screened_at: now,
        screened_by: caller.actor_id(),
        found: i64::from(body.found),
        note,
        updated_at: now,
    };
    let (created, stored) = state.store.put_screening(&record).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let response = (status, Json(screening_view(&stored))).into_response();
    Ok(AuditNote::success(Permission::RecordScreening.as_str(), format!("grid:{}", g.code))
        .with_detail(format!("{month}: {} found", body.found))
        .on(no_store(response)))
}

/// A gridworker's own grids (`None` for every other role: its jurisdiction decides).
fn own_grids(state: &AppState, caller: &Caller) -> Option<HashSet<String>> {
    let role = caller.grant.as_ref().map(|g| g.role)?;
    (role == Role::Gridworker).then(|| {
        state.rules.roster().get(&caller.actor_id()).map(|p| p.grids.iter().cloned().collect()).unwrap_or_default()
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    month: Option<String>,
    township: Option<String>,
    village: Option<String>,
    /// `xlsx` or `csv`: the board as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/screenings",
    operation_id = "get_api_v1_screenings",
    tag = "disputes",
    params(BoardQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((ScreeningBoard = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/screenings?month=`: every grid of the area and its screening of the month
/// (or the board as a spreadsheet).
async fn screening_board(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<BoardQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadDisputes).or_else(|_| caller.scope(Permission::RecordScreening))?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let now = state.clock.now();
    let month = match q.month.as_deref() {
        None => Month::of(figures::today(now)),
        Some(m) => Month::parse(m).ok_or_else(|| ApiError::BadRequest(format!("month must be YYYY-MM, got {m:?}")))?,
    };
    let (township, village) = area(&scope, q.township, q.village)?;
    let own = own_grids(&state, &caller);
    let catalog = state.catalog.load();
    let grids: Vec<_> = catalog
        .grids()
        .iter()
        .map(|g| &g.grid)
        .filter(|g| scope.0.covers(&g.township_code, &g.village_code))
        .filter(|g| township.as_ref().is_none_or(|t| &g.township_code == t) && village.as_ref().is_none_or(|v| &g.village_code == v))
        .filter(|g| own.as_ref().is_none_or(|o| o.contains(&g.code)))
        .collect();
    let m = month.to_string();
    let rows = state.store.screenings(&m, &m, township.as_deref(), village.as_deref()).await?;
    let by_grid: std::collections::HashMap<&str, &Screening> = rows.iter().map(|s| (s.grid_code.as_str(), s)).collect();
    let mut screened = 0u64;
    let mut on_time = 0u64;
    let items: Vec<BoardLine> = grids
        .iter()
        .map(|g| {
            let s = by_grid.get(g.code.as_str()).map(|s| screening_view(s));
            if let Some(v) = &s {
                screened += 1;
                on_time += u64::from(v.on_time);
            }
            BoardLine {
                grid: g.code.clone(),
                grid_name: g.name.clone(),
                village: g.village_code.clone(),
                village_name: g.village_name.clone(),
                township: g.township_code.clone(),
                township_name: g.township_name.clone(),
                screening: s,
            }
        })
        .collect();
    let due = items.len() as u64;
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let build = move || crate::disputes::ledgers::screenings(&m, &items);
        return sheets::file(&state, format, Name { ascii: "screenings", zh: "矛盾纠纷排查" }, "screenings", build).await;
    }
    let answer = ScreeningBoard {
        month: m,
        ended: month.last_day().is_some_and(|d| d < figures::today(now)),
        due,
        screened,
        on_time,
        rate: wangge_core::dispute::screening_rate(on_time, due),
        items,
    };
    Ok(no_store(Json(answer).into_response()))
}

/// A township/village filter checked and narrowed to the scope (403 when they do not meet).
fn area(scope: &Scope, township: Option<String>, village: Option<String>) -> Result<(Option<String>, Option<String>), ApiError> {
    let township = township.map(|c| code("township", c, 9)).transpose()?;
    let village = village.map(|c| code("village", c, 12)).transpose()?;
    scope.narrow(township, village).ok_or_else(|| ApiError::Forbidden {
        action: "read".into(),
        reason: format!("the area asked for is outside the caller's jurisdiction {}", scope.0.as_str()),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LedgerQuery {
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    stage: Option<String>,
    kind: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    format: Option<String>,
}

/// A case filter from a ledger query, narrowed to the scope.
fn case_filter(scope: &Scope, q: &LedgerQuery) -> Result<CaseFilter, ApiError> {
    let (township, village) = area(scope, q.township.clone(), q.village.clone())?;
    let grid = q.grid.clone();
    if let Some(g) = &grid {
        if g.len() != 15 || !scope.covers(g) {
            return Err(ApiError::BadRequest(format!("grid must be a 15-character grid code in the caller's area, got {g:?}")));
        }
    }
    Ok(CaseFilter {
        from: q.from.as_deref().map(|t| time("from", t, false)).transpose()?,
        to: q.to.as_deref().map(|t| time("to", t, true)).transpose()?,
        township,
        village,
        grid,
        stage: q.stage.clone(),
        kind: q.kind.clone(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/disputes",
    operation_id = "get_api_v1_disputes",
    tag = "disputes",
    params(LedgerQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((Paged<cases::CaseView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/disputes`: the dispute ledger (台账), newest first, or all of it as a
/// spreadsheet.
async fn ledger(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<LedgerQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadDisputes)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let filter = case_filter(&scope, &q)?;
    if let Some(s) = &filter.stage {
        if serde_json::from_value::<wangge_core::dispute::Stage>(Value::String(s.clone())).is_err() {
            return Err(ApiError::BadRequest(format!("stage {s:?} is not a dispute stage")));
        }
    }
    let now = state.clock.now();
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let total = state.store.disputes(&filter, Page { page: 1, per_page: 1 }).await?.total;
        let found = state.store.disputes(&filter, Page { page: 1, per_page: sheets::whole(total)? }).await?;
        let build = move || crate::disputes::ledgers::disputes(&found.items);
        return sheets::file(&state, format, Name { ascii: "disputes", zh: "矛盾纠纷台账" }, "disputes", build).await;
    }
    let paging = page(q.page.as_deref(), q.per_page.as_deref())?;
    let found = state.store.disputes(&filter, paging).await?;
    let answer: Paged<cases::CaseView> = found.map(|c| cases::view(&c, now));
    Ok(no_store(Json(answer).into_response()))
}

/// A case the caller may see under `permission`, else 404 as if missing.
async fn visible_case(state: &AppState, caller: &Caller, permission: Permission, id: &str) -> Result<DisputeCase, ApiError> {
    let scope = caller.scope(permission)?;
    let missing = || ApiError::Hidden(format!("no dispute case {id:?}"));
    let case = state.store.dispute(id).await?.ok_or_else(missing)?;
    if !scope.0.covers(&case.place.township, &case.place.village) {
        return Err(missing());
    }
    Ok(case)
}

/// The whole case file: the case, its moves, its event's summary and linked petitions.
async fn file(state: &AppState, case: &DisputeCase) -> Result<CaseFile, ApiError> {
    let now = state.clock.now();
    let moves = state.store.dispute_moves(&case.case_id).await?;
    let event = state.store.event(&case.event_id).await?;
    let petitions = state.store.petitions_of_case(&case.case_id).await?;
    Ok(CaseFile {
        case: cases::view(case, now),
        moves: moves.iter().map(move_view).collect(),
        event: event.map(|e| CaseEvent {
            event_id: e.event_id,
            category: e.category.as_str(),
            description: e.description,
            state: e.flow.state.as_str(),
            reported_at: crate::records::time_text(e.reported_at),
        }),
        petitions,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/disputes",
    operation_id = "post_api_v1_disputes",
    tag = "disputes",
    request_body = cases::NewCase,
    responses((status = 201, description = "created", body = CaseFile), crate::http::openapi::Problems)
)]
/// `POST /api/v1/disputes`: a case on an event (one per event).
async fn register(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<cases::NewCase>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::HandleDisputes)?;
    let missing = || ApiError::Hidden(format!("no event with id {:?}", body.event_id));
    let event = state.store.event(&body.event_id).await?.ok_or_else(missing)?;
    if !scope.0.covers(&event.place.township, &event.place.village) {
        return Err(missing());
    }
    if let Some(existing) = state.store.dispute_of_event(&event.event_id).await? {
        return Err(ApiError::Conflict(format!("event {} already has dispute case {existing}", event.event_id)));
    }
    for p in &body.parties {
        if let Some(r) = p.record_id.as_deref().filter(|r| !r.trim().is_empty()) {
            let found = state.store.record(r.trim()).await?;
            if !found.is_some_and(|rec| rec.entity == wangge_core::registry::Entity::Person && scope.0.covers(&rec.township_code, &rec.village_code)) {
                return Err(ApiError::Unprocessable(format!("record_id {r:?} is not a registry person in the caller's area")));
            }
        }
    }
    let actor = caller.actor_id();
    let now = state.clock.now();
    let (case, first) = cases::open(&event, body, &state.registry_keys, &actor, now)?;
    if !state.store.insert_dispute(&case, &first).await? {
        return Err(ApiError::Conflict(format!("event {} already has a dispute case", event.event_id)));
    }
    let v = file(&state, &case).await?;
    let response = (StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/disputes/{}", case.case_id))], Json(v)).into_response();
    Ok(AuditNote::success(Permission::HandleDisputes.as_str(), format!("dispute:{}", case.case_id)).with_detail("register").on(no_store(response)))
}

#[utoipa::path(
    get,
    path = "/api/v1/disputes/{id}",
    operation_id = "get_api_v1_disputes_id",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "D20230103-000012")),
    responses((status = 200, description = "the answer", body = CaseFile), crate::http::openapi::Problems)
)]
/// `GET /api/v1/disputes/{id}`: the case file (audited).
async fn case_file(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let case = visible_case(&state, &caller, Permission::ReadDisputes, &id).await?;
    let v = file(&state, &case).await?;
    Ok(AuditNote::success(Permission::ReadDisputes.as_str(), format!("dispute:{id}")).on(no_store(Json(v).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/disputes/{id}/moves",
    operation_id = "post_api_v1_disputes_id_moves",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "D20230103-000012")),
    request_body = serde_json::Value,
    responses((status = 200, description = "the answer", body = CaseFile), crate::http::openapi::Problems)
)]
/// `POST /api/v1/disputes/{id}/moves`: the next step of the mediation.
async fn move_case(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>, ApiJson(body): ApiJson<Value>) -> Result<Response, ApiError> {
    let case = visible_case(&state, &caller, Permission::HandleDisputes, &id).await?;
    let m: Move = serde_json::from_value(body).map_err(|e| {
        ApiError::Unprocessable(format!("not a valid move ({e}); one of accept, agree, fail, transfer, follow_up, archive"))
    })?;
    let now = state.clock.now();
    let (after, row) = cases::apply(&case, &m, &caller.actor_id(), now)?;
    state.store.move_dispute(&after, case.seq, &row).await?;
    let v = file(&state, &after).await?;
    Ok(AuditNote::success(Permission::HandleDisputes.as_str(), format!("dispute:{id}"))
        .with_detail(format!("{} → {}", m.as_str(), after.stage.as_str()))
        .on(no_store(Json(v).into_response())))
}

#[utoipa::path(
    post,
    path = "/api/v1/disputes/{id}/reveal",
    operation_id = "post_api_v1_disputes_id_reveal",
    tag = "disputes",
    params(("id" = String, Path, description = "the record's id", example = "D20230103-000012")),
    request_body = RevealBody,
    responses((status = 200, description = "the answer", body = wangge_core::wire::Revealed), crate::http::openapi::Problems)
)]
/// `POST /api/v1/disputes/{id}/reveal` `{"field": "parties"}`: the parties in clear (audited).
async fn reveal(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>, ApiJson(body): ApiJson<RevealBody>) -> Result<Response, ApiError> {
    caller.require(Permission::RevealPersonalData)?;
    let case = visible_case(&state, &caller, Permission::ReadDisputes, &id).await?;
    if body.field != "parties" {
        return Err(ApiError::Unprocessable(format!("field must be parties, got {:?}", body.field)));
    }
    let parties = cases::open_parties(&case, &state.registry_keys)?;
    Ok(revealed(format!("dispute:{id}"), body.field, serde_json::to_string(&parties).unwrap_or_default()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OutcomeBody {
    township: String,
    kind: String,
    occurred_on: String,
    note: String,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/outcomes",
    operation_id = "post_api_v1_outcomes",
    tag = "disputes",
    request_body = OutcomeBody,
    responses((status = 201, description = "created", body = OutcomeView), crate::http::openapi::Problems)
)]
/// `POST /api/v1/outcomes`: a township's public-safety incident or 民转刑 case.
async fn record_outcome(State(state): State<AppState>, caller: Caller, ApiJson(body): ApiJson<OutcomeBody>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::RecordOutcomes)?;
    let township = code("township", body.township, 9).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    if !scope.covers(&township) {
        return Err(ApiError::Forbidden { action: Permission::RecordOutcomes.as_str().into(), reason: format!("township {township} is outside the caller's jurisdiction") });
    }
    if !state.catalog.load().grids().iter().any(|g| g.grid.township_code == township) {
        return Err(ApiError::Unprocessable(format!("township {township} is not a township of the county")));
    }
    label(&OUTCOME_KINDS, &body.kind)
        .ok_or_else(|| ApiError::Unprocessable(format!("kind must be one of {}, got {:?}", cases::codes(&OUTCOME_KINDS), body.kind)))?;
    let now = state.clock.now();
    let day = NaiveDate::parse_from_str(body.occurred_on.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::Unprocessable(format!("occurred_on must be a date YYYY-MM-DD, got {:?}", body.occurred_on)))?;
    if day > figures::today(now) {
        return Err(ApiError::Unprocessable(format!("occurred_on {day} is in the future")));
    }
    let note = disputes::text("note", &body.note)?;
    let reference = disputes::optional("ref", body.reference.as_deref(), 64)?;
    let outcome = Outcome {
        outcome_id: disputes::new_id('O')?,
        township_code: township,
        kind: body.kind,
        occurred_on: day.to_string(),
        note,
        reference: (!reference.is_empty()).then_some(reference),
        recorded_by: caller.actor_id(),
        recorded_at: now,
    };
    state.store.insert_outcome(&outcome).await?;
    let response = (StatusCode::CREATED, Json(outcome_view(&outcome))).into_response();
    Ok(AuditNote::success(Permission::RecordOutcomes.as_str(), format!("outcome:{}", outcome.outcome_id)).on(no_store(response)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct OutcomeQuery {
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    /// `xlsx` or `csv`: the list as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/outcomes",
    operation_id = "get_api_v1_outcomes",
    tag = "disputes",
    params(OutcomeQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((OutcomeList = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/outcomes?from=&to=&township=` (default: this year), or as a spreadsheet.
async fn outcome_list(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<OutcomeQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadDisputes)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let (township, _) = area(&scope, q.township, None)?;
    let _turn = match export {
        Some(_) => Some(crate::http::overload::heavy_turn(&state).await?),
        None => None,
    };
    let catalog = state.catalog.load();
    let file = |items: Vec<OutcomeView>, format| {
        let build = move || crate::disputes::ledgers::outcomes(&items, |code| catalog.name_of(code).to_owned());
        sheets::file(&state, format, Name { ascii: "outcomes", zh: "结果性指标台账" }, "outcomes", build)
    };
    if scope.0.as_str().len() == 12 {
        // A village's centre: outcomes are its township's business.
        return match export {
            Some(format) => file(Vec::new(), format).await,
            None => Ok(no_store(Json(OutcomeList { from: None, to: None, items: Vec::new() }).into_response())),
        };
    }
    let today = figures::today(state.clock.now());
    let day = |what: &str, t: Option<&str>, default: NaiveDate| -> Result<NaiveDate, ApiError> {
        t.map_or(Ok(default), |t| NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| ApiError::BadRequest(format!("{what} must be a date YYYY-MM-DD, got {t:?}"))))
    };
    let first_of_year = NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let from = day("from", q.from.as_deref(), first_of_year)?;
    let to = day("to", q.to.as_deref(), today)?;
    let rows = state.store.outcomes(&from.to_string(), &to.to_string(), township.as_deref()).await?;
    let items: Vec<OutcomeView> = rows.iter().map(outcome_view).collect();
    if let Some(format) = export {
        return file(items, format).await;
    }
    Ok(no_store(Json(OutcomeList { from: Some(from), to: Some(to), items }).into_response()))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(screening_board, screen, ledger, register, case_file, move_case, reveal, outcome_list, record_outcome))]
pub struct Doc;
