//! Events and their timeline in SQLite: batched intake, optimistic transitions, queues.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, Transaction};
use wangge_core::calendar::china_time;
use wangge_core::event::{Category, Complexity, Holder, Tier};

use super::rows::{event_from_row, timeline_from_row};
use super::{begin_write, query, SqliteStore};
use crate::records::{time_text, EventFilter, EventRecord, Inserted, NewEvent, Page, Paged, TimelineEntry, TransitionWrite};
use crate::store::StoreError;

const EVENT_COLUMNS: &str = "event_id, report_id, request_fingerprint, category, subcategory, description, lon, lat,
    grid_code, village_code, township_code, reporter_kind, reporter_person_id, reporter_name, reporter_phone,
    channel, complexity, state, holder_tier, holder_id, since, verify_by, done_by, last_handler_tier,
    last_handler_id, rating, patrol_flag, seq, reported_at, updated_at, closed_at";

/// Event rows per INSERT: 31 columns each stays under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

const OVERDUE: &str = "((state = 'assigned' AND verify_by < ?) OR (state IN ('assigned', 'accepted') AND done_by < ?))";

impl SqliteStore {
    /// Inserts a batch of reports in one transaction (see [`crate::store::Store::insert_events`]).
    pub async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = begin_write(&self.pool, "starting an intake batch").await?;
        let mut counters = Counters::default();
        let (slots, fresh) = sort_batch(&mut tx, events, &mut counters).await?;
        insert_rows(&mut tx, &fresh).await?;
        // Timeline rows of the events created here, under their allocated ids.
        let mut entries = Vec::new();
        let mut seen = vec![false; fresh.len()];
        for (new, slot) in events.iter().zip(&slots) {
            if let Slot::New(i) = slot {
                if !std::mem::replace(&mut seen[*i], true) {
                    entries.extend(new.timeline.iter().map(|t| (fresh[*i].event_id.as_str(), t)));
                }
            }
        }
        insert_entries(&mut tx, &entries).await?;
        counters.save(&mut tx).await?;
        tx.commit().await.map_err(query("committing an intake batch"))?;
        seen.fill(false);
        Ok(slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Stored(e) => Inserted::Existing(*e),
                Slot::New(i) if std::mem::replace(&mut seen[i], true) => Inserted::Existing(fresh[i].clone()),
                Slot::New(i) => Inserted::Created(fresh[i].clone()),
            })
            .collect())
    }

    /// One event.
    pub async fn event(&self, event_id: &str) -> Result<Option<EventRecord>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM event WHERE event_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_optional(&self.pool).await.map_err(query("reading an event"))?;
        row.as_ref().map(event_from_row).transpose()
    }

    /// An event's timeline, by seq.
    pub async fn timeline(&self, event_id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id
               FROM event_transition WHERE event_id = ? ORDER BY seq",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await
        .map_err(query("reading a timeline"))?;
        rows.iter().map(|r| timeline_from_row(event_id, r)).collect()
    }

    /// Applies a transition if the event's seq is unchanged.
    pub async fn apply_transition(&self, w: &TransitionWrite) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool, "starting a transition").await?;
        write_transition(&mut tx, w).await?;
        tx.commit().await.map_err(query("committing a transition"))
    }
}

/// A transition's row changes inside `tx`; stale if the event moved on meanwhile.
pub(super) async fn write_transition(tx: &mut Transaction<'_, Sqlite>, w: &TransitionWrite) -> Result<(), StoreError> {
    let f = &w.flow;
    let d = f.deadlines;
    let (tier, id) = split(f.holder.as_ref());
    let (last_tier, last_id) = split(f.last_handler.as_ref());
    let done = sqlx::query(
        "UPDATE event SET state = ?, holder_tier = ?, holder_id = ?, since = ?, verify_by = ?, done_by = ?,
                last_handler_tier = ?, last_handler_id = ?, rating = ?, seq = ?, updated_at = ?, closed_at = ?
          WHERE event_id = ? AND seq = ?",
    )
    .bind(f.state.as_str())
    .bind(tier)
    .bind(id)
    .bind(d.map(|d| time_text(d.since)))
    .bind(d.map(|d| time_text(d.verify_by)))
    .bind(d.map(|d| time_text(d.done_by)))
    .bind(last_tier)
    .bind(last_id)
    .bind(f.rating)
    .bind(w.entry.seq)
    .bind(time_text(w.entry.at))
    .bind(w.closed_at.map(time_text))
    .bind(&w.event_id)
    .bind(w.expected_seq)
    .execute(&mut **tx)
    .await
    .map_err(query("updating an event"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale { event_id: w.event_id.clone() });
    }
    if let Some(r) = &w.regrid {
        sqlx::query("UPDATE event SET grid_code = ?, village_code = ?, township_code = ? WHERE event_id = ?")
            .bind(&r.grid)
            .bind(&r.village)
            .bind(&r.township)
            .bind(&w.event_id)
            .execute(&mut **tx)
            .await
            .map_err(query("moving an event to its new grid"))?;
    }
    insert_entry(tx, &w.event_id, &w.entry).await?;
    Ok(())
}

impl SqliteStore {
    /// One page of events, open ones first by deadline.
    pub async fn events(&self, filter: &EventFilter, page: Page) -> Result<Paged<EventRecord>, StoreError> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM event");
        push_filter(&mut count, filter);
        let total: i64 =
            count.build_query_scalar().fetch_one(&self.pool).await.map_err(query("counting events"))?;
        let mut list = QueryBuilder::<Sqlite>::new(format!("SELECT {EVENT_COLUMNS} FROM event"));
        push_filter(&mut list, filter);
        list.push(" ORDER BY closed_at IS NOT NULL, done_by, event_id LIMIT ");
        list.push_bind(i64::from(page.per_page));
        list.push(" OFFSET ");
        list.push_bind(page.offset());
        let rows = list.build().fetch_all(&self.pool).await.map_err(query("listing events"))?;
        let items = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page: page.page, per_page: page.per_page })
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
        let rows = q.build().persistent(false).fetch_all(&mut **tx).await.map_err(query("looking up report ids"))?;
        for row in &rows {
            let e = event_from_row(row)?;
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
                .push_bind(d.map(|d| time_text(d.since)))
                .push_bind(d.map(|d| time_text(d.verify_by)))
                .push_bind(d.map(|d| time_text(d.done_by)))
                .push_bind(last_tier)
                .push_bind(last_id)
                .push_bind(f.rating)
                .push_bind(e.patrol_flag)
                .push_bind(e.seq)
                .push_bind(time_text(e.reported_at))
                .push_bind(time_text(e.updated_at))
                .push_bind(e.closed_at.map(time_text));
        });
        q.build().persistent(false).execute(&mut **tx).await.map_err(query("inserting events"))?;
    }
    Ok(())
}

/// Appends timeline rows, many per statement.
async fn insert_entries(tx: &mut Transaction<'_, Sqlite>, rows: &[(&str, &TimelineEntry)]) -> Result<(), StoreError> {
    for chunk in rows.chunks(3 * ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO event_transition (event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id) ",
        );
        q.push_values(chunk, |mut b, (event_id, t)| {
            let (tier, id) = split(t.holder_after.as_ref());
            b.push_bind(*event_id)
                .push_bind(t.seq)
                .push_bind(time_text(t.at))
                .push_bind(t.actor.as_str())
                .push_bind(t.tier.map(Tier::as_str))
                .push_bind(t.action.as_str())
                .push_bind(t.payload.to_string())
                .push_bind(t.state_after.as_str())
                .push_bind(tier)
                .push_bind(id);
        });
        q.build().persistent(false).execute(&mut **tx).await.map_err(query("appending to timelines"))?;
    }
    Ok(())
}

async fn insert_entry(tx: &mut Transaction<'_, Sqlite>, event_id: &str, t: &TimelineEntry) -> Result<(), StoreError> {
    let (tier, id) = split(t.holder_after.as_ref());
    sqlx::query(
        "INSERT INTO event_transition (event_id, seq, at, actor, tier, action, payload, state_after, holder_tier, holder_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(event_id)
    .bind(t.seq)
    .bind(time_text(t.at))
    .bind(&t.actor)
    .bind(t.tier.map(Tier::as_str))
    .bind(&t.action)
    .bind(t.payload.to_string())
    .bind(t.state_after.as_str())
    .bind(tier)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(query("appending to a timeline"))?;
    Ok(())
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &EventFilter) {
    qb.push(" WHERE 1 = 1");
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
        let now = time_text(f.now.unwrap_or_else(crate::clock::system_now));
        qb.push(if overdue { " AND " } else { " AND NOT coalesce(" });
        let mut parts = OVERDUE.split('?');
        qb.push(parts.next().unwrap_or_default()).push_bind(now.clone());
        qb.push(parts.next().unwrap_or_default()).push_bind(now);
        qb.push(parts.next().unwrap_or_default());
        if !overdue {
            qb.push(", 0)");
        }
    }
    if let Some(t) = f.done_before {
        qb.push(" AND state IN ('assigned', 'accepted') AND done_by < ").push_bind(time_text(t));
    }
    if let Some(t) = f.from {
        qb.push(" AND reported_at >= ").push_bind(time_text(t));
    }
    if let Some(t) = f.to {
        qb.push(" AND reported_at < ").push_bind(time_text(t));
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
