//! The events' lists as spreadsheets (docs/exports.md): the queues (`GET /api/v1/events`),
//! the call-back desk and the figures by area, with Chinese headers and labels, read from the
//! same views the lists answer (reporters masked alike) and the divisions named.

use std::collections::BTreeMap;

use serde_json::Value;
use wangge_core::stats::Counts;

use crate::formats::sheet::{column, Cell, Codes, Column, Kind, Sheet};
use crate::grids::catalog::Catalog;

use super::view::EventView;

/// 事件类别.
pub const CATEGORIES: Codes = &[("livelihood", "民生事项"), ("hazard", "问题隐患"), ("dispute", "矛盾纠纷"), ("other", "其他")];

/// Where an event is in its loop.
pub const STATES: Codes = &[
    ("reported", "已上报"),
    ("assigned", "待核实"),
    ("accepted", "办理中"),
    ("handled", "待办结"),
    ("returned", "退单"),
    ("closed", "已办结"),
    ("rated", "已评价"),
];

/// Who holds an event.
pub const TIERS: Codes =
    &[("grid", "网格员"), ("village", "村(社区)"), ("township", "乡镇"), ("county", "县中心"), ("department", "职能部门")];

const COMPLEXITY: Codes = &[("ordinary", "一般事项"), ("complex", "复杂事项")];
const OVERDUE: Codes = &[("verify", "核实超期"), ("done", "办结超期")];
const REPORTERS: Codes = &[("gridworker", "网格员"), ("resident", "群众"), ("operator", "代录")];
const CHANNELS: Codes = &[("app", "网格员App"), ("web", "网页"), ("phone", "电话"), ("open311", "Open311")];

/// The columns of the event queue.
pub const EVENT_COLUMNS: &[Column] = &[
    column("event_id", "事件编号", Kind::Text),
    column("category", "事件类别", Kind::Label(CATEGORIES)),
    column("subcategory", "小类", Kind::Text),
    column("description", "事件描述", Kind::Text),
    column("township_code", "乡镇代码", Kind::Text),
    column("township_name", "乡镇", Kind::Text),
    column("village_code", "村(社区)代码", Kind::Text),
    column("village_name", "村(社区)", Kind::Text),
    column("grid_code", "网格编码", Kind::Text),
    column("grid_name", "网格", Kind::Text),
    column("state", "状态", Kind::Label(STATES)),
    column("holder.tier", "承办层级", Kind::Label(TIERS)),
    column("holder.id", "承办人或单位", Kind::Text),
    column("complexity", "复杂程度", Kind::Label(COMPLEXITY)),
    column("deadlines.verify_by", "核实期限", Kind::Time),
    column("deadlines.done_by", "办结期限", Kind::Time),
    column("overdue", "超期", Kind::Label(OVERDUE)),
    column("reporter.kind", "上报人类别", Kind::Label(REPORTERS)),
    column("reporter.name", "上报人", Kind::Text),
    column("reporter.phone", "联系电话", Kind::Text),
    column("channel", "上报渠道", Kind::Label(CHANNELS)),
    column("patrol_flag", "越格上报", Kind::Flag),
    column("rating", "评价", Kind::Integer),
    column("reported_at", "上报时间", Kind::Time),
    column("updated_at", "更新时间", Kind::Time),
    column("closed_at", "办结时间", Kind::Time),
    column("location.lon", "经度", Kind::Decimal),
    column("location.lat", "纬度", Kind::Decimal),
];

/// Adds the names of an item's township, village and grid (read at `keys`) as
/// `township_name`, `village_name` and `grid_name`.
pub fn name_places(item: &mut Value, catalog: &Catalog, keys: [&str; 3]) {
    let names: Vec<(&str, String)> = ["township_name", "village_name", "grid_name"]
        .into_iter()
        .zip(keys)
        .map(|(name, key)| (name, item.get(key).and_then(Value::as_str).map(|c| catalog.name_of(c).to_owned()).unwrap_or_default()))
        .collect();
    if let Value::Object(map) = item {
        for (name, value) in names {
            map.insert(name.to_owned(), value.into());
        }
    }
}

/// The event queue: one row per event view.
pub fn events(views: impl IntoIterator<Item = EventView>, catalog: &Catalog) -> Sheet {
    let mut sheet = Sheet::new("事件列表", EVENT_COLUMNS.to_vec());
    for view in views {
        let mut item = serde_json::to_value(&view).unwrap_or_default();
        name_places(&mut item, catalog, ["township_code", "village_code", "grid_code"]);
        sheet.push_json(&item);
    }
    sheet
}

/// The columns of the call-back desk.
pub const CALLBACK_COLUMNS: &[Column] = &[
    column("event_id", "事件编号", Kind::Text),
    column("category", "事件类别", Kind::Label(CATEGORIES)),
    column("description", "事件描述", Kind::Text),
    column("closed_at", "办结时间", Kind::Time),
    column("township", "乡镇代码", Kind::Text),
    column("township_name", "乡镇", Kind::Text),
    column("village", "村(社区)代码", Kind::Text),
    column("village_name", "村(社区)", Kind::Text),
    column("grid", "网格编码", Kind::Text),
    column("grid_name", "网格", Kind::Text),
    column("holder.tier", "办结层级", Kind::Label(TIERS)),
    column("holder.id", "办结人或单位", Kind::Text),
    column("reporter_phone", "联系电话", Kind::Text),
    column("attempts", "已回访次数", Kind::Integer),
];

/// The call-back desk: one row per item the desk answers.
pub fn callbacks(items: &[Value], catalog: &Catalog) -> Sheet {
    let mut sheet = Sheet::new("回访台", CALLBACK_COLUMNS.to_vec());
    for item in items {
        let mut item = item.clone();
        name_places(&mut item, catalog, ["township", "village", "grid"]);
        sheet.push_json(&item);
    }
    sheet
}

/// Which divisions the figures are listed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// 乡镇.
    Township,
    /// 村(社区).
    Village,
    /// 网格.
    Grid,
}

impl By {
    /// Parses `township`, `village` or `grid`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "township" => Some(Self::Township),
            "village" => Some(Self::Village),
            "grid" => Some(Self::Grid),
            _ => None,
        }
    }
}

/// The columns of the figures by area.
pub const AREA_COLUMNS: &[Column] = &[
    column("code", "代码", Kind::Text),
    column("name", "名称", Kind::Text),
    column("township_name", "所属乡镇", Kind::Text),
    column("village_name", "所属村(社区)", Kind::Text),
    column("reported", "上报事件数", Kind::Integer),
    column("closed", "办结事件数", Kind::Integer),
    column("closure_rate", "办结率(%)", Kind::Decimal),
];

/// The figures of a period by township, village or grid: one row per division that has
/// events, by code.
pub fn by_area(by: By, counts: &BTreeMap<String, Counts>, catalog: &Catalog) -> Sheet {
    let title = match by {
        By::Township => "各乡镇事件统计",
        By::Village => "各村(社区)事件统计",
        By::Grid => "各网格事件统计",
    };
    let mut sheet = Sheet::new(title, AREA_COLUMNS.to_vec());
    for (code, c) in counts {
        let parent = |len: usize| if by == By::Township { String::new() } else { code.get(..len).map(|p| catalog.name_of(p).to_owned()).unwrap_or_default() };
        let village = if by == By::Grid { code.get(..12).map(|p| catalog.name_of(p).to_owned()).unwrap_or_default() } else { String::new() };
        #[allow(clippy::cast_precision_loss)]
        sheet.push(vec![
            Cell::text(code),
            Cell::text(catalog.name_of(code)),
            Cell::text(&parent(9)),
            Cell::text(&village),
            Cell::Number(c.reported as f64),
            Cell::Number(c.closed as f64),
            Cell::Number(c.closure_rate),
        ]);
    }
    sheet
}
