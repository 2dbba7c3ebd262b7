//! A resident's record: the cover (§4.2), the identity fields of the personal
//! basic information form (§5 items 1–3, 5, 8) and the form's other items as
//! data driven by the form definition.
//!
//! `prepare` normalises what the user typed and reports every problem at once;
//! the store only ever sees input that went through it.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clinic::ClinicProfile;
use crate::forms::FormValues;
use crate::id_card::{self, earliest_birth_date};
use crate::problem::Problem;
use crate::text::normalize_ascii;

/// Sex, GB/T 2261.1-2003 (§5.2.1), stored as the printed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum Sex {
    #[serde(rename = "0")]
    Unknown,
    #[serde(rename = "1")]
    Male,
    #[serde(rename = "2")]
    Female,
    #[serde(rename = "9")]
    NotStated,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::NotStated => "9",
        }
    }

    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "0" => Some(Sex::Unknown),
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "9" => Some(Sex::NotStated),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Unknown => "未知",
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::NotStated => "未说明",
        }
    }
}

/// 常住类型 (§1): registered (户籍) or not (非户籍).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum ResidenceType {
    #[serde(rename = "1")]
    Registered,
    #[serde(rename = "2")]
    NotRegistered,
}

/// How the resident is identified (R3.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdDocument {
    /// A citizen ID number; `original_15` keeps a legacy number it was upgraded from.
    CitizenId {
        number: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        original_15: Option<String>,
    },
    /// 无: the person has no ID number (e.g. an infant).
    None,
    /// 不详: the number exists but is not known.
    Unknown,
    /// Another document (passport, permits); the type code follows WS 364 CV02.01.101 (Unconfirmed list).
    Other { doc_type: String, number: String },
}

impl IdDocument {
    pub fn citizen_number(&self) -> Option<&str> {
        match self {
            IdDocument::CitizenId { number, .. } => Some(number),
            _ => None,
        }
    }
}

/// The lifecycle status of a record (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Active,
    MovedOut,
    Dead,
    Lost,
    Cancelled,
    Other,
}

impl RecordStatus {
    /// How the register names the status (§9.1).
    pub fn label(self) -> crate::i18n::Localized {
        let (zh, en) = match self {
            RecordStatus::Active => ("在册", "Active"),
            RecordStatus::MovedOut => ("迁出", "Moved away"),
            RecordStatus::Dead => ("死亡", "Died"),
            RecordStatus::Lost => ("失访", "Lost to follow-up"),
            RecordStatus::Cancelled => ("注销", "Cancelled"),
            RecordStatus::Other => ("其他原因结案", "Closed, other reason"),
        };
        crate::i18n::Localized::new(zh, en)
    }

    /// Reads the stored code (`active`, `moved_out`, …).
    pub fn from_code(code: &str) -> Option<RecordStatus> {
        Some(match code {
            "active" => RecordStatus::Active,
            "moved_out" => RecordStatus::MovedOut,
            "dead" => RecordStatus::Dead,
            "lost" => RecordStatus::Lost,
            "cancelled" => RecordStatus::Cancelled,
            "other" => RecordStatus::Other,
            _ => return None,
        })
    }
}

/// What a user enters for a resident: the cover and personal basic information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ResidentInput {
    pub name: String,
    /// Prefilled from the citizen ID number when absent.
    #[serde(default)]
    pub sex: Option<Sex>,
    /// Prefilled from the citizen ID number when absent.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    pub id_document: IdDocument,
    #[serde(default)]
    pub phone: String,
    pub residence_type: ResidenceType,
    /// 居住起始日期: when the resident started living in the catchment (R1.1).
    #[serde(default)]
    pub residence_since: Option<NaiveDate>,
    /// The 3-digit village segment of the record number.
    pub village_code: String,
    #[serde(default)]
    pub current_address: String,
    #[serde(default)]
    pub hukou_address: String,
    #[serde(default)]
    pub responsible_doctor: String,
    /// 建档日期; today when absent.
    #[serde(default)]
    pub created_on: Option<NaiveDate>,
    /// The other items of the personal basic information form, keyed by field id.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub basic_info: FormValues,
}

/// The household a resident belongs to, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Membership {
    pub household_id: String,
    /// Relationship to the head of household, e.g. 户主, 配偶, 子, 女.
    pub relation: String,
    pub is_head: bool,
}

/// A resident as another copy of the record holds it: the platform's, read
/// back from its `Patient` and personal basic information response.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteResident {
    pub id: String,
    pub record_no: String,
    pub data: ResidentInput,
    pub household: Option<Membership>,
    pub status: RecordStatus,
    pub institution: String,
    /// The institution managing the record now, when a transfer moved it
    /// from the one that created it (empty: managed where it was created).
    pub managed_by: String,
    /// Why and when the record closed, while it is closed.
    pub closure: Option<crate::closure::Closure>,
    pub reopened: Option<crate::closure::Reopening>,
    pub merged_from: Vec<crate::closure::MergedRecord>,
}

/// A stored resident record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Resident {
    /// Stable UUID, the same on every install and on the platform.
    pub id: String,
    /// Increases by one with every change; edits name the version they started from.
    pub version: i64,
    /// The 17-digit health record number.
    pub record_no: String,
    #[serde(flatten)]
    pub data: ResidentInput,
    pub household: Option<Membership>,
    pub status: RecordStatus,
    /// Why and when the record closed (§9.2), while it is closed; a reopened
    /// record keeps its closure in its history.
    #[serde(default)]
    pub closure: Option<crate::closure::Closure>,
    /// The latest reopening of the record, if it was closed once.
    #[serde(default)]
    pub reopened: Option<crate::closure::Reopening>,
    /// The records of the same person merged into this one.
    #[serde(default)]
    pub merged_from: Vec<crate::closure::MergedRecord>,
    /// 建档单位.
    pub institution: String,
    /// The institution that manages the record now, when it moved there
    /// from the one that created it (a transfer, §9.3); empty: managed where
    /// it was created.
    #[serde(default)]
    pub managed_by: String,
    /// 建档人 (display name of the user who created the record).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Resident {
    /// The institution that manages the record now (管理机构).
    pub fn managing_institution(&self) -> &str {
        if self.managed_by.is_empty() {
            &self.institution
        } else {
            &self.managed_by
        }
    }
}

/// Age in completed years at `on`; a 29 February birthday falls on 28 February.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.years_since(birth).unwrap_or(0);
    // `years_since` counts 29 Feb → 28 Feb as not yet a birthday; the norm's
    // age rules are about the day a person turns N, which we put on 28 Feb.
    if let Some(next) = birth.checked_add_months(Months::new(12 * (years + 1))) {
        if next <= on {
            years += 1;
        }
    }
    years
}

/// The latest birth date of someone aged at least `years` on `on`; so that
/// `age_on(b, on) >= years` exactly when `b <= age_cutoff(on, years)`.
pub fn age_cutoff(on: NaiveDate, years: u32) -> NaiveDate {
    use chrono::Datelike;
    let y = on.year() - years as i32;
    let is_leap = |y: i32| NaiveDate::from_ymd_opt(y, 2, 29).is_some();
    if on.month() == 2 && on.day() == 28 && !is_leap(on.year()) && is_leap(y) {
        return NaiveDate::from_ymd_opt(y, 2, 29).expect("leap year");
    }
    NaiveDate::from_ymd_opt(y, on.month(), on.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, on.month(), 28))
        .expect("the 28th exists in every month")
}

/// What is wrong with a phone number as typed (after `normalize_ascii`), if anything.
pub fn phone_problem(field: &str, phone: &str) -> Option<Problem> {
    let ok = phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ')) && phone.chars().count() <= 30;
    (!ok).then(|| {
        Problem::error(
            field,
            "phone.format",
            "电话号码只能包含数字和“-”，最多30位",
            "A phone number has only digits and dashes, 30 at most",
        )
    })
}

/// Normalises a resident's input and finds every problem with its identity
/// and cover. The basic-information items are checked by the form engine.
pub fn prepare(mut input: ResidentInput, clinic: &ClinicProfile, today: NaiveDate) -> (ResidentInput, Vec<Problem>) {
    let mut problems = Vec::new();
    input.name = input.name.trim().to_string();
    input.phone = normalize_ascii(&input.phone);
    input.village_code = normalize_ascii(&input.village_code);
    for text in [&mut input.current_address, &mut input.hukou_address, &mut input.responsible_doctor] {
        *text = text.trim().to_string();
    }

    if input.name.is_empty() {
        problems.push(Problem::error("name", "required", "请填写姓名", "Enter the resident's name"));
    } else if input.name.chars().count() > 50 {
        problems.push(Problem::error("name", "name.too_long", "姓名不能超过50个字", "A name has at most 50 characters"));
    }

    // When the ID number itself is wrong, sex and birth date are not asked
    // for separately: they will be filled from the number once it is right.
    let mut id_failed = false;
    match &mut input.id_document {
        IdDocument::CitizenId { number, original_15 } => match id_card::parse(number, today) {
            Ok(id) => {
                *number = id.number.clone();
                if id.upgraded_from.is_some() {
                    *original_15 = id.upgraded_from.clone();
                }
                match input.sex {
                    None => input.sex = Some(id.sex),
                    Some(sex) if sex != id.sex => problems.push(Problem::error(
                        "sex",
                        "id_card.sex_mismatch",
                        format!("身份证号显示性别为{}，与所填性别不一致", id.sex.label_zh()),
                        format!(
                            "The ID number says the sex is {}, which differs from the sex entered",
                            if id.sex == Sex::Male { "male" } else { "female" }
                        ),
                    )),
                    Some(_) => {}
                }
                match input.birth_date {
                    None => input.birth_date = Some(id.birth_date),
                    Some(b) if b != id.birth_date => problems.push(Problem::error(
                        "birth_date",
                        "id_card.birth_mismatch",
                        format!("身份证号中的出生日期为 {}，与所填出生日期不一致", id.birth_date),
                        format!("The ID number gives the birth date {}, which differs from the one entered", id.birth_date),
                    )),
                    Some(_) => {}
                }
            }
            Err(e) => {
                id_failed = true;
                let (zh, en) = e.messages();
                problems.push(Problem::error("id_document.number", e.code(), zh, en));
            }
        },
        IdDocument::Other { doc_type, number } => {
            *number = normalize_ascii(number);
            if doc_type.trim().is_empty() || number.is_empty() {
                problems.push(Problem::error(
                    "id_document.number",
                    "required",
                    "请填写证件类型和证件号码",
                    "Enter the document type and number",
                ));
            }
        }
        IdDocument::None | IdDocument::Unknown => {}
    }

    match input.sex {
        None if !id_failed => problems.push(Problem::error("sex", "required", "请选择性别", "Choose the sex")),
        _ => {}
    }
    match input.birth_date {
        None if !id_failed => problems.push(Problem::error("birth_date", "required", "请填写出生日期", "Enter the birth date")),
        None => {}
        Some(b) if b > today => {
            problems.push(Problem::error("birth_date", "date.future", "出生日期不能晚于今天", "The birth date cannot be after today"))
        }
        Some(b) if b < earliest_birth_date() => problems.push(Problem::error(
            "birth_date",
            "date.too_early",
            "出生日期早于1880年，请核对",
            "The birth date is before 1880; please check",
        )),
        Some(_) => {}
    }

    problems.extend(phone_problem("phone", &input.phone));

    if clinic.village(&input.village_code).is_none() {
        problems.push(Problem::error(
            "village_code",
            "village.unknown",
            "请选择本机构服务的村（居）委会",
            "Choose one of the villages this clinic serves",
        ));
    }

    if let Some(since) = input.residence_since {
        if since > today {
            problems.push(Problem::error(
                "residence_since",
                "date.future",
                "居住起始日期不能晚于今天",
                "The date residence began cannot be after today",
            ));
        } else if input.residence_type == ResidenceType::NotRegistered
            && since.checked_add_months(Months::new(6)).is_some_and(|half_year| half_year > today)
        {
            problems.push(Problem::warning(
                "residence_since",
                "residence.under_half_year",
                "非户籍居民在本地居住未满半年，按规范尚不属于常住居民；确认仍要建档吗？",
                "This non-registered resident has lived here for less than half a year, so is not yet a permanent resident under the norm; create the record anyway?",
            ));
        }
    }

    match input.created_on {
        None => input.created_on = Some(today),
        Some(d) if d > today => problems.push(Problem::error(
            "created_on",
            "date.future",
            "建档日期不能晚于今天",
            "The record's creation date cannot be after today",
        )),
        Some(_) => {}
    }

    (input, problems)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clinic::{SerialBlock, Village};

    pub fn clinic() -> ClinicProfile {
        ClinicProfile {
            institution_name: "石桥村卫生室".into(),
            institution_phone: String::new(),
            county_code: "450102".into(),
            division_code_year: 2024,
            township_code: "101".into(),
            township_name: "青山镇".into(),
            villages: vec![Village { code: "101".into(), name: "石桥村".into() }],
            serial_block: SerialBlock { start: 1, end: 99_999 },
        }
    }

    pub fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    pub fn input(id: &str) -> ResidentInput {
        ResidentInput {
            name: " 张三 ".into(),
            sex: None,
            birth_date: None,
            id_document: IdDocument::CitizenId { number: id.into(), original_15: None },
            phone: "１３８００１３８０００".into(),
            residence_type: ResidenceType::Registered,
            residence_since: None,
            village_code: "101".into(),
            current_address: "石桥村3组".into(),
            hukou_address: String::new(),
            responsible_doctor: "李医生".into(),
            created_on: None,
            basic_info: FormValues::new(),
        }
    }

    #[test]
    fn status_codes_read_back_as_written() {
        for s in [
            RecordStatus::Active,
            RecordStatus::MovedOut,
            RecordStatus::Dead,
            RecordStatus::Lost,
            RecordStatus::Cancelled,
            RecordStatus::Other,
        ] {
            let code = serde_json::to_value(s).unwrap();
            assert_eq!(RecordStatus::from_code(code.as_str().unwrap()), Some(s));
        }
    }

    #[test]
    fn id_number_prefills_sex_and_birth_date() {
        let (ready, problems) = prepare(input("11010519491231002x"), &clinic(), today());
        assert_eq!(problems, vec![]);
        assert_eq!(ready.name, "张三");
        assert_eq!(ready.sex, Some(Sex::Female));
        assert_eq!(ready.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(ready.id_document.citizen_number(), Some("11010519491231002X"));
        assert_eq!(ready.phone, "13800138000", "full-width digits are converted");
        assert_eq!(ready.created_on, Some(today()));
    }

    #[test]
    fn sex_that_disagrees_with_the_id_blocks_saving() {
        let mut i = input("11010519491231002X");
        i.sex = Some(Sex::Male);
        let (_, problems) = prepare(i, &clinic(), today());
        assert_eq!(problems.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), vec!["id_card.sex_mismatch"]);
        assert!(problems[0].is_error());
    }

    #[test]
    fn residence_under_half_year_is_only_a_warning() {
        let mut i = input("11010519491231002X");
        i.residence_type = ResidenceType::NotRegistered;
        i.residence_since = NaiveDate::from_ymd_opt(2026, 7, 1);
        let (_, problems) = prepare(i, &clinic(), today());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "residence.under_half_year");
        assert!(!problems[0].is_error());
    }

    #[test]
    fn no_id_needs_sex_and_birth_date_by_hand() {
        let mut i = input("");
        i.id_document = IdDocument::None;
        let (_, problems) = prepare(i, &clinic(), today());
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["sex", "birth_date"]);
    }

    #[test]
    fn age_and_cutoff_agree_on_every_day_of_a_leap_cycle() {
        let births = [
            NaiveDate::from_ymd_opt(1960, 2, 29).unwrap(),
            NaiveDate::from_ymd_opt(1961, 2, 28).unwrap(),
            NaiveDate::from_ymd_opt(1961, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(1960, 12, 31).unwrap(),
        ];
        let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        while day < NaiveDate::from_ymd_opt(2029, 1, 1).unwrap() {
            for b in births {
                for years in [64, 65, 66] {
                    assert_eq!(age_on(b, day) >= years, b <= age_cutoff(day, years), "born {b}, on {day}, {years} years");
                }
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn a_29_february_birthday_is_kept_on_28_february() {
        let b = NaiveDate::from_ymd_opt(1960, 2, 29).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2025, 2, 27).unwrap()), 64);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()), 65);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()), 64);
    }
}
