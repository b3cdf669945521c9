//! Patrols (巡查) through the HTTP API on both stores: idempotent replays of patrols, points
//! and check-ins; each fix located and flagged outside the gridworker's grids; refusals with a
//! reason; jurisdiction (404 outside, 403 for the wrong role); the dispatchers' live view; and
//! the figures checked against values computed by hand for the mini fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};
use wangge_core::LonLat;

mod support;

use support::county::*;

/// 东关社区第二网格: in village A, not bound to GWA.
const G2: &str = "130730100001002";
/// The street unit inside GRID_A (GWA's grid): its parent is bound, so it is not outside.
const Z01: &str = "130730100001Z01";
const IN_G2: (f64, f64) = (115.515, 40.405);
const IN_Z01: (f64, f64) = (115.504, 40.404);

fn ms(minutes: i64) -> i64 {
    (monday() + Duration::minutes(minutes)).timestamp_millis()
}

async fn start(c: &County, who: &As, id: &str) -> Reply {
    send(&c.app, who, Method::POST, "/api/v1/patrols", Some(&json!({"patrol_id": id}))).await
}

async fn points(c: &County, who: &As, id: &str, body: Value) -> Reply {
    send(&c.app, who, Method::POST, &format!("/api/v1/patrols/{id}/points"), Some(&body)).await
}

/// A POST with an `Idempotency-Key` header: (status, body, whether marked a replay).
async fn keyed(c: &County, who: &str, uri: &str, key: &str, body: Value) -> (StatusCode, Value, bool) {
    use axum::body::Body;
    use axum::http::{header, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let As::Token(token) = c.token(who) else { unreachable!("tokens only") };
    let request = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = c.app.clone().oneshot(request).await.unwrap();
    let (status, replay) = (response.status(), response.headers().contains_key("idempotent-replay"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), replay)
}

fn assert_problem(r: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{detail:?} should mention {needle:?}");
}

backend_tests! {
    #[tokio::test]
    async fn a_patrol_starts_once_per_id_and_only_for_a_gridworker() {
        let c = county().await;
        let gw = c.token("gw_a");
        let first = start(&c, &gw, "p1").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        assert_eq!(first.body["id"], "p1");
        assert_eq!(first.body["person_id"], "GWA", "attributed from the credential");
        assert_eq!(first.body["unit_code"], VILLAGE_A);
        assert_eq!(first.body["open"], true);
        let again = start(&c, &gw, "p1").await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(again.header("idempotent-replay"), "true");
        assert_eq!(again.body, first.body);
        // A second open patrol is refused, naming the open one.
        assert_problem(&start(&c, &gw, "p2").await, StatusCode::CONFLICT, "p1");
        // A body naming someone else changes nothing: unknown fields are refused.
        let r = send(&c.app, &gw, Method::POST, "/api/v1/patrols", Some(&json!({"patrol_id": "p3", "person_id": "GWB"}))).await;
        assert!(r.status.is_client_error(), "{}", r.text);
        // Bad ids and times.
        assert_problem(&start(&c, &gw, "has space").await, StatusCode::UNPROCESSABLE_ENTITY, "patrol_id");
        let future = json!({"patrol_id": "p4", "started_at": ms(30)});
        let r = send(&c.app, &gw, Method::POST, "/api/v1/patrols", Some(&future)).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "started_at");
        // Only a gridworker patrols; a gridworker account not on the roster cannot.
        assert_eq!(start(&c, &c.token("county"), "p5").await.status, StatusCode::FORBIDDEN);
        let stray = support::token(&c.state, "gw_stray", "gridworker", VILLAGE_A, "NOBODY").await;
        assert_problem(&start(&c, &As::Token(stray), "p6").await, StatusCode::FORBIDDEN, "roster");
        // Ended, it may be replayed and a new one started; the new id is server-made when none is sent.
        let end = send(&c.app, &gw, Method::POST, "/api/v1/patrols/p1/end", Some(&json!({}))).await;
        assert_eq!((end.status, end.body["open"].clone()), (StatusCode::OK, json!(false)), "{}", end.text);
        let end_again = send(&c.app, &gw, Method::POST, "/api/v1/patrols/p1/end", Some(&json!({}))).await;
        assert_eq!(end_again.body, end.body);
        let made = send(&c.app, &gw, Method::POST, "/api/v1/patrols", Some(&json!({}))).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
        assert!(made.body["id"].as_str().unwrap().starts_with("P-"));
    }

    #[tokio::test]
    async fn an_idempotency_key_header_makes_replays_safe() {
        let c = county().await;
        let (status, first, replay) = keyed(&c, "gw_a", "/api/v1/patrols", "k-1", json!({})).await;
        assert_eq!((status, first["id"].clone(), replay), (StatusCode::CREATED, json!("k-1"), false), "{first}");
        let (status, again, replay) = keyed(&c, "gw_a", "/api/v1/patrols", "k-1", json!({})).await;
        assert_eq!((status, replay), (StatusCode::OK, true));
        assert_eq!(again, first);
        let (status, _, _) = keyed(&c, "gw_a", "/api/v1/patrols", "k-1", json!({"patrol_id": "other"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a body id differing from the header");
        let visit = json!({"lon": IN_A.0, "lat": IN_A.1, "kind": "hazard", "note": "井盖缺失"});
        let (status, c1, _) = keyed(&c, "gw_a", "/api/v1/patrols/k-1/checkins", "ck-1", visit.clone()).await;
        assert_eq!((status, c1["id"].clone(), c1["outside"].clone()), (StatusCode::CREATED, json!("ck-1"), json!(false)), "{c1}");
        let (status, c2, replay) = keyed(&c, "gw_a", "/api/v1/patrols/k-1/checkins", "ck-1", visit).await;
        assert_eq!((status, replay, c2), (StatusCode::OK, true, c1));
        assert_eq!(c.get("gw_a", "/api/v1/patrols/k-1").await.body["checkins"], 1);
    }

    #[tokio::test]
    async fn points_are_located_flagged_outside_and_replays_change_nothing() {
        let c = county().await;
        let gw = c.token("gw_a");
        assert_eq!(start(&c, &gw, "p1").await.status, StatusCode::CREATED);
        let batch = json!({"points": [
            [IN_A.0, IN_A.1, ms(0), 5.0],
            [IN_Z01.0, IN_Z01.1, ms(1), 8.5],
            [IN_G2.0, IN_G2.1, ms(2), 10.0],
            [IN_B.0, IN_B.1, ms(1) + 500, 0.0],
        ]});
        let r = points(&c, &gw, "p1", batch.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["received"].clone(), r.body["stored"].clone(), r.body["outside"].clone()), (json!(4), json!(4), json!(2)));
        assert_eq!(r.body["patrol"]["points"], 4);
        assert_eq!(r.body["patrol"]["points_outside"], 2);
        // The whole batch again: nothing new.
        let replay = points(&c, &gw, "p1", batch).await;
        assert_eq!((replay.body["stored"].clone(), replay.body["patrol"]["points"].clone()), (json!(0), json!(4)));
        // The same time again with another position is a replay too.
        let same_time = points(&c, &gw, "p1", json!({"points": [[IN_G2.0, IN_G2.1, ms(0), 5.0]]})).await;
        assert_eq!(same_time.body["stored"], 0);
        let patrol = c.get("gw_a", "/api/v1/patrols/p1").await;
        assert_eq!((patrol.body["points"].clone(), patrol.body["points_outside"].clone()), (json!(4), json!(2)));
        assert_eq!(patrol.body["last_point_at"], "2025-03-03T01:02:00.000Z");

        // Check-ins: located, flagged, idempotent by id; GCJ-02 converted at the edge.
        let gcj = LonLat::new(IN_G2.0, IN_G2.1).unwrap().to_gcj02();
        let body = json!({"checkin_id": "c1", "lon": gcj.lon, "lat": gcj.lat, "crs": "gcj02", "kind": "shop", "note": "消防通道畅通", "ref": "shop:17"});
        let first = c.post("gw_a", "/api/v1/patrols/p1/checkins", &body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
        assert_eq!((first.body["grid_code"].clone(), first.body["outside"].clone()), (json!(G2), json!(true)));
        assert!((first.body["lon"].as_f64().unwrap() - IN_G2.0).abs() < 1e-6, "{}", first.text);
        assert_eq!(first.body["ref"], "shop:17");
        let again = c.post("gw_a", "/api/v1/patrols/p1/checkins", &body).await;
        assert_eq!((again.status, again.header("idempotent-replay")), (StatusCode::OK, "true"));
        assert_eq!(again.body, first.body);
        let home = json!({"checkin_id": "c2", "lon": IN_Z01.0, "lat": IN_Z01.1, "kind": "key_person"});
        let inside = c.post("gw_a", "/api/v1/patrols/p1/checkins", &home).await;
        assert_eq!((inside.body["grid_code"].clone(), inside.body["outside"].clone()), (json!(Z01), json!(false)), "{}", inside.text);
        assert_eq!(c.get("gw_a", "/api/v1/patrols/p1").await.body["checkins"], 2);

        // Refusals, each with its reason; none stores anything.
        let bad = |p: Value| json!({"points": [p]});
        for (body, status, needle) in [
            (bad(json!([IN_A.0, IN_A.1, ms(0) + 1, -1.0])), StatusCode::UNPROCESSABLE_ENTITY, "accuracy_m"),
            (bad(json!([IN_A.0, IN_A.1, ms(30), 5.0])), StatusCode::UNPROCESSABLE_ENTITY, "window"),
            (bad(json!([IN_A.0, IN_A.1, ms(-30), 5.0])), StatusCode::UNPROCESSABLE_ENTITY, "window"),
            (bad(json!([IN_A.0, IN_A.1, 1.5, 5.0])), StatusCode::UNPROCESSABLE_ENTITY, "whole unix milliseconds"),
            (bad(json!([200.0, IN_A.1, ms(0) + 1, 5.0])), StatusCode::UNPROCESSABLE_ENTITY, "lon"),
            (bad(json!([100.0, 30.0, ms(0) + 1, 5.0])), StatusCode::UNPROCESSABLE_ENTITY, "plausible"),
            (json!({"points": []}), StatusCode::UNPROCESSABLE_ENTITY, "empty"),
            (json!({"points": [[IN_A.0, IN_A.1, ms(0) + 1, 5.0]], "crs": "utm"}), StatusCode::UNPROCESSABLE_ENTITY, "crs"),
        ] {
            let r = points(&c, &gw, "p1", body).await;
            assert_problem(&r, status, needle);
        }
        let many: Vec<Value> = (0..1001).map(|i| json!([IN_A.0, IN_A.1, ms(0) + i, 5.0])).collect();
        assert_problem(&points(&c, &gw, "p1", json!({"points": many})).await, StatusCode::PAYLOAD_TOO_LARGE, "1000");
        let r = points(&c, &gw, "p1", json!({"points": [[IN_A.0, "north", ms(0), 5.0]]})).await;
        assert!(r.status.is_client_error(), "{}", r.text);
        let r = c.post("gw_a", "/api/v1/patrols/p1/checkins", &json!({"lon": IN_A.0, "lat": IN_A.1, "kind": "party"})).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "kind");
        assert_eq!(c.get("gw_a", "/api/v1/patrols/p1").await.body["points"], 4);

        // After the end, a fix later than the end is refused; ones within it still land.
        let end = c.post("gw_a", "/api/v1/patrols/p1/end", &json!({"ended_at": ms(2)})).await;
        assert_eq!(end.body["ended_at"], "2025-03-03T01:02:00.000Z", "{}", end.text);
        let late = points(&c, &gw, "p1", json!({"points": [[IN_A.0, IN_A.1, ms(5), 5.0]]})).await;
        assert_problem(&late, StatusCode::UNPROCESSABLE_ENTITY, "window");
        let within = points(&c, &gw, "p1", json!({"points": [[IN_A.0, IN_A.1, ms(1) + 1, 5.0]]})).await;
        assert_eq!(within.body["stored"], 1, "{}", within.text);
    }

    #[tokio::test]
    async fn patrols_are_read_within_the_jurisdiction_and_written_only_by_their_gridworker() {
        let c = county().await;
        let gw = c.token("gw_a");
        assert_eq!(start(&c, &gw, "p1").await.status, StatusCode::CREATED);
        assert_eq!(points(&c, &gw, "p1", json!({"points": [[IN_A.0, IN_A.1, ms(1), 4.0]]})).await.status, StatusCode::OK);
        // Where a person walked is personal data: each read is audited.
        let rows = c.audit_rows().await;
        assert_eq!(c.get("town_a", "/api/v1/patrols/p1").await.status, StatusCode::OK);
        assert_eq!(c.audit_rows().await, rows + 1);
        let missing = c.get("town_a", "/api/v1/patrols/nothing").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        for who in ["town_a", "village_a", "county", "leader", "gw_a"] {
            assert_eq!(c.get(who, "/api/v1/patrols/p1").await.status, StatusCode::OK, "{who}");
        }
        let hidden = c.get("town_b", "/api/v1/patrols/p1").await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(hidden.body["title"], missing.body["title"]);
        assert_eq!(c.get("planner", "/api/v1/patrols/p1").await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.get("dept", "/api/v1/patrols").await.status, StatusCode::FORBIDDEN);
        // Lists: the county and township A see it, township B does not.
        assert_eq!(c.get("town_a", "/api/v1/patrols").await.body["total"], 1);
        assert_eq!(c.get("county", &format!("/api/v1/patrols?township={TOWN_B}")).await.body["total"], 0);
        assert_eq!(c.get("town_b", "/api/v1/patrols").await.body["total"], 0);
        assert_eq!(c.get("town_a", "/api/v1/patrols?open=true&person=GWA").await.body["total"], 1);
        assert_eq!(c.get("town_a", "/api/v1/patrols?open=false").await.body["total"], 0);

        // Another gridworker: neither reads nor writes GWA's patrol (answered as missing).
        let gwb = As::Token(support::token(&c.state, "gw_b", "gridworker", "130730200201", "GWB").await);
        assert_eq!(send(&c.app, &gwb, Method::GET, "/api/v1/patrols/p1", None).await.status, StatusCode::NOT_FOUND);
        let r = points(&c, &gwb, "p1", json!({"points": [[IN_A.0, IN_A.1, ms(1), 4.0]]})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = send(&c.app, &gwb, Method::POST, "/api/v1/patrols/p1/end", Some(&json!({}))).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(send(&c.app, &gwb, Method::GET, "/api/v1/patrols", None).await.body["total"], 0);
        // Its check-in id cannot take over GWA's.
        assert_eq!(c.post("gw_a", "/api/v1/patrols/p1/checkins", &json!({"checkin_id": "c1", "lon": IN_A.0, "lat": IN_A.1, "kind": "other"})).await.status, StatusCode::CREATED);
        assert_eq!(start(&c, &gwb, "pb").await.status, StatusCode::CREATED);
        let taken = send(&c.app, &gwb, Method::POST, "/api/v1/patrols/pb/checkins", Some(&json!({"checkin_id": "c1", "lon": IN_B.0, "lat": IN_B.1, "kind": "other"}))).await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", taken.text);
        assert!(!taken.text.contains("GWA"));
        // Nor its patrol id.
        let r = send(&c.app, &gwb, Method::POST, "/api/v1/patrols", Some(&json!({"patrol_id": "p1"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        // Dispatchers and leaders may read but not patrol.
        assert_eq!(points(&c, &c.token("town_a"), "p1", json!({"points": []})).await.status, StatusCode::FORBIDDEN);

        // Live: township A sees GWA with the last point and its age; B sees GWB only.
        c.state.clock.set(monday() + Duration::minutes(3));
        let live = send(&c.app, &c.fresh("town_a").await, Method::GET, "/api/v1/patrols/live", None).await;
        assert_eq!(live.status, StatusCode::OK, "{}", live.text);
        let items = live.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", live.text);
        assert_eq!(items[0]["person_id"], "GWA");
        assert_eq!(items[0]["name"], "测试GWA");
        assert_eq!(items[0]["last"]["age_s"], 120);
        assert_eq!(items[0]["last"]["grid_code"], GRID_A);
        let live_b = send(&c.app, &c.fresh("town_b").await, Method::GET, "/api/v1/patrols/live", None).await;
        let b: Vec<&str> = live_b.body["items"].as_array().unwrap().iter().map(|i| i["person_id"].as_str().unwrap()).collect();
        assert_eq!(b, ["GWB"]);
        // Off duty or ended: gone from the live map.
        let off = send(&c.app, &c.fresh("county").await, Method::PUT, "/api/v1/people/GWB/duty", Some(&json!({"on_duty": false}))).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.text);
        let gw = c.fresh("gw_a").await;
        assert_eq!(send(&c.app, &gw, Method::POST, "/api/v1/patrols/p1/end", Some(&json!({}))).await.status, StatusCode::OK);
        let county_live = send(&c.app, &c.fresh("county").await, Method::GET, "/api/v1/patrols/live", None).await;
        assert_eq!(county_live.body["items"], json!([]), "{}", county_live.text);
        assert_eq!(send(&c.app, &c.fresh("gw_a").await, Method::GET, "/api/v1/patrols/live", None).await.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_figures_match_a_hand_computed_patrol() {
        let c = county().await;
        assert_eq!(start(&c, &c.token("gw_a"), "p1").await.status, StatusCode::CREATED);
        // Along one row of cells (lat 40.4015): three cells of GRID_A, one of G2 (outside).
        c.state.clock.set(monday() + Duration::minutes(45));
        let gw = c.fresh("gw_a").await;
        let track = json!({"points": [
            [115.5015, 40.4015, ms(0), 5.0],
            [115.5035, 40.4015, ms(10), 5.0],
            [115.5155, 40.4015, ms(30), 5.0],
            [115.5055, 40.4015, ms(40), 5.0],
        ]});
        assert_eq!(points(&c, &gw, "p1", track).await.body["stored"], 4);
        let visit = json!({"lon": 115.5035, "lat": 40.4016, "kind": "household", "at": ms(12)});
        let r = send(&c.app, &gw, Method::POST, "/api/v1/patrols/p1/checkins", Some(&visit)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        c.state.clock.set(monday() + Duration::minutes(130));
        let gw = c.fresh("gw_a").await;
        let end = send(&c.app, &gw, Method::POST, "/api/v1/patrols/p1/end", Some(&json!({"ended_at": ms(120)}))).await;
        assert_eq!(end.status, StatusCode::OK, "{}", end.text);

        let r = send(&c.app, &c.fresh("village_a").await, Method::GET, "/api/v1/stats/patrol?from=2025-03-01&to=2025-03-31", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["village"], VILLAGE_A);
        // By hand: 100 m cells at 40.4° N are 0.0011777° × 0.0009008°. GRID_A's square holds 99
        // cell centres, 15 of them inside the street unit Z01 (its own cells): 84; G2 holds 88.
        let w = &r.body["by_gridworker"][0];
        assert_eq!((w["person_id"].clone(), w["patrols"].clone(), w["checkins"].clone()), (json!("GWA"), json!(1), json!(1)));
        assert_eq!(w["hours"], 2.0);
        // 0.024° of longitude at 40.4015° N (84,891 m per degree).
        assert_eq!(w["km"], 2.037);
        // 10 + 20 minutes inside, then 10 minutes outside (from the point in G2 on).
        assert_eq!(w["outside_share"], 0.25);
        // Three of GRID_A's 84 cells (the check-in shares the second's).
        assert_eq!(w["coverage"], 0.0357);
        let grids = r.body["by_grid"].as_array().unwrap();
        let grid = |code: &str| grids.iter().find(|g| g["code"] == code).unwrap_or_else(|| panic!("{code} in {grids:?}"));
        let a = grid(GRID_A);
        assert_eq!((a["cells"].clone(), a["covered"].clone(), a["coverage"].clone(), a["visits"].clone()), (json!(84), json!(3), json!(0.0357), json!(1)));
        let g2 = grid(G2);
        assert_eq!((g2["cells"].clone(), g2["covered"].clone(), g2["coverage"].clone(), g2["visits"].clone()), (json!(88), json!(1), json!(0.0114), json!(0)));
        let z = grid(Z01);
        assert_eq!((z["cells"].clone(), z["covered"].clone(), z["coverage"].clone()), (json!(15), json!(0), json!(0.0)));
        assert_eq!(grids.len(), 3, "village A's grids only");
        // (3/84 + 1/88 + 0/15) / 3.
        assert_eq!(r.body["patrol_rate"], 0.0157);

        // The county sees every grid (village A's figures unchanged); township B has no patrols.
        let county = send(&c.app, &c.fresh("leader").await, Method::GET, "/api/v1/stats/patrol?from=2025-03-03&to=2025-03-03", None).await;
        assert_eq!(county.body["by_grid"].as_array().unwrap().len(), 5, "{}", county.text);
        assert_eq!(county.body["by_gridworker"][0]["coverage"], 0.0357);
        let b = send(&c.app, &c.fresh("town_b").await, Method::GET, "/api/v1/stats/patrol?from=2025-03-01&to=2025-03-31", None).await;
        assert_eq!((b.body["by_gridworker"].clone(), b.body["patrol_rate"].clone()), (json!([]), json!(0.0)), "{}", b.text);
        // Another period: nothing; another township by name: refused; nonsense: 400.
        let before = send(&c.app, &c.fresh("county").await, Method::GET, "/api/v1/stats/patrol?from=2025-02-01&to=2025-03-02", None).await;
        assert_eq!(before.body["by_gridworker"], json!([]));
        let other = send(&c.app, &c.fresh("town_a").await, Method::GET, &format!("/api/v1/stats/patrol?from=2025-03-01&to=2025-03-31&township={TOWN_B}"), None).await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);
        let bad = send(&c.app, &c.fresh("county").await, Method::GET, "/api/v1/stats/patrol?from=2025-03-31&to=2025-03-01", None).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let no_dates = send(&c.app, &c.fresh("county").await, Method::GET, "/api/v1/stats/patrol", None).await;
        assert_eq!(no_dates.status, StatusCode::BAD_REQUEST);
    }
}
