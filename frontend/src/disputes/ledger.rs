//! 纠纷台账 — the dispute cases of a period and area, newest first (`GET /api/v1/disputes`),
//! filtered by township, stage and kind, paged, exported as XLSX; a row opens its case file;
//! 登记纠纷 registers a case for an event.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wangge_core::wire::Paged;

use super::case::CaseFile;
use super::register::RegisterCase;
use super::{ledgers, may_handle_disputes, pages, text, time, township_name, CodeSelect, Filter, TownshipSelect};
use crate::{api, labels};

/// The ledger, its filters, the register form and the case file open.
#[component]
pub fn DisputeLedger() -> impl IntoView {
    let l = ledgers();
    let applied = RwSignal::new(Filter::home());
    let answer = RwSignal::new(None::<Result<Paged<Value>, String>>);
    let registering = RwSignal::new(false);
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let url = applied.get().url("/api/v1/disputes", &[]);
        l.reloads.track();
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let got = api::get::<Paged<Value>>(&url).await;
            if asked.get_value() == n {
                answer.set(Some(got));
            }
        });
    });
    let total = move || answer.with(|a| a.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |p| p.total));
    let go = move |delta: i32| {
        let last = pages(total());
        applied.update(|f| f.page = f.page.saturating_add_signed(delta).clamp(1, last));
    };
    let export = move || applied.with(|f| f.url("/api/v1/disputes", &[("format", "xlsx")]));
    view! {
        <Filters applied/>
        <div class="row registry-actions">
            {may_handle_disputes().then(|| view! {
                <button id="dispute-new" on:click=move |_| registering.update(|r| *r = !*r)>"登记纠纷"</button>
            })}
            <a id="dispute-export" class="button" href=export download="">"导出 XLSX"</a>
        </div>
        {move || registering.get().then(|| view! {
            <RegisterCase event_id=String::new() on_done=Callback::new(move |id: String| {
                registering.set(false);
                l.reload();
                l.open_case(id);
            })/>
        })}
        {move || match answer.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" id="dispute-error">{e}</p> }.into_any(),
            Some(Ok(p)) => view! {
                <p class="note" id="dispute-total">{format!("共 {} 件", p.total)}</p>
                <table class="clickable ledger" id="dispute-list">
                    <thead><tr><th>"登记时间"</th><th>"类型"</th><th>"规模"</th><th>"人数"</th><th>"乡镇"</th><th>"阶段"</th><th>"概要"</th></tr></thead>
                    <tbody>{p.items.into_iter().map(row).collect_view()}</tbody>
                </table>
            }.into_any(),
        }}
        <div class="pager">
            <button id="dispute-prev" on:click=move |_| go(-1) prop:disabled=move || applied.with(|f| f.page <= 1)>"上一页"</button>
            <span id="dispute-page">{move || format!("第 {} / {} 页", applied.with(|f| f.page), pages(total()))}</span>
            <button id="dispute-next" on:click=move |_| go(1) prop:disabled=move || { applied.with(|f| f.page) >= pages(total()) }>"下一页"</button>
        </div>
        {move || l.case.get().map(|id| view! { <CaseFile id/> })}
    }
}

/// The period, township, stage and kind; 查询 applies them from page 1.
#[component]
fn Filters(applied: RwSignal<Filter>) -> impl IntoView {
    let start = applied.get_untracked();
    let (from, to) = (RwSignal::new(start.from), RwSignal::new(start.to));
    let (township, stage, kind) = (RwSignal::new(start.township), RwSignal::new(start.stage), RwSignal::new(start.kind));
    let date = move |id: &'static str, v: RwSignal<String>| {
        view! { <input id=id type="date" prop:value=move || v.get() on:change=move |ev| v.set(event_target_value(&ev))/> }
    };
    view! {
        <form class="filters" id="dispute-filters" on:submit=move |ev| {
            ev.prevent_default();
            applied.set(Filter {
                from: from.get_untracked(),
                to: to.get_untracked(),
                township: township.get_untracked(),
                stage: stage.get_untracked(),
                kind: kind.get_untracked(),
                page: 1,
            });
        }>
            <div class="row">
                <label>"自" {date("dispute-from", from)}</label>
                <label>"至" {date("dispute-to", to)}</label>
                <TownshipSelect id="dispute-township" value=township/>
            </div>
            <div class="row">
                <CodeSelect id="dispute-stage" list=labels::DISPUTE_STAGES value=stage all="全部阶段"/>
                <CodeSelect id="dispute-kind" list=labels::DISPUTE_KINDS value=kind all="全部类型"/>
                <button id="dispute-search" type="submit">"查询"</button>
            </div>
        </form>
    }
}

/// One case of the ledger; a click opens its file.
fn row(case: Value) -> impl IntoView {
    let l = ledgers();
    let id = super::first_text(&case, &["case_id", "id"]);
    let open = id.clone();
    let selected = {
        let id = id.clone();
        move || l.case.with(|c| c.as_deref() == Some(id.as_str()))
    };
    let stage = text(&case, "stage");
    let overdue = case.get("overdue").and_then(Value::as_bool).unwrap_or(false);
    let summary: String = text(&case, "summary").chars().take(30).collect();
    view! {
        <tr data-case-id=id data-stage=stage.clone() class:selected=selected on:click=move |_| l.case.set(Some(open.clone()))>
            <td>{time(&case, "registered_at")}</td>
            <td>{labels::coded(labels::DISPUTE_KINDS, &text(&case, "kind"))}</td>
            <td>{labels::coded(labels::DISPUTE_SCALES, &text(&case, "scale"))}</td>
            <td>{text(&case, "people")}</td>
            <td>{township_name(&text(&case, "township"))}</td>
            <td class="stage">{labels::coded(labels::DISPUTE_STAGES, &stage)}{overdue.then_some(" 超期").map(|t| view! { <span class="overdue-flag">{t}</span> })}</td>
            <td>{summary}</td>
        </tr>
    }
}
