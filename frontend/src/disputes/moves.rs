//! The next move of a dispute case (`POST /api/v1/disputes/{id}/moves`): the moves its stage
//! allows (the core's own rules, `wangge_core::dispute::apply`), each with its fields; a
//! refusal (422) is shown with the service's reason.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::dispute::{apply, Move, Stage};

use super::{may_handle_disputes, CodeSelect};
use crate::{api, labels};

/// The moves in the order offered.
const ACTIONS: [&str; 6] = ["accept", "agree", "fail", "transfer", "follow_up", "archive"];

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

impl Default for Fields {
    fn default() -> Self {
        Self {
            body: "peoples_mediation".to_owned(),
            mediator: String::new(),
            method: String::new(),
            written: true,
            terms: String::new(),
            route: "litigation".to_owned(),
            to: String::new(),
            outside_county: false,
            kept: true,
            text: String::new(),
        }
    }
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
    let Ok(stage) = serde_json::from_value::<Stage>(json!(stage)) else {
        return Vec::new();
    };
    let sample = Fields { mediator: "x".into(), terms: "x".into(), to: "x".into(), text: "x".into(), ..Fields::default() };
    ACTIONS
        .into_iter()
        .filter(|a| serde_json::from_value::<Move>(body(a, &sample)).is_ok_and(|m| apply(stage, &m).is_ok()))
        .collect()
}

/// The moves the case may take now, for those who handle disputes.
#[component]
pub fn DisputeMoves(url: String, stage: String, on_done: Callback<Value>) -> impl IntoView {
    let actions = allowed(&stage);
    if !may_handle_disputes() || actions.is_empty() {
        return ().into_any();
    }
    let chosen = RwSignal::new(actions[0]);
    let fields = RwSignal::new(Fields::default());
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let url = StoredValue::new(format!("{url}/moves"));
    let submit = move || {
        let action = chosen.get_untracked();
        let b = fields.with_untracked(|f| body(action, f));
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", &url.get_value(), &b).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(after) => {
                        fields.set(Fields::default());
                        on_done.run(after);
                    }
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, text)) => error.set(format!(
                    "无法{}（HTTP {code}）：{}",
                    labels::coded(labels::DISPUTE_MOVES, action),
                    api::detail(&text)
                )),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="actions case-moves" id="case-move-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="buttons">
                {actions.into_iter().map(|a| view! {
                    <button type="button" class="kind" data-move=a id=format!("move-{a}") class:active=move || chosen.get() == a
                        on:click=move |_| { chosen.set(a); error.set(String::new()); }>
                        {labels::coded(labels::DISPUTE_MOVES, a)}
                    </button>
                }).collect_view()}
            </div>
            {move || move_fields(chosen.get(), fields)}
            <button id="move-submit" type="submit" prop:disabled=move || busy.get()>
                {move || format!("提交：{}", labels::coded(labels::DISPUTE_MOVES, chosen.get()))}
            </button>
            <p class="error" id="move-error" role="alert">{move || error.get()}</p>
        </form>
    }
    .into_any()
}

/// The inputs of one move.
fn move_fields(action: &'static str, fields: RwSignal<Fields>) -> AnyView {
    let input = move |id: &'static str, placeholder: &'static str, get: fn(&Fields) -> String, set: fn(&mut Fields, String)| {
        view! { <input id=id type="text" placeholder=placeholder prop:value=move || fields.with(get)
            on:input=move |ev| fields.update(|f| set(f, event_target_value(&ev)))/> }
    };
    let check = move |id: &'static str, label: &'static str, get: fn(&Fields) -> bool, set: fn(&mut Fields, bool)| {
        view! { <label><input id=id type="checkbox" prop:checked=move || fields.with(get)
            on:change=move |ev| fields.update(|f| set(f, event_target_checked(&ev)))/>{label}</label> }
    };
    let area = move |id: &'static str, placeholder: &'static str| {
        view! { <textarea id=id placeholder=placeholder prop:value=move || fields.with(|f| f.text.clone())
            on:input=move |ev| fields.update(|f| f.text = event_target_value(&ev))></textarea> }
    };
    match action {
        "accept" => {
            let body = RwSignal::new(fields.with_untracked(|f| f.body.clone()));
            Effect::new(move |_| {
                let b = body.get();
                fields.update(|f| f.body = b);
            });
            view! {
                <div class="row">
                    <label>"调解组织" <CodeSelect id="move-body" list=labels::MEDIATION_BODIES value=body/></label>
                </div>
                <div class="row">
                    {input("move-mediator", "调解员姓名", |f| f.mediator.clone(), |f, v| f.mediator = v)}
                    {input("move-method", "调解方式（当面、背靠背、联合…）", |f| f.method.clone(), |f, v| f.method = v)}
                </div>
            }
            .into_any()
        }
        "agree" => view! {
            {check("move-written", "书面协议", |f| f.written, |f, v| f.written = v)}
            <textarea id="move-terms" placeholder="协议内容" prop:value=move || fields.with(|f| f.terms.clone())
                on:input=move |ev| fields.update(|f| f.terms = event_target_value(&ev))></textarea>
        }
        .into_any(),
        "fail" => {
            let route = RwSignal::new(fields.with_untracked(|f| f.route.clone()));
            Effect::new(move |_| {
                let r = route.get();
                fields.update(|f| f.route = r);
            });
            view! {
                <label>"告知途径" <CodeSelect id="move-route" list=labels::ROUTES value=route/></label>
                {area("move-reason", "调解不成的原因")}
            }
            .into_any()
        }
        "transfer" => view! {
            <div class="row">
                {input("move-to", "移交单位", |f| f.to.clone(), |f, v| f.to = v)}
                {check("move-outside", "县外单位", |f| f.outside_county, |f, v| f.outside_county = v)}
            </div>
            {area("move-reason", "移交原因")}
        }
        .into_any(),
        "follow_up" => view! {
            {check("move-kept", "协议已履行", |f| f.kept, |f, v| f.kept = v)}
            {area("move-note", "回访情况")}
        }
        .into_any(),
        _ => view! { <p class="note">"归档后案卷不再变更。"</p> }.into_any(),
    }
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
        let f = Fields { mediator: " 赵调解 ".into(), terms: "退让0.5米".into(), text: "已履行".into(), ..Fields::default() };
        assert_eq!(body("accept", &f), json!({"action": "accept", "body": "peoples_mediation", "mediator": "赵调解"}));
        assert_eq!(body("agree", &f), json!({"action": "agree", "written": true, "terms": "退让0.5米"}));
        assert_eq!(body("follow_up", &f), json!({"action": "follow_up", "kept": true, "note": "已履行"}));
        assert_eq!(body("archive", &f), json!({"action": "archive"}));
    }
}
