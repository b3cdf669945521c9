//! Exact point-in-polygon with a horizontal-stripe edge index (in the manner of tg's ystripes).
//!
//! The test is the crossing-number test with half-open rules and an exact orientation
//! predicate. It decides membership for the perturbed point `p + (δ, ε)` with
//! `0 < ε ≪ δ` infinitesimal, so in a partition of the plane every point belongs to exactly
//! one face: a point on a shared edge goes to the face just east of it, and a point on an
//! east–west edge to the face just north of it.

use geo_types::{Coord, LineString, MultiPolygon};

/// An edge whose endpoints are ordered bottom to top (`a.y <= b.y`).
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
}

/// A (multi)polygon prepared for fast exact containment tests.
#[derive(Debug, Clone)]
pub(crate) struct IndexedPolygon {
    min_y: f64,
    max_y: f64,
    inv_stripe_h: f64,
    /// Offsets into `stripe_edges` and `stripe_flat`, one more than there are stripes.
    stripe_start: Vec<u32>,
    /// Non-horizontal edges (bottom to top) of each stripe, stored inline so one test reads
    /// one contiguous run of memory.
    stripe_edges: Vec<Edge>,
    flat_start: Vec<u32>,
    /// Horizontal edges of each stripe, for on-boundary tests.
    stripe_flat: Vec<Edge>,
    /// Every segment as given, in ring order.
    segments: Vec<(Coord<f64>, Coord<f64>)>,
}

impl IndexedPolygon {
    /// Indexes all rings of `mp`.
    pub(crate) fn new(mp: &MultiPolygon<f64>) -> Self {
        let mut segments = Vec::new();
        for poly in &mp.0 {
            push_ring(&mut segments, poly.exterior());
            for hole in poly.interiors() {
                push_ring(&mut segments, hole);
            }
        }
        let (min_y, max_y) = segments.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (p, q)| {
            (lo.min(p.y).min(q.y), hi.max(p.y).max(q.y))
        });
        // Stripe assignment and lookup use the same monotone function of y, so an edge
        // listed in stripes lo..=hi is found for every y in its span.
        let n = (segments.len() / 4).clamp(1, 4096);
        let height = (max_y - min_y).max(f64::MIN_POSITIVE);
        let inv_stripe_h = n as f64 / height;
        let mut sloped: Vec<Vec<Edge>> = vec![Vec::new(); n];
        let mut flat: Vec<Vec<Edge>> = vec![Vec::new(); n];
        for &(p, q) in &segments {
            let e = if p.y <= q.y { Edge { a: p, b: q } } else { Edge { a: q, b: p } };
            let lo = stripe_of(e.a.y, min_y, inv_stripe_h, n);
            let hi = stripe_of(e.b.y, min_y, inv_stripe_h, n);
            let buckets = if p.y == q.y { &mut flat } else { &mut sloped };
            for bucket in &mut buckets[lo..=hi] {
                bucket.push(e);
            }
        }
        let (stripe_start, stripe_edges) = flatten(sloped);
        let (flat_start, stripe_flat) = flatten(flat);
        Self { min_y, max_y, inv_stripe_h, stripe_start, stripe_edges, flat_start, stripe_flat, segments }
    }

    /// Whether `p` belongs to the polygon under the half-open rule (see the module docs).
    #[inline]
    pub(crate) fn contains(&self, p: Coord<f64>) -> bool {
        if !(p.y >= self.min_y && p.y < self.max_y) {
            return false;
        }
        let n = self.stripe_start.len() - 1;
        let s = stripe_of(p.y, self.min_y, self.inv_stripe_h, n);
        let range = self.stripe_start[s] as usize..self.stripe_start[s + 1] as usize;
        let mut inside = false;
        for e in &self.stripe_edges[range] {
            if e.a.y <= p.y && p.y < e.b.y && left_of(e.a, e.b, p) {
                inside = !inside;
            }
        }
        inside
    }

    /// Whether `p` lies exactly on one of the polygon's edges.
    pub(crate) fn on_boundary(&self, p: Coord<f64>) -> bool {
        if !(p.y >= self.min_y && p.y <= self.max_y) {
            return false;
        }
        let n = self.stripe_start.len() - 1;
        let s = stripe_of(p.y, self.min_y, self.inv_stripe_h, n);
        let sloped = &self.stripe_edges[self.stripe_start[s] as usize..self.stripe_start[s + 1] as usize];
        let flat = &self.stripe_flat[self.flat_start[s] as usize..self.flat_start[s + 1] as usize];
        sloped.iter().chain(flat).any(|e| on_segment(e.a, e.b, p))
    }

    /// All segments of all rings.
    pub(crate) fn segments(&self) -> &[(Coord<f64>, Coord<f64>)] {
        &self.segments
    }
}

fn flatten(buckets: Vec<Vec<Edge>>) -> (Vec<u32>, Vec<Edge>) {
    let mut start = Vec::with_capacity(buckets.len() + 1);
    let mut all = Vec::new();
    for b in buckets {
        start.push(all.len() as u32);
        all.extend(b);
    }
    start.push(all.len() as u32);
    (start, all)
}

fn push_ring(out: &mut Vec<(Coord<f64>, Coord<f64>)>, ring: &LineString<f64>) {
    out.extend(ring.0.windows(2).filter(|w| w[0] != w[1]).map(|w| (w[0], w[1])));
}

#[inline]
fn stripe_of(y: f64, min_y: f64, inv_h: f64, n: usize) -> usize {
    let s = ((y - min_y) * inv_h) as isize;
    s.clamp(0, n as isize - 1) as usize
}

/// `p` strictly left of the upward edge `a → b`, decided exactly.
#[inline]
fn left_of(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    // Fast filter: the error bound of the f64 determinant (Shewchuk's ccwerrboundA).
    let detleft = (a.x - p.x) * (b.y - p.y);
    let detright = (a.y - p.y) * (b.x - p.x);
    let det = detleft - detright;
    // A product is 0.0 only when a factor is exactly 0, and a non-zero product keeps the
    // exact sign of its factors: with either product zero, the sign of `det` is exact.
    // (This is the common case of points on axis-parallel edges.)
    if detleft == 0.0 || detright == 0.0 {
        return det > 0.0;
    }
    let bound = 3.330_669_073_875_471_6e-16 * (detleft.abs() + detright.abs());
    if det > bound {
        return true;
    }
    if det < -bound {
        return false;
    }
    robust::orient2d(to_robust(a), to_robust(b), to_robust(p)) > 0.0
}

fn to_robust(c: Coord<f64>) -> robust::Coord<f64> {
    robust::Coord { x: c.x, y: c.y }
}

/// `p` exactly on the closed segment `a–b`.
pub(crate) fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    let within = p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y);
    within && robust::orient2d(to_robust(a), to_robust(b), to_robust(p)) == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon};

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> IndexedPolygon {
        IndexedPolygon::new(&MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
        ]]))
    }

    #[test]
    fn inside_outside() {
        let sq = square(0.0, 0.0, 1.0, 1.0);
        assert!(sq.contains(coord! { x: 0.5, y: 0.5 }));
        assert!(!sq.contains(coord! { x: 1.5, y: 0.5 }));
        assert!(!sq.contains(coord! { x: 0.5, y: -0.5 }));
    }

    #[test]
    fn shared_edge_goes_to_exactly_one_square() {
        let left = square(0.0, 0.0, 1.0, 1.0);
        let right = square(1.0, 0.0, 2.0, 1.0);
        let below = square(0.0, -1.0, 1.0, 0.0);
        let diag = square(1.0, -1.0, 2.0, 0.0);
        let all = [&left, &right, &below, &diag];
        for p in [
            coord! { x: 1.0, y: 0.5 },
            coord! { x: 0.5, y: 0.0 },
            coord! { x: 1.0, y: 0.0 },
            coord! { x: 1.5, y: 0.0 },
            coord! { x: 1.0, y: -0.5 },
        ] {
            let n = all.iter().filter(|s| s.contains(p)).count();
            assert_eq!(n, 1, "{p:?}");
        }
        // East then north: the shared vertex belongs to the north-east square.
        assert!(right.contains(coord! { x: 1.0, y: 0.0 }));
        assert!(right.contains(coord! { x: 1.0, y: 0.5 }));
        assert!(left.contains(coord! { x: 0.5, y: 0.0 }));
    }

    #[test]
    fn on_boundary_detects_edges() {
        let sq = square(0.0, 0.0, 1.0, 1.0);
        assert!(sq.on_boundary(coord! { x: 1.0, y: 0.3 }));
        assert!(sq.on_boundary(coord! { x: 0.0, y: 0.0 }));
        assert!(!sq.on_boundary(coord! { x: 0.5, y: 0.5 }));
    }
}
