//! Store tests: one suite, run on every backend (SQLite and PostGIS), each case on its own
//! throwaway database.
// Tests may panic on broken expectations; that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use wangge_core::calendar::WorkingCalendar;
use wangge_core::event::{Action, Category, Complexity, Holder, Loop, State, Tier};
use wangge_core::people::{Person, Role};
use wangge_core::LonLat;
use wangge_server::records::Dataset;
use wangge_server::records::{
    Channel, EventFilter, EventRecord, Inserted, NewEvent, Page, Place, Reporter, ReporterKind, TimelineEntry,
    TransitionWrite,
};
use wangge_server::records::PersonFilter;
use support::{Backend, Db};
use wangge_server::grids::geodata;
use wangge_server::{Store, StoreError};

mod support;

fn mini() -> Dataset {
    geodata::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")).expect("fixture reads")
}

/// A fresh, empty store of each backend, each on its own throwaway database; the Dbs must
/// outlive the stores.
async fn backends() -> Vec<(&'static str, Db, Store)> {
    let mut all = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgis] {
        let db = Db::of(backend).await;
        let store = db.store().await;
        all.push((backend.name(), db, store));
    }
    all
}

#[tokio::test]
async fn a_new_store_is_empty() {
    for (backend, _dir, store) in backends().await {
        assert_eq!(store.dataset().await.expect("dataset"), None, "{backend}");
        assert!(store.grids().await.expect("grids").is_empty(), "{backend}");
        store.ping().await.expect("ping");
    }
}

#[tokio::test]
async fn a_loaded_dataset_reads_back_exactly() {
    let dataset = mini();
    for (backend, _dir, store) in backends().await {
        let info = store.load(&dataset).await.expect("loads");
        assert_eq!(info.note, dataset.note, "{backend}");
        assert_eq!(store.dataset().await.expect("dataset"), Some(info), "{backend}");
        assert_eq!(store.townships().await.expect("townships"), dataset.townships, "{backend}");
        assert_eq!(store.villages().await.expect("villages"), dataset.villages, "{backend}");
        let mut expected = dataset.grids.clone();
        expected.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(store.grids().await.expect("grids"), expected, "{backend}");
    }
}

#[tokio::test]
async fn a_second_load_is_refused() {
    let dataset = mini();
    for (backend, _dir, store) in backends().await {
        let info = store.load(&dataset).await.expect("loads");
        let again = store.load(&dataset).await;
        assert!(matches!(again, Err(StoreError::AlreadyLoaded(id)) if id == info.dataset_id), "{backend}: {again:?}");
    }
}

#[tokio::test]
async fn a_failed_load_leaves_nothing_behind() {
    let mut dataset = mini();
    // The last grid refers to a village the store does not have: the insert fails mid-load.
    if let Some(last) = dataset.grids.last_mut() {
        last.village_code = "130730200299".into();
    }
    for (backend, _dir, store) in backends().await {
        assert!(matches!(store.load(&dataset).await, Err(StoreError::Query { .. })), "{backend}");
        assert_eq!(store.dataset().await.expect("dataset"), None, "{backend}");
        assert!(store.townships().await.expect("townships").is_empty(), "{backend}");
        assert!(store.grids().await.expect("grids").is_empty(), "{backend}");
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()
}

/// A report assigned to GW1 in the first grid, with its two first timeline rows.
fn new_event(report_id: &str) -> NewEvent {
    let to = Holder { tier: Tier::Grid, id: "GW1".into() };
    let flow = Loop::new(Complexity::Ordinary)
        .apply(&Action::Assign { to: to.clone() }, at(), &WorkingCalendar::china().unwrap())
        .unwrap();
    let entry = |seq, action: &str, state, holder: Option<Holder>| TimelineEntry {
        seq,
        at: at(),
        actor: "system".into(),
        tier: None,
        action: action.into(),
        payload: json!({}),
        state_after: state,
        holder_after: holder,
    };
    NewEvent {
        event: EventRecord {
            event_id: String::new(),
            report_id: report_id.into(),
            fingerprint: "f".into(),
            category: Category::Hazard,
            subcategory: Some("燃气".into()),
            description: "燃气味".into(),
            location: LonLat::new(115.508, 40.408).unwrap(),
            place: Place { grid: "130730100001001".into(), village: "130730100001".into(), township: "130730100".into() },
            reporter: Reporter { kind: ReporterKind::Resident, person_id: None, name: None, phone: Some("13800000000".into()) },
            channel: Channel::Web,
            flow,
            patrol_flag: false,
            seq: 2,
            reported_at: at(),
            updated_at: at(),
            closed_at: None,
        },
        timeline: vec![entry(1, "reported", State::Reported, None), entry(2, "assign", State::Assigned, Some(to))],
        attachments: Vec::new(),
        audit: None,
    }
}

#[tokio::test]
async fn a_batch_numbers_new_events_and_folds_repeated_report_ids() {
    for (backend, _dir, store) in backends().await {
        let first = store.insert_event(&new_event("a")).await.expect("inserts");
        let Inserted::Created(a) = first else { panic!("{backend}: {first:?}") };
        assert_eq!(a.event_id, "E20250303-000001", "{backend}");
        let batch = [new_event("b"), new_event("a"), new_event("c"), new_event("b")];
        let out = store.insert_events(&batch).await.expect("inserts");
        let ids: Vec<(bool, &str)> = out
            .iter()
            .map(|i| match i {
                Inserted::Created(e) => (true, e.event_id.as_str()),
                Inserted::Existing(e) => (false, e.event_id.as_str()),
            })
            .collect();
        assert_eq!(
            ids,
            [(true, "E20250303-000002"), (false, "E20250303-000001"), (true, "E20250303-000003"), (false, "E20250303-000002")],
            "{backend}"
        );
        let stored = store.event("E20250303-000002").await.expect("reads").expect("stored");
        let Inserted::Created(b) = &out[0] else { panic!() };
        assert_eq!(&stored, b, "{backend}: reads back exactly");
        assert_eq!(store.timeline(&b.event_id).await.expect("timeline"), batch[0].timeline, "{backend}");
        let all = store.events(&EventFilter::default(), Page { page: 1, per_page: 10 }).await.expect("lists");
        assert_eq!(all.total, 3, "{backend}");
    }
}

#[tokio::test]
async fn a_transition_applies_only_on_the_seq_it_was_computed_on() {
    for (backend, _dir, store) in backends().await {
        let Inserted::Created(e) = store.insert_event(&new_event("a")).await.expect("inserts") else { panic!() };
        let accepted = Loop { state: State::Accepted, ..e.flow.clone() };
        let entry = TimelineEntry {
            seq: 3,
            at: at(),
            actor: "GW1".into(),
            tier: Some(Tier::Grid),
            action: "accept".into(),
            payload: json!({}),
            state_after: State::Accepted,
            holder_after: accepted.holder.clone(),
        };
        let write = TransitionWrite { event_id: e.event_id.clone(), expected_seq: 2, flow: accepted, entry, closed_at: None, regrid: None, attachments: Vec::new() };
        store.apply_transition(&write).await.expect("applies");
        let again = store.apply_transition(&write).await;
        assert!(matches!(again, Err(StoreError::Stale { .. })), "{backend}: {again:?}");
        let stored = store.event(&e.event_id).await.expect("reads").expect("stored");
        assert_eq!((stored.flow.state, stored.seq), (State::Accepted, 3), "{backend}");
        assert_eq!(store.timeline(&e.event_id).await.expect("timeline").len(), 3, "{backend}");
    }
}

#[tokio::test]
async fn people_bindings_and_the_roster() {
    for (backend, _dir, store) in backends().await {
        let worker = Person {
            id: "GW1".into(),
            name: "王芳".into(),
            role: Role::Gridworker,
            unit_code: "130730100".into(),
            grids: vec!["130730100001001".into()],
            device_id: Some("D1".into()),
            phone: "13800000000".into(),
            on_duty: true,
        };
        assert!(store.upsert_person(&worker).await.expect("creates"), "{backend}");
        assert!(!store.upsert_person(&worker).await.expect("replaces"), "{backend}");
        let other = Person { id: "GW2".into(), device_id: Some("D1".into()), ..worker.clone() };
        assert!(matches!(store.upsert_person(&other).await, Err(StoreError::DeviceTaken { .. })), "{backend}");
        assert!(store.set_bindings("GW1", &["130730100001002".into()], None).await.expect("binds"), "{backend}");
        assert!(!store.set_on_duty("nobody", false).await.expect("answers"), "{backend}");
        let roster = store.load_roster().await.expect("roster");
        let gw1 = roster.get("GW1").expect("in the roster");
        assert_eq!((gw1.grids.as_slice(), gw1.device_id.as_deref()), (["130730100001002".to_owned()].as_slice(), None), "{backend}");
        let filter = PersonFilter { grid: Some("130730100001002".into()), ..PersonFilter::default() };
        let found = store.people(&filter, Page { page: 1, per_page: 10 }).await.expect("lists");
        assert_eq!((found.total, found.items[0].person.id.as_str()), (1, "GW1"), "{backend}");
    }
}

#[tokio::test]
async fn a_postgis_database_without_durable_commits_is_refused() {
    use sqlx::{Connection, Executor};
    let db = Db::of(Backend::Postgis).await;
    let url = db.database_url().expect("a PostGIS database");
    let name = url.rsplit('/').next().expect("database name").to_owned();
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    conn.execute(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} SET synchronous_commit = off"))).await.expect("alter");
    conn.close().await.ok();
    let refused = Store::open(&db.target()).await;
    assert!(
        matches!(&refused, Err(StoreError::NotDurable { setting: "synchronous_commit", value }) if value == "off"),
        "{refused:?}"
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("refusing to run: durable commits are off"), "{message}");
}

#[tokio::test]
async fn patrols_replay_by_key_and_read_back_their_tracks() {
    use wangge_server::records::{
        Checkin, CheckinInsert, CheckinKind, Located, NewPatrol, PatrolFilter, PatrolInsert, TrackPoint,
    };
    let t0 = Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap() + chrono::Duration::milliseconds(123);
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let fix = |s: i64, lon: f64, grid: Option<&str>, outside: bool| TrackPoint {
        at: at(s),
        place: Located { at: LonLat { lon, lat: 40.405 }, grid_code: grid.map(str::to_owned), outside },
        accuracy_m: 4.5,
    };
    for (backend, _dir, store) in backends().await {
        let worker = Person {
            id: "GW1".into(),
            name: "王芳".into(),
            role: Role::Gridworker,
            unit_code: "130730100001".into(),
            grids: vec!["130730100001001".into()],
            device_id: None,
            phone: "13800000000".into(),
            on_duty: true,
        };
        store.upsert_person(&worker).await.expect("person");
        let new = NewPatrol { patrol_id: "p1".into(), person_id: "GW1".into(), unit_code: worker.unit_code.clone(), started_at: t0 };
        let PatrolInsert::Created(p) = store.insert_patrol(&new, t0).await.expect("insert") else { panic!("{backend}: not created") };
        assert_eq!((p.started_at, p.ended_at, p.points), (t0, None, 0), "{backend}");
        assert!(matches!(store.insert_patrol(&new, t0).await.expect("replay"), PatrolInsert::Existing(e) if e == p), "{backend}");
        let second = NewPatrol { patrol_id: "p2".into(), ..new.clone() };
        assert!(matches!(store.insert_patrol(&second, t0).await.expect("open"), PatrolInsert::AlreadyOpen(o) if o.patrol_id == "p1"), "{backend}");

        let track = [fix(20, 115.515, Some("130730100001002"), true), fix(10, 115.505, Some("130730100001001"), false), fix(30, 116.0, None, true)];
        assert_eq!(store.add_points("p1", &track, at(40)).await.expect("points"), 3, "{backend}");
        assert_eq!(store.add_points("p1", &track[..2], at(50)).await.expect("replay"), 0, "{backend}");
        let checkin = Checkin {
            checkin_id: "c1".into(),
            patrol_id: "p1".into(),
            at: at(15),
            place: Located { at: LonLat { lon: 115.505, lat: 40.405 }, grid_code: Some("130730100001001".into()), outside: false },
            kind: CheckinKind::KeyPerson,
            note: Some("走访".into()),
            reference: None,
        };
        assert!(matches!(store.add_checkin(&checkin, &[], at(40)).await.expect("checkin"), CheckinInsert::Created(c) if c == checkin), "{backend}");
        let moved = Checkin { kind: CheckinKind::Shop, ..checkin.clone() };
        assert!(matches!(store.add_checkin(&moved, &[], at(41)).await.expect("replay"), CheckinInsert::Existing(c) if c == checkin), "{backend}");

        let p = store.patrol("p1").await.expect("read").expect("there");
        assert_eq!((p.points, p.points_outside, p.checkins, p.last_point_at), (3, 2, 1, Some(at(30))), "{backend}");
        let live = store.live_patrols(&PatrolFilter { unit_prefixes: vec!["130730100".into()], ..PatrolFilter::default() }, t0).await.expect("live");
        assert_eq!(live.len(), 1, "{backend}");
        assert_eq!(live[0].last.as_ref().map(|l| (l.at, l.place.grid_code.clone())), Some((at(30), None)), "{backend}");
        let elsewhere = store.live_patrols(&PatrolFilter { unit_prefixes: vec!["130730200".into()], ..PatrolFilter::default() }, t0).await.expect("live");
        assert!(elsewhere.is_empty(), "{backend}");

        let ended = store.end_patrol("p1", at(60), at(61)).await.expect("end");
        assert_eq!(ended.ended_at, Some(at(60)), "{backend}");
        assert_eq!(store.end_patrol("p1", at(90), at(91)).await.expect("again").ended_at, Some(at(60)), "an end stays");
        assert!(store.live_patrols(&PatrolFilter::default(), t0).await.expect("live").is_empty(), "{backend}");

        let filter = PatrolFilter { from: Some(t0), to: Some(at(1)), ..PatrolFilter::default() };
        let tracks = store.patrol_tracks(&filter).await.expect("tracks");
        assert_eq!(tracks.len(), 1, "{backend}");
        let times: Vec<_> = tracks[0].points.iter().map(|p| p.at).collect();
        assert_eq!(times, [at(10), at(20), at(30)], "{backend}: in time order, to the millisecond");
        assert_eq!(tracks[0].points[2].place, track[2].place, "{backend}");
        assert_eq!(tracks[0].checkins, [(at(15), LonLat { lon: 115.505, lat: 40.405 })], "{backend}");
        let later = PatrolFilter { from: Some(at(1)), ..PatrolFilter::default() };
        assert!(store.patrol_tracks(&later).await.expect("tracks").is_empty(), "{backend}");
        let page = store.patrols(&PatrolFilter { open: Some(false), ..PatrolFilter::default() }, Page { page: 1, per_page: 10 }).await.expect("list");
        assert_eq!((page.total, page.items[0].patrol_id.as_str()), (1, "p1"), "{backend}");
    }
}
