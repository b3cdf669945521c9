//! The registry's filters (area from the division tree, type, name, stale, an exact citizen ID
//! number) and its paged list, personal fields masked as the service answers them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use wangge_core::registry::{Entity, Field};
use wangge_core::wire::Paged;

use super::{registry, shown, subtypes, text, Named, PER_PAGE};
use crate::{api, bridge, labels};

/// The area, type, name, stale and ID-number filters.
#[component]
pub fn Filters() -> impl IntoView {
    let r = registry();
    let home = r.home.get_value();
    let (township_fixed, village_fixed) = (!home.township.is_empty(), !home.village.is_empty());
    let area = move || r.query.with(|q| q.area.clone());
    let villages = move || {
        let t = area().township;
        r.tree.with(|tree| tree.iter().find(|x| x.code == t).map(|x| x.villages.clone()).unwrap_or_default())
    };
    // The grids come from the map's copy of the boundaries (loaded after its first idle): asked
    // again when the list is opened.
    let grids_asked = RwSignal::new(0_u32);
    let grids = move || {
        grids_asked.track();
        let v = area().village;
        if v.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str::<Vec<Named>>(&bridge::child_features("grids", &v)).unwrap_or_default()
        }
    };
    let id_text = RwSignal::new(String::new());
    let set_township = move |ev: web_sys::Event| {
        let code = event_target_value(&ev);
        if !code.is_empty() {
            bridge::fit_feature("townships", &code);
        }
        r.set(|q| q.area = super::Area { township: code, ..Default::default() });
    };
    let set_village = move |ev: web_sys::Event| {
        let code = event_target_value(&ev);
        if !code.is_empty() {
            bridge::fit_feature("villages", &code);
        }
        r.set(|q| {
            q.area.village = code;
            q.area.grid.clear();
        });
    };
    let set_grid = move |ev: web_sys::Event| {
        let code = event_target_value(&ev);
        bridge::highlight_grid(&code);
        if !code.is_empty() {
            bridge::fit_feature("grids", &code);
        }
        r.set(|q| q.area.grid = code);
    };
    let search_id = move || {
        let n = id_text.get_untracked().trim().to_uppercase();
        r.set(|q| {
            q.id_number = n;
            if !q.id_number.is_empty() {
                q.kind = Entity::Person;
            }
        });
    };
    view! {
        <fieldset class="filters registry-filters">
            <div class="row">
                <select id="registry-township" on:change=set_township prop:disabled=township_fixed>
                    {(!township_fixed).then(|| view! { <option value="">"全县"</option> })}
                    {move || r.tree.get().into_iter().map(|t| {
                        let code = t.code.clone();
                        view! { <option value=t.code selected=move || area().township == code>{t.name}</option> }
                    }).collect_view()}
                </select>
                <select id="registry-village" on:change=set_village prop:disabled=village_fixed>
                    {(!village_fixed).then(|| view! { <option value="">"全部村(社区)"</option> })}
                    {move || villages().into_iter().map(|v| {
                        let code = v.code.clone();
                        view! { <option value=v.code selected=move || area().village == code>{v.name}</option> }
                    }).collect_view()}
                </select>
                <select id="registry-grid" on:change=set_grid on:focus=move |_| grids_asked.update(|n| *n += 1)
                    on:pointerdown=move |_| grids_asked.update(|n| *n += 1)>
                    <option value="">"全部网格"</option>
                    {move || grids().into_iter().map(|g| {
                        let code = g.code.clone();
                        view! { <option value=g.code selected=move || area().grid == code>{g.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="row">
                <select id="registry-type" on:change=move |ev| { let t = event_target_value(&ev); r.set(|q| q.subtype = t); }>
                    <option value="">"全部类别"</option>
                    {move || subtypes(r.query.with(|q| q.kind)).iter().map(|c| view! {
                        <option value=c.code selected=move || r.query.with(|q| q.subtype == c.code)>{c.zh}</option>
                    }).collect_view()}
                </select>
                <input id="registry-q" type="search" placeholder="名称/姓名包含…" prop:value=move || r.query.with(|q| q.q.clone())
                    on:change=move |ev| { let t = event_target_value(&ev); r.set(|q| q.q = t); }/>
                <label><input id="registry-stale" type="checkbox" prop:checked=move || r.query.with(|q| q.stale)
                    on:change=move |ev| { let on = event_target_checked(&ev); r.set(|q| q.stale = on); }/>"逾期未核实"</label>
            </div>
            <form class="row" id="registry-id-form" on:submit=move |ev| { ev.prevent_default(); search_id(); }>
                <input id="registry-id-number" type="search" placeholder="公民身份号码（精确查找）" maxlength="18"
                    prop:value=move || id_text.get() on:input=move |ev| id_text.set(event_target_value(&ev))/>
                <button id="registry-id-search" type="submit">"查找"</button>
                <button type="button" class="link" class:hidden=move || r.query.with(|q| q.id_number.is_empty())
                    on:click=move |_| { id_text.set(String::new()); r.set(|q| q.id_number.clear()); }>"清除"</button>
            </form>
        </fieldset>
    }
}

/// The columns of a kind's list: its title, its type, its first two personal fields (masked).
fn columns(kind: Entity) -> Vec<&'static Field> {
    let mut out: Vec<&'static Field> = kind.field(kind.title()).into_iter().collect();
    out.extend(kind.subtype().and_then(|s| kind.field(s)));
    out.extend(kind.fields().iter().filter(|f| f.secret).take(2));
    out
}

/// The paged list; a row opens its record.
#[component]
pub fn Table() -> impl IntoView {
    let r = registry();
    let answer = RwSignal::new(None::<Result<Paged<Value>, String>>);
    let asked = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let q = r.query.get();
        r.reloads.track();
        let url = q.url(&[("page", &q.page.to_string()), ("per_page", &PER_PAGE.to_string())]);
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let got = api::get::<Paged<Value>>(&url).await;
            // Only the answer to the latest question is shown.
            if asked.get_value() == n {
                answer.set(Some(got));
            }
        });
    });
    let pages = move || answer.with(|a| match a {
        Some(Ok(p)) => (p.total.max(0) as u32).div_ceil(PER_PAGE).max(1),
        _ => 1,
    });
    let go = move |delta: i32| {
        let to = r.query.with_untracked(|q| q.page).saturating_add_signed(delta).clamp(1, pages());
        r.query.update(|q| q.page = to);
    };
    view! {
        {move || match answer.get() {
            None => view! { <p class="note">"加载中…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" id="registry-error">{e}</p> }.into_any(),
            Some(Ok(p)) => {
                let kind = r.query.with_untracked(|q| q.kind);
                let cols = columns(kind);
                let head = cols.iter().map(|f| view! { <th>{f.zh}</th> }).collect_view();
                let rows = p.items.into_iter().map(|rec| row(kind, &cols, rec)).collect_view();
                view! {
                    <p class="note" id="registry-total">{format!("共 {} 条", p.total)}</p>
                    <table class="clickable registry-list" id="registry-list">
                        <thead><tr>{head}<th>"村(社区)"</th><th>"核实时间"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            }
        }}
        <div class="pager">
            <button on:click=move |_| go(-1) prop:disabled=move || r.query.with(|q| q.page <= 1)>"上一页"</button>
            <span id="registry-page">{move || format!("第 {} / {} 页", r.query.with(|q| q.page), pages())}</span>
            <button on:click=move |_| go(1) prop:disabled=move || { r.query.with(|q| q.page) >= pages() }>"下一页"</button>
        </div>
    }
}

/// One row of the list.
fn row(kind: Entity, cols: &[&'static Field], rec: Value) -> impl IntoView {
    let r = registry();
    let id = text(&rec, "id");
    let selected = {
        let id = id.clone();
        move || r.selected.with(|s| s.as_ref().is_some_and(|(_, x)| *x == id))
    };
    let cells = cols.iter().map(|f| view! { <td data-field=f.key>{shown(kind, f.key, &rec)}</td> }).collect_view();
    let code = text(&rec, "village_code");
    let village = Some(bridge::feature_name("villages", &code)).filter(|n| !n.is_empty()).unwrap_or(code);
    let verified = labels::time(&text(&rec, "verified_at"));
    let open = id.clone();
    view! {
        <tr data-id=id class:selected=selected on:click=move |_| r.open(kind, open.clone())>
            {cells}
            <td>{village}</td>
            <td>{verified.get(..10).unwrap_or_default().to_owned()}</td>
        </tr>
    }
}
