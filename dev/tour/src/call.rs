//! One call of any RPC of the contract, by name, with its request and answer as proto3 JSON.
//!
//! The request is read against the method's input type from the descriptor set and sent as
//! protobuf bytes; the answer is decoded the same way. No per-RPC code: an RPC added to the
//! contract can be called as soon as it is declared.

use std::sync::OnceLock;

use anyhow::Context as _;
use prost::{
    Message,
    bytes::{Buf, BufMut},
};
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MethodDescriptor};
use serde_json::Value;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    metadata::MetadataValue,
    transport::Channel,
};

/// The contract's descriptors (every secal.v1 file and what it imports).
pub fn pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(secal_proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow::anyhow!("the contract's descriptor set does not decode: {e}"))
}

/// The method named `Service/Method` (package `secal.v1` implied) or `secal.v1.Service/Method`.
pub fn method(name: &str) -> anyhow::Result<MethodDescriptor> {
    let (service, method) = name
        .split_once('/')
        .with_context(|| format!("{name}: expected Service/Method"))?;
    let service = if service.contains('.') {
        service.to_owned()
    } else {
        format!("secal.v1.{service}")
    };
    pool()?
        .get_service_by_name(&service)
        .and_then(|s| s.methods().find(|m| m.name() == method))
        .with_context(|| format!("{name}: no such RPC in the contract"))
}

/// Every RPC of the contract, as `Service/Method`.
pub fn every_rpc() -> anyhow::Result<Vec<String>> {
    Ok(pool()?
        .services()
        .filter(|s| s.package_name() == "secal.v1")
        .flat_map(|s| {
            let service = s.name().to_owned();
            s.methods()
                .map(move |m| format!("{service}/{}", m.name()))
                .collect::<Vec<_>>()
        })
        .collect())
}

/// Reads a request written in proto3 JSON; an unknown field is an error (a typo in an example
/// must not be dropped silently).
pub fn encode(method: &MethodDescriptor, request: &Value) -> anyhow::Result<Vec<u8>> {
    let message = DynamicMessage::deserialize_with_options(
        method.input(),
        request,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
    .with_context(|| format!("the request does not fit {}", method.input().full_name()))?;
    Ok(message.encode_to_vec())
}

fn decode(method: &MethodDescriptor, bytes: &[u8]) -> anyhow::Result<Value> {
    let message = DynamicMessage::decode(method.output(), bytes)
        .with_context(|| format!("the answer does not fit {}", method.output().full_name()))?;
    Ok(serde_json::to_value(&message)?)
}

/// What a call answered: one message, or every message of a stream (in order).
#[derive(Debug, Clone)]
pub enum Answer {
    One(Value),
    Stream(Vec<Value>),
}

impl Answer {
    /// The message to read saved values from: the last of a stream.
    pub fn last(&self) -> Option<&Value> {
        match self {
            Answer::One(v) => Some(v),
            Answer::Stream(vs) => vs.last(),
        }
    }
}

/// Calls `method` with `request` (proto3 JSON) and `token`; a refusal is the status itself.
pub async fn call(
    channel: Channel,
    method: &MethodDescriptor,
    token: &str,
    request: &Value,
) -> anyhow::Result<Result<Answer, Status>> {
    let body = encode(method, request)?;
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(64 << 20);
    grpc.ready().await.context("the service is not ready")?;
    let path = PathAndQuery::try_from(format!(
        "/{}/{}",
        method.parent_service().full_name(),
        method.name()
    ))?;
    let mut request = tonic::Request::new(body);
    let bearer = MetadataValue::try_from(format!("Bearer {token}"))?;
    request.metadata_mut().insert("authorization", bearer);
    if method.is_server_streaming() {
        let mut stream = match grpc.server_streaming(request, path, RawCodec).await {
            Ok(s) => s.into_inner(),
            Err(status) => return Ok(Err(status)),
        };
        let mut all = Vec::new();
        loop {
            match stream.message().await {
                Ok(Some(bytes)) => all.push(decode(method, &bytes)?),
                Ok(None) => return Ok(Ok(Answer::Stream(all))),
                Err(status) => return Ok(Err(status)),
            }
        }
    }
    match grpc.unary(request, path, RawCodec).await {
        Ok(answer) => Ok(Ok(Answer::One(decode(method, answer.get_ref())?))),
        Err(status) => Ok(Err(status)),
    }
}

/// A refusal as a reader wants it: the code, the message, and the details decoded (each
/// field violation, the reason, the reference id of an internal error).
pub fn describe(status: &Status) -> Value {
    use tonic_types::StatusExt as _;
    let details = status.get_error_details();
    let mut out = serde_json::json!({
        "code": format!("{:?}", status.code()),
        "message": status.message(),
    });
    if let Some(bad) = details.bad_request() {
        out["fieldViolations"] = bad
            .field_violations
            .iter()
            .map(|v| serde_json::json!({"field": v.field, "description": v.description}))
            .collect();
    }
    if let Some(info) = details.error_info() {
        out["reason"] = Value::from(info.reason.clone());
        out["metadata"] = serde_json::to_value(&info.metadata).unwrap_or_default();
    }
    if let Some(r) = details.request_info() {
        out["referenceId"] = Value::from(r.request_id.clone());
    }
    out
}

/// Passes encoded messages through untouched: they are built and read as dynamic messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}
