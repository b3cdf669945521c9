//! Checking a registry record's fields as typed into a form, sent as JSON or read from a
//! spreadsheet row: every value is text here, each is checked against its field
//! ([`super::schema`]), and every problem is reported with its field, not only the first.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::codes;
use super::id_number::{IdNumber, Sex};
use super::schema::{Entity, Field, FieldType};
use crate::access::{mask_id_number, mask_phone};

/// One field's problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The field's key.
    pub field: String,
    /// Why its value was refused.
    pub reason: String,
}

fn problem(field: &str, reason: impl Into<String>) -> Problem {
    Problem { field: field.to_owned(), reason: reason.into() }
}

/// The values of one record after the check: codes normalised (a label becomes its code),
/// numbers and dates in their canonical text.
#[derive(Clone, PartialEq, Default)]
pub struct Values {
    /// Every field given, by key (secret ones included).
    pub all: BTreeMap<String, String>,
}

impl std::fmt::Debug for Values {
    /// Only the keys: the values hold personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.all.keys()).finish()
    }
}

impl Values {
    /// A value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.all.get(key).map(String::as_str)
    }

    /// The values of the fields that are not secret and not where-it-is (village, point and
    /// links, which the store keeps in their own columns).
    pub fn plain(&self, fields: &[Field]) -> BTreeMap<String, String> {
        self.pick(fields, |f| !f.secret && !structural(f))
    }

    /// The values of the secret fields.
    pub fn secrets(&self, fields: &[Field]) -> BTreeMap<String, String> {
        self.pick(fields, |f| f.secret)
    }

    fn pick(&self, fields: &[Field], keep: impl Fn(&Field) -> bool) -> BTreeMap<String, String> {
        fields
            .iter()
            .filter(|f| keep(f))
            .filter_map(|f| self.all.get(f.key).map(|v| (f.key.to_owned(), v.clone())))
            .collect()
    }
}

/// Fields the store keeps in columns of their own.
fn structural(f: &Field) -> bool {
    matches!(f.key, "village_code" | "lon" | "lat" | "house_id" | "household_id")
}

/// How a secret value is shown: ID numbers as `1307**********1234`, phones as `139****4321`,
/// other document numbers with their ends.
///
/// ```
/// use wangge_core::registry::check::masked;
/// use wangge_core::registry::schema::Entity;
/// let id = Entity::Person.field("id_number").unwrap();
/// assert_eq!(masked(id, "11010519491231002X"), "1101**********002X");
/// ```
pub fn masked(field: &Field, value: &str) -> String {
    match field.ty {
        FieldType::IdNumber => match IdNumber::parse(value, NaiveDate::MAX) {
            Ok(id) => id.masked(),
            Err(_) => mask_id_number(value),
        },
        FieldType::Phone => mask_phone(value),
        _ => mask_id_number(value),
    }
}

/// Checks `input` (key or Chinese label → text; empty texts are absent) against `fields`,
/// `subtype` naming the field whose code decides which type-specific fields apply.
pub fn check_fields(
    fields: &'static [Field],
    subtype: Option<&str>,
    input: &BTreeMap<String, String>,
    today: NaiveDate,
) -> Result<Values, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut given: BTreeMap<&'static str, &str> = BTreeMap::new();
    for (key, text) in input {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match fields.iter().find(|f| f.key == key || f.zh == key) {
            Some(f) => {
                given.insert(f.key, text);
            }
            None => problems.push(problem(key, "no such field")),
        }
    }
    let kind = subtype.and_then(|s| given.get(s).copied());
    let kind = kind.map(|k| {
        fields.iter().find(|f| Some(f.key) == subtype).and_then(|f| match f.ty {
            FieldType::Code(list) => codes::find(list, k).map(|c| c.code),
            _ => None,
        })
    });
    let mut values = Values::default();
    for field in fields {
        let value = given.get(field.key).copied();
        let applies = field.only.is_empty() || kind.flatten().is_some_and(|k| field.only.contains(&k));
        match value {
            Some(_) if !applies => problems.push(problem(
                field.key,
                format!("{} applies only to {}", field.zh, field.only.join(", ")),
            )),
            Some(text) => match check_value(field, text, today) {
                Ok(v) => {
                    values.all.insert(field.key.to_owned(), v);
                }
                Err(reason) => problems.push(problem(field.key, reason)),
            },
            None if field.required && applies => problems.push(problem(field.key, format!("{} is required", field.zh))),
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// One value checked and in its canonical text.
fn check_value(field: &Field, text: &str, today: NaiveDate) -> Result<String, String> {
    match field.ty {
        FieldType::Text(max) => {
            let n = text.chars().count();
            if n > max {
                return Err(format!("at most {max} characters, got {n}"));
            }
            if text.chars().any(|c| c.is_control()) {
                return Err("control characters are not allowed".into());
            }
            Ok(text.to_owned())
        }
        FieldType::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| format!("a date like 2024-05-01 is expected, got {text:?}")),
        FieldType::Code(list) => codes::find(list, text).map(|c| c.code.to_owned()).ok_or_else(|| {
            let some: Vec<String> = list.iter().take(8).map(|c| format!("{} ({})", c.code, c.zh)).collect();
            format!("{text:?} is not in the list: {}{}", some.join(", "), if list.len() > 8 { ", …" } else { "" })
        }),
        FieldType::IdNumber => IdNumber::parse(text, today).map(|id| id.as_str().to_owned()).map_err(|e| e.to_string()),
        FieldType::Phone => phone(text),
        FieldType::CreditCode => credit_code(text),
        FieldType::Number(min, max) => match text.parse::<f64>() {
            Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(format!("a number from {min} to {max} is expected, got {text:?}")),
        },
        FieldType::Village => {
            if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
                Ok(text.to_owned())
            } else {
                Err(format!("a 12-digit village or community code is expected, got {text:?}"))
            }
        }
        FieldType::Ref(entity) => {
            let ok = text.len() <= 64 && text.starts_with(entity.id_prefix()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if ok {
                Ok(text.to_owned())
            } else {
                Err(format!("the id of a {} record is expected ({}…), got {text:?}", entity.zh(), entity.id_prefix()))
            }
        }
    }
}

/// A phone number: a mainland mobile (11 digits from `13`–`19`) or a landline with its area
/// code (`0313-6812345`); spaces dropped, `+86` allowed.
pub fn phone(text: &str) -> Result<String, String> {
    let t: String = text.chars().filter(|c| *c != ' ').collect();
    let t = t.strip_prefix("+86").or_else(|| t.strip_prefix("0086")).unwrap_or(&t).trim_start_matches('-');
    let digits: String = t.chars().filter(|c| *c != '-').collect();
    let all_digits = digits.bytes().all(|b| b.is_ascii_digit()) && t.matches('-').count() <= 2;
    let mobile = digits.len() == 11 && digits.starts_with('1') && matches!(digits.as_bytes()[1], b'3'..=b'9');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if all_digits && (mobile || landline) {
        Ok(if mobile { digits } else { t.to_owned() })
    } else {
        Err(format!("a mobile (11 digits) or a landline with its area code is expected, got {} characters", text.chars().count()))
    }
}

/// The characters of a unified social credit code (GB 32100-2015): digits and capitals
/// without I, O, Z, S, V.
const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of its first 17 characters.
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// The check character of a unified social credit code's first 17 characters.
///
/// ```
/// use wangge_core::registry::check::credit_check_character;
/// assert_eq!(credit_check_character("91350100M000100Y4"), Some('3'));
/// ```
pub fn credit_check_character(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
        sum += u32::try_from(CREDIT_CHARS.find(c)?).ok()? * w;
    }
    let check = (31 - sum % 31) % 31;
    CREDIT_CHARS.chars().nth(check as usize)
}

/// A unified social credit code: 18 characters, the check character right.
fn credit_code(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_uppercase();
    let n = t.chars().count();
    if n != 18 {
        return Err(format!("a unified social credit code has 18 characters, got {n}"));
    }
    if let Some((i, _)) = t.chars().enumerate().find(|(_, c)| !CREDIT_CHARS.contains(*c)) {
        return Err(format!("character {} is not one of {CREDIT_CHARS}", i + 1));
    }
    let expected = credit_check_character(&t[..17]).ok_or("not a credit code")?;
    if t.ends_with(expected) {
        Ok(t)
    } else {
        Err(format!("the check character should be {expected}: a character was mistyped"))
    }
}

/// Checks a record of `entity`: its fields, then what crosses fields — a person's ID number
/// against the sex and birth date given beside it (filled in from the number when absent),
/// required for everyone but foreigners, who need a nationality and a document instead.
pub fn check_record(entity: Entity, input: &BTreeMap<String, String>, today: NaiveDate) -> Result<Values, Vec<Problem>> {
    let mut values = check_fields(entity.fields(), entity.subtype(), input, today)?;
    if entity == Entity::Person {
        person(&mut values, today)?;
    }
    Ok(values)
}

fn person(values: &mut Values, today: NaiveDate) -> Result<(), Vec<Problem>> {
    let foreign = values.get("kind") == Some("foreign");
    let mut problems = Vec::new();
    match values.get("id_number").map(|t| IdNumber::parse(t, today)) {
        Some(Ok(id)) => {
            let birth = values.get("birth_date").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let sex = values.get("sex").map(|s| if s == "male" { Sex::Male } else { Sex::Female });
            match id.agrees(birth, sex) {
                Ok(()) => {
                    values.all.insert("birth_date".into(), id.birth_date().format("%Y-%m-%d").to_string());
                    let sex = if id.sex() == Sex::Male { "male" } else { "female" };
                    values.all.insert("sex".into(), sex.into());
                }
                Err(e) => problems.push(problem("id_number", e.to_string())),
            }
        }
        Some(Err(e)) => problems.push(problem("id_number", e.to_string())),
        None if !foreign => problems.push(problem("id_number", "公民身份号码 is required (foreigners give their document instead)")),
        None => {}
    }
    if foreign {
        for key in ["nationality", "passport"] {
            if values.get(key).is_none() {
                problems.push(problem(key, format!("{key} is required for a foreign resident")));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::registry::check_character;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", check_character(first17).unwrap())
    }

    #[test]
    fn a_person_takes_sex_and_birth_from_the_number_and_labels_become_codes() {
        let number = id("13073019900307123");
        let v = check_record(
            Entity::Person,
            &input(&[("kind", "户籍人口"), ("姓名", "张三"), ("id_number", &number), ("phone", "139 1234 4321"), ("village_code", "130730100001"), ("民族", "汉族")]),
            today(),
        )
        .unwrap();
        assert_eq!(v.get("kind"), Some("registered"));
        assert_eq!(v.get("sex"), Some("male"));
        assert_eq!(v.get("birth_date"), Some("1990-03-07"));
        assert_eq!(v.get("ethnicity"), Some("01"));
        assert_eq!(v.get("phone"), Some("13912344321"));
        let fields = Entity::Person.fields();
        assert!(v.secrets(fields).contains_key("id_number"));
        assert!(!v.plain(fields).contains_key("phone"));
        assert!(!v.plain(fields).contains_key("village_code"));
        assert!(!format!("{v:?}").contains("1990"), "debug prints hold no values");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut number = id("13073019900307123");
        number.replace_range(17.., if number.ends_with('0') { "1" } else { "0" });
        let e = check_record(
            Entity::Person,
            &input(&[("kind", "registered"), ("id_number", &number), ("phone", "12"), ("village_code", "13073"), ("colour", "x")]),
            today(),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["colour", "name", "id_number", "phone", "village_code"]);
        assert!(e[2].reason.contains("check character"));
    }

    #[test]
    fn sex_given_against_the_number_is_refused() {
        let number = id("13073019900307123");
        let e = check_record(
            Entity::Person,
            &input(&[("kind", "registered"), ("name", "李四"), ("id_number", &number), ("sex", "女"), ("village_code", "130730100001")]),
            today(),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "id_number");
        assert!(e[0].reason.contains("sex"), "{}", e[0].reason);
    }

    #[test]
    fn type_specific_fields_belong_to_their_type() {
        let base = [("kind", "floating"), ("name", "王五"), ("village_code", "130730100001"), ("floating_reason", "务工")];
        let mut ok = input(&base);
        ok.insert("id_number".into(), id("41010219850101002"));
        assert_eq!(check_record(Entity::Person, &ok, today()).unwrap().get("floating_reason"), Some("work"));
        let mut wrong = ok.clone();
        wrong.insert("kind".into(), "registered".into());
        let e = check_record(Entity::Person, &wrong, today()).unwrap_err();
        assert_eq!(e[0].field, "floating_reason");
        let foreign = input(&[("kind", "foreign"), ("name", "Anna"), ("village_code", "130730100001")]);
        let e = check_record(Entity::Person, &foreign, today()).unwrap_err();
        assert_eq!(e.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["nationality", "passport"]);
    }

    #[test]
    fn credit_codes_are_checked() {
        assert_eq!(credit_code("91350100m000100y43"), Ok("91350100M000100Y43".into()));
        assert!(credit_code("91350100M000100Y44").unwrap_err().contains("check character"));
        assert!(credit_code("91350100I000100Y43").unwrap_err().contains("character 9"));
        assert!(credit_code("9135").is_err());
    }

    #[test]
    fn houses_need_their_point() {
        let e = check_record(Entity::House, &input(&[("use", "住宅"), ("address", "东花园1号"), ("village_code", "130730100001")]), today())
            .unwrap_err();
        assert_eq!(e.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["lon", "lat"]);
    }

    #[test]
    fn phones_are_mobiles_or_landlines() {
        assert_eq!(phone("+86 139-1234-4321"), Ok("13912344321".into()));
        assert_eq!(phone("0313-6812345"), Ok("0313-6812345".into()));
        assert!(phone("12912344321").is_err());
        assert!(phone("abc").is_err());
    }
}
