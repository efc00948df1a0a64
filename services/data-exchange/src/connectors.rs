//! One connector per social-security source: a timeout per attempt, retries (a query is a
//! read, so safe to repeat), and a circuit breaker so that a source that keeps failing is not
//! waited for on every look-up.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use secal_proto::{
    sim::v1::{self as sim, ssn_simulator_service_client::SsnSimulatorServiceClient},
    v1::{self as pb, IncomeSource, SourceStatus},
};
use tonic::{Code, transport::Channel};

use crate::Config;

#[derive(Debug, Clone, Copy)]
pub struct ConnectorSettings {
    pub timeout: Duration,
    pub attempts: u32,
    pub first_backoff: Duration,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
}

impl From<&Config> for ConnectorSettings {
    fn from(c: &Config) -> Self {
        Self {
            timeout: c.source_timeout,
            attempts: c.source_attempts.max(1),
            first_backoff: Duration::from_millis(50),
            breaker_threshold: c.breaker_threshold.max(1),
            breaker_cooldown: c.breaker_cooldown,
        }
    }
}

#[derive(Debug, Default)]
struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

pub struct Connectors {
    client: SsnSimulatorServiceClient<Channel>,
    settings: ConnectorSettings,
    /// Indexed by IncomeSource value.
    breakers: [Mutex<Breaker>; 6],
}

/// What the breaker lets through.
enum Gate {
    Closed,
    /// Open: refuse without calling.
    Open,
}

impl Connectors {
    pub fn new(addr: &str, settings: ConnectorSettings) -> Result<Self, String> {
        let host_port = addr.split_once("://").map_or(addr, |(_, rest)| rest);
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{host_port}"))
            .map_err(|e| format!("bad address '{addr}': {e}"))?
            .connect_timeout(settings.timeout)
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self {
            client: SsnSimulatorServiceClient::new(channel),
            settings,
            breakers: Default::default(),
        })
    }

    fn gate(&self, source: IncomeSource) -> Gate {
        let Some(b) = self.breakers.get(source as usize) else {
            return Gate::Open;
        };
        let Ok(mut b) = b.lock() else {
            return Gate::Closed;
        };
        match b.open_until {
            Some(t) if Instant::now() < t => Gate::Open,
            // Half-open: the cool-down is over, one look-up tries again.
            Some(_) => {
                b.open_until = None;
                Gate::Closed
            }
            None => Gate::Closed,
        }
    }

    fn record(&self, source: IncomeSource, ok: bool) {
        let Some(Ok(mut b)) = self.breakers.get(source as usize).map(|b| b.lock()) else {
            return;
        };
        if ok {
            *b = Breaker::default();
        } else {
            b.consecutive_failures += 1;
            if b.consecutive_failures >= self.settings.breaker_threshold {
                b.open_until = Some(Instant::now() + self.settings.breaker_cooldown);
                tracing::warn!(source = source.as_str_name(), "circuit breaker opened");
            }
        }
    }

    /// Asks one source; never fails: an unreachable source is reported UNAVAILABLE.
    #[tracing::instrument(skip_all, fields(source = source.as_str_name(), status))]
    pub async fn query(
        &self,
        source: IncomeSource,
        scope: Option<sim::query_source_request::Scope>,
        subject: &pb::NationalNumber,
    ) -> pb::SourceResult {
        let unavailable = |detail: String| pb::SourceResult {
            source: source as i32,
            status: SourceStatus::Unavailable as i32,
            status_detail: detail,
            ..Default::default()
        };
        if let Gate::Open = self.gate(source) {
            tracing::Span::current().record("status", "circuit open");
            return unavailable("circuit open".into());
        }
        let request = sim::QuerySourceRequest {
            source: source as i32,
            subject: Some(subject.clone()),
            scope,
        };
        let mut backoff = self.settings.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.settings.attempts {
            let mut client = self.client.clone();
            let call = client.query_source(request.clone());
            match tokio::time::timeout(self.settings.timeout, call).await {
                Ok(Ok(resp)) => {
                    self.record(source, true);
                    return answered(source, resp.into_inner().result).unwrap_or_else(|why| {
                        tracing::Span::current().record("status", "malformed answer");
                        unavailable(why)
                    });
                }
                Ok(Err(status)) if !retryable(status.code()) => {
                    // The source refused the question itself: retrying will not help, and
                    // the source is up.
                    self.record(source, true);
                    return unavailable(format!("refused by the source ({:?})", status.code()));
                }
                Ok(Err(status)) => last = format!("{:?}", status.code()),
                Err(_) => last = "timeout".into(),
            }
            if attempt < self.settings.attempts {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
        self.record(source, false);
        tracing::Span::current().record("status", "unavailable");
        unavailable(format!("{last} after {} attempts", self.settings.attempts))
    }
}

/// A source answers OK or NO_DATA, with its result. Anything else is not shown as the
/// source's answer: the source is reported unavailable, saying why.
fn answered(
    source: IncomeSource,
    result: Option<pb::SourceResult>,
) -> Result<pb::SourceResult, String> {
    let mut result = result.ok_or("the source answered without a result")?;
    match SourceStatus::try_from(result.status) {
        Ok(SourceStatus::Ok | SourceStatus::NoData) => {
            result.source = source as i32;
            Ok(result)
        }
        _ => Err(format!(
            "the source answered with status {}, not OK or NO_DATA",
            result.status
        )),
    }
}

fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: SourceStatus) -> Option<pb::SourceResult> {
        Some(pb::SourceResult {
            source: IncomeSource::Unspecified as i32,
            status: status as i32,
            ..Default::default()
        })
    }

    #[test]
    fn only_an_answer_with_data_or_none_is_the_sources_answer() {
        let ok = answered(IncomeSource::Pensions, result(SourceStatus::NoData)).unwrap();
        assert_eq!(ok.source, IncomeSource::Pensions as i32);
        assert!(answered(IncomeSource::Pensions, None).is_err());
        for status in [SourceStatus::Unspecified, SourceStatus::Unavailable] {
            assert!(answered(IncomeSource::Pensions, result(status)).is_err());
        }
        let unknown = Some(pb::SourceResult {
            status: 42,
            ..Default::default()
        });
        assert!(answered(IncomeSource::Pensions, unknown).is_err());
    }
}
