//! Where the platform is and how to sign in to it, which villages this
//! install keeps, the status the indicator shows, and what the 同步 page
//! lists: refused changes, conflicting fields, what the platform sent that
//! could not be taken, residents moved away.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use vhr_domain::entity::Entity;
use vhr_domain::problem::Problem;
use vhr_store::{AttentionItem, FieldConflict, ResidentSummary, SearchSpec, SetAside};
use vhr_sync::{Credentials, FhirServer};

use super::{PlatformSetup, SyncSettings, SyncStatus};
use crate::{Clinic, Error, Result};

impl Clinic {
    /// The sync settings (platform, identifiers, catchment).
    pub fn sync_settings(&self) -> Result<SyncSettings> {
        match self.store.sync_value("settings")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| Error::Storage(format!("sync settings: {e}"))),
            None => Ok(SyncSettings::default()),
        }
    }

    pub fn set_sync_settings(&mut self, s: &SyncSettings) -> Result<()> {
        check_address("base_url", &s.platform.base_url)?;
        self.store.set_sync_value("settings", &serde_json::to_string(s).map_err(|e| Error::Storage(e.to_string()))?)?;
        Ok(())
    }

    /// Stores the platform credentials (inside the encrypted database, like
    /// every secret of the install); they are read only by the transport.
    pub fn set_sync_credentials(&mut self, c: &Credentials) -> Result<()> {
        if let Credentials::ClientCredentials { token_url, .. } = c {
            check_address("token_url", token_url)?;
        }
        self.store.set_sync_value("credentials", &serde_json::to_string(c).map_err(|e| Error::Storage(e.to_string()))?)?;
        Ok(())
    }

    pub(super) fn sync_credentials(&self) -> Result<Credentials> {
        match self.store.sync_value("credentials")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| Error::Storage(format!("sync credentials: {e}"))),
            None => Ok(Credentials::None),
        }
    }

    /// This install's name on the platform (`meta.source` of what it writes).
    pub(super) fn install_source(&mut self) -> Result<String> {
        Ok(format!("urn:uuid:{}", self.install_id()?))
    }

    /// This install's own id, made the first time it is asked for.
    pub(crate) fn install_id(&mut self) -> Result<String> {
        if let Some(s) = self.store.sync_value("install_id")? {
            return Ok(s);
        }
        let id = self.env.ids.new_id();
        self.store.set_sync_value("install_id", &id)?;
        Ok(id)
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
        if req.credentials_kind == "client_credentials" {
            check_address("token_url", req.token_url.trim())?;
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
        let set_aside = self.store.set_aside_count()?;
        let last_success =
            self.store.sync_value("last_success")?.and_then(|s| DateTime::parse_from_rfc3339(&s).ok()).map(|d| d.with_timezone(&Utc));
        let last_error = self.store.sync_value("last_error")?.filter(|s| !s.is_empty());
        let state = if settings.platform.base_url.is_empty() {
            "off"
        } else if c.quarantined + c.conflicted + set_aside > 0 {
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
            set_aside,
            last_success,
            last_error,
        })
    }

    /// The changes that need someone: refused by the platform or conflicting.
    pub fn sync_attention(&self) -> Result<Vec<AttentionItem>> {
        Ok(self.store.attention_items(self.actor()?)?)
    }

    /// What the platform sent that could not be taken, each with its reason;
    /// every pass tries them again.
    pub fn sync_set_aside(&self) -> Result<Vec<SetAside>> {
        Ok(self.store.set_aside_open(self.actor()?)?)
    }

    /// The fields changed both here and on the platform, waiting for a choice.
    pub fn sync_conflicts(&self) -> Result<Vec<FieldConflict>> {
        Ok(self.store.open_conflicts(self.actor()?, None)?)
    }

    /// Residents the platform places outside this install's catchment (moved
    /// to a village this install does not serve): flagged, never dropped.
    pub fn outside_catchment(&self) -> Result<Vec<ResidentSummary>> {
        let actor = self.actor()?;
        let spec = SearchSpec { query: String::new(), village: None, tag: None, status: Default::default(), today: self.today(), limit: 1 };
        let mut out = Vec::new();
        for id in self.store.outside_residents()? {
            if let Some(s) = self.store.summary_by_id(actor, &id, &spec)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Sends a quarantined change again on the next pass (after the record was corrected).
    pub fn retry_sync(&mut self, entity: Entity, id: &str) -> Result<usize> {
        self.actor()?;
        Ok(self.store.retry_change(entity, id)?)
    }

    /// The villages whose residents this install keeps: the settings' list, else the clinic's.
    pub(super) fn catchment(&self, settings: &SyncSettings) -> HashSet<String> {
        if !settings.catchment.is_empty() {
            return settings.catchment.iter().cloned().collect();
        }
        self.profile().ok().flatten().map(|p| p.villages.iter().map(|v| v.code.clone()).collect()).unwrap_or_default()
    }
}

/// An address records (or the platform's secret) may be sent to: `https://`,
/// or `http://` to this computer only. Empty means "no platform yet".
fn check_address(field: &str, address: &str) -> Result<()> {
    if address.is_empty() {
        return Ok(());
    }
    let problem = match vhr_sync::address_allowed(address) {
        Ok(()) => return Ok(()),
        Err(vhr_sync::TransportError::NotEncrypted(_)) => Problem::error(
            field,
            "platform.not_https",
            "平台地址必须以 https:// 开头，档案只经加密连接传输（http:// 仅用于本机上的测试服务器）",
            "The platform address must start with https://: records travel only over an encrypted connection (http:// is for a test server on this computer)",
        ),
        Err(_) => Problem::error(
            field,
            "platform.url",
            "平台地址应以 https:// 开头，例如 https://平台地址/fhir",
            "The platform address starts with https://, such as https://platform.example/fhir",
        ),
    };
    Err(Error::Invalid(vec![problem]))
}
