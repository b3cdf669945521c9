//! The raster's boundary cells filled in row bands on every core: the rows are cut into bands
//! with about as many edge touches each, each band is filled on its own thread into a raster
//! of its own, and the bands' sub-blocks, `refs` and leaves are appended in order, so that the
//! result is bit for bit the one a single pass gives.

use super::{read_u32, Layers, Raster, B, HEAD, MIXED, SUB};

/// Bands of rows filled side by side, at most.
pub(super) const MAX_BANDS: usize = 4;
/// Touches a band has at least (fewer are filled in one pass: a thread costs more).
const MIN_BAND_TOUCHES: usize = 4096;

/// Where a band's entries go once appended: its sub-blocks move by `arena` bytes, its leaves
/// to `leaves`.
struct Moved {
    arena: u32,
    leaves: Vec<u32>,
}

impl Moved {
    /// A band's `refs` value (a sub-block's offset or a leaf) in the whole raster.
    fn apply(&self, value: u32) -> u32 {
        if value & SUB != 0 {
            SUB | ((value & !SUB) + self.arena)
        } else {
            self.leaves[value as usize]
        }
    }
}

impl Raster {
    /// Every cell's value (a boundary cell's is `MIXED` | its index in the entries) and the
    /// boundary cells' `refs` entries. The rows are cut into `bands` bands of about as many
    /// touches each, filled on their own threads, each into a raster of its own; the bands'
    /// blocks and leaves are then appended in order, so the result is the one a single pass
    /// gives.
    pub(super) fn fill(&mut self, layers: &Layers<'_>, touches: &[(u32, u32, u32)], bands: usize) -> (Vec<u32>, Vec<u32>) {
        let rows = self.band_rows(touches, bands);
        if rows.len() <= 2 {
            return self.fill_rows(layers, touches, 0..self.ny);
        }
        let nx = self.nx;
        let filled: Vec<(Raster, Vec<u32>, Vec<u32>)> = std::thread::scope(|s| {
            let started: Vec<_> = rows
                .windows(2)
                .map(|w| {
                    let (lo, hi) = (w[0] * nx, w[1] * nx);
                    let first = touches.partition_point(|t| (t.0 as usize) < lo);
                    let end = touches.partition_point(|t| (t.0 as usize) < hi);
                    let (mut band, part, span) = (self.clone(), &touches[first..end], w[0]..w[1]);
                    s.spawn(move || {
                        let (cells, entries) = band.fill_rows(layers, part, span);
                        (band, cells, entries)
                    })
                })
                .collect();
            started.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        let mut cells = Vec::with_capacity(self.nx * self.ny);
        let mut entries = Vec::new();
        for (band, band_cells, band_entries) in filled {
            let moved = self.append(band);
            let base = entries.len() as u32;
            entries.extend(band_entries.iter().map(|&e| moved.apply(e)));
            cells.extend(band_cells.iter().map(|&c| if c & MIXED == 0 { c } else { MIXED | ((c & !MIXED) + base) }));
        }
        (cells, entries)
    }

    /// Where the bands start (rows), ending with the last row's end: about as many touches in
    /// each band; one band when there are too few rows or touches to share.
    fn band_rows(&self, touches: &[(u32, u32, u32)], bands: usize) -> Vec<usize> {
        let mut rows = vec![0];
        if touches.len() >= MIN_BAND_TOUCHES * bands {
            for k in 1..bands {
                let row = touches[touches.len() * k / bands].0 as usize / self.nx;
                if rows.last().is_some_and(|&last| row > last) && row < self.ny {
                    rows.push(row);
                }
            }
        }
        rows.push(self.ny);
        rows
    }

    /// Appends a band's sub-blocks, `refs` and leaves (a leaf this raster already has is
    /// shared, as a single pass would have shared it); answers how its entries move.
    fn append(&mut self, band: Raster) -> Moved {
        let leaves = band
            .mixed
            .iter()
            .map(|m| {
                let pool = |r: (u32, u32)| &band.pool[r.0 as usize..r.1 as usize];
                self.intern_leaf(m.interior, m.tiling_fixed, pool(m.overlay), pool(m.tiling))
            })
            .collect();
        let moved = Moved { arena: self.arena.len() as u32, leaves };
        // Each block's first `refs` index moves by the refs already here.
        let shift = self.refs.len() as u32;
        let mut arena = band.arena;
        let mut off = 0;
        while off + HEAD <= arena.len() {
            let palette = arena[off..off + B * B].iter().filter(|&&b| b & 0x80 == 0).map(|&b| b as usize + 1).max().unwrap_or(0);
            let first = read_u32(&arena, off + B * B) + shift;
            arena[off + B * B..off + HEAD].copy_from_slice(&first.to_le_bytes());
            off += HEAD + 4 * palette;
        }
        self.arena.extend(arena);
        self.refs.extend(band.refs.iter().map(|&r| moved.apply(r)));
        self.sub_blocks += band.sub_blocks;
        self.leaf_cells += band.leaf_cells;
        moved
    }
}
