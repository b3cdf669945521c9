//! The fine lattice the county is cut into, and where the outline crosses it.
//!
//! Lattice lines lie on odd lattice units (`x = x0 + 2i`, `x0` odd); outline vertices lie on
//! multiples of 4, so every crossing is transversal and inside an outline edge. A crossing may
//! hit a lattice vertex; it is then one point, found from both lines.

use crate::outline::Outline;
use crate::rational::RPoint;

/// Width of a lattice cell in lattice units (1/2048°).
pub const STEP: i64 = 2;

/// Cell index `(col, row)`.
pub type Cell = (usize, usize);

/// The lattice over the outline's bounding box and its intersection with the outline.
#[derive(Debug)]
pub struct Lattice {
    /// x of the first vertical line (odd).
    pub x0: i64,
    /// y of the first horizontal line (odd).
    pub y0: i64,
    /// Number of columns of cells.
    pub nx: usize,
    /// Number of rows of cells.
    pub ny: usize,
    /// Outline crossings on each vertical line (index = column of lines), sorted by y.
    pub vcross: Vec<Vec<RPoint>>,
    /// Outline crossings on each horizontal line, sorted by x.
    pub hcross: Vec<Vec<RPoint>>,
    /// The outline cut at every lattice line: consecutive pieces, each inside one cell.
    pub pieces: Vec<(RPoint, RPoint, Cell)>,
    /// Whether each cell has some area inside the county.
    pub active: Vec<bool>,
}

impl Lattice {
    /// Cuts the outline by the lattice.
    pub fn new(outline: &Outline) -> Self {
        let (minx, maxx, miny, maxy) = outline.ring.iter().fold((i64::MAX, i64::MIN, i64::MAX, i64::MIN), |b, p| {
            (b.0.min(p.x), b.1.max(p.x), b.2.min(p.y), b.3.max(p.y))
        });
        let odd_below = |v: i64| if (v - 3).rem_euclid(2) == 1 { v - 3 } else { v - 4 };
        let (x0, y0) = (odd_below(minx), odd_below(miny));
        let nx = ((maxx - x0) / STEP + 2) as usize;
        let ny = ((maxy - y0) / STEP + 2) as usize;
        let mut lat = Self {
            x0,
            y0,
            nx,
            ny,
            vcross: vec![Vec::new(); nx + 1],
            hcross: vec![Vec::new(); ny + 1],
            pieces: Vec::new(),
            active: vec![false; nx * ny],
        };
        lat.cut(&outline.ring);
        lat.mark_active();
        lat
    }

    /// Row-major position of a cell.
    pub fn id(&self, c: Cell) -> usize {
        c.1 * self.nx + c.0
    }

    /// The cell holding a point strictly inside a cell.
    pub fn cell_of(&self, p: RPoint) -> Cell {
        (p.floor_div_x(self.x0, STEP) as usize, p.floor_div_y(self.y0, STEP) as usize)
    }

    /// x of vertical line `i`.
    pub fn vx(&self, i: usize) -> i64 {
        self.x0 + STEP * i as i64
    }

    /// y of horizontal line `j`.
    pub fn hy(&self, j: usize) -> i64 {
        self.y0 + STEP * j as i64
    }

    fn cut(&mut self, ring: &[RPoint]) {
        let n = ring.len();
        for k in 0..n {
            let (a, b) = (ring[k], ring[(k + 1) % n]);
            let mut pts = self.crossings(a, b);
            // Sort along the edge by the dominant axis, then drop the doubles found at
            // lattice vertices from both lines.
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            pts.sort_by(|p, q| {
                let key = |r: &RPoint| (r.x as i128 * dx as i128 + r.y as i128 * dy as i128, r.d as i128);
                let ((pn, pd), (qn, qd)) = (key(p), key(q));
                (pn * qd).cmp(&(qn * pd))
            });
            pts.dedup();
            let mut prev = a;
            for p in pts.into_iter().chain(std::iter::once(b)) {
                let cell = self.cell_of(prev.mid(p));
                self.pieces.push((prev, p, cell));
                prev = p;
            }
        }
        for list in self.vcross.iter_mut() {
            list.sort_by(|p, q| (p.y as i128 * q.d as i128).cmp(&(q.y as i128 * p.d as i128)));
            list.dedup();
        }
        for list in self.hcross.iter_mut() {
            list.sort_by(|p, q| (p.x as i128 * q.d as i128).cmp(&(q.x as i128 * p.d as i128)));
            list.dedup();
        }
    }

    /// Crossings of edge `a → b` with every lattice line strictly between its ends.
    fn crossings(&mut self, a: RPoint, b: RPoint) -> Vec<RPoint> {
        let mut out = Vec::new();
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        if dx != 0 {
            let (lo, hi) = (a.x.min(b.x), a.x.max(b.x));
            for i in 0..=self.nx {
                let x = self.vx(i);
                if x > lo && x < hi {
                    // y = a.y + (x - a.x) * dy / dx
                    let p = RPoint::new(x * dx, a.y * dx + (x - a.x) * dy, dx);
                    self.vcross[i].push(p);
                    out.push(p);
                }
            }
        }
        if dy != 0 {
            let (lo, hi) = (a.y.min(b.y), a.y.max(b.y));
            for j in 0..=self.ny {
                let y = self.hy(j);
                if y > lo && y < hi {
                    let p = RPoint::new(a.x * dy + (y - a.y) * dx, y * dy, dy);
                    self.hcross[j].push(p);
                    out.push(p);
                }
            }
        }
        out
    }

    /// Whether lattice vertex `(i, j)` is strictly inside the county (by parity along its row).
    pub fn vertex_inside(&self, i: usize, j: usize) -> bool {
        let x = self.vx(i);
        let list = &self.hcross[j];
        let before = list.partition_point(|p| (p.x as i128) < x as i128 * p.d as i128);
        let on = list.get(before).is_some_and(|p| p.x == x * p.d);
        !on && before % 2 == 1
    }

    fn mark_active(&mut self) {
        let mut active = vec![false; self.nx * self.ny];
        let mut inside_v = vec![false; (self.nx + 1) * (self.ny + 1)];
        for j in 0..=self.ny {
            for i in 0..=self.nx {
                inside_v[j * (self.nx + 1) + i] = self.vertex_inside(i, j);
            }
        }
        for r in 0..self.ny {
            for c in 0..self.nx {
                let v = |i: usize, j: usize| inside_v[j * (self.nx + 1) + i];
                active[r * self.nx + c] = v(c, r) || v(c + 1, r) || v(c, r + 1) || v(c + 1, r + 1);
            }
        }
        for &(_, _, cell) in &self.pieces {
            active[cell.1 * self.nx + cell.0] = true;
        }
        self.active = active;
    }

    /// The pieces of vertical line `i` between rows `j` and `j + 1` that lie inside the county.
    pub fn inside_pieces_v(&self, i: usize, j: usize) -> Vec<(RPoint, RPoint)> {
        let x = self.vx(i);
        inside_pieces(&self.vcross[i], |p| p.y, (self.hy(j), self.hy(j + 1)), |y| RPoint::int(x, y))
    }

    /// The pieces of horizontal line `j` between columns `i` and `i + 1` inside the county.
    pub fn inside_pieces_h(&self, i: usize, j: usize) -> Vec<(RPoint, RPoint)> {
        let y = self.hy(j);
        inside_pieces(&self.hcross[j], |p| p.x, (self.vx(i), self.vx(i + 1)), |x| RPoint::int(x, y))
    }
}

/// The inside pieces of the lattice segment `span` along a line whose sorted crossings are
/// `list`, `along` reading a crossing's coordinate on the line and `at` making a lattice point.
fn inside_pieces(
    list: &[RPoint],
    along: impl Fn(&RPoint) -> i64,
    span: (i64, i64),
    at: impl Fn(i64) -> RPoint,
) -> Vec<(RPoint, RPoint)> {
    let lo = list.partition_point(|p| along(p) as i128 <= span.0 as i128 * p.d as i128);
    let hi = list.partition_point(|p| (along(p) as i128) < span.1 as i128 * p.d as i128);
    let mut stops: Vec<RPoint> = vec![at(span.0)];
    stops.extend_from_slice(&list[lo..hi]);
    stops.push(at(span.1));
    // The crossings before the segment, and one exactly at its start, decide its parity.
    split_inside(&stops, lo % 2 == 1)
}

/// Consecutive stops alternate outside/inside, starting with `first_inside`.
fn split_inside(stops: &[RPoint], first_inside: bool) -> Vec<(RPoint, RPoint)> {
    let mut out = Vec::new();
    let mut inside = first_inside;
    for w in stops.windows(2) {
        if inside && w[0] != w[1] {
            out.push((w[0], w[1]));
        }
        inside = !inside;
    }
    out
}
