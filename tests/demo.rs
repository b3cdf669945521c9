//! The demo roster and 2023 year match the county's figures exactly, and every generated
//! loop replays through the state machine.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::{HashMap, HashSet};

use wangge_core::calendar::{WorkingCalendar, CHINA_TIME};
use wangge_core::event::{Loop, Tier};
use wangge_core::people::{Role, Roster};
use wangge_core::{GridIndex, GridKind};
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
    let community = events.iter().filter(|e| index.grids()[e.grid].kind != GridKind::Rural).count();
    assert!(community * 4 > events.len(), "events cluster where people live ({community})");
}
