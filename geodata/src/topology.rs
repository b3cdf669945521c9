//! The partition as a planar graph: every boundary piece is stored once and both faces use
//! it, so neighbouring polygons share bit-identical edges. Faces are traced per level
//! (grids, villages, townships) from the same graph.

use std::cmp::Ordering;
use std::collections::HashMap;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use crate::grow::FREE;
use crate::lattice::Lattice;
use crate::rational::{orient, RPoint};
use crate::GenError;

/// One boundary piece `a → b` with the cells on its left and right (`None` = outside).
#[derive(Debug, Clone, Copy)]
struct Piece {
    a: u32,
    b: u32,
    dir: (i64, i64),
    left: Option<usize>,
    right: Option<usize>,
}

/// Every piece of boundary between cells of different grids, and the county outline.
#[derive(Debug)]
pub struct Graph {
    verts: Vec<RPoint>,
    pieces: Vec<Piece>,
    /// Number of pieces at each vertex at the finest level.
    degree: Vec<u32>,
}

impl Graph {
    /// Builds the graph of grid boundaries from per-cell grid labels.
    pub fn build(lat: &Lattice, grid_of: &[u32]) -> Result<Self, GenError> {
        let mut g = Self { verts: Vec::new(), pieces: Vec::new(), degree: Vec::new() };
        let mut ids: HashMap<RPoint, u32> = HashMap::new();
        for &(a, b, cell) in &lat.pieces {
            let dir = (b.x * a.d - a.x * b.d, b.y * a.d - a.y * b.d);
            g.add(&mut ids, a, b, reduce(dir), Some(lat.id(cell)), None);
        }
        for i in 1..lat.nx {
            for j in 0..lat.ny {
                let (l, r) = (lat.id((i - 1, j)), lat.id((i, j)));
                if grid_of[l] != grid_of[r] {
                    for (a, b) in lat.inside_pieces_v(i, j) {
                        check_labelled(grid_of, l, r, a)?;
                        g.add(&mut ids, a, b, (0, 1), Some(l), Some(r));
                    }
                }
            }
        }
        for j in 1..lat.ny {
            for i in 0..lat.nx {
                let (up, down) = (lat.id((i, j)), lat.id((i, j - 1)));
                if grid_of[up] != grid_of[down] {
                    for (a, b) in lat.inside_pieces_h(i, j) {
                        check_labelled(grid_of, up, down, a)?;
                        g.add(&mut ids, a, b, (1, 0), Some(up), Some(down));
                    }
                }
            }
        }
        Ok(g)
    }

    fn add(&mut self, ids: &mut HashMap<RPoint, u32>, a: RPoint, b: RPoint, dir: (i64, i64), left: Option<usize>, right: Option<usize>) {
        let mut id = |p: RPoint, g: &mut Self| {
            *ids.entry(p).or_insert_with(|| {
                g.verts.push(p);
                g.degree.push(0);
                (g.verts.len() - 1) as u32
            })
        };
        let (ia, ib) = (id(a, self), id(b, self));
        self.degree[ia as usize] += 1;
        self.degree[ib as usize] += 1;
        self.pieces.push(Piece { a: ia, b: ib, dir, left, right });
    }

    /// Traces the faces of one level: pieces whose two sides carry different labels bound
    /// the regions; returns each label's rings (vertex ids, counter-clockwise outers and
    /// clockwise holes, first vertex not repeated).
    pub fn faces(&self, label: &dyn Fn(usize) -> u32) -> HashMap<u32, Vec<Vec<u32>>> {
        // Half-edges: (from, to, dir, face label).
        let mut half: Vec<(u32, u32, (i64, i64), u32)> = Vec::new();
        for p in &self.pieces {
            let (l, r) = (p.left.map(label), p.right.map(label));
            if l == r {
                continue;
            }
            if let Some(l) = l {
                half.push((p.a, p.b, p.dir, l));
            }
            if let Some(r) = r {
                half.push((p.b, p.a, (-p.dir.0, -p.dir.1), r));
            }
        }
        let mut out_start = vec![0u32; self.verts.len() + 1];
        for h in &half {
            out_start[h.0 as usize + 1] += 1;
        }
        for i in 0..self.verts.len() {
            out_start[i + 1] += out_start[i];
        }
        let mut fill = out_start.clone();
        let mut out = vec![0u32; half.len()];
        for (i, h) in half.iter().enumerate() {
            out[fill[h.0 as usize] as usize] = i as u32;
            fill[h.0 as usize] += 1;
        }
        let next = |h: usize| -> usize {
            let (_, v, d, _) = half[h];
            let back = (-d.0, -d.1);
            let cands = &out[out_start[v as usize] as usize..out_start[v as usize + 1] as usize];
            let best = cands.iter().min_by(|&&x, &&y| cw_cmp(back, half[x as usize].2, half[y as usize].2));
            best.map_or(h, |&b| b as usize)
        };
        let mut seen = vec![false; half.len()];
        let mut rings: HashMap<u32, Vec<Vec<u32>>> = HashMap::new();
        for start in 0..half.len() {
            if seen[start] {
                continue;
            }
            let mut ring = Vec::new();
            let mut h = start;
            while !seen[h] {
                seen[h] = true;
                ring.push(half[h].0);
                h = next(h);
            }
            rings.entry(half[start].3).or_default().extend(split_pinches(self.simplify(ring)));
        }
        rings
    }

    /// Drops vertices where only two pieces meet in a straight line (at the finest level, so
    /// every level drops the same ones and shared edges stay identical).
    fn simplify(&self, ring: Vec<u32>) -> Vec<u32> {
        let n = ring.len();
        let keep = |i: usize| {
            let v = ring[i];
            if self.degree[v as usize] != 2 {
                return true;
            }
            let (p, q) = (ring[(i + n - 1) % n], ring[(i + 1) % n]);
            orient(self.verts[p as usize], self.verts[v as usize], self.verts[q as usize]) != Ordering::Equal
        };
        (0..n).filter(|&i| keep(i)).map(|i| ring[i]).collect()
    }

    /// A vertex in floating-point lattice units.
    pub fn point(&self, v: u32) -> (f64, f64) {
        self.verts[v as usize].to_f64()
    }
}

/// Splits a ring that passes through a vertex twice into rings that do not (OGC forbids
/// self-touching rings; the parts become a polygon and a hole touching it, or two polygons).
fn split_pinches(ring: Vec<u32>) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let mut stack = vec![ring];
    while let Some(r) = stack.pop() {
        let mut first = HashMap::new();
        let repeat = r.iter().enumerate().find_map(|(i, &v)| first.insert(v, i).map(|j| (j, i)));
        match repeat {
            None => out.push(r),
            Some((j, i)) => {
                let mut outer = r[..j].to_vec();
                outer.extend_from_slice(&r[i..]);
                stack.push(r[j..i].to_vec());
                stack.push(outer);
            }
        }
    }
    out
}

fn check_labelled(grid_of: &[u32], a: usize, b: usize, at: RPoint) -> Result<(), GenError> {
    if grid_of[a] == FREE || grid_of[b] == FREE {
        return Err(GenError::Topology(format!("unlabelled cell beside an inside lattice edge at {at:?}")));
    }
    Ok(())
}

fn reduce(d: (i64, i64)) -> (i64, i64) {
    let g = gcd(d.0.abs(), d.1.abs()).max(1);
    (d.0 / g, d.1 / g)
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Orders directions `a`, `b` by clockwise angle from `r`, the direction `r` itself last.
fn cw_cmp(r: (i64, i64), a: (i64, i64), b: (i64, i64)) -> Ordering {
    let cross = |u: (i64, i64), v: (i64, i64)| (u.0 as i128 * v.1 as i128 - u.1 as i128 * v.0 as i128).cmp(&0);
    let dot = |u: (i64, i64), v: (i64, i64)| u.0 as i128 * v.0 as i128 + u.1 as i128 * v.1 as i128;
    let half = |d: (i64, i64)| match cross(r, d) {
        Ordering::Less => 0,
        Ordering::Equal if dot(r, d) < 0 => 1,
        Ordering::Greater => 2,
        Ordering::Equal => 3,
    };
    half(a).cmp(&half(b)).then_with(|| cross(a, b))
}

/// Turns each label's rings into a MultiPolygon in degrees: counter-clockwise exteriors with
/// their clockwise holes.
pub fn assemble(graph: &Graph, rings: Vec<Vec<u32>>, to_deg: &dyn Fn((f64, f64)) -> Coord<f64>) -> MultiPolygon<f64> {
    let area = |r: &[u32]| {
        let pts: Vec<(f64, f64)> = r.iter().map(|&v| graph.point(v)).collect();
        let (ox, oy) = pts[0];
        (0..pts.len())
            .map(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                (a.0 - ox) * (b.1 - oy) - (b.0 - ox) * (a.1 - oy)
            })
            .sum::<f64>()
    };
    let (mut outers, mut holes) = (Vec::new(), Vec::new());
    for r in rings {
        if r.len() < 3 {
            continue;
        }
        if area(&r) > 0.0 { outers.push(r) } else { holes.push(r) }
    }
    let mut polys: Vec<(Vec<u32>, Vec<Vec<u32>>)> = outers.into_iter().map(|o| (o, Vec::new())).collect();
    for h in holes {
        let owner = if polys.len() == 1 { Some(0) } else { polys.iter().position(|(o, _)| ring_holds(graph, o, &h)) };
        if let Some(i) = owner {
            polys[i].1.push(h);
        }
    }
    let line = |r: &[u32]| {
        let mut cs: Vec<Coord<f64>> = r.iter().map(|&v| to_deg(graph.point(v))).collect();
        cs.push(cs[0]);
        LineString(cs)
    };
    MultiPolygon(polys.iter().map(|(o, hs)| Polygon::new(line(o), hs.iter().map(|h| line(h)).collect())).collect())
}

/// Whether the outer ring `o` contains hole `h` (tested at a vertex of `h` not on `o`).
fn ring_holds(graph: &Graph, o: &[u32], h: &[u32]) -> bool {
    let Some(&v) = h.iter().find(|v| !o.contains(v)) else { return true };
    let (px, py) = graph.point(v);
    let mut inside = false;
    for i in 0..o.len() {
        let (a, b) = (graph.point(o[i]), graph.point(o[(i + 1) % o.len()]));
        if (a.1 > py) != (b.1 > py) && px < a.0 + (py - a.1) * (b.0 - a.0) / (b.1 - a.1) {
            inside = !inside;
        }
    }
    inside
}

impl Graph {
    /// Number of distinct vertices.
    pub fn vertex_count(&self) -> usize {
        self.verts.len()
    }
}
