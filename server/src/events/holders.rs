//! Who an event may be handed to: the holder the rules name when an escalation or arbitration
//! does not say (one tier up, by the roster and the routing table), and the check that a named
//! holder exists for the event's place.

use serde_json::{Map, Value};
use wangge_core::event::{Action, Tier};

use crate::events::rules::Rules;
use crate::grids::catalog::Catalog;
use crate::records::EventRecord;

/// Longest actor or holder id.
pub const MAX_ID: usize = 64;

/// Why a holder is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderRefused {
    /// An escalation from the top tier.
    #[error("cannot escalate: the event is already at the top tier")]
    TopTier,
    /// The named or asked holder does not fit the event; the reason says why.
    #[error("{0}")]
    Invalid(String),
}

/// A person, centre or department id: 1–64 characters, no control characters or surrounding
/// spaces.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.chars().count()) && !id.chars().any(char::is_control) && id.trim() == id
}

/// Escalations and arbitrations without `to.id` (or without `to`, for an escalation one tier
/// up) get the holder the rules name.
pub fn fill_holder(rules: &Rules, catalog: &Catalog, event: &EventRecord, body: &mut Map<String, Value>) -> Result<(), HolderRefused> {
    let action = body.get("action").and_then(Value::as_str).unwrap_or_default();
    if action != "escalate" && action != "arbitrate" {
        return Ok(());
    }
    let tier = match body.get("to") {
        None | Some(Value::Null) if action == "escalate" => match event.flow.tier().and_then(Tier::up) {
            Some(up) => up,
            None => return Err(HolderRefused::TopTier),
        },
        Some(Value::Object(to)) if to.get("id").is_none_or(Value::is_null) => {
            let text = to.get("tier").and_then(Value::as_str).unwrap_or_default();
            Tier::parse(text).ok_or_else(|| {
                HolderRefused::Invalid(format!("tier must be grid, village, township, county or department, got {text:?}"))
            })?
        }
        _ => return Ok(()),
    };
    let parent = catalog.grid(&event.place.grid).and_then(|g| g.grid.parent_grid.clone());
    let holder = rules.holder_by_rule(tier, event, parent.as_deref()).map_err(|e| HolderRefused::Invalid(e.to_string()))?;
    body.insert("to".into(), serde_json::to_value(holder).unwrap_or_default());
    Ok(())
}

/// A named holder must be one that exists for this event: a gridworker of the event's village
/// (grid tier), the village's centre or one of its grid leaders (village tier), the event's
/// township centre, the county centre, or a department the county has. Anything else would
/// take the event out of every queue.
pub fn check_holder(rules: &Rules, event: &EventRecord, action: &Action) -> Result<(), HolderRefused> {
    let (Action::Escalate { to, .. } | Action::Arbitrate { to, .. } | Action::Assign { to }) = action else {
        return Ok(());
    };
    if !valid_id(&to.id) {
        return Err(HolderRefused::Invalid(format!(
            "to.id must be 1 to {MAX_ID} characters without control characters or surrounding spaces"
        )));
    }
    let roster = rules.roster();
    let place = &event.place;
    let person = roster.get(&to.id);
    let real = match to.tier {
        Tier::Grid => person.is_some_and(|p| {
            p.role == wangge_core::people::Role::Gridworker && p.grids.iter().any(|g| g.starts_with(&place.village))
        }),
        Tier::Village => {
            to.id == place.village
                || person.is_some_and(|p| p.role == wangge_core::people::Role::GridLeader && p.unit_code == place.village)
        }
        Tier::Township => to.id == place.township,
        Tier::County => to.id == crate::grids::catalog::COUNTY_CODE,
        Tier::Department => rules.routing().department(&to.id).is_some(),
    };
    if real {
        Ok(())
    } else if to.tier == Tier::Department {
        Err(HolderRefused::Invalid(format!("no department with code {:?}", to.id)))
    } else {
        Err(HolderRefused::Invalid(format!(
            "{:?} is not a {} holder this event can go to (a gridworker or grid leader of its village, its village, \
             its township, the county centre or a department)",
            to.id,
            to.tier.as_str()
        )))
    }
}
