//! New accounts' names and the grants administrators give (三员分立): the checks that the
//! administrators' HTTP API and `wangge admin` apply alike.

use wangge_core::access::{Grant, Jurisdiction, Role};

use crate::store::AccountRecord;

/// Why a name or a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantRefused {
    /// The log-in name is empty, too long or has other characters.
    #[error("username must be 1 to 64 letters, digits, '-', '_' or '.'")]
    Username,
    /// The shown name is blank or too long.
    #[error("display_name must be 1 to 64 characters")]
    DisplayName,
    /// The jurisdiction is not one, or the role cannot be held at its level.
    #[error("{0}")]
    Grant(String),
    /// A service account asked for a role integrations never hold.
    #[error("a service account may hold a dispatcher, county leader or planner grant, not {0}")]
    Service(Role),
}

/// A new account's log-in and shown names (people's and service accounts' alike).
pub fn check_names(username: &str, display_name: &str) -> Result<(), GrantRefused> {
    let ok = (1..=64).contains(&username.chars().count())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(GrantRefused::Username);
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 64 {
        return Err(GrantRefused::DisplayName);
    }
    Ok(())
}

/// `role` over `jurisdiction` (`county`, a township or a village code; the county when not
/// given), refused when the role cannot be held at that level.
pub fn grant_of(role: Role, jurisdiction: Option<&str>) -> Result<Grant, GrantRefused> {
    let j = Jurisdiction::parse(jurisdiction.unwrap_or("county")).map_err(|e| GrantRefused::Grant(e.to_string()))?;
    Grant::new(role, j).map_err(|e| GrantRefused::Grant(e.to_string()))
}

/// A service account (an integration) holds a dispatcher, county leader or planner grant only.
pub fn service_may_hold(account: &AccountRecord, grant: &Grant) -> Result<(), GrantRefused> {
    if account.service && !matches!(grant.role, Role::Dispatcher | Role::CountyLeader | Role::Planner) {
        return Err(GrantRefused::Service(grant.role));
    }
    Ok(())
}

/// How a grant reads in the audit trail: `dispatcher over 130730100 as ""`.
pub fn grant_detail(grant: &Grant, acting_as: &str) -> String {
    format!("{} over {} as {acting_as:?}", grant.role, grant.jurisdiction.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_levels_are_checked() {
        assert_eq!(check_names("li.si-2", "李四"), Ok(()));
        assert_eq!(check_names("李四", "李四"), Err(GrantRefused::Username));
        assert_eq!(check_names("lisi", " "), Err(GrantRefused::DisplayName));
        assert!(grant_of(Role::SystemAdmin, None).is_ok());
        assert!(matches!(grant_of(Role::Dispatcher, Some("13073010")), Err(GrantRefused::Grant(_))));
        let g = grant_of(Role::Dispatcher, Some("130730100")).unwrap();
        assert_eq!(grant_detail(&g, ""), "dispatcher over 130730100 as \"\"");
    }
}
