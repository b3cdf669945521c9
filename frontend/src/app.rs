//! The page: a top bar (title, search, view switch), the side panel of the chosen view, the map,
//! and the panel of the point last clicked on the map.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use wangge_core::access::Permission;

use crate::{admin, assessment, audit, bridge, dispatch, disputes, leaders, locate, planner, registry, search, session};

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// 领导驾驶舱 — heatmaps and figures (`read_stats`).
    Leaders,
    /// 调度台 — the incident console (`read_events`).
    Dispatch,
    /// 回访 — the call-back desk (`record_rating`).
    Callbacks,
    /// 矛盾纠纷 — the dispute and petition ledgers and the screening board (`read_disputes`).
    Disputes,
    /// 考评 — league tables, scorecards, the self-evaluation and the assessor's tools
    /// (`read_assessment`).
    Assessment,
    /// 基础数据 — the registry (`read_registry`).
    Registry,
    /// 特殊人群 — the special groups' queue (`read_special_groups`).
    Special,
    /// 网格规划 — the boundary editor (`edit_grids`).
    Planning,
    /// 审计日志 — the audit log (`read_audit_log`).
    Audit,
    /// The map alone (`read_map` without any of the above).
    Map,
    /// The administrators' note: their work is done through the admin API.
    Admin,
}

impl Page {
    /// The tab's label.
    fn label(self) -> &'static str {
        match self {
            Self::Leaders => "领导驾驶舱",
            Self::Dispatch => "调度台",
            Self::Callbacks => "回访",
            Self::Disputes => "矛盾纠纷",
            Self::Assessment => "考评",
            Self::Registry => "基础数据",
            Self::Special => "特殊人群",
            Self::Planning => "网格规划",
            Self::Audit => "审计日志",
            Self::Map => "地图",
            Self::Admin => "系统管理",
        }
    }

    /// The view's name in element ids (`tab-…`).
    fn slug(self) -> &'static str {
        match self {
            Self::Leaders => "leaders",
            Self::Dispatch => "dispatch",
            Self::Callbacks => "callbacks",
            Self::Disputes => "disputes",
            Self::Assessment => "assessment",
            Self::Registry => "registry",
            Self::Special => "special",
            Self::Planning => "planning",
            Self::Audit => "audit",
            Self::Map => "map",
            Self::Admin => "admin",
        }
    }

    /// The permission the view needs.
    fn needs(self) -> Option<Permission> {
        match self {
            Self::Leaders => Some(Permission::ReadStats),
            Self::Dispatch => Some(Permission::ReadEvents),
            Self::Callbacks => Some(Permission::RecordRating),
            Self::Disputes => Some(Permission::ReadDisputes),
            Self::Assessment => Some(Permission::ReadAssessment),
            Self::Registry => Some(Permission::ReadRegistry),
            Self::Special => Some(Permission::ReadSpecialGroups),
            Self::Planning => Some(Permission::EditGrids),
            Self::Audit => Some(Permission::ReadAuditLog),
            Self::Map => Some(Permission::ReadMap),
            Self::Admin => None,
        }
    }
}

/// The views the account may see, in tab order: the map alone only when nothing else is
/// open to it, the administrators' note when not even the map is.
fn pages() -> Vec<Page> {
    let mut open: Vec<Page> = [
        Page::Leaders,
        Page::Dispatch,
        Page::Callbacks,
        Page::Disputes,
        Page::Assessment,
        Page::Registry,
        Page::Special,
        Page::Planning,
        Page::Audit,
    ]
    .into_iter()
        .filter(|p| p.needs().is_some_and(session::may))
        .collect();
    if open.is_empty() {
        open.push(if session::may(Permission::ReadMap) { Page::Map } else { Page::Admin });
    }
    open
}

/// State shared by the views (all `Copy` signal handles).
#[derive(Debug, Clone, Copy)]
pub struct Shared {
    /// The view shown.
    pub page: RwSignal<Page>,
    /// The map has loaded its boundaries.
    pub map_ready: RwSignal<bool>,
    /// The account sees the map (`read_map`): it is created once, beside every view.
    pub has_map: bool,
    /// The account sees the console (`read_events`): events found or clicked open there.
    pub console: bool,
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

/// The whole page for the signed-in account: only the views its permissions open.
#[component]
pub fn App() -> impl IntoView {
    let pages = pages();
    let has_map = session::may(Permission::ReadMap);
    let s = Shared {
        page: RwSignal::new(initial_page(&pages)),
        map_ready: RwSignal::new(false),
        has_map,
        console: pages.contains(&Page::Dispatch),
        townships: RwSignal::new(Vec::new()),
        clicked: RwSignal::new(None),
        selected_event: RwSignal::new(None),
        map_status: RwSignal::new("地图加载中…".to_owned()),
    };
    provide_context(s);
    if pages.contains(&Page::Leaders) {
        provide_context(leaders::Settings::new());
    }
    if pages.contains(&Page::Disputes) {
        provide_context(disputes::Ledgers::new());
    }
    if pages.contains(&Page::Assessment) {
        provide_context(assessment::Board::new());
    }
    if pages.contains(&Page::Planning) {
        provide_context(planner::Editor::new());
    }
    let records = pages.contains(&Page::Registry).then(registry::Registry::new);
    if let Some(r) = records {
        provide_context(r);
    }
    if has_map {
        request_animation_frame(move || spawn_local(start_map(s, records)));
    }

    let tabs = (pages.len() > 1).then(|| {
        pages
            .iter()
            .map(|&page| {
                view! {
                    <button class="tab" id=format!("tab-{}", page.slug()) class:active=move || s.page.get() == page on:click=move |_| s.page.set(page)>
                        {page.label()}
                    </button>
                }
            })
            .collect_view()
    });
    view! {
        <header class="topbar">
            <h1>"怀来县网格化服务管理"</h1>
            {has_map.then(|| view! { <search::Search/> })}
            <nav class="tabs">{tabs}</nav>
            <session::UserBox/>
        </header>
        <main class="body">
            <aside class="side" class:wide=move || !has_map || s.page.get() == Page::Assessment class:roomy=move || matches!(s.page.get(), Page::Registry | Page::Callbacks | Page::Disputes)>
                {move || match s.page.get() {
                    Page::Leaders => view! { <leaders::Leaders/> }.into_any(),
                    Page::Dispatch => view! { <dispatch::Dispatch/> }.into_any(),
                    Page::Callbacks => view! { <disputes::callbacks::CallbackDesk/> }.into_any(),
                    Page::Disputes => view! { <disputes::DisputesPage/> }.into_any(),
                    Page::Assessment => view! { <assessment::AssessmentPage/> }.into_any(),
                    Page::Registry => view! { <registry::RegistryPage/> }.into_any(),
                    Page::Special => view! { <registry::special::SpecialGroups/> }.into_any(),
                    Page::Planning => view! { <planner::Planner/> }.into_any(),
                    Page::Audit => view! { <audit::AuditLog/> }.into_any(),
                    Page::Map => view! { <h2>"地图"</h2><p class="note">"点击地图查看该处的网格、村(社区)和乡镇。"</p> }.into_any(),
                    Page::Admin => view! { <admin::AdminNote/> }.into_any(),
                }}
            </aside>
            {has_map.then(|| view! {
                // The assessment's tables take the whole width: the map waits behind them.
                <section class="mapbox" class:hidden=move || s.page.get() == Page::Assessment>
                    <div id="map"></div>
                    <div class="map-status" class:hidden=move || s.map_status.get().is_empty()>{move || s.map_status.get()}</div>
                    <locate::LocatePanel/>
                </section>
            })}
        </main>
    }
}

/// `?view=<slug>` (`dispatch`, `registry`, …) opens that view when the account may see it;
/// else the first view.
fn initial_page(pages: &[Page]) -> Page {
    let search = window().location().search().unwrap_or_default();
    let asked = pages.iter().copied().find(|p| search.contains(&format!("view={}", p.slug())));
    asked.or_else(|| pages.first().copied()).unwrap_or(Page::Admin)
}

/// Creates the map; a click on an event opens it in the console, if the account has one, and
/// a click on a registry record opens it on the registry page.
async fn start_map(s: Shared, records: Option<registry::Registry>) {
    let config = bridge::load_config().await;
    let on_click = move |lon, lat| s.clicked.set(Some((lon, lat)));
    let on_event = move |id: String| {
        if s.console {
            s.page.set(Page::Dispatch);
            s.selected_event.set(Some(id));
        }
    };
    if let Err(e) = bridge::init_map("map", &config, on_click, on_event).await {
        s.map_status.set(format!("地图无法启动：{e}"));
        return;
    }
    if let Some(r) = records {
        bridge::on_registry_click(move |id: String| {
            s.page.set(Page::Registry);
            r.open(wangge_core::registry::Entity::House, id);
        });
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
