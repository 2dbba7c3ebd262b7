//! The form definitions shipped in `assets/forms/`, and a province's own.
//!
//! The defaults are compiled in. A `forms/` folder in the data folder may hold
//! replacements (`code-sets.json`, `<form id>.json`): a province adds a field
//! or an option there without any change to the program.

use std::path::Path;

use vhr_domain::forms::FormRegistry;

use crate::Error;

const CODE_SETS: &str = include_str!("../../../assets/forms/code-sets.json");
const FORMS: &[(&str, &str)] = &[
    ("personal_basic_info.json", include_str!("../../../assets/forms/personal_basic_info.json")),
    ("hypertension_followup.json", include_str!("../../../assets/forms/hypertension_followup.json")),
    ("diabetes_followup.json", include_str!("../../../assets/forms/diabetes_followup.json")),
    ("health_exam.json", include_str!("../../../assets/forms/health_exam.json")),
    ("elderly_self_care.json", include_str!("../../../assets/forms/elderly_self_care.json")),
    ("visit_record.json", include_str!("../../../assets/forms/visit_record.json")),
    ("consultation_record.json", include_str!("../../../assets/forms/consultation_record.json")),
    ("referral_out.json", include_str!("../../../assets/forms/referral_out.json")),
    ("referral_return.json", include_str!("../../../assets/forms/referral_return.json")),
    ("newborn_visit.json", include_str!("../../../assets/forms/newborn_visit.json")),
    ("child_check_infant.json", include_str!("../../../assets/forms/child_check_infant.json")),
    ("child_check_toddler.json", include_str!("../../../assets/forms/child_check_toddler.json")),
    ("child_check_preschool.json", include_str!("../../../assets/forms/child_check_preschool.json")),
    ("prenatal_first.json", include_str!("../../../assets/forms/prenatal_first.json")),
    ("prenatal_followup.json", include_str!("../../../assets/forms/prenatal_followup.json")),
    ("postpartum_visit.json", include_str!("../../../assets/forms/postpartum_visit.json")),
    ("postpartum_42day.json", include_str!("../../../assets/forms/postpartum_42day.json")),
    ("mental_supplement.json", include_str!("../../../assets/forms/mental_supplement.json")),
    ("mental_followup.json", include_str!("../../../assets/forms/mental_followup.json")),
    ("tb_first_visit.json", include_str!("../../../assets/forms/tb_first_visit.json")),
    ("tb_followup.json", include_str!("../../../assets/forms/tb_followup.json")),
    ("tb_closing.json", include_str!("../../../assets/forms/tb_closing.json")),
];

/// Loads the registry, preferring files in `override_dir` over the built-in ones.
pub fn load(override_dir: Option<&Path>) -> Result<FormRegistry, Error> {
    let read = |name: &str, builtin: &str| -> Result<String, Error> {
        match override_dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
            Some(p) => std::fs::read_to_string(&p).map_err(|e| Error::Forms(format!("{}: {e}", p.display()))),
            None => Ok(builtin.to_string()),
        }
    };
    let code_sets = read("code-sets.json", CODE_SETS)?;
    let forms: Vec<(String, String)> = FORMS.iter().map(|(n, j)| Ok((n.to_string(), read(n, j)?))).collect::<Result<_, Error>>()?;
    // A replacement file holds the form it is named for (personal_basic_info.json, id personal_basic_info).
    for (name, json) in &forms {
        let id = serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| v.get("id")?.as_str().map(str::to_string));
        let stem = name.trim_end_matches(".json");
        if let Some(id) = id.filter(|id| id != stem) {
            return Err(Error::Forms(format!("{name} holds the form `{id}`; a form file is named after the form it holds ({stem})")));
        }
    }
    let refs: Vec<(&str, &str)> = forms.iter().map(|(n, j)| (n.as_str(), j.as_str())).collect();
    FormRegistry::load(&code_sets, &refs).map_err(|e| Error::Forms(e.to_string()))
}

/// The built-in registry; the definitions are checked by tests, so this cannot fail.
pub fn builtin() -> FormRegistry {
    load(None).expect("the built-in form definitions are consistent")
}
