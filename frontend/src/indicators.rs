//! 效益指标 — the county's five benefit indicators in the leaders' cockpit, from
//! `GET /api/v1/stats` (`disputes`, `petitions`, `satisfaction`, `outcomes`), each against its
//! target: met, not met, or 无数据 when the service has nothing to count (a `null` rate is
//! never shown as a number). Rates are answered as fractions (0.9735).

use leptos::prelude::*;
use serde_json::Value;

use crate::labels;

/// How a rate is held against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Strictly above (`> 97 %`).
    Above,
    /// At least (`≥ 95 %`, `100 %`).
    AtLeast,
}

/// An indicator and its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicator {
    /// Element id suffix (`indicator-…`).
    pub slug: &'static str,
    /// 排查率, …
    pub label: &'static str,
    /// The rate's place in the stats answer (JSON pointer).
    pub pointer: &'static str,
    /// The bound.
    pub bound: Bound,
    /// The target as a fraction.
    pub target: f64,
    /// The target as written in the county's self-evaluation.
    pub target_text: &'static str,
}

/// The five indicators (目标 3 and 10 of the county's self-evaluation).
pub const INDICATORS: [Indicator; 5] = [
    Indicator { slug: "screening", label: "矛盾纠纷排查率", pointer: "/disputes/screening_rate", bound: Bound::Above, target: 0.97, target_text: "> 97%" },
    Indicator { slug: "mediated", label: "矛盾纠纷调处率", pointer: "/disputes/mediated_rate", bound: Bound::AtLeast, target: 1.0, target_text: "100%" },
    Indicator { slug: "success", label: "调处成功率", pointer: "/disputes/success_rate", bound: Bound::AtLeast, target: 0.95, target_text: "≥ 95%" },
    Indicator { slug: "petitions", label: "信访案件化解率", pointer: "/petitions/resolved_rate", bound: Bound::AtLeast, target: 0.90, target_text: "≥ 90%" },
    Indicator { slug: "satisfaction", label: "群众满意度", pointer: "/satisfaction/rate", bound: Bound::Above, target: 0.95, target_text: "> 95%" },
];

/// Where a rate stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// 达标.
    Met,
    /// 未达标.
    NotMet,
    /// 无数据 — nothing to count.
    NoData,
}

impl Indicator {
    /// The rate in a stats answer (`None` for `null` or absent).
    pub fn rate(&self, stats: &Value) -> Option<f64> {
        stats.pointer(self.pointer).and_then(Value::as_f64)
    }

    /// Where `rate` stands against the target.
    pub fn standing(&self, rate: Option<f64>) -> Standing {
        match (rate, self.bound) {
            (None, _) => Standing::NoData,
            (Some(r), Bound::Above) if r > self.target => Standing::Met,
            (Some(r), Bound::AtLeast) if r >= self.target => Standing::Met,
            _ => Standing::NotMet,
        }
    }
}

impl Standing {
    fn slug(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "unmet",
            Self::NoData => "nodata",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Met => "达标",
            Self::NotMet => "未达标",
            Self::NoData => "无数据",
        }
    }
}

/// A count in the stats answer (0 when absent).
fn count(stats: &Value, pointer: &str) -> u64 {
    stats.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// A township's result indicator: `—` when the area is not counted by township (`null`).
fn outcome(stats: &Value, pointer: &str) -> String {
    stats.pointer(pointer).and_then(Value::as_u64).map_or_else(|| "—".to_owned(), |n| n.to_string())
}

/// What each rate was counted from.
fn basis(slug: &str, stats: &Value) -> String {
    match slug {
        "screening" => format!("按时排查 {} / 应排查 {} 网格·月", count(stats, "/disputes/screened_on_time"), count(stats, "/disputes/screening_due")),
        "mediated" => format!("受理 {} / 发现 {} 件", count(stats, "/disputes/mediated"), count(stats, "/disputes/found")),
        "success" => format!("调解成功 {} 件", count(stats, "/disputes/succeeded")),
        "petitions" => format!("化解 {} / 信访 {} 件", count(stats, "/petitions/resolved"), count(stats, "/petitions/cases")),
        "satisfaction" => format!("满意 {} / 回访接通 {} 件", count(stats, "/satisfaction/satisfied"), count(stats, "/satisfaction/reached")),
        _ => String::new(),
    }
}

/// The indicators table and the result indicators (进京赴省访, 公共安全事件, 民转刑).
#[component]
pub fn Indicators(stats: Value) -> impl IntoView {
    let rows = INDICATORS
        .iter()
        .map(|i| {
            let rate = i.rate(&stats);
            let standing = i.standing(rate);
            view! {
                <tr id=format!("indicator-{}", i.slug) class=format!("indicator {}", standing.slug()) data-standing=standing.slug()>
                    <td>{i.label}</td>
                    <td class="indicator-value">{labels::rate(rate)}</td>
                    <td>{i.target_text}</td>
                    <td class="indicator-standing">{standing.label()}</td>
                    <td class="note">{basis(i.slug, &stats)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"效益指标"</h3>
        <table class="indicators" id="indicators">
            <tr><th>"指标"</th><th>"实际"</th><th>"目标"</th><th>"状态"</th><th>"依据"</th></tr>
            {rows}
        </table>
        <div class="kpis" id="outcomes">
            <div class="kpi"><span>"进京赴省访"</span><b id="kpi-beijing-province">{count(&stats, "/petitions/to_beijing_or_province")}</b></div>
            <div class="kpi"><span>"公共安全事件"</span><b id="kpi-public-safety">{outcome(&stats, "/outcomes/public_safety_incidents")}</b></div>
            <div class="kpi"><span>"民转刑案件"</span><b id="kpi-civil-criminal">{outcome(&stats, "/outcomes/civil_to_criminal")}</b></div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn by(slug: &str) -> Indicator {
        INDICATORS.into_iter().find(|i| i.slug == slug).unwrap_or(INDICATORS[0])
    }

    #[test]
    fn targets_hold_their_bounds() {
        let screening = by("screening");
        assert_eq!(screening.standing(Some(0.97)), Standing::NotMet, "排查率 must be above 97 %");
        assert_eq!(screening.standing(Some(0.9701)), Standing::Met);
        assert_eq!(by("mediated").standing(Some(1.0)), Standing::Met);
        assert_eq!(by("mediated").standing(Some(0.9999)), Standing::NotMet);
        assert_eq!(by("success").standing(Some(0.95)), Standing::Met);
        assert_eq!(by("petitions").standing(Some(0.8999)), Standing::NotMet);
        assert_eq!(by("satisfaction").standing(Some(0.95)), Standing::NotMet);
    }

    #[test]
    fn a_null_rate_has_no_data_and_no_number() {
        let stats = json!({"disputes": {"screening_rate": null, "mediated_rate": 0.5}, "satisfaction": {}});
        assert_eq!(by("screening").rate(&stats), None);
        assert_eq!(by("screening").standing(by("screening").rate(&stats)), Standing::NoData);
        assert_eq!(labels::rate(by("screening").rate(&stats)), "无数据");
        assert_eq!(by("satisfaction").standing(by("satisfaction").rate(&stats)), Standing::NoData);
        assert_eq!(labels::rate(by("mediated").rate(&stats)), "50.00%");
    }
}
