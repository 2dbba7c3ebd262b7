//! Closing a record and reopening it, and merging a duplicate (issue #13):
//! each a new version of the resident with its status and closure facts,
//! written with its history, audit entry and outbox entry like any change.
//! The programmes a closure ends, and the service records a merge moves, are
//! written by the caller in the same batch.

use vhr_domain::closure::{Closure, ClosureReason, MergedRecord, Reopening};
use vhr_domain::resident::{RecordStatus, Resident, ResidentInput};
use vhr_domain::time::Moment;

use crate::residents::{editable, write_resident};
use crate::{Actor, Result, StoreError};

impl crate::Batch<'_> {
    /// The resident's next version, changed by `change` (which may refuse
    /// by what the current version says), written with its history.
    fn next_version(
        &mut self,
        actor: &Actor,
        id: &str,
        expected_version: i64,
        at: Moment,
        change: impl FnOnce(&mut Resident) -> Result<()>,
    ) -> Result<Resident> {
        let before = editable(&self.tx, actor, id, expected_version)?;
        let mut after = before.clone();
        change(&mut after)?;
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        write_resident(&self.tx, actor, Some(&before), &after, at)?;
        Ok(after)
    }

    /// Closes an active record: its status follows the closure's reason.
    pub fn close_resident(&mut self, actor: &Actor, id: &str, expected_version: i64, closure: Closure, at: Moment) -> Result<Resident> {
        self.next_version(actor, id, expected_version, at, |r| {
            if r.status != RecordStatus::Active {
                return Err(StoreError::RecordClosed { id: r.id.clone(), status: r.status });
            }
            r.status = closure.reason.status();
            // A record that moves away is managed by the institution it
            // moves to: that install pulls it from the platform (§9.3).
            if let ClosureReason::MovedAway { destination_institution, .. } = &closure.reason {
                r.managed_by = managed_as(r, destination_institution.trim());
            }
            r.closure = Some(closure);
            Ok(())
        })
    }

    /// Puts a closed record back in the register; its closure stays in the
    /// history, the reopening is kept on the record.
    pub fn reopen_resident(
        &mut self,
        actor: &Actor,
        id: &str,
        expected_version: i64,
        reopening: Reopening,
        at: Moment,
    ) -> Result<Resident> {
        let here = self.profile.institution_name.clone();
        self.next_version(actor, id, expected_version, at, |r| {
            if r.status == RecordStatus::Active {
                return Err(StoreError::RecordNotClosed { id: r.id.clone() });
            }
            // Back in the register here (moved back, or taken in): managed here.
            if matches!(r.closure.as_ref().map(|c| &c.reason), Some(ClosureReason::MovedAway { .. })) {
                r.managed_by = managed_as(r, &here);
            }
            r.status = RecordStatus::Active;
            r.closure = None;
            r.reopened = Some(reopening);
            Ok(())
        })
    }

    /// Cancels a duplicate record: closed as `Duplicate` (pointing to the
    /// record kept), whatever its status was, never merged twice.
    pub fn cancel_duplicate(&mut self, actor: &Actor, id: &str, expected_version: i64, closure: Closure, at: Moment) -> Result<Resident> {
        self.next_version(actor, id, expected_version, at, |r| {
            if r.status == RecordStatus::Cancelled || !matches!(closure.reason, ClosureReason::Duplicate { .. }) {
                return Err(StoreError::RecordClosed { id: r.id.clone(), status: r.status });
            }
            r.status = RecordStatus::Cancelled;
            r.closure = Some(closure);
            Ok(())
        })
    }

    /// The record kept takes a merged duplicate in: it remembers the
    /// duplicate (whose number then finds it) and takes the data the merge
    /// filled in.
    pub fn absorb_duplicate(
        &mut self,
        actor: &Actor,
        id: &str,
        expected_version: i64,
        merged: MergedRecord,
        data: ResidentInput,
        at: Moment,
    ) -> Result<Resident> {
        self.next_version(actor, id, expected_version, at, |r| {
            r.merged_from.push(merged);
            r.data = data;
            Ok(())
        })
    }
}

/// What `managed_by` says for a record managed by `institution`: nothing
/// when that is where it was created.
fn managed_as(r: &Resident, institution: &str) -> String {
    if institution == r.institution {
        String::new()
    } else {
        institution.to_string()
    }
}
