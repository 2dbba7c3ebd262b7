//! The HL7 FHIR R4 face of the record (spec §12, issue #4): what each
//! resident, filled-in form, programme episode and household looks like on
//! the regional platform, and how a resource pulled from it reads back.
//!
//! Invariants:
//! - No IO and no clock: every function maps values to values.
//! - Resource ids are the app's own UUIDs (derived resources add a suffix),
//!   so sending the same change twice writes the same resource twice, never
//!   a second one.
//! - A resident and a filled-in form map to FHIR and back without loss: the
//!   tests read back every demo resident and every demo form.
//! - Every resource produced passes the validation of a real FHIR R4 server
//!   (tests in `vhr-app` against the peer on loopback).
//!
//! The mapping is documented in `docs/fhir-mapping.md`.

mod audit;
mod bundle;
mod household;
mod notice;
mod patient;
mod program;
mod questionnaire;
mod service;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vhr_domain::entity::Entity;

pub use audit::{audit_event, audit_transaction, checkpoint_event, AuditFacts, AuditSource};
pub use bundle::{transaction, Entry};
pub use household::group;
pub use notice::{notice_task, read_notice, Notice};
pub use patient::{conditions, patient, read_patient};
pub use program::{episode_of_care, read_episode_of_care};
pub use questionnaire::{form_of_response, questionnaire, read_response, response, subject_of, ResponseFacts};
pub use service::{encounter, observations, service_resources, ServiceFacts};

/// The resource that stands for an entity on the platform (its main one,
/// which carries the entity's version there). The clinic profile and users
/// stay on the install.
pub fn resource_type(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Resident => Some("Patient"),
        Entity::ServiceRecord => Some("QuestionnaireResponse"),
        Entity::ProgramEpisode => Some("EpisodeOfCare"),
        Entity::Household => Some("Group"),
        Entity::Clinic | Entity::User => None,
    }
}

/// The entity a pulled resource stands for. A `QuestionnaireResponse` is a
/// service record unless it is a resident's personal basic information,
/// which the caller tells apart by its questionnaire.
pub fn entity_of(resource_type: &str) -> Option<Entity> {
    Entity::SYNCED.into_iter().find(|e| self::resource_type(*e) == Some(resource_type))
}

/// Where identifiers and codes come from. The defaults are the spec's OIDs
/// (§12.2); the platform's own profile base replaces `canonical_base`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FhirConfig {
    /// The 17-digit health record number (健康档案编号).
    pub record_no_system: String,
    /// The citizen ID number (公民身份号码).
    pub id_number_system: String,
    /// The institution that keeps the record (custodian).
    pub institution_system: String,
    /// The WS/T 483 shared-document type codes.
    pub document_type_system: String,
    /// The base of this app's extensions, code systems and questionnaires.
    /// *Unconfirmed*: no national FHIR profile exists; a region that has one
    /// sets its base here.
    pub canonical_base: String,
}

impl Default for FhirConfig {
    fn default() -> Self {
        FhirConfig {
            record_no_system: "urn:oid:2.16.156.10011.1.2".into(),
            id_number_system: "urn:oid:2.16.156.10011.1.3".into(),
            institution_system: "urn:oid:2.16.156.10011.1.5".into(),
            document_type_system: "urn:oid:2.16.156.10011.2.4".into(),
            canonical_base: "http://village-health.invalid/fhir".into(),
        }
    }
}

impl FhirConfig {
    /// The URL of one of this app's extensions.
    pub fn extension(&self, name: &str) -> String {
        format!("{}/StructureDefinition/{name}", self.canonical_base)
    }

    /// The system of one of the form's code sets (codes as printed on the form).
    pub fn code_system(&self, code_set: &str) -> String {
        format!("{}/CodeSystem/{code_set}", self.canonical_base)
    }

    /// The canonical URL of a form's questionnaire (without version).
    pub fn questionnaire_url(&self, form_id: &str) -> String {
        format!("{}/Questionnaire/{form_id}", self.canonical_base)
    }
}

/// Why a pulled resource could not be read into the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("{resource} has no {what}")]
    Missing { resource: String, what: &'static str },
    #[error("{resource}: {what} is not valid: {value}")]
    Invalid { resource: String, what: &'static str, value: String },
    #[error("{resource} answers a form this app does not know: {form}")]
    UnknownForm { resource: String, form: String },
}

/// `Type/id` of a resource.
pub fn reference(resource_type: &str, id: &str) -> Value {
    serde_json::json!({ "reference": format!("{resource_type}/{id}") })
}

/// The id part of a `Type/id` reference, when it points at `resource_type`.
pub(crate) fn id_of_reference<'a>(value: &'a Value, resource_type: &str) -> Option<&'a str> {
    value.get("reference")?.as_str()?.strip_prefix(resource_type)?.strip_prefix('/')
}

/// The value of the first extension with this URL.
pub(crate) fn extension<'a>(resource: &'a Value, url: &str) -> Option<&'a Value> {
    resource.get("extension")?.as_array()?.iter().find(|e| e.get("url").and_then(Value::as_str) == Some(url))
}

/// Drops empty strings, arrays and objects so the server never sees an empty
/// element (FHIR forbids them).
pub(crate) fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                prune(v);
            }
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                prune(v);
            }
            items.retain(|v| !is_empty(v));
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}
