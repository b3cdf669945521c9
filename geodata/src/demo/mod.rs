//! The demo county's people and its 2023 year of events, generated deterministically so the
//! service shows the county's real figures (see the county's 2023 self-evaluation).

pub mod names;
pub mod patrols;
pub mod population;
pub mod roster;
pub mod year;

pub use population::{population, DemoRecord, DemoSpecial, Population};
pub use patrols::{patrols_2023, DemoCheckin, DemoFix, DemoPatrol};
pub use roster::{roster, GridRef};
pub use year::{year, year_2023, DemoError, DemoEvent, Step, YearPlan, CLOSED_2023, YEAR_2023};
