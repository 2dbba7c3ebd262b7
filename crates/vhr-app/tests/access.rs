//! Who sees what (issue #12): a village doctor finds only the residents of
//! the villages assigned to them, by any path — search, record number, ID
//! number, history, timeline, card, work list, households — and changes
//! only those; a township supervisor sees every village and records
//! services but does not register; an administrator assigns villages.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{AddServiceRequest, Clinic, Install, NewUserRequest, RegisterRequest, SearchRequest};
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::compose;

fn everyone() -> SearchRequest {
    SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: None }
}

fn names(c: &Clinic, query: &str) -> Vec<String> {
    let mut found: Vec<String> =
        c.search(&SearchRequest { query: query.into(), ..everyone() }).unwrap().into_iter().map(|r| r.name).collect();
    found.sort();
    found
}

fn account(username: &str, role: &str, villages: &[&str]) -> NewUserRequest {
    NewUserRequest {
        username: username.into(),
        display_name: format!("{username}医生"),
        password: format!("{username}-password"),
        role: role.into(),
        phone: String::new(),
        villages: villages.iter().map(|v| v.to_string()).collect(),
    }
}

fn sign_in(dir: &std::path::Path, username: &str) -> Clinic {
    Install::at(dir, env()).unwrap().sign_in(username, &format!("{username}-password")).expect("signs in")
}

/// 张三 lives in 石桥村 (101), 李四 in 河口村 (102); both are over 65, so
/// both are on the work list.
struct Catchment {
    zhang: vhr_app::Saved,
    li: vhr_app::Saved,
}

fn catchment(admin: &mut Clinic) -> Catchment {
    let zhang = register(admin, "张三", &compose("450102", NaiveDate::from_ymd_opt(1950, 3, 1).unwrap(), 11));
    let mut other = input("李四", &compose("450102", NaiveDate::from_ymd_opt(1952, 6, 1).unwrap(), 13));
    other.village_code = "102".into();
    other.current_address = "河口村1组".into();
    let li = admin.register(RegisterRequest { resident: other, household: None, confirm: false }).unwrap();
    Catchment { zhang, li }
}

/// The catchment, and 王医生 (`wang`) keeping 河口村 (102) only.
fn with_wang_for_102(dir: &std::path::Path) -> Catchment {
    let mut admin = clinic(dir);
    let people = catchment(&mut admin);
    admin.add_user(account("wang", "doctor", &["102"])).unwrap();
    people
}

fn followup(resident_id: &str) -> AddServiceRequest {
    let values =
        json!({"visit_date": "2026-11-20", "subjective": "头晕两天", "assessment": "血压偏高", "plan": "复查血压", "doctor": "王医生"});
    AddServiceRequest {
        resident_id: resident_id.into(),
        form_id: "visit_record".into(),
        values: values.as_object().unwrap().clone(),
        confirm: true,
    }
}

#[test]
fn a_village_doctor_finds_only_their_villages_residents_by_any_path() {
    let dir = tempfile::tempdir().unwrap();
    let Catchment { zhang, li } = with_wang_for_102(dir.path());

    let wang = sign_in(dir.path(), "wang");
    assert_eq!(names(&wang, ""), vec!["李四"], "the list of everyone holds only 河口村");
    assert_eq!(names(&wang, "zs"), Vec::<String>::new(), "张三's initials find no one");
    assert_eq!(names(&wang, "张三"), Vec::<String>::new(), "nor does the name");
    let zhang_no = &zhang.resident.resident.record_no;
    let zhang_id = zhang.resident.resident.data.id_document.citizen_number().unwrap().to_string();
    for key in [zhang_no.as_str(), zhang_id.as_str(), zhang.resident.resident.id.as_str()] {
        assert_eq!(names(&wang, key), Vec::<String>::new(), "a search by {key} finds no one");
        assert_eq!(wang.resident(key).unwrap_err().code(), "not_found", "nor does opening {key} directly");
        assert_eq!(wang.card(key).unwrap_err().code(), "not_found", "nor printing the card of {key}");
        assert_eq!(wang.timeline(key).unwrap_err().code(), "not_found", "nor the timeline of {key}");
    }
    assert!(wang.history(&zhang.resident.resident.id).map(|h| h.is_empty()).unwrap_or(true), "no history of 张三 either");
    assert_eq!(wang.resident(&li.resident.resident.record_no).unwrap().resident.data.name, "李四", "their own village opens");

    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let due: Vec<String> = wang.worklist(today, None).unwrap().into_iter().map(|w| w.resident.name).collect();
    assert!(due.iter().all(|n| n == "李四") && !due.is_empty(), "the work list is their village's: {due:?}");
    assert!(wang.households(None, "").unwrap().iter().all(|h| h.village_code == "102"), "households of their village only");
}

#[test]
fn a_village_doctor_changes_only_their_villages_and_learns_nothing_of_others() {
    let dir = tempfile::tempdir().unwrap();
    let Catchment { zhang, li } = with_wang_for_102(dir.path());

    let mut wang = sign_in(dir.path(), "wang");
    let err = wang.add_service(followup(&zhang.resident.resident.id)).unwrap_err();
    assert_eq!(err.code(), "not_found", "a service for 张三 is refused as if there were no such resident");
    wang.add_service(followup(&li.resident.resident.id)).expect("a service in their own village is recorded");

    let refused = wang.register(RegisterRequest {
        resident: input("王五", &compose("450102", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), 15)),
        household: None,
        confirm: false,
    });
    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), "out_of_reach", "registering in 石桥村 (101) is not theirs to do");
    assert!(refused.message(Lang::Zh).contains("联系管理员"), "and says who can change it: {}", refused.message(Lang::Zh));

    // 张三's ID number again, in their own village: refused, without naming him.
    let mut again = input("张三", zhang.resident.resident.data.id_document.citizen_number().unwrap());
    again.village_code = "102".into();
    let wire = wang.register(RegisterRequest { resident: again, household: None, confirm: true }).unwrap_err().to_wire(Lang::Zh);
    assert_eq!(wire.problems[0].code, "id_number.elsewhere", "one person keeps one record across villages");
    let said = serde_json::to_string(&wire).unwrap();
    assert!(!said.contains(&zhang.resident.resident.record_no) && !said.contains(&zhang.resident.resident.id), "nor where: {said}");
    assert_eq!(wire.resident_id, None, "the window gets no link to open");
}

#[test]
fn a_supervisor_sees_the_township_and_records_services_but_does_not_register() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = clinic(dir.path());
    let Catchment { zhang, .. } = catchment(&mut admin);
    admin.add_user(account("zhou", "supervisor", &[])).unwrap();
    drop(admin);

    let mut zhou = sign_in(dir.path(), "zhou");
    assert_eq!(names(&zhou, ""), vec!["张三", "李四"], "every village");
    zhou.add_service(followup(&zhang.resident.resident.id)).expect("a supervision visit is recorded");
    let err = zhou.register(RegisterRequest {
        resident: input("王五", &compose("450102", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), 15)),
        household: None,
        confirm: false,
    });
    assert_eq!(err.unwrap_err().code(), "out_of_reach", "registration stays with village doctors and administrators");
}

#[test]
fn an_administrator_assigns_villages_which_hold_from_the_next_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = clinic(dir.path());
    catchment(&mut admin);
    let none = admin.add_user(account("wang", "doctor", &[])).unwrap_err().to_wire(Lang::Zh);
    assert_eq!(none.problems[0].code, "user.villages_empty", "a village doctor keeps at least one village");
    let unknown = admin.add_user(account("wang", "doctor", &["909"])).unwrap_err().to_wire(Lang::Zh);
    assert_eq!(unknown.problems[0].code, "user.village_unknown", "and only villages this clinic serves");
    admin.add_user(account("wang", "doctor", &["102"])).unwrap();
    assert_eq!(names(&sign_in(dir.path(), "wang"), ""), vec!["李四"]);

    let wang = admin.set_user_villages("wang", &["101".into(), "102".into()]).unwrap();
    assert_eq!(wang.villages, vec!["101", "102"]);
    let changed = admin.user_history("wang").unwrap();
    assert_eq!(changed.last().unwrap().changes[0].field, "villages", "the assignment is in the account's history");
    assert_eq!(changed.last().unwrap().changes[0].new, json!(["101", "102"]));
    assert_eq!(names(&sign_in(dir.path(), "wang"), ""), vec!["张三", "李四"], "from the next sign-in, both villages");

    let mut doctor = sign_in(dir.path(), "wang");
    assert_eq!(doctor.set_user_villages("wang", &["101".into()]).unwrap_err().code(), "forbidden", "a doctor does not assign villages");
}

#[test]
fn the_record_says_who_opened_it_and_the_trail_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let Catchment { zhang, li } = with_wang_for_102(dir.path());

    let wang = sign_in(dir.path(), "wang");
    wang.resident(&li.resident.resident.record_no).unwrap();
    assert!(wang.resident(&zhang.resident.resident.record_no).is_err());
    assert_eq!(wang.record_access_log(&zhang.resident.resident.id).unwrap_err().code(), "not_found", "nor who opened 张三");
    assert_eq!(wang.audit_verify(&[], None).unwrap_err().code(), "forbidden", "the whole trail is for administrators and supervisors");
    drop(wang);

    let admin = reopen(dir.path());
    let who: Vec<(String, String)> =
        admin.record_access_log(&li.resident.resident.id).unwrap().into_iter().map(|e| (e.user_name, e.action)).collect();
    assert_eq!(who, vec![("wang医生".into(), "open".into()), ("李春华".into(), "create".into())], "李四's record names who opened it");
    let check = admin.audit_verify(&[], None).unwrap();
    assert_eq!(check.broken_at, None, "{check:?}");
    assert!(check.entries >= 5, "the clinic, two residents, an account and an opening at least: {check:?}");
}

/// Closing and reopening follow the same reach: a doctor of 河口村 cannot
/// close 石桥村's 张三 by any key (he is not there for them), and a closed
/// record of another village never shows in their "closed" search either.
#[test]
fn a_village_doctor_closes_only_their_villages_records() {
    use vhr_app::{CloseRequest, ReopenRequest};
    use vhr_domain::closure::ClosureReason;
    let dir = tempfile::tempdir().unwrap();
    let Catchment { zhang, li } = with_wang_for_102(dir.path());
    let mut admin = reopen(dir.path());
    let died = || ClosureReason::Died { cause: "心梗".into() };
    let on = Some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    admin
        .close_record(CloseRequest { resident_id: zhang.resident.resident.id.clone(), expected_version: 1, on, reason: died() })
        .expect("the administrator reaches every village");
    let mut wang = sign_in(dir.path(), "wang");
    for key in [&zhang.resident.resident.id, &zhang.resident.resident.record_no] {
        let e = wang.reopen_record(ReopenRequest { resident_id: key.clone(), expected_version: 2, on, why: "x".into() }).unwrap_err();
        assert_eq!(e.code(), "not_found", "another village's record is not there, by {key}: {e:?}");
        let e = wang.close_record(CloseRequest { resident_id: key.clone(), expected_version: 2, on, reason: died() }).unwrap_err();
        assert_eq!(e.code(), "not_found", "{e:?}");
    }
    let closed = SearchRequest { status: vhr_store::StatusFilter::Closed, ..everyone() };
    assert!(wang.search(&closed).unwrap().is_empty(), "张三's closed record is out of 王医生's reach");
    wang.close_record(CloseRequest { resident_id: li.resident.resident.id.clone(), expected_version: 1, on, reason: died() })
        .expect("his own village's record closes");
    let names: Vec<String> = wang.search(&closed).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["李四"]);
}
