//! The demo county's accounts: one per role, created on the first start of the demo (never
//! otherwise), all with the same published password.

use chrono::{DateTime, Utc};
use wangge_core::access::{Grant, Jurisdiction, Role};
use wangge_core::people::{Role as PersonRole, Roster};

use crate::access::{hash_password, AuthError};
use crate::events::rules::Routing;
use crate::store::{AccountRecord, Store};

/// The demo accounts' password (published in the README; the demo is not for real data).
pub const DEMO_PASSWORD: &str = "Wangge-demo-2026";

/// The township the demo's township and village accounts belong to (沙城镇).
const DEMO_TOWNSHIP: &str = "130730100";

/// One demo account as printed at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// Log-in name.
    pub username: String,
    /// Its grant.
    pub grant: Grant,
    /// Person or department acted as.
    pub acting_as: String,
    /// Shown name.
    pub display_name: String,
}

/// The demo accounts for this roster and routing: a county leader, county / township /
/// village dispatchers, a planner, a gridworker of the village, a water-department handler
/// and the three administrators.
pub fn demo_accounts(roster: &Roster, routing: &Routing) -> Vec<DemoAccount> {
    // A gridworker of the township, and the village of its first grid.
    let gridworker = roster
        .people()
        .iter()
        .filter(|p| p.role == PersonRole::Gridworker && p.unit_code.starts_with(DEMO_TOWNSHIP))
        .filter(|p| p.grids.first().is_some_and(|g| g.len() >= 12))
        .min_by(|a, b| a.id.cmp(&b.id));
    let village = gridworker
        .and_then(|p| p.grids.first())
        .map_or_else(|| format!("{DEMO_TOWNSHIP}001"), |g| g[..12].to_owned());
    let department = routing.department("water").or(routing.departments.first());
    let mut out = Vec::new();
    let mut add = |username: &str, role: Role, jurisdiction: &str, acting_as: &str, name: &str| {
        let Ok(j) = Jurisdiction::parse(jurisdiction) else { return };
        if let Ok(grant) = Grant::new(role, j) {
            out.push(DemoAccount {
                username: username.into(),
                grant,
                acting_as: acting_as.into(),
                display_name: name.into(),
            });
        }
    };
    add("leader", Role::CountyLeader, "county", "", "县领导（演示）");
    add("county", Role::Dispatcher, "county", "", "县网格中心调度员（演示）");
    add("shacheng", Role::Dispatcher, DEMO_TOWNSHIP, "", "沙城镇网格中心调度员（演示）");
    add("village", Role::Dispatcher, &village, "", "村网格中心调度员（演示）");
    add("planner", Role::Planner, "county", "", "网格规划员（演示）");
    add("assessor", Role::Assessor, "county", "", "考评员（演示）");
    if let Some(p) = gridworker {
        add("gridworker", Role::Gridworker, &village, &p.id, &format!("网格员{}（演示）", p.id));
    }
    if let Some(d) = department {
        add("water", Role::DepartmentHandler, "county", &d.code, &format!("{}经办人（演示）", d.name));
    }
    add("sysadmin", Role::SystemAdmin, "county", "", "系统管理员（演示）");
    add("secadmin", Role::SecurityAdmin, "county", "", "安全管理员（演示）");
    add("auditor", Role::AuditAdmin, "county", "", "审计管理员（演示）");
    out
}

/// Creates the demo accounts that do not exist yet; answers every demo account.
pub async fn ensure_demo_accounts(
    store: &Store,
    roster: &Roster,
    routing: &Routing,
    now: DateTime<Utc>,
) -> Result<Vec<DemoAccount>, AuthError> {
    let accounts = demo_accounts(roster, routing);
    let mut hash = None;
    for a in &accounts {
        if store.account(&a.username).await?.is_some() {
            continue;
        }
        let password_hash = match &hash {
            Some(h) => String::clone(h),
            None => hash.insert(hash_password(DEMO_PASSWORD.to_owned()).await?).clone(),
        };
        let grant = (a.grant.role.as_str(), a.grant.jurisdiction.as_str());
        let record = AccountRecord::new(&a.username, &a.display_name, Some(grant), &a.acting_as, password_hash, now);
        store.insert_account(&record).await?;
    }
    Ok(accounts)
}
