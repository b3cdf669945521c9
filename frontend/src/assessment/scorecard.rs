//! A unit's scorecard (`GET /api/v1/assessment/{level}/{unit}?period=`): every indicator's
//! measured value (rates as percentages), its basis (n / d), points of the maximum, and the
//! records it was counted from — the events (each opening the event panel when the account has
//! the console), the call-backs, or the query that lists them; and, on demand, the unit's
//! monthly scores of the year as a line (`GET /api/v1/assessment/trends/{level}`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::{answer_html, basis, click, decimal, markup, measured, num, points, trend, Board, Level};
use crate::app::{shared, Page};
use crate::disputes::text;
use crate::disputes::ui::{esc, kpis};
use crate::api;

/// At most this many ids of one record list are written out.
const SHOWN: usize = 200;

/// The indicators of a scorecard in their scheme's order (`T2` before `T10`).
fn indicators(card: &Value) -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = card.get("indicators").and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let key = |code: &str| {
        let digits = code.trim_start_matches(|c: char| !c.is_ascii_digit());
        (code[..code.len() - digits.len()].to_owned(), digits.parse::<u32>().unwrap_or(0))
    };
    all.sort_by_key(|(code, _)| key(code));
    all
}

/// The indicators table as markup (`scorecard-indicator-<code>`).
fn indicators_html(card: &Value) -> String {
    let mut html = String::from(
        "<table id=\"scorecard-indicators\" class=\"ledger\"><thead><tr><th>编号</th><th>指标</th><th>分组</th><th>实际值</th><th>依据</th><th>得分</th><th>满分</th><th>状态</th></tr></thead><tbody>",
    );
    for (code, i) in indicators(card) {
        let measure = text(&i, "measure");
        let scored = num(&i, "points");
        let failed = i.get("failed").and_then(Value::as_bool) == Some(true);
        let (class, state) = match (scored, failed) {
            (None, _) => ("unscored", "无数据"),
            (_, true) => ("failed", "不合格"),
            _ => ("", "合格"),
        };
        html.push_str(&format!(
            "<tr id=\"scorecard-indicator-{0}\" class=\"{class}\" data-measure=\"{1}\"><td>{0}</td><td>{2}</td><td>{3}</td><td class=\"measured\">{4}</td><td>{5}</td><td class=\"points\">{6}</td><td>{7}</td><td>{state}</td></tr>",
            esc(&code),
            esc(&measure),
            esc(&text(&i, "name")),
            esc(&text(&i, "group")),
            esc(&measured(&measure, num(&i, "measured"))),
            esc(&basis(&measure, &i)),
            points(scored),
            points(num(&i, "max")),
        ));
    }
    html + "</tbody></table>"
}

/// One list of ids: events as buttons opening the event (`console`), others as text.
fn ids_html(label: &str, ids: &[Value], events: bool, console: bool) -> String {
    let mut html = format!("<details class=\"record-ids\"><summary>{label} {} 件</summary><div>", ids.len());
    for id in ids.iter().filter_map(Value::as_str).take(SHOWN) {
        let id = esc(id);
        if events && console {
            html.push_str(&format!("<button type=\"button\" class=\"link code\" data-event=\"{id}\">{id}</button> "));
        } else {
            html.push_str(&format!("<span class=\"code\" data-record=\"{id}\">{id}</span> "));
        }
    }
    if ids.len() > SHOWN {
        html.push_str(&format!("<span class=\"note\">… 另有 {} 件未列出</span>", ids.len() - SHOWN));
    }
    html + "</div></details>"
}

/// Each indicator's records as markup (`records-<code>`).
fn records_html(card: &Value, console: bool) -> String {
    let mut html = String::from("<div id=\"scorecard-records\" class=\"records\">");
    for (code, i) in indicators(card) {
        let Some(r) = i.get("records").filter(|r| r.is_object()) else { continue };
        let mut parts = String::new();
        for (key, label, events) in [("events", "计入事件", true), ("open", "未办结", true), ("not_valid", "标记无效", true), ("callbacks", "回访记录", false)] {
            if let Some(ids) = r.get(key).and_then(Value::as_array) {
                parts.push_str(&ids_html(label, ids, events, console));
            }
        }
        if let Some(q) = r.get("query").and_then(Value::as_str) {
            parts.push_str(&format!("<div>明细查询：<span class=\"code record-query\">{}</span></div>", esc(q)));
        }
        if let Some(days) = r.get("period_days").and_then(Value::as_u64) {
            parts.push_str(&format!("<div class=\"note\">采集周期 {days} 天</div>"));
        }
        html.push_str(&format!("<div class=\"record-list\" id=\"records-{0}\"><b>{0} {1}</b>{parts}</div>", esc(&code), esc(&text(&i, "name"))));
    }
    html + "</div>"
}

/// The scorecard of a league row (with the answer's `level` and `period`): shown at once from
/// the row, its records loaded beside it.
#[component]
pub fn Scorecard(item: Value) -> impl IntoView {
    let b = expect_context::<Board>();
    let s = shared();
    let (level, period, unit) = (Level::of(&item), text(&item, "period"), text(&item, "unit"));
    let detail = RwSignal::new(None::<Result<Value, String>>);
    let trend_answer = RwSignal::new(None::<Result<Value, String>>);
    let trend_asked = RwSignal::new(false);
    let url = api::url(&format!("/api/v1/assessment/{}/{}", level.path(), api::segment(&unit)), &[("period", &period)]);
    spawn_local(async move { detail.set(Some(api::get::<Value>(&url).await)) });
    let year = period.get(..4).unwrap_or_default().to_owned();
    let trend_url = api::url(&format!("/api/v1/assessment/trends/{}", level.path()), &[("year", &year), ("unit", &unit)]);
    // One listener for the card: 关闭, the trend's button and the events listed.
    let on_click = click(move |ev| {
        use wasm_bindgen::JsCast;
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        if let Some(id) = target.get_attribute("data-event") {
            s.page.set(Page::Dispatch);
            s.selected_event.set(Some(id));
        } else if target.id() == "scorecard-close" {
            b.open.set(None);
        } else if target.id() == "trend-open" {
            trend_asked.set(true);
            let url = trend_url.clone();
            spawn_local(async move { trend_answer.set(Some(api::get::<Value>(&url).await)) });
        }
    });
    let head = [
        format!("<div class=\"panel-head\"><b>{} · {} 考评</b><button class=\"link\" id=\"scorecard-close\">关闭</button></div>", esc(&text(&item, "name")), esc(&period)),
        kpis(&[
            ("总分", "scorecard-score", points(num(&item, "score"))),
            ("折算分（百分制）", "scorecard-normalised", points(num(&item, "normalised"))),
            ("等级", "scorecard-grade", text(&item, "grade")),
            ("排名", "scorecard-rank", text(&item, "rank")),
            ("无数据分值", "scorecard-unscored", decimal(num(&item, "unscored").unwrap_or(0.0))),
        ]),
    ]
    .concat();
    let console = s.console;
    request_animation_frame(move || {
        if let Some(el) = document().get_element_by_id("scorecard") {
            el.scroll_into_view();
        }
    });
    let body = markup(move || {
        detail.with(|d| {
            let indicators = match d {
                Some(Ok(full)) => indicators_html(full),
                _ => indicators_html(&item),
            };
            let records = answer_html(d, "scorecard", "正在列出计分所依据的记录…", "", |full| records_html(full, console));
            [head.as_str(), &indicators, "<h3>记录明细</h3>", &records, "<h3>月度趋势</h3>"].concat()
        })
    });
    let trend = markup(move || {
        if trend_asked.get() {
            trend_answer.with(|t| answer_html(t, "trend", "正在计算各月得分，约需十余秒…", "", trend::svg))
        } else {
            format!("<button id=\"trend-open\">查看 {year} 年各月得分</button>")
        }
    });
    view! {
        <section class="panel scorecard" id="scorecard" data-unit=unit on:click=on_click>
            <div inner_html=body></div>
            <div inner_html=trend></div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indicators_keep_the_schemes_order() {
        let card = json!({"indicators": {"T1": {}, "T10": {}, "T2": {}, "T11": {}}});
        let codes: Vec<String> = indicators(&card).into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, ["T1", "T2", "T10", "T11"]);
    }

    #[test]
    fn a_rate_reads_as_a_percentage_and_nothing_counted_as_no_data() {
        let card = json!({"indicators": {
            "T4": {"name": "事件办结率", "measure": "closure_rate", "measured": 0.9929, "points": 9.65, "max": 10.0, "basis": [1266, 1275], "failed": false},
            "T8": {"name": "信息动态采集率", "measure": "collection_rate", "measured": null, "points": null, "max": 10.0, "basis": [0, 0], "failed": false},
        }});
        let html = indicators_html(&card);
        assert!(html.contains("<td class=\"measured\">99.29%</td><td>1266 / 1275</td><td class=\"points\">9.65</td><td>10</td><td>合格</td>"), "{html}");
        assert!(html.contains("<td class=\"measured\">无数据</td><td>0 / 0</td><td class=\"points\">无数据</td>"), "{html}");
    }
}
