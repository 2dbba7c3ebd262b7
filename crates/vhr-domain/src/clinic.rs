//! The clinic an install belongs to: its institution, divisions, villages and
//! the serial block it may issue record numbers from.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::problem::Problem;
use crate::record_number::{check_digits, village_kind, VillageKind, SERIAL_MAX, SERIAL_MIN};

/// A village (or residents' committee) the clinic serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Village {
    /// The 3-digit segment 3 of the record number (R2.7: configured, not derived).
    pub code: String,
    pub name: String,
}

/// The serials this install may issue, the same range in every village (R2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SerialBlock {
    pub start: u32,
    pub end: u32,
}

/// Everything the first-start screen asks about the clinic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClinicProfile {
    pub institution_name: String,
    #[serde(default)]
    pub institution_phone: String,
    /// GB/T 2260 county code, 6 digits.
    pub county_code: String,
    /// The year of the GB/T 2260 table the county code comes from (R2.6).
    pub division_code_year: u16,
    /// GB/T 10114 township code, 3 digits.
    pub township_code: String,
    pub township_name: String,
    pub villages: Vec<Village>,
    pub serial_block: SerialBlock,
}

impl ClinicProfile {
    pub fn village(&self, code: &str) -> Option<&Village> {
        self.villages.iter().find(|v| v.code == code)
    }

    /// Every problem with the profile; warnings only hint (R2.7).
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.institution_name.trim().is_empty() {
            problems.push(Problem::error("institution_name", "required", "请填写建档机构名称", "Enter the institution's name"));
        }
        problems.extend(check_digits("county_code", &self.county_code, 6, "县级行政区划代码", "county code"));
        problems.extend(check_digits("township_code", &self.township_code, 3, "乡镇（街道）代码", "township code"));
        if !(1980..=2100).contains(&self.division_code_year) {
            problems.push(Problem::error(
                "division_code_year",
                "division_code_year",
                "请填写行政区划代码的版本年份（如 2024）",
                "Enter the year of the division code table (e.g. 2024)",
            ));
        }
        if self.villages.is_empty() {
            problems.push(Problem::error("villages", "required", "至少添加一个服务村", "Add at least one village"));
        }
        for (i, v) in self.villages.iter().enumerate() {
            let field = format!("villages[{i}].code");
            if let Some(p) = check_digits(&field, &v.code, 3, "村（居）委会代码", "village code") {
                problems.push(p);
            } else if v.code == "000" {
                problems.push(Problem::error(&field, "village.zero", "村（居）委会代码不能为 000", "The village code cannot be 000"));
            } else if village_kind(&v.code) == VillageKind::OutsideNormRanges {
                problems.push(Problem::warning(
                    &field,
                    "village.range",
                    "规范中村委会代码为 101–199、居委会为 001–099；请确认本地区的编码规则",
                    "The norm uses 101–199 for village committees and 001–099 for residents' committees; confirm your region's rule",
                ));
            }
            if v.name.trim().is_empty() {
                problems.push(Problem::error(format!("villages[{i}].name"), "required", "请填写村名", "Enter the village's name"));
            }
            if self.villages[..i].iter().any(|o| o.code == v.code) {
                problems.push(Problem::error(&field, "village.duplicate", "村代码重复", "This village code is used twice"));
            }
        }
        let b = self.serial_block;
        if !(SERIAL_MIN..=SERIAL_MAX).contains(&b.start) || !(SERIAL_MIN..=SERIAL_MAX).contains(&b.end) || b.start > b.end {
            problems.push(Problem::error(
                "serial_block",
                "serial_block.range",
                "个人序号段应在 00001–99999 之内，且起始不大于结束",
                "The serial block lies within 00001–99999 and starts no later than it ends",
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn profile() -> ClinicProfile {
        ClinicProfile {
            institution_name: "青山镇卫生院石桥村卫生室".into(),
            institution_phone: "0771-5550123".into(),
            county_code: "450102".into(),
            division_code_year: 2024,
            township_code: "101".into(),
            township_name: "青山镇".into(),
            villages: vec![Village { code: "101".into(), name: "石桥村".into() }],
            serial_block: SerialBlock { start: 1, end: 99_999 },
        }
    }

    #[test]
    fn a_good_profile_has_no_problems() {
        assert_eq!(profile().validate(), vec![]);
    }

    #[test]
    fn bad_codes_and_blocks_are_reported_per_field() {
        let mut p = profile();
        p.county_code = "45010".into();
        p.villages.push(Village { code: "101".into(), name: "重复村".into() });
        p.serial_block = SerialBlock { start: 500, end: 100 };
        let fields: Vec<_> = p.validate().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["county_code", "villages[1].code", "serial_block"]);
    }
}
