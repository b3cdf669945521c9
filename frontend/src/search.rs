//! Locate by text: a grid code or name, a village, an event id, or coordinates typed in a
//! chosen CRS (`GET /api/v1/search`); the map goes to the first answer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wangge_core::wire::{HitKind, SearchHit, SearchHits};

use crate::app::{shared, Page, Shared};
use crate::{api, bridge, labels};

/// The search box of the top bar with its answers.
#[component]
pub fn Search() -> impl IntoView {
    let s = shared();
    let q = RwSignal::new(String::new());
    let crs = RwSignal::new("cgcs2000".to_owned());
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let message = RwSignal::new(String::new());
    let open = RwSignal::new(false);

    let run = move || {
        let text = q.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let url = api::url("/api/v1/search", &[("q", &text), ("crs", &crs.get_untracked()), ("limit", "10")]);
        message.set("搜索中…".to_owned());
        open.set(true);
        spawn_local(async move {
            match api::get::<SearchHits>(&url).await {
                Ok(found) => {
                    message.set(if found.hits.is_empty() { "无结果".to_owned() } else { String::new() });
                    if let Some(first) = found.hits.first() {
                        go(s, first);
                    }
                    open.set(found.hits.len() != 1);
                    hits.set(found.hits);
                }
                Err(e) => {
                    hits.set(Vec::new());
                    message.set(e);
                }
            }
        });
    };

    view! {
        <form class="search" on:submit=move |ev| { ev.prevent_default(); run(); }>
            <input id="search-q" type="search" placeholder="网格编码/名称、村、事件编号或坐标（经度,纬度）"
                prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
            <select id="search-crs" title="坐标系" on:change=move |ev| crs.set(event_target_value(&ev))>
                <option value="cgcs2000" selected=true>"CGCS2000"</option>
                <option value="wgs84">"WGS84"</option>
                <option value="gcj02">"GCJ-02"</option>
            </select>
            <button type="submit">"定位"</button>
            <div class="hits" class:hidden=move || !open.get()>
                <div class="hits-head">
                    <span>{move || message.get()}</span>
                    <button type="button" class="link" on:click=move |_| open.set(false)>"关闭"</button>
                </div>
                <For each=move || hits.get() key=|h| (labels::hit_kind(h.kind), h.code.clone(), h.name.clone()) let:hit>
                    <HitRow hit=hit/>
                </For>
            </div>
        </form>
    }
}

#[component]
fn HitRow(hit: SearchHit) -> impl IntoView {
    let s = shared();
    let kind = labels::hit_kind(hit.kind);
    let code = hit.code.clone();
    let name = hit.name.clone();
    view! {
        <div class="hit" on:click=move |_| go(s, &hit)>
            <span class="tag">{kind}</span>
            <span class="hit-name">{name}</span>
            <span class="code">{code}</span>
        </div>
    }
}

/// Shows one answer on the map (and an event in the console).
fn go(s: Shared, hit: &SearchHit) {
    let grid = match hit.kind {
        HitKind::Grid => Some(hit.code.as_str()),
        _ => hit.grid.as_deref(),
    };
    bridge::highlight_grid(grid.unwrap_or(""));
    if let Some([w, south, e, n]) = hit.bbox {
        bridge::fit_bounds(w, south, e, n);
    } else if let Some([lon, lat]) = hit.point {
        bridge::fly_to(lon, lat, 15.0);
    }
    match hit.kind {
        HitKind::Point => {
            if let Some([lon, lat]) = hit.point {
                bridge::set_pin(lon, lat);
                s.clicked.set(Some((lon, lat)));
            }
        }
        HitKind::Event if s.console => {
            s.page.set(Page::Dispatch);
            s.selected_event.set(Some(hit.code.clone()));
        }
        _ => {}
    }
}
