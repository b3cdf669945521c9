//! The widgets the ledgers, files and forms share: inputs bound to a signal, a code list's
//! select, a file's facts, a table of rows, move buttons and a pager. Each is one function
//! returning `AnyView`, so that the wasm holds one copy of each however often it is used (the
//! app's size budget).

use leptos::prelude::*;

use crate::labels::{self, Codes};

/// An `<input>` of type `ty` bound to `value`.
pub fn input(id: &'static str, ty: &'static str, placeholder: &'static str, value: RwSignal<String>) -> AnyView {
    view! { <input id=id type=ty placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/> }
        .into_any()
}

/// A `<textarea>` bound to `value`.
pub fn area(id: &'static str, placeholder: &'static str, value: RwSignal<String>) -> AnyView {
    view! { <textarea id=id placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea> }
        .into_any()
}

/// A checkbox with its label, bound to `value`.
pub fn check(id: &'static str, label: &'static str, value: RwSignal<bool>) -> AnyView {
    view! { <label><input id=id type="checkbox" prop:checked=move || value.get() on:change=move |ev| value.set(event_target_checked(&ev))/>{label}</label> }
        .into_any()
}

/// A select over a code list bound to `value`, with a first "all" choice (empty value) when
/// `all` is given.
pub fn select(id: &'static str, list: Codes, value: RwSignal<String>, all: Option<&'static str>) -> AnyView {
    let options: Vec<(&'static str, &'static str)> = all.map(|a| ("", a)).into_iter().chain(list.iter().copied()).collect();
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
            {options.into_iter().map(|(code, label)| view! { <option value=code selected=move || value.get() == code>{label}</option> }).collect_view()}
        </select>
    }
    .into_any()
}

/// A label before a control.
pub fn labelled(label: &'static str, control: AnyView) -> AnyView {
    view! { <label>{label}" "{control}</label> }.into_any()
}

/// One line of a file's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// 阶段, 类型, …
    pub label: &'static str,
    /// The value's element id, if any.
    pub id: Option<&'static str>,
    /// As shown.
    pub value: String,
    /// The wire value (`data-value`), if any.
    pub data: Option<String>,
}

/// A fact shown as it is.
pub fn fact(label: &'static str, value: String) -> Fact {
    Fact { label, id: None, value, data: None }
}

/// A file's facts.
pub fn facts(list: Vec<Fact>) -> AnyView {
    view! {
        <dl class="facts">
            {list.into_iter().map(|f| view! { <dt>{f.label}</dt><dd id=f.id data-value=f.data>{f.value}</dd> }).collect_view()}
        </dl>
    }
    .into_any()
}

/// One row of a table: `data-id` (a click selects it), `data-tag` (its stage or action) and
/// its cells as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `data-id`.
    pub id: String,
    /// `data-tag`.
    pub tag: String,
    /// The cells.
    pub cells: Vec<String>,
}

/// A table; with `selected`, a click on a row selects its id.
pub fn table(id: String, head: &'static [&'static str], rows: Vec<Row>, selected: Option<RwSignal<Option<String>>>) -> AnyView {
    let body = rows
        .into_iter()
        .map(|r| {
            let (mine, pick) = (r.id.clone(), r.id.clone());
            let is_selected = move || selected.is_some_and(|s| s.with(|s| s.as_deref() == Some(mine.as_str())));
            view! {
                <tr data-id=r.id data-tag=r.tag class:selected=is_selected on:click=move |_| if let Some(s) = selected { s.set(Some(pick.clone())) }>
                    {r.cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table id=id class="ledger" class:clickable=selected.is_some()>
            <thead><tr>{head.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
    .into_any()
}

/// The buttons choosing a move (`id_prefix` + action, `data-move`), labelled from `names`.
pub fn move_buttons(id_prefix: &'static str, actions: Vec<&'static str>, names: Codes, chosen: RwSignal<&'static str>) -> AnyView {
    view! {
        <div class="buttons">
            {actions.into_iter().map(|a| view! {
                <button type="button" class="kind" data-move=a id=format!("{id_prefix}{a}") class:active=move || chosen.get() == a
                    on:click=move |_| chosen.set(a)>{labels::coded(names, a)}</button>
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// 上一页 · 第 n / m 页 · 下一页, ids `{prefix}-prev`, `-page`, `-next`.
pub fn pager(prefix: &'static str, page: RwSignal<u32>, pages: Signal<u32>) -> AnyView {
    view! {
        <div class="pager">
            <button id=format!("{prefix}-prev") on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1)) prop:disabled=move || page.get() <= 1>"上一页"</button>
            <span id=format!("{prefix}-page")>{move || format!("第 {} / {} 页", page.get(), pages.get())}</span>
            <button id=format!("{prefix}-next") on:click=move |_| page.update(|p| *p = (*p + 1).min(pages.get_untracked())) prop:disabled=move || { page.get() >= pages.get() }>"下一页"</button>
        </div>
    }
    .into_any()
}

/// Figures side by side: (label, element id, value).
pub fn kpis(list: Vec<(&'static str, &'static str, String)>) -> AnyView {
    view! {
        <div class="kpis">
            {list.into_iter().map(|(label, id, value)| view! { <div class="kpi"><span>{label}</span><b id=id>{value}</b></div> }).collect_view()}
        </div>
    }
    .into_any()
}
