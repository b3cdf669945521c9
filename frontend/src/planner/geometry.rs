//! Plane geometry on a draft's GeoJSON polygons (lon/lat taken as plane coordinates, which is
//! exact enough for the shapes of one village): exact shared-vertex welding and the dissolve
//! of two grids that share edges.

use std::collections::HashMap;

use serde_json::{json, Value};

/// A point `[lon, lat]`.
pub type Point = [f64; 2];
/// A closed ring (first point = last point).
pub type Ring = Vec<Point>;
/// Polygons, each an outer ring then its holes.
pub type Multi = Vec<Vec<Ring>>;

/// How far (in degrees, ~0.1 mm) a point may be from a segment and still lie on it.
const ON_SEGMENT: f64 = 1e-9;

/// Reads a GeoJSON Polygon or MultiPolygon.
pub fn read(geometry: &Value) -> Option<Multi> {
    let coords = geometry.get("coordinates")?;
    match geometry.get("type")?.as_str()? {
        "Polygon" => Some(vec![polygon(coords)?]),
        "MultiPolygon" => coords.as_array()?.iter().map(polygon).collect(),
        _ => None,
    }
}

fn polygon(v: &Value) -> Option<Vec<Ring>> {
    v.as_array()?.iter().map(|ring| ring.as_array()?.iter().map(point).collect()).collect()
}

fn point(v: &Value) -> Option<Point> {
    Some([v.get(0)?.as_f64()?, v.get(1)?.as_f64()?])
}

/// Writes a GeoJSON MultiPolygon.
pub fn write(m: &Multi) -> Value {
    json!({"type": "MultiPolygon", "coordinates": m})
}

/// Twice the signed area of a ring (positive: counter-clockwise).
pub fn signed_area(ring: &[Point]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

/// Every vertex of a geometry.
pub fn vertices(m: &Multi) -> impl Iterator<Item = Point> + '_ {
    m.iter().flatten().flatten().copied()
}

/// The point of the segment `a`–`b` nearest to `p`, and how far along it it lies (0 at `a`,
/// 1 at `b`).
pub fn nearest_on_segment(p: Point, a: Point, b: Point) -> (Point, f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return (a, 0.0);
    }
    let t = ((dx * (p[0] - a[0]) + dy * (p[1] - a[1])) / len2).clamp(0.0, 1.0);
    ([a[0] + t * dx, a[1] + t * dy], t)
}

/// Whether `p` lies strictly inside the segment `a`–`b` (not on its ends).
fn on_segment(p: Point, a: Point, b: Point) -> bool {
    if p == a || p == b {
        return false;
    }
    let (q, t) = nearest_on_segment(p, a, b);
    t > 0.0 && t < 1.0 && (p[0] - q[0]).hypot(p[1] - q[1]) <= ON_SEGMENT
}

/// Inserts each of `points` into the edges of `m` it lies on (so that a neighbour cut by a
/// split shares the cut's end points exactly). Answers whether anything changed.
pub fn weld(m: &mut Multi, points: &[Point]) -> bool {
    let mut changed = false;
    for ring in m.iter_mut().flatten() {
        let mut out: Ring = Vec::with_capacity(ring.len());
        for w in ring.windows(2) {
            out.push(w[0]);
            let mut inside: Vec<Point> = points.iter().copied().filter(|&p| on_segment(p, w[0], w[1])).collect();
            let along = |p: &Point| (p[0] - w[0][0]).abs() + (p[1] - w[0][1]).abs();
            inside.sort_by(|p, q| along(p).total_cmp(&along(q)));
            inside.dedup();
            changed |= !inside.is_empty();
            out.extend(inside);
        }
        out.extend(ring.last().copied());
        *ring = out;
    }
    changed
}

/// Removes consecutive repeated points of every ring (a vertex dragged onto its neighbour).
pub fn dedup(m: &mut Multi) {
    for ring in m.iter_mut().flatten() {
        ring.dedup();
    }
}

type Key = (u64, u64);

fn key(p: Point) -> Key {
    (p[0].to_bits(), p[1].to_bits())
}

/// The union of two geometries that share whole edges: the shared edges are removed and the
/// rest chained into rings. `None` when they share no edge (not adjacent) or the edges do not
/// chain into closed rings.
pub fn dissolve(a: &Multi, b: &Multi) -> Option<Multi> {
    let mut a = a.clone();
    let mut b = b.clone();
    let (va, vb): (Vec<Point>, Vec<Point>) = (vertices(&a).collect(), vertices(&b).collect());
    weld(&mut a, &vb);
    weld(&mut b, &va);
    let mut edges: Vec<(Point, Point)> = Vec::new();
    for poly in a.iter().chain(b.iter()) {
        for (i, ring) in poly.iter().enumerate() {
            let mut ring = ring.clone();
            ring.dedup();
            // Outer rings counter-clockwise, holes clockwise: shared edges then run opposite.
            if (signed_area(&ring) > 0.0) != (i == 0) {
                ring.reverse();
            }
            edges.extend(ring.windows(2).map(|w| (w[0], w[1])));
        }
    }
    let before = edges.len();
    let mut count: HashMap<(Key, Key), usize> = HashMap::new();
    for (p, q) in &edges {
        *count.entry((key(*p), key(*q))).or_default() += 1;
    }
    edges.retain(|(p, q)| !count.contains_key(&(key(*q), key(*p))));
    if edges.len() == before {
        return None;
    }
    let rings = chain(edges)?;
    Some(assemble(rings))
}

/// Chains directed edges into closed rings.
fn chain(edges: Vec<(Point, Point)>) -> Option<Vec<Ring>> {
    let mut from: HashMap<Key, Vec<Point>> = HashMap::new();
    for (p, q) in &edges {
        from.entry(key(*p)).or_default().push(*q);
    }
    let mut rings = Vec::new();
    while let Some((&start_key, _)) = from.iter().find(|(_, v)| !v.is_empty()) {
        let start = edges.iter().find(|(p, _)| key(*p) == start_key)?.0;
        let mut ring = vec![start];
        let mut at = start;
        loop {
            let next = from.get_mut(&key(at))?.pop()?;
            ring.push(next);
            at = next;
            if key(at) == start_key {
                break;
            }
            if ring.len() > edges.len() + 1 {
                return None;
            }
        }
        rings.push(ring);
    }
    Some(rings)
}

/// Outer rings (counter-clockwise) with the holes (clockwise) that lie inside them.
fn assemble(rings: Vec<Ring>) -> Multi {
    let (outers, holes): (Vec<Ring>, Vec<Ring>) = rings.into_iter().partition(|r| signed_area(r) > 0.0);
    let mut polys: Multi = outers.into_iter().map(|r| vec![r]).collect();
    for hole in holes {
        let inside = polys.iter_mut().find(|p| contains(&p[0], hole[0]));
        if let Some(p) = inside {
            p.push(hole);
        }
    }
    polys
}

/// Whether a point is inside a ring (even-odd rule).
pub fn contains(ring: &[Point], p: Point) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, x1: f64) -> Multi {
        vec![vec![vec![[x0, 0.0], [x1, 0.0], [x1, 1.0], [x0, 1.0], [x0, 0.0]]]]
    }

    #[test]
    fn two_squares_dissolve_into_one_rectangle() {
        let m = dissolve(&square(0.0, 1.0), &square(1.0, 2.0)).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].len(), 1);
        assert!((signed_area(&m[0][0]) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn squares_apart_do_not_dissolve() {
        assert!(dissolve(&square(0.0, 1.0), &square(2.0, 3.0)).is_none());
    }

    #[test]
    fn the_nearest_point_of_a_segment_is_the_foot_or_an_end() {
        let (a, b) = ([0.0, 0.0], [2.0, 0.0]);
        assert_eq!(nearest_on_segment([0.5, 1.0], a, b), ([0.5, 0.0], 0.25));
        assert_eq!(nearest_on_segment([-1.0, 1.0], a, b), (a, 0.0), "before the start: the start");
        assert_eq!(nearest_on_segment([3.0, -2.0], a, b), (b, 1.0), "past the end: the end");
        assert_eq!(nearest_on_segment([5.0, 5.0], a, a), (a, 0.0), "a point-like segment");
        let (q, t) = nearest_on_segment([115.5, 40.5], [115.0, 40.0], [116.0, 41.0]);
        assert!((q[0] - 115.5).abs() < 1e-12 && (q[1] - 40.5).abs() < 1e-12 && (t - 0.5).abs() < 1e-12);
        assert!(on_segment(q, [115.0, 40.0], [116.0, 41.0]), "the foot lies on the segment");
    }

    #[test]
    fn a_point_on_an_edge_is_welded_in() {
        let mut m = square(0.0, 1.0);
        assert!(weld(&mut m, &[[1.0, 0.5]]));
        assert_eq!(m[0][0][2], [1.0, 0.5]);
        assert!(!weld(&mut m, &[[3.0, 0.5]]));
    }
}
