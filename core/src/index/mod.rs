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

mod baseline;
mod nearest;
mod polygon;
mod raster;
mod shared;

use geo::{BoundingRect, Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject, AABB};

pub use baseline::BaselineIndex;
pub use shared::SharedIndex;

use crate::coord::{CoordError, LonLat};
use crate::division::GridRecord;
use polygon::IndexedPolygon;
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

/// Default raster size: about this many cells (4 bytes each).
const TARGET_CELLS: usize = 1 << 20;

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
        let shared = nearest::shared_segments(&polygons, &overlay);
        let outer = |p: usize, s: usize| !overlay[p] && !shared.contains(&nearest::seg_key(polygons[p].segments()[s]));
        let layers = Layers { polygons: &polygons, overlay: &overlay, envelopes: &envelopes, outer: &outer };
        let raster = Raster::build(&layers, min, max, TARGET_CELLS);
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

    /// Number of raster cells, of cells that need exact tests, and bytes of the lookup
    /// tables (for reports).
    pub fn raster_stats(&self) -> (usize, usize, usize) {
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
