//! Follow-ups and the work list on a real database: a hypertension patient
//! appears as due, an uncontrolled visit books the 2-week follow-up, a second
//! uncontrolled visit proposes referral, and bad input stores nothing.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use serde_json::{json, Value};
use vhr_app::{AddServiceRequest, Clinic, Error, RegisterRequest};
use vhr_domain::forms::FormValues;
use vhr_domain::id_card::compose;
use vhr_domain::programs::{DueState, Program};

/// "Today" in common::env() is 2026-11-21.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn patient(c: &mut Clinic, name: &str, born: (i32, u32, u32), diseases: Value) -> String {
    let mut i = input(name, &compose("450102", NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(), 11));
    i.basic_info.insert("past_diseases".into(), diseases);
    c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap().resident.resident.id
}

fn htn_visit(date: &str, sbp: u32, dbp: u32, class: &str, step: &str, next: &str) -> FormValues {
    json!({
        "visit_date": date, "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": sbp, "dbp": dbp,
        "weight": 68, "height": 165, "adherence": "1", "adverse_reaction": "1",
        "classification": class, "next_step": step, "next_date": next, "doctor": "李春华"
    })
    .as_object()
    .unwrap()
    .clone()
}

fn add(c: &mut Clinic, resident: &str, form: &str, values: FormValues) -> Result<vhr_app::SavedService, Error> {
    c.add_service(AddServiceRequest { resident_id: resident.into(), form_id: form.into(), values, confirm: false })
}

#[test]
fn the_hypertension_loop() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "高血压甲", (1966, 4, 2), json!([{"code": "2", "date": "2018-05"}]));
    patient(&mut c, "无病乙", (1966, 5, 2), json!([{"code": "1"}]));

    let list = c.worklist(today(), None).unwrap();
    assert_eq!(list.len(), 1, "only the patient in a programme is listed (both are under 65)");
    assert_eq!(
        (list[0].resident.name.as_str(), list[0].due.program, list[0].due.state),
        ("高血压甲", Program::Hypertension, DueState::Due)
    );
    assert_eq!(list[0].due.reason.zh, "高血压随访 · 纳入管理后尚未随访");

    // An uncontrolled visit: the proposal is the 2-week follow-up.
    let mut v = htn_visit("2026-11-21", 152, 96, "2", "2", "2026-12-05");
    let saved = add(&mut c, &id, "hypertension_followup", v.clone()).unwrap();
    let p = saved.proposal.expect("a proposal for a follow-up");
    assert_eq!(
        (p.classification.as_deref().unwrap(), p.next_step.as_deref().unwrap(), p.next_date.to_string().as_str()),
        ("2", "2", "2026-12-05")
    );
    assert_eq!(saved.record.data["bmi"], json!(25.0), "BMI derived on save");
    let after = c.worklist(today(), None).unwrap();
    assert_eq!(after.len(), 1, "the same patient, now booked");
    assert_eq!(
        (after[0].due.state, after[0].due.due_on.to_string().as_str()),
        (DueState::Scheduled, "2026-12-05"),
        "the visit cleared the due item and booked the 2-week one"
    );

    let on = |d: NaiveDate| c.worklist(d, None).unwrap();
    let due = on(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
    assert_eq!(due[0].due.state, DueState::Due);
    assert_eq!(due[0].due.reason.zh, "高血压随访 · 上次血压 152/96 · 控制不满意 · 两周内随访");
    assert_eq!(on(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())[0].due.state, DueState::Overdue);

    // The next visit is uncontrolled again: the proposal is referral (H3).
    v.insert("visit_date".into(), json!("2026-11-21"));
    let p = c.propose(&id, "hypertension_followup", &v).unwrap().unwrap();
    assert_eq!(p.next_step.as_deref(), Some("3"), "two uncontrolled visits in a row");

    let timeline = c.timeline(&id).unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].form_title.zh, "高血压患者随访服务记录表");
}

#[test]
fn missing_readings_block_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "糖尿病丙", (1960, 1, 1), json!([{"code": "3", "date": "2020-01"}]));
    let v = json!({
        "visit_date": "2026-11-21", "method": "1", "symptoms": ["1", "2"], "emergency": ["1"], "sbp": 130, "dbp": 140,
        "adherence": "1", "adverse_reaction": "2", "hypoglycemia": "1", "classification": "1", "next_step": "1",
        "next_date": "2026-11-20", "doctor": "李春华"
    });
    let err = add(&mut c, &id, "diabetes_followup", v.as_object().unwrap().clone()).unwrap_err();
    let Error::Invalid(problems) = err else { panic!("expected invalid, got {err:?}") };
    let found: Vec<(&str, &str)> = problems.iter().filter(|p| p.is_error()).map(|p| (p.field.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        vec![
            ("values.symptoms", "code.exclusive"),
            ("values.pedis_pulse", "required"),
            ("values.fbg", "required"),
            ("values.adverse_reaction_text", "code.text_required"),
            ("values.sbp", "rule.greater"),
            ("values.next_date", "rule.date_after"),
        ]
    );
    assert!(c.timeline(&id).unwrap().is_empty(), "nothing stored");
}

#[test]
fn an_urgent_reading_needs_the_urgent_step_or_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "高血压丁", (1960, 1, 1), json!([{"code": "2", "date": "2020-01"}]));
    let v = htn_visit("2026-11-21", 186, 112, "2", "2", "2026-12-05");
    let err = add(&mut c, &id, "hypertension_followup", v.clone()).unwrap_err();
    assert_eq!(err.code(), "needs_confirmation");
    let saved = c
        .add_service(AddServiceRequest { resident_id: id.clone(), form_id: "hypertension_followup".into(), values: v, confirm: true })
        .unwrap();
    assert!(saved.proposal.unwrap().urgent);
    assert_eq!(saved.warnings[0].code, "followup.urgent");
}

#[test]
fn prefill_carries_over_height_and_medication() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "高血压戊", (1960, 1, 1), json!([{"code": "2", "date": "2020-01"}]));
    let mut v = htn_visit("2026-08-21", 132, 84, "1", "1", "2026-11-21");
    v.insert("drugs".into(), json!([{"name": "氨氯地平", "times": 1, "dose": "5mg"}]));
    add(&mut c, &id, "hypertension_followup", v).unwrap();
    let pre = c.prefill(&id, "hypertension_followup").unwrap();
    assert_eq!(pre["visit_date"], json!("2026-11-21"));
    assert_eq!(pre["height"], json!(165.0));
    assert_eq!(pre["drugs"][0]["name"], json!("氨氯地平"));
    assert_eq!(pre["doctor"], json!("李春华"));
    assert!(!pre.contains_key("sbp"), "readings are never carried over");
}

#[test]
fn a_child_of_the_programme_age_rule() {
    // Hypertension recorded for someone under 35 does not enter the programme.
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let young = today() - Duration::days(34 * 365);
    let mut i = input("年轻己", &compose("450102", young, 11));
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2024-01"}]));
    c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap();
    assert!(c.worklist(today(), None).unwrap().is_empty());
}

#[test]
fn the_list_is_filtered_by_village() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    patient(&mut c, "一村", (1960, 1, 1), json!([{"code": "2", "date": "2020-01"}]));
    let mut i = input("二村", &compose("450102", NaiveDate::from_ymd_opt(1960, 2, 1).unwrap(), 11));
    i.village_code = "102".into();
    i.basic_info.insert("past_diseases".into(), json!([{"code": "3", "date": "2020-01"}]));
    c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap();
    let items = |v: Option<&str>| c.worklist(today(), v).unwrap().into_iter().map(|w| (w.resident.name, w.due.program)).collect::<Vec<_>>();
    assert_eq!(
        items(Some("102")),
        vec![("二村".to_string(), Program::Elderly), ("二村".to_string(), Program::Diabetes)],
        "a 66-year-old diabetic owes the annual check (since 1 January) and a follow-up (since today)"
    );
    assert_eq!(items(None).len(), 4);
}

#[test]
fn the_examination_takes_self_care_from_the_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "老人庚", (1950, 1, 1), json!([{"code": "1"}]));
    let assessment = json!({"assessed_on": "2026-11-20", "eating": "3", "grooming": "2", "dressing": "1", "toileting": "1", "mobility": "1", "doctor": "李春华"});
    let saved = add(&mut c, &id, "elderly_self_care", assessment.as_object().unwrap().clone()).unwrap();
    assert_eq!((saved.record.data["total"].clone(), saved.record.data["category"].clone()), (json!(4.0), json!("2")));
    let pre = c.prefill(&id, "health_exam").unwrap();
    assert_eq!(pre["self_care"], json!("2"), "mild dependence, from the assessment");
    assert_eq!(pre["exam_date"], json!("2026-11-21"));
}

#[test]
fn a_follow_up_is_edited_as_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "高血压辛", (1960, 1, 1), json!([{"code": "2", "date": "2020-01"}]));
    add(&mut c, &id, "hypertension_followup", htn_visit("2026-08-21", 150, 95, "2", "2", "2026-09-04")).unwrap();
    let second = add(&mut c, &id, "hypertension_followup", htn_visit("2026-09-04", 132, 84, "1", "1", "2026-12-04")).unwrap();
    // The doctor corrects a mistyped reading on the second visit.
    let mut fixed = second.record.data.clone();
    fixed.insert("sbp".into(), json!(152));
    fixed.insert("dbp".into(), json!(96));
    fixed.insert("classification".into(), json!("2"));
    let edited = c
        .update_service(vhr_app::UpdateServiceRequest {
            id: second.record.id.clone(),
            expected_version: 1,
            values: fixed.clone(),
            confirm: false,
        })
        .unwrap();
    assert_eq!(edited.record.version, 2);
    assert_eq!(
        edited.proposal.unwrap().next_step.as_deref(),
        Some("3"),
        "the previous visit (not this one's first version) was uncontrolled too"
    );
    let history = c.service_history(&second.record.id).unwrap();
    let changed: Vec<&str> = history[1].changes.iter().map(|ch| ch.field.as_str()).collect();
    assert_eq!(changed, vec!["classification", "dbp", "sbp"]);
    let stale = c
        .update_service(vhr_app::UpdateServiceRequest { id: second.record.id.clone(), expected_version: 1, values: fixed, confirm: false })
        .unwrap_err();
    assert_eq!(stale.code(), "version_conflict");
}

#[test]
fn the_elderly_annual_check_is_on_the_list_until_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "老人壬", (1950, 6, 1), json!([{"code": "1"}]));
    let list = c.worklist(today(), None).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].due.program, list[0].due.state), (Program::Elderly, DueState::Due));
    assert_eq!(list[0].due.reason.zh, "老年人年度健康体检 · 尚未体检");
    let exam = json!({
        "exam_date": "2026-11-21", "doctor": "李春华", "symptoms": ["1"], "evaluation": "1",
        "health_self": "2", "self_care": "1", "cognition": "1", "mood": "1"
    });
    add(&mut c, &id, "health_exam", exam.as_object().unwrap().clone()).unwrap();
    assert!(c.worklist(today(), None).unwrap().is_empty(), "checked this year; next year's check is beyond the horizon");
    let december = c.worklist(NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(), None).unwrap();
    assert_eq!((december[0].due.state, december[0].due.due_on.to_string().as_str()), (DueState::Scheduled, "2027-01-01"));
}
