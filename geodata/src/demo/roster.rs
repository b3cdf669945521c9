//! The demo roster, matching the county's 2023 figures exactly: 222 full-time gridworkers
//! covering all 1,829 + 45 grids, 330 grid leaders, 763 grid volunteers, 31 liaison
//! instructors; plus a centre post per township, county centre staff and a handler per
//! functional department.

use wangge_core::people::{Person, Role};
use wangge_core::GridKind;

use super::names::{name, phone};
use crate::plan::{apportion, Rng};

/// Full-time gridworkers (专职网格员).
pub const GRIDWORKERS: usize = 222;
/// Grid leaders (网格长): one per village or community, one post vacant.
pub const GRID_LEADERS: usize = 330;
/// Grid volunteers (网格志愿者).
pub const VOLUNTEERS: usize = 763;
/// Liaison instructors (包联指导员).
pub const LIAISON_INSTRUCTORS: usize = 31;
/// Functional departments with one demo handler each (codes as in the routing table).
pub const DEPARTMENTS: [&str; 12] =
    ["water", "power", "gas", "roads", "housing", "civil", "emergency", "market", "environment", "police", "justice", "petition"];

/// A grid as the roster generator needs it.
#[derive(Debug, Clone, Copy)]
pub struct GridRef<'a> {
    /// Grid code.
    pub code: &'a str,
    /// Kind.
    pub kind: GridKind,
    /// Village or community code.
    pub village: &'a str,
    /// Township code.
    pub township: &'a str,
    /// For street units, the community grid around it.
    pub parent_grid: Option<&'a str>,
}

/// Generates the roster for `grids` (deterministic).
pub fn roster(grids: &[GridRef<'_>]) -> Vec<Person> {
    let mut rng = Rng::new(0x2023_0730);
    let mut tiling: Vec<&GridRef<'_>> = grids.iter().filter(|g| g.kind != GridKind::StreetUnit).collect();
    tiling.sort_by_key(|g| g.code);
    let mut townships: Vec<&str> = tiling.iter().map(|g| g.township).collect();
    townships.dedup();
    let mut villages: Vec<(&str, &str)> = tiling.iter().map(|g| (g.village, g.township)).collect();
    villages.dedup();
    let mut people = Vec::new();
    gridworkers(&mut rng, grids, &tiling, &townships, &mut people);
    leaders(&mut rng, &tiling, &villages, &mut people);
    volunteers(&mut rng, &tiling, &mut people);
    instructors(&mut rng, &tiling, &townships, &mut people);
    for (i, t) in townships.iter().enumerate() {
        people.push(person(&mut rng, format!("TC{:02}", i + 1), Role::CentreStaff, t, vec![]));
    }
    for i in 1..=3 {
        people.push(person(&mut rng, format!("CC{i:02}"), Role::CentreStaff, "130730", vec![]));
    }
    for d in DEPARTMENTS {
        people.push(person(&mut rng, format!("DH-{d}"), Role::DepartmentHandler, d, vec![]));
    }
    people
}

fn person(rng: &mut Rng, id: String, role: Role, unit: &str, grids: Vec<String>) -> Person {
    Person { id, name: name(rng), role, unit_code: unit.to_string(), grids, device_id: None, phone: phone(rng), on_duty: true }
}

/// Each township gets workers in proportion to its grids; each worker takes a run of
/// consecutive grids (villages stay together) and the street units inside them.
fn gridworkers(rng: &mut Rng, all: &[GridRef<'_>], tiling: &[&GridRef<'_>], townships: &[&str], out: &mut Vec<Person>) {
    let per_town: Vec<Vec<&GridRef<'_>>> =
        townships.iter().map(|t| tiling.iter().copied().filter(|g| g.township == *t).collect()).collect();
    let counts = apportion(GRIDWORKERS, &per_town.iter().map(|g| g.len() as f64).collect::<Vec<_>>());
    let mut n = 0;
    for (grids, workers) in per_town.iter().zip(counts) {
        for w in 0..workers {
            let (lo, hi) = (grids.len() * w / workers, grids.len() * (w + 1) / workers);
            let mut codes: Vec<String> = grids[lo..hi].iter().map(|g| g.code.to_string()).collect();
            let units = all.iter().filter(|u| u.parent_grid.is_some_and(|p| codes.iter().any(|c| c == p)));
            codes.extend(units.map(|u| u.code.to_string()).collect::<Vec<_>>());
            n += 1;
            let mut p = person(rng, format!("GW{n:04}"), Role::Gridworker, grids[0].township, codes);
            p.device_id = Some(format!("HL-PAD-{n:04}"));
            out.push(p);
        }
    }
}

/// One leader per village; the post of the village with the fewest grids is vacant.
fn leaders(rng: &mut Rng, tiling: &[&GridRef<'_>], villages: &[(&str, &str)], out: &mut Vec<Person>) {
    let grids_of = |v: &str| tiling.iter().filter(|g| g.village == v).count();
    let vacant = villages.iter().min_by_key(|(v, _)| (grids_of(v), std::cmp::Reverse(*v))).map(|(v, _)| *v);
    let mut n = 0;
    for (v, _) in villages.iter().filter(|(v, _)| Some(*v) != vacant).take(GRID_LEADERS) {
        n += 1;
        let grids = tiling.iter().filter(|g| g.village == *v).map(|g| g.code.to_string()).collect();
        out.push(person(rng, format!("GL{n:03}"), Role::GridLeader, v, grids));
    }
}

fn volunteers(rng: &mut Rng, tiling: &[&GridRef<'_>], out: &mut Vec<Person>) {
    for n in 1..=VOLUNTEERS {
        let g = tiling[(n * 7919) % tiling.len()];
        out.push(person(rng, format!("GV{n:03}"), Role::Volunteer, g.village, vec![g.code.to_string()]));
    }
}

fn instructors(rng: &mut Rng, tiling: &[&GridRef<'_>], townships: &[&str], out: &mut Vec<Person>) {
    let weights: Vec<f64> = townships.iter().map(|t| tiling.iter().filter(|g| g.township == *t).count() as f64).collect();
    let mut n = 0;
    for (t, k) in townships.iter().zip(apportion(LIAISON_INSTRUCTORS, &weights)) {
        for _ in 0..k {
            n += 1;
            out.push(person(rng, format!("LI{n:02}"), Role::LiaisonInstructor, t, vec![]));
        }
    }
}
