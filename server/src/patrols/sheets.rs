//! Patrols as spreadsheets (docs/exports.md): the list of patrols (`GET /api/v1/patrols`) and
//! the patrol figures by gridworker or by grid (`GET /api/v1/stats/patrol`), read from the
//! views the lists answer, with the gridworkers' and grids' names.

use serde::Serialize;
use serde_json::Value;
use wangge_core::patrol::{GridFigures, GridworkerFigures};

use super::PatrolView;
use crate::formats::sheet::{column, Column, Kind, Sheet};
use crate::grids::catalog::Catalog;

/// The columns of the patrol list.
pub const PATROL_COLUMNS: &[Column] = &[
    column("id", "巡查编号", Kind::Text),
    column("person_id", "人员编号", Kind::Text),
    column("person_name", "姓名", Kind::Text),
    column("unit_code", "所属村(社区)代码", Kind::Text),
    column("unit_name", "所属村(社区)", Kind::Text),
    column("started_at", "开始时间", Kind::Time),
    column("ended_at", "结束时间", Kind::Time),
    column("open", "进行中", Kind::Flag),
    column("points", "轨迹点数", Kind::Integer),
    column("points_outside", "网格外点数", Kind::Integer),
    column("checkins", "走访次数", Kind::Integer),
    column("last_point_at", "最后定位时间", Kind::Time),
];

/// The columns of the figures by gridworker.
pub const GRIDWORKER_COLUMNS: &[Column] = &[
    column("person_id", "人员编号", Kind::Text),
    column("person_name", "姓名", Kind::Text),
    column("patrols", "巡查次数", Kind::Integer),
    column("hours", "巡查时长(小时)", Kind::Decimal),
    column("km", "巡查里程(公里)", Kind::Decimal),
    column("checkins", "走访次数", Kind::Integer),
    column("outside_share", "网格外时长占比", Kind::Percent),
    column("coverage", "所辖网格覆盖率", Kind::Percent),
];

/// The columns of the figures by grid.
pub const GRID_COLUMNS: &[Column] = &[
    column("code", "网格编码", Kind::Text),
    column("grid_name", "网格", Kind::Text),
    column("village_name", "村(社区)", Kind::Text),
    column("township_name", "乡镇", Kind::Text),
    column("cells", "栅格数", Kind::Integer),
    column("covered", "已巡查栅格数", Kind::Integer),
    column("coverage", "覆盖率", Kind::Percent),
    column("visits", "走访次数", Kind::Integer),
];

/// `item` as JSON with `extra` members added.
fn with<T: Serialize>(item: &T, extra: &[(&str, String)]) -> Value {
    let mut v = serde_json::to_value(item).unwrap_or_default();
    if let Value::Object(map) = &mut v {
        for (k, value) in extra {
            map.insert((*k).to_owned(), value.clone().into());
        }
    }
    v
}

/// The patrol list; `name` gives a gridworker's name by id.
pub fn patrols(views: impl IntoIterator<Item = PatrolView>, name: impl Fn(&str) -> String, catalog: &Catalog) -> Sheet {
    let mut sheet = Sheet::new("巡查记录", PATROL_COLUMNS.to_vec());
    for view in views {
        let mut item = with(&view, &[]);
        let person = item.get("person_id").and_then(Value::as_str).map(&name).unwrap_or_default();
        let unit = item.get("unit_code").and_then(Value::as_str).map(|c| catalog.name_of(c).to_owned()).unwrap_or_default();
        if let Value::Object(map) = &mut item {
            map.insert("person_name".into(), person.into());
            map.insert("unit_name".into(), unit.into());
        }
        sheet.push_json(&item);
    }
    sheet
}

/// The patrol figures by gridworker.
pub fn by_gridworker(figures: &[GridworkerFigures], name: impl Fn(&str) -> String) -> Sheet {
    let mut sheet = Sheet::new("网格员巡查统计", GRIDWORKER_COLUMNS.to_vec());
    for g in figures {
        sheet.push_json(&with(g, &[("person_name", name(&g.person_id))]));
    }
    sheet
}

/// The patrol figures by grid.
pub fn by_grid(figures: &[GridFigures], catalog: &Catalog) -> Sheet {
    let mut sheet = Sheet::new("网格巡查统计", GRID_COLUMNS.to_vec());
    for g in figures {
        let (grid, village, township) = match catalog.grid(&g.code) {
            Some(c) => (c.grid.name.clone(), c.grid.village_name.clone(), c.grid.township_name.clone()),
            None => Default::default(),
        };
        sheet.push_json(&with(g, &[("grid_name", grid), ("village_name", village), ("township_name", township)]));
    }
    sheet
}
