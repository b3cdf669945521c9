//! Disputes mediated, petitions resolved, residents called back, on both backends: a 不满意
//! call-back reopens the event to the tier that closed it; the rates change as the records
//! change; every file is inside its jurisdiction; the ledgers export to XLSX.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use chrono::TimeZone;
use serde_json::{json, Value};

mod support;

use support::county::*;

const MARCH: &str = "/api/v1/stats?from=2025-03-01&to=2025-03-31";

/// The raw bytes of a GET (an export).
async fn raw(c: &County, who: &str, uri: &str) -> Vec<u8> {
    let As::Token(t) = c.token(who) else { panic!("a token") };
    let req = axum::http::Request::get(uri).header("authorization", format!("Bearer {t}")).body(axum::body::Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(c.app.clone(), req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec()
}

/// The first sheet of an XLSX file as openpyxl reads it: one line per row, cells joined by `|`.
fn openpyxl(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let read = std::process::Command::new("python3")
        .arg("-c")
        .arg("import openpyxl,sys\nws=openpyxl.load_workbook(sys.argv[1]).worksheets[0]\nprint(ws.title)\nfor r in ws.iter_rows():\n  print('|'.join('' if c.value is None else str(c.value) for c in r))")
        .arg(&path)
        .output()
        .expect("python3 with openpyxl (scripts/test.sh installs it)");
    assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
    String::from_utf8(read.stdout).unwrap()
}

fn desk_has(r: &Reply, id: &str) -> bool {
    r.body["items"].as_array().unwrap().iter().any(|i| i["event_id"] == json!(id))
}

backend_tests! {
    #[tokio::test]
    async fn a_dissatisfied_call_back_reopens_the_event_and_the_rate_follows_the_calls() {
        let c = county().await;
        let a = c.event_a.clone();
        // Not closed yet: not on the desk, and not called back.
        assert!(!desk_has(&c.get("town_a", "/api/v1/callbacks").await, &a));
        let early = c.post("town_a", &format!("/api/v1/events/{a}/followups"), &json!({"reached": true, "level": "很满意"})).await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.text);
        c.close(&a).await;
        let closer = c.get("county", &format!("/api/v1/events/{a}")).await.body["holder"].clone();
        // A hazard is always called back; township B's desk never sees township A's events.
        let desk = c.get("town_a", "/api/v1/callbacks").await;
        assert_eq!(desk.status, StatusCode::OK, "{}", desk.text);
        assert!(desk_has(&desk, &a), "{}", desk.text);
        assert!(!desk.text.contains("13987654321"), "the reporter's phone is masked");
        assert!(!desk_has(&c.get("town_b", "/api/v1/callbacks").await, &a));
        let hidden = c.post("town_b", &format!("/api/v1/events/{a}/followups"), &json!({"reached": false})).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.text);
        // Bad calls are refused with the reason.
        for (body, says) in [
            (json!({"reached": true}), "level is required"),
            (json!({"reached": true, "level": "满意"}), "level must be"),
            (json!({"reached": false, "level": "很满意"}), "has no level"),
        ] {
            let r = c.post("town_a", &format!("/api/v1/events/{a}/followups"), &body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
            assert!(r.text.contains(says), "{body}: {}", r.text);
        }
        // Not reached: still due, one attempt.
        let r = c.post("town_a", &format!("/api/v1/events/{a}/followups"), &json!({"reached": false, "note": "无人接听"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let desk = c.get("town_a", "/api/v1/callbacks").await;
        let row = desk.body["items"].as_array().unwrap().iter().find(|i| i["event_id"] == json!(a)).cloned().unwrap();
        assert_eq!(row["attempts"], 1);
        // Reached and satisfied: off the desk; the rate counts it.
        c.state.clock.set(monday() + chrono::Duration::minutes(1));
        let r = c.post("town_a", &format!("/api/v1/events/{a}/followups"), &json!({"reached": true, "level": "基本满意"})).await;
        assert_eq!((r.status, r.body["reopened"].clone()), (StatusCode::CREATED, json!(false)), "{}", r.text);
        assert!(!desk_has(&c.get("town_a", "/api/v1/callbacks").await, &a));
        let s = c.get("county", MARCH).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.text);
        assert_eq!(s.body["satisfaction"], json!({"due": 1, "reached": 1, "satisfied": 1, "rate": 1.0}), "{}", s.text);
        // 不满意 reopens it to the tier that closed it, with a timeline row naming the call.
        c.state.clock.set(monday() + chrono::Duration::minutes(2));
        let sent = support::county::send(
            &c.app,
            &c.token("town_a"),
            Method::POST,
            &format!("/api/v1/events/{a}/followups"),
            Some(&json!({"reached": true, "level": "不满意", "note": "燃气味还在"})),
        )
        .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
        assert_eq!(sent.body["reopened"], true);
        assert_eq!(sent.body["event"]["state"], "assigned", "{}", sent.text);
        assert_eq!(sent.body["event"]["holder"], closer);
        let timeline = c.get("county", &format!("/api/v1/events/{a}/timeline")).await;
        let last = timeline.body["entries"].as_array().unwrap().last().cloned().unwrap();
        assert_eq!(last["action"], "reopen", "{}", timeline.text);
        assert!(last.to_string().contains(sent.body["followup"]["callback_id"].as_str().unwrap()), "{last}");
        // Two reached calls, one satisfied; the event is open again, so none is due.
        let s = c.get("county", MARCH).await;
        assert_eq!(s.body["satisfaction"], json!({"due": 0, "reached": 2, "satisfied": 1, "rate": 0.5}), "{}", s.text);
        // A township B view counts none of A's calls.
        let b = c.get("county", &format!("{MARCH}&township={TOWN_B}")).await;
        assert_eq!(b.body["satisfaction"]["reached"], 0);
        // The event's call-backs, oldest first.
        let list = c.get("county", &format!("/api/v1/events/{a}/followups")).await;
        let levels: Vec<Value> = list.body["items"].as_array().unwrap().iter().map(|i| i["level"].clone()).collect();
        assert_eq!(levels, vec![Value::Null, json!("基本满意"), json!("不满意")]);
        // A replay with the same key changes nothing.
        c.close(&a).await;
        let key_call = |key: &'static str| {
            let app = c.app.clone();
            let token = c.token("town_a");
            let uri = format!("/api/v1/events/{a}/followups");
            async move {
                let mut req = axum::http::Request::builder().method(Method::POST).uri(uri).header("content-type", "application/json").header("idempotency-key", key);
                if let As::Token(t) = token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                let body = axum::body::Body::from(json!({"reached": true, "level": "很满意"}).to_string());
                tower::ServiceExt::oneshot(app, req.body(body).unwrap()).await.unwrap()
            }
        };
        assert_eq!(key_call("k-1").await.status(), StatusCode::CREATED);
        let replay = key_call("k-1").await;
        assert_eq!(replay.status(), StatusCode::OK);
        assert_eq!(replay.headers().get("idempotent-replay").unwrap(), "true");
        assert_eq!(c.get("county", &format!("/api/v1/events/{a}/followups")).await.body["items"].as_array().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn a_dispute_case_is_mediated_step_by_step_and_the_rates_follow() {
        let c = county().await;
        let mut first_report = report("r-dispute", IN_A);
        first_report["category"] = json!("dispute");
        first_report["description"] = json!("邻居因宅基地界址发生争执");
        let event = c.post("county", "/api/v1/reports", &first_report).await.body["event_id"].as_str().unwrap().to_owned();
        let none = c.get("county", MARCH).await;
        assert_eq!(none.body["disputes"]["found"], 0);
        assert_eq!(none.body["disputes"]["mediated_rate"], Value::Null, "no case, no rate");
        let body = json!({
            "event_id": event, "kind": "land", "scale": "ordinary", "people": 2, "summary": "宅基地界址争议",
            "parties": [{"name": "张三", "role": "申请人", "phone": "13912345678"}, {"name": "李四", "role": "被申请人"}],
        });
        assert_eq!(c.post("town_b", "/api/v1/disputes", &body).await.status, StatusCode::NOT_FOUND);
        let case = c.post("town_a", "/api/v1/disputes", &body).await;
        assert_eq!(case.status, StatusCode::CREATED, "{}", case.text);
        assert_eq!(case.body["stage"], "registered");
        assert_eq!(case.body["parties"][0]["name"], "张*");
        assert!(!case.text.contains("13912345678") && !case.text.contains("李四"), "{}", case.text);
        let id = case.body["case_id"].as_str().unwrap().to_owned();
        assert_eq!(c.post("town_a", "/api/v1/disputes", &body).await.status, StatusCode::CONFLICT);
        assert_eq!(c.get("town_b", &format!("/api/v1/disputes/{id}")).await.status, StatusCode::NOT_FOUND);
        let step = |m: Value| {
            let uri = format!("/api/v1/disputes/{id}/moves");
            let c = &c;
            async move { c.post("town_a", &uri, &m).await }
        };
        let early = step(json!({"action": "agree", "written": true, "terms": "x"})).await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(early.text.contains("accept it first"), "{}", early.text);
        let accepted = step(json!({"action": "accept", "body": "peoples_mediation", "mediator": "王调解", "method": "当面调解"})).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
        assert_eq!(accepted.body["stage"], "mediating");
        assert_eq!(accepted.body["due_at"], "2025-04-02T01:00:00.000Z", "30 days from acceptance");
        let s = c.get("county", MARCH).await.body["disputes"].clone();
        assert_eq!((&s["found"], &s["mediated"], &s["mediated_rate"], &s["success_rate"]), (&json!(1), &json!(1), &json!(1.0), &Value::Null));
        assert_eq!(step(json!({"action": "agree", "written": true, "terms": "以村委会测绘为准重新立界"})).await.body["stage"], "agreed");
        let s = c.get("county", MARCH).await.body["disputes"].clone();
        assert_eq!((&s["succeeded"], &s["success_rate"], &s["in_county_rate"]), (&json!(1), &json!(1.0), &json!(1.0)));
        let archive = step(json!({"action": "archive"})).await;
        assert!(archive.text.contains("履行回访"), "{}", archive.text);
        assert_eq!(step(json!({"action": "follow_up", "kept": true, "note": "已按协议立界"})).await.body["stage"], "followed_up");
        let archived = step(json!({"action": "archive"})).await;
        assert_eq!(archived.body["stage"], "archived");
        let actions: Vec<Value> = archived.body["moves"].as_array().unwrap().iter().map(|m| m["action"].clone()).collect();
        assert_eq!(actions, vec![json!("register"), json!("accept"), json!("agree"), json!("follow_up"), json!("archive")]);
        // The ledger, the export and the audited reveal.
        let ledger = c.get("town_a", &format!("/api/v1/disputes?township={TOWN_A}&stage=archived")).await;
        assert_eq!(ledger.body["total"], 1, "{}", ledger.text);
        assert_eq!(c.get("town_b", "/api/v1/disputes").await.body["total"], 0);
        let xlsx = c.get("town_a", "/api/v1/disputes?format=xlsx").await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.header("content-type").contains("spreadsheetml"));
        let sheet = openpyxl(&raw(&c, "town_a", "/api/v1/disputes?format=xlsx").await);
        let lines: Vec<&str> = sheet.lines().collect();
        assert_eq!(lines[0], "矛盾纠纷台账");
        assert!(lines[1].starts_with("案件编号|事件编号|乡镇代码"), "{sheet}");
        assert!(lines[2].starts_with(&format!("{id}|{event}|{TOWN_A}")) && lines[2].contains("土地山林") && lines[2].contains("张*、李*"), "{sheet}");
        assert!(lines[2].contains("已履行") && lines[2].contains("调解成功：以村委会测绘为准重新立界"), "{sheet}");
        assert!(!sheet.contains("张三") && !sheet.contains("13912345678"), "masked: {sheet}");
        let revealed = c.post("town_a", &format!("/api/v1/disputes/{id}/reveal"), &json!({"field": "parties"})).await;
        assert!(revealed.text.contains("李四") && revealed.text.contains("13912345678"), "{}", revealed.text);
        // A second case that fails lowers the success rate; a transfer outside the county the
        // in-county rate.
        for (i, last) in [json!({"action": "fail", "route": "litigation", "reason": "双方分歧较大"}), json!({"action": "transfer", "to": "市中级人民法院", "outside_county": true, "reason": "涉外"})].into_iter().enumerate() {
            let mut r = report(&format!("r-d{i}"), IN_A);
            r["category"] = json!("dispute");
            let e = c.post("county", "/api/v1/reports", &r).await.body["event_id"].as_str().unwrap().to_owned();
            let mut b = body.clone();
            b["event_id"] = json!(e);
            let cid = c.post("town_a", "/api/v1/disputes", &b).await.body["case_id"].as_str().unwrap().to_owned();
            if i == 0 {
                c.post("town_a", &format!("/api/v1/disputes/{cid}/moves"), &json!({"action": "accept", "body": "judicial_office", "mediator": "赵"})).await;
            }
            let r = c.post("town_a", &format!("/api/v1/disputes/{cid}/moves"), &last).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let s = c.get("county", MARCH).await.body["disputes"].clone();
        assert_eq!((&s["found"], &s["mediated"], &s["succeeded"]), (&json!(3), &json!(2), &json!(1)), "{s}");
        assert_eq!((&s["mediated_rate"], &s["success_rate"], &s["in_county_rate"]), (&json!(0.6667), &json!(0.5), &json!(0.6667)));
    }

    #[tokio::test]
    async fn screenings_are_counted_on_time_per_grid_and_month() {
        let c = county().await;
        let r = c.post("gw_a", "/api/v1/screenings", &json!({"grid": GRID_A, "found": 0, "note": "本月无新纠纷"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!((&r.body["month"], &r.body["on_time"]), (&json!("2025-03"), &json!(true)));
        let again = c.post("gw_a", "/api/v1/screenings", &json!({"grid": GRID_A, "found": 1, "note": "发现一起邻里纠纷"})).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!((&again.body["found"], &again.body["at"]), (&json!(1), &r.body["at"]), "the first time is kept");
        let future = c.post("gw_a", "/api/v1/screenings", &json!({"grid": GRID_A, "month": "2025-04", "found": 0})).await;
        assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c.post("town_b", "/api/v1/screenings", &json!({"grid": GRID_A, "found": 0})).await.status, StatusCode::NOT_FOUND);
        let board = c.get("town_a", &format!("/api/v1/screenings?month=2025-03&township={TOWN_A}")).await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.text);
        let due = board.body["due"].as_u64().unwrap();
        assert!(due >= 1);
        assert_eq!(board.body["screened"], 1);
        // March has not ended: nothing is due in its figures yet.
        let s = c.get("county", &format!("{MARCH}&township={TOWN_A}")).await;
        assert_eq!(s.body["disputes"]["screening_rate"], Value::Null, "{}", s.text);
        // In April, March is due: one grid of `due` screened on time; a late record counts no more.
        c.state.clock.set(chrono::Utc.with_ymd_and_hms(2025, 4, 2, 1, 0, 0).unwrap());
        let gw = c.fresh("gw_a").await;
        let county = c.fresh("county").await;
        let late = send(&c.app, &gw, Method::POST, "/api/v1/screenings", Some(&json!({"grid": GRID_A, "month": "2025-02", "found": 0}))).await;
        assert_eq!((late.status, late.body["on_time"].clone()), (StatusCode::CREATED, json!(false)), "{}", late.text);
        let s = send(&c.app, &county, Method::GET, &format!("/api/v1/stats?from=2025-02-01&to=2025-03-31&township={TOWN_A}"), None).await;
        let d = &s.body["disputes"];
        assert_eq!((&d["screening_due"], &d["screened_on_time"]), (&json!(2 * due), &json!(1)), "{}", s.text);
        let expected = ((1.0 / (2 * due) as f64) * 10_000.0).round() / 10_000.0;
        assert_eq!(d["screening_rate"], json!(expected));
    }

    #[tokio::test]
    async fn petitions_are_accepted_answered_and_counted_once_with_their_repeats() {
        let c = county().await;
        let first = json!({
            "channel": "visit", "lodged": "province", "township": TOWN_A, "village": VILLAGE_A,
            "petitioners": [{"name": "王五", "phone": "13700001111"}], "people": 1, "matter": "征地补偿款未到位",
        });
        assert_eq!(c.post("town_b", "/api/v1/petitions", &first).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.post("village_a", "/api/v1/petitions", &first).await.status, StatusCode::FORBIDDEN, "a township's business");
        let p = c.post("town_a", "/api/v1/petitions", &first).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        assert_eq!(p.body["accept_by"], "2025-03-18T01:00:00.000Z", "15 days to decide on acceptance");
        assert_eq!(p.body["petitioners"][0]["name"], "王*");
        let id = p.body["petition_id"].as_str().unwrap().to_owned();
        assert_eq!(c.get("town_b", &format!("/api/v1/petitions/{id}")).await.status, StatusCode::NOT_FOUND);
        let step = |m: Value| {
            let uri = format!("/api/v1/petitions/{id}/moves");
            let c = &c;
            async move { c.post("town_a", &uri, &m).await }
        };
        assert_eq!(step(json!({"action": "answer", "resolved": true, "note": "x"})).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let accepted = step(json!({"action": "accept", "office": "沙城镇信访办"})).await;
        assert_eq!(accepted.body["due_at"], "2025-05-02T01:00:00.000Z", "60 days to handle");
        let extended = step(json!({"action": "extend", "days": 30, "reason": "涉及多部门"})).await;
        assert_eq!(extended.body["due_at"], "2025-06-01T01:00:00.000Z", "extended by 30 days");
        let twice = step(json!({"action": "extend", "days": 10, "reason": "x"})).await;
        assert!(twice.text.contains("once"), "{}", twice.text);
        let s = c.get("county", MARCH).await.body["petitions"].clone();
        assert_eq!(s, json!({"cases": 1, "resolved": 0, "resolved_rate": 0.0, "to_beijing_or_province": 1}));
        assert_eq!(step(json!({"action": "answer", "resolved": true, "note": "补偿款已发放"})).await.body["resolved"], true);
        // A repeat of the same matter is linked and counted with the first.
        let mut repeat = first.clone();
        repeat["lodged"] = json!("county");
        repeat["repeat_of"] = json!(id);
        let r = c.post("town_a", "/api/v1/petitions", &repeat).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let rid = r.body["petition_id"].as_str().unwrap();
        c.post("town_a", &format!("/api/v1/petitions/{rid}/moves"), &json!({"action": "accept", "office": "县信访局"})).await;
        c.post("town_a", &format!("/api/v1/petitions/{rid}/moves"), &json!({"action": "answer", "resolved": false, "note": "已告知"})).await;
        let s = c.get("county", MARCH).await.body["petitions"].clone();
        assert_eq!(s, json!({"cases": 1, "resolved": 1, "resolved_rate": 1.0, "to_beijing_or_province": 1}));
        assert_eq!(c.get("town_a", "/api/v1/petitions").await.body["total"], 2);
        let sheet = openpyxl(&raw(&c, "town_a", "/api/v1/petitions?format=xlsx").await);
        assert!(sheet.starts_with("信访台账\n信访编号|方式|登记层级"), "{sheet}");
        assert_eq!(sheet.lines().count(), 4, "title, headers, two petitions: {sheet}");
        assert!(sheet.contains("来访|赴省") && sheet.contains("王*") && sheet.contains("已化解") && !sheet.contains("王五"), "{sheet}");
        // The townships' result indicators.
        let o = c.post("town_a", "/api/v1/outcomes", &json!({"township": TOWN_A, "kind": "civil_to_criminal", "occurred_on": "2025-03-02", "note": "邻里纠纷激化致轻伤"})).await;
        assert_eq!(o.status, StatusCode::CREATED, "{}", o.text);
        assert_eq!(c.post("town_a", "/api/v1/outcomes", &json!({"township": TOWN_B, "kind": "civil_to_criminal", "occurred_on": "2025-03-02", "note": "x"})).await.status, StatusCode::FORBIDDEN);
        let s = c.get("county", MARCH).await.body["outcomes"].clone();
        assert_eq!(s, json!({"public_safety_incidents": 0, "civil_to_criminal": 1}));
        assert_eq!(c.get("county", &format!("{MARCH}&township={TOWN_B}")).await.body["outcomes"]["civil_to_criminal"], 0);
        assert_eq!(c.get("county", &format!("{MARCH}&village={VILLAGE_A}")).await.body["outcomes"]["civil_to_criminal"], Value::Null);
    }
}
