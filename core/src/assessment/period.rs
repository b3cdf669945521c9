//! Assessment periods: a month (`2023-12`), a quarter (`2023-Q4`) or a year (`2023`), with
//! their first and last days (China time) and whether they have ended.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    /// A month, 1–12.
    Month(i32, u32),
    /// A quarter, 1–4.
    Quarter(i32, u32),
    /// A year.
    Year(i32),
}

impl Period {
    /// Parses `YYYY-MM`, `YYYY-Qn` or `YYYY` (years 2000–2100).
    ///
    /// ```
    /// use wangge_core::assessment::Period;
    /// assert_eq!(Period::parse("2023-12"), Some(Period::Month(2023, 12)));
    /// assert_eq!(Period::parse("2023-Q4"), Some(Period::Quarter(2023, 4)));
    /// assert_eq!(Period::parse("2023"), Some(Period::Year(2023)));
    /// assert_eq!(Period::parse("2023-13"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let year = |y: &str| y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y) && y.to_string().len() == 4);
        match s.split_once('-') {
            None => year(s).map(Self::Year),
            Some((y, rest)) => {
                let y = year(y)?;
                if let Some(q) = rest.strip_prefix('Q') {
                    let q = q.parse::<u32>().ok().filter(|q| (1..=4).contains(q) && q.to_string() == rest[1..])?;
                    Some(Self::Quarter(y, q))
                } else {
                    let m = rest.parse::<u32>().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2)?;
                    Some(Self::Month(y, m))
                }
            }
        }
    }

    /// Its year.
    pub fn year(self) -> i32 {
        match self {
            Self::Month(y, _) | Self::Quarter(y, _) | Self::Year(y) => y,
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        let (y, m) = match self {
            Self::Month(y, m) => (y, m),
            Self::Quarter(y, q) => (y, 3 * q - 2),
            Self::Year(y) => (y, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day, inclusive.
    pub fn last_day(self) -> NaiveDate {
        let next = match self {
            Self::Month(y, 12) | Self::Quarter(y, 4) | Self::Year(y) => NaiveDate::from_ymd_opt(y + 1, 1, 1),
            Self::Month(y, m) => NaiveDate::from_ymd_opt(y, m + 1, 1),
            Self::Quarter(y, q) => NaiveDate::from_ymd_opt(y, 3 * q + 1, 1),
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// Whether it has ended by `today` (only an ended period can be frozen).
    pub fn ended(self, today: NaiveDate) -> bool {
        today > self.last_day()
    }

    /// The months it spans, in order.
    pub fn months(self) -> Vec<Period> {
        let first = self.first_day();
        let last = self.last_day();
        let mut out = Vec::new();
        let mut d = first;
        while d <= last {
            out.push(Self::Month(d.year(), d.month()));
            d = Self::Month(d.year(), d.month()).last_day().succ_opt().unwrap_or(NaiveDate::MAX);
        }
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month(y, m) => write!(f, "{y}-{m:02}"),
            Self::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            Self::Year(y) => write!(f, "{y}"),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("a period is YYYY-MM, YYYY-Qn or YYYY, got {s:?}"))
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn periods_have_their_days_and_round_trip() {
        assert_eq!(Period::Month(2024, 2).last_day(), d(2024, 2, 29));
        assert_eq!(Period::Quarter(2023, 4).first_day(), d(2023, 10, 1));
        assert_eq!(Period::Quarter(2023, 1).last_day(), d(2023, 3, 31));
        assert_eq!(Period::Year(2023).last_day(), d(2023, 12, 31));
        assert_eq!(Period::Year(2023).months().len(), 12);
        assert_eq!(Period::Quarter(2023, 2).months(), vec![Period::Month(2023, 4), Period::Month(2023, 5), Period::Month(2023, 6)]);
        for s in ["2023-01", "2023-Q2", "2023"] {
            assert_eq!(Period::parse(s).map(|p| p.to_string()).as_deref(), Some(s));
        }
        for bad in ["2023-1", "2023-Q5", "2023-Q01", "23", "1999", "2023-00", "2023-", "-2023", "2023-12-01"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert!(Period::Month(2023, 12).ended(d(2024, 1, 1)));
        assert!(!Period::Month(2023, 12).ended(d(2023, 12, 31)));
    }
}
