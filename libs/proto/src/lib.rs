//! Generated code for the `secal.v1` contracts. The `.proto` files in `proto/` are the
//! source of truth; nothing here is written by hand.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod v1 {
    tonic::include_proto!("secal.v1");
}

/// Encoded `FileDescriptorSet` of every secal.v1 file, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/secal_descriptor.bin"));
