//! The shipped form definitions agree with the domain specification (spec §5):
//! every code set has exactly the codes printed on the form, the exclusive and
//! "needs text" options are the right ones, and items follow the paper order.

mod common;

use vhr_domain::forms::{FieldKind, FormRegistry};

fn registry() -> FormRegistry {
    vhr_app::forms::builtin()
}

fn codes(reg: &FormRegistry, set: &str) -> Vec<(String, String)> {
    reg.code_set(set).unwrap_or_else(|| panic!("code set {set}")).codes.iter().map(|c| (c.code.clone(), c.label.zh.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect()
}

#[test]
fn code_sets_match_the_spec() {
    let reg = registry();
    assert_eq!(codes(&reg, "sex"), pairs(&[("0", "未知的性别"), ("1", "男"), ("2", "女"), ("9", "未说明的性别")]));
    assert_eq!(codes(&reg, "blood_abo"), pairs(&[("1", "A型"), ("2", "B型"), ("3", "O型"), ("4", "AB型"), ("5", "不详")]));
    assert_eq!(codes(&reg, "blood_rh"), pairs(&[("1", "阴性"), ("2", "阳性"), ("3", "不详")]), "3rd edition: 1 is Rh negative");
    assert_eq!(codes(&reg, "marital"), pairs(&[("1", "未婚"), ("2", "已婚"), ("3", "丧偶"), ("4", "离婚"), ("5", "未说明的婚姻状况")]));
    assert_eq!(codes(&reg, "drug_allergy"), pairs(&[("1", "无"), ("2", "青霉素"), ("3", "磺胺"), ("4", "链霉素"), ("5", "其他")]));
    assert_eq!(codes(&reg, "exposure"), pairs(&[("1", "无"), ("2", "化学品"), ("3", "毒物"), ("4", "射线")]));
    assert_eq!(codes(&reg, "livestock"), pairs(&[("1", "无"), ("2", "单设"), ("3", "室内"), ("4", "室外")]), "3rd edition adds 无 as 1");
    assert_eq!(codes(&reg, "kitchen_exhaust"), pairs(&[("1", "无"), ("2", "油烟机"), ("3", "换气扇"), ("4", "烟囱")]));
    assert_eq!(codes(&reg, "toilet").len(), 5);
    assert_eq!(codes(&reg, "fuel").len(), 6);
    assert_eq!(codes(&reg, "water").len(), 6);
    assert_eq!(codes(&reg, "payment").len(), 8);
    let ethnicity = codes(&reg, "ethnicity");
    assert_eq!(ethnicity.len(), 56, "GB 3304 lists 56 ethnic groups");
    assert_eq!(ethnicity[0], ("01".to_string(), "汉族".to_string()));
    assert_eq!(ethnicity[55], ("56".to_string(), "基诺族".to_string()));
    let education: Vec<String> = codes(&reg, "education").into_iter().map(|(c, _)| c).collect();
    assert_eq!(education, (1..=10).map(|n| n.to_string()).collect::<Vec<_>>());
    let occupation: Vec<String> = codes(&reg, "occupation").into_iter().map(|(c, _)| c).collect();
    assert_eq!(occupation, (0..=8).map(|n| n.to_string()).collect::<Vec<_>>(), "0–8 numbering (Unconfirmed in the spec)");
    let past = codes(&reg, "past_disease");
    assert_eq!(past.len(), 13);
    assert_eq!(past[7], ("8".to_string(), "严重精神障碍".to_string()));
    let family = codes(&reg, "family_disease");
    assert_eq!(family[10], ("11".to_string(), "先天畸形".to_string()), "family history has 先天畸形 at 11");
    assert_eq!(codes(&reg, "disability")[0], ("1".to_string(), "无残疾".to_string()));
}

#[test]
fn personal_basic_information_follows_the_paper_form() {
    let reg = registry();
    let form = reg.form("personal_basic_info").expect("the form ships");
    let numbers: Vec<u32> = form.fields().filter_map(|f| f.number.as_deref()).map(|n| n.parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "items appear in the paper order: {numbers:?}");
    assert_eq!(numbers.first(), Some(&1));
    assert_eq!(numbers.last(), Some(&25));
    for n in 1..=25 {
        assert!(numbers.contains(&n), "item {n} of the form is present");
    }
    let field = |id: &str| form.field(id).unwrap_or_else(|| panic!("field {id}"));
    let exclusive_and_text = |id: &str| match &field(id).kind {
        FieldKind::Code { exclusive, text_for, .. } | FieldKind::CodeDates { exclusive, text_for, .. } => {
            (exclusive.clone(), text_for.clone())
        }
        other => panic!("{id} is {other:?}"),
    };
    // V3: 无 excludes everything else; V4: 其他 needs text.
    assert_eq!(exclusive_and_text("drug_allergy"), (vec!["1".into()], vec!["5".into()]));
    assert_eq!(exclusive_and_text("exposure"), (vec!["1".into()], vec![]));
    assert_eq!(exclusive_and_text("past_diseases"), (vec!["1".into()], vec!["6".into(), "12".into(), "13".into()]));
    assert_eq!(exclusive_and_text("disability"), (vec!["1".into()], vec!["8".into()]));
    for relative in ["family_father", "family_mother", "family_siblings", "family_children"] {
        assert_eq!(exclusive_and_text(relative), (vec!["1".into()], vec!["12".into()]));
    }
    assert_eq!(exclusive_and_text("payment"), (vec![], vec!["8".into()]));
    // §12.1: the data-element ids the spec confirms.
    assert_eq!(field("name").de.as_deref(), Some("DE02.01.039.00"));
    assert_eq!(field("sex").de.as_deref(), Some("DE02.01.040.00"));
    assert_eq!(field("birth_date").de.as_deref(), Some("DE02.01.005.01"));
    assert_eq!(field("id_number").de.as_deref(), Some("DE02.01.030.00"));
    assert_eq!(field("ethnicity").de.as_deref(), Some("DE02.01.025.00"));
    assert_eq!(field("marital").de.as_deref(), Some("DE02.01.018.00"));
    assert_eq!(field("blood_abo").de.as_deref(), Some("DE04.50.001.00"));
    assert_eq!(field("blood_rh").de.as_deref(), Some("DE04.50.010.00"));
    assert_eq!(form.document_type.as_deref(), Some("HSDA00.01"));
    // Surgery rows are asked only when 有 is chosen.
    assert_eq!(field("surgery_rows").when.as_ref().map(|c| (c.field.as_str(), c.any_of.clone())), Some(("surgery", vec!["2".to_string()])));
}

#[test]
fn a_province_can_add_an_option_without_code_changes() {
    let dir = tempfile::tempdir().unwrap();
    let forms = dir.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let mut sets: serde_json::Value = serde_json::from_str(include_str!("../../../assets/forms/code-sets.json")).unwrap();
    let payment = sets.as_array_mut().unwrap().iter_mut().find(|s| s["id"] == "payment").unwrap();
    payment["codes"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"code": "9", "label": {"zh": "城乡居民基本医疗保险", "en": "Urban-rural resident insurance"}}));
    std::fs::write(forms.join("code-sets.json"), sets.to_string()).unwrap();
    let reg = vhr_app::forms::load(Some(&forms)).unwrap();
    assert_eq!(reg.code_set("payment").unwrap().entry("9").unwrap().label.zh, "城乡居民基本医疗保险");
}

#[test]
fn an_inconsistent_definition_is_refused_with_the_reason() {
    let bad_form = r#"{"id":"x","version":1,"title":{"zh":"x","en":"x"},"sections":[{"id":"s","title":{"zh":"s","en":"s"},
        "fields":[{"id":"a","label":{"zh":"a","en":"a"},"type":"code","code_set":"sex","exclusive":["7"]}]}]}"#;
    let err = FormRegistry::load(include_str!("../../../assets/forms/code-sets.json"), &[("x.json", bad_form)]).unwrap_err();
    assert_eq!(err.to_string(), "form x: a names code 7, which sex does not have");
}

fn validate_with(
    form_id: &str,
    values: serde_json::Value,
    age: Option<u32>,
    tags: &[vhr_domain::population::Tag],
) -> (vhr_domain::forms::FormValues, Vec<(String, String)>) {
    let reg = registry();
    let form = reg.form(form_id).unwrap();
    let ctx = vhr_domain::forms::ValidationContext { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), age, tags };
    let (out, problems) = vhr_domain::forms::validate(form, &reg, values.as_object().unwrap(), ctx, "");
    (out, problems.into_iter().filter(|p| p.is_error()).map(|p| (p.field, p.code)).collect())
}

#[test]
fn self_care_scores_follow_the_spec_table() {
    let reg = registry();
    let scores = |set: &str| reg.code_set(set).unwrap().codes.iter().map(|c| c.score.unwrap()).collect::<Vec<_>>();
    assert_eq!(scores("sc_eating"), vec![0.0, 3.0, 5.0], "进餐: 0 / — / 3 / 5");
    assert_eq!(scores("sc_grooming"), vec![0.0, 1.0, 3.0, 7.0]);
    assert_eq!(scores("sc_dressing"), vec![0.0, 3.0, 5.0]);
    assert_eq!(scores("sc_toilet"), vec![0.0, 1.0, 5.0, 10.0]);
    assert_eq!(scores("sc_mobility"), vec![0.0, 1.0, 5.0, 10.0]);
    let base = serde_json::json!({"assessed_on": "2026-11-20", "doctor": "李春华"});
    let with = |eat: &str, groom: &str, dress: &str, toilet: &str, mob: &str| {
        let mut v = base.clone();
        for (k, c) in [("eating", eat), ("grooming", groom), ("dressing", dress), ("toileting", toilet), ("mobility", mob)] {
            v[k] = serde_json::json!(c);
        }
        let (out, problems) = validate_with("elderly_self_care", v, Some(70), &[]);
        assert_eq!(problems, vec![]);
        (out["total"].as_f64().unwrap(), out["category"].as_str().unwrap().to_string())
    };
    assert_eq!(with("1", "1", "1", "1", "1"), (0.0, "1".into()));
    assert_eq!(with("1", "2", "1", "1", "2"), (2.0, "1".into()), "0–3: independent");
    assert_eq!(with("3", "2", "1", "1", "1"), (4.0, "2".into()), "4 is mild dependence");
    assert_eq!(with("3", "3", "1", "1", "1"), (6.0, "2".into()));
    assert_eq!(with("3", "3", "3", "1", "1"), (9.0, "3".into()), "9 is moderate");
    assert_eq!(with("4", "4", "4", "1", "1"), (17.0, "3".into()));
    assert_eq!(with("4", "4", "4", "2", "2"), (19.0, "4".into()), "19 and over: dependent");
}

#[test]
fn health_examination_asks_the_starred_items_of_each_population() {
    use vhr_domain::population::Tag;
    let minimal = serde_json::json!({"exam_date": "2026-11-20", "doctor": "李春华", "symptoms": ["1"], "evaluation": "1", "height": 160, "weight": 64});
    let (out, problems) = validate_with("health_exam", minimal.clone(), Some(50), &[]);
    assert_eq!(problems, vec![], "an ordinary adult needs none of the starred items");
    assert_eq!(out["bmi"], serde_json::json!(25.0));
    let (_, problems) = validate_with("health_exam", minimal.clone(), Some(66), &[Tag::Elderly, Tag::Diabetes]);
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        vec!["health_self", "self_care", "cognition", "mood", "pedis_pulse"],
        "the four elderly items at 65, the pulse for diabetes"
    );
    let mut positive = minimal;
    for (k, v) in [("health_self", "1"), ("self_care", "1"), ("cognition", "2"), ("mood", "1"), ("pedis_pulse", "2")] {
        positive[k] = serde_json::json!(v);
    }
    let (_, problems) = validate_with("health_exam", positive, Some(66), &[Tag::Elderly, Tag::Diabetes]);
    assert_eq!(problems, vec![("mmse".to_string(), "required".to_string())], "a positive cognitive screen needs the MMSE score");
}

#[test]
fn health_examination_code_sets_match_the_spec() {
    let reg = registry();
    let n = |set: &str| reg.code_set(set).unwrap().codes.len();
    assert_eq!(n("exam_symptom"), 25);
    assert_eq!(codes(&reg, "exam_symptom")[24], ("25".to_string(), "其他".to_string()));
    assert_eq!(codes(&reg, "self_care_category")[3].0, "4");
    assert_eq!(n("cerebrovascular"), 6);
    assert_eq!(n("cardiac"), 7);
    assert_eq!(n("pedis_exam"), 4);
    assert_eq!(codes(&reg, "edema")[3], ("4".to_string(), "双侧对称".to_string()));
    assert_eq!(codes(&reg, "risk_control")[5], ("6".to_string(), "建议接种疫苗".to_string()));
    assert_eq!(reg.form("health_exam").unwrap().document_type.as_deref(), Some("HSDC00.01"));
}

#[test]
fn follow_up_code_sets_match_the_spec() {
    let reg = registry();
    let ids = |set: &str| codes(&reg, set).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
    assert_eq!(ids("htn_symptom"), (1..=10).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(codes(&reg, "htn_symptom")[6].1, "鼻衄出血不止");
    assert_eq!(codes(&reg, "dm_symptom")[8].1, "体重明显下降");
    assert_eq!(codes(&reg, "followup_class"), pairs(&[("1", "控制满意"), ("2", "控制不满意"), ("3", "不良反应"), ("4", "并发症")]));
    assert_eq!(codes(&reg, "pedis_pulse"), pairs(&[("1", "触及正常"), ("2", "减弱"), ("3", "消失")]));
    assert_eq!(codes(&reg, "hypoglycemia"), pairs(&[("1", "无"), ("2", "偶尔"), ("3", "频繁")]));
    assert_eq!(codes(&reg, "followup_method"), pairs(&[("1", "门诊"), ("2", "家庭"), ("3", "电话")]));
    let forms: Vec<(&str, Option<&str>)> =
        ["hypertension_followup", "diabetes_followup", "visit_record", "consultation_record", "referral_out"]
            .iter()
            .map(|id| (*id, reg.form(id).unwrap().document_type.as_deref()))
            .collect();
    assert_eq!(
        forms,
        vec![
            ("hypertension_followup", Some("HSDB04.01")),
            ("diabetes_followup", Some("HSDB04.02")),
            ("visit_record", Some("HSDC00.02")),
            ("consultation_record", Some("HSDC00.04")),
            ("referral_out", Some("HSDC00.05")),
        ],
        "the WS/T 483 document each form travels as (§12.2)"
    );
}

/// §7.1, §7.2, §7.6, §7.7: the codes the spec gives for the child, maternal,
/// severe mental disorder and tuberculosis forms, exactly as printed.
#[test]
fn key_population_code_sets_match_the_spec() {
    let reg = registry();
    assert_eq!(codes(&reg, "maternal_illness"), pairs(&[("1", "无"), ("2", "糖尿病"), ("3", "妊娠期高血压"), ("4", "其他")]));
    assert_eq!(
        codes(&reg, "birth_mode"),
        pairs(&[("1", "顺产"), ("2", "胎头吸引"), ("3", "产钳"), ("4", "剖宫"), ("5", "双多胎"), ("6", "臀位"), ("7", "其他")])
    );
    assert_eq!(codes(&reg, "hearing_screen"), pairs(&[("1", "通过"), ("2", "未通过"), ("3", "未筛查"), ("4", "不详")]));
    assert_eq!(
        codes(&reg, "disease_screen"),
        pairs(&[("1", "未进行"), ("2", "检查均阴性"), ("3", "甲低"), ("4", "苯丙酮尿症"), ("5", "其他遗传代谢病")])
    );
    assert_eq!(codes(&reg, "feeding"), pairs(&[("1", "纯母乳"), ("2", "混合"), ("3", "人工")]));
    assert_eq!(codes(&reg, "stool"), pairs(&[("1", "糊状"), ("2", "稀"), ("3", "其他")]));
    assert_eq!(codes(&reg, "complexion"), pairs(&[("1", "红润"), ("2", "黄染"), ("3", "其他")]));
    assert_eq!(codes(&reg, "jaundice_site"), pairs(&[("1", "无"), ("2", "面部"), ("3", "躯干"), ("4", "四肢"), ("5", "手足")]));
    assert_eq!(codes(&reg, "fontanelle"), pairs(&[("1", "正常"), ("2", "膨隆"), ("3", "凹陷"), ("4", "其他")]));
    assert_eq!(codes(&reg, "newborn_skin"), pairs(&[("1", "未见异常"), ("2", "湿疹"), ("3", "糜烂"), ("4", "其他")]));
    assert_eq!(
        codes(&reg, "pregnancy_past"),
        pairs(&[
            ("1", "无"),
            ("2", "心脏病"),
            ("3", "肾脏疾病"),
            ("4", "肝脏疾病"),
            ("5", "高血压"),
            ("6", "贫血"),
            ("7", "糖尿病"),
            ("8", "其他")
        ])
    );
    let risk: Vec<String> = codes(&reg, "risk_level").into_iter().map(|(c, _)| c).collect();
    assert_eq!(risk, (0..=5).map(|n| n.to_string()).collect::<Vec<_>>(), "risk levels 0–5");
    assert_eq!(codes(&reg, "mental_symptom").len(), 12, "a list of 12 symptoms");
    assert_eq!(codes(&reg, "insight"), pairs(&[("1", "自知力完全"), ("2", "自知力不全"), ("3", "自知力缺失")]));
    assert_eq!(codes(&reg, "mental_class"), pairs(&[("1", "不稳定"), ("2", "基本稳定"), ("3", "稳定")]));
    assert_eq!(codes(&reg, "mental_adherence").len(), 4);
    assert_eq!(codes(&reg, "tb_supervisor"), pairs(&[("1", "医生"), ("2", "家属"), ("3", "自服药"), ("4", "其他")]));
    let tb = codes(&reg, "tb_symptom");
    assert_eq!((tb[0].clone(), tb[10].clone()), (("0".into(), "没有症状".into()), ("10".into(), "耳鸣、听力下降".into())));
    assert_eq!(codes(&reg, "tb_usage"), pairs(&[("1", "每日"), ("2", "间歇")]));
    assert_eq!(codes(&reg, "tb_dosage_form"), pairs(&[("1", "固定剂量复合制剂"), ("2", "散装药"), ("3", "板式组合药"), ("4", "注射剂")]));
    assert_eq!(codes(&reg, "tb_stop_reason"), pairs(&[("1", "完成疗程"), ("2", "死亡"), ("3", "丢失"), ("4", "转入耐多药治疗")]));
}

/// Every national form of issue #3 ships, with the WS/T 483 document type
/// §12.2 gives (none for TB), a service date, and the visit field the
/// schedule matches on.
#[test]
fn every_key_population_form_ships() {
    let reg = registry();
    for (id, doc) in [
        ("newborn_visit", Some("HSDB01.02")),
        ("child_check_infant", Some("HSDB01.03")),
        ("child_check_toddler", Some("HSDB01.03")),
        ("child_check_preschool", Some("HSDB01.03")),
        ("prenatal_first", Some("HSDB02.01")),
        ("prenatal_followup", Some("HSDB02.02")),
        ("postpartum_visit", Some("HSDB02.03")),
        ("postpartum_42day", Some("HSDB02.04")),
        ("mental_supplement", Some("HSDB04.03")),
        ("mental_followup", Some("HSDB04.04")),
        ("tb_first_visit", None),
        ("tb_followup", None),
        ("tb_closing", None),
    ] {
        let form = reg.form(id).unwrap_or_else(|| panic!("{id} ships"));
        assert_eq!(form.document_type.as_deref(), doc, "{id}");
        assert!(form.service_date.is_some(), "{id} has a service date");
        if let Some(field) = vhr_domain::programs::visit_field(id) {
            assert!(form.field(field).is_some_and(|f| f.required), "{id} records which visit it is");
        }
    }
    let first = reg.form("prenatal_first").unwrap();
    assert!(first.field("lmp").is_some_and(|f| f.required), "the LMP drives the prenatal schedule");
    assert_eq!(first.applies.as_ref().and_then(|a| a.sex.as_deref()), Some("2"));
    let risk = reg.form("mental_followup").unwrap().field("risk").unwrap();
    assert!(matches!(&risk.kind, FieldKind::Code { code_set, multi: false, .. } if code_set == "risk_level"));
}

/// The demo clinic's service histories are what a careful doctor would
/// enter: every one passes its form's validation with no error.
#[test]
fn every_demo_service_validates() {
    use chrono::NaiveDate;
    use vhr_domain::forms::{validate, ValidationContext};
    use vhr_domain::problem::Severity;
    let reg = registry();
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let clinic = common::profile(vhr_domain::clinic::SerialBlock { start: 1, end: 99_999 });
    let mut failures = Vec::new();
    let mut forms_seen = std::collections::BTreeSet::new();
    for (i, m) in vhr_domain::demo::households(&clinic, 4000, 11, today).into_iter().flat_map(|h| h.members).enumerate() {
        let age = vhr_domain::resident::age_on(m.input.birth_date.unwrap(), today);
        for s in vhr_domain::demo::followups(&m.input, today, i as u64) {
            let form = reg.form(&s.form_id).unwrap();
            let ctx = ValidationContext { today, age: Some(age), tags: &[] };
            let (_, problems) = validate(form, &reg, &s.values, ctx, "values");
            for p in problems.iter().filter(|p| p.severity == Severity::Error) {
                failures.push(format!("{} {}: {} {}", s.form_id, age, p.field, p.message.zh));
            }
            forms_seen.insert(s.form_id);
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{} kinds of invalid demo values, e.g. {:#?}", failures.len(), &failures[..failures.len().min(15)]);
    for form in
        ["newborn_visit", "child_check_infant", "prenatal_first", "postpartum_visit", "mental_followup", "tb_first_visit", "tb_followup"]
    {
        assert!(forms_seen.contains(form), "the demo fills the key-population forms too: {form} missing from {forms_seen:?}");
    }
}

/// A province's replacement form must keep the fields the program reads and
/// be named after the form it holds; one that does not is refused naming
/// the field or the file, and the clinic opens on the national forms and
/// says so.
#[test]
fn a_replacement_form_keeps_what_the_program_reads_or_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let forms = dir.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let mut first: serde_json::Value = serde_json::from_str(include_str!("../../../assets/forms/prenatal_first.json")).unwrap();
    for section in first["sections"].as_array_mut().unwrap() {
        section["fields"].as_array_mut().unwrap().retain(|f| f["id"] != "lmp");
    }
    std::fs::write(forms.join("prenatal_first.json"), first.to_string()).unwrap();
    let err = vhr_app::forms::load(Some(&forms)).unwrap_err();
    assert!(
        err.to_string().contains("prenatal_first") && err.to_string().contains("`lmp` is missing"),
        "names the form and the field: {err}"
    );

    std::fs::remove_file(forms.join("prenatal_first.json")).unwrap();
    std::fs::write(forms.join("tb_closing.json"), include_str!("../../../assets/forms/tb_followup.json")).unwrap();
    let err = vhr_app::forms::load(Some(&forms)).unwrap_err();
    assert!(err.to_string().contains("tb_closing.json holds the form `tb_followup`"), "a file holds the form it is named for: {err}");

    let mut c = common::clinic(dir.path());
    let wire = c.startup_problems()[0].to_wire(vhr_domain::i18n::Lang::Zh);
    assert_eq!(wire.code, "configuration");
    assert!(wire.problems[0].message.zh.contains("暂用国家标准表单") && wire.message.contains("forms"), "{wire:?}");
    assert_eq!(c.forms().form("tb_closing").unwrap().title.zh, "肺结核患者结案评估", "the national form stands in");
    common::register(&mut c, "孕妇庚", "110105199001010029");
}
