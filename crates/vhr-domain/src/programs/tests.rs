//! Schedules of the programmes with fixed dates: children crossing age
//! boundaries, pregnancies through delivery, TB notices and exits.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::*;
use crate::forms::FormValues;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn obj(v: Value) -> FormValues {
    v.as_object().unwrap().clone()
}

fn episode(program: Program, started_on: &str, details: Value) -> Episode {
    Episode { id: "e1".into(), program, started_on: d(started_on), details: obj(details), ended_on: None, end_reason: None, end_note: None }
}

struct Case {
    birth: NaiveDate,
    created_on: NaiveDate,
    basic: FormValues,
    episode: Option<Episode>,
    services: Vec<(String, NaiveDate, FormValues)>,
}

impl Case {
    fn new(birth: &str, created_on: &str) -> Case {
        Case { birth: d(birth), created_on: d(created_on), basic: FormValues::new(), episode: None, services: Vec::new() }
    }

    fn done(mut self, form: &str, date: &str, values: Value) -> Case {
        self.services.push((form.into(), d(date), obj(values)));
        self
    }

    fn standing(&self, program: Program) -> Option<Standing> {
        let facts = MemberFacts { birth: self.birth, basic_info: &self.basic, created_on: self.created_on, episode: self.episode.as_ref() };
        let done: Vec<DoneService<'_>> =
            self.services.iter().map(|(f, date, v)| DoneService { form_id: f, date: *date, values: v }).collect();
        standing(program, facts, &done, &ProgramConfig::default(), None)
    }

    fn due(&self, program: Program, today: &str) -> Option<DueItem> {
        due_item(&self.standing(program)?, d(today), &ProgramConfig::default())
    }
}

#[test]
fn a_newborn_is_owed_the_home_visit_then_the_one_month_check() {
    let baby = Case::new("2026-11-01", "2026-11-02");
    let item = baby.due(Program::Child, "2026-11-05").unwrap();
    assert_eq!((item.form_id.as_str(), item.due_on, item.window_end), ("newborn_visit", d("2026-11-04"), d("2026-11-11")));
    assert_eq!(item.state, DueState::Due, "within a week of the assumed discharge (birth + 3 days)");
    assert_eq!(baby.due(Program::Child, "2026-11-12").unwrap().state, DueState::Overdue);
    let visited = baby.done("newborn_visit", "2026-11-08", json!({}));
    let item = visited.due(Program::Child, "2026-11-25").unwrap();
    assert_eq!((item.form_id.as_str(), item.visit.as_deref()), ("child_check_infant", Some("1")));
    assert_eq!((item.due_on, item.window_end, item.state), (d("2026-11-29"), d("2026-12-01"), DueState::Upcoming), "day 28–30 of life");
}

#[test]
fn a_recorded_discharge_date_moves_the_newborn_visit() {
    let mut baby = Case::new("2026-11-01", "2026-11-02");
    baby.episode = Some(episode(Program::Child, "2026-11-01", json!({"discharge_date": "2026-11-09"})));
    let item = baby.due(Program::Child, "2026-11-10").unwrap();
    assert_eq!((item.due_on, item.window_end), (d("2026-11-09"), d("2026-11-16")), "within 1 week of discharge");
}

#[test]
fn a_missed_check_is_named_when_the_next_falls_due() {
    let child = Case::new("2025-11-01", "2025-11-02")
        .done("newborn_visit", "2025-11-06", json!({}))
        .done("child_check_infant", "2025-11-30", json!({"visit_age": "1"}))
        .done("child_check_infant", "2026-02-01", json!({"visit_age": "2"}));
    let item = child.due(Program::Child, "2026-05-10").unwrap();
    assert_eq!((item.visit.as_deref(), item.state), (Some("3"), DueState::Due), "the 6-month check: 1 May ± 15 days");
    let item = child.due(Program::Child, "2026-05-20").unwrap();
    assert_eq!((item.visit.as_deref(), item.state), (Some("3"), DueState::Overdue), "late, until the 8-month check falls due");
    let item = child.due(Program::Child, "2026-06-20").unwrap();
    assert_eq!(item.visit.as_deref(), Some("4"), "from the 8-month window the 6-month check is lost");
    assert_eq!(item.reason.zh, "儿童健康检查 · 8月龄健康检查 · 已错过：6月龄健康检查");
}

#[test]
fn a_child_crosses_into_the_preschool_checks_and_leaves_at_seven() {
    let child = Case::new("2020-03-15", "2020-03-16");
    let item = child.due(Program::Child, "2026-03-20").unwrap();
    assert_eq!((item.form_id.as_str(), item.visit.as_deref()), ("child_check_preschool", Some("4")), "the 6-year check");
    assert_eq!((item.due_on, item.window_end), (d("2026-03-15"), d("2027-03-14")), "once in the year of age 6");
    assert!(item.reason.zh.contains("已错过"), "nothing was recorded before: the earlier checks were missed");
    assert_eq!(child.due(Program::Child, "2027-03-15"), None, "the 7th birthday ends child health management");
}

#[test]
fn a_child_registered_at_two_months_owes_nothing_from_before() {
    let child = Case::new("2026-09-10", "2026-11-15");
    let item = child.due(Program::Child, "2026-11-21").unwrap();
    assert_eq!(item.visit.as_deref(), Some("2"), "the 3-month check; the newborn visit and 1-month check had closed");
    assert!(!item.reason.zh.contains("已错过"));
}

#[test]
fn a_leap_day_baby_has_month_checks_at_month_ends() {
    let child = Case::new("2028-02-29", "2028-03-01");
    let plan = child.standing(Program::Child).unwrap().plan;
    let twelve = plan.iter().find(|v| v.form_id == "child_check_toddler" && v.visit.as_deref() == Some("1")).unwrap();
    assert_eq!((twelve.due_on, twelve.window_end), (d("2029-02-13"), d("2029-03-15")), "12 months after 29 Feb is 28 Feb, ± 15 days");
}

#[test]
fn a_pregnancy_is_followed_by_gestational_week() {
    let mut woman = Case::new("1996-04-01", "2020-01-01");
    assert_eq!(woman.standing(Program::Maternal), None, "no registered pregnancy, no maternal care");
    woman.episode = Some(episode(Program::Maternal, "2026-06-20", json!({"lmp": "2026-05-01"})));
    let first = woman.due(Program::Maternal, "2026-06-22").unwrap();
    assert_eq!((first.form_id.as_str(), first.window_end), ("prenatal_first", d("2026-07-30")), "before week 13");
    let woman = woman.done("prenatal_first", "2026-06-25", json!({}));
    let second = woman.due(Program::Maternal, "2026-08-20").unwrap();
    assert_eq!((second.visit.as_deref(), second.due_on, second.window_end), (Some("2"), d("2026-08-21"), d("2026-09-24")));
    let woman = woman.done("prenatal_followup", "2026-08-25", json!({"visit_no": "2"}));
    assert_eq!(woman.due(Program::Maternal, "2026-09-25").unwrap().visit.as_deref(), Some("3"), "weeks 21–24");
}

#[test]
fn delivery_moves_maternal_care_to_the_postpartum_visits_and_ends_it() {
    let mut woman = Case::new("1996-04-01", "2020-01-01").done("prenatal_first", "2026-03-01", json!({}));
    woman.episode = Some(episode(
        Program::Maternal,
        "2026-03-01",
        json!({"lmp": "2026-01-20", "delivery_date": "2026-10-20", "discharge_date": "2026-10-23"}),
    ));
    let item = woman.due(Program::Maternal, "2026-10-24").unwrap();
    assert_eq!((item.form_id.as_str(), item.window_end), ("postpartum_visit", d("2026-10-30")), "within a week of discharge");
    let woman = woman.done("postpartum_visit", "2026-10-26", json!({}));
    let item = woman.due(Program::Maternal, "2026-11-25").unwrap();
    assert_eq!((item.form_id.as_str(), item.due_on), ("postpartum_42day", d("2026-12-01")), "42 days after delivery");
    let check = obj(json!({"visit_date": "2026-12-02"}));
    assert_eq!(
        episode_effect("postpartum_42day", &check, woman.episode.as_ref()),
        Some(EpisodeEffect::Close { ended_on: d("2026-12-02"), reason: "1".into() }),
        "the 42-day check ends the episode: delivered"
    );
    let mut ended = woman;
    ended.episode.as_mut().unwrap().ended_on = Some(d("2026-12-02"));
    assert_eq!(ended.standing(Program::Maternal), None, "out of the programme once the episode ends");
}

#[test]
fn before_delivery_is_known_postpartum_care_is_reckoned_from_the_due_date() {
    let mut woman = Case::new("1996-04-01", "2020-01-01");
    woman.episode = Some(episode(Program::Maternal, "2026-02-01", json!({"lmp": "2026-01-01"})));
    let plan = woman.standing(Program::Maternal).unwrap().plan;
    let pp = plan.iter().find(|v| v.form_id == "postpartum_visit").unwrap();
    assert_eq!(pp.due_on, d("2026-10-11"), "LMP + 280 days + the assumed 3-day stay");
    assert!(pp.label.zh.contains("按预产期推算"));
}

#[test]
fn tb_first_visit_within_72_hours_then_by_supervision() {
    let mut patient = Case::new("1980-01-01", "2020-01-01");
    patient.episode = Some(episode(Program::Tuberculosis, "2026-11-18", json!({"notice_date": "2026-11-18"})));
    let item = patient.due(Program::Tuberculosis, "2026-11-19").unwrap();
    assert_eq!((item.form_id.as_str(), item.window_end, item.state), ("tb_first_visit", d("2026-11-21"), DueState::Due));
    assert_eq!(patient.due(Program::Tuberculosis, "2026-11-22").unwrap().state, DueState::Overdue, "72 hours passed");
    let patient =
        patient.done("tb_first_visit", "2026-11-19", json!({"visit_date": "2026-11-19", "supervisor": "2", "next_date": "2026-11-29"}));
    let item = patient.due(Program::Tuberculosis, "2026-11-29").unwrap();
    assert_eq!((item.form_id.as_str(), item.due_on), ("tb_followup", d("2026-11-29")));
    let closing = obj(json!({"stop_date": "2027-05-18", "stop_reason": "1"}));
    assert_eq!(
        episode_effect("tb_closing", &closing, patient.episode.as_ref()),
        Some(EpisodeEffect::Close { ended_on: d("2027-05-18"), reason: "3".into() }),
        "course completed → treatment completed"
    );
}

#[test]
fn mental_follow_ups_by_class() {
    let mut patient = Case::new("1980-01-01", "2020-01-01");
    assert_eq!(patient.standing(Program::SevereMental), None, "registration puts a patient in the programme");
    patient.episode = Some(episode(Program::SevereMental, "2026-06-01", json!({})));
    let unstable = patient.done("mental_followup", "2026-11-01", json!({"risk": "3", "classification": "1", "next_date": "2026-11-15"}));
    let item = unstable.due(Program::SevereMental, "2026-11-16").unwrap();
    assert_eq!(item.state, DueState::Overdue, "an unstable patient's follow-up has no grace");
    assert_eq!(item.reason.zh, "严重精神障碍随访 · 上次危险性 3 级 · 不稳定 · 两周内随访");
}

#[test]
fn an_exit_takes_a_derived_programme_away() {
    let mut patient = Case::new("1950-01-01", "2020-01-01");
    patient.basic = obj(json!({"past_diseases": [{"code": "2", "date": "2015-03"}]}));
    assert!(patient.due(Program::Hypertension, "2026-11-21").is_some());
    let mut ended = episode(Program::Hypertension, "2020-01-01", json!({}));
    (ended.ended_on, ended.end_reason) = (Some(d("2026-10-01")), Some("5".into()));
    patient.episode = Some(ended);
    assert_eq!(patient.standing(Program::Hypertension), None, "moved away: no more follow-ups owed");
}

#[test]
fn forms_open_programmes() {
    let first = obj(json!({"visit_date": "2026-06-20", "lmp": "2026-05-01"}));
    match episode_effect("prenatal_first", &first, None) {
        Some(EpisodeEffect::Open { program, started_on, details }) => {
            assert_eq!((program, started_on), (Program::Maternal, d("2026-06-20")));
            assert_eq!(details.get("lmp"), Some(&json!("2026-05-01")), "the LMP drives the schedule");
        }
        other => panic!("a first prenatal examination registers the pregnancy, got {other:?}"),
    }
    let open = episode(Program::Maternal, "2026-06-20", json!({"lmp": "2026-05-01"}));
    assert_eq!(episode_effect("prenatal_first", &first, Some(&open)), None, "nothing new to note");
    let pp = obj(json!({"visit_date": "2027-02-10", "delivery_date": "2027-02-01"}));
    assert_eq!(
        episode_effect("postpartum_visit", &pp, Some(&open)),
        Some(EpisodeEffect::Note { details: obj(json!({"delivery_date": "2027-02-01"})) })
    );
}

#[test]
fn visits_lost_when_the_state_is_kept_stay_named() {
    let child = Case::new("2020-03-15", "2020-03-16");
    let facts = MemberFacts { birth: child.birth, basic_info: &child.basic, created_on: child.created_on, episode: None };
    let kept = standing(Program::Child, facts, &[], &ProgramConfig::default(), Some(d("2026-03-20"))).unwrap();
    assert_eq!(kept.plan.len(), 1, "only the 6-year check is still owed");
    assert!(kept.missed.zh.starts_with("新生儿家庭访视、满月健康管理"), "{}", kept.missed.zh);
    let item = due_item(&kept, d("2026-03-20"), &ProgramConfig::default()).unwrap();
    assert_eq!(item, child.due(Program::Child, "2026-03-20").unwrap(), "the same line as from the whole plan");
}

#[test]
fn the_spec_s_thresholds_pass_their_own_checks_and_absurd_ones_are_named() {
    assert_eq!(ProgramConfig::default().problems(), Vec::new(), "the defaults are sane");
    let bad = ProgramConfig {
        routine_months: 0,
        grace_days: -3,
        missed_after_days: 5,
        horizon_days: 10,
        upcoming_days: 20,
        bp_target: (190.0, 90.0),
        fbg_urgent_low: 8.0,
        ..ProgramConfig::default()
    };
    let keys: Vec<String> = bad.problems().into_iter().map(|p| p.field).collect();
    assert_eq!(
        keys,
        ["upcoming_days", "grace_days", "routine_months", "bp_target", "fbg_target"].map(String::from),
        "each wrong value named by its key in programs.json (a horizon of 10 days is allowed; upcoming beyond it is not)"
    );
    let p = &bad.problems()[0];
    assert_eq!(p.message.zh, "upcoming_days 为 20，应在 0 到 10 之间", "the message names the key, the value and the range");
}
