//! The concurrency limit of a service process: at most `SECAL_MAX_CONCURRENT_REQUESTS` RPCs
//! are handled at once, over all connections together, and a call beyond it is answered
//! `RESOURCE_EXHAUSTED` at once.
//!
//! tonic's own limit (`concurrency_limit_per_connection` with `load_shed`) is built for each
//! connection: 2,000 clients with one call each were never shed, and their calls queued for
//! database connections until the pool timed out (UNAVAILABLE after 10 s and more). Here
//! one semaphore is shared by every connection's copy of the layer (tonic builds the layer
//! stack once and clones it per connection), and a call that finds no permit is refused
//! without waiting: a refused call costs nothing, while a queued one holds memory and ends
//! as a pool time-out anyway.
//!
//! Health and reflection never count against the limit and are never shed: a probe must
//! be able to tell "overloaded" from "dead", and an operator must be able to list the API.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tonic_types::{ErrorDetails, StatusExt};
use tower::{Layer, Service};

use crate::{
    auth::AuthPolicy,
    middleware::{BoxFuture, refuse},
};

/// How long a shed caller is told to wait before retrying (`google.rpc.RetryInfo`): long
/// enough for the calls in flight to finish, short enough not to look like an outage.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The `google.rpc.ErrorInfo` reason of a shed call.
pub const SHED_REASON: &str = "SERVER_OVERLOADED";

/// One limit for the whole process; clones share it.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimitLayer {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl ConcurrencyLimitLayer {
    pub fn new(limit: usize) -> Self {
        // A limit of zero would refuse every call; the setting's parser already refuses it.
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ConcurrencyLimit {
            inner,
            permits: self.permits.clone(),
            limit: self.limit,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    permits: Arc<Semaphore>,
    limit: usize,
}

impl<S> Service<http::Request<Body>> for ConcurrencyLimit<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Never waits for a permit here: waiting is what queued the calls before.
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if AuthPolicy::is_public(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            let status = overloaded(self.limit);
            return refuse(status);
        };
        Box::pin(async move {
            let response = inner.call(req).await?;
            // A streamed answer is still being handled while its body is sent: the permit
            // goes with the body and is returned when the stream ends or is dropped.
            Ok(response.map(|body| {
                Body::new(WithPermit {
                    body,
                    permit: Some(permit),
                })
            }))
        })
    }
}

/// The answer to a call beyond the limit: what happened, that it is safe to retry, when.
pub fn overloaded(limit: usize) -> tonic::Status {
    let mut details = ErrorDetails::with_retry_info(Some(RETRY_AFTER));
    details.set_error_info(
        SHED_REASON,
        "secal.be",
        [("max_concurrent_requests".to_owned(), limit.to_string())],
    );
    tonic::Status::with_error_details(
        tonic::Code::ResourceExhausted,
        format!(
            "the service is handling its maximum of {limit} concurrent requests; \
             nothing was done, retry in {} s",
            RETRY_AFTER.as_secs()
        ),
        details,
    )
}

/// A response body that holds a permit of the limit until it is finished or dropped.
struct WithPermit {
    body: Body,
    permit: Option<OwnedSemaphorePermit>,
}

impl http_body::Body for WithPermit {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        // The permit is given back on the last frame, before it is sent, and not when hyper
        // drops the body later: a caller who has the answer may call again at once without
        // finding its own finished call still counted.
        let last = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame.is_trailers(),
            Poll::Ready(_) => true,
            Poll::Pending => false,
        };
        if last {
            self.permit = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl std::fmt::Debug for WithPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithPermit")
            .field("holds_permit", &self.permit.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;
    use tower::ServiceExt;

    type Inner = tower::util::BoxCloneSyncService<
        http::Request<Body>,
        http::Response<Body>,
        std::convert::Infallible,
    >;

    /// An inner service whose calls to `/slow/...` wait until `release` fires, so that a
    /// permit is certainly held while the next call arrives.
    fn inner(release: Arc<tokio::sync::Mutex<Option<oneshot::Receiver<()>>>>) -> Inner {
        tower::util::BoxCloneSyncService::new(tower::service_fn(move |req: http::Request<Body>| {
            let release = release.clone();
            async move {
                if req.uri().path().starts_with("/slow/") {
                    let rx = release.lock().await.take();
                    if let Some(rx) = rx {
                        let _ = rx.await;
                    }
                }
                Ok(http::Response::new(Body::empty()))
            }
        }))
    }

    fn request(path: &str) -> http::Request<Body> {
        let mut req = http::Request::new(Body::empty());
        *req.uri_mut() = path.parse().unwrap();
        req
    }

    fn grpc_status(res: &http::Response<Body>) -> Option<&str> {
        res.headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn the_limit_is_shared_by_every_copy_and_spares_health() {
        let (tx, rx) = oneshot::channel();
        let layer = ConcurrencyLimitLayer::new(1);
        let inner = inner(Arc::new(tokio::sync::Mutex::new(Some(rx))));
        // Two "connections": two services built from the same layer.
        let first = layer.layer(inner.clone());
        let second = layer.layer(inner);

        let held = tokio::spawn(first.clone().oneshot(request("/slow/Method")));
        while layer.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let shed = second
            .clone()
            .oneshot(request("/x.Y/Method"))
            .await
            .unwrap();
        assert_eq!(grpc_status(&shed), Some("8"), "not RESOURCE_EXHAUSTED");
        let status = tonic::Status::from_header_map(shed.headers()).unwrap();
        let details = status.get_error_details();
        assert_eq!(
            details.retry_info().and_then(|r| r.retry_delay),
            Some(RETRY_AFTER)
        );
        assert!(
            status.message().contains("maximum of 1"),
            "{}",
            status.message()
        );

        let health = second
            .clone()
            .oneshot(request("/grpc.health.v1.Health/Check"))
            .await
            .unwrap();
        assert_eq!(grpc_status(&health), None, "health was shed");

        tx.send(()).unwrap();
        let answered = held.await.unwrap().unwrap();
        drop(answered);
        let after = second.oneshot(request("/x.Y/Method")).await.unwrap();
        assert_eq!(grpc_status(&after), None, "the permit was not given back");
    }
}
