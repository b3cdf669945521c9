//! 登记信访 — registers a petition (`POST /api/v1/petitions`): how it came, where it was lodged,
//! when, the township (and village), the petitioners (sealed by the service, answered masked),
//! the matter, and its links to an event, a dispute case or the first petition of the same
//! matter. The ledger itself is `ledger`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};

use super::ui::{self, markup as m};
use super::own_township;
use crate::app::shared;
use crate::{api, labels};

/// The request body from the form's fields: the petitioners from their names (separated by
/// 、 or commas; the phone goes with the first), `received_at` in China time, optional fields
/// left out when empty.
pub fn body(f: &Map<String, Value>) -> Value {
    let field = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let mut petitioners: Vec<Value> = field("names").split(['、', ',', '，']).map(str::trim).filter(|n| !n.is_empty()).map(|n| json!({"name": n})).collect();
    if let (Some(first), false) = (petitioners.first_mut(), field("phone").is_empty()) {
        first["phone"] = json!(field("phone"));
    }
    let mut b = json!({
        "channel": field("channel"),
        "lodged": field("lodged"),
        "township": field("township"),
        "petitioners": petitioners,
        "people": field("people").parse::<u32>().unwrap_or(0),
        "matter": field("matter"),
    });
    if !field("received_at").is_empty() {
        b["received_at"] = json!(format!("{}:00+08:00", field("received_at")));
    }
    for k in ["village", "event_id", "case_id", "repeat_of"] {
        if !field(k).is_empty() {
            b[k] = json!(field(k));
        }
    }
    b
}

/// The form's fields as markup, the account's own township chosen (and the only one when it
/// has one).
fn fields(townships: &[(String, String)]) -> String {
    let own = own_township();
    let mut towns = String::from("<select id=\"petition-reg-township\" name=\"township\">");
    for (code, name) in townships.iter().filter(|(c, _)| own.is_empty() || *c == own) {
        towns.push_str(&format!("<option value=\"{}\">{}</option>", ui::esc(code), ui::esc(name)));
    }
    if townships.is_empty() {
        towns.push_str(&format!("<option value=\"{own}\">{own}</option>"));
    }
    towns.push_str("</select>");
    [
        m::row(&[
            m::labelled("渠道", &m::select("petition-channel", "channel", labels::PETITION_CHANNELS, "visit", None)),
            m::labelled("登记层级", &m::select("petition-level", "lodged", labels::PETITION_LEVELS, "county", None)),
            m::labelled("收到时间", &m::input("petition-received", "received_at", "datetime-local", "", "")),
        ]),
        m::row(&[m::labelled("乡镇", &towns), m::input("petition-village", "village", "text", "村(社区)代码（可空）", "")]),
        m::row(&[
            m::input("petition-names", "names", "text", "信访人姓名（多人用、分隔）", ""),
            m::input("petition-phone", "phone", "tel", "电话（可空）", ""),
            m::labelled("人数", &m::input("petition-people", "people", "number", "", "1")),
        ]),
        m::area("petition-matter", "matter", "信访事项", ""),
        m::row(&[
            m::input("petition-event", "event_id", "text", "关联事件（可空）", ""),
            m::input("petition-case", "case_id", "text", "关联纠纷案件（可空）", ""),
            m::input("petition-repeat", "repeat_of", "text", "重复信访的首件（可空）", ""),
        ]),
    ]
    .concat()
}

/// The register form; `on_done` gets the new petition's id.
#[component]
pub fn RegisterPetition(#[prop(into)] on_done: Callback<String>) -> impl IntoView {
    let s = shared();
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let b = body(&ui::values(&ev));
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", "/api/v1/petitions", &b).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => on_done.run(super::text(&v, "petition_id")),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, text)) => error.set(format!("登记失败（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="case-form" id="petition-register" on:submit=submit>
            <b>"登记信访"</b>
            <div inner_html=move || s.townships.with(|t| fields(t))></div>
            <button id="petition-submit" type="submit" prop:disabled=move || busy.get()>"登记"</button>
            <p class="error" id="petition-register-error" role="alert">{move || error.get()}</p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn petitioners_and_optional_fields() {
        let mut f = Map::new();
        for (k, v) in [("channel", "visit"), ("lodged", "beijing"), ("township", "130730100"), ("names", "张三、李四"), ("phone", "13812345678"), ("people", "2"), ("matter", "征地补偿"), ("received_at", "2026-12-01T09:30"), ("case_id", " ")] {
            f.insert(k.into(), json!(v));
        }
        let b = body(&f);
        assert_eq!(b["petitioners"], json!([{"name": "张三", "phone": "13812345678"}, {"name": "李四"}]));
        assert_eq!(b["received_at"], "2026-12-01T09:30:00+08:00");
        assert_eq!(b["people"], 2);
        assert!(b.get("case_id").is_none() && b.get("village").is_none());
    }
}
