//! The audit trail as people use it: who opened or changed a resident's
//! record ("谁查看过"), one user's trail, and the check of the whole chain.
//! The trail itself is written by the store (`vhr_store::audit`).

use vhr_domain::access::Role;
use vhr_store::{AuditCheck, AuditEntry, AuditFilter};

use crate::{Clinic, Error, Result};

impl Clinic {
    /// Who opened, printed or changed this resident's record, newest first.
    /// Anyone who reaches the resident may ask.
    pub fn record_access_log(&self, resident_key: &str) -> Result<Vec<AuditEntry>> {
        let resident = self
            .store
            .resident(self.actor()?, resident_key)?
            .ok_or_else(|| Error::NotFound { entity: "resident".into(), id: resident_key.to_string() })?;
        let filter = AuditFilter { resident_id: Some(resident.id), user_id: None, limit: Some(500) };
        Ok(self.store.audit_entries(self.actor()?, &filter)?)
    }

    /// The trail of the whole install, or of one resident or one user: for
    /// administrators and township supervisors.
    pub fn audit_list(&self, resident_key: Option<&str>, username: Option<&str>, limit: Option<usize>) -> Result<Vec<AuditEntry>> {
        self.require_oversight()?;
        let resident_id = match resident_key {
            Some(key) => Some(
                self.store
                    .resident(self.actor()?, key)?
                    .ok_or_else(|| Error::NotFound { entity: "resident".into(), id: key.to_string() })?
                    .id,
            ),
            None => None,
        };
        let user_id = match username {
            Some(name) => Some(
                self.store.user_by_name(name.trim())?.ok_or_else(|| Error::NotFound { entity: "user".into(), id: name.to_string() })?.id,
            ),
            None => None,
        };
        Ok(self.store.audit_entries(self.actor()?, &AuditFilter { resident_id, user_id, limit })?)
    }

    /// Walks the whole chain (administrators and township supervisors).
    pub fn audit_verify(&self) -> Result<AuditCheck> {
        self.require_oversight()?;
        let check = self.store.audit_verify()?;
        match check.broken_at {
            None => tracing::info!(entries = check.entries, "audit trail verified"),
            Some(at) => tracing::error!(at, problem = check.problem.as_deref().unwrap_or(""), "audit trail broken"),
        }
        Ok(check)
    }

    fn require_oversight(&self) -> Result<()> {
        match self.actor()?.access.role {
            Some(Role::Admin) | Some(Role::Supervisor) => Ok(()),
            _ => Err(Error::Forbidden),
        }
    }
}
