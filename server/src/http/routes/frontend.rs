//! The built map frontend at `/`: its files with their content types (`application/wasm`
//! included; the build's gzipped copy when the client accepts gzip), and `index.html` for any
//! other GET path outside the API so that the client's own routes load; `index.html` is never
//! cached without asking. API paths keep their JSON 404s.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::http::error;
use crate::state::AppState;

/// Path prefixes that belong to the service, never to the frontend.
const SERVICE_PREFIXES: [&str; 4] = ["/api", "/ogcapi", "/tiles", "/open311"];

/// Answers a request no route took: a frontend file, `index.html`, or the JSON 404.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let ours = SERVICE_PREFIXES.iter().any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')));
    let readable = request.method() == Method::GET || request.method() == Method::HEAD;
    let Some(dir) = state.frontend_dir.as_ref().filter(|_| !ours && readable) else {
        return error::not_found(request.uri().clone()).await.into_response();
    };
    // The build leaves a gzipped copy beside the larger files (scripts/frontend.sh): sent to
    // clients that accept it, which is what a phone on a slow network waits for.
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(dir.join("index.html")).precompressed_gzip());
    let response = match files.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let mut response = response.map(Body::new);
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        // The page names the hashed wasm and scripts of one build: always ask for the current one.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}
