//! The base data of the grids (人、地、事、物、组织, GB/T 31000-2015): the pure rules the
//! registry applies — citizen ID numbers checked and masked, the code lists, what each kind of
//! record holds, the check of a record's fields, and when a special group's follow-up is due.

pub mod check;
pub mod codes;
pub mod id_number;
pub mod schema;

use chrono::{DateTime, Duration, Utc};

pub use check::{check_fields, check_record, masked, Problem, Values};
pub use id_number::{check_character, IdError, IdNumber, Sex};
pub use schema::{Entity, Field, FieldType};

/// When the next follow-up (走访) of a special-group member is due: `every_days` after the last
/// one, or after the record was created when there has been none.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let due = wangge_core::registry::followup_due(created, None, 7);
/// assert_eq!(due, Utc.with_ymd_and_hms(2026, 1, 8, 0, 0, 0).unwrap());
/// ```
pub fn followup_due(created: DateTime<Utc>, last: Option<DateTime<Utc>>, every_days: u32) -> DateTime<Utc> {
    last.unwrap_or(created) + Duration::days(i64::from(every_days))
}
