//! Conflict notices: a conflict found on one install is published as a FHIR
//! `Task`, so the other install raises it too; whichever doctor decides first
//! closes the notice, and the other install adopts the decision.

use serde_json::{json, Value};
use vhr_domain::changes::{set_path, Conflict};
use vhr_store::PendingChange;
use vhr_sync::transport::Retry;
use vhr_sync::FhirServer;

use super::shape::at_path;
use super::SyncSettings;
use crate::{Clinic, Result};

impl Clinic {
    /// Publishes notices of conflicts found here, and closes the notices of
    /// conflicts decided here, so the other install raises or settles them too.
    pub(super) fn publish_notices(&mut self, server: &mut FhirServer, settings: &SyncSettings, source: &str) -> Result<()> {
        let requester = self.profile()?.map(|p| p.institution_name).unwrap_or_default();
        let authored = self.now().at().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let put = |server: &mut FhirServer, task: Value| -> Result<bool> {
            let mut task = task;
            task["meta"] = json!({ "source": source });
            Ok(server.put(&task, None)?.ok())
        };
        for draft in self.store.notices_to_send()? {
            let Some(focus) = vhr_fhir::resource_type(draft.entity) else { continue };
            let notice = vhr_fhir::Notice {
                id: self.env.ids.new_id(),
                focus_type: focus.into(),
                focus_id: draft.entity_id.clone(),
                fields: draft.fields.iter().map(|f| (f.field.clone(), f.local.clone().unwrap_or(Value::Null))).collect(),
                open: true,
            };
            if put(server, vhr_fhir::notice_task(&notice, &requester, &authored, &settings.fhir))? {
                let pks: Vec<i64> = draft.fields.iter().map(|f| f.pk).collect();
                self.store.mark_notice_sent(&pks, &notice.id)?;
            }
        }
        for (notice_id, entity, id) in self.store.notices_to_close()? {
            let Some(focus) = vhr_fhir::resource_type(entity) else { continue };
            let notice =
                vhr_fhir::Notice { id: notice_id.clone(), focus_type: focus.into(), focus_id: id, fields: Vec::new(), open: false };
            if put(server, vhr_fhir::notice_task(&notice, &requester, &authored, &settings.fhir))? {
                self.store.mark_notice_closed(&notice_id)?;
            }
        }
        Ok(())
    }

    /// Applies another install's conflict notice: an open one raises the same
    /// conflict here; a closed one means the other side chose, and this
    /// install adopts the platform's copy of the fields that were open.
    pub(super) fn apply_notice(&mut self, task: &Value, settings: &SyncSettings, server: &mut FhirServer) -> Result<bool> {
        let Some(notice) = vhr_fhir::read_notice(task, &settings.fhir) else { return Ok(false) };
        let Some(entity) = vhr_fhir::entity_of(&notice.focus_type) else { return Ok(false) };
        let Some(local) = self.content_of(entity, &notice.focus_id)? else { return Ok(false) };
        let now = self.now().at();
        let server_version = task["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        if notice.open {
            let base = self.base_content_of(entity, &notice.focus_id)?;
            let fields: Vec<Conflict> = notice
                .fields
                .iter()
                .filter_map(|(field, theirs)| {
                    let here = at_path(&local, field);
                    (here != *theirs).then(|| Conflict {
                        field: field.clone(),
                        base: at_path(&base, field),
                        local: here,
                        remote: theirs.clone(),
                    })
                })
                .collect();
            if fields.is_empty() {
                return Ok(false);
            }
            self.store.raise_remote_conflicts(entity, &notice.focus_id, &notice.id, &server_version, &fields, now)?;
            return Ok(true);
        }
        let open = self.store.open_conflicts(&super::sync_actor(), Some(&notice.focus_id))?;
        if !open.iter().any(|c| c.entity == entity) {
            return Ok(false);
        }
        let fields = self.store.close_decided_elsewhere(entity, &notice.focus_id, now)?;
        // Adopt what the platform holds now for those fields.
        let url = format!("{}/{}", notice.focus_type, notice.focus_id);
        let reply = server.read(&url, Retry::of(&settings.platform.push))?;
        let platform_version = reply.version_id().unwrap_or("unknown").to_string();
        let Some(theirs) = self.remote_content(entity, &notice.focus_id, &reply.body, settings, server)? else { return Ok(false) };
        let mut adopted = local.clone();
        for f in &fields {
            set_path(&mut adopted, f, at_path(&theirs, f));
        }
        let c = PendingChange { entity, entity_id: notice.focus_id.clone(), version: 0 };
        self.apply_merged(&c, adopted, &platform_version)?;
        Ok(true)
    }
}
