//! The JSON answers of the patrol routes (times as RFC 3339 UTC text, to the millisecond).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::records::{time_text, Checkin, CheckinKind, LivePatrol, PatrolRecord};

/// A patrol with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatrolView {
    id: String,
    person_id: String,
    unit_code: String,
    started_at: String,
    ended_at: Option<String>,
    open: bool,
    points: i64,
    points_outside: i64,
    checkins: i64,
    last_point_at: Option<String>,
}

impl From<&PatrolRecord> for PatrolView {
    fn from(p: &PatrolRecord) -> Self {
        Self {
            id: p.patrol_id.clone(),
            person_id: p.person_id.clone(),
            unit_code: p.unit_code.clone(),
            started_at: time_text(p.started_at),
            ended_at: p.ended_at.map(time_text),
            open: p.ended_at.is_none(),
            points: p.points,
            points_outside: p.points_outside,
            checkins: p.checkins,
            last_point_at: p.last_point_at.map(time_text),
        }
    }
}

/// What a batch of points did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolPointsAnswer)]
pub struct PointsAnswer {
    /// Points sent.
    pub received: usize,
    /// Points new to the store (the rest were replays or repeated times).
    pub stored: u64,
    /// Points of the batch outside the gridworker's bound grids.
    pub outside: usize,
    /// The patrol after.
    pub patrol: PatrolView,
}

/// A check-in.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CheckinView {
    id: String,
    patrol_id: String,
    at: String,
    lon: f64,
    lat: f64,
    kind: CheckinKind,
    note: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    grid_code: Option<String>,
    outside: bool,
    /// Its photos.
    pub photos: Vec<wangge_core::wire::AttachmentView>,
}

impl From<&Checkin> for CheckinView {
    fn from(c: &Checkin) -> Self {
        Self {
            id: c.checkin_id.clone(),
            patrol_id: c.patrol_id.clone(),
            at: time_text(c.at),
            lon: c.place.at.lon,
            lat: c.place.at.lat,
            kind: c.kind,
            note: c.note.clone(),
            reference: c.reference.clone(),
            grid_code: c.place.grid_code.clone(),
            outside: c.place.outside,
            photos: Vec::new(),
        }
    }
}

/// A gridworker on patrol now, for the dispatchers' map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolLiveView)]
pub struct LiveView {
    patrol_id: String,
    person_id: String,
    name: String,
    unit_code: String,
    started_at: String,
    last: Option<LastPoint>,
}

/// The last point of a live patrol, and how old it is.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolLastPoint)]
struct LastPoint {
    lon: f64,
    lat: f64,
    at: String,
    age_s: i64,
    accuracy_m: f64,
    grid_code: Option<String>,
    outside: bool,
}

impl LiveView {
    /// The view of `p`, named `name`, at `now`.
    pub fn new(p: &LivePatrol, name: String, now: DateTime<Utc>) -> Self {
        Self {
            patrol_id: p.patrol_id.clone(),
            person_id: p.person_id.clone(),
            name,
            unit_code: p.unit_code.clone(),
            started_at: time_text(p.started_at),
            last: p.last.as_ref().map(|t| LastPoint {
                lon: t.place.at.lon,
                lat: t.place.at.lat,
                at: time_text(t.at),
                age_s: (now - t.at).num_seconds().max(0),
                accuracy_m: t.accuracy_m,
                grid_code: t.place.grid_code.clone(),
                outside: t.place.outside,
            }),
        }
    }
}
