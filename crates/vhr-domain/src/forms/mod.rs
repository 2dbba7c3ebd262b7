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
    Rule, Section,
};
pub use validate::{normalize_date, validate, ValidationContext};

/// Filled-in values of a form, keyed by field id.
///
/// Shapes: text → string; single code → string; multi code → array of strings;
/// the text that goes with an "other" option → `<field>_text`; number → number;
/// date → `YYYY-MM-DD` (or `YYYY-MM`); rows → array of objects keyed by column
/// id; coded dates → array of `{code, date, text?}`.
pub type FormValues = serde_json::Map<String, serde_json::Value>;

#[cfg(test)]
mod tests;
