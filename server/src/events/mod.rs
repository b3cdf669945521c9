//! Events (事件) and their closed loop: intake of reports, transitions with their deadlines,
//! supervision of overdue events, the rules that assign and route them (roster, calendar,
//! responsibility table), the county's figures, the feed of changes, the JSON views and the
//! lists as spreadsheets.

pub mod changes;
pub mod cube;
pub mod holders;
pub mod intake;
pub mod nearby;
pub mod sheets;
pub mod rules;
pub mod stats;
pub mod supervision;
pub mod transitions;
pub mod view;

pub use changes::{ChangeKind, Changes, EventChange, CHANGES_BUFFERED};
