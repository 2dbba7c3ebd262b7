//! Closing a record and reopening it (issue #13, spec §9.2) on a real
//! database: a death recorded on a follow-up proposes the closure; each
//! reason ends every programme with its date and reason, takes the record
//! off the work list and out of default searches, keeps it findable by
//! status and number, sends it to the platform with its facts, and a
//! reopening brings the programmes back — all in the record's history.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::{json, Value};
use vhr_app::{AddServiceRequest, Clinic, CloseRequest, Error, RegisterRequest, ReopenRequest, SearchRequest};
use vhr_domain::closure::{ClosureReason, Handover};
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::compose;
use vhr_domain::programs::Program;
use vhr_domain::resident::RecordStatus;
use vhr_store::StatusFilter;

/// "Today" in common::env() is 2026-11-21.
fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A hypertensive 76-year-old: in the hypertension programme and the annual check.
fn patient(c: &mut Clinic, name: &str, seq: u16) -> String {
    let mut i = input(name, &compose("450102", d("1950-05-05"), seq));
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2015-03"}]));
    // Past the likely-duplicate warning: some tests register one person twice.
    c.register(RegisterRequest { resident: i, household: None, confirm: true }).unwrap().resident.resident.id
}

fn close(c: &mut Clinic, id: &str, on: &str, reason: ClosureReason) -> Result<vhr_app::Lifecycle, Error> {
    let version = c.resident(id).unwrap().resident.version;
    c.close_record(CloseRequest { resident_id: id.into(), expected_version: version, on: Some(d(on)), reason })
}

fn reopen(c: &mut Clinic, id: &str, on: &str, why: &str) -> Result<vhr_app::Lifecycle, Error> {
    let version = c.resident(id).unwrap().resident.version;
    c.reopen_record(ReopenRequest { resident_id: id.into(), expected_version: version, on: Some(d(on)), why: why.into() })
}

fn found(c: &Clinic, query: &str, status: StatusFilter) -> Vec<String> {
    let req = SearchRequest { query: query.into(), village: None, tag: None, status, limit: None };
    c.search(&req).unwrap().into_iter().map(|r| r.name).collect()
}

fn on_list(c: &Clinic, id: &str) -> Vec<Program> {
    c.worklist(d("2026-11-21"), None).unwrap().into_iter().filter(|i| i.resident.id == id).map(|i| i.due.program).collect()
}

/// (programme, ended on, reason) of every episode that ended.
fn ended(c: &Clinic, id: &str) -> Vec<(Program, Option<NaiveDate>, Option<String>)> {
    let mut out: Vec<_> = c
        .programs_of(id)
        .unwrap()
        .into_iter()
        .flat_map(|s| s.episodes)
        .filter(|e| e.episode.ended_on.is_some())
        .map(|e| (e.episode.program, e.episode.ended_on, e.episode.end_reason))
        .collect();
    out.sort();
    out
}

fn problem_codes(e: &Error) -> Vec<(String, String)> {
    e.to_wire(Lang::Zh).problems.into_iter().map(|p| (p.field, p.code)).collect()
}

#[test]
fn a_death_on_a_follow_up_proposes_the_closure_which_ends_everything_and_hides_the_record_from_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "王老汉", 11);
    let other = patient(&mut c, "王老二", 12);
    assert!(on_list(&c, &id).contains(&Program::Hypertension), "a hypertension patient is on the list before");

    let visit =
        json!({"visit_date": "2026-11-20", "outcome_status": "3", "death_date": "2026-11-12", "death_cause": "脑出血", "doctor": "李春华"});
    let saved = c
        .add_service(AddServiceRequest {
            resident_id: id.clone(),
            form_id: "hypertension_followup".into(),
            values: visit.as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap();
    let proposed = saved.proposed_closure.expect("a death on a follow-up proposes closing the record");
    assert_eq!((proposed.on, proposed.cause.as_str()), (d("2026-11-12"), "脑出血"), "on the date of death, for its cause");
    assert_eq!(c.resident(&id).unwrap().resident.status, RecordStatus::Active, "proposed, not done: the doctor decides");

    let done = close(&mut c, &id, &proposed.on.to_string(), ClosureReason::Died { cause: proposed.cause.clone() }).unwrap();
    let r = &done.resident.resident;
    assert_eq!(r.status, RecordStatus::Dead);
    let closure = r.closure.as_ref().expect("the closure is on the record");
    assert_eq!(
        (closure.on, closure.reason.clone(), closure.closed_by.as_str()),
        (d("2026-11-12"), ClosureReason::Died { cause: "脑出血".into() }, "李春华")
    );
    assert!(done.programs.is_empty(), "the follow-up ended the programmes already (a death ends them all): {:?}", done.programs);
    assert_eq!(
        ended(&c, &id),
        [(Program::Hypertension, Some(d("2026-11-12")), Some("4".into())), (Program::Elderly, Some(d("2026-11-12")), Some("4".into()))],
        "every programme ended on the date of death, reason 4"
    );
    assert!(on_list(&c, &id).is_empty(), "off the work list");
    assert_eq!(found(&c, "王老", StatusFilter::Active), ["王老二"], "default searches leave the closed record out");
    assert_eq!(found(&c, "王老", StatusFilter::Closed), ["王老汉"], "findable with the status filter");
    assert_eq!(found(&c, "", StatusFilter::All).len(), 2);
    assert_eq!(found(&c, &r.record_no, StatusFilter::Active), ["王老汉"], "a full record number finds its record whatever its status");
    assert_eq!(c.resident(&r.record_no).unwrap().resident.status, RecordStatus::Dead, "and it opens, showing its status");

    let refused = c
        .add_service(AddServiceRequest {
            resident_id: id.clone(),
            form_id: "hypertension_followup".into(),
            values: json!({"visit_date": "2026-11-21"}).as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap_err();
    assert_eq!(
        problem_codes(&refused),
        [("resident_id".to_string(), "closure.closed".to_string())],
        "a closed record takes no new services"
    );
    assert!(refused.to_wire(Lang::Zh).problems[0].message.zh.contains("死亡，2026-11-12"), "says why and since when");

    let again = close(&mut c, &id, "2026-11-12", ClosureReason::Died { cause: "脑出血".into() }).unwrap_err();
    assert_eq!(problem_codes(&again), [("status".to_string(), "closure.already_closed".to_string())]);

    // Printed with its status: the card's notes line and the form's header.
    assert_eq!(c.card(&id).unwrap().notes, "档案已结案：死亡，2026-11-12");
    let card = c.print_cards(&vhr_app::CardsRequest::Residents { ids: vec![id.clone()] }, &mut |_, _| true).unwrap();
    assert_eq!(card.count, 1, "a closed record named on its own still prints, saying it is closed");
    let village = c.print_cards(&vhr_app::CardsRequest::Village { code: "101".into() }, &mut |_, _| true).unwrap();
    assert_eq!(village.count, 1, "a village's batch takes only the records in the register");
    let printed = c.print_basic_info(&id).unwrap();
    let pdf = dir.path().join("basic.pdf");
    std::fs::write(&pdf, &printed.pdf).unwrap();
    let text = std::process::Command::new("pdftotext").args([pdf.to_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("档案已结案：死亡，2026-11-12"), "the printed form says the record is closed: {text}");

    let history = c.history(&id).unwrap();
    let last = history.last().unwrap();
    let fields: Vec<&str> = last.changes.iter().map(|ch| ch.field.as_str()).collect();
    assert!(
        fields.contains(&"status") && fields.iter().any(|f| f.starts_with("closure")),
        "the closure is a version in the history: {fields:?}"
    );
    assert!(on_list(&c, &other).contains(&Program::Hypertension), "the other patient is untouched");
}

#[test]
fn moving_away_keeps_the_handover_record_and_moving_back_takes_the_programmes_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "李桂英", 21);
    let moved = ClosureReason::MovedAway {
        destination_institution: " 青秀区中山街道社区卫生服务中心 ".into(),
        destination_address: "南宁市青秀区中山路1号".into(),
        handover: Handover { handed_over_by: String::new(), received_by: "张医生".into(), items: "纸质档案1份".into() },
    };
    let done = close(&mut c, &id, "2026-10-01", moved).unwrap();
    assert_eq!(done.programs, [Program::Hypertension, Program::Elderly], "the programmes the closure ended");
    let closure = done.resident.resident.closure.clone().unwrap();
    let ClosureReason::MovedAway { destination_institution, handover, .. } = &closure.reason else { panic!("{closure:?}") };
    assert_eq!(destination_institution, "青秀区中山街道社区卫生服务中心", "trimmed");
    assert_eq!(handover.handed_over_by, "李春华", "handed over by the user who closed it");
    assert_eq!(done.resident.resident.status, RecordStatus::MovedOut);
    assert_eq!(
        ended(&c, &id),
        [(Program::Hypertension, Some(d("2026-10-01")), Some("5".into())), (Program::Elderly, Some(d("2026-10-01")), Some("5".into()))],
        "ended on the day of the move, reason 5 moved away"
    );
    assert!(on_list(&c, &id).is_empty());

    let early = reopen(&mut c, &id, "2026-09-30", "搬回本村").unwrap_err();
    assert_eq!(problem_codes(&early), [("on".to_string(), "closure.reopen_before".to_string())]);
    let no_reason = reopen(&mut c, &id, "2026-11-01", " ").unwrap_err();
    assert_eq!(problem_codes(&no_reason), [("why".to_string(), "required".to_string())]);

    let back = reopen(&mut c, &id, "2026-11-01", "搬回本村居住").unwrap();
    let r = &back.resident.resident;
    assert_eq!((r.status, r.closure.is_none()), (RecordStatus::Active, true));
    let reopened = r.reopened.as_ref().expect("the reopening is kept");
    assert_eq!((reopened.on, reopened.why.as_str(), reopened.by.as_str()), (d("2026-11-01"), "搬回本村居住", "李春华"));
    assert_eq!(back.programs, [Program::Hypertension, Program::Elderly], "both programmes start again");
    let active: Vec<Program> = c.programs_of(&id).unwrap().into_iter().filter(|s| s.active).map(|s| s.program).collect();
    assert_eq!(active, [Program::Hypertension, Program::Elderly]);
    let hypertension = c.programs_of(&id).unwrap().into_iter().find(|s| s.program == Program::Hypertension).unwrap();
    assert_eq!(hypertension.episodes.len(), 2, "the ended episode stays, a new one starts");
    assert_eq!(hypertension.episodes[1].episode.started_on, d("2026-11-01"));
    assert!(on_list(&c, &id).contains(&Program::Hypertension), "back on the work list");
    assert_eq!(found(&c, "李桂英", StatusFilter::Active), ["李桂英"]);

    // The whole story is in the history: registered, closed, reopened.
    let history = c.history(&id).unwrap();
    let statuses: Vec<Value> =
        history.iter().filter_map(|h| h.changes.iter().find(|ch| ch.field == "status").map(|ch| ch.new.clone())).collect();
    assert_eq!(statuses, [json!("moved_out"), json!("active")]);
}

#[test]
fn a_closure_says_what_is_missing_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let id = patient(&mut c, "赵大山", 31);
    let before = c.history(&id).unwrap().len();
    // (date, reason, the problems expected: field and code)
    type Case<'a> = (Option<&'a str>, ClosureReason, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (None, ClosureReason::Died { cause: String::new() }, vec![("on", "required"), ("cause", "required")]),
        (Some("2026-11-22"), ClosureReason::Lost { why: "外出".into() }, vec![("on", "date.future")]),
        (Some("1949-01-01"), ClosureReason::Other { why: "x".into() }, vec![("on", "closure.before_birth")]),
        (Some("2026-11-01"), ClosureReason::Lost { why: "\u{0}\u{7}".into() }, vec![("why", "required")]),
        (
            Some("2026-11-01"),
            ClosureReason::Duplicate { survivor_id: "x".into(), survivor_record_no: "y".into() },
            vec![("reason", "closure.duplicate_by_merge")],
        ),
    ];
    for (on, reason, expected) in cases {
        let version = c.resident(&id).unwrap().resident.version;
        let e = c
            .close_record(CloseRequest { resident_id: id.clone(), expected_version: version, on: on.map(d), reason: reason.clone() })
            .unwrap_err();
        let got = problem_codes(&e);
        let expected: Vec<(String, String)> = expected.into_iter().map(|(a, b)| (a.into(), b.into())).collect();
        assert_eq!(got, expected, "{reason:?} on {on:?}");
    }
    // An edit made meanwhile in another window: the closure is refused, not applied to a record the user did not see.
    let stale = c.resident(&id).unwrap().resident.version;
    let mut edit = c.resident(&id).unwrap().resident.data;
    edit.phone = "13900139000".into();
    c.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: stale, resident: edit, confirm: true }).unwrap();
    let e = c
        .close_record(CloseRequest {
            resident_id: id.clone(),
            expected_version: stale,
            on: Some(d("2026-11-01")),
            reason: ClosureReason::Lost { why: "外出".into() },
        })
        .unwrap_err();
    assert_eq!(e.code(), "version_conflict", "{e:?}");
    assert_eq!(c.history(&id).unwrap().len(), before + 1, "only the edit was stored");
    assert!(ended(&c, &id).is_empty(), "no programme ended");
    let not_closed = reopen(&mut c, &id, "2026-11-01", "x").unwrap_err();
    assert_eq!(problem_codes(&not_closed), [("status".to_string(), "closure.not_closed".to_string())]);
}

#[test]
fn a_closed_record_travels_with_its_facts_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let died = patient(&mut c, "钱一", 41);
    let moved = patient(&mut c, "钱二", 42);
    let lost = patient(&mut c, "钱三", 43);
    close(&mut c, &died, "2026-11-02", ClosureReason::Died { cause: "肺癌".into() }).unwrap();
    close(
        &mut c,
        &moved,
        "2026-11-03",
        ClosureReason::MovedAway {
            destination_institution: "邕宁区卫生院".into(),
            destination_address: String::new(),
            handover: Handover { handed_over_by: String::new(), received_by: String::new(), items: "纸质档案1份".into() },
        },
    )
    .unwrap();
    close(&mut c, &lost, "2026-11-04", ClosureReason::Lost { why: "外出务工，联系不上".into() }).unwrap();
    reopen(&mut c, &lost, "2026-11-20", "已返乡").unwrap();

    let out = dir.path().join("export");
    c.export_fhir(&out, &mut |_, _| {}).unwrap();
    let patients: Vec<Value> =
        std::fs::read_to_string(out.join("Patient.ndjson")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let cfg = vhr_fhir::FhirConfig::default();
    for p in &patients {
        let id = p["id"].as_str().unwrap();
        let local = c.resident(id).unwrap().resident;
        let read = vhr_fhir::read_patient(p, &cfg).unwrap();
        assert_eq!(
            (read.status, &read.closure, &read.reopened),
            (local.status, &local.closure, &local.reopened),
            "{} reads back",
            local.data.name
        );
        assert_eq!(p["active"], json!(local.status == RecordStatus::Active));
    }
    let dead = patients.iter().find(|p| p["id"] == died.as_str()).unwrap();
    assert_eq!(dead["deceasedDateTime"], "2026-11-02", "the date of death as FHIR's deceased");
    let text = serde_json::to_string(&patients).unwrap();
    assert!(!text.contains("\"valueString\":\"\""), "no empty values travel (FHIR forbids them)");
}

/// A second record of the same person: same name and birth date, no ID
/// number (registered past the duplicate warning).
fn second_record(c: &mut Clinic, name: &str, id_document: Value) -> vhr_app::Saved {
    let mut i = input(name, "");
    i.id_document = serde_json::from_value(id_document).unwrap();
    i.sex = Some(vhr_domain::resident::Sex::Male);
    i.birth_date = Some(d("1950-05-05"));
    i.phone = String::new();
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2015-03"}]));
    c.register(RegisterRequest { resident: i, household: None, confirm: true }).unwrap()
}

fn merge(c: &mut Clinic, keep: &str, duplicate: &str, confirm: bool) -> Result<vhr_app::Lifecycle, Error> {
    let (k, d) = (c.resident(keep).unwrap().resident, c.resident(duplicate).unwrap().resident);
    c.merge_records(vhr_app::MergeRequest {
        keep_id: k.id,
        keep_version: k.version,
        duplicate_id: d.id,
        duplicate_version: d.version,
        confirm,
    })
}

#[test]
fn a_duplicate_merges_into_the_record_kept_with_every_service_record_and_its_number_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let keep = patient(&mut c, "王秀峰", 51);
    let dup = second_record(&mut c, "王秀峰", json!({"kind": "none"}));
    let dup_id = dup.resident.resident.id.clone();
    let dup_no = dup.resident.resident.record_no.clone();
    let visit = json!({"visit_date": "2026-11-10", "subjective": "头晕", "assessment": "血压偏高", "plan": "复查", "doctor": "李春华"});
    let moved = c
        .add_service(AddServiceRequest {
            resident_id: dup_id.clone(),
            form_id: "visit_record".into(),
            values: visit.as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap()
        .record;

    let preview = c.merge_preview(&keep, &dup_id).unwrap();
    assert_eq!((preview.services, preview.problems.len()), (1, 0), "{preview:?}");
    let done = merge(&mut c, &keep, &dup_id, false).unwrap();
    let kept = &done.resident.resident;
    assert_eq!(kept.merged_from, [vhr_domain::closure::MergedRecord { id: dup_id.clone(), record_no: dup_no.clone() }]);
    assert_eq!(kept.data.phone, "13800138000", "what the record kept says stays");

    let cancelled = c.resident(&dup_id).unwrap().resident;
    assert_eq!(cancelled.status, RecordStatus::Cancelled);
    assert_eq!(cancelled.record_no, dup_no, "the duplicate keeps its number");
    let Some(ClosureReason::Duplicate { survivor_id, survivor_record_no }) = cancelled.closure.map(|c| c.reason) else {
        panic!("closed as a duplicate")
    };
    assert_eq!((survivor_id.as_str(), survivor_record_no.as_str()), (keep.as_str(), kept.record_no.as_str()));

    let service = c.service(&moved.id).unwrap();
    assert_eq!(service.resident_id, keep, "the service record moved");
    let history = c.service_history(&moved.id).unwrap();
    let change = &history.last().unwrap().changes[0];
    assert_eq!(
        (change.field.as_str(), &change.old, &change.new),
        ("resident_id", &json!(dup_id), &json!(keep)),
        "its history says from where"
    );
    assert!(c.timeline(&keep).unwrap().iter().any(|e| e.record.id == moved.id), "on the kept record's timeline");
    assert!(c.timeline(&dup_id).unwrap().is_empty());

    let by_number: Vec<String> = c
        .search(&SearchRequest { query: dup_no.clone(), village: None, tag: None, status: StatusFilter::Active, limit: None })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(by_number, [keep.clone(), dup_id.clone()], "the duplicate's number finds the record kept first");
    assert!(on_list(&c, &dup_id).is_empty(), "the duplicate owes nothing");
    assert_eq!(found(&c, "王秀峰", StatusFilter::Active).len(), 1, "one person, one record in the register");

    let again = merge(&mut c, &keep, &dup_id, true).unwrap_err();
    assert_eq!(problem_codes(&again), [("duplicate".to_string(), "merge.already_merged".to_string())]);
    let back = reopen(&mut c, &dup_id, "2026-11-21", "误合并").unwrap_err();
    assert_eq!(problem_codes(&back), [("status".to_string(), "closure.merged".to_string())], "a merged duplicate does not come back");

    // The platform learns of it as FHIR says it.
    let out = dir.path().join("export");
    c.export_fhir(&out, &mut |_, _| {}).unwrap();
    let patients: Vec<Value> =
        std::fs::read_to_string(out.join("Patient.ndjson")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let of = |id: &str| patients.iter().find(|p| p["id"] == id).unwrap();
    assert_eq!(of(&dup_id)["link"][0]["type"], "replaced-by");
    assert_eq!(of(&dup_id)["link"][0]["other"]["reference"], format!("Patient/{keep}"));
    assert_eq!(of(&keep)["link"][0]["type"], "replaces");
    let read = vhr_fhir::read_patient(of(&keep), &vhr_fhir::FhirConfig::default()).unwrap();
    assert_eq!(read.merged_from, kept.merged_from, "reads back");
}

#[test]
fn a_merge_refuses_two_people_asks_about_differences_and_takes_the_id_number_the_kept_record_lacked() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let a = patient(&mut c, "周建国", 61);
    let b = patient(&mut c, "周建国", 63);
    let two = merge(&mut c, &a, &b, true).unwrap_err();
    assert_eq!(problem_codes(&two), [("duplicate".to_string(), "merge.different_id_numbers".to_string())], "two ID numbers, two people");

    let keep = second_record(&mut c, "周建华", json!({"kind": "none"})).resident.resident.id;
    let asked = merge(&mut c, &keep, &a, false).unwrap_err();
    assert_eq!(asked.code(), "needs_confirmation");
    assert_eq!(problem_codes(&asked), [("duplicate".to_string(), "merge.name_differs".to_string())]);
    let id_number = c.resident(&a).unwrap().resident.data.id_document.citizen_number().unwrap().to_string();
    let done = merge(&mut c, &keep, &a, true).unwrap();
    assert_eq!(done.resident.resident.data.id_document.citizen_number(), Some(id_number.as_str()), "the record kept takes the ID number");
    assert_eq!(c.resident(&id_number).unwrap().resident.id, keep, "the ID number opens the record kept");
    let e = c.register(RegisterRequest { resident: input("周某", &id_number), household: None, confirm: true }).unwrap_err();
    assert_eq!(e.to_wire(Lang::Zh).resident_id.as_deref(), Some(keep.as_str()), "a new registration is sent to the record kept");
}
