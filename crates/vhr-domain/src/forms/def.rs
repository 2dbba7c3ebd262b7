//! The shape of a form definition and the registry that holds them.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::FormValues;
use crate::i18n::Localized;
use crate::population::Tag;

/// A national code set with its codes exactly as printed on the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CodeSet {
    pub id: String,
    pub title: Localized,
    /// The national value set it corresponds to (GB or WS 364 CV id), if known.
    #[serde(default)]
    pub national: Option<String>,
    pub codes: Vec<CodeEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CodeEntry {
    pub code: String,
    pub label: Localized,
    /// Points this answer scores on a scale (the elderly self-care assessment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub score: Option<f64>,
}

impl CodeSet {
    pub fn entry(&self, code: &str) -> Option<&CodeEntry> {
        self.codes.iter().find(|c| c.code == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    #[default]
    Day,
    Month,
}

/// A field is asked only when another field holds one of some codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Condition {
    pub field: String,
    pub any_of: Vec<String>,
}

impl Condition {
    /// Whether the field holds one of the codes (for a multiple choice, any of them).
    pub fn holds(&self, values: &FormValues) -> bool {
        field_holds(values, &self.field, &self.any_of)
    }
}

/// Whether `field` holds one of `any_of` (for a multiple choice, any of them).
pub(crate) fn field_holds(values: &FormValues, field: &str, any_of: &[String]) -> bool {
    match values.get(field) {
        Some(serde_json::Value::String(s)) => any_of.contains(s),
        Some(serde_json::Value::Array(items)) => items.iter().any(|v| v.as_str().is_some_and(|s| any_of.iter().any(|c| c == s))),
        _ => false,
    }
}

/// When a field is required beyond `required` (§6 "*" items, V7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Requirement {
    /// Required from this age on (the four elderly items at 65).
    MinAge { years: u32 },
    /// Required for residents in a key population (dorsalis pedis pulse for diabetes).
    Population { tag: Tag },
    /// Required when another field holds one of these codes.
    FieldIs { field: String, any_of: Vec<String> },
}

/// A value the engine computes instead of the user typing it (V6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Derivation {
    /// weight (kg) / height (m)², one decimal.
    Bmi { weight: String, height: String },
    /// The sum of the scores of the codes chosen in these fields.
    ScoreSum { fields: Vec<String> },
    /// The code of the band a number falls in (e.g. self-care total → category).
    Bands { source: String, bands: Vec<Band> },
    /// `part` as a percentage of `whole`, one decimal (the TB dose rate).
    Percent { part: String, whole: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Band {
    pub min: f64,
    #[serde(default)]
    pub max: Option<f64>,
    pub code: String,
}

/// A rule between two fields of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// `field` must be greater than `than` (systolic above diastolic).
    Greater { field: String, than: String, message: Localized },
    /// The date in `field` must be after the one in `than` (next visit after this visit, V9).
    DateAfter { field: String, than: String, message: Localized },
    /// `field` may not exceed `than` (doses taken at most doses due).
    AtMost { field: String, than: String, message: Localized },
    /// The date in `field` may not come before the one in `than` (discharge on
    /// or after admission, V9); dates of the same precision compare as written.
    NotBefore { field: String, than: String, message: Localized },
}

impl Rule {
    /// The two fields the rule compares.
    pub fn fields(&self) -> [&str; 2] {
        match self {
            Rule::Greater { field, than, .. }
            | Rule::DateAfter { field, than, .. }
            | Rule::AtMost { field, than, .. }
            | Rule::NotBefore { field, than, .. } => [field, than],
        }
    }
}

/// Who a form is for: the sex (a code of §5.2.1) and an age range in
/// completed years, `max_age` excluded. The "new record" menu offers a form
/// only where it applies, and saving it for anyone else is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Applies {
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub min_age: Option<u32>,
    #[serde(default)]
    pub max_age: Option<u32>,
}

impl Applies {
    /// Why the form does not apply to a resident of this sex and age, if it does not.
    pub fn refuses(&self, sex: &str, age: u32) -> Option<Localized> {
        if self.sex.as_deref().is_some_and(|s| s != sex) {
            return Some(match self.sex.as_deref() {
                Some("2") => Localized::new("此表仅适用于女性", "This form is for women only"),
                _ => Localized::new("此表仅适用于男性", "This form is for men only"),
            });
        }
        let too_young = self.min_age.is_some_and(|m| age < m);
        let too_old = self.max_age.is_some_and(|m| age >= m);
        (too_young || too_old).then(|| {
            let range = match (self.min_age, self.max_age) {
                (Some(a), Some(b)) => (format!("{a}–{}岁", b - 1), format!("ages {a}–{}", b - 1)),
                (Some(a), None) => (format!("{a}岁及以上"), format!("ages {a} and over")),
                (None, Some(b)) => (format!("{}岁以下", b), format!("under {b}")),
                (None, None) => (String::new(), String::new()),
            };
            Localized::new(format!("此表适用于{}，该居民{age}岁", range.0), format!("This form is for {}; the resident is {age}", range.1))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text {
        #[serde(default)]
        max_len: Option<u32>,
        #[serde(default)]
        multiline: bool,
    },
    Code {
        code_set: String,
        #[serde(default)]
        multi: bool,
        /// Codes that exclude every other code ("无", "无症状").
        #[serde(default)]
        exclusive: Vec<String>,
        /// Codes whose choice needs a written explanation in `<field>_text`.
        #[serde(default)]
        text_for: Vec<String>,
    },
    Number {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        decimals: u8,
        /// Values outside [min, max] are impossible and block saving.
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
        /// Values outside [warn_min, warn_max] are implausible and need confirmation.
        #[serde(default)]
        warn_min: Option<f64>,
        #[serde(default)]
        warn_max: Option<f64>,
    },
    Date {
        #[serde(default)]
        precision: DatePrecision,
        /// Dates later than today block saving (V9); next-visit dates set this false.
        #[serde(default = "yes")]
        not_future: bool,
    },
    /// A table of rows, each with the given columns (surgery, transfusion, drugs).
    Rows {
        columns: Vec<Field>,
        #[serde(default)]
        min_rows: u32,
        /// How many rows the paper form has; the app allows more.
        #[serde(default)]
        paper_rows: Option<u32>,
        /// Rules between the columns of each row.
        #[serde(default)]
        rules: Vec<Rule>,
    },
    /// A multi-select where every chosen code carries its own date (past diseases).
    CodeDates {
        code_set: String,
        #[serde(default)]
        exclusive: Vec<String>,
        #[serde(default)]
        text_for: Vec<String>,
        #[serde(default)]
        precision: DatePrecision,
        #[serde(default)]
        paper_rows: Option<u32>,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Field {
    pub id: String,
    /// The item's number on the paper form, e.g. "15".
    #[serde(default)]
    pub number: Option<String>,
    pub label: Localized,
    #[serde(flatten)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub when: Option<Condition>,
    /// The field is not asked when another field holds one of these codes.
    #[serde(default)]
    pub unless: Option<Condition>,
    /// The WS 363 data-element id, where the spec confirms one.
    #[serde(default)]
    pub de: Option<String>,
    /// A resident field this item shows (name, sex, ...), held outside the form's values.
    #[serde(default)]
    pub bound: Option<String>,
    #[serde(default)]
    pub hint: Option<Localized>,
    #[serde(default)]
    pub required_if: Option<Requirement>,
    #[serde(default)]
    pub derived: Option<Derivation>,
}

impl Field {
    /// Whether the field is asked, given the values so far: its `when`
    /// holds and its `unless` does not.
    pub fn asked(&self, values: &FormValues) -> bool {
        self.when.as_ref().is_none_or(|c| c.holds(values)) && !self.unless.as_ref().is_some_and(|c| c.holds(values))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Section {
    pub id: String,
    pub title: Localized,
    pub fields: Vec<Field>,
    /// The section is not asked when another field holds one of these codes
    /// (a follow-up that found the patient lost or dead records no readings).
    #[serde(default)]
    pub unless: Option<Condition>,
}

/// A measured value that also travels as a FHIR `Observation` with its LOINC
/// code (issue #4): one field, or a panel of fields (blood pressure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ObservationDef {
    /// Short and unique within the form; part of the Observation's id.
    pub key: String,
    pub loinc: String,
    pub display: String,
    /// The number field of a single measurement.
    #[serde(default)]
    pub field: Option<String>,
    /// Its UCUM unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// The parts of a panel.
    #[serde(default)]
    pub components: Vec<ObservationPart>,
}

/// One measurement of a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ObservationPart {
    pub field: String,
    pub loinc: String,
    pub display: String,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FormDef {
    pub id: String,
    pub version: u32,
    pub title: Localized,
    /// The WS/T 483 document type this form travels as, if any (§12.2).
    #[serde(default)]
    pub document_type: Option<String>,
    /// The field holding the date the service was given (the visit date).
    #[serde(default)]
    pub service_date: Option<String>,
    /// The field holding the next visit date, if the form books one.
    #[serde(default)]
    pub next_date: Option<String>,
    /// Who the form is for; everyone when absent.
    #[serde(default)]
    pub applies: Option<Applies>,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Measured values sent to the platform as Observations.
    #[serde(default)]
    pub observations: Vec<ObservationDef>,
}

impl FormDef {
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    /// The sections asked, given the values so far: those whose `unless` does not hold.
    pub fn asked_sections<'a>(&'a self, values: &'a FormValues) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(|s| !s.unless.as_ref().is_some_and(|c| c.holds(values)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{0} is not valid JSON for a {1}: {2}")]
    Json(String, &'static str, String),
    #[error("form {form}: {problem}")]
    Inconsistent { form: String, problem: String },
}

/// Every code set and form definition the app knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct FormRegistry {
    pub code_sets: BTreeMap<String, CodeSet>,
    pub forms: BTreeMap<String, FormDef>,
}

/// The fields the program itself reads, by form: a province's replacement
/// of one of these forms must keep them, or the schedules, proposals, the
/// card and the platform's copy would silently go wrong.
pub const RELIED_ON: &[(&str, &[&str])] = &[
    ("personal_basic_info", &["past_diseases", "drug_allergy", "blood_abo", "blood_rh", "contact_name", "contact_phone"]),
    ("health_exam", &["cerebrovascular", "cardiac", "renal", "vascular", "eye", "self_care"]),
    (
        "hypertension_followup",
        &["visit_date", "sbp", "dbp", "symptoms", "emergency", "classification", "next_step", "next_date", "outcome_status"],
    ),
    (
        "diabetes_followup",
        &["visit_date", "fbg", "sbp", "dbp", "symptoms", "emergency", "classification", "next_step", "next_date", "outcome_status"],
    ),
    ("mental_followup", &["visit_date", "risk", "insight", "classification", "next_date", "outcome_status"]),
    ("tb_followup", &["visit_date", "treatment_month", "supervisor", "next_date"]),
    ("prenatal_first", &["lmp"]),
    ("prenatal_followup", &["visit_no"]),
    ("postpartum_visit", &["delivery_date", "discharge_date"]),
    ("postpartum_42day", &["delivery_date"]),
    ("child_check_infant", &["visit_age"]),
    ("child_check_toddler", &["visit_age"]),
    ("child_check_preschool", &["visit_age"]),
];

impl FormRegistry {
    /// Loads code sets (a JSON array) and forms (one JSON document each), and
    /// checks that every form only uses codes and fields that exist, and
    /// keeps the fields the program reads ([`RELIED_ON`]).
    pub fn load(code_sets_json: &str, forms_json: &[(&str, &str)]) -> Result<FormRegistry, RegistryError> {
        let sets: Vec<CodeSet> =
            serde_json::from_str(code_sets_json).map_err(|e| RegistryError::Json("code sets".into(), "code set list", e.to_string()))?;
        let mut registry = FormRegistry::default();
        for set in sets {
            registry.code_sets.insert(set.id.clone(), set);
        }
        for (name, json) in forms_json {
            let form: FormDef =
                serde_json::from_str(json).map_err(|e| RegistryError::Json((*name).into(), "form definition", e.to_string()))?;
            registry.check(&form)?;
            if let Some((_, ids)) = RELIED_ON.iter().find(|(id, _)| *id == form.id) {
                if let Some(missing) = ids.iter().find(|id| !form.fields().any(|f| f.id == **id)) {
                    return Err(RegistryError::Inconsistent {
                        form: form.id.clone(),
                        problem: format!("the field `{missing}` is missing; the program reads it (schedules, proposals, the card or the platform's copy)"),
                    });
                }
            }
            registry.forms.insert(form.id.clone(), form);
        }
        Ok(registry)
    }

    pub fn form(&self, id: &str) -> Option<&FormDef> {
        self.forms.get(id)
    }

    pub fn code_set(&self, id: &str) -> Option<&CodeSet> {
        self.code_sets.get(id)
    }

    fn check(&self, form: &FormDef) -> Result<(), RegistryError> {
        let fail = |problem: String| RegistryError::Inconsistent { form: form.id.clone(), problem };
        let mut ids = HashSet::new();
        for field in form.fields() {
            if !ids.insert(field.id.as_str()) {
                return Err(fail(format!("field id {} is used twice", field.id)));
            }
        }
        let mut keys = HashSet::new();
        for obs in &form.observations {
            if !keys.insert(obs.key.as_str()) {
                return Err(fail(format!("observation key {} is used twice", obs.key)));
            }
            let measured = obs.field.iter().chain(obs.components.iter().map(|c| &c.field));
            for id in measured {
                if !matches!(form.field(id).map(|f| &f.kind), Some(FieldKind::Number { .. })) {
                    return Err(fail(format!("observation {} measures {id}, which is not a number field", obs.key)));
                }
            }
            if obs.field.is_some() != obs.components.is_empty() {
                return Err(fail(format!("observation {} needs either one field or components", obs.key)));
            }
        }
        for field in form.fields() {
            self.check_field(field, &ids).map_err(fail)?;
        }
        for section in &form.sections {
            if let Some(cond) = &section.unless {
                if section.fields.iter().any(|f| f.id == cond.field) {
                    return Err(fail(format!("section {} depends on its own field {}", section.id, cond.field)));
                }
                if !ids.contains(cond.field.as_str()) {
                    return Err(fail(format!("section {} depends on unknown field {}", section.id, cond.field)));
                }
            }
        }
        let known = |id: &str| if ids.contains(id) { Ok(()) } else { Err(fail(format!("refers to unknown field {id}"))) };
        for special in [&form.service_date, &form.next_date].into_iter().flatten() {
            known(special)?;
        }
        for rule in &form.rules {
            for id in rule.fields() {
                known(id)?;
            }
        }
        for field in form.fields() {
            if let Some(Requirement::FieldIs { field: other, .. }) = &field.required_if {
                known(other)?;
            }
            match &field.derived {
                Some(Derivation::Bmi { weight, height }) => {
                    known(weight)?;
                    known(height)?;
                }
                Some(Derivation::ScoreSum { fields }) => {
                    for f in fields {
                        known(f)?;
                    }
                }
                Some(Derivation::Bands { source, .. }) => known(source)?,
                Some(Derivation::Percent { part, whole }) => {
                    known(part)?;
                    known(whole)?;
                }
                None => {}
            }
        }
        Ok(())
    }

    fn check_field(&self, field: &Field, ids: &HashSet<&str>) -> Result<(), String> {
        for cond in field.when.iter().chain(&field.unless) {
            if !ids.contains(cond.field.as_str()) {
                return Err(format!("{} depends on unknown field {}", field.id, cond.field));
            }
        }
        match &field.kind {
            FieldKind::Code { code_set, exclusive, text_for, .. } | FieldKind::CodeDates { code_set, exclusive, text_for, .. } => {
                let set = self.code_set(code_set).ok_or_else(|| format!("{} uses unknown code set {code_set}", field.id))?;
                for code in exclusive.iter().chain(text_for) {
                    if set.entry(code).is_none() {
                        return Err(format!("{} names code {code}, which {code_set} does not have", field.id));
                    }
                }
            }
            FieldKind::Rows { columns, rules, .. } => {
                let col_ids: HashSet<&str> = columns.iter().map(|c| c.id.as_str()).collect();
                for col in columns {
                    self.check_field(col, &col_ids)?;
                }
                if let Some(id) = rules.iter().flat_map(Rule::fields).find(|id| !col_ids.contains(id)) {
                    return Err(format!("a rule of {} refers to unknown column {id}", field.id));
                }
            }
            FieldKind::Text { .. } | FieldKind::Number { .. } | FieldKind::Date { .. } => {}
        }
        Ok(())
    }
}
