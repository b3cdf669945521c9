//! 考评: the assessment engine. A year's indicator system is data (`wangge_core::assessment`),
//! versioned in the store, the county's 2023 scheme built in as the default; `measures` counts
//! every indicator's value for every unit of a level and period from the records (events and
//! their timelines, call-backs, patrols, the registry, disputes, petitions, outcomes, the
//! budget ledger); `scores` turns them into ranked league tables and scorecards, frozen when a
//! closed period is; `report` writes the county's self-evaluation as JSON, DOCX and XLSX. See
//! docs/assessment.md.

pub mod careers;
pub mod measures;
pub mod report;
pub mod scores;

use chrono::Datelike;
use wangge_core::assessment::{Level, Period, Scheme, SchemeError};

use crate::records::SchemeVersion;
use crate::store::{Store, StoreError};

/// The county's 2023 indicator system, shipped as the default for every year without its own.
pub const DEFAULT_SCHEME: &str = include_str!("../../data/assessment-scheme-2023.json");

/// Why an assessment request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A field is missing or wrong.
    #[error("{0}")]
    Invalid(String),
    /// The scheme is not sound.
    #[error("the scheme is not sound: {0}")]
    Scheme(#[from] SchemeError),
    /// A period that has not ended cannot be frozen; a frozen one is not recomputed silently.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A computing task died.
    #[error("the assessment task failed: {0}")]
    Task(String),
}

/// Who freezes periods by themselves.
pub const FREEZER: &str = "system:assessment";

/// The periods that freeze by themselves: the last ended month (gridworkers), quarter
/// (villages, townships) and year (villages, townships, the county), once `after_days` days
/// have passed since their end (for late call-backs and closings); those not frozen yet are
/// frozen, and a frozen gridworker month records its careers' moves. The periods frozen.
pub async fn freeze_due(sources: &measures::Sources<'_>, after_days: u32) -> Result<Vec<(Level, Period)>, Refused> {
    let cutoff = measures::day_start(crate::disputes::figures::today(sources.now)) - chrono::Duration::days(i64::from(after_days));
    let today = crate::disputes::figures::today(cutoff);
    let month = Period::Month(today.year(), today.month());
    let quarter = Period::Quarter(today.year(), (today.month() - 1) / 3 + 1);
    let year = Period::Year(today.year());
    let last = |p: Period| -> Option<Period> {
        let before = p.first_day().pred_opt()?;
        Some(match p {
            Period::Month(..) => Period::Month(before.year(), before.month()),
            Period::Quarter(..) => Period::Quarter(before.year(), (before.month() - 1) / 3 + 1),
            Period::Year(_) => Period::Year(before.year()),
        })
    };
    let mut due = Vec::new();
    if let Some(m) = last(month) {
        due.push((Level::Gridworker, m));
    }
    if let Some(q) = last(quarter) {
        due.extend([(Level::Village, q), (Level::Township, q)]);
    }
    if let Some(y) = last(year) {
        due.extend([(Level::Village, y), (Level::Township, y), (Level::County, y)]);
    }
    let mut frozen = Vec::new();
    for (level, period) in due {
        if sources.store.frozen(&period.to_string(), level.as_str()).await?.is_some() {
            continue;
        }
        let (table, _) = scores::freeze(sources, level, period, false, FREEZER, sources.now).await?;
        if level == Level::Gridworker {
            careers::after_period(sources.store, &table, FREEZER, sources.now).await?;
        }
        tracing::info!(level = level.as_str(), %period, units = table.items.len(), "assessed period frozen");
        frozen.push((level, period));
    }
    Ok(frozen)
}

/// The built-in scheme for `year` (version 0).
pub fn default_scheme(year: i32) -> Result<SchemeVersion, Refused> {
    let mut scheme: Scheme =
        serde_json::from_str(DEFAULT_SCHEME).map_err(|e| Refused::Invalid(format!("the built-in scheme does not parse: {e}")))?;
    scheme.year = year;
    scheme.check()?;
    Ok(SchemeVersion {
        version: 0,
        scheme,
        changed_by: "system".into(),
        changed_at: chrono::DateTime::UNIX_EPOCH,
        note: "县委政法委 2023 年度网格化服务管理项目绩效评价指标体系(内置)".into(),
    })
}

/// The scheme that assesses `year`: its latest version; else the latest version of the
/// nearest earlier year with one (carried over, its year set to `year`); else the built-in.
pub async fn scheme_for(store: &Store, year: i32) -> Result<(SchemeVersion, i32), Refused> {
    let years = store.scheme_years().await?;
    let Some(from) = years.iter().copied().filter(|y| *y <= i64::from(year)).max() else {
        return Ok((default_scheme(year)?, year));
    };
    let from = i32::try_from(from).map_err(|_| Refused::Invalid(format!("bad scheme year {from}")))?;
    let mut v = store.schemes(from).await?.pop().ok_or_else(|| Refused::Invalid(format!("no scheme for {from}")))?;
    v.scheme.year = year;
    Ok((v, from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_scheme_is_sound_and_adds_up_to_the_county_report() {
        let v = default_scheme(2023).unwrap_or_else(|e| panic!("{e}"));
        let county: Vec<_> = v.scheme.of(wangge_core::assessment::Level::County).collect();
        let group = |g: &str| county.iter().filter(|i| i.group == g).map(|i| i.max).sum::<f64>();
        assert_eq!((group("产出"), group("效益"), group("满意度"), group("预算")), (50.0, 30.0, 10.0, 10.0));
        assert_eq!(v.scheme.min_valid_events, 20);
    }
}
