//! What the use cases take from the outside world: the time and new ids.
//! Production uses the system clock in the install's time zone and random
//! UUIDs; tests pass fixed ones.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, Local, NaiveDate, TimeZone, Utc};
use vhr_domain::time::{china, Moment};

/// The app's one clock. Every "today" (schedules, lost visits, ages,
/// "not in the future") is `now().today()`: the clinic's local day.
pub trait Clock: Send + Sync {
    fn now(&self) -> Moment;

    /// The clinic's calendar date (local time).
    fn today(&self) -> NaiveDate {
        self.now().today()
    }
}

pub trait IdSource: Send + Sync {
    fn new_id(&self) -> String;
}

/// The computer's clock, read in the computer's time zone.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Moment {
        let local = Local::now();
        Moment::new(local.with_timezone(&Utc), local.fixed_offset().timezone())
    }
}

pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// A clock that stands still, for tests and reproducible runs.
pub struct FixedClock(pub Moment);

impl FixedClock {
    /// A clinic in China (UTC+08:00) at this local time.
    pub fn china(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> FixedClock {
        let local = china().with_ymd_and_hms(year, month, day, hour, minute, 0).single().expect("a real local time");
        FixedClock(Moment::local(local))
    }

    /// A clinic in China on `day`, at 10:00 local time.
    pub fn china_on(day: NaiveDate) -> FixedClock {
        FixedClock(Moment::local(day.and_hms_opt(10, 0, 0).expect("10:00 exists").and_local_timezone(china()).unwrap()))
    }

    /// This instant, read at this offset.
    pub fn at(at: DateTime<Utc>, offset: FixedOffset) -> FixedClock {
        FixedClock(Moment::new(at, offset))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Moment {
        self.0
    }
}

/// Ids `00000000-0000-4000-8000-000000000001`, `…002`, … in order.
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    pub fn new() -> Self {
        SequentialIds(AtomicU64::new(0))
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IdSource for SequentialIds {
    fn new_id(&self) -> String {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        format!("00000000-0000-4000-8000-{n:012}")
    }
}
