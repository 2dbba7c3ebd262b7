//! Key-population programmes: who is in them, what a follow-up's readings
//! mean (classification proposals, §7.4–7.5 H1–H4, D1–D3), and when the next
//! service is due (§7, §11).
//!
//! The thresholds and intervals are in [`ProgramConfig`], with the spec's
//! values as defaults, so a province can change them without a program change.

mod followup;
mod plan;
mod schedule;
#[cfg(test)]
mod tests;
mod view;

pub use followup::{propose, Proposal};
pub use plan::{plan, visit_field, DoneService, PlannedVisit};
pub use schedule::{anchor, due_item, due_timing, standing, DueItem, DueState, DueTiming, LastService, Standing};
pub use view::{ViewCounts, WorkView};

use chrono::{Months, NaiveDate};

use crate::forms::FormValues;
use crate::i18n::Localized;
use crate::population::{Diagnoses, CHILD_UNTIL, CHRONIC_FROM, ELDERLY_FROM};
use crate::problem::Problem;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::population::Tag;

/// A programme with scheduled services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    Hypertension,
    Diabetes,
    /// The annual health check of residents aged 65 and over (§7.3).
    Elderly,
    /// Children 0–6: the newborn visit and the checks by age (§7.1).
    Child,
    /// Pregnancy and the postpartum period (§7.2).
    Maternal,
    /// Severe mental disorders (§7.6).
    SevereMental,
    /// Pulmonary tuberculosis under treatment (§7.7).
    Tuberculosis,
}

/// How a resident comes to be in a programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// From the data alone: age, or a confirmed diagnosis on the basic information form.
    Derived,
    /// Only by an event someone records: a registered pregnancy, a management
    /// notice, a registration (an episode).
    Registered,
}

impl Program {
    pub const ALL: [Program; 7] = [
        Program::Hypertension,
        Program::Diabetes,
        Program::Elderly,
        Program::Child,
        Program::Maternal,
        Program::SevereMental,
        Program::Tuberculosis,
    ];

    /// The code stored in the database and sent over the wire.
    pub fn code(self) -> &'static str {
        match self {
            Program::Hypertension => "hypertension",
            Program::Diabetes => "diabetes",
            Program::Elderly => "elderly",
            Program::Child => "child",
            Program::Maternal => "maternal",
            Program::SevereMental => "severe_mental",
            Program::Tuberculosis => "tuberculosis",
        }
    }

    pub fn from_code(code: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn entry(self) -> Entry {
        match self {
            Program::Hypertension | Program::Diabetes | Program::Elderly | Program::Child => Entry::Derived,
            Program::Maternal | Program::SevereMental | Program::Tuberculosis => Entry::Registered,
        }
    }

    /// Every form that records a service of this programme.
    pub fn forms(self) -> &'static [&'static str] {
        match self {
            Program::Hypertension => &["hypertension_followup"],
            Program::Diabetes => &["diabetes_followup"],
            Program::Elderly => &["health_exam"],
            Program::Child => &["newborn_visit", "child_check_infant", "child_check_toddler", "child_check_preschool"],
            Program::Maternal => &["prenatal_first", "prenatal_followup", "postpartum_visit", "postpartum_42day"],
            Program::SevereMental => &["mental_supplement", "mental_followup"],
            Program::Tuberculosis => &["tb_first_visit", "tb_followup", "tb_closing"],
        }
    }

    /// The form of the programme's routine follow-up (the one the schedule books).
    pub fn followup_form(self) -> &'static str {
        match self {
            Program::Hypertension => "hypertension_followup",
            Program::Diabetes => "diabetes_followup",
            Program::Elderly => "health_exam",
            Program::Child => "child_check_infant",
            Program::Maternal => "prenatal_followup",
            Program::SevereMental => "mental_followup",
            Program::Tuberculosis => "tb_followup",
        }
    }

    /// The forms whose latest record books the next follow-up (a follow-up
    /// programme's "last service").
    pub fn booking_forms(self) -> &'static [&'static str] {
        match self {
            Program::Tuberculosis => &["tb_first_visit", "tb_followup"],
            Program::SevereMental => &["mental_followup"],
            p => std::slice::from_ref(match p {
                Program::Hypertension => &"hypertension_followup",
                Program::Diabetes => &"diabetes_followup",
                _ => &"health_exam",
            }),
        }
    }

    /// Saving this form puts the resident in the programme if they are not
    /// in it yet: the first prenatal examination registers a pregnancy, the
    /// supplementary information form registers a severe mental disorder, the
    /// first home visit records that a TB management notice arrived.
    pub fn enrolled_by(form_id: &str) -> Option<Program> {
        match form_id {
            "prenatal_first" => Some(Program::Maternal),
            "mental_supplement" => Some(Program::SevereMental),
            "tb_first_visit" => Some(Program::Tuberculosis),
            _ => None,
        }
    }

    /// Services due once per calendar year rather than booked visit by visit.
    pub fn is_annual(self) -> bool {
        self == Program::Elderly
    }

    /// Programmes whose services follow a fixed sequence of visits by age or
    /// gestational week (a plan), rather than each visit booking the next.
    pub fn is_sequence(self) -> bool {
        matches!(self, Program::Child | Program::Maternal)
    }

    /// The programme whose follow-up a form records, for proposals.
    pub fn from_form(form_id: &str) -> Option<Program> {
        [Program::Hypertension, Program::Diabetes, Program::SevereMental, Program::Tuberculosis]
            .into_iter()
            .find(|p| p.booking_forms().contains(&form_id))
    }

    /// The programme a form belongs to, if any.
    pub fn of_form(form_id: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.forms().contains(&form_id))
    }

    /// The key-population tag that puts a resident in this programme.
    pub fn tag(self) -> Tag {
        match self {
            Program::Hypertension => Tag::Hypertension,
            Program::Diabetes => Tag::Diabetes,
            Program::Elderly => Tag::Elderly,
            Program::Child => Tag::Child,
            Program::Maternal => Tag::Maternal,
            Program::SevereMental => Tag::SevereMental,
            Program::Tuberculosis => Tag::Tuberculosis,
        }
    }

    pub fn label(self) -> Localized {
        Localized::new(self.label_zh(), self.label_en())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Program::Hypertension => "高血压随访",
            Program::Diabetes => "糖尿病随访",
            Program::Elderly => "老年人年度健康体检",
            Program::Child => "儿童健康检查",
            Program::Maternal => "孕产妇健康管理",
            Program::SevereMental => "严重精神障碍随访",
            Program::Tuberculosis => "肺结核患者随访",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Program::Hypertension => "Hypertension follow-up",
            Program::Diabetes => "Diabetes follow-up",
            Program::Elderly => "Annual check (65+)",
            Program::Child => "Child health check",
            Program::Maternal => "Maternal care",
            Program::SevereMental => "Severe mental disorder follow-up",
            Program::Tuberculosis => "Tuberculosis follow-up",
        }
    }
}

/// One stay of a resident in a programme, as recorded: a registration (with
/// what the schedule needs, such as the last menstrual period or the date of
/// the management notice) and, once it ends, the date and reason (§9, the
/// `program_exit_reason` code set). Derived programmes have an episode only
/// when someone recorded an exit or a re-entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Episode {
    pub id: String,
    pub program: Program,
    pub started_on: NaiveDate,
    /// Programme facts: `lmp`, `delivery_date`, `discharge_date` (maternal),
    /// `discharge_date` (newborn), `notice_date` (tuberculosis).
    #[ts(type = "Record<string, unknown>")]
    pub details: FormValues,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub end_note: Option<String>,
}

impl Episode {
    pub fn detail_date(&self, key: &str) -> Option<NaiveDate> {
        crate::forms::date_value(&self.details, key)
    }
}

/// A resident's place in a programme: from `eligible_from` (the birthday
/// that makes them old enough), counting as enrolled on `enrolled_on`, until
/// `until` (a child's 7th birthday) if the programme ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enrolment {
    pub eligible_from: NaiveDate,
    pub enrolled_on: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// What decides a resident's membership of a programme.
#[derive(Debug, Clone, Copy)]
pub struct MemberFacts<'a> {
    pub birth: NaiveDate,
    pub basic_info: &'a FormValues,
    /// The day the record was created: nothing is owed from before it.
    pub created_on: NaiveDate,
    /// The latest recorded episode of this programme, if any.
    pub episode: Option<&'a Episode>,
}

/// Whether, and from when, a resident is in a programme (§1, R1.2).
///
/// A recorded episode decides: open, the resident is in from its start;
/// ended, they are out (death, moved away, cure, delivery…). Without one,
/// derived programmes follow the data: a confirmed hypertension or diabetes
/// diagnosis from the 35th birthday; the annual check from the 65th; child
/// health from birth to the 7th birthday. Registered programmes need an episode.
pub fn enrolment(program: Program, facts: MemberFacts<'_>) -> Option<Enrolment> {
    let birthday = |years: u32| facts.birth.checked_add_months(Months::new(12 * years));
    let until = if program == Program::Child { birthday(CHILD_UNTIL) } else { None };
    if let Some(ep) = facts.episode {
        if ep.ended_on.is_some() {
            return None;
        }
        let eligible_from = match program {
            Program::Elderly => birthday(ELDERLY_FROM)?,
            Program::Hypertension | Program::Diabetes => birthday(CHRONIC_FROM)?.min(ep.started_on),
            Program::Child => facts.birth,
            _ => ep.started_on,
        };
        return Some(Enrolment { eligible_from, enrolled_on: ep.started_on, until });
    }
    let dx = Diagnoses::from_basic_info(facts.basic_info);
    let (has, code) = match program {
        Program::Hypertension => (dx.hypertension, "2"),
        Program::Diabetes => (dx.diabetes, "3"),
        Program::Elderly => {
            let at65 = birthday(ELDERLY_FROM)?;
            return Some(Enrolment { eligible_from: at65, enrolled_on: at65, until: None });
        }
        Program::Child => {
            let at7 = until?;
            // A child registered after their 7th birthday was never in the programme.
            if facts.created_on >= at7 {
                return None;
            }
            return Some(Enrolment { eligible_from: facts.birth, enrolled_on: facts.created_on.max(facts.birth), until });
        }
        Program::Maternal | Program::SevereMental | Program::Tuberculosis => return None,
    };
    if !has {
        return None;
    }
    let eligible_from = birthday(CHRONIC_FROM)?;
    let diagnosed = Diagnoses::month_of(facts.basic_info, code);
    let enrolled_on = [Some(facts.created_on), diagnosed, Some(eligible_from)].into_iter().flatten().max()?;
    Some(Enrolment { eligible_from, enrolled_on, until: None })
}

/// Thresholds and intervals of the programmes. An install may set any of
/// them in `<data dir>/programs.json`; what it leaves out keeps the default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct ProgramConfig {
    /// BP target under 65 (H1): systolic and diastolic must both be below.
    pub bp_target: (f64, f64),
    /// BP target at 65 and over (H1).
    pub bp_target_elderly: (f64, f64),
    /// Urgent referral at or above (H2, D2).
    pub bp_urgent: (f64, f64),
    /// Fasting glucose target, mmol/L (D1).
    pub fbg_target: f64,
    /// Urgent referral at or above / at or below (D2).
    pub fbg_urgent_high: f64,
    pub fbg_urgent_low: f64,
    /// Months to the next routine follow-up when controlled (H4: at least 4 a year).
    pub routine_months: u32,
    /// Days to the follow-up after an uncontrolled or urgent visit (the 2-week rules).
    pub short_days: i64,
    /// A due item counts as upcoming this many days before its date.
    pub upcoming_days: i64,
    /// The work list shows booked follow-ups this many days ahead.
    pub horizon_days: i64,
    /// A routine follow-up stays "due" this many days after its date before it is overdue.
    pub grace_days: i64,
    /// An overdue follow-up counts as missed after this many days.
    pub missed_after_days: i64,
    /// From this day of December an annual check not yet done this year is overdue.
    pub annual_overdue_from_december: u32,
    /// Days from birth (or delivery) to discharge assumed when the discharge
    /// date is not recorded (**Unconfirmed**: the spec counts from discharge).
    pub assumed_stay_days: i64,
    /// The newborn and postpartum home visits are due within this many days of discharge (§7.1, §7.2).
    pub home_visit_days: i64,
    /// A child check at 3–36 months may be done this many days either side of the birthday
    /// month (**Unconfirmed**: "± local tolerance", §11).
    pub child_tolerance_days: i64,
    /// Days after the 42nd day of the postpartum period the 42-day check may still be done (**Unconfirmed**).
    pub postpartum_check_tolerance_days: i64,
    /// Next severe-mental-disorder follow-up by class (§7.6): unstable and
    /// basically stable after this many days, stable after `mental_stable_months`.
    /// The 2018 work norm's stricter minimum for unstable patients is 7 days.
    pub mental_unstable_days: i64,
    pub mental_basic_days: i64,
    pub mental_stable_months: u32,
    /// The first TB home visit is due within this many days of the management notice (72 hours, §7.7).
    pub tb_first_visit_days: i64,
    /// Family-supervised TB patients are followed up every this many days in the intensive phase.
    pub tb_intensive_days: i64,
    /// Treatment months that count as the intensive phase (**Unconfirmed**: 2 for a standard new-case regimen).
    pub tb_intensive_months: u32,
}

impl Default for ProgramConfig {
    fn default() -> Self {
        ProgramConfig {
            bp_target: (140.0, 90.0),
            bp_target_elderly: (150.0, 90.0),
            bp_urgent: (180.0, 110.0),
            fbg_target: 7.0,
            fbg_urgent_high: 16.7,
            fbg_urgent_low: 3.9,
            routine_months: 3,
            short_days: 14,
            upcoming_days: 7,
            horizon_days: 31,
            grace_days: 7,
            missed_after_days: 90,
            annual_overdue_from_december: 1,
            assumed_stay_days: 3,
            home_visit_days: 7,
            child_tolerance_days: 15,
            postpartum_check_tolerance_days: 14,
            mental_unstable_days: 14,
            mental_basic_days: 14,
            mental_stable_months: 3,
            tb_first_visit_days: 3,
            tb_intensive_days: 10,
            tb_intensive_months: 2,
        }
    }
}

impl ProgramConfig {
    /// What is wrong with these values, each problem naming its key as it is
    /// written in `programs.json`: no negative or absurd interval, targets
    /// below the urgent thresholds, the glucose bounds in order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut days = |key: &str, v: i64, lo: i64, hi: i64| {
            if !(lo..=hi).contains(&v) {
                out.push(Problem::error(
                    key,
                    "config.range",
                    format!("{key} 为 {v}，应在 {lo} 到 {hi} 之间"),
                    format!("{key} is {v}; it must be from {lo} to {hi}"),
                ));
            }
        };
        days("short_days", self.short_days, 1, 90);
        days("horizon_days", self.horizon_days, 1, 366);
        days("upcoming_days", self.upcoming_days, 0, self.horizon_days.max(0));
        days("grace_days", self.grace_days, 0, 90);
        days("missed_after_days", self.missed_after_days, self.grace_days.max(0) + 1, 730);
        days("assumed_stay_days", self.assumed_stay_days, 0, 60);
        days("home_visit_days", self.home_visit_days, 1, 60);
        days("child_tolerance_days", self.child_tolerance_days, 0, 90);
        days("postpartum_check_tolerance_days", self.postpartum_check_tolerance_days, 0, 90);
        days("mental_unstable_days", self.mental_unstable_days, 1, 90);
        days("mental_basic_days", self.mental_basic_days, 1, 180);
        days("tb_first_visit_days", self.tb_first_visit_days, 1, 30);
        days("tb_intensive_days", self.tb_intensive_days, 1, 60);
        days("routine_months", i64::from(self.routine_months), 1, 12);
        days("mental_stable_months", i64::from(self.mental_stable_months), 1, 12);
        days("tb_intensive_months", i64::from(self.tb_intensive_months), 1, 12);
        days("annual_overdue_from_december", i64::from(self.annual_overdue_from_december), 1, 31);
        let mut order = |key: &str, ok: bool, zh: &str, en: &str| {
            if !ok {
                out.push(Problem::error(key, "config.order", format!("{key}：{zh}"), format!("{key}: {en}")));
            }
        };
        let bp = |(s, d): (f64, f64)| (60.0..=300.0).contains(&s) && (30.0..=200.0).contains(&d) && d < s;
        for (key, v) in [("bp_target", self.bp_target), ("bp_target_elderly", self.bp_target_elderly), ("bp_urgent", self.bp_urgent)] {
            order(
                key,
                bp(v),
                "收缩压应在 60–300、舒张压在 30–200 之间，且舒张压低于收缩压",
                "systolic 60–300, diastolic 30–200 and below the systolic",
            );
        }
        let below = |a: (f64, f64), b: (f64, f64)| a.0 < b.0 && a.1 < b.1;
        order("bp_target", below(self.bp_target, self.bp_urgent), "控制目标应低于 bp_urgent", "the target must be below bp_urgent");
        order(
            "bp_target_elderly",
            below(self.bp_target_elderly, self.bp_urgent),
            "控制目标应低于 bp_urgent",
            "the target must be below bp_urgent",
        );
        let glucose = (1.0..=40.0).contains(&self.fbg_urgent_low)
            && self.fbg_urgent_low < self.fbg_target
            && self.fbg_target < self.fbg_urgent_high
            && self.fbg_urgent_high <= 40.0;
        order(
            "fbg_target",
            glucose,
            "应满足 1 ≤ fbg_urgent_low < fbg_target < fbg_urgent_high ≤ 40（mmol/L）",
            "must be 1 ≤ fbg_urgent_low < fbg_target < fbg_urgent_high ≤ 40 (mmol/L)",
        );
        out
    }
}

/// What saving a form does to the resident's episode of its programme.
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeEffect {
    /// Puts the resident in a registered programme from `started_on`.
    Open { program: Program, started_on: NaiveDate, details: FormValues },
    /// Records programme facts on the open episode (a delivery, the LMP).
    Note { details: FormValues },
    /// Ends the open episode, with a `program_exit_reason` code.
    Close { ended_on: NaiveDate, reason: String },
}

/// What a follow-up found when the patient was not seen (§13 V8): lost to
/// follow-up, or dead. Follow-up forms record it in `outcome_status`
/// (`followup_outcome`: 1 seen, 2 lost, 3 died) with the reason, or the date
/// and cause of death, which the form requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitOutcome {
    /// Lost to follow-up: the form's programme ends on the visit date.
    Lost { on: NaiveDate },
    /// Died: every programme the resident is in ends on the date of death.
    Died { on: NaiveDate },
}

impl VisitOutcome {
    /// The field of a follow-up form that records the outcome.
    pub const FIELD: &'static str = "outcome_status";

    /// The outcome recorded in a follow-up's values, if the patient was not seen.
    pub fn of(values: &FormValues, service_date: Option<NaiveDate>) -> Option<VisitOutcome> {
        let date = |f: &str| crate::forms::date_value(values, f);
        match values.get(Self::FIELD).and_then(|v| v.as_str())? {
            "2" => Some(VisitOutcome::Lost { on: service_date? }),
            "3" => Some(VisitOutcome::Died { on: date("death_date").or(service_date)? }),
            _ => None,
        }
    }

    /// Whether the values record a follow-up at which the patient was not
    /// seen (lost or dead), whatever its dates.
    pub fn not_seen(values: &FormValues) -> bool {
        matches!(values.get(Self::FIELD).and_then(|v| v.as_str()), Some("2" | "3"))
    }

    /// The day the programme ends.
    pub fn ended_on(self) -> NaiveDate {
        match self {
            VisitOutcome::Lost { on } | VisitOutcome::Died { on } => on,
        }
    }

    /// The `program_exit_reason` code: 8 lost to follow-up, 4 death.
    pub fn exit_reason(self) -> &'static str {
        match self {
            VisitOutcome::Lost { .. } => "8",
            VisitOutcome::Died { .. } => "4",
        }
    }

    /// Whether the outcome ends `program`, given the programme of the form
    /// that recorded it: a loss ends that programme only, a death all of them.
    pub fn ends(self, program: Program, form_program: Option<Program>) -> bool {
        match self {
            VisitOutcome::Lost { .. } => form_program == Some(program),
            VisitOutcome::Died { .. } => true,
        }
    }
}

/// The programme event a saved form stands for, given the programme's open
/// episode: a first prenatal examination registers the pregnancy (with its
/// LMP), a postpartum visit records the delivery, the 42-day check ends the
/// maternal episode (reason 1, delivery), the supplementary information form
/// registers a severe mental disorder, the first TB home visit records the
/// management notice, and the TB closing assessment ends treatment with the
/// reason it gives.
pub fn episode_effect(form_id: &str, values: &FormValues, open: Option<&Episode>) -> Option<EpisodeEffect> {
    let date = |f: &str| crate::forms::date_value(values, f);
    let pick =
        |keys: &[&str]| -> FormValues { keys.iter().filter_map(|k| values.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect() };
    let noted = |details: FormValues| {
        let changed = open.is_some_and(|e| details.iter().any(|(k, v)| e.details.get(k) != Some(v)));
        (changed && !details.is_empty()).then_some(EpisodeEffect::Note { details })
    };
    match (form_id, open) {
        ("prenatal_first", None) => {
            Some(EpisodeEffect::Open { program: Program::Maternal, started_on: date("visit_date")?, details: pick(&["lmp", "due_date"]) })
        }
        ("prenatal_first", Some(_)) => noted(pick(&["lmp", "due_date"])),
        ("postpartum_visit", Some(_)) => noted(pick(&["delivery_date", "discharge_date"])),
        ("postpartum_42day", Some(_)) => Some(EpisodeEffect::Close { ended_on: date("visit_date")?, reason: "1".into() }),
        ("mental_supplement", None) => {
            Some(EpisodeEffect::Open { program: Program::SevereMental, started_on: date("fill_date")?, details: FormValues::new() })
        }
        ("tb_first_visit", None) => {
            let notice = date("notice_date").or_else(|| date("visit_date"))?;
            Some(EpisodeEffect::Open { program: Program::Tuberculosis, started_on: notice, details: pick(&["notice_date"]) })
        }
        ("tb_closing", Some(_)) => {
            // 停止治疗原因 → programme exit reason: completed → 3, death → 4, lost → 8, moved to MDR treatment → 10.
            let reason = match values.get("stop_reason").and_then(|v| v.as_str()) {
                Some("1") => "3",
                Some("2") => "4",
                Some("3") => "8",
                Some("4") => "10",
                _ => "99",
            };
            Some(EpisodeEffect::Close { ended_on: date("stop_date")?, reason: reason.into() })
        }
        _ => None,
    }
}
