//! One event in the console: where it is, who holds it, its deadlines and timeline
//! (`GET /api/v1/events/{id}`, `/timeline`), and the dispatcher's actions on it
//! (`POST /api/v1/events/{id}/transitions`: assign, escalate, return with a reason, close),
//! each shown only with its permission, and 登记纠纷案件 (a dispute case for the event); the
//! reporter's phone comes masked and is shown in full only on request
//! (`POST /api/v1/events/{id}/reveal`, audited).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};
use wangge_core::access::Permission;
use wangge_core::event::Tier;
use wangge_core::wire::{EventView, Paged, Revealed, Timeline, TimelineView};

use crate::app::shared;
use crate::disputes::register::CaseButton;
use crate::event_extras::{Duplicates, Photos};
use crate::{api, bridge, labels, session};

/// An event with what the panel shows beside it.
#[derive(Debug, Clone, PartialEq)]
struct Detail {
    event: EventView,
    timeline: Vec<TimelineView>,
    gridworkers: Vec<String>,
}

/// The selected event's panel.
#[component]
pub fn EventPanel(#[prop(into)] on_change: Callback<EventView>) -> impl IntoView {
    let s = shared();
    let detail = RwSignal::new(None::<Detail>);
    let error = RwSignal::new(String::new());
    let people = session::may(Permission::ReadPeople);

    let reload = move |id: String| {
        spawn_local(async move {
            match load(&id, people).await {
                Ok(d) => {
                    bridge::select_event(&d.event.event_id);
                    bridge::highlight_grid(&d.event.grid_code);
                    detail.set(Some(d));
                }
                Err(e) => {
                    detail.set(None);
                    error.set(e);
                }
            }
        });
    };
    Effect::new(move |_| {
        error.set(String::new());
        match s.selected_event.get() {
            Some(id) => reload(id),
            None => detail.set(None),
        }
    });

    view! {
        <section class="event panel" id="event-panel" class:hidden=move || s.selected_event.get().is_none()>
            <div class="panel-head">
                <b>"事件详情"</b>
                <button class="link" on:click=move |_| { s.selected_event.set(None); bridge::select_event(""); }>"关闭"</button>
            </div>
            <p class="error">{move || error.get()}</p>
            {move || detail.get().map(|d| view! {
                <Facts detail=d.clone()/>
                <Photos attachments=d.event.attachments.clone()/>
                <Duplicates event=d.event.clone() on_done=Callback::new(move |e: EventView| {
                    let id = e.event_id.clone();
                    on_change.run(e);
                    reload(id);
                })/>
                <CaseButton event_id=d.event.event_id.clone() description=d.event.description.clone()/>
                <Actions event=d.event.clone() on_done=Callback::new(move |e: EventView| {
                    let id = e.event_id.clone();
                    on_change.run(e);
                    reload(id);
                })/>
                <TimelineTable rows=d.timeline/>
            })}
        </section>
    }
}

/// The event, its timeline and (with `people`, the roster permission) its grid's gridworkers.
async fn load(id: &str, people: bool) -> Result<Detail, String> {
    let base = format!("/api/v1/events/{}", api::segment(id));
    let event: EventView = api::get(&base).await?;
    let timeline: Timeline = api::get(&format!("{base}/timeline")).await?;
    let url = api::url("/api/v1/people", &[("role", "gridworker"), ("grid", &event.grid_code)]);
    let gridworkers = if people {
        match api::get::<Paged<Value>>(&url).await {
            Ok(p) => p.items.iter().filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned)).collect(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    Ok(Detail { event, timeline: timeline.entries, gridworkers })
}

#[component]
fn Facts(detail: Detail) -> impl IntoView {
    let e = detail.event;
    let grid = format!("{}（{}）", bridge::feature_name("grids", &e.grid_code), e.grid_code);
    let place = format!(
        "{} · {}",
        bridge::feature_name("townships", &e.township_code),
        bridge::feature_name("villages", &e.village_code)
    );
    let workers = if detail.gridworkers.is_empty() { "—".to_owned() } else { detail.gridworkers.join("、") };
    let deadlines = e.deadlines.as_ref().map_or_else(
        || "—".to_owned(),
        |d| format!("核实 {} · 办结 {}", labels::time(&d.verify_by), labels::time(&d.done_by)),
    );
    let overdue = labels::overdue(e.overdue);
    view! {
        <h3 id="event-id">{e.event_id.clone()}</h3>
        <p>{e.description.clone()}</p>
        <dl class="facts">
            <dt>"类别"</dt><dd>{labels::category(e.category)}{e.subcategory.clone().map(|s| format!("（{s}）"))}</dd>
            <dt>"状态"</dt><dd id="event-state">{labels::state(e.state)}<span class="overdue-flag">{overdue}</span></dd>
            <dt>"网格"</dt><dd>{grid}</dd>
            <dt>"乡镇·村"</dt><dd>{place}</dd>
            <dt>"网格员"</dt><dd>{workers}</dd>
            <dt>"当前承办"</dt><dd id="event-holder">{labels::holder(e.holder.as_ref())}</dd>
            <dt>"时限"</dt><dd>{deadlines}</dd>
            <dt>"上报时间"</dt><dd>{labels::time(&e.reported_at)}</dd>
            <dt>"报告人"</dt><dd id="event-reporter">{e.reporter.name.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"电话"</dt><dd><Phone event_id=e.event_id.clone() masked=e.reporter.phone.clone()/></dd>
        </dl>
    }
}

/// The reporter's phone as the service gives it (masked), and 查看完整号码 for those who may
/// (`reveal_personal_data`; every reveal is audited).
#[component]
fn Phone(event_id: String, masked: Option<String>) -> impl IntoView {
    let may_reveal = session::may(Permission::RevealPersonalData) && masked.is_some();
    let shown = RwSignal::new(masked.unwrap_or_else(|| "—".to_owned()));
    let note = RwSignal::new(String::new());
    let reveal = move |_| {
        let url = format!("/api/v1/events/{}/reveal", api::segment(&event_id));
        note.set("查询中…".to_owned());
        spawn_local(async move {
            match api::post::<Revealed>(&url, &json!({"field": "reporter_phone"})).await {
                Ok(r) => {
                    shown.set(r.value);
                    note.set("（已记入审计日志）".to_owned());
                }
                Err(e) => note.set(e),
            }
        });
    };
    view! {
        <span id="event-phone">{move || shown.get()}</span>
        {may_reveal.then(|| view! { <button class="link" id="reveal-phone" on:click=reveal>"查看完整号码"</button> })}
        <span class="note" id="reveal-note">{move || note.get()}</span>
    }
}

#[component]
fn TimelineTable(rows: Vec<TimelineView>) -> impl IntoView {
    view! {
        <h3>"处置经过"</h3>
        <table class="timeline" id="timeline">
            <tr><th>"#"</th><th>"时间"</th><th>"操作"</th><th>"操作人"</th><th>"之后"</th><th>"说明"</th></tr>
            {rows.into_iter().map(|r| {
                let note = ["reason", "note"].iter()
                    .find_map(|k| r.payload.get(*k).and_then(Value::as_str))
                    .unwrap_or_default()
                    .to_owned();
                view! {
                    <tr data-action=r.action.clone()>
                        <td>{r.seq}</td><td>{labels::time(&r.at)}</td><td>{labels::action(&r.action).to_owned()}</td>
                        <td>{r.actor.clone()}</td>
                        <td>{format!("{} · {}", labels::state(r.state_after), labels::holder(r.holder.as_ref()))}</td>
                        <td>{note}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
    }
}

/// The actions the account may take, each a transition with the text typed in; who acts is
/// the signed-in account (the service takes it from the session).
#[component]
fn Actions(event: EventView, on_done: Callback<EventView>) -> impl IntoView {
    let me = session::me();
    let text = RwSignal::new(String::new());
    let to_tier = RwSignal::new(String::new());
    let to_id = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let id = StoredValue::new(event.event_id.clone());

    let act = move |action: &'static str| {
        let mut body = Map::new();
        body.insert("action".into(), json!(action));
        let words = text.get_untracked().trim().to_owned();
        match action {
            "escalate" | "return" => {
                body.insert("reason".into(), json!(words));
            }
            "close" | "handle" | "resolve_on_spot" => {
                body.insert("note".into(), json!(words));
            }
            _ => {}
        }
        let tier = to_tier.get_untracked();
        let who = to_id.get_untracked().trim().to_owned();
        if matches!(action, "escalate" | "assign") && !tier.is_empty() {
            let mut to = Map::new();
            to.insert("tier".into(), json!(tier));
            if !who.is_empty() {
                to.insert("id".into(), json!(who));
            }
            body.insert("to".into(), Value::Object(to));
        } else if action == "assign" {
            result.set("派遣需选择承办层级（及承办人编号）".to_owned());
            return;
        }
        let url = format!("/api/v1/events/{}/transitions", api::segment(&id.get_value()));
        busy.set(true);
        result.set("提交中…".to_owned());
        spawn_local(async move {
            match api::post::<EventView>(&url, &Value::Object(body)).await {
                Ok(after) => {
                    result.set(format!("已{}：{} · {}", labels::action(action), labels::state(after.state), labels::holder(after.holder.as_ref())));
                    text.set(String::new());
                    on_done.run(after);
                }
                Err(e) => result.set(e),
            }
            busy.set(false);
        });
    };

    let up = event.holder.as_ref().and_then(|h| h.tier.up()).map(labels::tier).unwrap_or("—");
    let buttons: Vec<_> = BUTTONS.iter().filter(|(p, ..)| session::may(*p)).copied().collect();
    if buttons.is_empty() {
        return view! { <p class="note" id="no-actions">"本账户只能查看事件，不能处置。"</p> }.into_any();
    }
    let moves = buttons.iter().any(|(_, a, ..)| matches!(*a, "assign" | "escalate"));
    view! {
        <fieldset class="actions" prop:disabled=move || busy.get()>
            <div class="row">
                <span class="note" id="actor">{format!("操作人：{}", me.display_name)}</span>
                {moves.then(|| view! {
                    <label>"承办层级"
                        <select id="to-tier" on:change=move |ev| to_tier.set(event_target_value(&ev))>
                            <option value="" selected=true>{format!("自动（上一级：{up}）")}</option>
                            {Tier::ALL.into_iter().map(|t| view! { <option value=t.as_str()>{labels::tier(t)}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"承办人" <input id="to-id" type="text" placeholder="编号（可空，按规则）" prop:value=move || to_id.get()
                        on:input=move |ev| to_id.set(event_target_value(&ev))/></label>
                })}
            </div>
            <textarea id="action-text" placeholder="理由 / 办结说明" prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="buttons">
                {buttons.into_iter().map(|(_, action, id, label)| view! {
                    <button id=id on:click=move |_| act(action)>{label}</button>
                }).collect_view()}
            </div>
            <p class="result" id="action-result">{move || result.get()}</p>
        </fieldset>
    }
    .into_any()
}

/// The console's buttons: (permission, action, element id, label).
const BUTTONS: [(Permission, &str, &str, &str); 7] = [
    (Permission::AssignEvent, "assign", "do-assign", "派遣"),
    (Permission::AcceptEvent, "accept", "do-accept", "核实"),
    (Permission::ResolveOnSpot, "resolve_on_spot", "do-resolve", "就地解决"),
    (Permission::EscalateEvent, "escalate", "do-escalate", "上报"),
    (Permission::ReturnEvent, "return", "do-return", "退单"),
    (Permission::HandleEvent, "handle", "do-handle", "办理完毕"),
    (Permission::CloseEvent, "close", "do-close", "办结"),
];
