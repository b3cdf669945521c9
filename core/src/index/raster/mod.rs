//! The lookup table: a uniform raster over the index's extent whose cells either name their
//! answer outright or list the few candidate polygons to test exactly.
//!
//! A cell is "uniform" when no polygon edge comes within `EPS` of it; then one exact test at
//! its centre decides every point in it. Other cells keep their candidates, street units first.
//!
//! Stored in two levels so the hot data stays in cache: a coarse table of 8 × 8-cell blocks
//! whose entry is either the answer for the whole block or the offset of a 64-byte block of
//! one-byte cells in an arena, followed by the block's small palette of answers.
//!
//! **Adaptive.** A boundary cell is itself cut into 8 × 8 sub-cells, stored as a block of the
//! same form, and so on where edges stay dense (up to [`Tuning::max_depth`] levels, while a
//! sub-cell holds more than [`Tuning::leaf_segments`] edges): the resolution follows the
//! boundaries, so more lookups end in a table read and the rest test the few candidates near
//! the point. Each level costs a table read that may miss the cache, so the depth is tuned by
//! measurement (`bench-locate` prints the variants). The descent is exact arithmetic on the
//! point's cell coordinate (its fraction times 8), so the lookup and the build agree on which
//! sub-cell holds a point up to rounding far below `EPS`.

use std::collections::HashMap;

use geo_types::Coord;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::polygon::IndexedPolygon;

mod bands;

use bands::MAX_BANDS;

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
/// Bytes before a block's palette: 64 cells and the block's first `refs` index.
const HEAD: usize = B * B + 4;
/// Set on a `refs` entry naming a sub-block (its arena offset); clear, it indexes `mixed`.
const SUB: u32 = 0x8000_0000;
/// How finely the raster is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// About this many top cells (4 bytes each in uniform blocks).
    pub target_cells: usize,
    /// Levels of 8 × 8 sub-blocks below a boundary cell, at most (0: none).
    pub max_depth: u32,
    /// A (sub-)cell with at most this many segments near it is a leaf (shared edges count
    /// once for each grid).
    pub leaf_segments: usize,
}

/// Candidates of a boundary cell: ranges into `Raster::pool`.
#[derive(Debug, Clone, Copy, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
    /// What a block's boundary cells point to: a sub-block (`SUB` | arena offset) or a leaf
    /// (an index into `mixed`). Each block's entries are contiguous.
    refs: Vec<u32>,
    mixed: Vec<Mixed>,
    pool: Vec<u32>,
    tuning: Tuning,
    /// Sub-blocks built, and boundary (sub-)cells left to exact tests (for reports).
    sub_blocks: usize,
    leaf_cells: usize,
    /// The distinct leaves, while building.
    leaves: HashMap<LeafKey, u32>,
}

/// What makes two leaves the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LeafKey {
    interior: bool,
    fixed: u32,
    split: usize,
    grids: Vec<u32>,
}

/// A box being refined, in cell units of the top raster: `[u0, u0 + size) × [v0, v0 + size)`.
#[derive(Debug, Clone, Copy)]
struct CellBox {
    u0: f64,
    v0: f64,
    size: f64,
}

/// A (polygon | `OUTER`, segment) pair near a cell.
type Touch = (u32, u32);

/// The polygons the raster is built over, with which of them overlay the others.
pub(crate) struct Layers<'a> {
    pub polygons: &'a [IndexedPolygon],
    pub overlay: &'a [bool],
    pub envelopes: &'a RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    /// Whether segment `i` of polygon `p` is on the tiling's outer boundary.
    pub outer: &'a (dyn Fn(usize, usize) -> bool + Sync),
}

/// Set on a touch's polygon id when the touching segment is on the outer boundary.
const OUTER: u32 = 0x8000_0000;

impl Raster {
    /// Builds a raster over `[min, max]`, its boundary cells filled on every core.
    pub(crate) fn build(layers: &Layers<'_>, min: Coord<f64>, max: Coord<f64>, tuning: Tuning) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::build_in(layers, min, max, tuning, cores.min(MAX_BANDS))
    }

    /// [`Self::build`], the cells filled in `bands` bands of rows side by side (the raster is
    /// the same for any number of bands).
    pub(crate) fn build_in(layers: &Layers<'_>, min: Coord<f64>, max: Coord<f64>, tuning: Tuning, bands: usize) -> Self {
        let (w, h) = ((max.x - min.x).max(1e-6), (max.y - min.y).max(1e-6));
        let cell = (w * h / tuning.target_cells.max(1) as f64).sqrt();
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
            refs: Vec::new(),
            mixed: Vec::new(),
            pool: Vec::new(),
            tuning,
            sub_blocks: 0,
            leaf_cells: 0,
            leaves: HashMap::new(),
        };
        let touches = r.edge_touches(layers);
        let (cells, entries) = r.fill(layers, &touches, bands);
        r.compress(&cells, &entries);
        r.leaves = HashMap::new();
        r
    }

    /// Packs the full-resolution cells into the coarse table and the block arena. A boundary
    /// cell's value is `MIXED` | an index into `entries` (the `refs` entry it gets).
    fn compress(&mut self, cells: &[u32], entries: &[u32]) {
        self.coarse = Vec::with_capacity(cells.len() / (B * B));
        for by in 0..self.ny / B {
            for bx in 0..self.cw {
                let block: Vec<u32> = (0..B * B).map(|i| cells[(by * B + i / B) * self.nx + bx * B + i % B]).collect();
                if block.iter().all(|&v| v == block[0] && v & MIXED == 0) {
                    self.coarse.push(block[0]);
                    continue;
                }
                let refs: Vec<u32> = block.iter().filter(|&&v| v & MIXED != 0).map(|&v| entries[(v & !MIXED) as usize]).collect();
                let mut k = 0u8;
                let slots: Vec<Slot> = block
                    .iter()
                    .map(|&v| {
                        if v & MIXED == 0 {
                            return Slot::Answer(v);
                        }
                        k += 1;
                        Slot::Ref(k - 1)
                    })
                    .collect();
                let off = self.push_block(&slots, refs);
                self.coarse.push(MIXED | off);
            }
        }
    }

    /// Appends a block (64 slots, their refs) to the arena; answers its offset.
    fn push_block(&mut self, slots: &[Slot], refs: Vec<u32>) -> u32 {
        let off = self.arena.len() as u32;
        let first = self.refs.len() as u32;
        self.refs.extend(refs);
        let mut palette: Vec<u32> = Vec::new();
        for slot in slots {
            let byte = match *slot {
                Slot::Ref(k) => 0x80 | k,
                Slot::Answer(v) => {
                    let i = palette.iter().position(|&p| p == v).unwrap_or_else(|| {
                        palette.push(v);
                        palette.len() - 1
                    });
                    i as u8
                }
            };
            self.arena.push(byte);
        }
        self.arena.extend_from_slice(&first.to_le_bytes());
        for p in palette {
            self.arena.extend_from_slice(&p.to_le_bytes());
        }
        off
    }

    /// (cell, polygon | `OUTER`, segment) for every cell a segment comes within `EPS` of,
    /// sorted. Found segment by segment (each segment's cells in its bounding box, kept if the
    /// segment really comes near), then placed by a counting sort on the cell and sorted within
    /// each cell.
    fn edge_touches(&self, layers: &Layers<'_>) -> Vec<(u32, u32, u32)> {
        let mut found = Vec::new();
        for (pid, poly) in layers.polygons.iter().enumerate() {
            for (si, &(a, b)) in poly.segments().iter().enumerate() {
                let tag = if (layers.outer)(pid, si) { OUTER } else { 0 };
                let (x0, x1) = self.col_range(a.x.min(b.x) - EPS, a.x.max(b.x) + EPS);
                let (y0, y1) = self.row_range(a.y.min(b.y) - EPS, a.y.max(b.y) + EPS);
                for row in y0..=y1 {
                    for col in x0..=x1 {
                        let bounds = self.degrees(CellBox { u0: col as f64, v0: row as f64, size: 1.0 });
                        if touches_segment((a, b), bounds) {
                            found.push(((row * self.nx + col) as u32, pid as u32 | tag, si as u32));
                        }
                    }
                }
            }
        }
        let cells = self.nx * self.ny;
        // Touches per cell, then (prefix sums) where each cell's touches start.
        let mut at = vec![0u32; cells + 1];
        for &(cell, ..) in &found {
            at[cell as usize + 1] += 1;
        }
        for i in 0..cells {
            at[i + 1] += at[i];
        }
        let mut triples = vec![(0u32, 0u32, 0u32); found.len()];
        // Placing a cell's touches moves its start to its end (the next cell's start).
        for touch in found {
            let slot = &mut at[touch.0 as usize];
            triples[*slot as usize] = touch;
            *slot += 1;
        }
        let mut begin = 0;
        for &end in &at[..cells] {
            triples[begin..end as usize].sort_unstable();
            begin = end as usize;
        }
        triples
    }

    /// [`Self::fill`] of rows `rows` in one pass: `touches` are those of these rows' cells.
    fn fill_rows(&mut self, layers: &Layers<'_>, touches: &[(u32, u32, u32)], rows: std::ops::Range<usize>) -> (Vec<u32>, Vec<u32>) {
        let first = rows.start * self.nx;
        let mut cells = vec![NONE; rows.len() * self.nx];
        let mut entries = Vec::new();
        let mut t = 0;
        let mut near: Vec<Touch> = Vec::new();
        for row in rows {
            // Answer of the previous uniform cell in this row, reused by its uniform neighbour.
            let mut run: Option<(u32, u32)> = None;
            for col in 0..self.nx {
                let idx = row * self.nx + col;
                near.clear();
                while t < touches.len() && touches[t].0 as usize == idx {
                    near.push((touches[t].1, touches[t].2));
                    t += 1;
                }
                let (tiling, overlay) = match (run, near.is_empty()) {
                    (Some(prev), true) => prev,
                    _ => owners(layers, self.centre(row, col)),
                };
                run = near.is_empty().then_some((tiling, overlay));
                cells[idx - first] = if near.is_empty() {
                    if overlay != NONE { overlay } else { tiling }
                } else {
                    // A grid none of whose edges comes near can still own the whole cell (the
                    // tiling grid under a street unit's edge, or a street unit over a tiling
                    // edge): the grids at the centre are candidates too.
                    let cands = Candidates::near(layers, &near, [overlay, tiling]);
                    let cell = CellBox { u0: col as f64, v0: row as f64, size: 1.0 };
                    entries.push(self.refine(layers, &cands, &near, cell, 0));
                    MIXED | (entries.len() as u32 - 1)
                };
            }
        }
        (cells, entries)
    }

    /// The `refs` entry of a boundary (sub-)cell: a sub-block of 8 × 8 sub-cells, or a leaf
    /// listing the candidates to test. `cands` are the only grids that can own a point of
    /// `cell`; `near` the segments within `EPS` of it.
    fn refine(&mut self, layers: &Layers<'_>, cands: &Candidates, near: &[Touch], cell: CellBox, depth: u32) -> u32 {
        if depth >= self.tuning.max_depth || near.len() <= self.tuning.leaf_segments {
            return self.leaf(layers, cands, near, cell);
        }
        let size = cell.size / B as f64;
        let sub = |i: usize| CellBox { u0: cell.u0 + (i % B) as f64 * size, v0: cell.v0 + (i / B) as f64 * size, size };
        let subs: Vec<Vec<Touch>> = (0..B * B)
            .map(|i| {
                let bounds = self.degrees(sub(i));
                near.iter().copied().filter(|&(pid, si)| touches_box(layers, pid, si, bounds)).collect()
            })
            .collect();
        // Uniform sub-cells that share a side are one region with one owner (no edge comes
        // near either): one exact test per region.
        let mut answer = [None::<u32>; B * B];
        for start in 0..B * B {
            if !subs[start].is_empty() || answer[start].is_some() {
                continue;
            }
            let owner = cands.owner(layers, self.centre_of(sub(start)));
            let mut stack = vec![start];
            answer[start] = Some(owner);
            while let Some(i) = stack.pop() {
                let (x, y) = (i % B, i / B);
                let next = [(x > 0).then(|| i - 1), (x + 1 < B).then(|| i + 1), (y > 0).then(|| i - B), (y + 1 < B).then(|| i + B)];
                for j in next.into_iter().flatten() {
                    if subs[j].is_empty() && answer[j].is_none() {
                        answer[j] = Some(owner);
                        stack.push(j);
                    }
                }
            }
        }
        let mut refs = Vec::new();
        let mut slots = Vec::with_capacity(B * B);
        for i in 0..B * B {
            match answer[i] {
                Some(owner) => slots.push(Slot::Answer(owner)),
                None => {
                    let at = cands.owners_at(layers, self.centre_of(sub(i)));
                    let narrowed = Candidates::near(layers, &subs[i], at);
                    refs.push(self.refine(layers, &narrowed, &subs[i], sub(i), depth + 1));
                    slots.push(Slot::Ref(refs.len() as u8 - 1));
                }
            }
        }
        self.sub_blocks += 1;
        SUB | self.push_block(&slots, refs)
    }

    /// A leaf: the candidates near `cell`, the grids at its centre first.
    fn leaf(&mut self, layers: &Layers<'_>, cands: &Candidates, near: &[Touch], cell: CellBox) -> u32 {
        let [overlay, tiling] = cands.owners_at(layers, self.centre_of(cell));
        let local = Candidates::near(layers, near, [overlay, tiling]);
        let has_tiling = near.iter().any(|&(p, _)| !layers.overlay[(p & !OUTER) as usize]);
        // No outer edge near the cell: it lies wholly inside or wholly outside the union, and
        // the centre says which.
        let interior = near.iter().all(|&(p, _)| p & OUTER == 0) && tiling != NONE;
        let fixed = if has_tiling { NONE } else { tiling };
        self.leaf_cells += 1;
        self.intern_leaf(interior, fixed, &local.overlay, &local.tiling)
    }

    /// The index in `mixed` of the leaf with these candidates: leaves along one boundary are
    /// mostly alike, and each distinct leaf is stored once.
    fn intern_leaf(&mut self, interior: bool, fixed: u32, overlay: &[u32], tiling: &[u32]) -> u32 {
        let key = LeafKey { interior, fixed, split: overlay.len(), grids: [overlay, tiling].concat() };
        if let Some(&m) = self.leaves.get(&key) {
            return m;
        }
        let start = self.pool.len() as u32;
        self.pool.extend(overlay);
        let mid = self.pool.len() as u32;
        self.pool.extend(tiling);
        let end = self.pool.len() as u32;
        self.mixed.push(Mixed { interior, overlay: (start, mid), tiling: (mid, end), tiling_fixed: fixed });
        let m = self.mixed.len() as u32 - 1;
        self.leaves.insert(key, m);
        m
    }

    /// A box's bounds in degrees, `[min x, min y, max x, max y]`.
    fn degrees(&self, b: CellBox) -> [f64; 4] {
        [
            self.min.x + b.u0 / self.inv_w,
            self.min.y + b.v0 / self.inv_h,
            self.min.x + (b.u0 + b.size) / self.inv_w,
            self.min.y + (b.v0 + b.size) / self.inv_h,
        ]
    }

    fn centre_of(&self, b: CellBox) -> Coord<f64> {
        Coord { x: self.min.x + (b.u0 + b.size / 2.0) / self.inv_w, y: self.min.y + (b.v0 + b.size / 2.0) / self.inv_h }
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
        let (fx, fy) = ((p.x - self.min.x) * self.inv_w, (p.y - self.min.y) * self.inv_h);
        let col = clamp_cell(fx, self.nx);
        let row = clamp_cell(fy, self.ny);
        let c = self.coarse[(row / B) * self.cw + col / B];
        if c & MIXED == 0 {
            return c;
        }
        let mut off = (c & !MIXED) as usize;
        let mut e = self.arena[off + (row % B) * B + col % B];
        // The point's position inside its (sub-)cell, in [0, 1): exact arithmetic below.
        let (mut u, mut v) = (fx - col as f64, fy - row as f64);
        loop {
            if e & 0x80 == 0 {
                return read_u32(&self.arena, off + HEAD + 4 * e as usize);
            }
            let r = self.refs[read_u32(&self.arena, off + B * B) as usize + (e & 0x7F) as usize];
            if r & SUB == 0 {
                return self.locate_mixed(polygons, &self.mixed[r as usize], p);
            }
            off = (r & !SUB) as usize;
            (u, v) = (u * B as f64, v * B as f64);
            let (sc, sr) = (clamp_cell(u, B), clamp_cell(v, B));
            (u, v) = (u - sc as f64, v - sr as f64);
            e = self.arena[off + sr * B + sc];
        }
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
        tiling.iter().copied().filter(|&g| polygons[g as usize].on_boundary(p)).min().unwrap_or(NONE)
    }

    /// Number of cells, of boundary leaves (sub-cells that need exact tests), of sub-blocks,
    /// and bytes of the lookup tables.
    pub(crate) fn stats(&self) -> RasterStats {
        let bytes = self.coarse.len() * 4
            + self.arena.len()
            + self.refs.len() * 4
            + self.mixed.len() * std::mem::size_of::<Mixed>()
            + self.pool.len() * 4;
        RasterStats {
            cells: self.nx * self.ny,
            sub_blocks: self.sub_blocks,
            leaf_cells: self.leaf_cells,
            bytes,
        }
    }
}

/// Sizes of the lookup tables (for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RasterStats {
    /// Cells of the top raster.
    pub cells: usize,
    /// Blocks of sub-cells under boundary cells.
    pub sub_blocks: usize,
    /// Boundary (sub-)cells whose points are decided by exact tests.
    pub leaf_cells: usize,
    /// Bytes of all the tables.
    pub bytes: usize,
}

/// One slot of a block: an answer, or the block's `k`th ref.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Answer(u32),
    Ref(u8),
}

/// The grids that can own points of a (sub-)cell, each layer's owner at the centre first.
#[derive(Debug, Default)]
struct Candidates {
    overlay: Vec<u32>,
    tiling: Vec<u32>,
}

impl Candidates {
    /// The owners `[overlay, tiling]` at the centre (either may be `NONE`), then the grids
    /// with a segment near the cell.
    fn near(layers: &Layers<'_>, near: &[Touch], at_centre: [u32; 2]) -> Self {
        let list = |overlay: bool, first: u32| {
            let mut l: Vec<u32> = (first != NONE).then_some(first).into_iter().collect();
            for &(p, _) in near {
                let p = p & !OUTER;
                if layers.overlay[p as usize] == overlay && !l.contains(&p) {
                    l.push(p);
                }
            }
            l
        };
        Self { overlay: list(true, at_centre[0]), tiling: list(false, at_centre[1]) }
    }

    /// The first candidate of each layer containing `p`: `[overlay, tiling]`.
    fn owners_at(&self, layers: &Layers<'_>, p: Coord<f64>) -> [u32; 2] {
        let first = |l: &[u32]| l.iter().copied().find(|&g| layers.polygons[g as usize].contains(p)).unwrap_or(NONE);
        [first(&self.overlay), first(&self.tiling)]
    }

    /// The grid that owns `p` (a street unit over the grid around it).
    fn owner(&self, layers: &Layers<'_>, p: Coord<f64>) -> u32 {
        let [overlay, tiling] = self.owners_at(layers, p);
        if overlay != NONE { overlay } else { tiling }
    }
}

/// Whether segment `si` of polygon `pid` (maybe tagged `OUTER`) meets the closed box
/// `[min x, min y, max x, max y]` grown by `EPS`: its bounding box overlaps, and the grown box's
/// corners are not all strictly on one side of its line. (The products are of differences of
/// nearby coordinates: their rounding is far below `EPS` times the segment's length, so a
/// segment within `EPS / 2` of the box is never missed.)
fn touches_box(layers: &Layers<'_>, pid: u32, si: u32, b: [f64; 4]) -> bool {
    touches_segment(layers.polygons[(pid & !OUTER) as usize].segments()[si as usize], b)
}

/// Whether segment `(p, q)` comes within `EPS` of box `b`.
fn touches_segment((p, q): (Coord<f64>, Coord<f64>), b: [f64; 4]) -> bool {
    let (x0, y0, x1, y1) = (b[0] - EPS, b[1] - EPS, b[2] + EPS, b[3] + EPS);
    if p.x.max(q.x) < x0 || p.x.min(q.x) > x1 || p.y.max(q.y) < y0 || p.y.min(q.y) > y1 {
        return false;
    }
    let (dx, dy) = (q.x - p.x, q.y - p.y);
    let side = |x: f64, y: f64| dx * (y - p.y) - dy * (x - p.x);
    let corners = [side(x0, y0), side(x1, y0), side(x0, y1), side(x1, y1)];
    !(corners.iter().all(|&c| c > 0.0) || corners.iter().all(|&c| c < 0.0))
}

/// The first tiling and the first overlay polygon that own `p` (`NONE` for none), found in
/// one walk of the envelopes.
fn owners(layers: &Layers<'_>, p: Coord<f64>) -> (u32, u32) {
    let (mut tiling, mut overlay) = (NONE, NONE);
    for g in layers.envelopes.locate_all_at_point(&[p.x, p.y]).map(|g| g.data) {
        let first = if layers.overlay[g as usize] { &mut overlay } else { &mut tiling };
        if g < *first && layers.polygons[g as usize].contains(p) {
            *first = g;
        }
    }
    (tiling, overlay)
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
