//! 任务 — the events I hold (to verify, or to handle), with their 1-3-5 countdowns
//! (`GET /api/v1/events?holder=<me>`, kept by the service worker for offline use), and my
//! actions on them: 核实, 就地解决 with photos as evidence, 上报 with a reason, 退单 with a
//! reason — each queued as a transition (`POST /api/v1/events/{id}/transitions`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};
use wangge_core::event::State;
use wangge_core::wire::{EventView, Paged};

use super::countdown::{countdown, unix_ms, urgent};
use super::queue::{Kind, NewItem};
use super::report::chosen_photos;
use super::{bridge, field};
use crate::{api, labels};

/// The states of the events a gridworker works on.
const OPEN: &str = "reported,assigned,accepted,returned";

/// My tasks' address (the service worker keeps its last answer for offline use).
pub fn url(person: &str) -> String {
    api::url("/api/v1/events", &[("holder", person), ("state", OPEN), ("per_page", "100")])
}

/// The deadline that counts now: to verify while not yet verified, else to finish.
fn deadline(e: &EventView) -> Option<(&'static str, f64)> {
    let d = e.deadlines.as_ref()?;
    if matches!(e.state, State::Reported | State::Assigned) {
        Some(("核实", unix_ms(&d.verify_by)?))
    } else {
        Some(("办结", unix_ms(&d.done_by)?))
    }
}

/// My tasks.
#[component]
pub fn Tasks() -> impl IntoView {
    let f = field();
    let tasks = RwSignal::new(Vec::<EventView>::new());
    let note = RwSignal::new("加载中…".to_owned());
    let open = RwSignal::new(None::<String>);
    let load = move || {
        let url = url(&f.person());
        spawn_local(async move {
            match api::get::<Paged<EventView>>(&url).await {
                Ok(page) => {
                    note.set(if page.items.is_empty() { "暂无待办任务。".to_owned() } else { String::new() });
                    tasks.set(page.items);
                }
                Err(e) => note.set(format!("任务加载失败：{e}")),
            }
        });
    };
    load();
    // Once actions leave the queue, the server's view of my tasks is asked for again.
    Effect::new(move |before: Option<usize>| {
        let waiting = f.pending.get().len();
        if before.is_some_and(|b| waiting < b) && f.online.get_untracked() {
            load();
        }
        waiting
    });
    let now = RwSignal::new(js_sys::Date::now());
    let tick = set_interval_with_handle(move || now.set(js_sys::Date::now()), std::time::Duration::from_secs(30)).ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });
    view! {
        <h2>"我的任务"</h2>
        <p class="note" id="tasks-note">{move || note.get()}</p>
        <ul class="f-list f-tasks" id="tasks">
            <For each=move || tasks.get() key=|e| (e.event_id.clone(), e.seq) let:e>
                {
                    let id = e.event_id.clone();
                    let id_open = id.clone();
                    let clock = deadline(&e);
                    let id_queued = id.clone();
                    let for_actions = e.clone();
                    let queued = move || f.pending.get().iter().any(|i| i.kind == Kind::Transition && i.label.contains(&id_queued));
                    view! {
                        <li data-id=e.event_id.clone() on:click=move |_| open.set(Some(id_open.clone()))>
                            <div><b>{e.event_id.clone()}</b>" "<span class="tag">{labels::state(e.state)}</span></div>
                            <div>{format!("{} · {}", labels::category(e.category), e.description.chars().take(40).collect::<String>())}</div>
                            {clock.map(|(what, at)| view! {
                                <div class="f-countdown" class:urgent=move || urgent(at, now.get())>
                                    {move || format!("{what}时限 {}", countdown(at, now.get()))}
                                </div>
                            })}
                            {move || queued().then(|| view! { <div class="note">"已处理，待上传"</div> })}
                            {move || (open.get().as_deref() == Some(id.as_str())).then(|| view! { <TaskActions event=for_actions.clone()/> })}
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// The actions on one task.
#[component]
fn TaskActions(event: EventView) -> impl IntoView {
    let f = field();
    let text = RwSignal::new(String::new());
    let photos = StoredValue::new_local(Vec::<web_sys::File>::new());
    let result = RwSignal::new(String::new());
    let id = StoredValue::new(event.event_id.clone());
    let act = move |action: &'static str, label: &'static str| {
        let words = text.get_untracked().trim().to_owned();
        let mut body = Map::new();
        body.insert("action".into(), json!(action));
        match action {
            "escalate" | "return" if words.is_empty() => {
                result.set(format!("{label}需要填写理由。"));
                return;
            }
            "escalate" | "return" => {
                body.insert("reason".into(), json!(words));
            }
            "resolve_on_spot" => {
                body.insert("note".into(), json!(if words.is_empty() { "已就地解决".to_owned() } else { words }));
            }
            _ => {}
        }
        let id = id.get_value();
        let url = format!("/api/v1/events/{}/transitions", api::segment(&id));
        let item = NewItem::new(bridge::uuid(), Kind::Transition, format!("{label} · {id}"), url, &Value::Object(body));
        let files = if action == "resolve_on_spot" { photos.get_value() } else { Vec::new() };
        spawn_local(async move {
            match f.enqueue(item, &files).await {
                Ok(()) => {
                    result.set(format!("已{label}，{}", if f.online.get_untracked() { "正在上传。" } else { "联网后自动上传。" }));
                    text.set(String::new());
                }
                Err(e) => result.set(format!("保存失败：{e}")),
            }
        });
    };
    let pick = move |ev: web_sys::Event| {
        let Some((_, checked)) = chosen_photos(&ev) else { return };
        match checked {
            Err(p) => result.set(p),
            Ok(files) => photos.set_value(files),
        }
    };
    let verify = matches!(event.state, State::Reported | State::Assigned);
    view! {
        <div class="f-task-actions" on:click=|ev| ev.stop_propagation()>
            <textarea id="task-text" rows="2" placeholder="理由 / 处理说明" prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <label class="f-photos">"现场照片（就地解决时作为凭证）"
                <input id="task-photos" type="file" accept="image/*" capture="environment" multiple=true on:change=pick/>
            </label>
            <div class="f-grid-buttons">
                {verify.then(|| view! { <button class="f-button" id="do-accept" on:click=move |_| act("accept", "核实")>"核实"</button> })}
                <button class="f-button" id="do-resolve" on:click=move |_| act("resolve_on_spot", "就地解决")>"就地解决"</button>
                <button class="f-button secondary" id="do-escalate" on:click=move |_| act("escalate", "上报")>"上报"</button>
                <button class="f-button secondary" id="do-return" on:click=move |_| act("return", "退单")>"退单"</button>
            </div>
            <p class="result" id="task-result">{move || result.get()}</p>
        </div>
    }
}
