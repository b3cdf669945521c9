//! 考评排名 — a level's league table for a period (`GET /api/v1/assessment/{level}?period=`),
//! best first: rank, name, score, grade, a failed marker and the group subtotals, `无数据` where
//! nothing was counted; the townships' warnings (valid events short of their share) as a
//! notice; frozen or live. A row opens the unit's scorecard below the table.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::scorecard::{Scorecard, ScorecardProps};
use super::{change, click, decimal, flag, frozen_text, markup, num, part, points, tab, years, Board, Level};
use crate::app::shared;
use crate::disputes::ui::{esc, markup as m, row_of, values};
use crate::disputes::{own_township, text, time};
use crate::api;

/// The parts of a year to choose from: the whole year, its quarters, its months.
const PARTS: [(&str, &str); 17] = [
    ("", "全年"),
    ("Q1", "第一季度"),
    ("Q2", "第二季度"),
    ("Q3", "第三季度"),
    ("Q4", "第四季度"),
    ("01", "1月"),
    ("02", "2月"),
    ("03", "3月"),
    ("04", "4月"),
    ("05", "5月"),
    ("06", "6月"),
    ("07", "7月"),
    ("08", "8月"),
    ("09", "9月"),
    ("10", "10月"),
    ("11", "11月"),
    ("12", "12月"),
];

/// A `<select>` over (value, label) pairs, `selected` chosen.
pub fn options<'a>(id: &str, name: &str, list: impl IntoIterator<Item = (&'a str, &'a str)>, selected: &str) -> String {
    let mut html = format!("<select id=\"{id}\" name=\"{name}\">");
    for (value, label) in list {
        let mark = if value == selected { " selected" } else { "" };
        html.push_str(&format!("<option value=\"{}\"{mark}>{}</option>", esc(value), esc(label)));
    }
    html + "</select>"
}

/// The year picker (2023 to this year).
pub fn year_select(id: &str, selected: &str) -> String {
    let list = years();
    options(id, "year", list.iter().map(|y| (y.as_str(), y.as_str())), selected)
}

/// The period's fields: year, part of it, township.
fn filter_fields(b: Board, townships: &[(String, String)]) -> String {
    m::row(&[
        m::labelled("年度", &year_select("assessment-year", &b.year.get_untracked())),
        m::labelled("期间", &options("assessment-part", "part", PARTS, &b.part.get_untracked())),
        m::townships("assessment-township", townships, &own_township(), &b.township.get_untracked(), "全县"),
    ])
}

/// A group subtotal: `29.65 / 30`, with the points that had no data, `无数据` when none had.
fn group_cell(g: &Value) -> String {
    let (max, unscored) = (num(g, "max").unwrap_or(0.0), num(g, "unscored").unwrap_or(0.0));
    if max > 0.0 && unscored >= max {
        return "无数据".to_owned();
    }
    let mut cell = format!("{} / {}", points(num(g, "score")), decimal(max));
    if unscored > 0.0 {
        cell.push_str(&format!("（{} 分无数据）", decimal(unscored)));
    }
    cell
}

/// The list of an answer's member.
pub fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The table as markup: one row per unit (`league-row-<unit>`), the open one marked.
fn table_html(b: Board, answer: &Value, open: Option<&str>) -> String {
    let level = Level::of(answer);
    let items = list(answer, "items");
    let groups = items.first().map(|i| list(i, "groups")).unwrap_or_default();
    let mut head: Vec<String> = ["排名", "名称"].map(str::to_owned).to_vec();
    if level != Level::Township {
        head.push("乡镇".into());
    }
    if level == Level::Gridworker {
        head.push("村(社区)".into());
    }
    head.extend(["总分", "折算分", "等级", "不合格"].map(str::to_owned));
    head.extend(groups.iter().map(|g| format!("{}（{}）", text(g, "name"), decimal(num(g, "max").unwrap_or(0.0)))));
    let mut html = String::from("<table id=\"league-table\" class=\"ledger clickable league\"><thead><tr>");
    for h in &head {
        html.push_str(&format!("<th>{}</th>", esc(h)));
    }
    html.push_str("</tr></thead><tbody>");
    for i in &items {
        let unit = text(i, "unit");
        let failed = i.get("failed").and_then(Value::as_bool) == Some(true);
        let class = [(failed, "failed"), (open == Some(unit.as_str()), "selected")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect::<Vec<_>>()
            .join(" ");
        let mut cells = vec![text(i, "rank"), text(i, "name")];
        if level != Level::Township {
            cells.push(b.name(&text(i, "township")));
        }
        if level == Level::Gridworker {
            cells.push(b.name(&text(i, "village")));
        }
        let grade = Some(text(i, "grade")).filter(|g| !g.is_empty()).unwrap_or_else(|| "无数据".to_owned());
        cells.extend([points(num(i, "score")), points(num(i, "normalised")), grade, if failed { "有不合格指标".into() } else { String::new() }]);
        cells.extend(list(i, "groups").iter().map(group_cell));
        html.push_str(&format!("<tr id=\"league-row-{0}\" data-id=\"{0}\" class=\"{class}\" data-rank=\"{1}\">", esc(&unit), esc(&text(i, "rank"))));
        for c in &cells {
            html.push_str(&format!("<td>{}</td>", esc(c)));
        }
        html.push_str("</tr>");
    }
    html + "</tbody></table>"
}

/// The answer's state line: frozen or live, the scheme version, when it was counted.
fn status_html(answer: &Value) -> String {
    let scheme = answer.get("scheme").cloned().unwrap_or(Value::Null);
    let version = match text(&scheme, "version").as_str() {
        "0" | "" => "内置版".to_owned(),
        v => format!("第 {v} 版"),
    };
    let frozen = answer.get("frozen");
    let when = if frozen.is_some_and(Value::is_object) { String::new() } else { format!("，计算于 {}", time(answer, "computed_at")) };
    let frozen_now = frozen.is_some_and(Value::is_object);
    format!(
        "<p class=\"league-status{}\" id=\"league-status\" data-frozen=\"{frozen_now}\" data-period=\"{}\">{} · {} 年指标体系{version}{when} · 共 {} 个</p>",
        if frozen_now { " frozen" } else { "" },
        esc(&text(answer, "period")),
        esc(&frozen_text(frozen)),
        esc(&text(&scheme, "year")),
        list(answer, "items").len()
    )
}

/// The townships' warnings as a notice (markup), those of `township` only when one is chosen
/// (each warning starts with its township's code).
fn warnings_html(answer: &Value, township: &str) -> String {
    let warnings: Vec<String> = list(answer, "warnings").iter().filter_map(Value::as_str).filter(|w| w.starts_with(township)).map(|w| format!("<li>{}</li>", esc(w))).collect();
    if warnings.is_empty() {
        return String::new();
    }
    let items = warnings.concat();
    format!("<div class=\"notice\" id=\"league-warnings\"><b>有效事件提醒</b><ul>{items}</ul></div>")
}

/// The level tabs, the period, the table and the scorecard of the row clicked.
#[component]
pub fn League() -> impl IntoView {
    let b = expect_context::<Board>();
    let s = shared();
    let (loading, asked) = (b.loading, b.asked);
    Effect::new(move |_| {
        let level = b.level.get();
        let url = api::url(&format!("/api/v1/assessment/{}", level.path()), &[("period", &b.period()), ("township", &b.township.get())]);
        b.reloads.track();
        // Back on the page with the same question: the answer is kept, or on its way.
        let kept = b.table.with_untracked(|t| matches!(t, Some((u, Ok(_))) if *u == url));
        if kept || (loading.get_untracked() && asked.with_value(|(_, u)| *u == url)) {
            return;
        }
        b.open.set(None);
        let n = asked.with_value(|(n, _)| n + 1);
        asked.set_value((n, url.clone()));
        loading.set(true);
        spawn_local(async move {
            let got = api::get::<Value>(&url).await;
            // Only the answer to the latest question is shown.
            if asked.with_value(|(latest, _)| *latest == n) {
                loading.set(false);
                b.table.set(Some((url, got)));
            }
        });
    });
    let on_change = change(move |ev| {
        let v = values(&ev);
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        b.year.set(field("year"));
        b.part.set(field("part"));
        b.township.set(field("township"));
    });
    let on_click = click(move |ev| {
        let Some(unit) = row_of(&ev) else { return };
        let item = b.table.with_untracked(|t| {
            let answer = t.as_ref().and_then(|(_, r)| r.as_ref().ok())?;
            let mut item = list(answer, "items").into_iter().find(|i| text(i, "unit") == unit)?;
            item["level"] = answer.get("level").cloned().unwrap_or(Value::Null);
            item["period"] = answer.get("period").cloned().unwrap_or(Value::Null);
            Some(item)
        });
        b.open.set(item);
    });
    let table = markup(move || {
        let open = b.open.with(|o| o.as_ref().map(|i| text(i, "unit")));
        let waiting = if loading.get() { "<p class=\"note\" id=\"league-loading\">正在按记录计算考评得分，全年数据可能需要十余秒…</p>" } else { "" };
        let shown = b.table.with(|t| match t {
            None => String::new(),
            Some((_, Err(e))) => format!("<p class=\"error\" id=\"league-error\">{}</p>", esc(e)),
            Some((_, Ok(a))) => [status_html(a), warnings_html(a, &b.township.get_untracked()), table_html(b, a, open.as_deref())].concat(),
        });
        format!("{waiting}{shown}")
    });
    view! {
        <nav class="kinds" id="assessment-levels">
            {Level::ALL.into_iter().map(|level| tab(format!("level-{}", level.wire()), level.label(), flag(move || b.level.get() == level), click(move |_| b.level.set(level)))).collect_view()}
        </nav>
        <div class="filters" id="league-filters" on:change=on_change inner_html=markup(move || s.townships.with(|t| filter_fields(b, t)))></div>
        <div class="table-scroll" on:click=on_click inner_html=table></div>
        {part(move || b.open.get().map(|item| Scorecard(ScorecardProps { item }).into_any()).unwrap_or_else(|| ().into_any()))}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_group_with_nothing_counted_has_no_data_not_zero() {
        assert_eq!(group_cell(&json!({"name": "台账与实地测评", "score": 0.0, "max": 10.0, "unscored": 10.0})), "无数据");
        assert_eq!(group_cell(&json!({"name": "采集与巡查", "score": 7.95, "max": 20.0, "unscored": 10.0})), "7.95 / 20（10 分无数据）");
        assert_eq!(group_cell(&json!({"name": "结果指标", "score": 30.0, "max": 30.0, "unscored": 0.0})), "30 / 30");
    }

    #[test]
    fn warnings_of_the_chosen_township_only() {
        let answer = json!({"warnings": ["130730100 沙城镇 有效事件 3 件", "130730101 北辛堡镇 有效事件 0 件"]});
        let all = warnings_html(&answer, "");
        assert!(all.contains("沙城镇") && all.contains("北辛堡镇"), "{all}");
        let one = warnings_html(&answer, "130730101");
        assert!(!one.contains("沙城镇") && one.contains("北辛堡镇"), "{one}");
        assert_eq!(warnings_html(&json!({"warnings": []}), ""), "");
    }
}
