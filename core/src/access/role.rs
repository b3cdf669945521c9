//! Account roles and grants: a role held over a jurisdiction.

use serde::{Deserialize, Serialize};

use super::jurisdiction::{CodeLevel, Jurisdiction};
use crate::event::Tier;

/// What an account is for. The three administrators are separate roles (三员分立) and none of
/// them sees business data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县领导 — county leader: figures, heatmaps and the event queues, read only.
    CountyLeader,
    /// 网格中心调度员 — grid-centre dispatcher; its level (village, township, county) is the
    /// level of its grant's jurisdiction.
    Dispatcher,
    /// 网格规划员 — redraws grid boundaries.
    Planner,
    /// 专职网格员 — gridworker on the phone app.
    Gridworker,
    /// 职能部门经办人 — handler in a functional department.
    DepartmentHandler,
    /// 系统管理员 — system administrator: accounts and system configuration, no audit log.
    SystemAdmin,
    /// 安全管理员 — security administrator: grants and the security policy, no business data.
    SecurityAdmin,
    /// 审计管理员 — audit administrator: reads the audit log, nothing else.
    AuditAdmin,
    /// 特殊人群专管员 — special-group officer (综治中心): the special groups and key youth of its
    /// jurisdiction, their records and follow-ups.
    SpecialGroupOfficer,
    /// 考评员 — assessor (县委政法委): keeps the indicator system, manual scores with their
    /// evidence, the budget ledger, and freezes assessed periods.
    Assessor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 10] = [
        Self::CountyLeader,
        Self::Dispatcher,
        Self::Planner,
        Self::Gridworker,
        Self::DepartmentHandler,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
        Self::SpecialGroupOfficer,
        Self::Assessor,
    ];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CountyLeader => "county_leader",
            Self::Dispatcher => "dispatcher",
            Self::Planner => "planner",
            Self::Gridworker => "gridworker",
            Self::DepartmentHandler => "department_handler",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
            Self::SpecialGroupOfficer => "special_group_officer",
            Self::Assessor => "assessor",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::CountyLeader => "县领导",
            Self::Dispatcher => "网格中心调度员",
            Self::Planner => "网格规划员",
            Self::Gridworker => "网格员",
            Self::DepartmentHandler => "职能部门经办人",
            Self::SystemAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
            Self::AuditAdmin => "审计管理员",
            Self::SpecialGroupOfficer => "特殊人群专管员",
            Self::Assessor => "考评员",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// One of the three administrators (三员).
    pub fn is_admin(self) -> bool {
        matches!(self, Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin)
    }

    /// Levels of jurisdiction this role may be granted over: dispatchers at any level,
    /// gridworkers over a township or village, everyone else over the county.
    pub fn allowed_levels(self) -> &'static [CodeLevel] {
        match self {
            Self::Dispatcher | Self::SpecialGroupOfficer => &[CodeLevel::County, CodeLevel::Township, CodeLevel::Village],
            Self::Gridworker => &[CodeLevel::Township, CodeLevel::Village],
            _ => &[CodeLevel::County],
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grant that does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The role cannot be held at that level (say, an auditor over one township).
    #[error("a {role} cannot be granted over a {level}")]
    Level {
        /// The role.
        role: &'static str,
        /// The jurisdiction's level.
        level: &'static str,
    },
}

/// A role held over a jurisdiction; every query of its holder is filtered by the jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawGrant")]
pub struct Grant {
    /// What the holder is.
    pub role: Role,
    /// Where.
    pub jurisdiction: Jurisdiction,
}

#[derive(Deserialize)]
struct RawGrant {
    role: Role,
    jurisdiction: Jurisdiction,
}

impl TryFrom<RawGrant> for Grant {
    type Error = GrantError;
    fn try_from(raw: RawGrant) -> Result<Self, GrantError> {
        Grant::new(raw.role, raw.jurisdiction)
    }
}

impl Grant {
    /// A grant, refused when the role cannot be held at the jurisdiction's level.
    pub fn new(role: Role, jurisdiction: Jurisdiction) -> Result<Self, GrantError> {
        let level = jurisdiction.level();
        if !role.allowed_levels().contains(&level) {
            return Err(GrantError::Level { role: role.as_str(), level: level.as_str() });
        }
        Ok(Self { role, jurisdiction })
    }

    /// The tier of the event loop this grant acts at: gridworkers at the grid, dispatchers at
    /// their centre's level, department handlers at the department; `None` for roles that
    /// never hold events.
    pub fn tier(&self) -> Option<Tier> {
        match (self.role, self.jurisdiction.level()) {
            (Role::Gridworker, _) => Some(Tier::Grid),
            (Role::Dispatcher, CodeLevel::Village) => Some(Tier::Village),
            (Role::Dispatcher, CodeLevel::Township) => Some(Tier::Township),
            (Role::Dispatcher, _) => Some(Tier::County),
            (Role::DepartmentHandler, _) => Some(Tier::Department),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Jurisdiction {
        Jurisdiction::parse(s).unwrap()
    }

    #[test]
    fn wire_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::ALL.iter().filter(|r| r.is_admin()).count(), 3);
    }

    #[test]
    fn grants_are_checked_against_the_level() {
        assert!(Grant::new(Role::Dispatcher, j("130730100001")).is_ok());
        assert!(Grant::new(Role::Gridworker, j("130730100")).is_ok());
        assert!(Grant::new(Role::Gridworker, Jurisdiction::County).is_err());
        let err = Grant::new(Role::AuditAdmin, j("130730100")).unwrap_err();
        assert_eq!(err.to_string(), "a audit_admin cannot be granted over a township");
        for r in [Role::CountyLeader, Role::Planner, Role::DepartmentHandler, Role::SystemAdmin, Role::SecurityAdmin] {
            assert!(Grant::new(r, Jurisdiction::County).is_ok());
            assert!(Grant::new(r, j("130730100001")).is_err(), "{r}");
        }
    }

    #[test]
    fn deserialising_validates_too() {
        let ok: Grant = serde_json::from_str(r#"{"role":"dispatcher","jurisdiction":"130730100"}"#).unwrap();
        assert_eq!(ok.tier(), Some(Tier::Township));
        assert!(serde_json::from_str::<Grant>(r#"{"role":"planner","jurisdiction":"130730100"}"#).is_err());
        assert!(serde_json::from_str::<Grant>(r#"{"role":"dispatcher","jurisdiction":"1307301"}"#).is_err());
        let back = serde_json::to_string(&ok).unwrap();
        assert_eq!(back, r#"{"role":"dispatcher","jurisdiction":"130730100"}"#);
    }

    #[test]
    fn tiers_follow_role_and_level() {
        let tier = |r, s: &str| Grant::new(r, j(s)).unwrap().tier();
        assert_eq!(tier(Role::Dispatcher, "130730100001"), Some(Tier::Village));
        assert_eq!(tier(Role::Dispatcher, "county"), Some(Tier::County));
        assert_eq!(tier(Role::Gridworker, "130730100001"), Some(Tier::Grid));
        assert_eq!(tier(Role::DepartmentHandler, "county"), Some(Tier::Department));
        assert_eq!(tier(Role::CountyLeader, "county"), None);
        assert_eq!(tier(Role::SystemAdmin, "county"), None);
    }
}
