//! Check 7: a minimum area, measured on the ellipsoid like the demo data's `area_km2`.

use std::collections::HashMap;

use geo::{GeodesicArea, InteriorPoint, MultiPolygon};

use super::baseline::shape_hash;
use super::{Draft, Location, Options, Problem, ProblemKind};
use crate::division::GridKind;

/// Geodesic area of a geometry in km².
pub fn area_km2(g: &MultiPolygon<f64>) -> f64 {
    g.geodesic_area_unsigned() / 1e6
}

/// Areas already recorded, found again by their shape: a redrawn county mostly keeps or moves
/// its grids' shapes, and a shape keeps its recorded area instead of being measured again.
#[derive(Debug, Default)]
pub struct KnownAreas<'a> {
    by_shape: HashMap<u64, Vec<(&'a MultiPolygon<f64>, f64)>>,
}

impl<'a> KnownAreas<'a> {
    /// Shapes and their recorded areas (km²).
    pub fn new(known: impl IntoIterator<Item = (&'a MultiPolygon<f64>, f64)>) -> Self {
        let mut by_shape: HashMap<u64, Vec<(&'a MultiPolygon<f64>, f64)>> = HashMap::new();
        for (shape, area) in known {
            by_shape.entry(shape_hash(shape)).or_default().push((shape, area));
        }
        Self { by_shape }
    }

    /// The recorded area of a shape with the same coordinates, else its geodesic area.
    pub fn area_km2(&self, g: &MultiPolygon<f64>) -> f64 {
        let known = self.by_shape.get(&shape_hash(g)).and_then(|same| same.iter().find(|(s, _)| *s == g));
        known.map_or_else(|| area_km2(g), |&(_, area)| area)
    }
}

/// Reports valid grids smaller than the minimum for their kind.
/// Grids `kept` from a baseline (the same shape and overlay class) are not measured again.
pub(super) fn check(draft: &Draft, valid: &[bool], kept: &dyn Fn(usize) -> bool, options: &Options, out: &mut Vec<Problem>) {
    let measured = draft.grids.iter().zip(valid).enumerate().filter(|(i, (_, ok))| **ok && !kept(*i));
    for (_, (g, _)) in measured {
        let min = match g.kind {
            GridKind::StreetUnit => options.min_street_unit_area_km2,
            GridKind::Community | GridKind::Rural => options.min_area_km2,
        };
        let area = area_km2(&g.geometry);
        if area < min {
            let msg = format!("网格 {} 面积过小 (too small): {area:.6} km² < {min} km²", g.code);
            let point = g.geometry.interior_point().map(|p| [p.x(), p.y()]);
            let location = Location { point, geometry: Some(g.geometry.clone()) };
            out.push(Problem::new(ProblemKind::TooSmall, vec![g.code.clone()], msg, location));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use geo::{polygon, MultiPolygon};

    use super::{area_km2, KnownAreas};

    fn square(x: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: x, y: 40.0), (x: x + 0.01, y: 40.0), (x: x + 0.01, y: 40.01), (x: x, y: 40.01), (x: x, y: 40.0)]])
    }

    #[test]
    fn a_known_shape_keeps_its_recorded_area_and_any_other_is_measured() {
        let (a, b) = (square(115.0), square(115.5));
        let known = KnownAreas::new([(&a, 7.0), (&b, 9.0)]);
        assert_eq!(known.area_km2(&square(115.0)), 7.0);
        assert_eq!(known.area_km2(&square(115.5)), 9.0);
        let moved = square(115.000_000_1);
        assert_eq!(known.area_km2(&moved), area_km2(&moved));
        assert!((known.area_km2(&moved) - 0.9).abs() < 0.1, "{}", known.area_km2(&moved));
    }
}
