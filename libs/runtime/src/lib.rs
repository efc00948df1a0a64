//! What every SECAL service runs on: configuration, telemetry, its database, the gRPC
//! server and clients, caller identity and the one error type handlers return.

pub mod auth;
pub mod client;
pub mod config;
pub mod connect;
pub mod db;
pub mod error;
pub mod handler;
pub mod idempotency;
pub mod limit;
pub mod middleware;
pub mod server;
pub mod service;
pub mod syntax;
pub mod telemetry;
pub mod tls;
pub mod wire;

pub use auth::{AuthPolicy, Caller, roles};
pub use error::{ErrorCode, FieldViolation, ServiceError, ServiceResult};
pub use handler::Violations;

// For `grpc_service!` in the services' crates.
#[doc(hidden)]
pub use secal_proto as __proto;
#[doc(hidden)]
pub use tonic as __tonic;
