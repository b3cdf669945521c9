//! The county's townships, villages and grids with their shapes, and the rules a dataset obeys.

use std::collections::HashMap;

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use wangge_core::GridKind;

/// Why a dataset is inconsistent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
    /// A code does not have the official shape.
    #[error("{what} code {code:?} is malformed: expected {expected}")]
    BadCode {
        /// `"township"`, `"village"` or `"grid"`.
        what: &'static str,
        /// The code given.
        code: String,
        /// What a code of this kind looks like.
        expected: &'static str,
    },
    /// Two items share a code.
    #[error("{what} {code} appears twice")]
    Duplicate {
        /// `"township"`, `"village"` or `"grid"`.
        what: &'static str,
        /// The repeated code.
        code: String,
    },
    /// An item refers to a division or grid that is not in the dataset.
    #[error("{what} {code}: {field} {target} does not exist")]
    Dangling {
        /// `"village"` or `"grid"`.
        what: &'static str,
        /// The item's code.
        code: String,
        /// The referring field.
        field: &'static str,
        /// The missing code.
        target: String,
    },
    /// An item disagrees with the division it belongs to.
    #[error("{what} {code}: {field} is {found:?} but should be {expected:?}")]
    Mismatch {
        /// `"village"` or `"grid"`.
        what: &'static str,
        /// The item's code.
        code: String,
        /// The disagreeing field.
        field: &'static str,
        /// The value given.
        found: String,
        /// The value implied by the parent division.
        expected: String,
    },
    /// A number that must be finite and non-negative is not.
    #[error("{what} {code}: area_km2 {value} is not a non-negative number")]
    BadArea {
        /// `"township"`, `"village"` or `"grid"`.
        what: &'static str,
        /// The item's code.
        code: String,
        /// The value given.
        value: f64,
    },
    /// A dataset without grids cannot be served.
    #[error("the dataset has no grids")]
    NoGrids,
}

/// Whether a village-level division is a rural village or an urban community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VillageKind {
    /// 行政村 — a rural administrative village.
    Village,
    /// 社区 — an urban residents' community.
    Community,
}

impl VillageKind {
    /// The stable wire name (`village`, `community`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Village => "village",
            Self::Community => "community",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "village" => Some(Self::Village),
            "community" => Some(Self::Community),
            _ => None,
        }
    }
}

/// 乡镇 — a township or town of the county.
#[derive(Debug, Clone, PartialEq)]
pub struct Township {
    /// 9-digit division code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Area in square kilometres.
    pub area_km2: f64,
    /// Boundary in lon/lat degrees.
    pub geometry: MultiPolygon<f64>,
}

/// 村 / 社区 — a village or community of a township.
#[derive(Debug, Clone, PartialEq)]
pub struct Village {
    /// 12-digit division code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Village or community.
    pub kind: VillageKind,
    /// The township it belongs to.
    pub township_code: String,
    /// Area in square kilometres.
    pub area_km2: f64,
    /// Boundary in lon/lat degrees.
    pub geometry: MultiPolygon<f64>,
}

/// 网格 — a grid with its divisions' names and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// 15-character grid code: the village code plus 3 digits, or `Z` and 2 digits for street units.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Community, rural or street unit.
    pub kind: GridKind,
    /// The village or community it belongs to.
    pub village_code: String,
    /// That village's name.
    pub village_name: String,
    /// The township it belongs to.
    pub township_code: String,
    /// That township's name.
    pub township_name: String,
    /// For a street unit, the community grid it is nested in.
    pub parent_grid: Option<String>,
    /// Area in square kilometres.
    pub area_km2: f64,
    /// Boundary in lon/lat degrees.
    pub geometry: MultiPolygon<f64>,
}

/// Everything one load puts into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Where it came from (a directory or a URL), for the record.
    pub source: String,
    /// Attribution and the statement that internal boundaries are illustrative.
    pub note: String,
    /// Townships.
    pub townships: Vec<Township>,
    /// Villages and communities.
    pub villages: Vec<Village>,
    /// Grids.
    pub grids: Vec<Grid>,
}

/// What the store remembers about the dataset it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// Row key of the load.
    pub dataset_id: i64,
    /// Where it came from.
    pub source: String,
    /// Attribution and the statement that internal boundaries are illustrative.
    pub note: String,
    /// When it was loaded (UTC, RFC 3339).
    pub created_at: String,
}

impl Dataset {
    /// Checks codes, uniqueness, references between levels and names against their parents.
    pub fn validate(&self) -> Result<(), DatasetError> {
        if self.grids.is_empty() {
            return Err(DatasetError::NoGrids);
        }
        let townships = self.check_townships()?;
        let villages = self.check_villages(&townships)?;
        self.check_grids(&townships, &villages)
    }

    fn check_townships(&self) -> Result<HashMap<&str, &Township>, DatasetError> {
        let mut seen = HashMap::new();
        for t in &self.townships {
            check_digits("township", &t.code, 9, "9 digits")?;
            check_area("township", &t.code, t.area_km2)?;
            if seen.insert(t.code.as_str(), t).is_some() {
                return Err(DatasetError::Duplicate { what: "township", code: t.code.clone() });
            }
        }
        Ok(seen)
    }

    fn check_villages<'a>(
        &'a self,
        townships: &HashMap<&str, &Township>,
    ) -> Result<HashMap<&'a str, &'a Village>, DatasetError> {
        let mut seen = HashMap::new();
        for v in &self.villages {
            check_digits("village", &v.code, 12, "12 digits")?;
            check_area("village", &v.code, v.area_km2)?;
            if !townships.contains_key(v.township_code.as_str()) {
                return Err(dangling("village", &v.code, "township_code", &v.township_code));
            }
            if !v.code.starts_with(&v.township_code) {
                let expected = format!("{}…", v.township_code);
                return Err(mismatch("village", &v.code, "code", &v.code, &expected));
            }
            if seen.insert(v.code.as_str(), v).is_some() {
                return Err(DatasetError::Duplicate { what: "village", code: v.code.clone() });
            }
        }
        Ok(seen)
    }

    fn check_grids(
        &self,
        townships: &HashMap<&str, &Township>,
        villages: &HashMap<&str, &Village>,
    ) -> Result<(), DatasetError> {
        let by_code = self.grids_by_code()?;
        for g in &self.grids {
            let village = villages
                .get(g.village_code.as_str())
                .ok_or_else(|| dangling("grid", &g.code, "village_code", &g.village_code))?;
            let township = townships
                .get(g.township_code.as_str())
                .ok_or_else(|| dangling("grid", &g.code, "township_code", &g.township_code))?;
            check_grid_code(g)?;
            check_area("grid", &g.code, g.area_km2)?;
            check_same("township_code", g, &g.township_code, &village.township_code)?;
            check_same("village_name", g, &g.village_name, &village.name)?;
            check_same("township_name", g, &g.township_name, &township.name)?;
            check_parent(g, &by_code)?;
        }
        Ok(())
    }

    fn grids_by_code(&self) -> Result<HashMap<&str, &Grid>, DatasetError> {
        let mut seen = HashMap::new();
        for g in &self.grids {
            if seen.insert(g.code.as_str(), g).is_some() {
                return Err(DatasetError::Duplicate { what: "grid", code: g.code.clone() });
            }
        }
        Ok(seen)
    }
}

/// A street unit names a community grid of its own village as parent; other grids name none.
fn check_parent(g: &Grid, grids: &HashMap<&str, &Grid>) -> Result<(), DatasetError> {
    let parent = match (&g.parent_grid, g.kind) {
        (None, GridKind::StreetUnit) => {
            return Err(mismatch("grid", &g.code, "parent_grid", "null", "a community grid code"))
        }
        (Some(p), kind) if kind != GridKind::StreetUnit => {
            return Err(mismatch("grid", &g.code, "parent_grid", p, "null"))
        }
        (None, _) => return Ok(()),
        (Some(p), _) => p,
    };
    let found = grids.get(parent.as_str()).ok_or_else(|| dangling("grid", &g.code, "parent_grid", parent))?;
    if found.kind != GridKind::Community {
        return Err(mismatch("grid", &g.code, "parent_grid kind", found.kind.as_str(), "community"));
    }
    check_same("parent_grid village_code", g, &found.village_code, &g.village_code)
}

fn check_grid_code(g: &Grid) -> Result<(), DatasetError> {
    let bad = |expected| DatasetError::BadCode { what: "grid", code: g.code.clone(), expected };
    if !g.code.is_ascii() || g.code.len() != 15 {
        return Err(bad("15 characters"));
    }
    let (village, tail) = g.code.split_at(12);
    if village != g.village_code {
        return Err(mismatch("grid", &g.code, "code prefix", village, &g.village_code));
    }
    let ok = match g.kind {
        GridKind::StreetUnit => tail.starts_with('Z') && all_digits(&tail[1..]),
        _ => all_digits(tail),
    };
    if !ok {
        return Err(bad("the village code then 3 digits, or Z and 2 digits for a street unit"));
    }
    Ok(())
}

fn check_digits(what: &'static str, code: &str, len: usize, expected: &'static str) -> Result<(), DatasetError> {
    if code.len() == len && all_digits(code) {
        Ok(())
    } else {
        Err(DatasetError::BadCode { what, code: code.to_owned(), expected })
    }
}

fn check_area(what: &'static str, code: &str, value: f64) -> Result<(), DatasetError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(DatasetError::BadArea { what, code: code.to_owned(), value })
    }
}

fn check_same(field: &'static str, g: &Grid, found: &str, expected: &str) -> Result<(), DatasetError> {
    if found == expected {
        Ok(())
    } else {
        Err(mismatch("grid", &g.code, field, found, expected))
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn dangling(what: &'static str, code: &str, field: &'static str, target: &str) -> DatasetError {
    DatasetError::Dangling { what, code: code.to_owned(), field, target: target.to_owned() }
}

fn mismatch(what: &'static str, code: &str, field: &'static str, found: &str, expected: &str) -> DatasetError {
    DatasetError::Mismatch {
        what,
        code: code.to_owned(),
        field,
        found: found.to_owned(),
        expected: expected.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![(x: 115.0, y: 40.0), (x: 115.1, y: 40.0), (x: 115.1, y: 40.1), (x: 115.0, y: 40.0)]])
    }

    fn grid(code: &str, kind: GridKind, parent: Option<&str>) -> Grid {
        Grid {
            code: code.into(),
            name: code.into(),
            kind,
            village_code: "130730100001".into(),
            village_name: "东关社区".into(),
            township_code: "130730100".into(),
            township_name: "沙城镇".into(),
            parent_grid: parent.map(Into::into),
            area_km2: 1.0,
            geometry: square(),
        }
    }

    fn dataset(grids: Vec<Grid>) -> Dataset {
        Dataset {
            source: "test".into(),
            note: "illustrative".into(),
            townships: vec![Township {
                code: "130730100".into(),
                name: "沙城镇".into(),
                area_km2: 1.0,
                geometry: square(),
            }],
            villages: vec![Village {
                code: "130730100001".into(),
                name: "东关社区".into(),
                kind: VillageKind::Community,
                township_code: "130730100".into(),
                area_km2: 1.0,
                geometry: square(),
            }],
            grids,
        }
    }

    #[test]
    fn accepts_a_street_unit_inside_a_community_grid() {
        let d = dataset(vec![
            grid("130730100001001", GridKind::Community, None),
            grid("130730100001Z01", GridKind::StreetUnit, Some("130730100001001")),
        ]);
        assert_eq!(d.validate(), Ok(()));
    }

    #[test]
    fn refuses_dangling_parents_duplicates_and_bad_codes() {
        let orphan = dataset(vec![grid("130730100001Z01", GridKind::StreetUnit, Some("130730100001009"))]);
        assert!(matches!(orphan.validate(), Err(DatasetError::Dangling { field: "parent_grid", .. })));
        let twice = dataset(vec![
            grid("130730100001001", GridKind::Community, None),
            grid("130730100001001", GridKind::Community, None),
        ]);
        assert!(matches!(twice.validate(), Err(DatasetError::Duplicate { what: "grid", .. })));
        let bad = dataset(vec![grid("13073010000100A", GridKind::Community, None)]);
        assert!(matches!(bad.validate(), Err(DatasetError::BadCode { what: "grid", .. })));
        let foreign = dataset(vec![grid("130730100002001", GridKind::Community, None)]);
        assert!(matches!(foreign.validate(), Err(DatasetError::Mismatch { field: "code prefix", .. })));
    }

    #[test]
    fn refuses_names_that_disagree_with_the_village() {
        let mut g = grid("130730100001001", GridKind::Community, None);
        g.village_name = "西关社区".into();
        assert!(matches!(dataset(vec![g]).validate(), Err(DatasetError::Mismatch { field: "village_name", .. })));
    }
}
