//! The JSON the service answers and its clients read: one definition, used by the server to
//! write it and by the map frontend to read it (no wire struct is written twice).
//!
//! Times are UTC RFC 3339 text with milliseconds; coordinates are lon/lat degrees in CGCS2000.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod draft;
pub mod generation;
pub mod nearby;
pub mod ogc;

use crate::access::{AuditOutcome, Permission, Role};
use crate::event::{Category, Complexity, Holder, Overdue, State, Tier};

/// Who reported an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReporterKind {
    /// 网格员 — a gridworker, from a bound device.
    Gridworker,
    /// 群众 — a resident.
    Resident,
    /// A grid-centre operator entering a report (e.g. from a phone call).
    Operator,
}

impl ReporterKind {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gridworker => "gridworker",
            Self::Resident => "resident",
            Self::Operator => "operator",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Gridworker, Self::Resident, Self::Operator].into_iter().find(|k| k.as_str() == s)
    }
}

/// How a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The gridworkers' phone app.
    App,
    /// The web portal.
    Web,
    /// A phone call taken by an operator.
    Phone,
    /// The Open311 GeoReport API.
    Open311,
}

impl Channel {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Web => "web",
            Self::Phone => "phone",
            Self::Open311 => "open311",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::App, Self::Web, Self::Phone, Self::Open311].into_iter().find(|c| c.as_str() == s)
    }
}

/// One page of a list and the size of the whole list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: i64,
    /// This page's number (from 1).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl<T> Paged<T> {
    /// The same page with its items mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged { items: self.items.into_iter().map(f).collect(), total: self.total, page: self.page, per_page: self.per_page }
    }
}

/// An event as answered (`GET /api/v1/events/{id}`, lists, the live stream); the reporter's
/// name and phone come masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    /// `E{yyyymmdd}-{seq}`.
    pub event_id: String,
    /// The client's idempotency key.
    pub report_id: String,
    /// Category.
    pub category: Category,
    /// Free-text subcategory (`燃气`, `邻里纠纷`, …).
    pub subcategory: Option<String>,
    /// What happened.
    pub description: String,
    /// Where, in CGCS2000.
    pub location: LocationView,
    /// The grid it was reported in.
    pub grid_code: String,
    /// Its village or community.
    pub village_code: String,
    /// Its township.
    pub township_code: String,
    /// Who reported it (masked).
    pub reporter: ReporterView,
    /// How it came in.
    pub channel: Channel,
    /// Ordinary or complex (the 1-3-5 deadlines).
    pub complexity: Complexity,
    /// Where it is in the closed loop.
    pub state: State,
    /// Who holds it now.
    pub holder: Option<Holder>,
    /// The deadlines at the current holder.
    pub deadlines: Option<DeadlinesView>,
    /// Which deadline has passed, judged when answered.
    pub overdue: Option<Overdue>,
    /// The last tier and holder that handled it.
    pub last_handler: Option<Holder>,
    /// The reporter's rating (1–5) after closing.
    pub rating: Option<u8>,
    /// A gridworker's report from outside their own grids (巡查).
    pub patrol_flag: bool,
    /// The seq of the last timeline row (for optimistic transitions).
    pub seq: i64,
    /// When reported.
    pub reported_at: String,
    /// When last changed.
    pub updated_at: String,
    /// When closed.
    pub closed_at: Option<String>,
    /// Photos of the report and of its handling, oldest first.
    #[serde(default)]
    pub attachments: Vec<AttachmentView>,
    /// The event this one was marked a duplicate of: counted there, not here.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// The events marked as duplicates of this one.
    #[serde(default)]
    pub duplicates: Vec<String>,
}

/// A photo of an event (`GET /api/v1/attachments/{id}`), as stored: re-encoded with its
/// orientation applied and its metadata gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    /// Its id.
    pub id: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Its size in bytes.
    pub bytes: i64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Where to read it.
    pub url: String,
    /// Where to read its thumbnail (JPEG, at most 320 px a side).
    pub thumbnail_url: String,
    /// The timeline row it came with (1: the report itself).
    pub seq: i64,
}

/// A point as answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationView {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// Always `cgcs2000`: other systems are converted on input.
    pub crs: String,
}

/// The reporter as answered (name and phone masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterView {
    /// Gridworker, resident or operator.
    pub kind: ReporterKind,
    /// The person, for a bound device.
    pub person_id: Option<String>,
    /// Masked name (张**).
    pub name: Option<String>,
    /// Masked phone.
    pub phone: Option<String>,
}

/// The 1-3-5 deadlines as answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlinesView {
    /// When the event reached its current holder.
    pub since: String,
    /// Verify (核实) by.
    pub verify_by: String,
    /// Done (办结) by.
    pub done_by: String,
}

/// One timeline row as answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineView {
    /// Position in the timeline, from 1.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// The tier that held the event when the action was taken.
    pub tier: Option<Tier>,
    /// The action (`report`, `assign`, `escalate`, …).
    pub action: String,
    /// The action's fields (notes, reasons, the new holder).
    pub payload: Value,
    /// The state after the action.
    pub state_after: State,
    /// The holder after the action.
    pub holder: Option<Holder>,
}

/// An event's whole timeline (`GET /api/v1/events/{id}/timeline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The event.
    pub event_id: String,
    /// Its rows, by seq.
    pub entries: Vec<TimelineView>,
}

/// A message of the live queue (`GET /api/v1/events/stream`, server-sent events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueMessage {
    /// Whether the event is new or changed.
    pub kind: QueueChange,
    /// The event as it is now.
    pub event: EventView,
}

/// What happened to an event in the live queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QueueChange {
    /// Reported just now.
    Created,
    /// Moved on in its loop (a transition or supervision).
    Changed,
}

/// The boundary layers of the map (`GET /api/v1/map/{layer}.geojson`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// 乡镇.
    Townships,
    /// 村 / 社区.
    Villages,
    /// 网格.
    Grids,
}

impl LayerKind {
    /// Stable wire name, as in the layer's URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Townships => "townships",
            Self::Villages => "villages",
            Self::Grids => "grids",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Townships, Self::Villages, Self::Grids].into_iter().find(|k| k.as_str() == s)
    }
}

/// Heatmap data (`GET /api/v1/map/heat`): every event as a point, or above a threshold,
/// counts aggregated on the server into square cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeatMap {
    /// Points or cells.
    pub mode: HeatMode,
    /// Events matched.
    pub total: u64,
    /// The cells' size in degrees (cells mode).
    pub cell_deg: Option<f64>,
    /// `[lon, lat, weight]`: weight 1 per event, or the count of a cell at its events' mean
    /// position.
    pub points: Vec<[f64; 3]>,
}

/// How [`HeatMap::points`] were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HeatMode {
    /// One point per event.
    Points,
    /// One point per non-empty cell.
    Cells,
}

/// Per-grid counts for a choropleth (`GET /api/v1/map/choropleth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choropleth {
    /// Every grid, with zero counts too.
    pub grids: Vec<GridCount>,
    /// The largest count.
    pub max_count: u64,
    /// The largest count per km².
    pub max_per_km2: f64,
}

/// One grid's count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCount {
    /// Grid code.
    pub code: String,
    /// Events matched in the grid.
    pub count: u64,
    /// Events per km² of the grid (so large rural grids compare fairly).
    pub per_km2: f64,
}

/// Search answers (`GET /api/v1/search`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHits {
    /// Best first.
    pub hits: Vec<SearchHit>,
}

/// One search answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// What was found.
    pub kind: HitKind,
    /// Its code (the event id for an event; empty for a point).
    pub code: String,
    /// Its name (the grid's name for a point).
    pub name: String,
    /// `[min_lon, min_lat, max_lon, max_lat]` of an area.
    pub bbox: Option<[f64; 4]>,
    /// `[lon, lat]` of an event or a point (CGCS2000).
    pub point: Option<[f64; 2]>,
    /// The grid an event or point is in.
    pub grid: Option<String>,
}

/// What a search answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// A grid.
    Grid,
    /// A village or community.
    Village,
    /// A township.
    Township,
    /// An event.
    Event,
    /// Coordinates typed in.
    Point,
}

/// The signed-in account (`POST /api/v1/auth/login`, `GET /api/v1/auth/me`): who it is, the
/// role and jurisdiction it works in, what it may do, and the token its unsafe requests carry
/// in `X-CSRF-Token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// Login name.
    pub username: String,
    /// Name shown (姓名).
    pub display_name: String,
    /// The role in use, `None` before any grant.
    pub role: Option<Role>,
    /// The role's Chinese name (县领导, 网格中心调度员, …).
    #[serde(default)]
    pub role_zh: Option<String>,
    /// `county` or a 9/12-digit township or village code (`None` before any grant).
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// The jurisdiction's name (怀来县, 沙城镇, …).
    #[serde(default)]
    pub jurisdiction_name: Option<String>,
    /// Who the account acts as in the event loop (a gridworker's person id, a department
    /// code); empty or `None` for a centre's account.
    #[serde(default)]
    pub acting_as: Option<String>,
    /// Everything the account may do.
    #[serde(default)]
    pub permissions: Vec<Permission>,
    /// Sent back in `X-CSRF-Token` with every POST, PUT and DELETE (browser sessions;
    /// `None` for a bearer token).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Seconds without a request before the session ends.
    #[serde(default)]
    pub idle_timeout_s: u64,
    /// The password must be changed before anything else is answered.
    #[serde(default)]
    pub password_expired: bool,
    /// A gridworker's bound grids (人、机、格), for its phone's map; empty for other roles.
    #[serde(default)]
    pub grids: Vec<String>,
}

impl Me {
    /// Whether the account may use `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// One audit row as answered (`GET /api/v1/audit`, paged in [`Paged`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When (RFC 3339).
    pub at: String,
    /// Account name, or `-` before anyone is identified.
    pub user: String,
    /// What was done (`login`, `reveal_personal_data`, …).
    pub action: String,
    /// What it was done to (`event:E20230105-0042`, …).
    pub object: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The client's address.
    pub source: String,
    /// Anything else kept (secrets redacted, personal data masked).
    pub detail: String,
}

/// The audit chain checked (`GET /api/v1/audit/verify`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerify {
    /// Every link holds (完整).
    pub ok: bool,
    /// Rows checked.
    pub rows: u64,
    /// Where the chain first breaks.
    #[serde(rename = "break")]
    pub chain_break: Option<AuditBreak>,
}

/// Where and how the audit chain breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditBreak {
    /// Position of the first bad row (0-based).
    pub index: u64,
    /// What is wrong, in words.
    pub kind: String,
}

/// A masked field shown in full (`POST /api/v1/events/{id}/reveal`; audited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revealed {
    /// The field (`reporter_phone`).
    pub field: String,
    /// Its value in full.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_message_reads_back_as_written() {
        let event = EventView {
            event_id: "E20250303-000001".into(),
            report_id: "r-1".into(),
            category: Category::Hazard,
            subcategory: Some("燃气".into()),
            description: "楼道里有燃气味".into(),
            location: LocationView { lon: 115.5, lat: 40.4, crs: "cgcs2000".into() },
            grid_code: "130730100001001".into(),
            village_code: "130730100001".into(),
            township_code: "130730100".into(),
            reporter: ReporterView { kind: ReporterKind::Resident, person_id: None, name: Some("张**".into()), phone: None },
            channel: Channel::Web,
            complexity: Complexity::Ordinary,
            state: State::Assigned,
            holder: None,
            deadlines: None,
            overdue: None,
            last_handler: None,
            rating: None,
            patrol_flag: false,
            seq: 2,
            reported_at: "2025-03-03T01:00:00.000Z".into(),
            updated_at: "2025-03-03T01:00:00.000Z".into(),
            closed_at: None,
            attachments: Vec::new(),
            duplicate_of: None,
            duplicates: Vec::new(),
        };
        let message = QueueMessage { kind: QueueChange::Created, event };
        let text = serde_json::to_string(&message).unwrap();
        assert!(text.starts_with(r#"{"kind":"created","event":{"event_id":"E20250303-000001""#), "{text}");
        assert_eq!(serde_json::from_str::<QueueMessage>(&text).unwrap(), message);
    }

    #[test]
    fn wire_names_parse_back() {
        for k in [LayerKind::Townships, LayerKind::Villages, LayerKind::Grids] {
            assert_eq!(LayerKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Channel::parse("open311"), Some(Channel::Open311));
        assert_eq!(ReporterKind::parse("operator"), Some(ReporterKind::Operator));
        assert_eq!(LayerKind::parse("roads"), None);
    }

    #[test]
    fn the_signed_in_account_reads_from_the_login_answer() {
        let text = r#"{"username":"shacheng","display_name":"沙城镇调度员","role":"dispatcher",
            "role_zh":"网格中心调度员","jurisdiction":"130730100","jurisdiction_name":"沙城镇",
            "acting_as":"","permissions":["read_map","read_events","escalate_event"],
            "csrf_token":"t0k","idle_timeout_s":900,"password_expired":false}"#;
        let me: Me = serde_json::from_str(text).unwrap();
        assert_eq!(me.role, Some(Role::Dispatcher));
        assert!(me.may(Permission::EscalateEvent));
        assert!(!me.may(Permission::ReadStats));
        let verify: AuditVerify = serde_json::from_str(r#"{"ok":false,"rows":9,"break":{"index":4,"kind":"row content or link changed"}}"#).unwrap();
        assert_eq!(verify.chain_break.map(|b| b.index), Some(4));
    }
}
