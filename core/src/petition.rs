//! Petitions (信访): the deadlines of the 信访工作条例 (in force since 2022-05-01) and the
//! resolution rate (信访案件化解率), pure.
//!
//! - Whether a petition is accepted is answered within 15 days of its receipt (on the spot
//!   when the office can).
//! - An accepted petition is handled within 60 days; a complex one may be extended, with the
//!   head of the office's approval and the petitioner told why, by at most 30 days.
//! - A petitioner who disagrees may ask the office above for a review within 30 days of the
//!   written answer, and the review is answered within 30 days of the request.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days to answer whether a petition is accepted.
pub const ACCEPT_DAYS: i64 = 15;
/// Days to handle an accepted petition.
pub const HANDLE_DAYS: i64 = 60;
/// Most days a handling may be extended.
pub const MAX_EXTENSION_DAYS: i64 = 30;
/// Days to ask for a review, and to answer one.
pub const REVIEW_DAYS: i64 = 30;

/// How a petition came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PetitionChannel))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 来信 — a letter.
    Letter,
    /// 来访 — a visit.
    Visit,
    /// 网上信访 — online.
    Online,
}

/// Why a deadline cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PetitionError {
    /// An extension over the regulation's limit.
    #[error("a handling may be extended by at most {MAX_EXTENSION_DAYS} days, not {0}")]
    Extension(i64),
}

/// When the answer on acceptance is due for a petition received at `received`.
pub fn acceptance_due(received: DateTime<Utc>) -> DateTime<Utc> {
    received + Duration::days(ACCEPT_DAYS)
}

/// When an accepted petition is due handled, extended by `extension_days` (0 to 30).
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use wangge_core::petition::handling_due;
/// let accepted = Utc.with_ymd_and_hms(2023, 3, 1, 0, 0, 0).unwrap();
/// assert_eq!(handling_due(accepted, 0), Ok(accepted + Duration::days(60)));
/// assert!(handling_due(accepted, 31).is_err());
/// ```
pub fn handling_due(accepted: DateTime<Utc>, extension_days: i64) -> Result<DateTime<Utc>, PetitionError> {
    if !(0..=MAX_EXTENSION_DAYS).contains(&extension_days) {
        return Err(PetitionError::Extension(extension_days));
    }
    Ok(accepted + Duration::days(HANDLE_DAYS + extension_days))
}

/// The last day a review may be asked for, after the written answer at `answered`.
pub fn review_request_due(answered: DateTime<Utc>) -> DateTime<Utc> {
    answered + Duration::days(REVIEW_DAYS)
}

/// Where a petition was lodged (登记机关的层级): `Province` and `Beijing` are the county's
/// result indicator 进京赴省访.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lodged {
    /// 县级.
    County,
    /// 市级.
    City,
    /// 赴省.
    Province,
    /// 进京.
    Beijing,
}

impl Lodged {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::City => "city",
            Self::Province => "province",
            Self::Beijing => "beijing",
        }
    }

    /// 进京赴省访.
    pub fn beyond_city(self) -> bool {
        matches!(self, Self::Province | Self::Beijing)
    }
}

/// Where a petition case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 登记 — received and registered.
    Registered,
    /// 受理 — accepted by the handling office.
    Accepted,
    /// 不予受理 — declined, with the reason.
    Declined,
    /// 办结 — answered in writing, resolved or not.
    Answered,
}

impl Stage {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Answered => "answered",
        }
    }
}

/// A move of a petition case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Move {
    /// 受理 by a handling office.
    Accept {
        /// The office.
        office: String,
    },
    /// 不予受理.
    Decline {
        /// Why (told to the petitioner).
        reason: String,
    },
    /// 延期 — the handling extended, once, by at most 30 days.
    Extend {
        /// Days added.
        days: i64,
        /// Why.
        reason: String,
    },
    /// 办结 — the written answer, and whether the matter is resolved (化解).
    Answer {
        /// Resolved.
        resolved: bool,
        /// The answer.
        note: String,
    },
}

impl Move {
    /// Stable wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept",
            Self::Decline { .. } => "decline",
            Self::Extend { .. } => "extend",
            Self::Answer { .. } => "answer",
        }
    }
}

/// Why a petition move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// Not possible from this stage.
    #[error("cannot {action} a petition that is {stage}: {reason}")]
    Illegal {
        /// The move.
        action: &'static str,
        /// The stage.
        stage: &'static str,
        /// What is needed instead.
        reason: &'static str,
    },
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A deadline rule broken.
    #[error(transparent)]
    Deadline(#[from] PetitionError),
}

/// The stage after `m` from `stage` (`extended` says whether the handling was extended
/// already), or why not.
///
/// ```
/// use wangge_core::petition::{apply, Move, Stage};
/// let accept = Move::Accept { office: "县信访局".into() };
/// assert_eq!(apply(Stage::Registered, false, &accept), Ok(Stage::Accepted));
/// assert!(apply(Stage::Registered, false, &Move::Answer { resolved: true, note: "已答复".into() }).is_err());
/// ```
pub fn apply(stage: Stage, extended: bool, m: &Move) -> Result<Stage, MoveError> {
    let refuse = |reason| Err(MoveError::Illegal { action: m.as_str(), stage: stage.as_str(), reason });
    let text = |what: &'static str, t: &str| if t.trim().is_empty() { Err(MoveError::Empty(what)) } else { Ok(()) };
    match (stage, m) {
        (Stage::Registered, Move::Accept { office }) => text("office", office).map(|()| Stage::Accepted),
        (Stage::Registered, Move::Decline { reason }) => text("reason", reason).map(|()| Stage::Declined),
        (Stage::Accepted, Move::Extend { .. }) if extended => refuse("the handling was extended once already"),
        (Stage::Accepted, Move::Extend { days, reason }) => {
            text("reason", reason)?;
            if *days < 1 {
                return Err(PetitionError::Extension(*days).into());
            }
            handling_due(chrono::DateTime::<Utc>::UNIX_EPOCH, *days)?;
            Ok(Stage::Accepted)
        }
        (Stage::Accepted, Move::Answer { note, .. }) => text("note", note).map(|()| Stage::Answered),
        (Stage::Registered, Move::Extend { .. } | Move::Answer { .. }) => refuse("the office must accept it first"),
        (Stage::Declined | Stage::Answered, _) => refuse("it is concluded"),
        (Stage::Accepted, Move::Accept { .. } | Move::Decline { .. }) => refuse("it was accepted already"),
    }
}

/// A petition case as the rate reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PetitionSummary {
    /// Accepted (受理).
    pub accepted: bool,
    /// Resolved (化解), when it has a result.
    pub resolved: Option<bool>,
    /// A repeat of a matter already petitioned (counted once, with the first).
    pub repeat: bool,
}

/// The petition figures of a period and area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PetitionRates {
    /// Accepted cases, repeats counted with their first.
    pub cases: u64,
    /// Of which resolved.
    pub resolved: u64,
    /// resolved / cases (信访案件化解率), `None` without cases.
    pub resolved_rate: Option<f64>,
}

/// The resolution rate of `cases`: accepted cases that are not repeats, and those resolved.
///
/// ```
/// use wangge_core::petition::{rates, PetitionSummary};
/// let case = |resolved| PetitionSummary { accepted: true, resolved, repeat: false };
/// let r = rates(&[case(Some(true)), case(Some(true)), case(Some(false)), case(None)]);
/// assert_eq!((r.cases, r.resolved, r.resolved_rate), (4, 2, Some(0.5)));
/// ```
pub fn rates(cases: &[PetitionSummary]) -> PetitionRates {
    let counted: Vec<&PetitionSummary> = cases.iter().filter(|c| c.accepted && !c.repeat).collect();
    let n = counted.len() as u64;
    let resolved = counted.iter().filter(|c| c.resolved == Some(true)).count() as u64;
    #[allow(clippy::cast_precision_loss)]
    let resolved_rate = (n > 0).then(|| ((resolved as f64 / n as f64) * 10_000.0).round() / 10_000.0);
    PetitionRates { cases: n, resolved, resolved_rate }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn deadlines_are_the_regulations() {
        let t = Utc.with_ymd_and_hms(2023, 12, 20, 2, 0, 0).unwrap();
        assert_eq!(acceptance_due(t), Utc.with_ymd_and_hms(2024, 1, 4, 2, 0, 0).unwrap());
        assert_eq!(handling_due(t, 30).unwrap(), t + Duration::days(90));
        assert_eq!(handling_due(t, -1), Err(PetitionError::Extension(-1)));
        assert_eq!(review_request_due(t), t + Duration::days(30));
    }

    #[test]
    fn a_petition_is_accepted_extended_once_and_answered() {
        let accept = Move::Accept { office: "县信访局".into() };
        let extend = Move::Extend { days: 30, reason: "情况复杂".into() };
        assert_eq!(apply(Stage::Registered, false, &accept), Ok(Stage::Accepted));
        assert_eq!(apply(Stage::Accepted, false, &extend), Ok(Stage::Accepted));
        assert!(apply(Stage::Accepted, true, &extend).unwrap_err().to_string().contains("once"));
        let long = Move::Extend { days: 31, reason: "x".into() };
        assert_eq!(apply(Stage::Accepted, false, &long), Err(MoveError::Deadline(PetitionError::Extension(31))));
        let answer = Move::Answer { resolved: true, note: "已化解".into() };
        assert_eq!(apply(Stage::Accepted, true, &answer), Ok(Stage::Answered));
        assert!(apply(Stage::Answered, true, &answer).unwrap_err().to_string().contains("concluded"));
        assert_eq!(apply(Stage::Registered, false, &Move::Decline { reason: " ".into() }), Err(MoveError::Empty("reason")));
        assert!(Lodged::Beijing.beyond_city() && !Lodged::City.beyond_city());
    }

    #[test]
    fn repeats_and_refusals_are_not_counted_twice() {
        let s = |accepted, resolved, repeat| PetitionSummary { accepted, resolved, repeat };
        let r = rates(&[s(true, Some(true), false), s(true, Some(false), true), s(false, None, false)]);
        assert_eq!((r.cases, r.resolved, r.resolved_rate), (1, 1, Some(1.0)));
        assert_eq!(rates(&[]).resolved_rate, None);
    }
}
