//! The page: a top bar (title, search, view switch), the side panel of the chosen view, the map,
//! and the panel of the point last clicked on the map.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::{bridge, dispatch, leaders, locate, search};

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// 领导驾驶舱 — heatmaps and figures.
    Leaders,
    /// 调度台 — the incident console.
    Dispatch,
}

/// State shared by the views (all `Copy` signal handles).
#[derive(Debug, Clone, Copy)]
pub struct Shared {
    /// The view shown.
    pub page: RwSignal<Page>,
    /// The map has loaded its boundaries.
    pub map_ready: RwSignal<bool>,
    /// Townships as (code, name), by code.
    pub townships: RwSignal<Vec<(String, String)>>,
    /// The point last clicked on the map (CGCS2000).
    pub clicked: RwSignal<Option<(f64, f64)>>,
    /// The event the dispatcher looks at.
    pub selected_event: RwSignal<Option<String>>,
    /// A message about the map itself (loading, errors).
    pub map_status: RwSignal<String>,
}

/// The shared state of the page.
pub fn shared() -> Shared {
    expect_context::<Shared>()
}

#[derive(Debug, Deserialize)]
struct Boundaries {
    townships: Vec<TownshipName>,
}

#[derive(Debug, Deserialize)]
struct TownshipName {
    code: String,
    name: String,
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let s = Shared {
        page: RwSignal::new(initial_page()),
        map_ready: RwSignal::new(false),
        townships: RwSignal::new(Vec::new()),
        clicked: RwSignal::new(None),
        selected_event: RwSignal::new(None),
        map_status: RwSignal::new("地图加载中…".to_owned()),
    };
    provide_context(s);
    provide_context(leaders::Settings::new());
    request_animation_frame(move || spawn_local(start_map(s)));

    let tab = move |page: Page, label: &'static str| {
        view! {
            <button class="tab" class:active=move || s.page.get() == page on:click=move |_| s.page.set(page)>
                {label}
            </button>
        }
    };
    view! {
        <header class="topbar">
            <h1>"怀来县网格化服务管理"</h1>
            <search::Search/>
            <nav class="tabs">{tab(Page::Leaders, "领导驾驶舱")}{tab(Page::Dispatch, "调度台")}</nav>
        </header>
        <main class="body">
            <aside class="side">
                {move || match s.page.get() {
                    Page::Leaders => view! { <leaders::Leaders/> }.into_any(),
                    Page::Dispatch => view! { <dispatch::Dispatch/> }.into_any(),
                }}
            </aside>
            <section class="mapbox">
                <div id="map"></div>
                <div class="map-status" class:hidden=move || s.map_status.get().is_empty()>{move || s.map_status.get()}</div>
                <locate::LocatePanel/>
            </section>
        </main>
    }
}

/// `?view=dispatch` opens the console.
fn initial_page() -> Page {
    let search = window().location().search().unwrap_or_default();
    if search.contains("view=dispatch") {
        Page::Dispatch
    } else {
        Page::Leaders
    }
}

async fn start_map(s: Shared) {
    let config = bridge::load_config().await;
    let on_click = move |lon, lat| s.clicked.set(Some((lon, lat)));
    let on_event = move |id: String| {
        s.page.set(Page::Dispatch);
        s.selected_event.set(Some(id));
    };
    if let Err(e) = bridge::init_map("map", &config, on_click, on_event).await {
        s.map_status.set(format!("地图无法启动：{e}"));
        return;
    }
    match bridge::load_boundaries("/api/v1/map").await {
        Ok(text) => match serde_json::from_str::<Boundaries>(&text) {
            Ok(b) => {
                s.townships.set(b.townships.into_iter().map(|t| (t.code, t.name)).collect());
                s.map_status.set(String::new());
                s.map_ready.set(true);
            }
            Err(e) => s.map_status.set(format!("边界数据无法解析：{e}")),
        },
        Err(e) => s.map_status.set(format!("边界数据加载失败：{e}")),
    }
}
