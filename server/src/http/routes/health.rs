//! `GET /healthz` (alive: the process answers, with the grids it serves) and `GET /readyz`
//! (ready for traffic: the store answers, every migration this build knows is applied, the grid
//! index is loaded) for load balancers, systemd and monitors. Neither needs a login, and neither
//! says more than counts.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::state::AppState;
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/healthz", get(health)).at("/readyz", get(ready))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    grids: usize,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "get_healthz",
    tag = "health",
    security(()),
    responses((status = 200, description = "alive", body = Health), crate::http::openapi::Problems)
)]
/// Alive: answered from memory, whatever the database does.
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health { status: "ok", grids: state.index.load().grids().len() })
}

#[derive(Serialize, utoipa::ToSchema)]
struct Ready {
    status: &'static str,
    store: &'static str,
    migrations_known: usize,
    migrations_applied: usize,
    grids: usize,
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "get_readyz",
    tag = "health",
    security(()),
    responses((status = 200, description = "ready", body = Ready), crate::http::openapi::Problems)
)]
/// Ready: the store answers, its schema is this build's, the index holds grids. Otherwise 503
/// with `Retry-After` and the reason.
async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.store.ping().await?;
    let (known, applied) = state.store.migrations().await?;
    let grids = state.index.load().grids().len();
    let not_ready = |detail: String| ApiError::Busy { detail, retry_after_secs: 5 };
    if applied < known {
        return Err(not_ready(format!("{applied} of the {known} schema migrations are applied")));
    }
    if grids == 0 {
        return Err(not_ready("the grid index holds no grids".into()));
    }
    let body = Ready { status: "ready", store: state.store.backend(), migrations_known: known, migrations_applied: applied, grids };
    Ok(Json(body).into_response())
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(health, ready))]
pub struct Doc;
