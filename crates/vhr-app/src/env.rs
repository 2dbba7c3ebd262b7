//! What the use cases take from the outside world: the time and new ids.
//! Production uses the system clock and random UUIDs; tests pass fixed ones.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Local, NaiveDate, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// The clinic's calendar date (local time).
    fn today(&self) -> NaiveDate;
}

pub trait IdSource: Send + Sync {
    fn new_id(&self) -> String;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        Local::now().date_naive()
    }
}

pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// A clock that stands still, for tests and reproducible runs.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }

    fn today(&self) -> NaiveDate {
        self.0.date_naive()
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
