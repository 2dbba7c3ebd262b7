//! Sync with the platform: one pass pulls what others recorded for this
//! install's residents, then pushes the outbox.
//!
//! The push decisions are `vhr_sync::Push`'s (a state machine without IO);
//! the network, retries and paging are `vhr_sync::FhirServer`'s; the
//! resources are `vhr_fhir`'s. This module joins them to the store, one file
//! per part:
//!
//! - `setup` — the platform address and sign-in, the catchment, the status
//!   the indicator shows, and the lists the 同步 page shows;
//! - `shape` — what a change looks like as FHIR resources now, and an
//!   entity's content as merges see it;
//! - `push` — draining the outbox through the push machine, and diagnosing
//!   a change the platform refused;
//! - `pull` — reading the platform's history since the cursor and writing
//!   what others recorded, never to be sent back; setting aside, with the
//!   reason, what cannot be taken, and trying it again on later passes;
//! - `check` — what the platform sends, checked by the rules of typing;
//! - `merge` — a change whose platform copy moved on, merged field by field;
//!   the doctor's choices for what conflicts;
//! - `notices` — conflicts announced to, and settled by, the other install.

mod audit;
mod check;
mod merge;
mod notices;
mod pull;
mod push;
mod setup;
mod shape;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_fhir::{Entry, FhirConfig};
use vhr_store::{Actor, OutboxCounts, PendingChange};
use vhr_sync::{FhirServer, PlatformConfig, TransportError};

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
    /// Resources from the platform set aside, each with its reason.
    pub set_aside: i64,
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
    /// Resources pulled this pass that could not be taken (see the sync
    /// page's list for each one's reason).
    pub set_aside: usize,
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
    /// Resources from the platform set aside and not yet taken.
    pub set_aside: i64,
}

impl SyncCounts {
    fn of(c: OutboxCounts, set_aside: i64) -> Self {
        SyncCounts { waiting: c.waiting, quarantined: c.quarantined, conflicted: c.conflicted, set_aside }
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
    pub entity: Entity,
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

/// Who writes what the platform sends.
fn sync_actor() -> Actor {
    Actor::install("sync", "平台同步")
}

impl SyncReport {
    /// The platform stopped answering: the rest waits for the next pass.
    fn went_offline(&mut self, e: &TransportError) {
        self.offline = true;
        self.error.get_or_insert_with(|| e.to_string());
    }
}

impl Clinic {
    /// One sync pass: pull, then push. Progress is reported as it goes; the
    /// outcome is kept for the indicator. A platform that does not answer
    /// ends the pass with everything kept; a failure of the store ends it
    /// with that error.
    pub fn sync_once(&mut self, progress: &mut dyn FnMut(SyncProgress)) -> Result<SyncReport> {
        let settings = self.sync_settings()?;
        if settings.platform.base_url.is_empty() {
            return Err(Error::Sync("未设置平台地址 / no platform address is set".into()));
        }
        let mut server = FhirServer::new(&settings.platform, self.sync_credentials()?)?;
        let source = self.install_source()?;
        let mut report = SyncReport::default();
        // A platform that does not answer at all ends the pass at once; one
        // that answers but fails part-way is retried with waits.
        match server.get("metadata") {
            Err(e) => report.went_offline(&e),
            Ok(_) => {
                // A pull that fails does not keep local changes from going up.
                match self.pull(&mut server, &settings, &source, &mut report, progress) {
                    Err(Error::Platform(e)) => report.went_offline(&e),
                    other => other?,
                }
                match self.push(&mut server, &settings, &source, &mut report, progress) {
                    Err(Error::Platform(e)) => report.went_offline(&e),
                    other => other?,
                }
                if !report.offline {
                    match self.publish_audit(&mut server, &settings, &source, &report) {
                        Err(Error::Platform(e)) => report.went_offline(&e),
                        Err(Error::Sync(why)) => {
                            tracing::warn!(why = %why, "the audit trail waits for the next pass");
                            report.error.get_or_insert(why);
                        }
                        other => other?,
                    }
                }
            }
        }
        let now = self.now().at();
        if report.offline {
            self.store.set_sync_value("last_error", report.error.as_deref().unwrap_or("offline"))?;
        } else {
            self.store.set_sync_value("last_error", "")?;
            self.store.set_sync_value("last_success", &now.to_rfc3339())?;
        }
        report.counts = SyncCounts::of(self.store.outbox_counts()?, self.store.set_aside_count()?);
        Ok(report)
    }
}
