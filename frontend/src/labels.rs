//! Chinese labels for the domain's wire values, and times shown in China time.

use chrono::{DateTime, FixedOffset};
use wangge_core::event::{Category, Holder, Overdue, State, Tier};
use wangge_core::wire::HitKind;

/// 问题隐患, 矛盾纠纷, …
pub fn category(c: Category) -> &'static str {
    match c {
        Category::Livelihood => "民生服务",
        Category::Hazard => "问题隐患",
        Category::Dispute => "矛盾纠纷",
        Category::Other => "其他",
    }
}

/// The same for a category's wire name (as in the stats answer).
pub fn category_name(wire: &str) -> &str {
    match Category::parse(wire) {
        Some(c) => category(c),
        None => wire,
    }
}

/// Where an event is in its loop.
pub fn state(s: State) -> &'static str {
    match s {
        State::Reported => "已上报",
        State::Assigned => "待核实",
        State::Accepted => "办理中",
        State::Handled => "待办结",
        State::Returned => "退单",
        State::Closed => "已办结",
        State::Rated => "已评价",
    }
}

/// A tier of holders.
pub fn tier(t: Tier) -> &'static str {
    match t {
        Tier::Grid => "网格员",
        Tier::Village => "村(社区)",
        Tier::Township => "乡镇",
        Tier::County => "县中心",
        Tier::Department => "职能部门",
    }
}

/// The same for a tier's wire name (as in the stats answer).
pub fn tier_name(wire: &str) -> &str {
    match Tier::parse(wire) {
        Some(t) => tier(t),
        None => wire,
    }
}

/// Who holds an event.
pub fn holder(h: Option<&Holder>) -> String {
    h.map_or_else(|| "—".to_owned(), |h| format!("{} {}", tier(h.tier), h.id))
}

/// Which deadline has passed.
pub fn overdue(o: Option<Overdue>) -> &'static str {
    match o {
        Some(Overdue::Verify) => "核实超期",
        Some(Overdue::Done) => "办结超期",
        None => "",
    }
}

/// What a search answer is.
pub fn hit_kind(k: HitKind) -> &'static str {
    match k {
        HitKind::Grid => "网格",
        HitKind::Village => "村/社区",
        HitKind::Township => "乡镇",
        HitKind::Event => "事件",
        HitKind::Point => "坐标",
    }
}

/// A timeline action.
pub fn action(a: &str) -> &str {
    match a {
        "report" | "reported" => "上报",
        "assign" => "派遣",
        "accept" => "核实",
        "resolve_on_spot" => "就地解决",
        "escalate" => "上报流转",
        "handle" => "办理完毕",
        "return" => "退单",
        "arbitrate" => "仲裁",
        "close" => "办结",
        "rate" => "评价",
        "reopen" => "重新办理",
        other => other,
    }
}

/// An RFC 3339 time as `2025-03-03 09:00` in China time (the text itself if it does not parse).
pub fn time(text: &str) -> String {
    let china = FixedOffset::east_opt(8 * 3600);
    match (DateTime::parse_from_rfc3339(text), china) {
        (Ok(t), Some(tz)) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        _ => text.to_owned(),
    }
}

/// A code list: (wire code, Chinese label).
pub type Codes = &'static [(&'static str, &'static str)];

/// The label of `code` in `list` (the code itself when it is not one of the list's).
pub fn coded(list: Codes, code: &str) -> String {
    list.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_owned(), |(_, l)| (*l).to_owned())
}

/// 纠纷类型 — the kinds of dispute case (the core's list).
pub const DISPUTE_KINDS: Codes = &wangge_core::dispute::KINDS;

/// 规模 — the scale of a dispute (the core's list).
pub const DISPUTE_SCALES: Codes = &wangge_core::dispute::SCALES;

/// Where a dispute case stands (`wangge_core::dispute::Stage`).
pub const DISPUTE_STAGES: Codes = &[
    ("registered", "登记"),
    ("mediating", "调解中"),
    ("agreed", "调解成功"),
    ("failed", "调解不成"),
    ("transferred", "移交"),
    ("followed_up", "履行回访"),
    ("archived", "归档"),
];

/// Who mediates (`wangge_core::dispute::Body`).
pub const MEDIATION_BODIES: Codes = &[
    ("peoples_mediation", "人民调解委员会"),
    ("judicial_office", "司法所"),
    ("police", "派出所"),
    ("court_linked", "诉调对接"),
    ("professional", "行业性专业性调解组织"),
];

/// The route left to the parties when mediation fails (`wangge_core::dispute::Route`).
pub const ROUTES: Codes = &[("litigation", "诉讼"), ("arbitration", "仲裁"), ("administrative", "行政处理"), ("petition", "信访")];

/// A dispute case's moves.
pub const DISPUTE_MOVES: Codes = &[
    ("register", "登记"),
    ("accept", "受理"),
    ("agree", "调解成功"),
    ("fail", "调解不成"),
    ("transfer", "移交"),
    ("follow_up", "履行回访"),
    ("archive", "归档"),
];

/// Where a petition stands (`wangge_core::petition::Stage`).
pub const PETITION_STAGES: Codes = &[("registered", "登记"), ("accepted", "已受理"), ("declined", "不予受理"), ("answered", "已办结")];

/// A petition's moves.
pub const PETITION_MOVES: Codes = &[("register", "登记"), ("accept", "受理"), ("decline", "不予受理"), ("extend", "延期"), ("answer", "办结答复")];

/// How a petition came.
pub const PETITION_CHANNELS: Codes = &[("letter", "来信"), ("visit", "来访"), ("online", "网上信访")];

/// Where a petition was lodged (`province` and `beijing`: 进京赴省访).
pub const PETITION_LEVELS: Codes = &[("county", "县级"), ("city", "市级"), ("province", "赴省"), ("beijing", "进京")];

/// A rate answered as a fraction (0.9735) shown as a percentage (`97.35%`); `无数据` when the
/// service has nothing to count (`null`), never a number.
pub fn rate(r: Option<f64>) -> String {
    match r {
        Some(x) if x.is_finite() => format!("{:.2}%", x * 100.0),
        _ => "无数据".to_owned(),
    }
}
