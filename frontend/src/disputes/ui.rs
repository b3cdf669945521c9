//! What the ledgers, files and forms share. Read-only text (a file's facts, tables, figures)
//! and the forms' fields are written as escaped markup and forms are read back once on submit
//! (`values`) rather than built as views bound field by field: every distinct view costs the
//! app's wasm its own code, and the app has a size budget (650 KiB gzipped).

use leptos::prelude::*;

use crate::labels::{self, Codes};

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

/// Text made safe inside HTML (elements and attribute values).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A file's facts as HTML (read-only text is written as markup, not as views: the wasm stays
/// small).
pub fn facts_html(list: &[Fact]) -> String {
    let mut html = String::from("<dl class=\"facts\">");
    for f in list {
        let id = f.id.map(|i| format!(" id=\"{i}\"")).unwrap_or_default();
        let data = f.data.as_deref().map(|d| format!(" data-value=\"{}\"", esc(d))).unwrap_or_default();
        html.push_str(&format!("<dt>{}</dt><dd{id}{data}>{}</dd>", f.label, esc(&f.value)));
    }
    html + "</dl>"
}

/// A file's facts.
pub fn facts(list: Vec<Fact>) -> AnyView {
    view! { <div inner_html=facts_html(&list)></div> }.into_any()
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

/// A table as HTML, the row whose id is `selected` marked.
pub fn table_html(id: &str, head: &[&str], rows: &[Row], selected: Option<&str>, clickable: bool) -> String {
    let mut html = format!("<table id=\"{id}\" class=\"ledger{}\"><thead><tr>", if clickable { " clickable" } else { "" });
    for h in head {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr></thead><tbody>");
    for r in rows {
        let class = if selected == Some(r.id.as_str()) { " class=\"selected\"" } else { "" };
        html.push_str(&format!("<tr data-id=\"{}\" data-tag=\"{}\"{class}>", esc(&r.id), esc(&r.tag)));
        for c in &r.cells {
            html.push_str(&format!("<td>{}</td>", esc(c)));
        }
        html.push_str("</tr>");
    }
    html + "</tbody></table>"
}

/// The `data-id` of the table row an event happened in.
pub fn row_of(ev: &web_sys::Event) -> Option<String> {
    use wasm_bindgen::JsCast;
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    target.closest("tr[data-id]").ok()??.get_attribute("data-id")
}

/// A table; with `selected`, a click on a row selects its id (one listener for the table).
pub fn table(id: String, head: &'static [&'static str], rows: Vec<Row>, selected: Option<RwSignal<Option<String>>>) -> AnyView {
    let html = move || {
        let chosen = selected.and_then(|s| s.get());
        table_html(&id, head, &rows, chosen.as_deref(), selected.is_some())
    };
    view! {
        <div inner_html=html on:click=move |ev| {
            if let (Some(s), Some(row)) = (selected, row_of(&ev)) {
                s.set(Some(row));
            }
        }></div>
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
pub fn kpis(list: &[(&str, &str, String)]) -> String {
    let mut html = String::from("<div class=\"kpis\">");
    for (label, id, value) in list {
        html.push_str(&format!("<div class=\"kpi\"><span>{label}</span><b id=\"{id}\">{}</b></div>", esc(value)));
    }
    html + "</div>"
}

/// The named fields of a form as markup: what a form asks for is written as text, read back
/// once on submit (`values`), not bound field by field.
pub mod markup {
    use super::esc;
    use crate::labels::Codes;

    /// `<input>`; `value` prefilled.
    pub fn input(id: &str, name: &str, ty: &str, placeholder: &str, value: &str) -> String {
        format!("<input id=\"{id}\" name=\"{name}\" type=\"{ty}\" placeholder=\"{placeholder}\" value=\"{}\">", esc(value))
    }

    /// `<textarea>`.
    pub fn area(id: &str, name: &str, placeholder: &str, value: &str) -> String {
        format!("<textarea id=\"{id}\" name=\"{name}\" placeholder=\"{placeholder}\">{}</textarea>", esc(value))
    }

    /// A checkbox and its label.
    pub fn check(id: &str, name: &str, label: &str, checked: bool) -> String {
        format!("<label><input id=\"{id}\" name=\"{name}\" type=\"checkbox\"{}>{label}</label>", if checked { " checked" } else { "" })
    }

    /// A `<select>` over a code list, `selected` chosen; `all` adds a first empty choice.
    pub fn select(id: &str, name: &str, list: Codes, selected: &str, all: Option<&str>) -> String {
        let mut html = format!("<select id=\"{id}\" name=\"{name}\">");
        let options = all.map(|a| ("", a)).into_iter().chain(list.iter().copied());
        for (code, label) in options {
            let mark = if code == selected { " selected" } else { "" };
            html.push_str(&format!("<option value=\"{}\"{mark}>{}</option>", esc(code), esc(label)));
        }
        html + "</select>"
    }

    /// The townships to choose from (code, name): only the account's own when it has one
    /// (`own`), else all after a first "whole county" choice; `selected` chosen.
    pub fn townships(id: &str, list: &[(String, String)], own: &str, selected: &str, all: &str) -> String {
        let mut html = format!("<select id=\"{id}\" name=\"township\">");
        if own.is_empty() {
            html.push_str(&format!("<option value=\"\">{all}</option>"));
        }
        for (code, name) in list.iter().filter(|(c, _)| own.is_empty() || c == own) {
            let mark = if code == selected { " selected" } else { "" };
            html.push_str(&format!("<option value=\"{}\"{mark}>{}</option>", esc(code), esc(name)));
        }
        if !own.is_empty() && !list.iter().any(|(c, _)| c == own) {
            html.push_str(&format!("<option value=\"{0}\">{0}</option>", esc(own)));
        }
        html + "</select>"
    }

    /// A label before a control.
    pub fn labelled(label: &str, control: &str) -> String {
        format!("<label>{label} {control}</label>")
    }

    /// Controls on one line.
    pub fn row(controls: &[String]) -> String {
        format!("<div class=\"row\">{}</div>", controls.concat())
    }
}

/// The named fields under the element listening to `ev` (a form on submit, a filter bar on
/// change): text as typed (trimmed), a checkbox as a boolean.
pub fn values(ev: &web_sys::Event) -> serde_json::Map<String, serde_json::Value> {
    use wasm_bindgen::JsCast;
    let mut out = serde_json::Map::new();
    let Some(form) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return out;
    };
    let Ok(fields) = form.query_selector_all("[name]") else {
        return out;
    };
    for i in 0..fields.length() {
        let Some(el) = fields.get(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else {
            continue;
        };
        let Some(name) = el.get_attribute("name") else { continue };
        let prop = |k: &str| js_sys::Reflect::get(&el, &k.into()).ok();
        let value = if el.get_attribute("type").as_deref() == Some("checkbox") {
            serde_json::Value::Bool(prop("checked").and_then(|v| v.as_bool()).unwrap_or(false))
        } else {
            serde_json::Value::String(prop("value").and_then(|v| v.as_string()).unwrap_or_default().trim().to_owned())
        };
        out.insert(name, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_in_markup() {
        let rows = [Row { id: "D1".into(), tag: "agreed".into(), cells: vec!["<b>\"张三\" & 李四</b>".into()] }];
        let html = table_html("t", &["概要"], &rows, Some("D1"), true);
        assert!(html.contains("<tr data-id=\"D1\" data-tag=\"agreed\" class=\"selected\"><td>&lt;b&gt;&quot;张三&quot; &amp; 李四&lt;/b&gt;</td></tr>"), "{html}");
        assert!(html.starts_with("<table id=\"t\" class=\"ledger clickable\">"));
    }
}
