//! Disputes mediated, petitions resolved, residents called back (矛盾纠纷调处, 信访化解, 回访):
//! building a case's or petition's record and its next state from a request and the core's
//! rules (`cases`), call-backs and the reopening they cause (`callbacks`), and the county's
//! benefit indicators counted from the records (`figures`). See docs/disputes.md.

pub mod callbacks;
pub mod cases;
pub mod figures;
pub mod ledgers;
pub mod petitions;

use crate::access::FieldCryptError;

/// The longest summary, matter, terms or note accepted (characters).
pub const MAX_TEXT: usize = 2000;

/// Why a request about a dispute, petition or call-back was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A field is missing or wrong; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The dispute case's stages refuse the move.
    #[error(transparent)]
    Move(#[from] wangge_core::dispute::MoveError),
    /// The petition's stages refuse the move.
    #[error(transparent)]
    PetitionMove(#[from] wangge_core::petition::MoveError),
    /// Personal data could not be sealed or opened.
    #[error(transparent)]
    Seal(#[from] FieldCryptError),
    /// No randomness for a new id.
    #[error("no randomness for a new id: {0}")]
    Random(String),
}

/// A required text of at most [`MAX_TEXT`] characters, trimmed.
pub(crate) fn text(what: &str, value: &str) -> Result<String, Refused> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Refused::Invalid(format!("{what} is required")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Refused::Invalid(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    Ok(value.to_owned())
}

/// An optional text of at most `max` characters, trimmed (empty when absent).
pub(crate) fn optional(what: &str, value: Option<&str>, max: usize) -> Result<String, Refused> {
    let value = value.unwrap_or_default().trim();
    if value.chars().count() > max {
        return Err(Refused::Invalid(format!("{what} is longer than {max} characters")));
    }
    Ok(value.to_owned())
}

/// A new random id with `prefix` (the registry's ids, the same way).
pub(crate) fn new_id(prefix: char) -> Result<String, Refused> {
    crate::registry::new_id(prefix).map_err(|e| Refused::Random(e.to_string()))
}

/// The members of `fields` not named in `columns`: a file's fields, answered beside its
/// columns (a column wins over a field of the same name).
pub(crate) fn beside(fields: &serde_json::Value, columns: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    match fields {
        serde_json::Value::Object(fields) => fields.iter().filter(|(k, _)| !columns.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => serde_json::Map::new(),
    }
}

/// A move's fields without its `action` tag.
pub(crate) fn payload<T: serde::Serialize>(m: &T) -> serde_json::Value {
    let mut value = serde_json::to_value(m).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("action");
    }
    value
}

/// A person named in a case or petition: sealed whole at rest, answered masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// 申请人, 被申请人, 信访人, …
    #[serde(default)]
    pub role: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The registry person, where there is one.
    #[serde(default)]
    pub record_id: Option<String>,
}

/// A party as answered: the name and phone masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MaskedParty {
    /// Name, masked (张*).
    pub name: String,
    /// 申请人, 被申请人, 信访人, …
    pub role: String,
    /// Phone, masked.
    pub phone: Option<String>,
    /// The registry person, where there is one.
    pub record_id: Option<String>,
}

/// Most parties or petitioners on one file.
pub const MAX_PARTIES: usize = 50;

/// Checks parties; answers them trimmed, with their masked view.
pub(crate) fn parties(what: &str, list: Vec<Party>) -> Result<(Vec<Party>, serde_json::Value), Refused> {
    if list.is_empty() {
        return Err(Refused::Invalid(format!("{what} must name at least one person")));
    }
    if list.len() > MAX_PARTIES {
        return Err(Refused::Invalid(format!("{what} may name at most {MAX_PARTIES} people")));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut masked = Vec::with_capacity(list.len());
    for (i, p) in list.into_iter().enumerate() {
        let name = text(&format!("{what}[{i}].name"), &p.name)?;
        if name.chars().count() > 50 {
            return Err(Refused::Invalid(format!("{what}[{i}].name is longer than 50 characters")));
        }
        let role = optional(&format!("{what}[{i}].role"), Some(&p.role), 20)?;
        let phone = match p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(ph) => Some(
                wangge_core::registry::check::phone(ph)
                    .map_err(|reason| Refused::Invalid(format!("{what}[{i}].phone: {reason}")))?,
            ),
        };
        let record_id = optional(&format!("{what}[{i}].record_id"), p.record_id.as_deref(), 64)?;
        let record_id = (!record_id.is_empty()).then_some(record_id);
        masked.push(MaskedParty {
            name: wangge_core::access::mask_name(&name),
            role: role.clone(),
            phone: phone.as_deref().map(wangge_core::access::mask_phone),
            record_id: record_id.clone(),
        });
        out.push(Party { name, role, phone, record_id });
    }
    Ok((out, serde_json::json!(masked)))
}
