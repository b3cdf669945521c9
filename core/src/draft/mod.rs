//! Validation of a boundary draft (边界草稿, issue 7): the same pure rules for a file a planner
//! imports and for the map editor, so the server and the frontend call the same code.
//!
//! A [`Draft`] is a set of grids redrawn for an area (a village, a township, or a whole
//! county), with the boundaries they must tile and the codes used outside the draft.
//! [`validate`] runs the checks in order and reports every [`Problem`] with where it is:
//!
//! 1. coordinates finite (else nothing more is checked) and within lon/lat; rings closed, with
//!    at least 4 points; repeated consecutive points are a warning;
//! 2. each grid valid by OGC rules: no self-intersection (bow-tie, loop, spike), rings do not
//!    cross, holes inside their shell, parts of a grid do not overlap — an R-tree self-join of
//!    the edges, so a million-vertex polygon takes a second, not hours;
//! 3. tiling grids (community, rural) do not overlap; street units overlap only their parent;
//! 4. the tiling grids cover the area exactly: gaps and parts outside are reported;
//! 5. every grid inside its village and its township;
//! 6. codes unique (in the draft and against grids outside it) and well formed;
//! 7. a minimum area (geodesic, like `area_km2` in the demo data);
//! 8. street units inside their parent, which exists and is a community grid.
//!
//! Grids that fail 1 or 2 are left out of the overlay checks (3–5, 7, 8), whose results on an
//! invalid polygon would mean nothing.
//!
//! ```
//! use wangge_core::draft::{validate, Division, Draft, DraftGrid, Options, ProblemKind};
//! use wangge_core::GridKind;
//! use geo_types::{polygon, MultiPolygon};
//!
//! let square = |x0: f64, x1: f64| MultiPolygon(vec![polygon![
//!     (x: x0, y: 40.0), (x: x1, y: 40.0), (x: x1, y: 40.01), (x: x0, y: 40.01), (x: x0, y: 40.0)]]);
//! let grid = |n: u32, x0: f64, x1: f64| DraftGrid {
//!     code: format!("130730100001{n:03}"), name: format!("第{n}网格"), kind: GridKind::Rural,
//!     village_code: "130730100001".into(), township_code: "130730100".into(),
//!     parent_grid: None, geometry: square(x0, x1),
//! };
//! let village = Division { code: "130730100001".into(), geometry: square(115.0, 115.02) };
//! let township = Division { code: "130730100".into(), geometry: square(115.0, 115.02) };
//! let mut draft = Draft {
//!     area: vec![village.clone()], villages: vec![village], townships: vec![township],
//!     grids: vec![grid(1, 115.0, 115.01), grid(2, 115.01, 115.02)],
//!     outside_codes: Default::default(),
//! };
//! assert!(validate(&draft, &Options::default()).problems.is_empty());
//!
//! draft.grids[1].geometry = square(115.011, 115.02); // leaves a gap 0.001° wide
//! let report = validate(&draft, &Options::default());
//! assert!(!report.is_publishable());
//! let gap = report.of_kind(ProblemKind::Gap).next().unwrap();
//! let [lon, _] = gap.location.point.unwrap();
//! assert!(lon > 115.01 && lon < 115.011);
//! ```

mod baseline;
mod codes;
mod coords;
mod problems;
mod simple;
mod size;
mod split;
mod topology;

use std::collections::BTreeSet;

use geo::MultiPolygon;

use crate::division::GridKind;
pub use baseline::{validate_since, Baseline};
pub use problems::{Location, Problem, ProblemKind, Report, Severity};
pub(crate) use problems::geojson_value as problems_geojson;
pub use size::{area_km2, KnownAreas};
pub use split::{split, SplitError};

/// A division's boundary: a village (12-digit code) or township (9-digit code).
#[derive(Debug, Clone, PartialEq)]
pub struct Division {
    /// Official code.
    pub code: String,
    /// Boundary in lon/lat degrees (CGCS2000).
    pub geometry: MultiPolygon<f64>,
}

/// One grid of a draft, as the editor or an imported file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftGrid {
    /// Grid code: the 12-digit village code plus 3 digits (street units: `Z` + 2 digits).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Community, rural or street unit.
    pub kind: GridKind,
    /// The village or community it belongs to (12 digits).
    pub village_code: String,
    /// The township it belongs to (9 digits).
    pub township_code: String,
    /// For a street unit (驻街单位): the community grid it lies in.
    pub parent_grid: Option<String>,
    /// Boundary in lon/lat degrees (CGCS2000).
    pub geometry: MultiPolygon<f64>,
}

/// A boundary draft for an area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// The area redrawn (one village, one township, or several): the draft's tiling grids must
    /// cover the union of these boundaries exactly.
    pub area: Vec<Division>,
    /// The boundaries of the villages the draft's grids name.
    pub villages: Vec<Division>,
    /// The boundaries of the townships the draft's grids name.
    pub townships: Vec<Division>,
    /// The grids.
    pub grids: Vec<DraftGrid>,
    /// Codes of the grids outside the draft (a draft's code must not take one of them).
    pub outside_codes: BTreeSet<String>,
}

/// Tolerances and limits of the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Minimum area of a community or rural grid, km² (geodesic).
    pub min_area_km2: f64,
    /// Minimum area of a street-unit grid, km² (geodesic).
    pub min_street_unit_area_km2: f64,
    /// Overlaps, gaps and parts outside smaller than this (planar, degrees²) are ignored;
    /// 1e-10 deg² is about 1 m² at 40° N.
    pub area_tolerance_deg2: f64,
    /// At most this many problems of one kind per grid (and gaps per draft) are reported.
    pub max_problems_per_grid: usize,
    /// Work budget of the edge-intersection check, in candidate edge pairs per grid; a grid
    /// that needs more is refused as [`ProblemKind::TooComplex`].
    pub max_edge_pairs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_area_km2: 0.005,
            min_street_unit_area_km2: 0.0005,
            area_tolerance_deg2: 1e-10,
            max_problems_per_grid: 10,
            max_edge_pairs: 50_000_000,
        }
    }
}

/// Validates a draft: every problem found, errors before warnings.
///
/// Non-finite coordinates refuse the draft at once (no other check runs); grids with other
/// coordinate or OGC-validity errors are left out of the checks that compare geometries.
pub fn validate(draft: &Draft, options: &Options) -> Report {
    run(draft, None, options)
}

/// The checks, skipping what `prior` established (see [`validate_since`]).
fn run(draft: &Draft, prior: Option<&baseline::Prior<'_>>, options: &Options) -> Report {
    let kept = |i: usize| prior.is_some_and(|p| p.kept(i));
    let mut problems = Vec::new();
    if !coords::check_finite(draft, options, &mut problems) {
        return finish(problems);
    }
    let mut valid: Vec<bool> = draft
        .grids
        .iter()
        .map(|g| coords::check_grid(g, options, &mut problems))
        .collect();
    let divisions_ok = coords::check_divisions(draft, options, &mut problems);
    for (i, (g, ok)) in draft.grids.iter().zip(valid.iter_mut()).enumerate() {
        if *ok && !kept(i) {
            *ok = simple::check(&g.code, &g.geometry, options, &mut problems);
        }
    }
    codes::check(draft, &mut problems);
    size::check(draft, &valid, &kept, options, &mut problems);
    if divisions_ok {
        topology::check(draft, &valid, prior, options, &mut problems);
    }
    finish(problems)
}

fn finish(mut problems: Vec<Problem>) -> Report {
    problems.sort_by_key(|p| p.severity);
    Report { problems }
}

#[cfg(test)]
mod tests;
