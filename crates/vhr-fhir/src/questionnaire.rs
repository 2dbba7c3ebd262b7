//! Forms as `Questionnaire`s generated from their definitions, and filled-in
//! forms as `QuestionnaireResponse`s, read back without loss.
//!
//! One section is one group item; a field is an item whose `linkId` is the
//! field id. A table (`rows`) is a repeating group, one per row; a list of
//! diagnoses with dates (`code_dates`) is a repeating choice whose answers
//! carry the date and the written-in name as nested items; the text a chosen
//! "other" needs is a sibling item `<field>_text`.

use serde_json::{json, Map, Value};
use vhr_domain::forms::{Field, FieldKind, FormDef, FormRegistry, FormValues};

use crate::{id_of_reference, prune, reference, FhirConfig, MapError};

fn item_type(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Text { multiline: true, .. } => "text",
        FieldKind::Text { .. } => "string",
        FieldKind::Code { .. } | FieldKind::CodeDates { .. } => "choice",
        FieldKind::Number { .. } => "decimal",
        FieldKind::Date { .. } => "date",
        FieldKind::Rows { .. } => "group",
    }
}

fn text_for(kind: &FieldKind) -> bool {
    match kind {
        FieldKind::Code { text_for, .. } => !text_for.is_empty(),
        _ => false,
    }
}

fn question(field: &Field, link: &str, registry: &FormRegistry, cfg: &FhirConfig) -> Vec<Value> {
    let mut item = json!({ "linkId": link, "text": field.label.zh, "type": item_type(&field.kind) });
    if let Some(de) = &field.de {
        item["code"] = json!([{ "system": "urn:oid:2.16.156.10011.2.2.1", "code": de }]);
    }
    if let Some(number) = &field.number {
        item["prefix"] = json!(number);
    }
    match &field.kind {
        FieldKind::Code { code_set, multi, .. } => {
            item["repeats"] = json!(*multi);
            item["answerOption"] = options(code_set, registry, cfg);
        }
        FieldKind::CodeDates { code_set, .. } => {
            item["repeats"] = json!(true);
            item["answerOption"] = options(code_set, registry, cfg);
            item["item"] = json!([
                { "linkId": format!("{link}.date"), "text": "确诊时间", "type": "date" },
                { "linkId": format!("{link}.text"), "text": "名称", "type": "string" }
            ]);
        }
        FieldKind::Rows { columns, .. } => {
            item["repeats"] = json!(true);
            item["item"] = columns.iter().flat_map(|c| question(c, &format!("{link}.{}", c.id), registry, cfg)).collect();
        }
        FieldKind::Number { unit: Some(unit), .. } => {
            item["extension"] = json!([{
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                "valueCoding": { "display": unit }
            }]);
        }
        _ => {}
    }
    let mut out = vec![item];
    if text_for(&field.kind) {
        out.push(json!({ "linkId": format!("{link}_text"), "text": format!("{}（其他，请注明）", field.label.zh), "type": "string" }));
    }
    out
}

fn options(code_set: &str, registry: &FormRegistry, cfg: &FhirConfig) -> Value {
    let system = cfg.code_system(code_set);
    let codes = registry.code_set(code_set).map(|s| s.codes.as_slice()).unwrap_or_default();
    codes.iter().map(|c| json!({ "valueCoding": { "system": system, "code": c.code, "display": c.label.zh } })).collect()
}

/// The `Questionnaire` of a form, generated from its definition.
pub fn questionnaire(form: &FormDef, registry: &FormRegistry, cfg: &FhirConfig) -> Value {
    let items: Vec<Value> = form
        .sections
        .iter()
        .map(|s| {
            let fields: Vec<Value> = s.fields.iter().flat_map(|f| question(f, &f.id, registry, cfg)).collect();
            json!({ "linkId": format!("section.{}", s.id), "text": s.title.zh, "type": "group", "item": fields })
        })
        .collect();
    let mut q = json!({
        "resourceType": "Questionnaire",
        "id": form.id.replace('_', "-"),
        "url": cfg.questionnaire_url(&form.id),
        "version": form.version.to_string(),
        "title": form.title.zh,
        "status": "active",
        "subjectType": ["Patient"],
        "item": items
    });
    if let Some(doc) = &form.document_type {
        q["code"] = json!([{ "system": cfg.document_type_system, "code": doc }]);
    }
    prune(&mut q);
    q
}

fn answer(field: &Field, value: &Value, registry: &FormRegistry, cfg: &FhirConfig) -> Option<Value> {
    Some(match &field.kind {
        FieldKind::Text { .. } => json!({ "valueString": value.as_str()? }),
        FieldKind::Number { .. } => json!({ "valueDecimal": value.as_f64()? }),
        FieldKind::Date { .. } => json!({ "valueDate": value.as_str()? }),
        FieldKind::Code { code_set, .. } | FieldKind::CodeDates { code_set, .. } => {
            let code = value.as_str()?;
            let display = registry.code_set(code_set).and_then(|s| s.entry(code)).map(|e| e.label.zh.clone());
            json!({ "valueCoding": { "system": cfg.code_system(code_set), "code": code, "display": display } })
        }
        FieldKind::Rows { .. } => return None,
    })
}

/// The response items of one field holding `value`.
fn answered(
    field: &Field,
    link: &str,
    value: &Value,
    values: &Map<String, Value>,
    registry: &FormRegistry,
    cfg: &FhirConfig,
) -> Vec<Value> {
    let mut out = Vec::new();
    match (&field.kind, value) {
        (FieldKind::Rows { columns, .. }, Value::Array(rows)) => {
            for row in rows.iter().filter_map(Value::as_object) {
                let items: Vec<Value> = columns
                    .iter()
                    .filter_map(|c| row.get(&c.id).map(|v| (c, v)))
                    .flat_map(|(c, v)| answered(c, &format!("{link}.{}", c.id), v, row, registry, cfg))
                    .collect();
                out.push(json!({ "linkId": link, "item": items }));
            }
        }
        (FieldKind::CodeDates { .. }, Value::Array(rows)) => {
            let answers: Vec<Value> = rows
                .iter()
                .filter_map(|row| {
                    let mut a = answer(field, row.get("code")?, registry, cfg)?;
                    let mut nested = Vec::new();
                    if let Some(date) = row.get("date").and_then(Value::as_str) {
                        nested.push(json!({ "linkId": format!("{link}.date"), "answer": [{ "valueDate": date }] }));
                    }
                    if let Some(text) = row.get("text").and_then(Value::as_str) {
                        nested.push(json!({ "linkId": format!("{link}.text"), "answer": [{ "valueString": text }] }));
                    }
                    if !nested.is_empty() {
                        a["item"] = Value::Array(nested);
                    }
                    Some(a)
                })
                .collect();
            out.push(json!({ "linkId": link, "answer": answers }));
        }
        (_, Value::Array(many)) => {
            let answers: Vec<Value> = many.iter().filter_map(|v| answer(field, v, registry, cfg)).collect();
            out.push(json!({ "linkId": link, "answer": answers }));
        }
        (_, one) => {
            if let Some(a) = answer(field, one, registry, cfg) {
                out.push(json!({ "linkId": link, "answer": [a] }));
            }
        }
    }
    if text_for(&field.kind) {
        if let Some(text) = values.get(&format!("{}_text", field.id)).and_then(Value::as_str) {
            out.push(json!({ "linkId": format!("{link}_text"), "answer": [{ "valueString": text }] }));
        }
    }
    out
}

/// Who a response is about and when it was given.
pub struct ResponseFacts<'a> {
    pub id: &'a str,
    pub resident_id: &'a str,
    /// The encounter it was filled in at, if any (the basic information has none).
    pub encounter_id: Option<&'a str>,
    /// When it was last saved, RFC 3339.
    pub authored: &'a str,
    pub author: &'a str,
}

/// The `QuestionnaireResponse` of a filled-in form.
pub fn response(form: &FormDef, registry: &FormRegistry, values: &FormValues, facts: ResponseFacts<'_>, cfg: &FhirConfig) -> Value {
    let items: Vec<Value> = form
        .sections
        .iter()
        .map(|s| {
            let fields: Vec<Value> = s
                .fields
                .iter()
                .filter(|f| f.bound.is_none())
                .filter_map(|f| values.get(&f.id).map(|v| (f, v)))
                .flat_map(|(f, v)| answered(f, &f.id, v, values, registry, cfg))
                .collect();
            json!({ "linkId": format!("section.{}", s.id), "text": s.title.zh, "item": fields })
        })
        .collect();
    let mut r = json!({
        "resourceType": "QuestionnaireResponse",
        "id": facts.id,
        "questionnaire": format!("{}|{}", cfg.questionnaire_url(&form.id), form.version),
        "status": "completed",
        "subject": reference("Patient", facts.resident_id),
        "authored": facts.authored,
        "author": { "display": facts.author },
        "item": items
    });
    if let Some(e) = facts.encounter_id {
        r["encounter"] = reference("Encounter", e);
    }
    prune(&mut r);
    r
}

/// The form a response answers (its id and version), from its `questionnaire`.
pub fn form_of_response(qr: &Value, cfg: &FhirConfig) -> Option<(String, u32)> {
    let canonical = qr.get("questionnaire")?.as_str()?;
    let (url, version) = canonical.split_once('|').unwrap_or((canonical, "1"));
    let form = url.strip_prefix(&cfg.questionnaire_url(""))?;
    Some((form.to_string(), version.parse().ok()?))
}

/// The resident a response is about.
pub fn subject_of(resource: &Value) -> Option<&str> {
    id_of_reference(resource.get("subject").or_else(|| resource.get("patient"))?, "Patient")
}

fn read_answer(field: &Field, a: &Value) -> Option<Value> {
    Some(match &field.kind {
        FieldKind::Text { .. } => a.get("valueString")?.clone(),
        // Numbers come back as floats whatever the server wrote, as the form stores them.
        FieldKind::Number { .. } => serde_json::Number::from_f64(a.get("valueDecimal")?.as_f64()?).map(Value::Number)?,
        FieldKind::Date { .. } => a.get("valueDate")?.clone(),
        FieldKind::Code { .. } | FieldKind::CodeDates { .. } => a.get("valueCoding")?.get("code")?.clone(),
        FieldKind::Rows { .. } => return None,
    })
}

fn answers(item: &Value) -> &[Value] {
    item.get("answer").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn items(item: &Value) -> &[Value] {
    item.get("item").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Reads the value of `field` from the response items that carry its link.
fn read_field(field: &Field, link: &str, found: &[&Value]) -> Option<Value> {
    match &field.kind {
        FieldKind::Rows { columns, .. } => {
            let rows: Vec<Value> = found
                .iter()
                .map(|group| {
                    let mut row = Map::new();
                    for c in columns {
                        let link = format!("{link}.{}", c.id);
                        let hits: Vec<&Value> = items(group).iter().filter(|i| i["linkId"].as_str() == Some(&link)).collect();
                        if let Some(v) = read_field(c, &link, &hits) {
                            row.insert(c.id.clone(), v);
                        }
                    }
                    Value::Object(row)
                })
                .collect();
            Some(Value::Array(rows))
        }
        FieldKind::CodeDates { .. } => {
            let rows: Vec<Value> = found
                .iter()
                .flat_map(|i| answers(i))
                .filter_map(|a| {
                    let mut row = Map::new();
                    row.insert("code".into(), read_answer(field, a)?);
                    for nested in items(a) {
                        let key = nested["linkId"].as_str()?.strip_prefix(link)?.strip_prefix('.')?;
                        let v = answers(nested).first().and_then(|x| x.get("valueDate").or_else(|| x.get("valueString")))?;
                        row.insert(key.to_string(), v.clone());
                    }
                    Some(Value::Object(row))
                })
                .collect();
            Some(Value::Array(rows))
        }
        FieldKind::Code { multi: true, .. } => {
            Some(Value::Array(found.iter().flat_map(|i| answers(i)).filter_map(|a| read_answer(field, a)).collect()))
        }
        _ => found.iter().flat_map(|i| answers(i)).find_map(|a| read_answer(field, a)),
    }
}

/// Reads a response back into the form's values.
pub fn read_response(form: &FormDef, qr: &Value) -> Result<FormValues, MapError> {
    if qr.get("resourceType").and_then(Value::as_str) != Some("QuestionnaireResponse") {
        return Err(MapError::Missing { resource: "resource".into(), what: "QuestionnaireResponse type" });
    }
    // Every item at any depth of section groups, by link.
    let mut flat: Vec<&Value> = Vec::new();
    let mut stack: Vec<&Value> = items(qr).iter().collect();
    while let Some(i) = stack.pop() {
        if i["linkId"].as_str().is_some_and(|l| l.starts_with("section.")) {
            stack.extend(items(i));
        } else {
            flat.push(i);
        }
    }
    let mut values = FormValues::new();
    for field in form.fields().filter(|f| f.bound.is_none()) {
        let hits: Vec<&Value> = flat.iter().copied().filter(|i| i["linkId"].as_str() == Some(&field.id)).collect();
        if !hits.is_empty() {
            if let Some(v) = read_field(field, &field.id, &hits) {
                values.insert(field.id.clone(), v);
            }
        }
        let text_link = format!("{}_text", field.id);
        if let Some(text) = flat.iter().find(|i| i["linkId"].as_str() == Some(&text_link)).and_then(|i| answers(i).first()) {
            if let Some(s) = text.get("valueString") {
                values.insert(text_link, s.clone());
            }
        }
    }
    Ok(values)
}
