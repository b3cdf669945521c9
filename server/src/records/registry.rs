//! Registry records (基础数据) as the store keeps them: one row per house, household, person,
//! organisation or place, its plain fields, its sealed and masked personal fields; special-group
//! memberships with their sealed identity; and the filters of the lists.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use wangge_core::registry::Entity;
use wangge_core::LonLat;

/// One registry record.
#[derive(Clone, PartialEq)]
pub struct RegistryRecord {
    /// Its id (`H…`, `F…`, `R…`, `O…`, `L…`).
    pub record_id: String,
    /// Its kind.
    pub entity: Entity,
    /// Its type (a person's kind, a house's use, …).
    pub subtype: Option<String>,
    /// What names it in a list.
    pub title: String,
    /// Township code.
    pub township_code: String,
    /// Village or community code.
    pub village_code: String,
    /// The grid its point is in (none without a point, or outside every grid).
    pub grid_code: Option<String>,
    /// Where it is (CGCS2000), if known.
    pub point: Option<LonLat>,
    /// The house it is in (people, households).
    pub house_id: Option<String>,
    /// The household (people).
    pub household_id: Option<String>,
    /// Plain fields by key.
    pub fields: BTreeMap<String, String>,
    /// Personal fields, each sealed (`v1.<key id>.<nonce>.<ciphertext>`).
    pub sealed: BTreeMap<String, String>,
    /// Personal fields as shown.
    pub masked: BTreeMap<String, String>,
    /// The keyed hash of the citizen ID number.
    pub id_hash: Option<String>,
    /// Collected or last re-verified.
    pub verified_at: DateTime<Utc>,
    /// By whom (person id or user name).
    pub verified_by: String,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for RegistryRecord {
    /// The id and kind only: the rest is personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryRecord").field("record_id", &self.record_id).field("entity", &self.entity).finish_non_exhaustive()
    }
}

/// Which records a list shows; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryFilter {
    /// The kind (required for lists; `None` in counts over every kind).
    pub entity: Option<Entity>,
    /// The type.
    pub subtype: Option<String>,
    /// Township code.
    pub township: Option<String>,
    /// Village code.
    pub village: Option<String>,
    /// Grid code.
    pub grid: Option<String>,
    /// The keyed hash of an ID number (exact search).
    pub id_hash: Option<String>,
    /// Records in this house.
    pub house_id: Option<String>,
    /// Records of this household.
    pub household_id: Option<String>,
    /// Title contains this text.
    pub text: Option<String>,
    /// Only records not verified since then (due for re-verification).
    pub stale_before: Option<DateTime<Utc>>,
}

/// Counts of one kind and type in an area: all, and verified since the collection period began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCount {
    /// The kind.
    pub entity: Entity,
    /// The type.
    pub subtype: Option<String>,
    /// Records.
    pub total: i64,
    /// Of which collected or re-verified in the period.
    pub fresh: i64,
}

/// A record's move to the grid that covers its point after boundaries were redrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryMove {
    /// `registry_record` or `special_group`.
    pub table: RegistryTable,
    /// The row's id.
    pub id: String,
    /// Its grid now.
    pub grid_code: Option<String>,
}

/// The registry's tables that carry a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryTable {
    /// Houses, households, people, organisations, places.
    Record,
    /// Special-group memberships.
    Special,
}

/// A special-group membership (特殊人群 / 重点青少年).
#[derive(Clone, PartialEq)]
pub struct SpecialRecord {
    /// Its id (`S…`).
    pub special_id: String,
    /// The group.
    pub group: String,
    /// The person's record id, sealed.
    pub person_sealed: String,
    /// Keyed hash of the person's record id.
    pub person_hash: String,
    /// The extension record (JSON object), sealed.
    pub details_sealed: String,
    /// Township code.
    pub township_code: String,
    /// Village code.
    pub village_code: String,
    /// Grid code.
    pub grid_code: Option<String>,
    /// The gridworker who follows the person up.
    pub responsible_person_id: String,
    /// Days between follow-ups.
    pub followup_days: u32,
    /// The last follow-up.
    pub last_followup_at: Option<DateTime<Utc>>,
    /// When the next is due.
    pub due_at: DateTime<Utc>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SpecialRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpecialRecord").field("special_id", &self.special_id).finish_non_exhaustive()
    }
}

/// Which special-group memberships a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecialFilter {
    /// The group.
    pub group: Option<String>,
    /// Township code.
    pub township: Option<String>,
    /// Village code.
    pub village: Option<String>,
    /// Grid code.
    pub grid: Option<String>,
    /// Only those this gridworker follows up.
    pub responsible: Option<String>,
    /// Only those whose follow-up was due before this time (overdue).
    pub due_before: Option<DateTime<Utc>>,
    /// Only this person's (keyed hash of the record id).
    pub person_hash: Option<String>,
}

/// A follow-up visit.
#[derive(Clone, PartialEq)]
pub struct FollowupRecord {
    /// The client's id or one the server made.
    pub followup_id: String,
    /// The membership.
    pub special_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (person id).
    pub person_id: String,
    /// The note, sealed.
    pub note_sealed: Option<String>,
}

impl std::fmt::Debug for FollowupRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowupRecord").field("followup_id", &self.followup_id).finish_non_exhaustive()
    }
}

/// A link from an event, a check-in or a follow-up to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryLink {
    /// `event`, `checkin` or `followup`.
    pub from_kind: String,
    /// Its id.
    pub from_id: String,
    /// The record.
    pub record_id: String,
    /// Who linked them.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}
