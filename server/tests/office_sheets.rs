//! Every list a county office works from, exported: on the demo county, each list asked with
//! `format=xlsx` and `format=csv` answers a file whose Chinese headers, row count and values
//! agree with the JSON list under the same filters — read back with calamine, csv and (once)
//! openpyxl — personal data masked alike, within the caller's jurisdiction, audited; a bad
//! format and an office without `export_data` are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use wangge_core::calendar::china_time;
use wangge_server::store::AuditFilter;
use wangge_server::{state_from_config, AppState, Clock, Config};
use support::{Db, TEST_USER};

#[macro_use]
mod support;

fn huailai() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../geodata/huailai")
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// A GET as `user` (the county dispatcher when `None`), with an `Accept` header if given.
async fn send(app: &Router, user: Option<&str>, uri: &str, accept: Option<&str>) -> Answer {
    let mut request = Request::get(uri);
    if let Some(user) = user {
        request = request.header(TEST_USER, user);
    }
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, headers, bytes }
}

/// A POST as `user` (the county dispatcher when `None`), which must succeed.
async fn post(app: &Router, user: Option<&str>, uri: &str, body: &Value) -> Value {
    let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(user) = user {
        request = request.header(TEST_USER, user);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(status.is_success(), "{uri}: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// The JSON list at `uri`, which must answer 200.
async fn list(app: &Router, user: Option<&str>, uri: &str) -> Value {
    let a = send(app, user, uri, None).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&a.bytes));
    a.json()
}

/// A table read back: the header row and the rows as text.
#[derive(Debug)]
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The column headed `header`.
    fn column(&self, header: &str) -> Vec<&str> {
        let at = self.headers.iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}: {:?}", self.headers));
        self.rows.iter().map(|r| r[at].as_str()).collect()
    }
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string(),
    }
}

/// The export at `uri` (with `format=` added) in both formats, checked to be the same table:
/// Chinese headers, XLSX cells typed, the CSV with a BOM, and the answer's headers.
async fn export(app: &Router, user: Option<&str>, uri: &str) -> (Table, Vec<Vec<Data>>) {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let x = send(app, user, &format!("{uri}{sep}format=xlsx"), None).await;
    assert_eq!(x.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&x.bytes));
    assert_eq!(x.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let disposition = x.header("content-disposition");
    assert!(disposition.starts_with("attachment; filename=\"") && disposition.contains("; filename*=UTF-8''%E"), "{disposition}");
    assert!(disposition.ends_with(".xlsx"), "{disposition}");
    assert_eq!(x.header("cache-control"), "no-store");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(x.bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let mut cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let headers: Vec<String> = cells.remove(0).iter().map(text).collect();
    assert!(headers.iter().all(|h| !h.is_ascii()), "Chinese headers: {headers:?}");

    let c = send(app, user, &format!("{uri}{sep}format=csv"), None).await;
    assert_eq!(c.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&c.bytes));
    assert_eq!(c.header("content-type"), "text/csv; charset=utf-8");
    assert!(c.header("content-disposition").ends_with(".csv"));
    assert!(c.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&c.bytes[3..]);
    let csv_headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(csv_headers, headers, "{uri}");
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), cells.len(), "{uri}: as many rows in CSV as in XLSX");
    (Table { headers, rows }, cells)
}

fn china(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    china_time().with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn total(v: &Value) -> usize {
    usize::try_from(v["total"].as_u64().unwrap_or_else(|| panic!("no total: {v}"))).unwrap()
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap_or_else(|| panic!("no items: {v}"))
}

async fn exports_audited(state: &AppState) -> i64 {
    let filter = AuditFilter { action: Some("export_data".into()), ..AuditFilter::default() };
    state.store.audit(&filter, wangge_server::records::Page { page: 1, per_page: 1 }).await.unwrap().total
}

backend_tests! {
    #[tokio::test]
    async fn every_office_list_exports_as_the_json_list_shows_it() {
        let db = Db::new().await;
        // A small registry keeps the test short; the rest is the demo county's 2023.
        let config = Config { demo: true, demo_residents: 3_000, ..db.config(huailai()) };
        let mut state = state_from_config(&config).await.expect("service starts");
        state.clock = Clock::fixed(china(2024, 6, 30, 9));
        let app = support::county_app(&state).await;
        let december = "from=2023-12-01&to=2023-12-31";
        let stats = list(&app, None, &format!("/api/v1/stats?{december}")).await;
        let town = stats["by_township"][0]["code"].as_str().unwrap().to_owned();
        let other = stats["by_township"][1]["code"].as_str().unwrap().to_owned();
        for (name, role, jurisdiction) in
            [("town", "dispatcher", town.as_str()), ("officer", "special_group_officer", "county"), ("assessor", "assessor", "county"), ("planner", "planner", "county")]
        {
            support::token(&state, name, role, jurisdiction, "").await;
        }
        let audited = exports_audited(&state).await;

        // The queue of a month: the same events, in the same order, reporters masked.
        let month = "/api/v1/events?from=2023-12-01&to=2023-12-31";
        let json = list(&app, None, &format!("{month}&per_page=500")).await;
        let (events, cells) = export(&app, None, month).await;
        assert_eq!(events.rows.len(), total(&json));
        assert!(events.rows.len() > 500, "more than one page: {}", events.rows.len());
        assert_eq!(&events.headers[..4], ["事件编号", "事件类别", "小类", "事件描述"]);
        let ids = events.column("事件编号");
        for (i, item) in items(&json).iter().enumerate() {
            assert_eq!(ids[i], item["event_id"].as_str().unwrap(), "row {i}");
        }
        let first = &items(&json)[0];
        let at = |h: &str| events.headers.iter().position(|x| x == h).unwrap();
        assert_eq!(events.rows[0][at("乡镇代码")], first["township_code"].as_str().unwrap());
        assert!(!events.rows[0][at("乡镇")].is_empty(), "the township named");
        assert!(["民生事项", "问题隐患", "矛盾纠纷", "其他"].contains(&events.rows[0][at("事件类别")].as_str()));
        // Times are China time, as dates in the workbook.
        assert!(matches!(cells[0][at("上报时间")], Data::DateTime(_)), "{:?}", cells[0][at("上报时间")]);
        assert!(events.rows[0][at("上报时间")].starts_with("2023-12-"), "{:?}", events.rows[0]);
        for phone in events.column("联系电话").into_iter().filter(|p| !p.is_empty()) {
            assert!(phone.contains("****"), "masked: {phone}");
        }
        for name in events.column("上报人").into_iter().filter(|n| n.chars().count() > 1) {
            assert!(name.contains('*'), "masked: {name}");
        }

        // The overdue queue, and a spreadsheet asked for by Accept.
        let overdue = list(&app, None, "/api/v1/events?overdue=true&per_page=1").await;
        let (late, _) = export(&app, None, "/api/v1/events?overdue=true").await;
        assert_eq!(late.rows.len(), total(&overdue));
        assert!(late.column("超期").iter().all(|o| *o == "核实超期" || *o == "办结超期"), "{:?}", late.column("超期"));
        let by_accept = send(&app, None, "/api/v1/events?overdue=true", Some("text/csv")).await;
        assert_eq!((by_accept.status, by_accept.header("content-type")), (StatusCode::OK, "text/csv; charset=utf-8"));

        // The call-back desk (the demo's calls were all made): a hazard reported and closed today.
        let at = &first["location"];
        let report = serde_json::json!({"report_id": "sheet-1", "category": "hazard", "subcategory": "燃气", "description": "楼道里有燃气味",
            "location": {"lon": at["lon"], "lat": at["lat"]}, "reporter": {"kind": "resident", "name": "张三丰", "phone": "13987654321"}, "channel": "web"});
        let id = post(&app, None, "/api/v1/reports", &report).await["event_id"].as_str().unwrap().to_owned();
        for step in [serde_json::json!({"action": "accept"}), serde_json::json!({"action": "handle", "note": "已处理"}), serde_json::json!({"action": "close", "note": "已办结"})] {
            post(&app, None, &format!("/api/v1/events/{id}/transitions"), &step).await;
        }
        let desk = "/api/v1/callbacks";
        let (calls, _) = export(&app, None, desk).await;
        assert_eq!(calls.rows.len(), total(&list(&app, None, desk).await));
        assert_eq!((calls.rows[0][0].as_str(), calls.column("联系电话")[0]), (id.as_str(), "139****4321"));

        // Figures by township (the year's total adds up), by village of a township, patrols.
        let (by_township, cells) = export(&app, None, &format!("/api/v1/stats?{december}")).await;
        assert_eq!(by_township.rows.len(), stats["by_township"].as_array().unwrap().len());
        let reported: f64 = cells.iter().map(|r| r[4].as_f64().unwrap()).sum();
        assert!((reported - stats["reported"].as_f64().unwrap()).abs() < 0.5 && reported > 500.0, "{reported}");
        assert_eq!(by_township.rows[0][..2], [town.clone(), stats["by_township"][0]["name"].as_str().unwrap().to_owned()]);
        let narrowed = format!("/api/v1/stats?{december}&township={town}");
        let (by_village, _) = export(&app, None, &narrowed).await;
        assert_eq!(by_village.rows.len(), list(&app, None, &narrowed).await["by_village"].as_array().unwrap().len());
        let (by_grid, _) = export(&app, None, &format!("{narrowed}&by=grid")).await;
        assert!(by_grid.rows.len() > by_village.rows.len() && by_grid.column("代码").iter().all(|c| c.len() == 15 && c.starts_with(&town)));
        let patrol = "/api/v1/stats/patrol?from=2023-12-01&to=2023-12-07";
        let patrol_json = list(&app, None, patrol).await;
        let (walkers, _) = export(&app, None, patrol).await;
        assert_eq!(walkers.rows.len(), patrol_json["by_gridworker"].as_array().unwrap().len());
        assert_eq!(walkers.rows[0][0], patrol_json["by_gridworker"][0]["person_id"].as_str().unwrap());
        let (grids, _) = export(&app, None, &format!("{patrol}&by=grid")).await;
        assert_eq!(grids.rows.len(), patrol_json["by_grid"].as_array().unwrap().len());

        // The ledgers: disputes, petitions, outcomes and the screening board.
        let year = "from=2023-01-01&to=2023-12-31";
        for (uri, first_header, id) in [("/api/v1/disputes", "案件编号", "case_id"), ("/api/v1/petitions", "信访编号", "petition_id")] {
            let uri = format!("{uri}?{year}");
            let json = list(&app, None, &uri).await;
            let (ledger, _) = export(&app, None, &uri).await;
            assert_eq!((ledger.rows.len(), ledger.headers[0].as_str()), (total(&json), first_header), "{uri}");
            assert_eq!(ledger.rows[0][0], items(&json)[0][id].as_str().unwrap(), "{uri}");
        }
        let outcomes = format!("/api/v1/outcomes?{year}");
        let (o, _) = export(&app, None, &outcomes).await;
        assert_eq!(o.rows.len(), items(&list(&app, None, &outcomes).await).len());
        let board = "/api/v1/screenings?month=2023-12";
        let board_json = list(&app, None, board).await;
        let (screened, _) = export(&app, None, board).await;
        assert_eq!(screened.rows.len(), items(&board_json).len());
        assert_eq!(screened.column("是否已排查").iter().filter(|s| **s == "是").count() as u64, board_json["screened"].as_u64().unwrap());

        // The registry (ID numbers and phones masked), its special groups, people, patrols.
        for kind in ["people", "houses"] {
            let uri = format!("/api/v1/registry/{kind}?township={town}");
            let (records, _) = export(&app, None, &uri).await;
            assert_eq!(records.rows.len(), total(&list(&app, None, &format!("{uri}&per_page=1")).await), "{kind}");
            assert!(!records.rows.is_empty(), "{kind}");
            if kind == "people" {
                let ids = records.column("公民身份号码");
                assert!(ids.iter().all(|id| id.is_empty() || id.contains('*')), "masked: {ids:?}");
            }
        }
        let special = "/api/v1/registry/special_groups";
        let (members, _) = export(&app, Some("officer"), special).await;
        assert_eq!(members.rows.len(), total(&list(&app, Some("officer"), &format!("{special}?per_page=1")).await));
        let roster = "/api/v1/people?role=gridworker";
        let (people, _) = export(&app, None, roster).await;
        assert_eq!(people.rows.len(), 222);
        assert!(people.column("联系电话").iter().all(|p| p.contains("****")) && people.column("角色").iter().all(|r| *r == "专职网格员"));
        let walks = "/api/v1/patrols?from=2023-12-01&to=2023-12-07";
        let (patrols, _) = export(&app, None, walks).await;
        assert_eq!(patrols.rows.len(), total(&list(&app, None, &format!("{walks}&per_page=1")).await));
        assert!(patrols.column("姓名").iter().all(|n| !n.is_empty()));

        // The league tables, exported by the assessor (who holds no export_data).
        // A frozen table is read as frozen: computed once.
        post(&app, Some("assessor"), "/api/v1/assessment/freeze", &serde_json::json!({"level": "township", "period": "2023-Q4"})).await;
        let league = "/api/v1/assessment/townships?period=2023-Q4";
        let json = list(&app, Some("assessor"), league).await;
        let (table, cells) = export(&app, Some("assessor"), league).await;
        assert_eq!(table.rows.len(), items(&json).len());
        assert_eq!(table.rows[0][1], items(&json)[0]["unit"].as_str().unwrap());
        assert!((cells[0][5].as_f64().unwrap() - items(&json)[0]["score"].as_f64().unwrap()).abs() < 1e-9);
        assert!(table.headers.iter().any(|h| h.ends_with(')')), "a column per indicator: {:?}", table.headers);

        // A township's office gets its township's rows, and nothing of another's.
        let (mine, _) = export(&app, Some("town"), month).await;
        assert_eq!(mine.rows.len(), total(&list(&app, Some("town"), month).await));
        assert!(!mine.rows.is_empty() && mine.rows.len() < events.rows.len());
        assert!(mine.column("乡镇代码").iter().all(|t| *t == town), "only its township");
        let (theirs, _) = export(&app, Some("town"), &format!("{month}&township={other}")).await;
        assert!(theirs.rows.is_empty(), "another township's queue is empty");
        let (their_people, _) = export(&app, Some("town"), "/api/v1/registry/people").await;
        assert!(their_people.column("村(社区)代码").iter().all(|v| v.starts_with(&town)));

        // Refused: a format not offered (listing those that are), an office without export_data.
        let bad = send(&app, None, "/api/v1/events?format=xls", None).await;
        assert_eq!((bad.status, bad.header("content-type")), (StatusCode::BAD_REQUEST, "application/problem+json"));
        assert!(bad.json()["detail"].as_str().unwrap().contains("json, xlsx or csv"), "{}", bad.json());
        let planner = send(&app, Some("planner"), &format!("/api/v1/stats?{december}&format=csv"), None).await;
        assert_eq!(planner.status, StatusCode::FORBIDDEN, "{}", planner.json());
        assert_eq!(send(&app, Some("planner"), &format!("/api/v1/stats?{december}"), None).await.status, StatusCode::OK);

        // Every export left its audit row.
        assert!(exports_audited(&state).await - audited >= 40, "audited");

        // A third-party reader opens the workbook: headers, rows, dates as dates.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.xlsx");
        std::fs::write(&path, send(&app, None, &format!("{month}&format=xlsx"), None).await.bytes).unwrap();
        let script = "import openpyxl,sys\nws=openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nrows=list(ws.iter_rows(values_only=True))\n\
                      print(ws.title, ws.freeze_panes, ws.auto_filter.ref is not None)\nprint('|'.join(rows[0][:3]))\nprint(len(rows)-1)\n\
                      i=rows[0].index('上报时间')\nprint(type(rows[1][i]).__name__, rows[1][0])";
        let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().expect("python3 with openpyxl (scripts/test.sh installs it)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "事件列表 A2 True");
        assert_eq!(lines[1], "事件编号|事件类别|小类");
        assert_eq!(lines[2], events.rows.len().to_string());
        assert_eq!(lines[3], format!("datetime {}", events.rows[0][0]));
    }
}
