//! The working-day calendar: `GET /api/v1/calendar/{year}` (the year's holidays, make-up
//! working days and overrides), `PUT /api/v1/calendar/{year}` (load a new year's State
//! Council notice) and `PUT /api/v1/calendar/overrides/{date}`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use wangge_core::calendar::{DayKind, WorkingCalendar};

use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/calendar/{year}", get(year).put(load_year))
        .at("/api/v1/calendar/overrides/{date}", put(set_override))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Year {
    year: i32,
    working_days: u32,
    /// Weekdays off (statutory holidays).
    holidays: Vec<String>,
    /// Weekend days worked (调休).
    workdays: Vec<String>,
    overrides: Vec<Override>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Override {
    date: String,
    kind: DayKind,
}

fn parse_year(year: &str) -> Result<i32, ApiError> {
    year.parse()
        .ok()
        .filter(|y| (1900..=9999).contains(y))
        .ok_or_else(|| ApiError::BadRequest(format!("year must be a four-digit year, got {year:?}")))
}

#[utoipa::path(
    get,
    path = "/api/v1/calendar/{year}",
    operation_id = "get_api_v1_calendar_year",
    tag = "events",
    params(("year" = String, Path, description = "a year (e.g. 2024)", example = "2024")),
    responses((status = 200, description = "the year's days off, make-up working days and overrides", body = Year), crate::http::openapi::Problems)
)]
async fn year(State(state): State<AppState>, caller: Caller, ApiPath(year): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::ReadDivisions)?;
    let year = parse_year(&year)?;
    let calendar = state.rules.calendar();
    let mut answer = days_of(&calendar, year)?;
    answer.overrides = state
        .store
        .calendar_overrides()
        .await?
        .into_iter()
        .filter(|(d, _)| d.year() == year)
        .map(|(d, kind)| Override { date: d.to_string(), kind })
        .collect();
    Ok(Json(answer).into_response())
}

fn days_of(calendar: &WorkingCalendar, year: i32) -> Result<Year, ApiError> {
    let mut answer = Year { year, working_days: 0, holidays: Vec::new(), workdays: Vec::new(), overrides: Vec::new() };
    let mut day = NaiveDate::from_ymd_opt(year, 1, 1);
    while let Some(d) = day.filter(|d| d.year() == year) {
        let working = calendar.is_working_day(d).map_err(|e| ApiError::NotFound(e.to_string()))?;
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        answer.working_days += u32::from(working);
        match (working, weekend) {
            (false, false) => answer.holidays.push(d.to_string()),
            (true, true) => answer.workdays.push(d.to_string()),
            _ => {}
        }
        day = d.succ_opt();
    }
    Ok(answer)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    /// `holiday`, `workday`, or `null` to remove the override.
    kind: Option<DayKind>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OverrideAnswer {
    date: String,
    kind: Option<DayKind>,
    working_day: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/calendar/overrides/{date}",
    operation_id = "put_api_v1_calendar_overrides_date",
    tag = "events",
    params(("date" = String, Path, description = "a date (YYYY-MM-DD)", example = "2024-10-08")),
    request_body = OverrideBody,
    responses((status = 200, description = "the date as now counted", body = OverrideAnswer), crate::http::openapi::Problems)
)]
/// Sets or removes one date's override; deadlines computed from now on use it.
async fn set_override(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(date): ApiPath<String>,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::EditCalendar)?;
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest(format!("date must look like 2025-10-09, got {date:?}")))?;
    // The year must be loaded: a trial on a copy refuses it before anything is stored.
    let mut trial = state.rules.calendar().as_ref().clone();
    trial.set_override(day, body.kind).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    state.store.set_calendar_override(day, body.kind).await?;
    reload_calendar(&state).await?;
    let working_day = state.rules.calendar().is_working_day(day).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    Ok(Json(OverrideAnswer { date: day.to_string(), kind: body.kind, working_day }).into_response())
}

/// A year's State Council holiday notice (国务院办公厅关于节假日安排的通知).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Notice {
    /// Where the dates come from (the notice's title or number).
    source: String,
    /// Days off, weekend days inside a holiday span included.
    holidays: Vec<String>,
    /// Weekend days worked (调休).
    workdays: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/calendar/{year}",
    operation_id = "put_api_v1_calendar_year",
    tag = "events",
    params(("year" = String, Path, description = "a year (e.g. 2024)", example = "2024")),
    request_body = Notice,
    responses((status = 200, description = "the year as loaded", body = Year), crate::http::openapi::Problems)
)]
/// Loads (or replaces) a year's notice; deadlines in that year are computed from then on.
async fn load_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(year): ApiPath<String>,
    ApiJson(notice): ApiJson<Notice>,
) -> Result<Response, ApiError> {
    caller.require(Permission::EditCalendar)?;
    let year = parse_year(&year)?;
    if notice.source.trim().is_empty() || notice.source.chars().count() > 500 {
        return Err(ApiError::BadRequest("source must name the notice (1 to 500 characters)".into()));
    }
    let mut days = Vec::new();
    for (list, kind) in [(&notice.holidays, DayKind::Holiday), (&notice.workdays, DayKind::Workday)] {
        for d in list {
            let day = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .filter(|day| day.year() == year)
                .ok_or_else(|| ApiError::BadRequest(format!("{d:?} is not a date of {year}")))?;
            if days.iter().any(|(other, _)| *other == day) {
                return Err(ApiError::BadRequest(format!("{d} is listed twice")));
            }
            days.push((day, kind));
        }
    }
    state.store.load_calendar_year(year, notice.source.trim(), &days).await?;
    reload_calendar(&state).await?;
    let calendar = state.rules.calendar();
    Ok(Json(days_of(&calendar, year)?).into_response())
}

/// Re-reads the calendar after a change, so deadlines computed from now on follow it.
async fn reload_calendar(state: &AppState) -> Result<(), ApiError> {
    state.rules.reload_calendar(&state.store).await.map_err(|e| match e {
        crate::events::rules::RulesError::Store(s) => ApiError::from(s),
        other => ApiError::Internal(other.to_string()),
    })
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(year, load_year, set_override))]
pub struct Doc;
