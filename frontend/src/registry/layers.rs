//! The registry on the map: the houses of the village or grid chosen as points (from the list,
//! at most one page of 500; a click opens the house) and the grids shaded by records per km²
//! (`GET /api/v1/registry/density`), each with its toggle. Special-group members are never
//! drawn here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::{json, Value};
use wangge_core::registry::Entity;
use wangge_core::wire::Paged;

use super::{registry, text, Area, KINDS};
use crate::app::{shared, Page};
use crate::{api, bridge};

/// Most houses drawn at once (one page of the list).
const MAX_POINTS: &str = "500";

#[derive(Debug, Deserialize)]
struct Density {
    grids: Vec<GridCount>,
}

#[derive(Debug, Deserialize)]
struct GridCount {
    grid_code: String,
    per_km2: f64,
}

/// The toggles of the registry's map layers.
#[component]
pub fn MapLayers() -> impl IntoView {
    let s = shared();
    let r = registry();
    let houses_on = RwSignal::new(false);
    let density_on = RwSignal::new(false);
    let density_kind = RwSignal::new(Entity::Person);
    let houses_note = RwSignal::new(String::new());
    let density_max = RwSignal::new(None::<f64>);
    let area = Memo::new(move |_| r.query.with(|q| q.area.clone()));

    Effect::new(move |_| {
        let (on, a) = (houses_on.get(), area.get());
        if !s.map_ready.get() {
            return;
        }
        if !on {
            bridge::set_registry_points("[]");
            houses_note.set(String::new());
            return;
        }
        if a.village.is_empty() {
            bridge::set_registry_points("[]");
            houses_note.set("选择村(社区)或网格后显示房屋点位".to_owned());
            return;
        }
        spawn_local(async move {
            houses_note.set(match load_houses(&a).await {
                Ok((shown, total)) if (shown as i64) < total => format!("房屋 {total} 处，显示前 {shown} 处"),
                Ok((shown, _)) => format!("房屋 {shown} 处"),
                Err(e) => e,
            });
        });
    });
    Effect::new(move |_| {
        let (on, kind, a) = (density_on.get(), density_kind.get(), area.get());
        if !s.map_ready.get() {
            return;
        }
        if !on {
            bridge::set_choropleth("[]");
            density_max.set(None);
            return;
        }
        let mut params = vec![("entity", kind.plural())];
        params.extend([("township", a.township.as_str()), ("village", a.village.as_str())]);
        let url = api::url("/api/v1/registry/density", &params);
        spawn_local(async move {
            if let Ok(d) = api::get::<Density>(&url).await {
                let max = d.grids.iter().map(|g| g.per_km2).fold(0.0_f64, f64::max);
                let values: Vec<(String, f64)> = d.grids.into_iter().map(|g| (g.grid_code, if max > 0.0 { g.per_km2 / max } else { 0.0 })).collect();
                bridge::set_choropleth(&serde_json::to_string(&values).unwrap_or_else(|_| "[]".to_owned()));
                density_max.set(Some(max));
            }
        });
    });
    on_cleanup(move || {
        if s.page.get_untracked() != Page::Registry {
            bridge::set_registry_points("[]");
            bridge::set_choropleth("[]");
        }
    });
    view! {
        <fieldset class="filters registry-layers" id="registry-layers">
            <div class="row">
                <label><input type="checkbox" id="layer-houses" prop:checked=move || houses_on.get()
                    on:change=move |ev| houses_on.set(event_target_checked(&ev))/>"房屋点位"</label>
                <span class="note" id="layer-houses-note">{move || houses_note.get()}</span>
            </div>
            <div class="row">
                <label><input type="checkbox" id="layer-density" prop:checked=move || density_on.get()
                    on:change=move |ev| density_on.set(event_target_checked(&ev))/>"网格密度"</label>
                <select id="layer-density-kind" on:change=move |ev| {
                    density_kind.set(Entity::parse(&event_target_value(&ev)).unwrap_or(Entity::Person));
                }>
                    {KINDS.into_iter().map(|(k, label)| view! { <option value=k.plural()>{label}</option> }).collect_view()}
                </select>
                <span class="legend" class:hidden=move || density_max.get().is_none()>
                    <span>"0"</span><i class="ramp shade-ramp"></i>
                    <span id="layer-density-max">{move || density_max.get().map(|m| format!("{m:.1} /km²"))}</span>
                </span>
            </div>
        </fieldset>
    }
}

/// Draws the houses of an area; answers how many are drawn and how many there are.
async fn load_houses(a: &Area) -> Result<(usize, i64), String> {
    let mut params: Vec<(&str, &str)> = a.params().to_vec();
    params.push(("per_page", MAX_POINTS));
    let page: Paged<Value> = api::get(&api::url("/api/v1/registry/houses", &params)).await?;
    let points: Vec<Value> = page
        .items
        .iter()
        .filter_map(|h| {
            let (lon, lat) = (h.get("lon")?.as_f64()?, h.get("lat")?.as_f64()?);
            Some(json!({"id": text(h, "id"), "lon": lon, "lat": lat, "label": text(h, "address")}))
        })
        .collect();
    let shown = points.len();
    bridge::set_registry_points(&Value::Array(points).to_string());
    Ok((shown, page.total))
}
