//! Access control and the audit trail, on both backends: every API endpoint × role ×
//! jurisdiction; township A never sees township B; refusals change nothing; logins, sessions,
//! CSRF, lockout, throttling, idle timeout, disabling, password policy and expiry; exactly one
//! chained audit row per login, denial, change and read of personal data, and tampering found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wangge_core::access::{allows, Permission, Role};

mod support;

use support::county::*;

/// What an endpoint needs of its caller.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// Nothing: answered without a login (health, login itself, Open311 service lists, the
    /// OGC API landing and conformance).
    Public,
    /// A signed-in account, whatever its grant.
    SignedIn,
    /// Every one of these permissions.
    All(&'static [Permission]),
    /// Any one of these permissions (patrols: a supervisor's `read_patrols` within the
    /// jurisdiction, or a gridworker's `patrol` for its own).
    Any(&'static [Permission]),
    /// The monitoring token, which no account holds (`/metrics`; none configured here: 404).
    MonitoringToken,
}

/// An endpoint (its route pattern), what it needs, and a request for it.
struct Endpoint {
    method: Method,
    pattern: &'static str,
    uri: String,
    body: Option<Value>,
    needs: Need,
}

/// Every route the router serves, each method with an entry: the coverage test fails for a
/// route without one.
fn endpoints(c: &County) -> Vec<Endpoint> {
    use Permission as P;
    let e = |method: Method, pattern: &'static str, uri: &str, body: Option<Value>, needs| Endpoint {
        method,
        pattern,
        uri: uri.into(),
        body,
        needs,
    };
    let p = |perm: &'static [Permission]| Need::All(perm);
    let a = &c.event_a;
    let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    vec![
        e(get.clone(), "/healthz", "/healthz", None, Need::Public),
        e(get.clone(), "/readyz", "/readyz", None, Need::Public),
        e(get.clone(), "/api/v1/openapi.json", "/api/v1/openapi.json", None, Need::Public),
        e(get.clone(), "/api/v1/docs", "/api/v1/docs", None, Need::Public),
        e(get.clone(), "/metrics", "/metrics", None, Need::MonitoringToken),
        e(post.clone(), "/api/v1/auth/login", "/api/v1/auth/login", Some(json!({"username": "", "password": ""})), Need::Public),
        e(post.clone(), "/api/v1/auth/token", "/api/v1/auth/token", Some(json!({"username": "", "password": ""})), Need::Public),
        e(get.clone(), "/api/v1/auth/me", "/api/v1/auth/me", None, Need::SignedIn),
        e(post.clone(), "/api/v1/auth/logout", "/api/v1/auth/logout", Some(json!({})), Need::SignedIn),
        e(put.clone(), "/api/v1/auth/password", "/api/v1/auth/password", Some(json!({"current": "x", "new": "y"})), Need::SignedIn),
        e(get.clone(), "/open311/discovery.json", "/open311/discovery.json", None, Need::Public),
        e(get.clone(), "/open311/v2/services", "/open311/v2/services", None, Need::Public),
        e(get.clone(), "/open311/v2/services.json", "/open311/v2/services.json", None, Need::Public),
        e(get.clone(), "/open311/v2/services.xml", "/open311/v2/services.xml", None, Need::Public),
        e(get.clone(), "/open311/v2/services/{file}", "/open311/v2/services/hazard-gas.json", None, Need::Public),
        e(get.clone(), "/open311/v2/requests", "/open311/v2/requests", None, p(&[P::ReadEvents])),
        e(get.clone(), "/open311/v2/requests.json", "/open311/v2/requests.json", None, p(&[P::ReadEvents])),
        e(get.clone(), "/open311/v2/requests.xml", "/open311/v2/requests.xml", None, p(&[P::ReadEvents])),
        e(get.clone(), "/open311/v2/requests/{file}", &format!("/open311/v2/requests/{a}.json"), None, p(&[P::ReadEvents])),
        e(post.clone(), "/open311/v2/requests", "/open311/v2/requests", Some(json!({})), p(&[P::ReportEvent])),
        e(post.clone(), "/open311/v2/requests.json", "/open311/v2/requests.json", Some(json!({})), p(&[P::ReportEvent])),
        e(post.clone(), "/open311/v2/requests.xml", "/open311/v2/requests.xml", Some(json!({})), p(&[P::ReportEvent])),
        e(get.clone(), "/ogcapi", "/ogcapi", None, Need::Public),
        e(get.clone(), "/ogcapi/", "/ogcapi/", None, Need::Public),
        e(get.clone(), "/ogcapi/conformance", "/ogcapi/conformance", None, Need::Public),
        e(get.clone(), "/ogcapi/collections", "/ogcapi/collections", None, p(&[P::ReadMap])),
        e(get.clone(), "/ogcapi/collections/{collection}", "/ogcapi/collections/grids", None, p(&[P::ReadMap])),
        e(get.clone(), "/ogcapi/collections/{collection}/items", "/ogcapi/collections/grids/items", None, p(&[P::ReadMap])),
        e(get.clone(), "/ogcapi/collections/{collection}/items/{feature}", &format!("/ogcapi/collections/grids/items/{GRID_A}"), None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/divisions", "/api/v1/divisions", None, p(&[P::ReadDivisions])),
        e(get.clone(), "/api/v1/grids", "/api/v1/grids", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/grids/{code}", &format!("/api/v1/grids/{GRID_A}"), None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/grids/{code}/history", &format!("/api/v1/grids/{GRID_A}/history"), None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/generations", "/api/v1/generations", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/locate", "/api/v1/locate?lon=115.508&lat=40.408", None, p(&[P::ReadMap])),
        e(post.clone(), "/api/v1/locate", "/api/v1/locate", Some(json!({"points": [[115.508, 40.408]]})), p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/map/grids.geojson", "/api/v1/map/grids.geojson", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/map/villages.geojson", "/api/v1/map/villages.geojson", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/map/townships.geojson", "/api/v1/map/townships.geojson", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/search", "/api/v1/search?q=东关", None, p(&[P::ReadMap])),
        e(get.clone(), "/api/v1/map/heat", "/api/v1/map/heat", None, p(&[P::ReadStats])),
        e(get.clone(), "/api/v1/map/choropleth", "/api/v1/map/choropleth", None, p(&[P::ReadStats])),
        e(get.clone(), "/api/v1/stats", "/api/v1/stats?from=2025-03-01&to=2025-03-31", None, p(&[P::ReadStats])),
        e(get.clone(), "/api/v1/events", "/api/v1/events", None, p(&[P::ReadEvents])),
        e(get.clone(), "/api/v1/events/nearby", "/api/v1/events/nearby?lon=115.508&lat=40.408&category=hazard", None, p(&[P::ReadEvents])),
        e(get.clone(), "/api/v1/events/{id}", &format!("/api/v1/events/{a}"), None, p(&[P::ReadEvents])),
        e(get.clone(), "/api/v1/attachments/{id}", "/api/v1/attachments/P0", None, Need::Any(&[P::ReadEvents, P::ReadPatrols, P::Patrol])),
        e(get.clone(), "/api/v1/attachments/{id}/thumbnail", "/api/v1/attachments/P0/thumbnail", None, Need::Any(&[P::ReadEvents, P::ReadPatrols, P::Patrol])),
        e(post.clone(), "/api/v1/events/{id}/duplicate", &format!("/api/v1/events/{a}/duplicate"), Some(json!({"of": "E20250303-9999"})), p(&[P::MarkDuplicate, P::ReadEvents])),
        e(delete.clone(), "/api/v1/events/{id}/duplicate", &format!("/api/v1/events/{a}/duplicate"), None, p(&[P::MarkDuplicate, P::ReadEvents])),
        e(get.clone(), "/api/v1/events/{id}/timeline", &format!("/api/v1/events/{a}/timeline"), None, p(&[P::ReadEvents])),
        e(get.clone(), "/api/v1/events/stream", "/api/v1/events/stream?township=999999999", None, p(&[P::ReadEvents])),
        e(post.clone(), "/api/v1/events/{id}/reveal", &format!("/api/v1/events/{a}/reveal"), Some(json!({"field": "reporter_phone"})), p(&[P::RevealPersonalData, P::ReadEvents])),
        // An unknown action: refused after the event is read, so it needs read_events.
        e(post.clone(), "/api/v1/events/{id}/transitions", &format!("/api/v1/events/{a}/transitions"), Some(json!({"action": "none"})), p(&[P::ReadEvents])),
        e(post.clone(), "/api/v1/reports", "/api/v1/reports", Some(report("r-matrix", IN_A)), p(&[P::ReportEvent])),
        e(get.clone(), "/api/v1/people", "/api/v1/people", None, p(&[P::ReadPeople])),
        e(get.clone(), "/api/v1/people/{id}", "/api/v1/people/GWA", None, p(&[P::ReadPeople])),
        e(put.clone(), "/api/v1/people/{id}", "/api/v1/people/GWA", Some(json!({"name": "测试GWA", "role": "gridworker", "unit_code": VILLAGE_A, "phone": "13812345678", "grids": [GRID_A]})), p(&[P::EditPeople])),
        e(put.clone(), "/api/v1/people/{id}/duty", "/api/v1/people/GWA/duty", Some(json!({"on_duty": true})), p(&[P::EditPeople])),
        e(put.clone(), "/api/v1/people/{id}/bindings", "/api/v1/people/GWA/bindings", Some(json!({"grids": [GRID_A]})), p(&[P::EditPeople])),
        e(post.clone(), "/api/v1/people/{id}/reveal", "/api/v1/people/GWA/reveal", Some(json!({"field": "phone"})), p(&[P::RevealPersonalData, P::ReadPeople])),
        e(get.clone(), "/api/v1/responsibility", "/api/v1/responsibility", None, p(&[P::ReadDivisions])),
        e(put.clone(), "/api/v1/responsibility", "/api/v1/responsibility", Some(json!({"rules": [{"category": "none", "subcategory": null, "department": "nowhere"}]})), p(&[P::EditRouting])),
        e(get.clone(), "/api/v1/export/{file}", "/api/v1/export/grids.geojson", None, p(&[P::ExportData])),
        e(get.clone(), "/api/v1/calendar/{year}", "/api/v1/calendar/2025", None, p(&[P::ReadDivisions])),
        e(put.clone(), "/api/v1/calendar/{year}", "/api/v1/calendar/2025", Some(json!({"source": "", "holidays": [], "workdays": []})), p(&[P::EditCalendar])),
        e(put.clone(), "/api/v1/calendar/overrides/{date}", "/api/v1/calendar/overrides/2025-12-01", Some(json!({"kind": null})), p(&[P::EditCalendar])),
        e(get.clone(), "/api/v1/drafts/base", &format!("/api/v1/drafts/base?village={VILLAGE_A}"), None, p(&[P::EditGrids])),
        e(post.clone(), "/api/v1/drafts/split", "/api/v1/drafts/split", Some(json!({"geometry": {}, "line": []})), p(&[P::EditGrids])),
        e(post.clone(), "/api/v1/drafts/import", "/api/v1/drafts/import?format=geojson", Some(json!({})), p(&[P::EditGrids])),
        e(post.clone(), "/api/v1/drafts/check", "/api/v1/drafts/check", Some(json!({"base_generation": 0, "area": {}, "grids": {}})), p(&[P::EditGrids])),
        e(post.clone(), "/api/v1/drafts/publish", "/api/v1/drafts/publish", Some(json!({"base_generation": 0, "area": {}, "grids": {}})), p(&[P::EditGrids])),
        e(get.clone(), "/api/v1/admin/users", "/api/v1/admin/users", None, p(&[P::ManageUsers])),
        e(post.clone(), "/api/v1/admin/users", "/api/v1/admin/users", Some(json!({"username": "matrix", "display_name": "m", "password": "Matrix-pass-2026"})), p(&[P::ManageUsers])),
        e(put.clone(), "/api/v1/admin/users/{username}/disabled", "/api/v1/admin/users/nobody/disabled", Some(json!({"disabled": false})), p(&[P::ManageUsers])),
        e(post.clone(), "/api/v1/admin/users/{username}/unlock", "/api/v1/admin/users/nobody/unlock", Some(json!({})), p(&[P::ManageUsers])),
        e(post.clone(), "/api/v1/admin/service-accounts", "/api/v1/admin/service-accounts", Some(json!({"username": "svc-matrix", "display_name": "m"})), p(&[P::ManageUsers])),
        e(post.clone(), "/api/v1/admin/users/{username}/api-keys", "/api/v1/admin/users/nobody/api-keys", Some(json!({"scope": "open311"})), p(&[P::ManageUsers])),
        e(get.clone(), "/api/v1/admin/api-keys", "/api/v1/admin/api-keys", None, p(&[P::ManageUsers])),
        e(delete.clone(), "/api/v1/admin/api-keys/{id}", "/api/v1/admin/api-keys/nokey", None, p(&[P::ManageUsers])),
        e(put.clone(), "/api/v1/admin/users/{username}/grant", "/api/v1/admin/users/nobody/grant", Some(json!({"role": null})), p(&[P::ManageGrants])),
        e(get.clone(), "/api/v1/admin/security-policy", "/api/v1/admin/security-policy", None, p(&[P::EditSecurityPolicy])),
        e(put.clone(), "/api/v1/admin/security-policy", "/api/v1/admin/security-policy", Some(json!({})), p(&[P::EditSecurityPolicy])),
        e(get.clone(), "/api/v1/admin/users/{username}/device", "/api/v1/admin/users/nobody/device", None, p(&[P::UnbindDevice])),
        e(delete.clone(), "/api/v1/admin/users/{username}/device", "/api/v1/admin/users/nobody/device", None, p(&[P::UnbindDevice])),
        // Patrols: gw_a (GWA, village A) starts p-matrix at the fixed clock, then uploads to it.
        e(post.clone(), "/api/v1/patrols", "/api/v1/patrols", Some(json!({"patrol_id": "p-matrix"})), p(&[P::Patrol])),
        e(get.clone(), "/api/v1/patrols", "/api/v1/patrols", None, Need::Any(&[P::ReadPatrols, P::Patrol])),
        e(get.clone(), "/api/v1/patrols/{id}", "/api/v1/patrols/p-matrix", None, Need::Any(&[P::ReadPatrols, P::Patrol])),
        e(post.clone(), "/api/v1/patrols/{id}/points", "/api/v1/patrols/p-matrix/points", Some(json!({"points": [[IN_A.0, IN_A.1, monday().timestamp_millis(), 5.0]]})), p(&[P::Patrol])),
        e(post.clone(), "/api/v1/patrols/{id}/checkins", "/api/v1/patrols/p-matrix/checkins", Some(json!({"checkin_id": "c-matrix", "lon": IN_A.0, "lat": IN_A.1, "kind": "household"})), p(&[P::Patrol])),
        e(post.clone(), "/api/v1/patrols/{id}/end", "/api/v1/patrols/p-matrix/end", Some(json!({})), p(&[P::Patrol])),
        e(get.clone(), "/api/v1/patrols/live", "/api/v1/patrols/live", None, p(&[P::ReadPatrols])),
        e(get.clone(), "/api/v1/registry/summary", "/api/v1/registry/summary", None, Need::Any(&[P::ReadRegistry, P::ReadStats])),
        e(get.clone(), "/api/v1/registry/density", "/api/v1/registry/density?entity=houses", None, Need::Any(&[P::ReadRegistry, P::ReadStats])),
        e(post.clone(), "/api/v1/registry/links", "/api/v1/registry/links", Some(json!({"from_kind": "event", "from_id": a, "record_id": "RNONE"})), p(&[P::EditRegistry])),
        e(get.clone(), "/api/v1/registry/imports/{id}", "/api/v1/registry/imports/Inone", None, p(&[P::ImportRegistry])),
        e(get.clone(), "/api/v1/registry/{kind}", "/api/v1/registry/people", None, p(&[P::ReadRegistry])),
        e(post.clone(), "/api/v1/registry/{kind}", "/api/v1/registry/people", Some(json!({"village_code": VILLAGE_A})), p(&[P::EditRegistry])),
        e(get.clone(), "/api/v1/registry/{kind}/template", "/api/v1/registry/houses/template?format=csv", None, p(&[P::EditRegistry])),
        e(post.clone(), "/api/v1/registry/{kind}/import", "/api/v1/registry/people/import", Some(json!({})), p(&[P::ImportRegistry])),
        e(get.clone(), "/api/v1/registry/{kind}/{id}", "/api/v1/registry/people/RNONE", None, p(&[P::ReadRegistry])),
        e(put.clone(), "/api/v1/registry/{kind}/{id}", "/api/v1/registry/people/RNONE", Some(json!({"village_code": VILLAGE_A})), p(&[P::EditRegistry])),
        e(post.clone(), "/api/v1/registry/{kind}/{id}/verify", "/api/v1/registry/people/RNONE/verify", Some(json!({})), p(&[P::EditRegistry])),
        e(post.clone(), "/api/v1/registry/{kind}/{id}/reveal", "/api/v1/registry/people/RNONE/reveal", Some(json!({"field": "id_number"})), p(&[P::RevealPersonalData, P::ReadRegistry])),
        e(get.clone(), "/api/v1/registry/special_groups", "/api/v1/registry/special_groups", None, p(&[P::ReadSpecialGroups])),
        e(post.clone(), "/api/v1/registry/special_groups", "/api/v1/registry/special_groups", Some(json!({"group": "aids"})), p(&[P::EditSpecialGroups])),
        e(get.clone(), "/api/v1/registry/special_groups/{id}", "/api/v1/registry/special_groups/SNONE", None, p(&[P::ReadSpecialGroups])),
        e(put.clone(), "/api/v1/registry/special_groups/{id}", "/api/v1/registry/special_groups/SNONE", Some(json!({"group": "aids"})), p(&[P::EditSpecialGroups])),
        e(post.clone(), "/api/v1/registry/special_groups/{id}/followups", "/api/v1/registry/special_groups/SNONE/followups", Some(json!({})), p(&[P::VisitSpecialGroup])),
        e(post.clone(), "/open311/v2/requests/{id}/followups", &format!("/open311/v2/requests/{a}/followups"), Some(json!({"level": "很满意", "phone": "13900000000"})), p(&[P::ReportEvent])),
        e(post.clone(), "/open311/v2/requests/{id}/followups.json", &format!("/open311/v2/requests/{a}/followups.json"), Some(json!({"level": "很满意", "phone": "13900000000"})), p(&[P::ReportEvent])),
        e(post.clone(), "/open311/v2/requests/{id}/followups.xml", &format!("/open311/v2/requests/{a}/followups.xml"), Some(json!({"level": "很满意", "phone": "13900000000"})), p(&[P::ReportEvent])),
        e(get.clone(), "/api/v1/callbacks", "/api/v1/callbacks", None, p(&[P::RecordRating])),
        e(get.clone(), "/api/v1/events/{id}/followups", &format!("/api/v1/events/{a}/followups"), None, Need::Any(&[P::ReadEvents, P::RecordRating])),
        e(post.clone(), "/api/v1/events/{id}/followups", &format!("/api/v1/events/{a}/followups"), Some(json!({"reached": true})), Need::Any(&[P::RecordRating, P::ReportEvent])),
        e(get.clone(), "/api/v1/screenings", "/api/v1/screenings", None, Need::Any(&[P::ReadDisputes, P::RecordScreening])),
        e(post.clone(), "/api/v1/screenings", "/api/v1/screenings", Some(json!({"grid": GRID_A, "month": "2099-01", "found": 0})), p(&[P::RecordScreening])),
        e(get.clone(), "/api/v1/disputes", "/api/v1/disputes", None, p(&[P::ReadDisputes])),
        e(post.clone(), "/api/v1/disputes", "/api/v1/disputes", Some(json!({"event_id": a, "kind": "none", "people": 1, "summary": "x", "parties": []})), p(&[P::HandleDisputes])),
        e(get.clone(), "/api/v1/disputes/{id}", "/api/v1/disputes/DNONE", None, p(&[P::ReadDisputes])),
        e(post.clone(), "/api/v1/disputes/{id}/moves", "/api/v1/disputes/DNONE/moves", Some(json!({"action": "archive"})), p(&[P::HandleDisputes])),
        e(post.clone(), "/api/v1/disputes/{id}/reveal", "/api/v1/disputes/DNONE/reveal", Some(json!({"field": "parties"})), p(&[P::RevealPersonalData, P::ReadDisputes])),
        e(get.clone(), "/api/v1/petitions", "/api/v1/petitions", None, p(&[P::ReadDisputes])),
        e(post.clone(), "/api/v1/petitions", "/api/v1/petitions", Some(json!({"channel": "letter", "lodged": "county", "township": TOWN_A, "petitioners": [], "matter": "x"})), p(&[P::HandlePetitions])),
        e(get.clone(), "/api/v1/petitions/{id}", "/api/v1/petitions/PNONE", None, p(&[P::ReadDisputes])),
        e(post.clone(), "/api/v1/petitions/{id}/moves", "/api/v1/petitions/PNONE/moves", Some(json!({"action": "accept", "office": "x"})), p(&[P::HandlePetitions])),
        e(post.clone(), "/api/v1/petitions/{id}/reveal", "/api/v1/petitions/PNONE/reveal", Some(json!({"field": "petitioners"})), p(&[P::RevealPersonalData, P::ReadDisputes])),
        e(get.clone(), "/api/v1/outcomes", "/api/v1/outcomes", None, p(&[P::ReadDisputes])),
        e(post.clone(), "/api/v1/outcomes", "/api/v1/outcomes", Some(json!({"township": TOWN_A, "kind": "none", "occurred_on": "2025-03-01", "note": "x"})), p(&[P::RecordOutcomes])),
        e(get.clone(), "/api/v1/stats/patrol", "/api/v1/stats/patrol?from=2025-03-01&to=2025-03-31", None, p(&[P::ReadPatrols])),
        e(get.clone(), "/api/v1/assessment/schemes/{year}", "/api/v1/assessment/schemes/2025", None, p(&[P::ReadAssessment])),
        e(put.clone(), "/api/v1/assessment/schemes/{year}", "/api/v1/assessment/schemes/2025", Some(scheme_change()), p(&[P::Assess])),
        e(get.clone(), "/api/v1/assessment/{level}", "/api/v1/assessment/townships?period=2025-03", None, p(&[P::ReadAssessment])),
        e(get.clone(), "/api/v1/assessment/{level}/{unit}", &format!("/api/v1/assessment/townships/{TOWN_A}?period=2025-03"), None, p(&[P::ReadAssessment])),
        e(get.clone(), "/api/v1/assessment/trends/{level}", "/api/v1/assessment/trends/townships?year=2025", None, p(&[P::ReadAssessment])),
        e(post.clone(), "/api/v1/assessment/manual", "/api/v1/assessment/manual", Some(json!({"period": "2025-Q1", "level": "township", "unit": TOWN_A, "indicator": "T11", "points": 8, "evidence": "台账齐全"})), p(&[P::Assess])),
        e(post.clone(), "/api/v1/assessment/freeze", "/api/v1/assessment/freeze", Some(json!({"level": "township", "period": "2025-02"})), p(&[P::Assess])),
        e(get.clone(), "/api/v1/assessment/self-evaluation", "/api/v1/assessment/self-evaluation?year=2025", None, p(&[P::ReadCountyScore])),
        e(get.clone(), "/api/v1/assessment/self-evaluation.docx", "/api/v1/assessment/self-evaluation.docx?year=2025", None, p(&[P::ReadCountyScore])),
        e(get.clone(), "/api/v1/assessment/self-evaluation.xlsx", "/api/v1/assessment/self-evaluation.xlsx?year=2025", None, p(&[P::ReadCountyScore])),
        e(get.clone(), "/api/v1/assessment/careers", "/api/v1/assessment/careers", None, p(&[P::ReadAssessment])),
        e(get.clone(), "/api/v1/assessment/careers/{person}", "/api/v1/assessment/careers/GWA", None, p(&[P::ReadAssessment])),
        e(post.clone(), "/api/v1/assessment/careers/{person}", "/api/v1/assessment/careers/GWA", Some(json!({"move": "train", "note": "网格员履职培训 4 学时"})), p(&[P::ManageCareers])),
        e(get.clone(), "/api/v1/assessment/best", "/api/v1/assessment/best?year=2025", None, p(&[P::ReadAssessment])),
        e(get.clone(), "/api/v1/assessment/budget", "/api/v1/assessment/budget?year=2025", None, p(&[P::ReadCountyScore])),
        e(post.clone(), "/api/v1/assessment/budget", "/api/v1/assessment/budget", Some(json!({"year": 2025, "kind": "budget", "item": "网格化服务管理项目", "amount": "1000000", "dated": "2025-01-10"})), p(&[P::Assess])),
        e(get.clone(), "/api/v1/events/{id}/validity", &format!("/api/v1/events/{a}/validity"), None, p(&[P::ReadEvents])),
        e(put.clone(), "/api/v1/events/{id}/validity", &format!("/api/v1/events/{a}/validity"), Some(json!({"valid": false, "reason": "test"})), p(&[P::MarkEventValidity, P::ReadEvents])),
        e(get.clone(), "/api/v1/audit", "/api/v1/audit", None, p(&[P::ReadAuditLog])),
        e(get, "/api/v1/audit/verify", "/api/v1/audit/verify", None, p(&[P::ReadAuditLog])),
    ]
}

/// A well-formed change of 2025's scheme: the built-in one, carried into 2025.
fn scheme_change() -> Value {
    let mut scheme: Value = serde_json::from_str(include_str!("../data/assessment-scheme-2023.json")).unwrap();
    scheme["year"] = json!(2025);
    json!({"base_version": 0, "note": "沿用 2023 年度指标体系", "scheme": scheme})
}

/// The methods a route pattern serves, found by asking the router itself (405 for the rest).
async fn served_methods(app: &Router, pattern: &str) -> Vec<Method> {
    let uri = pattern.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
    let mut served = Vec::new();
    for m in [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        let r = send(app, &As::Nobody, m.clone(), &uri, None).await;
        if r.status != StatusCode::METHOD_NOT_ALLOWED {
            served.push(m);
        }
    }
    served
}

backend_tests! {
    #[tokio::test]
    async fn every_route_of_the_router_has_an_access_matrix_entry() {
        let c = county().await;
        let table = endpoints(&c);
        let patterns = wangge_server::route_patterns();
        assert!(patterns.len() >= 60, "{patterns:?}");
        let mut missing = Vec::new();
        for pattern in &patterns {
            for method in served_methods(&c.app, pattern).await {
                if !table.iter().any(|e| e.pattern == pattern && e.method == method) {
                    missing.push(format!("{method} {pattern}"));
                }
            }
        }
        assert!(missing.is_empty(), "routes without an access matrix entry: {missing:?}");
        // And no entry for a route the router does not have.
        for e in &table {
            assert!(patterns.iter().any(|p| p == e.pattern), "entry for an unknown route {}", e.pattern);
        }
    }

    #[tokio::test]
    async fn every_endpoint_answers_each_role_as_the_permission_table_says() {
        let c = county().await;
        let mut checked = 0;
        for ep in endpoints(&c) {
            let anonymous = send(&c.app, &As::Nobody, ep.method.clone(), &ep.uri, ep.body.as_ref()).await;
            assert!(!anonymous.status.is_server_error(), "{} {} without a login: {}", ep.method, ep.uri, anonymous.text);
            let needs = match ep.needs {
                Need::Public => {
                    let login = ep.pattern.starts_with("/api/v1/auth/");
                    assert!(login || anonymous.status != StatusCode::UNAUTHORIZED, "{} {} is public: {}", ep.method, ep.uri, anonymous.text);
                    continue;
                }
                Need::SignedIn => {
                    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{} {} without a login: {}", ep.method, ep.uri, anonymous.text);
                    // Logging out would end the shared tokens: the anonymous check is enough.
                    if ep.pattern == "/api/v1/auth/logout" {
                        continue;
                    }
                    &[][..]
                }
                Need::All(perms) | Need::Any(perms) => {
                    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{} {} without a login: {}", ep.method, ep.uri, anonymous.text);
                    perms
                }
                Need::MonitoringToken => {
                    assert!(!anonymous.status.is_success(), "{} without the token: {}", ep.uri, anonymous.text);
                    for (name, _, _) in &c.tokens {
                        let r = send(&c.app, &c.token(name), ep.method.clone(), &ep.uri, ep.body.as_ref()).await;
                        assert!(!r.status.is_success() && !r.status.is_server_error(), "{name} {}: {} {}", ep.uri, r.status, r.text);
                        checked += 1;
                    }
                    continue;
                }
            };
            let any = matches!(ep.needs, Need::Any(_));
            for (name, grant, _) in &c.tokens {
                let r = send(&c.app, &c.token(name), ep.method.clone(), &ep.uri, ep.body.as_ref()).await;
                // Listing accounts is the system administrator's and the security administrator's.
                let may = (if any { needs.iter().any(|p| grant.may(*p)) } else { needs.iter().all(|p| grant.may(*p)) })
                    || (ep.uri == "/api/v1/admin/users" && ep.method == Method::GET && grant.may(Permission::ManageGrants));
                // Inside the caller's jurisdiction or not (the endpoints name township A's objects).
                let covers_a = grant.jurisdiction.covers_code(GRID_A);
                let wrong_password = ep.pattern == "/api/v1/auth/password";
                if wrong_password {
                    // A wrong current password is refused (403) for everyone signed in.
                    assert!(r.status != StatusCode::UNAUTHORIZED && !r.status.is_server_error(), "{name}: {}", r.text);
                } else if may && !covers_a {
                    // Outside the caller's jurisdiction: hidden (404) or refused (403), never 401.
                    assert!(
                        r.status != StatusCode::UNAUTHORIZED && !r.status.is_server_error(),
                        "{name} ({}) {} {}: got {} {}", grant.role, ep.method, ep.uri, r.status, r.text
                    );
                } else if may {
                    assert!(
                        r.status != StatusCode::FORBIDDEN && r.status != StatusCode::UNAUTHORIZED && !r.status.is_server_error(),
                        "{name} ({}) may {} {}: got {} {}", grant.role, ep.method, ep.uri, r.status, r.text
                    );
                } else {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{name} ({}) may not {} {}: {}", grant.role, ep.method, ep.uri, r.text);
                    // OGC API and Open311 answer in their own formats.
                    if !ep.uri.starts_with("/ogcapi") && !ep.uri.starts_with("/open311") {
                        assert_eq!(r.header("content-type"), "application/problem+json");
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 60 * 11, "{checked}");
        // 三员分立 as the table says.
        assert!(!allows(Role::SystemAdmin, Permission::ReadAuditLog) && !allows(Role::AuditAdmin, Permission::ManageUsers));
    }

    #[tokio::test]
    async fn township_a_never_sees_township_b() {
        let c = county().await;
        let (a, b) = (&c.event_a, &c.event_b);
        // One event of B: exactly the answer of a missing id.
        let missing = c.get("town_a", "/api/v1/events/20250303-9999").await;
        for uri in [format!("/api/v1/events/{b}"), format!("/api/v1/events/{b}/timeline")] {
            let r = c.get("town_a", &uri).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.text);
            assert_eq!(r.body["type"], missing.body["type"]);
            assert_eq!(r.body["title"], missing.body["title"]);
            assert_eq!(r.body["detail"], json!(format!("no event with id {b:?}")));
        }
        assert_eq!(c.get("town_a", &format!("/api/v1/events/{a}")).await.status, StatusCode::OK);
        // A department sees only the events it holds or handled.
        assert_eq!(c.get("dept", &format!("/api/v1/events/{a}")).await.status, StatusCode::NOT_FOUND);
        let reveal = c.post("town_a", &format!("/api/v1/events/{b}/reveal"), &json!({"field": "reporter_phone"})).await;
        assert_eq!(reveal.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get("town_a", "/api/v1/people/GWB").await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get("town_a", "/api/v1/people/GWA").await.status, StatusCode::OK);
        assert_eq!(c.get("town_a", "/api/v1/grids/130730200201001").await.status, StatusCode::NOT_FOUND);
        assert_eq!(c.get("town_a", "/api/v1/locate?lon=115.53&lat=40.41").await.status, StatusCode::NOT_FOUND);
        // Bulk locate in CSV: a point of B answers empty fields to A, its code to the county.
        for (who, expected_b) in [("town_a", false), ("county", true)] {
            let As::Token(token) = c.token(who) else { unreachable!() };
            let request = Request::post("/api/v1/locate")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .header(header::ACCEPT, "text/csv")
                .body(Body::from("115.53,40.41\n"))
                .unwrap();
            let response = c.app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{who}");
            let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
            assert_eq!(text.contains(TOWN_B), expected_b, "{who}: {text:?}");
            assert_eq!(text.lines().count(), 1, "{who}: {text:?}");
        }

        // Lists, searches, layers, heat, shading, figures and exports: zero rows of B, and
        // the county sees both (so the filter, not an empty store, is what hides them).
        let has_b = |text: &str| text.contains(TOWN_B) || text.contains(b.as_str());
        let uris = [
            "/api/v1/events?per_page=500".to_owned(),
            format!("/api/v1/events?township={TOWN_B}"),
            "/api/v1/people?per_page=500".to_owned(),
            "/api/v1/grids".to_owned(),
            "/api/v1/divisions".to_owned(),
            format!("/api/v1/search?q={b}"),
            "/api/v1/search?q=1307302".to_owned(),
            "/api/v1/map/grids.geojson".to_owned(),
            "/api/v1/map/villages.geojson".to_owned(),
            "/api/v1/map/townships.geojson".to_owned(),
            "/api/v1/map/choropleth".to_owned(),
            "/api/v1/stats?from=2025-03-01&to=2025-03-31".to_owned(),
            "/api/v1/export/grids.geojson".to_owned(),
            "/api/v1/export/villages.geojson".to_owned(),
            "/ogcapi/collections/grids/items".to_owned(),
            "/ogcapi/collections/villages/items".to_owned(),
            "/open311/v2/requests.json".to_owned(),
        ];
        for uri in &uris {
            let county = c.get("county", uri).await;
            assert_eq!(county.status, StatusCode::OK, "county {uri}: {}", county.text);
            assert!(has_b(&county.text), "county {uri} should include township B");
            let town = c.get("town_a", uri).await;
            assert_eq!(town.status, StatusCode::OK, "town_a {uri}: {}", town.text);
            assert!(!has_b(&town.text), "town_a {uri} shows township B: {}", town.text);
        }
        let events = c.get("town_a", "/api/v1/events?per_page=500").await;
        assert_eq!(events.body["total"], 1);
        let heat_county = c.get("county", "/api/v1/map/heat").await.body["total"].as_u64().unwrap();
        let heat_a = c.get("town_a", "/api/v1/map/heat").await.body["total"].as_u64().unwrap();
        assert_eq!((heat_county, heat_a), (2, 1));
        let stats = c.get("town_a", "/api/v1/stats?from=2025-03-01&to=2025-03-31").await;
        assert_eq!(stats.body["reported"], 1, "{}", stats.text);
        // Asking for B's figures by name is refused.
        let r = c.get("town_a", &format!("/api/v1/stats?from=2025-03-01&to=2025-03-31&township={TOWN_B}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A village sees its village only.
        let v = c.get("village_a", "/api/v1/map/grids.geojson").await;
        let codes: Vec<&str> = v.body["features"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
        assert!(!codes.is_empty() && codes.iter().all(|code| code.starts_with(VILLAGE_A)), "{codes:?}");
    }

    #[tokio::test]
    async fn moves_beyond_the_callers_role_or_jurisdiction_are_refused_and_change_nothing() {
        let c = county().await;
        let a = c.event_a.clone();
        let before = c.get("county", &format!("/api/v1/events/{a}/timeline")).await.body;
        let attempts = [
            ("gw_a", json!({"action": "assign", "to": {"tier": "grid", "id": "GWA"}}), StatusCode::FORBIDDEN),
            ("village_a", json!({"action": "escalate", "to": {"tier": "county", "id": "county"}, "reason": "越级"}), StatusCode::FORBIDDEN),
            ("town_a", json!({"action": "escalate", "to": {"tier": "township", "id": TOWN_B}, "reason": "错乡镇"}), StatusCode::FORBIDDEN),
            ("town_b", json!({"action": "accept"}), StatusCode::NOT_FOUND),
            ("leader", json!({"action": "accept"}), StatusCode::FORBIDDEN),
            ("town_a", json!({"action": "arbitrate", "to": {"tier": "township", "id": TOWN_A}, "note": "r"}), StatusCode::FORBIDDEN),
            ("county", json!({"action": "accept", "actor": "GWA"}), StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (who, body, status) in attempts {
            let r = c.post(who, &format!("/api/v1/events/{a}/transitions"), &body).await;
            assert_eq!(r.status, status, "{who} {body}: {}", r.text);
        }
        let after = c.get("county", &format!("/api/v1/events/{a}/timeline")).await.body;
        assert_eq!(before, after, "a refused move changed the event");
        // The gridworker holding it may act on it, as itself.
        let r = c.post("gw_a", &format!("/api/v1/events/{a}/transitions"), &json!({"action": "accept"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let timeline = c.get("county", &format!("/api/v1/events/{a}/timeline")).await.body;
        assert_eq!(timeline["entries"].as_array().unwrap().last().unwrap()["actor"], "GWA");
        // A report outside one's jurisdiction is refused and nothing is stored.
        let r = c.post("town_a", "/api/v1/reports", &report("r-out-of-scope", IN_B)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(c.get("county", "/api/v1/events").await.body["total"], 2);
        // A gridworker calling planner or admin endpoints: 403.
        for uri in ["/api/v1/admin/users", "/api/v1/audit", "/api/v1/admin/security-policy", "/api/v1/export/grids.gpkg"] {
            assert_eq!(c.get("gw_a", uri).await.status, StatusCode::FORBIDDEN, "{uri}");
        }
    }

    #[tokio::test]
    async fn browser_sessions_need_the_csrf_token_and_end_at_logout() {
        let c = county().await;
        support::account(&c.state, "li", "dispatcher", TOWN_A, "").await;
        let login = send(&c.app, &As::Nobody, Method::POST, "/api/v1/auth/login", Some(&json!({"username": "li", "password": support::PASSWORD}))).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        let cookie_header = login.header("set-cookie").to_owned();
        assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Strict"), "{cookie_header}");
        let cookie = cookie_header.split(';').next().unwrap().trim_start_matches("wangge_session=").to_owned();
        let csrf = login.body["csrf_token"].as_str().unwrap().to_owned();
        assert_eq!(login.body["role"], "dispatcher");
        assert_eq!(login.body["jurisdiction"], TOWN_A);
        assert!(login.body["permissions"].as_array().unwrap().contains(&json!("read_events")));
        assert_eq!(login.header("cache-control"), "no-store");
        let no_csrf = As::Browser { cookie: cookie.clone(), csrf: None };
        let with_csrf = As::Browser { cookie: cookie.clone(), csrf: Some(csrf.clone()) };
        let wrong_csrf = As::Browser { cookie: cookie.clone(), csrf: Some("0".repeat(64)) };
        // Reads need the cookie only; changes need the token too.
        assert_eq!(send(&c.app, &no_csrf, Method::GET, "/api/v1/events", None).await.status, StatusCode::OK);
        let me = send(&c.app, &no_csrf, Method::GET, "/api/v1/auth/me", None).await;
        assert_eq!(me.body["csrf_token"], json!(csrf));
        for who in [&no_csrf, &wrong_csrf] {
            let r = send(&c.app, who, Method::POST, "/api/v1/reports", Some(&report("r-csrf", IN_A))).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        }
        assert_eq!(c.get("county", "/api/v1/events").await.body["total"], 2, "a forged change was stored");
        let r = send(&c.app, &with_csrf, Method::POST, "/api/v1/reports", Some(&report("r-csrf", IN_A))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // Logout ends the session at the next request.
        assert_eq!(send(&c.app, &no_csrf, Method::POST, "/api/v1/auth/logout", None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(send(&c.app, &with_csrf, Method::POST, "/api/v1/auth/logout", None).await.status, StatusCode::NO_CONTENT);
        let after = send(&c.app, &no_csrf, Method::GET, "/api/v1/events", None).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.text);
        // A wrong password: 401, and nothing tells whether the name exists.
        let bad = send(&c.app, &As::Nobody, Method::POST, "/api/v1/auth/login", Some(&json!({"username": "li", "password": "nope"}))).await;
        let ghost = send(&c.app, &As::Nobody, Method::POST, "/api/v1/auth/login", Some(&json!({"username": "ghost", "password": "nope"}))).await;
        assert_eq!((bad.status, ghost.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        assert_eq!(bad.body["detail"], ghost.body["detail"]);
    }

    #[tokio::test]
    async fn an_open_live_queue_ends_at_logout() {
        let c = county().await;
        support::account(&c.state, "zhang", "dispatcher", TOWN_A, "").await;
        let login = log_in(&c.app, "/api/v1/auth/login", "zhang", support::PASSWORD).await;
        let cookie = login.header("set-cookie").split(';').next().unwrap().trim_start_matches("wangge_session=").to_owned();
        let csrf = login.body["csrf_token"].as_str().unwrap().to_owned();
        let request = Request::get("/api/v1/events/stream").header(header::COOKIE, format!("wangge_session={cookie}")).body(Body::empty()).unwrap();
        let response = c.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body();
        // A report now reaches the open stream.
        let first = c.post("county", "/api/v1/reports", &report("r-live-1", IN_A)).await.body["event_id"].as_str().unwrap().to_owned();
        let text = read_until(&mut body, &first).await;
        assert!(text.contains(&first), "{text}");
        // After logging out, the next change ends the stream instead of reaching it.
        let who = As::Browser { cookie, csrf: Some(csrf) };
        assert_eq!(send(&c.app, &who, Method::POST, "/api/v1/auth/logout", None).await.status, StatusCode::NO_CONTENT);
        let second = c.post("county", "/api/v1/reports", &report("r-live-2", IN_A)).await.body["event_id"].as_str().unwrap().to_owned();
        let rest = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            let mut text = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            text
        })
        .await
        .expect("the stream ends after the logout");
        assert!(!rest.contains(&second), "{rest}");
    }

    #[tokio::test]
    async fn idle_sessions_and_disabled_accounts_end_at_the_next_request() {
        let c = county().await;
        support::account(&c.state, "wang", "county_leader", "county", "").await;
        let token = log_in(&c.app, "/api/v1/auth/token", "wang", support::PASSWORD).await;
        assert_eq!(token.status, StatusCode::CREATED, "{}", token.text);
        let who = As::Token(token.body["token"].as_str().unwrap().to_owned());
        assert_eq!(send(&c.app, &who, Method::GET, "/api/v1/events", None).await.status, StatusCode::OK);
        c.state.clock.set(monday() + Duration::minutes(29));
        assert_eq!(send(&c.app, &who, Method::GET, "/api/v1/events", None).await.status, StatusCode::OK);
        c.state.clock.set(monday() + Duration::minutes(29 + 31));
        let idle = send(&c.app, &who, Method::GET, "/api/v1/events", None).await;
        assert_eq!(idle.status, StatusCode::UNAUTHORIZED);
        assert!(idle.body["detail"].as_str().unwrap().contains("idle"), "{}", idle.text);
        // Disabled by the system administrator: the next request is refused.
        let fresh = As::Token(log_in(&c.app, "/api/v1/auth/token", "wang", support::PASSWORD).await.body["token"].as_str().unwrap().to_owned());
        assert_eq!(send(&c.app, &fresh, Method::GET, "/api/v1/events", None).await.status, StatusCode::OK);
        let sysadmin = c.fresh("sysadmin").await;
        let r = send(&c.app, &sysadmin, Method::POST, "/api/v1/admin/users/wang/unlock", Some(&json!({}))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = send(&c.app, &sysadmin, Method::PUT, "/api/v1/admin/users/wang/disabled", Some(&json!({"disabled": true}))).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        assert_eq!(send(&c.app, &fresh, Method::GET, "/api/v1/events", None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(log_in(&c.app, "/api/v1/auth/token", "wang", support::PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_and_one_address_cannot_lock_everyone() {
        let c = county().await;
        for name in ["zhao", "qian", "sun"] {
            support::account(&c.state, name, "dispatcher", TOWN_A, "").await;
        }
        let login = |name: &'static str, password: &'static str| log_in(&c.app, "/api/v1/auth/login", name, password);
        for _ in 0..4 {
            assert_eq!(login("zhao", "wrong").await.status, StatusCode::UNAUTHORIZED);
        }
        // The fifth failure locks it.
        assert_eq!(login("zhao", "wrong").await.status, StatusCode::LOCKED);
        let locked = login("zhao", support::PASSWORD).await;
        assert_eq!(locked.status, StatusCode::LOCKED, "{}", locked.text);
        assert!(locked.body["detail"].as_str().unwrap().contains("locked"));
        // The lock ends after the policy's period.
        c.state.clock.set(monday() + Duration::minutes(31));
        assert_eq!(login("zhao", support::PASSWORD).await.status, StatusCode::OK);
        // One address spends its burst of failures (10, on names that do not exist), then is
        // throttled: its further failures on real accounts are refused before any password
        // check and are not counted against them.
        c.state.clock.set(monday() + Duration::minutes(120));
        for _ in 0..10 {
            assert_eq!(login("ghost", "wrong").await.status, StatusCode::UNAUTHORIZED);
        }
        for name in ["qian", "sun", "qian", "sun", "qian", "sun", "qian", "sun", "qian", "sun", "qian"] {
            let r = login(name, "wrong").await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
            assert!(!r.header("retry-after").is_empty());
        }
        for name in ["qian", "sun"] {
            let account = c.state.store.account(name).await.unwrap().unwrap();
            assert_eq!((account.failures, account.locked_until_us), (0, None), "{name}");
        }
        // The bucket refills (one failure forgiven a minute): the owners log in.
        c.state.clock.set(monday() + Duration::minutes(123));
        for name in ["qian", "sun"] {
            assert_eq!(login(name, support::PASSWORD).await.status, StatusCode::OK, "{name} was locked out by someone else");
        }
    }

    #[tokio::test]
    async fn the_password_policy_is_enforced_and_an_expired_password_must_be_changed() {
        let c = county().await;
        let weak = c.post("sysadmin", "/api/v1/admin/users", &json!({"username": "zhou", "display_name": "周", "password": "abc"})).await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", weak.text);
        let ok = c.post("sysadmin", "/api/v1/admin/users", &json!({"username": "zhou", "display_name": "周", "password": "Spring-2025-rain"})).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
        // No grant yet: the account can log in but do nothing; the security administrator grants.
        let grant = json!({"role": "dispatcher", "jurisdiction": TOWN_A});
        let r = send(&c.app, &c.token("sysadmin"), Method::PUT, "/api/v1/admin/users/zhou/grant", Some(&grant)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the system administrator may not grant roles");
        let r = send(&c.app, &c.token("secadmin"), Method::PUT, "/api/v1/admin/users/zhou/grant", Some(&grant)).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let r = send(&c.app, &c.token("secadmin"), Method::PUT, "/api/v1/admin/users/secadmin/grant", Some(&json!({"role": "county_leader"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "nobody grants themselves");
        // 91 days later the password has expired (default: 90): only a change is allowed.
        c.state.clock.set(monday() + Duration::days(91));
        let token = send(&c.app, &As::Nobody, Method::POST, "/api/v1/auth/token", Some(&json!({"username": "zhou", "password": "Spring-2025-rain"}))).await;
        assert_eq!(token.body["me"]["password_expired"], true, "{}", token.text);
        let who = As::Token(token.body["token"].as_str().unwrap().to_owned());
        assert_eq!(send(&c.app, &who, Method::GET, "/api/v1/events", None).await.status, StatusCode::FORBIDDEN);
        let same = send(&c.app, &who, Method::PUT, "/api/v1/auth/password", Some(&json!({"current": "Spring-2025-rain", "new": "Spring-2025-rain"}))).await;
        assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", same.text);
        let changed = send(&c.app, &who, Method::PUT, "/api/v1/auth/password", Some(&json!({"current": "Spring-2025-rain", "new": "Autumn-2025-leaf"}))).await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
        assert_eq!(send(&c.app, &who, Method::GET, "/api/v1/events", None).await.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn personal_data_is_masked_revealed_on_request_and_never_cached() {
        let c = county().await;
        let a = &c.event_a;
        let event = c.get("town_a", &format!("/api/v1/events/{a}")).await;
        assert_eq!(event.header("cache-control"), "no-store");
        assert!(!event.text.contains("13987654321") && !event.text.contains("张三丰"), "{}", event.text);
        let people = c.get("town_a", "/api/v1/people").await;
        assert!(!people.text.contains("13812345678"), "{}", people.text);
        let before = c.audit_rows().await;
        let r = c.post("town_a", &format!("/api/v1/events/{a}/reveal"), &json!({"field": "reporter_phone"})).await;
        assert_eq!((r.status, r.header("cache-control")), (StatusCode::OK, "no-store"));
        assert_eq!(r.body["value"], "13987654321");
        // Its `begun` row (a POST) and the row of the reveal itself.
        assert_eq!(c.audit_rows().await, before + 2);
        let rows = c.get("auditor", "/api/v1/audit?action=reveal_personal_data").await;
        let row = &rows.body["items"][0];
        assert_eq!((row["user"].as_str(), row["object"].as_str()), (Some("town_a"), Some(format!("event:{a}").as_str())));
        assert!(!rows.text.contains("13987654321"), "the audit log holds the revealed number");
        let r = c.post("leader", &format!("/api/v1/events/{a}/reveal"), &json!({"field": "reporter_phone"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn logins_denials_changes_and_reads_write_their_chained_rows() {
        let c = county().await;
        support::account(&c.state, "audit-me", "dispatcher", TOWN_A, "").await;
        let a = c.event_a.clone();
        let cases: Vec<(&str, MakeRequest, &str, &str)> = vec![
            ("login ok", Box::new(|| json_post("/api/v1/auth/login", json!({"username": "audit-me", "password": support::PASSWORD}), None)), "login", "success"),
            ("login failed", Box::new(|| json_post("/api/v1/auth/login", json!({"username": "audit-me", "password": "x"}), None)), "login", "failure"),
            ("denied", Box::new({ let t = c.tokens[0].2.clone(); move || json_post("/api/v1/reports", report("r-denied", IN_A), Some(&t)) }), "report_event", "denied"),
            ("hidden", Box::new({ let t = c.tokens[3].2.clone(); let a = a.clone(); move || get_req(&format!("/api/v1/events/{a}"), Some(&t)) }), "read", "denied"),
            ("change", Box::new({ let t = c.tokens[1].2.clone(); move || json_post("/api/v1/reports", report("r-change", IN_A), Some(&t)) }), "report_event", "success"),
            ("people read", Box::new({ let t = c.tokens[1].2.clone(); move || get_req("/api/v1/people", Some(&t)) }), "read_people", "success"),
            ("export", Box::new({ let t = c.tokens[1].2.clone(); move || get_req("/api/v1/export/grids.gpkg", Some(&t)) }), "export_data", "success"),
            ("no login", Box::new(|| get_req("/api/v1/events", None)), "authenticate", "denied"),
        ];
        for (what, request, action, outcome) in cases {
            let before = c.audit_rows().await;
            let request = request();
            // A change by a signed-in caller commits its `begun` row before it runs, except a
            // report: its row is sealed in the transaction that creates the event.
            let sealed_with_change = request.uri().path() == "/api/v1/reports";
            let change = request.method() == Method::POST
                && request.headers().contains_key(header::AUTHORIZATION)
                && !sealed_with_change;
            let response = c.app.clone().oneshot(request).await.unwrap();
            assert!(!response.status().is_server_error(), "{what}: {}", response.status());
            // So does a login that opens a session.
            let opens = what == "login ok";
            let rows = if change || opens { 2 } else { 1 };
            assert_eq!(c.audit_rows().await, before + rows, "{what}: not exactly {rows} audit row(s)");
            let filter = wangge_server::store::AuditFilter::default();
            let last = c.state.store.audit(&filter, wangge_server::records::Page { page: 1, per_page: 2 }).await.unwrap();
            let row = &last.items[0].row;
            assert_eq!((row.action.as_str(), row.outcome.as_str()), (action, outcome), "{what}: {row:?}");
            assert!(!row.detail.contains(support::PASSWORD) && !row.detail.contains("13987654321"), "{what}: {row:?}");
            if sealed_with_change && outcome == "success" {
                assert!(row.object.starts_with("event:E"), "{what}: the row names the event it created: {row:?}");
                assert_ne!(row.source, "", "{what}: {row:?}");
            }
            if change || opens {
                let begun = &last.items[1].row;
                let expected = if opens { "login" } else { "POST /api/v1/reports" };
                assert_eq!((begun.action.as_str(), begun.outcome.as_str()), (expected, "begun"), "{what}: {begun:?}");
                assert_eq!(begun.seq + 1, row.seq, "{what}: the begun row comes right before its outcome");
            }
        }
        // A plain read of masked lists writes nothing.
        let before = c.audit_rows().await;
        assert_eq!(c.get("county", "/api/v1/events").await.status, StatusCode::OK);
        assert_eq!(c.audit_rows().await, before);
        // The audit administrator searches and verifies the chain (and that is audited too).
        let page = c.get("auditor", "/api/v1/audit?outcome=denied&per_page=5").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.body["items"].as_array().unwrap().iter().all(|r| r["outcome"] == "denied"));
        let verify = c.get("auditor", "/api/v1/audit/verify").await;
        assert_eq!(verify.body["ok"], true, "{}", verify.text);
        assert!(verify.body["rows"].as_u64().unwrap() >= 10);
    }

    #[tokio::test]
    async fn the_audit_log_is_append_only_and_tampering_is_found() {
        let c = county().await;
        assert_eq!(c.get("auditor", "/api/v1/audit/verify").await.body["ok"], true);
        let (update, disable, enable) = match support::backend() {
            support::Backend::Sqlite => (
                "UPDATE audit_log SET username = 'someone' WHERE seq = 3",
                "DROP TRIGGER audit_log_no_update",
                None,
            ),
            support::Backend::Postgis => (
                "UPDATE audit_log SET username = 'someone' WHERE seq = 3",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
                Some("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"),
            ),
        };
        let exec = |sql: &'static str| c._db.raw(sql);
        let refused = exec(update).await;
        assert!(refused.is_err(), "an UPDATE of the audit log went through");
        let delete = exec("DELETE FROM audit_log WHERE seq = 1").await;
        assert!(delete.is_err(), "a DELETE of the audit log went through");
        // Someone with the database's owner rights turns the trigger off and edits a row.
        exec(disable).await.unwrap();
        exec(update).await.unwrap();
        if let Some(sql) = enable {
            exec(sql).await.unwrap();
        }
        let verify = c.get("auditor", "/api/v1/audit/verify").await;
        assert_eq!(verify.body["ok"], false, "{}", verify.text);
        assert_eq!(verify.body["break"]["index"], 2, "{}", verify.text);
    }
}

/// Reads a live stream until `needle` shows up (or 10 s pass).
async fn read_until(body: &mut Body, needle: &str) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
            if text.contains(needle) {
                break;
            }
        }
    })
    .await;
    text
}


async fn log_in(app: &Router, path: &str, name: &str, password: &str) -> Reply {
    let body = json!({"username": name, "password": password, "label": "phone"});
    send(app, &As::Nobody, Method::POST, path, Some(&body)).await
}

/// Builds one request of a case (again for each use).
type MakeRequest = Box<dyn Fn() -> Request<Body>>;

fn json_post(uri: &str, body: Value, token: Option<&str>) -> Request<Body> {
    let mut r = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get_req(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}
