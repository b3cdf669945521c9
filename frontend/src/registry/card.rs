//! 家底 — a grid's base figures (`GET /api/v1/registry/summary?grid=`): records by kind and
//! type, the collection rate (信息动态采集率) and the special groups' follow-ups not made in
//! time. Shown on the registry page and in the map's panel for a clicked grid.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::{subtypes, KINDS};
use crate::{api, bridge};

fn count(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// The card of one grid.
#[component]
pub fn AreaCard(
    /// The grid's code.
    grid: String,
    /// The card's element id.
    id: &'static str,
) -> impl IntoView {
    let summary = RwSignal::new(None::<Result<Value, String>>);
    let url = api::url("/api/v1/registry/summary", &[("grid", &grid)]);
    spawn_local(async move { summary.set(Some(api::get::<Value>(&url).await)) });
    let name = bridge::feature_name("grids", &grid);
    view! {
        <section class="card area-card" id=id data-grid=grid.clone()>
            <h3>{format!("网格家底 · {name} {grid}")}</h3>
            {move || match summary.get() {
                None => view! { <p class="note">"加载中…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(s)) => view! { <Figures s/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Figures(s: Value) -> impl IntoView {
    let kpis = [("people", "实有人口"), ("households", "户"), ("houses", "房屋"), ("organisations", "组织"), ("places", "场所部位")]
        .into_iter()
        .map(|(k, label)| view! { <div class="kpi"><span>{label}</span><b data-count=k>{count(&s, k)}</b></div> })
        .collect_view();
    let rate = s.get("collection_rate").and_then(Value::as_f64);
    let collection = s.get("collection").cloned().unwrap_or(Value::Null);
    let rate_text = match rate {
        Some(r) => format!("{:.1}%（{} 天内采集或核实 {} / {} 条）", r * 100.0, count(&collection, "period_days"), count(&collection, "fresh"), count(&collection, "records")),
        None => "—（暂无记录）".to_owned(),
    };
    let by_type = KINDS
        .into_iter()
        .filter_map(|(kind, label)| {
            let types = s.pointer(&format!("/by_type/{}", kind.plural())).and_then(Value::as_object)?;
            if types.is_empty() {
                return None;
            }
            let parts: Vec<String> = types
                .iter()
                .map(|(code, n)| {
                    let name = subtypes(kind).iter().find(|c| c.code == code).map_or(if code == "unspecified" { "未填" } else { code.as_str() }, |c| c.zh);
                    format!("{name} {}", n.as_i64().unwrap_or(0))
                })
                .collect();
            Some(view! { <tr><th>{label}</th><td>{parts.join("，")}</td></tr> })
        })
        .collect_view();
    let special = s.get("special_groups").filter(|g| g.is_object()).map(|g| {
        let overdue = count(g, "overdue");
        view! {
            <p class="card-special" class:warn={overdue > 0}>
                {format!("特殊人群 {} 人，逾期未走访 {} 人", count(g, "total"), overdue)}
            </p>
        }
    });
    view! {
        <div class="kpis">{kpis}</div>
        <p class="card-rate">"信息采集率：" {rate_text}</p>
        <table class="by-type">{by_type}</table>
        {special}
    }
}
