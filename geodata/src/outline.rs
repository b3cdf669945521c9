//! The county outline in lattice units: read from GeoJSON, cleaned of the source's
//! zero-width spikes and pinched loops, oriented counter-clockwise.

use crate::rational::RPoint;
use crate::GenError;

/// Lattice units per degree: the source is quantised to 1/1024°, lattice lines lie on odd
/// multiples of 1/4096°, so no outline vertex or axis-parallel outline edge is ever on one.
pub const UNITS_PER_DEGREE: f64 = 4096.0;

/// A simple, counter-clockwise ring of integer points (not closed: first ≠ last).
#[derive(Debug, Clone)]
pub struct Outline {
    /// Vertices in lattice units relative to `origin`.
    pub ring: Vec<RPoint>,
    /// Whole degrees (lon, lat) at lattice (0, 0).
    pub origin: (f64, f64),
    /// Vertices removed while cleaning.
    pub removed: usize,
}

/// Parses the outline feature collection and cleans it.
pub fn parse(geojson: &str) -> Result<Outline, GenError> {
    let v: serde_json::Value = serde_json::from_str(geojson).map_err(|e| GenError::Input(format!("outline: {e}")))?;
    let ring = v["features"][0]["geometry"]["coordinates"][0]
        .as_array()
        .ok_or_else(|| GenError::Input("outline: expected a Polygon feature".into()))?;
    let mut pts = Vec::with_capacity(ring.len());
    for c in ring {
        let (lon, lat) = (c[0].as_f64(), c[1].as_f64());
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return Err(GenError::Input("outline: bad coordinate".into()));
        };
        pts.push((lon, lat));
    }
    let origin = pts.iter().fold((f64::INFINITY, f64::INFINITY), |o, p| (o.0.min(p.0.floor()), o.1.min(p.1.floor())));
    let mut ring = Vec::with_capacity(pts.len());
    for (lon, lat) in pts {
        let (x, y) = ((lon - origin.0) * UNITS_PER_DEGREE, (lat - origin.1) * UNITS_PER_DEGREE);
        if x.fract() != 0.0 || y.fract() != 0.0 || (x as i64) % 4 != 0 || (y as i64) % 4 != 0 {
            return Err(GenError::Input(format!("outline vertex {lon},{lat} is not on the 1/1024° grid")));
        }
        ring.push(RPoint::int(x as i64, y as i64));
    }
    let before = ring.len();
    let ring = clean(ring)?;
    Ok(Outline { removed: before - 1 - ring.len(), ring, origin })
}

/// Removes the closing vertex, repeated vertices, spikes and pinched loops; orients CCW.
fn clean(mut ring: Vec<RPoint>) -> Result<Vec<RPoint>, GenError> {
    if ring.first() == ring.last() {
        ring.pop();
    }
    loop {
        let n = ring.len();
        if n < 3 {
            return Err(GenError::Input("outline collapsed while cleaning".into()));
        }
        if let Some(i) = (0..n).find(|&i| ring[i] == ring[(i + 1) % n]) {
            ring.remove(i);
            continue;
        }
        // A spike: the ring goes out and comes straight back along the same line.
        if let Some(i) = (0..n).find(|&i| is_spike(ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n])) {
            ring.remove(i);
            continue;
        }
        // A pinched loop: a vertex visited twice; drop the shorter loop.
        if let Some((i, j)) = shortest_loop(&ring) {
            ring.drain(i + 1..=j);
            continue;
        }
        break;
    }
    if signed_area2(&ring) < 0 {
        ring.reverse();
    }
    if let Some((a, b)) = first_crossing(&ring) {
        return Err(GenError::Input(format!("outline edges {a} and {b} cross")));
    }
    Ok(ring)
}

fn is_spike(a: RPoint, b: RPoint, c: RPoint) -> bool {
    let (ab, bc) = ((b.x - a.x, b.y - a.y), (c.x - b.x, c.y - b.y));
    ab.0 * bc.1 - ab.1 * bc.0 == 0 && ab.0 * bc.0 + ab.1 * bc.1 < 0
}

fn shortest_loop(ring: &[RPoint]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut seen = std::collections::HashMap::new();
    for (j, p) in ring.iter().enumerate() {
        if let Some(&i) = seen.get(p) {
            if best.is_none_or(|(bi, bj)| j - i < bj - bi) {
                best = Some((i, j));
            }
        }
        seen.insert(*p, j);
    }
    best
}

/// Twice the signed area (positive for counter-clockwise).
pub fn signed_area2(ring: &[RPoint]) -> i64 {
    let n = ring.len();
    (0..n).map(|i| ring[i].x * ring[(i + 1) % n].y - ring[(i + 1) % n].x * ring[i].y).sum()
}

/// Any two non-adjacent edges that touch or cross (O(n²), fine for a county outline).
fn first_crossing(ring: &[RPoint]) -> Option<(usize, usize)> {
    let n = ring.len();
    let seg = |i: usize| (ring[i], ring[(i + 1) % n]);
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            let ((a, b), (c, d)) = (seg(i), seg(j));
            if segments_touch(a, b, c, d) {
                return Some((i, j));
            }
        }
    }
    None
}

fn segments_touch(a: RPoint, b: RPoint, c: RPoint, d: RPoint) -> bool {
    use crate::rational::orient;
    use std::cmp::Ordering::Equal;
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    let within = |p: RPoint, q: RPoint, r: RPoint| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    (o1 != o2 && o3 != o4 && o1 != Equal && o2 != Equal && o3 != Equal && o4 != Equal)
        || (o1 == Equal && within(a, b, c))
        || (o2 == Equal && within(a, b, d))
        || (o3 == Equal && within(c, d, a))
        || (o4 == Equal && within(c, d, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_spikes_and_loops() {
        let p = |x, y| RPoint::int(x, y);
        // Clockwise square with a spike at (8,0)→(12,0)→(8,0) and a pinched loop at (0,8).
        let ring = vec![
            p(0, 0), p(0, 8), p(-4, 12), p(-4, 8), p(0, 8), p(8, 8), p(8, 0), p(12, 0), p(8, 0), p(0, 0),
        ];
        let clean = clean(ring).unwrap();
        assert_eq!(clean.len(), 4);
        assert!(signed_area2(&clean) > 0);
    }
}
