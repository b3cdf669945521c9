//! People (人) as the service keeps them, the filters of the people list, and their JSON
//! answers and spreadsheet with phone numbers masked (PIPL minimisation).

use serde::Serialize;
use serde_json::Value;
use wangge_core::people::Role;

use crate::formats::sheet::{column, Codes, Column, Kind, Sheet};
use crate::records::{time_text, PersonRecord};



/// The JSON answer for a person (phone masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    id: String,
    name: String,
    role: Role,
    unit_code: String,
    grids: Vec<String>,
    device_id: Option<String>,
    phone: String,
    on_duty: bool,
    created_at: String,
    updated_at: String,
}

impl From<&PersonRecord> for PersonView {
    fn from(r: &PersonRecord) -> Self {
        let p = &r.person;
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            role: p.role,
            unit_code: p.unit_code.clone(),
            grids: p.grids.clone(),
            device_id: p.device_id.clone(),
            phone: mask_phone(&p.phone),
            on_duty: p.on_duty,
            created_at: time_text(r.created_at),
            updated_at: time_text(r.updated_at),
        }
    }
}

/// The roles of the roster.
pub const ROLES: Codes = &[
    ("gridworker", "专职网格员"),
    ("grid_leader", "网格长"),
    ("volunteer", "网格志愿者"),
    ("liaison_instructor", "包联指导员"),
    ("centre_staff", "网格中心工作人员"),
    ("department_handler", "职能部门经办人"),
];

/// The columns of the people list.
pub const PEOPLE_COLUMNS: &[Column] = &[
    column("id", "人员编号", Kind::Text),
    column("name", "姓名", Kind::Text),
    column("role", "角色", Kind::Label(ROLES)),
    column("unit_code", "所属单位代码", Kind::Text),
    column("unit_name", "所属单位", Kind::Text),
    column("grids", "负责网格", Kind::Text),
    column("device_id", "绑定设备", Kind::Text),
    column("phone", "联系电话", Kind::Text),
    column("on_duty", "在岗", Kind::Flag),
    column("created_at", "登记时间", Kind::Time),
    column("updated_at", "更新时间", Kind::Time),
];

/// The people list as a spreadsheet (phones masked as in the list); `unit_name` names a unit
/// by its code.
pub fn sheet(people: &[PersonRecord], unit_name: impl Fn(&str) -> String) -> Sheet {
    let mut sheet = Sheet::new("人员名单", PEOPLE_COLUMNS.to_vec());
    for p in people {
        let mut item = serde_json::to_value(PersonView::from(p)).unwrap_or_default();
        if let Value::Object(map) = &mut item {
            map.insert("unit_name".into(), unit_name(&p.person.unit_code).into());
        }
        sheet.push_json(&item);
    }
    sheet
}

/// Phones are masked by the pure crate's rule (`138****5678`), shared with every answer.
pub use wangge_core::access::mask_phone;

/// Whether `phone` looks like a phone number: 3–20 digits, with an optional leading `+` and
/// spaces or dashes between.
pub fn valid_phone(phone: &str) -> bool {
    let body = phone.strip_prefix('+').unwrap_or(phone);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    phone.len() <= 24 && (3..=20).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138-1234-5678"), "138****5678");
        assert_eq!(mask_phone("0313-6812345"), "031****2345");
        assert_eq!(mask_phone("12345"), "****");
        assert_eq!(mask_phone(""), "****");
    }

    #[test]
    fn phones_are_checked() {
        assert!(valid_phone("13812345678"));
        assert!(valid_phone("+86 138 1234 5678"));
        assert!(!valid_phone("call me"));
        assert!(!valid_phone("12"));
        assert!(!valid_phone("1381234567813812345678"));
    }
}
