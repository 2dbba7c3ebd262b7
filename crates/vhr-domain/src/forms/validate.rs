//! Validates and normalises filled-in values against a form definition (§13 V3–V5, V9).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::def::{field_holds, DatePrecision, Derivation, Field, FieldKind, FormDef, FormRegistry, Requirement, Rule};
use super::FormValues;
use crate::population::Tag;
use crate::problem::Problem;
use crate::text::normalize_ascii;

/// What validation needs to know besides the values: the day, and who the
/// form is about (for items required by age or key population).
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub today: NaiveDate,
    pub age: Option<u32>,
    pub tags: &'a [Tag],
}

impl ValidationContext<'_> {
    /// A context that knows only the day.
    pub fn on(today: NaiveDate) -> ValidationContext<'static> {
        ValidationContext { today, age: None, tags: &[] }
    }
}

fn requirement_holds(req: &Requirement, values: &FormValues, ctx: ValidationContext<'_>) -> bool {
    match req {
        Requirement::MinAge { years } => ctx.age.is_some_and(|a| a >= *years),
        Requirement::Population { tag } => ctx.tags.contains(tag),
        Requirement::FieldIs { field, any_of } => field_holds(values, field, any_of),
    }
}

/// Returns the normalised values (trimmed text, numbers from full-width
/// digits, dates in ISO form, hidden fields dropped) and every problem found.
/// `path` prefixes each problem's field, e.g. `basic_info`.
pub fn validate(
    form: &FormDef,
    registry: &FormRegistry,
    values: &FormValues,
    ctx: ValidationContext<'_>,
    path: &str,
) -> (FormValues, Vec<Problem>) {
    let mut out = Map::new();
    let mut problems = Vec::new();
    let fields: Vec<&Field> = form.asked_sections(values).flat_map(|s| &s.fields).filter(|f| f.bound.is_none()).collect();
    check_fields(&fields, registry, values, ctx, path, &mut out, &mut problems);
    derive(form, registry, &mut out);
    check_rules(&form.rules, &out, path, &mut problems);
    (out, problems)
}

/// Computes every derived field from the validated values (V6); what the
/// user may have typed there is replaced.
fn derive(form: &FormDef, registry: &FormRegistry, out: &mut FormValues) {
    let number = |out: &FormValues, id: &str| out.get(id).and_then(Value::as_f64);
    for field in form.fields() {
        let Some(derivation) = &field.derived else { continue };
        let value = match derivation {
            Derivation::Bmi { weight, height } => match (number(out, weight), number(out, height)) {
                (Some(w), Some(h)) if h > 0.0 => {
                    let bmi = w / (h / 100.0).powi(2);
                    serde_json::Number::from_f64((bmi * 10.0).round() / 10.0).map(Value::Number)
                }
                _ => None,
            },
            Derivation::ScoreSum { fields } => {
                let mut total = 0.0;
                let mut complete = true;
                for id in fields {
                    let score = form.field(id).and_then(|f| match &f.kind {
                        FieldKind::Code { code_set, .. } => {
                            let code = out.get(id).and_then(Value::as_str)?;
                            registry.code_set(code_set)?.entry(code)?.score
                        }
                        _ => None,
                    });
                    match score {
                        Some(s) => total += s,
                        None => complete = false,
                    }
                }
                if complete {
                    serde_json::Number::from_f64(total).map(Value::Number)
                } else {
                    None
                }
            }
            Derivation::Bands { source, bands } => number(out, source)
                .and_then(|n| bands.iter().find(|b| n >= b.min && b.max.is_none_or(|m| n <= m)).map(|b| Value::String(b.code.clone()))),
            Derivation::Percent { part, whole } => match (number(out, part), number(out, whole)) {
                (Some(p), Some(w)) if w > 0.0 => serde_json::Number::from_f64((p / w * 1000.0).round() / 10.0).map(Value::Number),
                _ => None,
            },
        };
        match value {
            Some(v) => out.insert(field.id.clone(), v),
            None => out.remove(&field.id),
        };
    }
}

fn check_rules(rules: &[Rule], out: &FormValues, path: &str, problems: &mut Vec<Problem>) {
    let at = |f: &str| if path.is_empty() { f.to_string() } else { format!("{path}.{f}") };
    for rule in rules {
        match rule {
            Rule::Greater { field, than, message } => {
                if let (Some(a), Some(b)) = (out.get(field).and_then(Value::as_f64), out.get(than).and_then(Value::as_f64)) {
                    if a <= b {
                        problems.push(Problem::error(at(field), "rule.greater", message.zh.clone(), message.en.clone()));
                    }
                }
            }
            Rule::AtMost { field, than, message } => {
                if let (Some(a), Some(b)) = (out.get(field).and_then(Value::as_f64), out.get(than).and_then(Value::as_f64)) {
                    if a > b {
                        problems.push(Problem::error(at(field), "rule.at_most", message.zh.clone(), message.en.clone()));
                    }
                }
            }
            Rule::DateAfter { field, than, message } => {
                if let (Some(a), Some(b)) = (out.get(field).and_then(Value::as_str), out.get(than).and_then(Value::as_str)) {
                    if a <= b {
                        problems.push(Problem::error(at(field), "rule.date_after", message.zh.clone(), message.en.clone()));
                    }
                }
            }
            Rule::NotBefore { field, than, message } => {
                if let (Some(a), Some(b)) = (out.get(field).and_then(Value::as_str), out.get(than).and_then(Value::as_str)) {
                    if a < b {
                        problems.push(Problem::error(at(field), "rule.not_before", message.zh.clone(), message.en.clone()));
                    }
                }
            }
        }
    }
}

fn check_fields(
    fields: &[&Field],
    registry: &FormRegistry,
    values: &FormValues,
    ctx: ValidationContext<'_>,
    path: &str,
    out: &mut FormValues,
    problems: &mut Vec<Problem>,
) {
    for field in fields {
        if field.derived.is_some() {
            continue;
        }
        if !field.asked(values) {
            continue;
        }
        let required = field.required || field.required_if.as_ref().is_some_and(|r| requirement_holds(r, values, ctx));
        let at = if path.is_empty() { field.id.clone() } else { format!("{path}.{}", field.id) };
        let raw = values.get(&field.id).cloned().unwrap_or(Value::Null);
        let text_key = format!("{}_text", field.id);
        let raw_text = values.get(&text_key).and_then(Value::as_str).map(str::trim).unwrap_or("");
        let mut check = FieldCheck { field, at: &at, required, problems };
        if let Some(value) = check.value(registry, raw, raw_text, ctx) {
            out.insert(field.id.clone(), value);
            if !raw_text.is_empty() && matches!(field.kind, FieldKind::Code { .. }) {
                out.insert(text_key, Value::String(raw_text.to_string()));
            }
        }
    }
}

struct FieldCheck<'a> {
    field: &'a Field,
    at: &'a str,
    required: bool,
    problems: &'a mut Vec<Problem>,
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

impl FieldCheck<'_> {
    fn error(&mut self, code: &str, zh: String, en: String) {
        self.problems.push(Problem::error(self.at, code, zh, en));
    }

    fn error_at(&mut self, at: String, code: &str, zh: String, en: String) {
        self.problems.push(Problem::error(at, code, zh, en));
    }

    fn zh(&self) -> &str {
        &self.field.label.zh
    }

    fn en(&self) -> &str {
        &self.field.label.en
    }

    /// Checks one field's value; `None` means nothing to store.
    fn value(&mut self, registry: &FormRegistry, raw: Value, text: &str, ctx: ValidationContext<'_>) -> Option<Value> {
        if is_empty(&raw) {
            if self.required {
                let (zh, en) = (format!("请填写「{}」", self.zh()), format!("Fill in “{}”", self.en()));
                self.error("required", zh, en);
            }
            return None;
        }
        match &self.field.kind {
            FieldKind::Text { max_len, .. } => {
                let Some(s) = raw.as_str() else {
                    return self.wrong_type();
                };
                let s = s.trim().to_string();
                if let Some(max) = max_len {
                    if s.chars().count() > *max as usize {
                        let (zh, en) =
                            (format!("「{}」不能超过{max}个字", self.zh()), format!("“{}” has at most {max} characters", self.en()));
                        self.error("text.too_long", zh, en);
                    }
                }
                Some(Value::String(s))
            }
            FieldKind::Code { code_set, multi, exclusive, text_for } => {
                let set = registry.code_set(code_set)?;
                let codes: Vec<String> = match (&raw, multi) {
                    (Value::String(s), false) => vec![normalize_ascii(s)],
                    (Value::Array(items), true) => {
                        let mut codes = Vec::new();
                        for item in items {
                            match item.as_str() {
                                Some(s) if !codes.contains(&normalize_ascii(s)) => codes.push(normalize_ascii(s)),
                                Some(_) => {}
                                None => return self.wrong_type(),
                            }
                        }
                        codes
                    }
                    _ => return self.wrong_type(),
                };
                for code in &codes {
                    if set.entry(code).is_none() {
                        let (zh, en) = (format!("「{}」没有选项 {code}", self.zh()), format!("“{}” has no option {code}", self.en()));
                        self.error("code.unknown", zh, en);
                        return None;
                    }
                }
                self.check_exclusive(&codes, exclusive, set);
                if codes.iter().any(|c| text_for.contains(c)) && text.is_empty() {
                    let (zh, en) = (
                        format!("「{}」选择了需要说明的选项，请注明具体内容", self.zh()),
                        format!("“{}”: write in what the chosen option means", self.en()),
                    );
                    self.error_at(format!("{}_text", self.at), "code.text_required", zh, en);
                }
                Some(if *multi { Value::Array(codes.into_iter().map(Value::String).collect()) } else { Value::String(codes[0].clone()) })
            }
            FieldKind::Number { min, max, warn_min, warn_max, unit, .. } => {
                let n = match &raw {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => normalize_ascii(s).parse::<f64>().ok(),
                    _ => None,
                };
                let Some(n) = n.filter(|n| n.is_finite()) else {
                    let (zh, en) = (format!("「{}」应为数字", self.zh()), format!("“{}” must be a number", self.en()));
                    self.error("number.format", zh, en);
                    return None;
                };
                let unit = unit.clone().unwrap_or_default();
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    let (zh, en) = (
                        format!("「{}」应在 {}–{} {unit} 之间", self.zh(), fmt(*min), fmt(*max)),
                        format!("“{}” must lie between {} and {} {unit}", self.en(), fmt(*min), fmt(*max)),
                    );
                    self.error("number.range", zh, en);
                } else if warn_min.is_some_and(|m| n < m) || warn_max.is_some_and(|m| n > m) {
                    self.problems.push(Problem::warning(
                        self.at,
                        "number.implausible",
                        format!("「{}」为 {n} {unit}，超出常见范围（{}–{}），请确认", self.zh(), fmt(*warn_min), fmt(*warn_max)),
                        format!("“{}” is {n} {unit}, outside the usual {}–{}; please confirm", self.en(), fmt(*warn_min), fmt(*warn_max)),
                    ));
                }
                serde_json::Number::from_f64(n).map(Value::Number)
            }
            FieldKind::Date { precision, not_future } => {
                let s = raw.as_str().unwrap_or_default();
                let at = self.at.to_string();
                self.date(at, s, *precision, *not_future, ctx).map(Value::String)
            }
            FieldKind::Rows { columns, min_rows, rules, .. } => {
                let Value::Array(rows) = raw else {
                    return self.wrong_type();
                };
                let cols: Vec<&Field> = columns.iter().collect();
                let mut out_rows = Vec::new();
                for (i, row) in rows.iter().enumerate() {
                    let Some(row) = row.as_object() else {
                        return self.wrong_type();
                    };
                    // A row nobody typed into (the empty row a table starts with) is not a row.
                    if row.values().all(is_empty) {
                        continue;
                    }
                    let mut out = Map::new();
                    let at = format!("{}[{i}]", self.at);
                    check_fields(&cols, registry, row, ctx, &at, &mut out, self.problems);
                    check_rules(rules, &out, &at, self.problems);
                    if !out.is_empty() {
                        out_rows.push(Value::Object(out));
                    }
                }
                if (out_rows.len() as u32) < *min_rows {
                    let (zh, en) = (format!("请至少填写一行「{}」", self.zh()), format!("Add at least one row to “{}”", self.en()));
                    self.error("rows.required", zh, en);
                }
                Some(Value::Array(out_rows))
            }
            FieldKind::CodeDates { code_set, exclusive, text_for, precision, .. } => {
                let set = registry.code_set(code_set)?;
                let Value::Array(rows) = raw else {
                    return self.wrong_type();
                };
                let mut out_rows = Vec::new();
                let mut codes = Vec::new();
                for (i, row) in rows.iter().enumerate() {
                    let code = row.get("code").and_then(Value::as_str).map(normalize_ascii).unwrap_or_default();
                    let Some(entry) = set.entry(&code) else {
                        let (zh, en) = (format!("「{}」没有选项 {code}", self.zh()), format!("“{}” has no option {code}", self.en()));
                        self.error_at(format!("{}[{i}].code", self.at), "code.unknown", zh, en);
                        continue;
                    };
                    if codes.contains(&code) {
                        continue;
                    }
                    codes.push(code.clone());
                    let mut out = Map::new();
                    out.insert("code".into(), Value::String(code.clone()));
                    if !exclusive.contains(&code) {
                        let date = row.get("date").and_then(Value::as_str).unwrap_or("");
                        if date.trim().is_empty() {
                            self.error_at(
                                format!("{}[{i}].date", self.at),
                                "code_dates.date_required",
                                format!("请填写「{}」的确诊时间", entry.label.zh),
                                format!("Enter when “{}” was diagnosed", entry.label.en),
                            );
                        } else if let Some(d) = self.date(format!("{}[{i}].date", self.at), date, *precision, true, ctx) {
                            out.insert("date".into(), Value::String(d));
                        }
                    }
                    let text = row.get("text").and_then(Value::as_str).map(str::trim).unwrap_or("");
                    if text_for.contains(&code) && text.is_empty() {
                        self.error_at(
                            format!("{}[{i}].text", self.at),
                            "code.text_required",
                            format!("「{}」请注明具体名称", entry.label.zh),
                            format!("“{}”: write in the name", entry.label.en),
                        );
                    }
                    if !text.is_empty() {
                        out.insert("text".into(), Value::String(text.to_string()));
                    }
                    out_rows.push(Value::Object(out));
                }
                self.check_exclusive(&codes, exclusive, set);
                Some(Value::Array(out_rows))
            }
        }
    }

    fn check_exclusive(&mut self, codes: &[String], exclusive: &[String], set: &super::def::CodeSet) {
        if codes.len() > 1 {
            if let Some(x) = codes.iter().find(|c| exclusive.contains(c)) {
                let label = set.entry(x).map(|e| e.label.clone());
                let (lzh, len) = label.map(|l| (l.zh, l.en)).unwrap_or_default();
                let (zh, en) = (
                    format!("「{}」中「{lzh}」不能与其他选项同时选择", self.zh()),
                    format!("“{}”: “{len}” cannot be combined with other options", self.en()),
                );
                self.error("code.exclusive", zh, en);
            }
        }
    }

    fn date(&mut self, at: String, s: &str, precision: DatePrecision, not_future: bool, ctx: ValidationContext<'_>) -> Option<String> {
        let Some(date) = normalize_date(s, precision) else {
            let (zh, en) = match precision {
                DatePrecision::Day => {
                    ("日期格式应为 年-月-日，如 1958-03-15 或 19580315", "Write the date as year-month-day, e.g. 1958-03-15 or 19580315")
                }
                DatePrecision::Month => ("日期格式应为 年-月，如 2015-03", "Write the date as year-month, e.g. 2015-03"),
            };
            self.error_at(at, "date.format", zh.into(), en.into());
            return None;
        };
        let first_day = NaiveDate::parse_from_str(&format!("{date}-01")[..10], "%Y-%m-%d").ok()?;
        if not_future && first_day > ctx.today {
            self.error_at(at, "date.future", "日期不能晚于今天".into(), "The date cannot be after today".into());
            return None;
        }
        Some(date)
    }

    fn wrong_type(&mut self) -> Option<Value> {
        let (zh, en) = (format!("「{}」的填写方式不正确", self.zh()), format!("“{}” has a value of the wrong kind", self.en()));
        self.error("type", zh, en);
        None
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "…".into())
}

/// Reads the date forms people type (19580315, 1958-03-15, 1958/3/15,
/// 1958.3.15, full-width digits) and returns `YYYY-MM-DD`, or `YYYY-MM` for
/// month precision. `None` when it is not a real date.
pub fn normalize_date(input: &str, precision: DatePrecision) -> Option<String> {
    let s = normalize_ascii(input);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    // Sliced by position only once it is known to be ASCII digits ("不详12" is 8 bytes too).
    let digits = |one: &str, n: usize| one.len() == n && one.bytes().all(|b| b.is_ascii_digit());
    let (y, m, d) = match (parts.as_slice(), precision) {
        ([one], DatePrecision::Day) if digits(one, 8) => (&one[..4], &one[4..6], Some(&one[6..])),
        ([one], DatePrecision::Month) if digits(one, 6) => (&one[..4], &one[4..], None),
        ([y, m, d], DatePrecision::Day) => (*y, *m, Some(*d)),
        ([y, m], DatePrecision::Month) => (*y, *m, None),
        _ => return None,
    };
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let d: u32 = match d {
        Some(d) => d.parse().ok()?,
        None => 1,
    };
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    Some(match precision {
        DatePrecision::Day => date.format("%Y-%m-%d").to_string(),
        DatePrecision::Month => date.format("%Y-%m").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_the_ways_people_type_them() {
        for s in ["19580315", "1958-03-15", "1958/3/15", "1958.3.15", "１９５８年３月１５日"] {
            assert_eq!(normalize_date(s, DatePrecision::Day).as_deref(), Some("1958-03-15"), "{s}");
        }
        assert_eq!(normalize_date("2015-3", DatePrecision::Month).as_deref(), Some("2015-03"));
        assert_eq!(normalize_date("201503", DatePrecision::Month).as_deref(), Some("2015-03"));
        assert_eq!(normalize_date("1958-02-30", DatePrecision::Day), None);
        assert_eq!(normalize_date("58-3-15", DatePrecision::Day), None);
    }
}
