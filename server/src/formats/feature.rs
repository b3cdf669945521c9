//! The feature model the boundary writers take: attribute fields with their Shapefile names,
//! values, and a boundary with its box, in CGCS2000 longitude/latitude.

use geo::{BoundingRect, Intersects};
use geo_types::{MultiPolygon, Rect};
use serde_json::{json, Value};

/// WKT of EPSG:4490 (CGCS2000), for GeoPackage and Shapefile `.prj`.
pub const EPSG_4490_WKT: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]]"#;

/// The type of an attribute field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text, possibly missing.
    Text,
    /// A real number.
    Real,
}

/// An attribute field of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name (GeoJSON, GeoPackage).
    pub name: &'static str,
    /// Its name in a Shapefile's `.dbf` (at most 10 characters).
    pub dbf_name: &'static str,
    /// Its type.
    pub kind: FieldKind,
}

/// A value of an attribute field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text, or null.
    Text(Option<String>),
    /// A real number.
    Real(f64),
}

impl FieldValue {
    /// The value as JSON (`null` for missing text).
    pub fn json(&self) -> Value {
        match self {
            Self::Text(t) => t.as_ref().map_or(Value::Null, |t| Value::String(t.clone())),
            Self::Real(r) => json!(r),
        }
    }
}

/// One feature of a collection: its id, attribute values (in the order of its collection's fields)
/// and boundary in longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct OgcFeature {
    /// Feature id: the division or grid code.
    pub id: String,
    /// Attribute values, one per field.
    pub values: Vec<FieldValue>,
    /// Boundary, longitude/latitude (CGCS2000).
    pub geometry: MultiPolygon<f64>,
    /// Box of the boundary.
    pub bbox: Option<Rect<f64>>,
}

impl OgcFeature {
    /// A feature with its box computed from the boundary.
    pub fn new(id: &str, values: Vec<FieldValue>, geometry: &MultiPolygon<f64>) -> Self {
        Self { id: id.to_owned(), values, bbox: geometry.bounding_rect(), geometry: geometry.clone() }
    }

    /// Whether the boundary itself (not just its box) meets `rect` (longitude/latitude).
    pub fn intersects(&self, rect: &Rect<f64>) -> bool {
        self.bbox.is_some_and(|b| b.intersects(rect)) && self.geometry.intersects(rect)
    }

}

/// The box of all `features`, `[min_lon, min_lat, max_lon, max_lat]`.
pub fn extent(features: &[OgcFeature]) -> Option<[f64; 4]> {
    features.iter().filter_map(|f| f.bbox).fold(None, |acc, b| {
        let (lo, hi) = (b.min(), b.max());
        Some(match acc {
            None => [lo.x, lo.y, hi.x, hi.y],
            Some([a, b2, c, d]) => [a.min(lo.x), b2.min(lo.y), c.max(hi.x), d.max(hi.y)],
        })
    })
}
