//! 上报 — a gridworker's report: category and subcategory (the subcategories the county's
//! routing uses), description, photos from the camera, the point from GPS or a tap on the
//! map; before sending (online) the open events of the same category within 200 m, so a
//! duplicate is seen. The report goes to the queue with its client id (`report_id`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use wasm_bindgen::JsCast;
use wangge_core::event::Category;
use wangge_core::wire::nearby::Nearby;

use super::queue::{Kind, NewItem};
use super::{bridge, field};
use crate::{api, labels};

/// Categories in the order of the form, with the subcategories the routing table knows.
pub const CATEGORIES: [(Category, &[&str]); 4] = [
    (Category::Hazard, &["消防隐患", "燃气隐患", "危房隐患", "道路塌陷", "违章建筑", "电力线路隐患", "食品安全", "安全生产"]),
    (Category::Dispute, &["邻里纠纷", "土地纠纷", "婚姻家庭纠纷", "劳资纠纷", "物业纠纷", "宅基地纠纷"]),
    (
        Category::Livelihood,
        &["社保医保咨询", "低保救助", "道路破损", "路灯损坏", "供水问题", "供电问题", "燃气问题", "环境卫生", "噪音扰民", "物业服务", "证明开具", "就业咨询"],
    ),
    (Category::Other, &["意见建议", "其他"]),
];

/// Most photos a report carries.
pub const MAX_PHOTOS: usize = 9;
/// Largest photo, in bytes.
pub const MAX_PHOTO_BYTES: f64 = 10.0 * 1024.0 * 1024.0;

/// The photos chosen in the file input an event came from, checked: the input, and the files
/// or why they cannot be sent.
pub fn chosen_photos(ev: &web_sys::Event) -> Option<(web_sys::HtmlInputElement, Result<Vec<web_sys::File>, String>)> {
    let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let files: Vec<web_sys::File> = input.files().map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect()).unwrap_or_default();
    let described: Vec<(String, f64)> = files.iter().map(|f| (f.type_(), f.size())).collect();
    let checked = match photo_problem(&described) {
        Some(problem) => Err(problem),
        None => Ok(files),
    };
    Some((input, checked))
}

/// Why a set of photos (content type and size each) cannot be sent, if it cannot.
pub fn photo_problem(photos: &[(String, f64)]) -> Option<String> {
    if photos.len() > MAX_PHOTOS {
        return Some(format!("最多 {MAX_PHOTOS} 张照片，已选 {} 张", photos.len()));
    }
    photos.iter().enumerate().find_map(|(i, (kind, bytes))| {
        if !matches!(kind.as_str(), "image/jpeg" | "image/png" | "image/webp") {
            Some(format!("第 {} 张照片不是 JPEG、PNG 或 WebP（{kind}）", i + 1))
        } else if *bytes > MAX_PHOTO_BYTES {
            Some(format!("第 {} 张照片超过 10 MB", i + 1))
        } else {
            None
        }
    })
}

/// The subcategories of a category.
fn subcategories(c: Category) -> &'static [&'static str] {
    CATEGORIES.iter().find(|(k, _)| *k == c).map_or(&[], |(_, s)| s)
}

/// Where the report is: the GPS fix (WGS84) or a tap on the map (the map's CGCS2000).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Point {
    Gps(f64, f64),
    Tap(f64, f64),
}

impl Point {
    fn lon_lat(self) -> (f64, f64) {
        match self {
            Self::Gps(lon, lat) | Self::Tap(lon, lat) => (lon, lat),
        }
    }

    fn crs(self) -> &'static str {
        match self {
            Self::Gps(..) => "wgs84",
            Self::Tap(..) => "cgcs2000",
        }
    }
}

/// The report form.
#[component]
pub fn ReportForm() -> impl IntoView {
    let f = field();
    let category = RwSignal::new(Category::Hazard);
    let subcategory = RwSignal::new(subcategories(Category::Hazard)[0].to_owned());
    let description = RwSignal::new(String::new());
    let photos = StoredValue::new_local(Vec::<web_sys::File>::new());
    let photo_count = RwSignal::new(0_usize);
    let use_tap = RwSignal::new(false);
    let nearby = RwSignal::new(None::<Nearby>);
    let result = RwSignal::new(String::new());

    let point = move || -> Option<Point> {
        if use_tap.get() {
            f.tapped.get().map(|(lon, lat)| Point::Tap(lon, lat))
        } else {
            f.fix.get().map(|x| Point::Gps(x[0], x[1]))
        }
    };
    // A tap on the map while this form is open picks the point.
    Effect::new(move |first: Option<()>| {
        let tapped = f.tapped.get();
        if first.is_some() && tapped.is_some() {
            use_tap.set(true);
        }
    });
    Effect::new(move |_| match point() {
        Some(p) => {
            let (lon, lat) = p.lon_lat();
            bridge::set_point(lon, lat);
        }
        None => bridge::set_point(f64::NAN, f64::NAN),
    });
    on_cleanup(|| bridge::set_point(f64::NAN, f64::NAN));
    // Open events of the same category nearby (only online: nothing to show offline), asked
    // again when the category changes or the point moves 25 m or more.
    let asked = StoredValue::new(None::<(Category, f64, f64)>);
    Effect::new(move |_| {
        let (Some(p), c, online) = (point(), category.get(), f.online.get()) else { return };
        let (lon, lat) = p.lon_lat();
        if !online {
            nearby.set(None);
            asked.set_value(None);
            return;
        }
        let same = asked.get_value().is_some_and(|(k, x, y)| k == c && super::geo::distance_m([x, y], [lon, lat]) < 25.0);
        if same {
            return;
        }
        asked.set_value(Some((c, lon, lat)));
        nearby.set(None);
        let url = api::url(
            "/api/v1/events/nearby",
            &[("lon", &lon.to_string()), ("lat", &lat.to_string()), ("crs", p.crs()), ("category", c.as_str()), ("radius_m", "200")],
        );
        spawn_local(async move {
            if let Ok(n) = api::get::<Nearby>(&url).await {
                nearby.set(Some(n));
            }
        });
    });

    let pick = move |ev: web_sys::Event| {
        let Some((input, checked)) = chosen_photos(&ev) else { return };
        match checked {
            Err(problem) => {
                result.set(problem);
                input.set_value("");
                photos.set_value(Vec::new());
                photo_count.set(0);
            }
            Ok(files) => {
                result.set(String::new());
                photo_count.set(files.len());
                photos.set_value(files);
            }
        }
    };

    let submit = move || {
        let Some(p) = point() else {
            result.set("还没有位置：请等待定位，或在地图上点选事件地点。".to_owned());
            return;
        };
        let text = description.get_untracked().trim().to_owned();
        if text.is_empty() {
            result.set("请填写事件描述。".to_owned());
            return;
        }
        let (lon, lat) = p.lon_lat();
        let id = bridge::uuid();
        let c = category.get_untracked();
        let sub = subcategory.get_untracked();
        let body = json!({
            "report_id": id,
            "category": c.as_str(),
            "subcategory": sub,
            "description": text,
            "location": {"lon": lon, "lat": lat, "crs": p.crs()},
            "reporter": {"kind": "gridworker"},
            "channel": "app",
        });
        let label = format!("上报 · {}（{}）· {}", labels::category(c), sub, text.chars().take(16).collect::<String>());
        let item = NewItem::new(id, Kind::Report, label, "/api/v1/reports".to_owned(), &body);
        let files = photos.get_value();
        spawn_local(async move {
            match f.enqueue(item, &files).await {
                Ok(()) => {
                    result.set(if f.online.get_untracked() { "已提交，正在上传。" } else { "已保存，联网后自动上传。" }.to_owned());
                    description.set(String::new());
                    photos.set_value(Vec::new());
                    photo_count.set(0);
                    use_tap.set(false);
                }
                Err(e) => result.set(format!("保存失败：{e}")),
            }
        });
    };

    view! {
        <h2>"事件上报"</h2>
        <form class="f-form" id="report-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label>"类别"
                <select id="report-category" on:change=move |ev| {
                    let c = Category::parse(&event_target_value(&ev)).unwrap_or(Category::Other);
                    category.set(c);
                    subcategory.set(subcategories(c).first().map(|s| (*s).to_owned()).unwrap_or_default());
                }>
                    {CATEGORIES.iter().map(|(c, _)| view! { <option value=c.as_str()>{labels::category(*c)}</option> }).collect_view()}
                </select>
            </label>
            <label>"子类"
                <select id="report-subcategory" on:change=move |ev| subcategory.set(event_target_value(&ev))>
                    {move || subcategories(category.get()).iter().map(|s| view! { <option value=*s>{*s}</option> }).collect_view()}
                </select>
            </label>
            <label>"描述" <textarea id="report-description" rows="3" required=true prop:value=move || description.get()
                on:input=move |ev| description.set(event_target_value(&ev))></textarea></label>
            <label class="f-photos">{move || format!("照片（{} 张，最多 9 张）", photo_count.get())}
                <input id="report-photos" type="file" accept="image/*" capture="environment" multiple=true on:change=pick/>
            </label>
            <div class="f-point" id="report-point">
                {move || match point() {
                    Some(Point::Gps(lon, lat)) => format!("地点：当前位置 {lon:.5}, {lat:.5}"),
                    Some(Point::Tap(lon, lat)) => format!("地点：地图点选 {lon:.5}, {lat:.5}"),
                    None => "地点：等待定位，或在地图上点选".to_owned(),
                }}
                <button type="button" class="link" on:click=move |_| use_tap.set(false) class:hidden=move || !use_tap.get()>"改用当前位置"</button>
            </div>
            <div class="f-nearby" id="report-nearby">
                {move || nearby.get().map(|n| if n.events.is_empty() {
                    view! { <p class="note">"附近 200 米内没有同类未结事件。"</p> }.into_any()
                } else {
                    view! {
                        <p class="warn">{format!("附近 200 米内已有 {} 件同类未结事件：", n.events.len())}</p>
                        <ul class="f-list">{n.events.iter().map(|e| view! {
                            <li>{format!("{} · 约 {:.0} 米 · {}", e.event.event_id, e.distance_m, e.event.description.chars().take(30).collect::<String>())}</li>
                        }).collect_view()}</ul>
                    }.into_any()
                })}
            </div>
            <div class="f-actions">
                <button class="f-button" id="report-submit" type="submit">"提交上报"</button>
            </div>
            <p class="result" id="report-result">{move || result.get()}</p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_checked_before_they_are_queued() {
        let jpeg = |bytes: f64| ("image/jpeg".to_owned(), bytes);
        assert_eq!(photo_problem(&[jpeg(1e6)]), None);
        assert_eq!(photo_problem(&[]), None);
        assert!(photo_problem(&vec![jpeg(1.0); 10]).is_some_and(|p| p.contains("最多 9 张")));
        assert!(photo_problem(&[jpeg(11.0 * 1024.0 * 1024.0)]).is_some_and(|p| p.contains("10 MB")));
        assert!(photo_problem(&[("image/heic".to_owned(), 1.0)]).is_some_and(|p| p.contains("heic")));
    }

    #[test]
    fn every_category_has_subcategories() {
        for (c, subs) in CATEGORIES {
            assert!(!subs.is_empty(), "{c:?}");
            assert_eq!(subcategories(c)[0], subs[0]);
        }
    }
}
