//! The audit trail as people use it: who opened or changed a resident's
//! record ("谁查看过"), the trail filtered by user, resident, kind and date,
//! the events of a session (sign-in, sign-out, lock, recovery, sync pass),
//! the signed checkpoints (at each sync pass, each day's close, each
//! sign-out and on demand), and the check of the whole trail against them.
//! The trail itself is written by the store (`vhr_store::audit`).

use vhr_domain::access::Role;
use vhr_domain::checkpoint::{InstallKey, Verifier25519};
use vhr_store::{AuditCheck, AuditEntry, AuditFilter, StoredCheckpoint};

use crate::{Clinic, Error, Result};

impl Clinic {
    /// Who opened, printed or changed this resident's record, newest first.
    /// Anyone who reaches the resident may ask.
    pub fn record_access_log(&self, resident_key: &str) -> Result<Vec<AuditEntry>> {
        let resident = self
            .store
            .resident(self.actor()?, resident_key)?
            .ok_or_else(|| Error::NotFound { entity: "resident".into(), id: resident_key.to_string() })?;
        let filter = AuditFilter { resident_id: Some(resident.id), limit: Some(500), ..Default::default() };
        Ok(self.store.audit_entries(self.actor()?, &filter)?)
    }

    /// The trail of the whole install, narrowed by resident, user, kind and
    /// dates: for administrators and township supervisors.
    pub fn audit_list(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.require_oversight()?;
        let resident_id = match query.resident.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(key) => Some(
                self.store
                    .resident(self.actor()?, key)?
                    .ok_or_else(|| Error::NotFound { entity: "resident".into(), id: key.to_string() })?
                    .id,
            ),
            None => None,
        };
        let user_id = match query.user.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => {
                Some(self.store.user_by_name(name)?.ok_or_else(|| Error::NotFound { entity: "user".into(), id: name.to_string() })?.id)
            }
            None => None,
        };
        let local_midnight = |d: chrono::NaiveDate| vhr_domain::time::start_of_day(d, self.now().offset());
        let filter = AuditFilter {
            resident_id,
            user_id,
            action: query.action.clone().filter(|a| !a.is_empty()),
            from: query.from.map(local_midnight),
            until: query.to.and_then(|d| d.succ_opt()).map(local_midnight),
            limit: Some(query.limit.unwrap_or(500).clamp(1, 10_000)),
        };
        Ok(self.store.audit_entries(self.actor()?, &filter)?)
    }

    /// Walks the whole trail and checks every checkpoint, the install's own
    /// and `held` (signed notes kept elsewhere), with `key` (a verifier key
    /// as `audit key` prints it) or else the install's own key.
    pub fn audit_verify(&self, held: &[String], key: Option<&str>) -> Result<AuditCheck> {
        self.require_oversight()?;
        let verifier = match key {
            Some(text) => Some(Verifier25519::decode(text).map_err(|_| {
                Error::Invalid(vec![vhr_domain::problem::Problem::error(
                    "key",
                    "audit.key_unreadable",
                    "审计公钥无法识别，请照 audit key 打印的原样输入",
                    "The audit key cannot be read; enter it exactly as `audit key` prints it",
                )])
            })?),
            None => None,
        };
        let check = self.store.audit_verify(held, verifier.as_ref())?;
        match check.broken_at {
            None => tracing::info!(entries = check.entries, checkpoints = check.checkpoints, "audit trail verified"),
            Some(at) => tracing::error!(at, problem = check.problem.as_deref().unwrap_or(""), "audit trail broken"),
        }
        Ok(check)
    }

    /// The install's signing key, made the first time it is needed.
    pub(crate) fn audit_signing_key(&mut self) -> Result<InstallKey> {
        if let Some(key) = self.store.audit_key()? {
            return Ok(key);
        }
        let profile = self.profile_required()?;
        let install = self.install_id()?;
        let base = format!("villagehealth.cn/audit/{}{}/{}", profile.county_code, profile.township_code, &install[..8.min(install.len())]);
        // An install that took the clinic over from a handover continues its
        // trail (and its install id) under a key and log name of its own.
        let held = self.store.held_audit_keys()?;
        let mut origin = base.clone();
        let mut n = 1;
        while held.iter().any(|k| k.name() == origin) {
            n += 1;
            origin = format!("{base}/{n}");
        }
        let seed = crate::keys::new_signing_seed();
        Ok(self.store.keep_audit_key(&origin, &seed, self.now())?)
    }

    /// The public half of the install's key, to print and give to whoever
    /// will check its checkpoints (`name+id+key`).
    pub fn audit_key(&mut self) -> Result<String> {
        Ok(self.audit_signing_key()?.verifier().encode())
    }

    /// Signs the trail's tree head now; `None` when the last checkpoint
    /// already covers every entry.
    /// How many bytes the database holds (for the benchmarks and support).
    pub fn database_bytes(&self) -> Result<u64> {
        self.actor()?;
        Ok(self.store.bytes_in_use()?)
    }

    pub fn write_checkpoint(&mut self, reason: &str) -> Result<Option<StoredCheckpoint>> {
        let key = self.audit_signing_key()?;
        let written = self.store.write_checkpoint(&key, reason, self.now())?;
        if let Some(cp) = &written {
            tracing::info!(size = cp.size, reason, "audit checkpoint written");
        }
        Ok(written)
    }

    /// The install's checkpoints, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.require_oversight()?;
        Ok(self.store.checkpoints()?)
    }

    /// The day's close: the first checkpoint of a local day signs what came
    /// before it. Run at sign-in and by the background worker.
    pub fn close_day_if_due(&mut self) -> Result<Option<StoredCheckpoint>> {
        let today = self.today();
        let offset = self.now().offset();
        let due = match self.store.last_checkpoint()? {
            None => true,
            Some(cp) => cp.at.with_timezone(&offset).date_naive() < today,
        };
        if due {
            self.write_checkpoint("day")
        } else {
            Ok(None)
        }
    }

    /// Appends an event of the session to the trail.
    pub(crate) fn audit_event(&self, action: &str, detail: Option<&str>) -> Result<()> {
        Ok(self.store.record_event(self.actor()?, action, detail, self.now())?)
    }

    /// Minutes of no typing or clicking before the window locks (default 10).
    pub fn idle_lock_minutes(&self) -> Result<u32> {
        Ok(self.store.setting(IDLE_LOCK)?.and_then(|v| v.parse().ok()).filter(|m| IDLE_RANGE.contains(m)).unwrap_or(10))
    }

    /// Sets the idle lock (administrators; 1 to 120 minutes).
    pub fn set_idle_lock_minutes(&mut self, minutes: u32) -> Result<u32> {
        if self.actor()?.access.role != Some(Role::Admin) {
            return Err(Error::Forbidden);
        }
        if !IDLE_RANGE.contains(&minutes) {
            return Err(Error::Invalid(vec![vhr_domain::problem::Problem::error(
                "idle_lock_minutes",
                "idle_lock.range",
                "自动锁定时间应在 1 到 120 分钟之间",
                "The idle lock is between 1 and 120 minutes",
            )]));
        }
        self.store.set_setting(IDLE_LOCK, &minutes.to_string())?;
        Ok(minutes)
    }

    /// Locking the window (idle or on demand) and unlocking it again with
    /// the password, recorded in the trail.
    pub fn note_lock(&self, locked: bool) -> Result<()> {
        self.audit_event(if locked { "lock" } else { "unlock" }, None)
    }

    fn require_oversight(&self) -> Result<()> {
        match self.actor()?.access.role {
            Some(Role::Admin) | Some(Role::Supervisor) => Ok(()),
            _ => Err(Error::Forbidden),
        }
    }
}

const IDLE_LOCK: &str = "idle_lock_minutes";
const IDLE_RANGE: std::ops::RangeInclusive<u32> = 1..=120;

/// What the audit screen and `audit list` ask for.
#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct AuditQuery {
    /// A resident by UUID, record number or ID number.
    pub resident: Option<String>,
    /// A user by username.
    pub user: Option<String>,
    /// One kind of entry: `open`, `update`, `sign-in`, …
    pub action: Option<String>,
    /// From this local day, through `to` (inclusive).
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub limit: Option<usize>,
}
