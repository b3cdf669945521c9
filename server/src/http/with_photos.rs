//! Bodies that may carry photos: plain JSON as always, or `multipart/form-data` with the same
//! JSON in one named part (`report`, `transition`) and up to nine `photo` parts, each read as
//! it streams in and stopped at its budget.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::formats::photo::{MAX_PHOTOS, MAX_PHOTO_BYTES};
use crate::http::error::ApiError;
use crate::http::routes::BODY_LIMIT;

/// The most a body with photos may be: nine photos and the JSON.
pub const PHOTO_BODY_LIMIT: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024;
/// The most the JSON part may be.
const JSON_PART_LIMIT: usize = 256 * 1024;
/// The name of the photos' parts.
pub const PHOTO_PART: &str = "photo";

/// Whether the request says it is `multipart/form-data`.
fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The JSON body `T` and the photos sent with it (none for a plain JSON body). `part` names
/// the JSON part of a multipart body.
pub async fn read<T: DeserializeOwned, S: Send + Sync>(
    request: Request,
    state: &S,
    part: &str,
) -> Result<(T, Vec<Arc<[u8]>>), ApiError> {
    if !is_multipart(&request) {
        // Plain JSON keeps the ordinary body limit, whatever the route allows for photos.
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(format!("a JSON body may be at most {} MB", BODY_LIMIT / (1024 * 1024))))?;
        let request = Request::from_parts(parts, Body::from(bytes));
        let axum::Json(body) = axum::Json::<T>::from_request(request, state).await?;
        return Ok((body, Vec::new()));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("not a readable multipart body: {}", e.body_text())))?;
    let mut json: Option<Vec<u8>> = None;
    let mut photos: Vec<Arc<[u8]>> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(bad_part)? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == part {
            if json.is_some() {
                return Err(ApiError::BadRequest(format!("the {part:?} part came twice")));
            }
            JSON_PART_LIMIT
        } else if name == PHOTO_PART {
            if photos.len() == MAX_PHOTOS {
                return Err(ApiError::PayloadTooLarge(format!("at most {MAX_PHOTOS} photos may come with one request")));
            }
            MAX_PHOTO_BYTES
        } else {
            return Err(ApiError::BadRequest(format!(
                "unexpected part {name:?}: send the JSON as {part:?} and the photos as {PHOTO_PART:?}"
            )));
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_part)? {
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(if name == part {
                    format!("the {part:?} part may be at most {} KB", JSON_PART_LIMIT / 1024)
                } else {
                    format!("photo {} is larger than {} MB", photos.len() + 1, MAX_PHOTO_BYTES / (1024 * 1024))
                }));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == part {
            json = Some(bytes);
        } else {
            photos.push(bytes.into());
        }
    }
    let json = json.ok_or_else(|| ApiError::BadRequest(format!("a multipart body needs its JSON in a part named {part:?}")))?;
    let body = serde_json::from_slice(&json)
        .map_err(|e| ApiError::Unprocessable(format!("the {part:?} part is not the expected JSON: {e}")))?;
    Ok((body, photos))
}

fn bad_part(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(e.body_text())
    } else {
        ApiError::BadRequest(format!("not a readable multipart body: {}", e.body_text()))
    }
}
