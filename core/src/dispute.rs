//! Disputes mediated (矛盾纠纷调处, GB/T 31000-2015), residents called back (回访) and their
//! rates: the pure rules — a dispute case's stages and the moves between them (refused with the
//! reason, like the event loop), the mediation deadline, the call-back levels and sampling, and
//! the county's benefit indicators computed from case summaries.
//!
//! People's mediation is to conclude within 30 days of acceptance unless the parties agree to
//! extend it (司法部《人民调解工作若干规定》, 2002, art. 36: "人民调解委员会调解纠纷，一般在
//! 一个月内调结").

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days a people's mediation has from acceptance.
pub const MEDIATION_DAYS: i64 = 30;

/// Where a dispute case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 登记 — found and registered, not yet taken up by a mediating body.
    Registered,
    /// 调解中 — accepted by a mediating body, being mediated.
    Mediating,
    /// 调解成功 — the parties reached an agreement (written or oral).
    Agreed,
    /// 调解不成 — no agreement; the parties were told which route remains.
    Failed,
    /// 移交 — handed to another body (inside or outside the county).
    Transferred,
    /// 履行回访 — the agreement's keeping checked.
    FollowedUp,
    /// 归档 — closed as one case file.
    Archived,
}

impl Stage {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Mediating => "mediating",
            Self::Agreed => "agreed",
            Self::Failed => "failed",
            Self::Transferred => "transferred",
            Self::FollowedUp => "followed_up",
            Self::Archived => "archived",
        }
    }
}

/// Who mediates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MediatingBody))]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// 人民调解委员会 — the village's or township's people's mediation committee.
    PeoplesMediation,
    /// 司法所 — the township's judicial office.
    JudicialOffice,
    /// 派出所 — the police station.
    Police,
    /// 诉调对接 — mediation linked to the court.
    CourtLinked,
    /// 行业性、专业性调解组织 — a trade or professional mediation organisation.
    Professional,
}

/// What the parties are told when mediation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MediationRoute))]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// 诉讼 — go to court.
    Litigation,
    /// 仲裁 — arbitration (labour, land contracts).
    Arbitration,
    /// 行政处理 — an administrative decision.
    Administrative,
    /// 信访 — a petition.
    Petition,
}

/// A move of a dispute case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Move {
    /// 受理 — a body takes the case up, with its mediator.
    Accept {
        /// Who mediates.
        body: Body,
        /// The mediator's name.
        mediator: String,
        /// How (当面调解, 背靠背, 联合调解, …); may be empty.
        #[serde(default)]
        method: String,
    },
    /// 调解成功 — an agreement.
    Agree {
        /// Written (书面) or not (口头).
        written: bool,
        /// Its terms.
        terms: String,
    },
    /// 调解不成 — no agreement, and the route suggested to the parties.
    Fail {
        /// The route.
        route: Route,
        /// Why.
        reason: String,
    },
    /// 移交 — handed on.
    Transfer {
        /// To whom.
        to: String,
        /// Whether that body is outside the county.
        outside_county: bool,
        /// Why.
        reason: String,
    },
    /// 履行回访 — whether the agreement is kept.
    FollowUp {
        /// Kept or not.
        kept: bool,
        /// What was found.
        note: String,
    },
    /// 归档 — closed as one case file.
    Archive,
}

impl Move {
    /// Stable wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept",
            Self::Agree { .. } => "agree",
            Self::Fail { .. } => "fail",
            Self::Transfer { .. } => "transfer",
            Self::FollowUp { .. } => "follow_up",
            Self::Archive => "archive",
        }
    }
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// Not possible from this stage; the reason says what comes first.
    #[error("cannot {action} a case that is {stage}: {reason}")]
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
}

/// The stage after `m` from `stage`, or why not.
///
/// ```
/// use wangge_core::dispute::{apply, Body, Move, Stage};
/// let accept = Move::Accept { body: Body::PeoplesMediation, mediator: "调解员".into(), method: String::new() };
/// assert_eq!(apply(Stage::Registered, &accept), Ok(Stage::Mediating));
/// assert!(apply(Stage::Registered, &Move::Archive).is_err());
/// ```
pub fn apply(stage: Stage, m: &Move) -> Result<Stage, MoveError> {
    let refuse = |reason| Err(MoveError::Illegal { action: m.as_str(), stage: stage.as_str(), reason });
    let text = |what: &'static str, t: &str| if t.trim().is_empty() { Err(MoveError::Empty(what)) } else { Ok(()) };
    match (stage, m) {
        (Stage::Registered, Move::Accept { mediator, .. }) => text("mediator", mediator).map(|()| Stage::Mediating),
        (Stage::Registered, Move::Transfer { to, reason, .. }) | (Stage::Mediating, Move::Transfer { to, reason, .. }) => {
            text("to", to)?;
            text("reason", reason).map(|()| Stage::Transferred)
        }
        (Stage::Registered, Move::Agree { .. } | Move::Fail { .. }) => refuse("a body must accept it first"),
        (Stage::Mediating, Move::Agree { terms, .. }) => text("terms", terms).map(|()| Stage::Agreed),
        (Stage::Mediating, Move::Fail { reason, .. }) => text("reason", reason).map(|()| Stage::Failed),
        (Stage::Agreed, Move::FollowUp { note, .. }) => text("note", note).map(|()| Stage::FollowedUp),
        (Stage::Agreed, Move::Archive) => refuse("check whether the agreement is kept (履行回访) first"),
        (Stage::Failed | Stage::Transferred | Stage::FollowedUp, Move::Archive) => Ok(Stage::Archived),
        (Stage::Archived, _) => refuse("an archived case file does not change"),
        (_, Move::Accept { .. }) => refuse("it was accepted already"),
        (_, Move::FollowUp { .. }) => refuse("only an agreement is followed up"),
        (Stage::Registered | Stage::Mediating, Move::Archive) => refuse("it has no outcome yet"),
        _ => refuse("the case has moved past this"),
    }
}

/// When a mediation accepted at `accepted` is due.
pub fn mediation_due(accepted: DateTime<Utc>) -> DateTime<Utc> {
    accepted + Duration::days(MEDIATION_DAYS)
}

/// A call-back's satisfaction level (满意度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// 很满意.
    #[serde(rename = "很满意")]
    VerySatisfied,
    /// 基本满意.
    #[serde(rename = "基本满意")]
    Satisfied,
    /// 不满意.
    #[serde(rename = "不满意")]
    Dissatisfied,
    /// 很不满意.
    #[serde(rename = "很不满意")]
    VeryDissatisfied,
}

impl Level {
    /// Every level, best first.
    pub const ALL: [Level; 4] = [Self::VerySatisfied, Self::Satisfied, Self::Dissatisfied, Self::VeryDissatisfied];

    /// The Chinese name (also the wire name).
    pub fn zh(self) -> &'static str {
        match self {
            Self::VerySatisfied => "很满意",
            Self::Satisfied => "基本满意",
            Self::Dissatisfied => "不满意",
            Self::VeryDissatisfied => "很不满意",
        }
    }

    /// The level of a Chinese name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.zh() == text.trim())
    }

    /// Counted as satisfied (很满意, 基本满意).
    pub fn satisfied(self) -> bool {
        matches!(self, Self::VerySatisfied | Self::Satisfied)
    }

    /// Reopens the event to the tier that closed it (不满意, 很不满意).
    pub fn reopens(self) -> bool {
        !self.satisfied()
    }
}

/// Which closed events are called back: every event of the listed categories, every event whose
/// reporter asked for it, and a share of the rest chosen by the event id (so the choice is the
/// same wherever and whenever it is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplingRule {
    /// Categories always called back (e.g. `dispute`, `hazard`).
    pub always: Vec<String>,
    /// Per cent of the other events called back.
    pub share_percent: u8,
}

impl SamplingRule {
    /// Whether a closed event is due a call-back.
    ///
    /// ```
    /// use wangge_core::dispute::SamplingRule;
    /// let rule = SamplingRule { always: vec!["dispute".into()], share_percent: 0 };
    /// assert!(rule.due("E1", "dispute", false));
    /// assert!(rule.due("E1", "livelihood", true));
    /// assert!(!rule.due("E1", "livelihood", false));
    /// ```
    pub fn due(&self, event_id: &str, category: &str, requested: bool) -> bool {
        requested || self.always.iter().any(|c| c == category) || Self::bucket(event_id) < self.share_percent.min(100)
    }

    /// The event id's sampling bucket in 0..100 (FNV-1a: stable across platforms and
    /// versions); the rule's share calls back the buckets below it.
    pub fn bucket(event_id: &str) -> u8 {
        u8::try_from(bucket(event_id)).unwrap_or(u8::MAX)
    }
}

/// The event id's bucket in 0..100 (FNV-1a: stable across platforms and versions).
fn bucket(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 100
}

/// A case as the rates read it (from its moves, whatever stage it reached since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSummary {
    /// Taken up by a mediating body (受理).
    pub mediated: bool,
    /// Ended in an agreement.
    pub agreed: bool,
    /// Ended without one.
    pub failed: bool,
    /// Handed to a body outside the county.
    pub left_county: bool,
}

/// The dispute indicators of a period and area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DisputeRates {
    /// Cases found (registered).
    pub found: u64,
    /// Cases taken up by a mediating body of the county (受理).
    pub mediated: u64,
    /// mediated / found (调处率).
    pub mediated_rate: Option<f64>,
    /// Agreements.
    pub succeeded: u64,
    /// succeeded / cases mediated to an outcome, agreement or failure (调处成功率).
    pub success_rate: Option<f64>,
    /// Cases not handed outside the county / found (化解在县内).
    pub in_county_rate: Option<f64>,
}

/// A share to four decimals, `None` over nothing (every rate of the figures and the
/// assessment).
///
/// ```
/// assert_eq!(wangge_core::dispute::rate(2, 3), Some(0.6667));
/// assert_eq!(wangge_core::dispute::rate(1, 0), None);
/// ```
pub fn rate(n: u64, d: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (d > 0).then(|| ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0)
}

/// The rates of `cases`.
///
/// ```
/// use wangge_core::dispute::{rates, CaseSummary};
/// let agreed = CaseSummary { mediated: true, agreed: true, failed: false, left_county: false };
/// let failed = CaseSummary { mediated: true, agreed: false, failed: true, left_county: false };
/// let r = rates(&[agreed, agreed, agreed, failed]);
/// assert_eq!((r.mediated, r.succeeded, r.success_rate), (4, 3, Some(0.75)));
/// ```
pub fn rates(cases: &[CaseSummary]) -> DisputeRates {
    let found = cases.len() as u64;
    let mediated = cases.iter().filter(|c| c.mediated).count() as u64;
    let succeeded = cases.iter().filter(|c| c.mediated && c.agreed).count() as u64;
    let concluded = cases.iter().filter(|c| c.mediated && (c.agreed || c.failed)).count() as u64;
    let inside = cases.iter().filter(|c| !c.left_county).count() as u64;
    DisputeRates {
        found,
        mediated,
        mediated_rate: rate(mediated, found),
        succeeded,
        success_rate: rate(succeeded, concluded),
        in_county_rate: rate(inside, found),
    }
}

/// Grids screened on time / grids due (排查率), `None` when none were due.
pub fn screening_rate(screened_on_time: u64, due: u64) -> Option<f64> {
    rate(screened_on_time.min(due), due)
}

/// Satisfied / reached (满意率), `None` when nobody was reached.
pub fn satisfaction_rate(levels: &[Level]) -> Option<f64> {
    rate(levels.iter().filter(|l| l.satisfied()).count() as u64, levels.len() as u64)
}

/// A code list entry: the wire code and its Chinese label.
pub type Code = (&'static str, &'static str);

/// Kinds of dispute (纠纷类型).
pub const KINDS: [Code; 8] = [
    ("family", "婚姻家庭"),
    ("neighbour", "邻里纠纷"),
    ("land", "土地山林"),
    ("labour", "劳动争议"),
    ("property_management", "物业纠纷"),
    ("contract", "合同债务"),
    ("compensation", "损害赔偿"),
    ("other", "其他"),
];

/// Scales of dispute (规模).
pub const SCALES: [Code; 3] = [("ordinary", "一般"), ("major", "重大"), ("mass", "群体性")];

/// Result indicators recorded per township (结果性指标); petitions to Beijing or the province
/// are counted from the petitions themselves.
pub const OUTCOME_KINDS: [Code; 2] = [("public_safety_incident", "公共安全事件"), ("civil_to_criminal", "民转刑案件")];

/// The label of `code` in `list`, if it is one of its codes.
pub fn label(list: &[Code], code: &str) -> Option<&'static str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// A calendar month (China time), the screening period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`, or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let m = Self { year: y.parse().ok()?, month: m.parse().ok()? };
        m.first_day().map(|_| m)
    }

    /// The month holding `day`.
    pub fn of(day: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self { year: day.year(), month: day.month() }
    }

    /// Its first day.
    pub fn first_day(self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    /// Its last day.
    pub fn last_day(self) -> Option<chrono::NaiveDate> {
        self.next().first_day()?.pred_opt()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The screening months due in the days `from..=to` as of `today`: those lying wholly inside
/// the period that have ended (a month still running is not due yet).
///
/// ```
/// use chrono::NaiveDate;
/// use wangge_core::dispute::months_due;
/// let d = |m, day| NaiveDate::from_ymd_opt(2023, m, day).unwrap();
/// assert_eq!(months_due(d(1, 1), d(12, 31), d(12, 31)).len(), 11);
/// assert_eq!(months_due(d(1, 15), d(3, 31), d(12, 31)).len(), 2);
/// ```
pub fn months_due(from: chrono::NaiveDate, to: chrono::NaiveDate, today: chrono::NaiveDate) -> Vec<Month> {
    let mut out = Vec::new();
    let mut m = Month::of(from);
    while let (Some(first), Some(last)) = (m.first_day(), m.last_day()) {
        if first > to {
            break;
        }
        if first >= from && last <= to && last < today {
            out.push(m);
        }
        m = m.next();
    }
    out
}

/// Whether a screening of `month` recorded on `day` (China time) was on time: within the month.
pub fn screened_on_time(month: Month, day: chrono::NaiveDate) -> bool {
    Month::of(day) == month
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn accept() -> Move {
        Move::Accept { body: Body::PeoplesMediation, mediator: "李调解".into(), method: "当面调解".into() }
    }

    #[test]
    fn a_case_goes_from_registration_to_its_archived_file() {
        let mut s = Stage::Registered;
        for m in [
            accept(),
            Move::Agree { written: true, terms: "赔偿2000元，月底前付清".into() },
            Move::FollowUp { kept: true, note: "已履行".into() },
            Move::Archive,
        ] {
            s = apply(s, &m).unwrap();
        }
        assert_eq!(s, Stage::Archived);
    }

    #[test]
    fn illegal_moves_say_what_comes_first() {
        let e = apply(Stage::Registered, &Move::Agree { written: false, terms: "x".into() }).unwrap_err();
        assert_eq!(e.to_string(), "cannot agree a case that is registered: a body must accept it first");
        let e = apply(Stage::Agreed, &Move::Archive).unwrap_err();
        assert!(e.to_string().contains("履行回访"), "{e}");
        assert!(apply(Stage::Mediating, &accept()).unwrap_err().to_string().contains("accepted already"));
        assert!(apply(Stage::Failed, &Move::FollowUp { kept: true, note: "x".into() }).is_err());
        assert!(apply(Stage::Archived, &Move::Archive).unwrap_err().to_string().contains("does not change"));
        assert_eq!(apply(Stage::Mediating, &Move::Fail { route: Route::Litigation, reason: " ".into() }), Err(MoveError::Empty("reason")));
        assert_eq!(apply(Stage::Registered, &Move::Accept { body: Body::Police, mediator: String::new(), method: String::new() }), Err(MoveError::Empty("mediator")));
    }

    #[test]
    fn every_stage_answers_every_move_without_panicking() {
        let stages = [Stage::Registered, Stage::Mediating, Stage::Agreed, Stage::Failed, Stage::Transferred, Stage::FollowedUp, Stage::Archived];
        let moves = [
            accept(),
            Move::Agree { written: true, terms: "t".into() },
            Move::Fail { route: Route::Arbitration, reason: "r".into() },
            Move::Transfer { to: "县法院".into(), outside_county: false, reason: "r".into() },
            Move::FollowUp { kept: false, note: "n".into() },
            Move::Archive,
        ];
        let legal: usize = stages.iter().map(|s| moves.iter().filter(|m| apply(*s, m).is_ok()).count()).sum();
        // registered: accept, transfer; mediating: agree, fail, transfer; agreed: follow up;
        // failed, transferred, followed up: archive.
        assert_eq!(legal, 9);
    }

    #[test]
    fn months_are_due_once_ended_and_inside_the_period() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Month::parse("2023-02").and_then(Month::last_day), Some(d(2023, 2, 28)));
        assert_eq!(Month::parse("2023-13"), None);
        assert_eq!(Month::parse("23-01"), None);
        assert_eq!(Month::parse("2023-12").map(|m| m.next().to_string()).as_deref(), Some("2024-01"));
        // The whole of 2023, seen from 2024: twelve months; seen mid-May: January to April.
        assert_eq!(months_due(d(2023, 1, 1), d(2023, 12, 31), d(2024, 1, 5)).len(), 12);
        assert_eq!(months_due(d(2023, 1, 1), d(2023, 12, 31), d(2023, 5, 15)).len(), 4);
        assert!(months_due(d(2023, 3, 2), d(2023, 3, 30), d(2024, 1, 1)).is_empty());
        assert!(screened_on_time(Month { year: 2023, month: 3 }, d(2023, 3, 31)));
        assert!(!screened_on_time(Month { year: 2023, month: 3 }, d(2023, 4, 1)));
        assert_eq!(label(&KINDS, "land"), Some("土地山林"));
        assert_eq!(label(&KINDS, "Land"), None);
    }

    #[test]
    fn levels_reopen_and_count() {
        assert_eq!(Level::parse("不满意"), Some(Level::Dissatisfied));
        assert!(Level::VeryDissatisfied.reopens() && !Level::Satisfied.reopens());
        let json = serde_json::to_string(&Level::Satisfied).unwrap();
        assert_eq!(json, "\"基本满意\"");
        assert_eq!(satisfaction_rate(&[Level::VerySatisfied, Level::Satisfied, Level::Dissatisfied, Level::Satisfied]), Some(0.75));
        assert_eq!(satisfaction_rate(&[]), None);
    }

    #[test]
    fn a_share_of_events_is_sampled_stably() {
        let rule = SamplingRule { always: vec!["hazard".into()], share_percent: 30 };
        let picked = (0..10_000).filter(|i| rule.due(&format!("E2023{i:06}"), "livelihood", false)).count();
        assert!((2_700..3_300).contains(&picked), "{picked}");
        assert_eq!(rule.due("E20230001", "livelihood", false), rule.due("E20230001", "livelihood", false));
    }

    #[test]
    fn rates_follow_the_cases() {
        let c = |mediated, agreed, failed, left_county| CaseSummary { mediated, agreed, failed, left_county };
        let r = rates(&[c(true, true, false, false), c(false, false, false, false), c(false, false, false, true)]);
        assert_eq!((r.found, r.mediated, r.succeeded), (3, 1, 1));
        assert_eq!((r.mediated_rate, r.success_rate, r.in_county_rate), (Some(0.3333), Some(1.0), Some(0.6667)));
        // A case still being mediated does not lower the success rate; a failed one does.
        let r = rates(&[c(true, true, false, false), c(true, false, false, false), c(true, false, true, false)]);
        assert_eq!(r.success_rate, Some(0.5));
        assert_eq!(screening_rate(98, 100), Some(0.98));
        assert_eq!(rates(&[]).mediated_rate, None);
        assert_eq!(mediation_due(DateTime::<Utc>::UNIX_EPOCH), DateTime::<Utc>::UNIX_EPOCH + Duration::days(30));
    }
}
