//! A programme episode (a registered pregnancy, a TB management notice, a
//! severe mental disorder registration, an exit from any programme) as an
//! `EpisodeOfCare`.

use chrono::NaiveDate;
use serde_json::{json, Value};
use vhr_domain::forms::FormValues;
use vhr_domain::programs::{Episode, Program};

use crate::{extension, id_of_reference, prune, reference, FhirConfig, MapError};

/// The `EpisodeOfCare` of an episode.
pub fn episode_of_care(e: &Episode, resident_id: &str, cfg: &FhirConfig) -> Value {
    let mut extensions: Vec<Value> = e
        .details
        .iter()
        .filter_map(|(k, v)| Some(json!({ "url": cfg.extension(&format!("episode-{}", k.replace('_', "-"))), "valueDate": v.as_str()? })))
        .collect();
    if let Some(reason) = &e.end_reason {
        extensions.push(json!({
            "url": cfg.extension("episode-end-reason"),
            "valueCoding": { "system": cfg.code_system("program_exit_reason"), "code": reason }
        }));
    }
    if let Some(note) = &e.end_note {
        extensions.push(json!({ "url": cfg.extension("episode-end-note"), "valueString": note }));
    }
    let mut v = json!({
        "resourceType": "EpisodeOfCare",
        "id": e.id,
        "extension": extensions,
        "status": if e.ended_on.is_some() { "finished" } else { "active" },
        "type": [{ "coding": [{ "system": cfg.code_system("program"), "code": e.program.code() }] }],
        "patient": reference("Patient", resident_id),
        "period": { "start": e.started_on.to_string(), "end": e.ended_on.map(|d| d.to_string()) }
    });
    prune(&mut v);
    v
}

/// Reads a pulled `EpisodeOfCare` back: the episode and its resident.
pub fn read_episode_of_care(v: &Value, cfg: &FhirConfig) -> Result<(Episode, String), MapError> {
    let id = v.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let name = format!("EpisodeOfCare/{id}");
    let invalid = |what, value: &str| MapError::Invalid { resource: name.clone(), what, value: value.to_string() };
    let date = |s: Option<&str>, what| -> Result<Option<NaiveDate>, MapError> {
        s.map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| invalid(what, s))).transpose()
    };
    let resident = v
        .get("patient")
        .and_then(|p| id_of_reference(p, "Patient"))
        .ok_or(MapError::Missing { resource: name.clone(), what: "patient" })?;
    let code = v["type"][0]["coding"][0]["code"].as_str().unwrap_or_default();
    let program = Program::from_code(code).ok_or_else(|| invalid("programme", code))?;
    let started_on =
        date(v["period"]["start"].as_str(), "start")?.ok_or(MapError::Missing { resource: name.clone(), what: "period start" })?;
    let prefix = cfg.extension("episode-");
    let mut details = FormValues::new();
    for e in v.get("extension").and_then(Value::as_array).into_iter().flatten() {
        let Some(key) = e["url"].as_str().and_then(|u| u.strip_prefix(&prefix)) else { continue };
        if let Some(d) = e.get("valueDate") {
            details.insert(key.replace('-', "_"), d.clone());
        }
    }
    let episode = Episode {
        id,
        program,
        started_on,
        details,
        ended_on: date(v["period"]["end"].as_str(), "end")?,
        end_reason: extension(v, &cfg.extension("episode-end-reason")).and_then(|e| e["valueCoding"]["code"].as_str()).map(str::to_string),
        end_note: extension(v, &cfg.extension("episode-end-note")).and_then(|e| e["valueString"].as_str()).map(str::to_string),
    };
    Ok((episode, resident.to_string()))
}
