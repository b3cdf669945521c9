//! 督办 — supervision: events whose finish-by deadline has passed are escalated one tier up by
//! rule, by the `system` actor with the reason "逾期自动升级", every minute (configurable).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use wangge_core::access::{AuditOutcome, AuditRow};
use wangge_core::event::{Action, State};

use crate::access::Auditor;
use crate::clock::Clock;
use crate::events::rules::Rules;
use crate::events::transitions::{self, Desk, TransitionFailure};
use crate::events::Changes;
use crate::grids::catalog::SharedCatalog;
use crate::logging::error_chain;
use crate::records::{time_text, EventFilter, EventRecord, Page};
use crate::store::{Store, StoreError};

/// What supervision reads and writes through.
#[derive(Debug, Clone)]
pub struct Supervisor {
    /// Where events are kept.
    pub store: Store,
    /// Roster, calendar and routing table (who is one tier up).
    pub rules: Rules,
    /// The feed of changes the live queue hears.
    pub changes: Changes,
    /// The grids (a street unit's parent grid).
    pub catalog: SharedCatalog,
    /// The audit trail: an escalation's `begun` row is written before it.
    pub auditor: Auditor,
}

impl Supervisor {
    fn desk(&self) -> Desk<'_> {
        Desk { store: &self.store, rules: &self.rules, changes: &self.changes }
    }
}

/// The actor recorded for automatic escalations.
pub const SYSTEM_ACTOR: &str = "system";

/// The reason recorded for automatic escalations.
pub const OVERDUE_REASON: &str = "逾期自动升级";

/// Candidates read per page.
const PAGE: u32 = 500;

/// What one supervision run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervised {
    /// Events escalated, by id.
    pub escalated: Vec<String>,
    /// Overdue events left where they are, with why (top tier, no route, changed meanwhile).
    pub skipped: Vec<(String, String)>,
}

/// Escalates every event overdue at `now` one tier up.
pub async fn supervise(state: &Supervisor, now: DateTime<Utc>) -> Result<Supervised, StoreError> {
    let overdue = overdue_at(state, now).await?;
    let mut out = Supervised::default();
    for event in overdue {
        // The `begun` row first: no automatic escalation happens without its row.
        let object = format!("event:{}", event.event_id);
        let begun = AuditRow::new(now, SYSTEM_ACTOR, "escalate_event", &object, AuditOutcome::Begun).source("supervision");
        if let Err(e) = state.auditor.write(begun).await {
            tracing::error!(error = %error_chain(&e), event = %event.event_id, "the audit trail cannot be written; escalation postponed");
            out.skipped.push((event.event_id, "the audit trail cannot be written".into()));
            continue;
        }
        match escalate(state, &event, now).await {
            Ok(()) => {
                // An automatic escalation is a change like any other: it has its audit row.
                let row = AuditRow::new(now, SYSTEM_ACTOR, "escalate_event", &format!("event:{}", event.event_id), AuditOutcome::Success)
                    .source("supervision")
                    .detail(OVERDUE_REASON);
                if let Err(e) = state.auditor.write(row).await {
                    tracing::error!(error = %error_chain(&e), event = %event.event_id, "audit row of an automatic escalation not written");
                }
                out.escalated.push(event.event_id)
            }
            Err(reason) => out.skipped.push((event.event_id, reason)),
        }
    }
    if !out.escalated.is_empty() || !out.skipped.is_empty() {
        tracing::info!(escalated = out.escalated.len(), skipped = out.skipped.len(), "supervision run");
    }
    Ok(out)
}

/// All open events whose finish-by deadline is before `now`, read before any is changed.
async fn overdue_at(state: &Supervisor, now: DateTime<Utc>) -> Result<Vec<EventRecord>, StoreError> {
    let filter = EventFilter {
        states: vec![State::Assigned, State::Accepted],
        done_before: Some(now),
        ..EventFilter::default()
    };
    let mut all = Vec::new();
    for page in 1.. {
        let found = state.store.events(&filter, Page { page, per_page: PAGE }).await?;
        let last = found.items.len() < PAGE as usize;
        all.extend(found.items);
        if last {
            break;
        }
    }
    Ok(all)
}

/// Escalates one event; the error is why it was left alone.
async fn escalate(state: &Supervisor, event: &EventRecord, now: DateTime<Utc>) -> Result<(), String> {
    let tier = event.flow.tier().ok_or("no holder")?;
    let up = tier.up().ok_or("already at the department tier")?;
    let parent = state.catalog.load().grid(&event.place.grid).and_then(|g| g.grid.parent_grid.clone());
    let to = state.rules.holder_by_rule(up, event, parent.as_deref()).map_err(|e| e.to_string())?;
    let action = Action::Escalate { to, reason: OVERDUE_REASON.into() };
    let missed = event.flow.deadlines.map(|d| time_text(d.done_by));
    let extra = json!({ "overdue": "done", "done_by": missed });
    match transitions::apply_and_publish(state.desk(), event, &action, SYSTEM_ACTOR, Some(extra), Vec::new(), now).await {
        Ok(_) => Ok(()),
        Err(TransitionFailure::Store(StoreError::Stale { .. })) => Err("changed meanwhile".into()),
        Err(e) => {
            tracing::warn!(event_id = %event.event_id, error = %error_chain(&e), "automatic escalation failed");
            Err(e.to_string())
        }
    }
}

/// Runs [`supervise`] every `every` on `clock` until the runtime stops.
pub fn spawn(state: Supervisor, clock: Clock, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            crate::metrics::METRICS.supervision_runs.inc();
            if let Err(e) = supervise(&state, clock.now()).await {
                crate::metrics::METRICS.supervision_failures.inc();
                tracing::error!(error = %error_chain(&e), "supervision run failed");
            }
        }
    })
}
