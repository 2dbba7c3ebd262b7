//! The shipped form definitions agree with the domain specification (spec §5):
//! every code set has exactly the codes printed on the form, the exclusive and
//! "needs text" options are the right ones, and items follow the paper order.

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
