//! 领导驾驶舱 — heatmaps of hazards and disputes, a per-grid choropleth, and the county's
//! figures for a period with the benefit indicators against their targets (`GET /api/v1/map/heat`,
//! `/api/v1/map/choropleth`, `/api/v1/stats`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wangge_core::wire::{Choropleth, HeatMap, HeatMode};

use crate::app::{shared, Page};
use crate::indicators::Indicators;
use crate::{api, bridge, labels};

/// How grids are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shade {
    /// Not at all.
    Off,
    /// By the number of events.
    Count,
    /// By events per km².
    Density,
}

/// The filters of the dashboard.
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    hazard: bool,
    dispute: bool,
    from: String,
    to: String,
    township: String,
}

impl Filter {
    fn categories(&self) -> String {
        [(self.hazard, "hazard"), (self.dispute, "dispute")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn params<'a>(&'a self, categories: &'a str) -> [(&'a str, &'a str); 4] {
        [("category", categories), ("from", &self.from), ("to", &self.to), ("township", &self.township)]
    }
}

/// The dashboard's settings, kept while the console is shown.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    filter: RwSignal<Filter>,
    heat_on: RwSignal<bool>,
    shade: RwSignal<Shade>,
}

impl Settings {
    /// Both categories, from 2023 (the demo year) to today, the whole county, heatmap on.
    pub fn new() -> Self {
        Self {
            filter: RwSignal::new(Filter {
                hazard: true,
                dispute: true,
                from: "2023-01-01".to_owned(),
                to: today(),
                township: String::new(),
            }),
            heat_on: RwSignal::new(true),
            shade: RwSignal::new(Shade::Off),
        }
    }
}

/// The leaders' side panel; drives the heatmap and choropleth layers.
#[component]
pub fn Leaders() -> impl IntoView {
    let s = shared();
    let Settings { filter, heat_on, shade } = expect_context::<Settings>();
    let heat_total = RwSignal::new(None::<(u64, HeatMode)>);
    // The largest count and count per km² of the shading now shown, for its legend.
    let shade_max = RwSignal::new(None::<(u64, f64)>);
    let stats = RwSignal::new(None::<Result<Value, String>>);
    let map_error = RwSignal::new(String::new());

    // Heat points follow the filter.
    Effect::new(move |_| {
        let f = filter.get();
        if !s.map_ready.get() {
            return;
        }
        let categories = f.categories();
        if categories.is_empty() {
            bridge::set_heat("[]");
            heat_total.set(Some((0, HeatMode::Points)));
            return;
        }
        let url = api::url("/api/v1/map/heat", &f.params(&categories));
        spawn_local(async move {
            match api::get_text(&url).await.and_then(|t| {
                serde_json::from_str::<HeatMap>(&t).map_err(|e| format!("热力数据无法解析：{e}"))
            }) {
                Ok(heat) => {
                    let points = serde_json::to_string(&heat.points).unwrap_or_else(|_| "[]".to_owned());
                    bridge::set_heat(&points);
                    heat_total.set(Some((heat.total, heat.mode)));
                    map_error.set(String::new());
                }
                Err(e) => map_error.set(e),
            }
        });
    });
    Effect::new(move |_| bridge::set_visible("heat-layer", heat_on.get() && s.map_ready.get()));
    // The choropleth follows the filter and the shading.
    Effect::new(move |_| {
        let (f, how) = (filter.get(), shade.get());
        if !s.map_ready.get() {
            return;
        }
        if how == Shade::Off {
            bridge::set_choropleth("[]");
            return;
        }
        let categories = f.categories();
        let url = api::url("/api/v1/map/choropleth", &f.params(&categories));
        spawn_local(async move {
            match api::get::<Choropleth>(&url).await {
                Ok(c) => {
                    bridge::set_choropleth(&shades(&c, how));
                    shade_max.set(Some((c.max_count, c.max_per_km2)));
                }
                Err(e) => map_error.set(e),
            }
        });
    });
    // The figures follow the period and the township; the first ones wait for the map.
    Effect::new(move |_| {
        let f = filter.get();
        let url = api::url("/api/v1/stats", &[("from", &f.from), ("to", &f.to), ("township", &f.township)]);
        let has_map = s.has_map;
        spawn_local(async move {
            if has_map {
                bridge::map_idle().await;
            }
            stats.set(Some(api::get::<Value>(&url).await));
        });
    });
    on_cleanup(move || {
        if s.page.get_untracked() != Page::Leaders {
            bridge::set_visible("heat-layer", false);
            bridge::set_choropleth("[]");
        }
    });

    let edit = move |change: fn(&mut Filter, String)| {
        move |ev: web_sys::Event| filter.update(|f| change(f, event_target_value(&ev)))
    };
    view! {
        <h2>"领导驾驶舱"</h2>
        <fieldset class="filters">
            <label><input type="checkbox" id="cat-hazard" prop:checked=move || filter.get().hazard
                on:change=move |ev| filter.update(|f| f.hazard = event_target_checked(&ev))/>"问题隐患"</label>
            <label><input type="checkbox" id="cat-dispute" prop:checked=move || filter.get().dispute
                on:change=move |ev| filter.update(|f| f.dispute = event_target_checked(&ev))/>"矛盾纠纷"</label>
            <div class="row">
                <label>"自" <input type="date" prop:value=move || filter.get().from on:change=edit(|f, v| f.from = v)/></label>
                <label>"至" <input type="date" prop:value=move || filter.get().to on:change=edit(|f, v| f.to = v)/></label>
            </div>
            <label>"乡镇"
                <select id="township-filter" on:change=move |ev| {
                    let code = event_target_value(&ev);
                    if !code.is_empty() {
                        bridge::fit_feature("townships", &code);
                    }
                    filter.update(|f| f.township = code);
                }>
                    <option value="">"全县"</option>
                    {move || s.townships.get().into_iter().map(|(code, name)| {
                        let selected = filter.get_untracked().township == code;
                        view! { <option value=code selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <div class="row">
                <label><input type="checkbox" id="heat-on" prop:checked=move || heat_on.get()
                    on:change=move |ev| heat_on.set(event_target_checked(&ev))/>"热力图"</label>
                <label>"网格着色"
                    <select id="shade" on:change=move |ev| shade.set(match event_target_value(&ev).as_str() {
                        "count" => Shade::Count,
                        "density" => Shade::Density,
                        _ => Shade::Off,
                    })>
                        <option value="off" selected=move || shade.get() == Shade::Off>"关闭"</option>
                        <option value="count" selected=move || shade.get() == Shade::Count>"按事件数"</option>
                        <option value="density" selected=move || shade.get() == Shade::Density>"按密度（件/km²）"</option>
                    </select>
                </label>
            </div>
            <div class="legend" id="heat-legend" class:hidden=move || !heat_on.get()>
                <span>"热力：稀"</span><i class="ramp heat-ramp"></i><span>"密"</span>
            </div>
            <div class="legend" id="shade-legend" class:hidden=move || shade.get() == Shade::Off || shade_max.get().is_none()>
                <span>"网格：0"</span><i class="ramp shade-ramp"></i>
                <span>{move || match (shade.get(), shade_max.get()) {
                    (Shade::Density, Some((_, per_km2))) => format!("{per_km2:.1} 件/km²"),
                    (_, Some((count, _))) => format!("{count} 件"),
                    _ => String::new(),
                }}</span>
            </div>
            <p class="note">{move || heat_total.get().map(|(n, mode)| format!(
                "热力：{n} 件{}", if mode == HeatMode::Cells { "（已按格汇总）" } else { "" }
            ))}</p>
            <p class="error">{move || map_error.get()}</p>
        </fieldset>
        {move || match stats.get() {
            None => view! { <p class="note">"统计加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(v)) => view! { <Figures stats=v/> }.into_any(),
        }}
    }
}

/// `[[code, 0..1], …]` for the grids, relative to the largest value.
fn shades(c: &Choropleth, how: Shade) -> String {
    let values: Vec<(&str, f64)> = c
        .grids
        .iter()
        .map(|g| {
            let v = match how {
                Shade::Density if c.max_per_km2 > 0.0 => g.per_km2 / c.max_per_km2,
                Shade::Count if c.max_count > 0 => g.count as f64 / c.max_count as f64,
                _ => 0.0,
            };
            (g.code.as_str(), v)
        })
        .collect();
    serde_json::to_string(&values).unwrap_or_else(|_| "[]".to_owned())
}

fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

fn num(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The figures of the period (`GET /api/v1/stats`).
#[component]
fn Figures(stats: Value) -> impl IntoView {
    let by_category: Vec<(String, Value)> = stats
        .get("by_category")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let by_township: Vec<Value> = stats.get("by_township").and_then(Value::as_array).cloned().unwrap_or_default();
    let on_time: Vec<(String, Value)> = stats
        .get("on_time")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let overdue = stats.get("overdue").cloned().unwrap_or(Value::Null);
    let overdue_items: Vec<Value> = overdue.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    view! {
        <section class="figures" id="dashboard">
            <div class="kpis">
                <div class="kpi"><span>"上报"</span><b id="kpi-reported">{num(&stats, "reported")}</b></div>
                <div class="kpi"><span>"办结"</span><b>{num(&stats, "closed")}</b></div>
                <div class="kpi"><span>"办结率"</span><b>{format!("{:.2}%", num(&stats, "closure_rate"))}</b></div>
            </div>
            <Indicators stats=stats.clone()/>
            <h3>"按类别"</h3>
            <table>
                <tr><th>"类别"</th><th>"上报"</th><th>"办结"</th><th>"办结率"</th></tr>
                {by_category.into_iter().map(|(k, c)| view! {
                    <tr><td>{labels::category_name(&k).to_owned()}</td><td>{num(&c, "reported")}</td>
                        <td>{num(&c, "closed")}</td><td>{format!("{:.2}%", num(&c, "closure_rate"))}</td></tr>
                }).collect_view()}
            </table>
            <h3>"按乡镇" <small>"（点击行定位）"</small></h3>
            <table class="clickable" id="by-township">
                <tr><th>"乡镇"</th><th>"上报"</th><th>"办结"</th><th>"办结率"</th></tr>
                {by_township.into_iter().map(|t| {
                    let code = text(&t, "code");
                    view! {
                        <tr data-code=code.clone() on:click=move |_| { bridge::fit_feature("townships", &code); }>
                            <td>{text(&t, "name")}</td><td>{num(&t, "reported")}</td>
                            <td>{num(&t, "closed")}</td><td>{format!("{:.2}%", num(&t, "closure_rate"))}</td>
                        </tr>
                    }
                }).collect_view()}
            </table>
            <h3>"按时率（1-3-5）"</h3>
            <table>
                <tr><th>"层级"</th><th>"环节"</th><th>"核实按时"</th><th>"办结按时"</th></tr>
                {on_time.into_iter().map(|(k, t)| view! {
                    <tr><td>{labels::tier_name(&k).to_owned()}</td><td>{num(&t, "stints")}</td>
                        <td>{format!("{:.2}%", num(&t, "verify_rate"))}</td><td>{format!("{:.2}%", num(&t, "finish_rate"))}</td></tr>
                }).collect_view()}
            </table>
            <h3>"超期督办" <small>{format!("（共 {} 件）", num(&overdue, "total"))}</small></h3>
            <ul class="overdue">
                {overdue_items.into_iter().map(|e| {
                    let lon = e.pointer("/location/lon").and_then(Value::as_f64);
                    let lat = e.pointer("/location/lat").and_then(Value::as_f64);
                    let id = text(&e, "event_id");
                    let label = format!("{} · {} · {}", id, labels::category_name(&text(&e, "category")),
                        bridge::feature_name("townships", &text(&e, "township_code")));
                    view! {
                        <li on:click=move |_| if let (Some(lon), Some(lat)) = (lon, lat) { bridge::fly_to(lon, lat, 14.0) }>{label}</li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
