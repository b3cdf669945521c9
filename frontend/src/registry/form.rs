//! A registry record's form, made from its kind's field list (`wangge_core::registry::schema`):
//! Chinese labels, required marks, code lists as selects, the type-specific fields of the type
//! chosen; a field's problems (the service's 422, or the same check run on the device) shown
//! beside it, in Chinese where the reason is known. Used by the console and the field app.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};
use wangge_core::registry::{check_record, Entity, Field, FieldType};

/// The form's values, by field key (empty: not given).
pub type Values = BTreeMap<String, String>;

/// A field refused, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldProblem {
    /// The field's key.
    pub field: String,
    /// Why (the service's words).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize)]
struct Problems {
    #[serde(default)]
    problems: Vec<FieldProblem>,
}

/// The problems of a 422 answer (`problems: [{field, reason}]`; none when it has none).
pub fn problems_of(text: &str) -> Vec<FieldProblem> {
    serde_json::from_str::<Problems>(text).map(|p| p.problems).unwrap_or_default()
}

/// The service's reason in Chinese where its words are known (else as it is).
pub fn reason_zh(reason: &str) -> String {
    const KNOWN: [(&str, &str); 25] = [
        ("already registered", "该公民身份号码已登记"),
        ("is required", "必填"),
        ("has 18 characters", "公民身份号码应为18位"),
        ("must be a digit", "公民身份号码只能是数字（第18位可为X）"),
        ("is not a province code", "前两位不是省级行政区划代码"),
        ("not a possible date of birth", "号码中的出生日期不成立"),
        ("but the first 17 digits give", "校验位不符：可能输错了一位数字"),
        ("differs from the number", "与公民身份号码中的信息不一致"),
        ("is not in the list", "不在代码表中"),
        ("a date like", "日期格式应为 2024-05-01"),
        ("a mobile (11 digits)", "应为11位手机号或带区号的固定电话"),
        ("credit code has 18", "统一社会信用代码应为18位"),
        ("check character should be", "校验位不符：可能输错了一个字符"),
        ("is not one of", "含有统一社会信用代码不允许的字符"),
        ("a number from", "应为范围内的数字"),
        ("12-digit village", "应为12位村(社区)代码"),
        ("no village or community", "县内没有该村(社区)代码"),
        ("the id of a", "应为该类记录的编号"),
        ("no house", "没有该编号的房屋"),
        ("is in village", "该房屋不在所填村(社区)"),
        ("outside every grid", "该位置不在县内任何网格"),
        ("the point is in grid", "该位置不在所填村(社区)内"),
        ("give both lon and lat", "经度和纬度须同时填写"),
        ("applies only to", "不适用于所选类别"),
        ("characters, got", "超出长度限制"),
    ];
    KNOWN.iter().find(|(en, _)| reason.contains(en)).map_or_else(|| reason.to_owned(), |(_, zh)| (*zh).to_owned())
}

/// Whether a field applies to the record's type as chosen in `values`.
pub fn applies(kind: Entity, values: &Values, field: &Field) -> bool {
    field.only.is_empty() || kind.subtype().and_then(|s| values.get(s)).is_some_and(|t| field.only.contains(&t.as_str()))
}

/// The request's body: the values given of the fields that apply.
pub fn body(kind: Entity, values: &Values) -> Value {
    let map: Map<String, Value> = kind
        .fields()
        .iter()
        .filter(|f| applies(kind, values, f))
        .filter_map(|f| values.get(f.key).map(|v| (f.key, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    Value::Object(map)
}

/// A record's values for its form (personal fields as masked: sent back unchanged, the
/// service keeps what it holds).
pub fn values_of(kind: Entity, record: &Value) -> Values {
    kind.fields()
        .iter()
        .map(|f| (f.key.to_owned(), super::text(record, f.key)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The service's own check of the fields, run on the device (for forms that wait offline).
pub fn check(kind: Entity, values: &Values) -> Vec<FieldProblem> {
    let input: BTreeMap<String, String> = match body(kind, values) {
        Value::Object(m) => m.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect(),
        _ => BTreeMap::new(),
    };
    match check_record(kind, &input, today()) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.into_iter().map(|p| FieldProblem { field: p.field, reason: p.reason }).collect(),
    }
}

/// Today in China time.
fn today() -> chrono::NaiveDate {
    let now = js_sys::Date::new_0();
    let china = js_sys::Date::new(&(now.get_time() + 8.0 * 3600.0 * 1000.0).into());
    chrono::NaiveDate::from_ymd_opt(china.get_utc_full_year() as i32, china.get_utc_month() + 1, china.get_utc_date())
        .unwrap_or(chrono::NaiveDate::MIN)
}

/// The form's fields (without the form element and its buttons).
#[component]
pub fn RecordForm(
    /// The kind of record.
    kind: Entity,
    /// The values, edited in place.
    values: RwSignal<Values>,
    /// The problems to show beside their fields.
    problems: RwSignal<Vec<FieldProblem>>,
) -> impl IntoView {
    // Only the type decides which fields are shown: typing elsewhere does not redraw them.
    let subtype = Memo::new(move |_| kind.subtype().and_then(|s| values.with(|v| v.get(s).cloned())));
    let shown = move || {
        let chosen: Values = subtype.get().map(|t| (kind.subtype().unwrap_or_default().to_owned(), t)).into_iter().collect();
        kind.fields().iter().filter(|f| applies(kind, &chosen, f)).map(|f| view! { <FieldInput field=f values problems/> }).collect_view()
    };
    let others = move || {
        problems.with(|ps| {
            ps.iter()
                .filter(|p| kind.field(&p.field).is_none())
                .map(|p| format!("{}：{}", p.field, reason_zh(&p.reason)))
                .collect::<Vec<_>>()
                .join("；")
        })
    };
    view! {
        <div class="record-form">
            {shown}
            <p class="error" id="rf-problems">{others}</p>
        </div>
    }
}

/// One field: its label (with a mark when required), its input and its problem.
#[component]
fn FieldInput(field: &'static Field, values: RwSignal<Values>, problems: RwSignal<Vec<FieldProblem>>) -> impl IntoView {
    let key = field.key;
    let value = move || values.with(|v| v.get(key).cloned().unwrap_or_default());
    let set = move |ev: web_sys::Event| {
        let v = event_target_value(&ev);
        values.update(|vs| {
            vs.insert(key.to_owned(), v);
        });
        problems.update(|ps| ps.retain(|p| p.field != key));
    };
    let problem = move || problems.with(|ps| ps.iter().find(|p| p.field == key).map(|p| (reason_zh(&p.reason), p.reason.clone())));
    let id = format!("rf-{key}");
    let input = match field.ty {
        FieldType::Code(list) => view! {
            <select id=id on:change=set>
                <option value="">"—请选择—"</option>
                {list.iter().map(|c| view! { <option value=c.code selected=move || value() == c.code>{c.zh}</option> }).collect_view()}
            </select>
        }.into_any(),
        FieldType::Date => view! { <input id=id type="date" prop:value=value on:change=set/> }.into_any(),
        ty => {
            let (kind, hint, max) = match ty {
                FieldType::Text(n) => ("text", String::new(), n),
                FieldType::IdNumber => ("text", "18位，末位可为X".to_owned(), 18),
                FieldType::Phone => ("tel", "手机或带区号的固定电话".to_owned(), 20),
                FieldType::CreditCode => ("text", "18位".to_owned(), 18),
                FieldType::Village => ("text", "12位代码".to_owned(), 12),
                FieldType::Ref(e) => ("text", format!("{}编号（{}…）", e.zh(), e.id_prefix()), 64),
                _ => ("text", String::new(), 32),
            };
            let mode = if matches!(ty, FieldType::Number(..)) { "decimal" } else { "text" };
            view! {
                <input id=id type=kind inputmode=mode placeholder=hint maxlength=max.to_string()
                    prop:value=value on:input=set/>
            }.into_any()
        }
    };
    view! {
        <label class="rf-field" class:invalid=move || problem().is_some()>
            <span class="rf-label">{field.zh}{field.required.then(|| view! { <b class="required" title="必填">"*"</b> })}</span>
            {input}
            <span class="field-problem" id=format!("problem-{key}") title=move || problem().map(|p| p.1).unwrap_or_default()>
                {move || problem().map(|p| p.0).unwrap_or_default()}
            </span>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_specific_field_goes_only_with_its_type() {
        let mut v = Values::new();
        v.insert("kind".into(), "registered".into());
        v.insert("name".into(), " 张三 ".into());
        v.insert("floating_reason".into(), "work".into());
        v.insert("phone".into(), String::new());
        assert_eq!(body(Entity::Person, &v), serde_json::json!({"kind": "registered", "name": "张三"}));
        v.insert("kind".into(), "floating".into());
        assert_eq!(body(Entity::Person, &v)["floating_reason"], "work");
    }

    #[test]
    fn the_services_reasons_read_in_chinese() {
        let problems = problems_of(r#"{"status":422,"problems":[{"field":"id_number","reason":"the check character is 1, but the first 17 digits give 7: a digit was mistyped"}]}"#);
        assert_eq!(problems.len(), 1);
        assert_eq!(reason_zh(&problems[0].reason), "校验位不符：可能输错了一位数字");
        assert_eq!(reason_zh("姓名 is required"), "必填");
        assert_eq!(reason_zh("something new"), "something new");
    }
}
