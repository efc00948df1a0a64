//! The gRPC surface: one file per service of the payments contract, each RPC delegating to
//! the module that does the work.

mod advances;
mod ledger;
mod payouts;
mod receipts;
mod recovery;

use sqlx::PgPool;
use tonic::{Response, Status};

/// What every RPC of the five services works with; one instance serves them all.
pub struct PaymentsApi {
    pub(crate) pool: PgPool,
    pub(crate) calculation: Option<crate::calc_client::Calculation>,
}

impl PaymentsApi {
    pub fn new(pool: PgPool, calculation: Option<crate::calc_client::Calculation>) -> Self {
        Self { pool, calculation }
    }
}

type Reply<T> = Result<Response<T>, Status>;
