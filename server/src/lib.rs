//! wangge (网格) — the grid-based social-governance service of Huailai County (怀来县): which
//! grid a point is in, the grids' shapes and the division tree, people and their grids, and
//! events with their closed loop, over an embedded SQLite file or PostGIS.
//!
//! One folder per concern, bottom up (`docs/architecture.md`): [`records`] (plain types) and
//! [`formats`] (codecs) use nothing else of the server; [`store`] keeps the records; [`access`],
//! [`grids`], [`people`], [`events`], [`patrols`] and [`photos`] are the domains, each taking the pieces it needs;
//! [`demo`] loads the demo county; [`state`] assembles everything; [`http`] is the edge;
//! [`admin`] is the console's (`wangge admin …`, `check-config`, `check-db`), and [`progress`]
//! shows how long jobs are getting on.
#![deny(missing_docs)]

pub mod access;
pub mod admin;
pub mod backup;
pub mod clock;
pub mod config;
pub mod demo;
pub mod assessment;
pub mod disputes;
pub mod events;
pub mod formats;
pub mod grids;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod patrols;
pub mod people;
pub mod photos;
pub mod progress;
pub mod records;
pub mod registry;
pub mod state;
pub mod store;

use axum::Router;

pub use clock::Clock;
pub use config::Config;
pub use http::ApiError;
pub use state::{AppState, StartError};
pub use store::{Store, StoreError, StoreTarget};

/// The HTTP API over `state`, ready to serve or to drive with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    http::routes::app(state)
}

/// Every route pattern of the HTTP API, listed from the router itself.
pub fn route_patterns() -> Vec<String> {
    http::routes::route_patterns()
}

/// Opens the store named by `config`, loads the geodata files into it on first run, and builds
/// the grid index and the in-memory catalog from the store.
pub async fn state_from_config(config: &Config) -> Result<AppState, StartError> {
    state::state_from_config(config).await
}
