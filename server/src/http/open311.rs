//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the service list drawn from
//! the responsibility table, service requests as views of events, and the spec's JSON and XML
//! answers, errors included.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use wangge_core::calendar::china_time;
use wangge_core::event::{Category, Holder, State, Tier};

use crate::grids::catalog::{Catalog, COUNTY_NAME};
use crate::http::error::ApiError;
use crate::records::EventRecord;
use crate::events::rules::Routing;
use crate::formats::xml::XmlWriter;

/// Most requests in one `GET requests` answer, as the spec allows.
pub const MAX_REQUESTS: usize = 1000;

/// Longest window of `start_date`..`end_date`, and the default window, in days.
pub const WINDOW_DAYS: i64 = 90;

/// Media type of the XML answers.
pub const XML: &str = "application/xml";

/// The answer format a client asked for with the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`, or no extension.
    Json,
    /// `.xml`.
    Xml,
}

impl Format {
    /// Splits `name.json` / `name.xml` into the name and its format; no extension is JSON.
    pub fn split(file: &str) -> (&str, Self) {
        match file.rsplit_once('.') {
            Some((name, "json")) => (name, Self::Json),
            Some((name, "xml")) => (name, Self::Xml),
            _ => (file, Self::Json),
        }
    }
}

/// One field value of an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A whole number.
    Integer(i64),
    /// `true` / `false`.
    Bool(bool),
    /// No value: JSON `null`, an empty XML element.
    Null,
    /// An empty list (a definition's `attributes`).
    EmptyList,
}

impl From<String> for Field {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Field {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<Option<String>> for Field {
    fn from(s: Option<String>) -> Self {
        s.map_or(Self::Null, Self::Text)
    }
}

/// One item of an answer: named fields in the spec's order.
pub type Record = Vec<(&'static str, Field)>;

/// A list answer: a JSON array of objects, or `<root><item>…</item></root>` in XML.
pub fn list(format: Format, status: StatusCode, root: &str, item: &str, records: &[Record]) -> Response {
    match format {
        Format::Json => {
            let array: Vec<Value> = records.iter().map(json_object).collect();
            (status, axum::Json(Value::Array(array))).into_response()
        }
        Format::Xml => xml_response(status, xml_list(root, item, records)),
    }
}

/// A single-object answer (a service definition): a JSON object, or `<root>…</root>` in XML.
pub fn object(format: Format, root: &str, record: &Record) -> Response {
    match format {
        Format::Json => axum::Json(json_object(record)).into_response(),
        Format::Xml => {
            let mut w = XmlWriter::new();
            w.open(root);
            xml_fields(&mut w, record);
            w.close(root);
            xml_response(StatusCode::OK, w.finish())
        }
    }
}

fn json_object(record: &Record) -> Value {
    let mut map = Map::new();
    for (name, field) in record {
        let value = match field {
            Field::Text(s) => Value::String(s.clone()),
            Field::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Field::Integer(n) => Value::from(*n),
            Field::Bool(b) => Value::Bool(*b),
            Field::Null => Value::Null,
            Field::EmptyList => Value::Array(Vec::new()),
        };
        map.insert((*name).to_owned(), value);
    }
    Value::Object(map)
}

fn xml_list(root: &str, item: &str, records: &[Record]) -> String {
    let mut w = XmlWriter::new();
    w.open(root);
    for record in records {
        w.open(item);
        xml_fields(&mut w, record);
        w.close(item);
    }
    w.close(root);
    w.finish()
}

fn xml_fields(w: &mut XmlWriter, record: &Record) {
    for (name, field) in record {
        match field {
            Field::Text(s) => w.element(name, Some(s)),
            Field::Number(n) => w.element(name, Some(&n.to_string())),
            Field::Integer(n) => w.element(name, Some(&n.to_string())),
            Field::Bool(b) => w.element(name, Some(if *b { "true" } else { "false" })),
            Field::Null | Field::EmptyList => w.element(name, None),
        };
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(XML))], body).into_response()
}

/// A refused or failed Open311 call, answered as the spec's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {description}")]
pub struct Open311Error {
    /// HTTP status, repeated as `code`.
    pub status: StatusCode,
    /// Why, for the client (no internals).
    pub description: String,
}

impl Open311Error {
    /// 400: bad input.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, description: description.into() }
    }

    /// 404: no such service or request.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, description: description.into() }
    }

    /// The answer in `format`.
    pub fn respond(&self, format: Format) -> Response {
        let code = Field::Integer(i64::from(self.status.as_u16()));
        let record = vec![("code", code), ("description", self.description.as_str().into())];
        let mut response = list(format, self.status, "errors", "error", &[record]);
        // Unavailable for now (the database away or full, the service busy): say when to retry.
        if matches!(self.status, StatusCode::SERVICE_UNAVAILABLE | StatusCode::INSUFFICIENT_STORAGE) {
            let retry = if self.status == StatusCode::INSUFFICIENT_STORAGE { "60" } else { "5" };
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(retry));
        }
        response
    }
}

impl From<crate::access::Denial> for Open311Error {
    fn from(e: crate::access::Denial) -> Self {
        ApiError::from(e).into()
    }
}

impl From<crate::events::intake::Refused> for Open311Error {
    fn from(e: crate::events::intake::Refused) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for Open311Error {
    /// The service's own errors in Open311 terms: bad values (422 there) are the spec's 400;
    /// server errors are logged and answered without internals.
    fn from(e: ApiError) -> Self {
        let status = match &e {
            ApiError::BadRequest(_)
            | ApiError::Unprocessable(_)
            | ApiError::OutsideCounty { .. }
            | ApiError::DraftInvalid(_)
            | ApiError::InvalidFields { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::NotFound(_) | ApiError::Hidden(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::DeviceNotBound(_) => StatusCode::FORBIDDEN,
            ApiError::Locked(_) => StatusCode::LOCKED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::KeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Outage { outage: crate::store::Outage::Full, .. } => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Calendar(_) | ApiError::Store(_) | ApiError::Busy { .. } | ApiError::Outage { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let description = if status.is_server_error()
            && !matches!(e, ApiError::Calendar(_) | ApiError::Busy { .. } | ApiError::Outage { .. })
        {
            tracing::error!(error = %crate::logging::error_chain(&e), "open311 request failed");
            "the service is unavailable; try again later".to_owned()
        } else {
            e.to_string()
        };
        Self { status, description }
    }
}

/// One Open311 service: a category, or one subcategory of it, from the responsibility table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// URL-safe code: `hazard` for the category itself, `hazard-1a2b3c4d` for a subcategory.
    pub code: String,
    /// The category.
    pub category: Category,
    /// The subcategory, or `None` for the category's other matters.
    pub subcategory: Option<String>,
    /// The responsible department's name, if the table names a known one.
    pub department: Option<String>,
}

impl Service {
    /// Chinese name: the subcategory, or `问题隐患（其他）` for the category itself.
    pub fn name(&self) -> String {
        match &self.subcategory {
            Some(sub) => sub.clone(),
            None => format!("{}（其他）", self.category.zh()),
        }
    }

    /// The `services` list item.
    pub fn record(&self) -> Record {
        let name = self.name();
        let mut description = format!("{}：{}", self.category.zh(), name);
        if let Some(d) = &self.department {
            description.push_str(&format!("，职能部门：{d}"));
        }
        let mut keywords = vec![name.clone(), self.category.zh().to_owned(), self.category.as_str().to_owned()];
        keywords.extend(self.department.clone());
        vec![
            ("service_code", self.code.as_str().into()),
            ("service_name", name.into()),
            ("description", description.into()),
            ("metadata", Field::Bool(false)),
            ("type", "realtime".into()),
            ("keywords", keywords.join(",").into()),
            ("group", self.category.zh().into()),
        ]
    }

    /// The service definition (no extra attributes).
    pub fn definition(&self) -> Record {
        vec![("service_code", self.code.as_str().into()), ("attributes", Field::EmptyList)]
    }
}

/// The code of a category's service (`hazard`) or of one of its subcategories
/// (`hazard-` and the FNV-1a hash of the subcategory's UTF-8 text in 8 hex digits): ASCII,
/// URL-safe and stable however the table's rows are reordered or added to.
pub fn service_code(category: Category, subcategory: Option<&str>) -> String {
    match subcategory {
        None => category.as_str().to_owned(),
        Some(sub) => {
            let mut hash: u32 = 0x811c_9dc5;
            for byte in sub.bytes() {
                hash ^= u32::from(byte);
                hash = hash.wrapping_mul(0x0100_0193);
            }
            format!("{}-{hash:08x}", category.as_str())
        }
    }
}

/// Every service: each category, then its subcategories in table order.
pub fn services(routing: &Routing) -> Vec<Service> {
    let department = |code: &str| routing.department(code).map(|d| d.name.clone());
    let mut out = Vec::new();
    for category in Category::ALL {
        let rows: Vec<_> = routing.rules.iter().filter(|r| r.category == category.as_str()).collect();
        let default = rows.iter().find(|r| r.subcategory.is_none()).and_then(|r| department(&r.department));
        out.push(Service { code: service_code(category, None), category, subcategory: None, department: default });
        for r in rows {
            if let Some(sub) = &r.subcategory {
                out.push(Service {
                    code: service_code(category, Some(sub)),
                    category,
                    subcategory: Some(sub.clone()),
                    department: department(&r.department),
                });
            }
        }
    }
    out
}

/// The service with this code.
pub fn service(routing: &Routing, code: &str) -> Option<Service> {
    services(routing).into_iter().find(|s| s.code == code)
}

/// `open` or `closed`, as the spec knows a request.
pub fn status(state: State) -> &'static str {
    if state.is_closed() {
        "closed"
    } else {
        "open"
    }
}

/// Where the event's loop is, in Chinese, for `status_notes`.
fn status_notes(state: State) -> &'static str {
    match state {
        State::Reported => "已受理，待派遣",
        State::Assigned => "已派遣，待核实",
        State::Accepted => "已核实，办理中",
        State::Handled => "已办理，待核查",
        State::Returned => "已退单，待县网格中心裁定",
        State::Closed => "已办结并反馈",
        State::Rated => "已办结，已评价",
    }
}

/// A time as the spec's w3 format, in China time (`2025-03-03T09:00:00+08:00`).
pub fn w3_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_time()).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// What serves a request view: the grid catalog (names) and the routing table (departments).
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    /// Grids with their village and township names.
    pub catalog: &'a Catalog,
    /// Departments.
    pub routing: &'a Routing,
}

impl Names<'_> {
    /// The unit that holds (or last held) the event, by name: never a person.
    fn agency(&self, e: &EventRecord) -> Option<String> {
        let holder: &Holder = e.flow.holder.as_ref().or(e.flow.last_handler.as_ref())?;
        let grid = self.catalog.grid(&e.place.grid).map(|g| &g.grid);
        Some(match holder.tier {
            Tier::Grid => format!("{}网格员", grid.map_or(e.place.grid.as_str(), |g| g.name.as_str())),
            Tier::Village => format!("{}网格中心", self.division(&holder.id).unwrap_or(&holder.id)),
            Tier::Township => format!("{}网格中心", self.division(&holder.id).unwrap_or(&holder.id)),
            Tier::County => format!("{COUNTY_NAME}网格中心"),
            Tier::Department => self.routing.department(&holder.id).map_or_else(|| holder.id.clone(), |d| d.name.clone()),
        })
    }

    /// A village's or township's name by code.
    fn division(&self, code: &str) -> Option<&str> {
        self.catalog.grids().iter().find_map(|g| {
            let g = &g.grid;
            if g.village_code == code {
                Some(g.village_name.as_str())
            } else if g.township_code == code {
                Some(g.township_name.as_str())
            } else {
                None
            }
        })
    }

    /// The grid's full name as an address: township, village, grid.
    fn address(&self, e: &EventRecord) -> String {
        match self.catalog.grid(&e.place.grid) {
            Some(g) => format!("{}{}{}{}", COUNTY_NAME, g.grid.township_name, g.grid.village_name, g.grid.name),
            None => format!("{COUNTY_NAME}（网格 {}）", e.place.grid),
        }
    }

    /// The `service_requests` item for an event with the URL of its first photo, if it has
    /// one (read with the same credential); the reporter is never shown.
    pub fn request(&self, e: &EventRecord, media_url: Option<String>) -> Record {
        let code = service_code(e.category, e.subcategory.as_deref());
        let name = e.subcategory.clone().unwrap_or_else(|| format!("{}（其他）", e.category.zh()));
        vec![
            ("service_request_id", e.event_id.as_str().into()),
            ("status", status(e.flow.state).into()),
            ("status_notes", status_notes(e.flow.state).into()),
            ("service_name", name.into()),
            ("service_code", code.into()),
            ("description", e.description.as_str().into()),
            ("agency_responsible", self.agency(e).into()),
            ("service_notice", Field::Null),
            ("requested_datetime", w3_time(e.reported_at).into()),
            ("updated_datetime", w3_time(e.updated_at).into()),
            ("expected_datetime", e.flow.deadlines.map(|d| w3_time(d.done_by)).into()),
            ("address", self.address(e).into()),
            ("address_id", Field::Null),
            ("zipcode", Field::Null),
            ("lat", Field::Number(e.location.lat)),
            ("long", Field::Number(e.location.lon)),
            ("media_url", media_url.into()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_are_url_safe_and_tell_categories_apart() {
        let water = service_code(Category::Hazard, Some("供水"));
        assert!(water.starts_with("hazard-") && water.len() == "hazard-".len() + 8);
        assert!(water.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert_ne!(water, service_code(Category::Livelihood, Some("供水")));
        assert_eq!(water, service_code(Category::Hazard, Some("供水")));
        assert_ne!(water, service_code(Category::Hazard, Some("燃气")));
        assert_eq!(service_code(Category::Dispute, None), "dispute");
    }

    #[test]
    fn extensions_choose_the_format() {
        assert_eq!(Format::split("services.xml"), ("services", Format::Xml));
        assert_eq!(Format::split("E20250303-000001.json"), ("E20250303-000001", Format::Json));
        assert_eq!(Format::split("hazard"), ("hazard", Format::Json));
    }

    #[test]
    fn times_are_w3_in_china_time() {
        let t = DateTime::parse_from_rfc3339("2025-03-03T01:00:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(t.map(w3_time).ok().as_deref(), Some("2025-03-03T09:00:00+08:00"));
    }
}
