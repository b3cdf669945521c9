//! Seeded region growing on the lattice: each region grows from its seed cell through
//! 4-adjacent cells in order of distance (a discrete Voronoi diagram whose regions are
//! connected by construction), optionally stopping at a cell budget.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Label of a cell that no region holds.
pub const FREE: u32 = u32::MAX;

/// Where a region starts and how many cells it may take.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    /// Row-major cell id.
    pub cell: usize,
    /// Maximum number of cells, or none.
    pub cap: Option<usize>,
}

/// The lattice shape and the metric used for distances.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Metres-ish per cell horizontally relative to vertically (cos of latitude).
    pub x_scale: f64,
}

impl Frame {
    fn neighbours(&self, c: usize) -> impl Iterator<Item = usize> {
        let (x, y, nx, ny) = (c % self.nx, c / self.nx, self.nx, self.ny);
        [
            (x > 0).then(|| c - 1),
            (x + 1 < nx).then(|| c + 1),
            (y > 0).then(|| c - nx),
            (y + 1 < ny).then(|| c + nx),
        ]
        .into_iter()
        .flatten()
    }

    fn dist2(&self, a: usize, b: usize) -> f64 {
        let dx = (a % self.nx) as f64 - (b % self.nx) as f64;
        let dy = (a / self.nx) as f64 - (b / self.nx) as f64;
        dx * dx * self.x_scale * self.x_scale + dy * dy
    }
}

/// Grows `seeds` over `region`, the cells where `allowed` holds, writing `base + seed index` into
/// `labels`. Cells a capped region could not take go to the nearest region afterwards, so
/// every allowed cell reachable from a seed ends up labelled; allowed cells cut off from all
/// seeds are reached through other cells.
pub fn grow(frame: Frame, region: &[usize], allowed: &dyn Fn(usize) -> bool, seeds: &[Seed], labels: &mut [u32], base: u32) {
    let mut heap = BinaryHeap::new();
    let mut count = vec![0usize; seeds.len()];
    for (s, seed) in seeds.iter().enumerate() {
        heap.push(Reverse((0u64, seed.cell, s)));
    }
    while let Some(Reverse((_, cell, s))) = heap.pop() {
        if labels[cell] != FREE || seeds[s].cap.is_some_and(|cap| count[s] >= cap) {
            continue;
        }
        labels[cell] = base + s as u32;
        count[s] += 1;
        for n in frame.neighbours(cell) {
            if labels[n] == FREE && allowed(n) {
                heap.push(Reverse((frame.dist2(n, seeds[s].cell).to_bits(), n, s)));
            }
        }
    }
    if region.iter().all(|&c| labels[c] != FREE) {
        return;
    }
    spread(frame, region, labels, allowed, allowed);
    spread(frame, region, labels, &|_| true, allowed);
}

/// Breadth-first spread of this call's labels through `passable` cells, labelling the
/// free cells that are `allowed`.
fn spread(
    frame: Frame,
    region: &[usize],
    labels: &mut [u32],
    passable: &dyn Fn(usize) -> bool,
    allowed: &dyn Fn(usize) -> bool,
) {
    let mut seen = vec![false; labels.len()];
    let mut queue = VecDeque::new();
    for &c in region {
        if labels[c] != FREE {
            seen[c] = true;
            queue.push_back((c, labels[c]));
        }
    }
    while let Some((c, l)) = queue.pop_front() {
        for n in frame.neighbours(c) {
            let can_label = labels[n] == FREE && allowed(n);
            if seen[n] || !(can_label || passable(n)) {
                continue;
            }
            seen[n] = true;
            if can_label {
                labels[n] = l;
            }
            queue.push_back((n, l));
        }
    }
}
