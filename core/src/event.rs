//! Events (事件) and their closed loop as a pure state machine: every accepted action yields
//! one timeline entry and new deadlines; an illegal action is refused with a reason and
//! changes nothing.
//!
//! Flow: the gridworker (网格员) solves on the spot or the event goes up — village/community
//! centre → township centre → county centre → functional department. The 1-3-5 rule applies at
//! the tier that holds the event: verify within 1 working day, finish ordinary events within 3
//! and complex ones within 5, counted from the day the event reached that tier.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkingCalendar};

/// 事件类别 — the four categories the county reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 民生事项 — livelihood requests.
    Livelihood,
    /// 问题隐患 — problems and hazards.
    Hazard,
    /// 矛盾纠纷 — disputes.
    Dispute,
    /// 其他 — anything else.
    Other,
}

impl Category {
    /// All categories in report order.
    pub const ALL: [Category; 4] = [Self::Livelihood, Self::Hazard, Self::Dispute, Self::Other];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Livelihood => "livelihood",
            Self::Hazard => "hazard",
            Self::Dispute => "dispute",
            Self::Other => "other",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Livelihood => "民生事项",
            Self::Hazard => "问题隐患",
            Self::Dispute => "矛盾纠纷",
            Self::Other => "其他",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How hard an event is; decides the 3- or 5-working-day limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    /// 一般事项 — done within 3 working days.
    Ordinary,
    /// 复杂事项 — done within 5 working days.
    Complex,
}

impl Complexity {
    /// Working days allowed to finish.
    pub fn days(self) -> u32 {
        match self {
            Self::Ordinary => 3,
            Self::Complex => 5,
        }
    }
}

/// Who holds an event, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 网格员 — the grid's gridworker.
    Grid,
    /// 村(社区)网格中心 — village or community centre.
    Village,
    /// 乡镇网格中心 — township centre.
    Township,
    /// 县网格中心 — county centre.
    County,
    /// 职能部门 — a functional department (water, power, gas, …).
    Department,
}

impl Tier {
    /// All tiers, lowest first.
    pub const ALL: [Tier; 5] = [Self::Grid, Self::Village, Self::Township, Self::County, Self::Department];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::Village => "village",
            Self::Township => "township",
            Self::County => "county",
            Self::Department => "department",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The next tier up, if any.
    pub fn up(self) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *t > self)
    }
}

/// Where an event is in its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Received, not yet with anyone.
    Reported,
    /// With a holder who must verify it (1 working day).
    Assigned,
    /// Verified and being handled (3 or 5 working days).
    Accepted,
    /// The holder reports it done; awaiting verification.
    Handled,
    /// 退单 — the holder returned it with a reason; awaiting county arbitration.
    Returned,
    /// Verified done, answer given to the reporter.
    Closed,
    /// The reporter rated the answer.
    Rated,
}

impl State {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Assigned => "assigned",
            Self::Accepted => "accepted",
            Self::Handled => "handled",
            Self::Returned => "returned",
            Self::Closed => "closed",
            Self::Rated => "rated",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Reported, Self::Assigned, Self::Accepted, Self::Handled, Self::Returned, Self::Closed, Self::Rated]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Whether the loop is closed.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Closed | Self::Rated)
    }
}

/// Who an event is with: a person or a department, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holder {
    /// The tier.
    pub tier: Tier,
    /// Person id, centre id (jurisdiction code) or department code.
    pub id: String,
}

/// Something done to an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Give the event to a holder (at intake, by rule).
    Assign {
        /// Who gets it.
        to: Holder,
    },
    /// The holder verifies the event (核实).
    Accept,
    /// The gridworker solves it on the spot (就地解决).
    ResolveOnSpot {
        /// What was done.
        note: String,
    },
    /// Pass it up to a higher tier (上报/流转).
    Escalate {
        /// The new holder, at a higher tier.
        to: Holder,
        /// Why.
        reason: String,
    },
    /// The holder reports it handled (办结).
    Handle {
        /// What was done.
        note: String,
    },
    /// 退单 — the holder returns it as not theirs, with a reason.
    Return {
        /// Why.
        reason: String,
    },
    /// County arbitration of a return: give it to `to` (the same holder if the return is refused).
    Arbitrate {
        /// The holder decided on.
        to: Holder,
        /// The decision.
        note: String,
    },
    /// Verified done and answered (办结反馈).
    Close {
        /// The answer to the reporter.
        note: String,
    },
    /// The reporter rates the answer, 1–5.
    Rate {
        /// 1 (very unsatisfied) to 5 (very satisfied).
        score: u8,
    },
    /// The reporter says it is not fixed: back to the last holder.
    Reopen {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// Stable wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Assign { .. } => "assign",
            Self::Accept => "accept",
            Self::ResolveOnSpot { .. } => "resolve_on_spot",
            Self::Escalate { .. } => "escalate",
            Self::Handle { .. } => "handle",
            Self::Return { .. } => "return",
            Self::Arbitrate { .. } => "arbitrate",
            Self::Close { .. } => "close",
            Self::Rate { .. } => "rate",
            Self::Reopen { .. } => "reopen",
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    /// The action does not apply in this state.
    #[error("cannot {action} an event that is {state}")]
    Illegal {
        /// The action.
        action: &'static str,
        /// The current state.
        state: &'static str,
    },
    /// Escalation must go to a higher tier.
    #[error("cannot escalate from {from} to {to}: escalation goes up")]
    NotUp {
        /// Current tier.
        from: &'static str,
        /// Requested tier.
        to: &'static str,
    },
    /// Only the gridworker resolves on the spot.
    #[error("only the gridworker resolves on the spot; the event is with the {0} tier")]
    NotAtGrid(&'static str),
    /// A required text is empty or too long.
    #[error("{0}")]
    BadText(&'static str),
    /// A rating outside 1–5.
    #[error("rating must be 1 to 5, got {0}")]
    BadScore(u8),
    /// The calendar cannot count the deadline.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// Deadlines at the current tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// When the event reached its current holder.
    pub since: DateTime<Utc>,
    /// Verify by (1 working day).
    pub verify_by: DateTime<Utc>,
    /// Finish by (3 or 5 working days).
    pub done_by: DateTime<Utc>,
}

impl Deadlines {
    /// The 1-3-5 deadlines for an event reaching a tier at `at`.
    pub fn at(cal: &WorkingCalendar, at: DateTime<Utc>, complexity: Complexity) -> Result<Self, CalendarError> {
        Ok(Self { since: at, verify_by: cal.deadline(at, 1)?, done_by: cal.deadline(at, complexity.days())? })
    }
}

/// The part of an event the loop changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loop {
    /// Current state.
    pub state: State,
    /// Current holder (none before assignment).
    pub holder: Option<Holder>,
    /// Ordinary or complex.
    pub complexity: Complexity,
    /// Deadlines at the current holder.
    pub deadlines: Option<Deadlines>,
    /// The holder before the current one (where a reopened event goes back to).
    pub last_handler: Option<Holder>,
    /// The reporter's rating.
    pub rating: Option<u8>,
}

/// The longest note, reason or answer accepted (characters).
pub const MAX_TEXT: usize = 2000;

impl Loop {
    /// A new, unassigned event.
    pub fn new(complexity: Complexity) -> Self {
        Self { state: State::Reported, holder: None, complexity, deadlines: None, last_handler: None, rating: None }
    }

    /// Applies `action` at `at`, returning the new loop (self is unchanged on error).
    pub fn apply(&self, action: &Action, at: DateTime<Utc>, cal: &WorkingCalendar) -> Result<Self, TransitionError> {
        use State::*;
        let illegal = || TransitionError::Illegal { action: action.name(), state: self.state.as_str() };
        let mut next = self.clone();
        match (action, self.state) {
            (Action::Assign { to }, Reported) => next.give(to.clone(), at, cal)?,
            (Action::Accept, Assigned) => next.state = Accepted,
            (Action::ResolveOnSpot { note }, Assigned | Accepted) => {
                text(note, "a note saying what was done is required")?;
                let tier = self.tier().ok_or_else(illegal)?;
                if tier != Tier::Grid {
                    return Err(TransitionError::NotAtGrid(tier.as_str()));
                }
                next.state = Handled;
            }
            (Action::Escalate { to, reason }, Assigned | Accepted) => {
                text(reason, "a reason for escalating is required")?;
                let from = self.tier().ok_or_else(illegal)?;
                if to.tier <= from {
                    return Err(TransitionError::NotUp { from: from.as_str(), to: to.tier.as_str() });
                }
                next.give(to.clone(), at, cal)?;
            }
            (Action::Handle { note }, Accepted) => {
                text(note, "a note saying what was done is required")?;
                next.state = Handled;
            }
            (Action::Return { reason }, Assigned | Accepted) => {
                text(reason, "a reason for returning is required")?;
                next.state = Returned;
            }
            (Action::Arbitrate { to, note }, Returned) => {
                text(note, "the arbitration decision is required")?;
                next.give(to.clone(), at, cal)?;
            }
            (Action::Close { note }, Handled) => {
                text(note, "the answer to the reporter is required")?;
                next.state = Closed;
            }
            (Action::Rate { score }, Closed) => {
                if !(1..=5).contains(score) {
                    return Err(TransitionError::BadScore(*score));
                }
                next.state = Rated;
                next.rating = Some(*score);
            }
            (Action::Reopen { reason }, Closed | Rated) => {
                text(reason, "a reason for reopening is required")?;
                let back = self.holder.clone().ok_or_else(illegal)?;
                next.rating = None;
                next.give(back, at, cal)?;
            }
            _ => return Err(illegal()),
        }
        Ok(next)
    }

    /// The tier holding the event.
    pub fn tier(&self) -> Option<Tier> {
        self.holder.as_ref().map(|h| h.tier)
    }

    fn give(&mut self, to: Holder, at: DateTime<Utc>, cal: &WorkingCalendar) -> Result<(), TransitionError> {
        self.deadlines = Some(Deadlines::at(cal, at, self.complexity)?);
        self.last_handler = self.holder.replace(to);
        self.state = State::Assigned;
        Ok(())
    }

    /// What is overdue at `now`, if anything (督办): verification or completion.
    pub fn overdue(&self, now: DateTime<Utc>) -> Option<Overdue> {
        let d = self.deadlines?;
        match self.state {
            State::Assigned if now > d.verify_by => Some(Overdue::Verify),
            State::Assigned | State::Accepted if now > d.done_by => Some(Overdue::Done),
            _ => None,
        }
    }
}

/// From when an event in `state`, with its current stint's deadlines, is past a deadline
/// (what [`Loop::overdue`] flags once `now` is after it): assigned, the sooner of its
/// verify-by and done-by; accepted, its done-by; otherwise never. The stores write the same
/// rule in SQL.
pub fn overdue_from(state: State, verify_by: Option<DateTime<Utc>>, done_by: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match state {
        State::Assigned => match (verify_by, done_by) {
            (Some(v), Some(d)) => Some(v.min(d)),
            (v, d) => v.or(d),
        },
        State::Accepted => done_by,
        _ => None,
    }
}

/// What an overdue event missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Overdue {
    /// Not verified within 1 working day.
    Verify,
    /// Not finished within 3 or 5 working days.
    Done,
}

fn text(s: &str, missing: &'static str) -> Result<(), TransitionError> {
    if s.trim().is_empty() {
        return Err(TransitionError::BadText(missing));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(TransitionError::BadText("text is longer than 2000 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
