//! Batched intake in PostGIS, which several processes may run at once: numbers are taken from
//! the day's counter row under its lock, a report id stored meanwhile by another process is
//! answered with its stored event, and a deadlock is retried.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::{Postgres, Transaction};
use wangge_core::access::{AuditKey, ChainHead};
use wangge_core::calendar::china_time;

use super::{column, query, PgStore};
use crate::records::{EventRecord, Inserted, NewEvent};
use crate::store::audit_log::creation_row;
use crate::store::events::{complexity_str, split, EventRow, EVENT_COLUMNS};
use crate::store::{dialect::Backend, time::Time, StoreError};

impl PgStore {
    /// Inserts a batch of reports in one transaction (see [`crate::store::Store::insert_events`]).
    ///
    /// A report id stored by another process after this batch looked it up is not an error:
    /// the insert skips it (`ON CONFLICT DO NOTHING`) and the batch answers the stored event.
    pub async fn insert_events(
        &self,
        events: &[NewEvent],
        key: Option<&AuditKey>,
    ) -> Result<(Vec<Inserted>, Option<ChainHead>), StoreError> {
        let mut attempt = 1;
        loop {
            match self.insert_batch(events, key).await {
                Err(e) if attempt < RETRIES && is_transient(&e) => {
                    tracing::warn!(attempt, "intake batch met a deadlock or serialization failure; retrying");
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// One attempt at [`Self::insert_events`].
    async fn insert_batch(
        &self,
        events: &[NewEvent],
        key: Option<&AuditKey>,
    ) -> Result<(Vec<Inserted>, Option<ChainHead>), StoreError> {
        let mut tx = self.begin_write("starting an intake batch").await?;
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
        let mut photos = Vec::new();
        let mut audited = Vec::new();
        let mut seen = vec![false; fresh.len()];
        for (new, slot) in events.iter().zip(&slots) {
            if let Slot::New(i) = slot {
                let event = &fresh[*i];
                if created.contains(&event.report_id) && !std::mem::replace(&mut seen[*i], true) {
                    entries.extend(new.timeline.iter().map(|t| (event.event_id.as_str(), t)));
                    photos.push((event.event_id.as_str(), &new.attachments));
                    audited.extend(creation_row(new, event));
                }
            }
        }
        Self::insert_entries(&mut tx, &entries).await?;
        // The photos of the events created here, in the same transaction (bytes included).
        for (event_id, attachments) in photos {
            Self::insert_attachment_rows(&mut tx, crate::store::attachments::PhotoOf::Event { event_id, seq: 1 }, attachments).await?;
        }
        let sealed = Self::seal_changes(&mut tx, key, audited).await?;
        tx.commit().await.map_err(query("committing an intake batch"))?;
        seen.fill(false);
        let head = sealed.last().map(ChainHead::after);
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
            .collect::<Result<Vec<_>, _>>()
            .map(|inserted| (inserted, head))
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
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(report_ids)
        .persistent(false)
        .fetch_all(&mut **tx)
        .await
        .map_err(query("looking up report ids"))?;
    rows.into_iter().map(|row| row.into_record().map(|e| (e.report_id.clone(), e))).collect()
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
        .bind(column(rows, |e| deadline(e).map(|d| Time::from(d.since))))
        .bind(column(rows, |e| deadline(e).map(|d| Time::from(d.verify_by))))
        .bind(column(rows, |e| deadline(e).map(|d| Time::from(d.done_by))))
        .bind(column(rows, |e| split(e.flow.last_handler.as_ref()).0))
        .bind(column(rows, |e| split(e.flow.last_handler.as_ref()).1))
        .bind(column(rows, |e| e.flow.rating.map(i16::from)))
        .bind(column(rows, |e| e.patrol_flag))
        .bind(column(rows, |e| e.seq))
        .bind(column(rows, |e| Time::from(e.reported_at)))
        .bind(column(rows, |e| Time::from(e.updated_at)))
        .bind(column(rows, |e| e.closed_at.map(Time::from)))
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
