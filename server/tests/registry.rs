//! The registry (基础数据) through the HTTP API on both stores: citizen ID numbers checked and
//! refused with the reason; personal fields masked in every answer, sealed at rest (the
//! plaintext appears nowhere in the database) and revealed only through the audited reveal;
//! exact search by ID number; jurisdiction (404 outside, like a missing record); special groups
//! seen only by their officers and the responsible gridworker, with follow-ups and overdue
//! flags; the summary with the collection rate; spreadsheet imports that store all rows or
//! none, with each problem's row and column; XLSX exports read by a third-party reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::registry::check_character;

mod support;

use support::county::*;

/// A well-formed ID number of the fictitious region 139930, born on `birth`, its sequence
/// `seq` (odd: a man).
fn id_number(birth: &str, seq: u32) -> String {
    let first = format!("139930{birth}{seq:03}");
    format!("{first}{}", check_character(&first).unwrap())
}

static SEQ: AtomicU32 = AtomicU32::new(1);

/// A person of village A with a fresh ID number; the number used.
fn person(name: &str) -> (Value, String) {
    let n = id_number("19900307", SEQ.fetch_add(2, Ordering::Relaxed));
    let body = json!({"kind": "registered", "name": name, "id_number": n, "phone": "13912344321",
        "village_code": VILLAGE_A, "lon": IN_A.0, "lat": IN_A.1, "ethnicity": "汉族"});
    (body, n)
}

async fn create(c: &County, who: &str, body: &Value) -> Reply {
    c.post(who, "/api/v1/registry/people", body).await
}

/// A raw request with a body of some media type: (status, headers' content type, bytes).
async fn raw(c: &County, who: &str, method: Method, uri: &str, media: &str, body: Vec<u8>) -> (StatusCode, String, Vec<u8>) {
    let As::Token(token) = c.token(who) else { unreachable!("tokens only") };
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, media)
        .body(Body::from(body))
        .unwrap();
    let response = c.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let media = response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, media, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn audited(c: &County, action: &str) -> usize {
    let r = c.get("auditor", &format!("/api/v1/audit?action={action}&per_page=500")).await;
    r.body["items"].as_array().map_or(0, Vec::len)
}

backend_tests! {
    #[tokio::test]
    async fn id_numbers_are_checked_masked_found_and_revealed() {
        let c = county().await;
        let (body, number) = person("张三");
        let r = create(&c, "county", &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        assert_eq!(r.body["id_number"], format!("1399**********{}", &number[14..]));
        assert_eq!(r.body["phone"], "139****4321");
        assert_eq!((r.body["sex"].clone(), r.body["birth_date"].clone()), (json!("male"), json!("1990-03-07")), "from the number");
        assert_eq!(r.body["grid_code"], GRID_A);
        assert_eq!(r.body["ethnicity"], "01");
        assert!(!r.text.contains(&number) && !r.text.contains("13912344321"), "{}", r.text);

        // A mistyped check character, a sex against the number, a second record of the same
        // number: refused with the reason, nothing stored.
        let mut bad = body.clone();
        let wrong = if number.ends_with('0') { "1" } else { "0" };
        bad["id_number"] = json!(format!("{}{wrong}", &number[..17]));
        let r = create(&c, "county", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.header("content-type"), "application/problem+json");
        assert_eq!(r.body["problems"][0]["field"], "id_number");
        assert!(r.body["problems"][0]["reason"].as_str().unwrap().contains("check character"), "{}", r.text);
        let mut woman = body.clone();
        woman["sex"] = json!("女");
        let r = create(&c, "county", &woman).await;
        assert!(r.body["problems"][0]["reason"].as_str().unwrap().contains("sex"), "{}", r.text);
        let r = create(&c, "county", &body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        // A create sent again with its Idempotency-Key answers the record it made.
        let (house, _) = (json!({"use": "住宅", "address": "东关1号", "village_code": VILLAGE_A, "lon": IN_A.0, "lat": IN_A.1}), ());
        let (s1, _, first) = raw(&c, "gw_a", Method::POST, "/api/v1/registry/houses", "application/json", house.to_string().into_bytes()).await;
        assert_eq!(s1, StatusCode::CREATED);
        let keyed = |c: &County| {
            let As::Token(token) = c.token("gw_a") else { unreachable!() };
            Request::post("/api/v1/registry/houses")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "queue-item-1")
                .body(Body::from(house.to_string()))
                .unwrap()
        };
        let one = c.app.clone().oneshot(keyed(&c)).await.unwrap();
        assert_eq!(one.status(), StatusCode::CREATED);
        let two = c.app.clone().oneshot(keyed(&c)).await.unwrap();
        assert_eq!((two.status(), two.headers().get("idempotent-replay").map(|v| v.to_str().unwrap().to_owned())), (StatusCode::OK, Some("true".to_owned())));
        let (a, b): (Value, Value) = (
            serde_json::from_slice(&one.into_body().collect().await.unwrap().to_bytes()).unwrap(),
            serde_json::from_slice(&two.into_body().collect().await.unwrap().to_bytes()).unwrap(),
        );
        assert_eq!(a["id"], b["id"]);
        assert_ne!(a["id"], serde_json::from_slice::<Value>(&first).unwrap()["id"]);
        assert_eq!(a["verified_by"], "GWA", "the gridworker, from the credential");
        let mut no_id = body.clone();
        no_id.as_object_mut().unwrap().remove("id_number");
        assert_eq!(create(&c, "county", &no_id).await.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Exact search by ID number: the one record; another valid number: none; garbage: 400.
        let found = c.get("county", &format!("/api/v1/registry/people?id_number={number}")).await;
        assert_eq!((found.body["total"].clone(), found.body["items"][0]["id"].clone()), (json!(1), json!(id)), "{}", found.text);
        let other = id_number("19900307", 999);
        let none = c.get("county", &format!("/api/v1/registry/people?id_number={other}")).await;
        assert_eq!(none.body["total"], 0);
        assert_eq!(c.get("county", "/api/v1/registry/people?id_number=12345").await.status, StatusCode::BAD_REQUEST);

        // Every read of a record is audited; the reveal answers the number and is audited.
        let reads = audited(&c, "read_registry").await;
        let one = c.get("village_a", &format!("/api/v1/registry/people/{id}")).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.header("cache-control"), "no-store");
        assert_eq!(audited(&c, "read_registry").await, reads + 1);
        let reveals = audited(&c, "reveal_personal_data").await;
        let r = c.post("county", &format!("/api/v1/registry/people/{id}/reveal"), &json!({"field": "id_number"})).await;
        assert_eq!((r.status, r.body["value"].clone()), (StatusCode::OK, json!(number)), "{}", r.text);
        assert_eq!(audited(&c, "reveal_personal_data").await, reveals + 1);
        let r = c.post("county", &format!("/api/v1/registry/people/{id}/reveal"), &json!({"field": "name"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // A leader reads figures, not people.
        assert_eq!(c.get("leader", &format!("/api/v1/registry/people/{id}")).await.status, StatusCode::FORBIDDEN);

        // A change keeps the sealed number when it is sent back masked, and re-verifies.
        // (The answer sent back as it came, its masked and read-only members included.)
        let mut changed = one.body.clone();
        changed["name"] = json!("张三丰");
        let r = send(&c.app, &c.token("county"), Method::PUT, &format!("/api/v1/registry/people/{id}"), Some(&changed)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["name"], "张三丰");
        let again = c.get("county", &format!("/api/v1/registry/people?id_number={number}")).await;
        assert_eq!(again.body["items"][0]["name"], "张三丰", "still found by its number");
    }

    #[tokio::test]
    async fn plaintext_personal_data_is_nowhere_in_the_database() {
        let c = county().await;
        let (body, number) = person("李四");
        let r = create(&c, "county", &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_owned();
        c.post("county", &format!("/api/v1/registry/people/{id}/reveal"), &json!({"field": "phone"})).await;
        let phone = "13912344321";
        match c._db.database_url() {
            None => {
                // Every file of the SQLite store: the database, its WAL, the attachments.
                let mut seen = 0;
                for entry in walk(c._db.data_dir()) {
                    let bytes = std::fs::read(&entry).unwrap();
                    seen += 1;
                    for secret in [number.as_bytes(), phone.as_bytes()] {
                        assert!(!bytes.windows(secret.len()).any(|w| w == secret), "{} holds a plaintext value", entry.display());
                    }
                }
                assert!(seen >= 2, "the database files were read");
                // The record is there: the name is not personal data that is sealed.
                let all: Vec<u8> = walk(c._db.data_dir()).iter().flat_map(|p| std::fs::read(p).unwrap()).collect();
                assert!(all.windows("李四".len()).any(|w| w == "李四".as_bytes()));
            }
            Some(url) => {
                // Every row of every table as text.
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                assert!(tables.iter().any(|t| t == "registry_record") && tables.len() > 10, "{tables:?}");
                for t in &tables {
                    for secret in [number.as_str(), phone] {
                        let sql = format!("SELECT count(*) FROM \"{t}\" x WHERE x::text LIKE '%' || $1 || '%'");
                        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(secret).fetch_one(&pool).await.unwrap();
                        assert_eq!(n, 0, "table {t} holds a plaintext value");
                    }
                }
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM registry_record x WHERE x::text LIKE '%李四%'").fetch_one(&pool).await.unwrap();
                assert_eq!(n, 1);
                pool.close().await;
            }
        }
    }

    #[tokio::test]
    async fn jurisdiction_hides_records_like_missing_ones() {
        let c = county().await;
        let (body, number) = person("王五");
        let id = create(&c, "county", &body).await.body["id"].as_str().unwrap().to_owned();
        let hidden = c.get("town_b", &format!("/api/v1/registry/people/{id}")).await;
        let missing = c.get("town_b", "/api/v1/registry/people/RNOSUCH").await;
        assert_eq!((hidden.status, missing.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(hidden.body["detail"].as_str().unwrap().replace(&id, "X"), missing.body["detail"].as_str().unwrap().replace("RNOSUCH", "X"));
        let list = c.get("town_b", &format!("/api/v1/registry/people?id_number={number}")).await;
        assert_eq!(list.body["total"], 0, "searching another township finds nothing");
        assert_eq!(c.get("town_a", &format!("/api/v1/registry/people?id_number={number}")).await.body["total"], 1);
        let reveal = c.post("town_b", &format!("/api/v1/registry/people/{id}/reveal"), &json!({"field": "id_number"})).await;
        assert_eq!(reveal.status, StatusCode::NOT_FOUND);
        // An event refers to the person: the record lists it; another township cannot link it.
        let link = json!({"from_kind": "event", "from_id": c.event_a, "record_id": id});
        assert_eq!(c.post("town_b", "/api/v1/registry/links", &link).await.status, StatusCode::NOT_FOUND);
        let r = c.post("town_a", "/api/v1/registry/links", &link).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let linked = c.get("county", &format!("/api/v1/registry/people/{id}")).await;
        assert_eq!((linked.body["links"][0]["from_kind"].clone(), linked.body["links"][0]["from_id"].clone()), (json!("event"), json!(c.event_a)), "{}", linked.text);
        // A gridworker's check-in whose ref is the record's id refers to it too.
        let r = c.post("gw_a", "/api/v1/patrols", &json!({"patrol_id": "p-ref"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let visit = json!({"checkin_id": "c-ref", "lon": IN_A.0, "lat": IN_A.1, "kind": "household", "ref": id});
        let r = c.post("gw_a", "/api/v1/patrols/p-ref/checkins", &visit).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let linked = c.get("county", &format!("/api/v1/registry/people/{id}")).await;
        let kinds: Vec<&str> = linked.body["links"].as_array().unwrap().iter().map(|l| l["from_kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"checkin") && kinds.contains(&"event"), "{}", linked.text);
        let bad = json!({"from_kind": "event", "from_id": c.event_b, "record_id": id});
        assert_eq!(c.post("town_a", "/api/v1/registry/links", &bad).await.status, StatusCode::NOT_FOUND, "an event outside the caller's view");
        // Writing into another township is refused, and so is a point in another village.
        let (mut other, _) = person("赵六");
        other["village_code"] = json!("130730200201");
        assert_eq!(create(&c, "town_a", &other).await.status, StatusCode::FORBIDDEN);
        let (mut elsewhere, _) = person("孙七");
        (elsewhere["lon"], elsewhere["lat"]) = (json!(IN_B.0), json!(IN_B.1));
        let r = create(&c, "county", &elsewhere).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("not in village"), "{}", r.text);
    }

    #[tokio::test]
    async fn special_groups_are_seen_only_by_their_officers_and_gridworker() {
        let c = county().await;
        let id = create(&c, "county", &person("周八").0).await.body["id"].as_str().unwrap().to_owned();
        let member = json!({"group": "community_correction", "person_id": id, "responsible_person_id": "GWA",
            "correction_type": "缓刑", "correction_until": "2027-06-30"});
        // A dispatcher may not register one; the officer of the township may (eight days ago:
        // a weekly follow-up is overdue now).
        assert_eq!(c.post("county", "/api/v1/registry/special_groups", &member).await.status, StatusCode::FORBIDDEN);
        let mut early = c.state.clone();
        early.clock = wangge_server::Clock::fixed(monday() - chrono::Duration::days(8));
        let early = wangge_server::app(early);
        let r = send(&early, &c.fresh("officer_a").await, Method::POST, "/api/v1/registry/special_groups", Some(&member)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let sid = r.body["id"].as_str().unwrap().to_owned();
        assert_eq!((r.body["followup_days"].clone(), r.body["correction_type"].clone()), (json!(7), json!("probation")));
        let officer = c.fresh("officer_a").await;
        let again = send(&c.app, &officer, Method::POST, "/api/v1/registry/special_groups", Some(&member)).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let wrong = json!({"group": "key_youth", "person_id": id, "responsible_person_id": "GWB"});
        let r = send(&c.app, &officer, Method::POST, "/api/v1/registry/special_groups", Some(&wrong)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "GWB works in another township: {}", r.text);

        // Seen by the officer and GWA; the county dispatcher and leader may not list them.
        assert_eq!(send(&c.app, &officer, Method::GET, "/api/v1/registry/special_groups", None).await.body["total"], 1);
        let gw = c.fresh("gw_a").await;
        assert_eq!(send(&c.app, &gw, Method::GET, &format!("/api/v1/registry/special_groups/{sid}"), None).await.body["person_id"], json!(id));
        assert_eq!(c.get("county", "/api/v1/registry/special_groups").await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.get("county", &format!("/api/v1/registry/special_groups/{sid}")).await.status, StatusCode::FORBIDDEN);
        // The person's own record says nothing of the group.
        let record = c.get("county", &format!("/api/v1/registry/people/{id}")).await;
        assert!(!record.text.contains("correction") && !record.text.contains(&sid), "{}", record.text);

        // Counted (not named) in the summary, overdue; a follow-up by the gridworker moves the
        // next due date, and its replay changes nothing.
        let s = c.get("county", &format!("/api/v1/registry/summary?village={VILLAGE_A}")).await;
        assert_eq!((s.body["people"].clone(), s.body["special_groups"]["community_correction"].clone()), (json!(1), json!(1)), "{}", s.text);
        assert_eq!(s.body["special_groups"]["overdue"], 1);
        assert_eq!(s.body["collection_rate"], 1.0);
        let overdue = send(&c.app, &officer, Method::GET, "/api/v1/registry/special_groups?overdue=true", None).await;
        assert_eq!(overdue.body["total"], 1, "{}", overdue.text);
        assert_eq!(overdue.body["items"][0]["overdue"], true);
        let f = json!({"followup_id": "v-1", "note": "在家，情绪稳定"});
        let r = send(&c.app, &gw, Method::POST, &format!("/api/v1/registry/special_groups/{sid}/followups"), Some(&f)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let again = send(&c.app, &gw, Method::POST, &format!("/api/v1/registry/special_groups/{sid}/followups"), Some(&f)).await;
        assert_eq!(again.status, StatusCode::OK);
        let after = send(&c.app, &officer, Method::GET, &format!("/api/v1/registry/special_groups/{sid}"), None).await;
        assert_eq!(after.body["overdue"], false, "{}", after.text);
        assert_eq!(after.body["followups"].as_array().unwrap().len(), 1);
        assert_eq!(after.body["followups"][0]["note"], "在家，情绪稳定");
        let none = send(&c.app, &officer, Method::GET, "/api/v1/registry/special_groups?overdue=true", None).await;
        assert_eq!(none.body["total"], 0);
        // Another township's officer: as if it did not exist.
        assert_eq!(send(&c.app, &c.fresh("town_b").await, Method::GET, &format!("/api/v1/registry/special_groups/{sid}"), None).await.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn spreadsheets_import_all_rows_or_none_and_export_masked() {
        let c = county().await;
        let good = |seq: u32| id_number("19850612", seq);
        let csv = format!(
            "人口类别*,姓名*,公民身份号码,联系电话,村(社区)代码*,经度,纬度\n户籍人口,甲,{},13800000001,{VILLAGE_A},{},{}\n流动人口,乙,{},,{VILLAGE_A},,\n",
            good(11), IN_A.0, IN_A.1, good(12)
        );
        let broken = csv.replace(&good(12), &format!("{}0", &good(12)[..17])).replace("13800000001", "12");
        let before = c.get("county", "/api/v1/registry/people").await.body["total"].as_i64().unwrap();
        let status = import(&c, "text/csv", broken.into_bytes()).await;
        assert_eq!(status["state"], "failed", "{status}");
        let problems = status["problems"].as_array().unwrap();
        let cells: Vec<(i64, &str)> = problems.iter().map(|p| (p["row"].as_i64().unwrap(), p["column"].as_str().unwrap())).collect();
        assert!(cells.contains(&(2, "联系电话")) && cells.iter().any(|(r, col)| *r == 3 && *col == "公民身份号码"), "{problems:?}");
        assert_eq!(c.get("county", "/api/v1/registry/people").await.body["total"], before, "nothing stored");
        let status = import(&c, "text/csv", csv.clone().into_bytes()).await;
        assert_eq!((status["state"].clone(), status["stored"].clone(), status["rows_checked"].clone()), (json!("done"), json!(2), json!(2)), "{status}");
        let again = import(&c, "text/csv", csv.into_bytes()).await;
        assert!(again["problems"][0]["reason"].as_str().unwrap().contains("already registered"), "{again}");

        // The templates open; an export of the filtered list is read by openpyxl, masked.
        let (s, media, xlsx) = raw(&c, "county", Method::GET, "/api/v1/registry/people/template?format=xlsx", "", Vec::new()).await;
        assert_eq!((s, media.as_str()), (StatusCode::OK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        let (_, _, export) = raw(&c, "county", Method::GET, &format!("/api/v1/registry/people?format=xlsx&village={VILLAGE_A}"), "", Vec::new()).await;
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [("t.xlsx", &xlsx), ("e.xlsx", &export)] {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let read = std::process::Command::new("python3")
            .arg("-c")
            .arg("import openpyxl,sys\nfor f in sys.argv[1:]:\n  ws=openpyxl.load_workbook(f).worksheets[0]\n  print('|'.join(str(c.value) for r in ws.iter_rows() for c in r))")
            .arg(dir.path().join("t.xlsx"))
            .arg(dir.path().join("e.xlsx"))
            .output()
            .expect("python3 with openpyxl (scripts/test.sh installs it)");
        assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
        let text = String::from_utf8(read.stdout).unwrap();
        let (template, exported) = text.split_once('\n').unwrap();
        assert!(template.starts_with("人口类别*|姓名*|公民身份号码"), "{template}");
        assert!(exported.contains("甲") && exported.contains(&format!("1399**********{}", &good(11)[14..])), "{exported}");
        assert!(!exported.contains(&good(11)) && !exported.contains("13800000001"), "masked in exports");
        // Not a spreadsheet, another township's rows: refused before anything runs.
        let (s, _, _) = raw(&c, "county", Method::POST, "/api/v1/registry/people/import", "application/pdf", b"%PDF".to_vec()).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (s, _, body) = raw(&c, "county", Method::POST, "/api/v1/registry/people/import", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04junk".to_vec()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}", String::from_utf8_lossy(&body));
        let theirs = format!("人口类别,姓名,公民身份号码,村(社区)代码\n户籍人口,丙,{},130730200201\n", good(13));
        let (s, _, _) = raw(&c, "town_a", Method::POST, "/api/v1/registry/people/import", "text/csv", theirs.into_bytes()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

/// Imports as the county dispatcher and waits for the outcome.
async fn import(c: &County, media: &str, bytes: Vec<u8>) -> Value {
    let (s, _, body) = raw(c, "county", Method::POST, "/api/v1/registry/people/import", media, bytes).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&body));
    let started: Value = serde_json::from_slice(&body).unwrap();
    let url = started["status_url"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        let r = c.get("county", &url).await;
        if r.body["state"] != "checking" {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the import did not finish");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
