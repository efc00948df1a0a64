//! The OpenAPI document in the repository (`openapi/secal.v1.openapi.json`) is the one the
//! build generates from the protos (`secal_proto::OPENAPI_JSON`, which the services serve):
//! a proto changed without it fails here. `SECAL_BLESS=1 cargo test -p secal-e2e --test
//! e2e openapi::` writes the generated one in its place.

use std::path::Path;

#[test]
fn the_checked_in_openapi_document_is_the_generated_one() -> anyhow::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/secal.v1.openapi.json");
    let generated = secal_proto::OPENAPI_JSON;
    if std::env::var_os("SECAL_BLESS").is_some() {
        std::fs::write(&path, generated)?;
    }
    let stored = std::fs::read_to_string(&path)?;
    anyhow::ensure!(
        stored == generated,
        "{} is out of date: run SECAL_BLESS=1 cargo test -p secal-e2e --test e2e openapi::",
        path.display()
    );
    // Every RPC of the contract is an operation of the document.
    let document: serde_json::Value = serde_json::from_str(generated)?;
    let paths = document["paths"].as_object().map(|p| p.len()).unwrap_or(0);
    let rpcs: usize = secal_proto::contract::services()
        .iter()
        .filter(|(s, _)| s.starts_with("secal.v1."))
        .map(|(_, methods)| methods.len())
        .sum();
    assert_eq!(paths, rpcs, "one operation per RPC");
    Ok(())
}
