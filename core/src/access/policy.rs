//! What each role may do (one table), and the checks that keep an event move within the
//! caller's jurisdiction and tier.

use serde::{Deserialize, Serialize};

use super::jurisdiction::{CodeLevel, Jurisdiction};
use super::role::{Grant, Role};
use crate::event::{Action, Holder, Tier};

/// Something the API lets one do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The division tree: township and village names and codes (no business data).
    ReadDivisions,
    /// Grid boundaries, locate, map layers and search by code or name.
    ReadMap,
    /// Event queues, events and their timelines (personal fields masked).
    ReadEvents,
    /// Submit a report (上报).
    ReportEvent,
    /// Give an unassigned event to a holder.
    AssignEvent,
    /// Verify an event one holds (核实).
    AcceptEvent,
    /// Solve it on the spot (gridworkers).
    ResolveOnSpot,
    /// Pass an event up (上报/流转).
    EscalateEvent,
    /// Report an event handled (办结).
    HandleEvent,
    /// Return an event as not one's own (退单).
    ReturnEvent,
    /// Decide a returned event (county arbitration).
    ArbitrateEvent,
    /// Verify done and answer the reporter (办结反馈).
    CloseEvent,
    /// Record the reporter's rating.
    RecordRating,
    /// Reopen a closed event for the reporter.
    ReopenEvent,
    /// The roster (phones masked).
    ReadPeople,
    /// See a masked value in full (audited).
    RevealPersonalData,
    /// Edit people, their "人、机、格" bindings and duty.
    EditPeople,
    /// Edit the category → department routing table.
    EditRouting,
    /// Load a year's working calendar or override a date.
    EditCalendar,
    /// Figures, heatmaps and choropleths.
    ReadStats,
    /// Redraw grid boundaries.
    EditGrids,
    /// Export event lists and figures.
    ExportData,
    /// Create, disable and unlock accounts (no roles: that is the security administrator's).
    ManageUsers,
    /// Give and take grants (role × jurisdiction).
    ManageGrants,
    /// Password, lockout and session policy.
    EditSecurityPolicy,
    /// Search and read the audit log.
    ReadAuditLog,
    /// Walk a patrol (巡查) as oneself: start, upload the track and check-ins, end it.
    Patrol,
    /// Patrols, their tracks and check-ins, the live positions of gridworkers on patrol, and
    /// the patrol figures (personal data: every read audited).
    ReadPatrols,
    /// Release a gridworker's account from its bound device (人机格), so that the next device
    /// to sign in binds: a dispatcher over the account's area, or the system administrator.
    UnbindDevice,
    /// Mark an event as a duplicate of another (linked both ways, counted once).
    MarkDuplicate,
    /// The registry's houses, households, people, organisations and places (personal fields
    /// masked; every read audited) and its summaries.
    ReadRegistry,
    /// Create, change and re-verify registry records.
    EditRegistry,
    /// Import a spreadsheet of registry records.
    ImportRegistry,
    /// Special-group memberships (特殊人群, 重点青少年): a special-group officer within the
    /// jurisdiction, a gridworker only those it follows up.
    ReadSpecialGroups,
    /// Register and change special-group memberships.
    EditSpecialGroups,
    /// Record a follow-up visit of a special-group member.
    VisitSpecialGroup,
    /// Record a grid's monthly dispute screening (排查).
    RecordScreening,
    /// Read the screening board, the dispute and petition ledgers, case files and outcomes.
    ReadDisputes,
    /// Register dispute cases and record their mediation (调处).
    HandleDisputes,
    /// Register petitions (信访) and record their acceptance and answer.
    HandlePetitions,
    /// Record a township's result indicators (public-safety incidents, 民转刑).
    RecordOutcomes,
    /// Scores, league tables, scorecards with their records, the self-evaluation and the
    /// budget ledger (考评).
    ReadAssessment,
    /// The county's own assessment: its project scorecard, the self-evaluation and the budget
    /// ledger (a county-wide grant).
    ReadCountyScore,
    /// Keep the indicator system, enter manual scores, keep the budget ledger, freeze and
    /// recompute assessed periods.
    Assess,
    /// A gridworker's career: the village proposes a hire and records training; the township
    /// approves, reviews and removes.
    ManageCareers,
    /// Mark an event not valid for the assessment (a test, unfounded) or valid again.
    MarkEventValidity,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 46] = [
        Self::ReadDivisions,
        Self::ReadMap,
        Self::ReadEvents,
        Self::ReportEvent,
        Self::AssignEvent,
        Self::AcceptEvent,
        Self::ResolveOnSpot,
        Self::EscalateEvent,
        Self::HandleEvent,
        Self::ReturnEvent,
        Self::ArbitrateEvent,
        Self::CloseEvent,
        Self::RecordRating,
        Self::ReopenEvent,
        Self::ReadPeople,
        Self::RevealPersonalData,
        Self::EditPeople,
        Self::EditRouting,
        Self::EditCalendar,
        Self::ReadStats,
        Self::EditGrids,
        Self::ExportData,
        Self::ManageUsers,
        Self::ManageGrants,
        Self::EditSecurityPolicy,
        Self::ReadAuditLog,
        Self::Patrol,
        Self::ReadPatrols,
        Self::UnbindDevice,
        Self::MarkDuplicate,
        Self::ReadRegistry,
        Self::EditRegistry,
        Self::ImportRegistry,
        Self::ReadSpecialGroups,
        Self::EditSpecialGroups,
        Self::VisitSpecialGroup,
        Self::RecordScreening,
        Self::ReadDisputes,
        Self::HandleDisputes,
        Self::HandlePetitions,
        Self::RecordOutcomes,
        Self::ReadAssessment,
        Self::ReadCountyScore,
        Self::Assess,
        Self::ManageCareers,
        Self::MarkEventValidity,
    ];

    /// Stable wire name (also the audit log's action prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadDivisions => "read_divisions",
            Self::ReadMap => "read_map",
            Self::ReadEvents => "read_events",
            Self::ReportEvent => "report_event",
            Self::AssignEvent => "assign_event",
            Self::AcceptEvent => "accept_event",
            Self::ResolveOnSpot => "resolve_on_spot",
            Self::EscalateEvent => "escalate_event",
            Self::HandleEvent => "handle_event",
            Self::ReturnEvent => "return_event",
            Self::ArbitrateEvent => "arbitrate_event",
            Self::CloseEvent => "close_event",
            Self::RecordRating => "record_rating",
            Self::ReopenEvent => "reopen_event",
            Self::ReadPeople => "read_people",
            Self::RevealPersonalData => "reveal_personal_data",
            Self::EditPeople => "edit_people",
            Self::EditRouting => "edit_routing",
            Self::EditCalendar => "edit_calendar",
            Self::ReadStats => "read_stats",
            Self::EditGrids => "edit_grids",
            Self::ExportData => "export_data",
            Self::ManageUsers => "manage_users",
            Self::ManageGrants => "manage_grants",
            Self::EditSecurityPolicy => "edit_security_policy",
            Self::ReadAuditLog => "read_audit_log",
            Self::Patrol => "patrol",
            Self::ReadPatrols => "read_patrols",
            Self::UnbindDevice => "unbind_device",
            Self::MarkDuplicate => "mark_duplicate",
            Self::ReadRegistry => "read_registry",
            Self::EditRegistry => "edit_registry",
            Self::ImportRegistry => "import_registry",
            Self::ReadSpecialGroups => "read_special_groups",
            Self::EditSpecialGroups => "edit_special_groups",
            Self::VisitSpecialGroup => "visit_special_group",
            Self::RecordScreening => "record_screening",
            Self::ReadDisputes => "read_disputes",
            Self::HandleDisputes => "handle_disputes",
            Self::HandlePetitions => "handle_petitions",
            Self::RecordOutcomes => "record_outcomes",
            Self::ReadAssessment => "read_assessment",
            Self::ReadCountyScore => "read_county_score",
            Self::Assess => "assess",
            Self::ManageCareers => "manage_careers",
            Self::MarkEventValidity => "mark_event_validity",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The permission an event action needs.
    pub fn for_action(action: &Action) -> Self {
        match action {
            Action::Assign { .. } => Self::AssignEvent,
            Action::Accept => Self::AcceptEvent,
            Action::ResolveOnSpot { .. } => Self::ResolveOnSpot,
            Action::Escalate { .. } => Self::EscalateEvent,
            Action::Handle { .. } => Self::HandleEvent,
            Action::Return { .. } => Self::ReturnEvent,
            Action::Arbitrate { .. } => Self::ArbitrateEvent,
            Action::Close { .. } => Self::CloseEvent,
            Action::Rate { .. } => Self::RecordRating,
            Action::Reopen { .. } => Self::ReopenEvent,
        }
    }

    /// The narrowest jurisdiction this may be used from: county-wide work (arbitration, the
    /// routing table, the calendar) needs a county grant; everything else any level.
    pub fn narrowest_level(self) -> CodeLevel {
        match self {
            Self::ArbitrateEvent | Self::EditRouting | Self::EditCalendar | Self::Assess | Self::ReadCountyScore => {
                CodeLevel::County
            }
            // Petitions and the result indicators are township business (信访办, 综治中心).
            Self::HandlePetitions | Self::RecordOutcomes => CodeLevel::Township,
            _ => CodeLevel::Village,
        }
    }

    /// Whether a successful use writes an audit row: every change, every read or export of
    /// personal data and every read of the audit log (plain queue, map and figure reads do
    /// not; denials and logins are audited whatever the permission).
    pub fn audited(self) -> bool {
        !matches!(self, Self::ReadDivisions | Self::ReadMap | Self::ReadEvents | Self::ReadStats)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `role` may use `permission` at all — the one table. 三员分立: the system
/// administrator manages accounts and the calendar but neither grants nor the audit log; the
/// security administrator manages grants and policy but no business data; the audit
/// administrator only reads the audit log. Nobody may change the audit log.
///
/// ```
/// use wangge_core::access::{allows, Permission, Role};
/// assert!(allows(Role::AuditAdmin, Permission::ReadAuditLog));
/// assert!(!allows(Role::SystemAdmin, Permission::ReadAuditLog));
/// assert!(!allows(Role::Gridworker, Permission::EditGrids));
/// ```
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role::*;
    let roles: &[Role] = match permission {
        P::ReadDivisions => &Role::ALL,
        P::ReadMap => &[CountyLeader, Dispatcher, Planner, Gridworker, DepartmentHandler, SpecialGroupOfficer],
        P::ReadEvents => &[CountyLeader, Dispatcher, Gridworker, DepartmentHandler],
        P::ReportEvent => &[Dispatcher, Gridworker],
        P::AssignEvent | P::ArbitrateEvent | P::CloseEvent | P::RecordRating | P::ReopenEvent => &[Dispatcher],
        P::AcceptEvent | P::HandleEvent | P::ReturnEvent => &[Dispatcher, Gridworker, DepartmentHandler],
        P::ResolveOnSpot => &[Gridworker],
        P::EscalateEvent => &[Dispatcher, Gridworker],
        P::ReadPeople | P::ExportData => &[CountyLeader, Dispatcher],
        P::RevealPersonalData => &[Dispatcher, Gridworker, DepartmentHandler, SpecialGroupOfficer],
        P::EditPeople | P::EditRouting => &[Dispatcher],
        P::EditCalendar => &[Dispatcher, SystemAdmin],
        P::ReadStats => &[CountyLeader, Dispatcher, Planner],
        P::EditGrids => &[Planner],
        P::ManageUsers => &[SystemAdmin],
        P::ManageGrants | P::EditSecurityPolicy => &[SecurityAdmin],
        P::ReadAuditLog => &[AuditAdmin],
        // Only a gridworker patrols, and only as itself; reading patrols (where people were)
        // is for who supervises them.
        P::Patrol => &[Gridworker],
        P::ReadPatrols => &[CountyLeader, Dispatcher],
        P::UnbindDevice => &[Dispatcher, SystemAdmin],
        P::MarkDuplicate => &[Dispatcher],
        // The registry is read and kept by the grid centres and the gridworkers on the spot;
        // who belongs to a special group only by the officers granted for it and the
        // gridworker who follows each member up.
        P::ReadRegistry => &[Dispatcher, Gridworker, SpecialGroupOfficer],
        P::EditRegistry => &[Dispatcher, Gridworker],
        P::ImportRegistry => &[Dispatcher],
        P::ReadSpecialGroups | P::VisitSpecialGroup => &[Gridworker, SpecialGroupOfficer],
        P::EditSpecialGroups => &[SpecialGroupOfficer],
        // Screening is the gridworker's on its grids (and a centre's for any of its area);
        // mediation, petitions and outcomes are recorded by the grid centres.
        P::RecordScreening => &[Dispatcher, Gridworker],
        P::ReadDisputes => &[CountyLeader, Dispatcher],
        P::HandleDisputes | P::HandlePetitions | P::RecordOutcomes => &[Dispatcher],
        // The assessment is read by who leads and runs the grid work, kept by the assessor.
        P::ReadAssessment | P::ReadCountyScore => &[CountyLeader, Dispatcher, Assessor],
        P::Assess => &[Assessor],
        P::ManageCareers | P::MarkEventValidity => &[Dispatcher],
    };
    roles.contains(&role)
}

impl Grant {
    /// Whether this grant may use `permission`: the role allows it and the jurisdiction is
    /// wide enough.
    pub fn may(&self, permission: Permission) -> bool {
        allows(self.role, permission) && self.jurisdiction.level() <= permission.narrowest_level()
    }
}

/// Why a request was refused. Only [`Denied::NotFound`] is answered 404 (exactly like a
/// missing id); the rest are 403 with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may not do this anywhere.
    #[error("a {role} may not {permission}")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
        /// What was asked.
        permission: &'static str,
    },
    /// Allowed to the role, but only with a wider (county) grant.
    #[error("{permission} needs a county-wide grant")]
    NeedsWiderGrant {
        /// What was asked.
        permission: &'static str,
    },
    /// The object is outside the caller's jurisdiction: answered as if it did not exist.
    #[error("not found")]
    NotFound,
    /// The event is held above the caller's tier.
    #[error("the event is held at the {held} tier, beyond the caller's {caller} tier")]
    BeyondHolder {
        /// Where the event is held.
        held: &'static str,
        /// The caller's tier.
        caller: &'static str,
    },
    /// The event is with another gridworker or department.
    #[error("the event is held by someone else")]
    NotYours,
    /// The target tier is beyond what the caller may move an event to.
    #[error("a {caller}-tier caller cannot move an event to the {target} tier")]
    BeyondTier {
        /// The caller's tier.
        caller: &'static str,
        /// The requested tier.
        target: &'static str,
    },
    /// The target is a centre of another township or village than the event's.
    #[error("{target} is not the event's {level} centre")]
    OtherJurisdiction {
        /// The target's code.
        target: String,
        /// The level of centre expected.
        level: &'static str,
    },
}

impl Denied {
    /// Whether to answer 404 rather than 403.
    pub fn is_not_found(&self) -> bool {
        *self == Self::NotFound
    }
}

/// Who acts: the grant in use and the identity it acts as — the person id for a gridworker
/// (compared with the event's holder), the department code for a department handler; other
/// roles act for their centre and the id is not compared.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The grant in use.
    pub grant: &'a Grant,
    /// Person id or department code.
    pub id: &'a str,
}

/// What the checks need to know about an event.
#[derive(Debug, Clone, Copy)]
pub struct EventScope<'a> {
    /// The event's township code.
    pub township: &'a str,
    /// The event's village code (empty if none).
    pub village: &'a str,
    /// Who holds it now.
    pub holder: Option<&'a Holder>,
}

/// How an event is moved to a new holder chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Assigning an unassigned event: to the caller's tier or below (the county centre may
    /// also assign to a department).
    Assign,
    /// Escalating: at most one tier above the caller's own.
    Escalate,
    /// County arbitration of a return: any tier.
    Arbitrate,
}

impl Move {
    fn permission(self) -> Permission {
        match self {
            Self::Assign => Permission::AssignEvent,
            Self::Escalate => Permission::EscalateEvent,
            Self::Arbitrate => Permission::ArbitrateEvent,
        }
    }
}

/// The highest tier a caller at `tier` reaches when assigning or supervising: its own, and
/// for the county centre the departments it coordinates.
fn reach(tier: Tier) -> Tier {
    if tier == Tier::County {
        Tier::Department
    } else {
        tier
    }
}

/// The level of centre that holds an event at `tier`.
fn centre_level(tier: Tier) -> CodeLevel {
    match tier {
        Tier::Grid | Tier::Village => CodeLevel::Village,
        Tier::Township => CodeLevel::Township,
        Tier::County | Tier::Department => CodeLevel::County,
    }
}

/// Whether `grant` may move an event in `event` to `to`: the target tier is within the
/// caller's reach for this kind of move, and a target named by a division code (a centre)
/// is the event's own centre at that level — never a neighbouring township's. A target named
/// by person id or department code must still be checked by the caller against the roster
/// (bound to the event's grid or village; a known department).
///
/// ```
/// use wangge_core::access::{may_move_to, EventScope, Grant, Jurisdiction, Move, Role};
/// use wangge_core::event::{Holder, Tier};
/// let village = Grant::new(Role::Dispatcher, Jurisdiction::parse("130730100001").unwrap()).unwrap();
/// let event = EventScope { township: "130730100", village: "130730100001", holder: None };
/// let up = |tier, id: &str| Holder { tier, id: id.into() };
/// assert!(may_move_to(&village, Move::Escalate, &event, &up(Tier::Township, "130730100")).is_ok());
/// assert!(may_move_to(&village, Move::Escalate, &event, &up(Tier::County, "county")).is_err());
/// assert!(may_move_to(&village, Move::Escalate, &event, &up(Tier::Township, "130730101")).is_err());
/// ```
pub fn may_move_to(grant: &Grant, how: Move, event: &EventScope<'_>, to: &Holder) -> Result<(), Denied> {
    let forbidden = || Denied::Forbidden { role: grant.role.as_str(), permission: how.permission().as_str() };
    let tier = grant.tier().ok_or_else(forbidden)?;
    let ceiling = match how {
        Move::Assign => Some(reach(tier)),
        Move::Escalate => tier.up(),
        Move::Arbitrate if tier == Tier::County => Some(Tier::Department),
        Move::Arbitrate => return Err(Denied::NeedsWiderGrant { permission: how.permission().as_str() }),
    };
    if ceiling.is_none_or(|c| to.tier > c) {
        return Err(Denied::BeyondTier { caller: tier.as_str(), target: to.tier.as_str() });
    }
    if let Ok(centre) = Jurisdiction::parse(&to.id) {
        let level = centre_level(to.tier);
        if centre.level() != level || !centre.covers(event.township, event.village) {
            return Err(Denied::OtherJurisdiction { target: to.id.clone(), level: level.as_str() });
        }
    }
    Ok(())
}

/// Whether `actor` may apply `action` to `event`, checked before the state machine so a
/// refused request changes nothing. In order: the role allows the action (403, the same
/// for every id), the grant is wide enough (403), the event is inside the jurisdiction
/// (404, as for a missing id), then the holder and target rules: the holder's own actions
/// (accept, handle, return, resolve, escalate) are for the gridworker or department holding
/// it, or for a dispatcher at or above its tier; closing, rating and reopening are for a
/// dispatcher whose reach includes the holder; moves go through [`may_move_to`].
pub fn may_transition(actor: &Actor<'_>, event: &EventScope<'_>, action: &Action) -> Result<(), Denied> {
    let grant = actor.grant;
    let permission = Permission::for_action(action);
    if !allows(grant.role, permission) {
        return Err(Denied::Forbidden { role: grant.role.as_str(), permission: permission.as_str() });
    }
    if !grant.may(permission) {
        return Err(Denied::NeedsWiderGrant { permission: permission.as_str() });
    }
    if !grant.jurisdiction.covers(event.township, event.village) {
        return Err(Denied::NotFound);
    }
    match action {
        Action::Assign { to } => may_move_to(grant, Move::Assign, event, to),
        Action::Arbitrate { to, .. } => may_move_to(grant, Move::Arbitrate, event, to),
        Action::Escalate { to, .. } => {
            holder_acts(actor, event)?;
            may_move_to(grant, Move::Escalate, event, to)
        }
        Action::Accept | Action::ResolveOnSpot { .. } | Action::Handle { .. } | Action::Return { .. } => {
            holder_acts(actor, event)
        }
        Action::Close { .. } | Action::Rate { .. } | Action::Reopen { .. } => supervises(grant, event),
    }
}

/// The holder's own actions: its gridworker or department, or a dispatcher at or above it.
fn holder_acts(actor: &Actor<'_>, event: &EventScope<'_>) -> Result<(), Denied> {
    let Some(holder) = event.holder else { return Ok(()) };
    let mine = |tier| holder.tier == tier && holder.id == actor.id;
    match actor.grant.role {
        Role::Gridworker if mine(Tier::Grid) => Ok(()),
        Role::DepartmentHandler if mine(Tier::Department) => Ok(()),
        Role::Gridworker | Role::DepartmentHandler => Err(Denied::NotYours),
        _ => within(actor.grant, holder.tier, |t| t),
    }
}

/// Supervision (close, rate, reopen): a dispatcher whose reach includes the holder.
fn supervises(grant: &Grant, event: &EventScope<'_>) -> Result<(), Denied> {
    match event.holder {
        Some(holder) => within(grant, holder.tier, reach),
        None => Ok(()),
    }
}

fn within(grant: &Grant, held: Tier, reach: impl Fn(Tier) -> Tier) -> Result<(), Denied> {
    let forbidden = Denied::Forbidden { role: grant.role.as_str(), permission: "act on events" };
    let tier = grant.tier().ok_or(forbidden)?;
    if held > reach(tier) {
        return Err(Denied::BeyondHolder { held: held.as_str(), caller: tier.as_str() });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
