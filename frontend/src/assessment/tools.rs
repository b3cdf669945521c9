//! 考评管理 — the assessor's tools (`assess`): the scheme editor, manual scores of the `manual`
//! indicators (`POST /api/v1/assessment/manual`), freezing a period's table or recomputing a
//! frozen one with a reason (`POST /api/v1/assessment/freeze`), and the budget ledger.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};

use super::budget::BudgetLedger;
use super::league::{list, options};
use super::scheme::SchemeEditor;
use super::{answer_html, click, decimal, flag, form, level_name, markup, part, send, submit, tab, Board, LEVELS};
use crate::api;
use crate::disputes::text;
use crate::disputes::ui::{esc, markup as m, values};

/// The tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Scheme,
    Manual,
    Freeze,
    Budget,
}

impl Tool {
    const ALL: [Tool; 4] = [Self::Scheme, Self::Manual, Self::Freeze, Self::Budget];

    fn label(self) -> &'static str {
        match self {
            Self::Scheme => "指标体系",
            Self::Manual => "人工评分",
            Self::Freeze => "冻结与重算",
            Self::Budget => "一笔账",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Scheme => "scheme",
            Self::Manual => "manual",
            Self::Freeze => "freeze",
            Self::Budget => "budget",
        }
    }
}

/// The tool switch and the tool shown.
#[component]
pub fn Tools() -> impl IntoView {
    let tool = RwSignal::new(Tool::Scheme);
    view! {
        <nav class="kinds" id="assessment-tools">
            {Tool::ALL.into_iter().map(|t| tab(format!("tool-{}", t.slug()), t.label(), flag(move || tool.get() == t), click(move |_| tool.set(t)))).collect_view()}
        </nav>
        {part(move || match tool.get() {
            Tool::Scheme => SchemeEditor().into_any(),
            Tool::Manual => ManualScore().into_any(),
            Tool::Freeze => Freeze().into_any(),
            Tool::Budget => BudgetLedger().into_any(),
        })}
    }
}

/// A text field of a form's values.
pub fn field(v: &Map<String, Value>, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The manual indicators of a scheme answer as (`code|level`, label) choices.
fn manual_choices(scheme: &Value) -> Vec<(String, String)> {
    let indicators = scheme.get("scheme").map(|s| list(s, "indicators")).unwrap_or_default();
    indicators
        .iter()
        .filter(|i| text(i, "measure") == "manual")
        .map(|i| {
            let level = text(i, "level");
            (format!("{}|{level}", text(i, "code")), format!("{} {}（{}，满分 {}）", text(i, "code"), text(i, "name"), level_name(&level), decimal(i.get("max").and_then(Value::as_f64).unwrap_or(0.0))))
        })
        .collect()
}

/// The manual score form's fields, prefilled from the board (its period, the unit open).
fn manual_fields(b: Board, choices: &[(String, String)]) -> String {
    let open = b.open.with_untracked(|o| o.as_ref().map(|i| (text(i, "unit"), text(i, "level"), text(i, "period"))));
    let period = open.as_ref().map_or_else(|| b.period_now(), |(_, _, p)| p.clone());
    let chosen = open.as_ref().and_then(|(_, level, _)| choices.iter().find(|(c, _)| c.ends_with(&format!("|{level}")))).map(|(c, _)| c.clone()).unwrap_or_default();
    let units: String = b.table.with_untracked(|t| {
        let items = t.as_ref().and_then(|(_, r)| r.as_ref().ok()).map(|a| list(a, "items")).unwrap_or_default();
        items.iter().map(|i| format!("<option value=\"{}\">{}</option>", esc(&text(i, "unit")), esc(&text(i, "name")))).collect()
    });
    [
        m::row(&[
            m::labelled("期间", &m::input("manual-period", "period", "text", "2023-Q4", &period)),
            m::labelled("指标", &options("manual-indicator", "indicator", choices.iter().map(|(c, l)| (c.as_str(), l.as_str())), &chosen)),
        ]),
        m::row(&[
            m::labelled("单位", &format!("{}<datalist id=\"manual-units\">{units}</datalist>", m::input("manual-unit", "unit", "text", "乡镇或村代码、网格员编号", &open.map(|(u, _, _)| u).unwrap_or_default()).replace("<input ", "<input list=\"manual-units\" "))),
            m::labelled("得分", &m::input("manual-points", "points", "number", "0", "").replace("type=\"number\"", "type=\"number\" step=\"0.01\" min=\"0\"")),
        ]),
        m::area("manual-evidence", "evidence", "评分依据（台账检查、实地测评情况）", ""),
    ]
    .concat()
}

/// 人工评分: a manual indicator's points for a unit and period, with the evidence.
#[component]
fn ManualScore() -> impl IntoView {
    let b = expect_context::<Board>();
    let scheme = RwSignal::new(None::<Result<Value, String>>);
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let url = format!("/api/v1/assessment/schemes/{}", b.year.get_untracked());
    spawn_local(async move { scheme.set(Some(api::get::<Value>(&url).await)) });
    let on_submit = submit(move |ev| {
        let v = values(&ev);
        let (code, level) = field(&v, "indicator").split_once('|').map(|(c, l)| (c.to_owned(), l.to_owned())).unwrap_or_default();
        let Ok(points) = field(&v, "points").parse::<f64>() else {
            error.set("得分须为数字。".to_owned());
            return;
        };
        let body = json!({"period": field(&v, "period"), "level": level, "unit": field(&v, "unit"), "indicator": code, "points": points, "evidence": field(&v, "evidence")});
        send(b, "/api/v1/assessment/manual", body, message, error, manual_words);
    });
    let fields = markup(move || {
        let note = "<p class=\"note\">只有按“人工评分”计分的指标（台账管理、实地测评等）在此录入；已冻结的期间须先重新计算。</p>";
        let shown = scheme.with(|s| answer_html(s, "manual-scheme", "加载中…", "", |s| manual_fields(b, &manual_choices(s))));
        format!("{note}{shown}<div class=\"row\"><button id=\"manual-submit\" type=\"submit\">保存评分</button></div>")
    });
    form("manual", fields, click(|_| {}), on_submit, message, error)
}

/// A manual score recorded, in words.
fn manual_words(r: &Value) -> String {
    format!(
        "已记录：{} {} {} 的 {} 得 {} 分。",
        text(r, "period"),
        level_name(&text(r, "level")),
        text(r, "unit"),
        text(r, "indicator"),
        decimal(r.get("points").and_then(Value::as_f64).unwrap_or(0.0))
    )
}

/// The freeze answer in words.
fn frozen_words(r: &Value) -> String {
    let scheme = r.get("scheme").cloned().unwrap_or(Value::Null);
    let replaced = Some(text(r, "replaced")).filter(|t| !t.is_empty()).map(|t| format!("，替换了 {} 的冻结结果", crate::labels::time(&t))).unwrap_or_default();
    let moves = r.get("career_moves").and_then(Value::as_u64).filter(|n| *n > 0).map(|n| format!("，记录网格员履职变动 {n} 条")).unwrap_or_default();
    format!(
        "已冻结{} {}：{} 个单位，{} 年指标体系第 {} 版{replaced}{moves}。",
        level_name(&text(r, "level")),
        text(r, "period"),
        text(r, "units"),
        text(&scheme, "year"),
        text(&scheme, "version")
    )
}

/// 冻结与重算: freezes an ended period's table; 重新计算 replaces a frozen one, with a reason.
#[component]
fn Freeze() -> impl IntoView {
    let b = expect_context::<Board>();
    let recompute = RwSignal::new(false);
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let fields = [
        "<p class=\"note\">冻结已结束期间的考评结果（连同所用指标体系版本），此后按冻结结果查询；已冻结的期间只能重新计算并注明原因。</p>".to_owned(),
        m::row(&[
            m::labelled("层级", &options("freeze-level", "level", LEVELS, b.level.get_untracked().wire())),
            m::labelled("期间", &m::input("freeze-period", "period", "text", "2023-Q4", &b.period_now())),
            m::labelled("重算原因", &m::input("freeze-reason", "reason", "text", "重新计算时必填", "")),
        ]),
        "<div class=\"row\"><button id=\"freeze-submit\" type=\"submit\">冻结</button><button id=\"freeze-recompute\" type=\"submit\">重新计算并冻结</button></div>".to_owned(),
    ]
    .concat();
    let on_submit = submit(move |ev| {
        let v = values(&ev);
        let again = recompute.get_untracked();
        let reason = field(&v, "reason");
        if again && reason.is_empty() {
            error.set("重新计算须填写原因。".to_owned());
            return;
        }
        let mut body = json!({"level": field(&v, "level"), "period": field(&v, "period"), "recompute": again});
        if again {
            body["reason"] = json!(reason);
        }
        send(b, "/api/v1/assessment/freeze", body, message, error, frozen_words);
    });
    // Which button submits: 冻结, or 重新计算 (with its reason).
    let on_click = click(move |ev| {
        use wasm_bindgen::JsCast;
        if let Some(t) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            recompute.set(t.id() == "freeze-recompute");
        }
    });
    form("freeze", markup(move || fields.clone()), on_click, on_submit, message, error)
}
