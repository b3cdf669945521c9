//! 登记纠纷 — registers a dispute case for an event (`POST /api/v1/disputes`): kind, scale,
//! people involved, a summary and the parties (their names and phones are sealed by the
//! service and answered masked). An event that has a case already is answered 409 with that
//! case's id, which is then offered instead.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};

use super::ui::{self, markup as m};
use super::text;
use crate::app::{shared, Page};
use crate::{api, labels};

/// The parties' roles, one line each on the form.
const ROLES: [&str; 3] = ["申请人", "被申请人", "第三人"];

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

/// The form's fields as markup: the event (fixed when given), kind, scale, people, summary and
/// a line per party.
fn fields(event_id: &str, summary: &str) -> String {
    let event = if event_id.is_empty() {
        m::input("register-event", "event_id", "text", "E…", "")
    } else {
        format!("<input type=\"hidden\" name=\"event_id\" value=\"{0}\"><b id=\"register-event\">{0}</b>", ui::esc(event_id))
    };
    let parties: String = ROLES
        .iter()
        .enumerate()
        .map(|(i, role)| {
            format!(
                "<div class=\"row party\" data-role=\"{role}\"><span class=\"party-role\">{role}</span><input class=\"party-name\" name=\"party-name-{i}\" placeholder=\"姓名\"><input class=\"party-phone\" name=\"party-phone-{i}\" type=\"tel\" placeholder=\"电话（可空）\"></div>"
            )
        })
        .collect();
    [
        m::row(&[m::labelled("事件编号", &event), m::labelled("人数", &m::input("register-people", "people", "number", "", "2"))]),
        m::row(&[
            m::labelled("类型", &m::select("register-kind", "kind", labels::DISPUTE_KINDS, "neighbour", None)),
            m::labelled("规模", &m::select("register-scale", "scale", labels::DISPUTE_SCALES, "ordinary", None)),
        ]),
        m::area("register-summary", "summary", "纠纷概要", summary),
        format!("<div class=\"parties\">{parties}</div>"),
    ]
    .concat()
}

/// The request body from the form's fields.
fn body(f: &Map<String, Value>) -> Value {
    let field = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let parties: Vec<Value> =
        ROLES.iter().enumerate().filter_map(|(i, role)| party(role, &field(&format!("party-name-{i}")), &field(&format!("party-phone-{i}")))).collect();
    json!({
        "event_id": field("event_id"),
        "kind": field("kind"),
        "scale": field("scale"),
        "people": field("people").parse::<u32>().unwrap_or(0),
        "summary": field("summary"),
        "parties": parties,
    })
}

/// The form; `event_id` empty lets the user type the event's id. `on_done` gets the new case's
/// id (or the existing one's, when the user opens it).
#[component]
pub fn RegisterCase(event_id: String, #[prop(into)] on_done: Callback<String>, #[prop(optional)] summary: String) -> impl IntoView {
    let error = RwSignal::new(String::new());
    let existing = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let b = body(&ui::values(&ev));
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
        <form class="case-form" id="dispute-register" on:submit=submit>
            <b>"登记纠纷案件"</b>
            <div inner_html=fields(&event_id, &summary)></div>
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

/// A case's id in an answer: the case file's, or the one a 409 names ("event … already has
/// dispute case D…").
pub fn case_id(v: &Value) -> String {
    let id = text(v, "case_id");
    if !id.is_empty() {
        return id;
    }
    let detail = text(v, "detail");
    detail.split_once("dispute case ").map(|(_, rest)| rest.trim().to_owned()).unwrap_or_default()
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
    fn the_form_reads_back_as_the_request() {
        let mut f = Map::new();
        for (k, v) in [("event_id", "E1"), ("kind", "land"), ("scale", "ordinary"), ("people", "2"), ("summary", "界址"), ("party-name-0", "张三"), ("party-phone-0", ""), ("party-name-1", ""), ("party-name-2", "王五")] {
            f.insert(k.into(), json!(v));
        }
        let b = body(&f);
        assert_eq!(b["people"], 2);
        assert_eq!(b["parties"], json!([{"name": "张三", "role": "申请人"}, {"name": "王五", "role": "第三人"}]));
        assert!(fields("", "").contains("name=\"party-phone-2\""));
        let conflict = json!({"status": 409, "detail": "event E20231103-000123 already has dispute case D20231103-000123"});
        assert_eq!(case_id(&conflict), "D20231103-000123");
    }

    #[test]
    fn a_party_needs_a_name_and_sends_a_phone_only_when_given() {
        assert_eq!(party("申请人", " 张三 ", ""), Some(json!({"name": "张三", "role": "申请人"})));
        assert_eq!(party("第三人", "王五", "13812345678"), Some(json!({"name": "王五", "role": "第三人", "phone": "13812345678"})));
        assert_eq!(party("第三人", " ", "13812345678"), None);
    }
}
