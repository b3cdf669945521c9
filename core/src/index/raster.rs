//! The lookup table: a uniform raster over the index's extent whose cells either name their
//! answer outright or list the few candidate polygons to test exactly.
//!
//! A cell is "uniform" when no polygon edge comes within `EPS` of it; then one exact test at
//! its centre decides every point in it. Other cells keep their candidates, street units first.

use geo_types::Coord;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::polygon::IndexedPolygon;

/// Edges this close to a cell make it a boundary cell (degrees; far above rounding error of
/// the cell arithmetic, far below any real distance).
const EPS: f64 = 1e-9;
/// Value of a uniform cell outside every polygon.
pub(crate) const NONE: u32 = 0x7FFF_FFFF;
/// High bit: the rest of the value indexes `Raster::mixed`.
const MIXED: u32 = 0x8000_0000;

/// Candidates of a boundary cell: ranges into `Raster::pool`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mixed {
    overlay: (u32, u32),
    tiling: (u32, u32),
    /// The tiling answer when no tiling edge crosses the cell (only overlay edges do).
    tiling_fixed: u32,
}

/// The raster lookup table.
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    min: Coord<f64>,
    max: Coord<f64>,
    inv_w: f64,
    inv_h: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u32>,
    mixed: Vec<Mixed>,
    pool: Vec<u32>,
}

/// The polygons the raster is built over, with which of them overlay the others.
pub(crate) struct Layers<'a> {
    pub polygons: &'a [IndexedPolygon],
    pub overlay: &'a [bool],
    pub envelopes: &'a RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
}

impl Raster {
    /// Builds a raster of about `target_cells` cells over `[min, max]`.
    pub(crate) fn build(layers: &Layers<'_>, min: Coord<f64>, max: Coord<f64>, target_cells: usize) -> Self {
        let (w, h) = ((max.x - min.x).max(1e-6), (max.y - min.y).max(1e-6));
        let cell = (w * h / target_cells as f64).sqrt();
        let nx = ((w / cell).ceil() as usize).max(1);
        let ny = ((h / cell).ceil() as usize).max(1);
        let mut r = Self {
            min,
            max,
            inv_w: nx as f64 / w,
            inv_h: ny as f64 / h,
            nx,
            ny,
            cells: vec![NONE; nx * ny],
            mixed: Vec::new(),
            pool: Vec::new(),
        };
        let touches = r.edge_touches(layers);
        r.fill(layers, &touches);
        r
    }

    /// (cell, polygon) pairs for every cell within `EPS` of an edge, sorted and unique.
    fn edge_touches(&self, layers: &Layers<'_>) -> Vec<(u32, u32)> {
        let mut pairs = Vec::new();
        for (pid, poly) in layers.polygons.iter().enumerate() {
            for &(a, b) in poly.segments() {
                let (x0, x1) = self.col_range(a.x.min(b.x) - EPS, a.x.max(b.x) + EPS);
                let (y0, y1) = self.row_range(a.y.min(b.y) - EPS, a.y.max(b.y) + EPS);
                for row in y0..=y1 {
                    for col in x0..=x1 {
                        pairs.push(((row * self.nx + col) as u32, pid as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    fn fill(&mut self, layers: &Layers<'_>, touches: &[(u32, u32)]) {
        let mut t = 0;
        for row in 0..self.ny {
            // Answer of the previous uniform cell in this row, reused by its uniform neighbour.
            let mut run: Option<(u32, u32)> = None;
            for col in 0..self.nx {
                let idx = row * self.nx + col;
                let start = t;
                while t < touches.len() && touches[t].0 as usize == idx {
                    t += 1;
                }
                let cands: Vec<u32> = touches[start..t].iter().map(|&(_, p)| p).collect();
                let has_tiling = cands.iter().any(|&p| !layers.overlay[p as usize]);
                let centre = self.centre(row, col);
                let (tiling, overlay) = match (run, cands.is_empty()) {
                    (Some(prev), true) => prev,
                    _ => (first_containing(layers, centre, false), first_containing(layers, centre, true)),
                };
                run = cands.is_empty().then_some((tiling, overlay));
                self.cells[idx] = if cands.is_empty() {
                    if overlay != NONE { overlay } else { tiling }
                } else {
                    // An edge's bounding box can reach a cell the edge itself misses, so the
                    // grid at the centre is a candidate too.
                    let fixed = if has_tiling { NONE } else { tiling };
                    self.push_mixed(layers, &cands, fixed, [overlay, tiling])
                };
            }
        }
    }

    fn push_mixed(&mut self, layers: &Layers<'_>, cands: &[u32], tiling_fixed: u32, at_centre: [u32; 2]) -> u32 {
        let list = |overlay: bool, extra: u32| {
            let mut l: Vec<u32> = cands.iter().copied().filter(|&p| layers.overlay[p as usize] == overlay).collect();
            if extra != NONE && !l.contains(&extra) {
                l.push(extra);
            }
            l
        };
        let (overlay, tiling) = (list(true, at_centre[0]), list(false, at_centre[1]));
        let start = self.pool.len() as u32;
        self.pool.extend(overlay);
        let mid = self.pool.len() as u32;
        self.pool.extend(tiling);
        let end = self.pool.len() as u32;
        self.mixed.push(Mixed { overlay: (start, mid), tiling: (mid, end), tiling_fixed });
        MIXED | (self.mixed.len() as u32 - 1)
    }

    fn centre(&self, row: usize, col: usize) -> Coord<f64> {
        Coord {
            x: self.min.x + (col as f64 + 0.5) / self.inv_w,
            y: self.min.y + (row as f64 + 0.5) / self.inv_h,
        }
    }

    fn col_range(&self, lo: f64, hi: f64) -> (usize, usize) {
        (clamp_cell((lo - self.min.x) * self.inv_w, self.nx), clamp_cell((hi - self.min.x) * self.inv_w, self.nx))
    }

    fn row_range(&self, lo: f64, hi: f64) -> (usize, usize) {
        (clamp_cell((lo - self.min.y) * self.inv_h, self.ny), clamp_cell((hi - self.min.y) * self.inv_h, self.ny))
    }

    /// The polygon that owns `p`, or `NONE`.
    #[inline]
    pub(crate) fn locate(&self, polygons: &[IndexedPolygon], p: Coord<f64>) -> u32 {
        if !(p.x >= self.min.x && p.x < self.max.x && p.y >= self.min.y && p.y < self.max.y) {
            return NONE;
        }
        let col = clamp_cell((p.x - self.min.x) * self.inv_w, self.nx);
        let row = clamp_cell((p.y - self.min.y) * self.inv_h, self.ny);
        let v = self.cells[row * self.nx + col];
        if v & MIXED == 0 {
            return v;
        }
        self.locate_mixed(polygons, &self.mixed[(v & !MIXED) as usize], p)
    }

    #[cold]
    fn locate_mixed(&self, polygons: &[IndexedPolygon], m: &Mixed, p: Coord<f64>) -> u32 {
        let pool = |r: (u32, u32)| &self.pool[r.0 as usize..r.1 as usize];
        let overlay = pool(m.overlay);
        let tiling = pool(m.tiling);
        if let Some(&g) = overlay.iter().find(|&&g| polygons[g as usize].contains(p)) {
            return g;
        }
        if m.tiling_fixed != NONE {
            return m.tiling_fixed;
        }
        if let Some(&g) = tiling.iter().find(|&&g| polygons[g as usize].contains(p)) {
            return g;
        }
        // The outer boundary of the union is closed: a point exactly on it belongs to the
        // lowest-numbered polygon whose edge it lies on.
        tiling.iter().copied().find(|&g| polygons[g as usize].on_boundary(p)).unwrap_or(NONE)
    }

    /// Number of cells and of boundary ("mixed") cells.
    pub(crate) fn stats(&self) -> (usize, usize) {
        (self.cells.len(), self.mixed.len())
    }
}

fn first_containing(layers: &Layers<'_>, p: Coord<f64>, overlay: bool) -> u32 {
    layers
        .envelopes
        .locate_all_at_point(&[p.x, p.y])
        .map(|g| g.data)
        .filter(|&g| layers.overlay[g as usize] == overlay && layers.polygons[g as usize].contains(p))
        .min()
        .unwrap_or(NONE)
}

#[inline]
fn clamp_cell(v: f64, n: usize) -> usize {
    (v as isize).clamp(0, n as isize - 1) as usize
}
