//! Programme membership: what a resident is in, registering them where an
//! event must be recorded (a pregnancy, a TB notice, a severe mental disorder),
//! and ending a programme with a date and reason.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::forms::FormValues;
use vhr_domain::i18n::Localized;
use vhr_domain::problem::Problem;
use vhr_domain::programs::{due_item, DueItem, Enrolment, Entry, Program};
use vhr_domain::time::Moment;
use vhr_store::{Actor, Batch, EpisodeRecord, NewEpisode};

use crate::{Clinic, Error, Result};

/// A resident's place in one programme, for the resident page.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgramStatus {
    pub program: Program,
    pub label: Localized,
    /// Registered programmes need an event; derived ones follow the data.
    pub registered: bool,
    /// Whether the resident is in the programme now.
    pub active: bool,
    pub enrolled_on: Option<NaiveDate>,
    /// The 7th birthday for child health.
    pub until: Option<NaiveDate>,
    /// What is owed next, if it shows on today's list.
    pub due: Option<DueItem>,
    /// Every recorded episode of this programme, oldest first.
    pub episodes: Vec<EpisodeRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EnrolRequest {
    pub resident_id: String,
    pub program: Program,
    pub started_on: NaiveDate,
    /// Programme facts: `lmp` for a pregnancy, `notice_date` for TB.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub details: FormValues,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EndProgramRequest {
    pub resident_id: String,
    pub program: Program,
    pub ended_on: NaiveDate,
    /// A `program_exit_reason` code.
    pub reason: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// What it takes to end one active programme: its open episode, or for a
/// derived programme without one, a new episode from the enrolment that is
/// recorded already ended.
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    resident_id: String,
    pub(crate) program: Program,
    open: Option<String>,
    started_on: Option<NaiveDate>,
    /// The id of the episode created when there is no open one.
    new_id: String,
}

/// How a programme ends: the day, a `program_exit_reason` code and a note.
pub(crate) struct Exit<'a> {
    pub ended_on: NaiveDate,
    pub reason: &'a str,
    pub note: Option<String>,
}

/// Ends one programme inside a batch. An exit before the enrolment (a death
/// recorded late) makes the created episode start and end that day.
pub(crate) fn end_in(b: &mut Batch<'_>, actor: &Actor, ending: &Ending, exit: Exit<'_>, at: Moment) -> vhr_store::Result<EpisodeRecord> {
    let id = match &ending.open {
        Some(id) => id.clone(),
        None => {
            let new = NewEpisode {
                id: ending.new_id.clone(),
                resident_id: ending.resident_id.clone(),
                program: ending.program,
                started_on: ending.started_on.unwrap_or(exit.ended_on).min(exit.ended_on),
                details: FormValues::new(),
            };
            b.open_episode(actor, new, at)?.episode.id
        }
    };
    b.end_episode(actor, &id, exit.ended_on, exit.reason, exit.note, at)
}

fn invalid(path: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::Invalid(vec![Problem::error(path, code, zh, en)])
}

impl Clinic {
    /// Every programme the resident is in or has been in.
    pub fn programs_of(&self, resident_key: &str) -> Result<Vec<ProgramStatus>> {
        let view = self.find_resident(resident_key)?;
        let actor = self.actor()?;
        let today = self.today();
        let cfg = &self.program_config;
        let standings = self.store.standings_of(actor, &view.resident.id, today)?;
        let episodes = self.store.episodes_of(actor, &view.resident.id)?;
        let mut out = Vec::new();
        for program in Program::ALL {
            let standing = standings.iter().find(|r| r.standing.program == program).map(|r| &r.standing);
            let eps: Vec<EpisodeRecord> = episodes.iter().filter(|e| e.episode.program == program).cloned().collect();
            let active = standing.is_some_and(|s| {
                let Enrolment { eligible_from, until, .. } = s.enrolment;
                eligible_from <= today && until.is_none_or(|u| today < u)
            });
            if !active && eps.is_empty() {
                continue;
            }
            out.push(ProgramStatus {
                program,
                label: program.label(),
                registered: program.entry() == Entry::Registered,
                active,
                enrolled_on: standing.map(|s| s.enrolment.enrolled_on),
                until: standing.and_then(|s| s.enrolment.until),
                due: standing.filter(|_| active).and_then(|s| due_item(s, today, cfg)),
                episodes: eps,
            });
        }
        Ok(out)
    }

    /// Puts a resident in a programme from `started_on`: a registration, or a
    /// derived programme taken up again after an exit.
    pub fn enrol(&mut self, req: EnrolRequest) -> Result<EpisodeRecord> {
        let view = self.find_resident(&req.resident_id)?;
        let today = self.today();
        if req.started_on > today {
            return Err(invalid("started_on", "date.future", "纳入日期不能晚于今天", "The start date cannot be in the future"));
        }
        if self.programs_of(&view.resident.id)?.iter().any(|s| s.program == req.program && s.active) {
            return Err(invalid(
                "program",
                "program.already_in",
                format!("该居民已在{}中", req.program.label_zh()),
                format!("The resident is in {} already", req.program.label_en()),
            ));
        }
        if req.program == Program::Maternal && view.resident.data.sex.map(|s| s.code()) != Some("2") {
            return Err(invalid("program", "program.not_applicable", "孕产妇健康管理仅适用于女性", "Maternal care is for women only"));
        }
        let actor = self.actor()?.clone();
        let new = NewEpisode {
            id: self.env.ids.new_id(),
            resident_id: view.resident.id.clone(),
            program: req.program,
            started_on: req.started_on,
            details: req.details,
        };
        let at = self.now();
        Ok(self.store.batch(|b| b.open_episode(&actor, new, at))?)
    }

    /// Ends a resident's programme on `ended_on` for a reason of the
    /// `program_exit_reason` code set. A derived programme with no episode
    /// yet gets one, from its enrolment to the exit.
    pub fn end_program(&mut self, req: EndProgramRequest) -> Result<EpisodeRecord> {
        let view = self.find_resident(&req.resident_id)?;
        let reasons = self.forms.code_set("program_exit_reason");
        if reasons.and_then(|set| set.entry(&req.reason)).is_none() {
            return Err(invalid("reason", "program.reason", "请选择退出管理的原因", "Choose why the programme ends"));
        }
        if req.ended_on > self.today() {
            return Err(invalid("ended_on", "date.future", "结束日期不能晚于今天", "The end date cannot be in the future"));
        }
        let ending = self
            .endings(&view.resident.id, |p| p == req.program)?
            .pop()
            .ok_or_else(|| invalid("program", "program.not_in", "该居民不在此项管理中", "The resident is not in this programme"))?;
        if ending.started_on.is_some_and(|d| req.ended_on < d) {
            return Err(invalid("ended_on", "program.end_before_start", "结束日期早于纳入管理日期", "The end comes before the start"));
        }
        let actor = self.actor()?.clone();
        let at = self.now();
        let exit = Exit { ended_on: req.ended_on, reason: &req.reason, note: req.note.clone() };
        Ok(self.store.batch(|b| end_in(b, &actor, &ending, exit, at))?)
    }

    /// The resident's active programmes that `which` selects, each as what it
    /// takes to end it.
    pub(crate) fn endings(&self, resident_id: &str, which: impl Fn(Program) -> bool) -> Result<Vec<Ending>> {
        Ok(self
            .programs_of(resident_id)?
            .into_iter()
            .filter(|s| s.active && which(s.program))
            .map(|s| Ending {
                resident_id: resident_id.to_string(),
                program: s.program,
                open: s.episodes.last().filter(|e| e.episode.ended_on.is_none()).map(|e| e.episode.id.clone()),
                started_on: s.enrolled_on,
                new_id: self.env.ids.new_id(),
            })
            .collect())
    }

    /// Every version of a programme episode, oldest first.
    pub fn episode_history(&self, id: &str) -> Result<Vec<vhr_store::HistoryEntry>> {
        Ok(self.store.history(self.actor()?, Entity::ProgramEpisode, id)?)
    }

    /// The forms a doctor may start for this resident: those that apply to
    /// their sex and age, and of the child and registered programmes only
    /// those of a programme they are in, or the form that registers them.
    pub fn forms_for(&self, resident_key: &str) -> Result<Vec<String>> {
        let view = self.find_resident(resident_key)?;
        let sex = view.resident.data.sex.map(|s| s.code()).unwrap_or("0");
        let active: Vec<Program> = self.programs_of(&view.resident.id)?.into_iter().filter(|s| s.active).map(|s| s.program).collect();
        Ok(self
            .forms
            .forms
            .values()
            .filter(|f| f.id != "personal_basic_info")
            .filter(|f| f.applies.as_ref().is_none_or(|a| a.refuses(sex, view.age).is_none()))
            .filter(|f| match Program::of_form(&f.id) {
                Some(p @ (Program::Child | Program::Maternal | Program::SevereMental | Program::Tuberculosis)) => {
                    active.contains(&p) || Program::enrolled_by(&f.id) == Some(p)
                }
                _ => true,
            })
            .map(|f| f.id.clone())
            .collect())
    }
}
