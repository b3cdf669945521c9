//! 排查 — the screening board of a month (`GET /api/v1/screenings?month=`): grids due, screened,
//! on time, the screening rate, and the grids not screened yet (or all), a click locating one
//! on the map.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::ui::{self, markup as m, Row};
use crate::app::shared;
use super::{text, township_name};
use crate::{api, bridge, labels};

/// A grid of the board as a row: its name, village, township and screening.
fn row(g: &Value) -> Row {
    let screening = g.get("screening").filter(|s| s.is_object());
    let status = screening.map_or_else(
        || "未排查".to_owned(),
        |s| {
            let late = s.get("on_time").and_then(Value::as_bool) == Some(false);
            format!("已排查，发现 {} 件{}", s.get("found").and_then(Value::as_i64).unwrap_or(0), if late { "（逾期）" } else { "" })
        },
    );
    let name = text(g, "grid_name");
    Row {
        id: text(g, "grid"),
        tag: if screening.is_some() { "screened" } else { "pending" }.to_owned(),
        cells: vec![if name.is_empty() { text(g, "grid") } else { name }, text(g, "village_name"), township_name(&text(g, "township")), status],
    }
}

/// The month and township picked, the figures and the grids not yet screened.
#[component]
pub fn ScreeningBoard() -> impl IntoView {
    let s = shared();
    let month = RwSignal::new(super::today().get(..7).unwrap_or_default().to_owned());
    let township = RwSignal::new(super::own_township());
    let board = RwSignal::new(None::<Result<Value, String>>);
    let show_all = RwSignal::new(false);
    let located = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let url = api::url("/api/v1/screenings", &[("month", &month.get()), ("township", &township.get())]);
        spawn_local(async move { board.set(Some(api::get::<Value>(&url).await)) });
    });
    Effect::new(move |_| {
        if let Some(code) = located.get() {
            bridge::fit_feature("grids", &code);
            bridge::highlight_grid(&code);
        }
    });
    view! {
        <div class="filters row" id="screening-filters" on:change=move |ev| {
            let v = ui::values(&ev);
            let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            month.set(field("month"));
            township.set(field("township"));
            show_all.set(v.get("all").and_then(Value::as_bool).unwrap_or(false));
        } inner_html=move || s.townships.with(|t| [
            m::labelled("月份", &m::input("screening-month", "month", "month", "", &month.get_untracked())),
            m::townships("screening-township", t, &super::own_township(), &township.get_untracked(), "全县"),
            m::check("screening-all", "all", "显示已排查", false),
        ].concat())></div>
        {move || match board.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" id="screening-error">{e}</p> }.into_any(),
            Some(Ok(b)) => {
                let items: Vec<Value> = b.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                let rows: Vec<Row> = items.iter().map(row).filter(|r| show_all.get() || r.tag == "pending").collect();
                let missing = items.iter().filter(|g| !g.get("screening").is_some_and(Value::is_object)).count();
                let n = |k: &str| b.get(k).and_then(Value::as_u64).unwrap_or(0).to_string();
                view! {
                    <div inner_html=ui::kpis(&[
                        ("应排查网格", "screening-due", n("due")),
                        ("已排查", "screening-screened", n("screened")),
                        ("按时", "screening-on-time", n("on_time")),
                        ("排查率", "screening-rate", labels::rate(b.get("rate").and_then(Value::as_f64))),
                    ])></div>
                    {(b.get("ended").and_then(Value::as_bool) == Some(false)).then(|| view! { <p class="note" id="screening-running">"本月尚未结束：排查率按已记录的计，月末前仍可排查。"</p> })}
                    <h3>{format!("未排查网格（{missing} 个）")}</h3>
                    {ui::table("screening-grids".into(), &["网格", "村(社区)", "乡镇", "排查"], rows, Some(located))}
                }.into_any()
            }
        }}
    }
}
