//! The ledgers (台账) as spreadsheets with Chinese headers, personal data masked as in the
//! lists: disputes, petitions, the townships' result indicators and the monthly screening
//! board (docs/exports.md).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use wangge_core::dispute::{label, KINDS, OUTCOME_KINDS, SCALES};
use wangge_core::petition::Channel;

use super::{cases, petitions};
use crate::formats::sheet::{column, Cell, Column, Kind, Sheet};
use crate::records::{time_text, DisputeCase, Petition};

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn names(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|p| text(p, "name")).collect::<Vec<_>>().join("、"))
        .unwrap_or_default()
}

/// A time as a cell.
fn at(t: Option<DateTime<Utc>>) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::from_json(&Value::String(time_text(t)), Kind::Time))
}

/// A count kept as text or a number in a file's document.
fn count(v: &Value, key: &str) -> Cell {
    Cell::from_json(v.get(key).unwrap_or(&Value::Null), Kind::Integer)
}

/// The columns of the dispute ledger.
pub const DISPUTE_COLUMNS: &[Column] = &[
    column("case_id", "案件编号", Kind::Text),
    column("event_id", "事件编号", Kind::Text),
    column("township", "乡镇代码", Kind::Text),
    column("village", "村(社区)代码", Kind::Text),
    column("grid", "网格编码", Kind::Text),
    column("kind_name", "纠纷类型", Kind::Text),
    column("scale_name", "规模", Kind::Text),
    column("people", "涉及人数", Kind::Integer),
    column("parties", "当事人", Kind::Text),
    column("summary", "简要情况", Kind::Text),
    column("stage_name", "阶段", Kind::Text),
    column("registered_at", "登记时间", Kind::Time),
    column("accepted_at", "受理时间", Kind::Time),
    column("body", "调解机构", Kind::Text),
    column("mediator", "调解员", Kind::Text),
    column("due_at", "调解期限", Kind::Time),
    column("concluded_at", "办结时间", Kind::Time),
    column("outcome", "调解结果", Kind::Text),
    column("kept", "是否履行", Kind::Text),
];

/// The dispute ledger.
pub fn disputes(list: &[DisputeCase]) -> Sheet {
    let mut sheet = Sheet::new("矛盾纠纷台账", DISPUTE_COLUMNS.to_vec());
    for c in list {
        let outcome = c.doc.get("outcome").cloned().unwrap_or(Value::Null);
        sheet.push(vec![
            Cell::text(&c.case_id),
            Cell::text(&c.event_id),
            Cell::text(&c.place.township),
            Cell::text(&c.place.village),
            Cell::text(&c.place.grid),
            Cell::text(label(&KINDS, &c.kind).unwrap_or_default()),
            Cell::text(label(&SCALES, &c.scale).unwrap_or_default()),
            count(&c.doc, "people"),
            Cell::text(&names(&c.doc, "parties")),
            Cell::text(&text(&c.doc, "summary")),
            Cell::text(cases::stage_name(c.stage)),
            at(Some(c.registered_at)),
            at(c.accepted_at),
            Cell::text(&text(&c.doc, "body")),
            Cell::text(&text(&c.doc, "mediator")),
            at(c.due_at),
            at(c.concluded_at),
            Cell::text(&match text(&outcome, "result").as_str() {
                "agreed" => format!("调解成功：{}", text(&outcome, "terms")),
                "failed" => format!("调解不成：{}", text(&outcome, "reason")),
                "transferred" => format!("移交{}：{}", text(&outcome, "to"), text(&outcome, "reason")),
                _ => String::new(),
            }),
            Cell::text(match c.doc.get("kept").and_then(Value::as_bool) {
                Some(true) => "已履行",
                Some(false) => "未履行",
                None => "",
            }),
        ]);
    }
    sheet
}

/// The columns of the petition ledger.
pub const PETITION_COLUMNS: &[Column] = &[
    column("petition_id", "信访编号", Kind::Text),
    column("channel", "方式", Kind::Text),
    column("lodged", "登记层级", Kind::Text),
    column("township", "乡镇代码", Kind::Text),
    column("village", "村(社区)代码", Kind::Text),
    column("petitioners", "信访人", Kind::Text),
    column("people", "人数", Kind::Integer),
    column("matter", "信访事项", Kind::Text),
    column("stage_name", "阶段", Kind::Text),
    column("received_at", "收到时间", Kind::Time),
    column("accept_by", "受理期限", Kind::Time),
    column("accepted_at", "受理时间", Kind::Time),
    column("due_at", "办理期限", Kind::Time),
    column("answered_at", "办结时间", Kind::Time),
    column("resolved", "是否化解", Kind::Text),
    column("repeat_of", "重复信访", Kind::Text),
    column("overdue", "是否超期", Kind::Text),
];

/// The petition ledger.
pub fn petitions(list: &[Petition], now: DateTime<Utc>) -> Sheet {
    let mut sheet = Sheet::new("信访台账", PETITION_COLUMNS.to_vec());
    for p in list {
        let v = petitions::view(p, now);
        sheet.push(vec![
            Cell::text(&p.petition_id),
            Cell::text(match v.channel {
                Channel::Letter => "来信",
                Channel::Visit => "来访",
                Channel::Online => "网上信访",
            }),
            Cell::text(match p.lodged.as_str() {
                "county" => "县级",
                "city" => "市级",
                "province" => "赴省",
                _ => "进京",
            }),
            Cell::text(&p.township_code),
            Cell::text(p.village_code.as_deref().unwrap_or_default()),
            Cell::text(&names(&p.doc, "petitioners")),
            count(&p.doc, "people"),
            Cell::text(&text(&p.doc, "matter")),
            Cell::text(v.stage_name),
            at(Some(p.received_at)),
            at(Some(p.accept_by)),
            at(p.accepted_at),
            at(p.due_at),
            at(p.answered_at),
            Cell::text(match p.resolved {
                Some(true) => "已化解",
                Some(false) => "未化解",
                None => "",
            }),
            Cell::text(&p.repeat_of.clone().map(|r| format!("重复（首次 {r}）")).unwrap_or_default()),
            Cell::text(if petitions::overdue(p, now) { "超期" } else { "" }),
        ]);
    }
    sheet
}

/// The columns of the result indicators (`GET /api/v1/outcomes`).
pub const OUTCOME_COLUMNS: &[Column] = &[
    column("outcome_id", "编号", Kind::Text),
    column("township", "乡镇代码", Kind::Text),
    column("township_name", "乡镇", Kind::Text),
    column("kind_name", "类别", Kind::Text),
    column("occurred_on", "发生日期", Kind::Date),
    column("note", "情况说明", Kind::Text),
    column("ref", "关联编号", Kind::Text),
    column("recorded_by", "登记人", Kind::Text),
    column("recorded_at", "登记时间", Kind::Time),
];

/// The townships' result indicators, from the views the list answers; `name` names a
/// township by its code.
pub fn outcomes(items: &[impl Serialize], name: impl Fn(&str) -> String) -> Sheet {
    let mut sheet = Sheet::new("结果性指标台账", OUTCOME_COLUMNS.to_vec());
    for item in items {
        let mut item = serde_json::to_value(item).unwrap_or_default();
        let township = item.get("township").and_then(Value::as_str).map(&name).unwrap_or_default();
        if let Value::Object(map) = &mut item {
            map.insert("township_name".into(), township.into());
            if map.get("kind_name").is_none_or(Value::is_null) {
                let kind = map.get("kind").and_then(Value::as_str).map(|k| label(&OUTCOME_KINDS, k).unwrap_or(k).to_owned());
                map.insert("kind_name".into(), kind.into());
            }
        }
        sheet.push_json(&item);
    }
    sheet
}

/// The columns of the screening board (`GET /api/v1/screenings`).
pub const SCREENING_COLUMNS: &[Column] = &[
    column("grid", "网格编码", Kind::Text),
    column("grid_name", "网格", Kind::Text),
    column("village", "村(社区)代码", Kind::Text),
    column("village_name", "村(社区)", Kind::Text),
    column("township", "乡镇代码", Kind::Text),
    column("township_name", "乡镇", Kind::Text),
    column("screened", "是否已排查", Kind::Flag),
    column("screening.at", "排查时间", Kind::Time),
    column("screening.by", "排查人", Kind::Text),
    column("screening.found", "排查出纠纷数", Kind::Integer),
    column("screening.on_time", "按时排查", Kind::Flag),
    column("screening.note", "备注", Kind::Text),
];

/// The screening board of `month`: one row per grid, from the items the board answers.
pub fn screenings(month: &str, items: &[impl Serialize]) -> Sheet {
    let mut sheet = Sheet::new(format!("{month}矛盾纠纷排查"), SCREENING_COLUMNS.to_vec());
    for item in items {
        let mut item = serde_json::to_value(item).unwrap_or_default();
        let screened = item.get("screening").is_some_and(|s| !s.is_null());
        if let Value::Object(map) = &mut item {
            map.insert("screened".into(), screened.into());
        }
        sheet.push_json(&item);
    }
    sheet
}
