//! A dispute case's file (`GET /api/v1/disputes/{id}`): the case, its event, its parties
//! (masked as the service answers them), the moves so far and the petitions linked to it;
//! below, the next moves the case's stage allows (`moves`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::moves::DisputeMoves;
use super::{ledgers, text, time, township_name};
use crate::app::{shared, Page};
use crate::{api, labels};

/// The case of a case file: its `case` member when it has one, else the file itself.
pub fn case_of(file: &Value) -> &Value {
    file.get("case").filter(|c| c.is_object()).unwrap_or(file)
}

/// The file of case `id`, reloaded after each move.
#[component]
pub fn CaseFile(id: String) -> impl IntoView {
    let l = ledgers();
    let file = RwSignal::new(None::<Result<Value, String>>);
    let url = format!("/api/v1/disputes/{}", api::segment(&id));
    {
        let url = url.clone();
        spawn_local(async move { file.set(Some(api::get::<Value>(&url).await)) });
    }
    let moved = Callback::new(move |after: Value| {
        file.set(Some(Ok(after)));
        l.reload();
    });
    view! {
        <section class="panel case-file" id="case-file" data-case-id=id.clone()>
            <div class="panel-head">
                <b>{format!("纠纷案卷 {id}")}</b>
                <button class="link" id="case-close" on:click=move |_| l.case.set(None)>"关闭"</button>
            </div>
            {move || match file.get() {
                None => view! { <p class="note">"加载中…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" id="case-error">{e}</p> }.into_any(),
                Some(Ok(f)) => view! {
                    <Facts file=f.clone()/>
                    <Parties file=f.clone()/>
                    <DisputeMoves url=url.clone() stage=text(case_of(&f), "stage") on_done=moved/>
                    <Moves file=f.clone()/>
                    <Petitions file=f/>
                }.into_any(),
            }}
        </section>
    }
}

/// The case's facts and its event.
#[component]
fn Facts(file: Value) -> impl IntoView {
    let s = shared();
    let c = case_of(&file).clone();
    let stage = text(&c, "stage");
    let overdue = c.get("overdue").and_then(Value::as_bool).unwrap_or(false);
    let event_id = text(&c, "event_id");
    let event = file.get("event").cloned().unwrap_or(Value::Null);
    let event_line = {
        let category = labels::category_name(&text(&event, "category")).to_owned();
        let description: String = text(&event, "description").chars().take(40).collect();
        [category, description].into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" · ")
    };
    let open = event_id.clone();
    let console = s.console;
    view! {
        <dl class="facts">
            <dt>"阶段"</dt>
            <dd id="case-stage" data-stage=stage.clone()>{labels::coded(labels::DISPUTE_STAGES, &stage)}
                {overdue.then(|| view! { <span class="overdue-flag" id="case-overdue">"调解超期"</span> })}</dd>
            <dt>"事件"</dt>
            <dd>{if console {
                view! { <button class="link" id="case-event" on:click=move |_| { s.page.set(Page::Dispatch); s.selected_event.set(Some(open.clone())); }>{event_id.clone()}</button> }.into_any()
            } else {
                view! { <span id="case-event">{event_id.clone()}</span> }.into_any()
            }} " " <span class="note">{event_line}</span></dd>
            <dt>"类型"</dt><dd>{labels::coded(labels::DISPUTE_KINDS, &text(&c, "kind"))}</dd>
            <dt>"规模"</dt><dd>{labels::coded(labels::DISPUTE_SCALES, &text(&c, "scale"))}{format!("，{} 人", text(&c, "people"))}</dd>
            <dt>"乡镇"</dt><dd>{township_name(&text(&c, "township"))}</dd>
            <dt>"登记"</dt><dd>{time(&c, "registered_at")}</dd>
            <dt>"调解期限"</dt><dd id="case-due">{time(&c, "due_at")}</dd>
            <dt>"概要"</dt><dd>{text(&c, "summary")}</dd>
        </dl>
    }
}

/// The parties, masked.
#[component]
fn Parties(file: Value) -> impl IntoView {
    let parties: Vec<Value> = case_of(&file).get("parties").or_else(|| file.get("parties")).and_then(Value::as_array).cloned().unwrap_or_default();
    view! {
        <h3>"当事人"</h3>
        <table id="case-parties">
            <tr><th>"身份"</th><th>"姓名"</th><th>"电话"</th><th>"人口信息"</th></tr>
            {parties.into_iter().map(|p| view! {
                <tr><td>{text(&p, "role")}</td><td class="masked">{text(&p, "name")}</td>
                    <td class="masked">{text(&p, "phone")}</td><td>{text(&p, "record_id")}</td></tr>
            }).collect_view()}
        </table>
    }
}

/// What a move says beside its action.
pub fn move_detail(m: &Value) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut push = |label: &str, value: String| {
        if !value.is_empty() {
            out.push(if label.is_empty() { value } else { format!("{label}：{value}") });
        }
    };
    push("", labels::coded(labels::MEDIATION_BODIES, &text(m, "body")));
    push("调解员", text(m, "mediator"));
    push("方式", text(m, "method"));
    if let Some(w) = m.get("written").and_then(Value::as_bool) {
        push("", if w { "书面协议" } else { "口头协议" }.to_owned());
    }
    push("协议", text(m, "terms"));
    push("途径", labels::coded(labels::ROUTES, &text(m, "route")));
    push("移交至", text(m, "to"));
    if m.get("outside_county").and_then(Value::as_bool) == Some(true) {
        push("", "县外".to_owned());
    }
    if let Some(k) = m.get("kept").and_then(Value::as_bool) {
        push("", if k { "已履行" } else { "未履行" }.to_owned());
    }
    push("理由", text(m, "reason"));
    push("", text(m, "note"));
    out.join("；")
}

/// The moves so far, oldest first.
#[component]
fn Moves(file: Value) -> impl IntoView {
    let moves: Vec<Value> = file.get("moves").and_then(Value::as_array).cloned().unwrap_or_default();
    view! {
        <h3>"调处经过"</h3>
        <table class="timeline" id="case-moves">
            <tr><th>"#"</th><th>"时间"</th><th>"操作"</th><th>"操作人"</th><th>"之后"</th><th>"内容"</th></tr>
            {moves.into_iter().map(|m| {
                let action = text(&m, "action");
                view! {
                    <tr data-action=action.clone()>
                        <td>{text(&m, "seq")}</td><td>{time(&m, "at")}</td>
                        <td>{labels::coded(labels::DISPUTE_MOVES, &action)}</td><td>{text(&m, "actor")}</td>
                        <td>{labels::coded(labels::DISPUTE_STAGES, &text(&m, "stage_after"))}</td>
                        <td>{move_detail(&m)}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
    }
}

/// The petitions about this dispute, each opening its file.
#[component]
fn Petitions(file: Value) -> impl IntoView {
    let l = ledgers();
    let petitions: Vec<Value> = file.get("petitions").and_then(Value::as_array).cloned().unwrap_or_default();
    (!petitions.is_empty()).then(|| view! {
        <h3>"关联信访"</h3>
        <ul class="followups" id="case-petitions">
            {petitions.into_iter().map(|p| {
                let id = super::first_text(&p, &["petition_id", "id"]);
                let open = id.clone();
                let stage = labels::coded(labels::PETITION_STAGES, &text(&p, "stage"));
                view! { <li><button class="link" on:click=move |_| l.open_petition(open.clone())>{id}</button>{format!(" · {stage}")}</li> }
            }).collect_view()}
        </ul>
    })
}
