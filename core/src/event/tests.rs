//! State-machine tests: the legal-transition table, invariants under random action
//! sequences, and deadlines.

use chrono::{Datelike, Duration, TimeZone, Utc};

use super::*;
use crate::calendar::WorkingCalendar;

fn cal() -> WorkingCalendar {
    WorkingCalendar::china().unwrap()
}

fn holder(tier: Tier) -> Holder {
    Holder { tier, id: format!("{}-1", tier.as_str()) }
}

fn actions() -> Vec<Action> {
    let n = || "说明".to_string();
    vec![
        Action::Assign { to: holder(Tier::Grid) },
        Action::Accept,
        Action::ResolveOnSpot { note: n() },
        Action::Escalate { to: holder(Tier::Township), reason: n() },
        Action::Handle { note: n() },
        Action::Return { reason: n() },
        Action::Arbitrate { to: holder(Tier::Department), note: n() },
        Action::Close { note: n() },
        Action::Rate { score: 4 },
        Action::Reopen { reason: n() },
    ]
}

/// Tiny deterministic generator for sequences.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn legal_transitions_are_exactly_the_table() {
    use State::*;
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
    // A loop in each state, reached by legal steps from a grid assignment.
    let start = Loop::new(Complexity::Ordinary);
    let assigned = start.apply(&Action::Assign { to: holder(Tier::Grid) }, at, &cal()).unwrap();
    let accepted = assigned.apply(&Action::Accept, at, &cal()).unwrap();
    let handled = accepted.apply(&Action::Handle { note: "修好".into() }, at, &cal()).unwrap();
    let returned = accepted.apply(&Action::Return { reason: "非本级".into() }, at, &cal()).unwrap();
    let closed = handled.apply(&Action::Close { note: "已答复".into() }, at, &cal()).unwrap();
    let rated = closed.apply(&Action::Rate { score: 5 }, at, &cal()).unwrap();
    let legal: &[(State, &[&str])] = &[
        (Reported, &["assign"]),
        (Assigned, &["accept", "resolve_on_spot", "escalate", "return"]),
        (Accepted, &["resolve_on_spot", "escalate", "handle", "return"]),
        (Handled, &["close"]),
        (Returned, &["arbitrate"]),
        (Closed, &["rate", "reopen"]),
        (Rated, &["reopen"]),
    ];
    for (l, (state, ok)) in [&start, &assigned, &accepted, &handled, &returned, &closed, &rated].iter().zip(legal) {
        assert_eq!(l.state, *state);
        for a in actions() {
            let res = l.apply(&a, at, &cal());
            assert_eq!(res.is_ok(), ok.contains(&a.name()), "{} in {:?}: {:?}", a.name(), state, res.err());
        }
    }
}

#[test]
fn random_sequences_keep_the_invariants() {
    let mut rng = Rng(0x5eed);
    let acts = actions();
    let tiers = Tier::ALL;
    let mut t = Utc.with_ymd_and_hms(2024, 1, 2, 1, 0, 0).unwrap();
    for _ in 0..2000 {
        let mut l = Loop::new(if rng.below(2) == 0 { Complexity::Ordinary } else { Complexity::Complex });
        let mut accepted_steps = 0;
        for _ in 0..30 {
            t += Duration::hours(rng.below(40) as i64);
            if t.year() > 2026 {
                t = Utc.with_ymd_and_hms(2024, 1, 2, 1, 0, 0).unwrap();
            }
            let mut a = acts[rng.below(acts.len())].clone();
            if let Action::Escalate { to, .. } | Action::Arbitrate { to, .. } = &mut a {
                to.tier = tiers[rng.below(tiers.len())];
            }
            let before = l.clone();
            match l.apply(&a, t, &cal()) {
                Ok(next) => {
                    if let Action::Escalate { to, .. } = &a {
                        assert!(Some(to.tier) > before.tier(), "escalation went down");
                    }
                    l = next;
                    accepted_steps += 1;
                }
                Err(_) => assert_eq!(l, before),
            }
            let held = !matches!(l.state, State::Reported);
            assert_eq!(l.holder.is_some(), held, "{:?}", l.state);
            assert_eq!(l.deadlines.is_some(), held);
            assert_eq!(l.rating.is_some(), l.state == State::Rated);
            if let Some(d) = l.deadlines {
                assert!(d.since < d.verify_by && d.verify_by <= d.done_by);
            }
        }
        let _ = accepted_steps;
    }
}

#[test]
fn deadlines_follow_one_three_five_in_working_days() {
    // Received Friday 2025-09-26 10:00 China time; Sunday 09-28 is a make-up working day and
    // 10-01..08 are holidays.
    let at = Utc.with_ymd_and_hms(2025, 9, 26, 2, 0, 0).unwrap();
    let cal = cal();
    let d = |c| Deadlines::at(&cal, at, c).unwrap();
    let local = |t: DateTime<Utc>| t.with_timezone(&crate::calendar::CHINA_TIME).naive_local().to_string();
    assert_eq!(local(d(Complexity::Ordinary).verify_by), "2025-09-29 00:00:00"); // end of Sun 28th
    assert_eq!(local(d(Complexity::Ordinary).done_by), "2025-10-01 00:00:00"); // 28, 29, 30
    assert_eq!(local(d(Complexity::Complex).done_by), "2025-10-11 00:00:00"); // … 10-09, 10-10
}

#[test]
fn overdue_events_are_flagged() {
    let cal = cal();
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
    let l = Loop::new(Complexity::Ordinary).apply(&Action::Assign { to: holder(Tier::Village) }, at, &cal).unwrap();
    assert_eq!(l.overdue(at + Duration::hours(3)), None);
    assert_eq!(l.overdue(at + Duration::days(2)), Some(Overdue::Verify));
    let l = l.apply(&Action::Accept, at, &cal).unwrap();
    assert_eq!(l.overdue(at + Duration::days(2)), None);
    assert_eq!(l.overdue(at + Duration::days(5)), Some(Overdue::Done));
}

#[test]
fn overdue_from_is_when_overdue_begins() {
    let cal = cal();
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
    let assigned = Loop::new(Complexity::Ordinary).apply(&Action::Assign { to: holder(Tier::Village) }, at, &cal).unwrap();
    let accepted = assigned.apply(&Action::Accept, at, &cal).unwrap();
    let handled = accepted.apply(&Action::Handle { note: "done".into() }, at, &cal).unwrap();
    for l in [assigned, accepted, handled] {
        let d = l.deadlines;
        let from = overdue_from(l.state, d.map(|d| d.verify_by), d.map(|d| d.done_by));
        for hours in 0..24 * 10 {
            let now = at + Duration::hours(hours);
            assert_eq!(l.overdue(now).is_some(), from.is_some_and(|t| t < now), "{:?} at {now}", l.state);
        }
    }
}

#[test]
fn reasons_and_ratings_are_checked() {
    let cal = cal();
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
    let l = Loop::new(Complexity::Ordinary).apply(&Action::Assign { to: holder(Tier::Village) }, at, &cal).unwrap();
    assert!(matches!(l.apply(&Action::Return { reason: "  ".into() }, at, &cal), Err(TransitionError::BadText(_))));
    assert!(matches!(
        l.apply(&Action::Escalate { to: holder(Tier::Grid), reason: "x".into() }, at, &cal),
        Err(TransitionError::NotUp { .. })
    ));
    assert!(matches!(l.apply(&Action::ResolveOnSpot { note: "x".into() }, at, &cal), Err(TransitionError::NotAtGrid(_))));
    let long = "字".repeat(MAX_TEXT + 1);
    assert!(l.apply(&Action::Handle { note: long }, at, &cal).is_err());
}
