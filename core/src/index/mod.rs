//! The grid index: point → grid, exact, in tens of nanoseconds.
//!
//! A raster lookup table answers most points with one memory read; points in cells that a
//! boundary crosses are decided by exact point-in-polygon tests (see [`polygon`]). An R-tree
//! (`rstar`) over the grids' bounding boxes serves bbox queries, and one over their edges, in
//! local metres, serves nearest-grid search for points outside the county.
//!
//! **Boundary rule.** A point on an edge shared by two grids belongs to the grid just east of
//! it; on an east–west edge, to the grid just north of it (formally: to the grid containing
//! `p + (δ, ε)` for infinitesimal `0 < ε ≪ δ`). A point on the county's outer boundary belongs
//! to a grid whose edge it lies on (the first in index order). A point inside a street-unit
//! grid (驻街单位) belongs to the street unit, not to the community grid around it.

mod amend;
mod baseline;
mod nearest;
mod polygon;
mod raster;
mod shared;

use geo::{BoundingRect, Coord, CoordsIter, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject, AABB};

pub use amend::Amended;
pub use baseline::BaselineIndex;
pub use shared::SharedIndex;

use crate::coord::{CoordError, LonLat};
use crate::division::GridRecord;
use polygon::IndexedPolygon;
pub use raster::{RasterStats, Tuning};
use raster::{Layers, Raster, NONE};

/// Why an index could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// No grids were given.
    #[error("no grids to index")]
    Empty,
    /// A grid's geometry has no area or a non-finite coordinate.
    #[error("grid {code}: {reason}")]
    BadGeometry {
        /// The grid's code.
        code: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// More grids than the raster can name.
    #[error("too many grids ({0})")]
    TooMany(usize),
}

/// A grid and its shape, as handed to [`GridIndex::build`].
#[derive(Debug, Clone)]
pub struct GridShape {
    /// The grid's attributes.
    pub record: GridRecord,
    /// Its boundary in lon/lat degrees (CGCS2000).
    pub geometry: MultiPolygon<f64>,
}

/// The answer for one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located {
    /// The point is in the grid with this position in [`GridIndex::grids`].
    Grid(usize),
    /// The point is in no grid; the nearest grid (if any) is given for dispatchers.
    Outside(Option<Nearest>),
}

/// The grid nearest to a point outside every grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Position in [`GridIndex::grids`].
    pub grid: usize,
    /// Distance to that grid's boundary in metres (local equirectangular approximation).
    pub distance_m: f64,
}

/// How the index is built by default (see [`Tuning`]).
pub const DEFAULT_TUNING: Tuning = Tuning { target_cells: 1 << 20, max_depth: 2, leaf_segments: 8 };

/// An immutable, exact point-in-grid index over a set of grids.
#[derive(Debug)]
pub struct GridIndex {
    grids: Vec<GridRecord>,
    bboxes: Vec<[f64; 4]>,
    polygons: Vec<IndexedPolygon>,
    raster: Raster,
    envelopes: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    nearest: nearest::EdgeTree,
}

impl GridIndex {
    /// Builds the index. Street-unit grids overlay the others; all other grids are expected
    /// to tile their area without overlaps.
    pub fn build(shapes: Vec<GridShape>) -> Result<Self, IndexError> {
        Self::build_tuned(shapes, DEFAULT_TUNING)
    }

    /// [`Self::build`] with another raster resolution and refinement (benchmarks compare them;
    /// tests use few top cells, so that boundary cells are dense and refined to the last level).
    pub fn build_tuned(shapes: Vec<GridShape>, tuning: Tuning) -> Result<Self, IndexError> {
        Self::build_banded(shapes, tuning, None)
    }

    /// [`Self::build_tuned`], the raster's cells filled in `bands` bands of rows (`None`: one
    /// for each core, up to four).
    fn build_banded(shapes: Vec<GridShape>, tuning: Tuning, bands: Option<usize>) -> Result<Self, IndexError> {
        if shapes.is_empty() {
            return Err(IndexError::Empty);
        }
        if shapes.len() >= NONE as usize {
            return Err(IndexError::TooMany(shapes.len()));
        }
        let mut rects = Vec::with_capacity(shapes.len());
        for (i, s) in shapes.iter().enumerate() {
            rects.push(GeomWithData::new(envelope_of(s)?, i as u32));
        }
        let envelopes = RTree::bulk_load(rects);
        let polygons: Vec<IndexedPolygon> = shapes.iter().map(|s| IndexedPolygon::new(&s.geometry)).collect();
        let overlay: Vec<bool> = shapes.iter().map(|s| s.record.kind.is_overlay()).collect();
        let env = envelopes.root().envelope();
        let pad = 1e-6;
        let (min, max) = (
            Coord { x: env.lower()[0] - pad, y: env.lower()[1] - pad },
            Coord { x: env.upper()[0] + pad, y: env.upper()[1] + pad },
        );
        let outer_segments = nearest::outer_segments(&polygons, &overlay);
        let outer = |p: usize, s: usize| outer_segments[p][s];
        let layers = Layers { polygons: &polygons, overlay: &overlay, envelopes: &envelopes, outer: &outer };
        let raster = match bands {
            Some(bands) => Raster::build_in(&layers, min, max, tuning, bands),
            None => Raster::build(&layers, min, max, tuning),
        };
        let nearest = nearest::EdgeTree::build(&polygons, &outer, (min.y + max.y) / 2.0);
        let bboxes = envelopes_in_order(&envelopes, shapes.len());
        let grids = shapes.into_iter().map(|s| s.record).collect();
        Ok(Self { grids, bboxes, polygons, raster, envelopes, nearest })
    }

    /// All grids, in index order.
    pub fn grids(&self) -> &[GridRecord] {
        &self.grids
    }

    /// The grid that owns a checked point, if any (no nearest-grid search).
    ///
    /// ```
    /// # use wangge_core::{index::GridShape, GridIndex, GridKind, GridRecord, DivisionRef, LonLat};
    /// # use geo_types::{polygon, MultiPolygon};
    /// # let d = DivisionRef { code: "130730100001".into(), name: "村".into() };
    /// # let rec = |code: &str| GridRecord { code: code.into(), name: code.into(), kind: GridKind::Rural, village: d.clone(), township: d.clone() };
    /// let west = polygon![(x: 115.0, y: 40.0), (x: 115.5, y: 40.0), (x: 115.5, y: 40.5), (x: 115.0, y: 40.5), (x: 115.0, y: 40.0)];
    /// let east = polygon![(x: 115.5, y: 40.0), (x: 116.0, y: 40.0), (x: 116.0, y: 40.5), (x: 115.5, y: 40.5), (x: 115.5, y: 40.0)];
    /// let index = GridIndex::build(vec![
    ///     GridShape { record: rec("130730100001001"), geometry: MultiPolygon(vec![west]) },
    ///     GridShape { record: rec("130730100001002"), geometry: MultiPolygon(vec![east]) },
    /// ]).unwrap();
    /// assert_eq!(index.grid_at(LonLat::new(115.2, 40.2).unwrap()), Some(0));
    /// // On the shared edge: the grid to the east.
    /// assert_eq!(index.grid_at(LonLat::new(115.5, 40.2).unwrap()), Some(1));
    /// assert_eq!(index.grid_at(LonLat::new(117.0, 40.2).unwrap()), None);
    /// ```
    #[inline]
    pub fn grid_at(&self, p: LonLat) -> Option<usize> {
        let g = self.raster.locate(&self.polygons, Coord { x: p.lon, y: p.lat });
        (g != NONE).then_some(g as usize)
    }

    /// Checks the coordinates, then answers the grid or, outside every grid, the nearest one.
    pub fn locate(&self, lon: f64, lat: f64) -> Result<Located, CoordError> {
        let p = LonLat::new(lon, lat)?;
        Ok(match self.grid_at(p) {
            Some(g) => Located::Grid(g),
            None => Located::Outside(self.nearest(p)),
        })
    }

    /// The nearest grid to `p` and the distance to its boundary.
    pub fn nearest(&self, p: LonLat) -> Option<Nearest> {
        self.nearest.nearest(p).map(|(grid, distance_m)| Nearest { grid, distance_m })
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` of grid `g`.
    pub fn bbox(&self, g: usize) -> Option<[f64; 4]> {
        self.bboxes.get(g).copied()
    }

    /// Grids whose bounding box intersects `[min_lon, min_lat, max_lon, max_lat]`, in index order.
    pub fn in_bbox(&self, bbox: [f64; 4]) -> Vec<usize> {
        let aabb = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        let mut out: Vec<usize> =
            self.envelopes.locate_in_envelope_intersecting(&aabb).map(|g| g.data as usize).collect();
        out.sort_unstable();
        out
    }

    /// Sizes of the lookup tables: cells, boundary leaves that need exact tests, sub-blocks,
    /// bytes (for reports).
    pub fn raster_stats(&self) -> RasterStats {
        self.raster.stats()
    }
}

fn envelopes_in_order(tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>, n: usize) -> Vec<[f64; 4]> {
    let mut out = vec![[0.0; 4]; n];
    for r in tree.iter() {
        let e = r.geom().envelope();
        out[r.data as usize] = [e.lower()[0], e.lower()[1], e.upper()[0], e.upper()[1]];
    }
    out
}

fn envelope_of(s: &GridShape) -> Result<Rectangle<[f64; 2]>, IndexError> {
    let bad = |reason| IndexError::BadGeometry { code: s.record.code.clone(), reason };
    // Every vertex, not just the box's corners: a NaN is skipped by min and max.
    if !s.geometry.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite()) {
        return Err(bad("non-finite coordinate"));
    }
    let rect = s.geometry.bounding_rect().ok_or_else(|| bad("empty geometry"))?;
    let (lo, hi) = (rect.min(), rect.max());
    if ![lo.x, lo.y, hi.x, hi.y].iter().all(|v| v.is_finite()) {
        return Err(bad("non-finite coordinate"));
    }
    if LonLat::new(lo.x, lo.y).is_err() || LonLat::new(hi.x, hi.y).is_err() {
        return Err(bad("coordinate out of range"));
    }
    if !(lo.x < hi.x && lo.y < hi.y) {
        return Err(bad("no area"));
    }
    Ok(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::{DivisionRef, GridKind};
    use geo_types::{LineString, Polygon};

    fn record(i: usize, kind: GridKind) -> GridRecord {
        let d = DivisionRef { code: "130730100001".into(), name: "村".into() };
        GridRecord { code: format!("130730100001{i:03}"), name: i.to_string(), kind, village: d.clone(), township: d }
    }

    /// Column `i` of `n` over the unit square, between two sawtooth lines of `teeth` teeth
    /// (the outer columns keep the square's straight sides).
    fn column(i: usize, n: usize, teeth: usize) -> Polygon<f64> {
        let w = 1.0 / n as f64;
        let side = |k: usize| -> Vec<(f64, f64)> {
            (0..=2 * teeth)
                .map(|j| {
                    let x = k as f64 * w + if k == 0 || k == n || j % 2 == 0 { 0.0 } else { 0.35 * w };
                    (x, j as f64 / (2 * teeth) as f64)
                })
                .collect()
        };
        let mut ring = side(i);
        ring.extend(side(i + 1).into_iter().rev());
        ring.push(ring[0]);
        Polygon::new(LineString::from(ring), vec![])
    }

    /// A square street unit laid over the columns.
    fn unit() -> Polygon<f64> {
        let r = vec![(0.41, 0.43), (0.57, 0.43), (0.57, 0.61), (0.41, 0.61), (0.41, 0.43)];
        Polygon::new(LineString::from(r), vec![])
    }

    /// The rule itself: the street unit whose polygon holds the point, else the one tiling
    /// grid that does, else a grid whose edge it lies on (the first).
    fn by_the_rule(polys: &[IndexedPolygon], overlay: &[bool], p: Coord<f64>) -> Option<usize> {
        let find = |o: bool| (0..polys.len()).find(|&g| overlay[g] == o && polys[g].contains(p));
        let tiling: Vec<usize> = (0..polys.len()).filter(|&g| !overlay[g] && polys[g].contains(p)).collect();
        assert!(tiling.len() <= 1, "the columns overlap at {p:?}");
        find(true).or(find(false)).or_else(|| (0..polys.len()).find(|&g| !overlay[g] && polys[g].on_boundary(p)))
    }

    #[test]
    fn a_non_finite_vertex_is_refused_not_a_panic() {
        for bad in [f64::NAN, f64::INFINITY] {
            let mut ring: Vec<(f64, f64)> = vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
            ring[2].0 = bad;
            let shape = GridShape { record: record(0, GridKind::Rural), geometry: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]) };
            let good = GridShape { record: record(1, GridKind::Rural), geometry: MultiPolygon(vec![column(1, 2, 3)]) };
            let built = GridIndex::build(vec![good, shape]);
            assert!(matches!(built, Err(IndexError::BadGeometry { reason: "non-finite coordinate", .. })), "{bad}: {built:?}");
        }
    }

    /// Twelve sawtooth columns of 300 teeth over the unit square, and the street unit over
    /// them.
    fn sawtooth_columns() -> Vec<GridShape> {
        let (n, teeth) = (12, 300);
        let mut shapes: Vec<GridShape> =
            (0..n).map(|i| GridShape { record: record(i, GridKind::Rural), geometry: MultiPolygon(vec![column(i, n, teeth)]) }).collect();
        shapes.push(GridShape { record: record(n, GridKind::StreetUnit), geometry: MultiPolygon(vec![unit()]) });
        shapes
    }

    #[test]
    fn the_raster_is_the_same_filled_in_one_band_or_several() {
        let shapes = sawtooth_columns();
        // 64 × 64 top cells: some ten thousand touches in each band, leaves shared across bands.
        let tuning = Tuning { target_cells: 4096, max_depth: 3, leaf_segments: 3 };
        let one = GridIndex::build_banded(shapes.clone(), tuning, Some(1)).unwrap();
        assert!(one.raster_stats().sub_blocks > 100, "{:?}", one.raster_stats());
        for bands in [2, 3, 4] {
            let many = GridIndex::build_banded(shapes.clone(), tuning, Some(bands)).unwrap();
            assert!(many.raster == one.raster, "{bands} bands: {:?}, one: {:?}", many.raster_stats(), one.raster_stats());
        }
    }

    #[test]
    fn dense_boundaries_are_refined_and_answer_by_the_rule_everywhere() {
        let shapes = sawtooth_columns();
        let polys: Vec<IndexedPolygon> = shapes.iter().map(|s| IndexedPolygon::new(&s.geometry)).collect();
        let overlay: Vec<bool> = shapes.iter().map(|s| s.record.kind.is_overlay()).collect();
        // 16 × 16 top cells: hundreds of edges in a boundary cell, refined to the last level.
        let index = GridIndex::build_tuned(shapes.clone(), Tuning { target_cells: 256, max_depth: 3, leaf_segments: 3 }).unwrap();
        let stats = index.raster_stats();
        assert!(stats.sub_blocks > 16 * 16, "{stats:?}");
        let mut points: Vec<Coord<f64>> = Vec::new();
        // Random points (a fixed LCG) over and around the square.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200_000 {
            points.push(Coord { x: next() * 1.2 - 0.1, y: next() * 1.2 - 0.1 });
        }
        // Every vertex, and points on every edge.
        for p in &polys {
            for &(a, b) in p.segments() {
                points.push(a);
                points.push(Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 });
                points.push(Coord { x: a.x + (b.x - a.x) * 0.999, y: a.y + (b.y - a.y) * 0.999 });
            }
        }
        let mut wrong = Vec::new();
        for &p in &points {
            let ours = index.grid_at(LonLat { lon: p.x, lat: p.y });
            let expected = by_the_rule(&polys, &overlay, p);
            if ours != expected {
                wrong.push((p, ours, expected));
            }
        }
        assert!(wrong.is_empty(), "{} of {} points disagree, e.g. {:?}", wrong.len(), points.len(), &wrong[..wrong.len().min(5)]);
        // Off the boundaries, the plain baseline agrees.
        let base = BaselineIndex::build(&shapes);
        for &p in points.iter().take(200_000) {
            let hits = base.grids_at(p.x, p.y);
            if hits.len() == 1 || hits.is_empty() {
                assert_eq!(index.grid_at(LonLat { lon: p.x, lat: p.y }), hits.first().copied(), "{p:?}");
            }
        }
    }
}
