//! `POST /api/v1/reports`: report intake, durable before the answer and exactly once per
//! report id (or `Idempotency-Key`).

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use wangge_core::access::{AuditOutcome, AuditRow, Permission};

use crate::http::routes::no_store;
use crate::access::{AuditNote, SealedWithChange};
use crate::http::audit_layer::Source;
use crate::access::Caller;
use crate::http::error::ApiError;
use crate::records::Inserted;
use crate::events::view::event_view;
use crate::photos;
use crate::http::with_photos;
use crate::events::intake::{self, ReportRequest};
use crate::state::AppState;
use crate::http::routes::Routes;

/// The header that marks an answer replayed for a retried report.
pub const IDEMPOTENT_REPLAY: HeaderName = HeaderName::from_static("idempotent-replay");

/// The request header that may carry the report id.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The intake route: a report and the audit row of its creation commit together (the audit
/// layer writes no `begun` row for it).
pub const PATH: &str = "/api/v1/reports";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at(PATH, post(report).layer(DefaultBodyLimit::max(with_photos::PHOTO_BODY_LIMIT)))
}

/// The person a gridworker's credential acts as (nobody else reports as a gridworker).
pub fn gridworker_person(caller: &Caller) -> Option<&str> {
    let gridworker = caller.grant.as_ref().is_some_and(|g| g.role == wangge_core::access::Role::Gridworker);
    (gridworker && !caller.acting_as.is_empty()).then_some(caller.acting_as.as_str())
}

#[utoipa::path(
    post,
    path = "/api/v1/reports",
    operation_id = "post_api_v1_reports",
    tag = "events",
    params(("Idempotency-Key" = Option<String>, Header, description = "the report id, if not in the body: a retry with it is answered with the stored event")),
    request_body(content(
        (crate::events::intake::ReportRequest = "application/json"),
        (serde_json::Value = "multipart/form-data")
    ), description = "The report as JSON, or as multipart/form-data with a `report` part (that JSON) and up to the allowed number of `photo` parts (JPEG or PNG)"),
    responses((status = 200, description = "the answer", body = wangge_core::wire::EventView), (status = 201, description = "created", body = wangge_core::wire::EventView), crate::http::openapi::Problems)
)]
/// 201 with the new event, or 200 with the original one for a retry.
async fn report(State(state): State<AppState>, caller: Caller, request: Request) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReportEvent)?;
    let headers = request.headers().clone();
    let source = request.extensions().get::<Source>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |s| s.0);
    let (body, photos): (ReportRequest, _) = with_photos::read(request, &state, "report").await?;
    let key = match headers.get(IDEMPOTENCY_KEY) {
        Some(v) => Some(v.to_str().map_err(|_| ApiError::BadRequest("Idempotency-Key must be ASCII".into()))?),
        None => None,
    };
    let report = intake::check(body, key)?;
    let now = state.clock.now();
    let new = intake::build(&state.index.load(), &state.catalog.load(), &state.rules, report, gridworker_person(&caller), now)?;
    let place = &new.event.place;
    if !scope.0.covers(&place.township, &place.village) {
        return Err(ApiError::Forbidden {
            action: Permission::ReportEvent.as_str().to_owned(),
            reason: format!("the point is in grid {}, outside the caller's jurisdiction {}", place.grid, scope.0.as_str()),
        });
    }
    let fingerprint = new.event.fingerprint.clone();
    let mut new = new;
    // The photos are read and made durable first; their rows commit with the event, and so
    // does the audit row of its creation.
    new.attachments = photos::prepare(&state.store, photos, now).await?;
    let action = Permission::ReportEvent.as_str();
    new.audit = Some(AuditRow::new(now, &caller.username, action, "", AuditOutcome::Success).source(&source.to_string()));
    let with_photos = !new.attachments.is_empty();
    let (status, event, replay) = match state.intake.submit(new).await? {
        Inserted::Created(e) => (StatusCode::CREATED, e, false),
        Inserted::Existing(e) if e.fingerprint == fingerprint && caller.sees_event(&e) => (StatusCode::OK, e, true),
        // Never name the other event: it may be another area's.
        Inserted::Existing(e) => {
            return Err(ApiError::KeyReused(format!(
                "report id {} was already used for a different report; choose a new report id",
                e.report_id
            )))
        }
    };
    let mut view = [event_view(&event, now)];
    // A new event without photos has none to list, and nothing marked as its duplicate yet.
    if replay || with_photos {
        photos::decorate(&state.store, &mut view).await?;
    }
    let [view] = view;
    let mut response = (status, Json(view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/events/{}", event.event_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replay {
        response.headers_mut().insert(IDEMPOTENT_REPLAY, HeaderValue::from_static("true"));
    }
    if !replay {
        response.extensions_mut().insert(SealedWithChange);
        return Ok(no_store(response));
    }
    let note = AuditNote::success(action, format!("event:{}", event.event_id));
    Ok(note.with_detail("retry answered with the stored event").on(no_store(response)))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(report))]
pub struct Doc;
