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
