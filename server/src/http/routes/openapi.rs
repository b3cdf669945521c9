//! `GET /api/v1/openapi.json` (the OpenAPI 3.1 document of this API, made from the handlers'
//! annotations) and `GET /api/v1/docs` (its interactive page, Swagger UI served from the
//! frontend build, offline). Neither needs a login.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::state::AppState;
use super::Routes;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/openapi.json", get(document)).at("/api/v1/docs", get(page))
}

/// The media type of an OpenAPI 3.1 document in JSON.
pub const OPENAPI_TYPE: &str = "application/vnd.oai.openapi+json;version=3.1";

/// The document, made once.
static DOCUMENT: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(|| serde_json::to_vec(&super::openapi()).unwrap_or_default());

/// The OpenAPI document of this API, itself (`application/vnd.oai.openapi+json` when asked for,
/// else `application/json`).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "get_api_v1_openapi_json",
    tag = "openapi",
    security(()),
    responses(
        (status = 200, description = "the OpenAPI 3.1 document", content((crate::http::openapi::Document = "application/json"), (crate::http::openapi::Document = "application/vnd.oai.openapi+json;version=3.1"))),
        crate::http::openapi::Problems
    )
)]
async fn document(headers: axum::http::HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let kind = if accept.contains("application/vnd.oai.openapi") { OPENAPI_TYPE } else { "application/json" };
    let mut response = DOCUMENT.clone().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}

/// The documentation page: Swagger UI over the document above, its files from the frontend build
/// (`/vendor/swagger-ui/`), nothing from outside.
#[utoipa::path(
    get,
    path = "/api/v1/docs",
    operation_id = "get_api_v1_docs",
    tag = "openapi",
    security(()),
    responses((status = 200, description = "the interactive documentation page", body = String, content_type = "text/html"), crate::http::openapi::Problems)
)]
async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wangge API (网格) — OpenAPI</title>
<link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"><p style="font-family: sans-serif; margin: 2em">The API description is at
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. This page needs the frontend build
(<code>scripts/frontend.sh</code>) for its viewer.</p></div>
<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/vendor/swagger-ui/api-docs.js"></script>
</body>
</html>
"#;

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(document, page))]
pub struct Doc;
