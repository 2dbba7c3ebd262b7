//! Problems found in user input: what is wrong, where, and how to say it.
//!
//! A problem has a stable machine code (for tests and the UI), the field it
//! belongs to, a severity and a message in both languages that tells the user
//! what to do. Errors block saving; warnings need the user's confirmation.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::i18n::{Lang, Localized};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks saving.
    Error,
    /// Saving needs the user's confirmation.
    Warning,
}

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Problem {
    /// The field's path in the input, such as `id_document.number` or
    /// `basic_info.past_diseases[2].date`.
    pub field: String,
    /// A stable code such as `id_card.check_digit`.
    pub code: String,
    pub severity: Severity,
    pub message: Localized,
}

impl Problem {
    pub fn error(field: impl Into<String>, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem { field: field.into(), code: code.to_string(), severity: Severity::Error, message: Localized::new(zh, en) }
    }

    pub fn warning(field: impl Into<String>, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem { severity: Severity::Warning, ..Problem::error(field, code, zh, en) }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn text(&self, lang: Lang) -> &str {
        self.message.get(lang)
    }
}

/// True when any of the problems blocks saving.
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(Problem::is_error)
}
