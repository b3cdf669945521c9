//! The permission table as a reviewed matrix, 三员分立, and the event-move rules over every
//! role × jurisdiction × action.

use super::*;

const T: &str = "130730100";
const V: &str = "130730100001";
const OTHER_T: &str = "130730101";
const OTHER_V: &str = "130730101001";

fn grant(role: Role, j: &str) -> Grant {
    Grant::new(role, Jurisdiction::parse(j).unwrap()).unwrap()
}

fn holder(tier: Tier, id: &str) -> Holder {
    Holder { tier, id: id.into() }
}

fn check(g: &Grant, id: &str, event: (&str, &str, Option<&Holder>), action: &Action) -> Result<(), Denied> {
    let scope = EventScope { township: event.0, village: event.1, holder: event.2 };
    may_transition(&Actor { grant: g, id }, &scope, action)
}

fn escalate(tier: Tier, id: &str) -> Action {
    Action::Escalate { to: holder(tier, id), reason: "超出处置能力".into() }
}

/// The whole table; a change to who may do what must change this picture.
#[test]
fn the_table() {
    let mut out = format!("{:<21}lead disp plan work dept sys  sec  aud  spec asse\n", "permission");
    for p in Permission::ALL {
        out.push_str(&format!("{:<21}", p.as_str()));
        for r in Role::ALL {
            out.push_str(if allows(r, p) { "x    " } else { ".    " });
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    let expected = "\
permission           lead disp plan work dept sys  sec  aud  spec asse
read_divisions       x    x    x    x    x    x    x    x    x    x
read_map             x    x    x    x    x    .    .    .    x    .
read_events          x    x    .    x    x    .    .    .    .    .
report_event         .    x    .    x    .    .    .    .    .    .
assign_event         .    x    .    .    .    .    .    .    .    .
accept_event         .    x    .    x    x    .    .    .    .    .
resolve_on_spot      .    .    .    x    .    .    .    .    .    .
escalate_event       .    x    .    x    .    .    .    .    .    .
handle_event         .    x    .    x    x    .    .    .    .    .
return_event         .    x    .    x    x    .    .    .    .    .
arbitrate_event      .    x    .    .    .    .    .    .    .    .
close_event          .    x    .    .    .    .    .    .    .    .
record_rating        .    x    .    .    .    .    .    .    .    .
reopen_event         .    x    .    .    .    .    .    .    .    .
read_people          x    x    .    .    .    .    .    .    .    .
reveal_personal_data .    x    .    x    x    .    .    .    x    .
edit_people          .    x    .    .    .    .    .    .    .    .
edit_routing         .    x    .    .    .    .    .    .    .    .
edit_calendar        .    x    .    .    .    x    .    .    .    .
read_stats           x    x    x    .    .    .    .    .    .    .
edit_grids           .    .    x    .    .    .    .    .    .    .
export_data          x    x    .    .    .    .    .    .    .    .
manage_users         .    .    .    .    .    x    .    .    .    .
manage_grants        .    .    .    .    .    .    x    .    .    .
edit_security_policy .    .    .    .    .    .    x    .    .    .
read_audit_log       .    .    .    .    .    .    .    x    .    .
patrol               .    .    .    x    .    .    .    .    .    .
read_patrols         x    x    .    .    .    .    .    .    .    .
unbind_device        .    x    .    .    .    x    .    .    .    .
mark_duplicate       .    x    .    .    .    .    .    .    .    .
read_registry        .    x    .    x    .    .    .    .    x    .
edit_registry        .    x    .    x    .    .    .    .    .    .
import_registry      .    x    .    .    .    .    .    .    .    .
read_special_groups  .    .    .    x    .    .    .    .    x    .
edit_special_groups  .    .    .    .    .    .    .    .    x    .
visit_special_group  .    .    .    x    .    .    .    .    x    .
record_screening     .    x    .    x    .    .    .    .    .    .
read_disputes        x    x    .    .    .    .    .    .    .    .
handle_disputes      .    x    .    .    .    .    .    .    .    .
handle_petitions     .    x    .    .    .    .    .    .    .    .
record_outcomes      .    x    .    .    .    .    .    .    .    .
read_assessment      x    x    .    .    .    .    .    .    .    x
read_county_score    x    x    .    .    .    .    .    .    .    x
assess               .    .    .    .    .    .    .    .    .    x
manage_careers       .    x    .    .    .    .    .    .    .    .
mark_event_validity  .    x    .    .    .    .    .    .    .    .
";
    assert_eq!(out, expected);
}

#[test]
fn three_administrators_are_separate() {
    let business = [
        Permission::ReadEvents,
        Permission::ReadPeople,
        Permission::RevealPersonalData,
        Permission::ReadStats,
        Permission::ExportData,
        Permission::EditPeople,
        Permission::EditGrids,
        Permission::ReportEvent,
    ];
    for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
        for p in business {
            assert!(!allows(admin, p), "{admin} may {p}");
        }
        for p in
            Permission::ALL.into_iter().filter(|p| p.as_str().ends_with("_event") || *p == Permission::ResolveOnSpot)
        {
            assert!(!allows(admin, p), "{admin} may {p}");
        }
    }
    // Only the auditor reads the log; the system administrator neither reads it nor grants.
    assert_eq!(
        Role::ALL.into_iter().filter(|r| allows(*r, Permission::ReadAuditLog)).collect::<Vec<_>>(),
        [Role::AuditAdmin]
    );
    assert!(!allows(Role::SystemAdmin, Permission::ManageGrants));
    assert!(!allows(Role::SystemAdmin, Permission::EditSecurityPolicy));
    assert!(!allows(Role::SecurityAdmin, Permission::ManageUsers));
    let auditor: Vec<_> = Permission::ALL.into_iter().filter(|p| allows(Role::AuditAdmin, *p)).collect();
    assert_eq!(auditor, [Permission::ReadDivisions, Permission::ReadAuditLog]);
}

#[test]
fn gridworkers_are_kept_out_of_planner_and_admin_work() {
    for p in [
        Permission::EditGrids,
        Permission::ManageUsers,
        Permission::ManageGrants,
        Permission::EditSecurityPolicy,
        Permission::ReadAuditLog,
        Permission::EditRouting,
        Permission::EditCalendar,
        Permission::EditPeople,
        Permission::ExportData,
    ] {
        assert!(!allows(Role::Gridworker, p), "{p}");
    }
}

#[test]
fn every_permission_has_a_role_and_a_wire_name() {
    for p in Permission::ALL {
        assert!(Role::ALL.iter().any(|r| allows(*r, p)), "{p}");
        assert_eq!(Permission::parse(p.as_str()), Some(p));
    }
    assert!(!Permission::ReadEvents.audited() && Permission::RevealPersonalData.audited());
    assert!(Permission::ReadAuditLog.audited() && Permission::EditGrids.audited());
}

#[test]
fn county_wide_work_needs_a_county_grant() {
    let county = grant(Role::Dispatcher, "county");
    let town = grant(Role::Dispatcher, T);
    for p in [Permission::ArbitrateEvent, Permission::EditRouting, Permission::EditCalendar] {
        assert!(county.may(p) && !town.may(p), "{p}");
    }
    assert!(town.may(Permission::EditPeople) && grant(Role::Dispatcher, V).may(Permission::CloseEvent));
    let sys = grant(Role::SystemAdmin, "county");
    assert!(sys.may(Permission::EditCalendar) && !sys.may(Permission::ReadAuditLog));
    let returned = holder(Tier::Grid, "GW1");
    let arbitrate = Action::Arbitrate { to: holder(Tier::Department, "SW"), note: "由水务局办理".into() };
    assert_eq!(
        check(&town, "", (T, V, Some(&returned)), &arbitrate),
        Err(Denied::NeedsWiderGrant { permission: "arbitrate_event" })
    );
    assert_eq!(check(&county, "", (T, V, Some(&returned)), &arbitrate), Ok(()));
}

#[test]
fn another_township_gets_not_found_and_a_wrong_role_forbidden() {
    let town = grant(Role::Dispatcher, T);
    let held = holder(Tier::Township, T);
    let accept = Action::Accept;
    assert_eq!(check(&town, "", (OTHER_T, OTHER_V, Some(&held)), &accept), Err(Denied::NotFound));
    assert!(check(&town, "", (OTHER_T, OTHER_V, Some(&held)), &accept).unwrap_err().is_not_found());
    assert_eq!(check(&town, "", (T, V, Some(&held)), &accept), Ok(()));
    let village = grant(Role::Dispatcher, V);
    assert_eq!(check(&village, "", (T, "130730100002", None), &accept), Err(Denied::NotFound));
    // A role that may not act answers the same for any event, so no existence leaks.
    let planner = grant(Role::Planner, "county");
    let close = Action::Close { note: "已办结".into() };
    for place in [(T, V), (OTHER_T, OTHER_V)] {
        let err = check(&planner, "", (place.0, place.1, Some(&held)), &close).unwrap_err();
        assert_eq!(err, Denied::Forbidden { role: "planner", permission: "close_event" });
        assert!(!err.is_not_found());
    }
}

#[test]
fn gridworkers_act_on_their_own_events_and_escalate_one_step() {
    let gw = grant(Role::Gridworker, T);
    let mine = holder(Tier::Grid, "GW1");
    let theirs = holder(Tier::Grid, "GW2");
    let at_village = holder(Tier::Village, "GL1");
    let e = |h| (T, V, Some(h));
    assert_eq!(check(&gw, "GW1", e(&mine), &Action::Accept), Ok(()));
    assert_eq!(check(&gw, "GW1", e(&theirs), &Action::Accept), Err(Denied::NotYours));
    assert_eq!(check(&gw, "GW1", e(&at_village), &Action::Accept), Err(Denied::NotYours));
    assert_eq!(check(&gw, "GW1", e(&mine), &escalate(Tier::Village, "GL1")), Ok(()));
    assert_eq!(check(&gw, "GW1", e(&mine), &escalate(Tier::Village, V)), Ok(()));
    assert_eq!(
        check(&gw, "GW1", e(&mine), &escalate(Tier::Township, T)),
        Err(Denied::BeyondTier { caller: "grid", target: "township" })
    );
    assert_eq!(
        check(&gw, "GW1", e(&mine), &escalate(Tier::Village, "130730100002")),
        Err(Denied::OtherJurisdiction { target: "130730100002".into(), level: "village" })
    );
    let close = Action::Close { note: "已办结".into() };
    assert_eq!(
        check(&gw, "GW1", e(&mine), &close),
        Err(Denied::Forbidden { role: "gridworker", permission: "close_event" })
    );
}

#[test]
fn dispatchers_move_events_up_their_own_line_only() {
    let village = grant(Role::Dispatcher, V);
    let at_village = holder(Tier::Village, "GL1");
    let e = (T, V, Some(&at_village));
    assert_eq!(check(&village, "", e, &escalate(Tier::Township, T)), Ok(()));
    assert_eq!(
        check(&village, "", e, &escalate(Tier::Township, OTHER_T)),
        Err(Denied::OtherJurisdiction { target: OTHER_T.into(), level: "township" })
    );
    assert_eq!(
        check(&village, "", e, &escalate(Tier::Township, V)),
        Err(Denied::OtherJurisdiction { target: V.into(), level: "township" }),
        "a village code is not a township centre"
    );
    assert_eq!(
        check(&village, "", e, &escalate(Tier::County, "county")),
        Err(Denied::BeyondTier { caller: "village", target: "county" })
    );
    assert_eq!(
        check(&village, "", e, &escalate(Tier::Department, "SW")),
        Err(Denied::BeyondTier { caller: "village", target: "department" })
    );
    let town = grant(Role::Dispatcher, T);
    let at_town = holder(Tier::Township, T);
    assert_eq!(check(&town, "", (T, V, Some(&at_town)), &escalate(Tier::County, "county")), Ok(()));
    assert_eq!(
        check(&town, "", (T, V, Some(&at_town)), &escalate(Tier::Department, "SW")),
        Err(Denied::BeyondTier { caller: "township", target: "department" })
    );
    let county = grant(Role::Dispatcher, "county");
    let at_county = holder(Tier::County, "county");
    assert_eq!(check(&county, "", (T, V, Some(&at_county)), &escalate(Tier::Department, "SW")), Ok(()));
}

#[test]
fn nobody_acts_for_a_higher_holder() {
    let village = grant(Role::Dispatcher, V);
    let at_town = holder(Tier::Township, T);
    assert_eq!(
        check(&village, "", (T, V, Some(&at_town)), &Action::Accept),
        Err(Denied::BeyondHolder { held: "township", caller: "village" })
    );
    let close = Action::Close { note: "已办结".into() };
    assert!(check(&village, "", (T, V, Some(&at_town)), &close).is_err());
    assert_eq!(check(&village, "", (T, V, Some(&holder(Tier::Grid, "GW1"))), &close), Ok(()));
    let town = grant(Role::Dispatcher, T);
    let at_dept = holder(Tier::Department, "SW");
    assert_eq!(
        check(&town, "", (T, V, Some(&at_dept)), &close),
        Err(Denied::BeyondHolder { held: "department", caller: "township" })
    );
    let county = grant(Role::Dispatcher, "county");
    assert_eq!(check(&county, "", (T, V, Some(&at_dept)), &close), Ok(()));
    assert_eq!(check(&county, "", (T, V, Some(&at_dept)), &Action::Rate { score: 5 }), Ok(()));
    // The county closes what a department did but does not handle it in its name.
    assert!(check(&county, "", (T, V, Some(&at_dept)), &Action::Handle { note: "已修复".into() }).is_err());
}

#[test]
fn departments_act_on_their_own_events() {
    let dept = grant(Role::DepartmentHandler, "county");
    let sw = holder(Tier::Department, "SW");
    let handle = Action::Handle { note: "已修复".into() };
    assert_eq!(check(&dept, "SW", (T, V, Some(&sw)), &handle), Ok(()));
    assert_eq!(check(&dept, "GD", (T, V, Some(&sw)), &handle), Err(Denied::NotYours));
    assert_eq!(check(&dept, "SW", (T, V, Some(&holder(Tier::County, "county"))), &handle), Err(Denied::NotYours));
    assert!(matches!(
        check(&dept, "SW", (T, V, Some(&sw)), &escalate(Tier::Department, "GD")),
        Err(Denied::Forbidden { .. })
    ));
    assert_eq!(check(&dept, "SW", (T, V, Some(&sw)), &Action::Return { reason: "不属本部门".into() }), Ok(()));
}

#[test]
fn assignment_stays_at_or_below_the_caller() {
    let town = grant(Role::Dispatcher, T);
    let assign = |tier, id: &str| Action::Assign { to: holder(tier, id) };
    assert_eq!(check(&town, "", (T, V, None), &assign(Tier::Grid, "GW1")), Ok(()));
    assert_eq!(check(&town, "", (T, V, None), &assign(Tier::Township, T)), Ok(()));
    assert_eq!(
        check(&town, "", (T, V, None), &assign(Tier::County, "county")),
        Err(Denied::BeyondTier { caller: "township", target: "county" })
    );
    let county = grant(Role::Dispatcher, "county");
    assert_eq!(check(&county, "", (T, V, None), &assign(Tier::Department, "SW")), Ok(()));
    assert_eq!(
        check(&county, "", (T, V, None), &assign(Tier::Township, OTHER_T)),
        Err(Denied::OtherJurisdiction { target: OTHER_T.into(), level: "township" })
    );
}

/// Every role × jurisdiction × action × place: nothing outside the jurisdiction is ever
/// allowed, nothing the table refuses is ever allowed, and an allowed move never lands above
/// the caller's reach or on another township's centre.
#[test]
fn exhaustive_matrix() {
    let jurisdictions = ["county", T, V, OTHER_T, OTHER_V];
    let holders = [
        holder(Tier::Grid, "GW1"),
        holder(Tier::Village, "GL1"),
        holder(Tier::Township, T),
        holder(Tier::County, "county"),
        holder(Tier::Department, "SW"),
    ];
    let targets = [
        holder(Tier::Grid, "GW1"),
        holder(Tier::Village, V),
        holder(Tier::Township, T),
        holder(Tier::Township, OTHER_T),
        holder(Tier::County, "county"),
        holder(Tier::Department, "SW"),
    ];
    let mut actions = vec![
        Action::Accept,
        Action::ResolveOnSpot { note: "n".into() },
        Action::Handle { note: "n".into() },
        Action::Return { reason: "r".into() },
        Action::Close { note: "n".into() },
        Action::Rate { score: 3 },
        Action::Reopen { reason: "r".into() },
    ];
    for t in &targets {
        actions.push(Action::Assign { to: t.clone() });
        actions.push(Action::Escalate { to: t.clone(), reason: "r".into() });
        actions.push(Action::Arbitrate { to: t.clone(), note: "n".into() });
    }
    let mut allowed = 0;
    for role in Role::ALL {
        for j in jurisdictions {
            let Ok(g) = Grant::new(role, Jurisdiction::parse(j).unwrap()) else { continue };
            for h in &holders {
                for action in &actions {
                    for id in ["GW1", "SW"] {
                        let Ok(()) = check(&g, id, (T, V, Some(h)), action) else { continue };
                        allowed += 1;
                        assert!(g.jurisdiction.covers(T, V), "{role} {j} outside");
                        assert!(g.may(Permission::for_action(action)), "{role} {j} {}", action.name());
                        if let Action::Escalate { to, .. } = action {
                            assert!(Some(to.tier) <= g.tier().and_then(Tier::up), "{role} {j} escalates to {to:?}");
                        }
                        if let Action::Assign { to } | Action::Escalate { to, .. } | Action::Arbitrate { to, .. } =
                            action
                        {
                            assert_ne!(to.id, OTHER_T, "{role} {j} moves to another township");
                        }
                    }
                }
            }
        }
    }
    assert!(allowed > 100, "the matrix allowed almost nothing ({allowed})");
}
