//! wangge (网格) — the grid-based social-governance service of Huailai County (怀来县): which
//! grid a point is in, the grids' shapes and the division tree, people and their grids, and
//! events with their closed loop, over an embedded store.
#![deny(missing_docs)]

pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod dataset;
pub mod drafts;
pub mod demo;
pub mod error;
pub mod event;
pub mod export;
pub mod extract;
pub mod geodata;
pub mod import;
pub mod intake;
pub mod map;
pub mod ogc;
pub mod open311;
pub mod people;
pub mod routes;
pub mod rules;
pub mod state;
pub mod stats;
pub mod store;
pub mod supervision;
pub mod transitions;
pub mod wkb;
pub mod xml;

use axum::Router;

pub use clock::Clock;
pub use config::Config;
pub use error::ApiError;
pub use state::{AppState, StartError};
pub use store::{Store, StoreError, StoreTarget};

/// The HTTP API over `state`, ready to serve or to drive with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    routes::app(state)
}

/// Every route pattern of the HTTP API, listed from the router itself.
pub fn route_patterns() -> Vec<String> {
    routes::route_patterns()
}

/// Opens the store named by `config`, loads the geodata files into it on first run, and builds
/// the grid index and the in-memory catalog from the store.
pub async fn state_from_config(config: &Config) -> Result<AppState, StartError> {
    state::state_from_config(config).await
}
