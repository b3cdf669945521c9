//! The rules intake and the loop apply, kept in memory and swapped whole on change: the
//! roster (who gets an event), the working calendar (deadlines) and the responsibility table
//! (which department). Requests read them without touching the store.

use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;
use wangge_core::access::{Grant, Role};
use wangge_core::calendar::{CalendarError, WorkingCalendar};
use wangge_core::event::{Holder, Tier};
use wangge_core::people::{route, GridPlace, Responsibility, Roster};

use crate::grids::catalog::COUNTY_CODE;
use crate::records::{Department, EventRecord};
use crate::store::{Store, StoreError};


/// The departments and the responsibility table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Routing {
    /// Departments, by code.
    pub departments: Vec<Department>,
    /// Which department answers for which category and subcategory.
    pub rules: Vec<Responsibility>,
}

impl Routing {
    /// The department with this code.
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }
}

/// Why the rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The built-in calendar data is broken.
    #[error("cannot build the working calendar")]
    Calendar(#[source] CalendarError),
}

/// Why no holder could be chosen by rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoHolder {
    /// No department answers for the category and subcategory.
    #[error("no department is responsible for {category}/{subcategory}; name one in to.id or add a row to the responsibility table")]
    NoRoute {
        /// The event's category.
        category: &'static str,
        /// The event's subcategory (empty if none).
        subcategory: String,
    },
    /// No gridworker is on duty for the grid.
    #[error("no gridworker is on duty in grid {0}; name one in to.id")]
    NoGridworker(String),
}

/// A roster read again and not yet installed; it holds the rules' reload turn.
#[derive(Debug)]
pub struct RosterRead {
    roster: Roster,
    _one_at_a_time: tokio::sync::OwnedMutexGuard<()>,
}

/// The shared, swappable rules.
#[derive(Debug, Clone)]
pub struct Rules(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    roster: ArcSwap<Roster>,
    calendar: ArcSwap<WorkingCalendar>,
    routing: ArcSwap<Routing>,
    /// Serialises reloads so that a later reload never loses to an earlier one.
    reload: Arc<tokio::sync::Mutex<()>>,
}

impl Rules {
    /// Loads the roster, the calendar with its overrides and the routing table from the store.
    pub async fn load(store: &Store) -> Result<Self, RulesError> {
        let roster = store.load_roster().await?;
        let calendar = calendar(store).await?;
        let routing = routing(store).await?;
        tracing::info!(people = roster.people().len(), departments = routing.departments.len(), "rules loaded");
        Ok(Self(Arc::new(Inner {
            roster: ArcSwap::from_pointee(roster),
            calendar: ArcSwap::from_pointee(calendar),
            routing: ArcSwap::from_pointee(routing),
            reload: Arc::new(tokio::sync::Mutex::new(())),
        })))
    }

    /// The roster now.
    pub fn roster(&self) -> Arc<Roster> {
        self.0.roster.load_full()
    }

    /// The working calendar now.
    pub fn calendar(&self) -> Arc<WorkingCalendar> {
        self.0.calendar.load_full()
    }

    /// The routing table now.
    pub fn routing(&self) -> Arc<Routing> {
        self.0.routing.load_full()
    }

    /// Re-reads the roster after people changed.
    pub async fn reload_roster(&self, store: &Store) -> Result<(), StoreError> {
        let read = self.read_roster(store).await?;
        self.install_roster(read);
        Ok(())
    }

    /// Re-reads the roster without installing it yet: other reloads wait until it is
    /// installed ([`Rules::install_roster`]) or dropped.
    pub async fn read_roster(&self, store: &Store) -> Result<RosterRead, StoreError> {
        let one_at_a_time = Arc::clone(&self.0.reload).lock_owned().await;
        Ok(RosterRead { roster: store.load_roster().await?, _one_at_a_time: one_at_a_time })
    }

    /// Installs a roster read by [`Rules::read_roster`].
    pub fn install_roster(&self, read: RosterRead) {
        self.0.roster.store(Arc::new(read.roster));
    }

    /// Re-reads the calendar overrides.
    pub async fn reload_calendar(&self, store: &Store) -> Result<(), RulesError> {
        let _one_at_a_time = self.0.reload.lock().await;
        self.0.calendar.store(Arc::new(calendar(store).await?));
        Ok(())
    }

    /// Re-reads the departments and the routing table.
    pub async fn reload_routing(&self, store: &Store) -> Result<(), StoreError> {
        let _one_at_a_time = self.0.reload.lock().await;
        self.0.routing.store(Arc::new(routing(store).await?));
        Ok(())
    }

    /// Whom an account holding `grant` acts as: a gridworker as a person of the roster inside
    /// its jurisdiction, a department handler as a department the county has; nobody else acts
    /// as anyone (`acting_as` empty). The reason when `acting_as` does not fit.
    pub fn acting_as_ok(&self, grant: &Grant, acting_as: &str) -> Result<(), String> {
        match grant.role {
            Role::Gridworker => match self.roster().get(acting_as) {
                Some(p)
                    if grant.jurisdiction.covers_code(&p.unit_code)
                        || p.grids.iter().any(|g| grant.jurisdiction.covers_code(g)) =>
                {
                    Ok(())
                }
                Some(_) => Err(format!("person {acting_as:?} is outside {}", grant.jurisdiction.as_str())),
                None => Err(format!("a gridworker grant needs acting_as, a person id of the roster (got {acting_as:?})")),
            },
            Role::DepartmentHandler => match self.routing().department(acting_as) {
                Some(_) => Ok(()),
                None => Err(format!("a department handler grant needs acting_as, a department code (got {acting_as:?})")),
            },
            _ if acting_as.is_empty() => Ok(()),
            _ => Err(format!("a {} acts for its centre: acting_as must be empty", grant.role)),
        }
    }

    /// Who holds `event` at `tier` when nobody is named: the on-duty gridworker of its grid;
    /// its village's on-duty grid leader, else the village centre; the township centre; the
    /// county centre; the department the responsibility table names.
    pub fn holder_by_rule(&self, tier: Tier, event: &EventRecord, parent_grid: Option<&str>) -> Result<Holder, NoHolder> {
        let place = &event.place;
        let at = |id: &str| Holder { tier, id: id.to_owned() };
        match tier {
            Tier::Grid | Tier::Village => {
                let grid = if tier == Tier::Grid { place.grid.as_str() } else { "" };
                let chosen = self.roster().assign(GridPlace {
                    grid,
                    parent_grid: if tier == Tier::Grid { parent_grid } else { None },
                    village: &place.village,
                    township: &place.township,
                });
                match (tier, chosen.tier) {
                    (Tier::Grid, Tier::Grid) | (Tier::Village, Tier::Village) => Ok(chosen),
                    (Tier::Village, _) => Ok(at(&place.village)),
                    _ => Err(NoHolder::NoGridworker(place.grid.clone())),
                }
            }
            Tier::Township => Ok(at(&place.township)),
            Tier::County => Ok(at(COUNTY_CODE)),
            Tier::Department => {
                let routing = self.routing();
                let sub = event.subcategory.as_deref().unwrap_or_default();
                route(&routing.rules, event.category.as_str(), sub).map(at).ok_or_else(|| NoHolder::NoRoute {
                    category: event.category.as_str(),
                    subcategory: sub.to_owned(),
                })
            }
        }
    }
}

/// The built-in calendar, the years administrators loaded, and the stored overrides; an
/// override for a year that is not loaded is skipped with a warning.
async fn calendar(store: &Store) -> Result<WorkingCalendar, RulesError> {
    let mut cal = WorkingCalendar::china().map_err(RulesError::Calendar)?;
    for year in store.calendar_years().await? {
        cal.add_year(year);
    }
    for (date, kind) in store.calendar_overrides().await? {
        if let Err(e) = cal.set_override(date, Some(kind)) {
            tracing::warn!(%date, error = %e, "calendar override skipped");
        }
    }
    Ok(cal)
}

async fn routing(store: &Store) -> Result<Routing, StoreError> {
    Ok(Routing { departments: store.departments().await?, rules: store.responsibility().await? })
}
