//! `ApiJson`, `ApiQuery` and `ApiPath`: axum's extractors through axum's derive, with malformed
//! input answered as [`ApiError`] (the conversions from their rejections are in
//! [`crate::http::error`]); and the [`Caller`] extractor.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

use crate::access::{Caller, NoCaller};
use crate::http::error::ApiError;

/// A JSON body; a bad one is a 400 (413 if too large, 415 if not JSON) problem.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A query string; a bad one is a 400 problem.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; a bad one (e.g. invalid UTF-8) is a 400 problem.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The signed-in caller, set by the authentication layer; none is a 401 with the reason.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let reason = parts.extensions.get::<NoCaller>().map_or_else(
            || "log in first: send the session cookie or an Authorization: Bearer token".to_owned(),
            |n| n.0.clone(),
        );
        Err(ApiError::Unauthenticated(reason))
    }
}

/// The caller if signed in.
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}
