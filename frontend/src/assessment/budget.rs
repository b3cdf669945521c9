//! 一笔账 — the budget ledger of a year (`GET /api/v1/assessment/budget?year=`): the budget,
//! the spending and the execution rate (the county indicator 预算执行率), spending by item and
//! every line; the assessor adds a line (`POST`), the amount typed as yuan text (at most two
//! decimals, kept exact by the service).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::league::{list, options};
use super::tools::field;
use super::{answer_html, click, form, markup, send, submit, this_year, year_picker, yuan, Board};
use crate::api;
use crate::disputes::text;
use crate::disputes::ui::{esc, kpis, markup as m, values};

/// Money of an answer's member, as yuan.
fn money(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_f64).map_or_else(|| "—".to_owned(), yuan)
}

/// The totals, spending by item and the lines as markup.
fn ledger_html(l: &Value) -> String {
    let mut html = kpis(&[
        ("预算（元）", "budget-total", money(l, "budget_yuan")),
        ("已支出（元）", "budget-spent", money(l, "spent_yuan")),
        ("预算执行率", "budget-rate", crate::labels::rate(l.get("execution_rate").and_then(Value::as_f64))),
    ]);
    html.push_str("<h3>支出分项</h3><table class=\"ledger\" id=\"budget-items\"><thead><tr><th>项目</th><th>金额（元）</th></tr></thead><tbody>");
    for i in list(l, "spent_by_item") {
        html.push_str(&format!("<tr><td>{}</td><td class=\"money\">{}</td></tr>", esc(&text(&i, "item")), money(&i, "amount_yuan")));
    }
    html.push_str("</tbody></table><h3>明细</h3><table class=\"ledger\" id=\"budget-lines\"><thead><tr><th>日期</th><th>类型</th><th>项目</th><th>金额（元）</th><th>资金来源</th><th>备注</th><th>录入</th></tr></thead><tbody>");
    for line in list(l, "lines") {
        let kind = if text(&line, "kind") == "budget" { "预算" } else { "支出" };
        html.push_str(&format!(
            "<tr data-id=\"{}\" data-tag=\"{}\"><td>{}</td><td>{kind}</td><td>{}</td><td class=\"money\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&text(&line, "line_id")),
            esc(&text(&line, "kind")),
            esc(&text(&line, "dated")),
            esc(&text(&line, "item")),
            money(&line, "amount_yuan"),
            esc(&text(&line, "source")),
            esc(&text(&line, "note")),
            esc(&text(&line, "entered_by")),
        ));
    }
    html + "</tbody></table>"
}

/// The add-line form's fields.
fn line_fields() -> String {
    [
        "<b>记一笔</b>".to_owned(),
        m::row(&[
            m::labelled("类型", &options("budget-kind", "kind", [("spend", "支出"), ("budget", "预算")], "spend")),
            m::labelled("项目", &m::input("budget-item", "item", "text", "如：网格员培训", "")),
            m::labelled("金额（元）", &m::input("budget-amount", "amount", "text", "如：186000.00", "")),
        ]),
        m::row(&[
            m::labelled("日期", &m::input("budget-dated", "dated", "date", "", "")),
            m::labelled("资金来源", &m::input("budget-source", "source", "text", "可空", "")),
            m::labelled("备注", &m::input("budget-note", "note", "text", "可空", "")),
        ]),
        "<div class=\"row\"><button id=\"budget-submit\" type=\"submit\">记入</button></div>".to_owned(),
    ]
    .concat()
}

/// The ledger of a year and the form adding a line.
#[component]
pub fn BudgetLedger() -> impl IntoView {
    let b = expect_context::<Board>();
    let year = RwSignal::new((this_year() - 1).max(2023).to_string());
    let ledger = RwSignal::new(None::<Result<Value, String>>);
    let error = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    Effect::new(move |_| {
        b.reloads.track();
        let url = api::url("/api/v1/assessment/budget", &[("year", &year.get())]);
        spawn_local(async move { ledger.set(Some(api::get::<Value>(&url).await)) });
    });
    let on_submit = submit(move |ev| {
        let v = values(&ev);
        let optional = |k: &str| Some(field(&v, k)).filter(|s| !s.is_empty());
        let body = json!({
            "year": year.get_untracked().parse::<i32>().unwrap_or(0),
            "kind": field(&v, "kind"), "item": field(&v, "item"), "amount": field(&v, "amount"),
            "source": optional("source"), "dated": field(&v, "dated"), "note": optional("note"),
        });
        send(b, "/api/v1/assessment/budget", body, message, error, |_| "已记入一笔账。".to_owned());
    });
    view! {
        <section id="budget-ledger">
            <div class="row">{year_picker("budget-year", year)}</div>
            <div inner_html=markup(move || ledger.with(|l| answer_html(l, "budget-ledger", "加载中…", "", ledger_html)))></div>
            {form("budget", markup(line_fields), click(|_| {}), on_submit, message, error)}
        </section>
    }
}
