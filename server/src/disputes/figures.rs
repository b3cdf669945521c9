//! The county's benefit indicators for a period and area (目标 3, 目标 10), counted from the
//! records: screening, mediation and success rates, petitions resolved and lodged beyond the
//! city, satisfaction of the call-backs, and the townships' result indicators.

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use wangge_core::calendar::china_time;
use wangge_core::dispute::{self, months_due, screened_on_time, Month};
use wangge_core::petition;

use crate::records::{Callback, StatsFilter};
use crate::store::{Store, StoreError};

/// `disputes` of `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DisputeFigures {
    /// Cases registered.
    pub found: u64,
    /// Grid-months screened on time / grid-months due (排查率).
    pub screening_rate: Option<f64>,
    /// Grid-months due.
    pub screening_due: u64,
    /// Of which screened on time.
    pub screened_on_time: u64,
    /// Cases taken up by a mediating body.
    pub mediated: u64,
    /// mediated / found (调处率).
    pub mediated_rate: Option<f64>,
    /// Agreements.
    pub succeeded: u64,
    /// Agreements / cases mediated to an outcome (调处成功率).
    pub success_rate: Option<f64>,
    /// Cases not handed outside the county / found.
    pub in_county_rate: Option<f64>,
}

/// `petitions` of `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PetitionFigures {
    /// Accepted cases, repeats counted with their first.
    pub cases: u64,
    /// Of which answered resolved.
    pub resolved: u64,
    /// resolved / cases (信访案件化解率).
    pub resolved_rate: Option<f64>,
    /// Petitions received that were lodged in the province or in Beijing (进京赴省访).
    pub to_beijing_or_province: u64,
}

/// `satisfaction` of `GET /api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    /// Closed events of the period due a call-back by the county's rule.
    pub due: u64,
    /// Call-backs that reached the reporter (and reporters' own ratings).
    pub reached: u64,
    /// Of which 很满意 or 基本满意.
    pub satisfied: u64,
    /// satisfied / reached (群众满意度).
    pub rate: Option<f64>,
}

/// `outcomes` of `GET /api/v1/stats`: recorded per township, so `null` for a village or grid.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcomes {
    /// 公共安全事件.
    pub public_safety_incidents: Option<u64>,
    /// 民转刑案件.
    pub civil_to_criminal: Option<u64>,
}

/// The period and area the figures are for.
#[derive(Debug, Clone)]
pub struct Area<'a> {
    /// The period (instants) and the division.
    pub filter: &'a StatsFilter,
    /// First day (China time).
    pub from: NaiveDate,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Today (China time): months not ended are not due.
    pub today: NaiveDate,
    /// The current grids of the area.
    pub grids: HashSet<String>,
}

/// The screening figures of an area: (due, screened on time).
pub async fn screening(store: &Store, area: &Area<'_>) -> Result<(u64, u64), StoreError> {
    let months = months_due(area.from, area.to, area.today);
    let (Some(first), Some(last)) = (months.first(), months.last()) else { return Ok((0, 0)) };
    let due = area.grids.len() as u64 * months.len() as u64;
    let f = area.filter;
    let rows = store.screenings(&first.to_string(), &last.to_string(), f.township.as_deref(), f.village.as_deref()).await?;
    let wanted: HashSet<String> = months.iter().map(Month::to_string).collect();
    let on_time = rows
        .iter()
        .filter(|s| area.grids.contains(&s.grid_code) && wanted.contains(&s.month))
        .filter(|s| {
            Month::parse(&s.month).is_some_and(|m| screened_on_time(m, s.screened_at.with_timezone(&china_time()).date_naive()))
        })
        .count() as u64;
    Ok((due, on_time))
}

/// The dispute figures.
pub async fn disputes(store: &Store, area: &Area<'_>) -> Result<DisputeFigures, StoreError> {
    let (cases, (due, on_time)) = tokio::try_join!(store.dispute_facts(area.filter), screening(store, area))?;
    let r = dispute::rates(&cases);
    Ok(DisputeFigures {
        found: r.found,
        screening_rate: dispute::screening_rate(on_time, due),
        screening_due: due,
        screened_on_time: on_time,
        mediated: r.mediated,
        mediated_rate: r.mediated_rate,
        succeeded: r.succeeded,
        success_rate: r.success_rate,
        in_county_rate: r.in_county_rate,
    })
}

/// The petition figures (petitions concern a township or village, not a grid: a grid's
/// figures count none).
pub async fn petitions(store: &Store, area: &Area<'_>) -> Result<PetitionFigures, StoreError> {
    let facts = if area.filter.grid.is_some() { Vec::new() } else { store.petition_facts(area.filter).await? };
    let summaries: Vec<_> = facts.iter().map(|f| f.summary).collect();
    let r = petition::rates(&summaries);
    Ok(PetitionFigures {
        cases: r.cases,
        resolved: r.resolved,
        resolved_rate: r.resolved_rate,
        to_beijing_or_province: facts.iter().filter(|f| f.lodged.beyond_city()).count() as u64,
    })
}

/// Satisfaction from the call-backs of the period's events; `due` counted by the caller from
/// the period's events and the rule.
pub fn satisfaction(due: u64, callbacks: &[Callback]) -> Satisfaction {
    let levels: Vec<_> = callbacks.iter().filter(|c| c.reached).filter_map(|c| c.level).collect();
    Satisfaction {
        due,
        reached: levels.len() as u64,
        satisfied: levels.iter().filter(|l| l.satisfied()).count() as u64,
        rate: dispute::satisfaction_rate(&levels),
    }
}

/// The townships' result indicators.
pub async fn outcomes(store: &Store, area: &Area<'_>) -> Result<Outcomes, StoreError> {
    if area.filter.village.is_some() || area.filter.grid.is_some() {
        return Ok(Outcomes { public_safety_incidents: None, civil_to_criminal: None });
    }
    let rows = store.outcomes(&area.from.to_string(), &area.to.to_string(), area.filter.township.as_deref()).await?;
    let count = |kind: &str| Some(rows.iter().filter(|o| o.kind == kind).count() as u64);
    Ok(Outcomes { public_safety_incidents: count("public_safety_incident"), civil_to_criminal: count("civil_to_criminal") })
}

/// Today in China time.
pub fn today(now: chrono::DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china_time()).date_naive()
}
