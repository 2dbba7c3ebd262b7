//! Key-population programmes: who is in them, what a follow-up's readings
//! mean (classification proposals, §7.4–7.5 H1–H4, D1–D3), and when the next
//! service is due (§7, §11).
//!
//! The thresholds and intervals are in [`ProgramConfig`], with the spec's
//! values as defaults, so a province can change them without a program change.

mod followup;
mod schedule;

pub use followup::{propose, Proposal};
pub use schedule::{anchor, due_item, DueItem, DueState, LastService};

use chrono::{Months, NaiveDate};

use crate::forms::FormValues;
use crate::population::{Diagnoses, CHRONIC_FROM, ELDERLY_FROM};

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
}

impl Program {
    pub const ALL: [Program; 3] = [Program::Hypertension, Program::Diabetes, Program::Elderly];

    /// The form that records this programme's follow-ups.
    pub fn followup_form(self) -> &'static str {
        match self {
            Program::Hypertension => "hypertension_followup",
            Program::Diabetes => "diabetes_followup",
            Program::Elderly => "health_exam",
        }
    }

    /// Services due once per calendar year rather than booked visit by visit.
    pub fn is_annual(self) -> bool {
        self == Program::Elderly
    }

    pub fn from_form(form_id: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.followup_form() == form_id)
    }

    /// The key-population tag that puts a resident in this programme.
    pub fn tag(self) -> Tag {
        match self {
            Program::Hypertension => Tag::Hypertension,
            Program::Diabetes => Tag::Diabetes,
            Program::Elderly => Tag::Elderly,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Program::Hypertension => "高血压随访",
            Program::Diabetes => "糖尿病随访",
            Program::Elderly => "老年人年度健康体检",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Program::Hypertension => "Hypertension follow-up",
            Program::Diabetes => "Diabetes follow-up",
            Program::Elderly => "Annual check (65+)",
        }
    }
}

/// When a resident belongs to a programme: from `eligible_from` (the
/// birthday that makes them old enough), counting as enrolled on `enrolled_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enrolment {
    pub eligible_from: NaiveDate,
    pub enrolled_on: NaiveDate,
}

/// Whether, and from when, a resident is in a programme (§1, R1.2): a
/// confirmed hypertension or diabetes diagnosis, counted from the 35th
/// birthday; the annual check from the 65th. The record's creation date and
/// the diagnosis month bound the first follow-up owed.
pub fn enrolment(program: Program, birth: NaiveDate, basic_info: &FormValues, created_on: NaiveDate) -> Option<Enrolment> {
    let birthday = |years: u32| birth.checked_add_months(Months::new(12 * years));
    let dx = Diagnoses::from_basic_info(basic_info);
    let (has, code) = match program {
        Program::Hypertension => (dx.hypertension, "2"),
        Program::Diabetes => (dx.diabetes, "3"),
        Program::Elderly => {
            let at65 = birthday(ELDERLY_FROM)?;
            return Some(Enrolment { eligible_from: at65, enrolled_on: at65 });
        }
    };
    if !has {
        return None;
    }
    let eligible_from = birthday(CHRONIC_FROM)?;
    let diagnosed = Diagnoses::month_of(basic_info, code);
    let enrolled_on = [Some(created_on), diagnosed, Some(eligible_from)].into_iter().flatten().max()?;
    Some(Enrolment { eligible_from, enrolled_on })
}

/// Thresholds and intervals of the programmes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
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
        }
    }
}
