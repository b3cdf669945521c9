//! 特殊人群 — the special-group officers' (and a gridworker's own members') queue
//! (`GET /api/v1/registry/special_groups`, the most overdue first), a member's record with its
//! follow-ups (`GET …/special_groups/{id}`) and 走访 with a note (`POST …/{id}/followups`, with
//! `visit_special_group`). Only here does the map show where a member is: the grid, outlined.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::registry::codes::{self, GROUP};
use wangge_core::registry::schema::SPECIAL;
use wangge_core::registry::FieldType;
use wangge_core::wire::Paged;

use super::text;
use crate::{api, bridge, labels, session};

/// Members per page.
const PER_PAGE: u32 = 20;

/// The queue page.
#[component]
pub fn SpecialGroups() -> impl IntoView {
    let group = RwSignal::new(String::new());
    let overdue = RwSignal::new(false);
    let page = RwSignal::new(1_u32);
    let reloads = RwSignal::new(0_u32);
    let selected = RwSignal::new(None::<String>);
    let answer = RwSignal::new(None::<Result<Paged<Value>, String>>);
    Effect::new(move |_| {
        reloads.track();
        let (g, o, p) = (group.get(), overdue.get(), page.get().to_string());
        let url = api::url(
            "/api/v1/registry/special_groups",
            &[("group", &g), ("overdue", if o { "true" } else { "" }), ("page", &p), ("per_page", &PER_PAGE.to_string())],
        );
        spawn_local(async move { answer.set(Some(api::get::<Paged<Value>>(&url).await)) });
    });
    on_cleanup(|| bridge::highlight_grid(""));
    let pages = move || answer.with(|a| match a {
        Some(Ok(p)) => (p.total.max(0) as u32).div_ceil(PER_PAGE).max(1),
        _ => 1,
    });
    view! {
        <h2>"特殊人群"</h2>
        <fieldset class="filters">
            <div class="row">
                <select id="special-group" on:change=move |ev| { group.set(event_target_value(&ev)); page.set(1); }>
                    <option value="">"全部类别"</option>
                    {GROUP.iter().map(|c| view! { <option value=c.code>{c.zh}</option> }).collect_view()}
                </select>
                <label><input type="checkbox" id="special-overdue" prop:checked=move || overdue.get()
                    on:change=move |ev| { overdue.set(event_target_checked(&ev)); page.set(1); }/>"仅逾期未走访"</label>
            </div>
        </fieldset>
        {move || match answer.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
            Some(Ok(p)) => view! {
                <p class="note" id="special-total">{format!("共 {} 人", p.total)}</p>
                <ul class="queue" id="special-list">
                    {p.items.into_iter().map(|m| {
                        let id = text(&m, "id");
                        let late = m.get("overdue").and_then(Value::as_bool).unwrap_or(false);
                        let open = id.clone();
                        let is_open = id.clone();
                        view! {
                            <li class="q" class:q-overdue=late data-id=id class:selected=move || selected.get().as_deref() == Some(is_open.as_str())
                                on:click=move |_| selected.set(Some(open.clone()))>
                                <div>{late.then(|| view! { <span class="tag">"逾期"</span> })}<b>{text(&m, "person_name")}</b>" · "{text(&m, "group_zh")}</div>
                                <div class="note">{format!("{} · 应走访 {}", bridge::feature_name("villages", &text(&m, "village_code")), labels::time(&text(&m, "due_at")))}</div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
        <div class="pager">
            <button on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1)) prop:disabled=move || page.get() <= 1>"上一页"</button>
            <span>{move || format!("第 {} / {} 页", page.get(), pages())}</span>
            <button on:click=move |_| page.update(|p| *p += 1) prop:disabled=move || { page.get() >= pages() }>"下一页"</button>
        </div>
        {move || selected.get().map(|id| view! { <Member id on_change=move |()| reloads.update(|n| *n += 1)/> })}
    }
}

/// A member's value as shown (codes by their labels).
fn member_value(m: &Value, key: &str) -> String {
    let v = text(m, key);
    match SPECIAL.iter().find(|f| f.key == key).map(|f| f.ty) {
        Some(FieldType::Code(list)) if !v.is_empty() => codes::label(list, &v),
        _ => v,
    }
}

/// A member's record, its follow-ups and 走访.
#[component]
fn Member(id: String, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let member = RwSignal::new(None::<Result<Value, String>>);
    let note = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let url = format!("/api/v1/registry/special_groups/{}", api::segment(&id));
    let load = {
        let url = url.clone();
        move || {
            let url = url.clone();
            spawn_local(async move {
                let got = api::get::<Value>(&url).await;
                if let Ok(m) = &got {
                    let grid = text(m, "grid_code");
                    bridge::highlight_grid(&grid);
                    if !grid.is_empty() {
                        bridge::fit_feature("grids", &grid);
                    }
                }
                member.set(Some(got));
            });
        }
    };
    load();
    let visit = move |_| {
        let url = format!("{url}/followups");
        let body = json!({"followup_id": format!("web-{:x}-{:x}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e12) as u64), "note": note.get_untracked()});
        let load = load.clone();
        status.set("提交中…".to_owned());
        spawn_local(async move {
            match api::post::<Value>(&url, &body).await {
                Ok(_) => {
                    status.set("已记录走访".to_owned());
                    note.set(String::new());
                    load();
                    on_change.run(());
                }
                Err(e) => status.set(e),
            }
        });
    };
    let may_visit = session::may(Permission::VisitSpecialGroup);
    view! {
        <section class="panel record-panel" id="special-panel">
            {move || match member.get() {
                None => view! { <p class="note">"加载中…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok(m)) => {
                    let facts = SPECIAL.iter().filter(|f| !text(&m, f.key).is_empty()).map(|f| view! {
                        <dt>{f.zh}</dt><dd>{member_value(&m, f.key)}</dd>
                    }).collect_view();
                    let followups: Vec<Value> = m.get("followups").and_then(Value::as_array).cloned().unwrap_or_default();
                    view! {
                        <div class="panel-head"><b>{format!("{} · {}", text(&m, "person_name"), text(&m, "group_zh"))}</b></div>
                        <dl class="facts">
                            <dt>"村(社区)"</dt><dd>{super::village_name(&text(&m, "village_code"))}</dd>
                            <dt>"网格"</dt><dd>{text(&m, "grid_code")}</dd>
                            {facts}
                            <dt>"上次走访"</dt><dd>{labels::time(&text(&m, "last_followup_at"))}</dd>
                            <dt>"应走访"</dt><dd id="special-due">{labels::time(&text(&m, "due_at"))}</dd>
                        </dl>
                        <h3>{format!("走访记录（{}）", followups.len())}</h3>
                        <ul class="followups" id="special-followups">
                            {followups.into_iter().rev().map(|f| view! {
                                <li><b>{labels::time(&text(&f, "at"))}</b>" "{text(&f, "person_id")}<div>{text(&f, "note")}</div></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            {may_visit.then(|| view! {
                <form id="followup-form" on:submit=move |ev| { ev.prevent_default(); }>
                    <textarea id="followup-note" rows="2" placeholder="走访情况" prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    <button type="button" id="followup-submit" on:click=visit>"走访"</button>
                </form>
            })}
            <p class="note" id="followup-status">{move || status.get()}</p>
        </section>
    }
}
