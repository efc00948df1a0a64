//! JSON over HTTP for every RPC a process serves, beside gRPC: the Connect protocol's unary
//! JSON form (`POST /secal.v1.<Service>/<Method>`, `content-type: application/json`), which
//! plain `curl` speaks, and Connect clients and `buf curl` too.
//!
//! Each call becomes a genuine gRPC request handed to the same tower stack the gRPC listener
//! serves (request context, concurrency limit, authentication and roles, the routes), so
//! tokens, roles, idempotency, limits and metrics are the same by construction. Nothing here
//! knows a message type: prost-reflect reads and writes proto3 JSON from the descriptor set,
//! tonic reads the status, and the `google.rpc` descriptors decode the error details, which
//! come back as JSON (field violations, reason, reference id) instead of base64.
//!
//! The two server-streaming runs answer NDJSON: one JSON message per line as the run sends
//! it, and a refusal or failure as a last line `{"error": {...}}`.

mod errors;
mod listener;
mod stream;

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MethodDescriptor};
use tonic::{Code, body::Body};
use tower::{Service, ServiceExt};

pub use listener::serve_json;

use errors::{Refusal, json_response};

/// Request headers that go on to the service as gRPC metadata; nothing else does.
const FORWARDED: &[&str] = &[
    "authorization",
    "x-secal-on-behalf-of",
    "x-request-id",
    "traceparent",
    "tracestate",
];

/// The largest request body, as tonic's default for a gRPC message.
const MAX_BODY: usize = 4 << 20;

/// The contract's descriptors, with the well-known types and `google.rpc` (error details).
pub fn descriptor_pool() -> Result<DescriptorPool, String> {
    let mut pool = DescriptorPool::global();
    for set in [
        secal_proto::FILE_DESCRIPTOR_SET,
        tonic_types::pb::FILE_DESCRIPTOR_SET,
    ] {
        let set = prost_types::FileDescriptorSet::decode(set).map_err(|e| e.to_string())?;
        let missing: Vec<_> = set
            .file
            .into_iter()
            .filter(|f| pool.get_file_by_name(f.name()).is_none())
            .collect();
        pool.add_file_descriptor_protos(missing)
            .map_err(|e| e.to_string())?;
    }
    Ok(pool)
}

/// The OpenAPI document (`secal_proto::OPENAPI_JSON`) with only the operations of
/// `services`: what this process answers.
pub fn openapi_for(services: &[String]) -> Bytes {
    let Ok(mut document) = serde_json::from_str::<serde_json::Value>(secal_proto::OPENAPI_JSON)
    else {
        return Bytes::from_static(secal_proto::OPENAPI_JSON.as_bytes());
    };
    let served = |path: &str| {
        services.iter().any(|s| {
            path.strip_prefix('/')
                .and_then(|p| p.strip_prefix(s.as_str()))
                .is_some_and(|r| r.starts_with('/'))
        })
    };
    if let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) {
        paths.retain(|path, _| served(path));
    }
    if let Some(tags) = document.get_mut("tags").and_then(|t| t.as_array_mut()) {
        tags.retain(|tag| {
            let name = tag.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            services.iter().any(|s| s.rsplit('.').next() == Some(name))
        });
    }
    Bytes::from(document.to_string())
}

/// The gRPC stack a JSON front hands its calls to: the server's layers over its routes.
pub trait GrpcStack:
    Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> GrpcStack for S where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future: Send>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// The JSON front of one process: the services it serves, and the stack it hands calls to.
#[derive(Clone)]
pub struct JsonGateway<S> {
    pool: Arc<DescriptorPool>,
    services: Arc<[String]>,
    inner: S,
    /// The longest call (`SECAL_REQUEST_TIMEOUT`); a shorter `connect-timeout-ms` wins.
    max_timeout: Duration,
    openapi: Bytes,
}

impl<S: GrpcStack> JsonGateway<S> {
    pub fn new(
        pool: DescriptorPool,
        services: &[String],
        inner: S,
        max_timeout: Duration,
        openapi: Bytes,
    ) -> Self {
        Self {
            pool: Arc::new(pool),
            services: services.into(),
            inner,
            max_timeout,
            openapi,
        }
    }

    /// Answers one HTTP request; every failure is a Connect error body, never a dropped
    /// connection.
    pub async fn handle<B>(self, req: Request<B>) -> Result<Response<Body>, Infallible>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Ok(self
            .call(req)
            .await
            .unwrap_or_else(|refused| refused.into_response(&self.pool)))
    }

    async fn call<B>(&self, req: Request<B>) -> Result<Response<Body>, Refusal>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = req.into_parts();
        if parts.method == Method::GET && parts.uri.path() == "/openapi.json" {
            return Ok(json_response(StatusCode::OK, self.openapi.clone()));
        }
        let method = self.method(parts.uri.path()).ok_or_else(|| {
            let what = format!("no RPC at {} on this service", parts.uri.path());
            Refusal::new(Code::NotFound, what)
        })?;
        if parts.method != Method::POST {
            return Err(Refusal::new(Code::Unimplemented, "call an RPC with POST"));
        }
        if !is_json(&parts.headers) {
            return Err(Refusal::new(
                Code::InvalidArgument,
                "send the request as content-type: application/json",
            ));
        }
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| Refusal::new(Code::InvalidArgument, format!("request body: {e}")))?
            .to_bytes();
        let encoded = encode(&method, &body)?;
        let timeout = self.timeout(&parts.headers);
        let mut grpc = grpc_request(&method, &encoded, &parts.headers, timeout)
            .map_err(|e| Refusal::new(Code::Internal, e))?;
        // Connection facts (the TLS peer's certificate) travel with the call, as on gRPC.
        *grpc.extensions_mut() = parts.extensions;
        let call = self.inner.clone().oneshot(grpc);
        let Ok(Ok(answer)) = tokio::time::timeout(timeout, call).await else {
            return Err(Refusal::new(Code::DeadlineExceeded, "deadline exceeded"));
        };
        if method.is_server_streaming() {
            return stream::ndjson(answer, method, self.pool.clone());
        }
        unary_answer(&method, answer).await
    }

    fn method(&self, path: &str) -> Option<MethodDescriptor> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        if !self.services.iter().any(|s| s == service) {
            return None;
        }
        self.pool
            .get_service_by_name(service)?
            .methods()
            .find(|m| m.name() == method && !m.is_client_streaming())
    }

    fn timeout(&self, headers: &HeaderMap) -> Duration {
        headers
            .get("connect-timeout-ms")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .map(Duration::from_millis)
            .map_or(self.max_timeout, |t| t.min(self.max_timeout))
    }
}

/// proto3 JSON → protobuf by the method's input type; an unknown field is refused, as the
/// protobuf JSON parsers do, so that a misspelt field never goes unnoticed.
fn encode(method: &MethodDescriptor, body: &[u8]) -> Result<Vec<u8>, Refusal> {
    let mut json = serde_json::Deserializer::from_slice(body);
    DynamicMessage::deserialize_with_options(
        method.input(),
        &mut json,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
    .and_then(|m| json.end().map(|()| m))
    .map(|m| m.encode_to_vec())
    .map_err(|e| {
        let what = format!(
            "the request is not a {} in proto3 JSON: {e}",
            method.input().full_name()
        );
        Refusal::new(Code::InvalidArgument, what)
    })
}

async fn unary_answer(
    method: &MethodDescriptor,
    answer: Response<Body>,
) -> Result<Response<Body>, Refusal> {
    let (head, body) = answer.into_parts();
    let collected = body
        .collect()
        .await
        .map_err(|e| Refusal::new(Code::Unavailable, e.to_string()))?;
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let data = collected.to_bytes();
    // A refusal by a layer (authentication, load shedding) is trailers-only: its status is
    // in the headers.
    let status = tonic::Status::from_header_map(&trailers)
        .or_else(|| tonic::Status::from_header_map(&head.headers))
        .unwrap_or_else(|| tonic::Status::unknown("the service answered no status"));
    if status.code() != Code::Ok {
        return Err(Refusal::from(status));
    }
    let message = stream::frames(&data)
        .next()
        .ok_or_else(|| Refusal::new(Code::Internal, "the service answered no message"))?;
    let json = stream::to_json(method, message).map_err(|e| Refusal::new(Code::Internal, e))?;
    Ok(json_response(StatusCode::OK, Bytes::from(json)))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The call as a gRPC client would send it: path, framing, forwarded headers, deadline.
fn grpc_request(
    method: &MethodDescriptor,
    message: &[u8],
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Request<Body>, String> {
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let mut grpc = Request::builder()
        .method(Method::POST)
        .uri(path.as_str())
        .version(http::Version::HTTP_2)
        .header(header::CONTENT_TYPE, "application/grpc")
        .header(header::TE, "trailers")
        .body(Body::new(Full::new(frame(message))))
        .map_err(|e| e.to_string())?;
    for name in FORWARDED {
        for value in headers.get_all(*name) {
            grpc.headers_mut()
                .append(HeaderName::from_static(name), value.clone());
        }
    }
    let deadline =
        HeaderValue::from_str(&format!("{}m", timeout.as_millis())).map_err(|e| e.to_string())?;
    grpc.headers_mut().insert("grpc-timeout", deadline);
    Ok(grpc)
}

/// One gRPC message frame: uncompressed flag, big-endian length, the message.
fn frame(message: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(message.len() + 5);
    b.put_u8(0);
    b.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    b.put_slice(message);
    b.freeze()
}
