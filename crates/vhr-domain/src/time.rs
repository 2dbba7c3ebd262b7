//! Time as the clinic lives it. A saved change needs two things from the
//! clock: the instant (stored in UTC, so histories from installs anywhere
//! sort together) and the clinic's calendar day (for schedules, lost visits,
//! ages and "not in the future"). The day is never the UTC date of the
//! instant: at 07:30 in Beijing it is still yesterday in UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// An instant and the clinic's offset from UTC at that instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    at: DateTime<Utc>,
    offset: FixedOffset,
}

impl Moment {
    pub fn new(at: DateTime<Utc>, offset: FixedOffset) -> Moment {
        Moment { at, offset }
    }

    /// The moment a local clock reading stands for.
    pub fn local(local: DateTime<FixedOffset>) -> Moment {
        Moment { at: local.with_timezone(&Utc), offset: *local.offset() }
    }

    /// The instant, for timestamps.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The clinic's local time.
    pub fn local_time(&self) -> DateTime<FixedOffset> {
        self.at.with_timezone(&self.offset)
    }

    /// The clinic's calendar day.
    pub fn today(&self) -> NaiveDate {
        self.local_time().date_naive()
    }

    /// The clinic's offset from UTC.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }
}

/// The instant a local calendar day begins at `offset`.
pub fn start_of_day(day: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    (midnight - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
}

impl From<Moment> for DateTime<Utc> {
    fn from(m: Moment) -> DateTime<Utc> {
        m.at
    }
}

/// UTC+08:00, the time of every clinic in China.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_in_beijing_begins_at_four_in_the_afternoon_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(start_of_day(day, china()).to_rfc3339(), "2026-12-01T16:00:00+00:00");
    }
    use chrono::TimeZone;

    #[test]
    fn early_morning_in_beijing_is_the_local_day_not_the_utc_one() {
        let m = Moment::local(china().with_ymd_and_hms(2026, 3, 1, 7, 30, 0).unwrap());
        assert_eq!(m.at().date_naive(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(), "in UTC it is still the last of February");
        assert_eq!(m.today(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), "the clinic's day is 1 March");
    }

    #[test]
    fn late_evening_stays_on_the_same_local_day() {
        let m = Moment::new(Utc.with_ymd_and_hms(2026, 3, 1, 15, 59, 59).unwrap(), china());
        assert_eq!(m.today(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), "23:59:59 in Beijing is still 1 March");
    }
}
