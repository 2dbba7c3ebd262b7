//! A filled-in form as the platform receives it: an `Encounter` (the visit),
//! the `QuestionnaireResponse` (every answer) and one `Observation` per
//! measured value the form definition names, with its LOINC code.

use serde_json::{json, Value};
use vhr_domain::forms::{FormDef, FormRegistry, FormValues};
use vhr_domain::programs::VisitOutcome;

use crate::questionnaire::{response, ResponseFacts};
use crate::{prune, reference, FhirConfig};

/// The facts of a service record the mapping needs.
pub struct ServiceFacts<'a> {
    pub id: &'a str,
    pub resident_id: &'a str,
    /// The visit date, `YYYY-MM-DD`.
    pub service_date: &'a str,
    pub data: &'a FormValues,
    /// When it was last saved, RFC 3339, and by whom.
    pub updated_at: &'a str,
    pub updated_by: &'a str,
}

/// The visit a form was filled in at. Its id is the service record's. A
/// follow-up that found the patient lost or dead is a visit that did not
/// take place: `cancelled`.
pub fn encounter(form: &FormDef, s: &ServiceFacts<'_>, cfg: &FhirConfig) -> Value {
    let mut types = vec![json!({ "system": cfg.code_system("form"), "code": form.id, "display": form.title.zh })];
    if let Some(doc) = &form.document_type {
        types.push(json!({ "system": cfg.document_type_system, "code": doc }));
    }
    let mut e = json!({
        "resourceType": "Encounter",
        "id": s.id,
        "status": if VisitOutcome::not_seen(s.data) { "cancelled" } else { "finished" },
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory" },
        "type": [{ "coding": types, "text": form.title.zh }],
        "subject": reference("Patient", s.resident_id),
        "period": { "start": s.service_date, "end": s.service_date },
        "participant": [{ "individual": { "display": s.updated_by } }]
    });
    prune(&mut e);
    e
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit })
}

/// One `Observation` per measured value present in the form's data.
pub fn observations(form: &FormDef, s: &ServiceFacts<'_>) -> Vec<Value> {
    let number = |field: &str| s.data.get(field).and_then(Value::as_f64);
    let mut out = Vec::new();
    for obs in &form.observations {
        let mut o = json!({
            "resourceType": "Observation",
            "id": format!("{}-{}", s.id, obs.key),
            "status": "final",
            "category": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs"
            }] }],
            "code": { "coding": [{ "system": "http://loinc.org", "code": obs.loinc, "display": obs.display }] },
            "subject": reference("Patient", s.resident_id),
            "encounter": reference("Encounter", s.id),
            "effectiveDateTime": s.service_date,
            "derivedFrom": [reference("QuestionnaireResponse", s.id)]
        });
        if let Some(field) = &obs.field {
            let Some(v) = number(field) else { continue };
            o["valueQuantity"] = quantity(v, obs.unit.as_deref().unwrap_or("1"));
        } else {
            let parts: Vec<Value> = obs
                .components
                .iter()
                .filter_map(|c| {
                    let v = number(&c.field)?;
                    Some(json!({
                        "code": { "coding": [{ "system": "http://loinc.org", "code": c.loinc, "display": c.display }] },
                        "valueQuantity": quantity(v, &c.unit)
                    }))
                })
                .collect();
            if parts.is_empty() {
                continue;
            }
            o["component"] = Value::Array(parts);
        }
        // Laboratory results are not vital signs.
        if matches!(obs.loinc.as_str(), "14771-0" | "4548-4") {
            o["category"][0]["coding"][0]["code"] = json!("laboratory");
        }
        out.push(o);
    }
    out
}

/// Every resource of one filled-in form, the response first.
pub fn service_resources(form: &FormDef, registry: &FormRegistry, s: &ServiceFacts<'_>, cfg: &FhirConfig) -> Vec<Value> {
    let facts =
        ResponseFacts { id: s.id, resident_id: s.resident_id, encounter_id: Some(s.id), authored: s.updated_at, author: s.updated_by };
    let mut out = vec![response(form, registry, s.data, facts, cfg), encounter(form, s, cfg)];
    out.extend(observations(form, s));
    out
}
