//! The OpenAPI description of the GeoReport v2 operations served by `router`'s closures
//! (each at its bare path, `.json` and `.xml`), and the schemas of their JSON answers, which
//! `crate::http::open311` writes field by field.

use serde_json::Value;

/// Describes one GeoReport v2 operation in its three formats: the bare path and `.json`
/// answer JSON, `.xml` answers XML; everything else is shared.
macro_rules! three_formats {
    (
        $(#[$doc:meta])*
        $method:ident
        [$plain:ident $path:literal $op:literal]
        [$json:ident $path_json:literal $op_json:literal]
        [$xml:ident $path_xml:literal $op_xml:literal]
        answers [$(($status:literal, $description:literal, $answer:ty)),+]
        $($shared:tt)*
    ) => {
        $(#[$doc])*
        #[utoipa::path($method, path = $path, operation_id = $op, tag = "open311", $($shared)*
            responses($((status = $status, description = $description, content(($answer = "application/json")))),+, crate::http::openapi::Open311Errors))]
        #[allow(dead_code)] // described here; served by the closures of `router`.
        pub(super) fn $plain() {}

        $(#[$doc])*
        #[utoipa::path($method, path = $path_json, operation_id = $op_json, tag = "open311", $($shared)*
            responses($((status = $status, description = $description, content(($answer = "application/json")))),+, crate::http::openapi::Open311Errors))]
        #[allow(dead_code)] // described here; served by the closures of `router`.
        pub(super) fn $json() {}

        $(#[$doc])*
        #[utoipa::path($method, path = $path_xml, operation_id = $op_xml, tag = "open311", $($shared)*
            responses($((status = $status, description = $description, content((String = "application/xml")))),+, crate::http::openapi::Open311Errors))]
        #[allow(dead_code)] // described here; served by the closures of `router`.
        pub(super) fn $xml() {}
    };
}

three_formats! {
    /// The service list (GeoReport v2 `GET services`).
    get
    [get_open311_v2_services_doc "/open311/v2/services" "get_open311_v2_services"]
    [get_open311_v2_services_json_doc "/open311/v2/services.json" "get_open311_v2_services_json"]
    [get_open311_v2_services_xml_doc "/open311/v2/services.xml" "get_open311_v2_services_xml"]
    answers [(200, "the services", Vec<Open311Service>)]
    security(()),
}

three_formats! {
    /// Requests the caller may read (GeoReport v2 `GET requests`: `service_request_id`, `service_code`, `start_date`, `end_date`, `status`).
    get
    [get_open311_v2_requests_doc "/open311/v2/requests" "get_open311_v2_requests"]
    [get_open311_v2_requests_json_doc "/open311/v2/requests.json" "get_open311_v2_requests_json"]
    [get_open311_v2_requests_xml_doc "/open311/v2/requests.xml" "get_open311_v2_requests_xml"]
    answers [(200, "the requests", Vec<Open311Request>)]
}

three_formats! {
    /// A new request (GeoReport v2 `POST requests`: `service_code`, `lat`/`long` or `address_string`, `description`, …), with an API key allowed to report there.
    post
    [post_open311_v2_requests_doc "/open311/v2/requests" "post_open311_v2_requests"]
    [post_open311_v2_requests_json_doc "/open311/v2/requests.json" "post_open311_v2_requests_json"]
    [post_open311_v2_requests_xml_doc "/open311/v2/requests.xml" "post_open311_v2_requests_xml"]
    answers [(201, "created", Vec<Open311Receipt>), (200, "a retry answered with the stored request", Vec<Open311Receipt>)]
    request_body(content((serde_json::Value = "application/x-www-form-urlencoded"), (serde_json::Value = "application/json")), description = "GeoReport v2 fields"),
}

three_formats! {
    /// The reporter rates their closed request (`level`, `note`, and the `phone` given with the report).
    post
    [post_open311_v2_requests_id_followups_doc "/open311/v2/requests/{id}/followups" "post_open311_v2_requests_id_followups"]
    [post_open311_v2_requests_id_followups_json_doc "/open311/v2/requests/{id}/followups.json" "post_open311_v2_requests_id_followups_json"]
    [post_open311_v2_requests_id_followups_xml_doc "/open311/v2/requests/{id}/followups.xml" "post_open311_v2_requests_id_followups_xml"]
    answers [(201, "recorded", Vec<Open311Rating>)]
    params(("id" = String, Path, description = "the request's id (service_request_id)", example = "E20230103-000001")),
    request_body(content((serde_json::Value = "application/x-www-form-urlencoded"), (serde_json::Value = "application/json")), description = "GeoReport v2 fields"),
}

/// A GeoReport v2 service (`GET services`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `open311::Service::record` writes it.
pub(super) struct Open311Service {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: String,
    keywords: String,
    group: String,
}

/// A GeoReport v2 service definition (`GET services/{code}`): no extra attributes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `open311::Service::definition` writes it.
pub(super) struct Open311Definition {
    service_code: String,
    #[schema(value_type = Vec<Object>)]
    attributes: Vec<Value>,
}

/// A GeoReport v2 service request (`GET requests`); the reporter is never shown.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `open311::Names::request` writes it.
pub(super) struct Open311Request {
    service_request_id: String,
    /// `open` or `closed`.
    status: String,
    status_notes: Option<String>,
    service_name: String,
    service_code: String,
    description: String,
    agency_responsible: Option<String>,
    service_notice: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    expected_datetime: Option<String>,
    address: String,
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
}

/// The answer to a new request (GeoReport v2 `POST requests`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `create` writes it.
pub(super) struct Open311Receipt {
    service_request_id: String,
    service_notice: String,
    account_id: Option<String>,
}

/// The answer to a reporter's rating.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `rate` writes it.
pub(super) struct Open311Rating {
    service_request_id: String,
    /// `open` (reopened) or `closed`.
    status: String,
    service_notice: String,
}
