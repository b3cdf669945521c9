//! The grid index on the demo county: agrees with the plain R-tree + `geo` baseline everywhere
//! off the boundaries, gives exactly one grid on shared edges and vertices by the documented
//! rule, handles the outside, bad numbers and atomic swaps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use geo_types::Coord;
use wangge_core::index::{BaselineIndex, GridShape};
use wangge_core::{GridIndex, GridKind, LonLat, Located, SharedIndex};
use wangge_tests::{county, Points};

fn shapes() -> &'static Vec<GridShape> {
    static S: OnceLock<Vec<GridShape>> = OnceLock::new();
    S.get_or_init(|| county().grid_shapes())
}

fn index() -> &'static GridIndex {
    static I: OnceLock<GridIndex> = OnceLock::new();
    I.get_or_init(|| GridIndex::build(shapes().clone()).unwrap())
}

fn baseline() -> &'static BaselineIndex {
    static B: OnceLock<BaselineIndex> = OnceLock::new();
    B.get_or_init(|| BaselineIndex::build(shapes()))
}

fn at(lon: f64, lat: f64) -> Option<usize> {
    index().grid_at(LonLat::new(lon, lat).unwrap())
}

#[test]
fn agrees_with_the_baseline_on_random_points() {
    let (idx, base) = (index(), baseline());
    let mut pts = Points::new(7);
    let (mut inside, mut ambiguous) = (0, 0);
    for _ in 0..100_000 {
        let (lon, lat) = (pts.uniform(115.28, 115.98), pts.uniform(40.06, 40.59));
        let hits = base.grids_at(lon, lat);
        let tiling = hits.iter().filter(|&&g| idx.grids()[g].kind != GridKind::StreetUnit).count();
        if tiling > 1 {
            ambiguous += 1;
            continue;
        }
        assert_eq!(at(lon, lat), hits.first().copied(), "({lon}, {lat})");
        inside += usize::from(!hits.is_empty());
    }
    assert_eq!(ambiguous, 0, "random points should not land on edges");
    assert!(inside > 40_000, "only {inside} points inside the county");
}

#[test]
fn street_unit_wins_over_its_community_grid() {
    let idx = index();
    for (i, g) in idx.grids().iter().enumerate().filter(|(_, g)| g.kind == GridKind::StreetUnit) {
        let ring = &shapes()[i].geometry.0[0].exterior().0;
        let (lo, hi) = (ring[0], ring[2]);
        let centre = ((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0);
        assert_eq!(at(centre.0, centre.1), Some(i), "{}", g.code);
        // Just outside the compound: the community grid around it.
        let parent = idx.grids().iter().position(|p| p.kind == GridKind::Community && at(lo.x - 1e-6, centre.1) == Some(idx.grids().iter().position(|q| q.code == p.code).unwrap_or(usize::MAX)));
        assert!(parent.is_some(), "{}: no community grid west of it", g.code);
    }
}

/// Interior edges shared by two tiling grids, as (a, b).
fn shared_edges() -> Vec<(Coord<f64>, Coord<f64>)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in shapes().iter().filter(|s| s.record.kind != GridKind::StreetUnit) {
        for p in &s.geometry.0 {
            for w in p.exterior().0.windows(2) {
                let k = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
                if seen.contains(&(k(w[1]), k(w[0]))) {
                    out.push((w[0], w[1]));
                }
                seen.insert((k(w[0]), k(w[1])));
            }
        }
    }
    out
}

#[test]
fn points_on_shared_edges_get_exactly_one_grid_by_the_rule() {
    let (idx, base) = (index(), baseline());
    let edges = shared_edges();
    assert!(edges.len() > 10_000, "{} shared edges", edges.len());
    let mut checked = 0;
    for (a, b) in edges {
        let mid = Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
        for p in [a, mid] {
            let got = idx.grid_at(LonLat::new(p.x, p.y).unwrap());
            let hits = base.grids_at(p.x, p.y);
            assert!(hits.len() >= 2, "({}, {}) is on a shared edge", p.x, p.y);
            let got = got.unwrap_or_else(|| panic!("({}, {}) on a shared edge got no grid", p.x, p.y));
            assert!(hits.contains(&got), "answer is not one of the touching grids");
            // The rule: the grid just east of the point, then just north.
            // (Where that is outside the county the point is on the outline, which is closed:
            // any touching grid is right.)
            if let Some(expect) = base.grid_at(p.x + 1e-9, p.y + 1e-11) {
                assert_eq!(got, expect, "({}, {})", p.x, p.y);
            }
            checked += 1;
        }
    }
    assert!(checked > 20_000);
}

#[test]
fn the_outline_is_closed_and_outside_has_a_nearest_grid() {
    let c = county();
    for v in c.outline.exterior().0.iter().step_by(7) {
        assert!(at(v.x, v.y).is_some(), "outline vertex ({}, {}) got no grid", v.x, v.y);
    }
    // 天安门 (Beijing): well outside, about 80 km south-east of the county.
    match index().locate(116.397, 39.909).unwrap() {
        Located::Outside(Some(n)) => {
            assert!((50_000.0..120_000.0).contains(&n.distance_m), "{} m", n.distance_m);
            let g = &index().grids()[n.grid];
            assert_eq!(g.kind, GridKind::Rural, "{}", g.code);
        }
        other => panic!("{other:?}"),
    }
    // Just outside a vertex on the outline's east side: a few metres away.
    let east = c.outline.exterior().0.iter().max_by(|a, b| a.x.total_cmp(&b.x)).unwrap();
    match index().locate(east.x + 0.0001, east.y).unwrap() {
        Located::Outside(Some(n)) => assert!(n.distance_m > 1.0 && n.distance_m < 12.0, "{} m", n.distance_m),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_numbers_are_errors_not_panics() {
    let idx = index();
    for (lon, lat) in [(f64::NAN, 40.0), (115.5, f64::INFINITY), (181.0, 40.0), (115.5, -90.5), (f64::NEG_INFINITY, f64::NAN)] {
        assert!(idx.locate(lon, lat).is_err(), "({lon}, {lat})");
    }
    assert!(matches!(idx.locate(0.0, 0.0), Ok(Located::Outside(Some(_)))));
}

#[test]
fn readers_keep_answering_while_the_index_is_swapped() {
    let shared = SharedIndex::new(GridIndex::build(shapes().clone()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let probe = LonLat::new(115.52, 40.415).unwrap();
    let expected = shared.load().grids()[shared.load().grid_at(probe).unwrap()].code.clone();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (shared, stop, expected) = (shared.clone(), stop.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let idx = shared.load();
                    let g = idx.grid_at(probe).expect("answer during swap");
                    assert_eq!(idx.grids()[g].code, expected);
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Swap in indexes built from the grids in reverse order: different positions, same answers.
    for round in 0..4 {
        let mut s = shapes().clone();
        if round % 2 == 0 {
            s.reverse();
        }
        shared.swap(GridIndex::build(s).unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let answered: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(answered > 0);
}

#[test]
fn every_grid_answers_for_a_point_inside_it() {
    let base = baseline();
    let mut pts = Points::new(11);
    for (i, s) in shapes().iter().enumerate() {
        let r = geo::BoundingRect::bounding_rect(&s.geometry).unwrap();
        // Rejection-sample a point the baseline says is in this grid (and no street unit).
        let found = (0..2000).find_map(|_| {
            let (x, y) = (pts.uniform(r.min().x, r.max().x), pts.uniform(r.min().y, r.max().y));
            (base.grid_at(x, y) == Some(i)).then_some((x, y))
        });
        let (x, y) = found.unwrap_or_else(|| panic!("no sample in {}", s.record.code));
        assert_eq!(at(x, y), Some(i), "{}", s.record.code);
    }
}
