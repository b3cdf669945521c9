//! 登记信访 — registers a petition (`POST /api/v1/petitions`): how it came, where it was lodged,
//! when, the township (and village), the petitioners (sealed by the service, answered masked),
//! the matter, and its links to an event, a dispute case or the first petition of the same
//! matter. The ledger itself is `ledger`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::ui;
use super::{own_township, TownshipSelect};
use crate::{api, labels};

/// A petition as typed in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// `letter`, `visit`, `online`.
    pub channel: String,
    /// `county` … `beijing`.
    pub level: String,
    /// A `datetime-local` value (China time), empty for now.
    pub received_at: String,
    /// 乡镇.
    pub township: String,
    /// 村(社区), may be empty.
    pub village: String,
    /// The petitioners' names, separated by 、 or commas.
    pub names: String,
    /// The first petitioner's phone, may be empty.
    pub phone: String,
    /// People involved.
    pub people: String,
    /// 信访事项.
    pub matter: String,
    /// Linked event, dispute case, first petition (each may be empty).
    pub links: [String; 3],
}

impl Draft {
    /// The request body; optional fields left out when empty.
    pub fn body(&self) -> Value {
        let mut petitioners: Vec<Value> =
            self.names.split(['、', ',', '，']).map(str::trim).filter(|n| !n.is_empty()).map(|n| json!({"name": n})).collect();
        if let (Some(first), false) = (petitioners.first_mut(), self.phone.trim().is_empty()) {
            first["phone"] = json!(self.phone.trim());
        }
        let mut b = json!({
            "channel": self.channel,
            "level": self.level,
            "township": self.township,
            "petitioners": petitioners,
            "people": self.people.trim().parse::<u32>().unwrap_or(0),
            "matter": self.matter.trim(),
        });
        if !self.received_at.is_empty() {
            b["received_at"] = json!(format!("{}:00+08:00", self.received_at));
        }
        let optional = [("village", &self.village), ("event_id", &self.links[0]), ("case_id", &self.links[1]), ("repeat_of", &self.links[2])];
        for (k, v) in optional {
            if !v.trim().is_empty() {
                b[k] = json!(v.trim());
            }
        }
        b
    }
}

/// The register form; `on_done` gets the new petition's id.
#[component]
pub fn RegisterPetition(#[prop(into)] on_done: Callback<String>) -> impl IntoView {
    let field = |v: &str| RwSignal::new(v.to_owned());
    let (channel, level, received, township) = (field("visit"), field("county"), field(""), RwSignal::new(own_township()));
    let (village, names, phone, people, matter) = (field(""), field(""), field(""), field("1"), field(""));
    let (event, case, repeat) = (field(""), field(""), field(""));
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move || {
        let d = Draft {
            channel: channel.get_untracked(),
            level: level.get_untracked(),
            received_at: received.get_untracked(),
            township: township.get_untracked(),
            village: village.get_untracked(),
            names: names.get_untracked(),
            phone: phone.get_untracked(),
            people: people.get_untracked(),
            matter: matter.get_untracked(),
            links: [event.get_untracked(), case.get_untracked(), repeat.get_untracked()],
        };
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", "/api/v1/petitions", &d.body()).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => on_done.run(super::petition_case::petition_id(&v)),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, text)) => error.set(format!("登记失败（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="case-form" id="petition-register" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <b>"登记信访"</b>
            <div class="row">
                {ui::labelled("渠道", ui::select("petition-channel", labels::PETITION_CHANNELS, channel, None))}
                {ui::labelled("登记层级", ui::select("petition-level", labels::PETITION_LEVELS, level, None))}
                {ui::labelled("收到时间", ui::input("petition-received", "datetime-local", "", received))}
            </div>
            <div class="row">
                <TownshipSelect id="petition-reg-township" value=township all="请选择乡镇"/>
                {ui::input("petition-village", "text", "村(社区)代码（可空）", village)}
            </div>
            <div class="row">
                {ui::input("petition-names", "text", "信访人姓名（多人用、分隔）", names)}
                {ui::input("petition-phone", "tel", "电话（可空）", phone)}
                {ui::labelled("人数", ui::input("petition-people", "number", "", people))}
            </div>
            {ui::area("petition-matter", "信访事项", matter)}
            <div class="row">
                {ui::input("petition-event", "text", "关联事件（可空）", event)}
                {ui::input("petition-case", "text", "关联纠纷案件（可空）", case)}
                {ui::input("petition-repeat", "text", "重复信访的首件（可空）", repeat)}
            </div>
            <button id="petition-submit" type="submit" prop:disabled=move || busy.get()>"登记"</button>
            <p class="error" id="petition-register-error" role="alert">{move || error.get()}</p>
        </form>
    }
}
