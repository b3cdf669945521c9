//! Reading event and timeline rows back into records, naming the row in every error.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};
use wangge_core::event::{Category, Complexity, Deadlines, Holder, Loop, State, Tier};
use wangge_core::LonLat;

use crate::records::{Channel, EventRecord, Place, Reporter, ReporterKind, TimelineEntry};
use crate::store::StoreError;

/// The event columns [`event_from_row`] reads.
pub(super) const EVENT_COLUMNS: &str = "event_id, report_id, request_fingerprint, category, subcategory, description,
    lon, lat, grid_code, village_code, township_code, reporter_kind, reporter_person_id, reporter_name, reporter_phone,
    channel, complexity, state, holder_tier, holder_id, since, verify_by, done_by, last_handler_tier,
    last_handler_id, rating, patrol_flag, seq, reported_at, updated_at, closed_at";

/// Reads typed columns of one row, naming the row in errors.
struct Cols<'r> {
    row: &'r PgRow,
    table: &'static str,
    key: String,
}

impl Cols<'_> {
    fn get<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: for<'q> sqlx::Decode<'q, Postgres> + sqlx::Type<Postgres>,
    {
        self.row.try_get(column).map_err(|e| self.bad(format!("column {column}: {e}")))
    }

    fn bad(&self, reason: String) -> StoreError {
        StoreError::BadRow { table: self.table, code: self.key.clone(), reason }
    }

    fn parsed<T>(&self, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let text: String = self.get(column)?;
        parse(&text).ok_or_else(|| self.bad(format!("{column} {text:?} is not valid")))
    }

    fn holder(&self, tier: &str, id: &str) -> Result<Option<Holder>, StoreError> {
        let tier: Option<String> = self.get(tier)?;
        let id: Option<String> = self.get(id)?;
        match (tier, id) {
            (Some(t), Some(id)) => {
                let tier = Tier::parse(&t).ok_or_else(|| self.bad(format!("tier {t:?} is not valid")))?;
                Ok(Some(Holder { tier, id }))
            }
            _ => Ok(None),
        }
    }
}

pub(super) fn event_from_row(row: &PgRow) -> Result<EventRecord, StoreError> {
    let key: String = row.try_get("event_id").unwrap_or_default();
    let c = Cols { row, table: "event", key };
    let complexity = c.parsed("complexity", |s| match s {
        "ordinary" => Some(Complexity::Ordinary),
        "complex" => Some(Complexity::Complex),
        _ => None,
    })?;
    let times: [Option<DateTime<Utc>>; 3] = [c.get("since")?, c.get("verify_by")?, c.get("done_by")?];
    let deadlines = match times {
        [Some(since), Some(verify_by), Some(done_by)] => Some(Deadlines { since, verify_by, done_by }),
        _ => None,
    };
    let rating: Option<i16> = c.get("rating")?;
    let rating = rating.map(u8::try_from).transpose().map_err(|e| c.bad(format!("rating: {e}")))?;
    let flow = Loop {
        state: c.parsed("state", State::parse)?,
        holder: c.holder("holder_tier", "holder_id")?,
        complexity,
        deadlines,
        last_handler: c.holder("last_handler_tier", "last_handler_id")?,
        rating,
    };
    let location = LonLat::new(c.get("lon")?, c.get("lat")?).map_err(|e| c.bad(e.to_string()))?;
    Ok(EventRecord {
        event_id: c.get("event_id")?,
        report_id: c.get("report_id")?,
        fingerprint: c.get("request_fingerprint")?,
        category: c.parsed("category", Category::parse)?,
        subcategory: c.get("subcategory")?,
        description: c.get("description")?,
        location,
        place: Place { grid: c.get("grid_code")?, village: c.get("village_code")?, township: c.get("township_code")? },
        reporter: Reporter {
            kind: c.parsed("reporter_kind", ReporterKind::parse)?,
            person_id: c.get("reporter_person_id")?,
            name: c.get("reporter_name")?,
            phone: c.get("reporter_phone")?,
        },
        channel: c.parsed("channel", Channel::parse)?,
        flow,
        patrol_flag: c.get("patrol_flag")?,
        seq: c.get("seq")?,
        reported_at: c.get("reported_at")?,
        updated_at: c.get("updated_at")?,
        closed_at: c.get("closed_at")?,
    })
}

/// Reads a timeline row selected with its payload as text (`payload::text AS payload`).
pub(super) fn timeline_from_row(event_id: &str, row: &PgRow) -> Result<TimelineEntry, StoreError> {
    let seq: i64 = row.try_get("seq").unwrap_or_default();
    let c = Cols { row, table: "event_transition", key: format!("{event_id}#{seq}") };
    let payload: String = c.get("payload")?;
    let payload = serde_json::from_str(&payload).map_err(|e| c.bad(format!("payload: {e}")))?;
    Ok(TimelineEntry {
        seq,
        at: c.get("at")?,
        actor: c.get("actor")?,
        tier: c.get::<Option<String>>("tier")?.and_then(|t| Tier::parse(&t)),
        action: c.get("action")?,
        payload,
        state_after: c.parsed("state_after", State::parse)?,
        holder_after: c.holder("holder_tier", "holder_id")?,
    })
}
