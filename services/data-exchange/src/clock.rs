//! The service's clock, shiftable so that tests and retention drills can run "10 years later".

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset: chrono::Duration,
}

impl Clock {
    pub fn offset_days(days: i64) -> Self {
        Self {
            offset: chrono::Duration::days(days),
        }
    }

    /// Now, to the microsecond (what PostgreSQL stores), so that a hash computed before
    /// storing matches the one recomputed after reading back.
    pub fn now(&self) -> DateTime<Utc> {
        let t = Utc::now() + self.offset;
        DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}
