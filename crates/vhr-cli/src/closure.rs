//! `village-health close` and `reopen`: a record's closure (§9.2) and its
//! reopening, through the same use cases as the window.

use chrono::NaiveDate;
use vhr_app::{Clinic, CloseRequest, Error, ReopenRequest};
use vhr_domain::closure::{ClosureReason, Handover};

/// Why the record closes; a duplicate is cancelled by merging it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Reason {
    Died,
    MovedAway,
    Lost,
    Other,
}

#[derive(clap::Args)]
pub struct CloseArgs {
    /// The resident's UUID, record number or ID number.
    resident: String,
    #[arg(long, value_enum)]
    reason: Reason,
    /// The day the record ends (the date of death, of the move…), YYYY-MM-DD.
    #[arg(long)]
    on: NaiveDate,
    /// For a death: its cause.
    #[arg(long, default_value = "")]
    cause: String,
    /// For a move: the institution that takes the record over.
    #[arg(long, default_value = "")]
    destination: String,
    #[arg(long, default_value = "")]
    destination_address: String,
    /// For a move: who received the record there, if known.
    #[arg(long, default_value = "")]
    received_by: String,
    /// For a move: what went with the resident (default: nothing named).
    #[arg(long, default_value = "")]
    items: String,
    /// For a loss to follow-up or another reason: why.
    #[arg(long, default_value = "")]
    why: String,
}

#[derive(clap::Args)]
pub struct ReopenArgs {
    /// The resident's UUID, record number or ID number.
    resident: String,
    /// The day the record reopens, YYYY-MM-DD.
    #[arg(long)]
    on: NaiveDate,
    /// Why: moved back, found again…
    #[arg(long)]
    why: String,
}

/// Closes the record; returns the resident as stored and the programmes ended.
pub fn close(clinic: &mut Clinic, a: &CloseArgs) -> Result<vhr_app::Lifecycle, Error> {
    let current = clinic.resident(&a.resident)?.resident;
    let reason = match a.reason {
        Reason::Died => ClosureReason::Died { cause: a.cause.clone() },
        Reason::MovedAway => ClosureReason::MovedAway {
            destination_institution: a.destination.clone(),
            destination_address: a.destination_address.clone(),
            handover: Handover { handed_over_by: String::new(), received_by: a.received_by.clone(), items: a.items.clone() },
        },
        Reason::Lost => ClosureReason::Lost { why: a.why.clone() },
        Reason::Other => ClosureReason::Other { why: a.why.clone() },
    };
    clinic.close_record(CloseRequest { resident_id: current.id, expected_version: current.version, on: Some(a.on), reason })
}

pub fn reopen(clinic: &mut Clinic, a: &ReopenArgs) -> Result<vhr_app::Lifecycle, Error> {
    let current = clinic.resident(&a.resident)?.resident;
    clinic.reopen_record(ReopenRequest { resident_id: current.id, expected_version: current.version, on: Some(a.on), why: a.why.clone() })
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The record that keeps its number (UUID, record number or ID number).
    #[arg(long)]
    keep: String,
    /// The second record of the same person: cancelled, its service records moved.
    #[arg(long)]
    duplicate: String,
    /// Merge even though names, birth dates or sexes differ.
    #[arg(long)]
    confirm: bool,
}

/// Merges the duplicate into the record kept; returns the record kept.
pub fn merge(clinic: &mut Clinic, a: &MergeArgs) -> Result<vhr_app::Lifecycle, Error> {
    let keep = clinic.resident(&a.keep)?.resident;
    let duplicate = clinic.resident(&a.duplicate)?.resident;
    clinic.merge_records(vhr_app::MergeRequest {
        keep_id: keep.id,
        keep_version: keep.version,
        duplicate_id: duplicate.id,
        duplicate_version: duplicate.version,
        confirm: a.confirm,
    })
}
