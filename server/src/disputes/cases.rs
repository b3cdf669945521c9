//! A dispute case's record: opened on its event from a request, and its next state after a
//! move (the core's stage machine decides; this keeps the dates, the rates' facts and the
//! case file's fields in step).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wangge_core::dispute::{self, label, mediation_due, Body, CaseSummary, Move, Route, Stage, KINDS, SCALES};

use super::{parties, payload, text, MaskedParty, Party, Refused};
use crate::access::FieldKeys;
use crate::records::{CaseMove, DisputeCase, EventRecord};

/// The sealing context of a case's parties.
pub const PARTIES_FIELD: &str = "dispute.parties";

/// Most people a dispute may involve.
pub const MAX_PEOPLE: u32 = 100_000;

/// `POST /api/v1/disputes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// The event it hangs on.
    pub event_id: String,
    /// A code of [`KINDS`].
    pub kind: String,
    /// A code of [`SCALES`] (`ordinary` when absent).
    #[serde(default)]
    pub scale: Option<String>,
    /// How many people are involved.
    pub people: u32,
    /// What it is about.
    pub summary: String,
    /// The parties.
    pub parties: Vec<Party>,
}

/// The case id of an event's case.
pub fn case_id(event_id: &str) -> String {
    format!("D{}", event_id.strip_prefix('E').unwrap_or(event_id))
}

/// The case `req` opens on `event`, with its first move.
pub fn open(event: &EventRecord, req: NewCase, keys: &FieldKeys, actor: &str, now: DateTime<Utc>) -> Result<(DisputeCase, CaseMove), Refused> {
    let kind = req.kind.trim().to_owned();
    label(&KINDS, &kind).ok_or_else(|| Refused::Invalid(format!("kind must be one of {}, got {kind:?}", codes(&KINDS))))?;
    let scale = req.scale.as_deref().map(str::trim).unwrap_or("ordinary").to_owned();
    label(&SCALES, &scale).ok_or_else(|| Refused::Invalid(format!("scale must be one of {}, got {scale:?}", codes(&SCALES))))?;
    if !(1..=MAX_PEOPLE).contains(&req.people) {
        return Err(Refused::Invalid(format!("people must be 1 to {MAX_PEOPLE}, got {}", req.people)));
    }
    let summary = text("summary", &req.summary)?;
    let (list, masked) = parties("parties", req.parties)?;
    let sealed = keys.seal(PARTIES_FIELD, &serde_json::to_string(&list).unwrap_or_default())?;
    let record = DisputeCase {
        case_id: case_id(&event.event_id),
        event_id: event.event_id.clone(),
        place: event.place.clone(),
        kind: kind.clone(),
        scale: scale.clone(),
        stage: Stage::Registered,
        registered_at: now,
        accepted_at: None,
        due_at: None,
        concluded_at: None,
        facts: CaseSummary { mediated: false, agreed: false, failed: false, left_county: false },
        doc: json!({ "summary": summary, "people": req.people, "parties": masked }),
        parties_sealed: sealed,
        seq: 1,
        created_by: actor.to_owned(),
        updated_at: now,
    };
    let first = CaseMove {
        seq: 1,
        at: now,
        actor: actor.to_owned(),
        action: "register".into(),
        payload: json!({ "kind": kind, "scale": scale, "people": req.people }),
        stage_after: Stage::Registered.as_str().into(),
    };
    Ok((record, first))
}

/// The case after `m` by `actor` at `now`, and the move's row; the case is unchanged on error.
pub fn apply(case: &DisputeCase, m: &Move, actor: &str, now: DateTime<Utc>) -> Result<(DisputeCase, CaseMove), Refused> {
    let stage = dispute::apply(case.stage, m)?;
    let mut next = case.clone();
    let doc = match &mut next.doc {
        Value::Object(map) => map,
        _ => return Err(Refused::Invalid(format!("case {} has a damaged file", case.case_id))),
    };
    match m {
        Move::Accept { body, mediator, method } => {
            next.accepted_at = Some(now);
            next.due_at = Some(mediation_due(now));
            next.facts.mediated = true;
            doc.insert("body".into(), json!(body));
            doc.insert("mediator".into(), json!(mediator.trim()));
            doc.insert("method".into(), json!(method.trim()));
        }
        Move::Agree { written, terms } => {
            next.concluded_at = Some(now);
            next.facts.agreed = true;
            doc.insert("outcome".into(), json!({ "result": "agreed", "written": written, "terms": terms.trim() }));
        }
        Move::Fail { route, reason } => {
            next.concluded_at = Some(now);
            next.facts.failed = true;
            doc.insert("outcome".into(), json!({ "result": "failed", "route": route, "reason": reason.trim() }));
        }
        Move::Transfer { to, outside_county, reason } => {
            next.concluded_at = Some(now);
            next.facts.left_county = *outside_county;
            doc.insert("outcome".into(), json!({ "result": "transferred", "to": to.trim(), "outside_county": outside_county, "reason": reason.trim() }));
        }
        Move::FollowUp { kept, note } => {
            doc.insert("kept".into(), json!(kept));
            doc.insert("follow_up".into(), json!({ "kept": kept, "note": note.trim(), "at": crate::records::time_text(now) }));
        }
        Move::Archive => {
            doc.insert("archived_at".into(), json!(crate::records::time_text(now)));
        }
    }
    for (what, t) in texts(m) {
        if t.chars().count() > super::MAX_TEXT {
            return Err(Refused::Invalid(format!("{what} is longer than {} characters", super::MAX_TEXT)));
        }
    }
    next.stage = stage;
    next.seq = case.seq + 1;
    next.updated_at = now;
    let row = CaseMove { seq: next.seq, at: now, actor: actor.to_owned(), action: m.as_str().into(), payload: payload(m), stage_after: stage.as_str().into() };
    Ok((next, row))
}

fn texts(m: &Move) -> Vec<(&'static str, &str)> {
    match m {
        Move::Accept { mediator, method, .. } => vec![("mediator", mediator), ("method", method)],
        Move::Agree { terms, .. } => vec![("terms", terms)],
        Move::Fail { reason, .. } => vec![("reason", reason)],
        Move::Transfer { to, reason, .. } => vec![("to", to), ("reason", reason)],
        Move::FollowUp { note, .. } => vec![("note", note)],
        Move::Archive => Vec::new(),
    }
}

/// The parties of a case in clear (a reveal).
pub fn open_parties(case: &DisputeCase, keys: &FieldKeys) -> Result<Vec<Party>, Refused> {
    let clear = keys.open(PARTIES_FIELD, &case.parties_sealed)?;
    serde_json::from_str(&clear).map_err(|e| Refused::Invalid(format!("case {} has damaged parties: {e}", case.case_id)))
}

/// Whether an unconcluded case is past its mediation deadline at `now`.
pub fn overdue(case: &DisputeCase, now: DateTime<Utc>) -> bool {
    case.stage == Stage::Mediating && case.due_at.is_some_and(|d| now > d)
}

/// A case as answered: its columns, and its file's fields beside them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// `D…`.
    pub case_id: String,
    /// The event it hangs on.
    pub event_id: String,
    /// The event's township.
    pub township: String,
    /// The event's village.
    pub village: String,
    /// The event's grid.
    pub grid: String,
    /// The dispute kind's code.
    pub kind: String,
    /// Its name (`null` for a code no longer listed).
    pub kind_name: Option<&'static str>,
    /// The scale's code.
    pub scale: String,
    /// Its name.
    pub scale_name: Option<&'static str>,
    /// The stage's wire name.
    pub stage: &'static str,
    /// The stage's Chinese name.
    pub stage_name: &'static str,
    /// Registered.
    pub registered_at: String,
    /// Accepted by a mediating body.
    pub accepted_at: Option<String>,
    /// Mediation due.
    pub due_at: Option<String>,
    /// Agreed, failed or transferred.
    pub concluded_at: Option<String>,
    /// Mediating past its deadline.
    pub overdue: bool,
    /// Who registered it.
    pub created_by: String,
    /// The seq of its last move.
    pub seq: i64,
    /// The case file's fields.
    #[serde(flatten)]
    #[schema(value_type = CaseFields)]
    pub fields: serde_json::Map<String, Value>,
}

/// The members of a case as answered that are not its file's fields: [`CaseView`]'s columns
/// and the case file's own (its moves, event and petitions).
const CASE_COLUMNS: [&str; 21] = [
    "case_id", "event_id", "township", "village", "grid", "kind", "kind_name", "scale", "scale_name", "stage", "stage_name", "registered_at",
    "accepted_at", "due_at", "concluded_at", "overdue", "created_by", "seq", "moves", "event", "petitions",
];

/// The fields a case file gathers as it moves (stored as the case's document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `open` and `apply` write these fields.
pub struct CaseFields {
    /// What it is about.
    summary: String,
    /// How many people are involved.
    people: u32,
    /// The parties, masked.
    parties: Vec<MaskedParty>,
    /// Who mediates (once accepted).
    body: Option<Body>,
    /// The mediator.
    mediator: Option<String>,
    /// How it is mediated.
    method: Option<String>,
    /// How the mediation ended.
    outcome: Option<MediationOutcome>,
    /// Whether the agreement is kept (once followed up).
    kept: Option<bool>,
    /// The follow-up.
    follow_up: Option<AgreementFollowUp>,
    /// When archived.
    archived_at: Option<String>,
}

/// How a mediation ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
#[allow(dead_code)] // described, not built: `apply` writes it.
pub enum MediationOutcome {
    /// 调解成功.
    Agreed {
        /// A written agreement.
        written: bool,
        /// Its terms.
        terms: String,
    },
    /// 调解不成, and the route suggested.
    Failed {
        /// The route.
        route: Route,
        /// Why.
        reason: String,
    },
    /// 移交.
    Transferred {
        /// To whom.
        to: String,
        /// Whether outside the county.
        outside_county: bool,
        /// Why.
        reason: String,
    },
}

/// The follow-up of an agreement (履行回访).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // described, not built: `apply` writes it.
pub struct AgreementFollowUp {
    /// Kept or not.
    kept: bool,
    /// What was found.
    note: String,
    /// When.
    at: String,
}

/// The case as answered.
pub fn view(case: &DisputeCase, now: DateTime<Utc>) -> CaseView {
    use crate::records::time_text;
    CaseView {
        case_id: case.case_id.clone(),
        event_id: case.event_id.clone(),
        township: case.place.township.clone(),
        village: case.place.village.clone(),
        grid: case.place.grid.clone(),
        kind: case.kind.clone(),
        kind_name: label(&KINDS, &case.kind),
        scale: case.scale.clone(),
        scale_name: label(&SCALES, &case.scale),
        stage: case.stage.as_str(),
        stage_name: stage_name(case.stage),
        registered_at: time_text(case.registered_at),
        accepted_at: case.accepted_at.map(time_text),
        due_at: case.due_at.map(time_text),
        concluded_at: case.concluded_at.map(time_text),
        overdue: overdue(case, now),
        created_by: case.created_by.clone(),
        seq: case.seq,
        fields: super::beside(&case.doc, &CASE_COLUMNS),
    }
}

/// A stage's Chinese name.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Registered => "登记",
        Stage::Mediating => "调解中",
        Stage::Agreed => "调解成功",
        Stage::Failed => "调解不成",
        Stage::Transferred => "移交",
        Stage::FollowedUp => "已履行回访",
        Stage::Archived => "归档",
    }
}

/// A code list's codes, for a refusal.
pub fn codes(list: &[dispute::Code]) -> String {
    list.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Place;

    #[test]
    fn the_file_s_fields_are_answered_beside_the_columns_which_win() {
        let now = Utc::now();
        let case = DisputeCase {
            case_id: "D20240101-1".into(),
            event_id: "E20240101-1".into(),
            place: Place { grid: "130102001001001".into(), village: "130102001001".into(), township: "130102001".into() },
            kind: "neighbour".into(),
            scale: "ordinary".into(),
            stage: Stage::Registered,
            registered_at: now,
            accepted_at: None,
            due_at: None,
            concluded_at: None,
            facts: CaseSummary { mediated: false, agreed: false, failed: false, left_county: false },
            doc: json!({ "summary": "a fence", "people": 2, "parties": [], "seq": 99, "moves": [] }),
            parties_sealed: String::new(),
            seq: 1,
            created_by: "desk".into(),
            updated_at: now,
        };
        let text = serde_json::to_string(&view(&case, now)).unwrap();
        assert_eq!(text.matches("\"seq\"").count(), 1, "{text}");
        let answered: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answered["seq"], 1);
        assert_eq!(answered["summary"], "a fence");
        let mut keys: Vec<&str> = answered.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected: Vec<&str> = CASE_COLUMNS.iter().copied().filter(|c| !["moves", "event", "petitions"].contains(c)).collect();
        expected.extend(["summary", "people", "parties"]);
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
}
