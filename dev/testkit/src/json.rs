//! Proto3 JSON (the canonical mapping every gRPC tool speaks) to and from our generated
//! types, through the serde impls generated with the contract (pbjson). Request fixtures are
//! kept in this form so that `buf curl -d @file` can send them too.

use anyhow::Context;
use serde::{Serialize, de::DeserializeOwned};

/// Parses proto3 JSON into `T`, whose full name (e.g. `secal.v1.ComputeArrearsRequest`) names
/// it in errors. Unknown fields are an error, as they would be for a typo in a fixture.
pub fn from_json<T: DeserializeOwned>(full_name: &str, json: &str) -> anyhow::Result<T> {
    serde_json::from_str(json).with_context(|| format!("parsing {full_name} from JSON"))
}

/// Reads a fixture file under the workspace's `tests/fixtures/`.
pub fn fixture<T: DeserializeOwned>(full_name: &str, relative: &str) -> anyhow::Result<T> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(relative);
    let json =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    from_json(full_name, &json)
}

/// `T` as proto3 JSON (for logs of failing tests and for writing fixtures).
pub fn to_json<T: Serialize>(full_name: &str, message: &T) -> anyhow::Result<String> {
    serde_json::to_string_pretty(message).with_context(|| format!("writing {full_name} as JSON"))
}
