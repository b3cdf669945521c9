//! Downloads of the current boundaries: `GET /api/v1/export/{grids|villages|townships}.{geojson|gpkg|shp.zip}`
//! (full-precision coordinates, CGCS2000 longitude/latitude).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::routes::ogcapi::features;
use wangge_core::access::Permission;

use crate::access::AuditNote;
use crate::access::Caller;
use crate::http::error::ApiError;
use crate::formats::export::{gpkg, shp};
use crate::http::extract::ApiQuery;
use crate::formats::feature::OgcFeature;
use crate::grids::ogc::{self, CollectionId};
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/export/{file}", get(export))
}

/// The formats a collection is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    GeoJson,
    GeoPackage,
    ShapefileZip,
}

impl Format {
    const ALL: [(Self, &'static str, &'static str); 3] = [
        (Self::GeoJson, "geojson", "application/geo+json"),
        (Self::GeoPackage, "gpkg", "application/geopackage+sqlite3"),
        (Self::ShapefileZip, "shp.zip", "application/zip"),
    ];
}

/// `grids.gpkg` → the collection, the format and its media type.
fn parse_file(file: &str) -> Option<(CollectionId, Format, &'static str)> {
    let (name, extension) = file.split_once('.')?;
    let collection = CollectionId::parse(name)?;
    let (format, _, media) = Format::ALL.into_iter().find(|(_, ext, _)| *ext == extension)?;
    Some((collection, format, media))
}

/// `?generation=N`: the grids as they were in boundary generation N (0: as loaded).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    generation: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/export/{file}",
    operation_id = "get_api_v1_export_file",
    tag = "grids",
    params(("file" = String, Path, description = "a file name with its format suffix (`.json`, `.xml`)"), ExportQuery),
    responses((status = 200, description = "the answer", content((serde_json::Value = "application/geo+json"), (String = "application/geopackage+sqlite3"), (String = "application/zip"))), crate::http::openapi::Problems)
)]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ExportData)?;
    let (collection, format, media) = parse_file(&file).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no export {file:?}; exports are grids, villages or townships, each as .geojson, .gpkg or .shp.zip"
        ))
    })?;
    let features = match q.generation {
        None => features(&state, collection, &scope),
        Some(n) => {
            if collection != CollectionId::Grids {
                return Err(ApiError::BadRequest("generation applies to grids only (villages and townships are not redrawn)".into()));
            }
            let current = state.store.current_generation().await?;
            if !(0..=current).contains(&n) {
                return Err(ApiError::NotFound(format!("no generation {n}; the current one is {current}")));
            }
            let catalog = state.catalog.load();
            let now: Vec<_> = catalog.grids().iter().map(|g| g.grid.clone()).collect();
            let versions = state.store.all_grid_versions().await?;
            crate::grids::drafts::grids_at(&now, &versions, n)
                .iter()
                .filter(|g| scope.covers(&g.code))
                .map(OgcFeature::grid)
                .collect()
        }
    };
    let name = collection.as_str();
    let body = match format {
        Format::GeoJson => serde_json::to_vec(&ogc::feature_collection(collection, &features))
            .map_err(|e| ApiError::Internal(format!("cannot serialise the {name} export: {e}")))?,
        Format::GeoPackage => geopackage(collection, &features).await?,
        Format::ShapefileZip => {
            let fail = |e: &dyn std::error::Error| ApiError::Internal(format!("cannot write the {name} Shapefile: {e}"));
            shp::zipped(name, collection.fields(), &features).map_err(|e| fail(&e))?
        }
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    let response = ([(header::CONTENT_TYPE, media.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response();
    let note = AuditNote::success(Permission::ExportData.as_str(), format!("export:{file}"))
        .with_detail(format!("{} features of {}", features.len(), scope.0.as_str()));
    Ok(note.on(response))
}

/// The GeoPackage, written to a temporary file and read back.
async fn geopackage(collection: CollectionId, features: &[OgcFeature]) -> Result<Vec<u8>, ApiError> {
    let fail = |e: &dyn std::error::Error| ApiError::Internal(format!("cannot write the {} GeoPackage: {}", collection.as_str(), crate::logging::error_chain(e)));
    let dir = tempfile::TempDir::new().map_err(|e| fail(&e))?;
    let path = dir.path().join("export.gpkg");
    gpkg::write(&path, collection.as_str(), collection.fields(), features).await.map_err(|e| fail(&e))?;
    tokio::fs::read(&path).await.map_err(|e| fail(&e))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_name_a_collection_and_a_format() {
        assert_eq!(parse_file("grids.shp.zip").map(|(c, f, _)| (c, f)), Some((CollectionId::Grids, Format::ShapefileZip)));
        assert_eq!(parse_file("townships.gpkg").map(|(c, f, _)| (c, f)), Some((CollectionId::Townships, Format::GeoPackage)));
        for bad in ["grids", "grids.shp", "roads.geojson", "grids.geojson.zip"] {
            assert!(parse_file(bad).is_none(), "{bad}");
        }
    }
}
