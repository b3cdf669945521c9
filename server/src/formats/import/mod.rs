//! Reading a planner's boundary file into a draft: GeoJSON, zipped Shapefile or GeoPackage, in
//! CGCS2000 / WGS84 (by their EPSG codes) or GCJ-02 / BD-09 (named by the planner, as they have
//! no EPSG code); any other coordinate system is refused with the reason, never guessed.
//!
//! Every file is untrusted: a header's counts and offsets are checked against the bytes that are
//! there before anything is allocated for them, and the readers stop themselves on a [`Budget`]
//! (the file, the inflated archive, features, coordinates and time), so that a crafted file is
//! refused with its reason instead of taking the server's memory or CPU.

mod gpkg;
mod json;
mod shp;

use std::time::{Duration, Instant};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};
use wangge_core::coord::Crs;
use wangge_core::wire::draft::{GridCollection, GridFeature, GridProperties};

/// Largest file accepted, in bytes: the import route's body limit.
pub const MAX_FILE: usize = 64 * 1024 * 1024;

/// Most bytes a zipped Shapefile may inflate to, all entries read together (counted while
/// inflating, never taken from the archive's headers).
pub const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// Most entries in a zipped Shapefile (a Shapefile is a handful of files).
pub const MAX_ENTRIES: usize = 64;

/// Most features in a file: no more than a draft holds.
pub const MAX_FEATURES: usize = crate::formats::limits::MAX_GRIDS;

/// Most coordinates in a file (all features together): no more than a draft holds.
pub const MAX_POINTS: usize = crate::formats::limits::MAX_DRAFT_VERTICES;

/// How long reading one file may take.
pub const TIME_BUDGET: Duration = Duration::from_secs(20);

/// Why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is not what its format says, or is damaged.
    #[error("not a readable {format}: {reason}")]
    Unreadable {
        /// The format.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A coordinate system other than CGCS2000 or WGS84 degrees.
    #[error("{0}: reproject it to EPSG:4490 (CGCS2000) or EPSG:4326 (WGS84) degrees first, or name gcj02/bd09 if it is in those")]
    Crs(String),
    /// The file is over one of the import's limits.
    #[error("the file is over the import's limits: {0}")]
    OverBudget(String),
    /// Reading took longer than [`TIME_BUDGET`].
    #[error("reading the file took longer than {} s; split it or simplify its shapes", TIME_BUDGET.as_secs())]
    TimedOut,
    /// The reading task died (a bug).
    #[error("the import task failed: {0}")]
    Task(String),
}

impl ImportError {
    /// Whether the fault is the file's (a 4xx), not the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Task(_))
    }
}

/// The file's features as a GeoJSON FeatureCollection in CGCS2000 lon/lat with the draft's
/// property names, and the coordinate system they were read in.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The draft's grids.
    pub grids: GridCollection,
    /// The coordinate system the file was in.
    pub crs: &'static str,
}

/// What one import may still spend; the readers ask it before they take more.
#[derive(Debug)]
pub struct Budget {
    features: usize,
    points: usize,
    deadline: Instant,
    ticks: u32,
}

impl Budget {
    /// The full budget of one import, its time counted from now.
    pub fn new() -> Self {
        Self { features: MAX_FEATURES, points: MAX_POINTS, deadline: Instant::now() + TIME_BUDGET, ticks: 0 }
    }

    /// Takes one feature.
    fn feature(&mut self) -> Result<(), ImportError> {
        self.features = self.features.checked_sub(1).ok_or_else(|| {
            ImportError::OverBudget(format!("more than {MAX_FEATURES} features (a draft holds at most that many grids)"))
        })?;
        self.clock()
    }

    /// Takes `n` coordinates (positions, or the rings and parts that hold them).
    fn points(&mut self, n: usize) -> Result<(), ImportError> {
        self.points = self.points.checked_sub(n).ok_or_else(|| {
            ImportError::OverBudget(format!("more than {MAX_POINTS} coordinates in all (a draft holds at most that many)"))
        })?;
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(4096) {
            self.clock()?;
        }
        Ok(())
    }

    /// Fails once the time is spent.
    fn clock(&self) -> Result<(), ImportError> {
        if Instant::now() > self.deadline {
            return Err(ImportError::TimedOut);
        }
        Ok(())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::new()
    }
}

fn unreadable(format: &'static str) -> impl Fn(String) -> ImportError {
    move |reason| ImportError::Unreadable { format, reason }
}

/// The coordinate system named by an EPSG code (or OGC CRS84).
fn from_epsg(name: &str) -> Result<Crs, ImportError> {
    let upper = name.to_ascii_uppercase();
    if upper.contains("CRS84") {
        return Ok(Crs::Wgs84);
    }
    let code = upper.rsplit([':', '/']).find(|s| !s.is_empty()).unwrap_or_default();
    match code {
        "4490" => Ok(Crs::Cgcs2000),
        "4326" => Ok(Crs::Wgs84),
        _ => Err(ImportError::Crs(format!("the file is in {}", name.chars().take(80).collect::<String>()))),
    }
}

fn label(crs: Crs) -> &'static str {
    match crs {
        Crs::Cgcs2000 => "EPSG:4490",
        Crs::Wgs84 => "EPSG:4326",
        Crs::Gcj02 => "GCJ-02",
        Crs::Bd09 => "BD-09",
    }
}

/// The planner's `crs` overrides the file's when the file's is WGS84 or unknown: GCJ-02 and
/// BD-09 files are commonly labelled WGS84 (EPSG:4326) by the tools that wrote them.
fn choose(file: Option<Crs>, asked: Option<Crs>) -> Result<Crs, ImportError> {
    match (file, asked) {
        (Some(Crs::Cgcs2000), Some(a @ (Crs::Gcj02 | Crs::Bd09))) | (Some(Crs::Wgs84) | None, Some(a)) => Ok(a),
        (Some(f), _) => Ok(f),
        (None, None) => Ok(Crs::Cgcs2000),
    }
}

/// Reads `bytes` as `format` (`geojson`, `gpkg`, `shp.zip`) off the async threads, within
/// [`TIME_BUDGET`].
pub async fn read(format: &str, bytes: axum::body::Bytes, asked: Option<Crs>) -> Result<Imported, ImportError> {
    let format = format.to_owned();
    let task = tokio::task::spawn_blocking(move || read_blocking(&format, &bytes, asked));
    // The reader stops itself at its deadline; this is the backstop should it not.
    match tokio::time::timeout(TIME_BUDGET + Duration::from_secs(2), task).await {
        Err(_) => Err(ImportError::TimedOut),
        // A reader that panics on a file has a bug, but the file is what it choked on.
        Ok(Err(e)) if e.is_panic() => {
            tracing::error!(error = %e, "an import reader panicked");
            Err(ImportError::Unreadable { format: "file", reason: "the reader failed on this file".into() })
        }
        Ok(Err(e)) => Err(ImportError::Task(e.to_string())),
        Ok(Ok(read)) => read,
    }
}

/// Reads `bytes` as `format` (`geojson`, `gpkg`, `shp.zip`) on this thread, within the
/// budgets. Blocks: never call it from async code (a GeoPackage is read on a runtime of its
/// own); [`read`] runs it on a blocking thread.
pub fn read_blocking(format: &str, bytes: &[u8], asked: Option<Crs>) -> Result<Imported, ImportError> {
    if bytes.len() > MAX_FILE {
        return Err(ImportError::OverBudget(format!("{} bytes; at most {MAX_FILE}", bytes.len())));
    }
    let mut budget = Budget::new();
    let (features, crs) = match format {
        "geojson" => json::read(bytes, asked, &mut budget)?,
        "shp.zip" => shp::read(bytes, asked, &mut budget)?,
        "gpkg" => gpkg::read_blocking(bytes, asked, &mut budget)?,
        other => {
            return Err(ImportError::Unreadable {
                format: "file",
                reason: format!("format must be geojson, gpkg or shp.zip, got {:?}", other.chars().take(40).collect::<String>()),
            })
        }
    };
    Ok(Imported { grids: GridCollection::new(features), crs: label(crs) })
}

/// The property names read from files: the draft's own, and the Shapefile's ten-character ones.
const PROPERTY_NAMES: [&str; 20] = [
    "code",
    "grid_code",
    "CODE",
    "name",
    "grid_name",
    "NAME",
    "kind",
    "KIND",
    "village_code",
    "vill_code",
    "village_co",
    "VILL_CODE",
    "township_code",
    "town_code",
    "township_c",
    "TOWN_CODE",
    "parent_grid",
    "parent",
    "parent_gri",
    "PARENT",
];

/// The draft's properties from the names files commonly use ([`PROPERTY_NAMES`]): text
/// trimmed, numbers as text, blanks and other values (true/false, lists) as missing.
fn properties(fields: &Map<String, Value>) -> GridProperties {
    let text = |names: &[&str]| match names.iter().find_map(|n| fields.get(*n)) {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    GridProperties {
        code: text(&PROPERTY_NAMES[0..3]),
        name: text(&PROPERTY_NAMES[3..6]),
        kind: text(&PROPERTY_NAMES[6..8]),
        village_code: text(&PROPERTY_NAMES[8..12]),
        township_code: text(&PROPERTY_NAMES[12..16]),
        parent_grid: text(&PROPERTY_NAMES[16..20]),
        ..GridProperties::default()
    }
}

/// Every coordinate of a shape.
fn point_count(shape: &MultiPolygon<f64>) -> usize {
    shape.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|r| r.0.len()).sum()
}

/// Refuses a shape with a coordinate that is not a finite number.
fn finite(shape: &MultiPolygon<f64>) -> Result<(), String> {
    let rings = shape.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    match rings.flat_map(|r| r.0.iter()).find(|c| !(c.x.is_finite() && c.y.is_finite())) {
        Some(c) => Err(format!("a coordinate is not a finite number: ({}, {})", c.x, c.y)),
        None => Ok(()),
    }
}

/// A file's feature as a draft's grid (without an id: the planner's draft gives it its code).
fn feature(fields: &Map<String, Value>, shape: &MultiPolygon<f64>, crs: Crs) -> GridFeature {
    let converted = MultiPolygon(
        shape
            .0
            .iter()
            .map(|p| {
                let ring = |r: &LineString<f64>| LineString(r.0.iter().map(|c| convert(*c, crs)).collect());
                Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
            })
            .collect(),
    );
    let geometry = serde_json::to_value(geojson::Geometry::new(geojson::Value::from(&converted))).unwrap_or_default();
    GridFeature { geometry, id: None, properties: Some(properties(fields)), kind: wangge_core::wire::draft::FEATURE.to_owned() }
}

fn convert(c: Coord<f64>, crs: Crs) -> Coord<f64> {
    match wangge_core::LonLat::from_crs(c.x, c.y, crs) {
        Ok(p) => Coord { x: p.lon, y: p.lat },
        Err(_) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_decide_or_refuse() {
        assert_eq!(from_epsg("urn:ogc:def:crs:EPSG::4490"), Ok(Crs::Cgcs2000));
        assert_eq!(from_epsg("EPSG:4326"), Ok(Crs::Wgs84));
        assert_eq!(from_epsg("urn:ogc:def:crs:OGC:1.3:CRS84"), Ok(Crs::Wgs84));
        assert!(matches!(from_epsg("EPSG:3857"), Err(ImportError::Crs(_))));
        assert_eq!(choose(Some(Crs::Wgs84), Some(Crs::Gcj02)), Ok(Crs::Gcj02));
        assert_eq!(choose(None, None), Ok(Crs::Cgcs2000));
        assert_eq!(choose(Some(Crs::Cgcs2000), None), Ok(Crs::Cgcs2000));
    }

    #[test]
    fn the_budget_refuses_past_its_counts() {
        let mut budget = Budget::new();
        assert!(budget.points(MAX_POINTS).is_ok());
        assert!(matches!(budget.points(1), Err(ImportError::OverBudget(_))));
        for _ in 0..MAX_FEATURES {
            assert!(budget.feature().is_ok());
        }
        assert!(matches!(budget.feature(), Err(ImportError::OverBudget(_))));
    }

    #[test]
    fn unknown_formats_and_oversized_files_are_refused() {
        assert!(matches!(read_blocking("kml", b"<kml/>", None), Err(ImportError::Unreadable { .. })));
        let big = vec![b' '; MAX_FILE + 1];
        assert!(matches!(read_blocking("geojson", &big, None), Err(ImportError::OverBudget(_))));
    }
}
