//! A year (2023) of patrols (巡查) for the demo gridworkers, pure and deterministic: on about
//! a third of the working days a gridworker walks a loop through one of their grids between
//! random waypoints inside it (about 1.2 m/s, a fix every two minutes with 5–30 m accuracy),
//! checks in at one to three places on the way, and now and then crosses into a neighbour's
//! area (a waypoint a few hundred metres outside the grid): flagged by the service, as live
//! patrols are.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use wangge_core::calendar::{WorkingCalendar, CHINA_TIME};
use wangge_core::people::Roster;
use wangge_core::{GridIndex, LonLat};

use super::year::{working_days, DemoError};
use crate::plan::Rng;

/// The share of working days a gridworker patrols.
pub const PATROL_DAY_SHARE: f64 = 0.35;
/// The share of patrols with a stretch outside the walker's grid.
pub const DETOUR_SHARE: f64 = 0.08;
/// Seconds between two fixes of a track.
pub const FIX_EVERY_S: f64 = 120.0;
/// Check-in kinds and their weights (household, shop, hazard point, key person, other).
const KINDS: [(&str, f64); 5] = [("household", 0.5), ("shop", 0.2), ("hazard", 0.1), ("key_person", 0.1), ("other", 0.1)];

/// One fix of a demo track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoFix {
    /// Where.
    pub at: LonLat,
    /// When.
    pub time: DateTime<Utc>,
    /// Accuracy estimate in metres.
    pub accuracy_m: f64,
}

/// One check-in of a demo patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCheckin {
    /// Where.
    pub at: LonLat,
    /// When.
    pub time: DateTime<Utc>,
    /// Its kind's wire name.
    pub kind: &'static str,
}

/// One demo patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPatrol {
    /// Its id (`demo-{person}-{yyyymmdd}`).
    pub patrol_id: String,
    /// The gridworker.
    pub person_id: String,
    /// The gridworker's unit.
    pub unit_code: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Ended (the last fix).
    pub ended_at: DateTime<Utc>,
    /// The track.
    pub fixes: Vec<DemoFix>,
    /// The check-ins.
    pub checkins: Vec<DemoCheckin>,
}

/// The year's patrols, gridworker by gridworker, day by day.
pub fn patrols_2023(index: &GridIndex, roster: &Roster, cal: &WorkingCalendar) -> Result<Vec<DemoPatrol>, DemoError> {
    let days = working_days(cal, 2023)?;
    let by_code: HashMap<&str, usize> = index.grids().iter().enumerate().map(|(i, g)| (g.code.as_str(), i)).collect();
    let mut rng = Rng::new(0x5a7_2023);
    let mut out = Vec::new();
    for person in roster.people() {
        if person.role != wangge_core::people::Role::Gridworker {
            continue;
        }
        let grids: Vec<usize> = person.grids.iter().filter_map(|c| by_code.get(c.as_str()).copied()).collect();
        if grids.is_empty() {
            continue;
        }
        for day in &days {
            if rng.unit() >= PATROL_DAY_SHARE {
                continue;
            }
            let g = grids[rng.below(grids.len())];
            if let Some(p) = walk(&mut rng, index, g, *day) {
                out.push(DemoPatrol {
                    patrol_id: format!("demo-{}-{}", person.id, day.format("%Y%m%d")),
                    person_id: person.id.clone(),
                    unit_code: person.unit_code.clone(),
                    ..p
                });
            }
        }
    }
    Ok(out)
}

/// A random point in grid `g`.
fn point_in(rng: &mut Rng, index: &GridIndex, g: usize) -> Option<LonLat> {
    let b = index.bbox(g)?;
    (0..200).find_map(|_| {
        let p = LonLat::new(b[0] + rng.unit() * (b[2] - b[0]), b[1] + rng.unit() * (b[3] - b[1])).ok()?;
        (index.grid_at(p) == Some(g)).then_some(p)
    })
}

/// A point 300–800 m beyond a side of grid `g`'s box.
fn beyond(rng: &mut Rng, index: &GridIndex, g: usize) -> Option<LonLat> {
    let b = index.bbox(g)?;
    let off = (300.0 + rng.unit() * 500.0) / 111_000.0;
    let (lon, lat) = match rng.below(4) {
        0 => (b[0] - off, b[1] + rng.unit() * (b[3] - b[1])),
        1 => (b[2] + off, b[1] + rng.unit() * (b[3] - b[1])),
        2 => (b[0] + rng.unit() * (b[2] - b[0]), b[1] - off),
        _ => (b[0] + rng.unit() * (b[2] - b[0]), b[3] + off),
    };
    LonLat::new(lon, lat).ok()
}

/// The walk of one patrol on `day` in grid `g` (ids left empty).
fn walk(rng: &mut Rng, index: &GridIndex, g: usize, day: NaiveDate) -> Option<DemoPatrol> {
    let legs = 4 + rng.below(5);
    let mut waypoints = Vec::with_capacity(legs + 1);
    let home = point_in(rng, index, g)?;
    waypoints.push(home);
    let detour = rng.unit() < DETOUR_SHARE;
    let detour_at = 1 + rng.below(legs.saturating_sub(1).max(1));
    for i in 1..legs {
        let next = if detour && i == detour_at { beyond(rng, index, g) } else { point_in(rng, index, g) };
        waypoints.extend(next);
    }
    waypoints.push(home);
    let start_s = 8 * 3600 + 1800 + rng.below(6 * 3600) as i64;
    let local = day.and_hms_opt(0, 0, 0)? + Duration::seconds(start_s);
    let started_at = CHINA_TIME.from_local_datetime(&local).single()?.with_timezone(&Utc);
    let speed = 1.0 + rng.unit() * 0.4;
    let mut fixes = Vec::new();
    let mut checkins = Vec::new();
    let mut elapsed = 0.0_f64;
    let mut next_fix = 0.0_f64;
    let visits = 1 + rng.below(3);
    for (leg, pair) in waypoints.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let length = wangge_core::patrol::distance_m(a, b);
        let duration = length / speed;
        while next_fix <= elapsed + duration {
            let t = if duration > 0.0 { (next_fix - elapsed) / duration } else { 0.0 };
            let at = LonLat::new(a.lon + (b.lon - a.lon) * t, a.lat + (b.lat - a.lat) * t).ok()?;
            let time = started_at + Duration::milliseconds((next_fix * 1000.0) as i64);
            fixes.push(DemoFix { at, time, accuracy_m: (5.0 + rng.unit() * 25.0).round() });
            next_fix += FIX_EVERY_S * (0.8 + rng.unit() * 0.4);
        }
        elapsed += duration;
        // A check-in at the end of some legs (not back home).
        if leg + 1 < waypoints.len() - 1 && checkins.len() < visits && rng.unit() < 0.6 {
            let time = started_at + Duration::milliseconds((elapsed * 1000.0) as i64);
            checkins.push(DemoCheckin { at: b, time, kind: pick_kind(rng) });
            elapsed += 120.0 + rng.unit() * 480.0;
            next_fix = next_fix.max(elapsed);
        }
    }
    let ended_at = fixes.last().map(|f| f.time)?;
    (fixes.len() >= 2).then(|| DemoPatrol {
        patrol_id: String::new(),
        person_id: String::new(),
        unit_code: String::new(),
        started_at,
        ended_at: ended_at.max(checkins.last().map_or(ended_at, |c| c.time)),
        fixes,
        checkins,
    })
}

fn pick_kind(rng: &mut Rng) -> &'static str {
    let mut u = rng.unit();
    for (kind, w) in KINDS {
        if u < w {
            return kind;
        }
        u -= w;
    }
    "other"
}
