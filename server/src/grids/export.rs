//! The boundaries as files (GeoJSON, GeoPackage or a zipped Shapefile of the grids, villages or
//! townships; full-precision CGCS2000 longitude/latitude): what `GET /api/v1/export/{file}`
//! answers and `wangge admin export-grids` writes, from the same features and writers.

use crate::formats::export::{gpkg, shp};
use crate::formats::feature::OgcFeature;
use crate::grids::catalog::Catalog;
use crate::grids::ogc::{self, CollectionId};
use crate::store::{Store, StoreError};

/// A file format of the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// GeoJSON FeatureCollection.
    GeoJson,
    /// OGC GeoPackage.
    GeoPackage,
    /// ESRI Shapefile, its parts in one zip archive.
    ShapefileZip,
}

impl ExportFormat {
    /// Every format with its file extension and media type.
    pub const ALL: [(Self, &'static str, &'static str); 3] = [
        (Self::GeoJson, "geojson", "application/geo+json"),
        (Self::GeoPackage, "gpkg", "application/geopackage+sqlite3"),
        (Self::ShapefileZip, "shp.zip", "application/zip"),
    ];

    /// The format named by its extension (`geojson`, `gpkg`, `shp.zip`).
    pub fn parse(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|(_, ext, _)| *ext == extension).map(|(f, _, _)| f)
    }

    /// The format a file's name ends with (`.geojson` or `.json`, `.gpkg`, `.zip`).
    pub fn of_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Self::GeoJson)
        } else if lower.ends_with(".gpkg") {
            Some(Self::GeoPackage)
        } else if lower.ends_with(".zip") {
            Some(Self::ShapefileZip)
        } else {
            None
        }
    }

    /// Its extension.
    pub fn extension(self) -> &'static str {
        Self::ALL.into_iter().find(|(f, _, _)| *f == self).map_or("", |(_, ext, _)| ext)
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        Self::ALL.into_iter().find(|(f, _, _)| *f == self).map_or("", |(_, _, media)| media)
    }
}

/// `grids.gpkg` → the collection and the format.
pub fn parse_file(file: &str) -> Option<(CollectionId, ExportFormat)> {
    let (name, extension) = file.split_once('.')?;
    Some((CollectionId::parse(name)?, ExportFormat::parse(extension)?))
}

/// Why an export was not made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An earlier generation asked of villages or townships, which are never redrawn.
    #[error("generation applies to grids only (villages and townships are not redrawn)")]
    GenerationOfDivisions,
    /// No such generation.
    #[error("no generation {asked}; the current one is {current}")]
    NoGeneration {
        /// The generation asked for.
        asked: i64,
        /// The newest one.
        current: i64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The GeoJSON could not be written.
    #[error("cannot serialise the {0} export")]
    Json(&'static str, #[source] serde_json::Error),
    /// The GeoPackage could not be written.
    #[error("cannot write the {0} GeoPackage")]
    GeoPackage(&'static str, #[source] gpkg::GpkgError),
    /// The Shapefile could not be written.
    #[error("cannot write the {0} Shapefile")]
    Shapefile(&'static str, #[source] shp::ShpError),
    /// A temporary file could not be written or read.
    #[error("cannot write the {0} export's temporary file")]
    Io(&'static str, #[source] std::io::Error),
}

/// The collection's current features that `keep` keeps (by code).
pub fn features(catalog: &Catalog, collection: CollectionId, keep: impl Fn(&str) -> bool) -> Vec<OgcFeature> {
    match collection {
        CollectionId::Grids => catalog.grids().iter().filter(|g| keep(&g.grid.code)).map(|g| OgcFeature::grid(&g.grid)).collect(),
        CollectionId::Villages => catalog.villages().iter().filter(|v| keep(&v.code)).map(OgcFeature::village).collect(),
        CollectionId::Townships => catalog.townships().iter().filter(|t| keep(&t.code)).map(OgcFeature::township).collect(),
    }
}

/// The collection's features as they were in boundary generation `generation` (0: as loaded;
/// `None`: now) that `keep` keeps.
pub async fn features_at(
    store: &Store,
    catalog: &Catalog,
    collection: CollectionId,
    generation: Option<i64>,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<OgcFeature>, ExportError> {
    let Some(asked) = generation else { return Ok(features(catalog, collection, keep)) };
    if collection != CollectionId::Grids {
        return Err(ExportError::GenerationOfDivisions);
    }
    let current = store.current_generation().await?;
    if !(0..=current).contains(&asked) {
        return Err(ExportError::NoGeneration { asked, current });
    }
    let now: Vec<_> = catalog.grids().iter().map(|g| g.grid.clone()).collect();
    let versions = store.all_grid_versions().await?;
    Ok(crate::grids::drafts::grids_at(&now, &versions, asked).iter().filter(|g| keep(&g.code)).map(OgcFeature::grid).collect())
}

/// The file's bytes: `features` of `collection` written as `format`.
pub async fn write(collection: CollectionId, format: ExportFormat, features: &[OgcFeature]) -> Result<Vec<u8>, ExportError> {
    let name = collection.as_str();
    match format {
        ExportFormat::GeoJson => {
            serde_json::to_vec(&ogc::feature_collection(collection, features)).map_err(|e| ExportError::Json(name, e))
        }
        ExportFormat::GeoPackage => {
            // Written to a temporary file (SQLite writes files) and read back.
            let dir = tempfile::TempDir::new().map_err(|e| ExportError::Io(name, e))?;
            let path = dir.path().join("export.gpkg");
            gpkg::write(&path, name, collection.fields(), features).await.map_err(|e| ExportError::GeoPackage(name, e))?;
            tokio::fs::read(&path).await.map_err(|e| ExportError::Io(name, e))
        }
        ExportFormat::ShapefileZip => shp::zipped(name, collection.fields(), features).map_err(|e| ExportError::Shapefile(name, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_name_a_collection_and_a_format() {
        assert_eq!(parse_file("grids.shp.zip"), Some((CollectionId::Grids, ExportFormat::ShapefileZip)));
        assert_eq!(parse_file("townships.gpkg"), Some((CollectionId::Townships, ExportFormat::GeoPackage)));
        for bad in ["grids", "grids.shp", "roads.geojson", "grids.geojson.zip"] {
            assert!(parse_file(bad).is_none(), "{bad}");
        }
        assert_eq!(ExportFormat::of_file_name("/tmp/Grids.GeoJSON"), Some(ExportFormat::GeoJson));
        assert_eq!(ExportFormat::of_file_name("out.shp.zip"), Some(ExportFormat::ShapefileZip));
        assert_eq!(ExportFormat::of_file_name("out.kml"), None);
        assert_eq!(ExportFormat::GeoPackage.extension(), "gpkg");
    }
}
