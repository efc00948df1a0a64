//! The test kit: a throwaway PostgreSQL from the system binaries (one per test process,
//! one database per test) and any set of SECAL services started in-process on
//! `127.0.0.1:0` against it, with real gRPC over loopback.

mod casework;
mod clients;
pub mod json;
pub mod keys;
pub mod postgres;
pub mod process;
pub mod profile;
mod suite;
pub mod xml;

pub use casework::deliver_debtor_notice;
pub use clients::PaymentsClients;
pub use postgres::{PgError, PgServer};
pub use suite::{Options, Suite, Svc, pg, start_pg_with};
