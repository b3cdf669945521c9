//! An indicator system (指标体系) as data: each indicator names the level it assesses, the
//! measure it reads, its rule, maximum and group; a scheme holds a year's indicators for every
//! level with their grade bands, and scores a unit's measured values into a scorecard.

use serde::{Deserialize, Serialize};

use super::{grade, Band, Rule, SchemeError};

/// Who or what an indicator assesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AssessmentLevel))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A full-time gridworker (专职网格员), per month.
    Gridworker,
    /// A village or community (村/社区), per quarter or year.
    Village,
    /// A township (乡镇), per quarter or year.
    Township,
    /// The county's project (项目), per year: the self-evaluation.
    County,
}

impl Level {
    /// Every level.
    pub const ALL: [Level; 4] = [Self::Gridworker, Self::Village, Self::Township, Self::County];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gridworker => "gridworker",
            Self::Village => "village",
            Self::Township => "township",
            Self::County => "county",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gridworker => "网格员",
            Self::Village => "村(社区)",
            Self::Township => "乡镇",
            Self::County => "县级项目",
        }
    }
}

/// What an indicator reads: a rate (0–1), a count, or an assessor's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 办结率: events closed / reported.
    ClosureRate,
    /// 1 日核实按时率: stints verified within 1 working day / decided.
    VerifyOnTimeRate,
    /// 3/5 日办结按时率: stints finished within 3 or 5 working days / decided.
    FinishOnTimeRate,
    /// 群众满意率: call-backs satisfied / reached.
    SatisfactionRate,
    /// 巡查走访率: patrol coverage.
    PatrolRate,
    /// 信息动态采集率: registry records collected or re-verified within the period.
    CollectionRate,
    /// 矛盾纠纷排查率.
    ScreeningRate,
    /// 县域内调处率.
    MediatedRate,
    /// 调处成功率.
    SuccessRate,
    /// 信访案件化解率.
    PetitionResolvedRate,
    /// 有效事件数: verified, not a duplicate, not a test.
    ValidEvents,
    /// 有效事件达标率: townships with at least the minimum of valid events / townships.
    ValidEventTownships,
    /// 矛盾纠纷报送量.
    DisputesReported,
    /// 问题隐患报送量.
    HazardsReported,
    /// 进京赴省访.
    PetitionsBeyondCity,
    /// 公共安全事件.
    PublicSafetyIncidents,
    /// 民转刑案件.
    CivilToCriminal,
    /// 预算执行率: spent / budget.
    BudgetExecution,
    /// Points entered by an assessor with their evidence (台账, 实地测评).
    Manual,
}

impl Measure {
    /// Every measure.
    pub const ALL: [Measure; 19] = [
        Self::ClosureRate,
        Self::VerifyOnTimeRate,
        Self::FinishOnTimeRate,
        Self::SatisfactionRate,
        Self::PatrolRate,
        Self::CollectionRate,
        Self::ScreeningRate,
        Self::MediatedRate,
        Self::SuccessRate,
        Self::PetitionResolvedRate,
        Self::ValidEvents,
        Self::ValidEventTownships,
        Self::DisputesReported,
        Self::HazardsReported,
        Self::PetitionsBeyondCity,
        Self::PublicSafetyIncidents,
        Self::CivilToCriminal,
        Self::BudgetExecution,
        Self::Manual,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClosureRate => "closure_rate",
            Self::VerifyOnTimeRate => "verify_on_time_rate",
            Self::FinishOnTimeRate => "finish_on_time_rate",
            Self::SatisfactionRate => "satisfaction_rate",
            Self::PatrolRate => "patrol_rate",
            Self::CollectionRate => "collection_rate",
            Self::ScreeningRate => "screening_rate",
            Self::MediatedRate => "mediated_rate",
            Self::SuccessRate => "success_rate",
            Self::PetitionResolvedRate => "petition_resolved_rate",
            Self::ValidEvents => "valid_events",
            Self::ValidEventTownships => "valid_event_townships",
            Self::DisputesReported => "disputes_reported",
            Self::HazardsReported => "hazards_reported",
            Self::PetitionsBeyondCity => "petitions_beyond_city",
            Self::PublicSafetyIncidents => "public_safety_incidents",
            Self::CivilToCriminal => "civil_to_criminal",
            Self::BudgetExecution => "budget_execution",
            Self::Manual => "manual",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClosureRate => "事件办结率",
            Self::VerifyOnTimeRate => "1日核实按时率",
            Self::FinishOnTimeRate => "3/5日办结按时率",
            Self::SatisfactionRate => "群众满意率",
            Self::PatrolRate => "网格巡查走访率",
            Self::CollectionRate => "信息动态采集率",
            Self::ScreeningRate => "矛盾纠纷排查率",
            Self::MediatedRate => "县域内调处率",
            Self::SuccessRate => "调处成功率",
            Self::PetitionResolvedRate => "信访案件化解率",
            Self::ValidEvents => "有效事件数",
            Self::ValidEventTownships => "乡镇有效事件达标率",
            Self::DisputesReported => "矛盾纠纷报送量",
            Self::HazardsReported => "问题隐患报送量",
            Self::PetitionsBeyondCity => "进京赴省访",
            Self::PublicSafetyIncidents => "公共安全事件",
            Self::CivilToCriminal => "民转刑案件",
            Self::BudgetExecution => "预算执行率",
            Self::Manual => "人工评分",
        }
    }

    /// Whether the measure is a share (0 to 1) rather than a count or points.
    pub fn is_rate(self) -> bool {
        self.as_str().ends_with("_rate") || matches!(self, Self::ValidEventTownships | Self::BudgetExecution)
    }

    /// The levels it can be measured at.
    pub fn levels(self) -> &'static [Level] {
        use Level::*;
        match self {
            Self::ValidEventTownships | Self::BudgetExecution => &[County],
            // Outcomes are recorded per township.
            Self::PublicSafetyIncidents | Self::CivilToCriminal => &[Township, County],
            // Petitions and mediation concern a village or township, not a gridworker's grids.
            Self::PetitionResolvedRate | Self::PetitionsBeyondCity | Self::MediatedRate | Self::SuccessRate => {
                &[Village, Township, County]
            }
            _ => &Level::ALL,
        }
    }
}

/// One indicator of a scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Unique within the scheme (`C1`, `G3`…).
    pub code: String,
    /// Its name as the county writes it.
    pub name: String,
    /// Whom it assesses.
    pub level: Level,
    /// Its group (产出 / 效益 / 满意度 / 预算; 网格运作成效 / 履职绩效 / 网格员绩效 …).
    pub group: String,
    /// What it reads.
    pub measure: Measure,
    /// How the value becomes points.
    #[serde(flatten)]
    pub rule: Rule,
    /// Its maximum (its weight in a total of 100).
    pub max: f64,
    /// The evidence an assessor gives for a manual score (台账, 实地测评), or how the target
    /// is stated in the county's text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A year's indicator system for every level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// The year it assesses.
    pub year: i32,
    /// The grade bands, e.g. ≥ 85 优秀.
    pub bands: Vec<Band>,
    /// A period scoring below this fails (不合格), for the gridworkers' warnings.
    pub pass: f64,
    /// The least valid events a township must report and solve in a year (每乡镇 20 件).
    pub min_valid_events: u32,
    /// The indicators of every level.
    pub indicators: Vec<Indicator>,
}

/// The most indicators a scheme holds (every level together).
pub const MAX_INDICATORS: usize = 200;

/// The total every level's maxima must add up to.
pub const TOTAL: f64 = 100.0;

impl Scheme {
    /// Checks the scheme: bands and pass line sound; per level, codes unique, rules sound, each
    /// measure readable at that level, maxima adding up to 100; a manual indicator's rule is
    /// manual and a manual rule reads a manual score.
    pub fn check(&self) -> Result<(), SchemeError> {
        let bad = |code: &str, reason: String| SchemeError::Bad { code: code.to_owned(), reason };
        if !(2000..=2100).contains(&self.year) {
            return Err(bad("year", format!("must be between 2000 and 2100, got {}", self.year)));
        }
        if self.bands.is_empty() || self.bands.iter().any(|b| !b.min.is_finite() || b.name.trim().is_empty()) {
            return Err(bad("bands", "need at least one band, each with a number and a name".into()));
        }
        if !self.pass.is_finite() || !(0.0..=TOTAL).contains(&self.pass) {
            return Err(bad("pass", format!("must be between 0 and 100, got {}", self.pass)));
        }
        if self.indicators.len() > MAX_INDICATORS || self.bands.len() > 10 {
            return Err(bad("indicators", format!("at most {MAX_INDICATORS} indicators and 10 bands")));
        }
        let mut codes = std::collections::HashSet::new();
        for i in &self.indicators {
            if !codes.insert(i.code.as_str()) {
                return Err(SchemeError::Duplicate(i.code.clone()));
            }
            if i.code.trim().is_empty() || i.code.len() > 32 || i.name.trim().is_empty() || i.name.chars().count() > 100 {
                return Err(bad(&i.code, "needs a code (at most 32 characters) and a name (at most 100)".into()));
            }
            if i.group.trim().is_empty() || i.group.chars().count() > 40 || i.note.chars().count() > 500 {
                return Err(bad(&i.code, "needs a group (at most 40 characters); a note is at most 500".into()));
            }
            if !i.measure.levels().contains(&i.level) {
                return Err(bad(&i.code, format!("{} cannot be measured for a {}", i.measure.as_str(), i.level.as_str())));
            }
            if (i.measure == Measure::Manual) != (i.rule == Rule::Manual) {
                return Err(bad(&i.code, "a manual score takes the manual rule, and only it".into()));
            }
        }
        for level in Level::ALL {
            let of_level = self.indicators.iter().filter(|i| i.level == level);
            if of_level.clone().next().is_none() {
                continue;
            }
            super::check_scheme(of_level.map(|i| (i.code.as_str(), i.rule, i.max)), TOTAL)?;
        }
        Ok(())
    }

    /// The indicators of a level, in order.
    pub fn of(&self, level: Level) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(move |i| i.level == level)
    }

    /// Scores one unit: `measured` gives each indicator's value (`None`: no data; a manual
    /// indicator's value is the assessor's points).
    pub fn score(&self, level: Level, measured: impl Fn(&Indicator) -> Option<f64>) -> Scorecard {
        let indicators: Vec<IndicatorScore> = self
            .of(level)
            .map(|i| {
                let value = measured(i).filter(|v| v.is_finite());
                let points = i.rule.points(i.max, value);
                IndicatorScore {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    group: i.group.clone(),
                    measure: i.measure,
                    measured: value,
                    points,
                    max: i.max,
                    // Below 60 % of its maximum, an indicator is failed (不达标).
                    failed: points.is_some_and(|p| p < i.max * PASS_SHARE - 1e-9),
                }
            })
            .collect();
        let mut groups: Vec<GroupScore> = Vec::new();
        for s in &indicators {
            let at = match groups.iter().position(|g| g.name == s.group) {
                Some(at) => at,
                None => {
                    groups.push(GroupScore { name: s.group.clone(), score: 0.0, max: 0.0, unscored: 0.0 });
                    groups.len() - 1
                }
            };
            let g = &mut groups[at];
            g.max += s.max;
            match s.points {
                Some(p) => g.score += p,
                None => g.unscored += s.max,
            }
        }
        for g in &mut groups {
            g.score = super::round2(g.score);
            g.max = super::round2(g.max);
            g.unscored = super::round2(g.unscored);
        }
        let scored: Vec<super::Scored> = indicators.iter().map(|s| super::Scored { points: s.points, max: s.max }).collect();
        let (total, unscored) = super::total(&scored);
        // Grade and pass line apply to the points that could be scored.
        let normalised = (unscored < TOTAL).then(|| super::round2(total * TOTAL / (TOTAL - unscored)));
        Scorecard {
            total,
            unscored,
            normalised,
            grade: normalised.and_then(|n| grade(n, &self.bands)).map(str::to_owned),
            failed: normalised.is_some_and(|n| n < self.pass - 1e-9),
            groups,
            indicators,
        }
    }
}

/// The share of an indicator's maximum below which it counts as failed.
pub const PASS_SHARE: f64 = 0.6;

/// One indicator's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    /// The indicator.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// What it read.
    pub measure: Measure,
    /// The value read (`null`: no data).
    pub measured: Option<f64>,
    /// The points (`null`: no data).
    pub points: Option<f64>,
    /// Its maximum.
    pub max: f64,
    /// Scored below 60 % of its maximum.
    pub failed: bool,
}

/// A group's subtotal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupScore {
    /// The group.
    pub name: String,
    /// Points scored.
    pub score: f64,
    /// Its maximum.
    pub max: f64,
    /// The maximum of its indicators without data.
    pub unscored: f64,
}

/// A unit's score in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Points scored.
    pub total: f64,
    /// The maximum of the indicators without data (neither claimed nor lost).
    pub unscored: f64,
    /// The total over the points that could be scored, out of 100 (`null` when none could).
    pub normalised: Option<f64>,
    /// The band of the normalised total.
    pub grade: Option<String>,
    /// The normalised total is below the scheme's pass line (60 of 100 is 48 of 80 when 20
    /// had no data); never when nothing could be scored.
    pub failed: bool,
    /// Subtotals by group, in the scheme's order.
    pub groups: Vec<GroupScore>,
    /// Every indicator.
    pub indicators: Vec<IndicatorScore>,
}

impl Scorecard {
    /// Whether any indicator failed.
    pub fn any_failed(&self) -> bool {
        self.indicators.iter().any(|i| i.failed)
    }
}

/// Competition ranks (1, 2, 2, 4) of `totals`, highest first.
///
/// ```
/// use wangge_core::assessment::rank;
/// assert_eq!(rank(&[90.0, 95.0, 90.0, 80.0]), vec![2, 1, 2, 4]);
/// ```
pub fn rank(totals: &[f64]) -> Vec<u32> {
    totals.iter().map(|t| 1 + totals.iter().filter(|o| *o > t).count() as u32).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ind(code: &str, level: Level, measure: Measure, rule: Rule, max: f64) -> Indicator {
        Indicator { code: code.into(), name: code.into(), level, group: "g".into(), measure, rule, max, note: String::new() }
    }

    fn scheme(indicators: Vec<Indicator>) -> Scheme {
        let bands = vec![Band { min: 85.0, name: "优秀".into() }, Band { min: 0.0, name: "不合格".into() }];
        Scheme { year: 2023, bands, pass: 60.0, min_valid_events: 20, indicators }
    }

    #[test]
    fn a_scheme_adds_up_per_level_and_reads_what_the_level_has() {
        let ok = scheme(vec![
            ind("a", Level::County, Measure::ClosureRate, Rule::AtLeast { target: 0.95 }, 90.0),
            ind("b", Level::County, Measure::BudgetExecution, Rule::Linear { zero: 0.0, full: 1.0 }, 10.0),
            ind("c", Level::Gridworker, Measure::Manual, Rule::Manual, 100.0),
        ]);
        assert_eq!(ok.check(), Ok(()));
        let mut short = ok.clone();
        short.indicators[0].max = 80.0;
        assert!(matches!(short.check(), Err(SchemeError::Total { .. })));
        let mut wrong_level = ok.clone();
        wrong_level.indicators[1].level = Level::Gridworker;
        wrong_level.indicators[2].max = 90.0;
        assert!(wrong_level.check().is_err(), "a gridworker has no budget");
        let mut manual = ok.clone();
        manual.indicators[2].rule = Rule::AtLeast { target: 1.0 };
        assert!(manual.check().is_err());
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["indicators"][0]["rule"], "at_least");
        assert_eq!(serde_json::from_value::<Scheme>(json).unwrap(), ok);
    }

    #[test]
    fn a_scorecard_groups_points_and_leaves_no_data_unscored() {
        let mut a = ind("a", Level::Village, Measure::ClosureRate, Rule::AtLeast { target: 0.95 }, 60.0);
        a.group = "产出".into();
        let mut b = ind("b", Level::Village, Measure::PatrolRate, Rule::Linear { zero: 0.5, full: 1.0 }, 30.0);
        b.group = "效益".into();
        let mut c = ind("c", Level::Village, Measure::Manual, Rule::Manual, 10.0);
        c.group = "效益".into();
        let s = scheme(vec![a, b, c]);
        let card = s.score(Level::Village, |i| match i.measure {
            Measure::ClosureRate => Some(0.99),
            Measure::PatrolRate => Some(0.6),
            _ => None,
        });
        assert_eq!((card.total, card.unscored), (66.0, 10.0));
        assert_eq!(card.groups[1], GroupScore { name: "效益".into(), score: 6.0, max: 40.0, unscored: 10.0 });
        assert!(card.indicators[1].failed, "6 of 30 is below 60 %");
        assert!(!card.failed, "66 passes");
        let low = s.score(Level::Village, |i| match i.measure {
            Measure::ClosureRate => Some(0.99),
            _ => None,
        });
        assert!(!low.failed, "60 of the 60 that could be scored");
        let lower = s.score(Level::Village, |i| match i.measure {
            Measure::PatrolRate => Some(0.9),
            Measure::ClosureRate => Some(0.5),
            _ => None,
        });
        assert_eq!((lower.total, lower.unscored), (24.0, 10.0));
        assert!(lower.failed, "24 of 90 is below 54");
        assert!(card.any_failed());
        let empty = s.score(Level::Village, |_| None);
        assert!(!empty.failed, "nothing measured is not a failure");
        assert_eq!(empty.unscored, 100.0);
    }
}
