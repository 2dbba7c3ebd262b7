//! Likely duplicates: two records that may be the same person.
//!
//! An identical citizen ID number is a hard duplicate and handled by the
//! store's unique index. Here are the soft rules that warn before saving:
//! the same name and birth date, or the same household and a similar name.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::search::pinyin_keys;

/// An existing resident that might be the one being registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub birth_date: NaiveDate,
    pub household_id: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameNameAndBirthDate,
    SameHouseholdSimilarName,
}

/// The reasons, if any, why `existing` may be the same person as the new one.
pub fn likely_duplicate(name: &str, birth: NaiveDate, household: Option<&str>, existing: &Candidate<'_>) -> Option<DuplicateReason> {
    if name == existing.name && birth == existing.birth_date {
        return Some(DuplicateReason::SameNameAndBirthDate);
    }
    if household.is_some() && household == existing.household_id && similar_names(name, existing.name) {
        return Some(DuplicateReason::SameHouseholdSimilarName);
    }
    None
}

/// Names that sound the same, or differ in one character.
pub fn similar_names(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Two-character names differ in one character between siblings (王芳, 王强), so
    // only longer names count a one-character difference as similar.
    if ac.len() == bc.len() && ac.len() >= 3 && ac.iter().zip(&bc).filter(|(x, y)| x != y).count() <= 1 {
        return true;
    }
    let (pa, _) = pinyin_keys(a);
    let (pb, _) = pinyin_keys(b);
    pa.iter().any(|x| pb.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_and_birth_date() {
        let b = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap();
        let c = Candidate { id: "x", name: "王芳", birth_date: b, household_id: None };
        assert_eq!(likely_duplicate("王芳", b, None, &c), Some(DuplicateReason::SameNameAndBirthDate));
        assert_eq!(likely_duplicate("王芳", b.succ_opt().unwrap(), None, &c), None);
    }

    #[test]
    fn same_household_and_homophone() {
        let b = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap();
        let other = NaiveDate::from_ymd_opt(1951, 1, 2).unwrap();
        let c = Candidate { id: "x", name: "李秀英", birth_date: b, household_id: Some("h1") };
        assert_eq!(likely_duplicate("李秀瑛", other, Some("h1"), &c), Some(DuplicateReason::SameHouseholdSimilarName));
        assert_eq!(likely_duplicate("李秀瑛", other, Some("h2"), &c), None);
        assert_eq!(likely_duplicate("李建国", other, Some("h1"), &c), None, "a different person in the same house");
    }
}
