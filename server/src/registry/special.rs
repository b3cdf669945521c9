//! Special groups (特殊人群: released prisoners, community corrections, serious mental
//! disorders, drug users, the AIDS risk group) and key youth (重点青少年): a membership names a
//! registered person and holds its extension record, both sealed at rest; a responsible
//! gridworker follows the member up every so many days, and a follow-up not made in time is
//! overdue in the queues.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use wangge_core::people::{Role, Roster};
use wangge_core::registry::schema::{default_followup_days, SPECIAL};
use wangge_core::registry::{check_fields, followup_due, Entity};

use super::{new_id, refuse, Desk, Refused};
use crate::access::FieldKeys;
use crate::formats::sheet::{column, Column, Kind, Sheet};
use crate::records::{time_text, FollowupRecord, RegistryRecord, SpecialRecord};

/// The sealed field naming the member (the person's record id); its keyed hash finds a
/// person's memberships.
pub const PERSON_FIELD: &str = "special.person";
/// The sealed field holding the extension record.
pub const DETAILS_FIELD: &str = "special.details";
const NOTE_FIELD: &str = "special.followup_note";

/// Longest follow-up note, in characters.
pub const MAX_NOTE: usize = 1000;

/// The keyed hash of a person's record id in the memberships.
pub fn person_hash(keys: &FieldKeys, person_id: &str) -> String {
    keys.search_hash(PERSON_FIELD, person_id)
}

/// Fields kept in columns of their own rather than in the sealed extension.
const COLUMNS: [&str; 4] = ["group", "person_id", "responsible_person_id", "followup_days"];

/// A membership checked: the person it names (from the store) and the gridworker on the
/// roster. `before` is the membership being changed (its group and person stay).
pub async fn build(
    desk: &Desk<'_>,
    roster: &Roster,
    input: &BTreeMap<String, String>,
    before: Option<&SpecialRecord>,
) -> Result<(SpecialRecord, RegistryRecord), Refused> {
    let today = desk.now.with_timezone(&wangge_core::calendar::china_time()).date_naive();
    let values = check_fields(SPECIAL, Some("group"), input, today).map_err(Refused::Fields)?;
    let group = values.get("group").unwrap_or_default().to_owned();
    let person_id = values.get("person_id").unwrap_or_default().to_owned();
    let person = desk.store.record(&person_id).await?.filter(|r| r.entity == Entity::Person);
    let person = person.ok_or_else(|| refuse("person_id", format!("no person {person_id:?} in the registry")))?;
    if let Some(b) = before {
        let same_person = desk.keys.open(PERSON_FIELD, &b.person_sealed)? == person_id;
        if b.group != group || !same_person {
            return Err(refuse("group", "a membership keeps its group and person; end it and register another"));
        }
    }
    let responsible = values.get("responsible_person_id").unwrap_or_default();
    let gridworker = roster.get(responsible).filter(|p| p.role == Role::Gridworker);
    let gridworker = gridworker.ok_or_else(|| refuse("responsible_person_id", format!("{responsible:?} is not a gridworker on the roster")))?;
    if !person.village_code.starts_with(&gridworker.unit_code) && !gridworker.unit_code.starts_with(&person.village_code) {
        return Err(refuse(
            "responsible_person_id",
            format!("gridworker {responsible} works in {}, not in the person's village {}", gridworker.unit_code, person.village_code),
        ));
    }
    let every = values.get("followup_days").and_then(|d| d.parse::<f64>().ok()).map_or_else(
        || default_followup_days(&group),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        |d| d.round() as u32,
    );
    let details: BTreeMap<&str, &str> =
        values.all.iter().filter(|(k, _)| !COLUMNS.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let details = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
    let last = before.and_then(|b| b.last_followup_at);
    let created_at = before.map_or(desk.now, |b| b.created_at);
    let record = SpecialRecord {
        special_id: match before {
            Some(b) => b.special_id.clone(),
            None => new_id('S')?,
        },
        group,
        person_sealed: desk.keys.seal(PERSON_FIELD, &person_id)?,
        person_hash: person_hash(desk.keys, &person_id),
        details_sealed: desk.keys.seal(DETAILS_FIELD, &details)?,
        township_code: person.township_code.clone(),
        village_code: person.village_code.clone(),
        grid_code: person.grid_code.clone(),
        responsible_person_id: responsible.to_owned(),
        followup_days: every,
        last_followup_at: last,
        due_at: followup_due(created_at, last, every),
        created_at,
        updated_at: desk.now,
    };
    Ok((record, person))
}

/// The keys a membership's answer sets itself: an extension field of the same key is not
/// answered.
const VIEW_KEYS: [&str; 14] = [
    "id", "group", "group_zh", "person_id", "person_name", "township_code", "village_code", "grid_code",
    "responsible_person_id", "followup_days", "last_followup_at", "due_at", "overdue", "followups",
];

/// A membership as answered to those who may see it: its extension record's fields at the top
/// level, the person's id and name, the schedule and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = SpecialMember)]
pub struct SpecialView {
    /// The extension record's fields by key, as text.
    #[serde(flatten)]
    pub details: BTreeMap<String, String>,
    /// The membership's id.
    pub id: String,
    /// The group's code.
    pub group: String,
    /// The group's name.
    pub group_zh: String,
    /// The member's registry record.
    pub person_id: String,
    /// The member's name as the registry lists it (null if the record is gone).
    pub person_name: Option<String>,
    /// Township code.
    pub township_code: String,
    /// Village or community code.
    pub village_code: String,
    /// The member's grid.
    pub grid_code: Option<String>,
    /// The gridworker who follows the member up.
    pub responsible_person_id: String,
    /// Days between follow-ups.
    pub followup_days: u32,
    /// The last follow-up.
    pub last_followup_at: Option<String>,
    /// When the next follow-up is due.
    pub due_at: String,
    /// Whether it is past due.
    pub overdue: bool,
    /// Its follow-ups (`GET …/special_groups/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followups: Option<Vec<FollowupView>>,
}

/// A membership as answered to those who may see it: the person's id and name, the
/// extension opened, the schedule and whether it is overdue.
pub fn view(keys: &FieldKeys, s: &SpecialRecord, person: Option<&RegistryRecord>, now: DateTime<Utc>) -> Result<SpecialView, Refused> {
    let details: Map<String, Value> = serde_json::from_str(&keys.open(DETAILS_FIELD, &s.details_sealed)?).unwrap_or_default();
    let text = |v: Value| match v {
        Value::String(t) => t,
        other => other.to_string(),
    };
    Ok(SpecialView {
        details: details.into_iter().filter(|(k, _)| !VIEW_KEYS.contains(&k.as_str())).map(|(k, v)| (k, text(v))).collect(),
        id: s.special_id.clone(),
        group: s.group.clone(),
        group_zh: wangge_core::registry::codes::label(wangge_core::registry::codes::GROUP, &s.group),
        person_id: keys.open(PERSON_FIELD, &s.person_sealed)?,
        person_name: person.map(|p| p.title.clone()),
        township_code: s.township_code.clone(),
        village_code: s.village_code.clone(),
        grid_code: s.grid_code.clone(),
        responsible_person_id: s.responsible_person_id.clone(),
        followup_days: s.followup_days,
        last_followup_at: s.last_followup_at.map(time_text),
        due_at: time_text(s.due_at),
        overdue: s.due_at < now,
        followups: None,
    })
}

/// The columns of the special-group queue as a spreadsheet: the membership and its
/// follow-up dates (the extension record stays in each member's file).
pub const SPECIAL_COLUMNS: &[Column] = &[
    column("id", "编号", Kind::Text),
    column("group_zh", "人群类别", Kind::Text),
    column("person_id", "人口编号", Kind::Text),
    column("person_name", "姓名", Kind::Text),
    column("township_code", "乡镇代码", Kind::Text),
    column("village_code", "村(社区)代码", Kind::Text),
    column("grid_code", "网格编码", Kind::Text),
    column("responsible_person_id", "责任网格员", Kind::Text),
    column("followup_days", "随访周期(天)", Kind::Integer),
    column("last_followup_at", "最近随访时间", Kind::Time),
    column("due_at", "下次随访期限", Kind::Time),
    column("overdue", "随访超期", Kind::Flag),
];

/// The queue as a spreadsheet, from the views the list answers.
pub fn sheet(items: &[SpecialView]) -> Sheet {
    let mut sheet = Sheet::new("特殊人群", SPECIAL_COLUMNS.to_vec());
    for item in items {
        sheet.push_json(&serde_json::to_value(item).unwrap_or_default());
    }
    sheet
}

/// A follow-up as answered (its note opened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SpecialFollowup)]
pub struct FollowupView {
    /// Its id.
    pub id: String,
    /// The membership followed up.
    pub special_id: String,
    /// When.
    pub at: String,
    /// The gridworker who made it.
    pub person_id: String,
    /// What was found.
    pub note: Option<String>,
}

/// A follow-up as answered (its note opened).
pub fn followup_view(keys: &FieldKeys, f: &FollowupRecord) -> Result<FollowupView, Refused> {
    let note = f.note_sealed.as_deref().map(|n| keys.open(NOTE_FIELD, n)).transpose()?;
    Ok(FollowupView { id: f.followup_id.clone(), special_id: f.special_id.clone(), at: time_text(f.at), person_id: f.person_id.clone(), note })
}

/// `POST /api/v1/registry/special_groups/{id}/followups`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SpecialFollowupRequest)]
#[serde(deny_unknown_fields)]
pub struct FollowupRequest {
    /// The client's id (idempotency key).
    pub followup_id: Option<String>,
    /// When, on the device (unix ms); default: when received.
    pub at: Option<i64>,
    /// What was found (sealed at rest).
    pub note: Option<String>,
}

/// Records a follow-up of `s` by `person_id`; the next is due `followup_days` after it.
/// Answers the follow-up and whether it is new (a replayed id is not).
pub async fn follow_up(
    desk: &Desk<'_>,
    s: &SpecialRecord,
    person_id: &str,
    body: FollowupRequest,
) -> Result<(FollowupRecord, bool), Refused> {
    let id = match body.followup_id {
        Some(id) if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()) => id,
        Some(_) => return Err(refuse("followup_id", "1 to 64 visible ASCII characters")),
        None => new_id('V')?,
    };
    let at = match body.at {
        Some(ms) => {
            let t = DateTime::from_timestamp_millis(ms).ok_or_else(|| refuse("at", "not a time"))?;
            if t > desk.now + chrono::Duration::minutes(5) || t < desk.now - chrono::Duration::days(30) {
                return Err(refuse("at", "at most 30 days back and not in the future"));
            }
            t
        }
        None => desk.now,
    };
    if body.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(refuse("note", format!("at most {MAX_NOTE} characters")));
    }
    let note_sealed = body.note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| desk.keys.seal(NOTE_FIELD, n)).transpose()?;
    let record = FollowupRecord { followup_id: id, special_id: s.special_id.clone(), at, person_id: person_id.to_owned(), note_sealed };
    let due = followup_due(s.created_at, Some(at.max(s.last_followup_at.unwrap_or(at))), s.followup_days);
    let (stored, created) = desk.store.add_followup(&record, due, desk.now).await?;
    if stored.special_id != s.special_id {
        return Err(refuse("followup_id", "this id was already used for another member's follow-up"));
    }
    Ok((stored, created))
}
