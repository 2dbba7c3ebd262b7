//! Printing on a real database: cards from the record, every print logged
//! (§8 C3), a cancelled batch leaving no trace, forms printed from their
//! definitions.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{AddServiceRequest, CardsRequest, Error, RegisterRequest};
use vhr_domain::id_card::compose;

fn resident(c: &mut vhr_app::Clinic, name: &str, seq: u16, diseases: serde_json::Value) -> String {
    let mut i = input(name, &compose("450102", NaiveDate::from_ymd_opt(1950, 5, 6).unwrap(), seq));
    i.basic_info.insert("past_diseases".into(), diseases);
    i.basic_info.insert("blood_abo".into(), json!("3"));
    c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap().resident.resident.id
}

#[test]
fn cards_come_from_the_record_and_every_print_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let a = resident(&mut c, "印卡甲", 11, json!([{"code": "2", "date": "2015-01"}, {"code": "7", "date": "2020-03"}]));
    let b = resident(&mut c, "印卡乙", 13, json!([{"code": "1"}]));
    let card = c.card(&a).unwrap();
    assert_eq!((card.name.as_str(), card.abo.as_deref(), card.institution.as_str()), ("印卡甲", Some("3"), "青山镇石桥村卫生室"));
    assert!(card.chronic.hypertension && card.chronic.stroke && !card.chronic.none, "C2: ticks from the past history");
    assert!(c.card(&b).unwrap().chronic.none);

    let printed = c.print_cards(&CardsRequest::Residents { ids: vec![a.clone(), b.clone()] }, &mut |_, _| true).unwrap();
    assert_eq!(printed.count, 2);
    assert!(printed.pdf.starts_with(b"%PDF"), "a PDF");
    let log = c.prints_of(&a).unwrap();
    assert_eq!(log.len(), 1, "one card printed for 印卡甲");
    assert_eq!(
        (log[0].kind.as_str(), log[0].user_name.as_str(), log[0].at.to_rfc3339().as_str()),
        ("card", "李春华", "2026-11-21T02:00:00+00:00")
    );
    assert_eq!(c.prints_of(&b).unwrap()[0].job, log[0].job, "a batch is one job");

    let cancelled = c.print_cards(&CardsRequest::Village { code: "101".into() }, &mut |done, _| done < 1).unwrap_err();
    assert_eq!(cancelled.to_wire(vhr_domain::i18n::Lang::Zh).code, "cancelled");
    assert_eq!(c.prints_of(&a).unwrap().len(), 1, "a cancelled batch prints nothing and logs nothing");

    let none = c.print_cards(&CardsRequest::Village { code: "102".into() }, &mut |_, _| true).unwrap_err();
    assert!(matches!(&none, Error::Invalid(p) if p[0].code == "print.empty"), "an empty village says so: {none:?}");
}

#[test]
fn a_saved_form_prints_and_the_print_is_logged_with_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let a = resident(&mut c, "印表丙", 11, json!([{"code": "2", "date": "2015-01"}]));
    let values = json!({
        "visit_date": "2026-11-21", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 132, "dbp": 84, "adherence": "1",
        "adverse_reaction": "1", "classification": "1", "next_step": "1", "next_date": "2027-02-21", "doctor": "李春华"
    });
    let saved = c
        .add_service(AddServiceRequest {
            resident_id: a.clone(),
            form_id: "hypertension_followup".into(),
            values: values.as_object().unwrap().clone(),
            confirm: true,
        })
        .unwrap();
    let printed = c.print_form(&saved.record.id).unwrap();
    assert!(printed.pdf.starts_with(b"%PDF") && printed.name.starts_with("高血压患者随访服务记录表-印表丙"));
    let log = c.prints_of(&a).unwrap();
    assert_eq!((log[0].kind.as_str(), log[0].record_id.as_deref()), ("form", Some(saved.record.id.as_str())));
}

#[test]
fn the_card_size_is_a_setting_and_must_fit_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let c = clinic(dir.path());
    assert_eq!(c.card_layout().unwrap().width_mm, 85.6, "ISO/IEC 7810 ID-1 by default (C1)");
    c.set_card_size(105.0, 74.0).unwrap();
    assert_eq!(c.card_layout().unwrap().height_mm, 74.0);
    let refused = c.set_card_size(300.0, 74.0).unwrap_err();
    assert!(matches!(&refused, Error::Invalid(p) if p[0].code == "print.card_size"), "{refused:?}");
}

/// The card's 其他疾病 box names what the doctor wrote under 13 其他 on the
/// basic information form, as the form saves it (the text on the row), and
/// asthma written there ticks 哮喘 instead.
#[test]
fn the_other_disease_on_the_card_is_the_one_written_under_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let gout = resident(&mut c, "印卡丁", 11, json!([{"code": "13", "date": "2019-06", "text": "痛风"}]));
    let tumour =
        resident(&mut c, "印卡戊", 13, json!([{"code": "6", "date": "2020-05", "text": "肺癌"}, {"code": "5", "date": "2012-01"}]));
    let asthma = resident(&mut c, "印卡己", 15, json!([{"code": "13", "date": "2001-01", "text": "支气管哮喘"}]));
    let card = c.card(&gout).unwrap();
    assert_eq!((card.chronic.other, card.chronic.other_text.as_str()), (true, "痛风"), "the disease written, not the word 其他");
    assert_eq!(c.card(&tumour).unwrap().chronic.other_text, "恶性肿瘤（肺癌）、慢性阻塞性肺疾病", "the tumour's kind goes with it");
    let card = c.card(&asthma).unwrap();
    assert!(card.chronic.asthma && !card.chronic.other, "asthma written under 其他 ticks 哮喘");
}

#[test]
fn the_card_carries_the_phone_the_responsible_doctor_gave_as_a_user_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    let mine = resident(&mut c, "印卡丙", 15, json!([{"code": "1"}]));
    let mut other = input("印卡丁", &compose("450102", NaiveDate::from_ymd_opt(1950, 5, 7).unwrap(), 17));
    other.responsible_doctor = "王医生".into();
    let theirs = c.register(RegisterRequest { resident: other, household: None, confirm: false }).unwrap().resident.resident.id;
    assert_eq!(c.card(&mine).unwrap().doctor_phone, "", "no phone given yet");

    let refused = c.set_my_phone("打电话找我").unwrap_err();
    assert!(matches!(&refused, Error::Invalid(p) if p[0].code == "phone.format"), "{refused:?}");
    // Typed with the IME's full-width digits.
    let me = c.set_my_phone("１３８-7871-2345").unwrap();
    assert_eq!(me.phone, "138-7871-2345");
    assert_eq!(c.card(&mine).unwrap().doctor_phone, "138-7871-2345", "李春华 is 印卡丙's responsible doctor");
    assert_eq!(c.card(&theirs).unwrap().doctor_phone, "", "王医生 is no user here: nothing is guessed");

    let printed = c.print_cards(&CardsRequest::Residents { ids: vec![mine] }, &mut |_, _| true).unwrap();
    let pdf = dir.path().join("card.pdf");
    std::fs::write(&pdf, &printed.pdf).unwrap();
    let back = std::process::Command::new("pdftotext").args(["-f", "2", "-l", "2", pdf.to_str().unwrap(), "-"]).output().unwrap();
    assert!(String::from_utf8_lossy(&back.stdout).contains("138-7871-2345"), "the back of the card prints it");
}
