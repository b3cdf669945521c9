//! The password policy (口令策略) MLPS level 3 asks for: length, character classes, no user
//! name inside, and a maximum age. Configurable by the security administrator.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A class of characters a password may be required to contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CharClass {
    /// `A`–`Z`.
    Upper,
    /// `a`–`z`.
    Lower,
    /// `0`–`9`.
    Digit,
    /// Anything else (punctuation, spaces, Chinese characters, …).
    Symbol,
}

impl CharClass {
    /// Every class.
    pub const ALL: [CharClass; 4] = [Self::Upper, Self::Lower, Self::Digit, Self::Symbol];

    /// The class of one character.
    pub fn of(c: char) -> Self {
        match c {
            'A'..='Z' => Self::Upper,
            'a'..='z' => Self::Lower,
            '0'..='9' => Self::Digit,
            _ => Self::Symbol,
        }
    }

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upper => "upper",
            Self::Lower => "lower",
            Self::Digit => "digit",
            Self::Symbol => "symbol",
        }
    }
}

/// One rule a password broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PasswordProblem {
    /// Fewer characters than the minimum.
    #[error("at least {min} characters are required")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than the maximum (hashing cost is bounded).
    #[error("at most {max} characters are allowed")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// A required class is missing.
    #[error("a character of class {} is required", .class.as_str())]
    MissingClass {
        /// The class.
        class: CharClass,
    },
    /// Too few different classes.
    #[error("characters of at least {need} of: upper case, lower case, digits, symbols are required")]
    TooFewClasses {
        /// How many are needed.
        need: usize,
    },
    /// The user name appears in the password (case-insensitive).
    #[error("the password must not contain the user name")]
    ContainsUsername,
    /// The same as the current password.
    #[error("the new password must differ from the current one")]
    Unchanged,
}

/// A password refused, with every rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("weak password: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct WeakPassword(pub Vec<PasswordProblem>);

/// A policy that would not protect anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A bound out of range.
    #[error("{0}")]
    Invalid(&'static str),
}

/// The password policy. The default is MLPS level 3 practice: 8 to 128 characters, at least
/// three of the four classes, no user name, changed every 90 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PasswordPolicy {
    /// Minimum length in characters.
    pub min_length: usize,
    /// Maximum length in characters.
    pub max_length: usize,
    /// Classes that must each appear.
    pub required_classes: BTreeSet<CharClass>,
    /// How many different classes must appear (0–4).
    pub min_classes: usize,
    /// Days a password stays valid; `None` for no expiry.
    pub max_age_days: Option<u32>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            required_classes: BTreeSet::new(),
            min_classes: 3,
            max_age_days: Some(90),
        }
    }
}

/// The shortest minimum a policy may set.
pub const MIN_LENGTH_FLOOR: usize = 8;

impl PasswordPolicy {
    /// Checks the policy itself before it is saved: a minimum of at least 8, a maximum of
    /// 1024 at most and not below the minimum, at most 4 classes, an expiry of 1–3650 days.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = PolicyError::Invalid;
        if self.min_length < MIN_LENGTH_FLOOR {
            return Err(bad("the minimum length must be at least 8"));
        }
        if self.max_length < self.min_length || self.max_length > 1024 {
            return Err(bad("the maximum length must be between the minimum and 1024"));
        }
        if self.min_classes > CharClass::ALL.len() {
            return Err(bad("at most 4 character classes can be required"));
        }
        if self.max_age_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(bad("the maximum age must be 1 to 3650 days"));
        }
        Ok(())
    }

    /// Every rule `password` breaks for `username` (empty when it is acceptable).
    pub fn problems(&self, username: &str, password: &str) -> Vec<PasswordProblem> {
        let mut out = Vec::new();
        let len = password.chars().count();
        if len < self.min_length {
            out.push(PasswordProblem::TooShort { min: self.min_length });
        }
        if len > self.max_length {
            out.push(PasswordProblem::TooLong { max: self.max_length });
        }
        let present: BTreeSet<CharClass> = password.chars().map(CharClass::of).collect();
        out.extend(self.required_classes.difference(&present).map(|c| PasswordProblem::MissingClass { class: *c }));
        if present.len() < self.min_classes {
            out.push(PasswordProblem::TooFewClasses { need: self.min_classes });
        }
        let name = username.trim().to_lowercase();
        if !name.is_empty() && password.to_lowercase().contains(&name) {
            out.push(PasswordProblem::ContainsUsername);
        }
        out
    }

    /// Accepts `password` or refuses it with every rule it breaks.
    ///
    /// ```
    /// use wangge_core::access::{PasswordPolicy, PasswordProblem};
    /// let policy = PasswordPolicy::default();
    /// assert!(policy.check("wangfang", "Huailai#2026").is_ok());
    /// let weak = policy.check("wangfang", "wangfang1").unwrap_err();
    /// assert!(weak.0.contains(&PasswordProblem::ContainsUsername));
    /// ```
    pub fn check(&self, username: &str, password: &str) -> Result<(), WeakPassword> {
        let problems = self.problems(username, password);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(WeakPassword(problems))
        }
    }

    /// [`check`](Self::check) for a change, also refusing the current password again.
    pub fn check_change(&self, username: &str, current: &str, new: &str) -> Result<(), WeakPassword> {
        let mut problems = self.problems(username, new);
        if current == new {
            problems.push(PasswordProblem::Unchanged);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(WeakPassword(problems))
        }
    }

    /// When a password set at `changed_at` expires, if it does.
    pub fn expires_at(&self, changed_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.max_age_days.map(|d| changed_at + Duration::days(i64::from(d)))
    }

    /// Whether a password set at `changed_at` must be changed at `now` before anything else.
    pub fn expired(&self, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.expires_at(changed_at).is_some_and(|at| now >= at)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn default_accepts_good_passwords() {
        let p = PasswordPolicy::default();
        p.validate().unwrap();
        for good in ["Huailai#2026", "shacheng-7Road", "网格Grid2026", "abcDEF12"] {
            assert_eq!(p.problems("zhangsan", good), [], "{good}");
        }
    }

    #[test]
    fn every_failed_rule_is_reported() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.problems("li", "abc"),
            [PasswordProblem::TooShort { min: 8 }, PasswordProblem::TooFewClasses { need: 3 }]
        );
        assert_eq!(
            p.problems("ZhangSan", "xxzhangsanxx"),
            [PasswordProblem::TooFewClasses { need: 3 }, PasswordProblem::ContainsUsername]
        );
        let strict = PasswordPolicy {
            min_length: 12,
            required_classes: [CharClass::Upper, CharClass::Symbol].into(),
            min_classes: 4,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            strict.problems("wang", "lowercase123"),
            [
                PasswordProblem::MissingClass { class: CharClass::Upper },
                PasswordProblem::MissingClass { class: CharClass::Symbol },
                PasswordProblem::TooFewClasses { need: 4 },
            ]
        );
        let long = "Aa1!".repeat(40);
        assert_eq!(p.problems("u", &long), [PasswordProblem::TooLong { max: 128 }]);
        let json = serde_json::to_value(&strict.problems("wang", "lowercase123")[0]).unwrap();
        assert_eq!(json, serde_json::json!({"rule": "missing_class", "class": "upper"}));
        let err = p.check("li", "abc").unwrap_err();
        assert_eq!(
            err.to_string(),
            "weak password: at least 8 characters are required; characters of at least 3 of: upper case, lower case, digits, symbols are required"
        );
    }

    #[test]
    fn username_check_ignores_case_and_blank_names() {
        let p = PasswordPolicy::default();
        assert!(p.problems("WangFang", "xWANGFANGx#1").contains(&PasswordProblem::ContainsUsername));
        assert!(p.problems("  ", "Good#Pass1").is_empty());
        assert!(p.problems("gw0001", "Gw0001-extra").contains(&PasswordProblem::ContainsUsername));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let p = PasswordPolicy { min_classes: 0, ..PasswordPolicy::default() };
        assert_eq!(p.problems("u", "网格化服务管理"), [PasswordProblem::TooShort { min: 8 }]);
        assert!(p.problems("u", "网格化服务管理系").is_empty());
    }

    #[test]
    fn change_must_differ() {
        let p = PasswordPolicy::default();
        let err = p.check_change("zhang", "Huailai#2026", "Huailai#2026").unwrap_err();
        assert_eq!(err.0, [PasswordProblem::Unchanged]);
        assert!(p.check_change("zhang", "Huailai#2026", "Huailai#2027").is_ok());
    }

    #[test]
    fn expiry() {
        let p = PasswordPolicy::default();
        let set = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(p.expires_at(set), Some(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()));
        assert!(!p.expired(set, Utc.with_ymd_and_hms(2026, 3, 31, 23, 59, 59).unwrap()));
        assert!(p.expired(set, Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()));
        let never = PasswordPolicy { max_age_days: None, ..p };
        assert!(!never.expired(set, Utc.with_ymd_and_hms(2036, 1, 1, 0, 0, 0).unwrap()));
    }

    #[test]
    fn policies_are_validated() {
        let ok = PasswordPolicy::default();
        assert!(PasswordPolicy { min_length: 6, ..ok.clone() }.validate().is_err());
        assert!(PasswordPolicy { max_length: 7, min_length: 8, ..ok.clone() }.validate().is_err());
        assert!(PasswordPolicy { min_classes: 5, ..ok.clone() }.validate().is_err());
        assert!(PasswordPolicy { max_age_days: Some(0), ..ok.clone() }.validate().is_err());
        let json = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<PasswordPolicy>(&json).unwrap(), ok);
        let partial: PasswordPolicy = serde_json::from_str(r#"{"min_length": 12}"#).unwrap();
        assert_eq!(partial, PasswordPolicy { min_length: 12, ..ok });
    }
}
