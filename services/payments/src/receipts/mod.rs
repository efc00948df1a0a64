//! ReceiptsService: money received from debtors, recorded or imported from bank statements,
//! and its allocation.

pub(crate) mod allocation_query;
pub(crate) mod payments;
pub mod statements;
