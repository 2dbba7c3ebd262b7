//! A change whose platform copy moved on: merged field by field against the
//! base both sides agreed on. What merged cleanly is saved at once as a local
//! change based on the platform's version; a field both sides changed
//! differently is raised for the doctor, never settled silently.

use serde_json::Value;
use vhr_domain::changes::{merge, set_path};
use vhr_domain::entity::Entity;
use vhr_store::{Actor, PendingChange, ServiceEdit};
use vhr_sync::transport::Retry;
use vhr_sync::FhirServer;

use super::shape::{resident_content, RecordFields, RECORD_FIELDS};
use super::{sync_actor, ResolveRequest, SyncSettings};
use crate::{Clinic, Error, Result};

impl Clinic {
    /// The platform's copy changed since this change's base. If the change is
    /// this install's own earlier write (its answer was lost), it is done;
    /// otherwise both sides are merged field by field and what conflicts is
    /// raised. Returns whether a conflict was raised.
    pub(super) fn settle_conflict(
        &mut self,
        server: &mut FhirServer,
        c: &PendingChange,
        settings: &SyncSettings,
        source: &str,
    ) -> Result<bool> {
        let prepared = self.prepare_change(c, &settings.fhir)?;
        let url = prepared.entries[0].url();
        let remote = server.read(&url, Retry::of(&settings.platform.push))?.body;
        let server_version = remote["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        if remote["meta"]["source"].as_str() == Some(source) {
            // Our own write whose answer never came: the platform has it.
            let ours = strip_meta(&remote) == strip_meta(&prepared.entries[0].resource);
            if ours {
                self.store.mark_written(&prepared.change, &server_version, self.now().at())?;
                return Ok(false);
            }
        }
        self.merge_remote(c, &remote, &server_version, settings, server)
    }

    /// Merges the platform's copy of an entity with the local one against
    /// their base. A clean merge becomes a local change based on the
    /// platform's version (sent next); a conflict is raised for the doctor.
    pub(super) fn merge_remote(
        &mut self,
        c: &PendingChange,
        remote: &Value,
        server_version: &str,
        settings: &SyncSettings,
        server: &mut FhirServer,
    ) -> Result<bool> {
        // Episodes and households have no fields a second install edits
        // independently: nothing to merge.
        let Some(theirs) = self.remote_content(c.entity, &c.entity_id, remote, settings, server)? else { return Ok(false) };
        let not_found = || Error::NotFound { entity: c.entity.to_string(), id: c.entity_id.clone() };
        let local = self.content_of(c.entity, &c.entity_id)?.ok_or_else(not_found)?;
        // A resident's base also holds its record fields (id, version, …);
        // neither side's content has them, so the merge leaves them out.
        let base_value = self.base_content_of(c.entity, &c.entity_id)?;
        let (mut merged, mut conflicts) = merge(&base_value, &local, &theirs);
        if c.entity == Entity::Resident {
            whole_facts(&mut merged, &mut conflicts, (&base_value, &local, &theirs));
        }
        // What merged cleanly is kept at once (the conflicting fields keep the
        // local value); what conflicts waits, with the entity's changes, for
        // the doctor's choice.
        self.apply_merged(c, merged, server_version)?;
        if conflicts.is_empty() {
            return Ok(false);
        }
        self.store.raise_conflicts(c.entity, &c.entity_id, server_version, &conflicts, self.now().at())?;
        Ok(true)
    }

    /// An entity's content as the platform's resource holds it (`None` for
    /// entities without independently edited fields).
    pub(super) fn remote_content(
        &self,
        entity: Entity,
        id: &str,
        remote: &Value,
        settings: &SyncSettings,
        server: &mut FhirServer,
    ) -> Result<Option<Value>> {
        Ok(match entity {
            Entity::Resident => {
                let r = self.read_remote_resident(remote, server, settings)?;
                let record = RecordFields { status: r.status, closure: &r.closure, reopened: &r.reopened, managed_by: &r.managed_by };
                Some(resident_content(&r.data, record))
            }
            Entity::ServiceRecord => {
                let local = self
                    .store
                    .service(&sync_actor(), id)?
                    .ok_or_else(|| Error::NotFound { entity: entity.to_string(), id: id.to_string() })?;
                let form = self.forms.form(&local.form_id).ok_or_else(|| Error::Forms(local.form_id.clone()))?;
                Some(Value::Object(vhr_fhir::read_response(form, remote).map_err(|e| Error::Sync(e.to_string()))?))
            }
            _ => None,
        })
    }

    /// Settles an entity's conflicts with the doctor's choice per field
    /// (`local` keeps this install's value, `remote` takes the platform's),
    /// saved as a new local version that goes up on the next pass.
    pub fn resolve_conflicts(&mut self, req: ResolveRequest) -> Result<()> {
        let by = self.actor()?.clone();
        let open = self.store.open_conflicts(&by, Some(&req.entity_id))?;
        let open: Vec<_> = open.into_iter().filter(|c| c.entity == req.entity).collect();
        if open.is_empty() {
            return Err(Error::NotFound { entity: "conflict".into(), id: req.entity_id });
        }
        let mut remote_fields = Vec::new();
        for c in &open {
            match req.choices.iter().find(|ch| ch.conflict_id == c.id).map(|ch| ch.choice.as_str()) {
                Some("local") => {}
                Some("remote") => remote_fields.push((c.field.clone(), c.remote.clone().unwrap_or(Value::Null))),
                _ => {
                    return Err(Error::Sync(format!("请为「{}」选择保留哪一方 / choose which side to keep for “{}”", c.field, c.field)));
                }
            }
        }
        if !matches!(req.entity, Entity::Resident | Entity::ServiceRecord) {
            return Err(Error::Sync(format!("{} conflicts are settled on the platform", req.entity)));
        }
        let mut content = self
            .content_of(req.entity, &req.entity_id)?
            .ok_or(Error::NotFound { entity: req.entity.to_string(), id: req.entity_id.clone() })?;
        for (field, v) in remote_fields {
            set_path(&mut content, &field, v);
        }
        self.save_content(&by, req.entity, &req.entity_id, content)?;
        let choices: Vec<(i64, String)> = req.choices.iter().map(|c| (c.conflict_id, c.choice.clone())).collect();
        self.store.settle_conflicts(req.entity, &req.entity_id, &choices, &by.name, self.now().at())?;
        Ok(())
    }

    /// Saves a clean merge as a local change, based on the platform's version.
    pub(super) fn apply_merged(&mut self, c: &PendingChange, merged: Value, server_version: &str) -> Result<()> {
        if let Some(version) = self.save_content(&sync_actor(), c.entity, &c.entity_id, merged)? {
            self.store.rebase(c.entity, &c.entity_id, server_version, version, self.now().at())?;
        }
        Ok(())
    }

    /// Saves `content` (as [`content_of`](Self::content_of) reads it) as the
    /// entity's next version; the version saved, or `None` for an entity
    /// without such content.
    fn save_content(&mut self, by: &Actor, entity: Entity, id: &str, content: Value) -> Result<Option<i64>> {
        let not_found = || Error::NotFound { entity: entity.to_string(), id: id.to_string() };
        let now = self.now();
        Ok(match entity {
            Entity::Resident => {
                let local = self.store.resident(by, id)?.ok_or_else(not_found)?;
                let bad = |e: serde_json::Error| Error::Sync(format!("merged resident: {e}"));
                let mut content = content;
                let field = |c: &mut Value, name: &str| c.as_object_mut().and_then(|o| o.remove(name)).unwrap_or(Value::Null);
                let status = serde_json::from_value(field(&mut content, "status")).unwrap_or(local.status);
                let closure = serde_json::from_value(field(&mut content, "closure")).map_err(bad)?;
                let reopened = serde_json::from_value(field(&mut content, "reopened")).map_err(bad)?;
                let managed_by = field(&mut content, "managed_by").as_str().unwrap_or_default().to_string();
                let data: vhr_domain::resident::ResidentInput = serde_json::from_value(content).map_err(bad)?;
                if (status, &closure, &reopened, &managed_by) == (local.status, &local.closure, &local.reopened, &local.managed_by) {
                    return Ok(Some(self.store.update_resident(by, &local.id, local.version, data, now)?.version));
                }
                // The other side closed, reopened or handed the record on:
                // written with what was typed, as one new version.
                let merged = vhr_domain::resident::RemoteResident {
                    id: local.id.clone(),
                    record_no: local.record_no.clone(),
                    data,
                    household: local.household.clone(),
                    status,
                    institution: local.institution.clone(),
                    managed_by,
                    closure,
                    reopened,
                    merged_from: local.merged_from.clone(),
                };
                Some(self.store.batch(|b| b.put_merged_resident(by, merged, now))?.version)
            }
            Entity::ServiceRecord => {
                let local = self.store.service(by, id)?.ok_or_else(not_found)?;
                let Value::Object(data) = content else { return Err(Error::Sync("merged form is not an object".into())) };
                let edit = ServiceEdit { data, service_date: local.service_date, next_date: local.next_date };
                Some(self.store.update_service(by, &local.id, local.version, edit, now)?.version)
            }
            _ => None,
        })
    }
}

/// A resource without its `meta`, to compare what two copies say.
fn strip_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

/// A closure or a reopening is one fact: when both sides changed it, the
/// conflict is the whole of it (never half of one and half of the other),
/// and the status goes with the closure.
fn whole_facts(merged: &mut Value, conflicts: &mut Vec<vhr_domain::changes::Conflict>, (base, local, remote): (&Value, &Value, &Value)) {
    for name in RECORD_FIELDS {
        let inside = |c: &vhr_domain::changes::Conflict| c.field == name || c.field.starts_with(&format!("{name}."));
        if !conflicts.iter().any(inside) {
            continue;
        }
        conflicts.retain(|c| !inside(c));
        let at = |v: &Value| v.get(name).cloned().unwrap_or(Value::Null);
        conflicts.push(vhr_domain::changes::Conflict { field: name.to_string(), base: at(base), local: at(local), remote: at(remote) });
        if let Some(o) = merged.as_object_mut() {
            o.insert(name.to_string(), at(local));
        }
    }
}
