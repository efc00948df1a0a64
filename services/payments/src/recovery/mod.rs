//! RecoveryService: tax-refund offsets and the certified debts the tax system pulls, payment
//! plans, and suspensions of recovery.

pub(crate) mod certified;
pub(crate) mod debt;
pub(crate) mod debtors;
mod offset_notices;
pub(crate) mod plans;
pub(crate) mod suspensions;
pub(crate) mod tax_refund;
