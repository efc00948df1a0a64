//! What the ledger holds of a dossier's claim account, per creditor and month, and the
//! payments as it allocated them — the two reads a booking compares the rules with.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, TransferCode};
use secal_rules::allocation::Target;
use sqlx::PgConnection;

use crate::ledger::LedgerError;
use crate::ledger::effect::{Effect, classify_stored};

/// A figure the claim account books, per creditor and month (the fee per month only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Component {
    Due,
    Interest,
    TimeBarred,
    Fee,
}

/// The booked amount of one component for one creditor and month, and the last transfer
/// that booked it (a correction names it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    pub cents: i64,
    pub last_transfer: Option<String>,
}

/// (component, creditor — empty for the fee —, month) -> booked.
pub(crate) type Booked = BTreeMap<(Component, String, NaiveDate), Cell>;

#[derive(sqlx::FromRow)]
struct Row {
    transfer_id: String,
    code: i16,
    debit_kind: i16,
    debit_party: Option<String>,
    credit_kind: i16,
    credit_party: Option<String>,
    for_month: Option<NaiveDate>,
    amount: i64,
}

/// The claim account's figures as the ledger holds them (posted transfers of the dossier with
/// a month), whoever booked them: the claim account, RecognizeDebtorDebt, the runs.
#[tracing::instrument(skip_all)]
pub(crate) async fn read(conn: &mut PgConnection, dossier: &str) -> Result<Booked, LedgerError> {
    let sql = format!(
        "SELECT t.transfer_id, t.code, da.kind AS debit_kind, da.party_person_id AS debit_party,
                ca.kind AS credit_kind, ca.party_person_id AS credit_party, t.for_month, t.amount
         FROM ledger_transfers t
         JOIN ledger_accounts da ON da.id = t.debit_account
         JOIN ledger_accounts ca ON ca.id = t.credit_account
         WHERE t.id IN ({}) AND t.dossier_number = $1 AND t.state = {posted}
           AND t.for_month IS NOT NULL
         ORDER BY t.id",
        crate::ledger::DOSSIER_TRANSFER_IDS,
        posted = crate::db_enum::sql_enum!(TransferState::Posted),
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .fetch_all(conn)
        .await?;
    let mut booked = Booked::new();
    for r in rows {
        let Some(month) = r.for_month else { continue };
        if let Some((component, party, sign)) = effect(&r) {
            let cell = booked.entry((component, party, month)).or_default();
            cell.cents += sign * r.amount;
            if sign > 0 {
                cell.last_transfer = Some(r.transfer_id);
            }
        }
    }
    Ok(booked)
}

/// Which component a transfer books, for whom, with which sign: the claim account's figures
/// of the one classification of a transfer (`ledger::effect`).
fn effect(r: &Row) -> Option<(Component, String, i64)> {
    let code = TransferCode::try_from(i32::from(r.code)).ok()?;
    let effect = classify_stored(code, r.debit_kind, r.credit_kind, r.for_month.is_some());
    let (component, sign) = match effect {
        Effect::Due { sign, .. } => (Component::Due, sign),
        Effect::Interest { sign, .. } => (Component::Interest, sign),
        Effect::Fee { sign } => (Component::Fee, sign),
        Effect::TimeBarred { sign, .. } => (Component::TimeBarred, sign),
        // Advances and debtor money move what is booked; they book nothing themselves.
        Effect::Advanced { .. }
        | Effect::Recovered { .. }
        | Effect::PaidToCreditor { .. }
        | Effect::FeePaid
        | Effect::None => return None,
    };
    // The fee names no creditor: its key's creditor is empty.
    let party = effect.party(&r.debit_party, &r.credit_party);
    Some((
        component,
        party.unwrap_or_default().to_owned(),
        sign.factor(),
    ))
}

/// The principal parts of the money the ledger allocated to the dossier, each as a payment
/// tied to its creditor and month, dated by its allocation: the rules then apply each part to
/// exactly the line the ledger paid (interest and fee parts pay no line).
#[tracing::instrument(skip_all)]
pub(crate) async fn allocated_payments(
    conn: &mut PgConnection,
    dossier: &str,
) -> Result<Vec<pb::ReceivedPayment>, LedgerError> {
    let rows: Vec<(String, i32, NaiveDate, NaiveDate, String, i64)> = sqlx::query_as(
        "SELECT pa.payment_id, pa.position, t.value_date, pa.for_month, pa.creditor, pa.amount_cents
           FROM payment_allocations pa
           JOIN ledger_transfers t ON t.transfer_id = 'alloc/' || pa.payment_id || '/a' || pa.position
          WHERE t.dossier_number = $1 AND pa.target NOT IN ($2, $3)
            AND pa.for_month IS NOT NULL AND pa.creditor IS NOT NULL
          ORDER BY t.value_date, t.id",
    )
    .bind(dossier)
    .bind(Target::Interest as i16)
    .bind(Target::Surcharge as i16)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(payment, position, paid_on, month, creditor, cents)| pb::ReceivedPayment {
                payment_id: format!("{payment}/{position}"),
                paid_on: Some(secal_runtime::wire::date_to_pb(paid_on)),
                amount: Some(crate::ledger::cents_pb(cents)),
                for_month: Some(crate::ledger::month_pb(month)),
                creditor_id: creditor,
            },
        )
        .collect())
}
