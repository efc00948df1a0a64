//! The ledger's errors, with Postgres errors mapped explicitly by SQLSTATE.

use secal_runtime::{ErrorCode, ServiceError};
use sqlx::postgres::PgDatabaseError;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// The id is taken by a transfer with other content (a retry must repeat it exactly).
    #[error("transfer {0} already exists with different content")]
    Conflict(String),
    #[error("transfer {0} not found")]
    TransferNotFound(String),
    #[error("account {0} not found")]
    AccountNotFound(String),
    /// Post/void of a transfer that is not (or no longer) pending.
    #[error("transfer {id} is not pending: {why}")]
    NotPending { id: String, why: String },
    /// A balance invariant refused the transfer (SQLSTATE 23514).
    #[error("refused by balance rule {constraint} on account {account}")]
    BalanceLimit { constraint: String, account: String },
    /// Lost a race (unique violation on a concurrent insert, serialization failure,
    /// deadlock): retrying the same request gives the first result.
    #[error("a concurrent change won; retry")]
    Concurrent(#[source] sqlx::Error),
    #[error("database error")]
    Db(#[source] sqlx::Error),
}

impl LedgerError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Postgres reports a CHECK violation with "Failing row contains (id, code, ...)": the
/// account code is the second column of `ledger_accounts`.
fn failing_account(detail: Option<&str>) -> String {
    detail
        .and_then(|d| d.split_once('('))
        .and_then(|(_, rest)| rest.split(", ").nth(1))
        .unwrap_or("?")
        .to_owned()
}

impl From<sqlx::Error> for LedgerError {
    fn from(err: sqlx::Error) -> Self {
        let Some(db) = err.as_database_error() else {
            return Self::Db(err);
        };
        match db.code().as_deref() {
            Some("23514") => {
                let pg = db.try_downcast_ref::<PgDatabaseError>();
                Self::BalanceLimit {
                    constraint: db.constraint().unwrap_or("check").to_owned(),
                    account: failing_account(pg.and_then(PgDatabaseError::detail)),
                }
            }
            Some("23505") | Some("40001") | Some("40P01") => Self::Concurrent(err),
            _ => Self::Db(err),
        }
    }
}

impl From<LedgerError> for ServiceError {
    fn from(err: LedgerError) -> Self {
        let message = err.to_string();
        match err {
            LedgerError::Invalid { field, message } => ServiceError::invalid_field(field, message),
            LedgerError::Conflict(_) => ServiceError::new(ErrorCode::AlreadyExists, message)
                .with_reason("TRANSFER_ID_TAKEN"),
            LedgerError::TransferNotFound(_) | LedgerError::AccountNotFound(_) => {
                ServiceError::not_found(message)
            }
            LedgerError::NotPending { .. } => {
                ServiceError::failed_precondition("TRANSFER_NOT_PENDING", message)
            }
            LedgerError::BalanceLimit { .. } => {
                ServiceError::failed_precondition("BALANCE_LIMIT", message)
            }
            LedgerError::Concurrent(e) => {
                ServiceError::new(ErrorCode::Aborted, message).with_source(e)
            }
            LedgerError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_failing_account_is_read_from_the_detail() {
        let d = "Failing row contains (7, payable/SEC-2024-000001-89/c1, 7, SEC, c1, 2, 10, 0).";
        assert_eq!(
            super::failing_account(Some(d)),
            "payable/SEC-2024-000001-89/c1"
        );
        assert_eq!(super::failing_account(None), "?");
    }
}
