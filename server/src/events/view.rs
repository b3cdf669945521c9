//! The JSON answers for events and their timelines (names and phones masked).

use chrono::{DateTime, Utc};
use wangge_core::access::mask_phone;
use wangge_core::wire::{DeadlinesView, LocationView, ReporterView};

pub use wangge_core::wire::{EventView, TimelineView};

use crate::records::event::{time_text, EventRecord, TimelineEntry};

/// The answer for `e` (phones and names masked), its overdue flag judged at `now`.
pub fn event_view(e: &EventRecord, now: DateTime<Utc>) -> EventView {
    let deadlines = e.flow.deadlines.map(|d| DeadlinesView {
        since: time_text(d.since),
        verify_by: time_text(d.verify_by),
        done_by: time_text(d.done_by),
    });
    EventView {
        event_id: e.event_id.clone(),
        report_id: e.report_id.clone(),
        category: e.category,
        subcategory: e.subcategory.clone(),
        description: e.description.clone(),
        location: LocationView { lon: e.location.lon, lat: e.location.lat, crs: "cgcs2000".into() },
        grid_code: e.place.grid.clone(),
        village_code: e.place.village.clone(),
        township_code: e.place.township.clone(),
        reporter: ReporterView {
            kind: e.reporter.kind,
            person_id: e.reporter.person_id.clone(),
            name: e.reporter.name.as_deref().map(mask_name),
            phone: e.reporter.phone.as_deref().map(mask_phone),
        },
        channel: e.channel,
        complexity: e.flow.complexity,
        state: e.flow.state,
        holder: e.flow.holder.clone(),
        deadlines,
        overdue: e.flow.overdue(now),
        last_handler: e.flow.last_handler.clone(),
        rating: e.flow.rating,
        patrol_flag: e.patrol_flag,
        seq: e.seq,
        reported_at: time_text(e.reported_at),
        updated_at: time_text(e.updated_at),
        closed_at: e.closed_at.map(time_text),
        attachments: Vec::new(),
        duplicate_of: None,
        duplicates: Vec::new(),
    }
}

/// The answer for a timeline row.
pub fn timeline_view(t: &TimelineEntry) -> TimelineView {
    TimelineView {
        seq: t.seq,
        at: time_text(t.at),
        actor: t.actor.clone(),
        tier: t.tier,
        action: t.action.clone(),
        payload: t.payload.clone(),
        state_after: t.state_after,
        holder: t.holder_after.clone(),
    }
}

/// Names are masked by the pure crate's rule (张** for 张三丰).
pub use wangge_core::access::mask_name;


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_the_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李");
        assert_eq!(mask_name(""), "");
    }
}
