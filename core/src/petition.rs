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
    fn repeats_and_refusals_are_not_counted_twice() {
        let s = |accepted, resolved, repeat| PetitionSummary { accepted, resolved, repeat };
        let r = rates(&[s(true, Some(true), false), s(true, Some(false), true), s(false, None, false)]);
        assert_eq!((r.cases, r.resolved, r.resolved_rate), (1, 1, Some(1.0)));
        assert_eq!(rates(&[]).resolved_rate, None);
    }
}
