//! Compiles `proto/secal/v1/*.proto` and `proto/secal/sim/v1/*.proto` with protox (pure Rust, so no system `protoc` is
//! needed), keeps the descriptor set for gRPC reflection, and generates the messages'
//! canonical proto3 JSON (pbjson) and the OpenAPI 3.1 document of the JSON listeners.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    // The production contracts, and the simulator's in its own package.
    for dir in ["secal/v1", "secal/sim/v1"] {
        for entry in fs::read_dir(root.join(dir))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "proto") {
                files.push(path);
            }
        }
    }
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let encoded = fds.encode_to_vec();
    fs::write(out.join("secal_descriptor.bin"), &encoded)?;
    write_openapi(&encoded, &out)?;
    // Canonical proto3 JSON for every message (serde impls next to the prost types).
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .build(&[".secal"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // An RPC whose issue has not landed yet answers UNIMPLEMENTED instead of breaking the build.
        .generate_default_stubs(true)
        .compile_fds(fds)?;
    Ok(())
}

/// The OpenAPI document of every secal.v1 service (the simulator's package is left out),
/// written where `secal_proto::OPENAPI_JSON` includes it from.
fn write_openapi(encoded: &[u8], out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let pool = prost_reflect::DescriptorPool::decode(encoded)?;
    let services: Vec<String> = pool
        .services()
        .filter(|s| s.package_name() == "secal.v1")
        .map(|s| s.full_name().to_owned())
        .collect();
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let document = secal_openapi::document(&pool, &names, env!("CARGO_PKG_VERSION"));
    fs::write(
        out.join("openapi.json"),
        serde_json::to_string_pretty(&document)? + "\n",
    )?;
    Ok(())
}
