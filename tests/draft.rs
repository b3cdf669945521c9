//! Boundary-draft validation on the demo county (whole county and each township: no problem)
//! and on hostile million-vertex polygons; prints the times.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::BTreeSet;
use std::time::Instant;

use geo::{Contains, Point};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use wangge_core::draft::{validate, validate_since, Baseline, Division, Draft, DraftGrid, Options, ProblemKind, Report};
use wangge_core::GridKind;
use wangge_tests::county;

fn division(code: &str, geometry: &MultiPolygon<f64>) -> Division {
    Division { code: code.to_string(), geometry: geometry.clone() }
}

/// The county's grids whose township code starts with `prefix` ("" for all), as a draft of
/// that area; the other grids' codes are outside the draft.
fn draft_of(prefix: &str) -> Draft {
    let c = county();
    let townships: Vec<Division> =
        c.townships.iter().filter(|t| t.code.starts_with(prefix)).map(|t| division(&t.code, &t.geometry)).collect();
    let villages = c.villages.iter().filter(|v| v.code.starts_with(prefix)).map(|v| division(&v.code, &v.geometry)).collect();
    let (inside, outside): (Vec<_>, Vec<_>) = c.grids.iter().partition(|g| g.township.0.starts_with(prefix));
    let grids = inside
        .into_iter()
        .map(|g| DraftGrid {
            code: g.code.clone(),
            name: g.name.clone(),
            kind: g.kind,
            village_code: g.village.0.clone(),
            township_code: g.township.0.clone(),
            parent_grid: g.parent_grid.clone(),
            geometry: g.geometry.clone(),
        })
        .collect();
    let outside_codes: BTreeSet<String> = outside.into_iter().map(|g| g.code.clone()).collect();
    Draft { area: townships.clone(), villages, townships, grids, outside_codes }
}

fn timed(what: &str, draft: &Draft) -> Report {
    let t = Instant::now();
    let report = validate(draft, &Options::default());
    println!("{what}: {} grids validated in {:.1} ms, {} problems", draft.grids.len(), t.elapsed().as_secs_f64() * 1e3, report.problems.len());
    report
}

fn point(r: &Report, kind: ProblemKind) -> Point<f64> {
    let p = r.of_kind(kind).next().unwrap_or_else(|| panic!("no {kind:?}: {r:#?}"));
    let [x, y] = p.location.point.unwrap();
    Point::new(x, y)
}

#[test]
fn the_demo_county_validates_with_no_problem() {
    let d = draft_of("");
    assert_eq!(d.grids.len(), 1874);
    let report = timed("whole county (17 townships)", &d);
    assert_eq!(report.problems, vec![]);
}

#[test]
fn each_township_validates_with_no_problem() {
    let t = Instant::now();
    for township in &county().townships {
        let report = validate(&draft_of(&township.code), &Options::default());
        assert_eq!(report.problems, vec![], "{} {}", township.code, township.name);
    }
    println!("17 township drafts validated in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
}

#[test]
fn a_grid_left_out_of_a_township_is_a_gap_where_it_was() {
    let mut d = draft_of("130730100");
    let i = d.grids.iter().position(|g| g.kind == GridKind::Rural).unwrap_or(0);
    let gone = d.grids.remove(i);
    let r = validate(&d, &Options::default());
    let gaps: Vec<_> = r.of_kind(ProblemKind::Gap).collect();
    assert_eq!(gaps.len(), 1, "{r:#?}");
    assert!(gone.geometry.contains(&point(&r, ProblemKind::Gap)));
}

#[test]
fn a_shared_vertex_moved_in_one_grid_only_makes_an_overlap_one_way_and_a_gap_the_other() {
    let mut seen = BTreeSet::new();
    for push in [0.5, -0.5] {
        let (d, before) = moved_vertex(push);
        let r = validate(&d, &Options::default());
        let kinds: BTreeSet<ProblemKind> = r.errors().map(|p| p.kind).collect();
        assert!(kinds == BTreeSet::from([ProblemKind::Overlap]) || kinds == BTreeSet::from([ProblemKind::Gap]), "{r:#?}");
        for p in r.errors() {
            let g = p.location.geometry.as_ref().unwrap();
            let [x, y] = p.location.point.unwrap();
            assert!(g.contains(&Point::new(x, y)));
            assert!((x - before.x).abs() < 0.01 && (y - before.y).abs() < 0.01, "{p:?} far from the moved vertex {before:?}");
        }
        seen.extend(kinds);
    }
    assert_eq!(seen, BTreeSet::from([ProblemKind::Overlap, ProblemKind::Gap]));
}

/// 沙城镇 with one community grid's vertex, shared with a neighbour and not on the township
/// boundary, moved by `push` times its offset from its neighbours' midpoint; and where it was.
fn moved_vertex(push: f64) -> (Draft, Coord<f64>) {
    moved_vertex_in(draft_of("130730100"), push)
}

/// `d` with the first community grid's first vertex shared with a neighbour and not on the
/// area's boundary moved by `push` (see [`moved_vertex`]).
fn moved_vertex_in(mut d: Draft, push: f64) -> (Draft, Coord<f64>) {
    let i = d.grids.iter().position(|g| g.kind == GridKind::Community).unwrap();
    let mut poly = d.grids[i].geometry.0[0].clone();
    let shared = (1..poly.exterior().0.len() - 1)
        .find(|&k| {
            let c = poly.exterior().0[k];
            d.grids.iter().enumerate().any(|(j, g)| j != i && !g.kind.is_overlay() && g.geometry.0.iter().any(|p| p.exterior().0.contains(&c)))
                && !d.area.iter().any(|a| a.geometry.0.iter().any(|p| p.exterior().0.contains(&c)))
        })
        .unwrap();
    let before = poly.exterior().0[shared];
    poly.exterior_mut(|r| {
        let (prev, next) = (r.0[shared - 1], r.0[shared + 1]);
        let mid = Coord { x: (prev.x + next.x) / 2.0, y: (prev.y + next.y) / 2.0 };
        r.0[shared] = before + (before - mid) * push;
    });
    d.grids[i].geometry = MultiPolygon(vec![poly]);
    (d, before)
}

/// A wavy ring of `n` vertices around (115.5, 40.4), about 2 km across.
fn wavy(n: usize) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            let r = 0.01 * (1.0 + 0.1 * (1000.0 * a).sin());
            Coord { x: 115.5 + r * a.cos(), y: 40.4 + r * a.sin() }
        })
        .collect();
    pts.push(pts[0]);
    pts
}

fn one_grid(ring: Vec<Coord<f64>>, village: MultiPolygon<f64>) -> Draft {
    let geometry = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
    let township = MultiPolygon(vec![geo::Rect::new((115.0, 40.0), (116.0, 41.0)).to_polygon()]);
    Draft {
        area: vec![division("130730100001", &village)],
        villages: vec![division("130730100001", &village)],
        townships: vec![division("130730100", &township)],
        grids: vec![DraftGrid {
            code: "130730100001001".into(),
            name: "百万点网格".into(),
            kind: GridKind::Rural,
            village_code: "130730100001".into(),
            township_code: "130730100".into(),
            parent_grid: None,
            geometry,
        }],
        outside_codes: BTreeSet::new(),
    }
}

#[test]
fn a_valid_million_vertex_grid_passes() {
    let ring = wavy(1_000_000);
    let village = MultiPolygon(vec![Polygon::new(LineString(ring.clone()), vec![])]);
    let report = timed("1M-vertex valid grid (tiling its village)", &one_grid(ring, village));
    assert_eq!(report.problems, vec![]);
}

#[test]
fn a_self_intersecting_million_vertex_grid_is_reported_where_it_crosses() {
    let mut ring = wavy(1_000_000);
    let village = MultiPolygon(vec![Polygon::new(LineString(ring.clone()), vec![])]);
    ring.swap(500_000, 500_001);
    let (at, edge) = (ring[500_000], ring[500_001] - ring[500_000]);
    let report = timed("1M-vertex self-intersecting grid", &one_grid(ring, village));
    // Within one edge (about 6e-6°, half a metre) of the swapped vertices.
    let p = point(&report, ProblemKind::SelfIntersection);
    let reach = edge.x.hypot(edge.y);
    assert!((p.x() - at.x).hypot(p.y() - at.y) <= reach, "{p:?} vs {at:?}");
    assert!(report.errors().all(|p| p.kind == ProblemKind::SelfIntersection), "{report:#?}");
}

#[test]
fn a_million_vertex_fan_is_refused_within_the_budget() {
    // 500,000 spikes from near the centre: every edge's box overlaps most others'.
    let n = 1_000_000;
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / n as f64;
            let r = if k % 2 == 0 { 0.0001 } else { 0.01 };
            Coord { x: 115.5 + r * a.cos(), y: 40.4 + r * a.sin() }
        })
        .collect();
    ring.push(ring[0]);
    let village = MultiPolygon(vec![geo::Rect::new((115.49, 40.39), (115.51, 40.41)).to_polygon()]);
    let report = timed("1M-vertex fan", &one_grid(ring, village));
    assert_eq!(report.errors().map(|p| p.kind).collect::<Vec<_>>(), vec![ProblemKind::TooComplex], "{report:#?}");
}

/// The multiset of a report's errors as (kind, grids), and its gaps' total area.
fn verdict(r: &Report) -> (Vec<(ProblemKind, Vec<String>)>, f64) {
    use geo::Area;
    let mut errors: Vec<_> = r.errors().map(|p| (p.kind, p.grids.clone())).collect();
    errors.sort();
    let gaps = r.of_kind(ProblemKind::Gap).filter_map(|p| p.location.geometry.as_ref()).map(|g| g.unsigned_area()).sum();
    (errors, gaps)
}

/// Validates `d` in full and against the county's baseline: the same errors, the same gaps.
fn same_both_ways(what: &str, baseline: &Baseline, d: Draft) -> Report {
    let t = Instant::now();
    let full = validate(&d, &Options::default());
    let full_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let (since, next) = validate_since(d, Some(baseline), &Options::default());
    let since_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("{what}: full {full_ms:.1} ms, since the baseline {since_ms:.1} ms, {} errors", full.errors().count());
    let (a, b) = (verdict(&full), verdict(&since));
    assert_eq!(a.0, b.0, "{what}: the errors differ");
    assert!((a.1 - b.1).abs() <= 1e-9 * a.1.max(1e-12), "{what}: gaps of {} and {} deg²", a.1, b.1);
    assert_eq!(full.is_publishable(), since.is_publishable(), "{what}");
    assert_eq!(next.is_some(), since.is_publishable(), "{what}: a next baseline only when publishable");
    since
}

fn county_baseline() -> Baseline {
    let (baseline, report) = Baseline::validated(draft_of(""), &Options::default()).unwrap();
    assert_eq!(report.problems, vec![]);
    assert_eq!(baseline.grids().len(), 1874);
    baseline
}

#[test]
fn a_draft_checked_against_its_baseline_has_the_same_problems_as_checked_in_full() {
    let baseline = county_baseline();
    let opts = Options::default();
    let rural_pairs = |d: &Draft| {
        let mut by_village: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, g) in d.grids.iter().enumerate().filter(|(_, g)| g.kind == GridKind::Rural) {
            by_village.entry(g.village_code.as_str()).or_default().push(i);
        }
        by_village.values().filter(|v| v.len() >= 2).map(|v| (v[0], v[1])).collect::<Vec<_>>()
    };
    let swap = |d: &mut Draft, i: usize, j: usize| {
        let gi = d.grids[i].geometry.clone();
        d.grids[i].geometry = std::mem::replace(&mut d.grids[j].geometry, gi);
    };

    let r = same_both_ways("unchanged", &baseline, draft_of(""));
    assert!(r.problems.is_empty());

    // The benchmark's draft: shapes swapped within villages.
    let mut d = draft_of("");
    for (i, j) in rural_pairs(&d) {
        swap(&mut d, i, j);
    }
    assert!(same_both_ways("rural shapes swapped within villages", &baseline, d).is_publishable());

    // Shapes swapped across townships: each is outside its village (the township is checked
    // only where a village is not inside its own).
    let mut d = draft_of("");
    let pairs = rural_pairs(&d);
    let (a, b) = (pairs[0].0, pairs[pairs.len() - 1].0);
    swap(&mut d, a, b);
    let r = same_both_ways("two shapes swapped across townships", &baseline, d);
    assert_eq!(r.errors().map(|p| p.kind).collect::<Vec<_>>(), vec![ProblemKind::OutsideVillage; 2], "{r:#?}");

    // A grid removed: a gap where it was.
    let mut d = draft_of("");
    let gone = d.grids.remove(pairs[3].1);
    let r = same_both_ways("a grid removed", &baseline, d);
    assert!(gone.geometry.contains(&point(&r, ProblemKind::Gap)));

    // A shared vertex moved either way: an overlap, or a gap.
    let mut seen = BTreeSet::new();
    for push in [0.5, -0.5] {
        let (d, _) = moved_vertex_in(draft_of(""), push);
        let r = same_both_ways(&format!("a shared vertex pushed {push}"), &baseline, d);
        seen.extend(r.errors().map(|p| p.kind));
    }
    assert_eq!(seen, BTreeSet::from([ProblemKind::Overlap, ProblemKind::Gap]));

    // One grid given its neighbour's shape too: the two overlap, and a gap where it was.
    let mut d = draft_of("");
    let (i, j) = pairs[5];
    d.grids[i].geometry = d.grids[j].geometry.clone();
    let r = same_both_ways("two grids with one shape", &baseline, d);
    assert!(r.of_kind(ProblemKind::Overlap).count() == 1 && r.of_kind(ProblemKind::Gap).count() >= 1, "{r:#?}");

    // One grid moved out of the county: outside the area, its village and township; a gap.
    let mut d = draft_of("");
    let i = pairs[7].0;
    d.grids[i].geometry = geo::Translate::translate(&d.grids[i].geometry, 2.0, 0.0);
    let r = same_both_ways("a grid moved out of the county", &baseline, d);
    assert!(r.of_kind(ProblemKind::OutsideArea).count() == 1 && r.of_kind(ProblemKind::Gap).count() >= 1, "{r:#?}");

    // A bow-tie in one grid: refused by check 2, and its hole is not a gap.
    let mut d = draft_of("");
    let i = pairs[9].0;
    let b = geo::BoundingRect::bounding_rect(&d.grids[i].geometry).unwrap();
    let (lo, hi) = (b.min(), b.max());
    let tie = vec![lo, hi, Coord { x: hi.x, y: lo.y }, Coord { x: lo.x, y: hi.y }, lo];
    d.grids[i].geometry = MultiPolygon(vec![Polygon::new(LineString(tie), vec![])]);
    let r = same_both_ways("a bow-tie", &baseline, d);
    assert!(r.of_kind(ProblemKind::SelfIntersection).count() >= 1, "{r:#?}");

    // A street unit made a rural grid: it overlaps its parent.
    let mut d = draft_of("");
    let i = d.grids.iter().position(|g| g.kind == GridKind::StreetUnit).unwrap();
    d.grids[i].kind = GridKind::Rural;
    d.grids[i].parent_grid = None;
    let r = same_both_ways("a street unit made a tiling grid", &baseline, d);
    assert!(r.of_kind(ProblemKind::Overlap).count() >= 1, "{r:#?}");

    // A grid shrunk to a sliver of itself: too small, and a gap around it.
    let mut d = draft_of("");
    let i = pairs[11].0;
    let g = &d.grids[i].geometry;
    let c = geo::Centroid::centroid(g).unwrap();
    d.grids[i].geometry = geo::Scale::scale_around_point(g, 0.001, 0.001, c);
    let r = same_both_ways("a grid shrunk", &baseline, d);
    assert!(r.of_kind(ProblemKind::TooSmall).count() == 1 && r.of_kind(ProblemKind::Gap).count() >= 1, "{r:#?}");

    // A baseline of another area, or of other options, is not used (and cannot mislead).
    let mut d = draft_of("130730100");
    d.grids.remove(0);
    let (r, next) = validate_since(d.clone(), Some(&baseline), &opts);
    assert_eq!(verdict(&r), verdict(&validate(&d, &opts)));
    assert!(next.is_none());
    let strict = Options { min_area_km2: 1000.0, ..Options::default() };
    let (r, _) = validate_since(draft_of(""), Some(&baseline), &strict);
    assert!(r.of_kind(ProblemKind::TooSmall).count() > 1000, "other options: checked in full");
}
