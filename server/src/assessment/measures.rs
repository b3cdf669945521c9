//! Every indicator's measured value, for every unit of a level in a period, counted from the
//! records in one county-wide pass per source: the period's events and their 1-3-5 stints
//! (duplicates left out; valid = verified, not marked a test or unfounded), their call-backs,
//! the patrols, the grids' monthly screenings, the registry's collection, and per unit the
//! disputes, petitions and outcomes; the county's budget ledger. A measure whose source holds
//! nothing for the unit is `None` ("no data"), never a made-up value.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use wangge_core::assessment::{Level, Measure, Period, Scheme};
use wangge_core::calendar::{china_time, WorkingCalendar};
pub use wangge_core::dispute::rate;
use wangge_core::dispute::{months_due, screened_on_time, Month, SamplingRule};
use wangge_core::event::Category;
use wangge_core::people::{Role, Roster};
use wangge_core::GridIndex;

use super::Refused;
use crate::disputes::figures::{self, Area};
use crate::events::stats::facts;
use crate::grids::catalog::Catalog;
use crate::patrols::figures::{figures as patrol_figures, FigureScope, FiguresError};
use crate::records::StatsFilter;
use crate::store::Store;

/// What the measures read.
pub struct Sources<'a> {
    /// The store.
    pub store: &'a Store,
    /// The current grids and divisions.
    pub catalog: Arc<Catalog>,
    /// The grid index (patrol coverage).
    pub index: Arc<GridIndex>,
    /// The roster (gridworkers and their bound grids).
    pub roster: Arc<Roster>,
    /// The working calendar (1-3-5).
    pub calendar: Arc<WorkingCalendar>,
    /// The call-back rule.
    pub callback_rule: &'a SamplingRule,
    /// Now.
    pub now: DateTime<Utc>,
    /// The registry's collection period in days.
    pub collection_days: u32,
}

/// A unit assessed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    /// Gridworker id, village or township code, or `county`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its township (empty for the county).
    pub township: String,
    /// Its village, for gridworkers and villages.
    pub village: Option<String>,
    /// Its grids now (a gridworker's bound grids).
    pub grids: Vec<String>,
}

/// The counts behind a unit's measures, and the records they count (for the drill-down).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Events reported in the period.
    pub reported: u64,
    /// Of which closed.
    pub closed: u64,
    /// Of which valid.
    pub valid: u64,
    /// Disputes reported.
    pub disputes: u64,
    /// Hazards reported.
    pub hazards: u64,
    /// 1-3-5 stints decided.
    pub stints: u64,
    /// Verified within 1 working day.
    pub verified_on_time: u64,
    /// Finished within 3 or 5.
    pub finished_on_time: u64,
    /// Call-backs that reached the reporter.
    pub reached: u64,
    /// Of which satisfied.
    pub satisfied: u64,
    /// Grid-months of screening due.
    pub screening_due: u64,
    /// Screened on time.
    pub screened_on_time: u64,
    /// Registry records.
    pub records: u64,
    /// Of which collected or re-verified within the collection period.
    pub fresh: u64,
    /// Patrol coverage (`None`: no patrol recorded in the county in the period).
    pub patrol: Option<f64>,
    /// Per measure read per unit (disputes, petitions, outcomes, budget): its value.
    pub other: BTreeMap<Measure, Option<f64>>,
    /// Numerators and denominators of those.
    pub other_basis: BTreeMap<Measure, (u64, u64)>,
    /// The events counted.
    #[serde(skip)]
    pub event_ids: Vec<Counted>,
    /// The call-backs counted.
    #[serde(skip)]
    pub callback_ids: Vec<String>,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.reported += o.reported;
        self.closed += o.closed;
        self.valid += o.valid;
        self.disputes += o.disputes;
        self.hazards += o.hazards;
        self.stints += o.stints;
        self.verified_on_time += o.verified_on_time;
        self.finished_on_time += o.finished_on_time;
        self.reached += o.reached;
        self.satisfied += o.satisfied;
        self.screening_due += o.screening_due;
        self.screened_on_time += o.screened_on_time;
        self.records += o.records;
        self.fresh += o.fresh;
        self.event_ids.extend(o.event_ids.iter().cloned());
        self.callback_ids.extend(o.callback_ids.iter().cloned());
    }

    /// The value of `measure` (`None`: no data).
    pub fn value(&self, measure: Measure) -> Option<f64> {
        match measure {
            Measure::ClosureRate => rate(self.closed, self.reported),
            Measure::VerifyOnTimeRate => rate(self.verified_on_time, self.stints),
            Measure::FinishOnTimeRate => rate(self.finished_on_time, self.stints),
            Measure::SatisfactionRate => rate(self.satisfied, self.reached),
            Measure::PatrolRate => self.patrol,
            Measure::CollectionRate => rate(self.fresh, self.records),
            Measure::ScreeningRate => rate(self.screened_on_time.min(self.screening_due), self.screening_due),
            #[allow(clippy::cast_precision_loss)]
            Measure::ValidEvents => Some(self.valid as f64),
            #[allow(clippy::cast_precision_loss)]
            Measure::DisputesReported => Some(self.disputes as f64),
            #[allow(clippy::cast_precision_loss)]
            Measure::HazardsReported => Some(self.hazards as f64),
            Measure::Manual => None,
            other => self.other.get(&other).copied().flatten(),
        }
    }

    /// The numerator and denominator behind `measure`, where it is a share or count.
    pub fn basis(&self, measure: Measure) -> Option<(u64, u64)> {
        match measure {
            Measure::ClosureRate => Some((self.closed, self.reported)),
            Measure::VerifyOnTimeRate => Some((self.verified_on_time, self.stints)),
            Measure::FinishOnTimeRate => Some((self.finished_on_time, self.stints)),
            Measure::SatisfactionRate => Some((self.satisfied, self.reached)),
            Measure::CollectionRate => Some((self.fresh, self.records)),
            Measure::ScreeningRate => Some((self.screened_on_time.min(self.screening_due), self.screening_due)),
            Measure::ValidEvents => Some((self.valid, self.reported)),
            Measure::DisputesReported => Some((self.disputes, self.reported)),
            Measure::HazardsReported => Some((self.hazards, self.reported)),
            other => self.other_basis.get(&other).copied(),
        }
    }
}

/// An event counted in a tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Its id.
    pub id: String,
    /// Valid (有效事件).
    pub valid: bool,
    /// Its category.
    pub category: Category,
    /// Closed.
    pub closed: bool,
}

/// The measured units of a level in a period.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The units in order (gridworkers by id, divisions by code).
    pub units: Vec<(Unit, Tally)>,
    /// Valid events per township in the period.
    pub valid_by_township: BTreeMap<String, u64>,
}

/// The first instant of a China-time day.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    china_time().from_local_datetime(&day.and_time(NaiveTime::MIN)).single().map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

/// The period's instants `[from, to)`.
pub fn instants(period: Period) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = period.last_day().checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    (day_start(period.first_day()), day_start(to))
}

/// A gridworker as a unit: its village is that of its first bound grid (else its roster unit),
/// its township that village's.
pub fn gridworker(p: &wangge_core::people::Person, catalog: &Catalog) -> Unit {
    let village = p.grids.first().and_then(|g| catalog.grid(g)).map(|g| g.grid.village_code.clone());
    let township = village.as_deref().unwrap_or(&p.unit_code).chars().take(9).collect();
    Unit { id: p.id.clone(), name: p.name.clone(), township, village, grids: p.grids.clone() }
}

/// The units of `level`: gridworkers on the roster with bound grids; villages and townships of
/// the catalog; the county.
pub fn units(sources: &Sources<'_>, level: Level) -> Vec<Unit> {
    let cat = &sources.catalog;
    match level {
        Level::Gridworker => {
            let mut out: Vec<Unit> =
                sources.roster.people().iter().filter(|p| p.role == Role::Gridworker).map(|p| gridworker(p, cat)).collect();
            out.sort_by(|a, b| a.id.cmp(&b.id));
            out
        }
        Level::Village => cat
            .villages()
            .iter()
            .map(|v| Unit {
                id: v.code.clone(),
                name: v.name.clone(),
                township: v.township_code.clone(),
                village: Some(v.code.clone()),
                grids: cat.grids().iter().filter(|g| g.grid.village_code == v.code).map(|g| g.grid.code.clone()).collect(),
            })
            .collect(),
        Level::Township => cat
            .townships()
            .iter()
            .map(|t| Unit {
                id: t.code.clone(),
                name: t.name.clone(),
                township: t.code.clone(),
                village: None,
                grids: cat.grids().iter().filter(|g| g.grid.township_code == t.code).map(|g| g.grid.code.clone()).collect(),
            })
            .collect(),
        Level::County => vec![Unit {
            id: "county".into(),
            name: "全县".into(),
            township: String::new(),
            village: None,
            grids: cat.grids().iter().map(|g| g.grid.code.clone()).collect(),
        }],
    }
}

/// Counts every unit of `level` in `period` for the measures `scheme` reads there.
pub async fn measure(sources: &Sources<'_>, scheme: &Scheme, level: Level, period: Period) -> Result<Measured, Refused> {
    let needed: BTreeSet<Measure> = scheme.of(level).map(|i| i.measure).collect();
    let (from, to) = instants(period);
    let all = StatsFilter { from, to, township: None, village: None, grid: None };
    let units = units(sources, level);

    // Events: per grid, village and township.
    let histories = sources.store.histories(&all).await?;
    let invalid: HashSet<String> = sources.store.invalid_marks(from, to).await?.into_iter().map(|m| m.event_id).collect();
    let calendar = sources.calendar.clone();
    let now = sources.now;
    let per_event = tokio::task::spawn_blocking(move || {
        histories
            .iter()
            .map(|h| {
                let f = facts(h, &calendar);
                let mut t = Tally { reported: 1, closed: u64::from(f.closed), ..Tally::default() };
                let verified = f.closed || f.stints.first().is_some_and(|s| s.verified_at.is_some());
                let valid = verified && !invalid.contains(&h.event_id);
                t.valid = u64::from(valid);
                t.disputes = u64::from(f.category == Category::Dispute);
                t.hazards = u64::from(f.category == Category::Hazard);
                for s in &f.stints {
                    if s.finished_at.is_some() || now > s.done_by {
                        t.stints += 1;
                        t.verified_on_time += u64::from(s.verified_at.is_some_and(|v| v <= s.verify_by));
                        t.finished_on_time += u64::from(s.finished_at.is_some_and(|v| v <= s.done_by));
                    }
                }
                t.event_ids.push(Counted { id: h.event_id.clone(), valid, category: f.category, closed: f.closed });
                (h.place.clone(), t)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| Refused::Task(e.to_string()))?;
    let mut by_grid: HashMap<String, Tally> = HashMap::new();
    let mut by_village: HashMap<String, Tally> = HashMap::new();
    let mut by_township: HashMap<String, Tally> = HashMap::new();
    let mut county = Tally::default();
    for (place, t) in &per_event {
        by_grid.entry(place.grid.clone()).or_default().add(t);
        by_village.entry(place.village.clone()).or_default().add(t);
        by_township.entry(place.township.clone()).or_default().add(t);
        county.add(t);
    }
    let valid_by_township: BTreeMap<String, u64> = by_township.iter().map(|(k, t)| (k.clone(), t.valid)).collect();

    // Call-backs of the period's events.
    if needed.contains(&Measure::SatisfactionRate) {
        for c in sources.store.callback_facts(&all).await? {
            let Some(level) = c.level.filter(|_| c.reached) else { continue };
            let t = Tally {
                reached: 1,
                satisfied: u64::from(level.satisfied()),
                callback_ids: vec![c.callback_id.clone()],
                ..Tally::default()
            };
            by_grid.entry(c.place.grid.clone()).or_default().add(&t);
            by_village.entry(c.place.village.clone()).or_default().add(&t);
            by_township.entry(c.place.township.clone()).or_default().add(&t);
            county.add(&t);
        }
    }

    // Screening: grid-months due and screened on time, per current grid.
    let today = figures::today(sources.now);
    let months = months_due(period.first_day(), period.last_day(), today);
    let mut screened: HashMap<String, u64> = HashMap::new();
    if needed.contains(&Measure::ScreeningRate) {
        if let (Some(first), Some(last)) = (months.first(), months.last()) {
            let wanted: HashSet<String> = months.iter().map(Month::to_string).collect();
            for s in sources.store.screenings(&first.to_string(), &last.to_string(), None, None).await? {
                let on_time = Month::parse(&s.month)
                    .is_some_and(|m| screened_on_time(m, s.screened_at.with_timezone(&china_time()).date_naive()));
                if on_time && wanted.contains(&s.month) {
                    *screened.entry(s.grid_code).or_default() += 1;
                }
            }
        }
    }

    // The registry's collection as of the period's end.
    let mut collection: HashMap<String, (u64, u64)> = HashMap::new();
    if needed.contains(&Measure::CollectionRate) {
        let until = to.min(sources.now);
        let since = until - chrono::Duration::days(i64::from(sources.collection_days));
        for (grid, total, fresh) in sources.store.collection_per_grid(since, until).await? {
            collection.insert(grid, (u64::try_from(total).unwrap_or(0), u64::try_from(fresh).unwrap_or(0)));
        }
    }

    // Patrols: a gridworker's coverage of its grids; a division's, the mean of its grids'.
    let mut coverage_by_worker: HashMap<String, f64> = HashMap::new();
    let mut coverage_by_grid: HashMap<String, f64> = HashMap::new();
    let mut any_patrol = false;
    if needed.contains(&Measure::PatrolRate) {
        let scope = FigureScope { from, to, prefix: None };
        let f = patrol_figures(sources.store, sources.index.clone(), sources.roster.clone(), &scope).await.map_err(|e| match e {
            FiguresError::Store(s) => Refused::Store(s),
            FiguresError::Task(t) => Refused::Task(t),
        })?;
        any_patrol = f.by_gridworker.iter().any(|g| g.patrols > 0);
        coverage_by_worker = f.by_gridworker.into_iter().map(|g| (g.person_id, g.coverage)).collect();
        coverage_by_grid = f.by_grid.into_iter().map(|g| (g.code, g.coverage)).collect();
    }

    let year_share = period.months().len();
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        let mut t = match level {
            Level::Gridworker => {
                let mut t = Tally::default();
                for g in &unit.grids {
                    if let Some(x) = by_grid.get(g) {
                        t.add(x);
                    }
                }
                t
            }
            Level::Village => by_village.get(&unit.id).cloned().unwrap_or_default(),
            Level::Township => by_township.get(&unit.id).cloned().unwrap_or_default(),
            Level::County => county.clone(),
        };
        t.screening_due = unit.grids.len() as u64 * months.len() as u64;
        t.screened_on_time = unit.grids.iter().map(|g| screened.get(g).copied().unwrap_or(0)).sum();
        for g in &unit.grids {
            if let Some((n, f)) = collection.get(g) {
                t.records += n;
                t.fresh += f;
            }
        }
        if any_patrol {
            t.patrol = match level {
                Level::Gridworker => Some(coverage_by_worker.get(&unit.id).copied().unwrap_or(0.0)),
                _ => {
                    let cov: Vec<f64> = unit.grids.iter().map(|g| coverage_by_grid.get(g).copied().unwrap_or(0.0)).collect();
                    #[allow(clippy::cast_precision_loss)]
                    (!cov.is_empty()).then(|| (cov.iter().sum::<f64>() / cov.len() as f64 * 10_000.0).round() / 10_000.0)
                }
            };
        }
        per_unit(sources, &needed, level, period, &unit, &mut t, (from, to), today).await?;
        if needed.contains(&Measure::ValidEventTownships) {
            let required = required_valid(scheme.min_valid_events, year_share);
            let townships = sources.catalog.townships();
            let met = townships.iter().filter(|tw| valid_by_township.get(&tw.code).copied().unwrap_or(0) >= required).count() as u64;
            t.other.insert(Measure::ValidEventTownships, rate(met, townships.len() as u64));
            t.other_basis.insert(Measure::ValidEventTownships, (met, townships.len() as u64));
        }
        out.push((unit, t));
    }
    Ok(Measured { units: out, valid_by_township })
}

/// The valid events a township owes in a period of `months` months: the yearly minimum, pro
/// rata, rounded up.
pub fn required_valid(min_per_year: u32, months: usize) -> u64 {
    (u64::from(min_per_year) * months as u64).div_ceil(12)
}

/// The measures read per unit: disputes, petitions and outcomes of its area; the budget.
#[allow(clippy::too_many_arguments)]
async fn per_unit(
    sources: &Sources<'_>,
    needed: &BTreeSet<Measure>,
    level: Level,
    period: Period,
    unit: &Unit,
    t: &mut Tally,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    today: NaiveDate,
) -> Result<(), Refused> {
    let wants = |ms: &[Measure]| ms.iter().any(|m| needed.contains(m));
    let filter = StatsFilter {
        from,
        to,
        township: (level == Level::Township).then(|| unit.id.clone()),
        village: (level == Level::Village).then(|| unit.id.clone()),
        grid: None,
    };
    let area = Area {
        filter: &filter,
        from: period.first_day(),
        to: period.last_day(),
        today,
        grids: unit.grids.iter().cloned().collect(),
    };
    if wants(&[Measure::MediatedRate, Measure::SuccessRate]) {
        let cases = sources.store.dispute_facts(&filter).await?;
        let r = wangge_core::dispute::rates(&cases);
        let concluded = cases.iter().filter(|c| c.agreed || c.failed).count() as u64;
        t.other.insert(Measure::MediatedRate, r.mediated_rate);
        t.other_basis.insert(Measure::MediatedRate, (r.mediated, r.found));
        t.other.insert(Measure::SuccessRate, r.success_rate);
        t.other_basis.insert(Measure::SuccessRate, (r.succeeded, concluded));
    }
    if wants(&[Measure::PetitionResolvedRate, Measure::PetitionsBeyondCity]) {
        let p = figures::petitions(sources.store, &area).await?;
        t.other.insert(Measure::PetitionResolvedRate, p.resolved_rate);
        t.other_basis.insert(Measure::PetitionResolvedRate, (p.resolved, p.cases));
        #[allow(clippy::cast_precision_loss)]
        t.other.insert(Measure::PetitionsBeyondCity, Some(p.to_beijing_or_province as f64));
        t.other_basis.insert(Measure::PetitionsBeyondCity, (p.to_beijing_or_province, p.cases));
    }
    if wants(&[Measure::PublicSafetyIncidents, Measure::CivilToCriminal]) {
        let o = figures::outcomes(sources.store, &area).await?;
        #[allow(clippy::cast_precision_loss)]
        {
            t.other.insert(Measure::PublicSafetyIncidents, o.public_safety_incidents.map(|n| n as f64));
            t.other.insert(Measure::CivilToCriminal, o.civil_to_criminal.map(|n| n as f64));
        }
    }
    if wants(&[Measure::BudgetExecution]) {
        let (budget, spent) = budget_totals(&sources.store.budget_lines(period.year()).await?);
        let (spent, budget) = (u64::try_from(spent).unwrap_or(0), u64::try_from(budget).unwrap_or(0));
        t.other.insert(Measure::BudgetExecution, rate(spent, budget));
        t.other_basis.insert(Measure::BudgetExecution, (spent, budget));
    }
    Ok(())
}

/// The budget and the spending of a year's ledger, in fen.
pub fn budget_totals(lines: &[crate::records::BudgetLine]) -> (i64, i64) {
    let sum = |kind: &str| lines.iter().filter(|l| l.kind == kind).map(|l| l.amount_fen).sum::<i64>();
    (sum("budget"), sum("spend"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_township_owes_its_minimum_pro_rata() {
        assert_eq!(required_valid(20, 12), 20);
        assert_eq!(required_valid(20, 3), 5);
        assert_eq!(required_valid(20, 1), 2);
    }

    #[test]
    fn periods_are_china_days() {
        let (from, to) = instants(Period::Year(2023));
        assert_eq!(crate::records::time_text(from), "2022-12-31T16:00:00.000Z");
        assert_eq!(crate::records::time_text(to), "2023-12-31T16:00:00.000Z");
    }
}
