//! What a change looks like on the platform now: its FHIR resources, the main
//! one first with the `If-Match` of the version it was based on; and an
//! entity's content, here and at its base, as merges and notices compare it.

use serde_json::Value;
use vhr_domain::entity::Entity;
use vhr_domain::resident::Resident;
use vhr_fhir::{Entry, FhirConfig};
use vhr_store::PendingChange;

use super::{sync_actor, Prepared, BASIC_INFO};
use crate::{Clinic, Error, Result};

impl Clinic {
    /// The transaction Bundles the next push would send, batch by batch (for
    /// the benchmark that posts the same bundles straight to a server).
    pub fn pending_bundles(&mut self) -> Result<Vec<Value>> {
        let settings = self.sync_settings()?;
        let source = self.install_source()?;
        let pending = self.store.pending_changes(usize::MAX >> 1)?;
        let mut out = Vec::new();
        for batch in pending.chunks(settings.platform.push.max_batch.max(1)) {
            let mut entries = Vec::new();
            for c in batch {
                entries.extend(self.prepare_change(c, &settings.fhir)?.entries);
            }
            out.push(vhr_fhir::transaction(&entries, &source));
        }
        Ok(out)
    }

    /// The FHIR resources of one change as they would be sent now.
    pub fn prepare_change(&self, change: &PendingChange, fhir: &FhirConfig) -> Result<Prepared> {
        let actor = sync_actor();
        let base = self.store.sync_base(change.entity, &change.entity_id)?;
        let if_match = base.as_ref().map(|b| format!("W/\"{}\"", b.server_version));
        let not_found = || Error::NotFound { entity: change.entity.to_string(), id: change.entity_id.clone() };
        let mut change = change.clone();
        let mut entries = Vec::new();
        match change.entity {
            Entity::Resident => {
                let r = self.store.resident(&actor, &change.entity_id)?.ok_or_else(not_found)?;
                change.version = r.version;
                let previous: Option<Resident> = base.as_ref().and_then(|b| serde_json::from_value(b.base.clone()).ok());
                entries.push(Entry { resource: vhr_fhir::patient(&r, fhir), if_match });
                entries.push(Entry::put(self.basic_info_response(&r, fhir)?));
                entries.extend(vhr_fhir::conditions(&r, previous.as_ref(), fhir).into_iter().map(Entry::put));
            }
            Entity::ServiceRecord => {
                let s = self.store.service(&actor, &change.entity_id)?.ok_or_else(not_found)?;
                change.version = s.version;
                let form = self.forms.form(&s.form_id).ok_or_else(|| Error::Forms(format!("unknown form {}", s.form_id)))?;
                let updated_at = s.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let service_date = s.service_date.to_string();
                let facts = vhr_fhir::ServiceFacts {
                    id: &s.id,
                    resident_id: &s.resident_id,
                    service_date: &service_date,
                    data: &s.data,
                    updated_at: &updated_at,
                    updated_by: &s.updated_by,
                };
                let mut resources = vhr_fhir::service_resources(form, &self.forms, &facts, fhir).into_iter();
                entries.push(Entry { resource: resources.next().expect("the response comes first"), if_match });
                entries.extend(resources.map(Entry::put));
            }
            Entity::ProgramEpisode => {
                let e = self.store.episode(&actor, &change.entity_id)?.ok_or_else(not_found)?;
                change.version = e.version;
                entries.push(Entry { resource: vhr_fhir::episode_of_care(&e.episode, &e.resident_id, fhir), if_match });
            }
            Entity::Household => {
                let h = self.store.household(&actor, &change.entity_id, self.today())?.ok_or_else(not_found)?;
                change.version = h.version;
                let members: Vec<&str> = h.members.iter().map(|m| m.resident.id.as_str()).collect();
                entries.push(Entry { resource: vhr_fhir::group(&h.id, &h.village_code, &h.address, &members, fhir), if_match });
            }
            other @ (Entity::Clinic | Entity::User) => {
                return Err(Error::Storage(format!("{other} does not travel to the platform")));
            }
        }
        Ok(Prepared { change, entries })
    }

    fn basic_info_response(&self, r: &Resident, fhir: &FhirConfig) -> Result<Value> {
        let form = self.forms.form(BASIC_INFO).ok_or_else(|| Error::Forms(format!("unknown form {BASIC_INFO}")))?;
        let authored = r.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let facts =
            vhr_fhir::ResponseFacts { id: &r.id, resident_id: &r.id, encounter_id: None, authored: &authored, author: &r.updated_by };
        Ok(vhr_fhir::response(form, &self.forms, &r.data.basic_info, facts, fhir))
    }

    /// The editable content of an entity as merges and notices see it: a
    /// resident's input, a service record's values. Episodes and households
    /// have none that a second install edits independently.
    pub(super) fn content_of(&self, entity: Entity, id: &str) -> Result<Option<Value>> {
        let actor = sync_actor();
        Ok(match entity {
            Entity::Resident => self.store.resident(&actor, id)?.map(|r| {
                resident_content(
                    &r.data,
                    RecordFields { status: r.status, closure: &r.closure, reopened: &r.reopened, managed_by: &r.managed_by },
                )
            }),
            Entity::ServiceRecord => self.store.service(&actor, id)?.map(|s| Value::Object(s.data)),
            _ => None,
        })
    }

    /// The base (the platform's copy last agreed) of an entity's content.
    pub(super) fn base_content_of(&self, entity: Entity, id: &str) -> Result<Value> {
        Ok(match self.store.sync_base(entity, id)? {
            // A resident's snapshot keeps its input flattened beside the record fields.
            Some(b) if entity == Entity::Resident => b.base,
            Some(b) => b.base.get("data").cloned().unwrap_or(Value::Null),
            None => Value::Null,
        })
    }
}

/// The value at a dotted path of a JSON object (`null` when absent).
pub(super) fn at_path(v: &Value, path: &str) -> Value {
    path.split('.').try_fold(v, |v, part| v.get(part)).cloned().unwrap_or(Value::Null)
}

/// The record's own fields that a second install may change besides what
/// was typed: its status and why (a closure, a reopening) and who manages it.
pub(super) struct RecordFields<'a> {
    pub status: vhr_domain::resident::RecordStatus,
    pub closure: &'a Option<vhr_domain::closure::Closure>,
    pub reopened: &'a Option<vhr_domain::closure::Reopening>,
    pub managed_by: &'a str,
}

/// The names those fields have in a resident's snapshot (the merge base).
pub(super) const RECORD_FIELDS: [&str; 4] = ["status", "closure", "reopened", "managed_by"];

/// What a resident's merge compares: what was typed, flattened as in the
/// snapshot, and the record fields beside it under their snapshot names.
pub(super) fn resident_content(data: &vhr_domain::resident::ResidentInput, record: RecordFields<'_>) -> Value {
    let mut v = serde_json::to_value(data).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), serde_json::to_value(record.status).unwrap_or_default());
        o.insert("closure".into(), serde_json::to_value(record.closure).unwrap_or_default());
        o.insert("reopened".into(), serde_json::to_value(record.reopened).unwrap_or_default());
        o.insert("managed_by".into(), Value::from(record.managed_by));
    }
    v
}
