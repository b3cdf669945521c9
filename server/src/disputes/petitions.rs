//! A petition case's record (信访): registered from a request with the 信访工作条例's
//! acceptance deadline, and its next state after a move (accepted with the handling deadline,
//! extended once, declined, answered resolved or not).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wangge_core::petition::{self, acceptance_due, handling_due, Channel, Lodged, Move, Stage};

use super::{parties, payload, text, MaskedParty, Party, Refused};
use crate::access::FieldKeys;
use crate::records::{time_text, CaseMove, Petition};

/// The sealing context of the petitioners.
pub const PETITIONERS_FIELD: &str = "petition.petitioners";

/// `POST /api/v1/petitions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPetition {
    /// Letter, visit or online.
    pub channel: Channel,
    /// Where it was lodged.
    pub lodged: Lodged,
    /// When it was received (now when absent; never in the future).
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// The township it concerns.
    pub township: String,
    /// The village, when known.
    #[serde(default)]
    pub village: Option<String>,
    /// Who petitions.
    pub petitioners: Vec<Party>,
    /// How many came (a collective petition has several).
    #[serde(default = "one")]
    pub people: u32,
    /// The matter.
    pub matter: String,
    /// A linked event.
    #[serde(default)]
    pub event_id: Option<String>,
    /// A linked dispute case.
    #[serde(default)]
    pub case_id: Option<String>,
    /// The first petition of the same matter.
    #[serde(default)]
    pub repeat_of: Option<String>,
}

fn one() -> u32 {
    1
}

/// The petition `req` registers, with its first move.
pub fn open(req: NewPetition, id: String, keys: &FieldKeys, actor: &str, now: DateTime<Utc>) -> Result<(Petition, CaseMove), Refused> {
    let received = req.received_at.unwrap_or(now);
    if received > now {
        return Err(Refused::Invalid("received_at is in the future".into()));
    }
    if !(1..=100_000).contains(&req.people) {
        return Err(Refused::Invalid(format!("people must be 1 to 100000, got {}", req.people)));
    }
    let matter = text("matter", &req.matter)?;
    let (list, masked) = parties("petitioners", req.petitioners)?;
    let sealed = keys.seal(PETITIONERS_FIELD, &serde_json::to_string(&list).unwrap_or_default())?;
    let record = Petition {
        petition_id: id,
        channel: req.channel,
        lodged: req.lodged,
        township_code: req.township,
        village_code: req.village,
        stage: Stage::Registered,
        received_at: received,
        accept_by: acceptance_due(received),
        accepted_at: None,
        due_at: None,
        extended: false,
        answered_at: None,
        resolved: None,
        repeat_of: req.repeat_of,
        event_id: req.event_id,
        case_id: req.case_id,
        doc: json!({ "matter": matter, "people": req.people, "petitioners": masked }),
        petitioners_sealed: sealed,
        seq: 1,
        created_by: actor.to_owned(),
        updated_at: now,
    };
    let first = CaseMove {
        seq: 1,
        at: now,
        actor: actor.to_owned(),
        action: "register".into(),
        payload: json!({ "channel": record.channel, "lodged": record.lodged, "received_at": time_text(received) }),
        stage_after: Stage::Registered.as_str().into(),
    };
    Ok((record, first))
}

/// The petition after `m` by `actor` at `now`, and the move's row.
pub fn apply(p: &Petition, m: &Move, actor: &str, now: DateTime<Utc>) -> Result<(Petition, CaseMove), Refused> {
    let stage = petition::apply(p.stage, p.extended, m)?;
    let mut next = p.clone();
    let doc = match &mut next.doc {
        Value::Object(map) => map,
        _ => return Err(Refused::Invalid(format!("petition {} has a damaged file", p.petition_id))),
    };
    match m {
        Move::Accept { office } => {
            next.accepted_at = Some(now);
            next.due_at = Some(handling_due(now, 0).map_err(petition::MoveError::from)?);
            doc.insert("office".into(), json!(limited("office", office, 100)?));
        }
        Move::Decline { reason } => {
            doc.insert("declined".into(), json!(limited("reason", reason, super::MAX_TEXT)?));
        }
        Move::Extend { days, reason } => {
            let accepted = p.accepted_at.unwrap_or(now);
            next.due_at = Some(handling_due(accepted, *days).map_err(petition::MoveError::from)?);
            next.extended = true;
            doc.insert("extension".into(), json!({ "days": days, "reason": limited("reason", reason, super::MAX_TEXT)? }));
        }
        Move::Answer { resolved, note } => {
            next.answered_at = Some(now);
            next.resolved = Some(*resolved);
            doc.insert("answer".into(), json!({ "resolved": resolved, "note": limited("note", note, super::MAX_TEXT)? }));
        }
    }
    next.stage = stage;
    next.seq = p.seq + 1;
    next.updated_at = now;
    let row = CaseMove { seq: next.seq, at: now, actor: actor.to_owned(), action: m.as_str().into(), payload: payload(m), stage_after: stage.as_str().into() };
    Ok((next, row))
}

fn limited(what: &str, value: &str, max: usize) -> Result<String, Refused> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Refused::Invalid(format!("{what} is longer than {max} characters")));
    }
    Ok(v.to_owned())
}

/// Whether a petition is past a deadline at `now`: acceptance undecided after 15 days, or an
/// accepted one unanswered past its handling deadline.
pub fn overdue(p: &Petition, now: DateTime<Utc>) -> bool {
    match p.stage {
        Stage::Registered => now > p.accept_by,
        Stage::Accepted => p.due_at.is_some_and(|d| now > d),
        Stage::Declined | Stage::Answered => false,
    }
}

/// A petition as answered: its columns, and its file's fields beside them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PetitionView {
    /// `P…`.
    pub petition_id: String,
    /// Letter, visit or online.
    pub channel: Channel,
    /// Where it was lodged (`county`, `city`, `province`, `beijing`).
    pub lodged: &'static str,
    /// Lodged beyond the city (进京赴省).
    pub to_beijing_or_province: bool,
    /// The township it concerns.
    pub township: String,
    /// The village, when known.
    pub village: Option<String>,
    /// The stage's wire name.
    pub stage: &'static str,
    /// The stage's Chinese name.
    pub stage_name: &'static str,
    /// Received.
    pub received_at: String,
    /// Acceptance to be decided by.
    pub accept_by: String,
    /// Accepted.
    pub accepted_at: Option<String>,
    /// Handling due.
    pub due_at: Option<String>,
    /// Whether the handling was extended.
    pub extended: bool,
    /// Answered.
    pub answered_at: Option<String>,
    /// Resolved (化解), once answered.
    pub resolved: Option<bool>,
    /// Past a deadline.
    pub overdue: bool,
    /// The first petition of the same matter.
    pub repeat_of: Option<String>,
    /// A linked event.
    pub event_id: Option<String>,
    /// A linked dispute case.
    pub case_id: Option<String>,
    /// Who registered it.
    pub created_by: String,
    /// The seq of its last move.
    pub seq: i64,
    /// The petition file's fields.
    #[serde(flatten)]
    #[schema(value_type = PetitionFields)]
    pub fields: serde_json::Map<String, Value>,
}

/// The members of a petition as answered that are not its file's fields: [`PetitionView`]'s
/// columns and the petition file's own (its moves).
const PETITION_COLUMNS: [&str; 22] = [
    "petition_id", "channel", "lodged", "to_beijing_or_province", "township", "village", "stage", "stage_name", "received_at", "accept_by",
    "accepted_at", "due_at", "extended", "answered_at", "resolved", "overdue", "repeat_of", "event_id", "case_id", "created_by", "seq", "moves",
];

/// The fields a petition file gathers as it moves (stored as the petition's document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `open` and `apply` write these fields.
pub struct PetitionFields {
    /// The matter.
    matter: String,
    /// How many came.
    people: u32,
    /// Who petitions, masked.
    petitioners: Vec<MaskedParty>,
    /// The handling office (once accepted).
    office: Option<String>,
    /// Why it was declined.
    declined: Option<String>,
    /// The extension of the handling.
    extension: Option<PetitionExtension>,
    /// The written answer.
    answer: Option<PetitionAnswer>,
}

/// An extension of a petition's handling (延期).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `apply` writes it.
pub struct PetitionExtension {
    /// Days added.
    days: i64,
    /// Why.
    reason: String,
}

/// A petition's written answer (办结).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `apply` writes it.
pub struct PetitionAnswer {
    /// Resolved (化解).
    resolved: bool,
    /// The answer.
    note: String,
}

/// The petition as answered.
pub fn view(p: &Petition, now: DateTime<Utc>) -> PetitionView {
    PetitionView {
        petition_id: p.petition_id.clone(),
        channel: p.channel,
        lodged: p.lodged.as_str(),
        to_beijing_or_province: p.lodged.beyond_city(),
        township: p.township_code.clone(),
        village: p.village_code.clone(),
        stage: p.stage.as_str(),
        stage_name: match p.stage {
            Stage::Registered => "登记",
            Stage::Accepted => "已受理",
            Stage::Declined => "不予受理",
            Stage::Answered => "已办结",
        },
        received_at: time_text(p.received_at),
        accept_by: time_text(p.accept_by),
        accepted_at: p.accepted_at.map(time_text),
        due_at: p.due_at.map(time_text),
        extended: p.extended,
        answered_at: p.answered_at.map(time_text),
        resolved: p.resolved,
        overdue: overdue(p, now),
        repeat_of: p.repeat_of.clone(),
        event_id: p.event_id.clone(),
        case_id: p.case_id.clone(),
        created_by: p.created_by.clone(),
        seq: p.seq,
        fields: super::beside(&p.doc, &PETITION_COLUMNS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_s_fields_are_answered_beside_the_columns_which_win() {
        let now = Utc::now();
        let p = Petition {
            petition_id: "P1".into(),
            channel: Channel::Visit,
            lodged: Lodged::County,
            township_code: "130102001".into(),
            village_code: None,
            stage: Stage::Registered,
            received_at: now,
            accept_by: now,
            accepted_at: None,
            due_at: None,
            extended: false,
            answered_at: None,
            resolved: None,
            repeat_of: None,
            event_id: None,
            case_id: None,
            doc: json!({ "matter": "wages", "people": 1, "petitioners": [], "seq": 99, "moves": [] }),
            petitioners_sealed: String::new(),
            seq: 1,
            created_by: "desk".into(),
            updated_at: now,
        };
        let text = serde_json::to_string(&view(&p, now)).unwrap();
        assert_eq!(text.matches("\"seq\"").count(), 1, "{text}");
        let answered: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answered["seq"], 1);
        assert_eq!(answered["channel"], "visit");
        let mut keys: Vec<&str> = answered.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected: Vec<&str> = PETITION_COLUMNS.iter().copied().filter(|c| *c != "moves").collect();
        expected.extend(["matter", "people", "petitioners"]);
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
}
