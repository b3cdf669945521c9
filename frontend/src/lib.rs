//! The map: a Leptos client-side app for leaders (heatmaps, choropleth, figures),
//! dispatchers (the live incident console, the registry of people, houses, households,
//! organisations and places), special-group officers (their queue) and planners (the boundary
//! editor), drawn on MapLibre GL JS through `js/bridge.js`.
//! The service's JSON is read into `wangge_core::wire`'s types. Everything is behind a login;
//! the signed-in account's permissions decide which views exist. `/field` is the gridworkers'
//! phone app (`field`): offline first, installable, its own layout.

mod admin;
mod api;
mod app;
mod assessment;
mod audit;
mod bridge;
mod devices;
mod dispatch;
mod disputes;
mod event_extras;
mod event_panel;
mod indicators;
mod field;
mod labels;
mod leaders;
mod live_patrols;
mod locate;
mod planner;
mod registry;
mod search;
mod session;

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the app on the page's body: the gridworker's phone app at `/field`, else the login
/// form or the app for the account.
#[wasm_bindgen(start)]
pub fn start() {
    if field::is_field_path() {
        leptos::mount::mount_to_body(field::FieldRoot);
    } else {
        leptos::mount::mount_to_body(session::Root);
    }
}
