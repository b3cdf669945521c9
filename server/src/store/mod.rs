//! Durable storage of the divisions, grids, people, departments and events, behind one
//! interface for every backend.
//!
//! Two backends: an embedded SQLite file (the default) and a PostGIS database that several
//! server processes may share. Both behave the same; the store tests run one suite on each.
//!
//! Each domain's methods are written once for both backends (`accounts`, `audit_log`,
//! `divisions`, `events`, `figures`, `generations`, `patrols`, `people`, `reference`, `registry`): a `macro_rules!`
//! expands the same bodies, the same `const` SQL and the same row structs into `impl SqliteStore`
//! and `impl PgStore`. Times bind and decode as one type (`time::Time`). What differs is in
//! `dialect` (SQL fragments, and the `Backend` hooks) and in the backend files:
//! batched inserts, geometry encoding, locks and write transactions, intake under concurrency,
//! connection and migrations.

#[macro_use]
mod dialect;
mod outage;
mod postgres;
mod sqlite;
mod time;

use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
pub use outage::{Limits, Outage, POOL_WAIT, STATEMENT_TIMEOUT};
pub use postgres::{PgStore, GRID_CHANNEL};
pub use sqlite::SqliteStore;
use sqlx::postgres::{PgConnectOptions, PgListener};
use sqlx::sqlite::SqliteConnectOptions;
use wangge_core::calendar::DayKind;
use wangge_core::people::{Person, Responsibility, Roster};

use crate::records::{Dataset, DatasetInfo, Grid, Township, Village};
use crate::records::{EventFilter, EventRecord, Inserted, NewEvent, Page, Paged, TimelineEntry, TransitionWrite};
use crate::records::{ChangeMark, Changed, EventPoint, FactRow, PointFilter};
use crate::records::{PersonFilter, PersonRecord};
use crate::records::Department;
use crate::records::{EventHistory, StatsFilter};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A malformed PostgreSQL URL.
    #[error("not a valid PostgreSQL URL")]
    BadUrl(#[source] sqlx::Error),
    /// The PostgreSQL server has no PostGIS ≥ 3.0 to give the database.
    #[error(
        "PostGIS >= 3.0 is not available on this PostgreSQL server (found {}); install it, e.g. \
         `apt-get install postgresql-15-postgis-3`",
        found.as_deref().unwrap_or("none")
    )]
    PostgisMissing {
        /// The version the server offers, if any.
        found: Option<String>,
    },
    /// The PostgreSQL server may lose committed transactions.
    #[error(
        "refusing to run: durable commits are off ({setting} = {value}); a crash could lose events \
         already confirmed to reporters. Set {setting} = on"
    )]
    NotDurable {
        /// The setting (`fsync` or `synchronous_commit`).
        setting: &'static str,
        /// Its value.
        value: String,
    },
    /// The database could not be opened.
    #[error("cannot open the database {target}")]
    Open {
        /// Which database (never a password).
        target: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations failed.
    #[error("cannot apply the schema migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A statement failed.
    #[error("database error while {doing}")]
    Query {
        /// What the store was doing.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored row cannot be read back.
    #[error("{table} {code}: {reason}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// The row's key.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset was offered to a store that already holds one.
    #[error("the store already holds dataset {0}; refusing to load another over it")]
    AlreadyLoaded(i64),
    /// An event changed between reading it and writing its transition.
    #[error("event {event_id} changed concurrently")]
    Stale {
        /// The event.
        event_id: String,
    },
    /// A newer generation touched the area since the draft was started.
    #[error("grid generation {generation} (published by {by}) changed {area} or an area around it after this draft was started; reload the area and redo the edit")]
    GenerationConflict {
        /// The area being published.
        area: String,
        /// The newer generation.
        generation: i64,
        /// Who published it.
        by: String,
    },
    /// The audit trail could not be written (the batch's error, as text).
    #[error("cannot write the audit trail: {text}")]
    Audit {
        /// The batch's error.
        text: String,
        /// Its outage, if it was one.
        outage: Option<Outage>,
    },
    /// A photo's file could not be written or read.
    #[error("cannot store a photo's bytes")]
    Blob(#[source] std::io::Error),
    /// A registry record with the same citizen ID number exists (its keyed hash is unique).
    #[error("a record with this citizen ID number already exists")]
    IdNumberTaken,
    /// A device is already bound to another person.
    #[error("device {device_id} is already bound to {person_id}")]
    DeviceTaken {
        /// The device.
        device_id: String,
        /// Who has it.
        person_id: String,
    },
}

/// Which database to open.
#[derive(Debug, Clone)]
pub enum StoreTarget {
    /// An SQLite database (a file, created if missing).
    Sqlite(SqliteConnectOptions),
    /// A PostgreSQL database with PostGIS.
    Postgres(PgConnectOptions),
}

impl StoreTarget {
    /// The SQLite file `path`.
    pub fn sqlite_file(path: impl Into<PathBuf>) -> Self {
        Self::Sqlite(SqliteConnectOptions::new().filename(path.into()))
    }

    /// A PostgreSQL database named by a `postgres://` or `postgresql://` URL.
    pub fn postgres_url(url: &str) -> Result<Self, StoreError> {
        PgConnectOptions::from_str(url).map(Self::Postgres).map_err(StoreError::BadUrl)
    }
}

/// Changes to the divisions and grids announced by the database (PostGIS only), from this
/// process, another server process or a GIS client editing the tables.
#[derive(Debug)]
pub struct GridChanges {
    listener: PgListener,
}

impl GridChanges {
    /// Waits for the next change, or for a lost connection: changes made while the listener is
    /// away are never announced, so a lost connection answers too (reload to be sure). The next
    /// call reconnects; it fails only if the database cannot be reached.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        match self.listener.try_recv().await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => {
                tracing::warn!("lost the connection listening for grid changes; reconnecting");
                Ok(())
            }
            Err(source) => Err(StoreError::Query { doing: "waiting for grid changes", source }),
        }
    }
}

/// Calls the same method on whichever backend the store is.
macro_rules! dispatch {
    ($store:ident, $s:ident => $call:expr) => {
        match $store {
            Self::Sqlite($s) => $call,
            Self::Postgres($s) => $call,
        }
    };
}

mod accounts;
mod assessment;
pub(super) mod attachments;
mod audit_log;
mod disputes;
mod divisions;
mod events;
mod figures;
mod generation_types;
mod generations;
mod inspect;
mod patrols;
mod people;
mod reference;
mod registry;

pub use generation_types::{GenerationRecord, GridVersion, Publication};

pub use accounts::{from_micros, micros, AccountRecord, Charged, DeviceRecord, SessionRecord};
pub use audit_log::AuditFilter;
pub use inspect::{BackendCheck, Schema};

/// The divisions and grids store, whichever backend holds them.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL with PostGIS.
    Postgres(PgStore),
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn open(target: &StoreTarget) -> Result<Self, StoreError> {
        Self::open_with(target, Limits::default()).await
    }

    /// Opens the store with these waits for connections and statements.
    pub async fn open_with(target: &StoreTarget, limits: Limits) -> Result<Self, StoreError> {
        match target {
            StoreTarget::Sqlite(options) => Ok(Self::Sqlite(SqliteStore::open(options.clone(), limits).await?)),
            StoreTarget::Postgres(options) => Ok(Self::Postgres(PgStore::open(options.clone(), limits).await?)),
        }
    }

    /// The backend's name: `"sqlite"` or `"postgis"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgis",
        }
    }

    /// Starts listening for changes to the divisions and grids: `None` on SQLite, whose file
    /// only this process writes.
    pub async fn listen_grid_changes(&self) -> Result<Option<GridChanges>, StoreError> {
        match self {
            Self::Sqlite(_) => Ok(None),
            Self::Postgres(s) => Ok(Some(GridChanges { listener: s.listen_grid_changes().await? })),
        }
    }

    /// The dataset the store holds, or `None` when it is empty.
    pub async fn dataset(&self) -> Result<Option<DatasetInfo>, StoreError> {
        dispatch!(self, s => s.dataset().await)
    }

    /// Loads a validated dataset into an empty store, all or nothing.
    pub async fn load(&self, dataset: &Dataset) -> Result<DatasetInfo, StoreError> {
        dispatch!(self, s => s.load(dataset).await)
    }

    /// All townships, by code.
    pub async fn townships(&self) -> Result<Vec<Township>, StoreError> {
        dispatch!(self, s => s.townships().await)
    }

    /// All villages and communities, by code.
    pub async fn villages(&self) -> Result<Vec<Village>, StoreError> {
        dispatch!(self, s => s.villages().await)
    }

    /// All grids with their divisions' names, by code.
    pub async fn grids(&self) -> Result<Vec<Grid>, StoreError> {
        dispatch!(self, s => s.grids().await)
    }

    /// One page of people matching `filter`, by id.
    pub async fn people(&self, filter: &PersonFilter, page: Page) -> Result<Paged<PersonRecord>, StoreError> {
        dispatch!(self, s => s.people(filter, page).await)
    }

    /// Inserts many new people with their bindings in one transaction (the demo roster).
    pub async fn insert_people(&self, people: &[Person]) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_people(people).await)
    }

    /// Events reported in the filter's period with their whole timelines (the figures).
    pub async fn histories(&self, filter: &StatsFilter) -> Result<Vec<EventHistory>, StoreError> {
        dispatch!(self, s => s.histories(filter).await)
    }

    /// Events matching the filter as points (where, what, which grid), for the map.
    pub async fn event_points(&self, filter: &PointFilter) -> Result<Vec<EventPoint>, StoreError> {
        dispatch!(self, s => s.event_points(filter).await)
    }

    /// Up to `limit` events after `after` in event id order, as the in-memory figures keep them.
    pub async fn fact_rows_after(&self, after: Option<&str>, limit: u32) -> Result<Vec<FactRow>, StoreError> {
        dispatch!(self, s => s.fact_rows_after(after, limit).await)
    }

    /// The events listed, as the in-memory figures keep them.
    pub async fn fact_rows_of(&self, ids: &[String]) -> Result<Vec<FactRow>, StoreError> {
        dispatch!(self, s => s.fact_rows_of(ids).await)
    }

    /// Where the log of event changes stands now.
    pub async fn event_change_mark(&self) -> Result<ChangeMark, StoreError> {
        dispatch!(self, s => s.event_change_mark().await)
    }

    /// The events changed since `mark` (`None`: the figures should be rebuilt instead).
    pub async fn events_changed_since(&self, mark: ChangeMark) -> Result<Option<Changed>, StoreError> {
        dispatch!(self, s => s.events_changed_since(mark).await)
    }

    /// Forgets the log of event changes older than `before`.
    pub async fn prune_event_changes(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        dispatch!(self, s => s.prune_event_changes(before).await)
    }

    /// One person.
    pub async fn person(&self, person_id: &str) -> Result<Option<PersonRecord>, StoreError> {
        dispatch!(self, s => s.person(person_id).await)
    }

    /// Creates or replaces a person with their bindings; `true` if created.
    pub async fn upsert_person(&self, person: &Person) -> Result<bool, StoreError> {
        dispatch!(self, s => s.upsert_person(person).await)
    }

    /// Replaces a person's grids and device (人、机、格); `false` if there is no such person.
    pub async fn set_bindings(
        &self,
        person_id: &str,
        grids: &[String],
        device_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_bindings(person_id, grids, device_id).await)
    }

    /// Sets whether a person is on duty; `false` if there is no such person.
    pub async fn set_on_duty(&self, person_id: &str, on_duty: bool) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_on_duty(person_id, on_duty).await)
    }

    /// Everyone with their bindings, indexed for the assignment rule.
    pub async fn load_roster(&self) -> Result<Roster, StoreError> {
        dispatch!(self, s => s.load_roster().await)
    }

    /// Stores a new event and its first timeline rows in one transaction; a report id already
    /// used answers the event it created.
    pub async fn insert_event(&self, event: &NewEvent) -> Result<Inserted, StoreError> {
        let mut all = self.insert_events(std::slice::from_ref(event)).await?;
        all.pop().ok_or_else(|| StoreError::BadRow {
            table: "event",
            code: event.event.report_id.clone(),
            reason: "the insert answered nothing".into(),
        })
    }

    /// Stores many new events in one transaction (one fsync: group commit), answering each in
    /// order; all or nothing.
    pub async fn insert_events(&self, events: &[NewEvent]) -> Result<Vec<Inserted>, StoreError> {
        dispatch!(self, s => s.insert_events(events, None).await).map(|(inserted, _)| inserted)
    }

    /// [`Self::insert_events`], sealing the audit row each new event carries onto the chain
    /// with `key` in the same transaction (the event and its row commit together, or neither);
    /// answers the chain's new head, if rows were sealed. A failure to seal that is not an
    /// outage is a [`StoreError::Audit`].
    pub async fn insert_events_sealed(
        &self,
        events: &[NewEvent],
        key: &wangge_core::access::AuditKey,
    ) -> Result<(Vec<Inserted>, Option<wangge_core::access::ChainHead>), StoreError> {
        dispatch!(self, s => s.insert_events(events, Some(key)).await)
    }

    /// One event.
    pub async fn event(&self, event_id: &str) -> Result<Option<EventRecord>, StoreError> {
        dispatch!(self, s => s.event(event_id).await)
    }

    /// An event's timeline, in order (empty for an unknown event).
    pub async fn timeline(&self, event_id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        dispatch!(self, s => s.timeline(event_id).await)
    }

    /// Updates an event and appends its timeline row in one transaction, if the event's seq is
    /// still the expected one ([`StoreError::Stale`] otherwise).
    pub async fn apply_transition(&self, write: &TransitionWrite) -> Result<(), StoreError> {
        dispatch!(self, s => s.apply_transition(write).await)
    }

    /// One page of events matching `filter`: open ones first, soonest deadline first.
    pub async fn events(&self, filter: &EventFilter, page: Page) -> Result<Paged<EventRecord>, StoreError> {
        dispatch!(self, s => s.events(filter, page).await)
    }

    /// How many events match `filter`.
    pub async fn event_count(&self, filter: &EventFilter) -> Result<i64, StoreError> {
        dispatch!(self, s => s.event_count(filter).await)
    }

    /// One page of the events matching `filter`, without their count.
    pub async fn event_page(&self, filter: &EventFilter, page: Page) -> Result<Vec<EventRecord>, StoreError> {
        dispatch!(self, s => s.event_page(filter, page).await)
    }

    /// The stored events of these ids, in no particular order.
    pub async fn events_by_id(&self, ids: &[String]) -> Result<Vec<EventRecord>, StoreError> {
        dispatch!(self, s => s.events_by_id(ids).await)
    }

    /// The functional departments, by code.
    pub async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        dispatch!(self, s => s.departments().await)
    }

    /// The responsibility (routing) table.
    pub async fn responsibility(&self) -> Result<Vec<Responsibility>, StoreError> {
        dispatch!(self, s => s.responsibility().await)
    }

    /// Adds or renames `departments`, then replaces the whole routing table, in one transaction.
    pub async fn replace_responsibility(
        &self,
        departments: &[Department],
        table: &[Responsibility],
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.replace_responsibility(departments, table).await)
    }

    /// The administrators' calendar overrides, by date.
    pub async fn calendar_overrides(&self) -> Result<Vec<(NaiveDate, DayKind)>, StoreError> {
        dispatch!(self, s => s.calendar_overrides().await)
    }

    /// Sets (or with `None` removes) the override of one date.
    pub async fn set_calendar_override(&self, date: NaiveDate, kind: Option<DayKind>) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_calendar_override(date, kind).await)
    }

    /// Years whose holiday notice an administrator loaded.
    pub async fn calendar_years(&self) -> Result<Vec<i32>, StoreError> {
        dispatch!(self, s => s.calendar_years().await)
    }

    /// Loads a year's holiday notice: the year and its special days, replacing earlier ones.
    pub async fn load_calendar_year(&self, year: i32, source: &str, days: &[(NaiveDate, DayKind)]) -> Result<(), StoreError> {
        dispatch!(self, s => s.load_calendar_year(year, source, days).await)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// SQLite: writes a consistent copy of the database to `to` while serving and answers the
    /// attachments' directory (to copy after it); `None` on PostGIS, whose backups are
    /// PostgreSQL's own (`pg_basebackup` and WAL archiving, docs/operations.md).
    pub async fn snapshot(&self, to: &std::path::Path) -> Result<Option<PathBuf>, StoreError> {
        match self {
            Self::Sqlite(s) => s.snapshot(to).await.map(Some),
            Self::Postgres(_) => Ok(None),
        }
    }

    /// The schema migrations this build knows, and how many of them the database has applied
    /// successfully (readiness: equal).
    pub async fn migrations(&self) -> Result<(usize, usize), StoreError> {
        match self {
            Self::Sqlite(s) => s.migrations().await,
            Self::Postgres(s) => s.migrations().await,
        }
    }

    /// The pool's connections: (open, idle).
    pub fn pool_status(&self) -> (usize, usize) {
        match self {
            Self::Sqlite(s) => (s.pool.size() as usize, s.pool.num_idle()),
            Self::Postgres(s) => (s.pool.size() as usize, s.pool.num_idle()),
        }
    }

    /// Waits for open connections to finish and closes them.
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }
}

/// The error of a statement failing while the store was `doing` something.
fn query(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}

/// GeoJSON text of a shape, as the stores keep it.
pub(crate) fn geometry_text(geometry: &geo_types::MultiPolygon<f64>) -> String {
    geojson::Geometry::new(geojson::Value::from(geometry)).to_string()
}

/// Reads back a shape stored by [`geometry_text`].
pub(crate) fn parse_geometry(
    table: &'static str,
    code: &str,
    text: &str,
) -> Result<geo_types::MultiPolygon<f64>, StoreError> {
    let bad = |reason: String| StoreError::BadRow { table, code: code.to_owned(), reason };
    let geometry: geojson::Geometry = text.parse().map_err(|e: geojson::Error| bad(e.to_string()))?;
    crate::formats::geometry::geometry_to_multipolygon(&geometry.value).map_err(bad)
}

impl Store {
    /// The newest grid generation (0: the loaded dataset).
    pub async fn current_generation(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.current_generation().await)
    }

    /// Publishes redrawn grids, their history and the moved events in one transaction.
    pub async fn publish(&self, publication: &Publication) -> Result<i64, StoreError> {
        dispatch!(self, s => s.publish(publication).await)
    }

    /// Every generation, newest first.
    pub async fn generations(&self) -> Result<Vec<GenerationRecord>, StoreError> {
        dispatch!(self, s => s.generations().await)
    }

    /// Every recorded version of a grid, oldest first.
    pub async fn grid_versions(&self, code: &str) -> Result<Vec<GridVersion>, StoreError> {
        dispatch!(self, s => s.grid_versions(code).await)
    }

    /// Every recorded version of every grid.
    pub async fn all_grid_versions(&self) -> Result<Vec<GridVersion>, StoreError> {
        dispatch!(self, s => s.all_grid_versions().await)
    }
}
