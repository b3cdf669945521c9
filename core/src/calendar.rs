//! The Chinese working-day calendar (工作日): statutory holidays and 调休 make-up working days
//! from the State Council's yearly notices, with overrides, and working-day deadlines.
//!
//! A year whose notice is not loaded is an error, never a guess: deadlines must not silently
//! assume plain weekends.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

/// The State Council notices for 2023–2026, as `date,kind,festival,festival_zh` rows.
pub const CHINA_2023_2026: &str = include_str!("../data/cn-working-calendar-2023-2026.csv");

/// Why a calendar question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year's holiday notice is not loaded.
    #[error("the working-day calendar has no data for {0}; load that year's State Council notice")]
    YearNotLoaded(i32),
    /// A row of calendar data is malformed.
    #[error("calendar line {line}: {reason}")]
    BadRow {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// What a special date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 法定节假日 — a day off, even on a weekday.
    Holiday,
    /// 调休上班 — a weekend day that is worked.
    Workday,
}

/// A working-day calendar over the years whose notices are loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeSet<i32>,
    special: BTreeMap<NaiveDate, DayKind>,
}

/// China Standard Time (UTC+8), in which working days are counted.
pub const CHINA_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

/// [`CHINA_TIME`] as a function, for `with_timezone(&china_time())`.
pub fn china_time() -> FixedOffset {
    CHINA_TIME
}

impl WorkingCalendar {
    /// The built-in calendar: the notices for 2023–2026.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// let cal = wangge_core::calendar::WorkingCalendar::china().unwrap();
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// assert_eq!(cal.is_working_day(d(2025, 1, 26)), Ok(true)); // a Sunday, worked (调休)
    /// assert_eq!(cal.is_working_day(d(2025, 10, 1)), Ok(false)); // National Day
    /// assert!(cal.is_working_day(d(2027, 3, 1)).is_err()); // not loaded
    /// ```
    pub fn china() -> Result<Self, CalendarError> {
        let mut cal = Self::default();
        cal.load_csv(CHINA_2023_2026, &[2023, 2024, 2025, 2026])?;
        Ok(cal)
    }

    /// Loads `date,kind,…` rows and marks `years` as loaded (a year with no special days at
    /// all must still be named to count as loaded).
    pub fn load_csv(&mut self, csv: &str, years: &[i32]) -> Result<(), CalendarError> {
        for (i, line) in csv.lines().enumerate().skip(1) {
            let bad = |reason: &str| CalendarError::BadRow { line: i + 1, reason: reason.into() };
            let mut f = line.split(',');
            let date = f.next().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
            let date = date.ok_or_else(|| bad("bad date"))?;
            let kind = match f.next().map(str::trim) {
                Some("holiday") => DayKind::Holiday,
                Some("workday") => DayKind::Workday,
                _ => return Err(bad("kind must be holiday or workday")),
            };
            self.special.insert(date, kind);
        }
        self.years.extend(years);
        Ok(())
    }

    /// Sets or clears an administrator's override for one date (its year must be loaded).
    pub fn set_override(&mut self, date: NaiveDate, kind: Option<DayKind>) -> Result<(), CalendarError> {
        self.check_year(date.year())?;
        match kind {
            Some(k) => self.special.insert(date, k),
            None => self.special.remove(&date),
        };
        Ok(())
    }

    /// Marks a year as loaded.
    pub fn add_year(&mut self, year: i32) {
        self.years.insert(year);
    }

    /// The loaded years.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.check_year(date.year())?;
        Ok(match self.special.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The `n`-th working day after `date` (`date` itself not counted; `n = 0` is `date`).
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = d.checked_add_days(Days::new(1)).ok_or(CalendarError::YearNotLoaded(d.year() + 1))?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The deadline for something received at `at` that must be done within `n` working
    /// days: the end (24:00 China time) of the `n`-th working day after the day of receipt.
    pub fn deadline(&self, at: DateTime<Utc>, n: u32) -> Result<DateTime<Utc>, CalendarError> {
        let local = at.with_timezone(&china_time()).date_naive();
        let day = self.nth_working_day_after(local, n)?;
        let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let midnight = next.and_time(NaiveTime::MIN);
        Ok(china_time().from_local_datetime(&midnight).single().map_or(at, |t| t.with_timezone(&Utc)))
    }

    /// Working days strictly after the day of `from` up to and including the day of `to`
    /// (China time); 0 when `to` is not later.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<u32, CalendarError> {
        let (a, b) = (from.with_timezone(&china_time()).date_naive(), to.with_timezone(&china_time()).date_naive());
        let mut n = 0;
        let mut d = a;
        while d < b {
            d = d.checked_add_days(Days::new(1)).unwrap_or(b);
            n += u32::from(self.is_working_day(d)?);
        }
        Ok(n)
    }

    fn check_year(&self, y: i32) -> Result<(), CalendarError> {
        if self.years.contains(&y) { Ok(()) } else { Err(CalendarError::YearNotLoaded(y)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn known_dates_of_2025() {
        let cal = WorkingCalendar::china().unwrap();
        assert!(cal.is_working_day(d(2025, 1, 26)).unwrap(), "Sunday worked before Spring Festival");
        assert!(cal.is_working_day(d(2025, 2, 8)).unwrap(), "Saturday worked");
        for day in 1..=8 {
            assert!(!cal.is_working_day(d(2025, 10, day)).unwrap(), "2025-10-0{day} is a holiday");
        }
        assert!(cal.is_working_day(d(2025, 9, 28)).unwrap());
        assert!(cal.is_working_day(d(2025, 10, 11)).unwrap());
        assert!(cal.is_working_day(d(2025, 10, 9)).unwrap(), "an ordinary Thursday");
        assert!(!cal.is_working_day(d(2025, 10, 12)).unwrap(), "an ordinary Sunday");
    }

    #[test]
    fn year_2026_is_loaded_and_2027_is_not() {
        let cal = WorkingCalendar::china().unwrap();
        assert!(!cal.is_working_day(d(2026, 10, 1)).unwrap());
        assert!(cal.is_working_day(d(2026, 1, 4)).unwrap(), "Sunday 2026-01-04 is worked");
        assert_eq!(cal.is_working_day(d(2027, 1, 4)), Err(CalendarError::YearNotLoaded(2027)));
        // A deadline that would run into 2027 is an error, not a guess.
        assert_eq!(cal.nth_working_day_after(d(2026, 12, 30), 3), Err(CalendarError::YearNotLoaded(2027)));
    }

    #[test]
    fn deadlines_skip_holidays_and_count_make_up_days() {
        let cal = WorkingCalendar::china().unwrap();
        // Received Tuesday 2025-09-30: the break runs to 10-08; Thursday 10-09, Friday 10-10
        // and the make-up Saturday 10-11 are the three working days.
        assert_eq!(cal.nth_working_day_after(d(2025, 9, 30), 3).unwrap(), d(2025, 10, 11));
        assert_eq!(cal.nth_working_day_after(d(2025, 9, 30), 4).unwrap(), d(2025, 10, 13));
        // Received Friday 2025-01-24: Sunday 2025-01-26 is worked.
        assert_eq!(cal.nth_working_day_after(d(2025, 1, 24), 1).unwrap(), d(2025, 1, 26));
        let at = china_time().with_ymd_and_hms(2025, 1, 24, 16, 0, 0).unwrap().with_timezone(&Utc);
        let due = cal.deadline(at, 1).unwrap().with_timezone(&china_time());
        assert_eq!(due.naive_local(), d(2025, 1, 27).and_time(NaiveTime::MIN));
    }

    #[test]
    fn overrides_change_a_day() {
        let mut cal = WorkingCalendar::china().unwrap();
        cal.set_override(d(2025, 10, 9), Some(DayKind::Holiday)).unwrap();
        assert!(!cal.is_working_day(d(2025, 10, 9)).unwrap());
        cal.set_override(d(2025, 10, 9), None).unwrap();
        assert!(cal.is_working_day(d(2025, 10, 9)).unwrap());
        assert!(cal.set_override(d(2030, 1, 1), Some(DayKind::Holiday)).is_err());
    }
}
