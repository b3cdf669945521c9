//! `GET /api/v1/divisions`: the county → township → village tree with grid counts.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/divisions", get(divisions))
}

/// The tree, serialised once at start-up.
async fn divisions(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.catalog.load().divisions())
}
