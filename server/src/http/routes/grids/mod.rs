//! Routes of the grids domain: point → grid, grids and divisions, the map's layers and
//! aggregations, search, downloads, OGC API – Features and boundary drafts.

pub(super) mod boundaries;
pub(super) mod divisions;
pub(super) mod export;
pub(super) mod locate;
pub(super) mod map;
pub(super) mod search;

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
