//! 登记纠纷 — registers a dispute case for an event (`POST /api/v1/disputes`): kind, scale,
//! people involved, a summary and the parties (their names and phones are sealed by the
//! service and answered masked). An event that has a case already is answered 409 with that
//! case's id, which is then offered instead.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::{first_text, ui};
use crate::app::{shared, Page};
use crate::{api, labels};

/// The parties' roles, one line each on the form.
const ROLES: [&str; 3] = ["申请人", "被申请人", "第三人"];

/// One party as typed in: its role, name and phone.
#[derive(Debug, Clone, Copy)]
struct Party {
    role: &'static str,
    name: RwSignal<String>,
    phone: RwSignal<String>,
}

impl Party {
    fn new(role: &'static str) -> Self {
        Self { role, name: RwSignal::new(String::new()), phone: RwSignal::new(String::new()) }
    }

    /// As sent; `None` without a name.
    fn body(self) -> Option<Value> {
        party(self.role, &self.name.get_untracked(), &self.phone.get_untracked())
    }
}

/// A party as sent (its phone only when given); `None` without a name.
fn party(role: &str, name: &str, phone: &str) -> Option<Value> {
    let (name, phone) = (name.trim(), phone.trim());
    (!name.is_empty()).then(|| {
        let mut v = json!({"name": name, "role": role});
        if !phone.is_empty() {
            v["phone"] = json!(phone);
        }
        v
    })
}

/// The form; `event_id` empty lets the user type the event's id. `on_done` gets the new case's
/// id (or the existing one's, when the user opens it).
#[component]
pub fn RegisterCase(event_id: String, #[prop(into)] on_done: Callback<String>, #[prop(optional)] summary: String) -> impl IntoView {
    let fixed = !event_id.is_empty();
    let event = RwSignal::new(event_id);
    let (kind, scale) = (RwSignal::new("neighbour".to_owned()), RwSignal::new("ordinary".to_owned()));
    let (people, summary) = (RwSignal::new("2".to_owned()), RwSignal::new(summary));
    let parties = ROLES.map(Party::new);
    let error = RwSignal::new(String::new());
    let existing = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        let b = json!({
            "event_id": event.get_untracked().trim(),
            "kind": kind.get_untracked(),
            "scale": scale.get_untracked(),
            "people": people.get_untracked().trim().parse::<u32>().unwrap_or(0),
            "summary": summary.get_untracked().trim(),
            "parties": parties.into_iter().filter_map(Party::body).collect::<Vec<_>>(),
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
        <form class="case-form" id="dispute-register" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <b>"登记纠纷案件"</b>
            <div class="row">
                <label>"事件编号" <input id="register-event" type="text" placeholder="E…" prop:disabled=fixed
                    prop:value=move || event.get() on:input=move |ev| event.set(event_target_value(&ev))/></label>
                {ui::labelled("人数", ui::input("register-people", "number", "", people))}
            </div>
            <div class="row">
                {ui::labelled("类型", ui::select("register-kind", labels::DISPUTE_KINDS, kind, None))}
                {ui::labelled("规模", ui::select("register-scale", labels::DISPUTE_SCALES, scale, None))}
            </div>
            {ui::area("register-summary", "纠纷概要", summary)}
            <div class="parties">{parties.into_iter().map(party_row).collect_view()}</div>
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

/// A party's role, name and phone.
fn party_row(p: Party) -> AnyView {
    let bind = move |class: &'static str, ty: &'static str, placeholder: &'static str, v: RwSignal<String>| {
        view! { <input class=class type=ty placeholder=placeholder prop:value=move || v.get() on:input=move |ev| v.set(event_target_value(&ev))/> }
    };
    view! {
        <div class="row party" data-role=p.role>
            <span class="party-role">{p.role}</span>
            {bind("party-name", "text", "姓名", p.name)}
            {bind("party-phone", "tel", "电话（可空）", p.phone)}
        </div>
    }
    .into_any()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_needs_a_name_and_sends_a_phone_only_when_given() {
        assert_eq!(party("申请人", " 张三 ", ""), Some(json!({"name": "张三", "role": "申请人"})));
        assert_eq!(party("第三人", "王五", "13812345678"), Some(json!({"name": "王五", "role": "第三人", "phone": "13812345678"})));
        assert_eq!(party("第三人", " ", "13812345678"), None);
    }
}
