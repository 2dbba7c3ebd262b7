//! The FHIR mapping reads back what it wrote, for every demo resident and
//! every demo form: nothing a doctor typed is lost on the way to the platform.

mod common;

use serde_json::{json, Value};
use vhr_fhir::FhirConfig;

fn ndjson(dir: &std::path::Path, t: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(format!("{t}.ndjson")))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one resource per line"))
        .collect()
}

#[test]
fn every_demo_resident_and_form_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    c.load_demo(120, 5, 1, &mut |_, _| {}).unwrap();
    let out = dir.path().join("export");
    let summary = c.export_fhir(&out, &mut |_, _| {}).unwrap();
    assert!(summary.files.iter().any(|f| f.resource_type == "Patient" && f.count == 120), "{summary:?}");
    let cfg = FhirConfig::default();
    let responses = ndjson(&out, "QuestionnaireResponse");
    let response_of = |id: &str| responses.iter().find(|r| r["id"] == id).expect("every record has its response");

    for p in ndjson(&out, "Patient") {
        let facts = vhr_fhir::read_patient(&p, &cfg).expect("reads back");
        let local = c.resident(&facts.id).unwrap().resident;
        let mut data = facts.data.clone();
        data.basic_info = vhr_fhir::read_response(c.forms().form("personal_basic_info").unwrap(), response_of(&facts.id)).unwrap();
        assert_eq!(data, local.data, "resident {} reads back the same", local.record_no);
        assert_eq!((facts.record_no, facts.household, facts.status), (local.record_no.clone(), local.household.clone(), local.status));
    }

    let mut forms_seen = std::collections::BTreeSet::new();
    for e in ndjson(&out, "Encounter") {
        let id = e["id"].as_str().unwrap();
        let local = c.service(id).unwrap();
        let form = c.forms().form(&local.form_id).unwrap();
        let values = vhr_fhir::read_response(form, response_of(id)).unwrap();
        assert_eq!(Value::Object(values), Value::Object(local.data.clone()), "{} {id} reads back the same", local.form_id);
        assert_eq!(vhr_fhir::form_of_response(response_of(id), &cfg), Some((local.form_id.clone(), local.form_version)));
        forms_seen.insert(local.form_id);
    }
    assert!(forms_seen.len() >= 9, "the demo's forms: {forms_seen:?}");

    for e in ndjson(&out, "EpisodeOfCare") {
        let (episode, resident) = vhr_fhir::read_episode_of_care(&e, &cfg).unwrap();
        let local: Vec<_> = c.programs_of(&resident).unwrap().into_iter().flat_map(|p| p.episodes).collect();
        assert!(local.iter().any(|l| l.episode == episode), "episode {} reads back the same", episode.id);
    }
}

#[test]
fn a_blood_pressure_reading_becomes_a_loinc_panel_with_ucum_units() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    c.load_demo(60, 9, 1, &mut |_, _| {}).unwrap();
    let out = dir.path().join("export");
    c.export_fhir(&out, &mut |_, _| {}).unwrap();
    let obs = ndjson(&out, "Observation");
    let bp = obs.iter().find(|o| o["code"]["coding"][0]["code"] == "85354-9").expect("a blood pressure panel");
    let parts: Vec<(&str, &str)> = bp["component"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"]["coding"][0]["code"].as_str().unwrap(), c["valueQuantity"]["code"].as_str().unwrap()))
        .collect();
    assert_eq!(parts, vec![("8480-6", "mm[Hg]"), ("8462-4", "mm[Hg]")]);
    assert_eq!(bp["category"][0]["coding"][0]["code"], "vital-signs");
    let glucose = obs.iter().find(|o| o["code"]["coding"][0]["code"] == "14771-0").expect("a fasting glucose");
    assert_eq!(
        (glucose["valueQuantity"]["code"].as_str(), glucose["category"][0]["coding"][0]["code"].as_str()),
        (Some("mmol/L"), Some("laboratory"))
    );
}

/// A value for every kind of field, as the form stores it.
fn sample(field: &vhr_domain::forms::Field, registry: &vhr_domain::forms::FormRegistry) -> Value {
    use vhr_domain::forms::FieldKind;
    let codes = |set: &str| registry.code_set(set).unwrap().codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
    match &field.kind {
        FieldKind::Text { .. } => json!(format!("{}的记录", field.label.zh)),
        FieldKind::Number { decimals, .. } => json!(if *decimals > 0 { 12.5 } else { 12.0 }),
        FieldKind::Date { precision: vhr_domain::forms::DatePrecision::Month, .. } => json!("2019-05"),
        FieldKind::Date { .. } => json!("2026-11-01"),
        FieldKind::Code { code_set, multi: false, .. } => json!(codes(code_set).last().unwrap()),
        FieldKind::Code { code_set, multi: true, .. } => json!(codes(code_set).iter().rev().take(2).collect::<Vec<_>>()),
        FieldKind::CodeDates { code_set, .. } => {
            let c = codes(code_set);
            json!([{ "code": c[c.len() - 1], "date": "2019-05", "text": "写明的名称" }, { "code": c[c.len() - 2], "date": "2020-01" }])
        }
        FieldKind::Rows { columns, .. } => {
            let row: serde_json::Map<String, Value> = columns.iter().map(|c| (c.id.clone(), sample(c, registry))).collect();
            json!([row.clone(), row])
        }
    }
}

#[test]
fn every_kind_of_field_of_every_form_reads_back_exactly() {
    let registry = vhr_app::forms::builtin();
    let cfg = FhirConfig::default();
    assert_eq!(registry.forms.len(), 22);
    for form in registry.forms.values() {
        let mut values = vhr_domain::forms::FormValues::new();
        for f in form.fields().filter(|f| f.bound.is_none()) {
            values.insert(f.id.clone(), sample(f, &registry));
            if matches!(&f.kind, vhr_domain::forms::FieldKind::Code { text_for, .. } if !text_for.is_empty()) {
                values.insert(format!("{}_text", f.id), json!("其他情况的说明"));
            }
        }
        let facts = vhr_fhir::ResponseFacts {
            id: "s1",
            resident_id: "r1",
            encounter_id: Some("s1"),
            authored: "2026-11-21T02:00:00Z",
            author: "李春华",
        };
        let qr = vhr_fhir::response(form, &registry, &values, facts, &cfg);
        let back = vhr_fhir::read_response(form, &qr).unwrap();
        assert_eq!(Value::Object(back), Value::Object(values), "{} reads back the same", form.id);
        let q = vhr_fhir::questionnaire(form, &registry, &cfg);
        assert_eq!(q["url"].as_str().unwrap(), format!("{}/Questionnaire/{}", cfg.canonical_base, form.id));
    }
}

#[test]
fn a_follow_up_that_found_the_patient_lost_is_a_cancelled_encounter_and_a_finished_episode() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = common::clinic(dir.path());
    let mut i = common::input("失访丙", &vhr_domain::id_card::compose("450102", chrono::NaiveDate::from_ymd_opt(1955, 6, 6).unwrap(), 17));
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2016-04"}]));
    let id = c.register(vhr_app::RegisterRequest { resident: i, household: None, confirm: false }).unwrap().resident.resident.id;
    let values = json!({"visit_date": "2026-11-20", "outcome_status": "2", "lost_reason": "迁居外省", "doctor": "李春华"});
    let saved = c
        .add_service(vhr_app::AddServiceRequest {
            resident_id: id.clone(),
            form_id: "hypertension_followup".into(),
            values: values.as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap();
    let out = dir.path().join("export");
    c.export_fhir(&out, &mut |_, _| {}).unwrap();
    let encounter = ndjson(&out, "Encounter").into_iter().find(|e| e["id"] == saved.record.id.as_str()).expect("the visit is sent");
    assert_eq!(encounter["status"], "cancelled", "the patient was not seen: the visit did not take place");
    let measured =
        ndjson(&out, "Observation").into_iter().filter(|o| o["encounter"]["reference"] == format!("Encounter/{}", saved.record.id)).count();
    assert_eq!(measured, 0, "no readings from a visit that did not happen");
    let cfg = FhirConfig::default();
    let episodes: Vec<_> =
        ndjson(&out, "EpisodeOfCare").iter().map(|e| vhr_fhir::read_episode_of_care(e, &cfg).unwrap()).filter(|(_, r)| *r == id).collect();
    assert_eq!(episodes.len(), 1, "the ended hypertension programme travels as an episode");
    assert_eq!(episodes[0].0.end_reason.as_deref(), Some("8"), "ended: lost to follow-up");
}
