//! The demo county's registry at the county's real scale (deterministic, fictitious): the
//! 2020 census's 348,746 residents in family households of 2.39 people on average, 60.7 % in
//! the urban communities (sources in geodata/README.md); houses inside their grids (a house
//! per rural household, apartment buildings of up to 12 households in the communities),
//! people of the four kinds, special groups at plausible rates, organisations and places.
//!
//! Every citizen ID number starts with `1399`: prefecture 99 of Hebei, which GB/T 2260 has
//! never assigned, so no real person holds one; the rest of the number is well formed (birth
//! date, sex, check character), so it passes the same checks as real data.

use std::collections::BTreeMap;

use wangge_core::division::GridKind;
use wangge_core::registry::check_character;
use wangge_core::registry::check::credit_check_character;
use wangge_core::{GridIndex, LonLat};

use super::names;
use crate::plan::{apportion, Rng};

/// Residents at the 2020 census (第七次全国人口普查).
pub const RESIDENTS: usize = 348_746;
/// People per family household at the census, in hundredths.
pub const HOUSEHOLD_SIZE_X100: usize = 239;
/// Share of residents in the urban communities, in basis points (211,641 / 348,746).
pub const URBAN_BP: usize = 6069;
/// The fictitious region code of every demo ID number.
pub const ID_REGION: &str = "139930";

/// One generated record: its kind, its fields as a form would send them, and how many days
/// before the load it was last verified.
#[derive(Clone)]
pub struct DemoRecord {
    /// `house`, `household`, `person`, `organisation` or `place`.
    pub entity: &'static str,
    /// Its id.
    pub id: String,
    /// Field key → text (`village_code`, `lon`/`lat`, `house_id`… included).
    pub fields: BTreeMap<&'static str, String>,
    /// Days since it was collected or re-verified.
    pub verified_days_ago: u32,
}

/// A generated special-group membership.
#[derive(Debug, Clone)]
pub struct DemoSpecial {
    /// The group.
    pub group: &'static str,
    /// The person's record id.
    pub person_id: String,
    /// Position of the person's grid in the index.
    pub grid: usize,
    /// Days since the last follow-up (none yet when `None`).
    pub followed_days_ago: Option<u32>,
}

/// The whole generated registry.
pub struct Population {
    /// Houses, households, people, organisations and places, houses before the people in them.
    pub records: Vec<DemoRecord>,
    /// Special-group memberships.
    pub specials: Vec<DemoSpecial>,
}

/// Special groups and their rates per 100,000 residents.
const GROUPS: [(&str, usize); 6] = [
    ("released_prisoner", 100),
    ("community_correction", 30),
    ("mental_disorder", 400),
    ("drug_user", 50),
    ("aids", 10),
    ("key_youth", 100),
];

/// Household sizes 1–6 and their shares in per mille (mean 2.41, the census's 2.39 within rounding).
const SIZES: [(usize, usize); 6] = [(1, 250), (2, 360), (3, 210), (4, 110), (5, 50), (6, 20)];

fn pick<T: Copy>(rng: &mut Rng, weighted: &[(T, usize)]) -> T {
    let total: usize = weighted.iter().map(|w| w.1).sum();
    let mut r = rng.below(total);
    for (v, w) in weighted {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    weighted[0].0
}

/// A point inside grid `g` (rejection sampling in its bounding box).
fn point_in(index: &GridIndex, g: usize, rng: &mut Rng) -> Option<LonLat> {
    let [x0, y0, x1, y1] = index.bbox(g)?;
    for _ in 0..200 {
        let p = LonLat { lon: x0 + (x1 - x0) * rng.unit(), lat: y0 + (y1 - y0) * rng.unit() };
        if index.grid_at(p) == Some(g) {
            return Some(LonLat { lon: (p.lon * 1e6).round() / 1e6, lat: (p.lat * 1e6).round() / 1e6 });
        }
    }
    None
}

/// A fictitious ID number for someone born on `birth` (`YYYYMMDD`).
fn id_number(rng: &mut Rng, birth: &str, male: bool) -> String {
    let seq = rng.below(500) * 2 + usize::from(male);
    let first = format!("{ID_REGION}{birth}{seq:03}");
    let check = check_character(&first).unwrap_or('0');
    format!("{first}{check}")
}

/// A birth date for someone `age` years old on 2026-01-01.
fn birth(rng: &mut Rng, age: usize) -> String {
    let year = 2025usize.saturating_sub(age).max(1901);
    format!("{year}{:02}{:02}", 1 + rng.below(12), 1 + rng.below(28))
}

/// Days since verification: most records re-verified within the quarter, a tail older.
fn verified(rng: &mut Rng) -> u32 {
    if rng.unit() < 0.78 {
        u32::try_from(rng.below(90)).unwrap_or(0)
    } else {
        90 + u32::try_from(rng.below(640)).unwrap_or(0)
    }
}

/// Generates the registry of `residents` people (the county's is [`RESIDENTS`]) over the grids
/// of `index` (street units get none of their own: their houses are drawn in the community grid
/// around them and located where they fall).
pub fn population(index: &GridIndex, residents: usize) -> Population {
    let mut rng = Rng::new(0x1399_3000);
    let grids: Vec<usize> = (0..index.grids().len()).filter(|&g| index.grids()[g].kind != GridKind::StreetUnit).collect();
    let households = residents * 100 / HOUSEHOLD_SIZE_X100;
    let urban_share = URBAN_BP as f64 / 10_000.0;
    let (urban, rural): (Vec<usize>, Vec<usize>) = grids.iter().partition(|&&g| index.grids()[g].kind == GridKind::Community);
    let weights: Vec<f64> = grids
        .iter()
        .map(|&g| {
            let share = if index.grids()[g].kind == GridKind::Community { urban_share / urban.len().max(1) as f64 } else { (1.0 - urban_share) / rural.len().max(1) as f64 };
            share * (0.6 + 0.8 * Rng::new(g as u64).unit())
        })
        .collect();
    let per_grid = apportion(households, &weights);
    let mut out = Population { records: Vec::with_capacity(residents + households * 2), specials: Vec::new() };
    let mut n = Counter::default();
    let mut people = 0usize;
    for (&g, &count) in grids.iter().zip(&per_grid) {
        grid_population(index, g, count, (&mut rng, &mut n), &mut out, (&mut people, residents));
        if people >= residents {
            break;
        }
    }
    out
}

#[derive(Default)]
struct Counter {
    house: usize,
    household: usize,
    person: usize,
    organisation: usize,
    place: usize,
    /// ID numbers given, each once.
    ids: std::collections::HashSet<String>,
}

impl Counter {
    /// An ID number no one else in the county has.
    fn unique_id(&mut self, rng: &mut Rng, birth: &str, male: bool) -> String {
        loop {
            let n = id_number(rng, birth, male);
            if self.ids.insert(n.clone()) {
                return n;
            }
        }
    }
}

fn id(prefix: char, n: &mut usize) -> String {
    *n += 1;
    format!("{prefix}D{:07}", *n)
}

fn record(entity: &'static str, id: String, fields: Vec<(&'static str, String)>, rng: &mut Rng) -> DemoRecord {
    DemoRecord { entity, id, fields: fields.into_iter().collect(), verified_days_ago: verified(rng) }
}

fn grid_population(
    index: &GridIndex,
    g: usize,
    households: usize,
    (rng, n): (&mut Rng, &mut Counter),
    out: &mut Population,
    (people, residents): (&mut usize, usize),
) {
    let grid = &index.grids()[g];
    let urban = grid.kind == GridKind::Community;
    let village = grid.village.code.clone();
    let place = |p: LonLat| vec![("village_code", village.clone()), ("lon", p.lon.to_string()), ("lat", p.lat.to_string())];
    let mut building: Option<(String, LonLat, usize)> = None;
    for h in 0..households {
        let Some(at) = point_in(index, g, rng) else { return };
        // The house: a new one per rural household; an apartment building per 12 urban ones.
        let (house_id, house_at) = match &mut building {
            Some((id, p, used)) if urban && *used < 12 => {
                *used += 1;
                (id.clone(), *p)
            }
            _ => {
                let hid = id('H', &mut n.house);
                let address = format!("{}{}号", grid.village.name, h + 1);
                let mut f = place(at);
                f.extend([
                    ("use", if urban { "residential" } else { pick(rng, &[("residential", 90), ("mixed", 6), ("other", 4)]) }.to_owned()),
                    ("address", if urban { format!("{}{}号楼", grid.name, h / 12 + 1) } else { address }),
                    ("occupancy", pick(rng, &[("owner", 80), ("rented", 12), ("vacant", 6), ("lent", 2)]).to_owned()),
                    ("owner_name", names::name(rng)),
                    ("floors", if urban { (6 + rng.below(12)).to_string() } else { "1".to_owned() }),
                ]);
                out.records.push(record("house", hid.clone(), f, rng));
                building = Some((hid.clone(), at, 1));
                (hid, at)
            }
        };
        let size = pick(rng, &SIZES);
        let household_id = id('F', &mut n.household);
        let head = names::name(rng);
        let floating = urban && rng.unit() < 0.09;
        let mut f = place(house_at);
        f.extend([
            ("number", format!("{}{:05}", &village[6..], n.household % 100_000)),
            ("household_type", "family".to_owned()),
            ("head_name", head.clone()),
            ("house_id", house_id.clone()),
        ]);
        out.records.push(record("household", household_id.clone(), f, rng));
        let surname: String = head.chars().take(1).collect();
        for m in 0..size {
            let (relation, age) = match m {
                0 => ("02", 25 + rng.below(55)),
                1 => ("10", 25 + rng.below(55)),
                2 | 3 => (if rng.unit() < 0.5 { "20" } else { "30" }, rng.below(30)),
                _ => ("50", 60 + rng.below(30)),
            };
            let male = match relation {
                "20" => true,
                "30" => false,
                _ => rng.unit() < 0.5,
            };
            let name = if m == 0 { head.clone() } else if relation == "20" || relation == "30" { format!("{surname}{}", names::name(rng).chars().skip(1).collect::<String>()) } else { names::name(rng) };
            let kind = if floating {
                "floating"
            } else if !urban && ((age < 16 && rng.unit() < 0.18) || (age >= 65 && rng.unit() < 0.15)) {
                "left_behind"
            } else {
                "registered"
            };
            let pid = id('R', &mut n.person);
            let mut f = place(house_at);
            f.extend([
                ("kind", kind.to_owned()),
                ("name", name),
                ("id_number", { let b = birth(rng, age); n.unique_id(rng, &b, male) }),
                ("ethnicity", pick(rng, &[("01", 970), ("11", 12), ("03", 10), ("02", 8)]).to_owned()),
                ("relation", relation.to_owned()),
                ("house_id", house_id.clone()),
                ("household_id", household_id.clone()),
                ("current_address", format!("{}{}", grid.township.name, grid.village.name)),
            ]);
            if age >= 16 {
                f.push(("phone", names::phone(rng)));
            }
            match kind {
                "floating" => f.extend([
                    ("floating_reason", pick(rng, &[("work", 70), ("business", 15), ("family", 10), ("study", 5)]).to_owned()),
                    ("registered_address", "河北省张家口市外县".to_owned()),
                ]),
                "left_behind" => f.push(("left_behind_type", if age < 16 { "children" } else { "elderly" }.to_owned())),
                _ => f.push(("registered_address", format!("河北省张家口市怀来县{}{}", grid.township.name, grid.village.name))),
            }
            out.records.push(record("person", pid.clone(), f, rng));
            *people += 1;
            for (group, per_100k) in GROUPS {
                let fits = match group {
                    "key_youth" => (12..=25).contains(&age),
                    "community_correction" | "released_prisoner" | "drug_user" => (18..=70).contains(&age),
                    _ => age >= 12,
                };
                if fits && rng.below(100_000) < per_100k {
                    let followed = (rng.unit() < 0.9).then(|| u32::try_from(rng.below(45)).unwrap_or(0));
                    out.specials.push(DemoSpecial { group, person_id: pid.clone(), grid: g, followed_days_ago: followed });
                }
            }
            if *people >= residents {
                break;
            }
        }
        if *people >= residents {
            break;
        }
    }
    organisations_and_places(index, g, urban, rng, n, out);
}

fn organisations_and_places(index: &GridIndex, g: usize, urban: bool, rng: &mut Rng, n: &mut Counter, out: &mut Population) {
    let grid = &index.grids()[g];
    let village = grid.village.code.clone();
    let orgs = if urban { 6 + rng.below(6) } else { 1 + rng.below(3) };
    for _ in 0..orgs {
        let Some(at) = point_in(index, g, rng) else { return };
        let ty = pick(rng, &[("individual", 70), ("enterprise", 22), ("association", 4), ("private_nonprofit", 4)]);
        let head = if ty == "individual" { "92" } else if ty == "enterprise" { "91" } else { "52" };
        let org_code: String = (0..9).map(|_| char::from(b"0123456789ABCDEFGHJKLMNPQRTUWXY"[rng.below(31)])).collect();
        let first = format!("{head}{ID_REGION}{org_code}");
        let credit = format!("{first}{}", credit_check_character(&first).unwrap_or('0'));
        let name = format!("怀来县{}{}", grid.village.name, pick(rng, &[("便民超市", 3), ("五金店", 2), ("饭店", 2), ("农资经营部", 2), ("建材有限公司", 1), ("养殖专业合作社", 1)]));
        let fields = vec![
            ("village_code", village.clone()),
            ("lon", at.lon.to_string()),
            ("lat", at.lat.to_string()),
            ("type", ty.to_owned()),
            ("name", name),
            ("credit_code", credit),
            ("legal_rep", names::name(rng)),
            ("legal_rep_phone", names::phone(rng)),
            ("security_contact", names::name(rng)),
            ("employees", (1 + rng.below(if ty == "enterprise" { 80 } else { 5 })).to_string()),
        ];
        out.records.push(record("organisation", id('O', &mut n.organisation), fields, rng));
    }
    for _ in 0..(2 + rng.below(3)) {
        let Some(at) = point_in(index, g, rng) else { return };
        let (ty, what) = pick(rng, &[(("hazard_point", "燃气管线隐患点"), 3), (("hazard_point", "危旧房屋"), 2), (("key_site", "学校周边"), 2), (("public_venue", "文化广场"), 2), (("key_part", "河道护栏"), 1)]);
        let fields = vec![
            ("village_code", village.clone()),
            ("lon", at.lon.to_string()),
            ("lat", at.lat.to_string()),
            ("type", ty.to_owned()),
            ("name", format!("{}{}", grid.village.name, what)),
            ("risk_level", pick(rng, &[("low", 6), ("medium", 3), ("high", 1)]).to_owned()),
            ("responsible", names::name(rng)),
            ("responsible_phone", names::phone(rng)),
        ];
        out.records.push(record("place", id('L', &mut n.place), fields, rng));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn id_numbers_are_well_formed_and_never_real() {
        let mut rng = Rng::new(1);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        for age in [0, 17, 45, 99] {
            let b = birth(&mut rng, age);
            let n = id_number(&mut rng, &b, age % 2 == 1);
            let id = wangge_core::registry::IdNumber::parse(&n, today).unwrap();
            assert!(n.starts_with("1399"));
            assert_eq!(id.sex() == wangge_core::registry::Sex::Male, age % 2 == 1);
        }
    }
}
