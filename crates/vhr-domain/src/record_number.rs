//! The 17-digit health record number (居民健康档案编码), spec §2.
//!
//! `CCCCCC TTT VVV SSSSS`: county (GB/T 2260), township (GB/T 10114), village or
//! residents' committee, and a 5-digit personal serial. There is no check
//! digit. Serials are issued per 12-digit prefix, in creation order, and never
//! reused (R2.2); which serials an install may issue is its serial block (R2.5).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

pub const SERIAL_MIN: u32 = 1;
pub const SERIAL_MAX: u32 = 99_999;

/// A well-formed 17-digit record number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordNumber(String);

impl RecordNumber {
    /// Accepts exactly 17 ASCII digits (R2.1); spaces and dashes people use to
    /// group the digits are ignored.
    pub fn parse(input: &str) -> Result<RecordNumber, String> {
        let cleaned: String = crate::text::normalize_ascii(input).chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if cleaned.len() == 17 && cleaned.bytes().all(|b| b.is_ascii_digit()) {
            Ok(RecordNumber(cleaned))
        } else {
            Err(format!("a record number has exactly 17 digits, got {input:?}"))
        }
    }

    /// Builds the number for a serial under a 12-digit prefix.
    pub fn new(prefix: &Prefix, serial: u32) -> RecordNumber {
        debug_assert!((SERIAL_MIN..=SERIAL_MAX).contains(&serial));
        RecordNumber(format!("{}{serial:05}", prefix.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> Prefix {
        Prefix(self.0[..12].to_string())
    }

    pub fn serial(&self) -> u32 {
        self.0[12..].parse().expect("the serial is 5 digits by construction")
    }

    /// The last 8 digits as the other forms print them: `VVV-SSSSS` (R2.4).
    pub fn last8(&self) -> String {
        format!("{}-{}", &self.0[9..12], &self.0[12..])
    }

    /// The number grouped 6-3-3-5 for reading aloud and on screen.
    pub fn grouped(&self) -> String {
        format!("{} {} {} {}", &self.0[..6], &self.0[6..9], &self.0[9..12], &self.0[12..])
    }
}

impl fmt::Display for RecordNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RecordNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RecordNumber::parse(&value)
    }
}

impl From<RecordNumber> for String {
    fn from(value: RecordNumber) -> String {
        value.0
    }
}

/// The 12 digits county + township + village under which serials are issued.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix(String);

impl Prefix {
    pub fn new(county: &str, township: &str, village: &str) -> Prefix {
        Prefix(format!("{county}{township}{village}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn village(&self) -> &str {
        &self.0[9..]
    }
}

/// What kind of organisation a village segment names under the norm's ranges
/// (§2). Used for hints only: R2.7 lets a region use other ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VillageKind {
    ResidentsCommittee,
    VillageCommittee,
    Other,
    OutsideNormRanges,
}

pub fn village_kind(code: &str) -> VillageKind {
    match code.parse::<u16>() {
        Ok(1..=99) => VillageKind::ResidentsCommittee,
        Ok(101..=199) => VillageKind::VillageCommittee,
        Ok(901..=999) => VillageKind::Other,
        _ => VillageKind::OutsideNormRanges,
    }
}

/// Checks a code of `len` digits, reporting against `field`.
pub fn check_digits(field: &str, value: &str, len: usize, what_zh: &str, what_en: &str) -> Option<Problem> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        Some(Problem::error(field, "code.digits", format!("{what_zh}应为{len}位数字"), format!("The {what_en} has exactly {len} digits")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let n = RecordNumber::parse("450102 101 101 00042").unwrap();
        assert_eq!(n.as_str(), "45010210110100042");
        assert_eq!(n.last8(), "101-00042");
        assert_eq!(n.grouped(), "450102 101 101 00042");
        assert_eq!(n.serial(), 42);
        assert_eq!(n.prefix().village(), "101");
    }

    #[test]
    fn rejects_wrong_lengths_and_letters() {
        assert!(RecordNumber::parse("4501021011010004").is_err());
        assert!(RecordNumber::parse("45010210110100042X").is_err());
        assert!(RecordNumber::parse("4501021011010004X").is_err());
    }

    #[test]
    fn builds_from_prefix_and_serial() {
        let p = Prefix::new("450102", "101", "105");
        assert_eq!(RecordNumber::new(&p, 7).as_str(), "45010210110500007");
    }

    #[test]
    fn village_ranges_follow_the_norm() {
        assert_eq!(village_kind("001"), VillageKind::ResidentsCommittee);
        assert_eq!(village_kind("101"), VillageKind::VillageCommittee);
        assert_eq!(village_kind("250"), VillageKind::OutsideNormRanges);
        assert_eq!(village_kind("901"), VillageKind::Other);
    }
}
