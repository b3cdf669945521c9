//! Patrols (巡查) as the store keeps them: the patrol, its track points and check-ins, and the
//! filters the store takes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use wangge_core::LonLat;

/// A patrol with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolRecord {
    /// The client's id or one the server made.
    pub patrol_id: String,
    /// The gridworker.
    pub person_id: String,
    /// The gridworker's unit when it started (where it is read).
    pub unit_code: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Track points stored.
    pub points: i64,
    /// Of which outside the gridworker's bound grids.
    pub points_outside: i64,
    /// Check-ins stored.
    pub checkins: i64,
    /// The last track point's time.
    pub last_point_at: Option<DateTime<Utc>>,
}

/// A new patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatrol {
    /// Its id.
    pub patrol_id: String,
    /// The gridworker.
    pub person_id: String,
    /// The gridworker's unit.
    pub unit_code: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// What storing a new patrol did.
#[derive(Debug, Clone, PartialEq)]
pub enum PatrolInsert {
    /// Stored.
    Created(PatrolRecord),
    /// The id was already taken: this is the patrol holding it.
    Existing(PatrolRecord),
    /// The gridworker already has this patrol open.
    AlreadyOpen(PatrolRecord),
}

/// Where a fix was located when it was received.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Where (CGCS2000).
    pub at: LonLat,
    /// The grid it lies in, `None` outside every grid.
    pub grid_code: Option<String>,
    /// Outside the gridworker's bound grids.
    pub outside: bool,
}

/// One fix of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPoint {
    /// When (the device's clock).
    pub at: DateTime<Utc>,
    /// Where, and in which grid.
    pub place: Located,
    /// The device's accuracy estimate in metres.
    pub accuracy_m: f64,
}

/// A kind of place checked in at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckinKind {
    /// A household (住户).
    Household,
    /// A shop (商铺).
    Shop,
    /// A hazard point (隐患点).
    Hazard,
    /// A key person's home (重点人员).
    KeyPerson,
    /// Anything else.
    Other,
}

impl CheckinKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [Self::Household, Self::Shop, Self::Hazard, Self::KeyPerson, Self::Other];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Household => "household",
            Self::Shop => "shop",
            Self::Hazard => "hazard",
            Self::KeyPerson => "key_person",
            Self::Other => "other",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A check-in at a place.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkin {
    /// The client's id or one the server made.
    pub checkin_id: String,
    /// The patrol.
    pub patrol_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Where, and in which grid.
    pub place: Located,
    /// What kind of place.
    pub kind: CheckinKind,
    /// The gridworker's note.
    pub note: Option<String>,
    /// A base-data record it refers to.
    pub reference: Option<String>,
}

/// What storing a check-in did.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckinInsert {
    /// Stored.
    Created(Checkin),
    /// The id was already taken: this is the check-in holding it.
    Existing(Checkin),
}

/// Which patrols to list: each field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatrolFilter {
    /// Of this gridworker.
    pub person_id: Option<String>,
    /// Of gridworkers whose unit starts with this code (township, village, jurisdiction).
    pub unit_prefixes: Vec<String>,
    /// Started at or after.
    pub from: Option<DateTime<Utc>>,
    /// Started before.
    pub to: Option<DateTime<Utc>>,
    /// Only open (`true`) or ended (`false`) ones.
    pub open: Option<bool>,
}

/// A gridworker on an open patrol and their last point.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePatrol {
    /// The patrol.
    pub patrol_id: String,
    /// The gridworker.
    pub person_id: String,
    /// Their unit.
    pub unit_code: String,
    /// When the patrol started.
    pub started_at: DateTime<Utc>,
    /// The last track point, if any yet.
    pub last: Option<TrackPoint>,
}

/// A patrol with its whole track and check-ins, for the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolTrack {
    /// The patrol.
    pub patrol: PatrolRecord,
    /// Its points, in time order.
    pub points: Vec<TrackPoint>,
    /// Its check-ins, in time order: when and where.
    pub checkins: Vec<(DateTime<Utc>, LonLat)>,
}

/// A whole patrol written at once (the demo year): the patrol, ended, with its track and
/// check-ins.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolLoad {
    /// The patrol.
    pub patrol: NewPatrol,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// Its track.
    pub points: Vec<TrackPoint>,
    /// Its check-ins.
    pub checkins: Vec<Checkin>,
}
