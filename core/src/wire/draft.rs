//! The boundary planner's JSON: a draft's grids (a GeoJSON FeatureCollection of grids with their
//! properties), the base a draft starts from, an imported file, a split, a check and a
//! publication.
//!
//! Fields are declared in alphabetical order: the service wrote these bodies as JSON maps,
//! which keep their keys sorted, and the bytes stay the same. A grid's text properties are read
//! leniently (a value that is not text reads as missing) so that the check can name the feature
//! and the property; a geometry stays JSON until the check reads it, so that a coordinate that
//! is not a finite number is reported where it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::draft::{Problem, ProblemKind, Severity};

/// `"Feature"` and `"FeatureCollection"`, the GeoJSON `type`s of a grid and of the grids.
pub const FEATURE: &str = "Feature";
/// See [`FEATURE`].
pub const FEATURE_COLLECTION: &str = "FeatureCollection";

/// Text, or `None` for anything else (missing, null, a number, a list, an object).
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// A number, or `None` for anything else.
fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Value::deserialize(d)?.as_f64())
}

fn feature_tag() -> String {
    FEATURE.to_owned()
}

/// The area a draft redraws: exactly one of a village (12 digits), a township (9 digits) or the
/// county (`130730`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftArea {
    /// 县 — the whole county.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_text")]
    pub county: Option<String>,
    /// 乡镇 — a township.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_text")]
    pub township: Option<String>,
    /// 村 / 社区 — a village or community.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_text")]
    pub village: Option<String>,
}

impl DraftArea {
    /// A village's area.
    pub fn village(code: impl Into<String>) -> Self {
        Self { village: Some(code.into()), ..Self::default() }
    }

    /// A township's area.
    pub fn township(code: impl Into<String>) -> Self {
        Self { township: Some(code.into()), ..Self::default() }
    }
}

/// The properties of a grid in a draft.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridProperties {
    /// Area in km², as the service measured it (answered; a draft's is measured again).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_number")]
    pub area_km2: Option<f64>,
    /// 网格编码 — the grid's code.
    #[serde(default, deserialize_with = "lenient_text")]
    pub code: Option<String>,
    /// Person ids bound to the grid (绑定网格员); none to keep the bindings of its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gridworkers: Option<Vec<String>>,
    /// `community`, `rural` or `street_unit`.
    #[serde(default, deserialize_with = "lenient_text")]
    pub kind: Option<String>,
    /// 网格名称 — the grid's name.
    #[serde(default, deserialize_with = "lenient_text")]
    pub name: Option<String>,
    /// The community grid a street unit belongs to.
    #[serde(default, deserialize_with = "lenient_text")]
    pub parent_grid: Option<String>,
    /// Its township's code.
    #[serde(default, deserialize_with = "lenient_text")]
    pub township_code: Option<String>,
    /// Its village's code.
    #[serde(default, deserialize_with = "lenient_text")]
    pub village_code: Option<String>,
}

/// One grid of a draft: a GeoJSON Feature with the grid's code as its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridFeature {
    /// A GeoJSON Polygon or MultiPolygon in lon/lat (kept as JSON: see the module's note).
    #[serde(default)]
    pub geometry: Value,
    /// The grid's code (none in an imported file).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_text")]
    pub id: Option<String>,
    /// The grid's properties.
    #[serde(default)]
    pub properties: Option<GridProperties>,
    /// Always `Feature`.
    #[serde(rename = "type", default = "feature_tag", deserialize_with = "tag")]
    pub kind: String,
}

fn tag<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_text(d)?.unwrap_or_default())
}

impl GridFeature {
    /// A feature of `geometry` with `properties`, its id the grid's code when it has one.
    pub fn new(geometry: Value, properties: GridProperties) -> Self {
        Self { geometry, id: properties.code.clone(), properties: Some(properties), kind: feature_tag() }
    }

    /// Its properties (the defaults when it has none).
    pub fn props(&self) -> GridProperties {
        self.properties.clone().unwrap_or_default()
    }

    /// Its code, `""` when it has none.
    pub fn code(&self) -> &str {
        self.properties.as_ref().and_then(|p| p.code.as_deref()).unwrap_or_default()
    }
}

/// A draft's grids: a GeoJSON FeatureCollection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCollection {
    /// The grids.
    #[serde(default)]
    pub features: Vec<GridFeature>,
    /// Always `FeatureCollection`.
    #[serde(rename = "type", default, deserialize_with = "tag")]
    pub kind: String,
}

impl GridCollection {
    /// A FeatureCollection of `features`.
    pub fn new(features: Vec<GridFeature>) -> Self {
        Self { features, kind: FEATURE_COLLECTION.to_owned() }
    }
}

impl Default for GridCollection {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// `GET /api/v1/drafts/base`: an area's current grids, to start a draft from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftBase {
    /// The area.
    pub area: DraftArea,
    /// The generation of the published grids (0: the loaded dataset).
    pub generation: i64,
    /// The area's grids, with their bound gridworkers.
    pub grids: GridCollection,
}

/// The body of `POST /api/v1/drafts/check` and `POST /api/v1/drafts/publish`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The generation the draft started from (a publication on another base is a conflict).
    pub base_generation: i64,
    /// The area redrawn.
    pub area: DraftArea,
    /// The area's grids after the draft.
    pub grids: GridCollection,
    /// The coordinate system of the grids (`cgcs2000` unless named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// Why the boundaries change (required to publish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /api/v1/drafts/import`: a planner's file read into a draft's grids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportAnswer {
    /// How many grids were read.
    pub count: usize,
    /// The coordinate system the file was in (`EPSG:4490`, `EPSG:4326`, `GCJ-02`, `BD-09`).
    pub crs: String,
    /// The grids, in CGCS2000 lon/lat.
    pub grids: GridCollection,
}

/// `POST /api/v1/drafts/split`: the two parts of a grid cut by a line, as GeoJSON MultiPolygons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitAnswer {
    /// The two parts.
    pub parts: Vec<Value>,
}

/// One problem of a checked draft, with where to draw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftProblem {
    /// The defect's area, as a GeoJSON MultiPolygon.
    #[serde(default)]
    pub geometry: Option<Value>,
    /// The grid codes involved.
    #[serde(default)]
    pub grids: Vec<String>,
    /// What is wrong.
    pub kind: ProblemKind,
    /// A message for people.
    pub message: String,
    /// A point at the defect, `[lon, lat]`.
    #[serde(default)]
    pub point: Option<[f64; 2]>,
    /// Error or warning.
    pub severity: Severity,
}

impl From<&Problem> for DraftProblem {
    fn from(p: &Problem) -> Self {
        Self {
            geometry: p.location.geometry.as_ref().map(crate::draft::problems_geojson),
            grids: p.grids.clone(),
            kind: p.kind,
            message: p.message.clone(),
            point: p.location.point,
            severity: p.severity,
        }
    }
}

/// One event whose grid changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moved {
    /// The event.
    pub event_id: String,
    /// Its grid now.
    pub from: String,
    /// The grid that covers it in the draft.
    pub to: String,
}

/// What publishing a draft would change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Impact {
    /// Codes new in the draft.
    pub added: Vec<String>,
    /// Bindings the draft adds.
    pub bindings_added: usize,
    /// Bindings that end (to grids that disappear, or taken off in the draft).
    pub bindings_dropped: usize,
    /// The first moved events (open ones first).
    pub events: Vec<Moved>,
    /// Gridworkers bound to a grid that changes or disappears.
    pub gridworkers_affected: usize,
    /// Open events that move to another grid (and are reassigned).
    pub open_events_moved: usize,
    /// Closed events that would count in another grid on the new boundaries (they keep the
    /// grid they were reported in).
    pub past_events_moved: usize,
    /// Codes the draft drops.
    pub removed: Vec<String>,
    /// Codes whose shape or attributes change.
    pub reshaped: Vec<String>,
}

/// `POST /api/v1/drafts/check`: the draft's problems and what publishing it would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckAnswer {
    /// What publishing would change (empty when the draft has errors).
    #[serde(default)]
    pub impact: Impact,
    /// Its problems.
    #[serde(default)]
    pub problems: Vec<DraftProblem>,
    /// Whether it has no errors.
    pub publishable: bool,
}

/// `POST /api/v1/drafts/publish`: the generation made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishAnswer {
    /// The new generation.
    pub generation: i64,
    /// What changed.
    #[serde(default)]
    pub impact: Impact,
    /// Open events moved to another grid.
    #[serde(default)]
    pub reassigned: usize,
    /// Milliseconds of each step: parse, validate, amend (the amended index past the validation),
    /// read_events (waiting for them), impact, registry, write and swap (past the write).
    #[serde(default)]
    pub timings_ms: BTreeMap<String, f64>,
}

/// The problem body of a draft refused for its errors (`urn:wangge:problem:draft-invalid`):
/// the problem members and the draft's problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftInvalid {
    /// How many problems, and that nothing was published.
    pub detail: String,
    /// The problems.
    #[serde(default)]
    pub problems: Vec<DraftProblem>,
    /// 422.
    pub status: u16,
    /// `The draft has errors`.
    pub title: String,
    /// `urn:wangge:problem:draft-invalid`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_grid_writes_its_members_in_key_order() {
        let props = GridProperties { code: Some("g".into()), gridworkers: Some(vec![]), ..GridProperties::default() };
        let f = GridFeature::new(json!({"type": "Polygon", "coordinates": []}), props);
        let text = serde_json::to_string(&f).unwrap();
        assert_eq!(text, serde_json::to_value(&f).unwrap().to_string());
        assert!(text.contains(r#""properties":{"code":"g","gridworkers":[],"kind":null,"name":null,"parent_grid":null"#), "{text}");
    }

    #[test]
    fn text_properties_that_are_not_text_read_as_missing() {
        let f: GridFeature = serde_json::from_value(json!({"properties": {"code": 7, "name": "n"}, "geometry": null})).unwrap();
        assert_eq!((f.code(), f.props().name.as_deref(), f.kind.as_str()), ("", Some("n"), "Feature"));
        assert!(serde_json::from_value::<GridFeature>(json!({"properties": {"gridworkers": "p1"}})).is_err());
    }
}
