//! The citizen ID number (公民身份号码, GB 11643-1999) and its legacy 15-digit form.
//!
//! Spec §3: 6-digit address code, 8-digit birth date, 3-digit sequence whose
//! parity gives the sex (odd male, even female), and an ISO 7064 MOD 11-2 check
//! character. A 15-digit number (GB 11643-1989) is upgraded by inserting `19`
//! before the year and computing the check character; the original is kept.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::resident::Sex;
use crate::text::normalize_ascii;

/// Weights 2^(18-i) mod 11 for positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder 0..=10.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The earliest birth date the app accepts in an ID number (R3.3).
pub fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1880, 1, 1).expect("1880-01-01 is a valid date")
}

/// A checked 18-character ID number with what it says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CitizenId {
    /// The normalised 18-character number (uppercase `X`).
    pub number: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Positions 1–6: the GB/T 2260 county of household registration.
    pub address_code: String,
    /// The 15-digit number this one was upgraded from, if any (R3.7).
    pub upgraded_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("an ID number has 18 characters (17 digits and a digit or X) or 15 digits")]
    Format,
    #[error("the check character should be {expected}")]
    CheckDigit { expected: char },
    #[error("positions 7-14 are not a real date")]
    ImpossibleDate,
    #[error("the birth date is after today")]
    FutureDate,
    #[error("the birth date is before 1880")]
    TooEarly,
}

impl IdCardError {
    /// A stable code for tests and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            IdCardError::Format => "id_card.format",
            IdCardError::CheckDigit { .. } => "id_card.check_digit",
            IdCardError::ImpossibleDate => "id_card.impossible_date",
            IdCardError::FutureDate => "id_card.future_date",
            IdCardError::TooEarly => "id_card.too_early",
        }
    }

    /// What to tell the user, in Chinese and English.
    pub fn messages(&self) -> (String, String) {
        match self {
            IdCardError::Format => (
                "身份证号应为18位（17位数字加1位数字或X），或旧版15位数字".into(),
                "An ID number has 18 characters (17 digits plus a digit or X), or 15 digits for old cards".into(),
            ),
            IdCardError::CheckDigit { expected } => (
                format!("身份证号校验位应为 {expected}，请核对号码"),
                format!("The check character should be {expected}; please check the number"),
            ),
            IdCardError::ImpossibleDate => {
                ("身份证号第7–14位不是有效的出生日期".into(), "Positions 7–14 of the ID number are not a real date".into())
            }
            IdCardError::FutureDate => ("身份证号中的出生日期晚于今天".into(), "The birth date in the ID number is after today".into()),
            IdCardError::TooEarly => {
                ("身份证号中的出生日期早于1880年，请核对".into(), "The birth date in the ID number is before 1880; please check".into())
            }
        }
    }
}

/// Computes the MOD 11-2 check character of the first 17 digits.
///
/// The caller guarantees `first17` holds exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> char {
    debug_assert!(first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()));
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

/// Validates an ID number as typed (full-width digits, spaces, a lowercase
/// `x` and a 15-digit legacy number are all accepted) against `today`.
pub fn parse(input: &str, today: NaiveDate) -> Result<CitizenId, IdCardError> {
    let raw = normalize_ascii(input).replace(' ', "").to_ascii_uppercase();
    let bytes = raw.as_bytes();
    match bytes.len() {
        18 if bytes[..17].iter().all(u8::is_ascii_digit) && (bytes[17].is_ascii_digit() || bytes[17] == b'X') => {
            let expected = check_char(&raw[..17]);
            let birth = birth_date(&raw[6..14], today)?;
            if bytes[17] as char != expected {
                return Err(IdCardError::CheckDigit { expected });
            }
            Ok(holder(raw.clone(), birth, None))
        }
        15 if bytes.iter().all(u8::is_ascii_digit) => {
            let birth = birth_date(&format!("19{}", &raw[6..12]), today)?;
            let first17 = format!("{}19{}", &raw[..6], &raw[6..15]);
            let number = format!("{first17}{}", check_char(&first17));
            Ok(holder(number, birth, Some(raw)))
        }
        _ => Err(IdCardError::Format),
    }
}

fn holder(number: String, birth_date: NaiveDate, upgraded_from: Option<String>) -> CitizenId {
    let sequence_last = number.as_bytes()[16] - b'0';
    let sex = if sequence_last % 2 == 1 { Sex::Male } else { Sex::Female };
    CitizenId { address_code: number[..6].to_string(), number, birth_date, sex, upgraded_from }
}

fn birth_date(yyyymmdd: &str, today: NaiveDate) -> Result<NaiveDate, IdCardError> {
    let date = NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").map_err(|_| IdCardError::ImpossibleDate)?;
    if date > today {
        return Err(IdCardError::FutureDate);
    }
    if date < earliest_birth_date() {
        return Err(IdCardError::TooEarly);
    }
    Ok(date)
}

/// Builds a valid ID number from its parts; the demo clinic and tests use it.
pub fn compose(address_code: &str, birth: NaiveDate, sequence: u16) -> String {
    let first17 = format!("{address_code}{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), sequence % 1000);
    format!("{first17}{}", check_char(&first17))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn spec_vectors_are_valid() {
        let a = parse("11010519491231002X", today()).unwrap();
        assert_eq!((a.birth_date, a.sex), (date(1949, 12, 31), Sex::Female), "sequence 002 is even");
        let b = parse("440524188001010014", today()).unwrap();
        assert_eq!((b.birth_date, b.sex), (date(1880, 1, 1), Sex::Male));
        let c = parse("110101200001010010", today()).unwrap();
        assert_eq!((c.birth_date, c.sex, c.address_code.as_str()), (date(2000, 1, 1), Sex::Male, "110101"));
    }

    #[test]
    fn lowercase_x_and_full_width_input_are_normalised() {
        let id = parse(" １１０１０５１９４９１２３１００２x ", today()).unwrap();
        assert_eq!(id.number, "11010519491231002X");
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        assert_eq!(parse("110105194912310021", today()), Err(IdCardError::CheckDigit { expected: 'X' }));
        let (zh, _) = IdCardError::CheckDigit { expected: 'X' }.messages();
        assert!(zh.contains("校验位应为 X"), "the message tells the doctor what the digit should be: {zh}");
    }

    #[test]
    fn impossible_date_is_rejected_before_the_check_digit() {
        // 1949-02-30 does not exist; the check digit is made valid so only the date is wrong.
        let first17 = "11010519490230002";
        let number = format!("{first17}{}", check_char(first17));
        assert_eq!(parse(&number, today()), Err(IdCardError::ImpossibleDate));
    }

    #[test]
    fn future_and_too_early_dates_are_rejected() {
        let future = compose("110101", date(2027, 1, 1), 11);
        assert_eq!(parse(&future, today()), Err(IdCardError::FutureDate));
        let early = compose("110101", date(1879, 12, 31), 11);
        assert_eq!(parse(&early, today()), Err(IdCardError::TooEarly));
        let on_today = compose("110101", today(), 11);
        assert!(parse(&on_today, today()).is_ok(), "a baby born today has a valid number");
    }

    #[test]
    fn leap_day_is_real_only_in_leap_years() {
        assert!(parse(&compose("110101", date(2000, 2, 29), 12), today()).is_ok());
        let first17 = "11010119000229012";
        assert_eq!(
            parse(&format!("{first17}{}", check_char(first17)), today()),
            Err(IdCardError::ImpossibleDate),
            "1900 was not a leap year"
        );
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded_and_kept() {
        // 110105 491231 002 → 110105 19491231 002 + X
        let id = parse("110105491231002", today()).unwrap();
        assert_eq!(id.number, "11010519491231002X");
        assert_eq!(id.upgraded_from.as_deref(), Some("110105491231002"));
        assert_eq!((id.birth_date, id.sex), (date(1949, 12, 31), Sex::Female));
    }

    #[test]
    fn bad_shapes_are_format_errors() {
        for bad in ["", "1101051949123100", "11010519491231002Y", "X1010519491231002X", "1101054912310021"] {
            assert_eq!(parse(bad, today()), Err(IdCardError::Format), "{bad:?}");
        }
    }

    #[test]
    fn compose_round_trips() {
        let n = compose("450102", date(1958, 3, 15), 123);
        let id = parse(&n, today()).unwrap();
        assert_eq!((id.birth_date, id.sex), (date(1958, 3, 15), Sex::Male));
    }
}
