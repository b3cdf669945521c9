//! A click on the map: which grid, village and township the point is in and who the grid's
//! gridworker is (`GET /api/v1/locate`, `GET /api/v1/people` with `read_people`), with a form
//! to report an event there (`POST /api/v1/reports`, with `report_event`), and the grid's 家底
//! (with `read_registry`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::wire::{EventView, Paged};

use crate::app::{shared, Page};
use crate::{api, bridge, labels, session};

/// What the clicked point is in.
#[derive(Debug, Clone, Default, PartialEq)]
struct Place {
    grid: Option<(String, String)>,
    village: String,
    township: String,
    gridworkers: Vec<String>,
}

/// The panel over the map for the point last clicked.
#[component]
pub fn LocatePanel() -> impl IntoView {
    let s = shared();
    let place = RwSignal::new(None::<Place>);
    let error = RwSignal::new(String::new());
    let people = session::may(Permission::ReadPeople);
    let report = session::may(Permission::ReportEvent);
    let registry = session::may(Permission::ReadRegistry);

    Effect::new(move |_| {
        let Some((lon, lat)) = s.clicked.get() else {
            bridge::set_pin(f64::NAN, f64::NAN);
            return;
        };
        bridge::set_pin(lon, lat);
        place.set(None);
        error.set(String::new());
        spawn_local(async move {
            match locate(lon, lat, people).await {
                Ok(p) => {
                    bridge::highlight_grid(p.grid.as_ref().map_or("", |g| g.0.as_str()));
                    place.set(Some(p));
                }
                Err(e) => error.set(e),
            }
        });
    });

    let coords = move || s.clicked.get().map(|(lon, lat)| format!("{lon:.6}, {lat:.6}")).unwrap_or_default();
    view! {
        <div class="locate panel" class:hidden=move || s.clicked.get().is_none()>
            <div class="panel-head">
                <b>"定位"</b>
                <span class="code">{coords}</span>
                <button class="link" on:click=move |_| { s.clicked.set(None); bridge::highlight_grid(""); }>"关闭"</button>
            </div>
            <p class="error">{move || error.get()}</p>
            {move || place.get().map(|p| view! { <PlaceInfo place=p/> })}
            {move || place.get().and_then(|p| p.grid).filter(|_| registry).map(|(code, _)| view! {
                <crate::registry::AreaCard grid=code id="locate-card"/>
            })}
            {report.then(|| view! { <ReportForm/> })}
        </div>
    }
}

#[component]
fn PlaceInfo(place: Place) -> impl IntoView {
    let grid = place.grid.map_or_else(|| "不在任何网格内".to_owned(), |(code, name)| format!("{name}（{code}）"));
    let workers = if place.gridworkers.is_empty() { "—".to_owned() } else { place.gridworkers.join("、") };
    view! {
        <dl class="facts">
            <dt>"网格"</dt><dd id="locate-grid">{grid}</dd>
            <dt>"村/社区"</dt><dd>{place.village}</dd>
            <dt>"乡镇"</dt><dd>{place.township}</dd>
            <dt>"网格员"</dt><dd id="locate-gridworker">{workers}</dd>
        </dl>
    }
}

/// What the point is in, and (with `people`, the roster permission) the grid's gridworkers.
async fn locate(lon: f64, lat: f64, people: bool) -> Result<Place, String> {
    let url = api::url("/api/v1/locate", &[("lon", &lon.to_string()), ("lat", &lat.to_string())]);
    let answer: Value = api::get(&url).await?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let grid = answer.get("grid").filter(|g| !g.is_null()).map(|g| (text(g, "code"), text(g, "name")));
    let mut place = Place {
        village: answer.get("village").map(|v| text(v, "name")).unwrap_or_default(),
        township: answer.get("township").map(|v| text(v, "name")).unwrap_or_default(),
        grid,
        gridworkers: Vec::new(),
    };
    if let Some((code, _)) = place.grid.as_ref().filter(|_| people) {
        let url = api::url("/api/v1/people", &[("role", "gridworker"), ("grid", code)]);
        let people: Paged<Value> = api::get(&url).await?;
        place.gridworkers = people
            .items
            .iter()
            .map(|p| format!("{}（{}）", text(p, "name"), text(p, "phone")))
            .collect();
    }
    Ok(place)
}

/// 在此上报 — an operator's report at the clicked point.
#[component]
fn ReportForm() -> impl IntoView {
    let s = shared();
    let category = RwSignal::new("hazard".to_owned());
    let subcategory = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let created = RwSignal::new(None::<String>);

    let submit = move || {
        let Some((lon, lat)) = s.clicked.get_untracked() else { return };
        let opt = |v: String| if v.trim().is_empty() { Value::Null } else { Value::String(v.trim().to_owned()) };
        let body = json!({
            "report_id": report_id(),
            "category": category.get_untracked(),
            "subcategory": opt(subcategory.get_untracked()),
            "description": description.get_untracked(),
            "location": {"lon": lon, "lat": lat, "crs": "cgcs2000"},
            "reporter": {"kind": "operator", "name": opt(name.get_untracked()), "phone": opt(phone.get_untracked())},
            "channel": "web",
        });
        result.set("提交中…".to_owned());
        created.set(None);
        spawn_local(async move {
            match api::post::<EventView>("/api/v1/reports", &body).await {
                Ok(e) => {
                    result.set(format!("已上报：{} · {} · {}", e.event_id, labels::state(e.state), labels::holder(e.holder.as_ref())));
                    description.set(String::new());
                    created.set(Some(e.event_id));
                }
                Err(e) => result.set(e),
            }
        });
    };

    view! {
        <details class="report">
            <summary>"在此上报事件"</summary>
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label>"类别"
                    <select on:change=move |ev| category.set(event_target_value(&ev))>
                        <option value="hazard" selected=true>"问题隐患"</option>
                        <option value="dispute">"矛盾纠纷"</option>
                        <option value="livelihood">"民生服务"</option>
                        <option value="other">"其他"</option>
                    </select>
                </label>
                <label>"子类" <input type="text" placeholder="如：燃气" prop:value=move || subcategory.get()
                    on:input=move |ev| subcategory.set(event_target_value(&ev))/></label>
                <label>"描述" <textarea required=true prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea></label>
                <label>"报告人" <input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>"电话" <input type="tel" prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/></label>
                <button type="submit">"上报"</button>
            </form>
            <p class="result">{move || result.get()}</p>
            {move || created.get().filter(|_| s.console).map(|id| view! {
                <button class="link" on:click=move |_| { s.page.set(Page::Dispatch); s.selected_event.set(Some(id.clone())); }>
                    "在调度台查看"
                </button>
            })}
        </details>
    }
}

/// A fresh idempotency key for a report typed in here.
fn report_id() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("web-{now:x}-{random:x}")
}
