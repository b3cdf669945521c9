//! Events: the queues (`GET /api/v1/events`, also as XLSX or CSV), one event with its deadlines and overdue flag,
//! its timeline, and transitions of its closed loop (`POST /api/v1/events/{id}/transitions`).

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use wangge_core::event::{Action, Category, State as LoopState, Tier, TransitionError};
use wangge_core::access::{may_transition, Actor, EventScope, Permission, Role};
use wangge_core::wire::nearby::{Nearby, NearbyEvent};
use wangge_core::wire::{EventView, Timeline};
use wangge_core::{Crs, LonLat};

use crate::http::routes::{code, empty_page, no_store, page, revealed, time, RevealBody, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAY};
use crate::access::AuditNote;
use crate::access::{Caller, Scope};
use crate::http::error::ApiError;
use crate::records::{EventFilter, EventRecord, Page};
use crate::events::view::{event_view, timeline_view};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::events::holders::{self, MAX_ID};
use crate::events::nearby;
use crate::photos;
use crate::http::with_photos;
use crate::events::transitions::{self, TransitionFailure};
use crate::http::routes::Routes;
use crate::http::routes::sheets::{self, Name};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/events", get(list))
        .at("/api/v1/events/nearby", get(nearby))
        .at("/api/v1/events/{id}", get(one))
        .at("/api/v1/events/{id}/timeline", get(timeline))
        .at(
            "/api/v1/events/{id}/transitions",
            post(transition).layer(DefaultBodyLimit::max(with_photos::PHOTO_BODY_LIMIT)),
        )
        .at("/api/v1/events/{id}/reveal", post(reveal))
}

/// The queue's query string, kept as text so that each bad value gets its own reason.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    state: Option<String>,
    tier: Option<String>,
    holder: Option<String>,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    category: Option<String>,
    overdue: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    /// `xlsx` or `csv`: the whole filtered queue as a spreadsheet.
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "get_api_v1_events",
    tag = "events",
    params(QueueQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((wangge_core::wire::Paged<wangge_core::wire::EventView> = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
/// `GET /api/v1/events`: the queue, filtered and paged, or the whole of it as a spreadsheet.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadEvents)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let now = state.clock.now();
    let page = page(q.page.as_deref(), q.per_page.as_deref())?;
    let filter = queue_filter(&caller, &scope, q, now)?;
    if let Some(format) = export {
        let _turn = crate::http::overload::heavy_turn(&state).await?;
        let records = match &filter {
            Some(f) => {
                let total = state.store.events(f, Page { page: 1, per_page: 1 }).await?.total;
                state.store.events(f, Page { page: 1, per_page: sheets::whole(total)? }).await?.items
            }
            None => Vec::new(),
        };
        let catalog = state.catalog.load();
        let build = move || crate::events::sheets::events(records.iter().map(|e| event_view(e, now)), &catalog);
        return sheets::file(&state, format, Name { ascii: "events", zh: "事件列表" }, "events", build).await;
    }
    let Some(filter) = filter else {
        return Ok(no_store(Json(empty_page::<EventView>(page)).into_response()));
    };
    let found = state.store.events(&filter, page).await?;
    let mut found = found.map(|e| event_view(&e, now));
    photos::decorate(&state.store, &mut found.items).await?;
    Ok(no_store(Json(found).into_response()))
}

/// The queue's filter inside the caller's jurisdiction (`None`: nothing can match).
fn queue_filter(caller: &Caller, scope: &Scope, q: QueueQuery, now: DateTime<Utc>) -> Result<Option<EventFilter>, ApiError> {
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let mut holder = q.holder.map(|h| id_text("holder", h)).transpose()?;
    let mut tier_asked = q.tier.as_deref().map(tier).transpose()?;
    // A department handler's queue is its department's.
    if caller.grant.as_ref().is_some_and(|g| g.role == Role::DepartmentHandler) {
        if holder.as_ref().is_some_and(|h| *h != caller.acting_as) {
            return Ok(None);
        }
        holder = Some(caller.acting_as.clone());
        tier_asked = Some(Tier::Department);
    }
    let Some((township, village)) = scope.narrow(township, village) else {
        return Ok(None);
    };
    Ok(Some(EventFilter {
        states: states(q.state.as_deref())?,
        tier: tier_asked,
        holder,
        township,
        village,
        grid: q.grid.map(grid_code).transpose()?,
        category: q.category.as_deref().map(category).transpose()?,
        overdue: q.overdue.as_deref().map(boolean).transpose()?,
        done_before: None,
        from: q.from.as_deref().map(|t| time("from", t, false)).transpose()?,
        to: q.to.as_deref().map(|t| time("to", t, true)).transpose()?,
        now: Some(now),
        within_box: None,
    }))
}

/// `GET /api/v1/events/nearby`: what the asked point is near, kept as text so that each bad
/// value gets its own reason.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct NearbyQuery {
    lon: Option<String>,
    lat: Option<String>,
    crs: Option<String>,
    category: Option<String>,
    radius_m: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/events/nearby",
    operation_id = "get_api_v1_events_nearby",
    tag = "events",
    params(NearbyQuery),
    responses((status = 200, description = "the answer", body = wangge_core::wire::nearby::Nearby), crate::http::openapi::Problems)
)]
/// Open events of a category near a point, nearest first, among those the caller may read: a
/// reporter adds to one instead of filing a duplicate.
async fn nearby(State(state): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<NearbyQuery>) -> Result<Response, ApiError> {
    caller.require(Permission::ReadEvents)?;
    let number = |what: &str, text: Option<&str>| -> Result<f64, ApiError> {
        let text = text.ok_or_else(|| ApiError::BadRequest(format!("{what} is required")))?;
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| ApiError::BadRequest(format!("{what} must be a number, got {text:?}")))
    };
    let (lon, lat) = (number("lon", q.lon.as_deref())?, number("lat", q.lat.as_deref())?);
    let crs_text = q.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text)
        .ok_or_else(|| ApiError::BadRequest(format!("crs must be cgcs2000, wgs84, gcj02 or bd09, got {crs_text:?}")))?;
    let at = LonLat::from_crs(lon, lat, crs).map_err(|e| ApiError::BadRequest(format!("location: {e}")))?;
    let radius_m = match q.radius_m.as_deref() {
        None => nearby::DEFAULT_RADIUS_M,
        Some(text) => number("radius_m", Some(text))?,
    };
    if !(1.0..=nearby::MAX_RADIUS_M).contains(&radius_m) {
        return Err(ApiError::BadRequest(format!("radius_m must be 1 to {} metres, got {radius_m}", nearby::MAX_RADIUS_M)));
    }
    let category = q.category.as_deref().map(category).transpose()?;
    let near = nearby::nearby(&state.store, at, category, radius_m, |e| caller.sees_event(e)).await?;
    let now = state.clock.now();
    let mut views: Vec<EventView> = near.iter().map(|n| event_view(&n.event, now)).collect();
    photos::decorate(&state.store, &mut views).await?;
    // An event already marked a duplicate is not one to add to: its original is.
    let events = near
        .into_iter()
        .zip(views)
        .filter(|(_, v)| v.duplicate_of.is_none())
        .map(|(n, event)| NearbyEvent { distance_m: n.distance_m, event })
        .collect();
    Ok(no_store(Json(Nearby { events, radius_m }).into_response()))
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}",
    operation_id = "get_api_v1_events_id",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 200, description = "the answer", body = wangge_core::wire::EventView), crate::http::openapi::Problems)
)]
async fn one(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let event = find_visible(&state, &caller, &id).await?;
    Ok(no_store(Json(decorated(&state, &event).await?).into_response()))
}

/// One event's view with its photos and duplicate links.
pub async fn decorated(state: &AppState, event: &EventRecord) -> Result<EventView, ApiError> {
    let mut view = [event_view(event, state.clock.now())];
    photos::decorate(&state.store, &mut view).await?;
    let [view] = view;
    Ok(view)
}

#[utoipa::path(
    get,
    path = "/api/v1/events/{id}/timeline",
    operation_id = "get_api_v1_events_id_timeline",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 200, description = "the answer", body = wangge_core::wire::Timeline), crate::http::openapi::Problems)
)]
async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let event = find_visible(&state, &caller, &id).await?;
    let entries = state.store.timeline(&event.event_id).await?;
    let body = Timeline { event_id: event.event_id, entries: entries.iter().map(timeline_view).collect() };
    Ok(no_store(Json(body).into_response()))
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/transitions",
    operation_id = "post_api_v1_events_id_transitions",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 200, description = "the answer", body = wangge_core::wire::EventView), crate::http::openapi::Problems)
)]
/// A core action (`{"action": "escalate", "to": {...}, "reason": "..."}`). Who acts is the
/// signed-in account (its person, department or centre); an `actor` member, if sent, must
/// name the same.
async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let key = match request.headers().get(IDEMPOTENCY_KEY) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 128 && k.chars().all(|c| c.is_ascii_graphic()))
                .ok_or_else(|| ApiError::BadRequest("Idempotency-Key must be 1 to 128 printable ASCII characters".into()))?
                .to_owned(),
        ),
    };
    let (body, sent_photos): (Value, _) = with_photos::read(request, &state, "transition").await?;
    let Value::Object(mut body) = body else {
        return Err(ApiError::Unprocessable("the body must be a JSON object with an action".into()));
    };
    let actor = caller.actor_id();
    match body.remove("actor") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) if a == actor => {}
        Some(other) => {
            return Err(ApiError::Unprocessable(format!(
                "actor is taken from the signed-in account ({actor}); got {other}"
            )))
        }
    }
    let event = find_visible(&state, &caller, &id).await?;
    // A replay of a transition already applied (the phone's queue sending again after a lost
    // answer) answers the event as it is, changing nothing.
    if let Some(key) = &key {
        let entries = state.store.timeline(&event.event_id).await?;
        if entries.iter().any(|t| t.actor == actor && t.payload.get("client_id").and_then(Value::as_str) == Some(key.as_str())) {
            let mut response = no_store(Json(decorated(&state, &event).await?).into_response());
            response.headers_mut().insert(IDEMPOTENT_REPLAY, axum::http::HeaderValue::from_static("true"));
            return Ok(response);
        }
    }
    holders::fill_holder(&state.rules, &state.catalog.load(), &event, &mut body)?;
    let action: Action = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::Unprocessable(format!("not a valid action: {e}")))?;
    let permission = Permission::for_action(&action);
    let grant = caller.require(permission)?;
    let scope = EventScope { township: &event.place.township, village: &event.place.village, holder: event.flow.holder.as_ref() };
    if let Err(denied) = may_transition(&Actor { grant, id: &actor }, &scope, &action) {
        return Err(if denied.is_not_found() {
            ApiError::Hidden(format!("no event with id {id:?}"))
        } else {
            ApiError::Forbidden { action: permission.as_str().to_owned(), reason: denied.to_string() }
        });
    }
    holders::check_holder(&state.rules, &event, &action)?;
    let extra = key.as_ref().map(|k| serde_json::json!({ "client_id": k }));
    let now = state.clock.now();
    let object = format!("event:{}", event.event_id);
    // Evidence of handling: read and made durable first, its rows commit with the transition.
    let evidence = photos::prepare(&state.store, sent_photos, now).await?;
    let count = evidence.len();
    match transitions::apply_and_publish(state.desk(), &event, &action, &actor, extra, evidence, now).await {
        Ok(after) => {
            let mut detail = format!("{} → {:?}", action.name(), after.flow.holder.as_ref().map(|h| format!("{}:{}", h.tier.as_str(), h.id)));
            if count > 0 {
                detail.push_str(&format!(" with {count} photo(s)"));
            }
            let response = no_store(Json(decorated(&state, &after).await?).into_response());
            Ok(AuditNote::success(permission.as_str(), object).with_detail(detail).on(response))
        }
        Err(TransitionFailure::Refused(e)) => Err(refused(e)),
        Err(TransitionFailure::Store(e)) => Err(e.into()),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/reveal",
    operation_id = "post_api_v1_events_id_reveal",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    request_body = RevealBody,
    responses((status = 200, description = "the field in full (audited)", body = wangge_core::wire::Revealed), crate::http::openapi::Problems)
)]
/// The full value of a masked field (`reporter_phone`, `reporter_name`): audited, never cached.
async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::RevealPersonalData)?;
    let event = find_visible(&state, &caller, &id).await?;
    let value = match body.field.as_str() {
        "reporter_phone" => event.reporter.phone.clone(),
        "reporter_name" => event.reporter.name.clone(),
        other => {
            return Err(ApiError::Unprocessable(format!(
                "field must be reporter_phone or reporter_name, got {other:?}"
            )))
        }
    };
    let value = value.ok_or_else(|| ApiError::NotFound(format!("event {id} has no {}", body.field)))?;
    Ok(revealed(format!("event:{}", event.event_id), body.field, value))
}

async fn find(state: &AppState, id: &str) -> Result<EventRecord, ApiError> {
    state.store.event(id).await?.ok_or_else(|| ApiError::NotFound(format!("no event with id {id:?}")))
}

/// The event if the caller may read it; one outside its jurisdiction is answered exactly like
/// a missing one (and the refusal audited).
pub(in crate::http::routes) async fn find_visible(state: &AppState, caller: &Caller, id: &str) -> Result<EventRecord, ApiError> {
    caller.require(Permission::ReadEvents)?;
    let event = find(state, id).await?;
    if caller.sees_event(&event) {
        Ok(event)
    } else {
        Err(ApiError::Hidden(format!("no event with id {id:?}")))
    }
}

fn refused(e: TransitionError) -> ApiError {
    match e {
        TransitionError::Illegal { .. } | TransitionError::NotUp { .. } | TransitionError::NotAtGrid(_) => {
            ApiError::Conflict(e.to_string())
        }
        TransitionError::BadText(_) | TransitionError::BadScore(_) => ApiError::Unprocessable(e.to_string()),
        TransitionError::Calendar(c) => ApiError::Calendar(c),
    }
}

/// A person, centre or department id: 1–64 characters, no control characters.
fn id_text(what: &str, id: String) -> Result<String, ApiError> {
    if holders::valid_id(&id) {
        Ok(id)
    } else {
        Err(ApiError::BadRequest(format!("{what} must be 1 to {MAX_ID} characters without control characters or surrounding spaces")))
    }
}

fn states(text: Option<&str>) -> Result<Vec<LoopState>, ApiError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    text.split(',')
        .map(|s| {
            LoopState::parse(s.trim()).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "state must be reported, assigned, accepted, handled, returned, closed or rated (comma-separated), got {s:?}"
                ))
            })
        })
        .collect()
}

fn tier(text: &str) -> Result<Tier, ApiError> {
    Tier::parse(text).ok_or_else(|| {
        ApiError::BadRequest(format!("tier must be grid, village, township, county or department, got {text:?}"))
    })
}

fn category(text: &str) -> Result<Category, ApiError> {
    Category::parse(text).ok_or_else(|| {
        ApiError::BadRequest(format!("category must be livelihood, hazard, dispute or other, got {text:?}"))
    })
}

fn boolean(text: &str) -> Result<bool, ApiError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::BadRequest(format!("overdue must be true or false, got {text:?}"))),
    }
}

fn grid_code(text: String) -> Result<String, ApiError> {
    if text.len() == 15 && text.is_ascii() {
        Ok(text)
    } else {
        Err(ApiError::BadRequest(format!("grid must be a 15-character grid code, got {text:?}")))
    }
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, nearby, one, timeline, transition, reveal))]
pub struct Doc;
