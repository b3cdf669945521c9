//! 回访 — the call-back desk (`GET /api/v1/callbacks`): closed events due a call-back, each
//! recorded in two clicks (`POST /api/v1/events/{id}/followups`): 已接通 then the resident's
//! level (很满意, 基本满意, 不满意, 很不满意), or 未接通 (an attempt, the row stays). A reached
//! call-back takes its row off the desk; its answer (and 已重新打开 when 不满意 or 很不满意
//! reopened the event) stays listed under 本次已回访.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::dispute::Level;
use wangge_core::wire::Paged;

use super::{own_township, pages, text, ui, TownshipSelect, PER_PAGE};
use crate::app::{shared, Page};
use crate::{api, labels};

/// A closed event due a call-back, as the desk answers it (`event_id`, `category`,
/// `description`, `closed_at`, `township`, `reporter_phone` masked, `attempts`).
#[derive(Debug, Clone, PartialEq)]
struct Due {
    event_id: String,
    attempts: u64,
    item: Value,
}

impl Due {
    fn of(item: Value) -> Self {
        Self { event_id: text(&item, "event_id"), attempts: item.get("attempts").and_then(Value::as_u64).unwrap_or(0), item }
    }
}

/// A call-back recorded from this desk since it was opened.
#[derive(Debug, Clone, PartialEq)]
struct Done {
    event_id: String,
    level: Option<&'static str>,
    reopened: bool,
    state: String,
}

/// The desk: the period and township, the due events and what was recorded.
#[component]
pub fn CallbackDesk() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let township = RwSignal::new(own_township());
    let page = RwSignal::new(1_u32);
    let items = RwSignal::new(Vec::<Due>::new());
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
                    items.set(p.items.into_iter().map(Due::of).collect());
                }
                Err(e) => error.set(e),
            }
        });
    });
    let count = move || total.get().unwrap_or(0);
    // A reached call-back leaves the desk; an unreached one counts an attempt.
    let recorded = Callback::new(move |(d, attempt): (Done, bool)| {
        if attempt {
            items.update(|list| list.iter_mut().filter(|x| x.event_id == d.event_id).for_each(|x| x.attempts += 1));
        } else {
            items.update(|list| list.retain(|x| x.event_id != d.event_id));
            total.update(|t| *t = t.map(|n| n - 1));
        }
        done.update(|list| list.insert(0, d));
    });
    let date = move |id: &'static str, v: RwSignal<String>| {
        view! { <input id=id type="date" prop:value=move || v.get() on:change=move |ev| { v.set(event_target_value(&ev)); page.set(1); }/> }
    };
    view! {
        <h2>"回访"</h2>
        <section id="callback-desk">
            <div class="filters">
                <div class="row">
                    <label>"办结自" {date("callback-from", from)}</label>
                    <label>"至" {date("callback-to", to)}</label>
                    <TownshipSelect id="callback-township" value=township/>
                </div>
                <p class="note">"默认列出近 30 天办结、按规则应回访的事件：矛盾纠纷、问题隐患全部回访，其余按比例抽样。"</p>
            </div>
            <div class:hidden=move || done.with(Vec::is_empty) inner_html=move || done.with(|d| done_html(d))></div>
            <p class="error" id="callback-error">{move || error.get()}</p>
            <p class="note" id="callback-total">{move || total.get().map_or_else(|| "加载中…".to_owned(), |n| format!("待回访 {n} 件"))}</p>
            <ul class="queue callbacks" id="callback-list">
                <For each=move || items.get() key=|d| (d.event_id.clone(), d.attempts) let:due>
                    <CallbackRow due on_recorded=recorded/>
                </For>
            </ul>
            {ui::pager("callback", page, Signal::derive(move || pages(count())))}
        </section>
    }
}

/// The call-backs recorded here, newest first, as HTML.
fn done_html(done: &[Done]) -> String {
    let mut html = String::from("<h3>本次已回访</h3><ul class=\"followups\" id=\"callback-done\">");
    for d in done {
        let level = d.level.unwrap_or("未接通");
        let reopened = if d.reopened { " · <span class=\"overdue-flag callback-reopened\">已重新打开</span>" } else { "" };
        let state = wangge_core::event::State::parse(&d.state).map(|s| format!(" · 事件{}", labels::state(s))).unwrap_or_default();
        html.push_str(&format!(
            "<li data-event-id=\"{id}\" data-level=\"{level}\" data-reopened=\"{}\"><b>{id}</b> · <span class=\"callback-level\">{level}</span>{reopened}{state}</li>",
            d.reopened,
            id = ui::esc(&d.event_id),
        ));
    }
    html + "</ul>"
}

/// One due event: its facts, an optional note, 已接通 / 未接通, then the level.
#[component]
fn CallbackRow(due: Due, on_recorded: Callback<(Done, bool)>) -> impl IntoView {
    let s = shared();
    let reached = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let id = StoredValue::new(due.event_id.clone());
    let send = move |level: Option<Level>| {
        let event_id = id.get_value();
        let mut body = json!({"reached": level.is_some()});
        if let Some(l) = level {
            body["level"] = json!(l.zh());
        }
        let n = note.get_untracked().trim().to_owned();
        if !n.is_empty() {
            body["note"] = json!(n);
        }
        let url = format!("/api/v1/events/{}/followups", api::segment(&event_id));
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::post::<Value>(&url, &body).await {
                Ok(r) => {
                    let state = r.pointer("/event/state").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let reopened = r.get("reopened").and_then(Value::as_bool).unwrap_or(false);
                    let d = Done { event_id, level: level.map(Level::zh), reopened, state };
                    reached.set(false);
                    on_recorded.run((d, level.is_none()));
                }
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    let v = &due.item;
    let category = labels::category_name(&text(v, "category")).to_owned();
    let description: String = text(v, "description").chars().take(60).collect();
    let place = super::township_name(&text(v, "township"));
    let phone = Some(text(v, "reporter_phone")).filter(|p| !p.is_empty()).unwrap_or_else(|| "—".to_owned());
    let attempts = if due.attempts > 0 { format!(" <span class=\"note callback-attempts\">已拨 {} 次未接通</span>", due.attempts) } else { String::new() };
    let facts = format!(
        "<div><span class=\"tag\">{category}</span><b class=\"callback-event\">{}</b> <span class=\"note\">电话 {}</span>{attempts}</div><div class=\"note\">{category} · {} · 办结 {}</div><div>{}</div>",
        ui::esc(&due.event_id),
        ui::esc(&phone),
        ui::esc(&place),
        labels::time(&text(v, "closed_at")),
        ui::esc(&description),
    );
    // A click on the event's id opens it in the console.
    let open = move |ev: web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        let on_id = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| e.class_name() == "callback-event");
        if on_id && s.console {
            s.page.set(Page::Dispatch);
            s.selected_event.set(Some(id.get_value()));
        }
    };
    view! {
        <li class="q callback" data-event-id=due.event_id.clone() data-attempts=due.attempts>
            <div inner_html=facts on:click=open></div>
            <fieldset class="callback-actions" prop:disabled=move || busy.get()>
                <input class="callback-note" type="text" placeholder="回访备注（可空）" prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))/>
                {move || if reached.get() {
                    view! {
                        <span class="levels">
                            {Level::ALL.into_iter().map(|l| view! {
                                <button class=format!("level level-{}", if l.satisfied() { "good" } else { "bad" }) data-level=l.zh()
                                    on:click=move |_| send(Some(l))>{l.zh()}</button>
                            }).collect_view()}
                            <button class="link" data-step="back" on:click=move |_| reached.set(false)>"返回"</button>
                        </span>
                    }.into_any()
                } else {
                    view! {
                        <span class="reach">
                            <button data-reached="true" on:click=move |_| reached.set(true)>"已接通"</button>
                            <button data-reached="false" on:click=move |_| send(None)>"未接通"</button>
                        </span>
                    }.into_any()
                }}
            </fieldset>
            <p class="error">{move || error.get()}</p>
        </li>
    }
}
