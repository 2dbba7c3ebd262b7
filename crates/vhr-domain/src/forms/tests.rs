//! The engine's rules on a small form made for the purpose.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::*;
use crate::population::Tag;

const SETS: &str = r#"[
  {"id":"yes_no","title":{"zh":"无/有","en":"None/yes"},"codes":[{"code":"1","label":{"zh":"无","en":"None"}},{"code":"2","label":{"zh":"有","en":"Yes"}}]},
  {"id":"eat","title":{"zh":"进餐","en":"Eating"},"codes":[
    {"code":"1","label":{"zh":"独立","en":"Alone"},"score":0},{"code":"3","label":{"zh":"需帮助","en":"Help"},"score":3},{"code":"4","label":{"zh":"完全依赖","en":"Dependent"},"score":5}]},
  {"id":"care","title":{"zh":"自理","en":"Care"},"codes":[
    {"code":"1","label":{"zh":"可自理","en":"Independent"}},{"code":"2","label":{"zh":"轻度依赖","en":"Mild"}},{"code":"3","label":{"zh":"中度依赖","en":"Moderate"}}]}
]"#;

const FORM: &str = r#"{"id":"t","version":1,"title":{"zh":"测试","en":"Test"},"service_date":"visit","next_date":"next",
 "sections":[{"id":"s","title":{"zh":"s","en":"s"},"fields":[
  {"id":"visit","label":{"zh":"随访日期","en":"Visit"},"type":"date","required":true},
  {"id":"drugs","label":{"zh":"用药","en":"Drugs"},"type":"rows","columns":[
    {"id":"name","label":{"zh":"药物名称","en":"Drug"},"type":"text","required":true},
    {"id":"dose","label":{"zh":"剂量","en":"Dose"},"type":"text"}]},
  {"id":"next","label":{"zh":"下次随访日期","en":"Next"},"type":"date","not_future":false},
  {"id":"sbp","label":{"zh":"收缩压","en":"Systolic"},"type":"number","min":30,"max":350,"warn_min":50,"warn_max":300},
  {"id":"dbp","label":{"zh":"舒张压","en":"Diastolic"},"type":"number"},
  {"id":"height","label":{"zh":"身高","en":"Height"},"type":"number"},
  {"id":"weight","label":{"zh":"体重","en":"Weight"},"type":"number"},
  {"id":"bmi","label":{"zh":"体质指数","en":"BMI"},"type":"number","derived":{"kind":"bmi","weight":"weight","height":"height"}},
  {"id":"cognition","label":{"zh":"认知","en":"Cognition"},"type":"code","code_set":"yes_no","required_if":{"kind":"min_age","years":65}},
  {"id":"pulse","label":{"zh":"足背动脉","en":"Pulse"},"type":"code","code_set":"yes_no","required_if":{"kind":"population","tag":"diabetes"}},
  {"id":"eat1","label":{"zh":"进餐","en":"Eating"},"type":"code","code_set":"eat"},
  {"id":"eat2","label":{"zh":"进餐2","en":"Eating 2"},"type":"code","code_set":"eat"},
  {"id":"total","label":{"zh":"总分","en":"Total"},"type":"number","derived":{"kind":"score_sum","fields":["eat1","eat2"]}},
  {"id":"category","label":{"zh":"分级","en":"Category"},"type":"code","code_set":"care",
   "derived":{"kind":"bands","source":"total","bands":[{"min":0,"max":3,"code":"1"},{"min":4,"max":8,"code":"2"},{"min":9,"code":"3"}]}}
 ]}],
 "rules":[
  {"kind":"greater","field":"sbp","than":"dbp","message":{"zh":"收缩压应高于舒张压","en":"Systolic above diastolic"}},
  {"kind":"date_after","field":"next","than":"visit","message":{"zh":"下次随访日期应晚于本次","en":"Next visit after this one"}}
 ]}"#;

fn reg() -> FormRegistry {
    FormRegistry::load(SETS, &[("t.json", FORM)]).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn run(values: Value, age: Option<u32>, tags: &[Tag]) -> (FormValues, Vec<(String, String)>) {
    let reg = reg();
    let form = reg.form("t").unwrap().clone();
    let (out, problems) = validate(&form, &reg, values.as_object().unwrap(), ValidationContext { today: today(), age, tags }, "");
    (out, problems.into_iter().map(|p| (p.field, p.code)).collect())
}

#[test]
fn bmi_is_derived_to_one_decimal_and_typed_values_are_replaced() {
    let (out, problems) = run(json!({"visit": "2026-11-20", "height": 165, "weight": "６８", "bmi": 99}), None, &[]);
    assert_eq!(problems, vec![]);
    assert_eq!(out["bmi"], json!(25.0), "68 / 1.65² = 24.98 → 25.0");
}

#[test]
fn items_required_by_age_and_population() {
    let (_, problems) = run(json!({"visit": "2026-11-20"}), Some(64), &[]);
    assert_eq!(problems, vec![]);
    let (_, problems) = run(json!({"visit": "2026-11-20"}), Some(65), &[Tag::Diabetes]);
    assert_eq!(problems, vec![("cognition".into(), "required".into()), ("pulse".into(), "required".into())]);
}

#[test]
fn scores_add_up_into_a_band() {
    let (out, _) = run(json!({"visit": "2026-11-20", "eat1": "3", "eat2": "4"}), None, &[]);
    assert_eq!((out["total"].clone(), out["category"].clone()), (json!(8.0), json!("2")), "3 + 5 = 8: mild dependence");
    let (out, _) = run(json!({"visit": "2026-11-20", "eat1": "3"}), None, &[]);
    assert!(!out.contains_key("total"), "no total until every item is answered");
}

#[test]
fn cross_field_rules_and_ranges() {
    let (_, problems) = run(json!({"visit": "2026-11-20", "next": "2026-11-20", "sbp": 80, "dbp": 90}), None, &[]);
    assert_eq!(problems, vec![("sbp".into(), "rule.greater".into()), ("next".into(), "rule.date_after".into())]);
    let (_, problems) = run(json!({"visit": "2026-11-20", "next": "2027-02-20", "sbp": 320, "dbp": 90}), None, &[]);
    assert_eq!(problems, vec![("sbp".into(), "number.implausible".into())], "next visits may lie in the future; 320 needs confirmation");
    let (_, problems) = run(json!({"visit": "2026-11-22"}), None, &[]);
    assert_eq!(problems, vec![("visit".into(), "date.future".into())]);
}

#[test]
fn a_rule_naming_an_unknown_field_is_refused() {
    let bad = FORM.replace(r#""than":"dbp""#, r#""than":"dpb""#);
    let err = FormRegistry::load(SETS, &[("t.json", &bad)]).unwrap_err();
    assert_eq!(err.to_string(), "form t: refers to unknown field dpb");
}

#[test]
fn empty_table_rows_are_ignored_but_half_filled_ones_are_checked() {
    let (out, problems) = run(json!({"visit": "2026-11-20", "drugs": [{}, {"name": "", "dose": ""}]}), None, &[]);
    assert_eq!(problems, vec![]);
    assert_eq!(out["drugs"], json!([]));
    let (_, problems) = run(json!({"visit": "2026-11-20", "drugs": [{"dose": "5mg"}]}), None, &[]);
    assert_eq!(problems, vec![("drugs[0].name".into(), "required".into())], "a dose without a drug name");
}

const OUTCOME_FORM: &str = r#"{"id":"o","version":1,"title":{"zh":"随访","en":"Follow-up"},
 "sections":[
  {"id":"visit","title":{"zh":"随访","en":"Visit"},"fields":[
   {"id":"status","label":{"zh":"随访结果","en":"Outcome"},"type":"code","code_set":"yes_no"},
   {"id":"reason","label":{"zh":"原因","en":"Reason"},"type":"text","required":true,"when":{"field":"status","any_of":["2"]}},
   {"id":"method","label":{"zh":"方式","en":"Method"},"type":"text","required":true,"unless":{"field":"status","any_of":["2"]}}]},
  {"id":"signs","title":{"zh":"体征","en":"Signs"},"unless":{"field":"status","any_of":["2"]},"fields":[
   {"id":"sbp","label":{"zh":"收缩压","en":"Systolic"},"type":"number","required":true}]}
 ]}"#;

fn run_outcome(values: Value) -> (FormValues, Vec<(String, String)>) {
    let reg = FormRegistry::load(SETS, &[("o.json", OUTCOME_FORM)]).unwrap();
    let form = reg.form("o").unwrap();
    let (out, problems) = validate(form, &reg, values.as_object().unwrap(), ValidationContext::on(today()), "");
    (out, problems.into_iter().map(|p| (p.field, p.code)).collect())
}

#[test]
fn fields_and_sections_not_asked_unless_their_condition_fails() {
    let (_, problems) = run_outcome(json!({}));
    assert_eq!(
        problems,
        vec![("method".into(), "required".into()), ("sbp".into(), "required".into())],
        "a patient seen: readings required"
    );
    let (out, problems) = run_outcome(json!({"status": "2", "sbp": 150, "method": "门诊"}));
    assert_eq!(problems, vec![("reason".into(), "required".into())], "not seen: only the reason is asked");
    assert!(!out.contains_key("sbp") && !out.contains_key("method"), "values of items not asked are dropped, not stored: {out:?}");
}

#[test]
fn a_section_cannot_hang_on_its_own_field() {
    let bad = OUTCOME_FORM
        .replace(r#""unless":{"field":"status","any_of":["2"]},"fields""#, r#""unless":{"field":"sbp","any_of":["2"]},"fields""#);
    let err = FormRegistry::load(SETS, &[("o.json", &bad)]).unwrap_err();
    assert_eq!(err.to_string(), "form o: section signs depends on its own field sbp");
}

#[test]
fn each_row_keeps_its_own_rules_and_a_same_day_discharge_is_allowed() {
    let reg = FormRegistry::load(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/forms/code-sets.json")).unwrap(),
        &[(
            "health_exam.json",
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/forms/health_exam.json")).unwrap(),
        )],
    )
    .unwrap();
    let form = reg.form("health_exam").unwrap();
    let values = json!({"inpatient": [
        {"admitted": "2025-03", "discharged": "2025-03", "reason": "肺炎"},
        {"admitted": "2025-09", "discharged": "2025-08", "reason": "骨折"}
    ]});
    let (_, problems) = validate(form, &reg, values.as_object().unwrap(), ValidationContext::on(today()), "values");
    let on_rows: Vec<(String, String)> =
        problems.into_iter().filter(|p| p.field.starts_with("values.inpatient")).map(|p| (p.field, p.code)).collect();
    assert_eq!(
        on_rows,
        vec![("values.inpatient[1].discharged".into(), "rule.not_before".into())],
        "V9: a discharge in the month of admission is fine, one before it is refused on its own row"
    );
}

#[test]
fn a_row_rule_naming_an_unknown_column_is_refused() {
    let bad = FORM.replace(
        r#""columns":["#,
        r#""rules":[{"kind":"not_before","field":"dose","than":"taken","message":{"zh":"x","en":"x"}}],"columns":["#,
    );
    let err = FormRegistry::load(SETS, &[("t.json", &bad)]).unwrap_err();
    assert_eq!(err.to_string(), "form t: a rule of drugs refers to unknown column taken");
}

#[test]
fn a_date_box_holding_words_is_not_a_date() {
    // Eight bytes, as 19580315 is, but words: they used to be cut mid-character.
    for typed in ["不详12", "ab不详", "去年三月", "２０２０年１月", "1958年3月15日🙂", "\u{0}\u{7}19580315"] {
        assert_eq!(normalize_date(typed, DatePrecision::Day), None, "{typed:?} is no day");
    }
    assert_eq!(normalize_date("不详", DatePrecision::Month), None);
    assert_eq!(
        normalize_date("２０２０年１月", DatePrecision::Month).as_deref(),
        Some("2020-01"),
        "full-width digits with 年月 are a month"
    );
}
