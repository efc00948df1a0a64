//! The enforceable debt of a dossier on a day, as recovery uses it (tax-refund offsets, payment
//! plans): the debtor-principal, debtor-interest and debtor-surcharge balances counting only
//! the posted transfers with a value date up to that day.
//!
//! The claim account books a month only once due (its value date the due date) and moves a
//! time-barred part off debtor-principal, so these balances are what can be enforced; the
//! value-date cut also keeps out a debt recognised ahead of its due date (RecognizeDebtorDebt
//! with a future `enforceable_since`), which the running account totals would count.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use secal_runtime::ServiceResult;
use sqlx::PgConnection;

use crate::db_enum::{debtor_debt_kinds, sql_enum};

/// Each dossier's enforceable debt on `on`, in cents, never below zero (a payment allocated
/// ahead of a debt's value date does not make the debtor a creditor); a dossier without any
/// debt is absent.
pub(crate) async fn enforceable_on(
    conn: &mut PgConnection,
    dossiers: &[String],
    on: NaiveDate,
) -> ServiceResult<BTreeMap<String, i64>> {
    // Debits raise what the debtor owes on these (debit-normal) accounts, credits lower it.
    // Two arms rather than one join on `debit OR credit`, so each uses its account index.
    let rows: Vec<(String, i64)> = sqlx::query_as(concat!(
        "SELECT dossier_number, sum(x)::bigint FROM (
             SELECT a.dossier_number, t.amount AS x FROM ledger_accounts a
               JOIN ledger_transfers t ON t.debit_account = a.id
              WHERE a.dossier_number = ANY($1) AND a.kind IN ",
        debtor_debt_kinds!(),
        " AND t.state = ",
        sql_enum!(TransferState::Posted),
        " AND t.value_date <= $2
             UNION ALL
             SELECT a.dossier_number, -t.amount FROM ledger_accounts a
               JOIN ledger_transfers t ON t.credit_account = a.id
              WHERE a.dossier_number = ANY($1) AND a.kind IN ",
        debtor_debt_kinds!(),
        " AND t.state = ",
        sql_enum!(TransferState::Posted),
        " AND t.value_date <= $2
         ) m GROUP BY dossier_number"
    ))
    .bind(dossiers)
    .bind(on)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, c)| *c > 0)
        .collect::<BTreeMap<_, _>>())
}

/// The enforceable debt of `dossiers` together on `on`, in cents.
pub(crate) async fn total_enforceable_on(
    conn: &mut PgConnection,
    dossiers: &[String],
    on: NaiveDate,
) -> ServiceResult<i64> {
    Ok(enforceable_on(conn, dossiers, on).await?.values().sum())
}
