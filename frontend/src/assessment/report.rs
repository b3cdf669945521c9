//! 自评报告 — the county's self-evaluation of a year (`GET /api/v1/assessment/self-evaluation`),
//! print-ready: the total and grade, the sections' scores as bars, the basic figures (grids,
//! people, events, budget) and each section's indicators; the report as Word (`.docx`) and the
//! indicator sheet as Excel (`.xlsx`), and 打印 (the print stylesheet leaves the page alone).
//! It needs a county-wide grant: anyone else is shown the service's reason.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::league::{list, year_select};
use super::{answer_html, basis, change, click, decimal, markup, frozen_text, measured, num, points, this_year, yuan};
use crate::api;
use crate::disputes::text;
use crate::disputes::ui::{esc, kpis, values};

/// The sections' scores as horizontal bars (`<svg id="self-evaluation-bars">`).
fn bars(sections: &[Value]) -> String {
    const ROW: f64 = 28.0;
    const LABEL: f64 = 80.0;
    const BAR: f64 = 400.0;
    #[allow(clippy::cast_precision_loss)]
    let height = ROW * sections.len() as f64 + 8.0;
    let mut out = format!("<svg id=\"self-evaluation-bars\" class=\"bars\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"各部分得分\">", w = LABEL + BAR + 90.0);
    for (i, s) in sections.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = 4.0 + ROW * i as f64;
        let (score, max) = (num(s, "score").unwrap_or(0.0), num(s, "max").unwrap_or(0.0));
        let width = if max > 0.0 { BAR * (score / max).clamp(0.0, 1.0) } else { 0.0 };
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{name}</text><rect class=\"track\" x=\"{LABEL}\" y=\"{y}\" width=\"{BAR}\" height=\"18\"/><rect class=\"bar\" x=\"{LABEL}\" y=\"{y}\" width=\"{width:.1}\" height=\"18\"/><text x=\"{tx}\" y=\"{ty}\">{} / {}</text>",
            points(num(s, "score")),
            decimal(max),
            x = LABEL - 6.0,
            ty = y + 14.0,
            tx = LABEL + BAR + 6.0,
            name = esc(&text(s, "name")),
        ));
    }
    out + "</svg>"
}

/// A count of the figures (`—` when absent).
fn count(f: &Value, pointer: &str) -> String {
    f.pointer(pointer).and_then(Value::as_f64).map_or_else(|| "—".to_owned(), decimal)
}

/// 基本情况: grids, people, events and the budget as tables of figures.
fn figures_html(f: &Value) -> String {
    let rows: [(&str, String); 13] = [
        ("网格（城镇社区 / 农村）", format!("{}（{} / {}）", count(f, "/grids/codes"), count(f, "/grids/community"), count(f, "/grids/rural"))),
        ("专属网格", count(f, "/grids/street_units")),
        ("专职网格员", count(f, "/people/gridworkers")),
        ("网格长", count(f, "/people/grid_leaders")),
        ("网格指导员", count(f, "/people/liaison_instructors")),
        ("志愿者", count(f, "/people/volunteers")),
        ("上报事件", count(f, "/events/reported")),
        ("办结事件（办结率）", format!("{}（{}）", count(f, "/events/closed"), f.pointer("/events/closure_rate_percent").and_then(Value::as_f64).map_or_else(|| "无数据".to_owned(), |p| format!("{}%", decimal(p))))),
        ("民生服务 / 问题隐患 / 矛盾纠纷 / 其他", format!("{} / {} / {} / {}", count(f, "/events/livelihood"), count(f, "/events/hazard"), count(f, "/events/dispute"), count(f, "/events/other"))),
        ("回访接通 / 满意", format!("{} / {}", count(f, "/events/reached"), count(f, "/events/satisfied"))),
        ("年度预算（元）", f.pointer("/budget/budget_yuan").and_then(Value::as_f64).map_or_else(|| "—".to_owned(), yuan)),
        ("已支出（元）", f.pointer("/budget/spent_yuan").and_then(Value::as_f64).map_or_else(|| "—".to_owned(), yuan)),
        ("预算执行率", crate::labels::rate(f.pointer("/budget/execution_rate").and_then(Value::as_f64))),
    ];
    let mut html = String::from("<table id=\"self-evaluation-figures\" class=\"ledger figures\"><tbody>");
    for (label, value) in rows {
        html.push_str(&format!("<tr><th>{label}</th><td>{}</td></tr>", esc(&value)));
    }
    let sources = text(f.get("budget").unwrap_or(&Value::Null), "sources");
    if !sources.is_empty() {
        html.push_str(&format!("<tr><th>资金来源</th><td>{}</td></tr>", esc(&sources)));
    }
    html + "</tbody></table>"
}

/// Each section's indicators: code, name, measured, basis, points of the maximum, the note.
fn sections_html(sections: &[Value]) -> String {
    let mut html = String::new();
    for s in sections {
        html.push_str(&format!(
            "<h4>{}（{} / {} 分）</h4><table class=\"ledger indicators-sheet\"><thead><tr><th>编号</th><th>指标</th><th>实际值</th><th>依据</th><th>得分</th><th>满分</th><th>说明</th></tr></thead><tbody>",
            esc(&text(s, "name")),
            points(num(s, "score")),
            decimal(num(s, "max").unwrap_or(0.0)),
        ));
        for i in list(s, "indicators") {
            let measure = text(&i, "measure");
            html.push_str(&format!(
                "<tr id=\"self-evaluation-{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td></tr>",
                esc(&text(&i, "code")),
                esc(&text(&i, "name")),
                esc(&measured(&measure, num(&i, "measured"))),
                esc(&basis(&measure, &i)),
                points(num(&i, "points")),
                decimal(num(&i, "max").unwrap_or(0.0)),
                esc(&text(&i, "note")),
            ));
        }
        html.push_str("</tbody></table>");
    }
    html
}

/// The whole report as markup.
fn report_html(r: &Value) -> String {
    let sections = list(r, "sections");
    let unscored = num(r, "unscored").unwrap_or(0.0);
    [
        format!("<div id=\"self-evaluation-body\" data-year=\"{0}\"><h2 class=\"report-title\">怀来县 {0} 年度网格化服务管理项目绩效自评报告</h2>", esc(&text(r, "year"))),
        kpis(&[
            ("自评总分", "self-evaluation-total", points(num(r, "total"))),
            ("等级", "self-evaluation-grade", text(r, "grade")),
            ("无数据分值", "self-evaluation-unscored", decimal(unscored)),
            ("状态", "self-evaluation-frozen", frozen_text(r.get("frozen"))),
        ]),
        "<h3>各部分得分</h3>".to_owned(),
        bars(&sections),
        "<h3>一、基本情况</h3>".to_owned(),
        figures_html(r.get("figures").unwrap_or(&Value::Null)),
        "<h3>二、指标体系及得分</h3>".to_owned(),
        sections_html(&sections),
        "</div>".to_owned(),
    ]
    .concat()
}

/// The year picker, downloads, 打印 and the report.
#[component]
pub fn SelfEvaluation() -> impl IntoView {
    let year = RwSignal::new((this_year() - 1).max(2023).to_string());
    let answer = RwSignal::new(None::<Result<Value, String>>);
    Effect::new(move |_| {
        let url = api::url("/api/v1/assessment/self-evaluation", &[("year", &year.get())]);
        answer.set(None);
        spawn_local(async move { answer.set(Some(api::get::<Value>(&url).await)) });
    });
    let actions = markup(move || {
        let y = year.get();
        let link = |ext: &str, label: &str| {
            format!("<a class=\"button\" id=\"self-evaluation-{ext}\" href=\"{}\" download=\"\">{label}</a>", api::url(&format!("/api/v1/assessment/self-evaluation.{ext}"), &[("year", &y)]))
        };
        [
            format!("<label>年度 {}</label>", year_select("self-evaluation-year", &y)),
            link("docx", "下载 Word（.docx）"),
            link("xlsx", "下载 Excel（.xlsx）"),
            "<button id=\"self-evaluation-print\">打印</button>".to_owned(),
        ]
        .concat()
    });
    let on_change = change(move |ev| {
        if let Some(y) = values(&ev).get("year").and_then(Value::as_str) {
            year.set(y.to_owned());
        }
    });
    let on_click = click(move |ev| {
        use wasm_bindgen::JsCast;
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        if target.is_some_and(|t| t.id() == "self-evaluation-print") {
            let _ = window().print();
        }
    });
    let report = markup(move || answer.with(|a| answer_html(a, "self-evaluation", "正在按记录计算自评得分…", "无法查看自评报告（需全县范围的考评权限）：", report_html)));
    view! {
        <section id="self-evaluation" class="report">
            <div class="row no-print report-actions" on:change=on_change on:click=on_click inner_html=actions></div>
            <div inner_html=report></div>
        </section>
    }
}
