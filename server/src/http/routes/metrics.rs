//! `GET /metrics`: the service's metrics for Prometheus (OpenMetrics text), for the IT office's
//! monitoring only. It needs `Authorization: Bearer` with the configured `--metrics-token`
//! (compared in constant time); without a token configured it does not exist (404). It sits
//! outside the accounts' authentication layer: a monitoring token is not an account.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::error::ApiError;
use crate::metrics::{to_i64, CONTENT_TYPE, METRICS};
use crate::state::AppState;
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/metrics", get(scrape))
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "metrics",
    responses((status = 200, description = "the answer", content((String = "application/openmetrics-text; version=1.0.0; charset=utf-8"))), crate::http::openapi::Problems)
)]
async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(expected) = state.metrics_token.as_deref() else {
        return Err(ApiError::NotFound("no such path: /metrics (no --metrics-token is configured)".into()));
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::access::same(sent.trim(), expected) {
        return Err(ApiError::Unauthenticated("the metrics need the monitoring token (Authorization: Bearer)".into()));
    }
    // The levels, read now.
    let limits = &state.limits;
    METRICS.in_flight.set(to_i64(limits.max_in_flight.saturating_sub(limits.in_flight.available_permits())));
    METRICS.heavy_in_use.set(to_i64(limits.max_heavy.saturating_sub(limits.heavy.available_permits())));
    METRICS.intake_queue.set(to_i64(state.intake.waiting()));
    METRICS.audit_queue.set(to_i64(state.auditor.waiting()));
    METRICS.subscribers.set(to_i64(state.changes.subscribers()));
    METRICS.grids.set(to_i64(state.index.load().grids().len()));
    let (open, idle) = state.store.pool_status();
    METRICS.set_pool(open, idle);
    let text = METRICS.encode().map_err(|e| ApiError::Internal(format!("encoding the metrics: {e}")))?;
    let mut response = text.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(scrape))]
pub struct Doc;
