//! Jurisdictions (管辖范围): the county, one township or one village, named by official code,
//! and what each covers by code prefix.

use serde::{Deserialize, Serialize};

/// The level of an official code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeLevel {
    /// 县 — 6 digits.
    County,
    /// 乡镇 — 9 digits.
    Township,
    /// 村 / 社区 — 12 digits.
    Village,
    /// 网格 — the village code plus 3 digits, or `Z` and 2 digits for a street unit.
    Grid,
}

impl CodeLevel {
    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
            Self::Grid => "grid",
        }
    }

    /// The level of a well-formed division or grid code.
    ///
    /// ```
    /// use wangge_core::access::CodeLevel;
    /// assert_eq!(CodeLevel::of("130730100001Z01"), Ok(CodeLevel::Grid));
    /// assert!(CodeLevel::of("13073010").is_err());
    /// ```
    pub fn of(code: &str) -> Result<Self, CodeError> {
        let b = code.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let level = match b.len() {
            6 if digits(b) => Self::County,
            9 if digits(b) => Self::Township,
            12 if digits(b) => Self::Village,
            15 if digits(&b[..12]) && (digits(&b[12..]) || is_street_unit(&b[12..])) => Self::Grid,
            _ => return Err(CodeError::Malformed(clip(code))),
        };
        Ok(level)
    }
}

fn is_street_unit(tail: &[u8]) -> bool {
    matches!(tail, [b'Z', a, b] if a.is_ascii_digit() && b.is_ascii_digit())
}

/// The start of a bad code, for the error message (never the whole input).
fn clip(s: &str) -> String {
    s.chars().take(20).collect()
}

/// A code that is not a jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not a 6-, 9-, 12- or 15-character official code.
    #[error("`{0}` is not a division or grid code (9 digits for a township, 12 for a village, 15 for a grid)")]
    Malformed(String),
    /// A grid or county code where a jurisdiction is expected.
    #[error("a jurisdiction is `county`, a 9-digit township code or a 12-digit village code, not a {0} code")]
    NotAJurisdiction(&'static str),
}

/// Where a grant applies: the whole county (a deployment serves one county), one township or
/// one village. Written `county`, a 9-digit or a 12-digit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Jurisdiction {
    /// 全县 — everything.
    County,
    /// 乡镇 — a township (9-digit code) with its villages and grids.
    Township(String),
    /// 村 / 社区 — a village or community (12-digit code) with its grids.
    Village(String),
}

impl Jurisdiction {
    /// Parses `county`, a township code or a village code.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        if s == "county" {
            return Ok(Self::County);
        }
        match CodeLevel::of(s)? {
            CodeLevel::Township => Ok(Self::Township(s.to_string())),
            CodeLevel::Village => Ok(Self::Village(s.to_string())),
            other => Err(CodeError::NotAJurisdiction(other.as_str())),
        }
    }

    /// The level: county, township or village.
    pub fn level(&self) -> CodeLevel {
        match self {
            Self::County => CodeLevel::County,
            Self::Township(_) => CodeLevel::Township,
            Self::Village(_) => CodeLevel::Village,
        }
    }

    /// The township or village code (`None` for the county), e.g. to filter a query by.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::County => None,
            Self::Township(c) | Self::Village(c) => Some(c),
        }
    }

    /// The wire form: `county` or the code.
    pub fn as_str(&self) -> &str {
        self.code().unwrap_or("county")
    }

    /// Whether something in `township` and `village` (codes; `village` may be empty when the
    /// place has none) is inside.
    pub fn covers(&self, township: &str, village: &str) -> bool {
        match self {
            Self::County => true,
            Self::Township(t) => t == township,
            Self::Village(v) => v == village,
        }
    }

    /// Whether a township, village or grid code is inside: the county covers every code, a
    /// township its own code and the codes under it, a village itself and its grids. A
    /// malformed code is covered by nothing but the county's grants — and not even by those.
    pub fn covers_code(&self, code: &str) -> bool {
        if CodeLevel::of(code).is_err() {
            return false;
        }
        match self.code() {
            None => true,
            Some(own) => code.starts_with(own),
        }
    }

    /// Whether `other` lies wholly inside this jurisdiction.
    pub fn contains(&self, other: &Jurisdiction) -> bool {
        match other.code() {
            None => *self == Self::County,
            Some(code) => self.covers_code(code),
        }
    }
}

impl std::fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, CodeError> {
        Self::parse(&s)
    }
}

impl From<Jurisdiction> for String {
    fn from(j: Jurisdiction) -> String {
        j.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "130730100";
    const V: &str = "130730100001";
    const G: &str = "130730100001001";
    const SU: &str = "130730100001Z01";

    #[test]
    fn code_levels() {
        assert_eq!(CodeLevel::of("130730"), Ok(CodeLevel::County));
        assert_eq!(CodeLevel::of(T), Ok(CodeLevel::Township));
        assert_eq!(CodeLevel::of(V), Ok(CodeLevel::Village));
        assert_eq!(CodeLevel::of(G), Ok(CodeLevel::Grid));
        assert_eq!(CodeLevel::of(SU), Ok(CodeLevel::Grid));
        for bad in
            ["", "1307301", "13073010a", "130730100001Z1X", "130730100001ZZ1", "13073010000１001", "130730100001z01"]
        {
            assert!(CodeLevel::of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_and_wire_form() {
        assert_eq!(Jurisdiction::parse("county"), Ok(Jurisdiction::County));
        assert_eq!(Jurisdiction::parse(T), Ok(Jurisdiction::Township(T.into())));
        assert_eq!(Jurisdiction::parse(V), Ok(Jurisdiction::Village(V.into())));
        assert_eq!(Jurisdiction::parse(G), Err(CodeError::NotAJurisdiction("grid")));
        assert_eq!(Jurisdiction::parse("130730"), Err(CodeError::NotAJurisdiction("county")));
        assert!(matches!(Jurisdiction::parse("1307 30100"), Err(CodeError::Malformed(_))));
        for s in ["county", T, V] {
            let j = Jurisdiction::parse(s).unwrap();
            assert_eq!(j.to_string(), s);
            let json = serde_json::to_string(&j).unwrap();
            assert_eq!(serde_json::from_str::<Jurisdiction>(&json).unwrap(), j);
        }
        assert!(serde_json::from_str::<Jurisdiction>("\"130730100001001\"").is_err());
    }

    #[test]
    fn covers_by_place() {
        let county = Jurisdiction::County;
        let town = Jurisdiction::parse(T).unwrap();
        let village = Jurisdiction::parse(V).unwrap();
        assert!(county.covers("130730200", "130730200003"));
        assert!(town.covers(T, V) && town.covers(T, "130730100009") && town.covers(T, ""));
        assert!(!town.covers("130730101", "130730101001"));
        assert!(village.covers(T, V));
        assert!(!village.covers(T, "130730100002"));
        assert!(!village.covers(T, ""));
    }

    #[test]
    fn covers_by_code_prefix() {
        let town = Jurisdiction::parse(T).unwrap();
        let village = Jurisdiction::parse(V).unwrap();
        for code in [T, V, G, SU] {
            assert!(town.covers_code(code), "{code}");
            assert!(Jurisdiction::County.covers_code(code));
        }
        assert!(village.covers_code(V) && village.covers_code(G) && village.covers_code(SU));
        assert!(!village.covers_code(T), "a village does not cover its township");
        assert!(!village.covers_code("130730100002001"));
        // 130730100 is a prefix of 1307301001 but that is no code at all.
        assert!(!town.covers_code("1307301001"));
        assert!(!town.covers_code("130730101001"));
        assert!(!town.covers_code("130730"));
        assert!(!Jurisdiction::County.covers_code("not-a-code"));
    }

    #[test]
    fn containment() {
        let county = Jurisdiction::County;
        let town = Jurisdiction::parse(T).unwrap();
        let village = Jurisdiction::parse(V).unwrap();
        assert!(county.contains(&town) && county.contains(&village) && county.contains(&county));
        assert!(town.contains(&village) && town.contains(&town));
        assert!(!town.contains(&county) && !village.contains(&town));
        assert!(!town.contains(&Jurisdiction::parse("130730101001").unwrap()));
    }
}
