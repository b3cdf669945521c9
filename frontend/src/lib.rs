//! The map: a Leptos client-side app for leaders (heatmaps, choropleth, figures),
//! dispatchers (the live incident console) and planners (the boundary editor), drawn on
//! MapLibre GL JS through `js/bridge.js`.
//! The service's JSON is read into `wangge_core::wire`'s types. Everything is behind a login;
//! the signed-in account's permissions decide which views exist.

mod admin;
mod api;
mod app;
mod audit;
mod bridge;
mod devices;
mod dispatch;
mod event_extras;
mod event_panel;
mod labels;
mod leaders;
mod locate;
mod planner;
mod search;
mod session;

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the app on the page's body: the login form or the app for the account.
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(session::Root);
}
