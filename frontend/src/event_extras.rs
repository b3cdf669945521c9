//! What an event carries beside its facts: its photos (thumbnails; the full photo opens on a
//! click — `GET /api/v1/attachments/{id}`, each read audited) and its duplicate links, with
//! 标记为重复件 for dispatchers (`POST /api/v1/events/{id}/duplicate`; a duplicate is counted
//! once, at its original).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use wangge_core::access::Permission;
use wangge_core::wire::{AttachmentView, EventView};

use crate::app::shared;
use crate::{api, session};

/// The event's photos, report's and handling's, as thumbnails.
#[component]
pub fn Photos(attachments: Vec<AttachmentView>) -> impl IntoView {
    if attachments.is_empty() {
        return ().into_any();
    }
    view! {
        <div class="photos" id="event-photos">
            {attachments.into_iter().map(|a| {
                let title = if a.seq <= 1 { "上报照片" } else { "处置照片" };
                view! {
                    <a href=a.url.clone() target="_blank" rel="noopener" title=title>
                        <img src=a.thumbnail_url.clone() alt=title loading="lazy"/>
                    </a>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// An event id that selects that event in the console.
#[component]
fn EventLink(id: String) -> impl IntoView {
    let s = shared();
    let target = id.clone();
    view! { <button class="link" on:click=move |_| s.selected_event.set(Some(target.clone()))>{id}</button> }
}

/// The duplicate links both ways, and marking this event a duplicate of another.
#[component]
pub fn Duplicates(event: EventView, on_done: Callback<EventView>) -> impl IntoView {
    let of = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let may = session::may(Permission::MarkDuplicate) && event.duplicate_of.is_none() && event.duplicates.is_empty();
    let id = StoredValue::new(event.event_id.clone());
    let mark = move |_| {
        let original = of.get_untracked().trim().to_owned();
        if original.is_empty() {
            result.set("请填写原事件编号".to_owned());
            return;
        }
        let url = format!("/api/v1/events/{}/duplicate", api::segment(&id.get_value()));
        spawn_local(async move {
            match api::post::<EventView>(&url, &json!({ "of": original })).await {
                Ok(after) => {
                    result.set("已标记为重复件".to_owned());
                    on_done.run(after);
                }
                Err(e) => result.set(e),
            }
        });
    };
    view! {
        {event.duplicate_of.clone().map(|o| view! { <p class="note" id="duplicate-of">"重复件，原事件：" <EventLink id=o/></p> })}
        {(!event.duplicates.is_empty()).then(|| view! {
            <p class="note" id="duplicates">"重复件："
                {event.duplicates.clone().into_iter().map(|d| view! { <EventLink id=d/>" " }).collect_view()}
            </p>
        })}
        {may.then(|| view! {
            <div class="row duplicate">
                <input id="duplicate-input" type="text" placeholder="原事件编号（E…）" prop:value=move || of.get()
                    on:input=move |ev| of.set(event_target_value(&ev))/>
                <button id="do-duplicate" on:click=mark>"标记为重复件"</button>
            </div>
            <p class="result" id="duplicate-result">{move || result.get()}</p>
        })}
    }
}
