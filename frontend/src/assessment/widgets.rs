//! The assessment pages' building blocks: markup recomputed from signals, listeners on
//! containers of markup, the switch buttons, the year picker, a markup form with its result and
//! error lines, and posting a form. Their reactive parts are all of a few boxed types, so the
//! wasm holds one copy of their rendering code, not one per closure (the app has a size budget).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use super::{league, Board};
use crate::api;

/// Markup recomputed when the signals it reads change.
pub type Markup = Box<dyn Fn() -> String + Send>;

/// [`Markup`] from a closure.
pub fn markup(f: impl Fn() -> String + Send + 'static) -> Markup {
    Box::new(f)
}

/// A class switched on and off.
pub type Flag = Box<dyn Fn() -> bool + Send>;

/// [`Flag`] from a closure.
pub fn flag(f: impl Fn() -> bool + Send + 'static) -> Flag {
    Box::new(f)
}

/// A part of the page chosen by a signal.
pub type Part = Box<dyn Fn() -> AnyView + Send>;

/// [`Part`] from a closure.
pub fn part(f: impl Fn() -> AnyView + Send + 'static) -> Part {
    Box::new(f)
}

/// A click listener (on a container of markup: it finds what was clicked).
pub type Click = Box<dyn FnMut(web_sys::MouseEvent)>;

/// [`Click`] from a closure.
pub fn click(f: impl FnMut(web_sys::MouseEvent) + 'static) -> Click {
    Box::new(f)
}

/// A change listener (on a container of fields).
pub type Change = Box<dyn FnMut(web_sys::Event)>;

/// [`Change`] from a closure.
pub fn change(f: impl FnMut(web_sys::Event) + 'static) -> Change {
    Box::new(f)
}

/// A form's submit listener.
pub type Submit = Box<dyn FnMut(web_sys::SubmitEvent)>;

/// [`Submit`] from a closure: the page stays, the closure reads the form.
pub fn submit(mut f: impl FnMut(web_sys::SubmitEvent) + 'static) -> Submit {
    Box::new(move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        f(ev);
    })
}

/// A button of a switch (`.kind`), marked while its choice is the one shown.
pub fn tab(id: String, label: &'static str, active: Flag, on: Click) -> AnyView {
    view! { <button class="kind" id=id class:active=active on:click=on>{label}</button> }.into_any()
}

/// A year picker (2023 to this year) that sets `year` when changed.
pub fn year_picker(id: &'static str, year: RwSignal<String>) -> AnyView {
    let pick = change(move |ev| {
        if let Some(y) = crate::disputes::ui::values(&ev).get("year").and_then(Value::as_str) {
            year.set(y.to_owned());
        }
    });
    view! { <span on:change=pick inner_html=markup(move || format!("<label>年度 {}</label>", league::year_select(id, &year.get_untracked())))></span> }.into_any()
}

/// A form written as markup (`fields`, with its buttons) and read back on submit: element ids
/// `<prefix>-form`, `-result` (what was done) and `-error` (the service's reason).
pub fn form(prefix: &str, fields: Markup, on_click: Click, on_submit: Submit, result: RwSignal<String>, error: RwSignal<String>) -> AnyView {
    view! {
        <form class="case-form" id=format!("{prefix}-form") on:click=on_click on:submit=on_submit>
            <div inner_html=fields></div>
            <p class="result ok" id=format!("{prefix}-result")>{result}</p>
            <p class="error" id=format!("{prefix}-error")>{error}</p>
        </form>
    }
    .into_any()
}

/// Posts a form's `body` to `url`: what was done goes to `result` (in `words`), else the
/// service's reason to `error`; the tables are then counted again.
pub fn send(b: Board, url: &'static str, body: Value, result: RwSignal<String>, error: RwSignal<String>, words: fn(&Value) -> String) {
    error.set(String::new());
    result.set("提交中…".to_owned());
    spawn_local(async move {
        match api::post::<Value>(url, &body).await {
            Ok(r) => {
                result.set(words(&r));
                b.reload();
            }
            Err(e) => {
                result.set(String::new());
                error.set(e);
            }
        }
    });
}

/// An answer as markup: a note while it is awaited, the reason (after `refused`) when it failed,
/// else `ok`'s markup of it. One text for the three states keeps the wasm small.
pub fn answer_html(a: &Option<Result<Value, String>>, id: &str, waiting: &str, refused: &str, ok: impl FnOnce(&Value) -> String) -> String {
    match a {
        None => format!("<p class=\"note\" id=\"{id}-loading\">{waiting}</p>"),
        Some(Err(e)) => format!("<p class=\"error\" id=\"{id}-error\">{refused}{}</p>", crate::disputes::ui::esc(e)),
        Some(Ok(v)) => ok(v),
    }
}
