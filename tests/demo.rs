//! The demo roster and 2023 year match the county's figures exactly, and every generated
//! loop replays through the state machine.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::{HashMap, HashSet};

use wangge_core::calendar::{WorkingCalendar, CHINA_TIME};
use wangge_core::event::{Loop, Tier};
use wangge_core::people::{Role, Roster};
use wangge_core::{stats, GridIndex, GridKind};
use wangge_geodata::demo::{self, GridRef};
use wangge_tests::county;

fn setup() -> (GridIndex, HashMap<String, String>, Roster) {
    let c = county();
    let refs: Vec<GridRef<'_>> = c
        .grids
        .iter()
        .map(|g| GridRef { code: &g.code, kind: g.kind, village: &g.village.0, township: &g.township.0, parent_grid: g.parent_grid.as_deref() })
        .collect();
    let people = demo::roster(&refs);
    let parents = c.grids.iter().filter_map(|g| Some((g.code.clone(), g.parent_grid.clone()?))).collect();
    (GridIndex::build(c.grid_shapes()).unwrap(), parents, Roster::new(people))
}

#[test]
fn roster_matches_the_seed_and_covers_every_grid() {
    let (_, _, roster) = setup();
    let count = |r| roster.people().iter().filter(|p| p.role == r).count();
    assert_eq!(count(Role::Gridworker), 222);
    assert_eq!(count(Role::GridLeader), 330);
    assert_eq!(count(Role::Volunteer), 763);
    assert_eq!(count(Role::LiaisonInstructor), 31);
    let covered: HashSet<&str> = roster
        .people()
        .iter()
        .filter(|p| p.role == Role::Gridworker)
        .flat_map(|p| p.grids.iter().map(String::as_str))
        .collect();
    assert_eq!(covered.len(), 1874, "every grid, street units included, has a gridworker");
    let devices: HashSet<_> = roster.people().iter().filter_map(|p| p.device_id.as_ref()).collect();
    assert_eq!(devices.len(), 222);
    let ids: HashSet<_> = roster.people().iter().map(|p| &p.id).collect();
    assert_eq!(ids.len(), roster.people().len());
}

#[test]
fn the_2023_year_reproduces_the_seed_figures() {
    let (index, parents, roster) = setup();
    let cal = WorkingCalendar::china().unwrap();
    let events = demo::year_2023(&index, &parents, &roster, &cal).unwrap();
    assert_eq!(events.len(), 10_505);
    for (cat, n) in demo::YEAR_2023 {
        assert_eq!(events.iter().filter(|e| e.category == cat).count(), n, "{cat:?}");
    }
    let mut closed = 0;
    let mut per_township: HashMap<&str, usize> = HashMap::new();
    let mut escalated_to = HashMap::new();
    for e in &events {
        let local = e.reported_at.with_timezone(&CHINA_TIME).date_naive();
        assert!(cal.is_working_day(local).unwrap() && local.format("%Y").to_string() == "2023", "{}", e.report_id);
        assert_eq!(index.grid_at(e.location), Some(e.grid), "{} not in its grid", e.report_id);
        let mut lp = Loop::new(e.complexity);
        for s in &e.steps {
            lp = lp.apply(&s.action, s.at, &cal).unwrap_or_else(|err| panic!("{}: {err}", e.report_id));
            if let Some(t) = lp.tier() {
                *escalated_to.entry(t).or_insert(0) += 1;
            }
        }
        closed += usize::from(lp.state.is_closed());
        *per_township.entry(&index.grids()[e.grid].township.code).or_default() += 1;
        assert!(!e.subcategory.is_empty() && !e.description.is_empty());
    }
    assert_eq!(closed, demo::CLOSED_2023, "closure rate 99.33 %");
    assert_eq!(per_township.len(), 17);
    assert!(per_township.values().all(|&n| n >= 20), "{per_township:?}");
    for t in [Tier::Grid, Tier::Village, Tier::Township, Tier::County, Tier::Department] {
        assert!(escalated_to.get(&t).copied().unwrap_or(0) > 0, "no event reached {t:?}");
    }
    // The figures computed the way the statistics API computes them.
    let facts: Vec<stats::EventFacts> = events
        .iter()
        .map(|e| {
            let actions: Vec<_> = e.steps.iter().map(|s| (s.at, s.action.clone())).collect();
            let g = &index.grids()[e.grid];
            let stints = stats::stints(e.complexity, &actions, &cal).unwrap();
            let closed = stints.iter().all(|s| s.finished_at.is_some()) && e.steps.iter().any(|s| s.action.name() == "close");
            stats::EventFacts { category: e.category, township: g.township.code.clone(), village: g.village.code.clone(), grid: g.code.clone(), closed, stints }
        })
        .collect();
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 6, 30, 0, 0, 0).unwrap();
    let f = stats::figures(&facts, now);
    assert_eq!((f.total.reported, f.total.closed, f.total.closure_rate), (10_505, 10_435, 99.33));
    assert_eq!(f.by_category["livelihood"].reported, 9_488);
    assert_eq!(f.by_category["hazard"].reported, 656);
    assert_eq!(f.by_category["dispute"].reported, 312);
    assert_eq!(f.by_category["other"].reported, 49);
    for tier in ["grid", "village", "township", "county", "department"] {
        let t = f.on_time[tier];
        assert!(t.stints > 0 && t.finish_rate > 80.0 && t.finish_rate < 100.0, "{tier}: {t:?}");
    }
    let community = events.iter().filter(|e| index.grids()[e.grid].kind != GridKind::Rural).count();
    assert!(community * 4 > events.len(), "events cluster where people live ({community})");
}
