//! The in-memory events kept exact: built from the store in pages, off the request path, then
//! brought up to date from the store's log of event changes (`event_change`, written by
//! triggers in the same transaction as every change) before each answer and every few minutes.
//! Any process writing the same store is seen, not only this one. Until the cube is built, or
//! when it must be rebuilt (the working calendar changed, the process fell behind the pruned
//! log), callers answer from the store as before.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use wangge_core::calendar::WorkingCalendar;

use super::Cube;
use crate::events::rules::Rules;
use crate::records::ChangeMark;
use crate::store::{Store, StoreError};

/// Why the in-memory events could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CubeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A task computing on the cube died.
    #[error("the figures task failed: {0}")]
    Task(String),
}

/// Events read per page while building.
pub const BUILD_PAGE: u32 = 20_000;

/// How often a built cube catches up on its own, so that it never falls behind the pruned log.
pub const TICK: Duration = Duration::from_secs(60);

/// How long the log of changes is kept.
pub const LOG_KEPT: Duration = Duration::from_secs(3600);

/// A cube not brought up to date for this long is rebuilt (the log it needs may be pruned).
pub const STALE_AFTER: Duration = Duration::from_secs(1800);

/// How often this process prunes the log.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// A built cube and where it is up to.
#[derive(Debug)]
struct Live {
    cube: Cube,
    mark: ChangeMark,
    /// The calendar its stints were replayed with.
    calendar: Arc<WorkingCalendar>,
    synced: Instant,
    pruned: Instant,
}

#[derive(Debug)]
struct Inner {
    live: Arc<Mutex<Option<Live>>>,
    building: AtomicBool,
    ticking: AtomicBool,
    enabled: AtomicBool,
}

/// The in-memory events, shared by the handlers of one process.
#[derive(Debug, Clone)]
pub struct LiveCube(Arc<Inner>);

impl Default for LiveCube {
    fn default() -> Self {
        Self(Arc::new(Inner {
            live: Arc::new(Mutex::new(None)),
            building: AtomicBool::new(false),
            ticking: AtomicBool::new(false),
            enabled: AtomicBool::new(true),
        }))
    }
}

impl LiveCube {
    /// Whether answers come from memory (on by default). Off, every answer is read from the
    /// store, as the benchmark and the tests compare.
    pub fn set_enabled(&self, on: bool) {
        self.0.enabled.store(on, Ordering::SeqCst);
    }

    /// Events held and the bytes they take, roughly (`None` while none are held).
    pub async fn held(&self) -> Option<(usize, usize)> {
        self.0.live.lock().await.as_ref().map(|l| (l.cube.len(), l.cube.bytes()))
    }

    /// Reads every event into a new cube now, replacing what is held (benchmarks, operators).
    pub async fn rebuild_now(&self, store: &Store, rules: &Rules) -> Result<(), CubeError> {
        let mut live = self.0.live.lock().await;
        *live = None;
        *live = Some(build(store, rules.calendar()).await?);
        tick(Arc::downgrade(&self.0), store.clone());
        Ok(())
    }

    /// Builds the cube in the background unless it is built or being built.
    pub fn warm(&self, store: &Store, rules: &Rules) {
        if !self.0.enabled.load(Ordering::SeqCst) || self.0.building.swap(true, Ordering::SeqCst) {
            return;
        }
        let (me, store, calendar) = (self.clone(), store.clone(), rules.calendar());
        tokio::spawn(async move {
            let started = Instant::now();
            match build(&store, calendar).await {
                Ok(live) => {
                    tracing::info!(
                        events = live.cube.len(),
                        mib = live.cube.bytes() / (1 << 20),
                        secs = started.elapsed().as_secs_f64(),
                        "events held in memory for the figures"
                    );
                    *me.0.live.lock().await = Some(live);
                    tick(Arc::downgrade(&me.0), store);
                }
                Err(e) => tracing::warn!(error = %e, "the figures' events could not be read; answering from the store"),
            }
            me.0.building.store(false, Ordering::SeqCst);
        });
    }

    /// Builds the cube now unless it is built (start-up of tools, tests).
    pub async fn build_now(&self, store: &Store, rules: &Rules) -> Result<(), CubeError> {
        let mut live = self.0.live.lock().await;
        if live.is_none() {
            *live = Some(build(store, rules.calendar()).await?);
            tick(Arc::downgrade(&self.0), store.clone());
        }
        Ok(())
    }

    /// Runs `f` on the cube brought up to date, off the async threads; `None` when it is off,
    /// not built yet or being rebuilt (its build is started): the caller answers from the store.
    pub async fn with<R: Send + 'static>(
        &self,
        store: &Store,
        rules: &Rules,
        f: impl FnOnce(&Cube) -> R + Send + 'static,
    ) -> Result<Option<R>, CubeError> {
        if !self.0.enabled.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let mut guard = self.0.live.clone().lock_owned().await;
        let usable = match guard.as_mut() {
            None => false,
            Some(live) => {
                Arc::ptr_eq(&live.calendar, &rules.calendar())
                    && live.synced.elapsed() < STALE_AFTER
                    && catch_up(live, store).await?
            }
        };
        if !usable {
            *guard = None;
            drop(guard);
            self.warm(store, rules);
            return Ok(None);
        }
        let answer = tokio::task::spawn_blocking(move || guard.as_ref().map(|live| f(&live.cube)))
            .await
            .map_err(|e| CubeError::Task(e.to_string()))?;
        Ok(answer)
    }
}

/// Reads every event into a new cube; the log's mark is taken first, so that whatever changes
/// while the pages are read is caught up afterwards.
async fn build(store: &Store, calendar: Arc<WorkingCalendar>) -> Result<Live, CubeError> {
    let mark = store.event_change_mark().await?;
    let mut cube = Cube::new();
    let mut after: Option<String> = None;
    loop {
        let rows = store.fact_rows_after(after.as_deref(), BUILD_PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.history.event_id.clone());
        let cal = calendar.clone();
        cube = tokio::task::spawn_blocking(move || {
            for row in &rows {
                cube.put(row, &cal);
            }
            cube
        })
        .await
        .map_err(|e| CubeError::Task(e.to_string()))?;
    }
    cube.settle();
    let now = Instant::now();
    Ok(Live { cube, mark, calendar, synced: now, pruned: now })
}

/// Reads the events changed since the cube's mark again; `false` when the cube must be rebuilt
/// instead (too many changes, or a mark the log no longer answers).
async fn catch_up(live: &mut Live, store: &Store) -> Result<bool, StoreError> {
    let Some(changed) = store.events_changed_since(live.mark).await? else { return Ok(false) };
    if !changed.event_ids.is_empty() {
        let rows = store.fact_rows_of(&changed.event_ids).await?;
        let found: HashSet<&str> = rows.iter().map(|r| r.history.event_id.as_str()).collect();
        for gone in changed.event_ids.iter().filter(|id| !found.contains(id.as_str())) {
            live.cube.remove(gone);
        }
        for row in &rows {
            live.cube.put(row, &live.calendar);
        }
        live.cube.settle();
    }
    live.mark = changed.mark;
    live.synced = Instant::now();
    if live.pruned.elapsed() >= PRUNE_EVERY {
        live.pruned = Instant::now();
        let kept = chrono::Duration::from_std(LOG_KEPT).unwrap_or(chrono::Duration::hours(1));
        let pruned = store.prune_event_changes(chrono::Utc::now() - kept).await?;
        tracing::debug!(pruned, "log of event changes pruned");
    }
    Ok(true)
}

/// Catches the cube up every [`TICK`] while it is held by someone.
/// One per process: it stops when the cube is dropped or must be rebuilt.
fn tick(weak: Weak<Inner>, store: Store) {
    let Some(inner) = weak.upgrade() else { return };
    if inner.ticking.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(inner) = weak.upgrade() else { return };
            let mut live = inner.live.lock().await;
            let going = match live.as_mut() {
                None => false,
                Some(l) => match catch_up(l, &store).await {
                    Ok(fresh) => fresh,
                    Err(e) => {
                        tracing::warn!(error = %e, "the figures' events could not catch up; trying again");
                        true
                    }
                },
            };
            if !going {
                *live = None;
                inner.ticking.store(false, Ordering::SeqCst);
                return;
            }
        }
    });
}
