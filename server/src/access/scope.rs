//! What an API key may call: a key belongs to a service account (an integration) and carries
//! one scope, a short list of routes; everything else is refused with 403 whatever the
//! account's grant would allow.

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// The routes an API key may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// Open311 GeoReport v2 (`/open311/…`): services, submitting and reading requests (the
    /// 12345 hotline, the police platform).
    Open311,
    /// The report intake (`POST /api/v1/reports`) with locating and the divisions.
    Intake,
    /// Reading the GIS layers: OGC API Features (`/ogcapi/…`) and the map layers (GDAL, QGIS).
    GisRead,
}

impl KeyScope {
    /// Every scope.
    pub const ALL: [KeyScope; 3] = [Self::Open311, Self::Intake, Self::GisRead];

    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open311 => "open311",
            Self::Intake => "intake",
            Self::GisRead => "gis_read",
        }
    }

    /// The scope of a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a key of this scope may call `method` on the matched `route` (the router's
    /// pattern, e.g. `/api/v1/events/{id}`).
    pub fn covers(self, method: &Method, route: &str) -> bool {
        let read = matches!(*method, Method::GET | Method::HEAD);
        match self {
            Self::Open311 => route.starts_with("/open311/") && (read || *method == Method::POST),
            Self::Intake => {
                (route == "/api/v1/reports" && *method == Method::POST)
                    || (route == "/api/v1/locate" && (read || *method == Method::POST))
                    || (route == "/api/v1/divisions" && read)
            }
            Self::GisRead => read && (route == "/ogcapi" || route.starts_with("/ogcapi/") || route.starts_with("/api/v1/map/")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_only_their_routes() {
        assert!(KeyScope::Open311.covers(&Method::POST, "/open311/v2/requests.json"));
        assert!(KeyScope::Open311.covers(&Method::GET, "/open311/v2/requests/{file}"));
        assert!(!KeyScope::Open311.covers(&Method::GET, "/api/v1/events"));
        assert!(!KeyScope::Open311.covers(&Method::DELETE, "/open311/v2/requests/{file}"));
        assert!(KeyScope::Intake.covers(&Method::POST, "/api/v1/reports"));
        assert!(!KeyScope::Intake.covers(&Method::GET, "/api/v1/people"));
        assert!(KeyScope::GisRead.covers(&Method::GET, "/ogcapi/collections/{collection}/items"));
        assert!(!KeyScope::GisRead.covers(&Method::POST, "/api/v1/drafts/publish"));
        for s in KeyScope::ALL {
            assert_eq!(KeyScope::parse(s.as_str()), Some(s));
            assert!(!s.covers(&Method::GET, "/api/v1/audit"));
            assert!(!s.covers(&Method::POST, "/api/v1/admin/users"));
        }
    }
}
