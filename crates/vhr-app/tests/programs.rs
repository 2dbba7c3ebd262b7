//! Programmes on a real database: a pregnancy from registration to the
//! 42-day check, a TB patient from the management notice to the closing
//! assessment, a child's checks, exits with a reason, and forms that do not
//! apply refused with a clear message.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::{json, Value};
use vhr_app::{AddServiceRequest, Clinic, EndProgramRequest, EnrolRequest, Error, RegisterRequest};
use vhr_domain::forms::FormValues;
use vhr_domain::id_card::compose;
use vhr_domain::population::Tag;
use vhr_domain::programs::{DueState, Program};

/// "Today" in common::env() is 2026-11-21.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn person(c: &mut Clinic, name: &str, born: &str, seq: u16, diseases: Value) -> String {
    let mut i = input(name, &compose("450102", d(born), seq));
    i.basic_info.insert("past_diseases".into(), diseases);
    c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap().resident.resident.id
}

fn values(v: Value) -> FormValues {
    v.as_object().unwrap().clone()
}

fn add(c: &mut Clinic, resident: &str, form: &str, v: Value) -> Result<vhr_app::SavedService, Error> {
    c.add_service(AddServiceRequest { resident_id: resident.into(), form_id: form.into(), values: values(v), confirm: true })
}

fn due_for(c: &Clinic, resident: &str, program: Program, on: NaiveDate) -> Option<vhr_domain::programs::DueItem> {
    c.worklist(on, None).unwrap().into_iter().find(|i| i.resident.id == resident && i.due.program == program).map(|i| i.due)
}

fn prenatal_first(date: &str, lmp: &str) -> Value {
    json!({
        "visit_date": date, "gestational_week": 10, "gravidity": 1, "vaginal_births": 0, "caesareans": 0, "lmp": lmp,
        "past_history": ["1"], "family_history": ["1"], "personal_history": ["1"], "gyn_surgery": "1",
        "height": 160, "weight": 55, "sbp": 112, "dbp": 72, "heart": "1", "lungs": "1", "vulva": "1", "vagina": "1",
        "cervix": "1", "uterus": "1", "adnexa": "1", "hb": 125, "syphilis": "1", "hiv": "1", "assessment": "1",
        "guidance": ["1", "3"], "referral": "1", "next_date": "2026-12-20", "doctor": "李春华"
    })
}

#[test]
fn a_pregnancy_from_registration_to_the_42_day_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let woman = person(&mut c, "孕妇甲", "1998-03-08", 22, json!([{"code": "1"}]));
    assert_eq!(due_for(&c, &woman, Program::Maternal, today()), None, "not pregnant on record: no maternal care");
    assert!(c.forms_for(&woman).unwrap().contains(&"prenatal_first".to_string()), "the registering form is offered");
    assert!(!c.forms_for(&woman).unwrap().contains(&"postpartum_visit".to_string()), "but not the programme's later forms");

    add(&mut c, &woman, "prenatal_first", prenatal_first("2026-11-20", "2026-09-15")).unwrap();
    assert!(c.resident(&woman).unwrap().tags.contains(&Tag::Maternal), "the tag follows the programme");
    let item = due_for(&c, &woman, Program::Maternal, d("2026-12-30")).expect("the 2nd prenatal visit is owed");
    assert_eq!((item.form_id.as_str(), item.visit.as_deref()), ("prenatal_followup", Some("2")));
    assert_eq!((item.due_on, item.window_end), (d("2027-01-05"), d("2027-02-08")), "weeks 16–20 from the LMP");
    let prefill = c.prefill(&woman, "prenatal_followup").unwrap();
    assert_eq!(prefill.get("visit_no"), None, "not due yet on the real today, so no visit is guessed");

    // The delivery is recorded on the postpartum visit; the schedule moves to the 42-day check.
    drop(c);
    let mut c = clinic_on(dir.path(), d("2027-08-05"));
    let pp = json!({
        "visit_date": "2027-06-28", "delivery_date": "2027-06-20", "discharge_date": "2027-06-23", "temperature": 36.8,
        "general": "良好", "mental": "良好", "sbp": 118, "dbp": 76, "breasts": "1", "lochia": "1", "uterus": "1", "wound": "1",
        "classification": "1", "guidance": ["4"], "referral": "1", "next_date": "2027-08-01", "doctor": "李春华"
    });
    add(&mut c, &woman, "postpartum_visit", pp).unwrap();
    let item = due_for(&c, &woman, Program::Maternal, d("2027-07-30")).unwrap();
    assert_eq!((item.form_id.as_str(), item.due_on), ("postpartum_42day", d("2027-08-01")), "42 days after the delivery");
    let check = json!({
        "visit_date": "2027-08-02", "general": "良好", "mental": "良好", "sbp": 116, "dbp": 74, "breasts": "1", "lochia": "1",
        "uterus": "1", "wound": "1", "classification": "1", "guidance": ["2", "3"], "handling": "1", "doctor": "李春华"
    });
    add(&mut c, &woman, "postpartum_42day", check).unwrap();
    let status = c.programs_of(&woman).unwrap();
    let maternal = status.iter().find(|s| s.program == Program::Maternal).unwrap();
    assert!(!maternal.active, "the 42-day check ends maternal care");
    let ep = &maternal.episodes[0].episode;
    assert_eq!((ep.ended_on, ep.end_reason.as_deref()), (Some(d("2027-08-02")), Some("1")), "ended by delivery, on the check's date");
    assert_eq!(ep.details.get("delivery_date"), Some(&json!("2027-06-20")), "the delivery noted from the postpartum visit");
    let history = c.episode_history(&ep.id).unwrap();
    assert_eq!(history.iter().map(|h| h.op.as_str()).collect::<Vec<_>>(), vec!["create", "update", "update"], "opened, noted, ended");
    assert!(!c.resident(&woman).unwrap().tags.contains(&Tag::Maternal));
}

#[test]
fn a_tb_patient_from_notice_to_closing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let patient = person(&mut c, "结核乙", "1975-07-01", 11, json!([{"code": "1"}]));
    let outbox_before = c.counts().unwrap().outbox_pending;
    c.enrol(EnrolRequest {
        resident_id: patient.clone(),
        program: Program::Tuberculosis,
        started_on: d("2026-11-20"),
        details: values(json!({"notice_date": "2026-11-20"})),
    })
    .unwrap();
    assert_eq!(c.counts().unwrap().outbox_pending, outbox_before + 1, "the registration travels to the platform");
    let item = due_for(&c, &patient, Program::Tuberculosis, today()).unwrap();
    assert_eq!((item.form_id.as_str(), item.window_end, item.state), ("tb_first_visit", d("2026-11-23"), DueState::Due), "within 72 hours");
    assert_eq!(c.prefill(&patient, "tb_first_visit").unwrap().get("notice_date"), Some(&json!("2026-11-20")), "the notice carries over");

    let first = json!({
        "notice_date": "2026-11-20", "visit_date": "2026-11-21", "method": "2", "patient_type": "1", "sputum": "1", "resistance": "2",
        "supervisor": "2", "symptoms": ["1"], "regimen": "2HRZE/4HR", "usage": "1", "dosage_form": ["1"], "own_room": "1",
        "ventilation": "1", "pickup_place": "县结核病定点医院", "dosing_card": "1", "dosing_method": "1", "education": ["1", "2"],
        "next_date": "2026-12-01", "doctor": "李春华"
    });
    let saved = add(&mut c, &patient, "tb_first_visit", first).unwrap();
    assert_eq!(saved.proposal.unwrap().next_date, d("2026-12-01"), "family supervision in the intensive phase: 10 days");
    let item = due_for(&c, &patient, Program::Tuberculosis, d("2026-12-01")).unwrap();
    assert_eq!((item.form_id.as_str(), item.due_on), ("tb_followup", d("2026-12-01")));

    let closing = json!({
        "stop_date": "2026-11-21", "stop_reason": "2", "visits_planned": 1, "visits_done": 1, "doses_planned": 2, "doses_taken": 3,
        "doctor": "李春华"
    });
    let refused = add(&mut c, &patient, "tb_closing", closing.clone()).unwrap_err();
    assert_eq!(refused.to_wire(vhr_domain::i18n::Lang::Zh).problems[0].code, "rule.at_most", "more doses taken than due is impossible");
    let mut closing = closing;
    closing["doses_taken"] = json!(2);
    let saved = add(&mut c, &patient, "tb_closing", closing).unwrap();
    assert_eq!(saved.record.data.get("dose_rate"), Some(&json!(100.0)), "the dose rate is derived");
    let tb = c.programs_of(&patient).unwrap().into_iter().find(|s| s.program == Program::Tuberculosis).unwrap();
    assert_eq!((tb.active, tb.episodes[0].episode.end_reason.as_deref()), (false, Some("4")), "died → programme exit reason 4");
    assert_eq!(due_for(&c, &patient, Program::Tuberculosis, d("2026-12-01")), None);
}

#[test]
fn leaving_a_derived_programme_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let patient = person(&mut c, "高血压丙", "1960-02-02", 11, json!([{"code": "2", "date": "2015-01"}]));
    assert!(due_for(&c, &patient, Program::Hypertension, today()).is_some());
    let no_reason = c
        .end_program(EndProgramRequest {
            resident_id: patient.clone(),
            program: Program::Hypertension,
            ended_on: today(),
            reason: "42".into(),
            note: None,
        })
        .unwrap_err();
    assert_eq!(
        serde_json::to_value(no_reason.to_wire(vhr_domain::i18n::Lang::Zh)).unwrap(),
        json!({"code": "invalid", "message": "有 1 处需要修改，请查看标红的项目", "problems": [
            {"field": "reason", "code": "program.reason", "severity": "error", "message": {"zh": "请选择退出管理的原因", "en": "Choose why the programme ends"}}
        ]}),
        "an unknown reason code is refused with the field named"
    );
    let early = c
        .end_program(EndProgramRequest {
            resident_id: patient.clone(),
            program: Program::Hypertension,
            ended_on: d("2026-11-01"),
            reason: "5".into(),
            note: None,
        })
        .unwrap_err();
    assert_eq!(
        early.to_wire(vhr_domain::i18n::Lang::Zh).problems[0].code,
        "program.end_before_start",
        "registered today, so it cannot end before"
    );
    c.end_program(EndProgramRequest {
        resident_id: patient.clone(),
        program: Program::Hypertension,
        ended_on: today(),
        reason: "5".into(),
        note: Some("迁往广州".into()),
    })
    .unwrap();
    assert_eq!(due_for(&c, &patient, Program::Hypertension, today()), None, "moved away: no more follow-ups");
    let htn = c.programs_of(&patient).unwrap().into_iter().find(|s| s.program == Program::Hypertension).unwrap();
    let ep = &htn.episodes[0].episode;
    assert_eq!((ep.started_on, ep.ended_on, ep.end_note.as_deref()), (today(), Some(today()), Some("迁往广州")));
}

#[test]
fn forms_that_do_not_apply_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let man = person(&mut c, "男丁", "1990-01-01", 11, json!([{"code": "1"}]));
    let err = add(&mut c, &man, "prenatal_first", prenatal_first("2026-11-20", "2026-09-15")).unwrap_err();
    let wire = err.to_wire(vhr_domain::i18n::Lang::Zh);
    assert_eq!(wire.code, "invalid");
    assert!(
        wire.problems.iter().any(|p| p.code == "form.not_applicable" && p.message.zh == "此表仅适用于女性"),
        "a prenatal form for a man is refused, in words"
    );
    assert!(c.timeline(&man).unwrap().is_empty(), "nothing stored");
    assert!(c.programs_of(&man).unwrap().is_empty(), "and no pregnancy registered");
    let forms = c.forms_for(&man).unwrap();
    assert!(!forms.iter().any(|f| f.starts_with("prenatal") || f.starts_with("child_") || f == "newborn_visit"), "{forms:?}");
    assert!(forms.contains(&"health_exam".to_string()) && forms.contains(&"mental_supplement".to_string()));
}

#[test]
fn a_baby_is_owed_the_newborn_visit_and_the_checks_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let baby = person(&mut c, "宝宝丁", "2026-11-16", 12, json!([{"code": "1"}]));
    let item = due_for(&c, &baby, Program::Child, today()).unwrap();
    assert_eq!((item.form_id.as_str(), item.state), ("newborn_visit", DueState::Due));
    assert!(c.forms_for(&baby).unwrap().contains(&"newborn_visit".to_string()));
    let visit = json!({
        "mother_name": "宝妈", "gestational_weeks": 39, "maternal_illness": ["1"], "birth_mode": ["1"], "asphyxia": "1",
        "malformation": "1", "hearing_screen": "1", "disease_screen": ["2"], "birth_weight": 3.2, "weight": 3.3,
        "birth_length": 50, "feeding": "1", "vomiting": "1", "stool": "1", "temperature": 36.7, "complexion": "1",
        "jaundice": ["1"], "fontanelle": "1", "eyes": "1", "limbs": "1", "ears": "1", "neck_mass": "1", "nose": "1",
        "skin": "1", "mouth": "1", "anus": "1", "heart_lung": "1", "genitals": "1", "abdomen": "1", "spine": "1",
        "umbilicus": "1", "referral": "1", "guidance": ["1"], "visit_date": "2026-11-21", "next_date": "2026-12-14", "doctor": "李春华"
    });
    add(&mut c, &baby, "newborn_visit", visit).unwrap();
    let item = due_for(&c, &baby, Program::Child, d("2026-12-10")).unwrap();
    assert_eq!((item.form_id.as_str(), item.visit.as_deref(), item.due_on), ("child_check_infant", Some("1"), d("2026-12-14")));
    drop(c);
    let c = clinic_on(dir.path(), d("2026-12-14"));
    let prefill = c.prefill(&baby, "child_check_infant").unwrap();
    assert_eq!(prefill.get("visit_age"), Some(&json!("1")), "the form opens on the 1-month column");
}

#[test]
fn an_install_sets_its_own_intervals_and_the_schedule_follows() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let baby = person(&mut c, "宝宝戊", "2026-08-20", 12, json!([{"code": "1"}]));
    let item = due_for(&c, &baby, Program::Child, today()).unwrap();
    assert_eq!((item.visit.as_deref(), item.window_end), (Some("2"), d("2026-12-05")), "3 months ± the default 15 days");
    drop(c);

    std::fs::write(dir.path().join("programs.json"), r#"{"child_tolerance_days": 5}"#).unwrap();
    let c = clinic(dir.path());
    let item = due_for(&c, &baby, Program::Child, today()).unwrap();
    assert_eq!((item.due_on, item.window_end), (d("2026-11-15"), d("2026-11-25")), "the kept schedule was recomputed with ± 5 days");
    drop(c);

    // A misspelt key, then absurd values: refused, named, and the clinic runs
    // on the thresholds last in force (± 5 days), never on half a file.
    std::fs::write(dir.path().join("programs.json"), r#"{"child_tolerence_days": 5}"#).unwrap();
    let c =
        vhr_app::Install::at(dir.path(), env()).unwrap().sign_in("li", PASSWORD).expect("a wrong programs.json does not stop the clinic");
    let wire = c.startup_problems()[0].to_wire(vhr_domain::i18n::Lang::Zh);
    assert_eq!(wire.code, "configuration");
    assert!(
        wire.message.contains("programs.json") && wire.problems[0].message.zh.contains("child_tolerence_days"),
        "names the file and the key: {wire:?}"
    );
    let item = due_for(&c, &baby, Program::Child, today()).unwrap();
    assert_eq!(item.window_end, d("2026-11-25"), "the last thresholds in force stay");
    drop(c);

    std::fs::write(dir.path().join("programs.json"), r#"{"routine_months": 0, "grace_days": -7, "fbg_urgent_low": 9}"#).unwrap();
    let mut c = vhr_app::Install::at(dir.path(), env()).unwrap().sign_in("li", PASSWORD).unwrap();
    let fields: Vec<String> = c.startup_problems()[0].to_wire(vhr_domain::i18n::Lang::En).problems.into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["grace_days", "routine_months", "fbg_target"], "every value out of range, by its key");
    let item = due_for(&c, &baby, Program::Child, today()).unwrap();
    assert_eq!(item.window_end, d("2026-11-25"), "nothing of the refused file is applied");
    assert_eq!(c.app_state("test").unwrap().startup_problems.len(), 1, "the window is told at start");
}

#[test]
fn a_follow_up_that_finds_the_patient_lost_or_dead_ends_the_programmes() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let both = json!([{"code": "2", "date": "2015-01"}, {"code": "3", "date": "2018-06"}]);
    let lost = person(&mut c, "失访甲", "1950-04-04", 13, both.clone());
    let dead = person(&mut c, "死亡乙", "1948-05-05", 15, both);
    for p in [&lost, &dead] {
        assert!(due_for(&c, p, Program::Hypertension, today()).is_some(), "a hypertension patient is owed a follow-up");
        assert!(due_for(&c, p, Program::Diabetes, today()).is_some(), "and a diabetes follow-up");
    }

    let no_reason =
        add(&mut c, &lost, "hypertension_followup", json!({"visit_date": "2026-11-20", "outcome_status": "2", "doctor": "李春华"}))
            .unwrap_err();
    let fields: Vec<String> = no_reason.to_wire(vhr_domain::i18n::Lang::Zh).problems.into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["values.lost_reason"], "lost to follow-up needs its reason, and no readings (V8)");
    add(
        &mut c,
        &lost,
        "hypertension_followup",
        json!({"visit_date": "2026-11-20", "outcome_status": "2", "lost_reason": "外出打工，联系不上", "doctor": "李春华"}),
    )
    .unwrap();
    assert_eq!(due_for(&c, &lost, Program::Hypertension, today()), None, "lost: the hypertension programme ends");
    assert!(due_for(&c, &lost, Program::Diabetes, today()).is_some(), "a loss ends only the form's programme");
    let htn = c.programs_of(&lost).unwrap().into_iter().find(|s| s.program == Program::Hypertension).unwrap();
    let ep = &htn.episodes.last().unwrap().episode;
    assert_eq!((ep.ended_on, ep.end_reason.as_deref()), (Some(d("2026-11-20")), Some("8")), "ended on the visit, reason 8 (lost)");

    // Recorded first as lost on the diabetes follow-up, then corrected: the patient had died.
    let lost_first = add(
        &mut c,
        &dead,
        "diabetes_followup",
        json!({"visit_date": "2026-11-20", "outcome_status": "2", "lost_reason": "家中无人", "doctor": "李春华"}),
    )
    .unwrap();
    let ended: Vec<&str> = lost_first.ended_programs.iter().map(|l| l.zh.as_str()).collect();
    assert_eq!(ended, ["糖尿病随访"], "the save says which programme it ended");
    let correct = |values: Value, confirm: bool| vhr_app::UpdateServiceRequest {
        id: lost_first.record.id.clone(),
        expected_version: 1,
        values: self::values(values),
        confirm,
    };
    let died = json!({"visit_date": "2026-11-20", "outcome_status": "3", "death_date": "2026-11-12", "doctor": "李春华"});
    let no_cause = c.update_service(correct(died.clone(), true)).unwrap_err();
    let fields: Vec<String> = no_cause.to_wire(vhr_domain::i18n::Lang::Zh).problems.into_iter().map(|p| p.field).collect();
    assert_eq!(fields, ["values.death_cause"], "a death needs its cause");
    let mut died = died;
    died["death_cause"] = json!("脑出血");
    let asked = c.update_service(correct(died.clone(), false)).unwrap_err();
    assert_eq!(
        serde_json::to_value(asked.to_wire(vhr_domain::i18n::Lang::Zh)).unwrap(),
        json!({"code": "needs_confirmation", "message": "请确认后再保存：保存后，高血压随访、老年人年度健康体检将随之结束", "problems": [
            {"field": "values.outcome_status", "code": "followup.ends_programmes", "severity": "warning",
             "message": {"zh": "保存后，高血压随访、老年人年度健康体检将随之结束", "en": "Saving this ends Hypertension follow-up, Annual check (65+)"}}
        ]}),
        "what a death will end is said before anything ends"
    );
    let saved = c.update_service(correct(died, true)).unwrap();
    let ended: Vec<&str> = saved.ended_programs.iter().map(|l| l.zh.as_str()).collect();
    assert_eq!(ended, ["高血压随访", "老年人年度健康体检"], "the correction ends what was still open");
    let active: Vec<Program> = c.programs_of(&dead).unwrap().into_iter().filter(|s| s.active).map(|s| s.program).collect();
    assert_eq!(active, [], "a death ends every programme, the elderly annual check included");
    let ends: Vec<(Program, Option<NaiveDate>, Option<String>)> = c
        .programs_of(&dead)
        .unwrap()
        .into_iter()
        .map(|s| {
            let ep = &s.episodes.last().unwrap().episode;
            (s.program, ep.ended_on, ep.end_reason.clone())
        })
        .collect();
    assert_eq!(
        ends,
        [
            (Program::Hypertension, Some(d("2026-11-12")), Some("4".to_string())),
            (Program::Diabetes, Some(d("2026-11-20")), Some("8".to_string())),
            (Program::Elderly, Some(d("2026-11-12")), Some("4".to_string())),
        ],
        "diabetes ended first as lost; the others on the date of death"
    );
    assert!(c.worklist(today(), None).unwrap().iter().all(|i| i.resident.id != dead), "nothing is owed by a patient who died");
}
