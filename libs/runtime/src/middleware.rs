//! The tower layers every server runs, in the order `server::serve` stacks them:
//! request context (request id, trace span with the remote parent), the process's
//! concurrency limit (`limit.rs`), then authentication.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::auth::{AuthPolicy, Authenticator, Decision};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request, from the caller's `x-request-id` or generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

pub(crate) type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

#[derive(Debug, Clone, Default)]
pub struct RequestContextLayer;

impl<S> Layer<S> for RequestContextLayer {
    type Service = RequestContext<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestContext { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestContext<S> {
    inner: S,
}

fn acceptable_request_id(v: &str) -> bool {
    !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic())
}

impl<S> Service<http::Request<Body>> for RequestContext<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let request_id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable_request_id(v))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let path = req.uri().path().to_owned();
        let (service, method) = path
            .trim_start_matches('/')
            .split_once('/')
            .map(|(s, m)| (s.to_owned(), m.to_owned()))
            .unwrap_or_default();
        let span = tracing::info_span!(
            "grpc.request",
            otel.name = %path.trim_start_matches('/'),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            request_id = %request_id,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let _ = span.set_parent(crate::telemetry::extract_parent(req.headers()));
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let quiet = AuthPolicy::is_public(&path);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let started = Instant::now();
        Box::pin(
            async move {
                let mut res = inner.call(req).await?;
                oversize_is_resource_exhausted(res.headers_mut());
                // Unary errors come back "trailers-only": the status is in the headers.
                let status = res
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_owned();
                tracing::Span::current().record("rpc.grpc.status_code", status.as_str());
                if let Ok(v) = http::HeaderValue::from_str(&request_id) {
                    res.headers_mut().insert(REQUEST_ID_HEADER, v);
                }
                if !quiet {
                    rpc_metrics().record(&service, &method, &status, started.elapsed());
                    tracing::info!(
                        grpc.status = %status,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "rpc handled"
                    );
                }
                Ok(res)
            }
            .instrument(span),
        )
    }
}

/// A request over the message-size limit is refused by tonic's decoder, before any service
/// code, as OUT_OF_RANGE; gRPC says RESOURCE_EXHAUSTED for a message larger than the
/// configured maximum (and grpc-core answers so), which is what clients retry-classify on.
/// The refusal is trailers-only, so its status is in the headers; tonic's message names it.
fn oversize_is_resource_exhausted(headers: &mut http::HeaderMap) {
    let out_of_range = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == b"11");
    let oversize = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m.contains("decoded%20message%20length%20too%20large"));
    if out_of_range && oversize {
        headers.insert("grpc-status", http::HeaderValue::from_static("8"));
    }
}

/// RPC rate, errors and latency per method, under the OpenTelemetry RPC conventions' names.
struct RpcMetrics {
    requests: opentelemetry::metrics::Counter<u64>,
    errors: opentelemetry::metrics::Counter<u64>,
    duration: opentelemetry::metrics::Histogram<f64>,
}

impl RpcMetrics {
    fn record(&self, service: &str, method: &str, status: &str, elapsed: std::time::Duration) {
        use opentelemetry::KeyValue;
        let attributes = [
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_owned()),
            KeyValue::new("rpc.method", method.to_owned()),
            KeyValue::new("rpc.grpc.status_code", status.to_owned()),
        ];
        self.requests.add(1, &attributes);
        if status != "0" {
            self.errors.add(1, &attributes);
        }
        self.duration
            .record(elapsed.as_secs_f64() * 1000.0, &attributes);
    }
}

/// Created on first use, after telemetry is installed (instruments taken from the global
/// meter before that would stay no-ops).
fn rpc_metrics() -> &'static RpcMetrics {
    static METRICS: std::sync::OnceLock<RpcMetrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = crate::telemetry::meter();
        RpcMetrics {
            requests: meter
                .u64_counter("rpc.server.requests")
                .with_description("RPCs handled")
                .build(),
            errors: meter
                .u64_counter("rpc.server.errors")
                .with_description("RPCs answered with a non-OK status")
                .build(),
            duration: meter
                .f64_histogram("rpc.server.duration")
                .with_unit("ms")
                .with_description("time to answer an RPC")
                .build(),
        }
    })
}

#[derive(Debug, Clone)]
pub struct AuthLayer {
    auth: Authenticator,
}

impl AuthLayer {
    pub fn new(auth: Authenticator) -> Self {
        Self { auth }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            auth: self.auth.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    auth: Authenticator,
}

impl<S> Service<http::Request<Body>> for Auth<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let path = req.uri().path().to_owned();
        let peer = match crate::tls::peer_identity(req.extensions()) {
            Ok(peer) => peer,
            Err(why) => return refuse(tonic::Status::unauthenticated(why)),
        };
        if let Some(id) = &peer
            && !AuthPolicy::is_public(&path)
            && !self.auth.peers.permits(id, &path)
        {
            tracing::warn!(peer = %id, path = %path, "call from a workload not allowed to make it");
            return refuse(tonic::Status::permission_denied(format!(
                "the workload {id} may not call {path}"
            )));
        }
        if !AuthPolicy::is_public(&path) {
            let refusal = match self.auth.verifier.caller_from_headers(req.headers()) {
                Err(e) => {
                    tracing::warn!(reason = %e, "unauthenticated call refused");
                    Some(tonic::Status::unauthenticated(e.to_string()))
                }
                Ok(caller) if !token_matches_peer(&caller, peer.as_deref()) => {
                    tracing::warn!(caller = ?caller.principal, peer = ?peer, "token of another system");
                    Some(tonic::Status::permission_denied(
                        "the system token names another workload than the client certificate",
                    ))
                }
                Ok(caller) => match self.auth.policy.decide(&path, &caller) {
                    Decision::Denied(why) => {
                        tracing::warn!(caller = ?caller.principal, reason = %why, "call refused");
                        Some(tonic::Status::permission_denied(why))
                    }
                    Decision::Allowed | Decision::Public => {
                        req.extensions_mut().insert(caller);
                        None
                    }
                },
            };
            if let Some(status) = refusal {
                return refuse(status);
            }
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move { inner.call(req).await })
    }
}

/// A call answered by a layer with `status`, never reaching the routes.
pub(crate) fn refuse<E: Send + 'static>(
    status: tonic::Status,
) -> BoxFuture<http::Response<Body>, E> {
    Box::pin(async move { Ok(status.into_http()) })
}

/// A system's token is valid only from that system's own workload: a stolen service token
/// is useless without the matching certificate. Agents' tokens come through any allowed peer.
fn token_matches_peer(caller: &crate::auth::Caller, peer: Option<&str>) -> bool {
    match peer {
        Some(id) if caller.principal.kind == crate::auth::PrincipalKind::System => {
            caller.principal.id == id
        }
        _ => true,
    }
}
