//! A petition's file (`GET /api/v1/petitions/{id}`): the petition, its petitioners (masked),
//! its deadlines under the 信访工作条例 and its moves; and the next move for those who handle
//! petitions (`POST /api/v1/petitions/{id}/moves`: 受理, 不予受理, 延期, 办结答复), a refusal
//! shown with the service's reason.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::case::{case_of, move_detail};
use super::{first_text, ledgers, may_handle_petitions, text, time, township_name};
use wangge_core::petition::{apply, Move, Stage, MAX_EXTENSION_DAYS};

use crate::{api, labels};

/// A petition's id in an answer.
pub fn petition_id(v: &Value) -> String {
    let top = first_text(v, &["petition_id", "id"]);
    if top.is_empty() {
        v.get("petition").map(|p| first_text(p, &["petition_id", "id"])).unwrap_or_default()
    } else {
        top
    }
}

/// The petition of a file: its `petition` member when it has one, else the file itself.
fn petition_of(file: &Value) -> &Value {
    file.get("petition").filter(|c| c.is_object()).unwrap_or_else(|| case_of(file))
}

/// The moves a petition at `stage` (wire name) may take, `extended` once already, by the
/// core's rules (信访工作条例: accepted or declined first, then extended once or answered).
pub fn allowed(stage: &str, extended: bool) -> Vec<&'static str> {
    let Ok(stage) = serde_json::from_value::<Stage>(json!(stage)) else {
        return Vec::new();
    };
    let samples = [
        Move::Accept { office: "x".into() },
        Move::Decline { reason: "x".into() },
        Move::Extend { days: MAX_EXTENSION_DAYS, reason: "x".into() },
        Move::Answer { resolved: true, note: "x".into() },
    ];
    samples.iter().filter(|m| apply(stage, extended, m).is_ok()).map(Move::as_str).collect()
}

/// The file of petition `id`, reloaded after each move.
#[component]
pub fn PetitionFile(id: String) -> impl IntoView {
    let l = ledgers();
    let file = RwSignal::new(None::<Result<Value, String>>);
    let url = format!("/api/v1/petitions/{}", api::segment(&id));
    {
        let url = url.clone();
        spawn_local(async move { file.set(Some(api::get::<Value>(&url).await)) });
    }
    let moved = Callback::new(move |after: Value| {
        file.set(Some(Ok(after)));
        l.reload();
    });
    view! {
        <section class="panel case-file" id="petition-file" data-petition-id=id.clone()>
            <div class="panel-head">
                <b>{format!("信访件 {id}")}</b>
                <button class="link" id="petition-close" on:click=move |_| l.petition.set(None)>"关闭"</button>
            </div>
            {move || match file.get() {
                None => view! { <p class="note">"加载中…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(f)) => {
                    let p = petition_of(&f);
                    let actions = allowed(&text(p, "stage"), p.get("extended").and_then(Value::as_bool).unwrap_or(false));
                    view! {
                        <Facts file=f.clone()/>
                        <PetitionMoves url=url.clone() actions on_done=moved/>
                        <Moves file=f/>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The petition's facts, petitioners and links.
#[component]
fn Facts(file: Value) -> impl IntoView {
    let l = ledgers();
    let p = petition_of(&file).clone();
    let stage = text(&p, "stage");
    let petitioners: Vec<String> = p
        .get("petitioners")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    let phone = text(x, "phone");
                    if phone.is_empty() { text(x, "name") } else { format!("{} {phone}", text(x, "name")) }
                })
                .collect()
        })
        .unwrap_or_default();
    let case = text(&p, "case_id");
    let open_case = case.clone();
    let due = |keys: &[&str]| keys.iter().map(|k| time(&p, k)).find(|t| t != "—").unwrap_or_else(|| "—".to_owned());
    view! {
        <dl class="facts">
            <dt>"阶段"</dt><dd id="petition-stage" data-stage=stage.clone()>{labels::coded(labels::PETITION_STAGES, &stage)}</dd>
            <dt>"渠道"</dt><dd>{labels::coded(labels::PETITION_CHANNELS, &text(&p, "channel"))}{format!("，{}", labels::coded(labels::PETITION_LEVELS, &text(&p, "level")))}</dd>
            <dt>"收到"</dt><dd>{time(&p, "received_at")}</dd>
            <dt>"受理期限"</dt><dd>{due(&["acceptance_due", "accept_by", "accept_due"])}</dd>
            <dt>"办理期限"</dt><dd>{due(&["handling_due", "due_at", "handle_by"])}</dd>
            <dt>"乡镇"</dt><dd>{township_name(&text(&p, "township"))}{format!(" {}", text(&p, "village"))}</dd>
            <dt>"信访人"</dt><dd class="masked">{petitioners.join("、")}{format!("（{} 人）", text(&p, "people"))}</dd>
            <dt>"事项"</dt><dd>{text(&p, "matter")}</dd>
            <dt>"关联"</dt>
            <dd>
                {(!case.is_empty()).then(|| view! { <button class="link" on:click=move |_| l.open_case(open_case.clone())>{format!("纠纷 {case}")}</button> })}
                {format!(" {} {}", text(&p, "event_id"), first_text(&p, &["repeat_of"]))}
            </dd>
        </dl>
    }
}

/// The moves so far.
#[component]
fn Moves(file: Value) -> impl IntoView {
    let moves: Vec<Value> = file.get("moves").and_then(Value::as_array).cloned().unwrap_or_default();
    view! {
        <h3>"办理经过"</h3>
        <table class="timeline" id="petition-moves">
            <tr><th>"#"</th><th>"时间"</th><th>"操作"</th><th>"操作人"</th><th>"之后"</th><th>"内容"</th></tr>
            {moves.into_iter().map(|m| {
                let action = text(&m, "action");
                let mut detail = move_detail(&m);
                if let Some(r) = m.get("resolved").and_then(Value::as_bool) {
                    detail = format!("{}；{detail}", if r { "已化解" } else { "未化解" });
                }
                for k in ["office", "days"] {
                    let t = text(&m, k);
                    if !t.is_empty() {
                        detail = format!("{}{t}；{detail}", if k == "days" { "延期天数：" } else { "" });
                    }
                }
                view! {
                    <tr data-action=action.clone()>
                        <td>{text(&m, "seq")}</td><td>{time(&m, "at")}</td>
                        <td>{labels::coded(labels::PETITION_MOVES, &action)}</td><td>{text(&m, "actor")}</td>
                        <td>{labels::coded(labels::PETITION_STAGES, &text(&m, "stage_after"))}</td><td>{detail}</td>
                    </tr>
                }
            }).collect_view()}
        </table>
    }
}

/// The next move, for those who handle petitions.
#[component]
fn PetitionMoves(url: String, actions: Vec<&'static str>, on_done: Callback<Value>) -> impl IntoView {
    if !may_handle_petitions() || actions.is_empty() {
        return ().into_any();
    }
    let chosen = RwSignal::new(actions[0]);
    let words = RwSignal::new(String::new());
    let days = RwSignal::new("30".to_owned());
    let resolved = RwSignal::new(true);
    let error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let url = StoredValue::new(format!("{url}/moves"));
    let submit = move || {
        let action = chosen.get_untracked();
        let w = words.get_untracked().trim().to_owned();
        let b = match action {
            "accept" => json!({"action": "accept", "office": w}),
            "decline" => json!({"action": "decline", "reason": w}),
            "extend" => json!({"action": "extend", "days": days.get_untracked().trim().parse::<i64>().unwrap_or(0), "reason": w}),
            _ => json!({"action": "answer", "resolved": resolved.get_untracked(), "note": w}),
        };
        busy.set(true);
        error.set(String::new());
        spawn_local(async move {
            match api::raw_json("POST", &url.get_value(), &b).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(after) => {
                        words.set(String::new());
                        on_done.run(after);
                    }
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((code, text)) => error.set(format!("无法{}（HTTP {code}）：{}", labels::coded(labels::PETITION_MOVES, action), api::detail(&text))),
                Err(e) => error.set(e),
            }
            busy.set(false);
        });
    };
    let placeholder = move || match chosen.get() {
        "accept" => "受理单位（如 县信访局）",
        "decline" => "不予受理的理由",
        "extend" => "延期理由",
        _ => "答复内容",
    };
    view! {
        <form class="actions case-moves" id="petition-move-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="buttons">
                {actions.into_iter().map(|a| view! {
                    <button type="button" class="kind" data-move=a id=format!("petition-move-{a}") class:active=move || chosen.get() == a
                        on:click=move |_| { chosen.set(a); error.set(String::new()); }>
                        {labels::coded(labels::PETITION_MOVES, a)}
                    </button>
                }).collect_view()}
            </div>
            <div class="row" class:hidden=move || chosen.get() != "extend">
                <label>"延期天数" <input id="petition-move-days" type="number" min="1" max="30" class="short" prop:value=move || days.get()
                    on:input=move |ev| days.set(event_target_value(&ev))/></label>
            </div>
            <label class:hidden=move || chosen.get() != "answer"><input id="petition-move-resolved" type="checkbox" prop:checked=move || resolved.get()
                on:change=move |ev| resolved.set(event_target_checked(&ev))/>"已化解"</label>
            <textarea id="petition-move-text" placeholder=placeholder prop:value=move || words.get()
                on:input=move |ev| words.set(event_target_value(&ev))></textarea>
            <button id="petition-move-submit" type="submit" prop:disabled=move || busy.get()>
                {move || format!("提交：{}", labels::coded(labels::PETITION_MOVES, chosen.get()))}
            </button>
            <p class="error" id="petition-move-error" role="alert">{move || error.get()}</p>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_petition_is_extended_once() {
        assert_eq!(allowed("registered", false), ["accept", "decline"]);
        assert_eq!(allowed("accepted", false), ["extend", "answer"]);
        assert_eq!(allowed("accepted", true), ["answer"]);
        assert!(allowed("answered", false).is_empty());
    }
}
