//! Events and their timeline in PostGIS: batched intake that several processes may run at
//! once, optimistic transitions, queues.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Transaction};
use wangge_core::calendar::china_time;
use wangge_core::event::{Category, Complexity, Holder, Tier};

use super::rows::{event_from_row, timeline_from_row, EVENT_COLUMNS};
use super::{ms, query, PgStore};
use crate::records::{EventFilter, EventRecord, Inserted, NewEvent, Page, Paged, TimelineEntry, TransitionWrite};
use crate::store::StoreError;

const OVERDUE: &str = "((state = 'assigned' AND verify_by < ?) OR (state IN ('assigned', 'accepted') AND done_by < ?))";

const TIMELINE_COLUMNS: &str =
    "seq, at, actor, tier, action, payload::text AS payload, state_after, holder_tier, holder_id";

impl PgStore {
    /// Inserts a batch of reports in one transaction (see [`crate::store::Store::insert_events`]).
    ///
    /// A report id stored by another process after this batch looked it up is not an error:
    /// the insert skips it (`ON CONFLICT DO NOTHING`) and the batch answers the stored event.
    pub async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, StoreError> {
        let mut attempt = 1;
        loop {
            match self.insert_batch(events).await {
                Err(e) if attempt < RETRIES && is_transient(&e) => {
                    tracing::warn!(attempt, "intake batch met a deadlock or serialization failure; retrying");
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// One attempt at [`Self::insert_events`].
    async fn insert_batch(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting an intake batch"))?;
        let report_ids: Vec<&str> = events.iter().map(|e| e.event.report_id.as_str()).collect();
        let stored = stored_by_report(&mut tx, &report_ids).await?;
        let (slots, mut fresh) = sort_batch(events, &stored);
        number(&mut tx, &mut fresh).await?;
        let created = insert_rows(&mut tx, &fresh).await?;
        let lost: Vec<&str> =
            fresh.iter().map(|e| e.report_id.as_str()).filter(|r| !created.contains(*r)).collect();
        let raced = stored_by_report(&mut tx, &lost).await?;
        // Timeline rows of the events created here, under their allocated ids.
        let mut entries = Vec::new();
        let mut seen = vec![false; fresh.len()];
        for (new, slot) in events.iter().zip(&slots) {
            if let Slot::New(i) = slot {
                let event = &fresh[*i];
                if created.contains(&event.report_id) && !std::mem::replace(&mut seen[*i], true) {
                    entries.extend(new.timeline.iter().map(|t| (event.event_id.as_str(), t)));
                }
            }
        }
        insert_entries(&mut tx, &entries).await?;
        tx.commit().await.map_err(query("committing an intake batch"))?;
        seen.fill(false);
        slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Stored(e) => Ok(Inserted::Existing(e.clone())),
                Slot::New(i) if !created.contains(&fresh[i].report_id) => {
                    let report_id = &fresh[i].report_id;
                    raced.get(report_id).cloned().map(Inserted::Existing).ok_or_else(|| StoreError::BadRow {
                        table: "event",
                        code: report_id.clone(),
                        reason: "the report id was taken, but its event cannot be read".into(),
                    })
                }
                Slot::New(i) if std::mem::replace(&mut seen[i], true) => Ok(Inserted::Existing(fresh[i].clone())),
                Slot::New(i) => Ok(Inserted::Created(fresh[i].clone())),
            })
            .collect()
    }

    /// One event.
    pub async fn event(&self, event_id: &str) -> Result<Option<EventRecord>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM event WHERE event_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_optional(&self.pool).await.map_err(query("reading an event"))?;
        row.as_ref().map(event_from_row).transpose()
    }

    /// An event's timeline, by seq.
    pub async fn timeline(&self, event_id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let sql = format!("SELECT {TIMELINE_COLUMNS} FROM event_transition WHERE event_id = $1 ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_all(&self.pool).await.map_err(query("reading a timeline"))?;
        rows.iter().map(|r| timeline_from_row(event_id, r)).collect()
    }

    /// Applies a transition if the event's seq is unchanged: a concurrent writer's UPDATE
    /// makes this one wait, re-check the seq and match nothing ([`StoreError::Stale`]).
    pub async fn apply_transition(&self, w: &TransitionWrite) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(query("starting a transition"))?;
        write_transition(&mut tx, w).await?;
        tx.commit().await.map_err(query("committing a transition"))
    }
}

/// A transition's row changes inside `tx`; stale if the event moved on meanwhile.
pub(super) async fn write_transition(tx: &mut Transaction<'_, Postgres>, w: &TransitionWrite) -> Result<(), StoreError> {
    let f = &w.flow;
    let d = f.deadlines;
    let (tier, id) = split(f.holder.as_ref());
    let (last_tier, last_id) = split(f.last_handler.as_ref());
    let done = sqlx::query(
        "UPDATE event SET state = $1, holder_tier = $2, holder_id = $3, since = $4, verify_by = $5, done_by = $6,
                last_handler_tier = $7, last_handler_id = $8, rating = $9, seq = $10, updated_at = $11,
                closed_at = $12
          WHERE event_id = $13 AND seq = $14",
    )
    .bind(f.state.as_str())
    .bind(tier)
    .bind(id)
    .bind(d.map(|d| ms(d.since)))
    .bind(d.map(|d| ms(d.verify_by)))
    .bind(d.map(|d| ms(d.done_by)))
    .bind(last_tier)
    .bind(last_id)
    .bind(f.rating.map(i16::from))
    .bind(w.entry.seq)
    .bind(ms(w.entry.at))
    .bind(w.closed_at.map(ms))
    .bind(&w.event_id)
    .bind(w.expected_seq)
    .execute(&mut **tx)
    .await
    .map_err(query("updating an event"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale { event_id: w.event_id.clone() });
    }
if let Some(r) = &w.regrid {
        sqlx::query("UPDATE event SET grid_code = $1, village_code = $2, township_code = $3 WHERE event_id = $4")
            .bind(&r.grid)
            .bind(&r.village)
            .bind(&r.township)
            .bind(&w.event_id)
            .execute(&mut **tx)
            .await
            .map_err(query("moving an event to its new grid"))?;
    }
    insert_entries(tx, &[(w.event_id.as_str(), &w.entry)]).await?;
    Ok(())
}

impl PgStore {
    /// One page of events, open ones first by deadline.
    pub async fn events(&self, filter: &EventFilter, page: Page) -> Result<Paged<EventRecord>, StoreError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM event");
        push_filter(&mut count, filter);
        let total: i64 =
            count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting events"))?;
        let mut list = QueryBuilder::<Postgres>::new(format!("SELECT {EVENT_COLUMNS} FROM event"));
        push_filter(&mut list, filter);
        // NULLS FIRST: the order SQLite gives.
        list.push(" ORDER BY closed_at IS NOT NULL, done_by NULLS FIRST, event_id LIMIT ");
        list.push_bind(i64::from(page.per_page));
        list.push(" OFFSET ");
        list.push_bind(page.offset());
        let rows = list.build().fetch_all(&self.pool).await.map_err(query("listing events"))?;
        let items = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page: page.page, per_page: page.per_page })
    }
}

/// Attempts at an intake batch that PostgreSQL aborted to break a deadlock.
const RETRIES: u32 = 3;

/// A deadlock (40P01) or serialization failure (40001): the whole transaction may be retried.
fn is_transient(e: &StoreError) -> bool {
    let StoreError::Query { source, .. } = e else { return false };
    let code = source.as_database_error().and_then(|d| d.code());
    matches!(code.as_deref(), Some("40P01" | "40001"))
}

/// Where each report of a batch ends up.
enum Slot<'a> {
    /// Stored before this batch.
    Stored(&'a EventRecord),
    /// New: the index among the batch's new events.
    New(usize),
}

/// The stored events of these report ids, by report id.
///
/// One index probe per report id (the `LIMIT 1` keeps the subquery a per-id lookup), planned
/// afresh for every batch: a plan cached by the connection while `event` was small (or never
/// analysed) is a sequential scan, and kept, it read the whole, growing table for every batch.
async fn stored_by_report(
    tx: &mut Transaction<'_, Postgres>,
    report_ids: &[&str],
) -> Result<HashMap<String, EventRecord>, StoreError> {
    if report_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT e.* FROM unnest($1::text[]) AS r(report_id)
           CROSS JOIN LATERAL (SELECT {EVENT_COLUMNS} FROM event WHERE event.report_id = r.report_id LIMIT 1) e"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(report_ids)
        .persistent(false)
        .fetch_all(&mut **tx)
        .await
        .map_err(query("looking up report ids"))?;
    rows.iter().map(|row| event_from_row(row).map(|e| (e.report_id.clone(), e))).collect()
}

/// Sorts a batch into reports stored before and new events (a report id repeated within the
/// batch is new once).
fn sort_batch<'a>(events: &[NewEvent], stored: &'a HashMap<String, EventRecord>) -> (Vec<Slot<'a>>, Vec<EventRecord>) {
    let mut fresh: Vec<EventRecord> = Vec::new();
    let mut by_report: HashMap<&str, usize> = HashMap::new();
    let mut slots = Vec::with_capacity(events.len());
    for new in events {
        let report_id = new.event.report_id.as_str();
        if let Some(e) = stored.get(report_id) {
            slots.push(Slot::Stored(e));
        } else if let Some(&i) = by_report.get(report_id) {
            slots.push(Slot::New(i));
        } else {
            by_report.insert(report_id, fresh.len());
            slots.push(Slot::New(fresh.len()));
            fresh.push(new.event.clone());
        }
    }
    (slots, fresh)
}

/// Gives each new event without an id the next numbers of its China-time day, in batch order.
async fn number(tx: &mut Transaction<'_, Postgres>, fresh: &mut [EventRecord]) -> Result<(), StoreError> {
    let day_of = |e: &EventRecord| e.reported_at.with_timezone(&china_time()).format("%Y%m%d").to_string();
    // Days in order, so two processes lock the counter rows in the same order.
    let mut needed: BTreeMap<String, i64> = BTreeMap::new();
    for e in fresh.iter().filter(|e| e.event_id.is_empty()) {
        *needed.entry(day_of(e)).or_default() += 1;
    }
    let mut next: HashMap<String, i64> = HashMap::new();
    for (day, n) in needed {
        let last = allocate(tx, &day, n).await?;
        next.insert(day, last - n + 1);
    }
    for e in fresh.iter_mut().filter(|e| e.event_id.is_empty()) {
        let day = day_of(e);
        let n = next.get_mut(&day).ok_or_else(|| StoreError::BadRow {
            table: "event_counter",
            code: day.clone(),
            reason: "no numbers were allocated for this day".into(),
        })?;
        e.event_id = format!("E{day}-{n:06}");
        *n += 1;
    }
    Ok(())
}

/// Takes `n` event numbers of `day`, answering the last: above both the counter and the highest
/// stored id (events inserted with their own ids are never collided with). The upsert locks
/// the day's counter row until commit, so another process allocates after this one.
async fn allocate(tx: &mut Transaction<'_, Postgres>, day: &str, n: i64) -> Result<i64, StoreError> {
    let highest: Option<String> = sqlx::query_scalar(
        "SELECT event_id FROM event WHERE event_id >= $1 AND event_id < $2 ORDER BY event_id DESC LIMIT 1",
    )
    .bind(format!("E{day}-"))
    .bind(format!("E{day}."))
    .fetch_optional(&mut **tx)
    .await
    .map_err(query("reading the last event id"))?;
    let stored = highest.and_then(|id| id.rsplit('-').next().and_then(|n| n.parse::<i64>().ok())).unwrap_or(0);
    sqlx::query_scalar(
        "INSERT INTO event_counter AS c (day, last) VALUES ($1, $2 + $3)
         ON CONFLICT (day) DO UPDATE SET last = GREATEST(c.last, $2) + $3
         RETURNING last",
    )
    .bind(day)
    .bind(stored)
    .bind(n)
    .fetch_one(&mut **tx)
    .await
    .map_err(query("allocating event numbers"))
}

/// Inserts new event rows in report-id order (two processes inserting overlapping batches
/// take the report ids' index locks in one order, so they cannot deadlock), skipping report
/// ids stored meanwhile; answers the report ids inserted.
///
/// One array per column: the statement text is the same whatever the batch size, so it is
/// parsed and planned once per connection, not for every batch.
async fn insert_rows(tx: &mut Transaction<'_, Postgres>, events: &[EventRecord]) -> Result<HashSet<String>, StoreError> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let mut rows: Vec<&EventRecord> = events.iter().collect();
    rows.sort_by(|a, b| a.report_id.cmp(&b.report_id));
    let rows = &rows;
    let deadline = |e: &EventRecord| e.flow.deadlines;
    let created: Vec<String> = sqlx::query_scalar(INSERT_EVENTS)
        .bind(column(rows, |e| e.event_id.as_str()))
        .bind(column(rows, |e| e.report_id.as_str()))
        .bind(column(rows, |e| e.fingerprint.as_str()))
        .bind(column(rows, |e| e.category.as_str()))
        .bind(column(rows, |e| e.subcategory.as_deref()))
        .bind(column(rows, |e| e.description.as_str()))
        .bind(column(rows, |e| e.location.lon))
        .bind(column(rows, |e| e.location.lat))
        .bind(column(rows, |e| e.place.grid.as_str()))
        .bind(column(rows, |e| e.place.village.as_str()))
        .bind(column(rows, |e| e.place.township.as_str()))
        .bind(column(rows, |e| e.reporter.kind.as_str()))
        .bind(column(rows, |e| e.reporter.person_id.as_deref()))
        .bind(column(rows, |e| e.reporter.name.as_deref()))
        .bind(column(rows, |e| e.reporter.phone.as_deref()))
        .bind(column(rows, |e| e.channel.as_str()))
        .bind(column(rows, |e| complexity_str(e.flow.complexity)))
        .bind(column(rows, |e| e.flow.state.as_str()))
        .bind(column(rows, |e| split(e.flow.holder.as_ref()).0))
        .bind(column(rows, |e| split(e.flow.holder.as_ref()).1))
        .bind(column(rows, |e| deadline(e).map(|d| ms(d.since))))
        .bind(column(rows, |e| deadline(e).map(|d| ms(d.verify_by))))
        .bind(column(rows, |e| deadline(e).map(|d| ms(d.done_by))))
        .bind(column(rows, |e| split(e.flow.last_handler.as_ref()).0))
        .bind(column(rows, |e| split(e.flow.last_handler.as_ref()).1))
        .bind(column(rows, |e| e.flow.rating.map(i16::from)))
        .bind(column(rows, |e| e.patrol_flag))
        .bind(column(rows, |e| e.seq))
        .bind(column(rows, |e| ms(e.reported_at)))
        .bind(column(rows, |e| ms(e.updated_at)))
        .bind(column(rows, |e| e.closed_at.map(ms)))
        .fetch_all(&mut **tx)
        .await
        .map_err(query("inserting events"))?;
    Ok(created.into_iter().collect())
}

/// Inserts the rows of `events`, given one array per column (in this order).
const INSERT_EVENTS: &str = "INSERT INTO event (event_id, report_id, request_fingerprint, category, subcategory,
        description, lon, lat, grid_code, village_code, township_code, reporter_kind, reporter_person_id,
        reporter_name, reporter_phone, channel, complexity, state, holder_tier, holder_id, since, verify_by,
        done_by, last_handler_tier, last_handler_id, rating, patrol_flag, seq, reported_at, updated_at, closed_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
        $7::float8[], $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
        $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
        $21::timestamptz[], $22::timestamptz[], $23::timestamptz[], $24::text[], $25::text[],
        $26::int2[], $27::bool[], $28::int8[], $29::timestamptz[], $30::timestamptz[], $31::timestamptz[])
    ON CONFLICT (report_id) DO NOTHING RETURNING report_id";

/// Appends timeline rows in one statement, one array per column (the same statement text
/// for one row or thousands).
async fn insert_entries(tx: &mut Transaction<'_, Postgres>, rows: &[(&str, &TimelineEntry)]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO event_transition (event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id)
         SELECT event_id, seq, at, actor, tier, action, payload::jsonb, state_after, holder_tier, holder_id
           FROM unnest($1::text[], $2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[])
             AS t(event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id)",
    )
    .bind(column(rows, |(event_id, _)| *event_id))
    .bind(column(rows, |(_, t)| t.seq))
    .bind(column(rows, |(_, t)| ms(t.at)))
    .bind(column(rows, |(_, t)| t.actor.as_str()))
    .bind(column(rows, |(_, t)| t.tier.map(Tier::as_str)))
    .bind(column(rows, |(_, t)| t.action.as_str()))
    .bind(column(rows, |(_, t)| t.payload.to_string()))
    .bind(column(rows, |(_, t)| t.state_after.as_str()))
    .bind(column(rows, |(_, t)| split(t.holder_after.as_ref()).0))
    .bind(column(rows, |(_, t)| split(t.holder_after.as_ref()).1))
    .execute(&mut **tx)
    .await
    .map_err(query("appending to timelines"))?;
    Ok(())
}

/// One column of `rows`, as an array to bind.
fn column<'a, R, T>(rows: &'a [R], value: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

fn push_filter(qb: &mut QueryBuilder<Postgres>, f: &EventFilter) {
    qb.push(" WHERE true");
    if !f.states.is_empty() {
        let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
        qb.push(" AND state = ANY(").push_bind(states).push(")");
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
        let now = ms(f.now.unwrap_or_else(crate::clock::system_now));
        qb.push(if overdue { " AND " } else { " AND NOT coalesce(" });
        let mut parts = OVERDUE.split('?');
        qb.push(parts.next().unwrap_or_default()).push_bind(now);
        qb.push(parts.next().unwrap_or_default()).push_bind(now);
        qb.push(parts.next().unwrap_or_default());
        if !overdue {
            qb.push(", false)");
        }
    }
    let times: [(&str, Option<DateTime<Utc>>); 3] = [
        (" AND state IN ('assigned', 'accepted') AND done_by < ", f.done_before),
        (" AND reported_at >= ", f.from),
        (" AND reported_at < ", f.to),
    ];
    for (clause, t) in times {
        if let Some(t) = t {
            qb.push(clause).push_bind(ms(t));
        }
    }
}

fn split(holder: Option<&Holder>) -> (Option<&'static str>, Option<&str>) {
    match holder {
        Some(h) => (Some(h.tier.as_str()), Some(h.id.as_str())),
        None => (None, None),
    }
}

fn complexity_str(c: Complexity) -> &'static str {
    match c {
        Complexity::Ordinary => "ordinary",
        Complexity::Complex => "complex",
    }
}
