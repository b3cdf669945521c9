//! Downloads of the current boundaries: `GET /api/v1/export/{grids|villages|townships}.{geojson|gpkg|shp.zip}`
//! (full-precision coordinates, CGCS2000 longitude/latitude), written by [`crate::grids::export`].

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use wangge_core::access::Permission;

use crate::access::AuditNote;
use crate::access::Caller;
use crate::grids::export::{self, ExportError};
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::http::routes::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/export/{file}", get(download))
}

/// `?generation=N`: the grids as they were in boundary generation N (0: as loaded).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    generation: Option<i64>,
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::GenerationOfDivisions => ApiError::BadRequest(e.to_string()),
            ExportError::NoGeneration { .. } => ApiError::NotFound(e.to_string()),
            ExportError::Store(s) => s.into(),
            other => ApiError::Internal(crate::logging::error_chain(&other)),
        }
    }
}

/// The boundaries of the caller's area as one file (`grids.gpkg`, `villages.geojson`,
/// `townships.shp.zip`…), as they are now or in a past generation.
#[utoipa::path(
    get,
    path = "/api/v1/export/{file}",
    operation_id = "get_api_v1_export_file",
    tag = "grids",
    params(("file" = String, Path, description = "`{grids|villages|townships}.{geojson|gpkg|shp.zip}`", example = "grids.geojson"), ExportQuery),
    responses((status = 200, description = "the answer", content((crate::http::openapi::FeatureCollection = "application/geo+json"), (String = "application/geopackage+sqlite3"), (String = "application/zip"))), crate::http::openapi::Problems)
)]
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ExportData)?;
    let (collection, format) = export::parse_file(&file).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no export {file:?}; exports are grids, villages or townships, each as .geojson, .gpkg or .shp.zip"
        ))
    })?;
    let catalog = state.catalog.load();
    let features = export::features_at(&state.store, &catalog, collection, q.generation, |code| scope.covers(code)).await?;
    let body = export::write(collection, format, &features).await?;
    let disposition = format!("attachment; filename=\"{file}\"");
    let headers = [(header::CONTENT_TYPE, format.media_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)];
    let response = (headers, body).into_response();
    let note = AuditNote::success(Permission::ExportData.as_str(), format!("export:{file}"))
        .with_detail(format!("{} features of {}", features.len(), scope.0.as_str()));
    Ok(note.on(response))
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(download))]
pub struct Doc;
