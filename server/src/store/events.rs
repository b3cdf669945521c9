//! Events and their timelines, written once for both backends: reading them back, optimistic
//! transitions and the queues. (Batched intake differs: see each backend's `intake`.)

use wangge_core::event::{Category, Complexity, Deadlines, Holder, Loop, State, Tier};
use wangge_core::LonLat;

use super::dialect::Backend;
use super::time::Time;
use super::{query, PgStore, SqliteStore, StoreError};
use crate::records::{Channel, EventFilter, EventRecord, Page, Paged, Place, Reporter, ReporterKind};
use crate::records::{TimelineEntry, TransitionWrite};

/// The columns of [`EventRow`], as a literal for `concat!`.
macro_rules! event_columns {
    () => {
        "event_id, report_id, request_fingerprint, category, subcategory, description, lon, lat, grid_code,
         village_code, township_code, reporter_kind, reporter_person_id, reporter_name, reporter_phone, channel,
         complexity, state, holder_tier, holder_id, since, verify_by, done_by, last_handler_tier, last_handler_id,
         rating, patrol_flag, seq, reported_at, updated_at, closed_at"
    };
}

/// The columns of [`EventRow`].
pub(super) const EVENT_COLUMNS: &str = event_columns!();

const EVENT: &str = concat!("SELECT ", event_columns!(), " FROM event WHERE event_id = $1");
const TIMELINE: &str = "SELECT seq, at, actor, tier, action, CAST(payload AS TEXT) AS payload, state_after,
        holder_tier, holder_id
   FROM event_transition WHERE event_id = $1 ORDER BY seq";
const UPDATE_EVENT: &str = "UPDATE event SET state = $1, holder_tier = $2, holder_id = $3, since = $4, verify_by = $5,
        done_by = $6, last_handler_tier = $7, last_handler_id = $8, rating = $9, seq = $10, updated_at = $11,
        closed_at = $12
  WHERE event_id = $13 AND seq = $14";
const REGRID_EVENT: &str =
    "UPDATE event SET grid_code = $1, village_code = $2, township_code = $3 WHERE event_id = $4";

/// The events and timeline methods of one backend.
macro_rules! event_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One event.
            pub async fn event(&self, event_id: &str) -> Result<Option<EventRecord>, StoreError> {
                let row: Option<EventRow> = sqlx::query_as(EVENT)
                    .bind(event_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query("reading an event"))?;
                row.map(EventRow::into_record).transpose()
            }

            /// An event's timeline, by seq.
            pub async fn timeline(&self, event_id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
                let rows: Vec<TimelineRow> = sqlx::query_as(TIMELINE)
                    .bind(event_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query("reading a timeline"))?;
                rows.into_iter().map(|r| r.into_entry(event_id)).collect()
            }

            /// Applies a transition if the event's seq is unchanged (on PostGIS a concurrent
            /// writer's UPDATE makes this one wait, re-check the seq and match nothing).
            pub async fn apply_transition(&self, w: &TransitionWrite) -> Result<(), StoreError> {
                let mut tx = self.begin_write("starting a transition").await?;
                Self::write_transition(&mut tx, w).await?;
                tx.commit().await.map_err(query("committing a transition"))
            }

            /// A transition's row changes inside `tx`; [`StoreError::Stale`] if the event moved
            /// on meanwhile.
            pub(super) async fn write_transition(
                tx: &mut sqlx::Transaction<'_, $db>,
                w: &TransitionWrite,
            ) -> Result<(), StoreError> {
                let f = &w.flow;
                let d = f.deadlines;
                let (tier, id) = split(f.holder.as_ref());
                let (last_tier, last_id) = split(f.last_handler.as_ref());
                let done = sqlx::query(UPDATE_EVENT)
                    .bind(f.state.as_str())
                    .bind(tier)
                    .bind(id)
                    .bind(d.map(|d| Time::from(d.since)))
                    .bind(d.map(|d| Time::from(d.verify_by)))
                    .bind(d.map(|d| Time::from(d.done_by)))
                    .bind(last_tier)
                    .bind(last_id)
                    .bind(f.rating.map(i16::from))
                    .bind(w.entry.seq)
                    .bind(Time::from(w.entry.at))
                    .bind(w.closed_at.map(Time::from))
                    .bind(&w.event_id)
                    .bind(w.expected_seq)
                    .execute(&mut **tx)
                    .await
                    .map_err(query("updating an event"))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Stale { event_id: w.event_id.clone() });
                }
                if let Some(r) = &w.regrid {
                    sqlx::query(REGRID_EVENT)
                        .bind(&r.grid)
                        .bind(&r.village)
                        .bind(&r.township)
                        .bind(&w.event_id)
                        .execute(&mut **tx)
                        .await
                        .map_err(query("moving an event to its new grid"))?;
                }
                Self::insert_entries(tx, &[(w.event_id.as_str(), &w.entry)]).await?;
                Self::insert_attachment_rows(tx, super::attachments::PhotoOf::Event { event_id: &w.event_id, seq: w.entry.seq }, &w.attachments).await
            }

            /// One page of events, open ones first by deadline, and how many match in all:
            /// the count and the page on two connections at once.
            pub async fn events(&self, filter: &EventFilter, page: Page) -> Result<Paged<EventRecord>, StoreError> {
                let (total, items) = tokio::try_join!(self.event_count(filter), self.event_page(filter, page))?;
                Ok(Paged { items, total, page: page.page, per_page: page.per_page })
            }

            /// How many events match.
            pub async fn event_count(&self, filter: &EventFilter) -> Result<i64, StoreError> {
                let mut count = sqlx::QueryBuilder::<$db>::new("SELECT count(*) FROM event");
                Self::push_event_filter(&mut count, filter);
                count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting events"))
            }

            /// One page of the events that match, open ones first by deadline.
            pub async fn event_page(&self, filter: &EventFilter, page: Page) -> Result<Vec<EventRecord>, StoreError> {
                let mut list = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", event_columns!(), " FROM event"));
                Self::push_event_filter(&mut list, filter);
                // NULLS FIRST: SQLite's order, spelled out for PostgreSQL.
                list.push(" ORDER BY closed_at IS NOT NULL, done_by NULLS FIRST, event_id LIMIT ");
                list.push_bind(i64::from(page.per_page));
                list.push(" OFFSET ");
                list.push_bind(page.offset());
                let rows: Vec<EventRow> =
                    list.build_query_as().fetch_all(&self.pool).await.map_err(query("listing events"))?;
                rows.into_iter().map(EventRow::into_record).collect()
            }

            /// The stored events of these ids, in no particular order (an id not stored is
            /// left out).
            pub async fn events_by_id(&self, ids: &[String]) -> Result<Vec<EventRecord>, StoreError> {
                let mut rows: Vec<EventRow> = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let mut list = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", event_columns!(), " FROM event WHERE event_id IN ("));
                    let mut each = list.separated(", ");
                    for id in chunk {
                        each.push_bind(id.as_str());
                    }
                    list.push(")");
                    rows.extend(list.build_query_as().fetch_all(&self.pool).await.map_err(query("reading events by id"))?);
                }
                rows.into_iter().map(EventRow::into_record).collect()
            }

            fn push_event_filter(qb: &mut sqlx::QueryBuilder<$db>, f: &EventFilter) {
                qb.push(" WHERE true");
                if !f.states.is_empty() {
                    qb.push(" AND state IN (");
                    let mut list = qb.separated(", ");
                    for s in &f.states {
                        list.push_bind(s.as_str());
                    }
                    qb.push(")");
                }
                let eq = [
                    ("holder_tier", f.tier.map(Tier::as_str)),
                    ("holder_id", f.holder.as_deref()),
                    ("township_code", f.township.as_deref()),
                    ("village_code", f.village.as_deref()),
                    ("grid_code", f.grid.as_deref()),
                    ("category", f.category.map(Category::as_str)),
                ];
                for (column, value) in eq {
                    if let Some(v) = value {
                        qb.push(format_args!(" AND {column} = ")).push_bind(v);
                    }
                }
                if let Some(overdue) = f.overdue {
                    let now = Time::from(f.now.unwrap_or_else(crate::clock::system_now));
                    // Redundant for the answer, but it lets the open events' own indexes
                    // serve a division's overdue events instead of all its events.
                    qb.push(if overdue { " AND state IN ('assigned', 'accepted') AND " } else { " AND NOT coalesce(" });
                    qb.push("((state = 'assigned' AND verify_by < ").push_bind(now);
                    qb.push(") OR (state IN ('assigned', 'accepted') AND done_by < ").push_bind(now).push("))");
                    if !overdue {
                        qb.push(", false)");
                    }
                }
                if let Some([min_lon, min_lat, max_lon, max_lat]) = f.within_box {
                    qb.push(" AND lat BETWEEN ").push_bind(min_lat).push(" AND ").push_bind(max_lat);
                    qb.push(" AND lon BETWEEN ").push_bind(min_lon).push(" AND ").push_bind(max_lon);
                }
                let times = [
                    (" AND state IN ('assigned', 'accepted') AND done_by < ", f.done_before),
                    (" AND reported_at >= ", f.from),
                    (" AND reported_at < ", f.to),
                ];
                for (clause, t) in times {
                    if let Some(t) = t {
                        qb.push(clause).push_bind(Time::from(t));
                    }
                }
            }
        }
    };
}

event_store!(SqliteStore, sqlx::Sqlite);
event_store!(PgStore, sqlx::Postgres);

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

/// A complexity read back.
pub(super) fn parse_complexity(text: &str) -> Option<Complexity> {
    match text {
        "ordinary" => Some(Complexity::Ordinary),
        "complex" => Some(Complexity::Complex),
        _ => None,
    }
}

/// A row's table and key, for errors.
pub(super) struct Key<'a> {
    pub(super) table: &'static str,
    pub(super) code: &'a str,
}

impl Key<'_> {
    /// The row cannot be read back, because of `reason`.
    pub(super) fn bad(&self, reason: String) -> StoreError {
        StoreError::BadRow { table: self.table, code: self.code.to_owned(), reason }
    }

    /// A text column parsed, or an error naming it.
    pub(super) fn parsed<T>(&self, column: &str, text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
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
