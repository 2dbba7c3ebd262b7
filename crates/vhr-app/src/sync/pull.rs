//! Pulling: the platform's history since the cursor, for this install's
//! catchment. What others recorded is checked as if typed (`check`) and
//! written with its history but never queued to be sent back; an entity
//! with local changes waiting is merged with the pulled copy, never replaced
//! by it. A resource that cannot be taken is set aside with its reason and
//! read again on every later pass until a version of it lands.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;
use vhr_domain::entity::Entity;
use vhr_domain::i18n::Lang;
use vhr_domain::problem::Problem;
use vhr_domain::resident::{RecordStatus, RemoteResident};
use vhr_store::{PendingChange, SetAsideReason};
use vhr_sync::transport::Retry;
use vhr_sync::FhirServer;

use super::check::set_aside_reason;
use super::{sync_actor, SyncProgress, SyncReport, SyncSettings, BASIC_INFO};
use crate::services::new_service;
use crate::{Clinic, Error, Result};

/// Resources asked for per history page.
const PAGE: usize = 200;

/// Set-aside resources read again per pass, the longest waiting first.
const RETRIES_PER_PASS: usize = 100;

impl Clinic {
    /// A pulled resident: the `Patient` with its personal basic information.
    pub(super) fn read_remote_resident(&self, patient: &Value, server: &mut FhirServer, settings: &SyncSettings) -> Result<RemoteResident> {
        let mut resident = vhr_fhir::read_patient(patient, &settings.fhir).map_err(|e| Error::Sync(e.to_string()))?;
        let form = self.forms.form(BASIC_INFO).ok_or_else(|| Error::Forms(BASIC_INFO.into()))?;
        let reply = server.read(&format!("QuestionnaireResponse/{}", resident.id), Retry::of(&settings.platform.push))?;
        if reply.ok() {
            resident.data.basic_info = vhr_fhir::read_response(form, &reply.body).map_err(|e| Error::Sync(e.to_string()))?;
        }
        Ok(resident)
    }

    /// Pulls what changed on the platform since the cursor, for this install's
    /// catchment, and applies it without queuing it to be sent back.
    pub(super) fn pull(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<()> {
        let cursor = self.store.sync_value("cursor")?;
        let entries = server.history_since(cursor.as_deref(), PAGE, Retry::of(&settings.platform.push))?;
        // Newest first: the first copy seen of a resource is its latest.
        let mut latest: BTreeMap<(String, String), Value> = BTreeMap::new();
        let mut newest: Option<String> = None;
        for e in &entries {
            let modified = e["response"]["lastModified"].as_str().or(e["resource"]["meta"]["lastUpdated"].as_str()).map(str::to_string);
            if let Some(m) = modified {
                if newest.as_ref().is_none_or(|n| m > *n) {
                    newest = Some(m);
                }
            }
            report.scanned += 1;
            let r = &e["resource"];
            let (Some(t), Some(id)) = (r["resourceType"].as_str(), r["id"].as_str()) else { continue };
            latest.entry((t.to_string(), id.to_string())).or_insert_with(|| r.clone());
        }
        // What was set aside before and is not in this history is read
        // again: the cursor moves on, the resource is not passed by for good.
        for s in self.store.set_aside_open(&sync_actor())?.into_iter().take(RETRIES_PER_PASS) {
            let key = (s.resource_type, s.resource_id);
            if latest.contains_key(&key) {
                continue;
            }
            let reply = server.read(&format!("{}/{}", key.0, key.1), Retry::of(&settings.platform.push))?;
            if reply.ok() {
                latest.insert(key, reply.body);
            }
        }
        let catchment: HashSet<String> = self.catchment(settings);
        // After a restore, this install's own writes are what the restored
        // database may lack: the first pull takes them back like anyone
        // else's (what it has already is known by its version and passed over).
        let take_back_own = self.store.sync_value(crate::restore::TAKE_BACK_OWN_WRITES)?.is_some_and(|v| v == "1");
        let total = latest.len();
        let mut done = 0;
        // Households first, then residents, then what hangs off residents.
        for kind in ["Group", "Patient", "EpisodeOfCare", "QuestionnaireResponse", "Task"] {
            for ((t, id), resource) in latest.iter().filter(|((t, _), _)| t == kind) {
                done += 1;
                progress(SyncProgress { phase: "pull".into(), done, total });
                if resource["meta"]["source"].as_str() == Some(source) && !take_back_own {
                    continue; // our own write coming back
                }
                match self.apply_pulled(t, id, resource, settings, &catchment, server) {
                    Ok(changed) => {
                        report.pulled += usize::from(changed);
                        self.store.settle_set_aside(t, id, self.now().at())?;
                    }
                    // The platform stopped answering, or the store failed: the
                    // cursor stays, so the next pass reads these again.
                    Err(e @ (Error::Platform(_) | Error::Storage(_))) => return Err(e),
                    Err(e) => {
                        // A resource this app cannot read or take is left on
                        // the platform, not guessed at, and listed with why.
                        self.set_aside(t, id, resource, &e)?;
                        report.set_aside += 1;
                    }
                }
            }
        }
        if let Some(n) = newest {
            self.store.set_sync_value("cursor", &n)?;
        }
        if take_back_own {
            self.store.set_sync_value(crate::restore::TAKE_BACK_OWN_WRITES, "0")?;
        }
        Ok(())
    }

    /// Keeps a resource that could not be taken, with the reason in both languages.
    fn set_aside(&mut self, kind: &str, id: &str, resource: &Value, e: &Error) -> Result<()> {
        let resident = match kind {
            "Patient" => Some(id),
            "EpisodeOfCare" => resource.get("patient").and_then(|p| p["reference"].as_str()).and_then(|r| r.strip_prefix("Patient/")),
            _ => vhr_fhir::subject_of(resource),
        };
        let resident = match resident {
            Some(r) if self.store.resident(&sync_actor(), r)?.is_some() => Some(r.to_string()),
            _ => None,
        };
        let version = resource["meta"]["versionId"].as_str().unwrap_or("unknown");
        let (zh, en) = (set_aside_reason(e, Lang::Zh), set_aside_reason(e, Lang::En));
        let why = SetAsideReason { resident_id: resident.as_deref(), zh: &zh, en: &en };
        self.store.set_aside(kind, id, version, why, self.now().at())?;
        Ok(())
    }

    /// A record about a resident who is not here: refused (to be tried
    /// again) when the resident itself was set aside, else not ours.
    fn waits_for_resident(&self, resident_id: &str) -> Result<bool> {
        if self.store.is_set_aside("Patient", resident_id)? {
            return Err(Error::Invalid(vec![Problem::error(
                "subject",
                "pulled.resident_set_aside",
                "所属居民的档案被搁置，待其接收后再接收本记录",
                "Its resident's record is set aside; this one waits until that one is taken",
            )]));
        }
        Ok(false)
    }

    /// Every service record and programme episode the platform holds of a
    /// resident who just arrived here, applied like any pulled resource (one
    /// that cannot be taken is set aside with why).
    fn pull_records_of(
        &mut self,
        resident_id: &str,
        settings: &SyncSettings,
        catchment: &HashSet<String>,
        server: &mut FhirServer,
    ) -> Result<()> {
        let retry = Retry::of(&settings.platform.push);
        let patient = vhr_sync::transport::query_value(&format!("Patient/{resident_id}"));
        let mut found = server.search_all(&format!("EpisodeOfCare?patient={patient}"), PAGE, retry)?;
        found.extend(server.search_all(&format!("QuestionnaireResponse?subject={patient}"), PAGE, retry)?);
        for resource in found {
            let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) else { continue };
            let (kind, id) = (kind.to_string(), id.to_string());
            match self.apply_pulled(&kind, &id, &resource, settings, catchment, server) {
                Ok(_) => {
                    self.store.settle_set_aside(&kind, &id, self.now().at())?;
                }
                Err(e @ (Error::Platform(_) | Error::Storage(_))) => return Err(e),
                Err(e) => self.set_aside(&kind, &id, &resource, &e)?,
            }
        }
        Ok(())
    }

    /// Applies one pulled resource; whether it changed anything here.
    fn apply_pulled(
        &mut self,
        kind: &str,
        id: &str,
        resource: &Value,
        settings: &SyncSettings,
        catchment: &HashSet<String>,
        server: &mut FhirServer,
    ) -> Result<bool> {
        if kind == "Task" {
            return self.apply_notice(resource, settings, server);
        }
        let Some(entity) = vhr_fhir::entity_of(kind) else { return Ok(false) };
        let actor = sync_actor();
        let now = self.now();
        let server_version = resource["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        let fhir = &settings.fhir;
        // The basic information travels as a response under the resident's id.
        let is_basic_info =
            entity == Entity::ServiceRecord && vhr_fhir::form_of_response(resource, fhir).is_some_and(|(f, _)| f == BASIC_INFO);
        let entity = if is_basic_info { Entity::Resident } else { entity };
        if let Some(b) = self.store.sync_base(entity, id)? {
            if b.server_version == server_version && !is_basic_info {
                return Ok(false); // already have this version
            }
        }
        let has_pending = self.store.has_pending(entity, id)?;
        let pending = PendingChange { entity, entity_id: id.into(), version: 0 };
        match entity {
            _ if is_basic_info => Ok(false), // read with its Patient
            Entity::Resident => {
                let pulled = self.read_remote_resident(resource, server, settings)?;
                let local = self.store.resident(&actor, id)?;
                // A transfer through the platform (§9.3) names the institution
                // that manages the record now.
                // (The profile is read only for a record that names one.)
                let here = match pulled.managed_by.as_str() {
                    "" => String::new(),
                    _ => self.profile_required()?.institution_name,
                };
                let (to_here, elsewhere) = match pulled.managed_by.as_str() {
                    "" => (false, false),
                    m => (m == here, m != here),
                };
                let inside = catchment.contains(&pulled.data.village_code) && !elsewhere;
                if local.is_none() && !inside && !to_here {
                    return Ok(false); // not one of ours: not checked, never listed here
                }
                // A record this clinic closed as moved away goes on at the
                // institution that took it: what it records there is its own.
                if elsewhere && local.as_ref().is_some_and(|l| moved_on(l, &here)) {
                    return Ok(false);
                }
                // Moved here, not yet taken in: kept aside from the register
                // until someone here places it in a village (`take_in_from_platform`).
                let waiting = to_here && pulled.status == RecordStatus::MovedOut;
                let pulled = self.check_pulled_resident(pulled)?;
                if has_pending {
                    self.merge_remote(&pending, resource, &server_version, settings, server)?;
                } else {
                    self.store.batch(|b| b.put_pulled_resident(&actor, pulled, &server_version, now))?;
                }
                self.store.flag_outside(id, !inside || waiting)?;
                // Its records were on the platform before it moved here,
                // passed over then as another clinic's: read them now.
                if local.is_none() && to_here {
                    self.pull_records_of(id, settings, catchment, server)?;
                }
                Ok(true)
            }
            Entity::ServiceRecord => {
                let Some((form_id, _)) = vhr_fhir::form_of_response(resource, fhir) else { return Ok(false) };
                let Some(resident_id) = vhr_fhir::subject_of(resource).map(str::to_string) else { return Ok(false) };
                let Some(resident) = self.store.resident(&actor, &resident_id)? else {
                    return self.waits_for_resident(&resident_id); // not one of ours, or not yet
                };
                // (The profile is read only for a record that moved away.)
                if resident.status == RecordStatus::MovedOut && moved_on(&resident, &self.profile_required()?.institution_name) {
                    return Ok(false); // recorded where the resident went
                }
                let form = self.forms.form(&form_id).ok_or_else(|| Error::Forms(format!("unknown form {form_id}")))?;
                let data = vhr_fhir::read_response(form, resource).map_err(|e| Error::Sync(e.to_string()))?;
                let data = self.check_pulled_service(form, &data, resident.data.birth_date)?;
                if has_pending {
                    self.merge_remote(&pending, resource, &server_version, settings, server)?;
                    return Ok(true);
                }
                let new = new_service(form, id.into(), resident_id, data, now.today());
                self.store.batch(|b| b.put_pulled_service(&actor, new, &server_version, now))?;
                Ok(true)
            }
            Entity::ProgramEpisode => {
                let (episode, resident_id) = vhr_fhir::read_episode_of_care(resource, fhir).map_err(|e| Error::Sync(e.to_string()))?;
                match self.store.resident(&actor, &resident_id)? {
                    None => return self.waits_for_resident(&resident_id),
                    Some(r) if r.status == RecordStatus::MovedOut && moved_on(&r, &self.profile_required()?.institution_name) => {
                        return Ok(false)
                    }
                    Some(_) => {}
                }
                self.check_pulled_episode(&episode)?;
                if has_pending {
                    return Ok(false);
                }
                self.store.batch(|b| b.put_pulled_episode(&actor, &resident_id, episode, &server_version, now))?;
                Ok(true)
            }
            // Households arrive through their members' memberships.
            _ => Ok(false),
        }
    }
}

/// A record this clinic closed as moved away to another institution, which
/// keeps it now: what is recorded there stays there.
fn moved_on(r: &vhr_domain::resident::Resident, here: &str) -> bool {
    r.status == RecordStatus::MovedOut && !r.managed_by.is_empty() && r.managed_by != here
}
