//! Batched intake in SQLite: one write transaction numbers a batch's new events from the
//! day's counter and inserts them, many rows per statement.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, Transaction};
use wangge_core::access::{AuditKey, ChainHead};
use wangge_core::calendar::china_time;

use super::{query, SqliteStore, ROWS_PER_STATEMENT};
use crate::records::{EventRecord, Inserted, NewEvent};
use crate::store::audit_log::creation_row;
use crate::store::events::{complexity_str, split, EventRow, EVENT_COLUMNS};
use crate::store::{dialect::Backend, time::Time, StoreError};

impl SqliteStore {
    /// Inserts a batch of reports in one transaction (see [`crate::store::Store::insert_events`]).
    pub async fn insert_events(
        &self,
        events: &[NewEvent],
        key: Option<&AuditKey>,
    ) -> Result<(Vec<Inserted>, Option<ChainHead>), StoreError> {
        let mut tx = self.begin_write("starting an intake batch").await?;
        let mut counters = Counters::default();
        let (slots, fresh) = sort_batch(&mut tx, events, &mut counters).await?;
        insert_rows(&mut tx, &fresh).await?;
        // Timeline rows of the events created here, under their allocated ids.
        let mut entries = Vec::new();
        let mut photos = Vec::new();
        let mut audited = Vec::new();
        let mut seen = vec![false; fresh.len()];
        for (new, slot) in events.iter().zip(&slots) {
            if let Slot::New(i) = slot {
                if !std::mem::replace(&mut seen[*i], true) {
                    entries.extend(new.timeline.iter().map(|t| (fresh[*i].event_id.as_str(), t)));
                    photos.push((fresh[*i].event_id.as_str(), &new.attachments));
                    audited.extend(creation_row(new, &fresh[*i]));
                }
            }
        }
        Self::insert_entries(&mut tx, &entries).await?;
        // The photos' rows of the events created here (their files were staged before).
        for (event_id, attachments) in photos {
            Self::insert_attachment_rows(&mut tx, crate::store::attachments::PhotoOf::Event { event_id, seq: 1 }, attachments).await?;
        }
        counters.save(&mut tx).await?;
        let sealed = Self::seal_changes(&mut tx, key, audited).await?;
        tx.commit().await.map_err(query("committing an intake batch"))?;
        seen.fill(false);
        let inserted = slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Stored(e) => Inserted::Existing(*e),
                Slot::New(i) if std::mem::replace(&mut seen[i], true) => Inserted::Existing(fresh[i].clone()),
                Slot::New(i) => Inserted::Created(fresh[i].clone()),
            })
            .collect();
        Ok((inserted, sealed.last().map(ChainHead::after)))
    }
}

/// Event numbers handed out in this transaction, per China-time day.
#[derive(Default)]
struct Counters(HashMap<String, i64>);

impl Counters {
    /// The last number used on `day`: the larger of the counter and the highest stored id, so
    /// events inserted with their own ids are never collided with.
    async fn last(&mut self, tx: &mut Transaction<'_, Sqlite>, day: &str) -> Result<i64, StoreError> {
        if let Some(n) = self.0.get(day) {
            return Ok(*n);
        }
        let counter: Option<i64> = sqlx::query_scalar("SELECT last FROM event_counter WHERE day = ?")
            .bind(day)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query("reading the event counter"))?;
        let highest: Option<String> =
            sqlx::query_scalar("SELECT event_id FROM event WHERE event_id >= ? AND event_id < ? ORDER BY event_id DESC LIMIT 1")
                .bind(format!("E{day}-"))
                .bind(format!("E{day}."))
                .fetch_optional(&mut **tx)
                .await
                .map_err(query("reading the last event id"))?;
        let stored = highest.and_then(|id| id.rsplit('-').next().and_then(|n| n.parse::<i64>().ok()));
        let last = counter.unwrap_or(0).max(stored.unwrap_or(0));
        self.0.insert(day.to_owned(), last);
        Ok(last)
    }

    async fn save(&self, tx: &mut Transaction<'_, Sqlite>) -> Result<(), StoreError> {
        for (day, last) in &self.0 {
            sqlx::query(
                "INSERT INTO event_counter (day, last) VALUES (?, ?)
                 ON CONFLICT (day) DO UPDATE SET last = max(last, excluded.last)",
            )
            .bind(day)
            .bind(last)
            .execute(&mut **tx)
            .await
            .map_err(query("saving the event counter"))?;
        }
        Ok(())
    }
}

/// Where each report of a batch ends up.
enum Slot {
    /// Stored before this batch.
    Stored(Box<EventRecord>),
    /// New: the index among the batch's new events.
    New(usize),
}

/// The events of this batch whose report ids were stored before, by report id.
async fn already_stored(
    tx: &mut Transaction<'_, Sqlite>,
    events: &[NewEvent],
) -> Result<HashMap<String, EventRecord>, StoreError> {
    let mut found = HashMap::new();
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {EVENT_COLUMNS} FROM event WHERE report_id IN ("));
        let mut ids = q.separated(", ");
        for new in chunk {
            ids.push_bind(new.event.report_id.as_str());
        }
        q.push(")");
        let rows: Vec<EventRow> =
            q.build_query_as().persistent(false).fetch_all(&mut **tx).await.map_err(query("looking up report ids"))?;
        for row in rows {
            let e = row.into_record()?;
            found.insert(e.report_id.clone(), e);
        }
    }
    Ok(found)
}

/// Sorts a batch into reports stored before and new events (a report id repeated within the
/// batch is new once), numbering the new ones.
async fn sort_batch(
    tx: &mut Transaction<'_, Sqlite>,
    events: &[NewEvent],
    counters: &mut Counters,
) -> Result<(Vec<Slot>, Vec<EventRecord>), StoreError> {
    let mut stored = already_stored(tx, events).await?;
    let mut fresh: Vec<EventRecord> = Vec::new();
    let mut by_report: HashMap<&str, usize> = HashMap::new();
    let mut slots = Vec::with_capacity(events.len());
    for new in events {
        let report_id = new.event.report_id.as_str();
        if let Some(e) = stored.get(report_id) {
            slots.push(Slot::Stored(Box::new(e.clone())));
            continue;
        }
        if let Some(&i) = by_report.get(report_id) {
            slots.push(Slot::New(i));
            continue;
        }
        let mut event = new.event.clone();
        if event.event_id.is_empty() {
            let day = event.reported_at.with_timezone(&china_time()).format("%Y%m%d").to_string();
            let next = counters.last(tx, &day).await? + 1;
            event.event_id = format!("E{day}-{next:06}");
            counters.0.insert(day, next);
        }
        by_report.insert(report_id, fresh.len());
        slots.push(Slot::New(fresh.len()));
        fresh.push(event);
    }
    stored.clear();
    Ok((slots, fresh))
}

/// Inserts new event rows, many per statement.
async fn insert_rows(tx: &mut Transaction<'_, Sqlite>, events: &[EventRecord]) -> Result<(), StoreError> {
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO event (event_id, report_id, request_fingerprint, category, subcategory, description, lon, lat,
                grid_code, village_code, township_code, reporter_kind, reporter_person_id, reporter_name,
                reporter_phone, channel, complexity, state, holder_tier, holder_id, since, verify_by, done_by,
                last_handler_tier, last_handler_id, rating, patrol_flag, seq, reported_at, updated_at, closed_at) ",
        );
        q.push_values(chunk, |mut b, e| {
            let f = &e.flow;
            let d = f.deadlines;
            let (tier, id) = split(f.holder.as_ref());
            let (last_tier, last_id) = split(f.last_handler.as_ref());
            b.push_bind(e.event_id.as_str())
                .push_bind(e.report_id.as_str())
                .push_bind(e.fingerprint.as_str())
                .push_bind(e.category.as_str())
                .push_bind(e.subcategory.as_deref())
                .push_bind(e.description.as_str())
                .push_bind(e.location.lon)
                .push_bind(e.location.lat)
                .push_bind(e.place.grid.as_str())
                .push_bind(e.place.village.as_str())
                .push_bind(e.place.township.as_str())
                .push_bind(e.reporter.kind.as_str())
                .push_bind(e.reporter.person_id.as_deref())
                .push_bind(e.reporter.name.as_deref())
                .push_bind(e.reporter.phone.as_deref())
                .push_bind(e.channel.as_str())
                .push_bind(complexity_str(f.complexity))
                .push_bind(f.state.as_str())
                .push_bind(tier)
                .push_bind(id)
                .push_bind(d.map(|d| Time::from(d.since)))
                .push_bind(d.map(|d| Time::from(d.verify_by)))
                .push_bind(d.map(|d| Time::from(d.done_by)))
                .push_bind(last_tier)
                .push_bind(last_id)
                .push_bind(f.rating.map(i16::from))
                .push_bind(e.patrol_flag)
                .push_bind(e.seq)
                .push_bind(Time::from(e.reported_at))
                .push_bind(Time::from(e.updated_at))
                .push_bind(e.closed_at.map(Time::from));
        });
        q.build().persistent(false).execute(&mut **tx).await.map_err(query("inserting events"))?;
    }
    Ok(())
}
