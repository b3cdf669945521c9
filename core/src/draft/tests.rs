//! Broken drafts, one defect each: the problem's kind and where it is.

use geo::{polygon, Area, Contains, LineString, MultiPolygon, Point, Polygon};

use super::*;

const V: &str = "130730100001";
const T: &str = "130730100";

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)]
}

fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![p])
}

fn grid(suffix: &str, kind: GridKind, geometry: MultiPolygon<f64>) -> DraftGrid {
    DraftGrid {
        code: format!("{V}{suffix}"),
        name: format!("网格{suffix}"),
        kind,
        village_code: V.into(),
        township_code: T.into(),
        parent_grid: None,
        geometry,
    }
}

/// A village 0.02° square tiled by four community grids 0.01° square, with a street unit in
/// grid 001; the township is larger.
fn draft() -> Draft {
    let village = Division { code: V.into(), geometry: mp(rect(115.0, 40.0, 115.02, 40.02)) };
    let township = Division { code: T.into(), geometry: mp(rect(114.9, 39.9, 115.1, 40.1)) };
    let mut su = grid("Z01", GridKind::StreetUnit, mp(rect(115.002, 40.002, 115.004, 40.004)));
    su.parent_grid = Some(format!("{V}001"));
    let cells = [(0.0, 0.0), (0.01, 0.0), (0.0, 0.01), (0.01, 0.01)];
    let mut grids: Vec<DraftGrid> = cells
        .iter()
        .enumerate()
        .map(|(i, (dx, dy))| {
            let (x, y) = (115.0 + dx, 40.0 + dy);
            grid(&format!("{:03}", i + 1), GridKind::Community, mp(rect(x, y, x + 0.01, y + 0.01)))
        })
        .collect();
    grids.push(su);
    Draft { area: vec![village.clone()], villages: vec![village], townships: vec![township], grids, outside_codes: Default::default() }
}

fn run(d: &Draft) -> Report {
    validate(d, &Options::default())
}

fn only(r: &Report, kind: ProblemKind) -> &Problem {
    let errors: Vec<&Problem> = r.errors().collect();
    assert!(errors.iter().all(|p| p.kind == kind), "expected only {kind:?}: {errors:#?}");
    errors.first().unwrap_or_else(|| panic!("no {kind:?}: {r:#?}"))
}

fn point(p: &Problem) -> Point<f64> {
    let [x, y] = p.location.point.unwrap();
    Point::new(x, y)
}

fn near(p: &Problem, x: f64, y: f64) -> bool {
    let q = point(p);
    (q.x() - x).abs() < 1e-9 && (q.y() - y).abs() < 1e-9
}

#[test]
fn the_fixture_is_valid() {
    assert_eq!(run(&draft()).problems, vec![]);
}

#[test]
fn a_bowtie_is_a_self_intersection_at_the_crossing() {
    let mut d = draft();
    d.grids[3].geometry = mp(polygon![(x: 115.01, y: 40.01), (x: 115.02, y: 40.02), (x: 115.02, y: 40.01), (x: 115.01, y: 40.02), (x: 115.01, y: 40.01)]);
    let r = run(&d);
    let p = only(&r, ProblemKind::SelfIntersection);
    assert_eq!(p.grids, vec![format!("{V}004")]);
    assert!(near(p, 115.015, 40.015), "{p:?}");
    assert!(p.message.contains("自相交 (self-intersection"), "{}", p.message);
    assert!(p.message.ends_with("at 115.015000, 40.015000"), "{}", p.message);
}

#[test]
fn a_spike_and_a_self_touch_are_self_intersections() {
    let mut d = draft();
    // Grid 004 with a spike going out to the east and back.
    d.grids[3].geometry = mp(polygon![(x: 115.01, y: 40.01), (x: 115.02, y: 40.01), (x: 115.02, y: 40.015), (x: 115.01, y: 40.015), (x: 115.02, y: 40.015), (x: 115.02, y: 40.02), (x: 115.01, y: 40.02), (x: 115.01, y: 40.01)]);
    let r = run(&d);
    assert!(r.of_kind(ProblemKind::SelfIntersection).count() >= 1, "{r:#?}");
    // An inverted hole: the shell touches itself at one vertex.
    let mut d = draft();
    d.grids[3].geometry = mp(polygon![(x: 115.01, y: 40.01), (x: 115.02, y: 40.01), (x: 115.02, y: 40.02), (x: 115.015, y: 40.02), (x: 115.013, y: 40.015), (x: 115.017, y: 40.015), (x: 115.015, y: 40.02), (x: 115.01, y: 40.02), (x: 115.01, y: 40.01)]);
    let r = run(&d);
    let p = r.of_kind(ProblemKind::SelfIntersection).next().unwrap();
    assert!(near(p, 115.015, 40.02), "{p:?}");
    assert!(r.errors().all(|p| p.kind == ProblemKind::SelfIntersection), "the grid is left out of the overlay checks: {r:#?}");
}

#[test]
fn an_overlap_is_located_by_its_polygon() {
    let mut d = draft();
    d.grids[1].geometry = mp(rect(115.008, 40.0, 115.02, 40.01));
    let r = run(&d);
    let p = only(&r, ProblemKind::Overlap);
    assert_eq!(p.grids, vec![format!("{V}001"), format!("{V}002")]);
    let g = p.location.geometry.as_ref().unwrap();
    assert!((g.unsigned_area() - 0.002 * 0.01).abs() < 1e-12);
    assert!(g.contains(&point(p)));
}

#[test]
fn street_units_may_overlap_their_parent_only() {
    let mut d = draft();
    let mut su2 = grid("Z02", GridKind::StreetUnit, mp(rect(115.003, 40.003, 115.005, 40.005)));
    su2.parent_grid = Some(format!("{V}001"));
    d.grids.push(su2);
    let p = only(&run(&d), ProblemKind::Overlap).clone();
    assert_eq!(p.grids, vec![format!("{V}Z01"), format!("{V}Z02")]);
    assert!(Polygon::from(geo::Rect::new((115.003, 40.003), (115.004, 40.004))).contains(&point(&p)));
}

#[test]
fn a_gap_is_located_by_its_polygon() {
    let mut d = draft();
    d.grids[2].geometry = mp(rect(115.0, 40.01, 115.01, 40.019));
    let p = only(&run(&d), ProblemKind::Gap).clone();
    assert!(p.grids.is_empty());
    let y = point(&p).y();
    assert!(y > 40.019 && y < 40.02 && point(&p).x() < 115.01, "{p:?}");
}

#[test]
fn a_grid_outside_its_village_is_reported_with_the_part_outside() {
    let mut d = draft();
    d.grids[3].geometry = mp(rect(115.01, 40.01, 115.03, 40.02));
    let r = run(&d);
    let outside_village = r.of_kind(ProblemKind::OutsideVillage).next().unwrap();
    assert_eq!(outside_village.grids, vec![format!("{V}004")]);
    assert!(point(outside_village).x() > 115.02);
    let outside_area = r.of_kind(ProblemKind::OutsideArea).next().unwrap();
    assert_eq!(outside_area.grids, vec![format!("{V}004")]);
    assert_eq!(r.errors().count(), 2, "{r:#?}");
    // The township is checked too when the village does not lie in it.
    let mut d = draft();
    d.townships[0].geometry = mp(rect(115.0, 40.0, 115.015, 40.02));
    let r = run(&d);
    assert!(r.of_kind(ProblemKind::VillageOutsideTownship).count() == 1, "{r:#?}");
    let t: Vec<&Problem> = r.of_kind(ProblemKind::OutsideTownship).collect();
    assert_eq!(t.len(), 2, "{t:#?}");
    assert!(t.iter().all(|p| point(p).x() > 115.015));
}

#[test]
fn duplicate_codes_and_codes_in_use() {
    let mut d = draft();
    d.grids[1].code = d.grids[0].code.clone();
    let p = only(&run(&d), ProblemKind::DuplicateCode).clone();
    assert_eq!(p.grids, vec![format!("{V}001")]);
    assert!(near(&p, 115.01, 40.0), "the second grid's first vertex: {p:?}");
    assert!(p.message.contains("网格001、网格002"), "both names: {}", p.message);
    let mut d = draft();
    d.outside_codes.insert(format!("{V}003"));
    assert_eq!(only(&run(&d), ProblemKind::CodeInUse).grids, vec![format!("{V}003")]);
}

#[test]
fn bad_codes() {
    for (code, kind) in [("13073010000101", GridKind::Rural), ("130730100002001", GridKind::Rural), ("13073010000100A", GridKind::Community), ("130730100001Z1A", GridKind::StreetUnit), ("130730100001001", GridKind::StreetUnit)] {
        let g = DraftGrid { code: code.into(), kind, ..grid("001", kind, mp(rect(0.0, 0.0, 1.0, 1.0))) };
        assert!(codes::code_fault(&g).is_some(), "{code} as {kind:?}");
    }
    let mut d = draft();
    d.grids[2].code = format!("{V}03");
    let p = only(&run(&d), ProblemKind::BadCode).clone();
    assert!(near(&p, 115.0, 40.01));
    let mut d = draft();
    d.grids[2].township_code = "130730101".into();
    d.townships.push(Division { code: "130730101".into(), geometry: d.townships[0].geometry.clone() });
    assert_eq!(only(&run(&d), ProblemKind::InconsistentDivision).grids, vec![format!("{V}003")]);
    let mut d = draft();
    d.villages.clear();
    assert_eq!(only(&run(&d), ProblemKind::UnknownDivision).grids.len(), 1);
}

#[test]
fn nan_refuses_the_draft_before_anything_else() {
    let mut d = draft();
    d.grids[0].geometry = mp(polygon![(x: 115.0, y: 40.0), (x: 115.01, y: 40.0), (x: f64::NAN, y: 40.01), (x: 115.0, y: 40.01), (x: 115.0, y: 40.0)]);
    d.grids[1].code = d.grids[0].code.clone(); // would be a duplicate: not reported
    let r = run(&d);
    assert_eq!(r.problems.len(), 1, "{r:#?}");
    let p = only(&r, ProblemKind::NonFiniteCoordinate);
    assert!(near(p, 115.01, 40.0), "the vertex before: {p:?}");
    let mut d = draft();
    d.area[0].geometry = mp(rect(115.0, 40.0, f64::INFINITY, 40.02));
    assert_eq!(only(&run(&d), ProblemKind::NonFiniteCoordinate).grids, Vec::<String>::new());
}

#[test]
fn coordinates_out_of_range_and_short_rings() {
    let mut d = draft();
    d.grids[0].geometry = mp(rect(115.0, 40.0, 195.0, 40.01));
    let r = run(&d);
    let p = r.of_kind(ProblemKind::CoordinateOutOfRange).next().unwrap();
    assert_eq!(point(p).x(), 195.0);
    let mut d = draft();
    d.grids[0].geometry = mp(Polygon::new(LineString::from(vec![(115.0, 40.0), (115.01, 40.0), (115.0, 40.0)]), vec![]));
    assert!(run(&d).of_kind(ProblemKind::TooFewPoints).count() == 1);
    let mut d = draft();
    d.grids[0].geometry = MultiPolygon(vec![]);
    assert!(run(&d).of_kind(ProblemKind::TooFewPoints).count() == 1);
}

#[test]
fn repeated_points_are_a_warning_only() {
    let mut d = draft();
    d.grids[0].geometry = mp(polygon![(x: 115.0, y: 40.0), (x: 115.01, y: 40.0), (x: 115.01, y: 40.0), (x: 115.01, y: 40.01), (x: 115.0, y: 40.01), (x: 115.0, y: 40.0)]);
    let r = run(&d);
    assert!(r.is_publishable(), "{r:#?}");
    let p = r.of_kind(ProblemKind::RepeatedPoint).next().unwrap();
    assert!(near(p, 115.01, 40.0));
    assert_eq!(p.severity, Severity::Warning);
}

#[test]
fn holes_rings_and_parts() {
    let shell = rect(115.0, 40.0, 115.01, 40.01).exterior().clone();
    // A hole crossing the shell.
    let hole = rect(115.008, 40.004, 115.012, 40.006).exterior().clone();
    let g = mp(Polygon::new(shell.clone(), vec![hole]));
    let mut out = vec![];
    assert!(!simple::check("x", &g, &Options::default(), &mut out));
    assert_eq!(out[0].kind, ProblemKind::RingsIntersect);
    assert!((point(&out[0]).x() - 115.01).abs() < 1e-12);
    // A hole outside the shell.
    let hole = rect(115.02, 40.004, 115.03, 40.006).exterior().clone();
    let mut out = vec![];
    assert!(!simple::check("x", &mp(Polygon::new(shell.clone(), vec![hole])), &Options::default(), &mut out));
    assert_eq!(out[0].kind, ProblemKind::HoleOutsideShell);
    // A hole in a hole.
    let holes = vec![rect(115.002, 40.002, 115.008, 40.008).exterior().clone(), rect(115.004, 40.004, 115.006, 40.006).exterior().clone()];
    let mut out = vec![];
    assert!(!simple::check("x", &mp(Polygon::new(shell.clone(), holes)), &Options::default(), &mut out));
    assert_eq!(out[0].kind, ProblemKind::HoleOutsideShell);
    // Two parts, one inside the other; an island in a hole is fine.
    let mut out = vec![];
    let parts = MultiPolygon(vec![rect(115.0, 40.0, 115.01, 40.01), rect(115.004, 40.004, 115.006, 40.006)]);
    assert!(!simple::check("x", &parts, &Options::default(), &mut out));
    assert_eq!(out[0].kind, ProblemKind::PartsOverlap);
    let with_hole = Polygon::new(shell, vec![rect(115.002, 40.002, 115.008, 40.008).exterior().clone()]);
    let island = MultiPolygon(vec![with_hole, rect(115.004, 40.004, 115.006, 40.006)]);
    let mut out = vec![];
    assert!(simple::check("x", &island, &Options::default(), &mut out), "{out:#?}");
}

#[test]
fn street_unit_outside_its_parent_and_bad_parents() {
    let mut d = draft();
    d.grids[4].geometry = mp(rect(115.009, 40.002, 115.011, 40.004));
    let p = only(&run(&d), ProblemKind::OutsideParent).clone();
    assert_eq!(p.grids, vec![format!("{V}Z01"), format!("{V}001")]);
    assert!(point(&p).x() > 115.01);
    for parent in [None, Some(format!("{V}009"))] {
        let mut d = draft();
        d.grids[4].parent_grid = parent;
        assert_eq!(only(&run(&d), ProblemKind::BadParent).grids, vec![format!("{V}Z01")]);
    }
    let mut d = draft();
    d.grids[0].kind = GridKind::Rural;
    assert_eq!(only(&run(&d), ProblemKind::BadParent).grids, vec![format!("{V}Z01")]);
    let mut d = draft();
    d.grids[1].parent_grid = Some(format!("{V}001"));
    assert_eq!(only(&run(&d), ProblemKind::BadParent).grids, vec![format!("{V}002")]);
}

#[test]
fn too_small() {
    let mut d = draft();
    // 0.0005° × 0.0005° ≈ 43 m × 56 m ≈ 0.0024 km² < 0.005 km².
    let tiny = rect(115.0, 40.0, 115.0005, 40.0005);
    d.grids[0].geometry = mp(tiny.clone());
    d.grids.truncate(1);
    d.area[0].geometry = mp(tiny.clone());
    d.villages[0].geometry = mp(tiny);
    let p = only(&run(&d), ProblemKind::TooSmall).clone();
    assert!((area_km2(p.location.geometry.as_ref().unwrap()) - 0.0024).abs() < 0.0002);
    assert!(point(&p).x() > 115.0 && point(&p).x() < 115.0005);
}

#[test]
fn a_star_with_many_crossings_reports_a_few_and_stops() {
    // The star polygon {1001/2}: every edge crosses two others.
    let n = 1001;
    let pts: Vec<(f64, f64)> = (0..=n)
        .map(|k| {
            let a = std::f64::consts::TAU * (2 * k % n) as f64 / n as f64;
            (115.0 + 0.01 * a.cos(), 40.0 + 0.01 * a.sin())
        })
        .collect();
    let g = mp(Polygon::new(LineString::from(pts), vec![]));
    let mut out = vec![];
    assert!(!simple::check("x", &g, &Options::default(), &mut out));
    assert_eq!(out.len(), Options::default().max_problems_per_grid);
    assert!(out.iter().all(|p| p.kind == ProblemKind::SelfIntersection));
    let budget = Options { max_edge_pairs: 5, ..Options::default() };
    let mut out = vec![];
    assert!(!simple::check("x", &g, &budget, &mut out));
    assert_eq!(out.last().map(|p| p.kind), Some(ProblemKind::TooComplex));
}
