//! Sync with the platform (issue #4): one pass pulls what others recorded
//! for this install's residents, then pushes the outbox.
//!
//! The push decisions are `vhr_sync::Push`'s (a state machine without IO);
//! the network is `vhr_sync::FhirServer`'s; the resources are `vhr_fhir`'s.
//! This module joins them to the store: it reads what each change looks like
//! now, records what the platform holds (its version and the merge base), and
//! writes pulled changes so they are never sent back.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;
use vhr_domain::changes::merge;
use vhr_domain::resident::Resident;
use vhr_fhir::{Entry, FhirConfig};
use vhr_store::{Actor, NewService, OutboxCounts, PendingChange, PulledResident};
use vhr_sync::{Credentials, Diagnosis, Event, FhirServer, Outcome, PlatformConfig, Push, Reply, Step, TransportError};

use crate::{Clinic, Error, Result};

/// The form whose response carries the personal basic information.
const BASIC_INFO: &str = "personal_basic_info";

/// Everything an install knows about syncing, kept with its data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    pub platform: PlatformConfig,
    pub fhir: FhirConfig,
    /// The villages (3-digit codes) whose residents this install keeps; empty
    /// means the villages of the clinic profile. A township install lists
    /// every village of the township.
    pub catchment: Vec<String>,
}

/// What the status indicator shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncStatus {
    /// `off` (no platform set), `offline`, `up_to_date`, `waiting`, `attention`.
    pub state: String,
    pub waiting: i64,
    pub quarantined: i64,
    pub conflicted: i64,
    pub last_success: Option<DateTime<Utc>>,
    /// Why the last pass could not reach the platform, in words.
    pub last_error: Option<String>,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct SyncReport {
    /// History entries read from the platform, this install's own writes
    /// included (the pass after a push reads those back once).
    pub scanned: usize,
    pub pulled: usize,
    pub pushed: usize,
    pub quarantined: usize,
    pub conflicted: usize,
    /// The platform could not be reached; changes wait for the next pass.
    pub offline: bool,
    pub error: Option<String>,
    pub counts: SyncCounts,
}

/// The outbox after a pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, TS)]
pub struct SyncCounts {
    pub waiting: i64,
    pub quarantined: i64,
    pub conflicted: i64,
}

impl From<OutboxCounts> for SyncCounts {
    fn from(c: OutboxCounts) -> Self {
        SyncCounts { waiting: c.waiting, quarantined: c.quarantined, conflicted: c.conflicted }
    }
}

/// The platform settings as the settings page edits them. The stored secret
/// (token or client secret) is never sent to the window: `has_secret` says
/// whether one is kept, and `secret` carries only a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlatformSetup {
    pub base_url: String,
    pub interval_seconds: u64,
    /// `none`, `bearer` or `client_credentials`.
    pub credentials_kind: String,
    pub token_url: String,
    pub client_id: String,
    pub scope: String,
    pub has_secret: bool,
    #[serde(default)]
    pub secret: Option<String>,
}

/// The doctor's choice for each conflicting field of one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResolveRequest {
    pub entity: String,
    pub entity_id: String,
    pub choices: Vec<ConflictChoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConflictChoice {
    pub conflict_id: i64,
    /// `local` or `remote`.
    pub choice: String,
}

/// Progress of a pass, for the indicator.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncProgress {
    /// `pull` or `push`.
    pub phase: String,
    pub done: usize,
    pub total: usize,
}

/// A change ready to send: its resources, the main one first.
pub struct Prepared {
    pub change: PendingChange,
    pub entries: Vec<Entry>,
}

fn sync_actor() -> Actor {
    Actor { user_id: "sync".into(), name: "平台同步".into() }
}

fn version_of_etag(etag: &str) -> Option<String> {
    let v = etag.trim_start_matches("W/").trim_matches('"');
    (!v.is_empty()).then(|| v.to_string())
}

fn classify(reply: &std::result::Result<Reply, TransportError>) -> Outcome {
    match reply {
        Ok(r) if r.ok() => Outcome::Accepted,
        Ok(r) if r.status == 413 => Outcome::TooLarge,
        Ok(r) if r.status == 408 || r.status == 504 => Outcome::TimedOut,
        Ok(r) if r.status == 429 || r.status >= 500 => Outcome::Unavailable,
        Ok(_) => Outcome::Rejected,
        Err(TransportError::TimedOut | TransportError::Cut(_)) => Outcome::TimedOut,
        Err(_) => Outcome::Unavailable,
    }
}

impl Clinic {
    /// The sync settings (platform, identifiers, catchment).
    pub fn sync_settings(&self) -> Result<SyncSettings> {
        match self.store.sync_value("settings")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| Error::Storage(format!("sync settings: {e}"))),
            None => Ok(SyncSettings::default()),
        }
    }

    pub fn set_sync_settings(&mut self, s: &SyncSettings) -> Result<()> {
        self.store.set_sync_value("settings", &serde_json::to_string(s).map_err(|e| Error::Storage(e.to_string()))?)?;
        Ok(())
    }

    /// Stores the platform credentials; they are read only by the transport.
    pub fn set_sync_credentials(&mut self, c: &Credentials) -> Result<()> {
        self.store.set_sync_value("credentials", &serde_json::to_string(c).map_err(|e| Error::Storage(e.to_string()))?)?;
        Ok(())
    }

    fn sync_credentials(&self) -> Result<Credentials> {
        match self.store.sync_value("credentials")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| Error::Storage(format!("sync credentials: {e}"))),
            None => Ok(Credentials::None),
        }
    }

    /// This install's name on the platform (`meta.source` of what it writes).
    fn install_source(&mut self) -> Result<String> {
        if let Some(s) = self.store.sync_value("install_id")? {
            return Ok(format!("urn:uuid:{s}"));
        }
        let id = self.env.ids.new_id();
        self.store.set_sync_value("install_id", &id)?;
        Ok(format!("urn:uuid:{id}"))
    }

    /// Whether the platform answers at all (a `metadata` read), to decide
    /// cheaply when a pass is worth starting.
    pub fn platform_answers(&self) -> bool {
        let Ok(settings) = self.sync_settings() else { return false };
        let mut cfg = settings.platform.clone();
        cfg.timeout_seconds = cfg.timeout_seconds.min(5);
        let Ok(creds) = self.sync_credentials() else { return false };
        FhirServer::new(&cfg, creds).and_then(|mut s| s.get("metadata")).is_ok_and(|r| r.ok())
    }

    /// The platform settings as the settings page shows them: never the secrets.
    pub fn platform_setup(&self) -> Result<PlatformSetup> {
        self.actor()?;
        let s = self.sync_settings()?;
        let (kind, token_url, client_id, scope, has_secret) = match self.sync_credentials()? {
            Credentials::None => ("none", String::new(), String::new(), String::new(), false),
            Credentials::Bearer { token } => ("bearer", String::new(), String::new(), String::new(), !token.is_empty()),
            Credentials::ClientCredentials { token_url, client_id, client_secret, scope } => {
                ("client_credentials", token_url, client_id, scope, !client_secret.is_empty())
            }
        };
        Ok(PlatformSetup {
            base_url: s.platform.base_url,
            interval_seconds: s.platform.interval_seconds,
            credentials_kind: kind.into(),
            token_url,
            client_id,
            scope,
            has_secret,
            secret: None,
        })
    }

    /// Saves the platform settings; a `secret` left empty keeps the stored one.
    pub fn set_platform_setup(&mut self, req: PlatformSetup) -> Result<PlatformSetup> {
        self.actor()?;
        let url = req.base_url.trim().trim_end_matches('/').to_string();
        let web = url.starts_with("http://") || url.starts_with("https://");
        if !url.is_empty() && !web {
            return Err(Error::Invalid(vec![vhr_domain::problem::Problem::error(
                "base_url",
                "platform.url",
                "平台地址应以 http:// 或 https:// 开头",
                "The platform address starts with http:// or https://",
            )]));
        }
        let mut s = self.sync_settings()?;
        s.platform.base_url = url;
        s.platform.interval_seconds = req.interval_seconds.max(30);
        self.set_sync_settings(&s)?;
        let kept = self.sync_credentials()?;
        let secret = req.secret.filter(|x| !x.is_empty());
        let creds = match req.credentials_kind.as_str() {
            "bearer" => Credentials::Bearer {
                token: secret
                    .or(match kept {
                        Credentials::Bearer { token } => Some(token),
                        _ => None,
                    })
                    .unwrap_or_default(),
            },
            "client_credentials" => Credentials::ClientCredentials {
                token_url: req.token_url,
                client_id: req.client_id,
                client_secret: secret
                    .or(match kept {
                        Credentials::ClientCredentials { client_secret, .. } => Some(client_secret),
                        _ => None,
                    })
                    .unwrap_or_default(),
                scope: req.scope,
            },
            _ => Credentials::None,
        };
        self.set_sync_credentials(&creds)?;
        self.platform_setup()
    }

    /// What the sync indicator shows now.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let settings = self.sync_settings()?;
        let c = self.store.outbox_counts()?;
        let last_success =
            self.store.sync_value("last_success")?.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.with_timezone(&Utc));
        let last_error = self.store.sync_value("last_error")?.filter(|s| !s.is_empty());
        let state = if settings.platform.base_url.is_empty() {
            "off"
        } else if c.quarantined + c.conflicted > 0 {
            "attention"
        } else if last_error.is_some() {
            "offline"
        } else if c.waiting > 0 {
            "waiting"
        } else {
            "up_to_date"
        };
        Ok(SyncStatus {
            state: state.into(),
            waiting: c.waiting,
            quarantined: c.quarantined,
            conflicted: c.conflicted,
            last_success,
            last_error,
        })
    }

    /// The changes that need someone: refused by the platform or conflicting.
    pub fn sync_attention(&self) -> Result<Vec<vhr_store::AttentionItem>> {
        self.actor()?;
        Ok(self.store.attention_items()?)
    }

    /// The fields changed both here and on the platform, waiting for a choice.
    pub fn sync_conflicts(&self) -> Result<Vec<vhr_store::FieldConflict>> {
        self.actor()?;
        Ok(self.store.open_conflicts(None)?)
    }

    /// Residents the platform places outside this install's catchment (moved
    /// to a village this install does not serve): flagged, never dropped.
    pub fn outside_catchment(&self) -> Result<Vec<vhr_store::ResidentSummary>> {
        let actor = self.actor()?;
        let spec = vhr_store::SearchSpec { query: String::new(), village: None, tag: None, today: self.today(), limit: 1 };
        let mut out = Vec::new();
        for id in self.store.outside_residents()? {
            if let Some(s) = self.store.summary_by_id(actor, &id, &spec)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Sends a quarantined change again on the next pass (after the record was corrected).
    pub fn retry_sync(&mut self, entity: &str, id: &str) -> Result<usize> {
        self.actor()?;
        Ok(self.store.retry_change(entity, id)?)
    }

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
        let base = self.store.sync_base(&change.entity, &change.entity_id)?;
        let if_match = base.as_ref().map(|b| format!("W/\"{}\"", b.server_version));
        let not_found = || Error::NotFound { entity: change.entity.clone(), id: change.entity_id.clone() };
        let mut change = change.clone();
        let mut entries = Vec::new();
        match change.entity.as_str() {
            "resident" => {
                let r = self.store.resident(&actor, &change.entity_id)?.ok_or_else(not_found)?;
                change.version = r.version;
                let previous: Option<Resident> = base.as_ref().and_then(|b| serde_json::from_value(b.base.clone()).ok());
                entries.push(Entry { resource: vhr_fhir::patient(&r, fhir), if_match });
                entries.push(Entry::put(self.basic_info_response(&r, fhir)?));
                entries.extend(vhr_fhir::conditions(&r, previous.as_ref(), fhir).into_iter().map(Entry::put));
            }
            "service_record" => {
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
            "program_episode" => {
                let e = self.store.episode(&actor, &change.entity_id)?.ok_or_else(not_found)?;
                change.version = e.version;
                entries.push(Entry { resource: vhr_fhir::episode_of_care(&e.episode, &e.resident_id, fhir), if_match });
            }
            "household" => {
                let h = self.store.household(&actor, &change.entity_id, self.today())?.ok_or_else(not_found)?;
                change.version = h.version;
                let members: Vec<&str> = h.members.iter().map(|m| m.resident.id.as_str()).collect();
                entries.push(Entry { resource: vhr_fhir::group(&h.id, &h.village_code, &h.address, &members, fhir), if_match });
            }
            other => return Err(Error::Storage(format!("{other} does not travel to the platform"))),
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

    /// One sync pass: pull, then push. Progress is reported as it goes; the
    /// outcome is kept for the indicator.
    pub fn sync_once(&mut self, progress: &mut dyn FnMut(SyncProgress)) -> Result<SyncReport> {
        let settings = self.sync_settings()?;
        if settings.platform.base_url.is_empty() {
            return Err(Error::Sync("未设置平台地址 / no platform address is set".into()));
        }
        let mut server = FhirServer::new(&settings.platform, self.sync_credentials()?).map_err(|e| Error::Sync(e.to_string()))?;
        let source = self.install_source()?;
        let mut report = SyncReport::default();
        // A platform that does not answer at all ends the pass at once; one
        // that answers but fails part-way is retried with waits.
        if let Err(e) = server.get("metadata") {
            report.offline = true;
            report.error = Some(e.to_string());
        } else {
            // A pull that fails does not keep local changes from going up.
            let pulled = self.pull(&mut server, &settings, &source, &mut report, progress);
            let pushed = self.push(&mut server, &settings, &source, &mut report, progress);
            if let Some(e) = pulled.err().or(pushed.err()) {
                report.offline = true;
                report.error = Some(e.to_string());
            }
        }
        let now = self.env.clock.now();
        if report.offline {
            self.store.set_sync_value("last_error", report.error.as_deref().unwrap_or("offline"))?;
        } else {
            self.store.set_sync_value("last_error", "")?;
            self.store.set_sync_value("last_success", &now.to_rfc3339())?;
        }
        report.counts = self.store.outbox_counts()?.into();
        Ok(report)
    }

    fn push(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> std::result::Result<(), TransportError> {
        let pending = self.store.pending_changes(usize::MAX >> 1).map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let total = pending.len();
        let seed = self.env.clock.now().timestamp_micros() as u64;
        let mut push = Push::new(pending, settings.platform.push.clone(), seed);
        let fhir = &settings.fhir;
        loop {
            progress(SyncProgress { phase: "push".into(), done: total - push.remaining(), total });
            let events = match push.step() {
                Step::Send(batch) => {
                    let prepared: Vec<Prepared> = batch.iter().filter_map(|c| self.prepare_change(c, fhir).ok()).collect();
                    let entries: Vec<Entry> = prepared.iter().flat_map(|p| p.entries.iter().cloned()).collect();
                    let reply = server.bundle(&vhr_fhir::transaction(&entries, source));
                    let outcome = classify(&reply);
                    if outcome == Outcome::Accepted {
                        let body = reply.as_ref().map(|r| r.body.clone()).unwrap_or(Value::Null);
                        self.record_written(&prepared, &body);
                    }
                    let mut events = push.sent(outcome);
                    // Written events were recorded above with their server versions.
                    events.retain(|e| !matches!(e, Event::Written(_)));
                    report.pushed += if reply.as_ref().is_ok_and(Reply::ok) { prepared.len() } else { 0 };
                    events
                }
                Step::Diagnose(change) => {
                    let d = match self.prepare_change(&change, fhir) {
                        Ok(p) => self.diagnose(server, &p, source),
                        Err(e) => Diagnosis::Rejected(e.to_string()),
                    };
                    if d == Diagnosis::Written {
                        report.pushed += 1;
                    }
                    push.diagnosed(d)
                }
                Step::Wait(d) => {
                    std::thread::sleep(d);
                    Vec::new()
                }
                Step::Done => {
                    self.publish_notices(server, settings, source)?;
                    return Ok(());
                }
                Step::Offline { .. } => return Err(TransportError::Unreachable("平台多次无应答 / the platform kept failing".into())),
            };
            let now = self.env.clock.now();
            for e in events {
                match e {
                    Event::Written(_) => {}
                    Event::Quarantined(c, reason) => {
                        report.quarantined += 1;
                        let _ = self.store.mark_quarantined(&c, &reason, now);
                    }
                    Event::Conflicted(c) => {
                        if self.settle_conflict(server, &c, settings, source).unwrap_or(false) {
                            report.conflicted += 1;
                        }
                    }
                }
            }
        }
    }

    /// Notes each written change's version on the platform from a transaction response.
    fn record_written(&mut self, prepared: &[Prepared], body: &Value) {
        let now = self.env.clock.now();
        let responses = body.get("entry").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut at = 0;
        for p in prepared {
            let etag = responses.get(at).and_then(|e| e["response"]["etag"].as_str()).and_then(version_of_etag);
            at += p.entries.len();
            let version = etag.unwrap_or_else(|| "unknown".into());
            let _ = self.store.mark_written(&p.change, &version, now);
        }
    }

    /// Finds why the platform refused a change on its own: first its
    /// validator on each resource (writing nothing, so a refused change leaves
    /// no part of itself on the platform), then each resource sent by itself,
    /// where a precondition failure means the platform's copy moved on.
    fn diagnose(&mut self, server: &mut FhirServer, p: &Prepared, source: &str) -> Diagnosis {
        for e in &p.entries {
            match server.validate(&e.resource) {
                Ok(r) if r.status == 429 || r.status >= 500 => return Diagnosis::Unavailable,
                Ok(r) => {
                    let refused =
                        r.body["issue"].as_array().into_iter().flatten().any(|i| i["severity"] == "error" || i["severity"] == "fatal");
                    if refused || !r.ok() {
                        let why = r.issues().unwrap_or_else(|| r.reasons());
                        return Diagnosis::Rejected(format!("{}: 平台校验未通过 / refused by the platform's validator: {why}", e.url()));
                    }
                }
                Err(_) => return Diagnosis::Unavailable,
            }
        }
        let mut main_version = None;
        for (i, e) in p.entries.iter().enumerate() {
            let mut resource = e.resource.clone();
            resource["meta"] = json!({ "source": source });
            match server.put(&resource, e.if_match.as_deref()) {
                Ok(r) if r.ok() => {
                    if i == 0 {
                        main_version = r.etag.as_deref().and_then(version_of_etag);
                    }
                }
                Ok(r) if r.status == 412 || r.status == 409 => return Diagnosis::Conflict,
                Ok(r) if r.status == 429 || r.status >= 500 => return Diagnosis::Unavailable,
                Ok(r) => return Diagnosis::Rejected(format!("{}: {}", e.url(), r.reasons())),
                Err(_) => return Diagnosis::Unavailable,
            }
        }
        let now = self.env.clock.now();
        let _ = self.store.mark_written(&p.change, main_version.as_deref().unwrap_or("unknown"), now);
        Diagnosis::Written
    }

    /// The platform's copy changed since this change's base. If the change is
    /// this install's own earlier write (its answer was lost), it is done;
    /// otherwise both sides are merged field by field and what conflicts is
    /// raised. Returns whether a conflict was raised.
    fn settle_conflict(&mut self, server: &mut FhirServer, c: &PendingChange, settings: &SyncSettings, source: &str) -> Result<bool> {
        let prepared = self.prepare_change(c, &settings.fhir)?;
        let url = prepared.entries[0].url();
        let reply = get_with_retries(server, &url, &settings.platform.push).map_err(|e| Error::Sync(format!("transport: {e}")))?;
        let remote = reply.body;
        let server_version = remote["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        let now = self.env.clock.now();
        if remote["meta"]["source"].as_str() == Some(source) {
            // Our own write whose answer never came: the platform has it.
            let ours = strip_meta(&remote) == strip_meta(&prepared.entries[0].resource);
            if ours {
                self.store.mark_written(&prepared.change, &server_version, now)?;
                return Ok(false);
            }
        }
        self.merge_remote(c, &remote, &server_version, settings, server)
    }

    /// Merges the platform's copy of an entity with the local one against
    /// their base. A clean merge becomes a local change based on the
    /// platform's version (sent next); a conflict is raised for the doctor.
    fn merge_remote(
        &mut self,
        c: &PendingChange,
        remote: &Value,
        server_version: &str,
        settings: &SyncSettings,
        server: &mut FhirServer,
    ) -> Result<bool> {
        let now = self.env.clock.now();
        let actor = sync_actor();
        let not_found = || Error::NotFound { entity: c.entity.clone(), id: c.entity_id.clone() };
        let theirs = match c.entity.as_str() {
            "resident" => serde_json::to_value(self.read_remote_resident(remote, server, &settings.fhir)?.data).unwrap_or_default(),
            "service_record" => {
                let local = self.store.service(&actor, &c.entity_id)?.ok_or_else(not_found)?;
                let form = self.forms.form(&local.form_id).ok_or_else(|| Error::Forms(local.form_id.clone()))?;
                Value::Object(vhr_fhir::read_response(form, remote).map_err(|e| Error::Sync(e.to_string()))?)
            }
            // Episodes and households have no fields a second install edits
            // independently: nothing to merge.
            _ => return Ok(false),
        };
        let local = self.content_of(&c.entity, &c.entity_id)?.ok_or_else(not_found)?;
        // A resident's base also holds its record fields (id, version, …);
        // neither side's content has them, so the merge leaves them out.
        let base_value = self.base_content_of(&c.entity, &c.entity_id)?;
        let (merged, conflicts) = merge(&base_value, &local, &theirs);
        // What merged cleanly is kept at once (the conflicting fields keep the
        // local value); what conflicts waits, with the entity's changes, for
        // the doctor's choice.
        self.apply_merged(c, merged, server_version, now)?;
        if conflicts.is_empty() {
            return Ok(false);
        }
        self.store.raise_conflicts(&c.entity, &c.entity_id, server_version, &conflicts, now)?;
        Ok(true)
    }

    /// Settles an entity's conflicts with the doctor's choice per field
    /// (`local` keeps this install's value, `remote` takes the platform's),
    /// saved as a new local version that goes up on the next pass.
    pub fn resolve_conflicts(&mut self, req: ResolveRequest) -> Result<()> {
        let by = self.actor()?.clone();
        let open = self.store.open_conflicts(Some(&req.entity_id))?;
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
        let now = self.env.clock.now();
        match req.entity.as_str() {
            "resident" => {
                let local = self
                    .store
                    .resident(&by, &req.entity_id)?
                    .ok_or(Error::NotFound { entity: req.entity.clone(), id: req.entity_id.clone() })?;
                let mut data = serde_json::to_value(&local.data).map_err(|e| Error::Sync(e.to_string()))?;
                for (field, v) in remote_fields {
                    vhr_domain::changes::set_path(&mut data, &field, v);
                }
                let data = serde_json::from_value(data).map_err(|e| Error::Sync(format!("resolved resident: {e}")))?;
                self.store.update_resident(&by, &local.id, local.version, data, now)?;
            }
            "service_record" => {
                let local = self
                    .store
                    .service(&by, &req.entity_id)?
                    .ok_or(Error::NotFound { entity: req.entity.clone(), id: req.entity_id.clone() })?;
                let mut data = Value::Object(local.data.clone());
                for (field, v) in remote_fields {
                    vhr_domain::changes::set_path(&mut data, &field, v);
                }
                let Value::Object(data) = data else { unreachable!("set_path keeps an object") };
                let edit = vhr_store::ServiceEdit { data, service_date: local.service_date, next_date: local.next_date };
                self.store.update_service(&by, &local.id, local.version, edit, now)?;
            }
            other => return Err(Error::Sync(format!("{other} conflicts are settled on the platform"))),
        }
        let choices: Vec<(i64, String)> = req.choices.iter().map(|c| (c.conflict_id, c.choice.clone())).collect();
        self.store.settle_conflicts(&req.entity, &req.entity_id, &choices, &by.name, now)?;
        Ok(())
    }

    /// Saves a clean merge as a local change, based on the platform's version.
    fn apply_merged(&mut self, c: &PendingChange, merged: Value, server_version: &str, now: DateTime<Utc>) -> Result<()> {
        let actor = sync_actor();
        match c.entity.as_str() {
            "resident" => {
                let local = self
                    .store
                    .resident(&actor, &c.entity_id)?
                    .ok_or(Error::NotFound { entity: c.entity.clone(), id: c.entity_id.clone() })?;
                let data = serde_json::from_value(merged).map_err(|e| Error::Sync(format!("merged resident: {e}")))?;
                let saved = self.store.update_resident(&actor, &local.id, local.version, data, now)?;
                self.store.rebase(&c.entity, &c.entity_id, server_version, saved.version, now)?;
            }
            "service_record" => {
                let local = self
                    .store
                    .service(&actor, &c.entity_id)?
                    .ok_or(Error::NotFound { entity: c.entity.clone(), id: c.entity_id.clone() })?;
                let Value::Object(data) = merged else { return Err(Error::Sync("merged form is not an object".into())) };
                let edit = vhr_store::ServiceEdit { data, service_date: local.service_date, next_date: local.next_date };
                let saved = self.store.update_service(&actor, &local.id, local.version, edit, now)?;
                self.store.rebase(&c.entity, &c.entity_id, server_version, saved.version, now)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// A pulled resident: the `Patient` with its personal basic information.
    fn read_remote_resident(&self, patient: &Value, server: &mut FhirServer, fhir: &FhirConfig) -> Result<PulledResident> {
        let facts = vhr_fhir::read_patient(patient, fhir).map_err(|e| Error::Sync(e.to_string()))?;
        let mut data = facts.data;
        let form = self.forms.form(BASIC_INFO).ok_or_else(|| Error::Forms(BASIC_INFO.into()))?;
        let reply = get_with_retries(server, &format!("QuestionnaireResponse/{}", facts.id), &vhr_sync::PushConfig::default())
            .map_err(|e| Error::Sync(format!("transport: {e}")))?;
        if reply.ok() {
            data.basic_info = vhr_fhir::read_response(form, &reply.body).map_err(|e| Error::Sync(e.to_string()))?;
        }
        Ok(PulledResident {
            id: facts.id,
            record_no: facts.record_no,
            data,
            household: facts.household,
            status: facts.status,
            institution: facts.institution,
        })
    }

    /// Pulls what changed on the platform since the cursor, for this install's
    /// catchment, and applies it without queuing it to be sent back.
    fn pull(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> std::result::Result<(), TransportError> {
        let cursor = self.store.sync_value("cursor").ok().flatten();
        let mut url = match &cursor {
            Some(c) => format!("_history?_since={}&_count=200", urlencode(c)),
            None => "_history?_count=200".to_string(),
        };
        // Newest first: the first copy seen of a resource is its latest.
        let mut latest: BTreeMap<(String, String), Value> = BTreeMap::new();
        let mut newest: Option<String> = None;
        loop {
            let reply = get_with_retries(server, &url, &settings.platform.push)?;
            for e in reply.body.get("entry").and_then(Value::as_array).into_iter().flatten() {
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
            let next = reply.body.get("link").and_then(Value::as_array).and_then(|links| {
                links.iter().find(|l| l["relation"].as_str() == Some("next")).and_then(|l| l["url"].as_str()).map(str::to_string)
            });
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        let catchment: HashSet<String> = self.catchment(settings);
        let total = latest.len();
        let mut done = 0;
        // Households first, then residents, then what hangs off residents.
        for kind in ["Group", "Patient", "EpisodeOfCare", "QuestionnaireResponse", "Task"] {
            for ((t, id), resource) in latest.iter().filter(|((t, _), _)| t == kind) {
                done += 1;
                progress(SyncProgress { phase: "pull".into(), done, total });
                if resource["meta"]["source"].as_str() == Some(source) {
                    continue; // our own write coming back
                }
                let applied = self.apply_pulled(t, id, resource, settings, &catchment, server);
                match applied {
                    Ok(true) => report.pulled += 1,
                    Ok(false) => {}
                    Err(Error::Sync(msg)) if msg.starts_with("transport:") => return Err(TransportError::Unreachable(msg)),
                    Err(e) => {
                        // A resource this app cannot read is left on the platform, not guessed at.
                        report.error.get_or_insert_with(|| format!("{t}/{id}: {}", e.message(vhr_domain::i18n::Lang::Zh)));
                    }
                }
            }
        }
        if let Some(n) = newest {
            self.store.set_sync_value("cursor", &n).map_err(|e| TransportError::Unreachable(e.to_string()))?;
        }
        Ok(())
    }

    fn catchment(&self, settings: &SyncSettings) -> HashSet<String> {
        if !settings.catchment.is_empty() {
            return settings.catchment.iter().cloned().collect();
        }
        self.profile().ok().flatten().map(|p| p.villages.iter().map(|v| v.code.clone()).collect()).unwrap_or_default()
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
        let actor = sync_actor();
        let now = self.env.clock.now();
        let server_version = resource["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        let entity = match kind {
            "Patient" => "resident",
            "QuestionnaireResponse" => "service_record",
            "EpisodeOfCare" => "program_episode",
            "Group" => "household",
            "Task" => return self.apply_notice(resource, settings, server),
            _ => return Ok(false),
        };
        let fhir = &settings.fhir;
        // The basic information travels as a response under the resident's id.
        let is_basic_info =
            kind == "QuestionnaireResponse" && vhr_fhir::form_of_response(resource, fhir).is_some_and(|(f, _)| f == BASIC_INFO);
        let entity = if is_basic_info { "resident" } else { entity };
        if let Some(b) = self.store.sync_base(entity, id)? {
            if b.server_version == server_version && !is_basic_info {
                return Ok(false); // already have this version
            }
        }
        let has_pending = self.store.has_pending(entity, id)?;
        match kind {
            "Patient" => {
                let pulled = self.read_remote_resident(resource, server, fhir)?;
                let local = self.store.resident(&actor, id)?;
                let inside = catchment.contains(&pulled.data.village_code);
                if local.is_none() && !inside {
                    return Ok(false);
                }
                if has_pending {
                    let c = PendingChange { entity: entity.into(), entity_id: id.into(), version: 0 };
                    self.merge_remote(&c, resource, &server_version, settings, server)?;
                } else {
                    self.store.batch(|b| b.put_pulled_resident(&actor, pulled, &server_version, now))?;
                }
                self.store.flag_outside(id, !inside)?;
                Ok(true)
            }
            "QuestionnaireResponse" if is_basic_info => Ok(false), // read with its Patient
            "QuestionnaireResponse" => {
                let Some((form_id, form_version)) = vhr_fhir::form_of_response(resource, fhir) else { return Ok(false) };
                let Some(resident_id) = vhr_fhir::subject_of(resource).map(str::to_string) else { return Ok(false) };
                if self.store.resident(&actor, &resident_id)?.is_none() {
                    return Ok(false); // not one of ours
                }
                let form = self.forms.form(&form_id).ok_or_else(|| Error::Forms(format!("unknown form {form_id}")))?;
                let data = vhr_fhir::read_response(form, resource).map_err(|e| Error::Sync(e.to_string()))?;
                if has_pending {
                    let c = PendingChange { entity: entity.into(), entity_id: id.into(), version: 0 };
                    self.merge_remote(&c, resource, &server_version, settings, server)?;
                    return Ok(true);
                }
                let date = |field: &Option<String>| {
                    field
                        .as_ref()
                        .and_then(|f| data.get(f))
                        .and_then(Value::as_str)
                        .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                };
                let service_date = date(&form.service_date).unwrap_or_else(|| now.date_naive());
                let next_date = date(&form.next_date);
                let new = NewService { id: id.into(), resident_id, form_id, form_version, service_date, next_date, data };
                self.store.batch(|b| b.put_pulled_service(&actor, new, &server_version, now))?;
                Ok(true)
            }
            "EpisodeOfCare" => {
                let (episode, resident_id) = vhr_fhir::read_episode_of_care(resource, fhir).map_err(|e| Error::Sync(e.to_string()))?;
                if self.store.resident(&actor, &resident_id)?.is_none() || has_pending {
                    return Ok(false);
                }
                self.store.batch(|b| b.put_pulled_episode(&actor, &resident_id, episode, &server_version, now))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The resource type that stands for an entity on the platform, and back.
fn focus_type(entity: &str) -> Option<&'static str> {
    match entity {
        "resident" => Some("Patient"),
        "service_record" => Some("QuestionnaireResponse"),
        _ => None,
    }
}

fn entity_of_focus(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "Patient" => Some("resident"),
        "QuestionnaireResponse" => Some("service_record"),
        _ => None,
    }
}

/// The value at a dotted path of a JSON object (`null` when absent).
fn at_path(v: &Value, path: &str) -> Value {
    path.split('.').try_fold(v, |v, part| v.get(part)).cloned().unwrap_or(Value::Null)
}

impl Clinic {
    /// The editable content of an entity as merges and notices see it.
    fn content_of(&self, entity: &str, id: &str) -> Result<Option<Value>> {
        let actor = sync_actor();
        Ok(match entity {
            "resident" => self.store.resident(&actor, id)?.map(|r| serde_json::to_value(&r.data).unwrap_or_default()),
            "service_record" => self.store.service(&actor, id)?.map(|s| Value::Object(s.data)),
            _ => None,
        })
    }

    /// The base (the platform's copy last agreed) of an entity's content.
    fn base_content_of(&self, entity: &str, id: &str) -> Result<Value> {
        Ok(match self.store.sync_base(entity, id)? {
            // A resident's snapshot keeps its input flattened beside the record fields.
            Some(b) if entity == "resident" => b.base,
            Some(b) => b.base.get("data").cloned().unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// Publishes notices of conflicts found here, and closes the notices of
    /// conflicts decided here, so the other install raises or settles them too.
    fn publish_notices(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
    ) -> std::result::Result<(), TransportError> {
        let store_err = |e: vhr_store::StoreError| TransportError::Unreachable(e.to_string());
        let requester = self.profile().ok().flatten().map(|p| p.institution_name).unwrap_or_default();
        let authored = self.env.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let put = |server: &mut FhirServer, task: Value| -> std::result::Result<bool, TransportError> {
            let mut task = task;
            task["meta"] = json!({ "source": source });
            Ok(server.put(&task, None)?.ok())
        };
        for draft in self.store.notices_to_send().map_err(store_err)? {
            let Some(focus) = focus_type(&draft.entity) else { continue };
            let notice = vhr_fhir::Notice {
                id: self.env.ids.new_id(),
                focus_type: focus.into(),
                focus_id: draft.entity_id.clone(),
                fields: draft.fields.iter().map(|f| (f.field.clone(), f.local.clone().unwrap_or(Value::Null))).collect(),
                open: true,
            };
            if put(server, vhr_fhir::notice_task(&notice, &requester, &authored, &settings.fhir))? {
                let pks: Vec<i64> = draft.fields.iter().map(|f| f.pk).collect();
                self.store.mark_notice_sent(&pks, &notice.id).map_err(store_err)?;
            }
        }
        for (notice_id, entity, id) in self.store.notices_to_close().map_err(store_err)? {
            let Some(focus) = focus_type(&entity) else { continue };
            let notice =
                vhr_fhir::Notice { id: notice_id.clone(), focus_type: focus.into(), focus_id: id, fields: Vec::new(), open: false };
            if put(server, vhr_fhir::notice_task(&notice, &requester, &authored, &settings.fhir))? {
                self.store.mark_notice_closed(&notice_id).map_err(store_err)?;
            }
        }
        Ok(())
    }

    /// Applies another install's conflict notice: an open one raises the same
    /// conflict here; a closed one means the other side chose, and this
    /// install adopts the platform's copy of the fields that were open.
    fn apply_notice(&mut self, task: &Value, settings: &SyncSettings, server: &mut FhirServer) -> Result<bool> {
        let Some(notice) = vhr_fhir::read_notice(task, &settings.fhir) else { return Ok(false) };
        let Some(entity) = entity_of_focus(&notice.focus_type) else { return Ok(false) };
        let Some(local) = self.content_of(entity, &notice.focus_id)? else { return Ok(false) };
        let now = self.env.clock.now();
        let server_version = task["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        if notice.open {
            let base = self.base_content_of(entity, &notice.focus_id)?;
            let fields: Vec<vhr_domain::changes::Conflict> = notice
                .fields
                .iter()
                .filter_map(|(field, theirs)| {
                    let here = at_path(&local, field);
                    (here != *theirs).then(|| vhr_domain::changes::Conflict {
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
        let open = self.store.open_conflicts(Some(&notice.focus_id))?;
        if !open.iter().any(|c| c.entity == entity) {
            return Ok(false);
        }
        let fields = self.store.close_decided_elsewhere(entity, &notice.focus_id, now)?;
        // Adopt what the platform holds now for those fields.
        let url = format!("{}/{}", notice.focus_type, notice.focus_id);
        let reply = get_with_retries(server, &url, &settings.platform.push).map_err(|e| Error::Sync(format!("transport: {e}")))?;
        let platform_version = reply.body["meta"]["versionId"].as_str().unwrap_or("unknown").to_string();
        let theirs = match entity {
            "resident" => serde_json::to_value(self.read_remote_resident(&reply.body, server, &settings.fhir)?.data).unwrap_or_default(),
            _ => {
                let form_id = self.store.service(&sync_actor(), &notice.focus_id)?.map(|s| s.form_id).unwrap_or_default();
                let form = self.forms.form(&form_id).ok_or_else(|| Error::Forms(form_id.clone()))?;
                Value::Object(vhr_fhir::read_response(form, &reply.body).map_err(|e| Error::Sync(e.to_string()))?)
            }
        };
        let mut adopted = local.clone();
        for f in &fields {
            vhr_domain::changes::set_path(&mut adopted, f, at_path(&theirs, f));
        }
        let c = PendingChange { entity: entity.into(), entity_id: notice.focus_id.clone(), version: 0 };
        self.apply_merged(&c, adopted, &platform_version, now)?;
        Ok(true)
    }
}

/// What a bulk export wrote: resources per type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct ExportSummary {
    pub files: Vec<ExportFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExportFile {
    pub resource_type: String,
    pub path: String,
    pub count: usize,
}

impl Clinic {
    /// Writes every resource of the record as bulk NDJSON (one file per
    /// resource type, one resource per line, as FHIR Bulk Data does), with
    /// the questionnaires of every form, into `dir`.
    pub fn export_fhir(&self, dir: &std::path::Path, progress: &mut dyn FnMut(usize, usize)) -> Result<ExportSummary> {
        use std::io::Write;
        let fhir = self.sync_settings()?.fhir;
        std::fs::create_dir_all(dir).map_err(|e| Error::Storage(format!("{}: {e}", dir.display())))?;
        let mut files: BTreeMap<String, (std::io::BufWriter<std::fs::File>, usize)> = BTreeMap::new();
        let write = |files: &mut BTreeMap<String, (std::io::BufWriter<std::fs::File>, usize)>, resource: &Value| -> Result<()> {
            let t = resource["resourceType"].as_str().unwrap_or("Unknown").to_string();
            if !files.contains_key(&t) {
                let path = dir.join(format!("{t}.ndjson"));
                let f = std::fs::File::create(&path).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
                files.insert(t.clone(), (std::io::BufWriter::new(f), 0));
            }
            let (w, n) = files.get_mut(&t).expect("inserted above");
            writeln!(w, "{resource}").map_err(|e| Error::Storage(e.to_string()))?;
            *n += 1;
            Ok(())
        };
        for form in self.forms.forms.values() {
            write(&mut files, &vhr_fhir::questionnaire(form, &self.forms, &fhir))?;
        }
        let mut all = Vec::new();
        for entity in vhr_store::SYNCED {
            all.extend(self.store.entity_ids(entity)?.into_iter().map(|id| PendingChange {
                entity: entity.into(),
                entity_id: id,
                version: 0,
            }));
        }
        for (i, c) in all.iter().enumerate() {
            for e in self.prepare_change(c, &fhir)?.entries {
                write(&mut files, &e.resource)?;
            }
            if i % 500 == 0 || i + 1 == all.len() {
                progress(i + 1, all.len());
            }
        }
        let mut summary = ExportSummary::default();
        for (t, (mut w, count)) in files {
            w.flush().map_err(|e| Error::Storage(e.to_string()))?;
            summary.files.push(ExportFile { path: dir.join(format!("{t}.ndjson")).display().to_string(), resource_type: t, count });
        }
        Ok(summary)
    }
}

/// A read, tried again a few times with growing waits: reads change nothing,
/// so repeating one is always safe.
fn get_with_retries(server: &mut FhirServer, url: &str, cfg: &vhr_sync::PushConfig) -> std::result::Result<Reply, TransportError> {
    let mut wait = std::time::Duration::from_millis(cfg.backoff_base_ms);
    let mut last = TransportError::Unreachable(String::new());
    for _ in 0..=cfg.max_failures.min(4) {
        match server.get(url) {
            Ok(r) if r.ok() || r.status == 404 || r.status == 410 => return Ok(r),
            Ok(r) if r.status < 500 && r.status != 429 && r.status != 408 => return Err(TransportError::Unreachable(r.reasons())),
            Ok(r) => last = TransportError::Unreachable(r.reasons()),
            Err(e) => last = e,
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(std::time::Duration::from_millis(cfg.backoff_max_ms));
    }
    Err(last)
}

fn strip_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
