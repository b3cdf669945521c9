//! Events read for the figures and the map, written once for both backends: one row per event,
//! its actions gathered by the database into one compact JSON array (a row per timeline entry
//! costs a round of decoding per entry; the payloads are not needed), and events as points
//! (where, what, which grid: nothing personal).

use chrono::{DateTime, Utc};
use wangge_core::event::{overdue_from, Category, Holder, State, Tier};

use super::events::{parse_complexity, Key};
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::Place;
use crate::records::{ChangeMark, Changed, EventPoint, FactRow, PointFilter};
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

            /// The events as the in-memory figures read them ([`FactRowRaw`]), up to `WHERE `:
            /// the caller adds which.
            fn fact_query() -> sqlx::QueryBuilder<$db> {
                sqlx::QueryBuilder::new(concat!(
                    "SELECT e.event_id, e.category, e.complexity, e.state, e.grid_code, e.village_code,
                            e.township_code, (SELECT ",
                    dialect!($dialect, actions_json),
                    " FROM event_transition t WHERE t.event_id = e.event_id AND t.action <> 'reported') AS actions,
                            e.lon, e.lat, e.reported_at, e.verify_by, e.done_by,
                            EXISTS (SELECT 1 FROM event_duplicate d WHERE d.event_id = e.event_id) AS duplicate
                       FROM event e WHERE "
                ))
            }

            /// Up to `limit` events after `after` in event id order (from the first when
            /// `None`), as the in-memory figures keep them, duplicates included and marked.
            pub async fn fact_rows_after(&self, after: Option<&str>, limit: u32) -> Result<Vec<FactRow>, StoreError> {
                let mut q = Self::fact_query();
                match after {
                    Some(id) => q.push("e.event_id > ").push_bind(id),
                    None => q.push("TRUE"),
                };
                q.push(" ORDER BY e.event_id LIMIT ").push_bind(i64::from(limit));
                let rows: Vec<FactRowRaw> =
                    q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events for the figures"))?;
                rows.into_iter().map(FactRowRaw::into_fact).collect()
            }

            /// The events listed, as the in-memory figures keep them (an id not stored is left
            /// out).
            pub async fn fact_rows_of(&self, ids: &[String]) -> Result<Vec<FactRow>, StoreError> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let mut q = Self::fact_query();
                    q.push("e.event_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.as_str());
                    }
                    q.push(")");
                    let rows: Vec<FactRowRaw> =
                        q.build_query_as().fetch_all(&self.pool).await.map_err(query("reading changed events for the figures"))?;
                    for row in rows {
                        out.push(row.into_fact()?);
                    }
                }
                Ok(out)
            }

            /// Forgets the log of event changes older than `before` (every process has read it
            /// long since; one that has not rebuilds its figures).
            pub async fn prune_event_changes(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM event_change WHERE changed_at < $1")
                    .bind(Time::from(before))
                    .execute(&self.pool)
                    .await
                    .map_err(query("pruning the log of event changes"))?;
                Ok(done.rows_affected())
            }
        }
    };
}

/// Most change rows read at once: beyond it a process rebuilds its figures instead.
pub const CHANGES_READ_MAX: i64 = 100_000;

impl SqliteStore {
    /// Where the log of event changes ends now.
    pub async fn event_change_mark(&self) -> Result<ChangeMark, StoreError> {
        let last: i64 = sqlx::query_scalar("SELECT coalesce(max(change_id), 0) FROM event_change")
            .fetch_one(&self.pool)
            .await
            .map_err(query("reading the log of event changes"))?;
        Ok(ChangeMark::Sqlite(last))
    }

    /// The events changed after `mark` (`None`: too many, or a mark of the other store; rebuild).
    pub async fn events_changed_since(&self, mark: ChangeMark) -> Result<Option<Changed>, StoreError> {
        let ChangeMark::Sqlite(after) = mark else { return Ok(None) };
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT change_id, event_id FROM event_change WHERE change_id > $1 ORDER BY change_id LIMIT $2")
                .bind(after)
                .bind(CHANGES_READ_MAX)
                .fetch_all(&self.pool)
                .await
                .map_err(query("reading the log of event changes"))?;
        if rows.len() >= usize::try_from(CHANGES_READ_MAX).unwrap_or(usize::MAX) {
            return Ok(None);
        }
        let last = rows.last().map_or(after, |r| r.0);
        Ok(Some(Changed { event_ids: distinct(rows.into_iter().map(|r| r.1)), mark: ChangeMark::Sqlite(last) }))
    }
}

impl PgStore {
    /// The oldest transaction running now: every change committed later has this id or a
    /// later one.
    pub async fn event_change_mark(&self) -> Result<ChangeMark, StoreError> {
        let xmin: String = sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
            .fetch_one(&self.pool)
            .await
            .map_err(query("reading the transaction horizon"))?;
        horizon(&xmin)
    }

    /// The events changed by transactions from `mark` on (`None`: too many, or a mark of the
    /// other store; rebuild), and the next mark. One statement, so one snapshot: the log is
    /// read as of the snapshot whose horizon is the next mark. A transaction that snapshot does
    /// not see was running then (its id at or after the horizon) or began later (a later id),
    /// so the next read finds its rows.
    pub async fn events_changed_since(&self, mark: ChangeMark) -> Result<Option<Changed>, StoreError> {
        let ChangeMark::Postgres(from) = mark else { return Ok(None) };
        // The horizon spelled out, not bound, and the rows in its order: a generic plan, or a
        // log not analyzed since a bulk load, would otherwise scan the whole log; this way the
        // index serves whatever the statistics say.
        let sql = format!(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
                    ARRAY(SELECT event_id FROM event_change WHERE txid >= '{from}'::xid8 ORDER BY txid LIMIT {CHANGES_READ_MAX})"
        );
        let (next, ids): (String, Vec<String>) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .fetch_one(&self.pool)
            .await
            .map_err(query("reading the log of event changes"))?;
        if ids.len() >= usize::try_from(CHANGES_READ_MAX).unwrap_or(usize::MAX) {
            return Ok(None);
        }
        Ok(Some(Changed { event_ids: distinct(ids.into_iter()), mark: horizon(&next)? }))
    }
}

/// A transaction horizon as PostgreSQL writes it.
fn horizon(xmin: &str) -> Result<ChangeMark, StoreError> {
    let id = xmin.parse::<u64>().map_err(|e| StoreError::BadRow {
        table: "pg_current_snapshot",
        code: xmin.to_owned(),
        reason: format!("not a transaction id: {e}"),
    })?;
    Ok(ChangeMark::Postgres(id))
}

/// Each id once, in first-seen order.
fn distinct(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.filter(|id| seen.insert(id.clone())).collect()
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

/// An event as the in-memory figures read it.
#[derive(sqlx::FromRow)]
struct FactRowRaw {
    #[sqlx(flatten)]
    history: HistoryRow,
    lon: f64,
    lat: f64,
    reported_at: Time,
    verify_by: Option<Time>,
    done_by: Option<Time>,
    duplicate: bool,
}

impl FactRowRaw {
    fn into_fact(self) -> Result<FactRow, StoreError> {
        let history = self.history.into_history()?;
        let overdue_from = overdue_from(history.state, self.verify_by.map(Into::into), self.done_by.map(Into::into));
        Ok(FactRow {
            history,
            lon: self.lon,
            lat: self.lat,
            reported_at: self.reported_at.into(),
            duplicate: self.duplicate,
            overdue_from,
            done_by: self.done_by.map(Into::into),
        })
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
