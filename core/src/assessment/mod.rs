//! 考评 — the assessment's scoring rules, pure: an indicator reads one measured value and
//! turns it into points by its rule; a scheme's indicators add up to a total, and the total
//! falls in a grade band. A measure with no data scores `None` ("no data"), never a made-up
//! value; the total says how many points could not be scored.

use serde::{Deserialize, Serialize};

pub mod career;
mod period;
mod scheme;

pub use period::Period;
pub use scheme::{rank, GroupScore, Indicator, IndicatorScore, Level, Measure, Scheme, Scorecard, PASS_SHARE, TOTAL};

/// How a measured value becomes points (out of the indicator's `max`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Full marks at or above `target`, none below (e.g. 排查率 > 97 %: `target` 0.97).
    AtLeast {
        /// The target.
        target: f64,
    },
    /// Points in proportion between `zero` (no points) and `full` (full marks), clamped;
    /// `zero` above `full` scores a value that should be low (e.g. overdue share).
    Linear {
        /// The value scoring nothing.
        zero: f64,
        /// The value scoring full marks.
        full: f64,
    },
    /// Full marks less `per` points for each occurrence (进京赴省访, 民转刑, …), never below 0.
    Deduct {
        /// Points taken per occurrence.
        per: f64,
    },
    /// `per` points for each unit (an award, a commendation), at most the indicator's `max`.
    Bonus {
        /// Points per unit.
        per: f64,
    },
    /// Points given by an assessor with the evidence (台账, 实地测评), 0 to `max`.
    Manual,
}

/// Why a rule or scheme is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemeError {
    /// A number that must be finite and within bounds is not.
    #[error("indicator {code}: {reason}")]
    Bad {
        /// The indicator.
        code: String,
        /// What is wrong.
        reason: String,
    },
    /// Two indicators share a code.
    #[error("indicator code {0} is used twice")]
    Duplicate(String),
    /// The indicators' maxima do not add up to the scheme's total.
    #[error("the indicators' maxima add up to {sum}, not {total}")]
    Total {
        /// Their sum.
        sum: f64,
        /// The scheme's total.
        total: f64,
    },
}

impl Rule {
    /// The points out of `max` for `measured` (a rate, a count, or an assessor's points);
    /// `None` when there is no measured value.
    ///
    /// ```
    /// use wangge_core::assessment::Rule;
    /// assert_eq!(Rule::AtLeast { target: 0.97 }.points(10.0, Some(0.9848)), Some(10.0));
    /// assert_eq!(Rule::Linear { zero: 0.8, full: 1.0 }.points(10.0, Some(0.9)), Some(5.0));
    /// assert_eq!(Rule::Deduct { per: 2.0 }.points(10.0, Some(2.0)), Some(6.0));
    /// assert_eq!(Rule::AtLeast { target: 0.97 }.points(10.0, None), None);
    /// ```
    pub fn points(self, max: f64, measured: Option<f64>) -> Option<f64> {
        let v = measured.filter(|v| v.is_finite())?;
        let p = match self {
            Self::AtLeast { target } => {
                if v >= target {
                    max
                } else {
                    0.0
                }
            }
            Self::Linear { zero, full } => {
                let share = if (full - zero).abs() < f64::EPSILON { f64::from(u8::from(v >= full)) } else { (v - zero) / (full - zero) };
                max * share.clamp(0.0, 1.0)
            }
            Self::Deduct { per } => max - per * v.max(0.0),
            Self::Bonus { per } => per * v.max(0.0),
            Self::Manual => v,
        };
        Some(round2(p.clamp(0.0, max)))
    }

    /// Checks the rule's numbers.
    pub fn check(self, code: &str) -> Result<(), SchemeError> {
        let bad = |reason: &str| Err(SchemeError::Bad { code: code.to_owned(), reason: reason.to_owned() });
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match self {
            Self::AtLeast { target } if !finite(&[target]) => bad("the target must be a number"),
            Self::Linear { zero, full } if !finite(&[zero, full]) => bad("the bounds must be numbers"),
            Self::Deduct { per } | Self::Bonus { per } if !finite(&[per]) || per <= 0.0 => bad("points per occurrence must be above 0"),
            _ => Ok(()),
        }
    }
}

fn round2(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty sum into 0.
    (x * 100.0).round() / 100.0 + 0.0
}

/// A grade band: totals at or above `min` (and below the next band) have this `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Band {
    /// The lowest total of the band.
    pub min: f64,
    /// Its name (优秀, 良好, …).
    pub name: String,
}

/// The band of `total`: the one with the highest `min` not above it (`None` below them all).
///
/// ```
/// use wangge_core::assessment::{grade, Band};
/// let bands = [Band { min: 85.0, name: "优秀".into() }, Band { min: 60.0, name: "合格".into() }];
/// assert_eq!(grade(99.0, &bands), Some("优秀"));
/// assert_eq!(grade(84.99, &bands), Some("合格"));
/// assert_eq!(grade(10.0, &bands), None);
/// ```
pub fn grade(total: f64, bands: &[Band]) -> Option<&str> {
    bands.iter().filter(|b| total >= b.min).max_by(|a, b| a.min.total_cmp(&b.min)).map(|b| b.name.as_str())
}

/// One indicator's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Its points, `None` without data.
    pub points: Option<f64>,
    /// Its maximum.
    pub max: f64,
}

/// The total of `scores`: the points scored, and the maximum of the indicators with no data
/// (which a total can neither claim nor lose).
///
/// ```
/// use wangge_core::assessment::{total, Scored};
/// let s = [Scored { points: Some(48.5), max: 50.0 }, Scored { points: None, max: 10.0 }];
/// assert_eq!(total(&s), (48.5, 10.0));
/// ```
pub fn total(scores: &[Scored]) -> (f64, f64) {
    let scored = scores.iter().filter_map(|s| s.points).sum::<f64>();
    let unscored = scores.iter().filter(|s| s.points.is_none()).map(|s| s.max).sum::<f64>();
    (round2(scored), round2(unscored))
}

/// Checks indicators `(code, rule, max)` against the scheme's `total`: codes unique, rules
/// sound, maxima positive and adding up to the total.
pub fn check_scheme<'a>(indicators: impl IntoIterator<Item = (&'a str, Rule, f64)>, scheme_total: f64) -> Result<(), SchemeError> {
    let mut seen = std::collections::HashSet::new();
    let mut sum = 0.0;
    for (code, rule, max) in indicators {
        if !seen.insert(code) {
            return Err(SchemeError::Duplicate(code.to_owned()));
        }
        if !max.is_finite() || max <= 0.0 {
            return Err(SchemeError::Bad { code: code.to_owned(), reason: format!("its maximum must be above 0, got {max}") });
        }
        rule.check(code)?;
        sum += max;
    }
    if (sum - scheme_total).abs() > 1e-6 {
        return Err(SchemeError::Total { sum: round2(sum), total: scheme_total });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rules_score_within_zero_and_the_maximum() {
        let at_least = Rule::AtLeast { target: 0.95 };
        assert_eq!(at_least.points(50.0, Some(0.9933)), Some(50.0));
        assert_eq!(at_least.points(50.0, Some(0.9499)), Some(0.0));
        assert_eq!(at_least.points(50.0, Some(f64::NAN)), None, "not a number is no data");
        let linear = Rule::Linear { zero: 0.5, full: 1.0 };
        assert_eq!(linear.points(10.0, Some(0.87)), Some(7.4));
        assert_eq!(linear.points(10.0, Some(0.2)), Some(0.0));
        assert_eq!(linear.points(10.0, Some(1.5)), Some(10.0));
        // Lower is better: an overdue share of 10 % between 30 % (nothing) and 0 (full).
        assert_eq!(Rule::Linear { zero: 0.3, full: 0.0 }.points(6.0, Some(0.1)), Some(4.0));
        assert_eq!(Rule::Linear { zero: 1.0, full: 1.0 }.points(6.0, Some(1.0)), Some(6.0));
        assert_eq!(Rule::Deduct { per: 3.0 }.points(10.0, Some(5.0)), Some(0.0), "never below zero");
        assert_eq!(Rule::Deduct { per: 3.0 }.points(10.0, Some(0.0)), Some(10.0));
        assert_eq!(Rule::Bonus { per: 0.5 }.points(2.0, Some(3.0)), Some(1.5));
        assert_eq!(Rule::Bonus { per: 0.5 }.points(2.0, Some(30.0)), Some(2.0), "capped at the maximum");
        assert_eq!(Rule::Manual.points(9.0, Some(12.0)), Some(9.0));
        assert_eq!(Rule::Manual.points(9.0, Some(-1.0)), Some(0.0));
    }

    #[test]
    fn the_county_2023_total_is_excellent() {
        let s = [
            Scored { points: Some(50.0), max: 50.0 },
            Scored { points: Some(30.0), max: 30.0 },
            Scored { points: Some(10.0), max: 10.0 },
            Scored { points: Some(9.0), max: 10.0 },
        ];
        let (t, unscored) = total(&s);
        assert_eq!((t, unscored), (99.0, 0.0));
        let bands = [Band { min: 85.0, name: "优秀".into() }, Band { min: 60.0, name: "合格".into() }, Band { min: 0.0, name: "不合格".into() }];
        assert_eq!(grade(t, &bands), Some("优秀"));
        assert_eq!(grade(59.9, &bands), Some("不合格"));
    }

    #[test]
    fn schemes_are_checked() {
        let ok = [("a", Rule::AtLeast { target: 0.95 }, 60.0), ("b", Rule::Deduct { per: 1.0 }, 40.0)];
        assert_eq!(check_scheme(ok, 100.0), Ok(()));
        assert_eq!(check_scheme(ok, 90.0), Err(SchemeError::Total { sum: 100.0, total: 90.0 }));
        let twice = [("a", Rule::Manual, 50.0), ("a", Rule::Manual, 50.0)];
        assert_eq!(check_scheme(twice, 100.0), Err(SchemeError::Duplicate("a".into())));
        assert!(check_scheme([("a", Rule::Deduct { per: 0.0 }, 100.0)], 100.0).is_err());
        assert!(check_scheme([("a", Rule::AtLeast { target: f64::INFINITY }, 100.0)], 100.0).is_err());
        assert!(check_scheme([("a", Rule::Manual, -1.0)], -1.0).is_err());
        let json = serde_json::to_string(&Rule::Linear { zero: 0.8, full: 1.0 }).unwrap();
        assert_eq!(json, r#"{"rule":"linear","zero":0.8,"full":1.0}"#);
    }
}
