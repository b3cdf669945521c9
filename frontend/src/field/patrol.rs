//! 巡查 — the patrol: start, pause, end; the track from the position watch, thinned on the
//! device (`geo::keep`) and queued in batches; check-ins (走访打卡) at a household, shop,
//! hazard, key person or other place. The patrol in progress survives closing the app
//! (local storage); every write goes through the queue with its client id.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::geo::{keep, Fix};
use super::queue::{Kind, NewItem};
use super::{bridge, field, Field};

/// Where the patrol in progress is kept on the device.
const STORE_KEY: &str = "wangge-field-patrol";
/// A batch of points is queued once it holds this many…
pub const BATCH: usize = 10;
/// …or its oldest point is this old (ms).
pub const BATCH_AGE_MS: f64 = 120_000.0;
/// Points kept for drawing the track.
const TRACK_MAX: usize = 2000;

/// Check-in places: (wire name, label).
pub const CHECKIN_KINDS: [(&str, &str); 5] =
    [("household", "住户走访"), ("shop", "商铺"), ("hazard", "隐患点"), ("key_person", "重点人员"), ("other", "其他")];

/// The patrol in progress.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Walk {
    /// The client's patrol id (`patrol_id`).
    pub id: String,
    /// When it started (unix ms).
    pub started_ms: f64,
    /// Paused: fixes are not recorded.
    pub paused: bool,
    /// The last fix kept.
    pub last: Option<Fix>,
    /// Kept fixes not yet queued.
    pub buffer: Vec<Fix>,
    /// Fixes kept in all.
    pub kept: usize,
    /// Check-ins made.
    pub checkins: usize,
    /// The track for the map (the latest points).
    pub track: Vec<[f64; 2]>,
}

impl Walk {
    /// Records `fix` if the thinning keeps it; true when the buffer should be queued now.
    pub fn record(&mut self, fix: Fix) -> bool {
        if self.paused || !keep(self.last.as_ref(), &fix) {
            return false;
        }
        self.last = Some(fix);
        self.buffer.push(fix);
        self.kept += 1;
        self.track.push([fix[0], fix[1]]);
        if self.track.len() > TRACK_MAX {
            self.track.remove(0);
        }
        self.buffer.len() >= BATCH || self.buffer.first().is_some_and(|first| fix[2] - first[2] >= BATCH_AGE_MS)
    }
}

fn save(w: Option<&Walk>) {
    let text = w.and_then(|w| serde_json::to_string(w).ok()).unwrap_or_default();
    bridge::save_local(STORE_KEY, &text);
}

fn draw(w: Option<&Walk>) {
    let track = w.map(|w| serde_json::to_string(&w.track).unwrap_or_default()).unwrap_or_else(|| "[]".to_owned());
    bridge::set_track(&track);
}

/// Takes up the patrol left open when the app was closed.
pub fn resume(f: Field) {
    let text = bridge::load_local(STORE_KEY);
    if let Ok(w) = serde_json::from_str::<Walk>(&text) {
        draw(Some(&w));
        f.walk.set(Some(w));
    }
}

/// A position fix: recorded if a patrol is on, queued in batches.
pub fn on_fix(f: Field, fix: Fix) {
    let Some(mut w) = f.walk.get_untracked() else { return };
    let full = w.record(fix);
    if full {
        flush(f, &mut w);
    }
    save(Some(&w));
    draw(Some(&w));
    f.walk.set(Some(w));
}

/// Queues the kept fixes not yet queued, as one batch.
fn flush(f: Field, w: &mut Walk) {
    if w.buffer.is_empty() {
        return;
    }
    let points = std::mem::take(&mut w.buffer);
    let label = format!("巡查轨迹 · {} 个点", points.len());
    let body = json!({"points": points, "crs": "wgs84"});
    let item = NewItem::new(bridge::uuid(), Kind::Points, label, format!("/api/v1/patrols/{}/points", w.id), &body);
    spawn_local(async move {
        let _ = f.enqueue(item, &[]).await;
    });
}

fn now_ms() -> f64 {
    js_sys::Date::now().floor()
}

/// 开始巡查.
fn start(f: Field) {
    if f.walk.get_untracked().is_some() {
        return;
    }
    let now = now_ms();
    let mut w = Walk { id: bridge::uuid(), started_ms: now, ..Walk::default() };
    let body = json!({"patrol_id": w.id, "started_at": now as i64});
    let item = NewItem::new(w.id.clone(), Kind::PatrolStart, "开始巡查".to_owned(), "/api/v1/patrols".to_owned(), &body);
    spawn_local(async move {
        let _ = f.enqueue(item, &[]).await;
    });
    // Where the gridworker stands now is the track's first point.
    if let Some(fix) = f.fix.get_untracked() {
        w.record([fix[0], fix[1], now, fix[3]]);
    }
    save(Some(&w));
    draw(Some(&w));
    f.walk.set(Some(w));
}

/// 暂停 / 继续.
fn toggle_pause(f: Field) {
    let Some(mut w) = f.walk.get_untracked() else { return };
    if !w.paused {
        flush(f, &mut w);
    }
    w.paused = !w.paused;
    save(Some(&w));
    f.walk.set(Some(w));
}

/// 走访打卡 at the current position, with the photos taken for it.
fn check_in(f: Field, kind: &str, note: &str, photos: Vec<web_sys::File>) -> Result<(), String> {
    let Some(mut w) = f.walk.get_untracked() else { return Err("请先开始巡查。".to_owned()) };
    let Some(fix) = f.fix.get_untracked() else { return Err("还没有位置，无法打卡。".to_owned()) };
    flush(f, &mut w);
    let id = bridge::uuid();
    let note = note.trim();
    let body = json!({
        "checkin_id": id, "lon": fix[0], "lat": fix[1], "crs": "wgs84", "kind": kind,
        "note": (!note.is_empty()).then_some(note), "at": now_ms() as i64, "accuracy_m": fix[3],
    });
    let label = CHECKIN_KINDS.iter().find(|(k, _)| *k == kind).map_or("其他", |(_, l)| l);
    let item = NewItem::new(id, Kind::Checkin, format!("打卡 · {label}"), format!("/api/v1/patrols/{}/checkins", w.id), &body);
    spawn_local(async move {
        let _ = f.enqueue(item, &photos).await;
    });
    w.checkins += 1;
    save(Some(&w));
    f.walk.set(Some(w));
    Ok(())
}

/// 结束巡查.
fn end(f: Field) {
    let Some(mut w) = f.walk.get_untracked() else { return };
    flush(f, &mut w);
    let body = json!({"ended_at": now_ms() as i64});
    let item = NewItem::new(bridge::uuid(), Kind::PatrolEnd, "结束巡查".to_owned(), format!("/api/v1/patrols/{}/end", w.id), &body);
    spawn_local(async move {
        let _ = f.enqueue(item, &[]).await;
    });
    save(None);
    draw(None);
    f.walk.set(None);
}

/// The patrol tab.
#[component]
pub fn PatrolPanel() -> impl IntoView {
    let f = field();
    let kind = RwSignal::new("household".to_owned());
    let note = RwSignal::new(String::new());
    let result = RwSignal::new(String::new());
    let now = RwSignal::new(now_ms());
    let tick = set_interval_with_handle(move || now.set(now_ms()), std::time::Duration::from_secs(15)).ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });
    let status = move || match f.walk.get() {
        None => "未在巡查".to_owned(),
        Some(w) => {
            let minutes = ((now.get() - w.started_ms) / 60_000.0).max(0.0).floor();
            let state = if w.paused { "已暂停" } else { "巡查中" };
            format!("{state} · {minutes} 分钟 · 轨迹 {} 点 · 打卡 {} 次", w.kept, w.checkins)
        }
    };
    let open = move || f.walk.get().is_some();
    let paused = move || f.walk.get().is_some_and(|w| w.paused);
    let photos = StoredValue::new_local(Vec::<web_sys::File>::new());
    let photo_count = RwSignal::new(0_usize);
    let pick = move |ev: web_sys::Event| {
        let Some((input, checked)) = super::report::chosen_photos(&ev) else { return };
        match checked {
            Err(problem) => {
                result.set(problem);
                input.set_value("");
                photos.set_value(Vec::new());
                photo_count.set(0);
            }
            Ok(files) => {
                photo_count.set(files.len());
                photos.set_value(files);
            }
        }
    };
    let do_check_in = move |_| match check_in(f, &kind.get_untracked(), &note.get_untracked(), photos.get_value()) {
        Ok(()) => {
            note.set(String::new());
            photos.set_value(Vec::new());
            photo_count.set(0);
            result.set("已打卡。".to_owned());
        }
        Err(e) => result.set(e),
    };
    view! {
        <h2>"巡查"</h2>
        <p id="patrol-status" class="f-status">{status}</p>
        {move || open().then(|| view! {
            <div class="f-form" id="checkin-form">
                <label>"打卡地点"
                    <select id="checkin-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        {CHECKIN_KINDS.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                    </select>
                </label>
                <label>"备注" <input id="checkin-note" type="text" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/></label>
                <label class="f-photos">{move || format!("照片（{} 张，可选）", photo_count.get())}
                    <input id="checkin-photos" type="file" accept="image/*" capture="environment" multiple=true on:change=pick/>
                </label>
                <button class="f-button secondary" id="checkin-submit" on:click=do_check_in>"走访打卡"</button>
            </div>
        })}
        <p class="result" id="patrol-result">{move || result.get()}</p>
        <Screening/>
        <div class="f-actions">
            {move || if open() {
                view! {
                    <button class="f-button secondary" id="patrol-pause" on:click=move |_| toggle_pause(f)>{move || if paused() { "继续" } else { "暂停" }}</button>
                    <button class="f-button danger" id="patrol-end" on:click=move |_| end(f)>"结束巡查"</button>
                }.into_any()
            } else {
                view! { <button class="f-button" id="patrol-start" on:click=move |_| start(f)>"开始巡查"</button> }.into_any()
            }}
        </div>
    }
}

/// The month (China time) of a unix time in ms, `YYYY-MM`.
pub fn china_month(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms + 8.0 * 3_600_000.0));
    format!("{:04}-{:02}", d.get_utc_full_year(), d.get_utc_month() + 1)
}

/// 本月排查 — the month's dispute screening of one of my grids, recorded even when nothing was
/// found; queued like everything else (a replay replaces the grid's month).
#[component]
fn Screening() -> impl IntoView {
    let f = field();
    let grids: Vec<(String, String)> =
        f.grids.with_value(|g| g.iter().filter(|g| g.mine).map(|g| (g.code.clone(), g.name.clone())).collect());
    let first = grids.first().map(|(c, _)| c.clone()).unwrap_or_default();
    let grid = RwSignal::new(first);
    let found = RwSignal::new("0".to_owned());
    let note = RwSignal::new(String::new());
    let done = RwSignal::new(String::new());
    let record = move |_| {
        let code = grid.get_untracked();
        let Ok(n) = found.get_untracked().trim().parse::<u32>() else {
            done.set("发现纠纷数须为 0 或正整数。".to_owned());
            return;
        };
        if code.is_empty() {
            done.set("没有绑定的网格。".to_owned());
            return;
        }
        let month = china_month(now_ms());
        let body = json!({"grid": code, "month": month, "found": n, "note": note.get_untracked().trim()});
        let label = format!("排查 · {code} · {month} · 发现 {n} 起");
        let item = NewItem::new(bridge::uuid(), Kind::Screening, label, "/api/v1/screenings".to_owned(), &body);
        spawn_local(async move {
            match f.enqueue(item, &[]).await {
                Ok(()) => {
                    note.set(String::new());
                    done.set(format!("已记录 {month} 排查。"));
                }
                Err(e) => done.set(e),
            }
        });
    };
    view! {
        <div class="f-form" id="screening-form">
            <h3>"本月矛盾纠纷排查"</h3>
            <label>"网格"
                <select id="screening-grid" on:change=move |ev| grid.set(event_target_value(&ev))>
                    {grids.into_iter().map(|(c, n)| view! { <option value=c.clone()>{format!("{n}（{c}）")}</option> }).collect_view()}
                </select>
            </label>
            <label>"发现纠纷（起）" <input id="screening-found" type="number" min="0" prop:value=move || found.get() on:input=move |ev| found.set(event_target_value(&ev))/></label>
            <label>"排查情况" <input id="screening-note" type="text" placeholder="无纠纷也要记录" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/></label>
            <button class="f-button secondary" id="screening-submit" on:click=record>"记录排查"</button>
            <p class="result" id="screening-result">{move || done.get()}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_batches_its_kept_points() {
        let mut w = Walk { id: "p".into(), ..Walk::default() };
        // Eleven fixes 20 m apart, a second apart: the tenth fills a batch.
        let full: Vec<bool> = (0..10).map(|i| w.record([115.5 + f64::from(i) * 0.0003, 40.4, f64::from(i) * 1000.0, 5.0])).collect();
        assert_eq!(full.iter().filter(|f| **f).count(), 1);
        assert!(full[9]);
        assert!(!w.record([115.5027, 40.4, 10_000.0, 5.0]), "2 m from the last one: dropped");
        assert_eq!(w.kept, 10);
        w.paused = true;
        assert!(!w.record([115.6, 40.4, 20_000.0, 5.0]));
        assert_eq!(w.kept, 10, "nothing recorded while paused");
    }

    #[test]
    fn an_old_batch_is_sent_even_if_small() {
        let mut w = Walk::default();
        assert!(!w.record([115.5, 40.4, 0.0, 5.0]));
        assert!(w.record([115.51, 40.4, BATCH_AGE_MS, 5.0]));
    }
}
