//! The two languages of the user interface and text that carries both.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A language the app speaks. Chinese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Reads a language tag such as `zh-CN`, `zh_CN.UTF-8` or `en_US`; anything
    /// that is not English falls back to Chinese, the product's default.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// A text in both languages, as the form definitions and code sets carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Localized { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}
