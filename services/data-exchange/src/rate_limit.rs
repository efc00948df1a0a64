//! Per-agent look-up volume over the last hour: above one threshold a look-up is flagged as
//! unusual volume, above another it is refused.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use chrono::{DateTime, Duration, Utc};

pub struct RateLimiter {
    flag_at: u32,
    limit: u32,
    seen: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    Usual,
    Unusual,
    OverLimit,
}

impl RateLimiter {
    pub fn new(flag_at: u32, limit: u32) -> Self {
        Self {
            flag_at: flag_at.max(1),
            limit: limit.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts this look-up (unless refused) and says how the agent's volume stands.
    pub fn check(&self, agent: &str, now: DateTime<Utc>) -> Volume {
        let Ok(mut seen) = self.seen.lock() else {
            return Volume::Usual;
        };
        let window = seen.entry(agent.to_owned()).or_default();
        let since = now - Duration::hours(1);
        while window.front().is_some_and(|t| *t <= since) {
            window.pop_front();
        }
        let count = u32::try_from(window.len()).unwrap_or(u32::MAX);
        if count >= self.limit {
            return Volume::OverLimit;
        }
        window.push_back(now);
        if count + 1 > self.flag_at {
            Volume::Unusual
        } else {
            Volume::Usual
        }
    }
}
