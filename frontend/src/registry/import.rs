//! 模板与导入 — the kind's spreadsheet templates (`GET …/{kind}/template?format=xlsx|csv`, with
//! `edit_registry`) and the import of a filled one (`POST …/{kind}/import`, with
//! `import_registry`): the file goes as it is, then its progress is followed
//! (`GET /api/v1/registry/imports/{id}`: rows checked of rows) until it is stored whole or
//! refused with each row's problems.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use wangge_core::access::Permission;
use wasm_bindgen::JsCast;

use super::form::reason_zh;
use super::registry;
use crate::{api, session};

/// The spreadsheet type of an XLSX file.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// How often an import's progress is asked for.
const POLL: Duration = Duration::from_millis(700);

/// `POST …/import`'s answer.
#[derive(Debug, Deserialize)]
struct Started {
    status_url: String,
}

/// An import's progress.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct Progress {
    state: String,
    #[serde(default)]
    rows: u64,
    #[serde(default)]
    rows_checked: u64,
    #[serde(default)]
    stored: u64,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    problems: Vec<RowProblem>,
    #[serde(default)]
    problems_total: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct RowProblem {
    row: u64,
    column: Option<String>,
    reason: String,
}

/// Template links and the import form.
#[component]
pub fn Import() -> impl IntoView {
    let r = registry();
    let templates = session::may(Permission::EditRegistry);
    let import = session::may(Permission::ImportRegistry);
    if !templates && !import {
        return None;
    }
    let template = move |format: &str| format!("/api/v1/registry/{}/template?format={format}", r.query.with(|q| q.kind.plural()));
    Some(view! {
        <details class="panel registry-import" id="registry-import">
            <summary>{move || format!("模板与导入（{}）", r.query.with(|q| q.kind.zh()))}</summary>
            {templates.then(|| view! {
                <p class="row">"下载模板："
                    <a id="template-xlsx" href=move || template("xlsx") download="">"Excel"</a>
                    <a id="template-csv" href=move || template("csv") download="">"CSV"</a>
                </p>
            })}
            {import.then(|| view! { <ImportForm/> })}
        </details>
    })
}

/// The file chosen in an input.
fn chosen(ev: &web_sys::Event) -> Option<web_sys::File> {
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    input.files()?.get(0)
}

/// The import form with its progress and the rows' problems.
#[component]
fn ImportForm() -> impl IntoView {
    let r = registry();
    let file = StoredValue::new_local(None::<web_sys::File>);
    let progress = RwSignal::new(None::<Progress>);
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let start = move |_| {
        let Some(f) = file.get_value() else {
            status.set("请先选择文件（.xlsx 或 .csv）".to_owned());
            return;
        };
        let kind = r.query.with_untracked(|q| q.kind);
        let media = if f.name().to_lowercase().ends_with(".csv") { "text/csv" } else { XLSX };
        let url = format!("/api/v1/registry/{}/import", kind.plural());
        busy.set(true);
        progress.set(None);
        status.set(format!("正在上传 {}…", f.name()));
        spawn_local(async move {
            match api::upload::<Started>(&url, &f, media).await {
                Ok(s) => follow(s.status_url, progress, status).await,
                Err(e) => status.set(e),
            }
            busy.set(false);
            r.reloads.update(|n| *n += 1);
        });
    };
    view! {
        <div class="row">
            <input id="import-file" type="file" accept=".xlsx,.csv" on:change=move |ev| file.set_value(chosen(&ev))/>
            <button id="import-submit" on:click=start prop:disabled=move || busy.get()>"导入"</button>
        </div>
        {move || progress.get().map(|p| view! {
            <progress id="import-progress" max=p.rows.max(1).to_string() value=p.rows_checked.to_string()></progress>
        })}
        <p class="note" id="import-status">{move || status.get()}</p>
        {move || progress.get().filter(|p| !p.problems.is_empty()).map(|p| view! {
            <table class="import-problems" id="import-problems">
                <tr><th>"行"</th><th>"列"</th><th>"问题"</th></tr>
                {p.problems.into_iter().map(|x| view! {
                    <tr><td>{x.row}</td><td>{x.column.unwrap_or_default()}</td><td title=x.reason.clone()>{reason_zh(&x.reason)}</td></tr>
                }).collect_view()}
            </table>
        })}
    }
}

/// Follows an import until it is done or failed.
async fn follow(url: String, progress: RwSignal<Option<Progress>>, status: RwSignal<String>) {
    loop {
        match api::get::<Progress>(&url).await {
            Ok(p) => {
                status.set(match p.state.as_str() {
                    "done" => format!("导入完成：已保存 {} 条", p.stored),
                    "failed" if p.problems_total > 0 => format!("导入未完成：{} 处问题，未保存任何记录", p.problems_total),
                    "failed" => format!("导入未完成：{}", p.detail),
                    _ => format!("正在检查：{} / {} 行", p.rows_checked, p.rows),
                });
                let finished = p.state != "checking";
                progress.set(Some(p));
                if finished {
                    return;
                }
            }
            Err(e) => {
                status.set(e);
                return;
            }
        }
        sleep(POLL).await;
    }
}

/// Waits `d` (a timer of the page).
async fn sleep(d: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(move || { let _ = resolve.call0(&wasm_bindgen::JsValue::NULL); }, d);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
