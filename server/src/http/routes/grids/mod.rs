//! Routes of the grids domain: point → grid, grids and divisions, the map's layers and
//! aggregations, search, downloads, OGC API – Features and boundary drafts.

mod divisions;
mod export;
// The grid routes proper, beside divisions, locate, map, search and export.
#[allow(clippy::module_inception)]
mod grids;
mod locate;
mod map;
mod search;

use axum::Router;

use crate::state::AppState;

/// Every route of this domain.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(locate::router())
        .merge(grids::router())
        .merge(divisions::router())
        .merge(map::router())
        .merge(search::router())
        .merge(export::router())
}
