//! Call-backs (回访): `GET /api/v1/callbacks` (the desk: closed events due a call by the
//! county's rule, nobody reached since they closed; also as XLSX or CSV), `GET|POST /api/v1/events/{id}/followups`
//! (a call's record by grid-centre staff in their jurisdiction, or the reporter rating their own
//! closed event; 不满意 or 很不满意 reopens the event to the tier that closed it).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wangge_core::access::{mask_phone, Permission};
use wangge_core::dispute::Level;
use wangge_core::wire::EventView;

use crate::access::{AuditNote, Caller};
use crate::disputes::callbacks::{self, FollowupRequest, Source};
use crate::events::view::event_view;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::routes::sheets::{self, Name};
use crate::http::routes::{code, no_store, page, time, Routes, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAY};
use crate::records::{Callback, EventRecord, StatsFilter};
use crate::state::AppState;

/// Days of closed events the desk shows unless asked otherwise.
pub const DESK_DAYS: i64 = 30;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/callbacks", get(desk))
        .at("/api/v1/events/{id}/followups", get(list).post(record))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeskQuery {
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    village: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    /// `xlsx` or `csv`: the whole desk as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/callbacks",
    operation_id = "get_api_v1_callbacks",
    tag = "events",
    params(DeskQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((Desk = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/callbacks`: what the desk is to call, most recently closed first (or all of
/// it as a spreadsheet).
async fn desk(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<DeskQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::RecordRating)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let now = state.clock.now();
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let (township, village) = scope.narrow(township, village).ok_or_else(|| ApiError::Forbidden {
        action: Permission::RecordRating.as_str().into(),
        reason: format!("the area asked for is outside the caller's jurisdiction {}", scope.0.as_str()),
    })?;
    let from = q.from.as_deref().map(|t| time("from", t, false)).transpose()?.unwrap_or(now - Duration::days(DESK_DAYS));
    let to = q.to.as_deref().map(|t| time("to", t, true)).transpose()?.unwrap_or(now + Duration::seconds(1));
    if from > to {
        return Err(ApiError::BadRequest("from is after to".into()));
    }
    let paging = page(q.page.as_deref(), q.per_page.as_deref())?;
    let filter = StatsFilter { from, to, township, village, grid: None };
    let _turn = match export {
        Some(_) => Some(crate::http::overload::heavy_turn(&state).await?),
        None => None,
    };
    let closed = state.store.closed_events(&filter).await?;
    let due: Vec<_> = closed.iter().filter(|e| callbacks::due(&state.callback_rule, e)).collect();
    let (start, count) = match export {
        Some(_) => (0, sheets::whole(i64::try_from(due.len()).unwrap_or(i64::MAX))? as usize),
        None => (usize::try_from(paging.offset()).unwrap_or(usize::MAX), paging.per_page as usize),
    };
    let mut items = Vec::new();
    for e in due.iter().skip(start).take(count) {
        let Some(event) = state.store.event(&e.event_id).await? else { continue };
        items.push(DeskItem {
            event_id: event.event_id,
            category: event.category.as_str(),
            description: event.description,
            closed_at: crate::records::time_text(e.closed_at),
            township: event.place.township,
            village: event.place.village,
            grid: event.place.grid,
            holder: event.flow.holder.as_ref().map(|h| Holder { tier: h.tier.as_str(), id: h.id.clone() }),
            reporter_phone: event.reporter.phone.as_deref().map(mask_phone),
            attempts: e.attempts,
        });
    }
    if let Some(format) = export {
        let catalog = state.catalog.load();
        let rows: Vec<Value> = items.iter().filter_map(|i| serde_json::to_value(i).ok()).collect();
        let build = move || crate::events::sheets::callbacks(&rows, &catalog);
        return sheets::file(&state, format, Name { ascii: "callbacks", zh: "回访台" }, "callbacks", build).await;
    }
    let rule = DeskRule { always: state.callback_rule.always.clone(), share_percent: state.callback_rule.share_percent };
    let answer = Desk { items, total: due.len(), page: paging.page, per_page: paging.per_page, rule };
    Ok(no_store(Json(answer).into_response()))
}

/// The call-back desk's page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Desk {
    items: Vec<DeskItem>,
    /// Closed events due a call in the period.
    total: usize,
    page: u32,
    per_page: u32,
    /// The county's sampling rule.
    rule: DeskRule,
}

/// Which closed events are due a call-back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeskRule {
    /// Categories always called back.
    always: Vec<String>,
    /// Per cent of the other events called back.
    share_percent: u8,
}

/// A closed event due a call-back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeskItem {
    event_id: String,
    category: &'static str,
    description: String,
    closed_at: String,
    township: String,
    village: String,
    grid: String,
    /// Who held it last.
    holder: Option<Holder>,
    /// Masked.
    reporter_phone: Option<String>,
    /// Calls made since it closed.
    attempts: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Holder {
    tier: &'static str,
    id: String,
}

/// A call-back as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CallbackView {
    callback_id: String,
    event_id: String,
    at: String,
    actor: String,
    /// `desk` or `reporter`.
    source: String,
    reached: bool,
    /// 很满意, 基本满意, 不满意 or 很不满意, when reached.
    level: Option<&'static str>,
    satisfied: Option<bool>,
    note: String,
    reopened: bool,
}

fn view(c: &Callback) -> CallbackView {
    CallbackView {
        callback_id: c.callback_id.clone(),
        event_id: c.event_id.clone(),
        at: crate::records::time_text(c.at),
        actor: c.actor.clone(),
        source: c.source.clone(),
        reached: c.reached,
        level: c.level.map(Level::zh),
        satisfied: c.level.map(Level::satisfied),
        note: c.note.clone(),
        reopened: c.reopened,
    }
}

/// An event's call-backs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Callbacks {
    items: Vec<CallbackView>,
}

/// A recorded call-back and the event after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recorded {
    followup: CallbackView,
    /// Whether it reopened the event.
    reopened: bool,
    event: EventView,
}

/// The event and who records on it: the desk (a centre over it) or its reporter; anyone else
/// is answered as if the event did not exist, or refused when it may see it.
async fn event_for(state: &AppState, caller: &Caller, id: &str) -> Result<(EventRecord, Source), ApiError> {
    // Only grid-centre staff call back, and only those who report rate their own events.
    if caller.require(Permission::RecordRating).is_err() {
        caller.require(Permission::ReportEvent)?;
    }
    let missing = || ApiError::Hidden(format!("no event with id {id:?}"));
    let event = state.store.event(id).await?.ok_or_else(missing)?;
    if let Ok(scope) = caller.scope(Permission::RecordRating) {
        if scope.0.covers(&event.place.township, &event.place.village) {
            return Ok((event, Source::Desk));
        }
    }
    let own = !caller.acting_as.is_empty() && event.reporter.person_id.as_deref() == Some(caller.acting_as.as_str());
    if own {
        return Ok((event, Source::Reporter));
    }
    Err(missing())
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/followups",
    operation_id = "get_api_v1_events_id_followups",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 200, description = "the event's call-backs", body = Callbacks), crate::http::openapi::Problems)
)]
/// `GET /api/v1/events/{id}/followups`.
async fn list(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    // Whoever may read the event, or call it back, may read its call-backs.
    if caller.require(Permission::RecordRating).is_err() {
        caller.require(Permission::ReadEvents)?;
    }
    let missing = || ApiError::Hidden(format!("no event with id {id:?}"));
    let event = state.store.event(&id).await?.ok_or_else(missing)?;
    let desk = caller.scope(Permission::RecordRating).is_ok_and(|s| s.0.covers(&event.place.township, &event.place.village));
    if !desk && !caller.sees_event(&event) {
        return Err(missing());
    }
    let rows = state.store.callbacks(&event.event_id).await?;
    let items = rows.iter().map(view).collect();
    Ok(no_store(Json(Callbacks { items }).into_response()))
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/followups",
    operation_id = "post_api_v1_events_id_followups",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    request_body = FollowupRequest,
    responses((status = 201, description = "recorded", body = Recorded), (status = 200, description = "a replay of the same Idempotency-Key: the call-back recorded before", body = Recorded), crate::http::openapi::Problems)
)]
/// `POST /api/v1/events/{id}/followups` `{"reached", "level", "note"}`.
async fn record(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FollowupRequest>,
) -> Result<Response, ApiError> {
    let (event, source) = event_for(&state, &caller, &id).await?;
    let actor = caller.actor_id();
    let callback_id = match headers.get(IDEMPOTENCY_KEY) {
        None => crate::disputes::new_id('C')?,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 128)
                .ok_or_else(|| ApiError::BadRequest("Idempotency-Key must be 1 to 128 printable ASCII characters".into()))?;
            keyed_id(&actor, key)
        }
    };
    // A replay (the phone's queue or the desk resending after a lost answer) changes nothing.
    let before = state.store.callbacks(&event.event_id).await?;
    if let Some(done) = before.iter().find(|c| c.callback_id == callback_id) {
        let replay = Recorded { followup: view(done), reopened: done.reopened, event: event_view(&event, state.clock.now()) };
        let mut response = no_store(Json(replay).into_response());
        response.headers_mut().insert(IDEMPOTENT_REPLAY, HeaderValue::from_static("true"));
        return Ok(response);
    }
    let f = callbacks::check(body)?;
    let now = state.clock.now();
    let (callback, after) = callbacks::record(state.desk(), &event, &f, callback_id, (&actor, source), now).await?;
    let answer = Recorded { followup: view(&callback), reopened: callback.reopened, event: event_view(&after, now) };
    let detail = match (callback.reached, callback.level) {
        (true, Some(l)) => format!("{} {}{}", source.as_str(), l.zh(), if callback.reopened { ", reopened" } else { "" }),
        _ => format!("{} not reached", source.as_str()),
    };
    let response = (StatusCode::CREATED, Json(answer)).into_response();
    Ok(AuditNote::success(Permission::RecordRating.as_str(), format!("event:{}", event.event_id)).with_detail(detail).on(no_store(response)))
}

/// The id of a call-back sent with an idempotency key: `C`, `K` and 20 hex digits of SHA-256
/// over who sent it and the key.
fn keyed_id(actor: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(actor.as_bytes()).chain_update([0]).chain_update(key.as_bytes()).finalize();
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("CK{hex}")
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(desk, list, record))]
pub struct Doc;
