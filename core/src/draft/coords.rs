//! Check 1: coordinates finite and within lon/lat, rings closed with at least 4 points,
//! repeated consecutive points (a warning).

use geo::{Coord, LineString, MultiPolygon};

use super::{Draft, DraftGrid, Location, Options, Problem, ProblemKind};

/// Every ring of a geometry.
pub(super) fn rings(g: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    g.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// Reports non-finite coordinates of grids and divisions; false when there is any (the draft
/// is refused before any other check).
pub(super) fn check_finite(draft: &Draft, options: &Options, out: &mut Vec<Problem>) -> bool {
    let before = out.len();
    for g in &draft.grids {
        non_finite(&format!("网格 {}", g.code), Some(&g.code), &g.geometry, options, out);
    }
    let divisions = draft.area.iter().chain(&draft.villages).chain(&draft.townships);
    for d in divisions {
        non_finite(&format!("区划 {}", d.code), None, &d.geometry, options, out);
    }
    out.len() == before
}

fn non_finite(what: &str, code: Option<&str>, g: &MultiPolygon<f64>, options: &Options, out: &mut Vec<Problem>) {
    let mut found = 0;
    for ring in rings(g) {
        for (i, c) in ring.0.iter().enumerate() {
            if c.x.is_finite() && c.y.is_finite() {
                continue;
            }
            found += 1;
            if found > options.max_problems_per_grid {
                return;
            }
            // A NaN cannot be drawn: point at the nearest finite vertex of the same ring.
            let near = nearest_finite(&ring.0, i);
            let location = near.map(|p| Location::at(p.x, p.y)).unwrap_or_default();
            let msg = format!("{what} 坐标无效 (non-finite coordinate) at vertex {i}: ({}, {}), near", c.x, c.y);
            let msg = if near.is_some() { msg } else { msg.trim_end_matches(", near").to_string() };
            out.push(Problem::new(ProblemKind::NonFiniteCoordinate, code.into_iter().map(String::from).collect(), msg, location));
        }
    }
}

fn nearest_finite(ring: &[Coord<f64>], i: usize) -> Option<Coord<f64>> {
    let ok = |c: &&Coord<f64>| c.x.is_finite() && c.y.is_finite();
    let before = ring[..i].iter().rev().find(ok);
    let after = ring.get(i + 1..).and_then(|r| r.iter().find(ok));
    before.or(after).copied()
}

/// Ranges, closure, point counts and repeated points of one grid; false on an error.
pub(super) fn check_grid(g: &DraftGrid, options: &Options, out: &mut Vec<Problem>) -> bool {
    let before = out.iter().filter(|p| p.severity == super::Severity::Error).count();
    shape(&format!("网格 {}", g.code), Some(&g.code), &g.geometry, options, out);
    out.iter().filter(|p| p.severity == super::Severity::Error).count() == before
}

/// Ranges, closure and point counts of the draft's divisions; false on an error.
pub(super) fn check_divisions(draft: &Draft, options: &Options, out: &mut Vec<Problem>) -> bool {
    let before = out.len();
    let divisions = draft.area.iter().chain(&draft.villages).chain(&draft.townships);
    let mut scratch = Vec::new();
    for d in divisions {
        shape(&format!("区划 {}", d.code), None, &d.geometry, options, &mut scratch);
        out.extend(scratch.drain(..).filter(|p| p.kind != ProblemKind::RepeatedPoint));
    }
    out.len() == before
}

fn shape(what: &str, code: Option<&str>, g: &MultiPolygon<f64>, options: &Options, out: &mut Vec<Problem>) {
    let codes = || code.into_iter().map(String::from).collect::<Vec<_>>();
    if g.0.is_empty() {
        out.push(Problem::new(ProblemKind::TooFewPoints, codes(), format!("{what} 没有多边形 (empty geometry)"), Location::default()));
        return;
    }
    let mut out_of_range = 0;
    for ring in rings(g) {
        for c in &ring.0 {
            if (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y) {
                continue;
            }
            out_of_range += 1;
            if out_of_range <= options.max_problems_per_grid {
                let msg = format!("{what} 坐标超出经纬度范围 (coordinate out of lon/lat range)");
                out.push(Problem::new(ProblemKind::CoordinateOutOfRange, codes(), msg, Location::at(c.x, c.y)));
            }
        }
        ring_points(what, &codes(), ring, out);
    }
}

fn ring_points(what: &str, codes: &[String], ring: &LineString<f64>, out: &mut Vec<Problem>) {
    let pts = &ring.0;
    let first = pts.first().map(|c| Location::at(c.x, c.y)).unwrap_or_default();
    if !pts.is_empty() && pts.first() != pts.last() {
        let msg = format!("{what} 环未闭合 (ring not closed)");
        out.push(Problem::new(ProblemKind::TooFewPoints, codes.to_vec(), msg, first.clone()));
    }
    let repeats: Vec<&Coord<f64>> = pts.windows(2).filter(|w| w[0] == w[1]).map(|w| &w[0]).collect();
    if pts.len() - repeats.len() < 4 {
        let msg = format!("{what} 环少于 4 个点 (ring has fewer than 4 points)");
        out.push(Problem::new(ProblemKind::TooFewPoints, codes.to_vec(), msg, first));
    }
    if let Some(c) = repeats.first() {
        let msg = format!("{what} 有 {} 个连续重复点 (repeated consecutive points), first", repeats.len());
        out.push(Problem::new(ProblemKind::RepeatedPoint, codes.to_vec(), msg, Location::at(c.x, c.y)));
    }
}
