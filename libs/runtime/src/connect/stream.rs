//! gRPC message frames read back, and a server stream turned into NDJSON as it arrives.

use std::{convert::Infallible, sync::Arc};

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt as _;
use http::{HeaderMap, HeaderValue, Response, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use tonic::{Code, body::Body};

use super::errors::{Refusal, error_json};

/// The messages of a complete gRPC body (uncompressed frames, as our servers send them).
pub(super) fn frames(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (message, rest) = split_frame(data)?;
        data = rest;
        Some(message)
    })
}

fn split_frame(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let header = data.get(..5)?;
    let len = usize::try_from(u32::from_be_bytes([
        header[1], header[2], header[3], header[4],
    ]))
    .ok()?;
    let end = 5usize.checked_add(len)?;
    Some((data.get(5..end)?, &data[end..]))
}

/// One answer message as proto3 JSON.
pub(super) fn to_json(method: &MethodDescriptor, message: &[u8]) -> Result<Vec<u8>, String> {
    let reply = DynamicMessage::decode(method.output(), message).map_err(|e| e.to_string())?;
    serde_json::to_vec(&reply).map_err(|e| e.to_string())
}

/// A server stream as NDJSON, line by line as the service sends: a refusal before the first
/// message is an ordinary error answer; a failure after it is the last line, `{"error": …}`.
pub(super) fn ndjson(
    answer: Response<Body>,
    method: MethodDescriptor,
    pool: Arc<DescriptorPool>,
) -> Result<Response<Body>, Refusal> {
    let (head, body) = answer.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&head.headers)
        && status.code() != Code::Ok
    {
        return Err(Refusal::from(status));
    }
    let reader = Reader {
        body,
        buffer: BytesMut::new(),
        done: false,
        method,
        pool,
    };
    let lines = futures::stream::unfold(reader, |mut r| async move {
        let line = r.next_line().await?;
        Some((line, r))
    })
    .map(|line| Ok::<_, Infallible>(Frame::data(line)));
    let mut response = Response::new(Body::new(StreamBody::new(lines)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

struct Reader {
    body: Body,
    buffer: BytesMut,
    done: bool,
    method: MethodDescriptor,
    pool: Arc<DescriptorPool>,
}

impl Reader {
    /// The next line: a message whole in the buffer, else more of the body read.
    async fn next_line(&mut self) -> Option<Bytes> {
        loop {
            if let Some((message, _)) = split_frame(&self.buffer) {
                let len = message.len();
                let line = self.line(to_json(&self.method, message));
                self.buffer.advance(5 + len);
                return Some(line);
            }
            if self.done {
                return None;
            }
            match self.body.frame().await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buffer.extend_from_slice(&data),
                    Err(frame) => {
                        self.done = true;
                        if let Some(line) = frame.trailers_ref().and_then(|t| self.failure(t)) {
                            return Some(line);
                        }
                    }
                },
                Some(Err(status)) => {
                    self.done = true;
                    return Some(self.error_line(status.code(), status.message(), &[]));
                }
                None => self.done = true,
            }
        }
    }

    fn line(&self, json: Result<Vec<u8>, String>) -> Bytes {
        match json {
            Ok(mut json) => {
                json.push(b'\n');
                Bytes::from(json)
            }
            Err(e) => self.error_line(Code::Internal, &e, &[]),
        }
    }

    /// The status the trailers end the stream with, as a last line when it is a failure.
    fn failure(&self, trailers: &HeaderMap) -> Option<Bytes> {
        let status = tonic::Status::from_header_map(trailers)?;
        (status.code() != Code::Ok)
            .then(|| self.error_line(status.code(), status.message(), status.details()))
    }

    fn error_line(&self, code: Code, message: &str, details: &[u8]) -> Bytes {
        let line = serde_json::json!({ "error": error_json(code, message, details, &self.pool) });
        Bytes::from(format!("{line}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_back_whole_and_a_cut_frame_is_left() {
        let mut data = Vec::new();
        for m in [&b"ab"[..], &b""[..], &b"xyz"[..]] {
            data.push(0);
            data.extend_from_slice(&u32::try_from(m.len()).unwrap_or(0).to_be_bytes());
            data.extend_from_slice(m);
        }
        let all: Vec<&[u8]> = frames(&data).collect();
        assert_eq!(all, [&b"ab"[..], &b""[..], &b"xyz"[..]]);
        let cut: Vec<&[u8]> = frames(&data[..data.len() - 1]).collect();
        assert_eq!(cut.len(), 2);
    }
}
