//! Compiles `proto/secal/v1/*.proto` and `proto/secal/sim/v1/*.proto` with protox (pure Rust, so no system `protoc` is
//! needed), keeps the descriptor set for gRPC reflection, and generates the messages'
//! canonical proto3 JSON (pbjson).

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
