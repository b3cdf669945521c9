//! `GET /healthz`: liveness and readiness for orchestrators and monitors.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::state::AppState;
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/healthz", get(health))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    grids: usize,
}

/// Ok when the store answers and the index is loaded.
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ok", grids: state.index.load().grids().len() }))
}
