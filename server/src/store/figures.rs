//! Events read for the figures and the map, written once for both backends: one row per event,
//! its actions gathered by the database into one compact JSON array (a row per timeline entry
//! costs a round of decoding per entry; the payloads are not needed), and events as points
//! (where, what, which grid: nothing personal).

use chrono::{DateTime, Utc};
use wangge_core::event::{Category, Holder, State, Tier};

use super::events::{parse_complexity, Key};
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::Place;
use crate::records::{EventPoint, PointFilter};
use crate::records::{EventHistory, StatsFilter, StoredAction};

/// The figures and map methods of one backend (`sqlite` or `postgres`).
macro_rules! figure_store {
    ($store:ty, $db:ty, $dialect:ident) => {
        impl $store {
            /// Events reported in the filter's period with their timelines, by event id; an
            /// event marked a duplicate is left out (counted once, at its original).
            pub async fn histories(&self, f: &StatsFilter) -> Result<Vec<EventHistory>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT e.event_id, e.category, e.complexity, e.state, e.grid_code, e.village_code,
                            e.township_code, (SELECT ",
                    dialect!($dialect, actions_json),
                    " FROM event_transition t WHERE t.event_id = e.event_id AND t.action <> 'reported') AS actions
                       FROM event e
                      WHERE NOT EXISTS (SELECT 1 FROM event_duplicate d WHERE d.event_id = e.event_id)
                        AND e.reported_at >= "
                ));
                q.push_bind(Time::from(f.from)).push(" AND e.reported_at < ").push_bind(Time::from(f.to));
                let eq = [("e.township_code", &f.township), ("e.village_code", &f.village), ("e.grid_code", &f.grid)];
                for (column, value) in eq {
                    if let Some(v) = value {
                        q.push(format_args!(" AND {column} = ")).push_bind(v.as_str());
                    }
                }
                q.push(" ORDER BY e.event_id");
                let rows: Vec<HistoryRow> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events for the figures"))?;
                rows.into_iter().map(HistoryRow::into_history).collect()
            }

            /// Events matching the filter as points, by event id (duplicates left out).
            pub async fn event_points(&self, f: &PointFilter) -> Result<Vec<EventPoint>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT event_id, lon, lat, category, grid_code FROM event e \
                      WHERE NOT EXISTS (SELECT 1 FROM event_duplicate d WHERE d.event_id = e.event_id)",
                );
                if !f.categories.is_empty() {
                    q.push(" AND category IN (");
                    let mut list = q.separated(", ");
                    for c in &f.categories {
                        list.push_bind(c.as_str());
                    }
                    q.push(")");
                }
                if let Some(from) = f.from {
                    q.push(" AND reported_at >= ").push_bind(Time::from(from));
                }
                if let Some(to) = f.to {
                    q.push(" AND reported_at < ").push_bind(Time::from(to));
                }
                if let Some(township) = &f.township {
                    q.push(" AND township_code = ").push_bind(township.as_str());
                }
                if let Some(village) = &f.village {
                    q.push(" AND village_code = ").push_bind(village.as_str());
                }
                q.push(" ORDER BY event_id");
                let rows: Vec<PointRow> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events for the map"))?;
                rows.into_iter().map(PointRow::into_point).collect()
            }
        }
    };
}

figure_store!(SqliteStore, sqlx::Sqlite, sqlite);
figure_store!(PgStore, sqlx::Postgres, postgres);

/// An event with its actions as JSON text (`dialect!(_, actions_json)`), for the figures.
#[derive(sqlx::FromRow)]
struct HistoryRow {
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
    fn into_history(self) -> Result<EventHistory, StoreError> {
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
struct PointRow {
    event_id: String,
    lon: f64,
    lat: f64,
    category: String,
    grid_code: String,
}

impl PointRow {
    /// The point.
    fn into_point(self) -> Result<EventPoint, StoreError> {
        let key = Key { table: "event", code: &self.event_id };
        let category = key.parsed("category", &self.category, Category::parse)?;
        Ok(EventPoint { lon: self.lon, lat: self.lat, category, grid_code: self.grid_code })
    }
}

/// Reads back a time in the actions' JSON: RFC 3339 text (`Z` from SQLite, `+00:00` from
/// PostgreSQL).
fn parse_time(table: &'static str, code: &str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| StoreError::BadRow {
        table,
        code: code.to_owned(),
        reason: format!("bad time {text:?}: {e}"),
    })
}
