//! The gRPC surface: one file per service of the payments contract, each RPC delegating to
//! the module that does the work.

mod advances;
mod ledger;
mod payouts;
mod receipts;
mod recovery;

use tonic::{Response, Status};

type Reply<T> = Result<Response<T>, Status>;
