//! 审计日志 — the audit administrator's page: the audit log filtered and paged
//! (`GET /api/v1/audit`) and a check of its chain (`GET /api/v1/audit/verify`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wangge_core::access::AuditOutcome;
use wangge_core::wire::{AuditEntry, AuditVerify, Paged};

use crate::{api, labels};

/// Rows per page.
const PER_PAGE: u32 = 50;

/// The filters as typed in.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filter {
    user: String,
    action: String,
    outcome: String,
    object: String,
    from: String,
    to: String,
}

impl Filter {
    fn url(&self, page: u32) -> String {
        let (page, per_page) = (page.to_string(), PER_PAGE.to_string());
        api::url(
            "/api/v1/audit",
            &[
                ("user", self.user.trim()),
                ("action", self.action.trim()),
                ("outcome", &self.outcome),
                ("object", self.object.trim()),
                ("from", &self.from),
                ("to", &self.to),
                ("page", &page),
                ("per_page", &per_page),
            ],
        )
    }
}

/// The audit log page.
#[component]
pub fn AuditLog() -> impl IntoView {
    let typed = RwSignal::new(Filter::default());
    let applied = RwSignal::new(Filter::default());
    let page = RwSignal::new(1_u32);
    let rows = RwSignal::new(None::<Paged<AuditEntry>>);
    let error = RwSignal::new(String::new());

    Effect::new(move |_| {
        let url = applied.get().url(page.get());
        error.set(String::new());
        spawn_local(async move {
            match api::get::<Paged<AuditEntry>>(&url).await {
                Ok(p) => rows.set(Some(p)),
                Err(e) => error.set(e),
            }
        });
    });
    let pages = move || rows.get().map_or(1, |p| (p.total.max(0) as u32).div_ceil(PER_PAGE).max(1));
    let edit = move |change: fn(&mut Filter, String)| {
        move |ev: web_sys::Event| typed.update(|f| change(f, event_target_value(&ev)))
    };

    view! {
        <h2>"审计日志"</h2>
        <form class="filters audit-filters" id="audit-filters" on:submit=move |ev| {
            ev.prevent_default();
            page.set(1);
            applied.set(typed.get_untracked());
        }>
            <div class="row">
                <label>"用户" <input id="audit-user" type="text" on:change=edit(|f, v| f.user = v)/></label>
                <label>"操作" <input id="audit-action" type="text" placeholder="如 login" on:change=edit(|f, v| f.action = v)/></label>
                <label>"对象" <input id="audit-object" type="text" placeholder="如 event:E20230105-1" on:change=edit(|f, v| f.object = v)/></label>
            </div>
            <div class="row">
                <label>"结果"
                    <select id="audit-outcome" on:change=edit(|f, v| f.outcome = v)>
                        <option value="" selected=true>"全部"</option>
                        <option value="success">"成功"</option>
                        <option value="failure">"失败"</option>
                        <option value="denied">"拒绝"</option>
                        <option value="begun">"开始"</option>
                    </select>
                </label>
                <label>"自" <input id="audit-from" type="date" on:change=edit(|f, v| f.from = v)/></label>
                <label>"至" <input id="audit-to" type="date" on:change=edit(|f, v| f.to = v)/></label>
                <button id="audit-search" type="submit">"查询"</button>
            </div>
        </form>
        <Verify/>
        <p class="error">{move || error.get()}</p>
        <div class="pager">
            <button id="audit-prev" prop:disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"上一页"</button>
            <span id="audit-page">{move || format!("第 {} / {} 页，共 {} 条", page.get(), pages(), rows.get().map_or(0, |p| p.total))}</span>
            <button id="audit-next" prop:disabled=move || { page.get() >= pages() } on:click=move |_| page.update(|p| *p += 1)>"下一页"</button>
        </div>
        <table class="audit" id="audit-table">
            <thead>
                <tr><th>"#"</th><th>"时间"</th><th>"用户"</th><th>"操作"</th><th>"对象"</th><th>"结果"</th><th>"来源"</th><th>"详情"</th></tr>
            </thead>
            <tbody>
                {move || rows.get().map(|p| p.items.into_iter().map(row).collect_view())}
            </tbody>
        </table>
    }
}

/// One row of the table.
fn row(r: AuditEntry) -> impl IntoView {
    let (user, action) = (r.user.clone(), r.action.clone());
    view! {
        <tr data-user=user data-action=action data-outcome=r.outcome.as_str()>
            <td>{r.seq}</td><td>{labels::time(&r.at)}</td><td>{r.user}</td><td>{r.action}</td>
            <td>{r.object}</td><td class=format!("outcome-{}", r.outcome.as_str())>{outcome(r.outcome)}</td>
            <td>{r.source}</td><td>{r.detail}</td>
        </tr>
    }
}

fn outcome(o: AuditOutcome) -> &'static str {
    match o {
        AuditOutcome::Success => "成功",
        AuditOutcome::Failure => "失败",
        AuditOutcome::Denied => "拒绝",
        AuditOutcome::Begun => "开始",
    }
}

/// 校验 — checks the whole chain and says 完整 or where it breaks.
#[component]
fn Verify() -> impl IntoView {
    let result = RwSignal::new(String::new());
    let broken = RwSignal::new(false);
    let run = move |_| {
        result.set("校验中…".to_owned());
        broken.set(false);
        spawn_local(async move {
            match api::get::<AuditVerify>("/api/v1/audit/verify").await {
                Ok(v) if v.ok => result.set(format!("完整：{} 条记录的链全部校验通过", v.rows)),
                Ok(v) => {
                    broken.set(true);
                    result.set(match v.chain_break {
                        Some(b) => format!("不完整：链在第 {} 条记录处断开（{}），共 {} 条", b.index + 1, b.kind, v.rows),
                        None => format!("不完整（共 {} 条）", v.rows),
                    });
                }
                Err(e) => {
                    broken.set(true);
                    result.set(e);
                }
            }
        });
    };
    view! {
        <div class="row verify">
            <button id="audit-verify" on:click=run>"校验"</button>
            <span id="audit-verify-result" class:error=move || broken.get() class:ok=move || !broken.get()>{move || result.get()}</span>
        </div>
    }
}
