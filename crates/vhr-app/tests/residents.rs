//! Registering, finding, changing and grouping residents on a real database file.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{AddBlockRequest, Error, HouseholdChoice, RegisterRequest, SearchRequest, UpdateRequest};
use vhr_domain::clinic::SerialBlock;
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::compose;
use vhr_domain::population::Tag;
use vhr_domain::resident::Membership;

fn search(c: &vhr_app::Clinic, q: &str) -> Vec<String> {
    c.search(&SearchRequest { query: q.into(), village: None, tag: None, status: Default::default(), limit: None })
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[test]
fn registering_issues_a_number_and_prefills_from_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let saved = register(&mut c, "张三", "11010519491231002x");
    let r = &saved.resident.resident;
    assert_eq!(r.record_no, "45010210110100001", "first serial of village 101 in block 1–99999");
    assert_eq!(saved.resident.record_no_grouped, "450102 101 101 00001");
    assert_eq!(saved.resident.record_no_short, "101-00001");
    assert_eq!(r.data.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31));
    assert_eq!(r.data.sex.map(|s| s.code()), Some("2"));
    assert_eq!(r.version, 1);
    assert_eq!(r.created_by, "李春华");
    assert_eq!(saved.resident.tags, vec![Tag::Elderly]);
    assert_eq!(c.counts().unwrap().outbox_pending, 1, "the resident waits to be synced; the clinic setup stays on this install");
}

#[test]
fn search_finds_by_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    register(&mut c, "张三", "11010519491231002X");
    register(&mut c, "单田芳", &compose("450102", NaiveDate::from_ymd_opt(1960, 5, 6).unwrap(), 11));
    register(&mut c, "曾国藩", &compose("450102", NaiveDate::from_ymd_opt(1961, 5, 6).unwrap(), 13));
    assert_eq!(search(&c, "zs"), vec!["张三"]);
    assert_eq!(search(&c, "ZhangSan"), vec!["张三"]);
    assert_eq!(search(&c, "张"), vec!["张三"]);
    assert_eq!(search(&c, "shantianfang"), vec!["单田芳"], "单 as a surname reads shan");
    assert_eq!(search(&c, "stf"), vec!["单田芳"]);
    assert_eq!(search(&c, "zengguofan"), vec!["曾国藩"]);
    assert_eq!(search(&c, "11010519491231002x"), vec!["张三"]);
    assert_eq!(search(&c, "45010210110100001"), vec!["张三"]);
    assert_eq!(search(&c, "10100002"), vec!["单田芳"], "last 8 digits of the record number");
    assert_eq!(search(&c, "1380013"), vec!["张三", "单田芳", "曾国藩"], "phone prefix");
    assert!(search(&c, "wangwu").is_empty());
}

#[test]
fn an_id_number_on_file_blocks_a_second_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let first = register(&mut c, "张三", "11010519491231002X");
    let err = c.register(RegisterRequest { resident: input("张叁", "11010519491231002X"), household: None, confirm: true }).unwrap_err();
    let wire = serde_json::to_value(err.to_wire(Lang::Zh)).unwrap();
    assert_eq!(
        wire,
        json!({
            "code": "duplicate_id_number",
            "message": "该身份证号已建档：张三（档案号 45010210110100001），不能重复建档。可打开已有档案。",
            "resident_id": first.resident.resident.id,
        }),
        "the UI offers to open the existing record from resident_id"
    );
    assert_eq!(c.counts().unwrap().residents, 1, "nothing was stored");
}

#[test]
fn same_name_and_birth_date_warns_before_saving() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    register(&mut c, "王芳", "11010519491231002X");
    let mut twin = input("王芳", "");
    twin.id_document = vhr_domain::resident::IdDocument::Unknown;
    twin.sex = Some(vhr_domain::resident::Sex::Female);
    twin.birth_date = NaiveDate::from_ymd_opt(1949, 12, 31);
    let err = c.register(RegisterRequest { resident: twin.clone(), household: None, confirm: false }).unwrap_err();
    let Error::NeedsConfirmation(problems) = &err else { panic!("expected a warning, got {err:?}") };
    assert_eq!(problems[0].code, "duplicate.likely");
    assert!(problems[0].text(Lang::Zh).contains("45010210110100001"), "the warning names the other record");
    assert_eq!(c.counts().unwrap().residents, 1);
    let saved = c.register(RegisterRequest { resident: twin, household: None, confirm: true }).unwrap();
    assert_eq!(saved.warnings.len(), 1, "the confirmed warning is reported back");
    assert_eq!(c.counts().unwrap().residents, 2);
}

#[test]
fn bad_input_stores_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let mut bad = input("", "110105194912310021");
    bad.basic_info.insert("drug_allergy".into(), json!(["1", "2"]));
    bad.basic_info.insert("payment".into(), json!(["8"]));
    bad.basic_info.remove("ethnicity");
    let err = c.register(RegisterRequest { resident: bad, household: None, confirm: true }).unwrap_err();
    let Error::Invalid(problems) = &err else { panic!("expected invalid, got {err:?}") };
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        vec![
            ("name", "required"),
            ("id_document.number", "id_card.check_digit"),
            ("basic_info.ethnicity", "required"),
            ("basic_info.payment_text", "code.text_required"),
            ("basic_info.drug_allergy", "code.exclusive"),
        ]
    );
    assert_eq!(err.message(Lang::En), "5 item(s) need correcting; see the fields marked in red");
    assert_eq!(c.counts().unwrap().residents, 0);
    assert_eq!(c.counts().unwrap().outbox_pending, 0, "the failed save left nothing to sync");
}

#[test]
fn edits_keep_every_version_with_who_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let saved = register(&mut c, "张三", "11010519491231002X");
    let mut edit = saved.resident.resident.data.clone();
    edit.phone = "13900000000".into();
    edit.basic_info.insert("blood_abo".into(), json!("1"));
    let id = saved.resident.resident.id.clone();
    let v2 = c.update(UpdateRequest { id: id.clone(), expected_version: 1, resident: edit.clone(), confirm: false }).unwrap();
    assert_eq!(v2.resident.resident.version, 2);
    let history = c.history(&id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].user_name, "李春华");
    let changes: Vec<(String, serde_json::Value, serde_json::Value)> =
        history[1].changes.iter().map(|ch| (ch.field.clone(), ch.old.clone(), ch.new.clone())).collect();
    assert_eq!(
        changes,
        vec![("basic_info.blood_abo".into(), json!("3"), json!("1")), ("phone".into(), json!("13800138000"), json!("13900000000")),]
    );
    // A second edit started from version 1 would overwrite version 2: refused.
    let stale = c.update(UpdateRequest { id: id.clone(), expected_version: 1, resident: edit, confirm: false }).unwrap_err();
    assert_eq!(stale.code(), "version_conflict");
    assert_eq!(c.resident(&id).unwrap().resident.version, 2);
}

#[test]
fn numbers_continue_after_a_restart_and_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut c = clinic(dir.path());
        register(&mut c, "甲", &compose("450102", NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), 11));
        register(&mut c, "乙", &compose("450102", NaiveDate::from_ymd_opt(1970, 1, 2).unwrap(), 11));
    }
    let mut c = clinic(dir.path());
    let third = register(&mut c, "丙", &compose("450102", NaiveDate::from_ymd_opt(1970, 1, 3).unwrap(), 11));
    assert_eq!(third.resident.resident.record_no, "45010210110100003");
    let mut other_village = input("丁", &compose("450102", NaiveDate::from_ymd_opt(1970, 1, 4).unwrap(), 11));
    other_village.village_code = "102".into();
    let d = c.register(RegisterRequest { resident: other_village, household: None, confirm: false }).unwrap();
    assert_eq!(d.resident.resident.record_no, "45010210110200001", "each village has its own serials");
}

#[test]
fn a_village_without_serials_left_still_registers_under_a_provisional_number_that_a_new_block_replaces_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic_with_block(dir.path(), SerialBlock { start: 500, end: 501 });
    let born = |day| compose("450102", NaiveDate::from_ymd_opt(1970, 1, day).unwrap(), 11);
    assert_eq!(register(&mut c, "甲", &born(1)).resident.resident.record_no, "45010210110100500");
    register(&mut c, "乙", &born(2));

    // The block is used up: the record is saved all the same, clearly marked.
    let saved = c
        .register(RegisterRequest { resident: input("丙", &born(3)), household: None, confirm: false })
        .expect("registration is never blocked");
    let third = saved.resident.resident.id.clone();
    assert_eq!(saved.resident.resident.record_no, "450102101101L0001");
    assert!(saved.resident.record_no_provisional);
    assert_eq!(saved.resident.record_no_grouped, "450102 101 101 L0001");
    let warning = saved.warnings.iter().find(|w| w.code == "record_no.provisional").expect("the doctor is told");
    assert!(warning.message.zh.contains("临时编号 450102101101L0001") && warning.message.zh.contains("设置"), "{warning:?}");
    assert!(c.card(&third).unwrap().provisional, "the card says so too");

    // The other village has its own serials, untouched.
    let mut other = input("丁", &born(4));
    other.village_code = "102".into();
    let d = c.register(RegisterRequest { resident: other, household: None, confirm: false }).unwrap();
    assert_eq!(d.resident.resident.record_no, "45010210110200500");

    let serials = c.village_serials().unwrap();
    let (v101, v102) = (&serials[0], &serials[1]);
    assert_eq!((v101.village_code.as_str(), v101.left, v101.warn, v101.provisional), ("101", 0, true, 1));
    assert_eq!((v102.village_code.as_str(), v102.left, v102.provisional), ("102", 1, 0));
    assert_eq!(c.serial_warnings().unwrap().len(), 2, "both villages are short of serials");

    // A block that overlaps the village's own is refused in words.
    let overlapping = AddBlockRequest { village_code: "101".into(), start: "501".into(), end: "600".into(), note: String::new() };
    let err = c.add_serial_block(overlapping).unwrap_err();
    assert_eq!(err.code(), "invalid");
    let Error::Invalid(problems) = err else { unreachable!() };
    assert_eq!(problems[0].message.zh, "与本村已有号段 00500–00501 重叠");

    // Words where a number belongs are refused in words.
    let words = AddBlockRequest { village_code: "101".into(), start: "一千".into(), end: "1999".into(), note: String::new() };
    assert_eq!(c.add_serial_block(words).unwrap_err().code(), "invalid");

    // The township's letter gives village 101 serials 01000–01999 (typed
    // with the IME's full-width digits).
    let letter =
        AddBlockRequest {
            village_code: "101".into(), start: "０１０００".into(), end: "1999".into(), note: "青卫字〔2026〕12号".into()
        };
    let renumbered = c.add_serial_block(letter).unwrap();
    assert_eq!(renumbered.len(), 1);
    assert_eq!((renumbered[0].provisional.as_str(), renumbered[0].record_no.as_str()), ("450102101101L0001", "45010210110101000"));
    let view = c.resident(&third).unwrap();
    assert_eq!((view.resident.record_no.as_str(), view.record_no_provisional), ("45010210110101000", false));
    let history = c.history(&third).unwrap();
    let entry = history.iter().find(|h| h.changes.iter().any(|ch| ch.field == "record_no")).expect("the change is in the history");
    assert_eq!((entry.version, entry.user_name.as_str()), (2, "李春华"), "as a new version, by who added the block");
    let change = entry.changes.iter().find(|ch| ch.field == "record_no").cloned().unwrap();
    assert_eq!((change.old, change.new), (serde_json::json!("450102101101L0001"), serde_json::json!("45010210110101000")));
    assert_eq!(
        c.resident("450102101101L0001").unwrap().resident.id,
        third,
        "a card printed with the provisional number still finds the record"
    );
    assert_eq!(register(&mut c, "戊", &born(5)).resident.resident.record_no, "45010210110101001", "and the next one follows");

    let v101 = &c.village_serials().unwrap()[0];
    assert_eq!((v101.left, v101.total, v101.provisional, v101.warn), (998, 1002, 0, false));
    assert_eq!(
        v101.blocks.iter().map(|b| (b.source.as_str(), b.note.as_str())).collect::<Vec<_>>(),
        vec![("setup", ""), ("letter", "青卫字〔2026〕12号")]
    );
    assert!(!c.resident(&third).unwrap().resident.record_no.contains('L'));
}

#[test]
fn concurrent_saves_from_several_connections_never_share_a_number() {
    let dir = tempfile::tempdir().unwrap();
    drop(clinic(dir.path()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let mut c = clinic(&path);
                (0..25)
                    .map(|i| {
                        let birth = NaiveDate::from_ymd_opt(1950 + t, 1, 1).unwrap() + chrono::Duration::days(i);
                        register(&mut c, "并发", &compose("450102", birth, 11)).resident.resident.record_no
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=100).map(|n| format!("450102101101{n:05}")).collect();
    assert_eq!(numbers, expected, "100 saves from 4 connections take serials 1–100, each once");
}

#[test]
fn households_link_members_under_one_head() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let head = c
        .register(RegisterRequest {
            resident: input("李建国", &compose("450102", NaiveDate::from_ymd_opt(1960, 3, 1).unwrap(), 11)),
            household: Some(HouseholdChoice::New { address: "石桥村3组12号".into() }),
            confirm: false,
        })
        .unwrap();
    let hh = head.resident.resident.household.clone().expect("the head is in the new household");
    assert!(hh.is_head);
    let wife = c
        .register(RegisterRequest {
            resident: input("王秀英", &compose("450102", NaiveDate::from_ymd_opt(1962, 4, 1).unwrap(), 22)),
            household: Some(HouseholdChoice::Join { household_id: hh.household_id.clone(), relation: "配偶".into(), is_head: false }),
            confirm: false,
        })
        .unwrap();
    let page = c.household(&hh.household_id).unwrap();
    let members: Vec<(&str, &str, bool)> =
        page.members.iter().map(|m| (m.resident.name.as_str(), m.relation.as_str(), m.is_head)).collect();
    assert_eq!(members, vec![("李建国", "户主", true), ("王秀英", "配偶", false)]);
    // The wife becomes head: the old head becomes a member, as a new version of his record.
    let w = &wife.resident.resident;
    c.set_membership(&w.id, w.version, Some(Membership { household_id: hh.household_id.clone(), relation: "户主".into(), is_head: true }))
        .unwrap();
    let page = c.household(&hh.household_id).unwrap();
    let heads: Vec<&str> = page.members.iter().filter(|m| m.is_head).map(|m| m.resident.name.as_str()).collect();
    assert_eq!(heads, vec!["王秀英"]);
    assert_eq!(c.history(&head.resident.resident.id).unwrap().len(), 2, "the old head's record changed too");
    let listed = c.households(None, "秀英").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].head_name.as_deref(), Some("王秀英"));
}

#[test]
fn filters_by_village_and_key_population() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let mut htn = input("高血压甲", &compose("450102", NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), 11));
    htn.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2019-05"}]));
    c.register(RegisterRequest { resident: htn, household: None, confirm: false }).unwrap();
    register(&mut c, "老人乙", &compose("450102", NaiveDate::from_ymd_opt(1950, 1, 1).unwrap(), 11));
    let mut child = input("小孩丙", &compose("450102", NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(), 11));
    child.basic_info.clear();
    child.village_code = "102".into();
    c.register(RegisterRequest { resident: child, household: None, confirm: false }).expect("children need no basic information form");
    let by_tag = |tag| {
        c.search(&SearchRequest { query: String::new(), village: None, tag: Some(tag), status: Default::default(), limit: None })
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_tag(Tag::Hypertension), vec!["高血压甲"]);
    assert_eq!(by_tag(Tag::Elderly), vec!["老人乙"]);
    assert_eq!(by_tag(Tag::Child), vec!["小孩丙"]);
    let overview = c.overview().unwrap();
    assert_eq!(overview.residents, 3);
    let counts: Vec<(Tag, i64)> = overview.tags.iter().map(|t| (t.tag, t.count)).collect();
    assert_eq!(
        counts,
        vec![
            (Tag::Child, 1),
            (Tag::Elderly, 1),
            (Tag::Hypertension, 1),
            (Tag::Diabetes, 0),
            (Tag::SevereMental, 0),
            (Tag::Maternal, 0),
            (Tag::Tuberculosis, 0)
        ]
    );
    let in_102 = c
        .search(&SearchRequest { query: String::new(), village: Some("102".into()), tag: None, status: Default::default(), limit: None })
        .unwrap();
    assert_eq!(in_102.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["小孩丙"]);
}

#[test]
fn the_demo_clinic_is_plausible() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let mut reports = 0;
    let n = c.load_demo(600, 42, 1, &mut |_, _| reports += 1).unwrap();
    assert_eq!(n, 600);
    assert!(reports >= 1, "progress is reported");
    let count = |tag| {
        c.search(&SearchRequest { query: String::new(), village: None, tag: Some(tag), status: Default::default(), limit: Some(500) })
            .unwrap()
            .len()
    };
    let elderly = count(Tag::Elderly);
    let htn = count(Tag::Hypertension);
    assert!((60..=250).contains(&elderly), "rural clinics have many elderly residents: {elderly} of 600");
    assert!((40..=220).contains(&htn), "hypertension is common among those 35 and over: {htn} of 600");
    assert!(count(Tag::Child) > 0 && count(Tag::Diabetes) > 0);
}
