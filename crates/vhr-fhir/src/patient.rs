//! A resident as a `Patient`, with the diagnoses the programmes follow as
//! `Condition`s. The personal basic information form travels beside it as a
//! `QuestionnaireResponse` (see [`crate::questionnaire`]).

use chrono::NaiveDate;
use serde_json::{json, Value};
use vhr_domain::population::Diagnoses;
use vhr_domain::resident::{IdDocument, Membership, RecordStatus, RemoteResident, ResidenceType, Resident, ResidentInput, Sex};

use crate::{extension, id_of_reference, prune, reference, FhirConfig, MapError};

/// GB/T 2261.1 sex codes as a value set (spec §12.2, "verify").
const SEX_SYSTEM: &str = "urn:oid:2.16.156.10011.2.3.3.4";

fn status_code(s: RecordStatus) -> &'static str {
    match s {
        RecordStatus::Active => "active",
        RecordStatus::MovedOut => "moved_out",
        RecordStatus::Dead => "dead",
        RecordStatus::Lost => "lost",
        RecordStatus::Cancelled => "cancelled",
        RecordStatus::Other => "other",
    }
}

fn gender(sex: Option<Sex>) -> &'static str {
    match sex {
        Some(Sex::Male) => "male",
        Some(Sex::Female) => "female",
        _ => "unknown",
    }
}

/// The `Patient` of a resident.
pub fn patient(r: &Resident, cfg: &FhirConfig) -> Value {
    let d = &r.data;
    let ext = |name: &str| cfg.extension(name);
    let mut extensions = vec![json!({ "url": ext("record-status"), "valueCode": status_code(r.status) })];
    if let Some(sex) = d.sex {
        extensions
            .push(json!({ "url": ext("sex"), "valueCoding": { "system": SEX_SYSTEM, "code": sex.code(), "display": sex.label_zh() } }));
    }
    let residence = match d.residence_type {
        ResidenceType::Registered => ("1", "户籍"),
        ResidenceType::NotRegistered => ("2", "非户籍"),
    };
    extensions.push(json!({
        "url": ext("residence-type"),
        "valueCoding": { "system": cfg.code_system("residence_type"), "code": residence.0, "display": residence.1 }
    }));
    if let Some(since) = d.residence_since {
        extensions.push(json!({ "url": ext("residence-since"), "valueDate": since.to_string() }));
    }
    if let Some(on) = d.created_on {
        extensions.push(json!({ "url": ext("record-created-on"), "valueDate": on.to_string() }));
    }
    extensions.push(json!({ "url": ext("village-code"), "valueString": d.village_code }));
    // 建档单位: the institution that created the record, apart from the one
    // managing it now (managingOrganization), which a transfer changes.
    extensions.push(json!({ "url": ext("record-institution"), "valueString": r.institution }));
    if let Some(m) = &r.household {
        extensions.push(json!({
            "url": ext("household"),
            "extension": [
                { "url": "group", "valueReference": reference("Group", &m.household_id) },
                { "url": "relation", "valueString": m.relation },
                { "url": "head", "valueBoolean": m.is_head }
            ]
        }));
    }
    // A provisional local number travels as a temporary identifier, never as
    // the official one; the final number replaces it on a later version.
    let record_no_use = if vhr_domain::serial_blocks::is_provisional(&r.record_no) { "temp" } else { "official" };
    let mut identifiers = vec![json!({ "use": record_no_use, "system": cfg.record_no_system, "value": r.record_no })];
    match &d.id_document {
        IdDocument::CitizenId { number, original_15 } => {
            identifiers.push(json!({ "use": "official", "system": cfg.id_number_system, "value": number }));
            if let Some(old) = original_15 {
                identifiers.push(json!({ "use": "old", "system": cfg.id_number_system, "value": old }));
            }
        }
        IdDocument::Other { doc_type, number } => identifiers.push(json!({
            "use": "secondary",
            "type": { "coding": [{ "system": cfg.code_system("id_document_type"), "code": doc_type }] },
            "value": number
        })),
        IdDocument::None => extensions.push(json!({ "url": ext("id-document"), "valueCode": "none" })),
        IdDocument::Unknown => extensions.push(json!({ "url": ext("id-document"), "valueCode": "unknown" })),
    }
    // The division code of the resident's village (GB/T 2260 county, then
    // township and village, as in the record number §2).
    let division = format!("{}{}", r.record_no.get(..9).unwrap_or_default(), d.village_code);
    let address = |text: &str, kind: &str| {
        let mut a = json!({ "extension": [{ "url": ext("address-kind"), "valueCode": kind }], "use": "home", "text": text });
        if kind == "current" {
            a["extension"].as_array_mut().expect("extensions").push(json!({ "url": ext("division-code"), "valueString": division }));
        }
        a
    };
    let mut p = json!({
        "resourceType": "Patient",
        "id": r.id,
        "extension": extensions,
        "identifier": identifiers,
        "active": r.status == RecordStatus::Active,
        "name": [{ "text": d.name }],
        "telecom": [{ "system": "phone", "value": d.phone }],
        "gender": gender(d.sex),
        "birthDate": d.birth_date.map(|b| b.to_string()),
        "address": [address(&d.current_address, "current"), address(&d.hukou_address, "hukou")],
        "generalPractitioner": [{ "display": d.responsible_doctor }],
        "managingOrganization": { "display": r.managing_institution() }
    });
    if let Some(c) = &r.closure {
        let closure = serde_json::to_value(c).expect("a closure serialises");
        p["extension"].as_array_mut().expect("extensions").push(facts_extension(&ext("record-closure"), &closure));
    }
    if let Some(o) = &r.reopened {
        let reopened = serde_json::to_value(o).expect("a reopening serialises");
        p["extension"].as_array_mut().expect("extensions").push(facts_extension(&ext("record-reopened"), &reopened));
    }
    // A merge, as FHIR says it: the duplicate is replaced by the record
    // kept, which replaces it (the duplicate's number beside the reference).
    let mut links = Vec::new();
    if let Some(vhr_domain::closure::ClosureReason::Duplicate { survivor_id, survivor_record_no }) = r.closure.as_ref().map(|c| &c.reason) {
        links.push(json!({ "type": "replaced-by", "other": {
            "reference": format!("Patient/{survivor_id}"),
            "identifier": { "system": cfg.record_no_system, "value": survivor_record_no }
        } }));
    }
    for m in &r.merged_from {
        links.push(json!({ "type": "replaces", "other": {
            "reference": format!("Patient/{}", m.id),
            "identifier": { "system": cfg.record_no_system, "value": m.record_no }
        } }));
    }
    if !links.is_empty() {
        p["link"] = json!(links);
    }
    match (&r.status, &r.closure) {
        (RecordStatus::Dead, Some(c)) => p["deceasedDateTime"] = json!(c.on.to_string()),
        (RecordStatus::Dead, None) => p["deceasedBoolean"] = json!(true),
        _ => {}
    }
    // An address with only its kind says nothing: drop it.
    if let Some(addresses) = p["address"].as_array_mut() {
        addresses.retain(|a| a.get("text").and_then(Value::as_str).is_some_and(|t| !t.is_empty()));
    }
    if let Some(gps) = p["generalPractitioner"].as_array_mut() {
        gps.retain(|g| g["display"].as_str().is_some_and(|t| !t.is_empty()));
    }
    if let Some(t) = p["telecom"].as_array_mut() {
        t.retain(|g| g["value"].as_str().is_some_and(|t| !t.is_empty()));
    }
    prune(&mut p);
    p
}

/// Reads a pulled `Patient` back into the record's terms. Its `data.basic_info`
/// is empty: the personal basic information comes in its own response.
pub fn read_patient(p: &Value, cfg: &FhirConfig) -> Result<RemoteResident, MapError> {
    let id = p.get("id").and_then(Value::as_str).ok_or(MapError::Missing { resource: "Patient".into(), what: "id" })?.to_string();
    let name_of = || format!("Patient/{id}");
    let missing = |what| MapError::Missing { resource: name_of(), what };
    let invalid = |what, value: &str| MapError::Invalid { resource: name_of(), what, value: value.to_string() };
    let ext = |name: &str| extension(p, &cfg.extension(name));
    let identifiers = p.get("identifier").and_then(Value::as_array).cloned().unwrap_or_default();
    let ident = |system: &str, use_: &str| {
        identifiers
            .iter()
            .find(|i| i["system"].as_str() == Some(system) && i["use"].as_str().unwrap_or("official") == use_)
            .and_then(|i| i["value"].as_str())
            .map(str::to_string)
    };
    let record_no = ident(&cfg.record_no_system, "official")
        .or_else(|| ident(&cfg.record_no_system, "temp"))
        .ok_or_else(|| missing("health record number"))?;
    let id_document = if let Some(number) = ident(&cfg.id_number_system, "official") {
        IdDocument::CitizenId { number, original_15: ident(&cfg.id_number_system, "old") }
    } else if let Some(other) =
        identifiers.iter().find(|i| i["type"]["coding"][0]["system"].as_str() == Some(&cfg.code_system("id_document_type")))
    {
        IdDocument::Other {
            doc_type: other["type"]["coding"][0]["code"].as_str().unwrap_or_default().to_string(),
            number: other["value"].as_str().unwrap_or_default().to_string(),
        }
    } else {
        match ext("id-document").and_then(|e| e["valueCode"].as_str()) {
            Some("none") => IdDocument::None,
            _ => IdDocument::Unknown,
        }
    };
    let date = |v: Option<&Value>, what| -> Result<Option<NaiveDate>, MapError> {
        match v.and_then(Value::as_str) {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| invalid(what, s)),
        }
    };
    let sex = match ext("sex").and_then(|e| e["valueCoding"]["code"].as_str()) {
        Some(code) => Some(Sex::from_code(code).ok_or_else(|| invalid("sex", code))?),
        None => match p.get("gender").and_then(Value::as_str) {
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            _ => None,
        },
    };
    let residence_type = match ext("residence-type").and_then(|e| e["valueCoding"]["code"].as_str()) {
        Some("2") => ResidenceType::NotRegistered,
        _ => ResidenceType::Registered,
    };
    let address = |kind: &str| {
        p.get("address")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter().find(|a| extension(a, &cfg.extension("address-kind")).and_then(|e| e["valueCode"].as_str()) == Some(kind))
            })
            .and_then(|a| a["text"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let status = match ext("record-status").and_then(|e| e["valueCode"].as_str()) {
        Some(code) => RecordStatus::from_code(code).ok_or_else(|| invalid("record status", code))?,
        None if p.get("deceasedBoolean") == Some(&Value::Bool(true)) || p.get("deceasedDateTime").is_some() => RecordStatus::Dead,
        None if p.get("active") == Some(&Value::Bool(false)) => RecordStatus::Other,
        None => RecordStatus::Active,
    };
    let household = ext("household").and_then(|h| {
        let part = |name: &str| h["extension"].as_array()?.iter().find(|e| e["url"].as_str() == Some(name)).cloned();
        Some(Membership {
            household_id: id_of_reference(&part("group")?["valueReference"], "Group")?.to_string(),
            relation: part("relation").and_then(|r| r["valueString"].as_str().map(str::to_string)).unwrap_or_default(),
            is_head: part("head").and_then(|r| r["valueBoolean"].as_bool()).unwrap_or(false),
        })
    });
    let village_code = match ext("village-code").and_then(|e| e["valueString"].as_str()) {
        Some(v) => v.to_string(),
        // Digits 10–12 of the record number are the village (§2).
        None => record_no.get(9..12).ok_or_else(|| invalid("health record number", &record_no))?.to_string(),
    };
    let data = ResidentInput {
        name: p["name"][0]["text"].as_str().ok_or_else(|| missing("name"))?.to_string(),
        sex,
        birth_date: date(p.get("birthDate"), "birth date")?,
        id_document,
        phone: p
            .get("telecom")
            .and_then(Value::as_array)
            .and_then(|t| t.iter().find(|t| t["system"].as_str() == Some("phone")))
            .and_then(|t| t["value"].as_str())
            .unwrap_or_default()
            .to_string(),
        residence_type,
        residence_since: date(ext("residence-since").and_then(|e| e.get("valueDate")), "residence start")?,
        village_code,
        current_address: address("current"),
        hukou_address: address("hukou"),
        responsible_doctor: p["generalPractitioner"][0]["display"].as_str().unwrap_or_default().to_string(),
        created_on: date(ext("record-created-on").and_then(|e| e.get("valueDate")), "record creation date")?,
        basic_info: Default::default(),
    };
    let facts = |name: &str| -> Result<Option<Value>, MapError> {
        match ext(name) {
            None => Ok(None),
            Some(e) => Ok(Some(read_facts(e))),
        }
    };
    let closure = match facts("record-closure")? {
        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| invalid("record closure", &v.to_string()))?),
        None => None,
    };
    let reopened = match facts("record-reopened")? {
        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| invalid("record reopening", &v.to_string()))?),
        None => None,
    };
    let merged_from = p
        .get("link")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| l["type"].as_str() == Some("replaces"))
        .filter_map(|l| {
            Some(vhr_domain::closure::MergedRecord {
                id: id_of_reference(&l["other"], "Patient")?.to_string(),
                record_no: l["other"]["identifier"]["value"].as_str()?.to_string(),
            })
        })
        .collect();
    // A resource written before the record's institution travelled on its
    // own was managed where it was created.
    let managing = p["managingOrganization"]["display"].as_str().unwrap_or_default();
    let institution = ext("record-institution").and_then(|e| e["valueString"].as_str()).unwrap_or(managing).to_string();
    Ok(RemoteResident {
        id,
        record_no,
        data,
        household,
        status,
        closure,
        reopened,
        merged_from,
        managed_by: if managing == institution { String::new() } else { managing.to_string() },
        institution,
    })
}

/// The FHIR type a closure's or reopening's fact travels as, by its name.
fn fact_type(key: &str) -> &'static str {
    match key {
        "on" => "valueDate",
        "closed_at" | "at" => "valueDateTime",
        "reason" | "ended_programs" => "valueCode",
        _ => "valueString",
    }
}

/// A closure or reopening (a flat JSON object, with one nested object for
/// the handover) as a complex extension: one sub-extension per fact, a
/// list as repeated sub-extensions, named as the record names them.
fn facts_extension(url: &str, facts: &Value) -> Value {
    let mut parts = Vec::new();
    for (key, value) in facts.as_object().into_iter().flatten() {
        match value {
            Value::Object(_) => parts.push(facts_extension(key, value)),
            Value::Array(items) => {
                for item in items {
                    parts.push(json!({ "url": key, fact_type(key): item }));
                }
            }
            Value::Null => {}
            Value::String(t) if t.is_empty() => {}
            other => parts.push(json!({ "url": key, fact_type(key): other })),
        }
    }
    json!({ "url": url, "extension": parts })
}

/// The facts of an extension [`facts_extension`] wrote, as the JSON object
/// they came from.
fn read_facts(ext: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for part in ext["extension"].as_array().into_iter().flatten() {
        let Some(key) = part["url"].as_str() else { continue };
        let value = if part.get("extension").is_some() {
            read_facts(part)
        } else {
            match part.as_object().and_then(|o| o.iter().find(|(k, _)| k.starts_with("value"))) {
                Some((_, v)) => v.clone(),
                None => continue,
            }
        };
        if key == "ended_programs" {
            out.entry(key).or_insert_with(|| json!([])).as_array_mut().expect("a list").push(value);
        } else {
            out.insert(key.to_string(), value);
        }
    }
    Value::Object(out)
}

/// One diagnosis the programmes follow: its past-history code (§5.2.8) and ICD-10 code.
struct Followed {
    key: &'static str,
    history_code: &'static str,
    /// No single ICD-10 code covers the severe mental disorders.
    icd10: Option<&'static str>,
    zh: &'static str,
    has: fn(&Diagnoses) -> bool,
}

const FOLLOWED: [Followed; 3] = [
    Followed { key: "hypertension", history_code: "2", icd10: Some("I10"), zh: "高血压", has: |d| d.hypertension },
    Followed { key: "diabetes", history_code: "3", icd10: Some("E11"), zh: "2型糖尿病", has: |d| d.diabetes },
    Followed { key: "severe-mental", history_code: "8", icd10: None, zh: "严重精神障碍", has: |d| d.severe_mental },
];

/// The `Condition`s of the diagnoses the programmes follow (hypertension,
/// type 2 diabetes, severe mental disorder), each with a stable id. A
/// diagnosis that `previous` had and `r` no longer has is sent as entered in
/// error, so the platform does not keep a diagnosis the doctor took back.
pub fn conditions(r: &Resident, previous: Option<&Resident>, cfg: &FhirConfig) -> Vec<Value> {
    let now = Diagnoses::from_basic_info(&r.data.basic_info);
    let before = previous.map(|p| Diagnoses::from_basic_info(&p.data.basic_info));
    let mut out = Vec::new();
    for f in &FOLLOWED {
        let has = (f.has)(&now);
        let had = before.as_ref().is_some_and(|b| (f.has)(b));
        if !has && !had {
            continue;
        }
        let mut c = json!({
            "resourceType": "Condition",
            "id": format!("{}-{}", r.id, f.key),
            "clinicalStatus": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"
            }] },
            "verificationStatus": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": if has { "confirmed" } else { "entered-in-error" }
            }] },
            "category": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "problem-list-item"
            }] }],
            "code": {
                "coding": [
                    { "system": cfg.code_system("past_disease"), "code": f.history_code, "display": f.zh }
                ],
                "text": f.zh
            },
            "subject": reference("Patient", &r.id)
        });
        if let Some(icd10) = f.icd10 {
            c["code"]["coding"]
                .as_array_mut()
                .expect("codings")
                .insert(0, json!({ "system": "http://hl7.org/fhir/sid/icd-10", "code": icd10 }));
        }
        if !has {
            // A diagnosis entered in error has no clinical status (FHIR invariant con-5).
            c.as_object_mut().expect("an object").remove("clinicalStatus");
        }
        if let Some(month) = Diagnoses::month_of(&r.data.basic_info, f.history_code) {
            c["onsetDateTime"] = json!(month.format("%Y-%m").to_string());
        }
        out.push(c);
    }
    out
}
