//! Whatever is typed, nothing panics (issue #11): arbitrary text — any
//! Unicode, full-width digits, Chinese numerals, emoji, control characters,
//! very long input — fed to every parser, to every field of every national
//! form (the real form files), and to resident registration through the
//! same call the window makes. Each answers with a value or a field problem;
//! a registration refused stores nothing.
//!
//! A fixed seed and 256 cases a target in the test command; a longer run:
//! `VHR_PROPTEST_CASES=100000 cargo nextest run -p vhr-app --test any_text --release`
//! (its result is in docs/hardening.md).

mod common;

use chrono::NaiveDate;
use common::any::{config, text, value};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use vhr_app::RegisterRequest;
use vhr_domain::forms::{normalize_date, validate, DatePrecision, ValidationContext};
use vhr_domain::population::Tag;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

#[test]
fn every_parser_answers_any_text() {
    let mut runner = TestRunner::new(config(256));
    runner
        .run(&text(), |s| {
            let _ = normalize_date(&s, DatePrecision::Day);
            let _ = normalize_date(&s, DatePrecision::Month);
            let _ = vhr_domain::id_card::parse(&s, today());
            let _ = vhr_domain::search::Query::parse(&s);
            let _ = vhr_domain::search::pinyin_keys(&s);
            let _ = vhr_domain::text::digits_only(&s);
            let _ = vhr_domain::duplicates::similar_names(&s, "张三");
            let _ = vhr_domain::record_number::check_digits("x", &s, 17, "档案编号", "record number");
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_field_of_every_form_answers_any_value() {
    let registry = vhr_app::forms::load(None).expect("the built-in forms load");
    let tags = [Tag::Elderly, Tag::Hypertension, Tag::Diabetes];
    let ctx = ValidationContext { today: today(), age: Some(70), tags: &tags };
    for form in registry.forms.values() {
        let ids: Vec<String> = form.fields().map(|f| f.id.clone()).collect();
        let mut runner = TestRunner::new(config(64));
        let strategy = prop::collection::vec(value(), ids.len());
        runner
            .run(&strategy, |vals| {
                let values: Map<String, Value> = ids.iter().cloned().zip(vals).collect();
                let (_, problems) = validate(form, &registry, &values, ctx, "");
                for p in &problems {
                    prop_assert!(
                        !p.message.zh.is_empty() && !p.message.en.is_empty(),
                        "{}: a problem says what is wrong in words",
                        form.id
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", form.id));
    }
}

#[test]
fn registration_answers_any_text_and_a_refusal_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The runner takes a shared closure; the clinic is borrowed case by case.
    let c = std::cell::RefCell::new(clinic(dir.path()));
    let accepted = std::cell::RefCell::new(0);
    let mut runner = TestRunner::new(config(48));
    // Some names and ID numbers a registration accepts, so both answers are tried.
    let name = prop_oneof![text(), "[张李王刘陈][明华芳伟秀英]{1,2}"];
    let valid_id = (0u32..20_000, 1u16..999).prop_map(|(days, seq)| {
        vhr_domain::id_card::compose("450102", NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days(days.into()), seq)
    });
    let strategy = (name, prop_oneof![text(), valid_id], text(), text(), text());
    runner
        .run(&strategy, |(name, id_number, phone, address, doctor)| {
            let mut c = c.borrow_mut();
            let before = c.counts().unwrap().residents;
            let mut resident = input("张三", "11010519491231002X");
            resident.name = name;
            resident.phone = phone;
            resident.current_address = address;
            resident.responsible_doctor = doctor;
            resident.id_document = serde_json::from_value(json!({"kind": "citizen_id", "number": id_number})).unwrap();
            match c.register(RegisterRequest { resident, household: None, confirm: true }) {
                Ok(_) => {
                    prop_assert_eq!(c.counts().unwrap().residents, before + 1);
                    *accepted.borrow_mut() += 1;
                }
                Err(e) => {
                    let wire = e.to_wire(vhr_domain::i18n::Lang::Zh);
                    prop_assert!(!wire.code.is_empty() && !wire.message.is_empty(), "a refusal says why: {:?}", wire);
                    prop_assert_eq!(c.counts().unwrap().residents, before, "a refused registration stores nothing");
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(*accepted.borrow() > 0, "some of the generated registrations were good ones");
}
