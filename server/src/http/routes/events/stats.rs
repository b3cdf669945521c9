//! Figures (统计): `GET /api/v1/stats?from=&to=[&township=|&village=|&grid=]` — reported,
//! closed and the closure rate of the events reported in a period (dates inclusive, China
//! time), by category and by division, the 1-3-5 on-time rates per tier, and the open events
//! past a deadline now (督办); and the benefit indicators — disputes screened and mediated,
//! petitions resolved, satisfaction of the call-backs, the townships' result indicators
//! (docs/disputes.md). `?format=xlsx|csv` answers the counts by township, village or grid
//! (`by=`) as a spreadsheet.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use wangge_core::calendar::china_time;
use wangge_core::stats::{self, Counts, OnTime};

use crate::events::sheets::By;
use crate::http::routes::sheets::{self, Name};
use crate::http::routes::{code, no_store};
use crate::access::Caller;
use crate::http::error::ApiError;
use wangge_core::access::Permission;
use crate::records::{time_text, EventFilter, Page};
use crate::events::view::{event_view, EventView};
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::events::stats::facts;
use crate::records::{Callback, StatsFilter};
use crate::http::routes::Routes;
use crate::http::routes::grids::map::Source;
use crate::disputes::figures;

/// Most overdue events listed in the answer (the total is always given).
pub const OVERDUE_LISTED: u32 = 20;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().at("/api/v1/stats", get(figures))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    /// `xlsx` or `csv`: the figures by division as a spreadsheet.
    format: Option<String>,
    /// `township`, `village` or `grid`: the divisions a spreadsheet lists (default: the finest
    /// the answer lists).
    by: Option<String>,
}

/// One division's counts, with its name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DivisionCounts {
    code: String,
    name: String,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Overdue {
    /// Open events of the division past a deadline now.
    total: i64,
    /// The first of them, soonest deadline first.
    items: Vec<EventView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EventFigures)]
struct Answer {
    from: NaiveDate,
    to: NaiveDate,
    township: Option<String>,
    village: Option<String>,
    grid: Option<String>,
    #[serde(flatten)]
    total: Counts,
    by_category: BTreeMap<&'static str, Counts>,
    by_township: Vec<DivisionCounts>,
    /// Only when the figures are narrowed to a township, village or grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_village: Option<Vec<DivisionCounts>>,
    /// Only when the figures are narrowed to a village or grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_grid: Option<Vec<DivisionCounts>>,
    on_time: BTreeMap<&'static str, OnTime>,
    overdue: Overdue,
    disputes: figures::DisputeFigures,
    petitions: figures::PetitionFigures,
    satisfaction: figures::Satisfaction,
    outcomes: figures::Outcomes,
    generated_at: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "get_api_v1_stats",
    tag = "events",
    params(StatsQuery),
    responses((status = 200, description = "the list (JSON), or all of it as a spreadsheet with `format=xlsx|csv` or `Accept`", content((Answer = "application/json"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv; charset=utf-8"))), crate::http::openapi::Problems)
)]
async fn figures(State(state): State<AppState>, caller: Caller, headers: HeaderMap, ApiQuery(q): ApiQuery<StatsQuery>) -> Result<Response, ApiError> {
    let scope = caller.scope(Permission::ReadStats)?;
    let export = sheets::wanted(q.format.as_deref(), &headers)?;
    if export.is_some() {
        sheets::allowed(&caller)?;
    }
    let by = q
        .by
        .as_deref()
        .map(|b| By::parse(b).ok_or_else(|| ApiError::BadRequest(format!("by must be township, village or grid, got {b:?}"))))
        .transpose()?;
    let from = date("from", q.from.as_deref())?;
    let to = date("to", q.to.as_deref())?;
    if from > to {
        return Err(ApiError::BadRequest(format!("from ({from}) is after to ({to})")));
    }
    let township = q.township.map(|c| code("township", c, 9)).transpose()?;
    let village = q.village.map(|c| code("village", c, 12)).transpose()?;
    let grid = q.grid.map(grid_code).transpose()?;
    let outside = || ApiError::Forbidden {
        action: Permission::ReadStats.as_str().to_owned(),
        reason: format!("the figures asked for are outside the caller's jurisdiction {}", scope.0.as_str()),
    };
    let (township, village) = scope.narrow(township, village).ok_or_else(outside)?;
    if grid.as_deref().is_some_and(|g| !scope.covers(g)) {
        return Err(outside());
    }
    let filter = StatsFilter {
        from: day_start(from)?,
        to: day_start(to.checked_add_days(Days::new(1)).ok_or_else(|| bad_date("to", &to.to_string()))?)?,
        township,
        village,
        grid,
    };
    let now = state.clock.now();
    let _turn = crate::http::overload::heavy_turn(&state).await?;
    let started = std::time::Instant::now();
    let Some(format) = export else {
        // The counts (with the overdue events to list) and the benefit indicators read
        // different things: they are asked for at once, so the answer waits for the slower.
        // The overdue events themselves are event details: listed only for who may read events.
        let listed = caller.require(Permission::ReadEvents).is_ok();
        let counts_then_overdue = async {
            let ((figures, callback_due, overdue_held, first, source), counts_took) =
                clocked(counted(&state, &filter, now, if listed { OVERDUE_LISTED } else { 0 })).await?;
            let (items, overdue_took) = clocked(overdue_listed(&state, &filter, now, listed, first)).await?;
            Ok::<_, ApiError>(((figures, callback_due, overdue_held, source), counts_took, (items, overdue_took)))
        };
        let (((figures, callback_due, overdue_held, source), counts_took, (overdue_items, overdue_took)), (benefit, benefit_took)) =
            tokio::try_join!(counts_then_overdue, clocked(benefit(&state, &filter, (from, to))))?;
        // Counted in memory with the rest, or (while the events are not held) by the store.
        let overdue = Overdue {
            total: match overdue_held {
                Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
                None => state.store.event_count(&overdue_filter(&filter, now)).await?,
            },
            items: overdue_items,
        };
        let (disputes, petitions, callbacks, outcomes) = benefit;
        let names = Names::new(&state);
        let narrowed = filter.township.is_some() || filter.village.is_some() || filter.grid.is_some();
        let answer = Answer {
            from,
            to,
            by_township: names.list(&figures.by_township, &names.townships),
            by_village: narrowed.then(|| names.list(&figures.by_village, &names.villages)),
            by_grid: (filter.village.is_some() || filter.grid.is_some()).then(|| names.list(&figures.by_grid, &names.grids)),
            township: filter.township,
            village: filter.village,
            grid: filter.grid,
            total: figures.total,
            by_category: figures.by_category,
            on_time: figures.on_time,
            overdue,
            disputes,
            petitions,
            // Satisfaction: the period's closed events due a call-back by the county's rule.
            satisfaction: figures::satisfaction(callback_due, &callbacks),
            outcomes,
            generated_at: time_text(now),
        };
        let phases = [("counts", counts_took), ("benefit", benefit_took), ("overdue", overdue_took)];
        return Ok(no_store(source.timed_phases(Json(answer).into_response(), started, &phases)));
    };
    let (figures, ..) = counted(&state, &filter, now, 0).await?;
    let by = by.unwrap_or(if filter.village.is_some() || filter.grid.is_some() {
        By::Grid
    } else if filter.township.is_some() {
        By::Village
    } else {
        By::Township
    });
    let catalog = state.catalog.load();
    let build = move || {
        let counts = match by {
            By::Township => &figures.by_township,
            By::Village => &figures.by_village,
            By::Grid => &figures.by_grid,
        };
        crate::events::sheets::by_area(by, counts, &catalog)
    };
    sheets::file(&state, format, Name { ascii: "stats", zh: "事件统计" }, "stats", build).await
}

/// A future's output and how long it took.
async fn clocked<T, E>(work: impl std::future::Future<Output = Result<T, E>>) -> Result<(T, std::time::Duration), E> {
    let started = std::time::Instant::now();
    let done = work.await?;
    Ok((done, started.elapsed()))
}

/// The counts and 1-3-5 rates of the events reported in the period, and how many of its closed
/// events are due a call-back by the county's rule: from the events held in memory, or from
/// the store while they are not. From memory, also how many of the division's events are
/// overdue now, and the ids of the first `first` of them in the order they are listed.
async fn counted(
    state: &AppState,
    filter: &StatsFilter,
    now: DateTime<Utc>,
    first: u32,
) -> Result<(stats::Figures, u64, Option<u64>, Option<Vec<String>>, Source), ApiError> {
    let (asked, rule) = (filter.clone(), state.callback_rule.clone());
    let first = usize::try_from(first).unwrap_or(usize::MAX);
    let from_memory = state
        .cube
        .with(&state.store, &state.rules, move |c| {
            (c.figures(&asked, now, &rule), c.overdue(&asked, now), c.overdue_first(&asked, now, first))
        })
        .await?;
    if let Some(((figures, due), overdue, listed)) = from_memory {
        return Ok((figures, due, Some(overdue), Some(listed), Source::Memory));
    }
    let histories = state.store.histories(filter).await?;
    let due = histories
        .iter()
        .filter(|h| h.state.is_closed() && state.callback_rule.due(&h.event_id, h.category.as_str(), false))
        .count() as u64;
    let calendar = state.rules.calendar();
    let figures = tokio::task::spawn_blocking(move || {
        let all: Vec<_> = histories.iter().map(|h| facts(h, &calendar)).collect();
        stats::figures(&all, now)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the figures task failed: {e}")))?;
    Ok((figures, due, None, None, Source::Store))
}

/// The benefit indicators of the period and area: disputes, petitions, the call-backs made
/// (satisfaction is counted from them and the events due one) and the townships' outcomes.
async fn benefit(
    state: &AppState,
    filter: &StatsFilter,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<(figures::DisputeFigures, figures::PetitionFigures, Vec<Callback>, figures::Outcomes), ApiError> {
    let grids = state
        .catalog
        .load()
        .grids()
        .iter()
        .map(|g| &g.grid)
        .filter(|g| filter.township.as_ref().is_none_or(|t| &g.township_code == t))
        .filter(|g| filter.village.as_ref().is_none_or(|v| &g.village_code == v))
        .filter(|g| filter.grid.as_ref().is_none_or(|c| &g.code == c))
        .map(|g| g.code.clone())
        .collect();
    let area = figures::Area { filter, from, to, today: figures::today(state.clock.now()), grids };
    // Each a read of its own: asked for at once.
    Ok(tokio::try_join!(
        figures::disputes(&state.store, &area),
        figures::petitions(&state.store, &area),
        state.store.callback_facts(filter),
        figures::outcomes(&state.store, &area),
    )?)
}

/// The open events of the filter's division past a deadline at `now` (whenever reported).
fn overdue_filter(f: &StatsFilter, now: DateTime<Utc>) -> EventFilter {
    EventFilter {
        township: f.township.clone(),
        village: f.village.clone(),
        grid: f.grid.clone(),
        overdue: Some(true),
        now: Some(now),
        ..EventFilter::default()
    }
}

/// The first overdue events, soonest deadline first, when `listed` (none otherwise): by their
/// ids when the events held in memory named them (`first`), else found by the store's filter.
async fn overdue_listed(
    state: &AppState,
    f: &StatsFilter,
    now: DateTime<Utc>,
    listed: bool,
    first: Option<Vec<String>>,
) -> Result<Vec<EventView>, ApiError> {
    if !listed {
        return Ok(Vec::new());
    }
    let found = match first {
        Some(ids) => {
            let mut found = state.store.events_by_id(&ids).await?;
            let rank: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            found.sort_by_key(|e| rank.get(e.event_id.as_str()).copied().unwrap_or(usize::MAX));
            found
        }
        None => state.store.event_page(&overdue_filter(f, now), Page { page: 1, per_page: OVERDUE_LISTED }).await?,
    };
    Ok(found.iter().map(|e| event_view(e, now)).collect())
}

/// Division names by code, from the catalog.
struct Names {
    townships: HashMap<String, String>,
    villages: HashMap<String, String>,
    grids: HashMap<String, String>,
}

impl Names {
    fn new(state: &AppState) -> Self {
        let mut names = Self { townships: HashMap::new(), villages: HashMap::new(), grids: HashMap::new() };
        for g in state.catalog.load().grids() {
            let g = &g.grid;
            names.townships.entry(g.township_code.clone()).or_insert_with(|| g.township_name.clone());
            names.villages.entry(g.village_code.clone()).or_insert_with(|| g.village_name.clone());
            names.grids.insert(g.code.clone(), g.name.clone());
        }
        names
    }

    /// The counts by code, with names (empty for a division no longer in the catalog).
    fn list(&self, counts: &BTreeMap<String, Counts>, names: &HashMap<String, String>) -> Vec<DivisionCounts> {
        counts
            .iter()
            .map(|(code, c)| DivisionCounts {
                code: code.clone(),
                name: names.get(code).cloned().unwrap_or_default(),
                counts: *c,
            })
            .collect()
    }
}

/// A required `YYYY-MM-DD` date.
pub(in crate::http::routes) fn date(what: &str, text: Option<&str>) -> Result<NaiveDate, ApiError> {
    let text = text.ok_or_else(|| ApiError::BadRequest(format!("{what} is required: a date YYYY-MM-DD (China time)")))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad_date(what, text))
}

fn bad_date(what: &str, text: &str) -> ApiError {
    ApiError::BadRequest(format!("{what} must be a date YYYY-MM-DD (China time), got {text:?}"))
}

/// The start of a China-time day, in UTC.
pub(in crate::http::routes) fn day_start(day: NaiveDate) -> Result<DateTime<Utc>, ApiError> {
    china_time()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| bad_date("date", &day.to_string()))
}

fn grid_code(text: String) -> Result<String, ApiError> {
    if text.len() == 15 && text.is_ascii() {
        Ok(text)
    } else {
        Err(ApiError::BadRequest(format!("grid must be a 15-character grid code, got {text:?}")))
    }
}

/// The OpenAPI description of this module's routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(figures))]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_required_and_strict() {
        assert!(date("from", None).is_err());
        assert!(date("from", Some("2023-13-01")).is_err());
        assert!(date("from", Some("2023/01/01")).is_err());
        assert_eq!(date("from", Some("2023-01-01")).ok(), NaiveDate::from_ymd_opt(2023, 1, 1));
    }

    #[test]
    fn days_start_at_china_midnight() {
        let day = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
        assert_eq!(day_start(day).map(time_text).ok().as_deref(), Some("2022-12-31T16:00:00.000Z"));
    }
}
