//! Check 7: a minimum area, measured on the ellipsoid like the demo data's `area_km2`.

use geo::{GeodesicArea, InteriorPoint, MultiPolygon};

use super::{Draft, Location, Options, Problem, ProblemKind};
use crate::division::GridKind;

/// Geodesic area of a geometry in km².
pub fn area_km2(g: &MultiPolygon<f64>) -> f64 {
    g.geodesic_area_unsigned() / 1e6
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
