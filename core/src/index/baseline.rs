//! The plain baseline the fast index is measured against: an R-tree over grid bounding boxes
//! followed by `geo::Intersects` (street units first). It agrees with [`super::GridIndex`]
//! everywhere off the boundaries and serves as the oracle in tests and the benchmark.

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::GridShape;

/// R-tree over bounding boxes + exact `geo` predicate.
#[derive(Debug)]
pub struct BaselineIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    geometries: Vec<MultiPolygon<f64>>,
    overlay: Vec<bool>,
}

impl BaselineIndex {
    /// Builds the baseline over the same shapes as the fast index.
    pub fn build(shapes: &[GridShape]) -> Self {
        let rects = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.geometry.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners(r.min().into(), r.max().into()), i as u32))
            })
            .collect();
        Self {
            tree: RTree::bulk_load(rects),
            geometries: shapes.iter().map(|s| s.geometry.clone()).collect(),
            overlay: shapes.iter().map(|s| s.record.kind.is_overlay()).collect(),
        }
    }

    /// Grids whose closed area holds the point, street units first then in index order.
    /// Off the boundaries this is exactly one grid or none.
    pub fn grids_at(&self, lon: f64, lat: f64) -> Vec<usize> {
        let pt = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .tree
            .locate_all_at_point(&[lon, lat])
            .map(|g| g.data as usize)
            .filter(|&g| self.geometries[g].intersects(&pt))
            .collect();
        hits.sort_unstable_by_key(|&g| (!self.overlay[g], g));
        hits
    }

    /// The grid a point is in: the first of [`Self::grids_at`].
    pub fn grid_at(&self, lon: f64, lat: f64) -> Option<usize> {
        self.grids_at(lon, lat).first().copied()
    }
}
