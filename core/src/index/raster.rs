//! The lookup table: a uniform raster over the index's extent whose cells either name their
//! answer outright or list the few candidate polygons to test exactly.
//!
//! A cell is "uniform" when no polygon edge comes within `EPS` of it; then one exact test at
//! its centre decides every point in it. Other cells keep their candidates, street units first.
//!
//! Stored in two levels so the hot data stays in cache: a coarse table of 8 × 8-cell blocks
//! whose entry is either the answer for the whole block or the offset of a 64-byte block of
//! one-byte cells in an arena, followed by the block's small palette of answers.

use geo_types::Coord;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::polygon::IndexedPolygon;

/// Edges this close to a cell make it a boundary cell (degrees; far above rounding error of
/// the cell arithmetic, far below any real distance).
const EPS: f64 = 1e-9;
/// Value of a uniform cell outside every polygon.
pub(crate) const NONE: u32 = 0x7FFF_FFFF;
/// High bit: the rest of the value indexes `Raster::mixed` (while building) or the arena
/// (in the coarse table).
const MIXED: u32 = 0x8000_0000;
/// Block side in cells (a power of two).
const B: usize = 8;
/// Bytes before a block's palette: 64 cells and the block's first `mixed` index.
const HEAD: usize = B * B + 4;

/// Candidates of a boundary cell: ranges into `Raster::pool`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mixed {
    /// No outer edge of the tiling touches the cell: a point in it is in exactly one tiling
    /// candidate, so the last candidate needs no test.
    interior: bool,
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
    /// Coarse blocks per row.
    cw: usize,
    coarse: Vec<u32>,
    arena: Vec<u8>,
    mixed: Vec<Mixed>,
    pool: Vec<u32>,
}

/// The polygons the raster is built over, with which of them overlay the others.
pub(crate) struct Layers<'a> {
    pub polygons: &'a [IndexedPolygon],
    pub overlay: &'a [bool],
    pub envelopes: &'a RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    /// Whether segment `i` of polygon `p` is on the tiling's outer boundary.
    pub outer: &'a dyn Fn(usize, usize) -> bool,
}

/// Set on a touch's polygon id when the touching segment is on the outer boundary.
const OUTER: u32 = 0x8000_0000;

impl Raster {
    /// Builds a raster of about `target_cells` cells over `[min, max]`.
    pub(crate) fn build(layers: &Layers<'_>, min: Coord<f64>, max: Coord<f64>, target_cells: usize) -> Self {
        let (w, h) = ((max.x - min.x).max(1e-6), (max.y - min.y).max(1e-6));
        let cell = (w * h / target_cells as f64).sqrt();
        let nx = ((w / cell).ceil() as usize).max(1).div_ceil(B) * B;
        let ny = ((h / cell).ceil() as usize).max(1).div_ceil(B) * B;
        let mut r = Self {
            min,
            max: Coord { x: min.x + nx as f64 * cell, y: min.y + ny as f64 * cell },
            inv_w: 1.0 / cell,
            inv_h: 1.0 / cell,
            nx,
            ny,
            cw: nx / B,
            coarse: Vec::new(),
            arena: Vec::new(),
            mixed: Vec::new(),
            pool: Vec::new(),
        };
        let touches = r.edge_touches(layers);
        let cells = r.fill(layers, &touches);
        r.compress(&cells);
        r
    }

    /// Packs the full-resolution cells into the coarse table and the block arena.
    fn compress(&mut self, cells: &[u32]) {
        let mut mixed = Vec::new();
        self.coarse = Vec::with_capacity(cells.len() / (B * B));
        for by in 0..self.ny / B {
            for bx in 0..self.cw {
                let block: Vec<u32> = (0..B * B).map(|i| cells[(by * B + i / B) * self.nx + bx * B + i % B]).collect();
                if block.iter().all(|&v| v == block[0] && v & MIXED == 0) {
                    self.coarse.push(block[0]);
                    continue;
                }
                let off = self.arena.len();
                self.coarse.push(MIXED | off as u32);
                let mut palette: Vec<u32> = Vec::new();
                let first_mixed = mixed.len() as u32;
                let mut bytes = Vec::with_capacity(B * B);
                for &v in &block {
                    if v & MIXED != 0 {
                        bytes.push(0x80 | (mixed.len() as u32 - first_mixed) as u8);
                        mixed.push(self.mixed[(v & !MIXED) as usize]);
                    } else {
                        let i = palette.iter().position(|&p| p == v).unwrap_or_else(|| {
                            palette.push(v);
                            palette.len() - 1
                        });
                        bytes.push(i as u8);
                    }
                }
                self.arena.extend_from_slice(&bytes);
                self.arena.extend_from_slice(&first_mixed.to_le_bytes());
                for p in palette {
                    self.arena.extend_from_slice(&p.to_le_bytes());
                }
            }
        }
        self.mixed = mixed;
    }

    /// (cell, polygon) pairs for every cell within `EPS` of an edge, sorted and unique.
    fn edge_touches(&self, layers: &Layers<'_>) -> Vec<(u32, u32)> {
        let mut pairs = Vec::new();
        for (pid, poly) in layers.polygons.iter().enumerate() {
            for (si, &(a, b)) in poly.segments().iter().enumerate() {
                let tag = if (layers.outer)(pid, si) { OUTER } else { 0 };
                let (x0, x1) = self.col_range(a.x.min(b.x) - EPS, a.x.max(b.x) + EPS);
                let (y0, y1) = self.row_range(a.y.min(b.y) - EPS, a.y.max(b.y) + EPS);
                for row in y0..=y1 {
                    for col in x0..=x1 {
                        pairs.push(((row * self.nx + col) as u32, pid as u32 | tag));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    fn fill(&mut self, layers: &Layers<'_>, touches: &[(u32, u32)]) -> Vec<u32> {
        let mut cells = vec![NONE; self.nx * self.ny];
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
                let interior = touches[start..t].iter().all(|&(_, p)| p & OUTER == 0);
                let mut cands: Vec<u32> = touches[start..t].iter().map(|&(_, p)| p & !OUTER).collect();
                cands.dedup();
                let has_tiling = cands.iter().any(|&p| !layers.overlay[p as usize]);
                let centre = self.centre(row, col);
                let (tiling, overlay) = match (run, cands.is_empty()) {
                    (Some(prev), true) => prev,
                    _ => (first_containing(layers, centre, false), first_containing(layers, centre, true)),
                };
                run = cands.is_empty().then_some((tiling, overlay));
                cells[idx] = if cands.is_empty() {
                    if overlay != NONE { overlay } else { tiling }
                } else {
                    // An edge's bounding box can reach a cell the edge itself misses, so the
                    // grid at the centre is a candidate too.
                    let fixed = if has_tiling { NONE } else { tiling };
                    // No outer edge near the cell: it lies wholly inside or wholly outside the
                    // union, and the centre says which.
                    self.push_mixed(layers, &cands, fixed, [overlay, tiling], interior && tiling != NONE)
                };
            }
        }
        cells
    }

    fn push_mixed(&mut self, layers: &Layers<'_>, cands: &[u32], tiling_fixed: u32, at_centre: [u32; 2], interior: bool) -> u32 {
        // The grid at the centre goes first: it most often holds the point.
        let list = |overlay: bool, first: u32| {
            let mut l: Vec<u32> = (first != NONE).then_some(first).into_iter().collect();
            l.extend(cands.iter().copied().filter(|&p| layers.overlay[p as usize] == overlay && p != first));
            l
        };
        let (overlay, tiling) = (list(true, at_centre[0]), list(false, at_centre[1]));
        let start = self.pool.len() as u32;
        self.pool.extend(overlay);
        let mid = self.pool.len() as u32;
        self.pool.extend(tiling);
        let end = self.pool.len() as u32;
        self.mixed.push(Mixed { interior, overlay: (start, mid), tiling: (mid, end), tiling_fixed });
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
        let c = self.coarse[(row / B) * self.cw + col / B];
        if c & MIXED == 0 {
            return c;
        }
        let off = (c & !MIXED) as usize;
        let e = self.arena[off + (row % B) * B + col % B];
        if e & 0x80 == 0 {
            return read_u32(&self.arena, off + HEAD + 4 * e as usize);
        }
        let m = read_u32(&self.arena, off + B * B) as usize + (e & 0x7F) as usize;
        self.locate_mixed(polygons, &self.mixed[m], p)
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
        if m.interior {
            if let Some((&last, rest)) = tiling.split_last() {
                return rest.iter().copied().find(|&g| polygons[g as usize].contains(p)).unwrap_or(last);
            }
        }
        if let Some(&g) = tiling.iter().find(|&&g| polygons[g as usize].contains(p)) {
            return g;
        }
        // The outer boundary of the union is closed: a point exactly on it belongs to the
        // lowest-numbered polygon whose edge it lies on.
        tiling.iter().copied().find(|&g| polygons[g as usize].on_boundary(p)).unwrap_or(NONE)
    }

    /// Number of cells, of boundary ("mixed") cells, and bytes of the lookup tables.
    pub(crate) fn stats(&self) -> (usize, usize, usize) {
        (self.nx * self.ny, self.mixed.len(), self.coarse.len() * 4 + self.arena.len())
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
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let b = &bytes[at..at + 4];
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[inline]
fn clamp_cell(v: f64, n: usize) -> usize {
    (v as isize).clamp(0, n as isize - 1) as usize
}
