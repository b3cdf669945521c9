//! Photos of events and check-ins, and duplicate links: `GET /api/v1/attachments/{id}` and its
//! thumbnail, read under the same jurisdiction rules as the event or the check-in's patrol (a
//! photo the caller may not read is answered exactly like a missing one), never cached, every
//! read audited (a photo may show people and their homes); `POST`/`DELETE /api/v1/events/{id}/duplicate` marks an
//! event a duplicate of another (linked both ways, counted once: at the original).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use wangge_core::access::Permission;

use super::queues::{decorated, find_visible};
use crate::http::routes::patrols::Viewer;
use crate::access::{AuditNote, Caller};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::routes::Routes;
use crate::records::DuplicateLink;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .at("/api/v1/attachments/{id}", get(photo))
        .at("/api/v1/attachments/{id}/thumbnail", get(thumbnail))
        .at("/api/v1/events/{id}/duplicate", post(mark).delete(unmark))
}

#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    operation_id = "get_api_v1_attachments_id",
    tag = "events",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "the answer", content((String = "image/jpeg"), (String = "image/png"))), crate::http::openapi::Problems)
)]
async fn photo(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    serve(&state, &caller, &id, false).await
}

#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}/thumbnail",
    operation_id = "get_api_v1_attachments_id_thumbnail",
    tag = "events",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "the answer", content((String = "image/jpeg"))), crate::http::openapi::Problems)
)]
async fn thumbnail(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    serve(&state, &caller, &id, true).await
}

async fn serve(state: &AppState, caller: &Caller, id: &str, thumbnail: bool) -> Result<Response, ApiError> {
    // Event readers, and patrol readers or walkers (a check-in's photos).
    if caller.require(Permission::ReadEvents).is_err() && Viewer::of(caller).is_err() {
        caller.require(Permission::ReadEvents)?;
    }
    let missing = || ApiError::NotFound(format!("no attachment with id {id:?}"));
    if id.is_empty() || id.len() > 64 {
        return Err(missing());
    }
    let Some(row) = state.store.attachment(id).await? else { return Err(missing()) };
    // What it is a photo of decides: an event's under the event's rules, a check-in's under
    // the patrol's; one out of sight is answered as a missing photo.
    let hidden = || ApiError::Hidden(format!("no attachment with id {id:?}"));
    let object = match (&row.event_id, &row.checkin_id) {
        (Some(event_id), _) => {
            let event = find_visible(state, caller, event_id).await.map_err(|e| match e {
                ApiError::Hidden(_) | ApiError::NotFound(_) => hidden(),
                other => other,
            })?;
            format!("event:{}", event.event_id)
        }
        (None, Some(checkin_id)) => {
            let viewer = Viewer::of(caller)?;
            let checkin = state.store.checkin(checkin_id).await?.ok_or_else(hidden)?;
            let patrol = state.store.patrol(&checkin.patrol_id).await?.ok_or_else(hidden)?;
            if !viewer.sees(&patrol) {
                return Err(hidden());
            }
            format!("checkin:{checkin_id}")
        }
        (None, None) => return Err(missing()),
    };
    let (sha, content_type) =
        if thumbnail { (&row.thumb_sha256, "image/jpeg") } else { (&row.sha256, row.content_type.as_str()) };
    let bytes = state
        .store
        .blob(sha)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("the bytes of attachment {id} are missing from the store")))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(if content_type == "image/png" { "image/png" } else { "image/jpeg" }));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    let what = if thumbnail { "thumbnail" } else { "photo" };
    Ok(AuditNote::success("read_attachment", object)
        .with_detail(format!("{what} {id}"))
        .on(response))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Duplicate {
    /// The event this one duplicates.
    of: String,
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/events/{id}/duplicate",
    operation_id = "post_api_v1_events_id_duplicate",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    request_body = Duplicate,
    responses((status = 200, description = "the event, marked", body = wangge_core::wire::EventView), crate::http::openapi::Problems)
)]
/// Marks the event a duplicate of `of`: both must be the caller's to read; no chains (the
/// original is not itself a duplicate, and a duplicate has no duplicates of its own).
async fn mark(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Duplicate>,
) -> Result<Response, ApiError> {
    caller.require(Permission::MarkDuplicate)?;
    if body.reason.chars().count() > 500 || body.reason.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable("reason must be at most 500 characters, without control characters".into()));
    }
    let event = find_visible(&state, &caller, &id).await?;
    let original = find_visible(&state, &caller, &body.of).await?;
    if original.event_id == event.event_id {
        return Err(ApiError::Unprocessable("an event cannot duplicate itself".into()));
    }
    let link = DuplicateLink {
        event_id: event.event_id.clone(),
        of_event_id: original.event_id.clone(),
        marked_by: caller.actor_id(),
        reason: body.reason.trim().to_owned(),
        marked_at: state.clock.now(),
    };
    if !state.store.mark_duplicate(&link).await? {
        return Err(ApiError::Conflict(format!(
            "{} is already marked, or {} is itself a duplicate or {} has duplicates of its own: duplicates point at one original",
            event.event_id, original.event_id, event.event_id
        )));
    }
    let view = decorated(&state, &event).await?;
    Ok(AuditNote::success(Permission::MarkDuplicate.as_str(), format!("event:{}", event.event_id))
        .with_detail(format!("duplicate of {}", original.event_id))
        .on(Json(view).into_response()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/events/{id}/duplicate",
    operation_id = "delete_api_v1_events_id_duplicate",
    tag = "events",
    params(("id" = String, Path, description = "the record's id", example = "E20230103-000001")),
    responses((status = 204, description = "done"), crate::http::openapi::Problems)
)]
/// Takes the marking back.
async fn unmark(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    caller.require(Permission::MarkDuplicate)?;
    let event = find_visible(&state, &caller, &id).await?;
    if !state.store.unmark_duplicate(&event.event_id).await? {
        return Err(ApiError::Conflict(format!("{} is not marked a duplicate", event.event_id)));
    }
    Ok(AuditNote::success(Permission::MarkDuplicate.as_str(), format!("event:{}", event.event_id))
        .with_detail("duplicate marking taken back")
        .on(StatusCode::NO_CONTENT.into_response()))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(photo, thumbnail, mark, unmark))]
pub struct Doc;
