//! What each kind of registry record holds (GB/T 31000-2015's entities and their common and
//! type-specific fields), as data: the API, the spreadsheet templates, the import and the export
//! all read the same field lists, so a column cannot exist in one and not the other.

use super::codes::{self, Code};

/// A kind of registry record (the path segment of its API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// 房屋 — a house or building.
    House,
    /// 户 — a household living in a house.
    Household,
    /// 实有人口 — a resident.
    Person,
    /// 非公有制经济组织和社会组织 — an organisation.
    Organisation,
    /// 场所、部位 — a place or thing (hazard points, key sites).
    Place,
}

impl Entity {
    /// Every kind.
    pub const ALL: [Entity; 5] = [Self::House, Self::Household, Self::Person, Self::Organisation, Self::Place];

    /// The stored name (`house`, `household`, `person`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::House => "house",
            Self::Household => "household",
            Self::Person => "person",
            Self::Organisation => "organisation",
            Self::Place => "place",
        }
    }

    /// The API's path segment (`houses`, `households`, `people`, …).
    pub fn plural(self) -> &'static str {
        match self {
            Self::House => "houses",
            Self::Household => "households",
            Self::Person => "people",
            Self::Organisation => "organisations",
            Self::Place => "places",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::House => "房屋",
            Self::Household => "户",
            Self::Person => "实有人口",
            Self::Organisation => "组织",
            Self::Place => "场所部位",
        }
    }

    /// The kind of a stored name or a path segment.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text || e.plural() == text)
    }

    /// The prefix of the ids the service gives records of this kind.
    pub fn id_prefix(self) -> char {
        match self {
            Self::House => 'H',
            Self::Household => 'F',
            Self::Person => 'R',
            Self::Organisation => 'O',
            Self::Place => 'L',
        }
    }

    /// The field that says the record's type (filtered on as `type`), if it has one.
    pub fn subtype(self) -> Option<&'static str> {
        match self {
            Self::House => Some("use"),
            Self::Household => Some("household_type"),
            Self::Person => Some("kind"),
            Self::Organisation | Self::Place => Some("type"),
        }
    }

    /// The field that names a record in a list (a person's name, a house's address).
    pub fn title(self) -> &'static str {
        match self {
            Self::House => "address",
            Self::Household => "number",
            Self::Person | Self::Organisation | Self::Place => "name",
        }
    }

    /// Whether a record of this kind must have a point (houses and places are where they are;
    /// others may take it from their house, or hold only their village).
    pub fn needs_point(self) -> bool {
        matches!(self, Self::House | Self::Place)
    }

    /// The fields of this kind, in the order of its spreadsheet template.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::House => HOUSE,
            Self::Household => HOUSEHOLD,
            Self::Person => PERSON,
            Self::Organisation => ORGANISATION,
            Self::Place => PLACE,
        }
    }

    /// The field with this key or Chinese label.
    pub fn field(self, key: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.key == key || f.zh == key)
    }
}

/// What a field's value is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// Free text of at most this many characters.
    Text(usize),
    /// A date, `YYYY-MM-DD`.
    Date,
    /// One code of a list (its code or its label).
    Code(&'static [Code]),
    /// A citizen ID number (GB 11643).
    IdNumber,
    /// A phone number.
    Phone,
    /// A unified social credit code (GB 32100).
    CreditCode,
    /// A number within bounds.
    Number(f64, f64),
    /// A 12-digit village or community code.
    Village,
    /// The id of another record of this kind.
    Ref(Entity),
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// The wire key.
    pub key: &'static str,
    /// The Chinese label (the template's column header).
    pub zh: &'static str,
    /// What the value is.
    pub ty: FieldType,
    /// Whether a record must have it.
    pub required: bool,
    /// Personal data sealed at rest and masked in answers (ID numbers, phones, certificates).
    pub secret: bool,
    /// The record types it belongs to (empty: all).
    pub only: &'static [&'static str],
}

const fn f(key: &'static str, zh: &'static str, ty: FieldType) -> Field {
    Field { key, zh, ty, required: false, secret: false, only: &[] }
}

const fn required(field: Field) -> Field {
    Field { required: true, ..field }
}

const fn secret(field: Field) -> Field {
    Field { secret: true, ..field }
}

const fn only(field: Field, types: &'static [&'static str]) -> Field {
    Field { only: types, ..field }
}

const ADDRESS: usize = 200;
const NAME: usize = 100;
const SHORT: usize = 50;

/// 村/社区代码, 经度, 纬度: where every record is.
macro_rules! place_fields {
    ($point:expr) => {
        [
            required(f("village_code", "村(社区)代码", FieldType::Village)),
            Field { required: $point, ..f("lon", "经度", FieldType::Number(-180.0, 180.0)) },
            Field { required: $point, ..f("lat", "纬度", FieldType::Number(-90.0, 90.0)) },
        ]
    };
}

const HOUSE: &[Field] = &{
    let [v, lon, lat] = place_fields!(true);
    [
        required(f("use", "房屋用途", FieldType::Code(codes::HOUSE_USE))),
        required(f("address", "房屋地址", FieldType::Text(ADDRESS))),
        v,
        lon,
        lat,
        f("occupancy", "居住情况", FieldType::Code(codes::OCCUPANCY)),
        f("owner_name", "产权人", FieldType::Text(NAME)),
        secret(f("owner_phone", "产权人电话", FieldType::Phone)),
        f("floors", "层数", FieldType::Number(1.0, 200.0)),
        f("area_m2", "建筑面积(平方米)", FieldType::Number(1.0, 1_000_000.0)),
    ]
};

const HOUSEHOLD: &[Field] = &{
    let [v, lon, lat] = place_fields!(false);
    [
        required(f("number", "户号", FieldType::Text(SHORT))),
        f("household_type", "户别", FieldType::Code(codes::HOUSEHOLD_TYPE)),
        f("head_name", "户主姓名", FieldType::Text(NAME)),
        f("house_id", "房屋编号", FieldType::Ref(Entity::House)),
        v,
        lon,
        lat,
    ]
};

const FLOATING: &[&str] = &["floating"];
const LEFT_BEHIND: &[&str] = &["left_behind"];
const FOREIGN: &[&str] = &["foreign"];

const PERSON: &[Field] = &{
    let [v, lon, lat] = place_fields!(false);
    [
        required(f("kind", "人口类别", FieldType::Code(codes::PERSON_KIND))),
        required(f("name", "姓名", FieldType::Text(NAME))),
        secret(f("id_number", "公民身份号码", FieldType::IdNumber)),
        secret(f("phone", "联系电话", FieldType::Phone)),
        f("sex", "性别", FieldType::Code(codes::SEX)),
        f("birth_date", "出生日期", FieldType::Date),
        f("ethnicity", "民族", FieldType::Code(codes::ETHNICITY)),
        f("registered_address", "户籍地详址", FieldType::Text(ADDRESS)),
        f("current_address", "现住地详址", FieldType::Text(ADDRESS)),
        f("relation", "与户主关系", FieldType::Code(codes::RELATION)),
        f("work_place", "服务处所", FieldType::Text(NAME)),
        f("house_id", "房屋编号", FieldType::Ref(Entity::House)),
        f("household_id", "户编号", FieldType::Ref(Entity::Household)),
        v,
        lon,
        lat,
        only(f("floating_reason", "流入原因", FieldType::Code(codes::FLOATING_REASON)), FLOATING),
        only(secret(f("residence_permit", "居住证号码", FieldType::Text(SHORT))), FLOATING),
        only(f("permit_until", "居住证有效期至", FieldType::Date), FLOATING),
        only(f("left_behind_type", "留守类型", FieldType::Code(codes::LEFT_BEHIND)), LEFT_BEHIND),
        only(f("guardian", "监护人/联系人", FieldType::Text(NAME)), LEFT_BEHIND),
        only(secret(f("guardian_phone", "监护人电话", FieldType::Phone)), LEFT_BEHIND),
        only(f("nationality", "国籍(地区)", FieldType::Text(SHORT)), FOREIGN),
        only(f("foreign_name", "外文姓名", FieldType::Text(NAME)), FOREIGN),
        only(secret(f("passport", "证件号码", FieldType::Text(SHORT))), FOREIGN),
        only(f("stay_until", "预计离开日期", FieldType::Date), FOREIGN),
    ]
};

const ORGANISATION: &[Field] = &{
    let [v, lon, lat] = place_fields!(false);
    [
        required(f("type", "组织类型", FieldType::Code(codes::ORGANISATION_TYPE))),
        required(f("name", "组织名称", FieldType::Text(NAME))),
        f("credit_code", "统一社会信用代码", FieldType::CreditCode),
        f("address", "地址", FieldType::Text(ADDRESS)),
        f("legal_rep", "法定代表人", FieldType::Text(NAME)),
        secret(f("legal_rep_phone", "法定代表人电话", FieldType::Phone)),
        f("security_contact", "治安负责人", FieldType::Text(NAME)),
        secret(f("security_phone", "治安负责人电话", FieldType::Phone)),
        f("employees", "从业人数", FieldType::Number(0.0, 1_000_000.0)),
        v,
        lon,
        lat,
    ]
};

const PLACE: &[Field] = &{
    let [v, lon, lat] = place_fields!(true);
    [
        required(f("type", "场所类别", FieldType::Code(codes::PLACE_TYPE))),
        required(f("name", "名称", FieldType::Text(NAME))),
        f("address", "地址", FieldType::Text(ADDRESS)),
        f("risk_level", "风险等级", FieldType::Code(codes::RISK_LEVEL)),
        f("responsible", "责任人", FieldType::Text(NAME)),
        secret(f("responsible_phone", "责任人电话", FieldType::Phone)),
        v,
        lon,
        lat,
    ]
};

/// The fields of a special-group record (特殊人群 and 重点青少年): the whole extension is
/// sealed at rest, as is the person it is about.
pub const SPECIAL: &[Field] = &[
    required(f("group", "人群类别", FieldType::Code(codes::GROUP))),
    required(f("person_id", "人员编号", FieldType::Ref(Entity::Person))),
    required(f("responsible_person_id", "责任网格员", FieldType::Text(64))),
    f("followup_days", "走访频次(天)", FieldType::Number(1.0, 365.0)),
    f("risk_level", "风险等级", FieldType::Code(codes::RISK_LEVEL)),
    only(f("crime", "原罪名", FieldType::Text(NAME)), &["released_prisoner"]),
    only(f("released_on", "释放日期", FieldType::Date), &["released_prisoner"]),
    only(f("correction_type", "矫正类别", FieldType::Code(codes::CORRECTION_TYPE)), &["community_correction"]),
    only(f("correction_until", "矫正期满日期", FieldType::Date), &["community_correction"]),
    only(f("danger_level", "危险性评估等级", FieldType::Code(codes::DANGER_LEVEL)), &["mental_disorder"]),
    only(f("youth_type", "重点青少年类型", FieldType::Code(codes::YOUTH_TYPE)), &["key_youth"]),
    f("guardian", "监护人/帮教人", FieldType::Text(NAME)),
    f("note", "情况说明", FieldType::Text(500)),
];

/// How often the responsible gridworker visits a member of `group` unless the record says
/// otherwise, in days: community corrections weekly, released prisoners, drug users, serious
/// mental disorders and key youth monthly, the AIDS risk group quarterly.
///
/// ```
/// assert_eq!(wangge_core::registry::schema::default_followup_days("community_correction"), 7);
/// ```
pub fn default_followup_days(group: &str) -> u32 {
    match group {
        "community_correction" => 7,
        "aids" => 90,
        _ => 30,
    }
}
