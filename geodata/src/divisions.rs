//! The real division list (county → townships → villages/communities) from `divisions.csv`.

use crate::GenError;

/// A township (乡镇).
#[derive(Debug, Clone)]
pub struct TownshipRow {
    /// 9-digit code.
    pub code: String,
    /// Official name.
    pub name: String,
}

/// A village (村) or community (社区).
#[derive(Debug, Clone)]
pub struct VillageRow {
    /// 12-digit code.
    pub code: String,
    /// Official name of its committee (…村民委员会 / …社区居民委员会).
    pub name: String,
    /// Code of its township.
    pub township_code: String,
    /// Urban community rather than rural village.
    pub community: bool,
}

impl VillageRow {
    /// The short name: the committee suffix dropped (华祥社区居民委员会 → 华祥社区).
    pub fn short_name(&self) -> &str {
        ["居民委员会", "村民委员会", "委员会"]
            .iter()
            .find_map(|s| self.name.strip_suffix(s))
            .unwrap_or(&self.name)
    }
}

/// The county and its divisions.
#[derive(Debug, Clone)]
pub struct Divisions {
    /// County code and name.
    pub county: (String, String),
    /// Townships in file order.
    pub townships: Vec<TownshipRow>,
    /// Villages in file order.
    pub villages: Vec<VillageRow>,
}

/// Parses `level,code,name,parent_code` rows.
pub fn parse(csv: &str) -> Result<Divisions, GenError> {
    let mut county = None;
    let (mut townships, mut villages) = (Vec::new(), Vec::new());
    for (n, line) in csv.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.trim().split(',').collect();
        let [level, code, name, parent] = f[..] else {
            return Err(GenError::Input(format!("divisions.csv line {}: expected 4 fields", n + 1)));
        };
        match level {
            "county" => county = Some((code.to_string(), name.to_string())),
            "township" => townships.push(TownshipRow { code: code.into(), name: name.into() }),
            "village" => villages.push(VillageRow {
                code: code.into(),
                name: name.into(),
                township_code: parent.into(),
                // Statistical codes 001–199 are residents' committees (居委会), 200+ villages.
                community: matches!(code.as_bytes().get(9), Some(b'0' | b'1')),
            }),
            other => return Err(GenError::Input(format!("divisions.csv line {}: unknown level {other}", n + 1))),
        }
    }
    let county = county.ok_or_else(|| GenError::Input("divisions.csv: no county row".into()))?;
    Ok(Divisions { county, townships, villages })
}
