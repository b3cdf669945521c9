//! A dispute case's file (`GET /api/v1/disputes/{id}`): the case, its event, its parties
//! (masked as the service answers them), the moves so far and the petitions linked to it;
//! between them, the next moves the case's stage allows (`moves`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::wire::Revealed;

use super::moves::{allowed, Moves, Of};
use super::ui::{self, fact, Fact, Row};
use super::{ledgers, may_handle_disputes, text, time, township_name};
use crate::app::{shared, Page};
use crate::{api, labels, session};

/// A list member of a file.
pub fn list(file: &Value, key: &str) -> Vec<Value> {
    file.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The file of a case or petition `id`, reloaded after each move.
#[component]
pub fn CaseFile(of: Of, id: String) -> impl IntoView {
    let l = ledgers();
    let (path, title, dom_id, open) = match of {
        Of::Dispute => ("/api/v1/disputes", "纠纷案卷", "case-file", l.case),
        Of::Petition => ("/api/v1/petitions", "信访件", "petition-file", l.petition),
    };
    let file = RwSignal::new(None::<Result<Value, String>>);
    let url = format!("{path}/{}", api::segment(&id));
    {
        let url = url.clone();
        spawn_local(async move { file.set(Some(api::get::<Value>(&url).await)) });
    }
    let moved = Callback::new(move |after: Value| {
        file.set(Some(Ok(after)));
        l.reload();
    });
    // The file opens below the ledger: brought into view.
    request_animation_frame(move || {
        if let Some(el) = document().get_element_by_id(dom_id) {
            el.scroll_into_view();
        }
    });
    view! {
        <section class="panel case-file" id=dom_id data-id=id.clone()>
            <div class="panel-head">
                <b>{format!("{title} {id}")}</b>
                <button class="link" id=format!("{dom_id}-close") on:click=move |_| open.set(None)>"关闭"</button>
            </div>
            {move || match file.get() {
                None => view! { <p class="note">"加载中…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(f)) if of == Of::Dispute => case_body(&f, url.clone(), moved),
                Some(Ok(f)) => super::petition_case::petition_body(&f, url.clone(), moved),
            }}
        </section>
    }
}

/// A case file's event, facts, parties, next moves, moves so far and petitions.
fn case_body(f: &Value, url: String, moved: Callback<Value>) -> AnyView {
    let moves = list(f, "moves").iter().map(|m| move_row(m, labels::DISPUTE_MOVES, labels::DISPUTE_STAGES)).collect();
    view! {
        {event_link(f)}
        {ui::facts(facts(f))}
        <h3>"当事人"</h3>
        {ui::table("case-parties".into(), PARTIES_HEAD, list(f, "parties").iter().map(party).collect(), None)}
        {reveal(url.clone(), "parties")}
        {may_handle_disputes().then(|| view! { <Moves of=Of::Dispute url actions=allowed(&text(f, "stage")) on_done=moved/> })}
        <h3>"调处经过"</h3>
        {ui::table("case-moves".into(), MOVES_HEAD, moves, None)}
        {petitions(f)}
    }
    .into_any()
}

/// The event the case hangs on, opening it in the console when the account has one.
fn event_link(file: &Value) -> AnyView {
    let s = shared();
    let id = text(file, "event_id");
    let event = file.get("event").cloned().unwrap_or(Value::Null);
    let line: String = [labels::category_name(&text(&event, "category")).to_owned(), text(&event, "description").chars().take(40).collect()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let open = id.clone();
    view! {
        <p class="note">"事件 "
            <button class="link" id="case-event" prop:disabled=!s.console
                on:click=move |_| { s.page.set(Page::Dispatch); s.selected_event.set(Some(open.clone())); }>{id}</button>
            " " {line}
        </p>
    }
    .into_any()
}

/// The case's facts.
fn facts(file: &Value) -> Vec<Fact> {
    let c = file;
    let stage = text(c, "stage");
    let overdue = c.get("overdue").and_then(Value::as_bool) == Some(true);
    vec![
        Fact {
            label: "阶段",
            id: Some("case-stage"),
            value: labels::coded(labels::DISPUTE_STAGES, &stage) + if overdue { "（调解超期）" } else { "" },
            data: Some(stage),
        },
        fact("类型", labels::coded(labels::DISPUTE_KINDS, &text(c, "kind"))),
        fact("规模", format!("{}，{} 人", labels::coded(labels::DISPUTE_SCALES, &text(c, "scale")), text(c, "people"))),
        fact("乡镇", township_name(&text(c, "township"))),
        fact("登记", time(c, "registered_at")),
        fact("调解", [labels::coded(labels::MEDIATION_BODIES, &text(c, "body")), text(c, "mediator"), text(c, "method")].join(" ").trim().to_owned()),
        fact("结果", c.get("outcome").map(move_detail).unwrap_or_default()),
        Fact { label: "调解期限", id: Some("case-due"), value: time(c, "due_at"), data: None },
        fact("概要", text(c, "summary")),
    ]
}

/// The columns of a file's parties or petitioners.
const PARTIES_HEAD: &[&str] = &["身份", "姓名", "电话", "人口信息"];

/// A party, masked as answered.
pub fn party(p: &Value) -> Row {
    Row { id: String::new(), tag: text(p, "role"), cells: vec![text(p, "role"), text(p, "name"), text(p, "phone"), text(p, "record_id")] }
}

/// The columns of a file's moves.
pub const MOVES_HEAD: &[&str] = &["#", "时间", "操作", "操作人", "之后", "内容"];

/// A move of a case or petition file (`data-tag` its action).
pub fn move_row(m: &Value, actions: labels::Codes, stages: labels::Codes) -> Row {
    let action = text(m, "action");
    Row {
        id: text(m, "seq"),
        cells: vec![
            text(m, "seq"),
            time(m, "at"),
            labels::coded(actions, &action),
            text(m, "actor"),
            labels::coded(stages, &text(m, "stage_after")),
            move_detail(m.get("payload").filter(|p| p.is_object()).unwrap_or(m)),
        ],
        tag: action,
    }
}

/// What a move says beside its action.
pub fn move_detail(m: &Value) -> String {
    let flag = |k: &str, yes: &str, no: &str| m.get(k).and_then(Value::as_bool).map(|b| if b { yes } else { no }.to_owned());
    let parts = [
        Some(labels::coded(labels::MEDIATION_BODIES, &text(m, "body"))),
        Some(text(m, "mediator")),
        Some(text(m, "method")),
        Some(text(m, "office")),
        flag("written", "书面协议", "口头协议"),
        Some(text(m, "terms")),
        Some(labels::coded(labels::ROUTES, &text(m, "route"))),
        Some(text(m, "to")),
        flag("outside_county", "县外", ""),
        flag("kept", "已履行", "未履行"),
        flag("resolved", "已化解", "未化解"),
        Some(text(m, "days")).filter(|d| !d.is_empty()).map(|d| format!("延期 {d} 天")),
        Some(text(m, "reason")),
        Some(text(m, "note")),
    ];
    parts.into_iter().flatten().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("；")
}

/// The petitions about this dispute, each opening its file.
fn petitions(file: &Value) -> Option<AnyView> {
    let l = ledgers();
    let petitions = list(file, "petitions");
    (!petitions.is_empty()).then(|| {
        view! {
            <h3>"关联信访"</h3>
            <ul class="followups" id="case-petitions">
                {petitions.into_iter().map(|p| {
                    let id = text(&p, "petition_id");
                    let open = id.clone();
                    let stage = labels::coded(labels::PETITION_STAGES, &text(&p, "stage"));
                    view! { <li><button class="link" on:click=move |_| l.open_petition(open.clone())>{id}</button>{format!(" · {stage}")}</li> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    })
}

/// 查看完整信息 — a file's parties (`parties`) or petitioners (`petitioners`) in clear, for
/// those who may (`reveal_personal_data`; `POST …/reveal`, each reveal audited).
pub fn reveal(url: String, field: &'static str) -> Option<AnyView> {
    if !session::may(Permission::RevealPersonalData) {
        return None;
    }
    let shown = RwSignal::new(None::<Result<Vec<Value>, String>>);
    let ask = move |_| {
        let url = format!("{url}/reveal");
        spawn_local(async move {
            let got = api::post::<Revealed>(&url, &json!({ "field": field })).await;
            shown.set(Some(got.and_then(|r| serde_json::from_str::<Vec<Value>>(&r.value).map_err(|e| format!("无法解析：{e}")))));
        });
    };
    Some(
        view! {
            <button class="link" id=format!("reveal-{field}") on:click=ask>"查看完整信息（记入审计日志）"</button>
            {move || shown.get().map(|r| match r {
                Ok(list) => ui::table(format!("revealed-{field}"), PARTIES_HEAD, list.iter().map(party).collect(), None),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
        }
        .into_any(),
    )
}
