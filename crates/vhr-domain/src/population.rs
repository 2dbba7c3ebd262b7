//! Key-population tags (重点人群, R1.2), derived from the data and never typed.
//!
//! Age tags come from the birth date and "today"; disease tags from confirmed
//! past-history diagnoses (§5.2.8) together with the age rule for chronic
//! disease management (35 and over). Pregnancy, tuberculosis and a registered
//! severe mental disorder come from open programme episodes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::forms::FormValues;
use crate::resident::age_on;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// 0–6 years, i.e. before the 7th birthday.
    Child,
    /// 65 and over.
    Elderly,
    /// Confirmed hypertension, 35 and over.
    Hypertension,
    /// Confirmed diabetes, 35 and over.
    Diabetes,
    /// Severe mental disorder: diagnosed on the past history, or registered in the programme.
    SevereMental,
    /// Pregnant or postpartum, while the maternal programme is open.
    Maternal,
    /// Pulmonary tuberculosis under management.
    Tuberculosis,
}

impl Tag {
    pub const ALL: [Tag; 7] =
        [Tag::Child, Tag::Elderly, Tag::Hypertension, Tag::Diabetes, Tag::SevereMental, Tag::Maternal, Tag::Tuberculosis];

    pub fn label_zh(self) -> &'static str {
        match self {
            Tag::Child => "0–6岁儿童",
            Tag::Elderly => "65岁及以上老年人",
            Tag::Hypertension => "高血压",
            Tag::Diabetes => "2型糖尿病",
            Tag::SevereMental => "严重精神障碍",
            Tag::Maternal => "孕产妇",
            Tag::Tuberculosis => "肺结核",
        }
    }
}

/// The age below which a resident is a child, and at which one is elderly.
pub const CHILD_UNTIL: u32 = 7;
pub const ELDERLY_FROM: u32 = 65;
pub const CHRONIC_FROM: u32 = 35;

/// Diagnoses on the past-history list that the tags depend on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Diagnoses {
    pub hypertension: bool,
    pub diabetes: bool,
    pub severe_mental: bool,
}

impl Diagnoses {
    /// Reads the past-disease rows (`past_diseases`, §5.2.8 codes 2, 3 and 8).
    pub fn from_basic_info(values: &FormValues) -> Diagnoses {
        let codes: Vec<&str> = values
            .get("past_diseases")
            .and_then(|v| v.as_array())
            .map(|rows| rows.iter().filter_map(|r| r.get("code").and_then(|c| c.as_str())).collect())
            .unwrap_or_default();
        Diagnoses { hypertension: codes.contains(&"2"), diabetes: codes.contains(&"3"), severe_mental: codes.contains(&"8") }
    }
}

impl Diagnoses {
    /// The first day of the month a past-history disease was diagnosed (`YYYY-MM`).
    pub fn month_of(values: &FormValues, code: &str) -> Option<NaiveDate> {
        let rows = values.get("past_diseases")?.as_array()?;
        let ym = rows.iter().find(|r| r.get("code").and_then(|c| c.as_str()) == Some(code))?.get("date")?.as_str()?;
        NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d").ok()
    }
}

/// Open episodes of the registered programmes, as the tags need them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Registered {
    pub maternal: bool,
    pub severe_mental: bool,
    pub tuberculosis: bool,
}

impl Registered {
    /// Reads the comma-separated programme codes the store keeps per resident.
    pub fn from_codes(codes: &str) -> Registered {
        let has = |c: &str| codes.split(',').any(|x| x == c);
        Registered { maternal: has("maternal"), severe_mental: has("severe_mental"), tuberculosis: has("tuberculosis") }
    }
}

/// Every tag that applies to a resident on `today`.
pub fn tags(birth: NaiveDate, diagnoses: Diagnoses, registered: Registered, today: NaiveDate) -> Vec<Tag> {
    let age = age_on(birth, today);
    let mut tags = Vec::new();
    if age < CHILD_UNTIL {
        tags.push(Tag::Child);
    }
    if age >= ELDERLY_FROM {
        tags.push(Tag::Elderly);
    }
    if diagnoses.hypertension && age >= CHRONIC_FROM {
        tags.push(Tag::Hypertension);
    }
    if diagnoses.diabetes && age >= CHRONIC_FROM {
        tags.push(Tag::Diabetes);
    }
    if diagnoses.severe_mental || registered.severe_mental {
        tags.push(Tag::SevereMental);
    }
    if registered.maternal {
        tags.push(Tag::Maternal);
    }
    if registered.tuberculosis {
        tags.push(Tag::Tuberculosis);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn child_until_the_seventh_birthday() {
        let today = d(2026, 11, 21);
        assert_eq!(tags(d(2019, 11, 22), Diagnoses::default(), Registered::default(), today), vec![Tag::Child]);
        assert_eq!(tags(d(2019, 11, 21), Diagnoses::default(), Registered::default(), today), vec![], "turns 7 today");
    }

    #[test]
    fn hypertension_needs_age_35() {
        let dx = Diagnoses::from_basic_info(json!({"past_diseases": [{"code": "2", "date": "2020-01"}]}).as_object().unwrap());
        assert!(dx.hypertension);
        assert_eq!(tags(d(1992, 1, 1), dx, Registered::default(), d(2026, 11, 21)), vec![], "34 years old");
        assert_eq!(tags(d(1991, 1, 1), dx, Registered::default(), d(2026, 11, 21)), vec![Tag::Hypertension]);
        assert_eq!(tags(d(1950, 1, 1), dx, Registered::default(), d(2026, 11, 21)), vec![Tag::Elderly, Tag::Hypertension]);
    }
}
