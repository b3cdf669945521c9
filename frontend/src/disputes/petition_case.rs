//! A petition's file (`GET /api/v1/petitions/{id}`): the petition, its petitioners (masked),
//! its deadlines under the 信访工作条例 and its moves; and the next move for those who handle
//! petitions (`moves`: 受理, 不予受理, 延期, 办结答复).

use leptos::prelude::*;
use serde_json::Value;
use wangge_core::petition::{apply, Move, Stage, MAX_EXTENSION_DAYS};

use super::case::{list, move_row, MOVES_HEAD};
use super::moves::{Moves, Of};
use super::ui::{self, fact, Fact};
use super::{ledgers, may_handle_petitions, text, time, township_name};
use crate::labels;

/// Every stage, to read a wire name.
const STAGES: [Stage; 4] = [Stage::Registered, Stage::Accepted, Stage::Declined, Stage::Answered];


/// The moves a petition at `stage` (wire name) may take, `extended` once already, by the
/// core's rules (信访工作条例: accepted or declined first, then extended once or answered).
pub fn allowed(stage: &str, extended: bool) -> Vec<&'static str> {
    let Some(stage) = STAGES.into_iter().find(|s| s.as_str() == stage) else {
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

/// A petition's file: facts, linked case, next moves and moves so far.
pub fn petition_body(f: &Value, url: String, moved: Callback<Value>) -> AnyView {
    let p = f;
    let actions = allowed(&text(p, "stage"), p.get("extended").and_then(Value::as_bool).unwrap_or(false));
    let moves = list(f, "moves").iter().map(|m| move_row(m, labels::PETITION_MOVES, labels::PETITION_STAGES)).collect();
    view! {
        {ui::facts(facts(p))}
        {super::case::reveal(url.clone(), "petitioners")}
        {linked_case(p)}
        {may_handle_petitions().then(|| view! { <Moves of=Of::Petition url actions on_done=moved/> })}
        <h3>"办理经过"</h3>
        {ui::table("petition-moves".into(), MOVES_HEAD, moves, None)}
    }
    .into_any()
}

/// The petition's facts.
fn facts(p: &Value) -> Vec<Fact> {
    let stage = text(p, "stage");
    let petitioners: Vec<String> = p
        .get("petitioners")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| format!("{} {}", text(x, "name"), text(x, "phone")).trim().to_owned()).collect())
        .unwrap_or_default();
    let place = format!("{} {}", township_name(&text(p, "township")), text(p, "village"));
    vec![
        Fact { label: "阶段", id: Some("petition-stage"), value: labels::coded(labels::PETITION_STAGES, &stage), data: Some(stage) },
        fact("渠道", format!("{}，{}", labels::coded(labels::PETITION_CHANNELS, &text(p, "channel")), labels::coded(labels::PETITION_LEVELS, &text(p, "lodged")))),
        fact("收到", time(p, "received_at")),
        fact("受理期限", time(p, "accept_by")),
        fact("办理期限", time(p, "due_at")),
        fact("乡镇", place),
        fact("信访人", format!("{}（{} 人）", petitioners.join("、"), text(p, "people"))),
        fact("事项", text(p, "matter")),
        fact("关联", [text(p, "event_id"), text(p, "repeat_of")].join(" ").trim().to_owned()),
    ]
}

/// The dispute case the petition is about, opening its file.
fn linked_case(p: &Value) -> Option<AnyView> {
    let l = ledgers();
    let case = text(p, "case_id");
    (!case.is_empty()).then(|| {
        let open = case.clone();
        view! { <p class="note">"关联纠纷 "<button class="link" on:click=move |_| l.open_case(open.clone())>{case}</button></p> }.into_any()
    })
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
