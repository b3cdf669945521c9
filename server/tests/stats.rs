//! Figures and the demo load: the full demo county started with the demo reproduces the
//! county's 2023 self-evaluation through `GET /api/v1/stats` and its roster through
//! `GET /api/v1/people`; a restart neither loses nor reloads it. On the mini fixture, live
//! reports and their closing show up in the figures, and bad periods are refused.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::calendar::china_time;
use wangge_server::{state_from_config, AppState, Clock, Config};
use support::Db;

#[macro_use]
mod support;

/// 东关社区第一网格 in the mini fixture.
const G1: &str = "130730100001001";
/// A point in G1 outside the street unit.
const IN_G1: (f64, f64) = (115.508, 40.408);

fn mini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

fn huailai() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/huailai")
}

async fn start(config: &Config, now: DateTime<Utc>) -> (AppState, Router) {
    let mut state = state_from_config(config).await.expect("service starts");
    state.clock = Clock::fixed(now);
    let app = support::county_app(&state).await;
    (state, app)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("infallible service");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// The bytes of a GET.
async fn raw(app: &Router, uri: &str) -> Vec<u8> {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("infallible service");
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    response.into_body().collect().await.expect("body").to_bytes().to_vec()
}

/// What a Python reader (python-docx, openpyxl: scripts/test.sh installs them) prints of a file.
fn python(script: &str, bytes: &[u8], ext: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("file.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn post(app: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let request = Request::post(uri).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()));
    send(app, request.expect("request")).await
}

/// A GET's JSON answer and where its figures came from (`Server-Timing`'s `desc`).
async fn timed_get(app: &Router, uri: &str) -> (Value, String) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("infallible service");
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let timing = response.headers().get("server-timing").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let source = timing.split("desc=\"").nth(1).and_then(|d| d.split('"').next()).unwrap_or_default().to_owned();
    if uri.starts_with("/api/v1/stats") && !uri.contains("format=") {
        // The parts read at once, each timed.
        for part in ["counts;dur=", "benefit;dur=", "overdue;dur="] {
            assert!(timing.contains(part), "{uri}: Server-Timing {timing:?} lacks {part}");
        }
    }
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (serde_json::from_slice(&bytes).expect("JSON"), source)
}

/// Accepts, handles and closes an event as the county's account.
async fn close(app: &Router, id: &str) {
    for action in ["accept", "handle", "close"] {
        let mut b = json!({"action": action});
        if action != "accept" {
            b["note"] = json!("已处理");
        }
        let (status, e) = post(app, &format!("/api/v1/events/{id}/transitions"), &b).await;
        assert_eq!(status, StatusCode::OK, "{e}");
    }
}

/// An answer without its time of making.
fn without_time(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("generated_at");
    }
    v
}

async fn people(app: &Router, role: &str) -> i64 {
    let (status, body) = get(app, &format!("/api/v1/people?role={role}&per_page=1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["total"].as_i64().expect("total")
}

fn china(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    china_time().with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

backend_tests! {
    #[tokio::test]
    async fn the_demo_county_reproduces_the_2023_figures_and_roster_once() {
        let db = Db::new().await;
        let config = Config { demo: true, ..db.config(huailai()) };
        let (_, app) = start(&config, china(2024, 6, 30, 9)).await;

        let started = std::time::Instant::now();
        let (status, f) = get(&app, "/api/v1/stats?from=2023-01-01&to=2023-12-31").await;
        eprintln!("stats over the demo year answered in {:?}", started.elapsed());
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!((f["from"].as_str(), f["to"].as_str()), (Some("2023-01-01"), Some("2023-12-31")));
        assert_eq!((&f["reported"], &f["closed"], &f["closure_rate"]), (&json!(10_505), &json!(10_435), &json!(99.33)));
        for (category, n) in [("livelihood", 9_488), ("hazard", 656), ("dispute", 312), ("other", 49)] {
            assert_eq!(f["by_category"][category]["reported"], n, "{category}");
        }
        let townships = f["by_township"].as_array().expect("by_township");
        assert_eq!(townships.len(), 17);
        for t in townships {
            assert!(t["reported"].as_u64().unwrap() >= 20, "each township reports at least 20: {t}");
            assert!(!t["name"].as_str().unwrap().is_empty(), "{t}");
        }
        assert!(f.get("by_village").is_none() && f.get("by_grid").is_none(), "county-wide answers stay short");
        for tier in ["grid", "village", "township", "county", "department"] {
            let rate = f["on_time"][tier]["finish_rate"].as_f64().expect("finish rate");
            assert!(rate > 80.0 && rate < 100.0, "{tier}: {rate}");
        }
        // The 70 events still open a year later are past their deadlines.
        assert_eq!(f["overdue"]["total"], 70);
        assert_eq!(f["overdue"]["items"].as_array().map(Vec::len), Some(20));

        // The benefit indicators (目标 3, 目标 10), counted from the year's screenings, dispute
        // cases, petitions and call-backs: what the county reported.
        let d = &f["disputes"];
        assert_eq!(d["found"], 312, "a case for each dispute: {d}");
        assert!(d["screening_rate"].as_f64().unwrap() > 0.97, "screening > 97 %: {d}");
        assert!(d["screening_due"].as_u64().unwrap() >= 1_829 * 12, "{d}");
        assert_eq!((&d["mediated_rate"], &d["in_county_rate"]), (&json!(1.0), &json!(1.0)), "all mediated inside the county: {d}");
        let success = d["success_rate"].as_f64().unwrap();
        assert!((0.95..1.0).contains(&success), "success ≥ 95 %: {d}");
        let p = &f["petitions"];
        let resolved = p["resolved_rate"].as_f64().unwrap();
        assert!((0.90..1.0).contains(&resolved), "petitions resolved ≥ 90 %: {p}");
        assert_eq!(p["to_beijing_or_province"], 2, "{p}");
        let s = &f["satisfaction"];
        let rate = s["rate"].as_f64().unwrap();
        assert!((0.95..1.0).contains(&rate), "satisfaction > 95 %: {s}");
        assert!(s["due"].as_u64().unwrap() >= 968 && s["reached"].as_u64().unwrap() >= s["due"].as_u64().unwrap(), "{s}");
        assert_eq!(f["outcomes"], json!({"public_safety_incidents": 2, "civil_to_criminal": 0}));

        // The self-evaluation (考评), scored from the same records by the built-in 2023
        // scheme: what the county reported — 99, 优秀 — every number computed.
        let (status, se) = get(&app, "/api/v1/assessment/self-evaluation?year=2023").await;
        assert_eq!(status, StatusCode::OK, "{se}");
        assert_eq!((&se["total"], &se["grade"], &se["unscored"]), (&json!(99.0), &json!("优秀"), &json!(0.0)), "{se}");
        let sections: Vec<(String, f64, f64)> = se["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap().to_owned(), s["score"].as_f64().unwrap(), s["max"].as_f64().unwrap()))
            .collect();
        let expected = [("产出", 50.0, 50.0), ("效益", 30.0, 30.0), ("满意度", 10.0, 10.0), ("预算", 9.0, 10.0)];
        assert_eq!(sections, expected.map(|(n, s, m)| (n.to_owned(), s, m)).to_vec());
        let fig = &se["figures"];
        assert_eq!(fig["grids"], json!({"codes": 1829, "community": 857, "rural": 972, "street_units": 45}));
        assert_eq!(fig["people"], json!({"grid_leaders": 330, "volunteers": 763, "gridworkers": 222, "liaison_instructors": 31}));
        for (k, v) in [("reported", json!(10_505)), ("closed", json!(10_435)), ("closure_rate_percent", json!(99.33)), ("livelihood", json!(9_488)), ("hazard", json!(656)), ("dispute", json!(312)), ("other", json!(49))] {
            assert_eq!(fig["events"][k], v, "{k}");
        }
        assert!(fig["benefit"]["satisfaction_rate"].as_f64().unwrap() > 0.95);
        assert_eq!((&fig["budget"]["budget_yuan"], &fig["budget"]["execution_rate"]), (&json!(3_763_807.0), &json!(0.9)));
        // The document, read by a third-party reader, and the indicator sheet.
        let text = python("import docx,sys\nd=docx.Document(sys.argv[1])\nprint('\\n'.join(p.text for p in d.paragraphs))\nfor t in d.tables:\n  for r in t.rows: print('|'.join(c.text for c in r.cells))", &raw(&app, "/api/v1/assessment/self-evaluation.docx?year=2023").await, "docx");
        for needle in ["全县网格编码共 1829 个", "社区编码 857 个", "农村编码 972 个", "驻街单位编码 45 个", "网格长共 330 名", "网格志愿者共 763 名", "专职网格员共 222 名", "包联指导员共 31 名", "事件上报总量 10505 件", "已办事件 10435 件", "办结率 99.33%", "民生事项共 9488 件", "问题隐患共 656 件", "矛盾纠纷共 312 件", "其他类事件共 49 件", "资金投入 3763807.00 元", "自评总得分为 99 分", "总体评分为优秀", "存在的问题及改进措施", "合计||||100|99"] {
            assert!(text.contains(needle), "{needle} not in the document:\n{text}");
        }
        let sheet = python("import openpyxl,sys\nws=openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nfor r in ws.iter_rows(): print('|'.join('' if c.value is None else str(c.value) for c in r))", &raw(&app, "/api/v1/assessment/self-evaluation.xlsx?year=2023").await, "xlsx");
        assert!(sheet.contains("预算|C10|预算执行率|得分 = 预算执行率 × 10|0.9|338742630|376380700|10|9"), "{sheet}");
        assert!(sheet.lines().last().unwrap().ends_with("|100|99"), "{sheet}");
        // Every gridworker's December, ranked in the county, its township and its village.
        let (status, gw) = get(&app, "/api/v1/assessment/gridworkers?period=2023-12").await;
        assert_eq!(status, StatusCode::OK, "{gw}");
        let items = gw["items"].as_array().unwrap();
        assert_eq!(items.len(), 222);
        assert_eq!(items[0]["rank"], 1);
        assert!(items.iter().all(|i| i["rank_in_village"].as_u64().is_some() && i["indicators"]["G5"]["measured"].is_number()), "patrols measured for all");

        // Narrowed to one township: its villages are listed, and they add up.
        let code = townships[0]["code"].as_str().unwrap().to_owned();
        let (_, one) = get(&app, &format!("/api/v1/stats?from=2023-01-01&to=2023-12-31&township={code}")).await;
        assert_eq!(one["reported"], townships[0]["reported"]);
        let villages = one["by_village"].as_array().expect("by_village");
        let sum: u64 = villages.iter().map(|v| v["reported"].as_u64().unwrap()).sum();
        assert_eq!(Some(sum), one["reported"].as_u64());
        // A period outside the year has nothing.
        let (_, none) = get(&app, "/api/v1/stats?from=2022-01-01&to=2022-12-31").await;
        assert_eq!((&none["reported"], &none["closure_rate"]), (&json!(0), &json!(0.0)));

        let roster = [("gridworker", 222), ("grid_leader", 330), ("volunteer", 763), ("liaison_instructor", 31)];
        for (role, n) in roster {
            assert_eq!(people(&app, role).await, n, "{role}");
        }
        let (_, events) = get(&app, "/api/v1/events?per_page=1").await;
        assert_eq!(events["total"], 10_505);

        // The year's patrols: every gridworker walked their grids, now and then outside them,
        // and the county's 巡查走访率 is computed from the tracks.
        let (status, patrols) = get(&app, "/api/v1/stats/patrol?from=2023-01-01&to=2023-12-31").await;
        assert_eq!(status, StatusCode::OK, "{patrols}");
        let walkers = patrols["by_gridworker"].as_array().expect("by_gridworker");
        assert_eq!(walkers.len(), 222);
        assert!(walkers.iter().all(|w| w["patrols"].as_u64().unwrap() >= 40 && w["checkins"].as_u64().unwrap() > 0), "{walkers:?}");
        let outside: Vec<f64> = walkers.iter().map(|w| w["outside_share"].as_f64().unwrap()).collect();
        assert!(outside.iter().any(|s| *s > 0.0) && outside.iter().all(|s| *s < 0.5), "{outside:?}");
        let rate = patrols["patrol_rate"].as_f64().expect("patrol_rate");
        assert!((0.5..1.0).contains(&rate), "{rate}");
        let (_, none) = get(&app, "/api/v1/stats/patrol?from=2022-01-01&to=2022-12-31").await;
        assert_eq!(none["patrol_rate"], json!(0.0), "{none}");

        // A restart keeps the demo and does not load it twice.
        drop(app);
        let (_, again) = start(&config, china(2024, 6, 30, 9)).await;
        let (_, f2) = get(&again, "/api/v1/stats?from=2023-01-01&to=2023-12-31").await;
        assert_eq!((&f2["reported"], &f2["closed"]), (&json!(10_505), &json!(10_435)));
        assert_eq!(people(&again, "gridworker").await, 222);
    }

    #[tokio::test]
    async fn live_reports_and_their_closing_show_in_the_figures() {
        let db = Db::new().await;
        let now = china(2025, 3, 3, 9);
        let (_, app) = start(&db.config(mini()), now).await;
        assert_eq!(people(&app, "gridworker").await, 0, "no demo without --demo");
        let gw = json!({"name": "测试", "role": "gridworker", "unit_code": "130730100", "phone": "13812345678", "grids": [G1], "device_id": "D001"});
        let r = send(&app, Request::put("/api/v1/people/GW001").header(header::CONTENT_TYPE, "application/json").body(Body::from(gw.to_string())).unwrap()).await;
        assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        let mut ids = Vec::new();
        for (i, category) in ["hazard", "dispute", "hazard"].iter().enumerate() {
            let body = json!({
                "report_id": format!("r-{i}"), "category": category, "description": "楼道里有燃气味",
                "location": {"lon": IN_G1.0, "lat": IN_G1.1}, "reporter": {"kind": "resident"}, "channel": "web",
            });
            let (status, e) = post(&app, "/api/v1/reports", &body).await;
            assert_eq!(status, StatusCode::CREATED, "{e}");
            ids.push(e["event_id"].as_str().unwrap().to_owned());
        }
        for (action, note) in [("accept", None), ("handle", Some("修好了")), ("close", Some("已回访"))] {
            let mut b = json!({"action": action});
            if let Some(n) = note {
                b["note"] = json!(n);
            }
            let (status, e) = post(&app, &format!("/api/v1/events/{}/transitions", ids[0]), &b).await;
            assert_eq!(status, StatusCode::OK, "{e}");
        }
        let (status, f) = get(&app, "/api/v1/stats?from=2025-03-03&to=2025-03-03").await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!((&f["reported"], &f["closed"], &f["closure_rate"]), (&json!(3), &json!(1), &json!(33.33)));
        assert_eq!(f["by_category"]["hazard"], json!({"reported": 2, "closed": 1, "closure_rate": 50.0}));
        assert_eq!(f["by_category"]["dispute"]["reported"], 1);
        assert_eq!(f["by_township"], json!([{"code": "130730100", "name": f["by_township"][0]["name"], "reported": 3, "closed": 1, "closure_rate": 33.33}]));
        assert_eq!(f["on_time"]["grid"]["stints"], 1, "only the finished stint is decided yet");
        assert_eq!(f["on_time"]["grid"]["finished_on_time"], 1);
        assert_eq!(f["overdue"]["total"], 0);
        let (_, g) = get(&app, &format!("/api/v1/stats?from=2025-03-03&to=2025-03-03&grid={G1}")).await;
        assert_eq!(g["by_grid"][0]["code"], G1);
        assert_eq!(g["by_grid"][0]["reported"], 3);
        // The day before and the day after have nothing (dates are China-time days).
        let (_, before) = get(&app, "/api/v1/stats?from=2025-03-02&to=2025-03-02").await;
        assert_eq!(before["reported"], 0);

        for (uri, reason) in [
            ("/api/v1/stats", "from is required"),
            ("/api/v1/stats?from=2025-03-03", "to is required"),
            ("/api/v1/stats?from=2025-3-3x&to=2025-03-03", "from must be a date"),
            ("/api/v1/stats?from=2025-03-04&to=2025-03-03", "is after to"),
            ("/api/v1/stats?from=2025-03-03&to=2025-03-03&township=12", "township must be"),
            ("/api/v1/stats?from=2025-03-03&to=2025-03-03&colour=red", ""),
        ] {
            let (status, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(body["detail"].as_str().unwrap_or_default().contains(reason), "{uri}: {body}");
        }
    }

    #[tokio::test]
    async fn figures_held_in_memory_answer_as_the_store_does_through_every_change_from_any_process() {
        let db = Db::new().await;
        let now = china(2025, 3, 20, 9);
        let (state, app) = start(&db.config(mini()), now).await;
        let gw = json!({"name": "测试", "role": "gridworker", "unit_code": "130730100", "phone": "13812345678", "grids": [G1], "device_id": "D001"});
        let r = send(&app, Request::put("/api/v1/people/GW001").header(header::CONTENT_TYPE, "application/json").body(Body::from(gw.to_string())).unwrap()).await;
        assert_eq!(r.0, StatusCode::CREATED, "{}", r.1);
        let categories = ["hazard", "dispute", "livelihood", "other"];
        let report = |app: Router, n: usize, tag: &'static str| async move {
            let (lon, lat) = (IN_G1.0 + (n % 7) as f64 * 0.0004, IN_G1.1 + (n % 5) as f64 * 0.0003);
            let body = json!({
                "report_id": format!("{tag}-{n}"), "category": categories[n % 4], "description": "楼道里有燃气味",
                "location": {"lon": lon, "lat": lat}, "reporter": {"kind": "resident"}, "channel": "web",
            });
            let (status, e) = post(&app, "/api/v1/reports", &body).await;
            assert_eq!(status, StatusCode::CREATED, "{e}");
            e["event_id"].as_str().unwrap().to_owned()
        };
        let mut ids = Vec::new();
        for n in 0..24 {
            ids.push(report(app.clone(), n, "a").await);
        }
        for id in ids.iter().step_by(3) {
            close(&app, id).await;
        }
        let uris = [
            "/api/v1/stats?from=2025-03-01&to=2025-03-31".to_owned(),
            format!("/api/v1/stats?from=2025-03-20&to=2025-03-20&grid={G1}"),
            "/api/v1/stats?from=2025-03-01&to=2025-03-31&township=130730100".to_owned(),
            "/api/v1/map/heat?category=hazard,dispute,livelihood,other".to_owned(),
            "/api/v1/map/heat?from=2025-03-20&to=2025-03-20&cell=0.001".to_owned(),
            "/api/v1/map/choropleth?category=hazard,livelihood".to_owned(),
            "/api/v1/map/choropleth?on=current&township=130730100".to_owned(),
        ];
        // Each answer from memory is the store path's answer, and says where it came from.
        let compare = |app: Router, state: AppState, expect_reported: u64| {
            let uris = uris.clone();
            async move {
                for uri in &uris {
                    state.cube.set_enabled(false);
                    let (from_store, source) = timed_get(&app, uri).await;
                    assert_eq!(source, "store", "{uri}");
                    state.cube.set_enabled(true);
                    state.cube.build_now(&state.store, &state.rules).await.expect("the cube builds");
                    let (from_memory, source) = timed_get(&app, uri).await;
                    assert_eq!(source, "memory", "{uri}");
                    assert_eq!(without_time(from_memory), without_time(from_store.clone()), "{uri}");
                    if uri.starts_with("/api/v1/stats?from=2025-03-01&to=2025-03-31") && !uri.contains("township") {
                        assert_eq!(from_store["reported"], expect_reported, "{uri}");
                    }
                }
            }
        };
        compare(app.clone(), state.clone(), 24).await;

        // Changes after the cube was built: new reports, events moved on and closed, duplicates
        // marked and unmarked — and reports and closings written by another process on the same
        // store, whose own cube this one never hears from.
        for n in 24..30 {
            ids.push(report(app.clone(), n, "a").await);
        }
        let (status, e) = post(&app, &format!("/api/v1/events/{}/duplicate", ids[1]), &json!({"of": ids[2], "reason": "同一处"})).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (status, e) = post(&app, &format!("/api/v1/events/{}/duplicate", ids[4]), &json!({"of": ids[5], "reason": "同一处"})).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let r = send(&app, Request::delete(format!("/api/v1/events/{}/duplicate", ids[4])).body(Body::empty()).unwrap()).await;
        assert!(r.0.is_success(), "{}", r.1);
        let (other_state, other) = start(&db.config(mini()), now).await;
        for n in 0..5 {
            let id = report(other.clone(), n, "b").await;
            if n % 2 == 0 {
                close(&other, &id).await;
            }
        }
        drop(other_state);
        // 24 + 6 + 5 reported, one of them marked a duplicate (the other unmarked again).
        let (f, source) = timed_get(&app, "/api/v1/stats?from=2025-03-01&to=2025-03-31").await;
        assert_eq!(source, "memory");
        assert_eq!(f["reported"], 34, "{f}");
        assert_eq!(f["closed"], 8 + 3, "{f}");
        compare(app.clone(), state.clone(), 34).await;
    }

    #[tokio::test]
    async fn an_interrupted_demo_load_resumes_and_a_foreign_roster_is_left_alone() {
        use wangge_geodata::demo::{roster, GridRef};
        use wangge_server::demo::load_if_empty;
        let db = Db::new().await;
        // The demo off: grids loaded, no people, no events.
        let state = state_from_config(&db.config(huailai())).await.expect("starts");
        let grids = state.store.grids().await.expect("grids");
        let refs: Vec<GridRef<'_>> = grids
            .iter()
            .map(|g| GridRef { code: &g.code, kind: g.kind, village: &g.village_code, township: &g.township_code, parent_grid: g.parent_grid.as_deref() })
            .collect();
        // As if the first start died after writing the roster and before the events.
        state.store.insert_people(&roster(&refs)).await.expect("roster");
        let loaded = load_if_empty(&state.store).await.expect("resumes").expect("loads the events");
        assert_eq!(loaded.events, 10_505);
        assert!(load_if_empty(&state.store).await.expect("second call").is_none(), "never twice");

        let other = Db::new().await;
        let state = state_from_config(&other.config(huailai())).await.expect("starts");
        let mut one = roster(&refs);
        one.truncate(1);
        state.store.insert_people(&one).await.expect("one person");
        assert!(load_if_empty(&state.store).await.expect("skips").is_none(), "a store with its own people is left alone");
    }
}
