//! W3C trace context goes through a service: the `traceparent` of an incoming call becomes
//! the parent of the server's span, and the calls the handler makes carry the same trace id
//! with the server's span as their parent. Its own process, because telemetry is global.

#![allow(clippy::expect_used)] // test helpers: a failure is the test failing

use secal_runtime::{client::Credentials, middleware::RequestContextLayer, telemetry};
use tonic::{body::Body, service::Interceptor};
use tower::{Layer, Service, ServiceExt, service_fn};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A handler that makes an outgoing call with the service credentials and answers with the
/// `traceparent` it sent.
async fn relay(
    _req: http::Request<Body>,
) -> Result<http::Response<Body>, std::convert::Infallible> {
    let mut credentials = Credentials::new("service-token").expect("token");
    let outgoing = credentials
        .call(tonic::Request::new(()))
        .expect("intercepted");
    let sent = outgoing
        .metadata()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok(http::Response::builder()
        .header("x-sent-traceparent", sent)
        .body(Body::empty())
        .expect("response"))
}

async fn call(traceparent: Option<&str>) -> String {
    let mut service = RequestContextLayer.layer(service_fn(relay));
    let mut request = http::Request::builder().uri("/secal.v1.PersonsService/GetPerson");
    if let Some(tp) = traceparent {
        request = request.header("traceparent", tp);
    }
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    response.headers()["x-sent-traceparent"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn the_incoming_trace_continues_on_outgoing_calls() {
    let _guard = telemetry::init("trace-test", telemetry::LogFormat::Text).expect("telemetry");

    let sent = call(Some(&format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))).await;
    let parts: Vec<_> = sent.split('-').collect();
    assert_eq!(parts.len(), 4, "a W3C traceparent: {sent:?}");
    assert_eq!(parts[1], TRACE_ID, "same trace");
    assert_ne!(
        parts[2], CALLER_SPAN,
        "the parent is the server's span, not the caller's"
    );
    assert_eq!(parts[3], "01", "still sampled");

    // Without an incoming trace a new one starts, and it differs per call.
    let a = call(None).await;
    let b = call(None).await;
    assert_eq!(a.split('-').count(), 4, "{a:?}");
    assert_ne!(a.split('-').nth(1), b.split('-').nth(1));
}
