//! The claim account (`secal.v1.ClaimAccountService`): a dossier's debt booked by itself from
//! the rules. A booking asks the calculation service for the dossier's arrears table on a date
//! (`case`: the case from the snapshot, the acts and the ledger's allocations), compares it
//! with what the ledger holds per creditor and month (`booked`), and books the difference
//! (`book`). The runs, the acts, the reads and the statements are built on it.
//!
//! Transfer conventions (beside those of `ledger::booking`):
//! - due: debtor-principal -> creditor-claim/C (DEBT_RECOGNITION, month);
//! - fee: debtor-surcharge -> fee-income (SURCHARGE, month);
//! - interest: debtor-interest -> creditor-claim/C (INTEREST, month);
//! - time-barred: debtor-time-barred/C -> debtor-principal (WRITE_OFF, month);
//! - a figure that went down: the reverse transfer, code CORRECTION, naming the last transfer
//!   of the same kind, creditor and month.

pub(crate) mod account;
// The rows GetClaimAccount reads and their wire form.
mod account_pb;
pub(crate) mod acts;
pub(crate) mod book;
pub(crate) mod booked;
pub(crate) mod dues_run;
pub(crate) mod fast;
pub(crate) mod statements;
// What the dues run's fast path needs of a booked table, kept on the account's row.
mod summary;
pub(crate) mod target;
pub(crate) mod watch;

/// The case built from the snapshot: one construction, shared with intake (`secal-case`).
pub(crate) use secal_case as case;
