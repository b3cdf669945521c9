//! 调度台 — the dispatcher's live queue of new, returned and overdue events for a county,
//! township or village (`GET /api/v1/events`, live from `GET /api/v1/events/stream`), the
//! event they look at, and (with `read_patrols`) the gridworkers on patrol (`live_patrols`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wangge_core::access::Permission;
use wangge_core::event::State;
use wangge_core::wire::{EventView, Paged, QueueMessage};

use crate::app::shared;
use crate::bridge::{self, Stream};
use crate::devices::DeviceBinding;
use crate::event_panel::EventPanel;
use crate::live_patrols::LivePatrols;
use crate::{api, labels, session};

/// The county's code (怀来县).
pub const COUNTY: &str = "130730";

/// Why an event is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tag {
    /// Past a deadline.
    Overdue,
    /// 退单 — returned, awaiting arbitration.
    Returned,
    /// Reported or assigned, not yet verified.
    New,
}

impl Tag {
    /// The tag an event gets now, if it belongs in the queue.
    pub fn of(e: &EventView) -> Option<Self> {
        if e.state.is_closed() {
            None
        } else if e.overdue.is_some() {
            Some(Self::Overdue)
        } else if e.state == State::Returned {
            Some(Self::Returned)
        } else if matches!(e.state, State::Reported | State::Assigned) {
            Some(Self::New)
        } else {
            None
        }
    }

    fn wire(self) -> &'static str {
        match self {
            Self::Overdue => "overdue",
            Self::Returned => "returned",
            Self::New => "new",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Overdue => "超期",
            Self::Returned => "退单",
            Self::New => "新事件",
        }
    }
}

/// The dispatcher's level: whose area the queue covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// `county`, `township` or `village`.
    pub tier: String,
    /// The division's code.
    pub code: String,
}

impl Level {
    /// The queue's filter as query parameters.
    fn area(&self) -> Vec<(&'static str, String)> {
        match self.tier.as_str() {
            "township" if !self.code.is_empty() => vec![("township", self.code.clone())],
            "village" if !self.code.is_empty() => vec![("village", self.code.clone())],
            _ => Vec::new(),
        }
    }

    fn url(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let area = self.area();
        let mut params: Vec<(&str, &str)> = area.iter().map(|(k, v)| (*k, v.as_str())).collect();
        params.extend_from_slice(extra);
        api::url(path, &params)
    }

    /// Whether an event is in this level's area.
    fn covers(&self, e: &EventView) -> bool {
        match self.tier.as_str() {
            "township" if !self.code.is_empty() => e.township_code == self.code,
            "village" if !self.code.is_empty() => e.village_code == self.code,
            _ => true,
        }
    }

    /// The level of a jurisdiction (`county`, a 9-digit township or a 12-digit village code):
    /// where the console starts, and the widest level it may show.
    pub fn home(jurisdiction: Option<&str>) -> Self {
        let (tier, code) = match jurisdiction {
            Some(code) if code.len() == 9 => ("township", code),
            Some(code) if code.len() == 12 => ("village", code),
            _ => ("county", COUNTY),
        };
        Self { tier: tier.to_owned(), code: code.to_owned() }
    }
}

/// The console's side panel: level, queue, the selected event.
#[component]
pub fn Dispatch() -> impl IntoView {
    let s = shared();
    let home = Level::home(session::me().jurisdiction.as_deref());
    let level = RwSignal::new(home.clone());
    let queue = RwSignal::new(Vec::<(Tag, EventView)>::new());
    let error = RwSignal::new(String::new());
    let live = RwSignal::new(false);
    let stream = StoredValue::new_local(None::<Stream>);
    let reloads = RwSignal::new(0_u32);

    // The live stream follows the level; `resync` reloads the list.
    Effect::new(move |_| {
        let l = level.get();
        let on_message = move |text: String| {
            if text.is_empty() {
                reloads.update(|n| *n += 1);
                return;
            }
            match serde_json::from_str::<QueueMessage>(&text) {
                Ok(m) if level.get_untracked().covers(&m.event) => queue.update(|q| upsert(q, m.event)),
                Ok(_) => {}
                Err(e) => error.set(format!("实时消息无法解析：{e}")),
            }
        };
        let url = l.url("/api/v1/events/stream", &[]);
        stream.set_value(None);
        stream.set_value(Some(Stream::open(&url, on_message, move |up| live.set(up))));
    });
    // The list follows the level.
    Effect::new(move |_| {
        let l = level.get();
        reloads.track();
        error.set(String::new());
        spawn_local(async move {
            match load_queue(&l).await {
                Ok(q) => queue.set(q),
                Err(e) => error.set(e),
            }
        });
    });
    on_cleanup(move || {
        stream.set_value(None);
        bridge::set_events("[]");
        bridge::select_event("");
    });
    // The queue on the map.
    Effect::new(move |_| {
        if s.map_ready.get() {
            bridge::set_events(&markers(&queue.get()));
        }
    });

    let select = move |e: &EventView| {
        s.selected_event.set(Some(e.event_id.clone()));
        bridge::fly_to(e.location.lon, e.location.lat, 14.0);
    };
    view! {
        <h2>"调度台"</h2>
        <LevelPicker level home/>
        <div class="queue-head">
            <b>"事件队列"</b>
            <span class="live" class:on=move || live.get()>{move || if live.get() { "● 实时" } else { "○ 未连接" }}</span>
            <span class="note">{move || format!("{} 件", queue.get().len())}</span>
        </div>
        <p class="error">{move || error.get()}</p>
        <ul class="queue" id="queue">
            <For each=move || queue.get() key=|(t, e)| (*t, e.event_id.clone(), e.seq) let:item>
                {
                    let (tag, e) = item;
                    let id = e.event_id.clone();
                    let selected = move || s.selected_event.get().as_deref() == Some(id.as_str());
                    let line = format!("{} · {} · {}", labels::category(e.category),
                        bridge::feature_name("townships", &e.township_code), labels::holder(e.holder.as_ref()));
                    let head = e.event_id.clone();
                    let desc: String = e.description.chars().take(40).collect();
                    view! {
                        <li class=format!("q q-{}", tag.wire()) class:selected=selected data-id=e.event_id.clone()
                            on:click=move |_| select(&e)>
                            <div><span class="tag">{tag.label()}</span><b>{head}</b></div>
                            <div class="note">{line}</div>
                            <div>{desc}</div>
                        </li>
                    }
                }
            </For>
        </ul>
        <DeviceBinding/>
        <EventPanel on_change=move |e: EventView| queue.update(|q| upsert(q, e))/>
        {session::may(Permission::ReadPatrols).then(|| view! { <LivePatrols/> })}
    }
}

/// The level picker: the account's own level and those below it, never wider.
#[component]
fn LevelPicker(level: RwSignal<Level>, home: Level) -> impl IntoView {
    let s = shared();
    let home_tier = home.tier.clone();
    let home_code = home.code.clone();
    let set_tier = move |ev: web_sys::Event| {
        let tier = event_target_value(&ev);
        let code = if tier == home_tier {
            home_code.clone()
        } else {
            match tier.as_str() {
                "township" => s.townships.get_untracked().first().map(|t| t.0.clone()).unwrap_or_default(),
                _ => String::new(),
            }
        };
        level.set(Level { tier, code });
    };
    let set_code = move |ev: web_sys::Event| {
        let code = event_target_value(&ev).trim().to_owned();
        level.update(|l| l.code = code);
    };
    let tiers: Vec<(&str, &str)> = match home.tier.as_str() {
        "county" => vec![("county", "县"), ("township", "乡镇"), ("village", "村(社区)")],
        "township" => vec![("township", "乡镇"), ("village", "村(社区)")],
        _ => vec![("village", "村(社区)")],
    };
    let fixed = home.tier == "village";
    let own = home.clone();
    view! {
        <div class="row level">
            <label>"层级"
                <select id="level-tier" on:change=set_tier prop:disabled=fixed>
                    {tiers.into_iter().map(|(t, label)| view! { <option value=t selected=t == home.tier>{label}</option> }).collect_view()}
                </select>
            </label>
            {move || {
                let l = level.get();
                match l.tier.as_str() {
                    "township" if own.tier == "township" => view! { <span class="code">{format!("{} {}", bridge::feature_name("townships", &own.code), own.code)}</span> }.into_any(),
                    "township" => view! {
                        <select id="level-code" on:change=set_code>
                            {s.townships.get().into_iter().map(|(code, name)| {
                                let selected = level.get_untracked().code == code;
                                view! { <option value=code selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any(),
                    "village" if own.tier == "village" => view! { <span class="code">{format!("{} {}", bridge::feature_name("villages", &own.code), own.code)}</span> }.into_any(),
                    "village" => view! {
                        <input id="level-code" type="text" placeholder="村(社区)代码（12位）" prop:value=level.get_untracked().code on:change=set_code/>
                    }.into_any(),
                    _ => view! { <span class="code">"怀来县 130730"</span> }.into_any(),
                }
            }}
        </div>
    }
}

/// New, returned and overdue events of the level, overdue first, newest first within a tag.
async fn load_queue(level: &Level) -> Result<Vec<(Tag, EventView)>, String> {
    let mut all = Vec::new();
    for extra in [
        [("overdue", "true"), ("per_page", "100")],
        [("state", "returned"), ("per_page", "100")],
        [("state", "reported,assigned"), ("per_page", "100")],
    ] {
        let page: Paged<EventView> = api::get(&level.url("/api/v1/events", &extra)).await?;
        all.extend(page.items);
    }
    let mut queue = Vec::new();
    for e in all {
        upsert(&mut queue, e);
    }
    Ok(queue)
}

/// Puts an event where it belongs in the queue now (or takes it out).
pub fn upsert(queue: &mut Vec<(Tag, EventView)>, e: EventView) {
    queue.retain(|(_, q)| q.event_id != e.event_id);
    if let Some(tag) = Tag::of(&e) {
        queue.push((tag, e));
        queue.sort_by(|(ta, a), (tb, b)| ta.cmp(tb).then_with(|| b.reported_at.cmp(&a.reported_at)));
    }
}

fn markers(queue: &[(Tag, EventView)]) -> String {
    let list: Vec<serde_json::Value> = queue
        .iter()
        .map(|(t, e)| serde_json::json!({"id": e.event_id, "lon": e.location.lon, "lat": e.location.lat, "tag": t.wire()}))
        .collect();
    serde_json::Value::Array(list).to_string()
}
