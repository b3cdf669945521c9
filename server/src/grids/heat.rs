//! Heatmap and choropleth aggregation of events, pure: points or weighted cells, and event
//! counts and densities by grid.

use std::collections::{BTreeMap, HashMap};

use wangge_core::wire::{Choropleth, GridCount, HeatMap, HeatMode};

use super::map::round;
use crate::records::EventPoint;

/// Most events answered one by one in a heatmap; above it they are aggregated into cells.
pub const HEAT_POINTS_MAX: usize = 5_000;

/// The heatmap of `points`: each one with weight 1 if there are at most `max_points`, else one
/// point per non-empty square cell of `cell_deg` degrees, at its events' mean position, weighted
/// by their count (cells in west-to-east, south-to-north order).
pub fn heat(points: &[(f64, f64)], cell_deg: f64, max_points: usize) -> HeatMap {
    let mut heat = Heat::new(cell_deg, max_points, Extent::of(points.iter().copied()));
    for &(lon, lat) in points {
        heat.add(lon, lat);
    }
    heat.finish()
}

/// Where points lie: their bounding box, in degrees.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extent {
    /// West, south, east, north.
    pub bounds: Option<[f64; 4]>,
}

impl Extent {
    /// The box around `points`.
    pub fn of(points: impl Iterator<Item = (f64, f64)>) -> Self {
        let mut e = Self { bounds: None };
        for (lon, lat) in points {
            e.include(lon, lat);
        }
        e
    }

    /// Grows the box to hold a point.
    pub fn include(&mut self, lon: f64, lat: f64) {
        let b = self.bounds.get_or_insert([lon, lat, lon, lat]);
        *b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    }
}

/// Most cells kept in one dense table; a finer heatmap over a wider area uses a tree.
const DENSE_CELLS_MAX: i64 = 1 << 18;

/// A heatmap being made, one event at a time, in the order its points are to be listed.
#[derive(Debug)]
pub struct Heat {
    cell_deg: f64,
    max_points: usize,
    extent: Extent,
    points: Vec<(f64, f64)>,
    total: u64,
    cells: Option<Cells>,
}

/// Per cell: the sums of longitudes and latitudes, and the count.
type CellSums = (f64, f64, u64);

#[derive(Debug)]
enum Cells {
    /// Cells of the extent, column by column (west to east, then south to north).
    Dense { x0: i64, y0: i64, rows: i64, sums: Vec<CellSums> },
    Tree(BTreeMap<(i64, i64), CellSums>),
}

impl Heat {
    /// A heatmap of cells of `cell_deg` for points inside `extent` (points outside it are
    /// counted too, in a tree).
    pub fn new(cell_deg: f64, max_points: usize, extent: Extent) -> Self {
        Self { cell_deg, max_points, extent, points: Vec::new(), total: 0, cells: None }
    }

    /// The cell of a point. Coordinates are at most 180 degrees and cells at least 0.0005:
    /// the casts cannot overflow.
    fn key(&self, lon: f64, lat: f64) -> (i64, i64) {
        ((lon / self.cell_deg).floor() as i64, (lat / self.cell_deg).floor() as i64)
    }

    fn cells(&self) -> Cells {
        if let Some([w, s, e, n]) = self.extent.bounds {
            let ((x0, y0), (x1, y1)) = (self.key(w, s), self.key(e, n));
            let (cols, rows) = (x1 - x0 + 1, y1 - y0 + 1);
            if cols > 0 && rows > 0 && cols.saturating_mul(rows) <= DENSE_CELLS_MAX {
                let len = usize::try_from(cols * rows).unwrap_or(0);
                return Cells::Dense { x0, y0, rows, sums: vec![(0.0, 0.0, 0); len] };
            }
        }
        Cells::Tree(BTreeMap::new())
    }

    /// Adds the next event.
    pub fn add(&mut self, lon: f64, lat: f64) {
        self.total += 1;
        if self.cells.is_none() {
            self.points.push((lon, lat));
            if self.points.len() <= self.max_points {
                return;
            }
            let mut cells = self.cells();
            for (lon, lat) in std::mem::take(&mut self.points) {
                self.put(&mut cells, lon, lat);
            }
            self.cells = Some(cells);
            return;
        }
        if let Some(mut cells) = self.cells.take() {
            self.put(&mut cells, lon, lat);
            self.cells = Some(cells);
        }
    }

    fn put(&self, cells: &mut Cells, lon: f64, lat: f64) {
        let (x, y) = self.key(lon, lat);
        let cell = match cells {
            Cells::Dense { x0, y0, rows, sums } => {
                let (dx, dy) = (x - *x0, y - *y0);
                let at = usize::try_from(dx * *rows + dy).ok().filter(|_| dy >= 0 && dy < *rows);
                match at.and_then(|at| sums.get_mut(at)) {
                    Some(cell) => cell,
                    None => {
                        // Outside the extent it was given: move everything to a tree.
                        let tree = Self::tree_of(cells);
                        *cells = Cells::Tree(tree);
                        return self.put(cells, lon, lat);
                    }
                }
            }
            Cells::Tree(tree) => tree.entry((x, y)).or_insert((0.0, 0.0, 0)),
        };
        cell.0 += lon;
        cell.1 += lat;
        cell.2 += 1;
    }

    fn tree_of(cells: &Cells) -> BTreeMap<(i64, i64), CellSums> {
        match cells {
            Cells::Tree(tree) => tree.clone(),
            Cells::Dense { x0, y0, rows, sums } => sums
                .iter()
                .enumerate()
                .filter(|(_, c)| c.2 > 0)
                .map(|(i, c)| {
                    let i = i64::try_from(i).unwrap_or(0);
                    ((x0 + i / rows, y0 + i % rows), *c)
                })
                .collect(),
        }
    }

    /// The heatmap: the points one by one if there were at most `max_points`, else the cells.
    pub fn finish(self) -> HeatMap {
        let Some(cells) = self.cells else {
            let points = self.points.iter().map(|&(lon, lat)| [round(lon), round(lat), 1.0]).collect();
            return HeatMap { mode: HeatMode::Points, total: self.total, cell_deg: None, points };
        };
        let mean = |&(lon, lat, n): &CellSums| {
            let count = n as f64;
            [round(lon / count), round(lat / count), count]
        };
        let points = match &cells {
            Cells::Dense { sums, .. } => sums.iter().filter(|c| c.2 > 0).map(mean).collect(),
            Cells::Tree(tree) => tree.values().map(mean).collect(),
        };
        HeatMap { mode: HeatMode::Cells, total: self.total, cell_deg: Some(self.cell_deg), points }
    }
}

/// Events per grid code.
pub fn grid_counts(points: &[EventPoint]) -> HashMap<&str, u64> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for p in points {
        *counts.entry(p.grid_code.as_str()).or_default() += 1;
    }
    counts
}

/// The `counts` (events per grid code) of every grid of `grids` (`(code, area_km2)`, zero
/// counts included); events in grids not listed are left out.
pub fn choropleth<'a>(grids: impl Iterator<Item = (&'a str, f64)>, counts: &HashMap<&str, u64>) -> Choropleth {
    let grids: Vec<GridCount> = grids
        .map(|(code, area_km2)| {
            let count = counts.get(code).copied().unwrap_or(0);
            let per_km2 = if area_km2 > 0.0 { round(count as f64 / area_km2) } else { 0.0 };
            GridCount { code: code.to_owned(), count, per_km2 }
        })
        .collect();
    let max_count = grids.iter().map(|g| g.count).max().unwrap_or(0);
    let max_per_km2 = grids.iter().map(|g| g.per_km2).fold(0.0, f64::max);
    Choropleth { grids, max_count, max_per_km2 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_core::event::Category;

    fn lonlat(points: &[EventPoint]) -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.lon, p.lat)).collect()
    }

    fn at(lon: f64, lat: f64, grid: &str) -> EventPoint {
        EventPoint { lon, lat, category: Category::Hazard, grid_code: grid.into() }
    }

    #[test]
    fn few_events_are_points_of_weight_one() {
        let h = heat(&lonlat(&[at(115.5000004, 40.4, "g"), at(115.51, 40.41, "g")]), 0.005, 2);
        assert_eq!(h.mode, HeatMode::Points);
        assert_eq!((h.total, h.cell_deg), (2, None));
        assert_eq!(h.points, vec![[115.5, 40.4, 1.0], [115.51, 40.41, 1.0]]);
    }

    #[test]
    fn dense_and_tree_cells_answer_alike_whatever_extent_they_were_given() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut unit = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let points: Vec<(f64, f64)> = (0..20_000).map(|_| (115.3 + 0.7 * unit(), 40.1 + 0.5 * unit())).collect();
        for cell in [0.0005, 0.005, 0.05] {
            let dense = heat(&points, cell, 100);
            let mut tree = Heat::new(cell, 100, Extent { bounds: None });
            // Given a box that holds only part of the points: it moves to a tree midway.
            let mut part = Heat::new(cell, 100, Extent::of(points[..5_000].iter().copied()));
            for &(lon, lat) in &points {
                tree.add(lon, lat);
                part.add(lon, lat);
            }
            let (tree, part) = (tree.finish(), part.finish());
            assert_eq!(dense.mode, HeatMode::Cells);
            assert_eq!(dense, tree, "{cell}");
            assert_eq!(dense, part, "{cell}");
        }
    }

    #[test]
    fn many_events_are_cells_at_their_mean_weighted_by_count() {
        // Two in one 0.01° cell, one in the cell to the east, one in the cell to the north.
        let points = [at(115.501, 40.401, "a"), at(115.503, 40.405, "a"), at(115.515, 40.401, "b"), at(115.501, 40.419, "c")];
        let points = lonlat(&points);
        let h = heat(&points, 0.01, 3);
        assert_eq!(h.mode, HeatMode::Cells);
        assert_eq!((h.total, h.cell_deg), (4, Some(0.01)));
        assert_eq!(h.points, vec![[115.502, 40.403, 2.0], [115.501, 40.419, 1.0], [115.515, 40.401, 1.0]]);
        let weights: f64 = h.points.iter().map(|p| p[2]).sum();
        assert_eq!(weights, 4.0);
        // At the threshold exactly, still points.
        assert_eq!(heat(&points, 0.01, 4).mode, HeatMode::Points);
    }

    #[test]
    fn choropleths_list_every_grid_with_densities() {
        let points = [at(0.0, 0.0, "a"), at(0.0, 0.0, "a"), at(0.0, 0.0, "b"), at(0.0, 0.0, "elsewhere")];
        let c = choropleth([("a", 0.5), ("b", 2.0), ("c", 1.0), ("d", 0.0)].into_iter(), &grid_counts(&points));
        let got: Vec<(&str, u64, f64)> = c.grids.iter().map(|g| (g.code.as_str(), g.count, g.per_km2)).collect();
        assert_eq!(got, vec![("a", 2, 4.0), ("b", 1, 0.5), ("c", 0, 0.0), ("d", 0, 0.0)]);
        assert_eq!((c.max_count, c.max_per_km2), (2, 4.0));
    }
}
