//! The demo year's patrols as stored: the generated walks of
//! [`wangge_geodata::demo::patrols_2023`], each fix and check-in located in its grid by the
//! index and flagged when outside the walker's own grids, exactly as live uploads are.

use std::collections::HashMap;

use wangge_core::calendar::WorkingCalendar;
use wangge_core::people::{GridPlace, Roster};
use wangge_core::{GridIndex, LonLat};
use wangge_geodata::demo;

use super::DemoLoadError;
use crate::grids::catalog::grid_shape;
use crate::records::{Checkin, CheckinKind, Grid, Located, NewPatrol, PatrolLoad, TrackPoint};

/// The year's patrols, located.
pub fn year(grids: &[Grid], roster: &Roster, calendar: &WorkingCalendar) -> Result<Vec<PatrolLoad>, DemoLoadError> {
    let index = GridIndex::build(grids.iter().map(grid_shape).collect()).map_err(DemoLoadError::Index)?;
    let parents: HashMap<&str, &str> =
        grids.iter().filter_map(|g| Some((g.code.as_str(), g.parent_grid.as_deref()?))).collect();
    let walks = demo::patrols_2023(&index, roster, calendar).map_err(DemoLoadError::Generate)?;
    let mut out = Vec::with_capacity(walks.len());
    for w in walks {
        let Some(person) = roster.get(&w.person_id) else { continue };
        let locate = |at: LonLat| match index.grid_at(at) {
            Some(i) => {
                let g = &index.grids()[i];
                let place = GridPlace {
                    grid: &g.code,
                    parent_grid: parents.get(g.code.as_str()).copied(),
                    village: &g.village.code,
                    township: &g.township.code,
                };
                Located { at, grid_code: Some(g.code.clone()), outside: roster.outside_own_grids(person, place) }
            }
            None => Located { at, grid_code: None, outside: true },
        };
        let points = w.fixes.iter().map(|f| TrackPoint { at: f.time, place: locate(f.at), accuracy_m: f.accuracy_m }).collect();
        let checkins = w
            .checkins
            .iter()
            .enumerate()
            .map(|(i, c)| Checkin {
                checkin_id: format!("{}-c{}", w.patrol_id, i + 1),
                patrol_id: w.patrol_id.clone(),
                at: c.time,
                place: locate(c.at),
                kind: CheckinKind::parse(c.kind).unwrap_or(CheckinKind::Other),
                note: None,
                reference: None,
            })
            .collect();
        out.push(PatrolLoad {
            patrol: NewPatrol { patrol_id: w.patrol_id, person_id: w.person_id, unit_code: w.unit_code, started_at: w.started_at },
            ended_at: w.ended_at,
            points,
            checkins,
        });
    }
    Ok(out)
}
