//! The county's figures, computed from events and their timelines (pure): reported, closed,
//! closure rate, by category and by division, and on-time rates per tier under the 1-3-5 rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calendar::WorkingCalendar;
use crate::event::{Action, Category, Complexity, Loop, Tier, TransitionError};

/// One holder's time with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stint {
    /// The tier that held it.
    pub tier: Tier,
    /// Verify by.
    pub verify_by: DateTime<Utc>,
    /// Finish by.
    pub done_by: DateTime<Utc>,
    /// When the holder first acted on it (verified, solved, passed it on or returned it).
    pub verified_at: Option<DateTime<Utc>>,
    /// When the holder was done with it (handled, solved, passed on or returned).
    pub finished_at: Option<DateTime<Utc>>,
}

/// Replays an event's actions and returns each holder's stint.
pub fn stints(complexity: Complexity, actions: &[(DateTime<Utc>, Action)], cal: &WorkingCalendar) -> Result<Vec<Stint>, TransitionError> {
    let mut lp = Loop::new(complexity);
    let mut out: Vec<Stint> = Vec::new();
    for (at, action) in actions {
        let next = lp.apply(action, *at, cal)?;
        let open = out.last_mut().filter(|s| s.finished_at.is_none());
        match action {
            Action::Accept => {
                if let Some(s) = open {
                    s.verified_at.get_or_insert(*at);
                }
            }
            Action::ResolveOnSpot { .. } | Action::Handle { .. } | Action::Escalate { .. } | Action::Return { .. } => {
                if let Some(s) = open {
                    s.verified_at.get_or_insert(*at);
                    s.finished_at = Some(*at);
                }
            }
            _ => {}
        }
        let handed = matches!(action, Action::Assign { .. } | Action::Escalate { .. } | Action::Arbitrate { .. } | Action::Reopen { .. });
        if let (true, Some(d), Some(tier)) = (handed, next.deadlines, next.tier()) {
            out.push(Stint { tier, verify_by: d.verify_by, done_by: d.done_by, verified_at: None, finished_at: None });
        }
        lp = next;
    }
    Ok(out)
}

/// What the figures need to know of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    /// Category.
    pub category: Category,
    /// Township code.
    pub township: String,
    /// Village code.
    pub village: String,
    /// Grid code.
    pub grid: String,
    /// Closed (or closed and rated).
    pub closed: bool,
    /// Its stints.
    pub stints: Vec<Stint>,
}

/// Reported and closed counts with the closure rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Reported in the period.
    pub reported: usize,
    /// Of those, closed.
    pub closed: usize,
    /// closed / reported in percent, two decimals (0 when nothing was reported).
    pub closure_rate: f64,
}

impl Counts {
    /// `reported` events of which `closed` are closed, with their closure rate.
    pub fn of(reported: usize, closed: usize) -> Self {
        Self { reported, closed, closure_rate: 0.0 }.finish()
    }

    fn add(&mut self, closed: bool) {
        self.reported += 1;
        self.closed += usize::from(closed);
    }

    fn finish(mut self) -> Self {
        self.closure_rate = percent(self.closed, self.reported);
        self
    }
}

/// On-time performance of one tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnTime {
    /// Stints decided (finished, or past their deadline).
    pub stints: usize,
    /// Verified within 1 working day.
    pub verified_on_time: usize,
    /// Finished within 3 or 5 working days.
    pub finished_on_time: usize,
    /// Percent verified on time.
    pub verify_rate: f64,
    /// Percent finished on time.
    pub finish_rate: f64,
}

impl OnTime {
    /// `stints` decided stints, `verified` of them verified and `finished` finished on time,
    /// with their rates.
    pub fn of(stints: usize, verified: usize, finished: usize) -> Self {
        Self {
            stints,
            verified_on_time: verified,
            finished_on_time: finished,
            verify_rate: percent(verified, stints),
            finish_rate: percent(finished, stints),
        }
    }
}

/// The figures of a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// All events.
    #[serde(flatten)]
    pub total: Counts,
    /// By category wire name.
    pub by_category: BTreeMap<&'static str, Counts>,
    /// By township code.
    pub by_township: BTreeMap<String, Counts>,
    /// By village code.
    pub by_village: BTreeMap<String, Counts>,
    /// By grid code.
    pub by_grid: BTreeMap<String, Counts>,
    /// By tier wire name.
    pub on_time: BTreeMap<&'static str, OnTime>,
}

/// Computes the figures of `events` as of `now` (open stints past their deadline count late).
pub fn figures(events: &[EventFacts], now: DateTime<Utc>) -> Figures {
    let mut f = Figures::default();
    for c in Category::ALL {
        f.by_category.insert(c.as_str(), Counts::default());
    }
    for e in events {
        f.total.add(e.closed);
        f.by_category.entry(e.category.as_str()).or_default().add(e.closed);
        f.by_township.entry(e.township.clone()).or_default().add(e.closed);
        f.by_village.entry(e.village.clone()).or_default().add(e.closed);
        f.by_grid.entry(e.grid.clone()).or_default().add(e.closed);
        for s in &e.stints {
            let decided = s.finished_at.is_some() || now > s.done_by;
            if !decided {
                continue;
            }
            let t = f.on_time.entry(s.tier.as_str()).or_default();
            t.stints += 1;
            t.verified_on_time += usize::from(s.verified_at.is_some_and(|v| v <= s.verify_by));
            t.finished_on_time += usize::from(s.finished_at.is_some_and(|v| v <= s.done_by));
        }
    }
    f.total = f.total.finish();
    for map in [&mut f.by_township, &mut f.by_village, &mut f.by_grid] {
        for c in map.values_mut() {
            *c = c.finish();
        }
    }
    for c in f.by_category.values_mut() {
        *c = c.finish();
    }
    for t in f.on_time.values_mut() {
        t.verify_rate = percent(t.verified_on_time, t.stints);
        t.finish_rate = percent(t.finished_on_time, t.stints);
    }
    f
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / whole as f64).round() / 100.0
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::event::Holder;

    #[test]
    fn stints_and_rates() {
        let cal = WorkingCalendar::china().unwrap();
        let t0 = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
        let h = |tier, id: &str| Holder { tier, id: id.into() };
        let actions = vec![
            (t0, Action::Assign { to: h(Tier::Grid, "GW1") }),
            (t0 + Duration::hours(1), Action::Accept),
            (t0 + Duration::hours(2), Action::Escalate { to: h(Tier::Township, "130730100"), reason: "r".into() }),
            (t0 + Duration::days(3), Action::Accept),
            (t0 + Duration::days(9), Action::Handle { note: "n".into() }),
            (t0 + Duration::days(9), Action::Close { note: "n".into() }),
        ];
        let s = stints(Complexity::Ordinary, &actions, &cal).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].tier, s[1].tier), (Tier::Grid, Tier::Township));
        let facts = EventFacts {
            category: Category::Hazard,
            township: "130730100".into(),
            village: "130730100001".into(),
            grid: "130730100001001".into(),
            closed: true,
            stints: s,
        };
        let f = figures(&[facts], t0 + Duration::days(30));
        assert_eq!((f.total.reported, f.total.closed, f.total.closure_rate), (1, 1, 100.0));
        assert_eq!(f.by_category["hazard"].reported, 1);
        assert_eq!(f.by_category["dispute"].reported, 0);
        let grid = f.on_time["grid"];
        assert_eq!((grid.verified_on_time, grid.finished_on_time), (1, 1));
        let town = f.on_time["township"];
        assert_eq!((town.stints, town.verified_on_time, town.finished_on_time), (1, 0, 0), "late on both");
    }

    #[test]
    fn the_seed_rate_rounds_to_99_33() {
        assert_eq!(percent(10_435, 10_505), 99.33);
        assert_eq!(percent(0, 0), 0.0);
    }
}
