//! A record's panel: its fields by their Chinese labels (`GET /api/v1/registry/{kind}/{id}`),
//! a house's or household's people, 揭示 for each masked field (`POST …/reveal`, audited; with
//! `reveal_personal_data`), 核实 (`POST …/verify`) and 编辑 (`PUT`); and the form for a new
//! record (`POST /api/v1/registry/{kind}`), a 422's problems beside their fields.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::access::Permission;
use wangge_core::registry::{Entity, FieldType};
use wangge_core::wire::Revealed;

use super::form::{self, FieldProblem, RecordForm, Values};
use super::{registry, shown, text, Area};
use crate::{api, bridge, labels, session};

/// The panel beside the map: the form for a new record, or the record open.
#[component]
pub fn RecordPanel() -> impl IntoView {
    let r = registry();
    move || {
        if r.creating.get() {
            let kind = r.query.with_untracked(|q| q.kind);
            let on_saved = move |rec: Value| {
                r.reloads.update(|n| *n += 1);
                r.open(kind, text(&rec, "id"));
            };
            Some(view! {
                <section class="panel record-panel" id="record-panel">
                    <div class="panel-head"><b>{format!("新增{}", kind.zh())}</b></div>
                    <Editor kind record=None on_saved on_cancel=move |()| r.creating.set(false)/>
                </section>
            }.into_any())
        } else {
            r.selected.get().map(|(kind, id)| view! { <Detail kind id/> }.into_any())
        }
    }
}

/// The url of a record (and of its actions with `action`).
fn record_url(kind: Entity, id: &str, action: &str) -> String {
    let base = format!("/api/v1/registry/{}/{}", kind.plural(), api::segment(id));
    if action.is_empty() {
        base
    } else {
        format!("{base}/{action}")
    }
}

/// A record open in the panel.
#[component]
fn Detail(kind: Entity, id: String) -> impl IntoView {
    let r = registry();
    let record = RwSignal::new(None::<Result<Value, String>>);
    let revealed = RwSignal::new(BTreeMap::<String, String>::new());
    let editing = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let url = record_url(kind, &id, "");
    spawn_local(async move { record.set(Some(api::get::<Value>(&url).await)) });
    let verify_url = record_url(kind, &id, "verify");
    let verify = move |_| {
        let url = verify_url.clone();
        status.set("核实中…".to_owned());
        spawn_local(async move {
            match api::post::<Value>(&url, &json!({})).await {
                Ok(v) => {
                    status.set(format!("已核实：{}", labels::time(&text(&v, "verified_at"))));
                    record.update(|rec| {
                        if let Some(Ok(old)) = rec {
                            for k in ["verified_at", "verified_by", "updated_at"] {
                                old[k] = v[k].clone();
                            }
                        }
                    });
                    r.reloads.update(|n| *n += 1);
                }
                Err(e) => status.set(e),
            }
        });
    };
    let edit = session::may(Permission::EditRegistry);
    let body = move || match record.get() {
        None => view! { <p class="note">"加载中…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
        Some(Ok(rec)) if editing.get() => {
            let on_saved = move |v: Value| {
                record.set(Some(Ok(v)));
                revealed.set(BTreeMap::new());
                editing.set(false);
                status.set("已保存".to_owned());
                r.reloads.update(|n| *n += 1);
            };
            view! { <Editor kind record=Some(rec) on_saved on_cancel=move |()| editing.set(false)/> }.into_any()
        }
        Some(Ok(rec)) => view! { <Facts kind rec revealed/> }.into_any(),
    };
    let title = move || record.with(|rec| match rec {
        Some(Ok(v)) => format!("{} · {}", kind.zh(), text(v, kind.title())),
        _ => kind.zh().to_owned(),
    });
    view! {
        <section class="panel record-panel" id="record-panel">
            <div class="panel-head">
                <b id="record-title">{title}</b>
                <span class="code">{id.clone()}</span>
                <button class="link" id="record-close" on:click=move |_| r.selected.set(None)>"关闭"</button>
            </div>
            {body}
            {edit.then(|| view! {
                <div class="row" class:hidden=move || editing.get()>
                    <button id="record-verify" on:click=verify>"核实"</button>
                    <button id="record-edit" on:click=move |_| editing.set(true)>"编辑"</button>
                </div>
            })}
            <p class="note" id="record-status">{move || status.get()}</p>
        </section>
    }
}

/// A record's fields, its place and its times; masked fields with 揭示.
#[component]
fn Facts(kind: Entity, rec: Value, revealed: RwSignal<BTreeMap<String, String>>) -> impl IntoView {
    let r = registry();
    let id = text(&rec, "id");
    let masked: Vec<String> = rec.get("masked").and_then(Value::as_array).map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    let reveal = session::may(Permission::RevealPersonalData);
    let rows = kind
        .fields()
        .iter()
        .filter(|f| !matches!(f.key, "lon" | "lat") && !text(&rec, f.key).is_empty())
        .map(|f| {
            let key = f.key;
            let value = shown(kind, key, &rec);
            let is_masked = masked.iter().any(|m| m == key);
            let linked = match f.ty {
                FieldType::Ref(e) => Some((e, text(&rec, key))),
                _ => None,
            };
            let url = record_url(kind, &id, "reveal");
            let show = move |_| {
                let url = url.clone();
                spawn_local(async move {
                    match api::post::<Revealed>(&url, &json!({"field": key})).await {
                        Ok(v) => revealed.update(|m| {
                            m.insert(key.to_owned(), v.value);
                        }),
                        Err(e) => revealed.update(|m| {
                            m.insert(key.to_owned(), e);
                        }),
                    }
                });
            };
            view! {
                <dt>{f.zh}</dt>
                <dd>
                    <span id=format!("value-{key}") class:masked=move || is_masked && revealed.with(|m| !m.contains_key(key))>
                        {move || revealed.with(|m| m.get(key).cloned()).unwrap_or_else(|| value.clone())}
                    </span>
                    {linked.map(|(e, to)| view! {
                        <button class="link" on:click=move |_| r.open(e, to.clone())>"查看"</button>
                    })}
                    {(is_masked && reveal).then(|| view! {
                        <button class="link" id=format!("reveal-field-{key}") class:hidden=move || revealed.with(|m| m.contains_key(key))
                            on:click=show title="查看完整信息（将记入审计日志）">"揭示"</button>
                    })}
                </dd>
            }
        })
        .collect_view();
    let area = Area { township: text(&rec, "township_code"), village: text(&rec, "village_code"), grid: text(&rec, "grid_code") };
    let grid = area.grid.clone();
    let grid_name = bridge::feature_name("grids", &grid);
    let point = rec.get("lon").and_then(Value::as_f64).zip(rec.get("lat").and_then(Value::as_f64));
    let people: Vec<Value> = rec.get("people").and_then(Value::as_array).cloned().unwrap_or_default();
    view! {
        <dl class="facts" id="record-facts">
            {rows}
            <dt>"网格"</dt>
            <dd>
                {if grid.is_empty() { "—".to_owned() } else { format!("{grid_name} {grid}") }}
                {(!grid.is_empty()).then(|| view! {
                    <button class="link" id="record-grid" on:click=move |_| {
                        bridge::highlight_grid(&area.grid);
                        bridge::fit_feature("grids", &area.grid);
                        let a = area.clone();
                        r.set(|q| q.area = a);
                    }>"网格家底"</button>
                })}
                {point.map(|(lon, lat)| view! { <button class="link" on:click=move |_| bridge::fly_to(lon, lat, 16.0)>"定位"</button> })}
            </dd>
            <dt>"核实时间"</dt><dd id="record-verified-at">{labels::time(&text(&rec, "verified_at"))}</dd>
            <dt>"核实人"</dt><dd>{text(&rec, "verified_by")}</dd>
            <dt>"采集时间"</dt><dd>{labels::time(&text(&rec, "created_at"))}</dd>
        </dl>
        {(!people.is_empty()).then(|| view! {
            <h3>{format!("人员（{}）", text(&rec, "people_total"))}</h3>
            <ul class="record-people" id="record-people">
                {people.into_iter().map(|p| {
                    let pid = text(&p, "id");
                    let line = format!("{} · {} · {}", text(&p, "name"), shown(Entity::Person, "kind", &p), text(&p, "id_number"));
                    view! { <li><button class="link" on:click=move |_| r.open(Entity::Person, pid.clone())>{line}</button></li> }
                }).collect_view()}
            </ul>
        })}
    }
}

/// The form of a new record (`record` none) or of a record being edited.
#[component]
fn Editor(
    kind: Entity,
    record: Option<Value>,
    #[prop(into)] on_saved: Callback<Value>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let r = registry();
    let url = match &record {
        Some(rec) => record_url(kind, &text(rec, "id"), ""),
        None => format!("/api/v1/registry/{}", kind.plural()),
    };
    let method = if record.is_some() { "PUT" } else { "POST" };
    let initial: Values = match &record {
        Some(rec) => form::values_of(kind, rec),
        None => {
            let village = r.query.with_untracked(|q| q.area.village.clone());
            (!village.is_empty()).then(|| ("village_code".to_owned(), village)).into_iter().collect()
        }
    };
    let values = RwSignal::new(initial);
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move || {
        let body = form::body(kind, &values.get_untracked());
        let url = url.clone();
        busy.set(true);
        status.set("提交中…".to_owned());
        spawn_local(async move {
            match api::raw_json(method, &url, &body).await {
                Ok((200 | 201, text)) => match serde_json::from_str::<Value>(&text) {
                    Ok(v) => {
                        status.set(String::new());
                        on_saved.run(v);
                    }
                    Err(e) => status.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((422, text)) => {
                    let found = form::problems_of(&text);
                    status.set(if found.is_empty() { api::detail(&text) } else { format!("有 {} 项需要修改", found.len()) });
                    problems.set(found);
                }
                Ok((409, text)) => {
                    problems.set(vec![FieldProblem { field: "id_number".into(), reason: "already registered".into() }]);
                    status.set(format!("未保存：{}", form::reason_zh(&api::detail(&text))));
                }
                Ok((code, text)) => status.set(format!("未保存（HTTP {code}）：{}", api::detail(&text))),
                Err(e) => status.set(e),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="registry-form" id="record-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <p class="note">"带 * 的为必填项；身份证号等个人信息保存后只显示部分。"</p>
            <RecordForm kind values problems/>
            <div class="row">
                <button type="submit" id="record-save" prop:disabled=move || busy.get()>"保存"</button>
                <button type="button" on:click=move |_| on_cancel.run(())>"取消"</button>
            </div>
            <p class="note" id="record-form-status">{move || status.get()}</p>
        </form>
    }
}
