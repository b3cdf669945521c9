//! 指标体系 — the scheme editor (`GET|PUT /api/v1/assessment/schemes/{year}`): the year's
//! indicators with their rule's figures (target; zero and full; points per occurrence), maximum
//! and note editable; saving makes a new version on top of the one read (`base_version`). A
//! change made meanwhile (409) or a scheme that does not add up (422) is shown with the
//! service's reason beside the form. Rates are edited as percentages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Map, Value};

use super::league::list;
use super::{answer_html, click, decimal, markup, submit, year_picker, Board};
use crate::api;
use crate::disputes::text;
use crate::disputes::ui::{esc, values};

/// A rule's name.
fn rule_name(rule: &str) -> &str {
    match rule {
        "at_least" => "达标得满分",
        "linear" => "线性计分",
        "deduct" => "扣分",
        "bonus" => "加分",
        "manual" => "人工评分",
        other => other,
    }
}

/// The figures a rule has, with their labels.
const FIGURES: [(&str, &str); 4] = [("target", "目标"), ("zero", "零分点"), ("full", "满分点"), ("per", "每次")];

/// Whether a measure of the answer's list is a rate (its figures edited as percentages).
fn rate(answer: &Value, measure: &str) -> bool {
    list(answer, "measures").iter().any(|m| text(m, "measure") == measure && m.get("rate").and_then(Value::as_bool) == Some(true))
}

/// A figure as shown in its field (a rate's as a percentage, up to four decimals).
fn shown(x: f64, percent: bool) -> String {
    let text = format!("{:.4}", if percent { x * 100.0 } else { x });
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// An input of the editor (`name` = `<code>.<field>`).
fn input(code: &str, key: &str, value: &str, class: &str) -> String {
    format!("<input class=\"{class}\" id=\"scheme-{0}-{key}\" name=\"{0}.{key}\" value=\"{1}\">", esc(code), esc(value))
}

/// The indicators table as markup with its fields.
fn table_html(answer: &Value) -> String {
    let indicators = answer.get("scheme").map(|s| list(s, "indicators")).unwrap_or_default();
    let mut html = String::from(
        "<table id=\"scheme-indicators\" class=\"ledger scheme\"><thead><tr><th>编号</th><th>层级</th><th>分组</th><th>指标</th><th>计分方法</th><th>参数</th><th>满分</th><th>说明</th></tr></thead><tbody>",
    );
    for i in &indicators {
        let (code, measure) = (text(i, "code"), text(i, "measure"));
        let percent = rate(answer, &measure);
        let mut figures = String::new();
        for (key, label) in FIGURES {
            if let Some(x) = i.get(key).and_then(Value::as_f64) {
                let unit = if percent && key != "per" { "%" } else if key == "per" { "分" } else { "" };
                figures.push_str(&format!("<label>{label} {}{unit}</label> ", input(&code, key, &shown(x, percent && key != "per"), "short")));
            }
        }
        html.push_str(&format!(
            "<tr id=\"scheme-row-{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td></tr>",
            esc(&code),
            super::level_name(&text(i, "level")),
            esc(&text(i, "group")),
            esc(&text(i, "name")),
            rule_name(&text(i, "rule")),
            if figures.is_empty() { "—".to_owned() } else { figures },
            input(&code, "max", &decimal(i.get("max").and_then(Value::as_f64).unwrap_or(0.0)), "short"),
            input(&code, "note", &text(i, "note"), "wide-note"),
        ));
    }
    html + "</tbody></table>"
}

/// The scheme with the form's figures, for `year`; or which field is not a number.
fn edited(answer: &Value, form: &Map<String, Value>, year: i64) -> Result<Value, String> {
    let mut scheme = answer.get("scheme").cloned().unwrap_or(Value::Null);
    scheme["year"] = json!(year);
    let field = |name: String| form.get(&name).and_then(Value::as_str).map(str::to_owned);
    for i in scheme.get_mut("indicators").and_then(Value::as_array_mut).into_iter().flatten() {
        let code = text(i, "code");
        let percent = rate(answer, &text(i, "measure"));
        for (key, label) in FIGURES.into_iter().chain([("max", "满分")]) {
            let Some(raw) = i.get(key).is_some().then(|| field(format!("{code}.{key}"))).flatten() else { continue };
            let x: f64 = raw.parse().ok().filter(|x: &f64| x.is_finite()).ok_or_else(|| format!("{code} 的{label}不是数字：{raw:?}"))?;
            i[key] = json!(if percent && !matches!(key, "per" | "max") { x / 100.0 } else { x });
        }
        if let Some(note) = field(format!("{code}.note")) {
            i["note"] = json!(note);
        }
    }
    Ok(scheme)
}

/// The versions so far, newest first, as markup.
fn history_html(answer: &Value) -> String {
    let mut html = String::from("<ul class=\"followups\" id=\"scheme-history\">");
    for h in list(answer, "history").iter().rev() {
        html.push_str(&format!(
            "<li>第 {} 版 · {} · {} · {}</li>",
            esc(&text(h, "version")),
            esc(&crate::labels::time(&text(h, "changed_at"))),
            esc(&text(h, "changed_by")),
            esc(&text(h, "note"))
        ));
    }
    html + "</ul>"
}

/// The version read, in words.
fn version_words(answer: &Value) -> String {
    let version = text(answer, "version");
    if version == "0" {
        format!("{} 年沿用内置指标体系（{}）", text(answer, "year"), text(answer, "note"))
    } else {
        format!("{} 年指标体系第 {version} 版（{} 于 {} 修改：{}）", text(answer, "year"), text(answer, "changed_by"), crate::labels::time(&text(answer, "changed_at")), text(answer, "note"))
    }
}

/// The editor of a year's scheme.
#[component]
pub fn SchemeEditor() -> impl IntoView {
    let b = expect_context::<Board>();
    let year = RwSignal::new(b.year.get_untracked());
    let answer = RwSignal::new(None::<Result<Value, String>>);
    let error = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let reloads = RwSignal::new(0_u32);
    Effect::new(move |_| {
        reloads.track();
        let url = format!("/api/v1/assessment/schemes/{}", year.get());
        spawn_local(async move { answer.set(Some(api::get::<Value>(&url).await)) });
    });
    let on_submit = submit(move |ev| {
        let form = values(&ev);
        let Some(Ok(read)) = answer.get_untracked() else { return };
        let y = year.get_untracked().parse::<i64>().unwrap_or(0);
        let scheme = match edited(&read, &form, y) {
            Ok(s) => s,
            Err(e) => return error.set(e),
        };
        let body = json!({"base_version": read.get("version").and_then(Value::as_i64).unwrap_or(0), "note": form.get("change_note").cloned().unwrap_or_else(|| json!("")), "scheme": scheme});
        error.set(String::new());
        message.set("保存中…".to_owned());
        spawn_local(async move {
            let got = api::raw_json("PUT", &format!("/api/v1/assessment/schemes/{y}"), &body).await;
            message.set(String::new());
            match got {
                Ok((200, t)) => match serde_json::from_str::<Value>(&t) {
                    Ok(saved) => {
                        message.set(format!("已保存为第 {} 版，考评得分按新版本重新计算。", text(&saved, "version")));
                        // Read again: the answer of a change has no history.
                        reloads.update(|n| *n += 1);
                        b.reload();
                    }
                    Err(e) => error.set(format!("无法解析服务器的回答：{e}")),
                },
                Ok((409, t)) => error.set(format!("指标体系已被修改，请重新加载后再改（HTTP 409）：{}", api::detail(&t))),
                Ok((422, t)) => error.set(format!("指标体系不合理，未保存（HTTP 422）：{}", api::detail(&t))),
                Ok((status, t)) => error.set(format!("保存失败（HTTP {status}）：{}", api::detail(&t))),
                Err(e) => error.set(e),
            }
        });
    });
    let body = markup(move || {
        answer.with(|a| {
            answer_html(a, "scheme", "加载中…", "", |a| {
                [
                    format!("<p class=\"note\" id=\"scheme-version\" data-version=\"{}\">{}</p>", esc(&text(a, "version")), esc(&version_words(a))),
                    table_html(a),
                    "<h3>修改记录</h3>".to_owned(),
                    history_html(a),
                ]
                .concat()
            })
        })
    });
    let reload = click(move |_| {
        error.set(String::new());
        reloads.update(|n| *n += 1);
    });
    view! {
        <form id="scheme-editor" class="scheme-editor" on:submit=on_submit>
            <div class="row">
                {year_picker("scheme-year", year)}
                <button type="button" id="scheme-reload" on:click=reload>"重新加载"</button>
            </div>
            <div class="table-scroll" inner_html=body></div>
            <div class="row save-row">
                <input id="scheme-note" name="change_note" type="text" placeholder="修改说明（必填）"/>
                <button id="scheme-save" type="submit">"保存为新版本"</button>
                <span class="result ok" id="scheme-result">{message}</span>
                <span class="error" id="scheme-error">{error}</span>
            </div>
        </form>
    }
}
