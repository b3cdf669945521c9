//! What a draft's validation reports: each problem's kind, the grids involved, a message and a
//! location the map can draw.

use geo::{MultiPolygon, Polygon};
use serde::{Deserialize, Serialize, Serializer};

/// What is wrong (stable wire names, `snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A coordinate is NaN or infinite (the draft is refused before any other check).
    NonFiniteCoordinate,
    /// A coordinate is outside lon −180…180 or lat −90…90.
    CoordinateOutOfRange,
    /// A grid has no polygon, or a ring with fewer than 4 points (3 distinct) or not closed.
    TooFewPoints,
    /// The same point twice in a row (a warning: harmless, removed on save).
    RepeatedPoint,
    /// 自相交 — a ring crosses or touches itself (bow-tie, loop, spike).
    SelfIntersection,
    /// Two rings of one grid cross or share a stretch of boundary.
    RingsIntersect,
    /// A hole lies outside its polygon's shell, or inside another hole.
    HoleOutsideShell,
    /// Two polygons of one grid overlap.
    PartsOverlap,
    /// A grid is too complex to validate within the work budget (refused).
    TooComplex,
    /// 重叠 — two grids overlap (tiling grids, or street units other than with their parent).
    Overlap,
    /// 缝隙 — a part of the area no tiling grid covers.
    Gap,
    /// A part of a grid lies outside the draft's area.
    OutsideArea,
    /// A part of a grid lies outside the village or community it names.
    OutsideVillage,
    /// A part of a grid lies outside the township it names.
    OutsideTownship,
    /// A village of the draft lies partly outside its township (the divisions disagree).
    VillageOutsideTownship,
    /// The grid names a village or township the draft has no boundary for.
    UnknownDivision,
    /// Two grids of the draft have the same code.
    DuplicateCode,
    /// A grid's code is already used by a grid outside the draft.
    CodeInUse,
    /// A code is not well formed (15 characters, the village code as prefix, 3 digits or `Z` + 2 digits).
    BadCode,
    /// A grid's village and township codes disagree with each other.
    InconsistentDivision,
    /// 面积过小 — a grid is smaller than the minimum area.
    TooSmall,
    /// A street unit's parent is missing, not in the draft, or not a community grid.
    BadParent,
    /// A street unit (驻街单位) lies partly outside its parent community grid.
    OutsideParent,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Publishing is refused while this remains.
    Error,
    /// Worth a look; does not block publishing.
    Warning,
}

impl ProblemKind {
    /// Errors block publishing; only repeated points are warnings.
    pub fn severity(self) -> Severity {
        match self {
            Self::RepeatedPoint => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// Where a problem is, for the map: a point, a small geometry, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Location {
    /// A point at the defect, `[lon, lat]` (the crossing, the offending vertex, a point inside the gap).
    pub point: Option<[f64; 2]>,
    /// The defect's area (the overlap, the gap, the part outside), as a GeoJSON geometry on the wire.
    #[serde(serialize_with = "geojson_multipolygon")]
    pub geometry: Option<MultiPolygon<f64>>,
}

impl Location {
    /// A location at one point.
    pub fn at(x: f64, y: f64) -> Self {
        Self { point: Some([x, y]), geometry: None }
    }

    /// A location covering an area, with a point inside it.
    pub fn area(geometry: MultiPolygon<f64>, point: Option<[f64; 2]>) -> Self {
        Self { point, geometry: Some(geometry) }
    }
}

/// One problem of a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// Error or warning.
    pub severity: Severity,
    /// The grid codes involved (empty for a gap, which belongs to no grid).
    pub grids: Vec<String>,
    /// A message for people, Chinese with the English term, e.g.
    /// `网格 130730100001003 自相交 (self-intersection) at 115.510000, 40.400000`.
    pub message: String,
    /// Where to draw it.
    pub location: Location,
}

impl Problem {
    /// A problem of `kind` about `grids`; the message is completed with the location's point.
    pub fn new(kind: ProblemKind, grids: Vec<String>, message: String, location: Location) -> Self {
        let message = match location.point {
            Some([x, y]) => format!("{message} at {x:.6}, {y:.6}"),
            None => message,
        };
        Self { kind, severity: kind.severity(), grids, message, location }
    }
}

/// What validation found: every problem, errors first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The problems, errors before warnings, in the order checks found them.
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when nothing blocks publishing (warnings allowed).
    pub fn is_publishable(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The problems that block publishing.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }

    /// The problems of one kind.
    pub fn of_kind(&self, kind: ProblemKind) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.kind == kind)
    }
}

type Ring = Vec<[f64; 2]>;

fn ring(r: &geo::LineString<f64>) -> Ring {
    r.0.iter().map(|c| [c.x, c.y]).collect()
}

fn polygon(p: &Polygon<f64>) -> Vec<Ring> {
    std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect()
}

#[derive(Serialize)]
struct GeoJson {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: Vec<Vec<Ring>>,
}

/// A (multi)polygon as a GeoJSON MultiPolygon geometry.
pub(crate) fn geojson_value(m: &MultiPolygon<f64>) -> serde_json::Value {
    serde_json::to_value(GeoJson { kind: "MultiPolygon", coordinates: m.0.iter().map(polygon).collect() }).unwrap_or_default()
}

fn geojson_multipolygon<S: Serializer>(g: &Option<MultiPolygon<f64>>, s: S) -> Result<S::Ok, S::Error> {
    g.as_ref()
        .map(|m| GeoJson { kind: "MultiPolygon", coordinates: m.0.iter().map(polygon).collect() })
        .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::wkt;

    #[test]
    fn message_ends_with_the_point_and_geometry_is_geojson() {
        let p = Problem::new(
            ProblemKind::Overlap,
            vec!["a".into(), "b".into()],
            "网格 a 与 b 重叠 (overlap)".into(),
            Location::area(wkt!(MULTIPOLYGON(((0. 0.,1. 0.,1. 1.,0. 0.)))), Some([0.5, 0.25])),
        );
        assert_eq!(p.message, "网格 a 与 b 重叠 (overlap) at 0.500000, 0.250000");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["kind"], "overlap");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["location"]["geometry"]["type"], "MultiPolygon");
        assert_eq!(json["location"]["geometry"]["coordinates"][0][0][1], serde_json::json!([1.0, 0.0]));
    }

    #[test]
    fn repeated_points_do_not_block_publishing() {
        let warn = Problem::new(ProblemKind::RepeatedPoint, vec![], "x".into(), Location::default());
        assert!(Report { problems: vec![warn.clone()] }.is_publishable());
        let err = Problem::new(ProblemKind::Gap, vec![], "x".into(), Location::default());
        assert!(!Report { problems: vec![warn, err] }.is_publishable());
    }
}
