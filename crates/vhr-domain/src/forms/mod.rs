//! Forms as data: one definition per national form drives the UI, validation,
//! printing, export and mapping.
//!
//! A definition (JSON in `assets/forms/`) lists sections and fields in the
//! paper form's order, with code sets as printed, units, required and
//! conditional rules, exclusive options, the options that need a written
//! explanation, and the WS 363 data-element id where the spec gives one. This
//! module loads definitions, checks them for internal consistency and
//! validates filled-in values against them; it knows no particular form.

mod def;
mod validate;

pub use def::{
    Band, CodeEntry, CodeSet, Condition, DatePrecision, Derivation, Field, FieldKind, FormDef, FormRegistry, RegistryError, Requirement,
    Rule, Section, RELIED_ON,
};
pub use validate::{normalize_date, validate, ValidationContext};

/// Filled-in values of a form, keyed by field id.
///
/// Shapes: text → string; single code → string; multi code → array of strings;
/// the text that goes with an "other" option → `<field>_text`; number → number;
/// date → `YYYY-MM-DD` (or `YYYY-MM`); rows → array of objects keyed by column
/// id; coded dates → array of `{code, date, text?}`.
pub type FormValues = serde_json::Map<String, serde_json::Value>;

/// The day a form's field holds, when it holds a whole day (`YYYY-MM-DD`).
/// Values come out of validation normalised, so this is the one way a date
/// is read back from stored values.
pub fn date_value(values: &FormValues, field: &str) -> Option<chrono::NaiveDate> {
    values.get(field).and_then(serde_json::Value::as_str).and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

impl FormDef {
    /// The day the service was given, from the form's service-date field.
    pub fn service_date_in(&self, values: &FormValues) -> Option<chrono::NaiveDate> {
        self.service_date.as_deref().and_then(|f| date_value(values, f))
    }

    /// The next visit the form books, from its next-date field.
    pub fn next_date_in(&self, values: &FormValues) -> Option<chrono::NaiveDate> {
        self.next_date.as_deref().and_then(|f| date_value(values, f))
    }
}

#[cfg(test)]
mod tests;
