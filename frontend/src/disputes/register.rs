//! 登记纠纷 — registers a dispute case for an event (`POST /api/v1/disputes`): kind, scale,
//! people involved, a summary and the parties (their names and phones are sealed by the
//! service and answered masked). An event that has a case already is answered 409 with that
//! case's id, which is then offered instead.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::{first_text, CodeSelect};
use crate::app::{shared, Page};
use crate::{api, labels};

/// One party as typed in.
#[derive(Debug, Clone, Default, PartialEq)]
struct Party {
    name: String,
    role: String,
    phone: String,
}

/// The request body, parties without a name left out.
fn body(event_id: &str, kind: &str, scale: &str, people: &str, summary: &str, parties: &[Party]) -> Value {
    let parties: Vec<Value> = parties
        .iter()
        .filter(|p| !p.name.trim().is_empty())
        .map(|p| {
            let mut v = json!({"name": p.name.trim(), "role": p.role});
            if !p.phone.trim().is_empty() {
                v["phone"] = json!(p.phone.trim());
            }
            v
        })
        .collect();
    json!({
        "event_id": event_id.trim(),
        "kind": kind,
        "scale": scale,
        "people": people.trim().parse::<u32>().unwrap_or(0),
        "summary": summary.trim(),
        "parties": parties,
    })
}

/// The form; `event_id` empty lets the user type the event's id. `on_done` gets the new case's
/// id (or the existing one's, when the user opens it).
#[component]
pub fn RegisterCase(event_id: String, #[prop(into)] on_done: Callback<String>, #[prop(optional)] summary: String) -> impl IntoView {
    let fixed = !event_id.is_empty();
    let event = RwSignal::new(event_id);
    let kind = RwSignal::new("neighbour".to_owned());
    let scale = RwSignal::new("ordinary".to_owned());
    let people = RwSignal::new("2".to_owned());
    let summary = RwSignal::new(summary);
    let parties = RwSignal::new(vec![
        Party { role: labels::PARTY_ROLES[0].to_owned(), ..Party::default() },
        Party { role: labels::PARTY_ROLES[1].to_owned(), ..Party::default() },
    ]);
    let error = RwSignal::new(String::new());
    let existing = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        let b = parties.with_untracked(|p| {
            body(&event.get_untracked(), &kind.get_untracked(), &scale.get_untracked(), &people.get_untracked(), &summary.get_untracked(), p)
        });
        busy.set(true);
        error.set(String::new());
        existing.set(None);
        spawn_local(async move {
            match api::raw_json("POST", "/api/v1/disputes", &b).await {
                Ok((201 | 200, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => on_done.run(case_id(&v)),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((409, text)) => {
                    let id = serde_json::from_str::<Value>(&text).map(|v| case_id(&v)).unwrap_or_default();
                    error.set(format!("该事件已登记纠纷案件：{}", api::detail(&text)));
                    existing.set(Some(id).filter(|i| !i.is_empty()));
                }
                Ok((code, text)) => error.set(format!("登记失败（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="case-form" id="dispute-register"
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <b>"登记纠纷案件"</b>
            <div class="row">
                <label>"事件编号" <input id="register-event" type="text" placeholder="E…" prop:disabled=fixed
                    prop:value=move || event.get() on:input=move |ev| event.set(event_target_value(&ev))/></label>
                <label>"人数" <input id="register-people" type="number" min="1" class="short" prop:value=move || people.get()
                    on:input=move |ev| people.set(event_target_value(&ev))/></label>
            </div>
            <div class="row">
                <label>"类型" <CodeSelect id="register-kind" list=labels::DISPUTE_KINDS value=kind/></label>
                <label>"规模" <CodeSelect id="register-scale" list=labels::DISPUTE_SCALES value=scale/></label>
            </div>
            <textarea id="register-summary" placeholder="纠纷概要" prop:value=move || summary.get()
                on:input=move |ev| summary.set(event_target_value(&ev))></textarea>
            <div class="parties">
                {move || (0..parties.with(Vec::len)).map(|i| party_row(parties, i)).collect_view()}
                <button type="button" class="link" id="register-add-party"
                    on:click=move |_| parties.update(|p| p.push(Party { role: labels::PARTY_ROLES[2].to_owned(), ..Party::default() }))>
                    "+ 当事人"
                </button>
            </div>
            <p class="note">"当事人姓名、电话加密保存，案卷中脱敏显示。"</p>
            <button id="register-submit" type="submit" prop:disabled=move || busy.get()>"登记"</button>
            <p class="error" id="register-error">{move || error.get()}</p>
            {move || existing.get().map(|id| {
                let open = id.clone();
                view! { <button type="button" class="link" id="register-open-existing" on:click=move |_| on_done.run(open.clone())>{format!("打开案件 {id}")}</button> }
            })}
        </form>
    }
}

/// A party's name, role and phone.
fn party_row(parties: RwSignal<Vec<Party>>, i: usize) -> impl IntoView {
    let get = move |f: fn(&Party) -> String| move || parties.with(|p| p.get(i).map(f).unwrap_or_default());
    let set = move |f: fn(&mut Party, String)| move |ev: web_sys::Event| parties.update(|p| if let Some(x) = p.get_mut(i) { f(x, event_target_value(&ev)) });
    view! {
        <div class="row party" data-party=i>
            <select class="party-role" on:change=set(|p, v| p.role = v)>
                {labels::PARTY_ROLES.iter().map(|r| view! { <option value=*r selected=move || get(|p| p.role.clone())() == *r>{*r}</option> }).collect_view()}
            </select>
            <input class="party-name" type="text" placeholder="姓名" prop:value=get(|p| p.name.clone()) on:input=set(|p, v| p.name = v)/>
            <input class="party-phone" type="tel" placeholder="电话（可空）" prop:value=get(|p| p.phone.clone()) on:input=set(|p, v| p.phone = v)/>
        </div>
    }
}

/// A case's id in an answer (the case file, or a 409's problem).
pub fn case_id(v: &Value) -> String {
    let top = first_text(v, &["case_id", "existing", "id"]);
    if top.is_empty() {
        v.get("case").map(|c| first_text(c, &["case_id", "id"])).unwrap_or_default()
    } else {
        top
    }
}

/// 登记纠纷案件 in the event panel, for those who handle disputes: the form for this event; the
/// case registered (or the one it has already) opens on the 矛盾纠纷 page.
#[component]
pub fn CaseButton(event_id: String, description: String) -> impl IntoView {
    let s = shared();
    let Some(l) = use_context::<super::Ledgers>().filter(|_| super::may_handle_disputes()) else {
        return ().into_any();
    };
    let open = RwSignal::new(false);
    let opened = Callback::new(move |id: String| {
        open.set(false);
        l.reload();
        l.open_case(id);
        s.page.set(Page::Disputes);
    });
    view! {
        <div class="row case-button">
            <button id="event-register-case" on:click=move |_| open.update(|o| *o = !*o)>"登记纠纷案件"</button>
        </div>
        {move || open.get().then(|| view! { <RegisterCase event_id=event_id.clone() summary=description.clone() on_done=opened/> })}
    }
    .into_any()
}
