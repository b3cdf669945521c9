//! Routes of the grids domain: point → grid, grids and divisions, the map's layers and
//! aggregations, search, downloads, OGC API – Features and boundary drafts.

mod boundaries;
mod divisions;
mod export;
mod locate;
mod map;
mod search;

use axum::Router;

use crate::state::AppState;

/// Every route of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(locate::router())
        .merge(boundaries::router())
        .merge(divisions::router())
        .merge(map::router())
        .merge(search::router())
        .merge(export::router())
}
