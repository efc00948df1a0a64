//! One call through a service's JSON listener, as `curl` makes it: `POST` the proto3 JSON
//! request to `/<package.Service>/<Method>` with the bearer token.

use std::net::SocketAddr;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use prost_reflect::MethodDescriptor;
use serde_json::Value;

/// What the listener answered: the HTTP status and the body, as JSON (one value, or one per
/// line of an NDJSON stream).
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<Value>,
}

pub async fn post(
    addr: SocketAddr,
    method: &MethodDescriptor,
    token: &str,
    request: &Value,
) -> anyhow::Result<HttpAnswer> {
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("authorization", format!("Bearer {token}")),
    ];
    let (status, bytes) = send(
        addr,
        http::Method::POST,
        &path,
        &headers,
        serde_json::to_vec(request)?,
    )
    .await?;
    let body = if method.is_server_streaming() && status == 200 {
        bytes
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(serde_json::from_slice)
            .collect::<Result<_, _>>()?
    } else {
        vec![
            serde_json::from_slice(&bytes)
                .with_context(|| format!("not JSON: {}", String::from_utf8_lossy(&bytes)))?,
        ]
    };
    Ok(HttpAnswer { status, body })
}

/// Any request to a JSON listener: its status and body.
pub async fn send(
    addr: SocketAddr,
    method: http::Method,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> anyhow::Result<(u16, Bytes)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let answer = client
        .request(req.body(Full::new(Bytes::from(body)))?)
        .await
        .context("calling the JSON listener")?;
    let status = answer.status().as_u16();
    Ok((status, answer.into_body().collect().await?.to_bytes()))
}
