//! Rows as both backends read them back — named fields decoded by `sqlx::FromRow` — and their
//! conversion into records, naming the row in every error.

use geo_types::MultiPolygon;
use wangge_core::calendar::DayKind;
use wangge_core::event::{Category, Complexity, Deadlines, Holder, Loop, State, Tier};
use wangge_core::people::{Person, Responsibility, Role};
use wangge_core::{GridKind, LonLat};

use super::time::Time;
use super::StoreError;
use crate::dataset::{DatasetInfo, Grid, Township, Village, VillageKind};
use crate::event::{Channel, EventRecord, Place, Reporter, ReporterKind, TimelineEntry};
use crate::map::EventPoint;
use crate::people::PersonRecord;
use crate::stats::{EventHistory, StoredAction};

/// Reads back a stored shape ([`super::dialect::Backend::read_shape`]).
pub(super) type ReadShape = fn(&'static str, &str, &[u8]) -> Result<MultiPolygon<f64>, StoreError>;

/// The columns of [`EventRow`], as a literal for `concat!`.
macro_rules! event_columns {
    () => {
        "event_id, report_id, request_fingerprint, category, subcategory, description, lon, lat, grid_code,
         village_code, township_code, reporter_kind, reporter_person_id, reporter_name, reporter_phone, channel,
         complexity, state, holder_tier, holder_id, since, verify_by, done_by, last_handler_tier, last_handler_id,
         rating, patrol_flag, seq, reported_at, updated_at, closed_at"
    };
}
pub(super) use event_columns;

/// The columns of [`EventRow`].
pub(super) const EVENT_COLUMNS: &str = event_columns!();

/// An event row.
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    event_id: String,
    report_id: String,
    request_fingerprint: String,
    category: String,
    subcategory: Option<String>,
    description: String,
    lon: f64,
    lat: f64,
    grid_code: String,
    village_code: String,
    township_code: String,
    reporter_kind: String,
    reporter_person_id: Option<String>,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
    channel: String,
    complexity: String,
    state: String,
    holder_tier: Option<String>,
    holder_id: Option<String>,
    since: Option<Time>,
    verify_by: Option<Time>,
    done_by: Option<Time>,
    last_handler_tier: Option<String>,
    last_handler_id: Option<String>,
    rating: Option<i16>,
    patrol_flag: bool,
    seq: i64,
    reported_at: Time,
    updated_at: Time,
    closed_at: Option<Time>,
}

impl EventRow {
    /// The event record.
    pub(super) fn into_record(self) -> Result<EventRecord, StoreError> {
        let key = Key { table: "event", code: &self.event_id };
        let deadlines = match (self.since, self.verify_by, self.done_by) {
            (Some(since), Some(verify_by), Some(done_by)) => {
                Some(Deadlines { since: since.into(), verify_by: verify_by.into(), done_by: done_by.into() })
            }
            _ => None,
        };
        let rating = self.rating.map(u8::try_from).transpose().map_err(|e| key.bad(format!("rating: {e}")))?;
        let flow = Loop {
            state: key.parsed("state", &self.state, State::parse)?,
            holder: key.holder(self.holder_tier, self.holder_id)?,
            complexity: key.parsed("complexity", &self.complexity, parse_complexity)?,
            deadlines,
            last_handler: key.holder(self.last_handler_tier, self.last_handler_id)?,
            rating,
        };
        let location = LonLat::new(self.lon, self.lat).map_err(|e| key.bad(e.to_string()))?;
        Ok(EventRecord {
            category: key.parsed("category", &self.category, Category::parse)?,
            reporter: Reporter {
                kind: key.parsed("reporter_kind", &self.reporter_kind, ReporterKind::parse)?,
                person_id: self.reporter_person_id,
                name: self.reporter_name,
                phone: self.reporter_phone,
            },
            channel: key.parsed("channel", &self.channel, Channel::parse)?,
            event_id: self.event_id,
            report_id: self.report_id,
            fingerprint: self.request_fingerprint,
            subcategory: self.subcategory,
            description: self.description,
            location,
            place: Place { grid: self.grid_code, village: self.village_code, township: self.township_code },
            flow,
            patrol_flag: self.patrol_flag,
            seq: self.seq,
            reported_at: self.reported_at.into(),
            updated_at: self.updated_at.into(),
            closed_at: self.closed_at.map(Into::into),
        })
    }
}

/// A timeline row (its payload read as text: PostgreSQL keeps `jsonb`).
#[derive(sqlx::FromRow)]
pub(super) struct TimelineRow {
    seq: i64,
    at: Time,
    actor: String,
    tier: Option<String>,
    action: String,
    payload: String,
    state_after: String,
    holder_tier: Option<String>,
    holder_id: Option<String>,
}

impl TimelineRow {
    /// The timeline entry of event `event_id`.
    pub(super) fn into_entry(self, event_id: &str) -> Result<TimelineEntry, StoreError> {
        let code = format!("{event_id}#{}", self.seq);
        let key = Key { table: "event_transition", code: &code };
        let payload = serde_json::from_str(&self.payload).map_err(|e| key.bad(format!("payload: {e}")))?;
        Ok(TimelineEntry {
            seq: self.seq,
            at: self.at.into(),
            actor: self.actor,
            tier: self.tier.as_deref().and_then(Tier::parse),
            action: self.action,
            payload,
            state_after: key.parsed("state_after", &self.state_after, State::parse)?,
            holder_after: key.holder(self.holder_tier, self.holder_id)?,
        })
    }
}

/// The columns of [`PersonRow`], of `person p`, as a literal for `concat!`.
macro_rules! person_columns {
    () => {
        "p.person_id, p.name, p.role, p.unit_code, p.device_id, p.phone, p.on_duty, p.created_at, p.updated_at"
    };
}
pub(super) use person_columns;

/// A person row (their grids are bound in another table).
#[derive(sqlx::FromRow)]
pub(super) struct PersonRow {
    pub(super) person_id: String,
    name: String,
    role: String,
    unit_code: String,
    device_id: Option<String>,
    phone: String,
    on_duty: bool,
    created_at: Time,
    updated_at: Time,
}

impl PersonRow {
    /// The person's record, bound to `grids`.
    pub(super) fn into_record(self, grids: Vec<String>) -> Result<PersonRecord, StoreError> {
        let role = Role::parse(&self.role).ok_or_else(|| StoreError::BadRow {
            table: "person",
            code: self.person_id.clone(),
            reason: format!("role {:?}", self.role),
        })?;
        let person = Person {
            id: self.person_id,
            name: self.name,
            role,
            unit_code: self.unit_code,
            grids,
            device_id: self.device_id,
            phone: self.phone,
            on_duty: self.on_duty,
        };
        Ok(PersonRecord { person, created_at: self.created_at.into(), updated_at: self.updated_at.into() })
    }
}

/// The dataset record.
#[derive(sqlx::FromRow)]
pub(super) struct DatasetRow {
    dataset_id: i64,
    source: String,
    note: String,
    created_at: Time,
}

impl From<DatasetRow> for DatasetInfo {
    fn from(r: DatasetRow) -> Self {
        Self { dataset_id: r.dataset_id, source: r.source, note: r.note, created_at: r.created_at.text() }
    }
}

/// A township row.
#[derive(sqlx::FromRow)]
pub(super) struct TownshipRow {
    code: String,
    name: String,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl TownshipRow {
    /// The township.
    pub(super) fn into_township(self, read_shape: ReadShape) -> Result<Township, StoreError> {
        let geometry = read_shape("township", &self.code, &self.geometry)?;
        Ok(Township { code: self.code, name: self.name, area_km2: self.area_km2, geometry })
    }
}

/// A village row.
#[derive(sqlx::FromRow)]
pub(super) struct VillageRow {
    code: String,
    name: String,
    kind: String,
    township_code: String,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl VillageRow {
    /// The village.
    pub(super) fn into_village(self, read_shape: ReadShape) -> Result<Village, StoreError> {
        let kind = VillageKind::parse(&self.kind).ok_or_else(|| bad_kind("village", &self.code, &self.kind))?;
        let geometry = read_shape("village", &self.code, &self.geometry)?;
        Ok(Village { code: self.code, name: self.name, kind, township_code: self.township_code, area_km2: self.area_km2, geometry })
    }
}

/// A grid row with its divisions' names.
#[derive(sqlx::FromRow)]
pub(super) struct GridRow {
    code: String,
    name: String,
    kind: String,
    village_code: String,
    village_name: String,
    township_code: String,
    township_name: String,
    parent_grid_code: Option<String>,
    area_km2: f64,
    geometry: Vec<u8>,
}

impl GridRow {
    /// The grid.
    pub(super) fn into_grid(self, read_shape: ReadShape) -> Result<Grid, StoreError> {
        let kind = GridKind::parse(&self.kind).ok_or_else(|| bad_kind("grid", &self.code, &self.kind))?;
        let geometry = read_shape("grid", &self.code, &self.geometry)?;
        Ok(Grid {
            code: self.code,
            name: self.name,
            kind,
            village_code: self.village_code,
            village_name: self.village_name,
            township_code: self.township_code,
            township_name: self.township_name,
            parent_grid: self.parent_grid_code,
            area_km2: self.area_km2,
            geometry,
        })
    }
}

/// A recorded grid version.
#[derive(sqlx::FromRow)]
pub(super) struct VersionRow {
    pub(super) valid_from: i64,
    pub(super) valid_to: Option<i64>,
    #[sqlx(flatten)]
    pub(super) grid: GridRow,
}

/// An event with its actions as JSON text (`dialect!(_, actions_json)`), for the figures.
#[derive(sqlx::FromRow)]
pub(super) struct HistoryRow {
    event_id: String,
    category: String,
    complexity: String,
    state: String,
    grid_code: String,
    village_code: String,
    township_code: String,
    actions: String,
}

/// One action in [`HistoryRow::actions`]: seq, at, action, holder tier, holder id, score.
type ActionRow = (i64, String, String, Option<String>, Option<String>, Option<u8>);

impl HistoryRow {
    /// The event's history, its actions in order.
    pub(super) fn into_history(self) -> Result<EventHistory, StoreError> {
        let key = Key { table: "event", code: &self.event_id };
        let category = key.parsed("category", &self.category, Category::parse)?;
        let complexity = key.parsed("complexity", &self.complexity, parse_complexity)?;
        let state = key.parsed("state", &self.state, State::parse)?;
        let mut rows: Vec<ActionRow> =
            serde_json::from_str(&self.actions).map_err(|e| key.bad(format!("timeline: {e}")))?;
        rows.sort_by_key(|r| r.0);
        let actions = rows
            .into_iter()
            .map(|(_, at, action, tier, id, score)| {
                let holder = match (tier.as_deref().and_then(Tier::parse), id) {
                    (Some(tier), Some(id)) => Some(Holder { tier, id }),
                    _ => None,
                };
                Ok(StoredAction { at: parse_time("event_transition", &self.event_id, &at)?, action, holder, score })
            })
            .collect::<Result<_, StoreError>>()?;
        let place = Place { grid: self.grid_code, village: self.village_code, township: self.township_code };
        Ok(EventHistory { event_id: self.event_id, category, complexity, state, place, actions })
    }
}

/// An event as a point on the map.
#[derive(sqlx::FromRow)]
pub(super) struct PointRow {
    event_id: String,
    lon: f64,
    lat: f64,
    category: String,
    grid_code: String,
}

impl PointRow {
    /// The point.
    pub(super) fn into_point(self) -> Result<EventPoint, StoreError> {
        let key = Key { table: "event", code: &self.event_id };
        let category = key.parsed("category", &self.category, Category::parse)?;
        Ok(EventPoint { lon: self.lon, lat: self.lat, category, grid_code: self.grid_code })
    }
}

/// A row of the routing table.
#[derive(sqlx::FromRow)]
pub(super) struct ResponsibilityRow {
    category: String,
    subcategory: Option<String>,
    department_code: String,
}

impl From<ResponsibilityRow> for Responsibility {
    fn from(r: ResponsibilityRow) -> Self {
        Self { category: r.category, subcategory: r.subcategory, department: r.department_code }
    }
}

/// A calendar override.
#[derive(sqlx::FromRow)]
pub(super) struct OverrideRow {
    date: chrono::NaiveDate,
    kind: String,
}

impl OverrideRow {
    /// The date and its kind.
    pub(super) fn into_override(self) -> Result<(chrono::NaiveDate, DayKind), StoreError> {
        match self.kind.as_str() {
            "holiday" => Ok((self.date, DayKind::Holiday)),
            "workday" => Ok((self.date, DayKind::Workday)),
            _ => Err(StoreError::BadRow {
                table: "calendar_override",
                code: self.date.format("%Y-%m-%d").to_string(),
                reason: "kind must be holiday or workday".into(),
            }),
        }
    }
}

/// A calendar override's kind as stored.
pub(super) fn day_kind_text(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    }
}

/// A holder as its two columns.
pub(super) fn split(holder: Option<&Holder>) -> (Option<&'static str>, Option<&str>) {
    match holder {
        Some(h) => (Some(h.tier.as_str()), Some(h.id.as_str())),
        None => (None, None),
    }
}

/// A complexity as stored.
pub(super) fn complexity_str(c: Complexity) -> &'static str {
    match c {
        Complexity::Ordinary => "ordinary",
        Complexity::Complex => "complex",
    }
}

fn parse_complexity(text: &str) -> Option<Complexity> {
    match text {
        "ordinary" => Some(Complexity::Ordinary),
        "complex" => Some(Complexity::Complex),
        _ => None,
    }
}

/// A count as stored.
pub(super) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Reads back a time written as RFC 3339 text.
fn parse_time(table: &'static str, code: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc)).map_err(|e| StoreError::BadRow {
        table,
        code: code.to_owned(),
        reason: format!("bad time {text:?}: {e}"),
    })
}

fn bad_kind(table: &'static str, code: &str, kind: &str) -> StoreError {
    StoreError::BadRow { table, code: code.to_owned(), reason: format!("unknown kind {kind:?}") }
}

/// A row's table and key, for errors.
struct Key<'a> {
    table: &'static str,
    code: &'a str,
}

impl Key<'_> {
    fn bad(&self, reason: String) -> StoreError {
        StoreError::BadRow { table: self.table, code: self.code.to_owned(), reason }
    }

    fn parsed<T>(&self, column: &str, text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
        parse(text).ok_or_else(|| self.bad(format!("{column} {text:?} is not valid")))
    }

    fn holder(&self, tier: Option<String>, id: Option<String>) -> Result<Option<Holder>, StoreError> {
        match (tier, id) {
            (Some(t), Some(id)) => {
                let tier = Tier::parse(&t).ok_or_else(|| self.bad(format!("tier {t:?} is not valid")))?;
                Ok(Some(Holder { tier, id }))
            }
            _ => Ok(None),
        }
    }
}
