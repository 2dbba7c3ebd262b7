//! Closing a record (death, moving away with its handover record, loss to
//! follow-up, another reason) and reopening it (§9.2, issue #13): one
//! transaction ends every programme the resident is in with the closure's
//! date and reason, and writes the record's new version; a reopening takes
//! those programmes up again from its own date. Merging a duplicate: the
//! second record of one person is cancelled and points to the record kept,
//! which takes its service records (and a registration only it had).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::closure::{self, merge_problems, Closure, ClosureReason, MergedRecord, RecordFacts, Reopening};
use vhr_domain::forms::{FieldKind, FormDef, FormRegistry, FormValues};
use vhr_domain::problem::Problem;
use vhr_domain::programs::{Entry, Program, VisitOutcome};
use vhr_domain::resident::{IdDocument, RecordStatus, ResidentInput};
use vhr_domain::time::Moment;
use vhr_store::{NewEpisode, StoreError};

use crate::programs::{end_in, Exit};
use crate::residents::ResidentView;
use crate::{Clinic, Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CloseRequest {
    pub resident_id: String,
    /// The version the user saw: a record changed meanwhile is not closed.
    pub expected_version: i64,
    /// The day the record ends: the date of death, of the move, …
    pub on: Option<NaiveDate>,
    #[serde(flatten)]
    pub reason: ClosureReason,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ReopenRequest {
    pub resident_id: String,
    pub expected_version: i64,
    pub on: Option<NaiveDate>,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MergeRequest {
    /// The record that keeps its number.
    pub keep_id: String,
    pub keep_version: i64,
    /// The second record of the same person: cancelled, pointing to the one kept.
    pub duplicate_id: String,
    pub duplicate_version: i64,
    /// The user has seen the differences and merges all the same.
    #[serde(default)]
    pub confirm: bool,
}

/// What a merge would do, shown before anything changes.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MergePreview {
    pub keep: ResidentView,
    pub duplicate: ResidentView,
    /// Service records that move to the record kept.
    pub services: usize,
    /// Registrations on the duplicate that the record kept takes over.
    pub moving_programs: Vec<Program>,
    /// Why not, or what to confirm.
    pub problems: Vec<Problem>,
}

/// A record closed or reopened, and the programmes that went with it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Lifecycle {
    pub resident: ResidentView,
    pub programs: Vec<Program>,
}

/// What a follow-up that recorded a death proposes: closing the record on
/// the date of death, for the cause the form gives.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProposedClosure {
    pub on: NaiveDate,
    pub cause: String,
}

/// The closure a saved follow-up proposes, if it recorded a death (the
/// caller drops it when the record is closed already).
pub(crate) fn proposed_by(form: &FormDef, forms: &FormRegistry, values: &FormValues) -> Option<ProposedClosure> {
    let VisitOutcome::Died { on } = VisitOutcome::of(values, form.service_date_in(values))? else { return None };
    let cause = match (values.get("death_cause"), form.field("death_cause").map(|f| &f.kind)) {
        (Some(Value::String(code)), Some(FieldKind::Code { code_set, .. })) => {
            forms.code_set(code_set).and_then(|s| s.entry(code)).map(|e| e.label.zh.clone()).unwrap_or_else(|| code.clone())
        }
        (Some(Value::String(text)), _) => text.clone(),
        _ => String::new(),
    };
    Some(ProposedClosure { on, cause })
}

/// The record kept, with what only the duplicate knew filled in: its ID
/// document when the record kept has none, a sex and birth date, a phone
/// and addresses left empty. Nothing the record kept says is replaced.
fn filled_in(keep: &ResidentInput, duplicate: &ResidentInput) -> ResidentInput {
    let mut out = keep.clone();
    if matches!(out.id_document, IdDocument::None | IdDocument::Unknown) {
        out.id_document = duplicate.id_document.clone();
    }
    out.sex = out.sex.or(duplicate.sex);
    out.birth_date = out.birth_date.or(duplicate.birth_date);
    for (mine, theirs) in [
        (&mut out.phone, &duplicate.phone),
        (&mut out.current_address, &duplicate.current_address),
        (&mut out.hukou_address, &duplicate.hukou_address),
    ] {
        if mine.trim().is_empty() {
            mine.clone_from(theirs);
        }
    }
    out
}

/// The duplicate's open episodes: those the record kept takes over (a
/// registration it has not got) and those that end with the merge.
struct EpisodeFate {
    moving: Vec<(String, Program)>,
    ending: Vec<String>,
}

impl Clinic {
    fn episode_fate(&self, keep_id: &str, duplicate_id: &str) -> Result<EpisodeFate> {
        let actor = self.actor()?;
        let kept: Vec<Program> = self.programs_of(keep_id)?.into_iter().filter(|s| s.active).map(|s| s.program).collect();
        let mut fate = EpisodeFate { moving: vec![], ending: vec![] };
        for e in self.store.episodes_of(actor, duplicate_id)?.into_iter().filter(|e| e.episode.ended_on.is_none()) {
            let program = e.episode.program;
            if program.entry() == Entry::Registered && !kept.contains(&program) && !fate.moving.iter().any(|(_, p)| *p == program) {
                fate.moving.push((e.episode.id, program));
            } else {
                fate.ending.push(e.episode.id);
            }
        }
        Ok(fate)
    }

    /// What merging `duplicate_key` into `keep_key` would do; nothing changes.
    pub fn merge_preview(&self, keep_key: &str, duplicate_key: &str) -> Result<MergePreview> {
        let keep = self.find_resident(keep_key)?;
        let duplicate = self.find_resident(duplicate_key)?;
        let problems = merge_problems(&keep.resident, &duplicate.resident);
        let services = self.store.services_of(self.actor()?, &duplicate.resident.id)?.len();
        let moving_programs = self.episode_fate(&keep.resident.id, &duplicate.resident.id)?.moving.into_iter().map(|(_, p)| p).collect();
        Ok(MergePreview { keep, duplicate, services, moving_programs, problems })
    }

    /// Merges a second record of one person into the record kept: every
    /// service record moves with its history, a registration only the
    /// duplicate had moves too, the duplicate's other programmes end; the
    /// duplicate is cancelled, keeps its number (never issued again) and
    /// points to the record kept, which its number then finds.
    pub fn merge_records(&mut self, req: MergeRequest) -> Result<Lifecycle> {
        let keep = self.find_resident(&req.keep_id)?.resident;
        let duplicate = self.find_resident(&req.duplicate_id)?.resident;
        Self::gate(merge_problems(&keep, &duplicate), req.confirm)?;
        let fate = self.episode_fate(&keep.id, &duplicate.id)?;
        let actor = self.actor()?.clone();
        let at = self.now();
        let today = self.today();
        let closure = Closure {
            on: today,
            reason: ClosureReason::Duplicate { survivor_id: keep.id.clone(), survivor_record_no: keep.record_no.clone() },
            ended_programs: vec![],
            closed_by: actor.name.clone(),
            closed_at: at.at(),
        };
        let note = closure.reason.summary().zh;
        let data = filled_in(&keep.data, &duplicate.data);
        let merged = MergedRecord { id: duplicate.id.clone(), record_no: duplicate.record_no.clone() };
        let programs: Vec<Program> = fate.moving.iter().map(|(_, p)| *p).collect();
        let kept = self.store.batch(|b| {
            // The duplicate first: cancelled, it no longer holds its ID number for the register.
            b.cancel_duplicate(&actor, &duplicate.id, req.duplicate_version, closure, at)?;
            for id in b.service_ids_of(&duplicate.id)? {
                b.move_service(&actor, &id, &keep.id, at)?;
            }
            for (id, _) in &fate.moving {
                b.move_episode(&actor, id, &keep.id, at)?;
            }
            for id in &fate.ending {
                b.end_episode(&actor, id, today, "99", Some(note.clone()), at)?;
            }
            b.absorb_duplicate(&actor, &keep.id, req.keep_version, merged, data, at)
        })?;
        Ok(Lifecycle { resident: self.view(kept)?, programs })
    }

    /// Closes a record (§9.2). Every programme the resident is in ends on
    /// the closure's date, for its reason; the record leaves work lists and
    /// searches and keeps everything it holds.
    pub fn close_record(&mut self, req: CloseRequest) -> Result<Lifecycle> {
        let view = self.find_resident(&req.resident_id)?;
        let r = &view.resident;
        // Said before any programme is looked at, in the store's words.
        if r.status != RecordStatus::Active {
            return Err(StoreError::RecordClosed { id: r.id.clone(), status: r.status }.into());
        }
        let facts = RecordFacts { birth_date: r.data.birth_date, today: self.today() };
        let (on, mut reason) = closure::prepare(req.on, req.reason, facts).map_err(Error::Invalid)?;
        let actor = self.actor()?.clone();
        if let ClosureReason::MovedAway { handover, .. } = &mut reason {
            if handover.handed_over_by.is_empty() {
                handover.handed_over_by = actor.name.clone();
            }
        }
        let endings = self.endings(&r.id, |_| true)?;
        let at = self.now();
        let closure = Closure {
            on,
            ended_programs: endings.iter().map(|e| e.program).collect(),
            closed_by: actor.name.clone(),
            closed_at: at.at(),
            reason,
        };
        let note = closure.reason.summary().zh;
        let exit_reason = closure.reason.exit_reason();
        let programs = closure.ended_programs.clone();
        let (id, version) = (r.id.clone(), req.expected_version);
        let closed = self.store.batch(|b| {
            for ending in &endings {
                end_in(b, &actor, ending, Exit { ended_on: on, reason: exit_reason, note: Some(note.clone()) }, at)?;
            }
            b.close_resident(&actor, &id, version, closure, at)
        })?;
        Ok(Lifecycle { resident: self.view(closed)?, programs })
    }

    /// Reopens a closed record (moved back, found again) with a reason. The
    /// programmes its closure ended start again on the day it reopens, with
    /// the facts their episode held (a pregnancy's LMP).
    pub fn reopen_record(&mut self, req: ReopenRequest) -> Result<Lifecycle> {
        let view = self.find_resident(&req.resident_id)?;
        let r = &view.resident;
        if r.status == RecordStatus::Active {
            return Err(StoreError::RecordNotClosed { id: r.id.clone() }.into());
        }
        let facts = RecordFacts { birth_date: r.data.birth_date, today: self.today() };
        // A record closed before closures were recorded (a death pulled from
        // the platform) reopens all the same, with nothing to take up again.
        let fallback = Closure {
            on: Moment::new(r.updated_at, self.now().offset()).today().min(facts.today),
            reason: ClosureReason::Other { why: String::new() },
            ended_programs: vec![],
            closed_by: String::new(),
            closed_at: r.updated_at,
        };
        let closure = r.closure.clone().unwrap_or(fallback);
        let (on, why) = closure::prepare_reopening(req.on, &req.why, Some(&closure), facts).map_err(Error::Invalid)?;
        let actor = self.actor()?.clone();
        let at = self.now();
        let reopening = Reopening { on, why, by: actor.name.clone(), at: at.at() };
        let ids: Vec<String> = closure.ended_programs.iter().map(|_| self.env.ids.new_id()).collect();
        let (id, version) = (r.id.clone(), req.expected_version);
        let (reopened, programs) = self.store.batch(|b| reopen_in(b, &actor, (&id, version), &closure, reopening, ids, at))?;
        Ok(Lifecycle { resident: self.view(reopened)?, programs })
    }
}

/// Reopens a record inside a batch: the programmes `closure` ended start
/// again on the reopening's day (one new episode id each from `ids`), with
/// the facts their episode held; an episode ended since for another reason
/// stays ended.
pub(crate) fn reopen_in(
    b: &mut vhr_store::Batch<'_>,
    actor: &vhr_store::Actor,
    (id, version): (&str, i64),
    closure: &Closure,
    reopening: Reopening,
    ids: Vec<String>,
    at: Moment,
) -> std::result::Result<(vhr_domain::resident::Resident, Vec<Program>), StoreError> {
    let exit_reason = closure.reason.exit_reason();
    let on = reopening.on;
    let mut again = Vec::new();
    for (program, episode_id) in closure.ended_programs.iter().zip(ids) {
        let latest = b.latest_episode(actor, id, *program)?;
        if let Some(e) = latest.filter(|e| e.episode.ended_on == Some(closure.on) && e.episode.end_reason.as_deref() == Some(exit_reason)) {
            again.push(NewEpisode {
                id: episode_id,
                resident_id: id.to_string(),
                program: *program,
                started_on: on,
                details: e.episode.details,
            });
        }
    }
    let reopened = b.reopen_resident(actor, id, version, reopening, at)?;
    let programs: Vec<Program> = again.iter().map(|e| e.program).collect();
    for episode in again {
        b.open_episode(actor, episode, at)?;
    }
    Ok((reopened, programs))
}
