//! What every SECAL service runs on: configuration, telemetry, its database, the gRPC
//! server and clients, caller identity and the one error type handlers return.

pub mod auth;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod idempotency;
pub mod middleware;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod tls;
pub mod wire;

pub use auth::{AuthPolicy, Caller, roles};
pub use error::{ErrorCode, FieldViolation, ServiceError, ServiceResult};
