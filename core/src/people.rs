//! People of the grid system and who gets an event: the "人、机、格" binding of gridworkers to
//! devices and grids, and the assignment rule.
//!
//! **Assignment rule.** An event in grid G goes to (1) the on-duty full-time gridworker bound
//! to G (for a street-unit grid with none of its own: to its community grid's); else (2) the
//! on-duty grid leader (网格长) of G's village or community; else (3) the township centre.
//! Where several gridworkers qualify, the one with the lowest id.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::event::{Holder, Tier};

/// What a person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PersonRole))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 专职网格员 — full-time gridworker, bound to grids and a device.
    Gridworker,
    /// 网格长 — leads the grids of a village or community.
    GridLeader,
    /// 网格志愿者 — helps in one grid.
    Volunteer,
    /// 包联指导员 — township cadre guiding the grids.
    LiaisonInstructor,
    /// Staff of a village, township or county grid centre.
    CentreStaff,
    /// Handler in a functional department.
    DepartmentHandler,
}

impl Role {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gridworker => "gridworker",
            Self::GridLeader => "grid_leader",
            Self::Volunteer => "volunteer",
            Self::LiaisonInstructor => "liaison_instructor",
            Self::CentreStaff => "centre_staff",
            Self::DepartmentHandler => "department_handler",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Gridworker,
            Self::GridLeader,
            Self::Volunteer,
            Self::LiaisonInstructor,
            Self::CentreStaff,
            Self::DepartmentHandler,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A person in the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Stable id (e.g. `GW0001`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Code of the division (or department) the person belongs to.
    pub unit_code: String,
    /// Grids the person is bound to (gridworkers, volunteers).
    pub grids: Vec<String>,
    /// Bound device (gridworkers).
    pub device_id: Option<String>,
    /// Contact number (personal data: masked in lists).
    pub phone: String,
    /// On duty now (false on leave or vacant).
    pub on_duty: bool,
}

/// The roster indexed for assignment.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    people: Vec<Person>,
    workers_by_grid: HashMap<String, Vec<usize>>,
    leaders_by_village: HashMap<String, Vec<usize>>,
    by_device: HashMap<String, usize>,
}

/// A grid as the assignment rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct GridPlace<'a> {
    /// The grid's code.
    pub grid: &'a str,
    /// For a street unit, the community grid around it.
    pub parent_grid: Option<&'a str>,
    /// Village or community code.
    pub village: &'a str,
    /// Township code.
    pub township: &'a str,
}

impl Roster {
    /// Indexes people (ids are expected unique; order decides nothing).
    pub fn new(mut people: Vec<Person>) -> Self {
        people.sort_by(|a, b| a.id.cmp(&b.id));
        let mut r = Self { people, ..Self::default() };
        for (i, p) in r.people.iter().enumerate() {
            match p.role {
                Role::Gridworker => {
                    for g in &p.grids {
                        r.workers_by_grid.entry(g.clone()).or_default().push(i);
                    }
                }
                Role::GridLeader => r.leaders_by_village.entry(p.unit_code.clone()).or_default().push(i),
                _ => {}
            }
            if let Some(d) = &p.device_id {
                r.by_device.insert(d.clone(), i);
            }
        }
        r
    }

    /// Everyone, by id.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// The person with this id.
    pub fn get(&self, id: &str) -> Option<&Person> {
        self.people.binary_search_by(|p| p.id.as_str().cmp(id)).ok().map(|i| &self.people[i])
    }

    /// The gridworker bound to a device.
    pub fn by_device(&self, device: &str) -> Option<&Person> {
        self.by_device.get(device).map(|&i| &self.people[i])
    }

    /// Who gets an event in `place` (see the module docs for the rule).
    ///
    /// ```
    /// use wangge_core::people::{GridPlace, Person, Role, Roster};
    /// use wangge_core::event::Tier;
    /// let worker = Person { id: "GW1".into(), name: "王芳".into(), role: Role::Gridworker,
    ///     unit_code: "130730100".into(), grids: vec!["130730100001001".into()],
    ///     device_id: Some("D1".into()), phone: "13800000000".into(), on_duty: true };
    /// let roster = Roster::new(vec![worker]);
    /// let place = GridPlace { grid: "130730100001001", parent_grid: None,
    ///     village: "130730100001", township: "130730100" };
    /// assert_eq!(roster.assign(place).tier, Tier::Grid);
    /// let elsewhere = GridPlace { grid: "130730100002001", village: "130730100002", ..place };
    /// assert_eq!(roster.assign(elsewhere).tier, Tier::Township);
    /// ```
    pub fn assign(&self, place: GridPlace<'_>) -> Holder {
        let on_duty = |list: Option<&Vec<usize>>| {
            list.into_iter().flatten().map(|&i| &self.people[i]).find(|p| p.on_duty).map(|p| p.id.clone())
        };
        let worker = on_duty(self.workers_by_grid.get(place.grid))
            .or_else(|| place.parent_grid.and_then(|g| on_duty(self.workers_by_grid.get(g))));
        if let Some(id) = worker {
            return Holder { tier: Tier::Grid, id };
        }
        if let Some(id) = on_duty(self.leaders_by_village.get(place.village)) {
            return Holder { tier: Tier::Village, id };
        }
        Holder { tier: Tier::Township, id: place.township.to_string() }
    }

    /// Whether a gridworker reporting in `grid` is outside their own grids (a patrol report,
    /// accepted but flagged).
    pub fn outside_own_grids(&self, person: &Person, place: GridPlace<'_>) -> bool {
        person.role == Role::Gridworker
            && !person.grids.iter().any(|g| g == place.grid || Some(g.as_str()) == place.parent_grid)
    }
}

/// A functional department (职能部门) and what it is responsible for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Responsibility {
    /// Event category (wire name).
    pub category: String,
    /// Subcategory, or `None` for the category's default.
    pub subcategory: Option<String>,
    /// Department code.
    pub department: String,
}

/// The department responsible for an event: an exact subcategory row first, then the
/// category's default row.
pub fn route<'a>(table: &'a [Responsibility], category: &str, subcategory: &str) -> Option<&'a str> {
    let exact = table.iter().find(|r| r.category == category && r.subcategory.as_deref() == Some(subcategory));
    exact
        .or_else(|| table.iter().find(|r| r.category == category && r.subcategory.is_none()))
        .map(|r| r.department.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, role: Role, unit: &str, grids: &[&str], on_duty: bool) -> Person {
        Person {
            id: id.into(),
            name: id.into(),
            role,
            unit_code: unit.into(),
            grids: grids.iter().map(|g| g.to_string()).collect(),
            device_id: Some(format!("D-{id}")),
            phone: "13800000000".into(),
            on_duty,
        }
    }

    const PLACE: GridPlace<'static> =
        GridPlace { grid: "130730100001001", parent_grid: None, village: "130730100001", township: "130730100" };

    #[test]
    fn gridworker_then_leader_then_township() {
        let worker = person("GW2", Role::Gridworker, "130730100", &["130730100001001"], true);
        let leader = person("GL1", Role::GridLeader, "130730100001", &[], true);
        let r = Roster::new(vec![worker.clone(), leader.clone()]);
        assert_eq!(r.assign(PLACE), Holder { tier: Tier::Grid, id: "GW2".into() });
        let r = Roster::new(vec![Person { on_duty: false, ..worker.clone() }, leader.clone()]);
        assert_eq!(r.assign(PLACE), Holder { tier: Tier::Village, id: "GL1".into() });
        let r = Roster::new(vec![Person { on_duty: false, ..worker }, Person { on_duty: false, ..leader }]);
        assert_eq!(r.assign(PLACE), Holder { tier: Tier::Township, id: "130730100".into() });
    }

    #[test]
    fn lowest_id_wins_and_street_units_fall_back_to_their_parent() {
        let a = person("GW9", Role::Gridworker, "t", &["130730100001001"], true);
        let b = person("GW3", Role::Gridworker, "t", &["130730100001001"], true);
        let r = Roster::new(vec![a, b]);
        assert_eq!(r.assign(PLACE).id, "GW3");
        let su = GridPlace { grid: "130730100001Z01", parent_grid: Some("130730100001001"), ..PLACE };
        assert_eq!(r.assign(su).id, "GW3");
        let worker = r.get("GW3").unwrap();
        assert!(!r.outside_own_grids(worker, su));
        let far = GridPlace { grid: "130730100002001", village: "130730100002", ..PLACE };
        assert!(r.outside_own_grids(worker, far));
        assert_eq!(r.by_device("D-GW9").map(|p| p.id.as_str()), Some("GW9"));
    }

    #[test]
    fn routing_prefers_the_subcategory() {
        let t = vec![
            Responsibility { category: "hazard".into(), subcategory: None, department: "YJJ".into() },
            Responsibility { category: "hazard".into(), subcategory: Some("燃气".into()), department: "RQ".into() },
        ];
        assert_eq!(route(&t, "hazard", "燃气"), Some("RQ"));
        assert_eq!(route(&t, "hazard", "路灯"), Some("YJJ"));
        assert_eq!(route(&t, "dispute", "邻里"), None);
    }
}
