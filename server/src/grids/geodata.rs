//! Reads the county's `townships.geojson`, `villages.geojson` and `grids.geojson` into a [`Dataset`].

use crate::formats::geometry::geometry_to_multipolygon;
use std::path::{Path, PathBuf};

use geo_types::MultiPolygon;
use geojson::{Feature, FeatureCollection};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wangge_core::GridKind;

use crate::records::{Dataset, DatasetError, Grid, Township, Village, VillageKind};

/// Why the geodata directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GeodataError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a GeoJSON FeatureCollection.
    #[error("{path} is not a GeoJSON FeatureCollection")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said (boxed: it is large).
        #[source]
        source: Box<geojson::Error>,
    },
    /// A feature is unusable.
    #[error("{path}: features[{index}]: {reason}")]
    Feature {
        /// The file.
        path: PathBuf,
        /// The feature's position in the file.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The files carry no attribution note.
    #[error("{path} has no top-level \"note\" string (attribution)")]
    NoNote {
        /// The file.
        path: PathBuf,
    },
    /// The files disagree with each other.
    #[error("inconsistent geodata in {dir}")]
    Inconsistent {
        /// The directory.
        dir: PathBuf,
        /// The first inconsistency found.
        #[source]
        source: Box<DatasetError>,
    },
}

#[derive(Deserialize)]
struct TownshipProps {
    code: String,
    name: String,
    area_km2: f64,
}

#[derive(Deserialize)]
struct VillageProps {
    code: String,
    name: String,
    kind: String,
    township_code: String,
    area_km2: f64,
}

#[derive(Deserialize)]
struct GridProps {
    code: String,
    name: String,
    kind: String,
    village_code: String,
    village_name: String,
    township_code: String,
    township_name: String,
    parent_grid: Option<String>,
    area_km2: f64,
}

/// Reads and validates the three files of `dir`.
pub fn read_dir(dir: &Path) -> Result<Dataset, GeodataError> {
    let (townships, note) = read_file(&dir.join("townships.geojson"), township)?;
    let (villages, _) = read_file(&dir.join("villages.geojson"), village)?;
    let (grids, grid_note) = read_file(&dir.join("grids.geojson"), grid)?;
    let note = if grid_note == note { note } else { format!("{note}\n{grid_note}") };
    let dataset = Dataset { source: dir.display().to_string(), note, townships, villages, grids };
    dataset.validate().map_err(|e| GeodataError::Inconsistent { dir: dir.to_owned(), source: Box::new(e) })?;
    Ok(dataset)
}

/// Reads one FeatureCollection, turning each feature into `T`; returns them and the file's note.
fn read_file<T>(path: &Path, convert: fn(Feature) -> Result<T, String>) -> Result<(Vec<T>, String), GeodataError> {
    let text = std::fs::read_to_string(path).map_err(|source| GeodataError::Read { path: path.to_owned(), source })?;
    let collection: FeatureCollection =
        text.parse().map_err(|e| GeodataError::Parse { path: path.to_owned(), source: Box::new(e) })?;
    let note = collection
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("note"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| GeodataError::NoNote { path: path.to_owned() })?;
    let items = collection
        .features
        .into_iter()
        .enumerate()
        .map(|(index, f)| convert(f).map_err(|reason| GeodataError::Feature { path: path.to_owned(), index, reason }))
        .collect::<Result<Vec<T>, _>>()?;
    Ok((items, note))
}

fn township(f: Feature) -> Result<Township, String> {
    let geometry = multipolygon(&f)?;
    let p: TownshipProps = properties(f)?;
    Ok(Township { code: p.code, name: p.name, area_km2: p.area_km2, geometry })
}

fn village(f: Feature) -> Result<Village, String> {
    let geometry = multipolygon(&f)?;
    let p: VillageProps = properties(f)?;
    let kind = VillageKind::parse(&p.kind).ok_or_else(|| format!("kind {:?} is not village or community", p.kind))?;
    Ok(Village { code: p.code, name: p.name, kind, township_code: p.township_code, area_km2: p.area_km2, geometry })
}

fn grid(f: Feature) -> Result<Grid, String> {
    let geometry = multipolygon(&f)?;
    let p: GridProps = properties(f)?;
    let kind =
        GridKind::parse(&p.kind).ok_or_else(|| format!("kind {:?} is not community, rural or street_unit", p.kind))?;
    Ok(Grid {
        code: p.code,
        name: p.name,
        kind,
        village_code: p.village_code,
        village_name: p.village_name,
        township_code: p.township_code,
        township_name: p.township_name,
        parent_grid: p.parent_grid,
        area_km2: p.area_km2,
        geometry,
    })
}

fn properties<T: DeserializeOwned>(f: Feature) -> Result<T, String> {
    let props = f.properties.ok_or("no properties")?;
    serde_json::from_value(serde_json::Value::Object(props)).map_err(|e| format!("properties: {e}"))
}

/// A Polygon or MultiPolygon geometry as a MultiPolygon.
pub fn multipolygon(f: &Feature) -> Result<MultiPolygon<f64>, String> {
    let geometry = f.geometry.as_ref().ok_or("no geometry")?;
    geometry_to_multipolygon(&geometry.value)
}

