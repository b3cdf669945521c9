//! The patrol figures of a period (巡查走访率): the stored tracks become the core's
//! [`PatrolFacts`] and `wangge_core::patrol::patrol_figures` computes them (see its module for
//! the coverage definition).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use wangge_core::patrol::{patrol_figures, PatrolFacts, PatrolFigures, TrackFix};
use wangge_core::people::{Role, Roster};
use wangge_core::GridIndex;

use crate::records::{PatrolFilter, PatrolTrack};
use crate::store::{Store, StoreError};

/// Which figures: patrols started in `[from, to)`, of gridworkers whose unit starts with
/// `prefix`, over the grids whose code starts with it (everything when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureScope {
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period (excluded).
    pub to: DateTime<Utc>,
    /// A township or village code.
    pub prefix: Option<String>,
}

/// Why the figures could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The computing task died.
    #[error("the patrol figures task failed: {0}")]
    Task(String),
}

/// The figures of `scope` over the grids of `index`, each gridworker's coverage over their
/// bound grids in `roster`.
pub async fn figures(
    store: &Store,
    index: Arc<GridIndex>,
    roster: Arc<Roster>,
    scope: &FigureScope,
) -> Result<PatrolFigures, FiguresError> {
    let filter = PatrolFilter {
        unit_prefixes: scope.prefix.iter().cloned().collect(),
        from: Some(scope.from),
        to: Some(scope.to),
        ..PatrolFilter::default()
    };
    let tracks = store.patrol_tracks(&filter).await?;
    let prefix = scope.prefix.clone().unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        let position: HashMap<&str, usize> =
            index.grids().iter().enumerate().map(|(i, g)| (g.code.as_str(), i)).collect();
        let grids: Vec<usize> =
            index.grids().iter().enumerate().filter(|(_, g)| g.code.starts_with(&prefix)).map(|(i, _)| i).collect();
        let bound: BTreeMap<String, Vec<usize>> = roster
            .people()
            .iter()
            .filter(|p| p.role == Role::Gridworker)
            .map(|p| (p.id.clone(), p.grids.iter().filter_map(|g| position.get(g.as_str()).copied()).collect()))
            .collect();
        let facts: Vec<PatrolFacts> = tracks.iter().map(facts).collect();
        patrol_figures(&index, &grids, &bound, &facts)
    })
    .await
    .map_err(|e| FiguresError::Task(e.to_string()))
}

/// A stored track as the core's facts.
fn facts(t: &PatrolTrack) -> PatrolFacts {
    PatrolFacts {
        person_id: t.patrol.person_id.clone(),
        started_ms: t.patrol.started_at.timestamp_millis(),
        ended_ms: t.patrol.ended_at.map(|e| e.timestamp_millis()),
        points: t
            .points
            .iter()
            .map(|p| TrackFix { at_ms: p.at.timestamp_millis(), at: p.place.at, outside: p.place.outside })
            .collect(),
        checkins: t.checkins.iter().map(|(at, p)| (at.timestamp_millis(), *p)).collect(),
    }
}
