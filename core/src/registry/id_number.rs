//! 公民身份号码, the citizen ID number of GB 11643-1999: a 6-digit address code (province,
//! prefecture, county), the 8-digit birth date, a 3-digit sequence (odd for men, even for
//! women) and a check character computed by ISO 7064 MOD 11-2 (`0`–`9` or `X`). Pure: what a
//! number says and whether it is well formed; nothing here stores or shows it (masking is
//! [`IdNumber::masked`]).

use chrono::{Datelike, NaiveDate};

/// A well-formed citizen ID number (18 characters, the check character upper case).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Sex as the number's sequence digit says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Odd sequence.
    Male,
    /// Even sequence.
    Female,
}

/// Why a text is not a citizen ID number (the reason given to whoever typed it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not 18 characters.
    #[error("a citizen ID number has 18 characters; got {0}")]
    Length(usize),
    /// A character that does not belong at its place (1-based).
    #[error("character {0} of a citizen ID number must be a digit (the 18th may be X)")]
    Character(usize),
    /// No such province.
    #[error("{0} is not a province code (the first two digits)")]
    Province(String),
    /// The birth date is not a date, or before 1900, or after today.
    #[error("the birth date {0} in the number is not a possible date of birth")]
    BirthDate(String),
    /// The check character does not match.
    #[error("the check character is {got}, but the first 17 digits give {expected}: a digit was mistyped")]
    CheckCharacter {
        /// What the first 17 digits give.
        expected: char,
        /// What was typed.
        got: char,
    },
    /// The birth date given beside the number differs from the number's.
    #[error("the birth date {given} differs from the number's {number}")]
    BirthMismatch {
        /// Given beside the number.
        given: NaiveDate,
        /// In the number.
        number: NaiveDate,
    },
    /// The sex given beside the number differs from the number's.
    #[error("the sex given differs from the number's ({0:?})")]
    SexMismatch(Sex),
}

/// The provinces' codes (the first two digits): the 31 provinces, autonomous regions and
/// municipalities, Taiwan (71), Hong Kong (81) and Macao (82) — residence permits use 81–83.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
];

/// The weights of ISO 7064 MOD 11-2 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of the first 17 digits (`None` if they are not 17 digits).
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    CHECK.get((sum % 11) as usize).copied()
}

impl IdNumber {
    /// Checks `text` (spaces around it ignored, `x` taken as `X`) as a number of someone born
    /// by `today`.
    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, IdError> {
        let t = text.trim().to_ascii_uppercase();
        let chars = t.chars().count();
        if chars != 18 {
            return Err(IdError::Length(chars));
        }
        for (i, c) in t.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                return Err(IdError::Character(i + 1));
            }
        }
        if !PROVINCES.contains(&&t[0..2]) {
            return Err(IdError::Province(t[0..2].to_owned()));
        }
        let birth = &t[6..14];
        let date = NaiveDate::parse_from_str(birth, "%Y%m%d").map_err(|_| IdError::BirthDate(birth.to_owned()))?;
        if date.year() < 1900 || date > today {
            return Err(IdError::BirthDate(birth.to_owned()));
        }
        let expected = check_character(&t[0..17]).ok_or(IdError::Character(1))?;
        let got = t.chars().nth(17).unwrap_or(' ');
        if expected != got {
            return Err(IdError::CheckCharacter { expected, got });
        }
        Ok(Self(t))
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit address code where the number was issued.
    pub fn region(&self) -> &str {
        &self.0[0..6]
    }

    /// The date of birth in the number.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// The sex in the number (the 17th digit: odd for men).
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes().get(16).map_or(0, |b| b - b'0');
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Checks a birth date and sex given beside the number against it.
    pub fn agrees(&self, birth: Option<NaiveDate>, sex: Option<Sex>) -> Result<(), IdError> {
        if let Some(given) = birth.filter(|b| *b != self.birth_date()) {
            return Err(IdError::BirthMismatch { given, number: self.birth_date() });
        }
        if sex.is_some_and(|s| s != self.sex()) {
            return Err(IdError::SexMismatch(self.sex()));
        }
        Ok(())
    }

    /// The number as shown to anyone who did not ask to reveal it: the first four and the last
    /// four characters (`1307**********1234`).
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[0..4], "*".repeat(10), &self.0[14..18])
    }
}

impl std::fmt::Debug for IdNumber {
    /// Never the whole number, even in a debug print or a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    /// A number with its check character computed.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_character(first17).unwrap())
    }

    #[test]
    fn the_check_character_follows_iso_7064() {
        // The standard's own example (GB 11643-1999, annex): 11010519491231002X.
        assert_eq!(check_character("11010519491231002"), Some('X'));
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region(), "110105");
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"), "debug prints mask it");
    }

    #[test]
    fn bad_numbers_are_refused_with_the_reason() {
        let good = with_check("13073019850612003");
        assert_eq!(IdNumber::parse(&good, today()).unwrap().sex(), Sex::Male);
        let cases = [
            ("1307301985061200", IdError::Length(16)),
            ("13073019850612003A", IdError::Character(18)),
            ("1307301985O612003X", IdError::Character(11)),
        ];
        for (text, error) in cases {
            assert_eq!(IdNumber::parse(text, today()), Err(error), "{text}");
        }
        assert!(matches!(IdNumber::parse(&with_check("99073019850612003"), today()), Err(IdError::Province(_))));
        assert!(matches!(IdNumber::parse(&with_check("13073019850230003"), today()), Err(IdError::BirthDate(_))));
        assert!(matches!(IdNumber::parse(&with_check("13073018990101003"), today()), Err(IdError::BirthDate(_))));
        assert!(matches!(IdNumber::parse(&with_check("13073020300101003"), today()), Err(IdError::BirthDate(_))));
        // One digit mistyped: the check character finds it.
        let mut typo = good.clone().into_bytes();
        typo[15] = if typo[15] == b'9' { b'8' } else { typo[15] + 1 };
        let typo = String::from_utf8(typo).unwrap();
        assert!(matches!(IdNumber::parse(&typo, today()), Err(IdError::CheckCharacter { .. })), "{typo}");
    }

    #[test]
    fn birth_date_and_sex_beside_the_number_must_agree() {
        let id = IdNumber::parse(&with_check("13073019850612004"), today()).unwrap();
        let born = NaiveDate::from_ymd_opt(1985, 6, 12).unwrap();
        assert_eq!(id.agrees(Some(born), Some(Sex::Female)), Ok(()));
        assert!(matches!(id.agrees(Some(born.succ_opt().unwrap()), None), Err(IdError::BirthMismatch { .. })));
        assert_eq!(id.agrees(None, Some(Sex::Male)), Err(IdError::SexMismatch(Sex::Female)));
    }
}
