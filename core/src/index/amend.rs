//! Where points fall once some grids of an index are replaced, answered without building the
//! new index: a publication's impact is located while the county's new index is built beside
//! the write.
//!
//! [`Amended::grid_at`] answers exactly as [`GridIndex::build`] over the kept and the added
//! grids in code order would (the same boundary rule): a point the base index puts in a kept
//! grid and that no added grid's bounding box holds keeps that grid (one table read); any other
//! point is decided by exact tests of the grids whose bounding boxes hold it, in the order the
//! index decides them: the first street unit that holds it, then the tiling grid that holds it,
//! then, on the outer boundary, the first grid whose edge it lies on.

use std::sync::Arc;

use geo::Coord;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::polygon::IndexedPolygon;
use super::{envelope_of, GridIndex, GridShape};
use crate::coord::LonLat;
use crate::division::GridRecord;
use crate::IndexError;

/// A [`GridIndex`] with some grids dropped and others added (see the module docs).
#[derive(Debug)]
pub struct Amended {
    base: Arc<GridIndex>,
    /// Per grid of `base`: replaced or removed.
    dropped: Vec<bool>,
    added: Vec<GridRecord>,
    polygons: Vec<IndexedPolygon>,
    envelopes: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    /// The base's grids are in code order (else every point takes the exact path).
    ordered: bool,
}

/// One grid that may own a point.
struct Candidate<'b> {
    record: &'b GridRecord,
    polygon: &'b IndexedPolygon,
}

impl Amended {
    /// `base` without the grids `drop` names and with `added` (their geometry checked as
    /// [`GridIndex::build`] checks it).
    pub fn new(base: Arc<GridIndex>, drop: impl Fn(&GridRecord) -> bool, added: Vec<GridShape>) -> Result<Self, IndexError> {
        let mut rects = Vec::with_capacity(added.len());
        for (i, s) in added.iter().enumerate() {
            rects.push(GeomWithData::new(envelope_of(s)?, i as u32));
        }
        let polygons = added.iter().map(|s| IndexedPolygon::new(&s.geometry)).collect();
        let dropped = base.grids.iter().map(&drop).collect();
        let ordered = base.grids.windows(2).all(|w| w[0].code < w[1].code);
        Ok(Self {
            base,
            dropped,
            added: added.into_iter().map(|s| s.record).collect(),
            polygons,
            envelopes: RTree::bulk_load(rects),
            ordered,
        })
    }

    /// The code of the grid that owns `(lon, lat)` once the grids are amended (`None` outside
    /// every grid or for coordinates that are not a point).
    pub fn code_at(&self, lon: f64, lat: f64) -> Option<&str> {
        LonLat::new(lon, lat).ok().and_then(|p| self.grid_at(p)).map(|r| r.code.as_str())
    }

    /// The grid that owns a checked point once the grids are amended, if any.
    pub fn grid_at(&self, p: LonLat) -> Option<&GridRecord> {
        let c = Coord { x: p.lon, y: p.lat };
        let near_added = self.envelopes.locate_all_at_point(&[c.x, c.y]).next().is_some();
        if self.ordered && !near_added {
            // The same grids hold the point before and after, less the dropped ones: a kept
            // grid that owned it still does (and nothing owns it that did not).
            match self.base.grid_at(p) {
                None => return None,
                Some(g) if !self.dropped[g] => return Some(&self.base.grids[g]),
                Some(_) => {}
            }
        }
        self.decide(c)
    }

    /// The owner of `c` by exact tests (the index's rule, in code order).
    fn decide(&self, c: Coord<f64>) -> Option<&GridRecord> {
        let kept = self
            .base
            .envelopes
            .locate_all_at_point(&[c.x, c.y])
            .map(|g| g.data as usize)
            .filter(|&g| !self.dropped[g])
            .map(|g| Candidate { record: &self.base.grids[g], polygon: &self.base.polygons[g] });
        let added = self
            .envelopes
            .locate_all_at_point(&[c.x, c.y])
            .map(|g| g.data as usize)
            .map(|g| Candidate { record: &self.added[g], polygon: &self.polygons[g] });
        let candidates: Vec<Candidate<'_>> = kept.chain(added).collect();
        let first = |keep: &dyn Fn(&Candidate<'_>) -> bool| {
            candidates.iter().filter(|k| keep(k)).map(|k| k.record).min_by(|a, b| a.code.cmp(&b.code))
        };
        first(&|k| k.record.kind.is_overlay() && k.polygon.contains(c))
            .or_else(|| first(&|k| !k.record.kind.is_overlay() && k.polygon.contains(c)))
            // The outer boundary of the union is closed (see the index's boundary rule).
            .or_else(|| first(&|k| !k.record.kind.is_overlay() && k.polygon.on_boundary(c)))
    }
}

#[cfg(test)]
mod tests {
    use geo_types::{polygon, MultiPolygon};

    use super::*;
    use crate::{DivisionRef, GridKind};

    fn shape(code: &str, kind: GridKind, x0: f64, y0: f64, x1: f64, y1: f64) -> GridShape {
        let d = DivisionRef { code: "130730100001".into(), name: "村".into() };
        let record = GridRecord { code: code.into(), name: code.into(), kind, village: d.clone(), township: d };
        let p = polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)];
        GridShape { record, geometry: MultiPolygon(vec![p]) }
    }

    /// A 6 × 6 tiling of squares near the county (sides of 1/8°, exact in binary, so that the
    /// grids share their edges exactly), with a street unit in one of them.
    fn county() -> Vec<GridShape> {
        let mut out = Vec::new();
        for i in 0..6 {
            for j in 0..6 {
                let (x, y) = (115.0 + 0.125 * f64::from(i), 40.0 + 0.125 * f64::from(j));
                out.push(shape(&format!("130730100001{:03}", i * 6 + j), GridKind::Rural, x, y, x + 0.125, y + 0.125));
            }
        }
        out.push(shape("130730100001900", GridKind::StreetUnit, 115.27, 40.27, 115.35, 40.35));
        out
    }

    /// The grids after: two neighbours swap their halves' border, one is split in two, one
    /// removed (a gap, whose edges become outer), a street unit added, one added beyond the
    /// old outer boundary.
    fn amendment() -> (Vec<&'static str>, Vec<GridShape>) {
        let dropped = vec!["130730100001000", "130730100001006", "130730100001014", "130730100001021"];
        let added = vec![
            shape("130730100001000", GridKind::Rural, 115.0, 40.0, 115.1875, 40.125),
            shape("130730100001006", GridKind::Rural, 115.1875, 40.0, 115.25, 40.125),
            shape("130730100001014", GridKind::Rural, 115.25, 40.25, 115.3125, 40.375),
            shape("130730100001037", GridKind::Rural, 115.3125, 40.25, 115.375, 40.375),
            shape("130730100001901", GridKind::StreetUnit, 115.52, 40.52, 115.56, 40.56),
            shape("130730100001038", GridKind::Rural, 115.75, 40.0, 115.875, 40.125),
        ];
        (dropped, added)
    }

    #[test]
    fn answers_as_the_index_built_over_the_amended_grids() {
        let before = county();
        let base = Arc::new(GridIndex::build(before.clone()).unwrap());
        let (dropped, added) = amendment();
        let amended = Amended::new(base, |r| dropped.contains(&r.code.as_str()), added.clone()).unwrap();
        let mut after: Vec<GridShape> =
            before.into_iter().filter(|s| !dropped.contains(&s.record.code.as_str())).chain(added).collect();
        after.sort_by(|a, b| a.record.code.cmp(&b.record.code));
        let full = GridIndex::build(after.clone()).unwrap();
        // Every vertex, every point between on the edges and every cell between them (shared
        // edges, corners, outer edges, the gap), and pseudo-random points.
        let axis = |pick: fn(&Coord<f64>) -> f64| {
            let mut v: Vec<f64> = after.iter().chain(&county()).flat_map(|s| s.geometry.0[0].exterior().0.iter().map(pick)).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            let mids: Vec<f64> = v.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
            v.extend(mids);
            v.extend([v[0] - 0.01, v[v.len() - 1] + 0.01]);
            v
        };
        let (xs, ys) = (axis(|c| c.x), axis(|c| c.y));
        let mut points: Vec<(f64, f64)> = xs.iter().flat_map(|&x| ys.iter().map(move |&y| (x, y))).collect();
        let mut s = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (u, v) = ((s >> 11) as f64 / (1u64 << 53) as f64, (s & 0xffff_ffff) as f64 / 4_294_967_296.0);
            points.push((114.98 + 0.92 * u, 39.98 + 0.79 * v));
        }
        let mut exact_path = 0;
        for (lon, lat) in points {
            let p = LonLat::new(lon, lat).unwrap();
            let want = full.grid_at(p).map(|g| full.grids()[g].code.as_str());
            let got = amended.grid_at(p).map(|r| r.code.as_str());
            assert_eq!(got, want, "at {lon} {lat}");
            if amended.envelopes.locate_all_at_point(&[lon, lat]).next().is_some() {
                exact_path += 1;
            }
        }
        assert!(exact_path > 1000, "the exact path was tried ({exact_path} points)");
    }

    #[test]
    fn refuses_an_added_grid_the_index_would_refuse() {
        let base = Arc::new(GridIndex::build(county()).unwrap());
        let flat = shape("130730100001040", GridKind::Rural, 115.0, 40.0, 115.0, 40.1);
        assert!(matches!(Amended::new(base, |_| false, vec![flat]), Err(IndexError::BadGeometry { .. })));
    }
}
