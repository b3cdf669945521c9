//! 回访 — the call-back desk (`GET /api/v1/callbacks`): closed events due a call-back, each
//! recorded in two clicks (`POST /api/v1/events/{id}/followups`): 已接通 then the resident's
//! level (很满意, 基本满意, 不满意, 很不满意), or 未接通 (an attempt, the row stays). A reached
//! call-back takes its row off the desk; its answer (and 已重新打开 when 不满意 or 很不满意
//! reopened the event) stays listed under 本次已回访.
//!
//! The rows are written as markup and the desk listens once for their buttons (the app's wasm
//! stays within its size budget).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::dispute::Level;
use wangge_core::wire::Paged;

use super::ui::esc;
use super::ui::markup as m;
use super::{own_township, pages, text, ui, PER_PAGE};
use crate::app::{shared, Page};
use crate::{api, labels};

/// A call-back recorded from this desk since it was opened.
#[derive(Debug, Clone, PartialEq)]
struct Done {
    event_id: String,
    level: Option<Level>,
    reopened: bool,
    state: String,
}

/// A due event as a row (`event_id`, `category`, `description`, `closed_at`, `township`,
/// `reporter_phone` masked, `attempts`), with its note and buttons.
fn row_html(v: &Value) -> String {
    let id = esc(&text(v, "event_id"));
    let category = labels::category_name(&text(v, "category")).to_owned();
    let description: String = text(v, "description").chars().take(60).collect();
    let phone = Some(text(v, "reporter_phone")).filter(|p| !p.is_empty()).unwrap_or_else(|| "—".to_owned());
    let attempts = v.get("attempts").and_then(Value::as_u64).unwrap_or(0);
    let tried = if attempts > 0 { format!(" <span class=\"note callback-attempts\">已拨 {attempts} 次未接通</span>") } else { String::new() };
    let levels: String = Level::ALL
        .iter()
        .map(|l| format!("<button type=\"button\" class=\"level level-{}\" data-level=\"{}\">{}</button>", if l.satisfied() { "good" } else { "bad" }, l.zh(), l.zh()))
        .collect();
    format!(
        "<li class=\"q callback\" data-event-id=\"{id}\" data-attempts=\"{attempts}\">\
         <div><span class=\"tag\">{category}</span><button type=\"button\" class=\"link callback-event\" data-open=\"{id}\">{id}</button> \
         <span class=\"note\">电话 {}</span>{tried}</div>\
         <div class=\"note\">{category} · {} · 办结 {}</div><div>{}</div>\
         <div class=\"callback-actions\"><input class=\"callback-note\" type=\"text\" placeholder=\"回访备注（可空）\">\
         <span class=\"reach\"><button type=\"button\" data-reached=\"true\">已接通</button><button type=\"button\" data-reached=\"false\">未接通</button></span>\
         <span class=\"levels\">{levels}<button type=\"button\" class=\"link\" data-step=\"back\">返回</button></span></div></li>",
        esc(&phone),
        esc(&super::township_name(&text(v, "township"))),
        labels::time(&text(v, "closed_at")),
        esc(&description),
    )
}

/// The call-backs recorded here, newest first, as HTML.
fn done_html(done: &[Done]) -> String {
    let mut html = String::from("<h3>本次已回访</h3><ul class=\"followups\" id=\"callback-done\">");
    for d in done {
        let level = d.level.map_or("未接通", Level::zh);
        let reopened = if d.reopened { " · <span class=\"overdue-flag callback-reopened\">已重新打开</span>" } else { "" };
        let state = wangge_core::event::State::parse(&d.state).map(|s| format!(" · 事件{}", labels::state(s))).unwrap_or_default();
        html.push_str(&format!(
            "<li data-event-id=\"{id}\" data-level=\"{level}\" data-reopened=\"{}\"><b>{id}</b> · <span class=\"callback-level\">{level}</span>{reopened}{state}</li>",
            d.reopened,
            id = esc(&d.event_id),
        ));
    }
    html + "</ul>"
}

/// What a click on the desk asks for.
#[derive(Debug)]
enum Click {
    /// Open the event in the console.
    Open(String),
    /// 已接通: show the levels (true) or 返回 (false).
    Reached(web_sys::Element, bool),
    /// Record a call-back: the event, the level (`None`: not reached), the note.
    Record(String, Option<Level>, String),
}

/// The button clicked and its row.
fn click(ev: &web_sys::Event) -> Option<Click> {
    use wasm_bindgen::JsCast;
    let button = ev.target()?.dyn_into::<web_sys::Element>().ok()?.closest("button").ok()??;
    let row = button.closest("li[data-event-id]").ok()??;
    let id = row.get_attribute("data-event-id")?;
    let note = || {
        let input = row.query_selector(".callback-note").ok().flatten();
        input.and_then(|i| js_sys::Reflect::get(&i, &"value".into()).ok()).and_then(|v| v.as_string()).unwrap_or_default().trim().to_owned()
    };
    if button.has_attribute("data-open") {
        Some(Click::Open(id))
    } else if let Some(level) = button.get_attribute("data-level") {
        Level::parse(&level).map(|l| Click::Record(id, Some(l), note()))
    } else if button.get_attribute("data-step").as_deref() == Some("back") {
        Some(Click::Reached(row, false))
    } else {
        match button.get_attribute("data-reached").as_deref() {
            Some("true") => Some(Click::Reached(row, true)),
            Some("false") => Some(Click::Record(id, None, note())),
            _ => None,
        }
    }
}

/// The desk: the period and township, the due events and what was recorded.
#[component]
pub fn CallbackDesk() -> impl IntoView {
    let s = shared();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let township = RwSignal::new(own_township());
    let page = RwSignal::new(1_u32);
    let items = RwSignal::new(Vec::<Value>::new());
    let total = RwSignal::new(None::<i64>);
    let error = RwSignal::new(String::new());
    let done = RwSignal::new(Vec::<Done>::new());
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let (p, per_page) = (page.get().to_string(), PER_PAGE.to_string());
        let url = api::url(
            "/api/v1/callbacks",
            &[("from", &from.get()), ("to", &to.get()), ("township", &township.get()), ("page", &p), ("per_page", &per_page)],
        );
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let got = api::get::<Paged<Value>>(&url).await;
            // Only the answer to the latest question is shown.
            if asked.get_value() != n {
                return;
            }
            match got {
                Ok(p) => {
                    error.set(String::new());
                    total.set(Some(p.total));
                    items.set(p.items);
                }
                Err(e) => error.set(e),
            }
        });
    });
    let count = move || total.get().unwrap_or(0);
    // Another period or township starts from its first page.
    Effect::new(move |_| {
        from.track();
        to.track();
        township.track();
        if page.get_untracked() != 1 {
            page.set(1);
        }
    });
    let record = move |event_id: String, level: Option<Level>, note: String| {
        let mut body = json!({"reached": level.is_some()});
        if let Some(l) = level {
            body["level"] = json!(l.zh());
        }
        if !note.is_empty() {
            body["note"] = json!(note);
        }
        let url = format!("/api/v1/events/{}/followups", api::segment(&event_id));
        error.set(String::new());
        spawn_local(async move {
            match api::post::<Value>(&url, &body).await {
                Ok(r) => {
                    let state = r.pointer("/event/state").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let reopened = r.get("reopened").and_then(Value::as_bool).unwrap_or(false);
                    let mine = |v: &Value| text(v, "event_id") == event_id;
                    if level.is_some() {
                        // Reached: off the desk.
                        items.update(|list| list.retain(|v| !mine(v)));
                        total.update(|t| *t = t.map(|n| n - 1));
                    } else {
                        let bump = |v: &mut Value| v["attempts"] = json!(v.get("attempts").and_then(Value::as_u64).unwrap_or(0) + 1);
                        items.update(|list| list.iter_mut().filter(|v| mine(v)).for_each(bump));
                    }
                    done.update(|list| list.insert(0, Done { event_id, level, reopened, state }));
                }
                Err(e) => error.set(format!("{event_id}：{e}")),
            }
        });
    };
    let on_click = move |ev: web_sys::MouseEvent| match click(&ev) {
        Some(Click::Open(id)) if s.console => {
            s.page.set(Page::Dispatch);
            s.selected_event.set(Some(id));
        }
        Some(Click::Reached(row, on)) => {
            let class = row.class_name().replace(" reached", "");
            row.set_class_name(&if on { class + " reached" } else { class });
        }
        Some(Click::Record(id, level, note)) => record(id, level, note),
        _ => {}
    };
    view! {
        <h2>"回访"</h2>
        <section id="callback-desk">
            <div class="filters">
                <div class="row" on:change=move |ev| {
                    let v = ui::values(&ev);
                    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                    from.set(field("from"));
                    to.set(field("to"));
                    township.set(field("township"));
                } inner_html=move || s.townships.with(|t| [
                    m::labelled("办结自", &m::input("callback-from", "from", "date", "", "")),
                    m::labelled("至", &m::input("callback-to", "to", "date", "", "")),
                    m::townships("callback-township", t, &own_township(), &township.get_untracked(), "全县"),
                ].concat())></div>
                <p class="note">"默认列出近 30 天办结、按规则应回访的事件：矛盾纠纷、问题隐患全部回访，其余按比例抽样。"</p>
            </div>
            <div class:hidden=move || done.with(Vec::is_empty) inner_html=move || done.with(|d| done_html(d))></div>
            <p class="error" id="callback-error">{move || error.get()}</p>
            <p class="note" id="callback-total">{move || total.get().map_or_else(|| "加载中…".to_owned(), |n| format!("待回访 {n} 件"))}</p>
            <ul class="queue callbacks" id="callback-list" on:click=on_click
                inner_html=move || items.with(|list| list.iter().map(row_html).collect::<String>())></ul>
            {ui::pager("callback", page, Signal::derive(move || pages(count())))}
        </section>
    }
}
