//! Nearest-grid search for points outside every grid: an R-tree of the grids' outer edges
//! (edges not shared by two grids), projected to local metres.

use std::collections::HashMap;

use rstar::primitives::{GeomWithData, Line};
use rstar::{PointDistance, RTree};

use super::polygon::IndexedPolygon;
use crate::coord::{metres_per_degree, LonLat};

/// Outer edges in metres, each tagged with its grid.
#[derive(Debug)]
pub(crate) struct EdgeTree {
    tree: RTree<GeomWithData<Line<[f64; 2]>, u32>>,
    scale: (f64, f64),
}

impl EdgeTree {
    /// Indexes the unshared edges of the tiling (non-overlay) polygons.
    pub(crate) fn build(polygons: &[IndexedPolygon], overlay: &[bool], mid_lat: f64) -> Self {
        let scale = metres_per_degree(mid_lat);
        let key = |a: geo_types::Coord<f64>, b: geo_types::Coord<f64>| {
            let (ka, kb) = ((a.x.to_bits(), a.y.to_bits()), (b.x.to_bits(), b.y.to_bits()));
            if ka <= kb { (ka, kb) } else { (kb, ka) }
        };
        let mut count: HashMap<_, u32> = HashMap::new();
        let tiling = || polygons.iter().zip(overlay).enumerate().filter(|(_, (_, &o))| !o);
        for (_, (poly, _)) in tiling() {
            for &(a, b) in poly.segments() {
                *count.entry(key(a, b)).or_default() += 1;
            }
        }
        let mut lines = Vec::new();
        for (gid, (poly, _)) in tiling() {
            for &(a, b) in poly.segments() {
                if count.get(&key(a, b)) == Some(&1) {
                    let line = Line::new([a.x * scale.0, a.y * scale.1], [b.x * scale.0, b.y * scale.1]);
                    lines.push(GeomWithData::new(line, gid as u32));
                }
            }
        }
        Self { tree: RTree::bulk_load(lines), scale }
    }

    /// The grid with the closest outer edge, and the distance in metres.
    pub(crate) fn nearest(&self, p: LonLat) -> Option<(usize, f64)> {
        let q = [p.lon * self.scale.0, p.lat * self.scale.1];
        self.tree.nearest_neighbor(&q).map(|e| (e.data as usize, e.geom().distance_2(&q).sqrt()))
    }
}
