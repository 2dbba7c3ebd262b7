//! A conflict notice: the `Task` one install publishes when a field was
//! changed on both sides, so the other install raises the conflict too. It is
//! `requested` while open and `completed` once someone chose.

use serde_json::{json, Value};

use crate::{reference, FhirConfig};

/// What a notice says.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: String,
    /// `Patient` or `QuestionnaireResponse`, and its id.
    pub focus_type: String,
    pub focus_id: String,
    /// Each conflicting field with the value the publishing install holds.
    pub fields: Vec<(String, Value)>,
    pub open: bool,
}

/// The `Task` of a notice.
pub fn notice_task(n: &Notice, requester: &str, authored: &str, cfg: &FhirConfig) -> Value {
    let inputs: Vec<Value> =
        n.fields.iter().map(|(field, value)| json!({ "type": { "text": field }, "valueString": value.to_string() })).collect();
    let mut t = json!({
        "resourceType": "Task",
        "id": n.id,
        "status": if n.open { "requested" } else { "completed" },
        "intent": "proposal",
        "code": { "coding": [{ "system": cfg.code_system("sync"), "code": "conflict", "display": "同步冲突" }], "text": "同步冲突" },
        "focus": reference(&n.focus_type, &n.focus_id),
        "authoredOn": authored,
        "requester": { "display": requester }
    });
    if !inputs.is_empty() {
        t["input"] = Value::Array(inputs);
    }
    t
}

/// Reads a pulled `Task` as a notice, if it is one.
pub fn read_notice(t: &Value, cfg: &FhirConfig) -> Option<Notice> {
    let coding = &t["code"]["coding"][0];
    if coding["system"].as_str() != Some(&cfg.code_system("sync")) || coding["code"].as_str() != Some("conflict") {
        return None;
    }
    let (focus_type, focus_id) = t["focus"]["reference"].as_str()?.split_once('/')?;
    let fields = t["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let field = i["type"]["text"].as_str()?.to_string();
            let value = serde_json::from_str(i["valueString"].as_str()?).ok()?;
            Some((field, value))
        })
        .collect();
    Some(Notice {
        id: t["id"].as_str()?.to_string(),
        focus_type: focus_type.to_string(),
        focus_id: focus_id.to_string(),
        fields,
        open: matches!(t["status"].as_str(), Some("requested" | "received" | "accepted" | "in-progress" | "ready")),
    })
}
