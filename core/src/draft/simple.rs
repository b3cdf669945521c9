//! Check 2: OGC validity of one grid — rings simple (no bow-tie, loop or spike), rings not
//! crossing, holes inside their shell, parts not overlapping.
//!
//! Edges are found in pairs by an R-tree self-join over their envelopes (robust orientation
//! predicates decide each pair), so the cost follows the number of nearby edge pairs, not the
//! square of the vertex count; a work budget stops a hostile geometry.

use geo::{Coord, MultiPolygon};
use robust::{orient2d, Coord as RCoord};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{Envelope, RTree, RTreeObject, AABB};

use super::{Location, Options, Problem, ProblemKind};

/// One edge: its ends and where it sits (polygon, ring, position in the ring, ring's edge count).
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
    poly: u32,
    ring: u32,
    pos: u32,
    len: u32,
}

/// What one pair of edges does wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    /// Within one ring: cross, touch or overlap (bow-tie, loop, spike).
    SelfIntersection(Coord<f64>, &'static str),
    /// Two rings cross or share a stretch.
    RingsIntersect(Coord<f64>, &'static str),
}

type Node = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Checks one grid; false if it is invalid (problems pushed to `out`).
pub(super) fn check(code: &str, g: &MultiPolygon<f64>, options: &Options, out: &mut Vec<Problem>) -> bool {
    let edges = edges(g);
    let tree = RTree::bulk_load(edges.iter().enumerate().map(|(i, e)| node(e, i)).collect::<Vec<_>>());
    let mut budget = options.max_edge_pairs;
    let mut found = 0;
    for (s, t) in tree.intersection_candidates_with_other_tree(&tree) {
        if budget == 0 {
            out.push(too_complex(code, options));
            return false;
        }
        budget -= 1;
        if s.data >= t.data {
            continue;
        }
        if let Some(d) = classify(&edges[s.data as usize], &edges[t.data as usize]) {
            found += 1;
            out.push(defect(code, d));
            if found >= options.max_problems_per_grid {
                break;
            }
        }
    }
    found == 0 && containment(code, g, &mut budget, options, out)
}

fn too_complex(code: &str, options: &Options) -> Problem {
    let msg = format!(
        "网格 {code} 过于复杂，无法在限度内校验 (too complex: more than {} candidate edge pairs)",
        options.max_edge_pairs
    );
    Problem::new(ProblemKind::TooComplex, vec![code.to_string()], msg, Location::default())
}

fn defect(code: &str, d: Defect) -> Problem {
    let (kind, p, what, zh) = match d {
        Defect::SelfIntersection(p, what) => (ProblemKind::SelfIntersection, p, what, "自相交 (self-intersection"),
        Defect::RingsIntersect(p, what) => (ProblemKind::RingsIntersect, p, what, "边界环相交 (rings intersect"),
    };
    let msg = format!("网格 {code} {zh}: {what})");
    Problem::new(kind, vec![code.to_string()], msg, Location::at(p.x, p.y))
}

fn edges(g: &MultiPolygon<f64>) -> Vec<Edge> {
    let mut out = Vec::new();
    for (pi, p) in g.0.iter().enumerate() {
        for (ri, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            let mut pts: Vec<Coord<f64>> = ring.0.clone();
            pts.dedup();
            let len = pts.len().saturating_sub(1) as u32;
            for (k, w) in pts.windows(2).enumerate() {
                out.push(Edge { a: w[0], b: w[1], poly: pi as u32, ring: ri as u32, pos: k as u32, len });
            }
        }
    }
    out
}

fn node(e: &Edge, i: usize) -> Node {
    let env = AABB::from_corners([e.a.x, e.a.y], [e.b.x, e.b.y]);
    GeomWithData::new(Rectangle::from_aabb(env), i as u32)
}

fn orient(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    orient2d(RCoord { x: a.x, y: a.y }, RCoord { x: b.x, y: b.y }, RCoord { x: c.x, y: c.y })
}

/// `p` (collinear with `s`) lies within `s`'s bounding box.
fn within(s: &Edge, p: Coord<f64>) -> bool {
    s.a.x.min(s.b.x) <= p.x && p.x <= s.a.x.max(s.b.x) && s.a.y.min(s.b.y) <= p.y && p.y <= s.a.y.max(s.b.y)
}

fn adjacent(s: &Edge, t: &Edge) -> bool {
    s.poly == t.poly
        && s.ring == t.ring
        && (s.pos + 1 == t.pos || t.pos + 1 == s.pos || (s.pos == 0 && t.pos + 1 == s.len) || (t.pos == 0 && s.pos + 1 == t.len))
}

fn classify(s: &Edge, t: &Edge) -> Option<Defect> {
    if adjacent(s, t) {
        return spike(s, t);
    }
    let same_ring = s.poly == t.poly && s.ring == t.ring;
    let make = |p, what| if same_ring { Defect::SelfIntersection(p, what) } else { Defect::RingsIntersect(p, what) };
    let (o1, o2) = (orient(s.a, s.b, t.a), orient(s.a, s.b, t.b));
    let (o3, o4) = (orient(t.a, t.b, s.a), orient(t.a, t.b, s.b));
    if o1 == 0.0 && o2 == 0.0 {
        return collinear(s, t).map(|p| make(p, "boundary runs over itself")).or_else(|| {
            let touch = [t.a, t.b].into_iter().find(|&p| within(s, p));
            touch.filter(|_| same_ring).map(|p| make(p, "ring touches itself"))
        });
    }
    if o1 * o2 < 0.0 && o3 * o4 < 0.0 {
        return Some(make(crossing(s, t), "edges cross"));
    }
    // Touching at a point: invalid within a ring, allowed between rings (OGC).
    if !same_ring {
        return None;
    }
    let touches = [(o1, t.a, s), (o2, t.b, s), (o3, s.a, t), (o4, s.b, t)];
    touches.into_iter().find(|&(o, p, e)| o == 0.0 && within(e, p)).map(|(_, p, _)| make(p, "ring touches itself"))
}

/// Consecutive edges that fold back over each other (a spike).
fn spike(s: &Edge, t: &Edge) -> Option<Defect> {
    let (prev, shared, next) = if s.b == t.a { (s.a, s.b, t.b) } else { (t.a, t.b, s.b) };
    let back = (prev.x - shared.x) * (next.x - shared.x) + (prev.y - shared.y) * (next.y - shared.y) > 0.0;
    (s.len > 2 && orient(prev, shared, next) == 0.0 && back).then_some(Defect::SelfIntersection(shared, "spike: edges fold back"))
}

/// The midpoint of the common stretch of two collinear edges, if it has a length.
fn collinear(s: &Edge, t: &Edge) -> Option<Coord<f64>> {
    let along_x = (s.b.x - s.a.x).abs() >= (s.b.y - s.a.y).abs();
    let key = |c: Coord<f64>| if along_x { c.x } else { c.y };
    let (s0, s1) = (s.a.min_by_key(s.b, key), s.a.max_by_key(s.b, key));
    let (t0, t1) = (t.a.min_by_key(t.b, key), t.a.max_by_key(t.b, key));
    let lo = if key(s0) >= key(t0) { s0 } else { t0 };
    let hi = if key(s1) <= key(t1) { s1 } else { t1 };
    (key(lo) < key(hi)).then(|| Coord { x: (lo.x + hi.x) / 2.0, y: (lo.y + hi.y) / 2.0 })
}

trait MinMax: Sized {
    fn min_by_key(self, other: Self, key: impl Fn(Self) -> f64) -> Self;
    fn max_by_key(self, other: Self, key: impl Fn(Self) -> f64) -> Self;
}

impl MinMax for Coord<f64> {
    fn min_by_key(self, other: Self, key: impl Fn(Self) -> f64) -> Self {
        if key(self) <= key(other) { self } else { other }
    }
    fn max_by_key(self, other: Self, key: impl Fn(Self) -> f64) -> Self {
        if key(self) > key(other) { self } else { other }
    }
}

/// Where two properly crossing edges meet.
fn crossing(s: &Edge, t: &Edge) -> Coord<f64> {
    let (r, q) = (s.b - s.a, t.b - t.a);
    let cross = |u: Coord<f64>, v: Coord<f64>| u.x * v.y - u.y * v.x;
    let k = cross(t.a - s.a, q) / cross(r, q);
    s.a + r * k
}

/// Where a point is with respect to a ring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Side {
    Inside,
    Outside,
    Boundary,
}

/// Point in ring: crossing number with exact orientation tests.
pub(super) fn side(p: Coord<f64>, ring: &[Coord<f64>]) -> Side {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        let o = orient(a, b, p);
        if o == 0.0 && a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) && a.y.min(b.y) <= p.y && p.y <= a.y.max(b.y) {
            return Side::Boundary;
        }
        if (a.y > p.y) != (b.y > p.y) && ((o > 0.0) == (b.y > a.y)) {
            inside = !inside;
        }
    }
    if inside { Side::Inside } else { Side::Outside }
}

/// A point of `ring` that is not on `other`'s boundary, with its side of `other`.
fn sample(ring: &[Coord<f64>], other: &[Coord<f64>], budget: &mut usize) -> Option<(Coord<f64>, Side)> {
    let mids = ring.windows(2).map(|w| (w[0] + w[1]) / 2.0);
    for p in ring.iter().copied().chain(mids).take(8) {
        let Some(left) = budget.checked_sub(other.len()) else {
            *budget = 0;
            return None;
        };
        *budget = left;
        let s = side(p, other);
        if s != Side::Boundary {
            return Some((p, s));
        }
    }
    None
}

/// Holes inside their shell and not inside each other; parts not inside each other.
/// Called only when no edges cross, so one sample point per ring decides.
fn containment(code: &str, g: &MultiPolygon<f64>, budget: &mut usize, options: &Options, out: &mut Vec<Problem>) -> bool {
    let bad = |kind, p: Coord<f64>, zh: &str, en: &str| {
        let msg = format!("网格 {code} {zh} ({en})");
        Problem::new(kind, vec![code.to_string()], msg, Location::at(p.x, p.y))
    };
    let before = out.len();
    for p in &g.0 {
        let shell = &p.exterior().0;
        for hole in p.interiors() {
            match sample(&hole.0, shell, budget) {
                Some((pt, Side::Outside)) => out.push(bad(ProblemKind::HoleOutsideShell, pt, "洞在外环之外", "hole outside its shell")),
                None if *budget == 0 => out.push(too_complex(code, options)),
                _ => {}
            }
        }
        nested(p.interiors().iter().map(|r| &r.0[..]), budget, |pt| {
            out.push(bad(ProblemKind::HoleOutsideShell, pt, "洞在另一个洞之内", "hole inside another hole"));
        });
    }
    let parts: Vec<&[Coord<f64>]> = g.0.iter().map(|p| &p.exterior().0[..]).collect();
    for_nested_pairs(&parts, budget, |_, j, pt| {
        // Part i inside part j's shell: an overlap unless it sits in one of j's holes.
        let in_hole = g.0[j].interiors().iter().any(|h| side(pt, &h.0) != Side::Outside);
        if !in_hole {
            out.push(bad(ProblemKind::PartsOverlap, pt, "的多个部分重叠", "parts of the grid overlap"));
        }
    });
    out.len() == before
}

fn nested<'a>(rings: impl Iterator<Item = &'a [Coord<f64>]>, budget: &mut usize, mut report: impl FnMut(Coord<f64>)) {
    let rings: Vec<&[Coord<f64>]> = rings.collect();
    for_nested_pairs(&rings, budget, |_, _, pt| report(pt));
}

/// Calls `f(i, j, point)` for each pair where ring `i` has a point inside ring `j`
/// (candidates by envelope containment).
fn for_nested_pairs(rings: &[&[Coord<f64>]], budget: &mut usize, mut f: impl FnMut(usize, usize, Coord<f64>)) {
    if rings.len() < 2 {
        return;
    }
    let envs: Vec<AABB<[f64; 2]>> = rings
        .iter()
        .map(|r| AABB::from_points(r.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>().iter()))
        .collect();
    let tree = RTree::bulk_load(envs.iter().enumerate().map(|(i, e)| GeomWithData::new(Rectangle::from_aabb(*e), i)).collect::<Vec<_>>());
    for (i, env) in envs.iter().enumerate() {
        for cand in tree.locate_in_envelope_intersecting(env) {
            let j = cand.data;
            if i == j || !cand.envelope().contains_envelope(env) {
                continue;
            }
            if let Some((pt, Side::Inside)) = sample(rings[i], rings[j], budget) {
                f(i, j, pt);
            }
        }
    }
}
