//! 考评 on both backends: live scores follow the records (a closed event, a call-back, an event
//! marked not valid), a frozen period does not until it is recomputed explicitly; the scheme is
//! versioned and kept by the assessor; manual scores, the budget ledger and careers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use chrono::TimeZone;
use serde_json::{json, Value};

mod support;

use support::county::*;

const MARCH: &str = "/api/v1/assessment/townships?period=2025-03";

/// Township A's line of a league table.
fn town_a(r: &Reply) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().iter().find(|i| i["code"] == json!(TOWN_A)).cloned().unwrap_or_else(|| panic!("no {TOWN_A}: {}", r.text))
}

fn measured(item: &Value, code: &str) -> Value {
    item["indicators"][code]["measured"].clone()
}

async fn validity(c: &County, who: &As, id: &str, body: Value) {
    let r = send(&c.app, who, Method::PUT, &format!("/api/v1/events/{id}/validity"), Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn put(c: &County, who: &str, body: &Value) -> Reply {
    send(&c.app, &c.token(who), Method::PUT, "/api/v1/assessment/schemes/2025", Some(body)).await
}

async fn career(c: &County, who: &str, m: &str) -> Reply {
    c.post(who, "/api/v1/assessment/careers/GWA", &json!({"move": m, "note": "说明"})).await
}

backend_tests! {
    #[tokio::test]
    async fn live_scores_follow_the_records_and_a_frozen_period_does_not() {
        let c = county().await;
        let a = c.event_a.clone();
        // Reported, not yet verified: no valid event, nothing closed, nobody called back.
        let before = town_a(&c.get("county", MARCH).await);
        assert_eq!(measured(&before, "T4"), json!(0.0), "{before}");
        assert_eq!(before["indicators"]["T4"]["basis"], json!([0, 1]));
        assert_eq!(measured(&before, "T1"), json!(0.0));
        assert_eq!(measured(&before, "T10"), Value::Null, "no call-back: no data, not zero");
        assert_eq!(before["indicators"]["T10"]["points"], Value::Null);

        // Closed and called back: the live score follows.
        c.close(&a).await;
        let r = c.post("town_a", &format!("/api/v1/events/{a}/followups"), &json!({"reached": true, "level": "很满意"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let live = town_a(&c.get("county", MARCH).await);
        assert_eq!((measured(&live, "T4"), measured(&live, "T1"), measured(&live, "T10")), (json!(1.0), json!(1.0), json!(1.0)), "{live}");
        assert!(live["score"].as_f64().unwrap() > before["score"].as_f64().unwrap() + 20.0, "{before} → {live}");
        assert_eq!(live["frozen"], Value::Null);

        // Marked a test: not a valid event any more.
        validity(&c, &c.token("county"), &a, json!({"valid": false, "reason": "test", "note": "演练"})).await;
        let marked = town_a(&c.get("county", MARCH).await);
        assert_eq!(measured(&marked, "T1"), json!(0.0));
        assert_eq!(c.get("county", &format!("/api/v1/events/{a}/validity")).await.body["reason"], "test");
        let bad = send(&c.app, &c.token("county"), Method::PUT, &format!("/api/v1/events/{a}/validity"), Some(&json!({"valid": false, "reason": "无聊"}))).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

        // The jurisdiction: township B sees only itself; a gridworker sees no league table.
        let b_view = c.get("town_b", MARCH).await;
        let codes: Vec<&Value> = b_view.body["items"].as_array().unwrap().iter().map(|i| &i["code"]).collect();
        assert_eq!(codes, vec![&json!(TOWN_B)], "{}", b_view.text);
        let warned: Vec<&str> = b_view.body["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
        assert!(!warned.is_empty() && warned.iter().all(|w| w.starts_with(TOWN_B)), "fewer than 2 valid events in March, its own only: {warned:?}");
        let all = c.get("county", MARCH).await;
        assert!(all.body["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with(TOWN_A)), "{}", all.text);
        assert_eq!(c.get("town_b", &format!("/api/v1/assessment/townships/{TOWN_A}?period=2025-03")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get("gw_a", MARCH).await.status, StatusCode::FORBIDDEN);
        // A gridworker reads its own scorecard, and no one else's.
        let own = c.get("gw_a", "/api/v1/assessment/gridworkers/GWA?period=2025-03").await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.text);
        assert_eq!(own.body["person_id"], "GWA");
        assert_eq!(c.get("gw_a", "/api/v1/assessment/gridworkers/GWB?period=2025-03").await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.get("county", "/api/v1/assessment/townships?period=2025-13").await.status, StatusCode::BAD_REQUEST);
        assert_eq!(c.get("county", "/api/v1/assessment/provinces?period=2025").await.status, StatusCode::NOT_FOUND);

        // The scorecard names the records behind each indicator.
        let card = c.get("county", &format!("/api/v1/assessment/townships/{TOWN_A}?period=2025-03")).await;
        assert_eq!(card.status, StatusCode::OK, "{}", card.text);
        assert_eq!(card.body["indicators"]["T4"]["records"]["events"], json!([a]), "{}", card.text);
        assert_eq!(card.body["indicators"]["T1"]["records"]["not_valid"], json!([a]));
        assert_eq!(card.body["indicators"]["T10"]["records"]["callbacks"].as_array().map(Vec::len), Some(1));

        // A period not ended is not frozen.
        let assessor = c.token("assessor");
        let freeze = |recompute: bool| json!({"level": "township", "period": "2025-03", "recompute": recompute, "reason": "补录回访后重算"});
        let early = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&freeze(false))).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);

        // April: March is frozen with the scheme it used, and stays as it was.
        c.state.clock.set(chrono::Utc.with_ymd_and_hms(2025, 4, 2, 2, 0, 0).unwrap());
        let (assessor, county) = (c.fresh("assessor").await, c.fresh("county").await);
        let frozen = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&freeze(false))).await;
        assert_eq!(frozen.status, StatusCode::OK, "{}", frozen.text);
        assert_eq!(frozen.body["scheme"], json!({"year": 2025, "version": 0}));
        let kept = town_a(&send(&c.app, &county, Method::GET, MARCH, None).await);
        assert_eq!((measured(&kept, "T1"), &kept["score"]), (json!(0.0), &marked["score"]));
        let table = send(&c.app, &county, Method::GET, MARCH, None).await;
        assert!(table.body["frozen"]["at"].is_string(), "{}", table.text);
        assert_eq!(table.body["frozen"]["by"], "assessor", "who froze it, by name");
        validity(&c, &county, &a, json!({"valid": true})).await;
        let still = town_a(&send(&c.app, &county, Method::GET, MARCH, None).await);
        assert_eq!(still["score"], kept["score"], "a frozen period does not change");
        let again = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&freeze(false))).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        let no_reason = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&json!({"level": "township", "period": "2025-03", "recompute": true}))).await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_reason.text);
        let audited = c.audit_rows().await;
        let redone = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&freeze(true))).await;
        assert_eq!(redone.status, StatusCode::OK, "{}", redone.text);
        assert!(redone.body["replaced"].is_string());
        assert!(c.audit_rows().await > audited, "the recomputation is audited");
        let recomputed = town_a(&send(&c.app, &county, Method::GET, MARCH, None).await);
        assert_eq!(measured(&recomputed, "T1"), json!(1.0), "recomputed from the records as they are now");

        // The year's months so far, March frozen; the best gridworkers of the year.
        let trend = send(&c.app, &county, Method::GET, &format!("/api/v1/assessment/trends/townships?year=2025&unit={TOWN_A}"), None).await;
        assert_eq!(trend.status, StatusCode::OK, "{}", trend.text);
        assert_eq!(trend.body["months"].as_array().map(Vec::len), Some(4), "January to April: {}", trend.text);
        assert_eq!(trend.body["months"][2], json!({"period": "2025-03", "frozen": true}));
        assert_eq!(trend.body["items"][0]["scores"][2], recomputed["score"], "{}", trend.text);
        let best = send(&c.app, &county, Method::GET, "/api/v1/assessment/best?year=2025", None).await;
        assert_eq!(best.status, StatusCode::OK, "{}", best.text);

        // Freezing the gridworkers' March warns those who failed it, and only those.
        let gw = send(&c.app, &assessor, Method::POST, "/api/v1/assessment/freeze", Some(&json!({"level": "gridworker", "period": "2025-03"}))).await;
        assert_eq!(gw.status, StatusCode::OK, "{}", gw.text);
        let table = send(&c.app, &county, Method::GET, "/api/v1/assessment/gridworkers?period=2025-03", None).await;
        let items = table.body["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 2, "{}", table.text);
        let failed = items.iter().filter(|i| i["failed"] == json!(true)).count();
        assert_eq!(gw.body["career_moves"], json!(failed), "{}", gw.text);
        for i in &items {
            let file = send(&c.app, &county, Method::GET, &format!("/api/v1/assessment/careers/{}", i["person_id"].as_str().unwrap()), None).await;
            let stage = if i["failed"] == json!(true) { "warned" } else { "serving" };
            assert_eq!(file.body["stage"], stage, "{i} {}", file.text);
        }
    }

    #[tokio::test]
    async fn the_scheme_is_versioned_and_kept_by_the_assessor_with_manual_scores_budget_and_careers() {
        let c = county().await;
        let s = c.get("leader", "/api/v1/assessment/schemes/2025").await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.text);
        assert_eq!((&s.body["version"], &s.body["scheme"]["year"]), (&json!(0), &json!(2025)), "the built-in scheme carried into 2025");
        let mut scheme = s.body["scheme"].clone();
        let t4 = scheme["indicators"].as_array_mut().unwrap().iter_mut().find(|i| i["code"] == "T4").unwrap();
        t4["zero"] = json!(0.0);
        let change = json!({"base_version": 0, "note": "办结率自 0 起线性计分", "scheme": scheme.clone()});
        assert_eq!(put(&c, "county", &change).await.status, StatusCode::FORBIDDEN, "the assessor's");
        let v1 = put(&c, "assessor", &change).await;
        assert_eq!(v1.status, StatusCode::OK, "{}", v1.text);
        assert_eq!(v1.body["version"], 1);
        let stale = put(&c, "assessor", &change).await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);
        let mut short = scheme.clone();
        short["indicators"].as_array_mut().unwrap().retain(|i| i["code"] != "T4");
        let r = put(&c, "assessor", &json!({"base_version": 1, "note": "x", "scheme": short})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("add up to 90"), "{}", r.text);
        let history = c.get("leader", "/api/v1/assessment/schemes/2025").await;
        assert_eq!(history.body["history"].as_array().map(Vec::len), Some(1));
        let t = c.get("county", MARCH).await;
        assert_eq!(t.body["scheme"], json!({"year": 2025, "version": 1}), "{}", t.text);

        // Manual scores, with their evidence, for manual indicators only.
        let manual = |points: f64, indicator: &str| json!({"period": "2025-Q1", "level": "township", "unit": TOWN_A, "indicator": indicator, "points": points, "evidence": "台账抽查 12 本,实地测评 3 村"});
        let ok = c.post("assessor", "/api/v1/assessment/manual", &manual(8.0, "T11")).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
        for (body, says) in [(manual(11.0, "T11"), "between 0 and 10"), (manual(5.0, "T4"), "not scored by hand"), (manual(5.0, "T99"), "no indicator")] {
            let r = c.post("assessor", "/api/v1/assessment/manual", &body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            assert!(r.text.contains(says), "{says}: {}", r.text);
        }
        let q1 = town_a(&c.get("county", "/api/v1/assessment/townships?period=2025-Q1").await);
        assert_eq!(q1["indicators"]["T11"]["points"], json!(8.0), "{q1}");

        // The budget ledger and its execution, read by the county's indicator.
        for (kind, amount) in [("budget", "1000000"), ("spend", "600000.50"), ("spend", "299999.50")] {
            let r = c.post("assessor", "/api/v1/assessment/budget", &json!({"year": 2025, "kind": kind, "item": "网格员补贴", "amount": amount, "source": "一般公共预算", "dated": "2025-02-01"})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let bad = c.post("assessor", "/api/v1/assessment/budget", &json!({"year": 2025, "kind": "spend", "item": "x", "amount": "1.234", "dated": "2025-02-01"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        let ledger = c.get("leader", "/api/v1/assessment/budget?year=2025").await;
        assert_eq!((&ledger.body["budget_yuan"], &ledger.body["spent_yuan"], &ledger.body["execution_rate"]), (&json!(1_000_000.0), &json!(900_000.0), &json!(0.9)), "{}", ledger.text);
        assert_eq!(c.get("town_a", "/api/v1/assessment/budget?year=2025").await.status, StatusCode::FORBIDDEN, "the county's ledger");
        let county = c.get("leader", "/api/v1/assessment/county?period=2025").await;
        assert_eq!(county.status, StatusCode::OK, "{}", county.text);
        assert_eq!(county.body["items"][0]["indicators"]["C10"]["points"], json!(9.0), "{}", county.text);

        // A career: the village trains; the township reviews and removes; rehired through the
        // village and approved by the township.
        assert_eq!(career(&c, "village_a", "train").await.status, StatusCode::CREATED);
        assert_eq!(career(&c, "village_a", "exit").await.status, StatusCode::FORBIDDEN, "removal is the township's");
        assert_eq!(career(&c, "town_b", "exit").await.status, StatusCode::NOT_FOUND, "not township B's gridworker");
        assert_eq!(career(&c, "town_a", "fail").await.status, StatusCode::UNPROCESSABLE_ENTITY, "failing is the frozen period's");
        assert_eq!(career(&c, "town_a", "approve").await.status, StatusCode::UNPROCESSABLE_ENTITY, "only a proposed hire is approved");
        assert_eq!(career(&c, "town_a", "exit").await.body["stage"], "exited");
        assert_eq!(career(&c, "village_a", "propose").await.body["stage"], "proposed");
        assert_eq!(career(&c, "town_a", "approve").await.body["stage"], "serving");
        let file = c.get("town_a", "/api/v1/assessment/careers/GWA").await;
        assert_eq!(file.body["moves"].as_array().map(Vec::len), Some(4), "{}", file.text);
        let list = c.get("town_b", "/api/v1/assessment/careers").await;
        assert!(!list.text.contains("GWA"), "{}", list.text);
    }

    #[tokio::test]
    async fn ended_periods_freeze_by_themselves_after_the_grace_days() {
        use wangge_core::assessment::{Level, Period};
        let c = county().await;
        let at = |d: u32| chrono::Utc.with_ymd_and_hms(2025, 4, d, 2, 0, 0).unwrap();
        // 2 April: March ended 2 days ago, inside the 10 days' grace; February and the last
        // year are due.
        c.state.clock.set(at(2));
        let frozen = wangge_server::assessment::freeze_due(&c.state.assessment_sources(), 10).await.unwrap();
        assert!(frozen.contains(&(Level::Gridworker, Period::Month(2025, 2))), "{frozen:?}");
        assert!(frozen.contains(&(Level::County, Period::Year(2024))), "{frozen:?}");
        assert!(!frozen.iter().any(|(_, p)| *p == Period::Month(2025, 3) || *p == Period::Quarter(2025, 1)), "{frozen:?}");
        // Once frozen, not again.
        assert!(wangge_server::assessment::freeze_due(&c.state.assessment_sources(), 10).await.unwrap().is_empty());
        // 15 April: March and the first quarter.
        c.state.clock.set(at(15));
        let frozen = wangge_server::assessment::freeze_due(&c.state.assessment_sources(), 10).await.unwrap();
        assert_eq!(
            frozen,
            vec![(Level::Gridworker, Period::Month(2025, 3)), (Level::Village, Period::Quarter(2025, 1)), (Level::Township, Period::Quarter(2025, 1))]
        );
        let r = send(&c.app, &c.fresh("county").await, Method::GET, "/api/v1/assessment/gridworkers?period=2025-03", None).await;
        assert_eq!(r.body["frozen"]["by"], "system:assessment", "{}", r.text);
    }
}
