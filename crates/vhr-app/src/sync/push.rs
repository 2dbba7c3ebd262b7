//! Draining the outbox: the push machine decides, this file sends what it
//! asks for, records what the platform now holds, sets refused changes aside
//! with the platform's words, and hands conflicts to the merge.

use serde_json::{json, Value};
use vhr_fhir::Entry;
use vhr_sync::transport::{outcome, version_of_etag};
use vhr_sync::{Diagnosis, Event, FhirServer, Outcome, Push, Step, TransportError};

use super::{Prepared, SyncProgress, SyncReport, SyncSettings};
use crate::{Clinic, Error, Result};

impl Clinic {
    pub(super) fn push(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<()> {
        let pending = self.store.pending_changes(usize::MAX >> 1)?;
        let total = pending.len();
        let seed = self.now().at().timestamp_micros() as u64;
        let mut push = Push::new(pending, settings.platform.push.clone(), seed);
        let fhir = &settings.fhir;
        loop {
            progress(SyncProgress { phase: "push".into(), done: total - push.remaining(), total });
            let events = match push.step() {
                Step::Send(batch) => {
                    let mut prepared = Vec::with_capacity(batch.len());
                    for c in &batch {
                        match self.prepare_change(c, fhir) {
                            Ok(p) => prepared.push(p),
                            Err(e @ Error::Storage(_)) => return Err(e),
                            // A change this app cannot shape waits; the rest go.
                            Err(_) => {}
                        }
                    }
                    let entries: Vec<Entry> = prepared.iter().flat_map(|p| p.entries.iter().cloned()).collect();
                    let reply = server.bundle(&vhr_fhir::transaction(&entries, source));
                    let outcome = outcome(&reply);
                    if outcome == Outcome::Accepted {
                        let body = reply.as_ref().map(|r| r.body.clone()).unwrap_or(Value::Null);
                        self.record_written(&prepared, &body)?;
                        report.pushed += prepared.len();
                    }
                    let mut events = push.sent(outcome);
                    // Written events were recorded above with their server versions.
                    events.retain(|e| !matches!(e, Event::Written(_)));
                    events
                }
                Step::Diagnose(change) => {
                    let d = match self.prepare_change(&change, fhir) {
                        Ok(p) => self.diagnose(server, &p, source)?,
                        Err(e @ Error::Storage(_)) => return Err(e),
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
                Step::Offline { .. } => {
                    return Err(Error::Platform(TransportError::Unreachable("平台多次无应答 / the platform kept failing".into())));
                }
            };
            let now = self.now().at();
            for e in events {
                match e {
                    Event::Written(_) => {}
                    Event::Quarantined(c, reason) => {
                        report.quarantined += 1;
                        self.store.mark_quarantined(&c, &reason, now)?;
                    }
                    Event::Conflicted(c) => match self.settle_conflict(server, &c, settings, source) {
                        Ok(true) => report.conflicted += 1,
                        Ok(false) => {}
                        Err(e @ Error::Storage(_)) => return Err(e),
                        // Unreachable, or unreadable there: the change stays and is tried next pass.
                        Err(_) => {}
                    },
                }
            }
        }
    }

    /// Notes each written change's version on the platform from a transaction response.
    fn record_written(&mut self, prepared: &[Prepared], body: &Value) -> Result<()> {
        let now = self.now().at();
        let responses = body.get("entry").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut at = 0;
        for p in prepared {
            let etag = responses.get(at).and_then(|e| e["response"]["etag"].as_str()).and_then(version_of_etag);
            at += p.entries.len();
            let version = etag.unwrap_or_else(|| "unknown".into());
            self.store.mark_written(&p.change, &version, now)?;
        }
        Ok(())
    }

    /// Finds why the platform refused a change on its own: first its
    /// validator on each resource (writing nothing, so a refused change leaves
    /// no part of itself on the platform), then each resource sent by itself,
    /// where a precondition failure means the platform's copy moved on.
    fn diagnose(&mut self, server: &mut FhirServer, p: &Prepared, source: &str) -> Result<Diagnosis> {
        for e in &p.entries {
            match server.validate(&e.resource) {
                Ok(r) if r.unavailable() => return Ok(Diagnosis::Unavailable),
                Ok(r) => {
                    let refused =
                        r.body["issue"].as_array().into_iter().flatten().any(|i| i["severity"] == "error" || i["severity"] == "fatal");
                    if refused || !r.ok() {
                        let why = r.issues().unwrap_or_else(|| r.reasons());
                        let words = format!("{}: 平台校验未通过 / refused by the platform's validator: {why}", e.url());
                        return Ok(Diagnosis::Rejected(words));
                    }
                }
                Err(_) => return Ok(Diagnosis::Unavailable),
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
                Ok(r) if r.status == 412 || r.status == 409 => return Ok(Diagnosis::Conflict),
                Ok(r) if r.unavailable() => return Ok(Diagnosis::Unavailable),
                Ok(r) => return Ok(Diagnosis::Rejected(format!("{}: {}", e.url(), r.reasons()))),
                Err(_) => return Ok(Diagnosis::Unavailable),
            }
        }
        self.store.mark_written(&p.change, main_version.as_deref().unwrap_or("unknown"), self.now().at())?;
        Ok(Diagnosis::Written)
    }
}
