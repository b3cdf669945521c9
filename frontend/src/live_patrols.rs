//! 巡查中的网格员 — for dispatchers: where the on-duty gridworkers on patrol are (their last
//! point and its age, from `GET /api/v1/patrols/live`, refreshed every 30 s), as a list in the
//! console and a layer on the map; nothing outside patrols.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::app::shared;
use crate::{api, bridge};

/// How often the list is asked for again.
const REFRESH: Duration = Duration::from_secs(30);

/// `GET /api/v1/patrols/live`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Live {
    items: Vec<LivePatrol>,
}

/// One gridworker on patrol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct LivePatrol {
    patrol_id: String,
    name: String,
    started_at: String,
    last: Option<LastPoint>,
}

/// Its last point.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct LastPoint {
    lon: f64,
    lat: f64,
    age_s: i64,
    grid_code: Option<String>,
    outside: bool,
}

/// How old a point is, in words: 刚刚, 5 分钟前, 2 小时 10 分前.
pub fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => "刚刚".to_owned(),
        s if s < 3600 => format!("{} 分钟前", s / 60),
        s => format!("{} 小时 {} 分前", s / 3600, s % 3600 / 60),
    }
}

/// The markers of the patrols with a point, for the map.
fn markers(items: &[LivePatrol]) -> String {
    let list: Vec<serde_json::Value> = items
        .iter()
        .filter_map(|p| {
            let l = p.last.as_ref()?;
            Some(serde_json::json!({
                "patrol_id": p.patrol_id, "name": p.name, "lon": l.lon, "lat": l.lat,
                "label": format!("{} · {}", p.name, age(l.age_s)), "outside": l.outside,
            }))
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The list in the console, and the layer on the map while it is shown.
#[component]
pub fn LivePatrols() -> impl IntoView {
    let s = shared();
    let items = RwSignal::new(Vec::<LivePatrol>::new());
    let error = RwSignal::new(String::new());
    let load = move || {
        spawn_local(async move {
            match api::get::<Live>("/api/v1/patrols/live").await {
                Ok(live) => {
                    error.set(String::new());
                    items.set(live.items);
                }
                Err(e) => error.set(e),
            }
        });
    };
    load();
    let timer = set_interval_with_handle(load, REFRESH).ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
        bridge::set_patrols("[]");
    });
    Effect::new(move |_| {
        if s.map_ready.get() {
            bridge::set_patrols(&markers(&items.get()));
        }
    });
    view! {
        <div class="queue-head">
            <b>"巡查中的网格员"</b>
            <span class="note" id="live-patrols-count">{move || format!("{} 人", items.get().len())}</span>
        </div>
        <p class="error">{move || error.get()}</p>
        <ul class="queue" id="live-patrols">
            {move || items.get().into_iter().map(|p| {
                let where_ = p.last.as_ref().map_or_else(
                    || "尚无轨迹点".to_owned(),
                    |l| format!("{} · {}{}", age(l.age_s), l.grid_code.clone().unwrap_or_default(), if l.outside { " · 不在本人网格" } else { "" }),
                );
                let at = p.last.as_ref().map(|l| (l.lon, l.lat));
                view! {
                    <li class="q" data-id=p.patrol_id.clone() on:click=move |_| if let Some((lon, lat)) = at { bridge::fly_to(lon, lat, 15.0) }>
                        <div><b>{p.name.clone()}</b>" "<span class="note">{format!("开始于 {}", crate::labels::time(&p.started_at))}</span></div>
                        <div class="note">{where_}</div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_chinese() {
        assert_eq!(age(-3), "刚刚");
        assert_eq!(age(59), "刚刚");
        assert_eq!(age(300), "5 分钟前");
        assert_eq!(age(7800), "2 小时 10 分前");
    }

    #[test]
    fn only_patrols_with_a_point_are_drawn() {
        let live: Live = serde_json::from_str(r#"{"items": [
            {"patrol_id": "p1", "person_id": "GW1", "name": "张三", "unit_code": "130730100001", "started_at": "2025-03-03T01:00:00.000Z",
             "last": {"lon": 115.5, "lat": 40.4, "at": "2025-03-03T01:10:00.000Z", "age_s": 120, "accuracy_m": 5.0, "grid_code": "130730100001001", "outside": false}},
            {"patrol_id": "p2", "person_id": "GW2", "name": "李四", "unit_code": "130730100001", "started_at": "2025-03-03T01:00:00.000Z", "last": null}
        ], "generated_at": "2025-03-03T01:12:00.000Z"}"#).unwrap();
        let drawn: Vec<serde_json::Value> = serde_json::from_str(&markers(&live.items)).unwrap();
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0]["label"], "张三 · 2 分钟前");
    }
}
