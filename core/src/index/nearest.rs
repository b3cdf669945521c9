//! Nearest-grid search for points outside every grid: an R-tree of the grids' outer edges
//! (edges not shared by two grids), projected to local metres.

use std::collections::HashSet;

use geo_types::Coord;

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

/// A segment's key, the same whichever way it is walked.
pub(crate) type SegKey = ((u64, u64), (u64, u64));

/// The key of segment `a–b`.
pub(crate) fn seg_key((a, b): (Coord<f64>, Coord<f64>)) -> SegKey {
    let (ka, kb) = ((a.x.to_bits(), a.y.to_bits()), (b.x.to_bits(), b.y.to_bits()));
    if ka <= kb { (ka, kb) } else { (kb, ka) }
}

/// Segments used by two or more tiling (non-overlay) polygons: the inner edges.
pub(crate) fn shared_segments(polygons: &[IndexedPolygon], overlay: &[bool]) -> HashSet<SegKey> {
    let mut seen = HashSet::new();
    let mut shared = HashSet::new();
    for (poly, _) in polygons.iter().zip(overlay).filter(|(_, &o)| !o) {
        for &s in poly.segments() {
            if !seen.insert(seg_key(s)) {
                shared.insert(seg_key(s));
            }
        }
    }
    shared
}

impl EdgeTree {
    /// Indexes the outer edges (as told by `outer(polygon, segment)`).
    pub(crate) fn build(polygons: &[IndexedPolygon], outer: &dyn Fn(usize, usize) -> bool, mid_lat: f64) -> Self {
        let scale = metres_per_degree(mid_lat);
        let mut lines = Vec::new();
        for (gid, poly) in polygons.iter().enumerate() {
            for (si, &(a, b)) in poly.segments().iter().enumerate() {
                if outer(gid, si) {
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
