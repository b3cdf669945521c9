//! Applying a core [`Action`] to a stored event: the pure transition with the service's
//! calendar, its timeline row, and the optimistic write (a concurrent change wins, this one
//! is refused as stale).

use chrono::{DateTime, Utc};
use serde_json::Value;
use wangge_core::event::{Action, TransitionError};

use crate::events::rules::Rules;
use crate::events::{ChangeKind, Changes};
use crate::records::{EventRecord, NewAttachment, TimelineEntry, TransitionWrite};
use crate::store::{Store, StoreError};

/// What the closed loop writes through: the store, the rules, and the feed of changes the live
/// queue hears.
#[derive(Debug, Clone, Copy)]
pub struct Desk<'a> {
    /// Where events are kept.
    pub store: &'a Store,
    /// Roster, calendar and routing table.
    pub rules: &'a Rules,
    /// Committed changes, announced.
    pub changes: &'a Changes,
}

/// Why a transition did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TransitionFailure {
    /// The state machine refused it.
    #[error(transparent)]
    Refused(#[from] TransitionError),
    /// The store failed, or the event changed meanwhile ([`StoreError::Stale`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies `action` by `actor` to `event` at `now`; `extra` members are added to the timeline
/// payload and `photos` (evidence of handling) stored with it. Answers the event as stored
/// after it.
#[allow(clippy::too_many_arguments)] // the store and rules, then the action and all it carries
pub async fn apply(
    store: &Store,
    rules: &Rules,
    event: &EventRecord,
    action: &Action,
    actor: &str,
    extra: Option<Value>,
    photos: Vec<NewAttachment>,
    now: DateTime<Utc>,
) -> Result<EventRecord, TransitionFailure> {
    let calendar = rules.calendar();
    let flow = event.flow.apply(action, now, &calendar)?;
    let closed_at = match (flow.state.is_closed(), event.closed_at) {
        (true, Some(t)) => Some(t),
        (true, None) => Some(now),
        (false, _) => None,
    };
    let entry = TimelineEntry {
        seq: event.seq + 1,
        at: now,
        actor: actor.to_owned(),
        tier: event.flow.tier(),
        action: action.name().to_owned(),
        payload: payload(action, extra),
        state_after: flow.state,
        holder_after: flow.holder.clone(),
    };
    let write =
        TransitionWrite { event_id: event.event_id.clone(), expected_seq: event.seq, flow, entry, closed_at, regrid: None, attachments: photos };
    store.apply_transition(&write).await?;
    let mut after = event.clone();
    after.flow = write.flow;
    after.seq = write.entry.seq;
    after.updated_at = now;
    after.closed_at = closed_at;
    Ok(after)
}

/// [`apply`] with the desk's store and rules, then the changed event announced to the live
/// queue (after its commit).
pub async fn apply_and_publish(
    desk: Desk<'_>,
    event: &EventRecord,
    action: &Action,
    actor: &str,
    extra: Option<Value>,
    photos: Vec<NewAttachment>,
    now: DateTime<Utc>,
) -> Result<EventRecord, TransitionFailure> {
    let after = apply(desk.store, desk.rules, event, action, actor, extra, photos, now).await?;
    desk.changes.publish(ChangeKind::Changed, &after, event.flow.holder.as_ref());
    Ok(after)
}

/// The action's fields without its tag, plus `extra`.
pub(crate) fn payload(action: &Action, extra: Option<Value>) -> Value {
    let mut value = serde_json::to_value(action).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.remove("action");
        if let Some(Value::Object(more)) = extra {
            map.extend(more);
        }
    }
    if value.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        value
    }
}

