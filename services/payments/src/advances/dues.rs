//! Dues first, then advances: the run pays a child's advance only on the month's dues the
//! claim account booked beforehand (RunMonthlyDues, or the activation's mandate), and never
//! more than the part of them that is still the creditor's.

use std::collections::HashMap;

use secal_domain::YearMonth;
use secal_proto::v1::{self as pb, TransferCode};
use secal_runtime::ServiceResult;

use super::{Child, Outcome};
use crate::db_enum::sql_enum;
use crate::ledger::AccountKind as K;

/// The code crediting a child's claim with the month's due (`Effect::Due` booked).
const RECOGNISED: TransferCode = TransferCode::DebtRecognition;
/// The code debiting the claim to the debtor's principal (`Effect::Due` reversed; the SQL
/// names the principal's kind).
const CORRECTED: TransferCode = TransferCode::Correction;
/// The codes debiting the claim by what is no longer the creditor's to be paid: SECAL's
/// advance (`Effect::Advanced`) and the creditor's share of debtor money
/// (`Effect::PaidToCreditor` of a month).
const TAKEN: [TransferCode; 2] = [TransferCode::Advance, TransferCode::Allocation];

/// Per child of the batch that is to be paid (by its position in the batch): the creditor's
/// open part of the month, for the children whose month is booked. A child missing from the
/// answer has no dues booked for the month.
///
/// Read as `open_debts` reads a creditor's month, by the one classification of a transfer
/// (`ledger::effect::classify`), here in SQL over the child's claim account: due = the debt
/// recognised on it for the month (`Effect::Due` booked) less the corrections of it
/// (`Effect::Due` reversed); the creditor's part = due less what SECAL already stepped into
/// (`Effect::Advanced`) and what the debtor paid the creditor (`Effect::PaidToCreditor` of a
/// month). The codes are [`RECOGNISED`], [`CORRECTED`] and [`TAKEN`], which a test ties to
/// the classification. One statement for the batch, through the claim accounts' codes (one
/// index descent per child) and the transfers' account indexes. Write-offs are left out: a
/// month is time-barred years after its advance run.
///
/// The batch's dossiers are locked first, shared, by their claim accounts' rows, in dossier
/// order, until the batch commits: an allocation of a debtor payment (which locks its claim
/// account's row before reading the open debts) and a booking (which locks it before reading)
/// wait for the batch, or the batch waits for them and reads what they wrote. Not the
/// dossiers' advisory lock (`lock_dossier`): a batch spans thousands of dossiers, and one
/// advisory lock each would exhaust the lock table; row locks are kept in the rows.
pub async fn open_parts(
    conn: &mut sqlx::PgConnection,
    month: YearMonth,
    children: &[(usize, &Child)],
) -> ServiceResult<HashMap<usize, i64>> {
    if children.is_empty() {
        return Ok(HashMap::new());
    }
    let positions: Vec<i64> = children.iter().map(|(i, _)| *i as i64).collect();
    let dossiers: Vec<&str> = children.iter().map(|(_, c)| c.dossier.as_str()).collect();
    let creditors: Vec<&str> = children.iter().map(|(_, c)| c.child.as_str()).collect();
    sqlx::query(
        "SELECT 1 FROM claim_accounts WHERE dossier_number = ANY($1)
          ORDER BY dossier_number FOR SHARE",
    )
    .bind(&dossiers)
    .execute(&mut *conn)
    .await?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(concat!(
        "SELECT u.i, (cr.due - dr.corrected - dr.taken)::bigint
         FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(i, d, c)
         JOIN ledger_accounts a ON a.code = $5 || '/' || u.d || '/' || u.c
         CROSS JOIN LATERAL (
             SELECT count(*) AS n, COALESCE(sum(t.amount), 0) AS due FROM ledger_transfers t
              WHERE t.credit_account = a.id AND t.for_month = $1 AND t.code = $6
                AND t.state = ",
        sql_enum!(TransferState::Posted),
        ") cr
         CROSS JOIN LATERAL (
             SELECT COALESCE(sum(t.amount) FILTER (WHERE t.code = $7 AND p.kind = ",
        sql_enum!(LedgerAccountKind::DebtorPrincipal),
        "), 0) AS corrected,
                    COALESCE(sum(t.amount) FILTER (WHERE t.code IN ($8, $9)), 0) AS taken
               FROM ledger_transfers t JOIN ledger_accounts p ON p.id = t.credit_account
              WHERE t.debit_account = a.id AND t.for_month = $1 AND t.state = ",
        sql_enum!(TransferState::Posted),
        ") dr
         WHERE cr.n > 0"
    ))
    .bind(month.first_day())
    .bind(&positions)
    .bind(&dossiers)
    .bind(&creditors)
    .bind(K::CreditorClaim.slug())
    .bind(RECOGNISED as i16)
    .bind(CORRECTED as i16)
    .bind(TAKEN[0] as i16)
    .bind(TAKEN[1] as i16)
    .fetch_all(conn)
    .await?;
    // Positions are the batch's indexes, which fit a usize.
    Ok(rows
        .into_iter()
        .filter_map(|(i, open)| usize::try_from(i).ok().map(|i| (i, open.max(0))))
        .collect())
}

/// The outcome of a child once the month's dues are known (`open`: the creditor's open part
/// of the month, `None` when the month is not booked). Only an advance to pay depends on
/// them: a child not eligible is so whatever the ledger holds.
pub fn settle(month: YearMonth, outcome: &Outcome, open: Option<i64>) -> Outcome {
    let Outcome::Paid { cents } = outcome else {
        return outcome.clone();
    };
    match open {
        // Failed, not judged: the next start retries the child once the dues are booked.
        None => Outcome::Failed(format!(
            "the dues of {month} are not booked yet: run RunMonthlyDues first"
        )),
        // The debtor paid the creditor the month: nothing left for SECAL to step into.
        Some(open) if open <= 0 => Outcome::NotEligible {
            reasons: vec![pb::AdvanceIneligibilityReason::NoMaintenanceDue as i32],
        },
        Some(open) => Outcome::Paid {
            cents: (*cents).min(open),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::effect::{Effect, Side, classify};

    /// What the statement of `open_parts` adds to the open part of the month of the creditor
    /// whose claim is on `side` of a transfer of the month.
    fn counted_by_sql(code: TransferCode, debit: K, credit: K, side: Side) -> i64 {
        let claim = side.pick(debit, credit) == K::CreditorClaim;
        match side {
            Side::Credit if claim && code == RECOGNISED => 1,
            Side::Debit if claim && code == CORRECTED && credit == K::DebtorPrincipal => -1,
            Side::Debit if claim && TAKEN.contains(&code) => -1,
            _ => 0,
        }
    }

    /// The same, as the classification says (the creditor's part of `open_debts`, write-offs
    /// aside).
    fn counted_by_classification(code: TransferCode, debit: K, credit: K, side: Side) -> i64 {
        let effect = classify(code, debit, credit, true);
        if effect.creditor() != Some(side) {
            return 0;
        }
        match effect {
            Effect::Due { sign, .. } => sign.factor(),
            Effect::Advanced { .. } | Effect::PaidToCreditor { month: true, .. } => -1,
            _ => 0,
        }
    }

    #[test]
    fn the_sql_codes_follow_the_classification() {
        let kinds = || (1..=14).filter_map(K::from_i16);
        for code in (0..=12).filter_map(|c| TransferCode::try_from(c).ok()) {
            for (debit, credit) in kinds().flat_map(|d| kinds().map(move |c| (d, c))) {
                for side in [Side::Debit, Side::Credit] {
                    assert_eq!(
                        counted_by_sql(code, debit, credit, side),
                        counted_by_classification(code, debit, credit, side),
                        "{code:?} {debit:?} -> {credit:?}, the creditor on the {side:?} side"
                    );
                }
            }
        }
    }

    fn may() -> YearMonth {
        YearMonth::new(2026, 5).unwrap()
    }

    #[test]
    fn a_month_not_booked_fails_naming_the_month() {
        let o = settle(may(), &Outcome::Paid { cents: 17_500 }, None);
        let Outcome::Failed(e) = o else {
            panic!("{o:?}")
        };
        assert_eq!(
            e,
            "the dues of 2026-05 are not booked yet: run RunMonthlyDues first"
        );
    }

    #[test]
    fn the_advance_is_at_most_the_creditors_open_part() {
        let paid = |open| match settle(may(), &Outcome::Paid { cents: 17_500 }, Some(open)) {
            Outcome::Paid { cents } => Some(cents),
            _ => None,
        };
        assert_eq!(paid(20_000), Some(17_500));
        assert_eq!(paid(17_500), Some(17_500));
        assert_eq!(paid(10_000), Some(10_000));
        assert_eq!(paid(0), None);
    }

    #[test]
    fn a_month_the_debtor_paid_is_not_eligible() {
        let o = settle(may(), &Outcome::Paid { cents: 17_500 }, Some(0));
        let Outcome::NotEligible { reasons } = o else {
            panic!("{o:?}")
        };
        assert_eq!(
            reasons,
            [pb::AdvanceIneligibilityReason::NoMaintenanceDue as i32]
        );
    }

    #[test]
    fn outcomes_other_than_an_advance_do_not_depend_on_the_dues() {
        let not = Outcome::NotEligible { reasons: vec![5] };
        assert!(matches!(
            settle(may(), &not, None),
            Outcome::NotEligible { reasons } if reasons == [5]
        ));
        let failed = Outcome::Failed("calculation service: Unavailable".into());
        assert!(matches!(
            settle(may(), &failed, Some(100)),
            Outcome::Failed(e) if e == "calculation service: Unavailable"
        ));
    }
}
