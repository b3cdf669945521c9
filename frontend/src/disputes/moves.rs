//! The next move of a dispute case or a petition (`POST /api/v1/disputes/{id}/moves`,
//! `/api/v1/petitions/{id}/moves`): the moves its stage allows (the core's own rules,
//! `wangge_core::dispute::apply`, `wangge_core::petition::apply`), each with its fields; a
//! refusal (422) is shown with the service's reason.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};
use wangge_core::dispute::{apply, Body, Move, Route, Stage};

use super::ui::{self, markup as m};
use crate::{api, labels};

/// Every stage, to read a wire name.
const STAGES: [Stage; 7] = [Stage::Registered, Stage::Mediating, Stage::Agreed, Stage::Failed, Stage::Transferred, Stage::FollowedUp, Stage::Archived];

/// The moves a case at `stage` (wire name) may take, by the core's rules.
pub fn allowed(stage: &str) -> Vec<&'static str> {
    let Some(stage) = STAGES.into_iter().find(|s| s.as_str() == stage) else {
        return Vec::new();
    };
    let x = || "x".to_owned();
    let samples = [
        Move::Accept { body: Body::PeoplesMediation, mediator: x(), method: x() },
        Move::Agree { written: true, terms: x() },
        Move::Fail { route: Route::Litigation, reason: x() },
        Move::Transfer { to: x(), outside_county: false, reason: x() },
        Move::FollowUp { kept: true, note: x() },
        Move::Archive,
    ];
    samples.iter().filter(|m| apply(stage, m).is_ok()).map(Move::as_str).collect()
}

/// A dispute move's fields as markup (named as the API names them).
pub fn dispute_fields(action: &str) -> String {
    match action {
        "accept" => [
            m::row(&[m::labelled("调解组织", &m::select("move-body", "body", labels::MEDIATION_BODIES, "peoples_mediation", None))]),
            m::row(&[m::input("move-mediator", "mediator", "text", "调解员姓名", ""), m::input("move-method", "method", "text", "调解方式（当面、背靠背、联合…）", "")]),
        ]
        .concat(),
        "agree" => m::check("move-written", "written", "书面协议", true) + &m::area("move-terms", "terms", "协议内容", ""),
        "fail" => m::labelled("告知途径", &m::select("move-route", "route", labels::ROUTES, "litigation", None)) + &m::area("move-reason", "reason", "调解不成的原因", ""),
        "transfer" => {
            m::row(&[m::input("move-to", "to", "text", "移交单位", ""), m::check("move-outside", "outside_county", "县外单位", false)])
                + &m::area("move-reason", "reason", "移交原因", "")
        }
        "follow_up" => m::check("move-kept", "kept", "协议已履行", true) + &m::area("move-note", "note", "回访情况", ""),
        _ => "<p class=\"note\">归档后案卷不再变更。</p>".to_owned(),
    }
}

/// A petition move's fields as markup.
pub fn petition_fields(action: &str) -> String {
    match action {
        "accept" => m::input("petition-move-office", "office", "text", "受理单位（如 县信访局）", ""),
        "decline" => m::area("petition-move-text", "reason", "不予受理的理由", ""),
        "extend" => m::labelled("延期天数", &m::input("petition-move-days", "days", "number", "", "30")) + &m::area("petition-move-text", "reason", "延期理由", ""),
        _ => m::check("petition-move-resolved", "resolved", "已化解", true) + &m::area("petition-move-text", "note", "答复内容", ""),
    }
}

/// The body of a move: its action and fields (an empty optional `method` left out, `days` a
/// number).
pub fn body(action: &str, mut fields: Map<String, Value>) -> Value {
    if fields.get("method").is_some_and(|v| v == "") {
        fields.remove("method");
    }
    if let Some(days) = fields.get("days").and_then(Value::as_str).map(|d| d.parse::<i64>().unwrap_or(0)) {
        fields.insert("days".into(), json!(days));
    }
    fields.insert("action".into(), json!(action));
    Value::Object(fields)
}

/// Which kind of file the moves are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    /// A dispute case.
    Dispute,
    /// A petition.
    Petition,
}

/// The moves the file may take now (`actions`), posted to `url`/moves; `on_done` gets the file
/// after the move.
#[component]
pub fn Moves(of: Of, url: String, actions: Vec<&'static str>, on_done: Callback<Value>) -> impl IntoView {
    let Some(&first) = actions.first() else {
        return ().into_any();
    };
    let (prefix, names, fields): (&'static str, labels::Codes, fn(&str) -> String) = match of {
        Of::Dispute => ("move-", labels::DISPUTE_MOVES, dispute_fields),
        Of::Petition => ("petition-move-", labels::PETITION_MOVES, petition_fields),
    };
    let chosen = RwSignal::new(first);
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let url = StoredValue::new(format!("{url}/moves"));
    Effect::new(move |_| {
        chosen.track();
        error.set(String::new());
    });
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let action = chosen.get_untracked();
        let b = body(action, ui::values(&ev));
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", &url.get_value(), &b).await {
                Ok((200 | 201, answer)) => match serde_json::from_str::<Value>(&answer) {
                    Ok(after) => on_done.run(after),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, answer)) => error.set(format!("无法{}（HTTP {code}）：{}", labels::coded(names, action), api::detail(&answer))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="actions case-moves" id=format!("{prefix}form") on:submit=submit>
            {ui::move_buttons(prefix, actions, names, chosen)}
            <div inner_html=move || fields(chosen.get())></div>
            <button id=format!("{prefix}submit") type="submit" prop:disabled=move || busy.get()>
                {move || format!("提交：{}", labels::coded(names, chosen.get()))}
            </button>
            <p class="error" id=format!("{prefix}error") role="alert">{move || error.get()}</p>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_offers_the_moves_the_core_allows() {
        assert_eq!(allowed("registered"), ["accept", "transfer"]);
        assert_eq!(allowed("mediating"), ["agree", "fail", "transfer"]);
        assert_eq!(allowed("agreed"), ["follow_up"]);
        assert_eq!(allowed("followed_up"), ["archive"]);
        assert!(allowed("archived").is_empty());
        assert!(allowed("no such stage").is_empty());
    }

    #[test]
    fn every_move_names_the_fields_the_api_reads() {
        for (action, names) in [
            ("accept", &["body", "mediator", "method"][..]),
            ("agree", &["written", "terms"]),
            ("fail", &["route", "reason"]),
            ("transfer", &["to", "outside_county", "reason"]),
            ("follow_up", &["kept", "note"]),
        ] {
            for n in names {
                assert!(dispute_fields(action).contains(&format!("name=\"{n}\"")), "{action}: {n}");
            }
        }
        assert!(petition_fields("extend").contains("name=\"days\""));
    }

    #[test]
    fn bodies_carry_the_action_and_typed_fields() {
        let mut f = Map::new();
        f.insert("mediator".into(), json!("赵调解"));
        f.insert("method".into(), json!(""));
        assert_eq!(body("accept", f), json!({"action": "accept", "mediator": "赵调解"}));
        let mut f = Map::new();
        f.insert("days".into(), json!("20"));
        assert_eq!(body("extend", f)["days"], 20);
    }
}
