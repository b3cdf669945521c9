//! Call-backs (回访): checking a call's record, which closed events are due one (the county's
//! sampling rule), and recording a call — a 不满意 or 很不满意 reopens the event to the tier that
//! closed it, through the closed loop's own transition and timeline.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use wangge_core::dispute::{Level, SamplingRule};
use wangge_core::event::Action;

use super::{optional, Refused};
use crate::events::transitions::{self, Desk, TransitionFailure};
use crate::records::{Callback, ClosedEvent, EventRecord};
use crate::store::StoreError;

/// `POST /api/v1/events/{id}/followups`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowupRequest {
    /// Whether the reporter was reached.
    pub reached: bool,
    /// 很满意, 基本满意, 不满意 or 很不满意 (required when reached).
    #[serde(default)]
    pub level: Option<String>,
    /// What was said.
    #[serde(default)]
    pub note: Option<String>,
}

/// A call as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Followup {
    /// Reached.
    pub reached: bool,
    /// The level, when reached.
    pub level: Option<Level>,
    /// The note.
    pub note: String,
}

/// Who records a call-back: the desk, or the reporter rating their own event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Grid-centre staff calling.
    Desk,
    /// The reporter (field app or Open311).
    Reporter,
}

impl Source {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desk => "desk",
            Self::Reporter => "reporter",
        }
    }
}

/// Checks a call's record: a level exactly when reached.
pub fn check(req: FollowupRequest) -> Result<Followup, Refused> {
    let note = optional("note", req.note.as_deref(), super::MAX_TEXT)?;
    let level = match (req.reached, req.level.as_deref().map(str::trim).filter(|l| !l.is_empty())) {
        (true, None) => return Err(Refused::Invalid("level is required when the reporter was reached: 很满意, 基本满意, 不满意 or 很不满意".into())),
        (false, Some(_)) => return Err(Refused::Invalid("a call that did not reach the reporter has no level".into())),
        (false, None) => None,
        (true, Some(l)) => Some(Level::parse(l).ok_or_else(|| {
            Refused::Invalid(format!("level must be 很满意, 基本满意, 不满意 or 很不满意, got {l:?}"))
        })?),
    };
    Ok(Followup { reached: req.reached, level, note })
}

/// Whether a closed event is on the desk: sampled by the rule and nobody reached since it closed.
pub fn due(rule: &SamplingRule, e: &ClosedEvent) -> bool {
    !e.reached && rule.due(&e.event_id, &e.category, false)
}

/// Why a call-back was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum CallbackFailure {
    /// The request or the event's state refuses it.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The reopening transition failed.
    #[error(transparent)]
    Transition(#[from] TransitionFailure),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records call `f` (id `callback_id`) on closed `event`: reopening it first when the level
/// says so (its timeline row names the call), then the call-back row. Answers the call-back
/// and the event after it.
pub async fn record(
    desk: Desk<'_>,
    event: &EventRecord,
    f: &Followup,
    callback_id: String,
    (actor, source): (&str, Source),
    now: DateTime<Utc>,
) -> Result<(Callback, EventRecord), CallbackFailure> {
    if !event.flow.state.is_closed() {
        return Err(Refused::Invalid(format!(
            "event {} is {}, not closed: only a closed event is called back",
            event.event_id,
            event.flow.state.as_str()
        ))
        .into());
    }
    let mut after = event.clone();
    let reopens = f.level.is_some_and(Level::reopens);
    if let Some(level) = f.level.filter(|_| reopens) {
        let reason = if f.note.is_empty() { format!("回访{}", level.zh()) } else { format!("回访{}：{}", level.zh(), f.note) };
        let action = Action::Reopen { reason };
        let extra = json!({ "callback_id": callback_id, "level": level.zh(), "source": source.as_str() });
        after = transitions::apply_and_publish(desk, event, &action, actor, Some(extra), Vec::new(), now).await?;
    }
    let callback = Callback {
        callback_id,
        event_id: event.event_id.clone(),
        at: now,
        actor: actor.to_owned(),
        source: source.as_str().into(),
        reached: f.reached,
        level: f.level,
        note: f.note.clone(),
        reopened: reopens,
        place: event.place.clone(),
        event_reported_at: event.reported_at,
    };
    desk.store.insert_callback(&callback).await?;
    Ok((callback, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(reached: bool, level: Option<&str>) -> FollowupRequest {
        FollowupRequest { reached, level: level.map(Into::into), note: None }
    }

    #[test]
    fn a_level_exactly_when_reached() {
        assert_eq!(check(req(true, Some("不满意"))).map(|f| f.level).ok().flatten(), Some(Level::Dissatisfied));
        assert!(check(req(true, None)).is_err());
        assert!(check(req(false, Some("很满意"))).is_err());
        assert!(check(req(true, Some("满意"))).is_err());
        assert_eq!(check(req(false, None)).map(|f| f.reached).ok(), Some(false));
    }
}
