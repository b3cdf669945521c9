//! The county's figures for a period (统计): which events count, and how their stored
//! timelines become the core's [`EventFacts`] (stints replayed with the service's calendar).

use chrono::{DateTime, Utc};
use wangge_core::calendar::WorkingCalendar;
use wangge_core::event::Action;
use wangge_core::stats::{self, EventFacts};

use crate::records::{EventHistory, StoredAction};




/// The core action a timeline row records, as far as the loop needs it, or `None` (logged)
/// for a row that cannot be read back.
fn action_of(event_id: &str, row: &StoredAction) -> Option<(DateTime<Utc>, Action)> {
    // Texts are required by the loop but do not change it.
    let text = || String::from("-");
    let to = || row.holder.clone();
    let action = match row.action.as_str() {
        "assign" => to().map(|to| Action::Assign { to }),
        "accept" => Some(Action::Accept),
        "resolve_on_spot" => Some(Action::ResolveOnSpot { note: text() }),
        "escalate" => to().map(|to| Action::Escalate { to, reason: text() }),
        "handle" => Some(Action::Handle { note: text() }),
        "return" => Some(Action::Return { reason: text() }),
        "arbitrate" => to().map(|to| Action::Arbitrate { to, note: text() }),
        "close" => Some(Action::Close { note: text() }),
        "rate" => row.score.map(|score| Action::Rate { score }),
        "reopen" => Some(Action::Reopen { reason: text() }),
        _ => None,
    };
    if action.is_none() {
        tracing::warn!(event_id, action = %row.action, "timeline row skipped in the figures");
    }
    action.map(|a| (row.at, a))
}

/// The facts of one event: closed if it is closed or rated; stints replayed from its timeline
/// (none, with a warning, if the timeline does not replay).
pub fn facts(h: &EventHistory, cal: &WorkingCalendar) -> EventFacts {
    let actions: Vec<(DateTime<Utc>, Action)> = h.actions.iter().filter_map(|r| action_of(&h.event_id, r)).collect();
    let stints = stats::stints(h.complexity, &actions, cal).unwrap_or_else(|e| {
        tracing::warn!(event_id = %h.event_id, error = %e, "timeline does not replay; no stints counted");
        Vec::new()
    });
    EventFacts {
        category: h.category,
        township: h.place.township.clone(),
        village: h.place.village.clone(),
        grid: h.place.grid.clone(),
        closed: h.state.is_closed(),
        stints,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use wangge_core::event::Tier;

    use super::*;
    use crate::records::Place;
    use wangge_core::event::{Category, Complexity, Holder, State};

    fn row(at: DateTime<Utc>, action: &str, holder: Option<&Holder>) -> StoredAction {
        StoredAction { at, action: action.into(), holder: holder.cloned(), score: None }
    }

    #[test]
    fn timelines_replay_into_stints() {
        let cal = WorkingCalendar::china().unwrap_or_else(|e| panic!("{e}"));
        let t0 = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).single().unwrap_or_default();
        let to = Holder { tier: Tier::Grid, id: "GW1".into() };
        let h = EventHistory {
            event_id: "E1".into(),
            category: Category::Hazard,
            complexity: Complexity::Ordinary,
            state: State::Closed,
            place: Place { grid: "g".into(), village: "v".into(), township: "t".into() },
            actions: vec![
                row(t0, "assign", Some(&to)),
                row(t0, "resolve_on_spot", None),
                row(t0, "no_such_action", None),
                row(t0, "close", None),
            ],
        };
        let f = facts(&h, &cal);
        assert!(f.closed);
        assert_eq!(f.stints.len(), 1);
        assert_eq!(f.stints[0].finished_at, Some(t0));
    }
}
