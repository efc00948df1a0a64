//! The gRPC surface: one file per service of the payments contract, each written by
//! `secal_runtime::grpc_service!`: every RPC handed to its use case in the module that does
//! the work, `use_case(api, &caller, request)`.

mod advances;
mod claims;
mod ledger;
mod payouts;
mod receipts;
mod recovery;

use sqlx::PgPool;

/// What every RPC of the six services works with; one instance serves them all.
pub struct PaymentsApi {
    pub(crate) pool: PgPool,
    pub(crate) calculation: Option<crate::calc_client::Calculation>,
}

impl PaymentsApi {
    pub fn new(pool: PgPool, calculation: Option<crate::calc_client::Calculation>) -> Self {
        Self { pool, calculation }
    }
}
