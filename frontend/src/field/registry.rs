//! 基础数据 on the phone: a person or a house added from the same field lists as the console's
//! form (checked on the device by the service's own rules, a house at the phone's position),
//! and the records of my village not re-verified within the collection period, each re-verified
//! on the spot with one tap. Both wait in the offline queue (`POST /api/v1/registry/{kind}` and
//! `…/{id}/verify`) like reports; the list itself is only held in memory (personal data are
//! never kept on the phone), so it is read while online.

use std::cell::RefCell;
use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use wangge_core::registry::Entity;
use wangge_core::wire::Paged;

use super::queue::{Kind, NewItem};
use super::{bridge, field, Field};
use crate::api;
use crate::registry::form::{self, FieldProblem, RecordForm, Values};
use crate::registry::text;

/// The kinds a gridworker adds on the phone.
const KINDS: [(Entity, &str, &str); 2] = [(Entity::Person, "f-reg-person", "新增人口"), (Entity::House, "f-reg-house", "新增房屋")];

thread_local! {
    /// The last list of records to re-verify, by kind (kept for this page's life, not stored).
    static LAST: RefCell<Vec<(Entity, Vec<Value>)>> = const { RefCell::new(Vec::new()) };
}

/// My village: that of my first grid, else my jurisdiction's.
fn my_village(f: Field) -> String {
    f.me.with_value(|m| {
        let from_grid = m.grids.first().and_then(|g| g.get(..12)).map(str::to_owned);
        from_grid.or_else(|| m.jurisdiction.clone().filter(|j| j.len() == 12)).unwrap_or_default()
    })
}

/// The screen: the add form of the kind chosen, then the records to re-verify.
#[component]
pub fn RegistryScreen() -> impl IntoView {
    let kind = RwSignal::new(Entity::Person);
    view! {
        <h2>"基础数据"</h2>
        <div class="f-seg">
            {KINDS.into_iter().map(|(k, id, label)| view! {
                <button class="f-button" id=id class:active=move || kind.get() == k on:click=move |_| kind.set(k)>{label}</button>
            }).collect_view()}
        </div>
        {move || view! { <AddForm kind=kind.get()/> }}
        {move || view! { <Verify kind=kind.get()/> }}
    }
}

/// A new record of `kind`, checked here and queued.
#[component]
fn AddForm(kind: Entity) -> impl IntoView {
    let f = field();
    let start = move || -> Values {
        let mut v = Values::new();
        v.insert("village_code".into(), my_village(f));
        if kind.needs_point() {
            if let Some(x) = f.fix.get_untracked() {
                v.insert("lon".into(), format!("{:.6}", x[0]));
                v.insert("lat".into(), format!("{:.6}", x[1]));
            }
        }
        v
    };
    let values = RwSignal::new(start());
    let problems = RwSignal::new(Vec::<FieldProblem>::new());
    let result = RwSignal::new(String::new());
    let here = move |_| match f.fix.get_untracked() {
        Some(x) => values.update(|v| {
            v.insert("lon".into(), format!("{:.6}", x[0]));
            v.insert("lat".into(), format!("{:.6}", x[1]));
        }),
        None => result.set("还没有位置：请等待定位。".to_owned()),
    };
    let submit = move || {
        let v = values.get_untracked();
        let found = form::check(kind, &v);
        if !found.is_empty() {
            result.set(format!("有 {} 项需要修改", found.len()));
            problems.set(found);
            return;
        }
        let id = bridge::uuid();
        let label = format!("新增{} · {}", kind.zh(), v.get(kind.title()).cloned().unwrap_or_default());
        let url = format!("/api/v1/registry/{}", kind.plural());
        let item = NewItem::new(id, Kind::RegistryCreate, label, url, &form::body(kind, &v));
        spawn_local(async move {
            match f.enqueue(item, &[]).await {
                Ok(()) => {
                    result.set(if f.online.get_untracked() { "已提交，正在上传。" } else { "已保存，联网后自动上传。" }.to_owned());
                    values.set(start());
                    problems.set(Vec::new());
                }
                Err(e) => result.set(format!("保存失败：{e}")),
            }
        });
    };
    view! {
        <form class="f-form" id="f-reg-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <RecordForm kind values problems/>
            {kind.needs_point().then(|| view! {
                <button type="button" class="f-button secondary" id="f-reg-here" on:click=here>"使用当前位置"</button>
            })}
            <div class="f-actions">
                <button class="f-button" id="f-reg-submit" type="submit">{format!("保存{}", kind.zh())}</button>
            </div>
            <p class="result" id="f-reg-result">{move || result.get()}</p>
        </form>
    }
}

/// Records of my village not re-verified within the period, each with 核实.
#[component]
fn Verify(kind: Entity) -> impl IntoView {
    let f = field();
    let cached = LAST.with(|l| l.borrow().iter().find(|(k, _)| *k == kind).map(|(_, v)| v.clone()));
    let items = RwSignal::new(cached.unwrap_or_default());
    let note = RwSignal::new(String::new());
    let queued = RwSignal::new(BTreeSet::<String>::new());
    let village = my_village(f);
    let url = api::url(&format!("/api/v1/registry/{}", kind.plural()), &[("village", &village), ("stale", "true"), ("per_page", "20")]);
    Effect::new(move |_| {
        if !f.online.get() {
            note.set("离线：显示上次联网时的列表，核实将在联网后上传。".to_owned());
            return;
        }
        let url = url.clone();
        spawn_local(async move {
            match api::get::<Paged<Value>>(&url).await {
                Ok(p) => {
                    note.set(format!("逾期未核实 {} 条（显示前 {} 条）", p.total, p.items.len()));
                    LAST.with(|l| {
                        let mut l = l.borrow_mut();
                        l.retain(|(k, _)| *k != kind);
                        l.push((kind, p.items.clone()));
                    });
                    items.set(p.items);
                }
                Err(e) => note.set(e),
            }
        });
    });
    let verify = move |rec: &Value| {
        let id = text(rec, "id");
        let url = format!("/api/v1/registry/{}/{}/verify", kind.plural(), api::segment(&id));
        let label = format!("核实{} · {}", kind.zh(), text(rec, kind.title()));
        let item = NewItem::new(bridge::uuid(), Kind::RegistryVerify, label, url, &json!({}));
        spawn_local(async move {
            match f.enqueue(item, &[]).await {
                Ok(()) => queued.update(|q| {
                    q.insert(id);
                }),
                Err(e) => note.set(format!("保存失败：{e}")),
            }
        });
    };
    let secret = kind.fields().iter().find(|fl| fl.secret).map(|fl| fl.key);
    view! {
        <h3>"当场核实"</h3>
        <p class="note" id="f-reg-note">{move || note.get()}</p>
        <ul class="f-list f-reg-list" id="f-reg-stale">
            {move || items.get().into_iter().map(|rec| {
                let id = text(&rec, "id");
                let done = {
                    let id = id.clone();
                    move || queued.with(|q| q.contains(&id))
                };
                let shown = done.clone();
                let line = secret.map(|k| text(&rec, k)).unwrap_or_default();
                let title = text(&rec, kind.title());
                view! {
                    <li data-id=id>
                        <div><b>{title}</b><div class="note">{line}</div></div>
                        <button class="f-button secondary" prop:disabled=done.clone() on:click=move |_| verify(&rec)>
                            {move || if shown() { "已核实（待上传）" } else { "核实" }}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
