//! Report intake (事件上报): checks a report, converts its coordinates at the edge, finds its
//! grid, attributes it to a bound device's gridworker, assigns it by the roster rule, and hands
//! it to the single writer, which commits every pending report in one transaction (group
//! commit: one fsync for many reports) before any of them is answered.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use wangge_core::event::{Action, Category, Complexity, Loop, State, MAX_TEXT};
use wangge_core::people::{GridPlace, Person, Roster};
use wangge_core::{Crs, GridIndex, LonLat, Located};

use crate::access::Auditor;
use crate::events::rules::Rules;
use crate::events::{ChangeKind, Changes};
use crate::grids::catalog::Catalog;
use crate::people::valid_phone;
use crate::records::{Channel, EventRecord, Inserted, NewEvent, Place, Reporter, ReporterKind, TimelineEntry};
use crate::store::{Store, StoreError};

/// Why a report is refused before anything is stored.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A field is missing or out of range; the reason names it.
    #[error("{0}")]
    Invalid(String),
    /// The point is outside every grid of the county.
    #[error("the point ({lon}, {lat}) is outside the county")]
    OutsideCounty {
        /// Longitude (CGCS2000) of the point.
        lon: f64,
        /// Latitude (CGCS2000) of the point.
        lat: f64,
        /// The nearest grid's code and the distance to it in metres.
        nearest: Option<(String, f64)>,
    },
    /// The working-day calendar cannot count the deadline.
    #[error(transparent)]
    Calendar(#[from] wangge_core::calendar::CalendarError),
    /// A bug: the assignment at intake was refused by the state machine.
    #[error("assignment at intake refused: {0}")]
    Internal(String),
}

/// Most reports written in one transaction.
pub const MAX_BATCH: usize = 2048;

/// Reports waiting for the writer before senders wait too (back-pressure).
const QUEUE: usize = 16 * 1024;

/// Longest report id (idempotency key).
pub const MAX_REPORT_ID: usize = 128;

/// A report as posted to `POST /api/v1/reports`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Client-chosen idempotency key (or the `Idempotency-Key` header).
    pub report_id: Option<String>,
    /// `livelihood`, `hazard`, `dispute` or `other`.
    pub category: String,
    /// Free-text subcategory (`燃气`, `邻里纠纷`, …).
    pub subcategory: Option<String>,
    /// What happened, at most 2000 characters.
    pub description: String,
    /// Where.
    pub location: LocationRequest,
    /// Who reports.
    pub reporter: ReporterRequest,
    /// `ordinary` (default) or `complex`.
    pub complexity: Option<String>,
    /// `app` (default), `web`, `phone` or `open311`.
    pub channel: Option<String>,
}

/// A point in the client's coordinate system.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// `cgcs2000` (default), `wgs84`, `gcj02` or `bd09`.
    pub crs: Option<String>,
}

/// The reporter as posted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterRequest {
    /// `gridworker`, `resident` or `operator`.
    pub kind: String,
    /// The phone the report came from.
    pub device_id: Option<String>,
    /// Name (residents).
    pub name: Option<String>,
    /// Phone number (residents).
    pub phone: Option<String>,
}

/// A checked report, ready to be placed and assigned.
#[derive(Debug, Clone)]
pub struct Report {
    report_id: String,
    category: Category,
    subcategory: Option<String>,
    description: String,
    location: LonLat,
    crs: Crs,
    reporter_kind: ReporterKind,
    device_id: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    complexity: Complexity,
    channel: Channel,
    fingerprint: String,
}

/// Checks a posted report; `key` is the `Idempotency-Key` header, if any.
pub fn check(r: ReportRequest, key: Option<&str>) -> Result<Report, Refused> {
    let bad = |reason: String| Refused::Invalid(reason);
    let report_id = report_id(r.report_id.as_deref(), key)?;
    let category = Category::parse(&r.category)
        .ok_or_else(|| bad(format!("category must be livelihood, hazard, dispute or other, got {:?}", r.category)))?;
    let subcategory = optional_text("subcategory", r.subcategory, 64)?;
    let description = r.description.trim().to_owned();
    if description.is_empty() {
        return Err(bad("description is required".into()));
    }
    let chars = description.chars().count();
    if chars > MAX_TEXT {
        return Err(bad(format!("description is {chars} characters; at most {MAX_TEXT}")));
    }
    let crs_text = r.location.crs.as_deref().unwrap_or("cgcs2000");
    let crs = Crs::parse(crs_text)
        .ok_or_else(|| bad(format!("location.crs must be cgcs2000, wgs84, gcj02 or bd09, got {crs_text:?}")))?;
    let location =
        LonLat::from_crs(r.location.lon, r.location.lat, crs).map_err(|e| bad(format!("location: {e}")))?;
    let reporter_kind = ReporterKind::parse(&r.reporter.kind).ok_or_else(|| {
        bad(format!("reporter.kind must be gridworker, resident or operator, got {:?}", r.reporter.kind))
    })?;
    let device_id = optional_text("reporter.device_id", r.reporter.device_id, 128)?;
    let name = optional_text("reporter.name", r.reporter.name, 50)?;
    let phone = optional_text("reporter.phone", r.reporter.phone, 24)?;
    if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        return Err(bad("reporter.phone is not a phone number".into()));
    }
    let complexity = match r.complexity.as_deref().unwrap_or("ordinary") {
        "ordinary" => Complexity::Ordinary,
        "complex" => Complexity::Complex,
        other => return Err(bad(format!("complexity must be ordinary or complex, got {other:?}"))),
    };
    let channel_text = r.channel.as_deref().unwrap_or("app");
    let channel = Channel::parse(channel_text)
        .ok_or_else(|| bad(format!("channel must be app, web, phone or open311, got {channel_text:?}")))?;
    // The report as sent (input coordinates included): a retry must match it exactly.
    let fingerprint = fingerprint(&json!({
        "category": category.as_str(), "subcategory": subcategory, "description": description,
        "location": { "lon": r.location.lon, "lat": r.location.lat, "crs": crs_text },
        "reporter": { "kind": reporter_kind.as_str(), "device_id": device_id, "name": name, "phone": phone },
        "complexity": complexity.days(), "channel": channel.as_str(),
    }));
    Ok(Report {
        report_id,
        category,
        subcategory,
        description,
        location,
        crs,
        reporter_kind,
        device_id,
        name,
        phone,
        complexity,
        channel,
        fingerprint,
    })
}

impl Report {
    /// The idempotency key.
    pub fn report_id(&self) -> &str {
        &self.report_id
    }
}

fn report_id(body: Option<&str>, header: Option<&str>) -> Result<String, Refused> {
    let id = match (body, header) {
        (Some(b), Some(h)) if b != h => {
            return Err(Refused::Invalid(format!(
                "report_id {b:?} and the Idempotency-Key header {h:?} differ; send one or make them equal"
            )))
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => {
            return Err(Refused::Invalid(
                "report_id is required (or an Idempotency-Key header): it makes retries safe".into(),
            ))
        }
    };
    let ok = !id.is_empty() && id.len() <= MAX_REPORT_ID && id.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(id.to_owned())
    } else {
        Err(Refused::Invalid(format!(
            "report_id must be 1 to {MAX_REPORT_ID} printable ASCII characters without spaces"
        )))
    }
}

fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Refused> {
    let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Refused::Invalid(format!("{field} must be at most {max} characters, without control characters")));
    }
    Ok(Some(v))
}

/// FNV-1a (64-bit) of the canonical JSON text: stable across builds and platforms.
fn fingerprint(value: &serde_json::Value) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Places and assigns a checked report received at `now`: the new event with its `reported`
/// and `assign` timeline rows. `acting_person` is the gridworker the caller's credential acts
/// as: a report is attributed to a gridworker only through their own sign-in, never because
/// the body names their device.
pub fn build(
    index: &GridIndex,
    catalog: &Catalog,
    rules: &Rules,
    r: Report,
    acting_person: Option<&str>,
    now: DateTime<Utc>,
) -> Result<NewEvent, Refused> {
    crate::metrics::METRICS.index_lookups.inc();
    let record = match index.locate(r.location.lon, r.location.lat).map_err(|e| Refused::Invalid(e.to_string()))? {
        Located::Grid(i) => &index.grids()[i],
        Located::Outside(nearest) => {
            return Err(Refused::OutsideCounty {
                lon: r.location.lon,
                lat: r.location.lat,
                nearest: nearest.map(|n| (index.grids()[n.grid].code.clone(), n.distance_m)),
            })
        }
    };
    let parent_grid = catalog.grid(&record.code).and_then(|g| g.grid.parent_grid.clone());
    let place = GridPlace {
        grid: &record.code,
        parent_grid: parent_grid.as_deref(),
        village: &record.village.code,
        township: &record.township.code,
    };
    let roster = rules.roster();
    let attributed = attribution(&roster, acting_person, r.device_id.as_deref())?;
    if r.reporter_kind == ReporterKind::Gridworker && attributed.is_none() {
        return Err(Refused::Invalid(
            "a gridworker's report must come from a device bound to them, through their own sign-in".into(),
        ));
    }
    let patrol_flag = attributed.is_some_and(|p| roster.outside_own_grids(p, place));
    let holder = roster.assign(place);
    let calendar = rules.calendar();
    let reported = Loop::new(r.complexity);
    let assign = Action::Assign { to: holder.clone() };
    let flow = reported.apply(&assign, now, &calendar).map_err(|e| match e {
        wangge_core::event::TransitionError::Calendar(c) => Refused::Calendar(c),
        other => Refused::Internal(other.to_string()),
    })?;
    let reporter = match attributed {
        Some(p) => Reporter { kind: ReporterKind::Gridworker, person_id: Some(p.id.clone()), name: None, phone: None },
        None => Reporter { kind: r.reporter_kind, person_id: None, name: r.name, phone: r.phone },
    };
    let actor = reporter.person_id.clone().unwrap_or_else(|| reporter.kind.as_str().to_owned());
    let rule = match holder.tier {
        wangge_core::event::Tier::Grid => "gridworker",
        wangge_core::event::Tier::Village => "grid_leader",
        _ => "township_centre",
    };
    let timeline = vec![
        TimelineEntry {
            seq: 1,
            at: now,
            actor,
            tier: None,
            action: "reported".into(),
            payload: json!({ "channel": r.channel.as_str(), "input_crs": crs_name(r.crs), "patrol_flag": patrol_flag }),
            state_after: State::Reported,
            holder_after: None,
        },
        TimelineEntry {
            seq: 2,
            at: now,
            actor: "system".into(),
            tier: None,
            action: "assign".into(),
            payload: json!({ "to": holder, "rule": rule }),
            state_after: flow.state,
            holder_after: flow.holder.clone(),
        },
    ];
    let event = EventRecord {
        event_id: String::new(),
        report_id: r.report_id,
        fingerprint: r.fingerprint,
        category: r.category,
        subcategory: r.subcategory,
        description: r.description,
        location: r.location,
        place: Place {
            grid: record.code.clone(),
            village: record.village.code.clone(),
            township: record.township.code.clone(),
        },
        reporter,
        channel: r.channel,
        flow,
        patrol_flag,
        seq: 2,
        reported_at: now,
        updated_at: now,
        closed_at: None,
    };
    Ok(NewEvent { event, timeline, attachments: Vec::new(), audit: None })
}

/// The gridworker a report is attributed to: the caller's own person (a device named in the
/// body must be bound to them); a gridworker's device named by anyone else is refused.
fn attribution<'r>(roster: &'r Roster, acting_person: Option<&str>, device: Option<&str>) -> Result<Option<&'r Person>, Refused> {
    let owner = device.and_then(|d| roster.by_device(d));
    match (acting_person.and_then(|id| roster.get(id)), device) {
        (Some(me), Some(d)) if owner.is_none_or(|o| o.id != me.id) => Err(Refused::Invalid(format!(
            "reporter.device_id {d:?} is not bound to them (the signed-in gridworker {})",
            me.id
        ))),
        (Some(me), _) => Ok(Some(me)),
        (None, _) if owner.is_some() => Err(Refused::Invalid(
            "reporter.device_id is a gridworker's device: such reports are made with that gridworker's own sign-in".into(),
        )),
        (None, _) => Ok(None),
    }
}

fn crs_name(crs: Crs) -> &'static str {
    match crs {
        Crs::Cgcs2000 => "cgcs2000",
        Crs::Wgs84 => "wgs84",
        Crs::Gcj02 => "gcj02",
        Crs::Bd09 => "bd09",
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The store refused the write.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database is away, full or overloaded (a batch's failure, as text).
    #[error("{cause}")]
    Outage {
        /// Which.
        outage: crate::store::Outage,
        /// The failure.
        cause: String,
    },
    /// The writer's queue is full: the report was not taken.
    #[error("{QUEUE} reports are waiting to be written; this one was not taken, send it again")]
    Busy,
    /// The write took longer than [`WRITE_TIMEOUT`]: the report may or may not be stored.
    #[error("the report was not confirmed in time; send it again with the same report_id (it is stored once)")]
    TimedOut,
    /// The writer task is gone (the service is shutting down).
    #[error("the intake writer has stopped")]
    WriterGone,
    /// The reports' audit rows could not be sealed, after waiting and trying again: nothing
    /// was stored.
    #[error("the audit trail cannot be written for now; nothing was done, try again ({cause})")]
    Unaudited {
        /// The last failure, as text.
        cause: String,
    },
}

impl IntakeError {
    /// The outage this failure shows, if it is one.
    pub fn outage(&self) -> Option<crate::store::Outage> {
        match self {
            Self::Store(s) => s.outage(),
            Self::Outage { outage, .. } => Some(*outage),
            _ => None,
        }
    }
}

/// The longest a batch's write may take before its reports are answered 503 (their retries
/// find them if the write did commit).
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

struct Job {
    event: NewEvent,
    reply: oneshot::Sender<Result<Inserted, IntakeError>>,
}

/// The handle of the single intake writer.
#[derive(Debug, Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("report_id", &self.event.event.report_id).finish_non_exhaustive()
    }
}

impl Intake {
    /// Starts the writer task over `store` (needs a tokio runtime); the audit rows that reports
    /// carry are sealed with `auditor`'s key in their batch's transaction (and its anchor fed);
    /// every event it creates is published on `changes` once committed.
    pub fn start(store: Store, auditor: Auditor, changes: Changes) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(Writer { store, auditor, changes }, queue));
        Self { jobs }
    }

    /// Writes `event` durably (committed and fsynced) and answers what the store did. A full
    /// queue refuses the report at once ([`IntakeError::Busy`]) rather than let it wait.
    pub async fn submit(&self, event: NewEvent) -> Result<Inserted, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.try_send(Job { event, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IntakeError::Busy,
            mpsc::error::TrySendError::Closed(_) => IntakeError::WriterGone,
        })?;
        answer.await.map_err(|_| IntakeError::WriterGone)?
    }

    /// Reports waiting for the writer now.
    pub fn waiting(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }
}

/// What the writer task writes with.
struct Writer {
    store: Store,
    auditor: Auditor,
    changes: Changes,
}

/// Takes everything pending (up to [`MAX_BATCH`]), writes it in one transaction, answers each.
async fn write_loop(writer: Writer, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        writer.write_batch(std::mem::take(&mut jobs)).await;
    }
    tracing::info!("intake writer stopped");
}

/// Publishes a committed new event to the live queue.
fn publish(changes: &Changes, result: &Result<Inserted, IntakeError>) {
    if let Ok(Inserted::Created(event)) = result {
        changes.publish(ChangeKind::Created, event, None);
    }
}

/// One write, within [`WRITE_TIMEOUT`].
async fn bounded<T>(write: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, IntakeError> {
    match tokio::time::timeout(WRITE_TIMEOUT, write).await {
        Ok(done) => done.map_err(IntakeError::from),
        Err(_) => Err(IntakeError::TimedOut),
    }
}

/// How many times a batch whose audit rows cannot be sealed is tried (waiting 200 ms, then
/// twice as long each time), as a change's `begun` row is: through a passing lock or failover.
const SEAL_ATTEMPTS: u32 = 5;

impl Writer {
    /// Writes `events` with their audit rows in one transaction; the anchor follows the chain.
    async fn write(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, IntakeError> {
        let mut wait = std::time::Duration::from_millis(200);
        let mut tried = 1;
        loop {
            match bounded(self.store.insert_events_sealed(events, self.auditor.key())).await {
                Ok((inserted, head)) => {
                    if let (Some(feed), Some(head)) = (self.auditor.anchor_feed(), head) {
                        feed.sealed(head);
                    }
                    return Ok(inserted);
                }
                Err(IntakeError::Store(StoreError::Audit { text, .. })) if tried < SEAL_ATTEMPTS => {
                    tracing::warn!(error = %text, tried, "the reports' audit rows not sealed yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    tried += 1;
                }
                Err(IntakeError::Store(StoreError::Audit { text, .. })) => return Err(IntakeError::Unaudited { cause: text }),
                Err(e) => return Err(e),
            }
        }
    }

    async fn write_batch(&self, jobs: Vec<Job>) {
        let (events, replies): (Vec<NewEvent>, Vec<_>) = jobs.into_iter().map(|j| (j.event, j.reply)).unzip();
        tracing::debug!(batch = events.len(), "intake batch");
        let started = std::time::Instant::now();
        let written = self.write(&events).await;
        crate::metrics::METRICS.intake_batch.observe(events.len() as f64);
        crate::metrics::METRICS.intake_commit_seconds.observe(started.elapsed().as_secs_f64());
        match written {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let result = Ok(result);
                    publish(&self.changes, &result);
                    // A client that went away still has its report stored; a retry replays it.
                    let _ = reply.send(result);
                }
            }
            Err(e) if events.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            // The database is away, full or slow, or the audit trail cannot be written: every
            // report of the batch is answered so at once (nothing was committed, or, timed out,
            // perhaps all; a retry finds out).
            Err(e) if e.outage().is_some() || matches!(e, IntakeError::TimedOut | IntakeError::Unaudited { .. }) => {
                tracing::warn!(batch = events.len(), error = %crate::logging::error_chain(&e), "intake batch not written");
                let cause = crate::logging::error_chain(&e);
                for reply in replies {
                    let _ = reply.send(Err(match (&e, e.outage()) {
                        (_, Some(outage)) => IntakeError::Outage { outage, cause: cause.clone() },
                        (IntakeError::Unaudited { cause }, None) => IntakeError::Unaudited { cause: cause.clone() },
                        (_, None) => IntakeError::TimedOut,
                    }));
                }
            }
            Err(e) => {
                // One bad report must not sink the others: write them one by one.
                tracing::warn!(batch = events.len(), error = %crate::logging::error_chain(&e), "intake batch failed; retrying singly");
                for (event, reply) in events.iter().zip(replies) {
                    let result = self.write(std::slice::from_ref(event)).await.and_then(|mut one| {
                        one.pop().ok_or_else(|| IntakeError::Store(StoreError::BadRow {
                            table: "event",
                            code: event.event.report_id.clone(),
                            reason: "the insert answered nothing".into(),
                        }))
                    });
                    publish(&self.changes, &result);
                    let _ = reply.send(result);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_tell_reports_apart() {
        let a = fingerprint(&json!({"b": 1, "a": "燃气"}));
        assert_eq!(a, fingerprint(&json!({"a": "燃气", "b": 1})));
        assert_ne!(a, fingerprint(&json!({"a": "燃气", "b": 2})));
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn report_ids_come_from_the_body_or_the_header() {
        assert_eq!(report_id(Some("r1"), None).ok(), Some("r1".into()));
        assert_eq!(report_id(None, Some("k1")).ok(), Some("k1".into()));
        assert_eq!(report_id(Some("k1"), Some("k1")).ok(), Some("k1".into()));
        assert!(report_id(Some("r1"), Some("k1")).is_err());
        assert!(report_id(None, None).is_err());
        assert!(report_id(Some("has space"), None).is_err());
        assert!(report_id(Some(&"x".repeat(129)), None).is_err());
    }
}
