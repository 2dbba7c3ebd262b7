//! The audit trail goes up with every sync pass: the pass is recorded, the
//! trail signed (a checkpoint), and every entry and checkpoint the platform
//! does not hold yet sent as `AuditEvent`s, in order, so that a trail cut
//! short or rewritten here later is found by whoever holds them there.

use serde_json::Value;
use vhr_fhir::{AuditFacts, AuditSource};
use vhr_sync::transport::outcome;
use vhr_sync::{FhirServer, Outcome, TransportError};

use super::{SyncReport, SyncSettings};
use crate::{Clinic, Error, Result};

/// Entries per transaction.
const BATCH: usize = 200;

impl Clinic {
    pub(super) fn publish_audit(
        &mut self,
        server: &mut FhirServer,
        settings: &SyncSettings,
        source: &str,
        report: &SyncReport,
    ) -> Result<()> {
        let detail = format!("pulled: {}; pushed: {}; quarantined: {}", report.pulled, report.pushed, report.quarantined);
        // The pass is the install's own doing: the worker runs it with no one
        // signed in, and "sync now" only asks for it.
        self.store.record_event(&super::sync_actor(), "sync", Some(&detail), self.now())?;
        self.write_checkpoint("sync")?;
        let install = self.install_id()?;
        let origin = self.store.audit_key()?.map(|k| k.verifier().name().to_string()).unwrap_or_default();
        let institution = self.profile_required()?.institution_name;
        let src = AuditSource { install: &install, origin: &origin, institution: &institution };
        let base = &settings.fhir.canonical_base;

        let mut sent: i64 = self.store.sync_value("audit_sent")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        loop {
            let batch = self.store.audit_entries_from(sent + 1, BATCH)?;
            let Some(last) = batch.last().map(|e| e.seq) else { break };
            let entries: Vec<Value> = batch
                .iter()
                .map(|e| {
                    let facts = AuditFacts {
                        seq: e.seq,
                        at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                        user_id: &e.user_id,
                        user_name: &e.user_name,
                        action: &e.action,
                        entity: &e.entity,
                        entity_id: &e.entity_id,
                        resident_id: e.resident_id.as_deref(),
                        version: e.version,
                        content: e.content.as_deref(),
                        hash: &e.hash,
                    };
                    vhr_fhir::audit_event(&facts, &src, base)
                })
                .collect();
            self.send_audit(server, entries, source)?;
            sent = last;
            self.store.set_sync_value("audit_sent", &sent.to_string())?;
        }

        let mut covered: i64 = self.store.sync_value("audit_checkpoint_sent")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        for cp in self.store.checkpoints_after(covered)? {
            let at = cp.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let event = vhr_fhir::checkpoint_event(cp.size, &at, &cp.reason, &cp.note, &src, base);
            self.send_audit(server, vec![event], source)?;
            covered = cp.size;
            self.store.set_sync_value("audit_checkpoint_sent", &covered.to_string())?;
        }
        Ok(())
    }

    /// One transaction of audit events. A platform that does not answer
    /// ends the pass as offline; one that refuses them ends this part of
    /// the pass with its words: both are tried again next pass.
    fn send_audit(&self, server: &mut FhirServer, events: Vec<Value>, source: &str) -> Result<()> {
        let reply = server.bundle(&vhr_fhir::audit_transaction(events, source));
        if outcome(&reply) == Outcome::Accepted {
            return Ok(());
        }
        match reply {
            Err(e) => Err(Error::Platform(e)),
            Ok(r) if r.unavailable() => Err(Error::Platform(TransportError::Unreachable(r.reasons()))),
            Ok(r) => Err(Error::Sync(format!("平台未接受审计记录 / the platform did not accept the audit trail: {}", r.reasons()))),
        }
    }
}
