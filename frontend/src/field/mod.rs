//! 手机端 — the gridworker's phone app at `/field`: an installable, offline-first web app made for
//! a 390 px phone and one hand (the main actions at the bottom). My grids on the map with my
//! position, the grid I am in (on the device, and the server's answer when online) or the
//! nearest one; reports with photos (上报); my tasks with their 1-3-5 countdowns and actions
//! (任务); patrols with their track and check-ins (巡查); people and houses added and records
//! re-verified on the spot (基础数据, `registry`). Everything made offline waits in the queue
//! (`queue`) and is sent in order when the network returns.

mod bridge;
mod countdown;
mod geo;
mod patrol;
mod queue;
mod registry;
mod report;
mod shell;
mod tasks;

use std::cell::Cell;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wangge_core::wire::Me;

use crate::api;
pub use shell::FieldRoot;

/// Whether the page is the field app (`/field`, `/field/…`).
pub fn is_field_path() -> bool {
    let path = window().location().pathname().unwrap_or_default();
    path == "/field" || path.starts_with("/field/")
}

/// The five views, switched from the bottom bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 地图 — my grids, my position, the queue.
    Map,
    /// 上报 — a new report.
    Report,
    /// 任务 — events I hold or must verify.
    Tasks,
    /// 巡查 — the patrol.
    Patrol,
    /// 基础数据 — add people and houses, re-verify records.
    Registry,
}

/// State shared by the views (all `Copy` handles).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The signed-in gridworker.
    pub me: StoredValue<Me>,
    /// The browser is online.
    pub online: RwSignal<bool>,
    /// Items waiting to be sent, oldest first.
    pub pending: RwSignal<Vec<queue::Listed>>,
    /// Items the server refused for good.
    pub failed: RwSignal<Vec<queue::Listed>>,
    /// How the last pass over the queue went.
    pub sync_note: RwSignal<String>,
    /// The device's last position fix.
    pub fix: RwSignal<Option<geo::Fix>>,
    /// Why there is no position.
    pub fix_error: RwSignal<String>,
    /// My grids, from the cached grid layer.
    pub grids: StoredValue<Vec<geo::Grid>>,
    /// Where the last fix is among my grids.
    pub here: RwSignal<geo::Here>,
    /// The server's answer for the last fix (`GET /api/v1/locate`), when online.
    pub server_here: RwSignal<String>,
    /// The view shown.
    pub tab: RwSignal<Tab>,
    /// The point last tapped on the map.
    pub tapped: RwSignal<Option<(f64, f64)>>,
    /// The session ended: sign in again (the queue waits).
    pub need_login: RwSignal<bool>,
    /// The patrol in progress, if any.
    pub walk: RwSignal<Option<patrol::Walk>>,
}

/// The field app's shared state.
pub fn field() -> Field {
    expect_context::<Field>()
}

impl Field {
    /// The gridworker's roster person (`acting_as`).
    pub fn person(&self) -> String {
        self.me.with_value(|m| m.acting_as.clone().unwrap_or_default())
    }

    /// Reads the queue's lists again.
    pub async fn refresh(self) {
        self.pending.set(queue::list("queue").await);
        self.failed.set(queue::list("failed").await);
    }

    /// Adds an item to the queue (with its photos) and sends the queue if online.
    pub async fn enqueue(self, item: queue::NewItem, photos: &[web_sys::File]) -> Result<(), String> {
        let text = serde_json::to_string(&item).map_err(|e| e.to_string())?;
        bridge::queue_add(&text, photos).await?;
        self.refresh().await;
        self.sync();
        Ok(())
    }

    /// Sends the queue now if online and not already sending.
    pub fn sync(self) {
        if !self.online.get_untracked() || self.need_login.get_untracked() || SYNCING.get() {
            return;
        }
        SYNCING.set(true);
        spawn_local(async move {
            let result = queue::drain().await;
            SYNCING.set(false);
            self.refresh().await;
            match result {
                queue::Drained::Empty => self.sync_note.set(String::new()),
                queue::Drained::Stopped(why) => self.sync_note.set(why),
                queue::Drained::SignIn => {
                    api::set_csrf("");
                    self.need_login.set(true);
                    self.sync_note.set("登录已失效：请重新登录，待上传的内容会保留并在登录后发送。".to_owned());
                }
            }
        });
    }
}

thread_local! {
    /// A pass over the queue is running (one at a time keeps the order).
    static SYNCING: Cell<bool> = const { Cell::new(false) };
}
