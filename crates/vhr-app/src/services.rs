//! Service records: filling in follow-ups and the other national forms,
//! the proposals that guide them, what a save does to the programmes, the
//! timeline and each record's history.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::forms::{validate, FormDef, FormValues, ValidationContext};
use vhr_domain::i18n::Localized;
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::programs::{self, episode_effect, EpisodeEffect, Program, Proposal, VisitOutcome};
use vhr_domain::time::Moment;
use vhr_store::{Actor, Batch, NewEpisode, NewService, ServiceEdit, ServiceRecord};

use crate::programs::{end_in, Ending, Exit};
use crate::{Clinic, Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct AddServiceRequest {
    pub resident_id: String,
    pub form_id: String,
    #[ts(type = "Record<string, unknown>")]
    pub values: FormValues,
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UpdateServiceRequest {
    pub id: String,
    /// The version the edit started from.
    pub expected_version: i64,
    #[ts(type = "Record<string, unknown>")]
    pub values: FormValues,
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedService {
    pub record: ServiceRecord,
    pub warnings: Vec<Problem>,
    pub proposal: Option<Proposal>,
    /// The programmes this save ended (a follow-up that found the patient lost or dead).
    pub ended_programs: Vec<Localized>,
    /// A follow-up that recorded a death proposes closing the record (§9.2).
    pub proposed_closure: Option<crate::closure::ProposedClosure>,
}

/// A service record on a resident's timeline.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TimelineEntry {
    pub record: ServiceRecord,
    pub form_title: vhr_domain::i18n::Localized,
}

/// A service record as its definition says to store it: the service date
/// from the form's service-date field (or `today` for a form without one),
/// the next visit from its next-date field. Every way a record comes in — a
/// save, the demo, a pull — builds it here.
pub(crate) fn new_service(form: &FormDef, id: String, resident_id: String, data: FormValues, today: NaiveDate) -> NewService {
    NewService {
        id,
        resident_id,
        form_id: form.id.clone(),
        form_version: form.version,
        service_date: form.service_date_in(&data).unwrap_or(today),
        next_date: form.next_date_in(&data),
        data,
    }
}

/// Records the programme event a saved form stands for (see
/// [`episode_effect`]) in the same transaction as the form. When a form is
/// edited only new programme facts are noted.
pub(crate) fn apply_episode_effect(
    b: &mut Batch<'_>,
    actor: &Actor,
    record: &ServiceRecord,
    new_id: String,
    editing: bool,
    at: Moment,
) -> vhr_store::Result<()> {
    let Some(program) = Program::of_form(&record.form_id) else { return Ok(()) };
    let open = b.latest_episode(actor, &record.resident_id, program)?.filter(|e| e.episode.ended_on.is_none());
    match episode_effect(&record.form_id, &record.data, open.as_ref().map(|e| &e.episode)) {
        Some(EpisodeEffect::Open { program, started_on, details }) if !editing => {
            b.open_episode(actor, NewEpisode { id: new_id, resident_id: record.resident_id.clone(), program, started_on, details }, at)?;
        }
        Some(EpisodeEffect::Note { details }) => {
            if let Some(e) = &open {
                b.note_episode(actor, &e.episode.id, details, at)?;
            }
        }
        Some(EpisodeEffect::Close { ended_on, reason }) if !editing => {
            if let Some(e) = &open {
                b.end_episode(actor, &e.episode.id, ended_on, &reason, None, at)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A form's values as checked for saving: normalised, with their problems,
/// the follow-up's proposal and what saving would end.
struct Checked {
    clean: FormValues,
    problems: Vec<Problem>,
    proposal: Option<Proposal>,
    resident_id: String,
    leaving: Option<Leaving>,
}

/// The programmes a follow-up that found the patient lost or dead ends, and how.
struct Leaving {
    outcome: VisitOutcome,
    endings: Vec<Ending>,
}

impl Leaving {
    fn labels(&self) -> Vec<Localized> {
        self.endings.iter().map(|e| e.program.label()).collect()
    }

    /// Ends them, in the save's transaction.
    fn apply(&self, b: &mut Batch<'_>, actor: &Actor, at: Moment) -> vhr_store::Result<()> {
        let o = self.outcome;
        for ending in &self.endings {
            end_in(b, actor, ending, Exit { ended_on: o.ended_on(), reason: o.exit_reason(), note: None }, at)?;
        }
        Ok(())
    }
}

impl Clinic {
    /// What saving these values ends (§13 V8): for a patient lost to
    /// follow-up the form's programme, for a death every programme the
    /// resident is still in. `None` when the patient was seen.
    fn leaving(&self, resident_id: &str, form_id: &str, values: &FormValues, service_date: Option<NaiveDate>) -> Result<Option<Leaving>> {
        let Some(outcome) = VisitOutcome::of(values, service_date) else { return Ok(None) };
        let endings = self.endings(resident_id, |p| outcome.ends(p, Program::of_form(form_id)))?;
        Ok(Some(Leaving { outcome, endings }))
    }

    /// Validates a form's values for a resident and, for follow-ups, proposes
    /// the classification and next visit and says which programmes saving
    /// would end. Nothing is stored.
    ///
    /// `editing` names the record being edited, so its own earlier version
    /// is not taken for "the previous visit".
    fn check_service(&self, resident_id: &str, form_id: &str, values: &FormValues, editing: Option<&str>) -> Result<Checked> {
        let view = self.find_resident(resident_id)?;
        let form = self.forms.form(form_id).ok_or_else(|| Error::NotFound { entity: "form".into(), id: form_id.into() })?;
        let ctx = ValidationContext { today: self.today(), age: Some(view.age), tags: &view.tags };
        let (clean, mut problems) = validate(form, &self.forms, values, ctx, "values");
        let sex = view.resident.data.sex.map(|s| s.code()).unwrap_or("0");
        if let Some(why) = form.applies.as_ref().and_then(|a| a.refuses(sex, view.age)) {
            problems.push(Problem::error("values", "form.not_applicable", why.zh, why.en));
        }
        if form.service_date.is_some() && form.service_date_in(&clean).is_none() && !has_errors(&problems) {
            problems.push(Problem::error("values", "service.date", "请填写服务日期", "Enter the date of the service"));
        }
        let not_seen = VisitOutcome::not_seen(&clean);
        let proposal = match Program::from_form(form_id) {
            Some(program) if !not_seen => {
                let visit = form.service_date_in(&clean).unwrap_or_else(|| self.today());
                let previous = self.store.service_before(self.actor()?, &view.resident.id, form_id, visit, editing.unwrap_or(""))?;
                let previous_class =
                    previous.as_ref().and_then(|p| p.data.get("classification")).and_then(Value::as_str).map(str::to_string);
                programs::propose(program, &clean, view.age, previous_class.as_deref(), &self.program_config)
            }
            _ => None,
        };
        let leaving =
            if has_errors(&problems) { None } else { self.leaving(&view.resident.id, form_id, &clean, form.service_date_in(&clean))? };
        if let Some(l) = &leaving {
            let labels = l.labels();
            if !labels.is_empty() {
                let list = |pick: fn(&Localized) -> &str, sep: &str| labels.iter().map(pick).collect::<Vec<_>>().join(sep);
                problems.push(Problem::warning(
                    format!("values.{}", VisitOutcome::FIELD),
                    "followup.ends_programmes",
                    format!("保存后，{}将随之结束", list(|l| &l.zh, "、")),
                    format!("Saving this ends {}", list(|l| &l.en, ", ")),
                ));
            }
        }
        if let Some(p) = &proposal {
            if p.urgent && clean.get("next_step").and_then(Value::as_str) != Some("4") {
                problems.push(Problem::warning(
                    "values.next_step",
                    "followup.urgent",
                    "本次随访达到紧急转诊标准，建议选择“4 紧急转诊”并在2周内随访转诊情况",
                    "This visit meets the urgent-referral criteria: choose “4 urgent referral” and follow the referral up within 2 weeks",
                ));
            }
        }
        Ok(Checked { clean, problems, proposal, resident_id: view.resident.id, leaving })
    }

    /// What the readings entered so far propose (for the form while it is filled in).
    pub fn propose(&self, resident_id: &str, form_id: &str, values: &FormValues) -> Result<Option<Proposal>> {
        Ok(self.check_service(resident_id, form_id, values, None)?.proposal)
    }

    /// What a saved record proposes for the record as a whole: closing it,
    /// when it recorded the death of a resident whose record is open.
    fn proposed_closure(&self, record: &ServiceRecord) -> Result<Option<crate::closure::ProposedClosure>> {
        let Some(form) = self.forms.form(&record.form_id) else { return Ok(None) };
        // The record is read only when a death was recorded, not on every save.
        let Some(proposed) = crate::closure::proposed_by(form, &self.forms, &record.data) else { return Ok(None) };
        let open = self.find_resident(&record.resident_id)?.resident.status == vhr_domain::resident::RecordStatus::Active;
        Ok(open.then_some(proposed))
    }

    /// Stores a filled-in form for a resident, validated exactly as the UI validates it.
    pub fn add_service(&mut self, req: AddServiceRequest) -> Result<SavedService> {
        let resident = self.find_resident(&req.resident_id)?.resident;
        if resident.status != vhr_domain::resident::RecordStatus::Active {
            let label = resident.status.label();
            let on = resident.closure.as_ref().map(|c| format!("，{}", c.on)).unwrap_or_default();
            return Err(Error::Invalid(vec![Problem::error(
                "resident_id",
                "closure.closed",
                format!("该档案已结案（{}{on}），不能新增服务记录；如需补录，请先恢复档案", label.zh),
                format!("This record is closed ({}): no new service records; reopen it first to add one", label.en),
            )]));
        }
        let Checked { clean, problems, proposal, resident_id, leaving } =
            self.check_service(&req.resident_id, &req.form_id, &req.values, None)?;
        let warnings = Self::gate(problems, req.confirm)?;
        let form = self.forms.form(&req.form_id).expect("checked above");
        let new = new_service(form, self.env.ids.new_id(), resident_id, clean, self.today());
        // A patient found lost or dead leaves the programme (a death: every programme) with the same save (§13 V8).
        let (record, ended_programs) = self.commit_service(leaving, false, |b, actor, at| b.insert_service(actor, new, at))?;
        let proposed_closure = self.proposed_closure(&record)?;
        Ok(SavedService { record, warnings, proposal, ended_programs, proposed_closure })
    }

    /// Saves an edit of a service record as a new version; a stale edit is refused.
    pub fn update_service(&mut self, req: UpdateServiceRequest) -> Result<SavedService> {
        let current = self.find_service(&req.id)?;
        let Checked { clean, problems, proposal, leaving, .. } =
            self.check_service(&current.resident_id, &current.form_id, &req.values, Some(&current.id))?;
        let warnings = Self::gate(problems, req.confirm)?;
        let form =
            self.forms.form(&current.form_id).ok_or_else(|| Error::NotFound { entity: "form".into(), id: current.form_id.clone() })?;
        let edit = ServiceEdit {
            service_date: form.service_date_in(&clean).unwrap_or(current.service_date),
            next_date: form.next_date_in(&clean),
            data: clean,
        };
        // A correction to "lost" or "died" ends what is still open, as the first save would have.
        let (record, ended_programs) =
            self.commit_service(leaving, true, |b, actor, at| b.update_service(actor, &current.id, req.expected_version, edit, at))?;
        let proposed_closure = self.proposed_closure(&record)?;
        Ok(SavedService { record, warnings, proposal, ended_programs, proposed_closure })
    }

    /// Writes a service record, new or edited, in one transaction with what it
    /// does to the programmes: its episode event (an edit only notes new facts,
    /// a corrected LMP or delivery date; opening and ending stay with the first
    /// save) and, for a patient not seen, the programmes it ends. Returns the
    /// record and the labels of the programmes ended.
    fn commit_service(
        &mut self,
        leaving: Option<Leaving>,
        editing: bool,
        write: impl FnOnce(&mut Batch<'_>, &Actor, Moment) -> vhr_store::Result<ServiceRecord>,
    ) -> Result<(ServiceRecord, Vec<Localized>)> {
        let actor = self.actor()?.clone();
        let at = self.now();
        let episode_id = self.env.ids.new_id();
        let record = self.store.batch(|b| {
            let record = write(b, &actor, at)?;
            apply_episode_effect(b, &actor, &record, episode_id, editing, at)?;
            if let Some(l) = &leaving {
                l.apply(b, &actor, at)?;
            }
            Ok(record)
        })?;
        Ok((record, leaving.map(|l| l.labels()).unwrap_or_default()))
    }

    /// Values to start a new form with: today, the signed-in doctor, and what
    /// carries over from the resident's last record of the same form (height,
    /// targets, medication).
    pub fn prefill(&self, resident_id: &str, form_id: &str) -> Result<FormValues> {
        let view = self.find_resident(resident_id)?;
        let form = self.forms.form(form_id).ok_or_else(|| Error::NotFound { entity: "form".into(), id: form_id.into() })?;
        let mut values = FormValues::new();
        if let Some(last) = self.store.last_service(self.actor()?, &view.resident.id, form_id)? {
            for keep in [
                "height",
                "weight_target",
                "bmi_target",
                "smoking_target",
                "drinking_target",
                "exercise_times_target",
                "exercise_minutes_target",
                "salt_target",
                "staple_target",
                "drugs",
                "insulin_type",
                "insulin_dose",
            ] {
                if let Some(v) = last.data.get(keep) {
                    values.insert(keep.into(), v.clone());
                }
            }
        }
        // The examination's self-care item is the category of the latest self-care assessment (§6.2, §7.3.1).
        if form.field("self_care").is_some() {
            if let Some(sc) = self.store.last_service(self.actor()?, &view.resident.id, "elderly_self_care")? {
                if let Some(category) = sc.data.get("category") {
                    values.insert("self_care".into(), category.clone());
                }
            }
        }
        if let Some(f) = &form.service_date {
            values.insert(f.clone(), Value::String(self.today().to_string()));
        }
        // What the programme knows (the LMP, the delivery and discharge dates,
        // the TB notice) and which visit of a sequence is due.
        if let Some(program) = Program::of_form(form_id) {
            for status in self.programs_of(&view.resident.id)?.into_iter().filter(|s| s.program == program && s.active) {
                if let Some(ep) = status.episodes.last().filter(|e| e.episode.ended_on.is_none()) {
                    for (k, v) in &ep.episode.details {
                        if form.field(k).is_some() {
                            values.insert(k.clone(), v.clone());
                        }
                    }
                }
                if let (Some(due), Some(field)) = (status.due.filter(|d| d.form_id == form_id), programs::visit_field(form_id)) {
                    if let Some(code) = due.visit {
                        values.insert(field.into(), Value::String(code));
                    }
                }
            }
        }
        if form.field("doctor").is_some() {
            values.insert("doctor".into(), Value::String(self.actor()?.name.clone()));
        }
        if form.field("method").is_some() {
            values.insert("method".into(), Value::String("1".into()));
        }
        Ok(values)
    }

    /// Every service record of a resident, newest first.
    pub fn timeline(&self, resident_key: &str) -> Result<Vec<TimelineEntry>> {
        let view = self.find_resident(resident_key)?;
        let records = self.store.services_of(self.actor()?, &view.resident.id)?;
        Ok(records
            .into_iter()
            .map(|record| {
                let form_title = self
                    .forms
                    .form(&record.form_id)
                    .map(|f| f.title.clone())
                    .unwrap_or_else(|| vhr_domain::i18n::Localized::new(record.form_id.clone(), record.form_id.clone()));
                TimelineEntry { record, form_title }
            })
            .collect())
    }

    /// One service record, as a person opens it to read: an inspection, in
    /// the audit trail.
    pub fn service(&self, id: &str) -> Result<ServiceRecord> {
        let record = self.find_service(id)?;
        self.store.record_view(self.actor()?, "view", id, self.now())?;
        Ok(record)
    }

    /// A service record as a use case needs it for its own work (an edit, a
    /// print): no entry of its own.
    pub(crate) fn find_service(&self, id: &str) -> Result<ServiceRecord> {
        self.store.service(self.actor()?, id)?.ok_or_else(|| Error::NotFound { entity: Entity::ServiceRecord.to_string(), id: id.into() })
    }

    /// Every version of one service record (an inspection, in the trail).
    pub fn service_history(&self, id: &str) -> Result<Vec<vhr_store::HistoryEntry>> {
        let history = self.store.history(self.actor()?, Entity::ServiceRecord, id)?;
        if !history.is_empty() {
            self.store.record_view(self.actor()?, "history", id, self.now())?;
        }
        Ok(history)
    }
}
