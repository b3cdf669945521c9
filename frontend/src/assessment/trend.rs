//! A unit's monthly scores of a year as a line, drawn here as inline SVG (no chart library):
//! months along the bottom, the total (of 100, not normalised) up the side; a month without a
//! score (`null`) breaks the line; a frozen month's point is filled.

use serde_json::Value;

use super::decimal;
use super::league::list;
use crate::disputes::text;

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;

/// Where a score sits: x of the month `i` of `n`, y of the score out of 100.
fn at(i: usize, n: usize, score: f64) -> (f64, f64) {
    #[allow(clippy::cast_precision_loss)]
    let x = LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / n.max(1) as f64;
    let y = TOP + (H - TOP - BOTTOM) * (1.0 - score.clamp(0.0, 100.0) / 100.0);
    (x, y)
}

/// The trend answer (`{"months": [{"period", "frozen"}], "items": [{"name", "scores"}]}`) as an
/// `<svg id="trend-svg">` of its first unit.
pub fn svg(answer: &Value) -> String {
    let months = list(answer, "months");
    let unit = list(answer, "items").into_iter().next().unwrap_or(Value::Null);
    let scores: Vec<Option<f64>> = list(&unit, "scores").iter().map(Value::as_f64).collect();
    let n = months.len();
    let mut out = format!(
        "<svg id=\"trend-svg\" class=\"trend\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{} 各月得分\" data-points=\"{}\">",
        crate::disputes::ui::esc(&text(&unit, "name")),
        scores.iter().flatten().count()
    );
    for level in [0.0, 20.0, 40.0, 60.0, 80.0, 100.0] {
        let (_, y) = at(0, n, level);
        out.push_str(&format!("<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>", W - RIGHT));
        out.push_str(&format!("<text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{level}</text>", LEFT - 4.0, y + 4.0));
    }
    let mut path = String::new();
    let mut pen_down = false;
    for (i, score) in scores.iter().enumerate().take(n) {
        match score {
            Some(s) => {
                let (x, y) = at(i, n, *s);
                path.push_str(&format!("{}{x:.1} {y:.1} ", if pen_down { "L" } else { "M" }));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        out.push_str(&format!("<path class=\"line\" d=\"{}\"/>", path.trim_end()));
    }
    for (i, m) in months.iter().enumerate() {
        let period = text(m, "period");
        let month = period.get(5..).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        let (x, _) = at(i, n, 0.0);
        out.push_str(&format!("<text class=\"axis\" x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{month}月</text>", H - 8.0));
        let Some(Some(s)) = scores.get(i) else { continue };
        let (x, y) = at(i, n, *s);
        let frozen = m.get("frozen").and_then(Value::as_bool) == Some(true);
        out.push_str(&format!(
            "<circle class=\"{}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\"><title>{period}：{} 分{}</title></circle><text class=\"value\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            if frozen { "frozen" } else { "live" },
            decimal(*s),
            if frozen { "（已冻结）" } else { "" },
            y - 7.0,
            decimal(*s),
        ));
    }
    out + "</svg><p class=\"note\">各月总分（满分 100，未折算：无数据的指标不得分；实心点为已冻结的月份）。</p>"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_month_without_a_score_breaks_the_line() {
        let answer = json!({
            "months": [{"period": "2023-01", "frozen": true}, {"period": "2023-02", "frozen": false}, {"period": "2023-03", "frozen": false}, {"period": "2023-04", "frozen": false}],
            "items": [{"unit": "130730103", "name": "东花园镇", "scores": [61.75, null, 63.0, 57.71]}],
        });
        let out = svg(&answer);
        assert!(out.starts_with("<svg id=\"trend-svg\""), "{out}");
        assert!(out.contains("data-points=\"3\""));
        let d = out.split("<path class=\"line\" d=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
        assert_eq!(d.matches('M').count(), 2, "two runs: {d}");
        assert_eq!(d.matches('L').count(), 1, "{d}");
        assert!(out.contains("<circle class=\"frozen\""));
        assert!(out.contains("2023-01：61.75 分（已冻结）"));
        assert!(!out.contains("2023-02："), "no point for a month without a score");
    }
}
