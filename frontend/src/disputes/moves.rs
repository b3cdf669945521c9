//! The next move of a dispute case (`POST /api/v1/disputes/{id}/moves`): the moves its stage
//! allows (the core's own rules, `wangge_core::dispute::apply`), each with its fields; a
//! refusal (422) is shown with the service's reason.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::dispute::{apply, Body, Move, Route, Stage};

use super::{may_handle_disputes, ui};
use crate::{api, labels};

/// Every stage, to read a wire name.
const STAGES: [Stage; 7] = [Stage::Registered, Stage::Mediating, Stage::Agreed, Stage::Failed, Stage::Transferred, Stage::FollowedUp, Stage::Archived];

/// The fields of a move as typed in.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    /// Who mediates (`accept`).
    pub body: String,
    /// The mediator (`accept`).
    pub mediator: String,
    /// How (`accept`).
    pub method: String,
    /// A written agreement (`agree`).
    pub written: bool,
    /// The agreement's terms (`agree`).
    pub terms: String,
    /// The route left (`fail`).
    pub route: String,
    /// To whom (`transfer`).
    pub to: String,
    /// Outside the county (`transfer`).
    pub outside_county: bool,
    /// Kept (`follow_up`).
    pub kept: bool,
    /// Why (`fail`, `transfer`) or what was found (`follow_up`).
    pub text: String,
}

/// The request body of `action` with these fields.
pub fn body(action: &str, f: &Fields) -> Value {
    match action {
        "accept" => {
            let mut b = json!({"action": "accept", "body": f.body, "mediator": f.mediator.trim()});
            if !f.method.trim().is_empty() {
                b["method"] = json!(f.method.trim());
            }
            b
        }
        "agree" => json!({"action": "agree", "written": f.written, "terms": f.terms.trim()}),
        "fail" => json!({"action": "fail", "route": f.route, "reason": f.text.trim()}),
        "transfer" => json!({"action": "transfer", "to": f.to.trim(), "outside_county": f.outside_county, "reason": f.text.trim()}),
        "follow_up" => json!({"action": "follow_up", "kept": f.kept, "note": f.text.trim()}),
        _ => json!({"action": action}),
    }
}

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

/// The moves the case may take now, for those who handle disputes.
#[component]
pub fn DisputeMoves(url: String, stage: String, on_done: Callback<Value>) -> impl IntoView {
    let actions = allowed(&stage);
    if !may_handle_disputes() || actions.is_empty() {
        return ().into_any();
    }
    let chosen = RwSignal::new(actions[0]);
    let s = |v: &str| RwSignal::new(v.to_owned());
    let (body_of, mediator, method, terms) = (s("peoples_mediation"), s(""), s(""), s(""));
    let (route, to, text) = (s("litigation"), s(""), s(""));
    let (written, outside, kept) = (RwSignal::new(true), RwSignal::new(false), RwSignal::new(true));
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let url = StoredValue::new(format!("{url}/moves"));
    Effect::new(move |_| {
        chosen.track();
        error.set(String::new());
    });
    let submit = move || {
        let action = chosen.get_untracked();
        let fields = Fields {
            body: body_of.get_untracked(),
            mediator: mediator.get_untracked(),
            method: method.get_untracked(),
            written: written.get_untracked(),
            terms: terms.get_untracked(),
            route: route.get_untracked(),
            to: to.get_untracked(),
            outside_county: outside.get_untracked(),
            kept: kept.get_untracked(),
            text: text.get_untracked(),
        };
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", &url.get_value(), &body(action, &fields)).await {
                Ok((200 | 201, answer)) => match serde_json::from_str::<Value>(&answer) {
                    Ok(after) => on_done.run(after),
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, answer)) => {
                    error.set(format!("无法{}（HTTP {code}）：{}", labels::coded(labels::DISPUTE_MOVES, action), api::detail(&answer)));
                }
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    let inputs = move || match chosen.get() {
        "accept" => view! {
            <div class="row">{ui::labelled("调解组织", ui::select("move-body", labels::MEDIATION_BODIES, body_of, None))}</div>
            <div class="row">{ui::input("move-mediator", "text", "调解员姓名", mediator)}{ui::input("move-method", "text", "调解方式（当面、背靠背、联合…）", method)}</div>
        }
        .into_any(),
        "agree" => view! { {ui::check("move-written", "书面协议", written)}{ui::area("move-terms", "协议内容", terms)} }.into_any(),
        "fail" => view! { {ui::labelled("告知途径", ui::select("move-route", labels::ROUTES, route, None))}{ui::area("move-reason", "调解不成的原因", text)} }.into_any(),
        "transfer" => view! {
            <div class="row">{ui::input("move-to", "text", "移交单位", to)}{ui::check("move-outside", "县外单位", outside)}</div>
            {ui::area("move-reason", "移交原因", text)}
        }
        .into_any(),
        "follow_up" => view! { {ui::check("move-kept", "协议已履行", kept)}{ui::area("move-note", "回访情况", text)} }.into_any(),
        _ => view! { <p class="note">"归档后案卷不再变更。"</p> }.into_any(),
    };
    view! {
        <form class="actions case-moves" id="case-move-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            {ui::move_buttons("move-", actions, labels::DISPUTE_MOVES, chosen)}
            {inputs}
            <button id="move-submit" type="submit" prop:disabled=move || busy.get()>
                {move || format!("提交：{}", labels::coded(labels::DISPUTE_MOVES, chosen.get()))}
            </button>
            <p class="error" id="move-error" role="alert">{move || error.get()}</p>
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
    fn bodies_carry_their_moves_fields() {
        let f = Fields {
            body: "peoples_mediation".into(),
            mediator: " 赵调解 ".into(),
            method: String::new(),
            written: true,
            terms: "退让0.5米".into(),
            route: "litigation".into(),
            to: String::new(),
            outside_county: false,
            kept: true,
            text: "已履行".into(),
        };
        assert_eq!(body("accept", &f), json!({"action": "accept", "body": "peoples_mediation", "mediator": "赵调解"}));
        assert_eq!(body("agree", &f), json!({"action": "agree", "written": true, "terms": "退让0.5米"}));
        assert_eq!(body("follow_up", &f), json!({"action": "follow_up", "kept": true, "note": "已履行"}));
        assert_eq!(body("archive", &f), json!({"action": "archive"}));
    }
}
