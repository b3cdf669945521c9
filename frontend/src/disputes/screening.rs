//! 排查 — the screening board of a month (`GET /api/v1/screenings?month=`): grids due, screened,
//! on time, the screening rate, and the grids not screened yet, each located on the map; those
//! who record screenings (`record_screening`) record one from here (`POST /api/v1/screenings`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::json;

use wangge_core::access::Permission;

use super::TownshipSelect;
use crate::{api, bridge, labels};

/// The board of a month.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Board {
    #[serde(default)]
    due: u64,
    #[serde(default)]
    screened: u64,
    #[serde(default)]
    on_time: u64,
    #[serde(default)]
    rate: Option<f64>,
    #[serde(default)]
    items: Vec<GridRow>,
}

/// A grid of the area and its screening of the month, if any.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct GridRow {
    grid: String,
    #[serde(default)]
    grid_name: String,
    #[serde(default)]
    village_name: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    screening: Option<serde_json::Value>,
}

/// This month as `YYYY-MM` (the page's clock).
fn this_month() -> String {
    super::today().get(..7).unwrap_or_default().to_owned()
}

/// The month and township picked, the figures and the grids not yet screened.
#[component]
pub fn ScreeningBoard() -> impl IntoView {
    let month = RwSignal::new(this_month());
    let township = RwSignal::new(super::own_township());
    let board = RwSignal::new(None::<Result<Board, String>>);
    let reloads = RwSignal::new(0_u32);
    let show_all = RwSignal::new(false);
    Effect::new(move |_| {
        reloads.track();
        let url = api::url("/api/v1/screenings", &[("month", &month.get()), ("township", &township.get())]);
        spawn_local(async move { board.set(Some(api::get::<Board>(&url).await)) });
    });
    let record = crate::session::may(Permission::RecordScreening);
    view! {
        <div class="filters row" id="screening-filters">
            <label>"月份" <input id="screening-month" type="month" prop:value=move || month.get()
                on:change=move |ev| month.set(event_target_value(&ev))/></label>
            <TownshipSelect id="screening-township" value=township/>
            <label><input type="checkbox" id="screening-all" prop:checked=move || show_all.get()
                on:change=move |ev| show_all.set(event_target_checked(&ev))/>"显示已排查"</label>
        </div>
        {move || match board.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" id="screening-error">{e}</p> }.into_any(),
            Some(Ok(b)) => {
                let rows: Vec<GridRow> = b.items.iter().filter(|g| show_all.get() || g.screening.is_none()).cloned().collect();
                let missing = b.items.iter().filter(|g| g.screening.is_none()).count();
                view! {
                    <div class="kpis" id="screening-kpis">
                        <div class="kpi"><span>"应排查网格"</span><b id="screening-due">{b.due}</b></div>
                        <div class="kpi"><span>"已排查"</span><b id="screening-screened">{b.screened}</b></div>
                        <div class="kpi"><span>"按时"</span><b id="screening-on-time">{b.on_time}</b></div>
                        <div class="kpi"><span>"排查率"</span><b id="screening-rate">{labels::rate(b.rate)}</b></div>
                    </div>
                    <h3>{format!("未排查网格（{missing} 个）")}</h3>
                    <table class="clickable ledger" id="screening-grids">
                        <thead><tr><th>"网格"</th><th>"村(社区)"</th><th>"乡镇"</th><th>"排查"</th><th></th></tr></thead>
                        <tbody>{rows.into_iter().map(|g| grid_row(g, month, record, reloads)).collect_view()}</tbody>
                    </table>
                }.into_any()
            }
        }}
    }
}

/// A grid: located on the map on a click; its screening, or 记录 for those who may.
fn grid_row(g: GridRow, month: RwSignal<String>, record: bool, reloads: RwSignal<u32>) -> impl IntoView {
    let code = g.grid.clone();
    let locate = code.clone();
    let status = g.screening.as_ref().map_or_else(
        || "未排查".to_owned(),
        |s| {
            let found = s.get("found").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let late = s.get("on_time").and_then(serde_json::Value::as_bool) == Some(false);
            format!("已排查，发现 {found} 件{}", if late { "（逾期）" } else { "" })
        },
    );
    let pending = g.screening.is_none();
    let result = RwSignal::new(String::new());
    let save = move |_| {
        let body = json!({"grid": code.clone(), "month": month.get_untracked(), "found": 0, "note": "无发现"});
        spawn_local(async move {
            match api::post::<serde_json::Value>("/api/v1/screenings", &body).await {
                Ok(_) => reloads.update(|n| *n += 1),
                Err(e) => result.set(e),
            }
        });
    };
    view! {
        <tr data-grid=g.grid.clone() on:click=move |_| { bridge::fit_feature("grids", &locate); bridge::highlight_grid(&locate); }>
            <td>{if g.grid_name.is_empty() { g.grid.clone() } else { g.grid_name.clone() }}</td>
            <td>{g.village_name.clone()}</td>
            <td>{super::township_name(&g.township)}</td>
            <td>{status}<span class="error">{move || result.get()}</span></td>
            <td>{(record && pending).then(|| view! {
                <button class="link record-screening" on:click=move |ev| { ev.stop_propagation(); save(ev); }>"记录（无发现）"</button>
            })}</td>
        </tr>
    }
}
