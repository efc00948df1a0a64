//! Reading balances and histories as of a value date.

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1 as pb;
use sqlx::PgConnection;

use crate::db_enum::sql_enum;

use super::store::{TRANSFER_COLUMNS, TRANSFER_FROM};
use super::{AccountKind, LedgerError, Transfer, cents_pb};

/// An account's sums over transfers with a value date on or before `as_of`; pending sums are
/// the reservations still open now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountBalance {
    pub code: String,
    pub kind: i16,
    pub dossier_number: Option<String>,
    pub party_person_id: Option<String>,
    pub balance_rule: i16,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
}

impl AccountBalance {
    /// Posted balance on the account's normal side.
    pub fn balance(&self) -> i64 {
        let debit_normal = AccountKind::from_i16(self.kind).is_some_and(AccountKind::debit_normal);
        if debit_normal {
            self.debits_posted - self.credits_posted
        } else {
            self.credits_posted - self.debits_posted
        }
    }

    pub fn to_pb(&self, as_of: NaiveDate) -> pb::LedgerAccount {
        pb::LedgerAccount {
            account_id: self.code.clone(),
            kind: i32::from(self.kind),
            dossier_number: self.dossier_number.clone().unwrap_or_default(),
            party_person_id: self.party_person_id.clone().unwrap_or_default(),
            constraint: i32::from(self.balance_rule),
            debits_posted: Some(cents_pb(self.debits_posted)),
            credits_posted: Some(cents_pb(self.credits_posted)),
            debits_pending: Some(cents_pb(self.debits_pending)),
            credits_pending: Some(cents_pb(self.credits_pending)),
            balance: Some(cents_pb(self.balance())),
            as_of: Some(secal_runtime::wire::date_to_pb(as_of)),
            opened: Some(pb::AuditStamp {
                actor: self.opened_by.clone(),
                at: secal_runtime::wire::timestamp(self.opened_at),
                via: String::new(),
            }),
        }
    }
}

const BALANCE_SELECT: &str = concat!(
    "SELECT a.code, a.kind, a.dossier_number, a.party_person_id, a.balance_rule,
    a.opened_by, a.opened_at,
    COALESCE(sum(t.amount) FILTER (WHERE t.debit_account = a.id AND t.state = ",
    sql_enum!(TransferState::Posted),
    "), 0)::bigint AS debits_posted,
    COALESCE(sum(t.amount) FILTER (WHERE t.credit_account = a.id AND t.state = ",
    sql_enum!(TransferState::Posted),
    "), 0)::bigint AS credits_posted,
    COALESCE(sum(t.amount) FILTER (WHERE t.debit_account = a.id AND t.state = ",
    sql_enum!(TransferState::Pending),
    " AND s.id IS NULL), 0)::bigint AS debits_pending,
    COALESCE(sum(t.amount) FILTER (WHERE t.credit_account = a.id AND t.state = ",
    sql_enum!(TransferState::Pending),
    " AND s.id IS NULL), 0)::bigint AS credits_pending
  FROM ledger_accounts a
  LEFT JOIN ledger_transfers t ON (t.debit_account = a.id OR t.credit_account = a.id) AND t.value_date <= $2
  LEFT JOIN ledger_transfers s ON s.pending_id = t.id"
);

pub async fn account_balance(
    conn: &mut PgConnection,
    code: &str,
    as_of: NaiveDate,
) -> Result<AccountBalance, LedgerError> {
    let sql = format!("{BALANCE_SELECT} WHERE a.code = $1 GROUP BY a.id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .bind(as_of)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| LedgerError::AccountNotFound(code.to_owned()))
}

pub async fn dossier_accounts(
    conn: &mut PgConnection,
    dossier: &str,
    as_of: NaiveDate,
) -> Result<Vec<AccountBalance>, LedgerError> {
    let sql = format!(
        "{BALANCE_SELECT} WHERE a.dossier_number = $1 GROUP BY a.id ORDER BY a.kind, a.code"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .bind(as_of)
        .fetch_all(conn)
        .await?)
}

/// An account's transfers by value date (paged by position: value dates are not increasing
/// with insertion) with the posted balance after each (on the account's
/// normal side); settlements of pending transfers count when posted.
pub async fn account_history(
    conn: &mut PgConnection,
    code: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    offset: i64,
    limit: i64,
) -> Result<Vec<(Transfer, i64)>, LedgerError> {
    let acct: (i64, i16) = sqlx::query_as("SELECT id, kind FROM ledger_accounts WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| LedgerError::AccountNotFound(code.to_owned()))?;
    let sign = if AccountKind::from_i16(acct.1).is_some_and(AccountKind::debit_normal) {
        1
    } else {
        -1
    };
    const POSTED: &str = sql_enum!(TransferState::Posted);
    let sql = format!(
        "WITH h AS (
           SELECT {TRANSFER_COLUMNS},
             (sum(CASE WHEN t.state <> {POSTED} THEN 0 WHEN t.debit_account = $1 THEN t.amount ELSE -t.amount END * $2)
               OVER (ORDER BY t.value_date, t.id))::bigint AS running
           FROM {TRANSFER_FROM}
           WHERE (t.debit_account = $1 OR t.credit_account = $1) AND ($4::date IS NULL OR t.value_date <= $4))
         SELECT * FROM h WHERE ($3::date IS NULL OR value_date >= $3)
         ORDER BY value_date, id OFFSET $5 LIMIT $6"
    );
    let rows: Vec<HistoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(acct.0)
        .bind(sign)
        .bind(from)
        .bind(to)
        .bind(offset)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.transfer, r.running)).collect())
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    #[sqlx(flatten)]
    transfer: Transfer,
    running: i64,
}

/// The ids of every transfer touching an account of dossier `$1`, through the account
/// indexes (there is no index of transfers by dossier: the advances run would maintain it).
pub(crate) const DOSSIER_TRANSFER_IDS: &str = "SELECT x.id FROM ledger_transfers x
      WHERE x.debit_account IN (SELECT id FROM ledger_accounts WHERE dossier_number = $1)
     UNION
     SELECT x.id FROM ledger_transfers x
      WHERE x.credit_account IN (SELECT id FROM ledger_accounts WHERE dossier_number = $1)";

/// Every transfer touching one of the dossier's accounts (either side), by value date, paged
/// by position like [`account_history`]. Settlements of pending transfers are listed too.
pub async fn dossier_history(
    conn: &mut PgConnection,
    dossier: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    offset: i64,
    limit: i64,
) -> Result<Vec<Transfer>, LedgerError> {
    // Through the accounts, not `t.dossier_number`: that names one dossier per transfer,
    // while a transfer between two dossiers' accounts touches both.
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_FROM}
         WHERE t.id IN ({DOSSIER_TRANSFER_IDS})
           AND ($2::date IS NULL OR t.value_date >= $2) AND ($3::date IS NULL OR t.value_date <= $3)
         ORDER BY t.value_date, t.id OFFSET $4 LIMIT $5"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .bind(from)
        .bind(to)
        .bind(offset)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
