//! Events read for the figures and the map, written once for both backends: one row per event,
//! its actions gathered by the database into one compact JSON array (a row per timeline entry
//! costs a round of decoding per entry; the payloads are not needed), and events as points
//! (where, what, which grid: nothing personal).

use super::rows::{HistoryRow, PointRow};
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::map::{EventPoint, PointFilter};
use crate::stats::{EventHistory, StatsFilter};

/// The figures and map methods of one backend (`sqlite` or `postgres`).
macro_rules! figure_store {
    ($store:ty, $db:ty, $dialect:ident) => {
        impl $store {
            /// Events reported in the filter's period with their timelines, by event id.
            pub async fn histories(&self, f: &StatsFilter) -> Result<Vec<EventHistory>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT e.event_id, e.category, e.complexity, e.state, e.grid_code, e.village_code,
                            e.township_code, (SELECT ",
                    dialect!($dialect, actions_json),
                    " FROM event_transition t WHERE t.event_id = e.event_id AND t.action <> 'reported') AS actions
                       FROM event e
                      WHERE e.reported_at >= "
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

            /// Events matching the filter as points, by event id.
            pub async fn event_points(&self, f: &PointFilter) -> Result<Vec<EventPoint>, StoreError> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT event_id, lon, lat, category, grid_code FROM event WHERE true",
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
