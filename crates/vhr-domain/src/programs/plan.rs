//! The fixed visit sequences of child health (§7.1) and maternal care
//! (§7.2): which visits a resident is owed, each with its window, given the
//! birth date or the pregnancy's dates and the visits already done.
//!
//! A visit is owed from `due_on` and on time until `window_end`; once the
//! next visit of the sequence falls due (`lost_on`) a visit not done is lost:
//! the work list moves on and names it as missed.

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::{Enrolment, Episode, Program, ProgramConfig};
use crate::forms::FormValues;
use crate::i18n::Localized;

/// One visit of a sequence that is still owed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlannedVisit {
    pub form_id: String,
    /// The code of the visit on its form (`visit_age` on the child forms,
    /// `visit_no` on the prenatal follow-up), if the form records several.
    pub visit: Option<String>,
    pub label: Localized,
    pub due_on: NaiveDate,
    pub window_end: NaiveDate,
    /// From this day the visit counts as missed and the next one is what is owed.
    pub lost_on: Option<NaiveDate>,
}

/// A service already given, as the planner needs it.
#[derive(Debug, Clone, Copy)]
pub struct DoneService<'a> {
    pub form_id: &'a str,
    pub date: NaiveDate,
    pub values: &'a FormValues,
}

/// The field that says which visit of a sequence a form records.
pub fn visit_field(form_id: &str) -> Option<&'static str> {
    match form_id {
        "child_check_infant" | "child_check_toddler" | "child_check_preschool" => Some("visit_age"),
        "prenatal_followup" => Some("visit_no"),
        _ => None,
    }
}

struct Step {
    form: &'static str,
    visit: Option<&'static str>,
    zh: String,
    en: String,
    due_on: NaiveDate,
    window_end: NaiveDate,
}

fn step(form: &'static str, visit: Option<&'static str>, zh: &str, en: &str, due_on: NaiveDate, window_end: NaiveDate) -> Step {
    Step { form, visit, zh: zh.into(), en: en.into(), due_on, window_end }
}

fn months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m)).unwrap_or(d)
}

/// The child checks of §7.1 for a child born on `birth`.
fn child_steps(birth: NaiveDate, episode: Option<&Episode>, cfg: &ProgramConfig) -> Vec<Step> {
    let discharge = episode.and_then(|e| e.detail_date("discharge_date")).unwrap_or(birth + Duration::days(cfg.assumed_stay_days));
    let tol = Duration::days(cfg.child_tolerance_days);
    let mut steps = vec![
        step("newborn_visit", None, "新生儿家庭访视", "Newborn home visit", discharge, discharge + Duration::days(cfg.home_visit_days)),
        step("child_check_infant", Some("1"), "满月健康管理", "1-month check", birth + Duration::days(28), birth + Duration::days(30)),
    ];
    for (form, code, m) in [
        ("child_check_infant", "2", 3),
        ("child_check_infant", "3", 6),
        ("child_check_infant", "4", 8),
        ("child_check_toddler", "1", 12),
        ("child_check_toddler", "2", 18),
        ("child_check_toddler", "3", 24),
        ("child_check_toddler", "4", 30),
    ] {
        let at = months(birth, m);
        steps.push(step(form, Some(code), &format!("{m}月龄健康检查"), &format!("{m}-month check"), at - tol, at + tol));
    }
    let at3 = months(birth, 36);
    steps.push(step("child_check_preschool", Some("1"), "3岁健康检查", "Check at 3 years", at3 - tol, at3 + tol));
    for (code, y) in [("2", 4), ("3", 5), ("4", 6)] {
        steps.push(step(
            "child_check_preschool",
            Some(code),
            &format!("{y}岁健康检查"),
            &format!("Check at {y} years"),
            months(birth, 12 * y),
            months(birth, 12 * (y + 1)) - Duration::days(1),
        ));
    }
    steps
}

/// The maternal visits of §7.2 for an open pregnancy episode.
fn maternal_steps(episode: &Episode, cfg: &ProgramConfig) -> Vec<Step> {
    let lmp = episode.detail_date("lmp");
    let delivery = episode.detail_date("delivery_date");
    let week = |w: i64| lmp.map(|l| l + Duration::weeks(w));
    let mut steps = Vec::new();
    if delivery.is_none() {
        let by13 = week(13).map(|d| d - Duration::days(1)).unwrap_or(episode.started_on);
        steps.push(step(
            "prenatal_first",
            None,
            "第1次产前检查（孕13周前）",
            "First prenatal examination (before week 13)",
            episode.started_on,
            by13.max(episode.started_on + Duration::days(cfg.grace_days)),
        ));
        if let Some(_l) = lmp {
            for (code, from, to, zh, en) in [
                ("2", 16, 20, "第2次产前随访（孕16–20周）", "2nd prenatal visit (weeks 16–20)"),
                ("3", 21, 24, "第3次产前随访（孕21–24周）", "3rd prenatal visit (weeks 21–24)"),
                ("4", 28, 36, "第4次产前随访（孕28–36周）", "4th prenatal visit (weeks 28–36)"),
                ("5", 37, 40, "第5次产前随访（孕37–40周）", "5th prenatal visit (weeks 37–40)"),
            ] {
                let (Some(a), Some(b)) = (week(from), week(to + 1)) else { continue };
                steps.push(step("prenatal_followup", Some(code), zh, en, a, b - Duration::days(1)));
            }
        }
    }
    // Before delivery is recorded the postpartum visits are reckoned from the due date (LMP + 280 days).
    let (born, estimated) = match (delivery, lmp) {
        (Some(d), _) => (Some(d), false),
        (None, Some(l)) => (Some(l + Duration::days(280)), true),
        (None, None) => (None, false),
    };
    if let Some(born) = born {
        let discharge = episode.detail_date("discharge_date").unwrap_or(born + Duration::days(cfg.assumed_stay_days));
        let note = if estimated { ("（按预产期推算）", " (from the due date)") } else { ("", "") };
        steps.push(step(
            "postpartum_visit",
            None,
            &format!("产后访视{}", note.0),
            &format!("Postpartum home visit{}", note.1),
            discharge,
            discharge + Duration::days(cfg.home_visit_days),
        ));
        let d42 = born + Duration::days(42);
        steps.push(step(
            "postpartum_42day",
            None,
            &format!("产后42天健康检查{}", note.0),
            &format!("42-day postpartum check{}", note.1),
            d42,
            d42 + Duration::days(cfg.postpartum_check_tolerance_days),
        ));
    }
    steps
}

fn is_done(step: &Step, done: &[DoneService<'_>]) -> bool {
    done.iter().any(|s| {
        s.form_id == step.form
            && match (step.visit, visit_field(s.form_id)) {
                (Some(code), Some(field)) => s.values.get(field).and_then(Value::as_str) == Some(code),
                _ => true,
            }
    })
}

/// The visits still owed in a sequence programme, in order. Visits whose
/// window closed before the resident was enrolled are not owed; nor is
/// anything after the programme ends (`until`).
pub fn plan(
    program: Program,
    enrolment: &Enrolment,
    birth: NaiveDate,
    episode: Option<&Episode>,
    done: &[DoneService<'_>],
    cfg: &ProgramConfig,
) -> Vec<PlannedVisit> {
    let steps = match (program, episode) {
        (Program::Child, ep) => child_steps(birth, ep, cfg),
        (Program::Maternal, Some(ep)) => maternal_steps(ep, cfg),
        _ => return Vec::new(),
    };
    let lost_on: Vec<Option<NaiveDate>> = (0..steps.len()).map(|i| steps.get(i + 1).map(|n| n.due_on)).collect();
    steps
        .into_iter()
        .zip(lost_on)
        .filter(|(s, _)| s.window_end >= enrolment.enrolled_on && enrolment.until.is_none_or(|u| s.due_on < u))
        .filter(|(s, _)| !is_done(s, done))
        .map(|(s, lost_on)| PlannedVisit {
            form_id: s.form.to_string(),
            visit: s.visit.map(str::to_string),
            label: Localized::new(s.zh, s.en),
            due_on: s.due_on,
            window_end: s.window_end,
            lost_on,
        })
        .collect()
}
