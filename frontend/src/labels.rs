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
