//! Patrols (巡查): a gridworker starts a patrol, uploads its track in batches and checks in at
//! places, then ends it; every write is idempotent for the device's offline queue. Each fix is
//! checked (`wangge_core::patrol`), converted to CGCS2000 at the edge, located by the grid
//! index when received and flagged when outside the gridworker's bound grids (never refused
//! for that). Thinning the track is the device's job. The figures are in [`figures`], the
//! spreadsheets of the lists and figures in [`sheets`].

pub mod figures;
pub mod sheets;
mod views;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wangge_core::patrol::{check_fix, Window, CLOCK_SKEW_MS, MAX_BACKDATE_MS, MAX_DISTANCE_FROM_GRIDS_M};
use wangge_core::patrol::{MAX_PATROL_MS, MAX_POINTS_PER_BATCH};
use wangge_core::people::{GridPlace, Person, Role, Roster};
use wangge_core::{Crs, GridIndex, LonLat};

use crate::grids::catalog::Catalog;
use crate::records::{Checkin, CheckinInsert, CheckinKind, Located, NewPatrol, PatrolInsert, PatrolRecord, RegistryLink, TrackPoint};
use crate::store::{Store, StoreError};
pub use views::{CheckinView, LiveView, PatrolView, PointsAnswer};

/// Longest client id of a patrol or check-in.
pub const MAX_ID: usize = 64;

/// Longest check-in note, in characters.
pub const MAX_NOTE: usize = 500;

/// Longest check-in reference, in characters.
pub const MAX_REF: usize = 128;

/// Why a patrol request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A field is missing or out of range; the reason names it.
    #[error("{0}")]
    Invalid(String),
    /// More points than one batch may hold.
    #[error("{0} points in one batch; at most {MAX_POINTS_PER_BATCH}: split the upload")]
    TooMany(usize),
    /// The caller does not act as a gridworker of the roster.
    #[error("{0}")]
    NotAGridworker(String),
    /// No such patrol, or not the caller's: answered alike.
    #[error("no patrol with id {0:?}")]
    NotFound(String),
    /// The gridworker already has another patrol open.
    #[error("patrol {0} is still open; end it before starting another")]
    AlreadyOpen(String),
    /// A client id used for something else.
    #[error("{0}")]
    KeyReused(String),
    /// No randomness for a new id.
    #[error("cannot make an id: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `POST /api/v1/patrols`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The client's id (its idempotency key), or the `Idempotency-Key` header.
    pub patrol_id: Option<String>,
    /// When it started on the device (unix ms); default: when received.
    pub started_at: Option<i64>,
}

/// `POST /api/v1/patrols/{id}/points`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsRequest {
    /// `[lon, lat, unix_ms, accuracy_m]` each.
    pub points: Vec<[f64; 4]>,
    /// `cgcs2000` (default), `wgs84`, `gcj02` or `bd09`.
    pub crs: Option<String>,
}

/// `POST /api/v1/patrols/{id}/checkins`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    /// The client's id (its idempotency key), or the `Idempotency-Key` header.
    pub checkin_id: Option<String>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// `cgcs2000` (default), `wgs84`, `gcj02` or `bd09`.
    pub crs: Option<String>,
    /// `household`, `shop`, `hazard`, `key_person` or `other`.
    pub kind: String,
    /// What the gridworker noted.
    pub note: Option<String>,
    /// A base-data record it refers to.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// When, on the device (unix ms); default: when received.
    pub at: Option<i64>,
    /// The device's accuracy estimate in metres (checked, not stored).
    pub accuracy_m: Option<f64>,
}

/// `POST /api/v1/patrols/{id}/end`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    /// When it ended on the device (unix ms); default: when received.
    pub ended_at: Option<i64>,
}

/// The gridworker the credential acts as: on the roster, a gridworker.
pub fn walker<'a>(roster: &'a Roster, acting_as: &str) -> Result<&'a Person, Refused> {
    roster.get(acting_as).filter(|p| p.role == Role::Gridworker).ok_or_else(|| {
        Refused::NotAGridworker(format!(
            "this account acts as {acting_as:?}, not a gridworker on the roster: only a gridworker patrols, as itself"
        ))
    })
}

/// Starts a patrol for `person` (answered with `true` when it is a replay of one already
/// started with the same id).
pub async fn start(
    store: &Store,
    person: &Person,
    body: StartRequest,
    key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(PatrolRecord, bool), Refused> {
    let patrol_id = match client_id("patrol_id", body.patrol_id.as_deref(), key)? {
        Some(id) => id,
        None => new_id("P")?,
    };
    let started_at = match body.started_at {
        Some(ms) => {
            let t = time("started_at", ms)?;
            let (earliest, latest) = (now.timestamp_millis() - MAX_BACKDATE_MS, now.timestamp_millis() + CLOCK_SKEW_MS);
            if !(earliest..=latest).contains(&ms) {
                return Err(Refused::Invalid(format!(
                    "started_at {ms} must be from {earliest} to {latest}: no more than 7 days back, not in the future"
                )));
            }
            t
        }
        None => now,
    };
    let new = NewPatrol { patrol_id, person_id: person.id.clone(), unit_code: person.unit_code.clone(), started_at };
    match store.insert_patrol(&new, now).await? {
        PatrolInsert::Created(p) => Ok((p, false)),
        PatrolInsert::Existing(p) if p.person_id == person.id && body.started_at.is_none_or(|ms| ms == p.started_at.timestamp_millis()) => {
            Ok((p, true))
        }
        PatrolInsert::Existing(p) => Err(Refused::KeyReused(format!(
            "patrol id {} was already used for a different patrol; choose a new id",
            p.patrol_id
        ))),
        PatrolInsert::AlreadyOpen(open) => Err(Refused::AlreadyOpen(open.patrol_id)),
    }
}

/// The patrol if it is `person`'s own (another's is answered as missing).
pub async fn own(store: &Store, person: &Person, patrol_id: &str) -> Result<PatrolRecord, Refused> {
    store.patrol(patrol_id).await?.filter(|p| p.person_id == person.id).ok_or_else(|| Refused::NotFound(patrol_id.to_owned()))
}

/// What locating a fix needs: the index, the catalog (street units' parent grids), and the
/// gridworker whose bound grids decide the flag.
#[derive(Clone, Copy)]
pub struct Locator<'a> {
    /// Point → grid.
    pub index: &'a GridIndex,
    /// Grids' parents.
    pub catalog: &'a Catalog,
    /// The roster rule for "outside own grids".
    pub roster: &'a Roster,
    /// The gridworker.
    pub person: &'a Person,
}

impl Locator<'_> {
    /// The grid of a checked point and its flag; refused when it is implausibly far from
    /// every grid of the county.
    fn locate(&self, p: LonLat) -> Result<Located, String> {
        match self.index.locate(p.lon, p.lat).map_err(|e| e.to_string())? {
            wangge_core::Located::Grid(i) => {
                let record = &self.index.grids()[i];
                let parent = self.catalog.grid(&record.code).and_then(|g| g.grid.parent_grid.clone());
                let place = GridPlace {
                    grid: &record.code,
                    parent_grid: parent.as_deref(),
                    village: &record.village.code,
                    township: &record.township.code,
                };
                let outside = self.roster.outside_own_grids(self.person, place);
                Ok(Located { at: p, grid_code: Some(record.code.clone()), outside })
            }
            wangge_core::Located::Outside(Some(n)) if n.distance_m <= MAX_DISTANCE_FROM_GRIDS_M => {
                Ok(Located { at: p, grid_code: None, outside: true })
            }
            wangge_core::Located::Outside(nearest) => Err(format!(
                "({}, {}) is {} from the county's grids; at most {} m is plausible",
                p.lon,
                p.lat,
                nearest.map_or("far".to_owned(), |n| format!("{:.0} m", n.distance_m)),
                MAX_DISTANCE_FROM_GRIDS_M
            )),
        }
    }
}

/// Checks, locates and stores a batch of track points of `person`'s patrol, all or nothing:
/// a replayed point (same patrol and time) is skipped.
pub async fn add_points(
    store: &Store,
    at: Locator<'_>,
    patrol_id: &str,
    body: PointsRequest,
    now: DateTime<Utc>,
) -> Result<PointsAnswer, Refused> {
    if body.points.len() > MAX_POINTS_PER_BATCH {
        return Err(Refused::TooMany(body.points.len()));
    }
    if body.points.is_empty() {
        return Err(Refused::Invalid("points is empty: send [[lon, lat, unix_ms, accuracy_m], …]".into()));
    }
    let crs = crs(body.crs.as_deref())?;
    let patrol = own(store, at.person, patrol_id).await?;
    let window = window(&patrol, now);
    let mut points: Vec<TrackPoint> = Vec::with_capacity(body.points.len());
    for (i, [lon, lat, ms, accuracy_m]) in body.points.iter().copied().enumerate() {
        let bad = |reason: String| Refused::Invalid(format!("points[{i}]: {reason}"));
        if !ms.is_finite() || ms.fract() != 0.0 || ms.abs() > 1e15 {
            return Err(bad(format!("the time must be whole unix milliseconds, got {ms}")));
        }
        let ms = ms as i64;
        let p = LonLat::from_crs(lon, lat, crs).map_err(|e| bad(e.to_string()))?;
        check_fix(p.lon, p.lat, ms, accuracy_m, window).map_err(|e| bad(e.to_string()))?;
        let place = at.locate(p).map_err(bad)?;
        points.push(TrackPoint { at: time("time", ms)?, place, accuracy_m });
    }
    // One point per time: the first sent wins, as a replay would.
    points.sort_by_key(|p| p.at);
    points.dedup_by_key(|p| p.at);
    let stored = store.add_points(&patrol.patrol_id, &points, now).await?;
    let patrol = own(store, at.person, patrol_id).await?;
    Ok(PointsAnswer {
        received: body.points.len(),
        stored,
        outside: points.iter().filter(|p| p.place.outside).count(),
        patrol: PatrolView::from(&patrol),
    })
}

/// Checks, locates and stores a check-in on `person`'s patrol (answered with `true` when it is
/// a replay of one already stored with the same id).
pub async fn check_in(
    store: &Store,
    at: Locator<'_>,
    patrol_id: &str,
    body: CheckinRequest,
    key: Option<&str>,
    photos: &[crate::records::NewAttachment],
    now: DateTime<Utc>,
) -> Result<(Checkin, bool), Refused> {
    let checkin_id = match client_id("checkin_id", body.checkin_id.as_deref(), key)? {
        Some(id) => id,
        None => new_id("C")?,
    };
    let kind = CheckinKind::parse(&body.kind).ok_or_else(|| {
        Refused::Invalid(format!("kind must be household, shop, hazard, key_person or other, got {:?}", body.kind))
    })?;
    let note = text("note", body.note, MAX_NOTE)?;
    let reference = text("ref", body.reference, MAX_REF)?;
    let crs = crs(body.crs.as_deref())?;
    let patrol = own(store, at.person, patrol_id).await?;
    let ms = body.at.unwrap_or_else(|| now.timestamp_millis());
    let p = LonLat::from_crs(body.lon, body.lat, crs).map_err(|e| Refused::Invalid(e.to_string()))?;
    check_fix(p.lon, p.lat, ms, body.accuracy_m.unwrap_or(0.0), window(&patrol, now))
        .map_err(|e| Refused::Invalid(e.to_string()))?;
    let place = at.locate(p).map_err(Refused::Invalid)?;
    let checkin =
        Checkin { checkin_id, patrol_id: patrol.patrol_id, at: time("at", ms)?, place, kind, note, reference };
    match store.add_checkin(&checkin, photos, now).await? {
        CheckinInsert::Created(c) => {
            link_reference(store, at.person, &c, now).await?;
            Ok((c, false))
        }
        CheckinInsert::Existing(c) if c.patrol_id == checkin.patrol_id => {
            // A retry after a failed link links it (linking again changes nothing).
            link_reference(store, at.person, &c, now).await?;
            Ok((c, true))
        }
        CheckinInsert::Existing(c) => Err(Refused::KeyReused(format!(
            "check-in id {} was already used on another patrol; choose a new id",
            c.checkin_id
        ))),
    }
}

/// A check-in whose `ref` is the id of a registry record in the gridworker's area refers to
/// that record (the record lists it); any other reference stays free text.
async fn link_reference(store: &Store, person: &Person, c: &Checkin, now: DateTime<Utc>) -> Result<(), Refused> {
    let Some(reference) = c.reference.as_deref().map(str::trim).filter(|r| !r.is_empty()) else { return Ok(()) };
    let Some(record) = store.record(reference).await? else { return Ok(()) };
    let unit = person.unit_code.as_str();
    if !(record.village_code.starts_with(unit) || unit.starts_with(&record.village_code)) {
        return Ok(());
    }
    let link = RegistryLink {
        from_kind: "checkin".to_owned(),
        from_id: c.checkin_id.clone(),
        record_id: record.record_id,
        created_by: person.id.clone(),
        created_at: now,
    };
    store.insert_link(&link).await?;
    Ok(())
}

/// Ends `person`'s patrol; ending an ended one answers it unchanged.
pub async fn end(
    store: &Store,
    person: &Person,
    patrol_id: &str,
    body: EndRequest,
    now: DateTime<Utc>,
) -> Result<PatrolRecord, Refused> {
    let patrol = own(store, person, patrol_id).await?;
    if patrol.ended_at.is_some() {
        return Ok(patrol);
    }
    let started = patrol.started_at.timestamp_millis();
    let latest = (started + MAX_PATROL_MS).min(now.timestamp_millis() + CLOCK_SKEW_MS);
    let ms = match body.ended_at {
        Some(ms) if (started..=latest).contains(&ms) => ms,
        Some(ms) => {
            return Err(Refused::Invalid(format!(
                "ended_at {ms} must be from the start {started} to {latest} (at most 24 h after the start, not in the future)"
            )))
        }
        None => now.timestamp_millis().clamp(started, started + MAX_PATROL_MS),
    };
    Ok(store.end_patrol(&patrol.patrol_id, time("ended_at", ms)?, now).await?)
}

/// The times a patrol accepts fixes in, at `now`.
fn window(p: &PatrolRecord, now: DateTime<Utc>) -> Window {
    Window::of(p.started_at.timestamp_millis(), p.ended_at.map(|t| t.timestamp_millis()), now.timestamp_millis())
}

fn time(what: &str, ms: i64) -> Result<DateTime<Utc>, Refused> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Refused::Invalid(format!("{what} {ms} is not a time (unix ms)")))
}

fn crs(text: Option<&str>) -> Result<Crs, Refused> {
    let text = text.unwrap_or("cgcs2000");
    Crs::parse(text).ok_or_else(|| Refused::Invalid(format!("crs must be cgcs2000, wgs84, gcj02 or bd09, got {text:?}")))
}

/// The client's id from the body or the `Idempotency-Key` header (equal if both).
fn client_id(field: &str, body: Option<&str>, header: Option<&str>) -> Result<Option<String>, Refused> {
    let id = match (body, header) {
        (Some(b), Some(h)) if b != h => {
            return Err(Refused::Invalid(format!(
                "{field} {b:?} and the Idempotency-Key header {h:?} differ; send one or make them equal"
            )))
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Ok(None),
    };
    if !id.is_empty() && id.len() <= MAX_ID && id.chars().all(|c| c.is_ascii_graphic() && c != '/') {
        Ok(Some(id.to_owned()))
    } else {
        Err(Refused::Invalid(format!("{field} must be 1 to {MAX_ID} printable ASCII characters without spaces or '/'")))
    }
}

/// A new random id with `prefix`.
fn new_id(prefix: &str) -> Result<String, Refused> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(|e| Refused::Random(e.to_string()))?;
    Ok(bytes.iter().fold(format!("{prefix}-"), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    }))
}

fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Refused> {
    let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Refused::Invalid(format!("{field} must be at most {max} characters, without control characters")));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_come_from_the_body_or_the_header() {
        assert_eq!(client_id("patrol_id", Some("a"), None).ok().flatten().as_deref(), Some("a"));
        assert_eq!(client_id("patrol_id", None, Some("b")).ok().flatten().as_deref(), Some("b"));
        assert!(client_id("patrol_id", Some("a"), Some("b")).is_err());
        assert!(client_id("patrol_id", Some("a b"), None).is_err());
        assert!(client_id("patrol_id", Some("a/b"), None).is_err());
        assert_eq!(client_id("patrol_id", None, None).ok(), Some(None));
    }

    #[test]
    fn new_ids_differ() {
        let (a, b) = (new_id("P").unwrap_or_default(), new_id("P").unwrap_or_default());
        assert!(a.starts_with("P-") && a.len() == 26 && a != b, "{a} {b}");
    }
}
