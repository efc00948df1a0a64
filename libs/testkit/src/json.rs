//! Proto3 JSON (the canonical mapping every gRPC tool speaks) to and from our generated
//! types, through the descriptor set the services advertise by reflection. Request fixtures
//! are kept in this form so that `buf curl -d @file` can send them too.

use anyhow::Context;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use std::sync::OnceLock;

fn pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    if let Some(p) = POOL.get() {
        return Ok(p);
    }
    let p = DescriptorPool::decode(secal_proto::FILE_DESCRIPTOR_SET)
        .context("decoding the file descriptor set")?;
    Ok(POOL.get_or_init(|| p))
}

/// Parses proto3 JSON into `T`, whose full name (e.g. `secal.v1.ComputeArrearsRequest`) is
/// given. Unknown fields are an error, as they would be for a typo in a fixture.
pub fn from_json<T: prost::Message + Default>(full_name: &str, json: &str) -> anyhow::Result<T> {
    let descriptor = pool()?
        .get_message_by_name(full_name)
        .with_context(|| format!("no message {full_name}"))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut de)
        .with_context(|| format!("parsing {full_name} from JSON"))?;
    de.end()?;
    Ok(T::decode(dynamic.encode_to_vec().as_slice())?)
}

/// Reads a fixture file under the workspace's `tests/fixtures/`.
pub fn fixture<T: prost::Message + Default>(full_name: &str, relative: &str) -> anyhow::Result<T> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(relative);
    let json =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    from_json(full_name, &json)
}

/// `T` as proto3 JSON (for logs of failing tests and for writing fixtures).
pub fn to_json<T: prost::Message>(full_name: &str, message: &T) -> anyhow::Result<String> {
    let descriptor = pool()?
        .get_message_by_name(full_name)
        .with_context(|| format!("no message {full_name}"))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())?;
    Ok(serde_json::to_string_pretty(&dynamic)?)
}
