//! Splitting a grid in two along a line drawn across it (the editor's 拆分).

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Why a grid cannot be split by a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Only a grid of one part without holes is split by a line.
    #[error("only a grid of one part without holes can be split by a line")]
    NotSimple,
    /// The line must cross the grid's boundary exactly twice.
    #[error("the line crosses the grid's boundary {0} times; draw it across the grid once, from outside to outside")]
    Crossings(usize),
    /// A coordinate is not a finite number.
    #[error("a coordinate is not a finite number")]
    NotFinite,
}

/// Where the line meets the ring: along the line (segment index + fraction), along the ring
/// (edge index + fraction), and the point.
#[derive(Debug, Clone, Copy)]
struct Hit {
    along_line: f64,
    edge: usize,
    along_edge: f64,
    at: Coord<f64>,
}

/// Splits `grid` along `line` into two polygons that share the cut. The line must start and
/// end outside the grid and cross its boundary exactly twice.
///
/// ```
/// use geo_types::{line_string, polygon, MultiPolygon};
/// use wangge_core::draft::split;
/// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0), (x: 0.0, y: 0.0)]]);
/// let (a, b) = split(&square, &line_string![(x: 1.0, y: -1.0), (x: 1.0, y: 3.0)]).unwrap();
/// use geo::Area;
/// assert!((a.unsigned_area() - 2.0).abs() < 1e-12 && (b.unsigned_area() - 2.0).abs() < 1e-12);
/// ```
pub fn split(grid: &MultiPolygon<f64>, line: &LineString<f64>) -> Result<(Polygon<f64>, Polygon<f64>), SplitError> {
    let [polygon] = grid.0.as_slice() else { return Err(SplitError::NotSimple) };
    if !polygon.interiors().is_empty() {
        return Err(SplitError::NotSimple);
    }
    let finite = |c: &Coord<f64>| c.x.is_finite() && c.y.is_finite();
    if !polygon.exterior().0.iter().all(finite) || !line.0.iter().all(finite) {
        return Err(SplitError::NotFinite);
    }
    let ring = &polygon.exterior().0;
    let mut hits: Vec<Hit> = Vec::new();
    for (s, seg) in line.0.windows(2).enumerate() {
        for (e, edge) in ring.windows(2).enumerate() {
            if let Some((t, u, at)) = intersect(seg[0], seg[1], edge[0], edge[1]) {
                let hit = Hit { along_line: s as f64 + t, edge: e, along_edge: u, at };
                // A crossing exactly at a vertex is found on both of its edges: keep one.
                if !hits.iter().any(|h| (h.at.x - at.x).abs() < 1e-12 && (h.at.y - at.y).abs() < 1e-12) {
                    hits.push(hit);
                }
            }
        }
    }
    let [first, second] = match hits.as_mut_slice() {
        [a, b] => {
            if a.along_line > b.along_line {
                std::mem::swap(a, b);
            }
            [*a, *b]
        }
        other => return Err(SplitError::Crossings(other.len())),
    };
    // The drawn line's vertices strictly between the two crossings.
    let inner: Vec<Coord<f64>> = line
        .0
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as f64) > first.along_line && (*i as f64) < second.along_line)
        .map(|(_, c)| *c)
        .collect();
    let n = ring.len() - 1;
    let walk = |from: &Hit, to: &Hit| -> Vec<Coord<f64>> {
        let mut out = Vec::new();
        let mut k = from.edge;
        let same_edge_ahead = from.edge == to.edge && from.along_edge <= to.along_edge;
        if same_edge_ahead {
            return out;
        }
        loop {
            k = (k + 1) % n;
            out.push(ring[k]);
            if k == to.edge {
                return out;
            }
        }
    };
    let mut a = vec![first.at];
    a.extend(walk(&first, &second));
    a.push(second.at);
    a.extend(inner.iter().rev().copied());
    a.push(first.at);
    let mut b = vec![second.at];
    b.extend(walk(&second, &first));
    b.push(first.at);
    b.extend(inner.iter().copied());
    b.push(second.at);
    Ok((Polygon::new(LineString(a), vec![]), Polygon::new(LineString(b), vec![])))
}

/// Where segments `p0→p1` and `q0→q1` cross: the fractions along each and the point.
fn intersect(p0: Coord<f64>, p1: Coord<f64>, q0: Coord<f64>, q1: Coord<f64>) -> Option<(f64, f64, Coord<f64>)> {
    let r = p1 - p0;
    let s = q1 - q0;
    let denom = r.x * s.y - r.y * s.x;
    if denom == 0.0 {
        return None;
    }
    let d = q0 - p0;
    let t = (d.x * s.y - d.y * s.x) / denom;
    let u = (d.x * r.y - d.y * r.x) / denom;
    if (0.0..=1.0).contains(&t) && (0.0..1.0).contains(&u) {
        Some((t, u, Coord { x: p0.x + t * r.x, y: p0.y + t * r.y }))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use geo::{Area, BooleanOps, Contains};
    use geo_types::{line_string, point, polygon};

    use super::*;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0), (x: 0.0, y: 0.0)]])
    }

    #[test]
    fn a_bent_line_splits_into_two_parts_that_tile_the_grid() {
        let line = line_string![(x: -1.0, y: 0.5), (x: 1.0, y: 0.5), (x: 1.0, y: 1.5), (x: 3.0, y: 1.5)];
        let (a, b) = split(&square(), &line).unwrap();
        let total = a.unsigned_area() + b.unsigned_area();
        assert!((total - 4.0).abs() < 1e-12, "{total}");
        assert!((a.unsigned_area() - 2.0).abs() < 1e-12);
        let overlap = MultiPolygon(vec![a.clone()]).intersection(&MultiPolygon(vec![b.clone()])).unsigned_area();
        assert!(overlap < 1e-12);
        let inside_a = a.contains(&point!(x: 0.5, y: 1.5)) || b.contains(&point!(x: 0.5, y: 1.5));
        assert!(inside_a);
    }

    #[test]
    fn lines_that_do_not_cross_twice_are_refused() {
        assert_eq!(split(&square(), &line_string![(x: -1.0, y: 1.0), (x: 1.0, y: 1.0)]), Err(SplitError::Crossings(1)));
        assert_eq!(split(&square(), &line_string![(x: -1.0, y: 3.0), (x: 3.0, y: 3.0)]), Err(SplitError::Crossings(0)));
        let zigzag = line_string![(x: -1.0, y: 0.5), (x: 3.0, y: 0.5), (x: 3.0, y: 1.5), (x: -1.0, y: 1.5)];
        assert_eq!(split(&square(), &zigzag), Err(SplitError::Crossings(4)));
        let nan = line_string![(x: f64::NAN, y: 0.5), (x: 3.0, y: 0.5)];
        assert_eq!(split(&square(), &nan), Err(SplitError::NotFinite));
    }
}
