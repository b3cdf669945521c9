//! Nearest-grid search for points outside every grid: an R-tree of the grids' outer edges
//! (edges not shared by two grids), projected to local metres.

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
type SegKey = ((u64, u64), (u64, u64));

/// The key of segment `a–b`.
fn seg_key((a, b): (Coord<f64>, Coord<f64>)) -> SegKey {
    let (ka, kb) = ((a.x.to_bits(), a.y.to_bits()), (b.x.to_bits(), b.y.to_bits()));
    if ka <= kb { (ka, kb) } else { (kb, ka) }
}

/// For each polygon, which of its segments lie on the tiling's outer boundary: segments of a
/// tiling (non-overlay) polygon that no other tiling polygon also has. Found by sorting the
/// segments' keys (no hashing: at a province's size the keys no longer fit a cache).
pub(crate) fn outer_segments(polygons: &[IndexedPolygon], overlay: &[bool]) -> Vec<Vec<bool>> {
    let mut keys: Vec<(SegKey, u32, u32)> = Vec::new();
    for (pid, poly) in polygons.iter().enumerate().filter(|&(p, _)| !overlay[p]) {
        keys.extend(poly.segments().iter().enumerate().map(|(si, &s)| (seg_key(s), pid as u32, si as u32)));
    }
    keys.sort_unstable_by_key(|k| k.0);
    let mut outer: Vec<Vec<bool>> = polygons.iter().enumerate().map(|(p, poly)| vec![!overlay[p]; poly.segments().len()]).collect();
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        for &(_, pid, si) in run {
            outer[pid as usize][si as usize] = false;
        }
    }
    outer
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
