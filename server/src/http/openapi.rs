//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers' own annotations
//! (`#[utoipa::path]` beside each handler, one `Doc` per route module): the problem answers
//! every operation may give, the credentials it takes, and the document's header.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder, ResponsesBuilder};
use utoipa::{PartialSchema, ToSchema};

/// The name of the bearer credential (a session token, a device token or an API key).
pub const BEARER: &str = "bearer";
/// The name of the browser's session cookie credential.
pub const SESSION: &str = "session";
/// The name of the monitoring token credential (`/metrics` only).
pub const MONITORING: &str = "monitoring";

/// An RFC 9457 problem: every refusal and error of the API has this body
/// (`application/problem+json`).
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: `ApiError` writes these bodies.
pub struct Problem {
    /// A stable URN naming the kind of problem (e.g. `urn:wangge:problem:not-found`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short human summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a person.
    pub detail: String,
    /// The field-by-field problems of an invalid body (`invalid-fields`, `draft-invalid`).
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<serde_json::Value>>,
    /// The nearest grid of a point outside the county (`outside-county`).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<serde_json::Value>,
}

/// The problem answers any operation may give; each route lists its success answers beside.
pub struct Problems;

/// Every problem status the API answers with, and when.
const PROBLEM_STATUSES: [(&str, &str); 13] = [
    ("400", "Bad request: a malformed parameter or body, with the reason"),
    ("401", "Not signed in, or the credential has ended"),
    ("403", "Forbidden: the caller's grant, jurisdiction, API key scope or CSRF token does not allow it"),
    ("404", "Not found, or not visible to the caller"),
    ("405", "Method not allowed on this path"),
    ("409", "Conflict with the current state (a stale version, a frozen period, a duplicate)"),
    ("413", "Payload too large"),
    ("415", "Unsupported media type"),
    ("422", "Unprocessable: well-formed but invalid (fields, geometry, a reused report id, outside the county)"),
    ("423", "The account is locked"),
    ("429", "Too many requests (see Retry-After)"),
    ("503", "Unavailable or busy for now: retry after Retry-After seconds"),
    ("507", "Storage full: nothing was stored; retry after Retry-After seconds"),
];

impl utoipa::IntoResponses for Problems {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        refusals(&[("application/problem+json", "Problem")])
    }
}

/// The refusals of the Open311 GeoReport v2 routes: the spec's `errors` list in the request's
/// format (a refusal made before the route, such as a bad credential, is a problem).
pub struct Open311Errors;

impl utoipa::IntoResponses for Open311Errors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        refusals(&[("application/json", "Open311Errors"), ("application/xml", ""), ("application/problem+json", "Problem")])
    }
}

/// The refusals of the OGC API routes: the spec's exception (a refusal made before the route,
/// such as a bad credential, is a problem).
pub struct OgcExceptions;

impl utoipa::IntoResponses for OgcExceptions {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        refusals(&[("application/json", "OgcException"), ("application/problem+json", "Problem")])
    }
}

/// One response per problem status, each with `media` (media type, schema name; no schema for
/// an empty name) and `Retry-After` where the status has it.
fn refusals(media: &[(&str, &str)]) -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
    let mut responses = ResponsesBuilder::new();
    for (status, description) in PROBLEM_STATUSES {
        let mut answer = ResponseBuilder::new().description(description);
        for (kind, schema) in media {
            let content = match *schema {
                "" => ContentBuilder::new().build(),
                name => ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name)))).build(),
            };
            answer = answer.content(*kind, content);
        }
        if matches!(status, "429" | "503" | "507") {
            answer = answer.header(
                "Retry-After",
                utoipa::openapi::HeaderBuilder::new()
                    .schema(Some(u64::schema()))
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            );
        }
        responses = responses.response(status, answer.build());
    }
    responses.build().into()
}

/// An Open311 error (GeoReport v2 `errors`).
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: `Open311Error` writes these bodies.
pub struct Open311ErrorEntry {
    /// The HTTP status.
    pub code: u16,
    /// Why.
    pub description: String,
}

/// An OGC API exception.
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: the OGC API routes write these bodies.
pub struct OgcException {
    /// The exception code (e.g. `NotFound`, `InvalidParameterValue`).
    pub code: String,
    /// Why.
    pub description: String,
}

/// A GeoJSON feature (RFC 7946): a geometry and its properties.
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: the GeoJSON answers are written as text.
pub struct Feature {
    /// `Feature`.
    #[serde(rename = "type")]
    #[schema(pattern = "^Feature$")]
    pub kind: String,
    /// The geometry in CGCS2000 lon/lat, `null` for none.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    /// The feature's fields, `null` for none.
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
}

/// A GeoJSON feature collection (RFC 7946); some answers add members (links, counts).
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: the GeoJSON answers are written as text.
pub struct FeatureCollection {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(pattern = "^FeatureCollection$")]
    pub kind: String,
    /// The features.
    pub features: Vec<Feature>,
}

/// This OpenAPI document (as a JSON object: it describes itself).
#[derive(Debug, serde::Serialize, ToSchema)]
#[allow(dead_code)] // described, not built: utoipa builds the document.
pub struct Document {
    /// `3.1.0`.
    pub openapi: String,
    /// Title, version, licence.
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
    /// The operations.
    #[schema(value_type = Object)]
    pub paths: serde_json::Value,
}

/// Adds the document's header, the credentials and the shared schemas to `doc` (the merged
/// module documents).
pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("wangge (网格) — grid-based social governance API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Point-to-grid lookup, grids and divisions, events and their closed loop (1-3-5 working-day \
             deadlines), Open311 GeoReport v2, an OGC API – Features view of the grids, the registry, \
             disputes and petitions, patrols and the annual assessment.\n\n\
             Credentials: `Authorization: Bearer <token>` (a session from `POST /api/v1/auth/login`, a \
             device token or an API key) or the browser's session cookie, which needs the \
             `X-CSRF-Token` header on every change. Every refusal is an RFC 9457 problem.",
        ))
        .license(Some(utoipa::openapi::LicenseBuilder::new().name("Apache-2.0").identifier(Some("Apache-2.0")).build()))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert("Problem".into(), Problem::schema());
    components.schemas.insert("Open311Errors".into(), Vec::<Open311ErrorEntry>::schema());
    components.schemas.insert("OgcException".into(), OgcException::schema());
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A session token (POST /api/v1/auth/login), a device token or an API key"))
                .build(),
        ),
    );
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::http::audit_layer::SESSION_COOKIE,
            "The browser's session; changes also need the X-CSRF-Token header",
        ))),
    );
    components.add_security_scheme(
        MONITORING,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("The monitoring token (--metrics-token); no account holds it"))
                .build(),
        ),
    );
    // Signed in unless an operation says otherwise.
    doc.security = Some(vec![
        utoipa::openapi::security::SecurityRequirement::new(BEARER, Vec::<String>::new()),
        utoipa::openapi::security::SecurityRequirement::new(SESSION, Vec::<String>::new()),
    ]);
    doc
}
