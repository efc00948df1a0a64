//! Channels to other services: timeouts, the service's own token, the agent acted for,
//! trace context, and retries for calls that are safe to repeat.

use std::{future::Future, sync::Arc, time::Duration};

use tonic::{
    Code, Request, Status,
    metadata::{AsciiMetadataValue, MetadataValue},
    service::Interceptor,
    transport::{Channel, Endpoint},
};

use crate::auth::ON_BEHALF_OF_HEADER;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("bad address '{addr}': {reason}")]
    BadAddress { addr: String, reason: String },
    #[error("bad service token: {0}")]
    BadToken(String),
}

#[derive(Debug, Clone, Copy)]
pub struct ChannelSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// A lazily connected channel to `addr` (`host:port` or a full `http://` URI).
/// With mutual TLS installed (`tls::install_for_clients`), the channel presents this
/// workload's certificate and checks the server's against the cluster CA.
pub fn channel(addr: &str, settings: ChannelSettings) -> Result<Channel, ClientError> {
    let tls = crate::tls::client_material();
    let host_port = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let bad = |reason: String| ClientError::BadAddress {
        addr: addr.to_owned(),
        reason,
    };
    let mut endpoint =
        Endpoint::from_shared(format!("{scheme}://{host_port}")).map_err(|e| bad(e.to_string()))?;
    if let Some(material) = tls {
        endpoint = endpoint
            .tls_config(material.client_config())
            .map_err(|e| bad(e.to_string()))?;
    }
    Ok(endpoint
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .tcp_nodelay(true)
        .connect_lazy())
}

/// A lazily connected channel to another service and this service's credentials: what
/// every client of a peer holds. A generated client comes from [`Peer::client`] or
/// [`Peer::client_for_agent`], so that no service wraps the two by hand.
#[derive(Clone, Debug)]
pub struct Peer {
    pub channel: Channel,
    pub credentials: Credentials,
}

impl Peer {
    /// A generated client on this peer with this service's credentials, e.g.
    /// `peer.client(CalculationServiceClient::with_interceptor)`.
    pub fn client<C>(&self, with_interceptor: impl FnOnce(Channel, Credentials) -> C) -> C {
        with_interceptor(self.channel.clone(), self.credentials.clone())
    }

    /// The same, calling on behalf of the agent whose token is given (when there is one).
    pub fn client_for_agent<C>(
        &self,
        agent_token: Option<&str>,
        with_interceptor: impl FnOnce(Channel, Credentials) -> C,
    ) -> C {
        with_interceptor(
            self.channel.clone(),
            self.credentials.for_agent(agent_token),
        )
    }

    /// Connects in at most 2 s; `request_timeout` bounds each call.
    pub fn connect(
        addr: &str,
        service_token: &str,
        request_timeout: Duration,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            channel: channel(
                addr,
                ChannelSettings {
                    connect_timeout: Duration::from_secs(2),
                    request_timeout,
                },
            )?,
            credentials: Credentials::new(service_token)?,
        })
    }
}

/// Adds the service's token, the agent acted for and the current trace context to every
/// outgoing call.
#[derive(Clone)]
pub struct Credentials {
    token: Arc<AsciiMetadataValue>,
    on_behalf_of: Option<AsciiMetadataValue>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(service_token: &str) -> Result<Self, ClientError> {
        let value = MetadataValue::try_from(format!("Bearer {}", service_token.trim()))
            .map_err(|e| ClientError::BadToken(e.to_string()))?;
        Ok(Self {
            token: Arc::new(value),
            on_behalf_of: None,
        })
    }

    /// The same credentials, also naming the agent whose action this call serves.
    pub fn for_agent(&self, agent_token: Option<&str>) -> Self {
        Self {
            token: self.token.clone(),
            on_behalf_of: agent_token.and_then(|t| MetadataValue::try_from(t).ok()),
        }
    }
}

impl Interceptor for Credentials {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let md = request.metadata_mut();
        md.insert("authorization", (*self.token).clone());
        if let Some(agent) = &self.on_behalf_of {
            md.insert(ON_BEHALF_OF_HEADER, agent.clone());
        }
        crate::telemetry::inject_current(md);
        Ok(request)
    }
}

/// Bounded retries with exponential backoff, for calls that are safe to repeat: reads, and
/// mutations carrying an idempotency key.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::Aborted | Code::ResourceExhausted | Code::DeadlineExceeded
    )
}

pub async fn with_retries<T, F, Fut>(policy: RetryPolicy, mut call: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let mut backoff = policy.first_backoff;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(status) if retryable(status.code()) && attempt < policy.attempts => {
                tracing::debug!(attempt, code = ?status.code(), "retrying call");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(policy.max_backoff);
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_then_gives_up() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Status> = with_retries(RetryPolicy::default(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Status::unavailable("down")) }
        })
        .await;
        assert_eq!(result.map_err(|s| s.code()), Err(Code::Unavailable));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_client_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Status> = with_retries(RetryPolicy::default(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Status::invalid_argument("bad")) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
