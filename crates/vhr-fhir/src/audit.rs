//! The audit trail on the platform: each entry as an `AuditEvent`, each
//! signed checkpoint as an `AuditEvent` that carries the signed note, so
//! the platform holds what it needs to check the install's trail (issue #12).
//!
//! An `AuditEvent` is created, never updated (a FHIR server refuses PUT on
//! it), so events travel as POSTs; the install advances its cursor only when
//! the platform accepted the batch, and each event carries the install, its
//! sequence number and chain hash, so a batch sent again after a lost reply
//! is recognisable there as the same entries. A record is named by a logical reference
//! (its UUID) so an entry can travel before the record it names does.
//! Entries carry metadata only, as on the install: who, when, what kind of
//! access, which record, the chain hash — never a field of the record.

use serde_json::{json, Value};

const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";

/// One entry of the trail, as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditFacts<'a> {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub user_id: &'a str,
    pub user_name: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub resident_id: Option<&'a str>,
    pub version: Option<i64>,
    pub content: Option<&'a str>,
    pub hash: &'a str,
}

/// Where the trail comes from: the install and its log's name.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditSource<'a> {
    /// The install's id (a UUID).
    pub install: &'a str,
    /// The checkpoints' origin line.
    pub origin: &'a str,
    pub institution: &'a str,
}

/// The code system of the app's own kinds of entry.
pub fn action_system(canonical_base: &str) -> String {
    format!("{canonical_base}/CodeSystem/audit-action")
}

/// DICOM's event type, FHIR's action letter and a DICOM subtype, if any.
fn kind(action: &str) -> (&'static str, &'static str, &'static str, Option<(&'static str, &'static str)>) {
    match action {
        "create" => ("110110", "Patient Record", "C", None),
        "update" => ("110110", "Patient Record", "U", None),
        "open" | "history" | "view" | "print" | "export" => ("110110", "Patient Record", "R", None),
        "sign-in" => ("110114", "User Authentication", "E", Some(("110122", "Login"))),
        "sign-out" => ("110114", "User Authentication", "E", Some(("110123", "Logout"))),
        "lock" | "unlock" | "recover" => ("110114", "User Authentication", "E", None),
        _ => ("110106", "Export", "E", None),
    }
}

fn source(src: &AuditSource<'_>) -> Value {
    json!({
        "site": src.origin,
        "observer": { "identifier": { "system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", src.install) }, "display": src.institution },
        "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }]
    })
}

/// A `transaction` Bundle creating each event.
pub fn audit_transaction(events: Vec<Value>, source: &str) -> Value {
    let entries: Vec<Value> = events
        .into_iter()
        .map(|mut resource| {
            resource["meta"] = json!({ "source": source });
            json!({ "resource": resource, "request": { "method": "POST", "url": "AuditEvent" } })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}

/// One entry as an `AuditEvent`.
pub fn audit_event(e: &AuditFacts<'_>, src: &AuditSource<'_>, canonical_base: &str) -> Value {
    let (code, display, action, subtype) = kind(e.action);
    let mut subtypes = vec![json!({ "system": action_system(canonical_base), "code": e.action })];
    if let Some((c, d)) = subtype {
        subtypes.push(json!({ "system": DICOM, "code": c, "display": d }));
    }
    let mut details = vec![
        json!({ "type": "seq", "valueString": e.seq.to_string() }),
        json!({ "type": "hash", "valueString": e.hash }),
        json!({ "type": "entity", "valueString": format!("{}/{}", e.entity, e.entity_id) }),
    ];
    if let Some(v) = e.version {
        details.push(json!({ "type": "version", "valueString": v.to_string() }));
    }
    if let Some(c) = e.content {
        details.push(json!({ "type": "content", "valueString": c }));
    }
    let mut entity = json!({ "detail": details });
    if let Some(r) = e.resident_id {
        entity["what"] = json!({ "type": "Patient", "identifier": { "system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{r}") } });
    }
    json!({
        "resourceType": "AuditEvent",
        "type": { "system": DICOM, "code": code, "display": display },
        "subtype": subtypes,
        "action": action,
        "recorded": e.at,
        "outcome": "0",
        "agent": [{
            "who": { "identifier": { "system": format!("{canonical_base}/user"), "value": e.user_id }, "display": e.user_name },
            "requestor": true
        }],
        "source": source(src),
        "entity": [entity]
    })
}

/// A signed checkpoint as an `AuditEvent`: the note in full, so whoever
/// holds it can check the trail against it.
pub fn checkpoint_event(size: i64, at: &str, reason: &str, note: &str, src: &AuditSource<'_>, canonical_base: &str) -> Value {
    json!({
        "resourceType": "AuditEvent",
        "type": { "system": action_system(canonical_base), "code": "checkpoint", "display": "Audit trail checkpoint" },
        "subtype": [{ "system": action_system(canonical_base), "code": reason }],
        "action": "E",
        "recorded": at,
        "outcome": "0",
        "agent": [{ "who": { "identifier": { "system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", src.install) } }, "requestor": false }],
        "source": source(src),
        "entity": [{ "detail": [
            { "type": "tree-size", "valueString": size.to_string() },
            { "type": "checkpoint", "valueString": note }
        ] }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: AuditSource<'static> = AuditSource {
        install: "7d1c0a4e-0000-4000-8000-000000000001",
        origin: "villagehealth.cn/audit/450102101/7d1c0a4e",
        institution: "石桥村卫生室",
    };

    #[test]
    fn an_opening_is_a_read_of_a_patient_record_named_only_by_its_id() {
        let e = AuditFacts {
            seq: 12,
            at: "2026-12-02T01:00:00.000000Z".into(),
            user_id: "u1",
            user_name: "李春华",
            action: "open",
            entity: "resident",
            entity_id: "r-1",
            resident_id: Some("r-1"),
            version: None,
            content: None,
            hash: "ab",
        };
        let ev = audit_event(&e, &SRC, "https://example.org/fhir");
        assert_eq!(ev["entity"][0]["detail"][0]["valueString"], "12", "the entry's place in the trail travels with it");
        assert_eq!((ev["type"]["code"].as_str(), ev["action"].as_str()), (Some("110110"), Some("R")));
        assert_eq!(ev["entity"][0]["what"]["identifier"]["value"], "urn:uuid:r-1");
        assert_eq!(ev["agent"][0]["who"]["display"], "李春华");
        let sign_in = audit_event(&AuditFacts { action: "sign-in", resident_id: None, ..e }, &SRC, "https://example.org/fhir");
        assert_eq!(sign_in["subtype"][1]["code"], "110122", "a sign-in is DICOM's Login");
        assert!(sign_in["entity"][0].get("what").is_none());
    }

    #[test]
    fn a_checkpoint_carries_its_signed_note_whole() {
        let note = "villagehealth.cn/audit/450102101/7d1c0a4e\n4\nAAAA\n\n\u{2014} villagehealth.cn/audit/450102101/7d1c0a4e xyz=\n";
        let ev = checkpoint_event(4, "2026-12-02T01:00:00Z", "sync", note, &SRC, "https://example.org/fhir");
        assert_eq!(ev["entity"][0]["detail"][0]["valueString"], "4");
        assert_eq!(ev["entity"][0]["detail"][1]["valueString"], note);
    }
}
