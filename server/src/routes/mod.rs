//! The HTTP API: one router per domain, merged here with the fallbacks and middleware.

mod divisions;
mod grids;
mod health;
mod locate;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::error;
use crate::state::AppState;

/// Largest request body accepted (bulk locate), in bytes.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Largest number of points in one bulk locate request.
pub const MAX_POINTS: usize = 100_000;

/// The whole API over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(locate::router())
        .merge(grids::router())
        .merge(divisions::router())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
