//! GetDebtorStatement and GetCreditorStatement: a dossier's statement of account as of a date,
//! read from the ledger alone. One query sums the dossier's posted transfers up to the date by
//! the kinds and parties of their two accounts, their code and their month; the statement is
//! then assembled in plain Rust (`assemble`), by the classification of a transfer that
//! `ledger::booking::open_debts` reads too (`ledger::effect::classify`: due, advanced,
//! recovered, paid to the creditor, time-barred, interest and fee, each with its corrections).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use secal_domain::DossierNumber;
use secal_proto::v1::{self as pb, TransferCode};
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use crate::api::PaymentsApi;
use crate::ledger::booking::{Sum, transfer_sums};
use crate::ledger::effect::{Effect, Sign, classify_stored};
use crate::ledger::{cents_pb, month_pb};

/// A person id as the ledger stores a party (`AccountKey::parse` allows 64 characters).
const PERSON_ID: wire::TextLimit = wire::TextLimit {
    max_chars: 64,
    multiline: false,
};

/// Either statement, parsed; `creditor` is `None` for the debtor's.
struct StatementCommand {
    dossier: DossierNumber,
    as_of: NaiveDate,
    creditor: Option<String>,
}

fn dossier(v: &mut Violations, raw: &str) -> Option<DossierNumber> {
    v.take(crate::receipts::payments::dossier("dossier_number", raw))
}

fn as_of(v: &mut Violations, d: Option<&pb::Date>) -> Option<NaiveDate> {
    v.take_all(wire::optional_date_from_pb("as_of", d))
        .map(|d| d.unwrap_or_else(|| Utc::now().date_naive()))
}

impl TryFrom<&pb::GetDebtorStatementRequest> for StatementCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetDebtorStatementRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = dossier(&mut v, &req.dossier_number);
        let as_of = as_of(&mut v, req.as_of.as_ref());
        v.finish(|| {
            Some(StatementCommand {
                dossier: dossier?,
                as_of: as_of?,
                creditor: None,
            })
        })
    }
}

impl TryFrom<&pb::GetCreditorStatementRequest> for StatementCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetCreditorStatementRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = dossier(&mut v, &req.dossier_number);
        let as_of = as_of(&mut v, req.as_of.as_ref());
        let creditor =
            match wire::optional_text("creditor_person_id", &req.creditor_person_id, PERSON_ID) {
                Ok(Some(c)) => Some(c),
                Ok(None) => {
                    v.add("creditor_person_id", "required");
                    None
                }
                Err(e) => v.take::<String>(Err(e)),
            };
        v.finish(|| {
            Some(StatementCommand {
                dossier: dossier?,
                as_of: as_of?,
                creditor: Some(creditor?),
            })
        })
    }
}

/// GetDebtorStatement: every creditor summed per month, with the fee.
#[tracing::instrument(skip_all)]
pub(crate) async fn debtor(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetDebtorStatementRequest,
) -> ServiceResult<pb::GetDebtorStatementResponse> {
    let c = StatementCommand::try_from(&req)?;
    let statement = statement(api, &c).await?;
    Ok(pb::GetDebtorStatementResponse {
        statement: Some(statement),
    })
}

/// GetCreditorStatement: the creditor's months, without the fee (SECAL's, not theirs).
#[tracing::instrument(skip_all)]
pub(crate) async fn creditor(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetCreditorStatementRequest,
) -> ServiceResult<pb::GetCreditorStatementResponse> {
    let c = StatementCommand::try_from(&req)?;
    let statement = statement(api, &c).await?;
    Ok(pb::GetCreditorStatementResponse {
        statement: Some(statement),
    })
}

async fn statement(api: &PaymentsApi, c: &StatementCommand) -> ServiceResult<pb::Statement> {
    let dossier = c.dossier.to_string();
    let mut conn = api.pool.acquire().await?;
    if !dossier_known(&mut conn, &dossier).await? {
        return Err(ServiceError::not_found(format!(
            "no dossier {dossier} in payments"
        )));
    }
    if let Some(creditor) = &c.creditor
        && !is_creditor(&mut conn, &dossier, creditor).await?
    {
        return Err(ServiceError::invalid(vec![FieldViolation::new(
            "creditor_person_id",
            "UNKNOWN_CREDITOR: not a creditor of the dossier",
        )]));
    }
    let sums = transfer_sums(&mut conn, &dossier, Some(c.as_of)).await?;
    let view = match &c.creditor {
        Some(creditor) => View::Creditor(creditor),
        None => View::Debtor,
    };
    let (months, totals) = assemble(&sums, view);
    Ok(pb::Statement {
        dossier_number: dossier,
        as_of: Some(wire::date_to_pb(c.as_of)),
        structured_reference: c.dossier.payment_reference().to_string(),
        creditor_person_id: c.creditor.clone().unwrap_or_default(),
        months: months.iter().map(|(m, f)| f.month_pb(*m)).collect(),
        totals: Some(totals.to_pb()),
    })
}

/// Whether payments knows the dossier: intake's snapshot, a claim account or ledger accounts.
pub(super) async fn dossier_known(conn: &mut PgConnection, dossier: &str) -> ServiceResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM dossier_states WHERE dossier_number = $1)
             OR EXISTS (SELECT 1 FROM claim_accounts WHERE dossier_number = $1)
             OR EXISTS (SELECT 1 FROM ledger_accounts WHERE dossier_number = $1)",
    )
    .bind(dossier)
    .fetch_one(conn)
    .await?)
}

/// The dossier's last snapshot from intake, if payments received one.
pub(super) async fn snapshot(
    conn: &mut PgConnection,
    dossier: &str,
) -> ServiceResult<Option<pb::DossierSnapshot>> {
    let bytes: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT snapshot FROM dossier_states WHERE dossier_number = $1")
            .bind(dossier)
            .fetch_optional(&mut *conn)
            .await?;
    bytes
        .map(|b| pb::DossierSnapshot::decode(b.as_slice()).map_err(ServiceError::internal))
        .transpose()
}

/// A creditor of the dossier: a party of its ledger accounts (a creditor the title no longer
/// names may still have money booked) or a creditor of its last snapshot.
async fn is_creditor(
    conn: &mut PgConnection,
    dossier: &str,
    creditor: &str,
) -> ServiceResult<bool> {
    let in_ledger: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ledger_accounts
                         WHERE dossier_number = $1 AND party_person_id = $2)",
    )
    .bind(dossier)
    .bind(creditor)
    .fetch_one(&mut *conn)
    .await?;
    if in_ledger {
        return Ok(true);
    }
    // Named as the claim account names them (the person id, else the form's key).
    Ok(snapshot(conn, dossier).await?.is_some_and(|s| {
        s.creditors
            .iter()
            .any(|c| super::case::party_of(c) == creditor)
    }))
}

/// Whose statement.
#[derive(Debug, Clone, Copy)]
enum View<'a> {
    Debtor,
    Creditor(&'a str),
}

/// What a sum of transfers is on a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    Due,
    Advanced,
    /// Paid by the debtor to SECAL for its advance of the month.
    Recovered,
    /// Paid by the debtor to the creditor for the month.
    PaidToCreditor,
    TimeBarred,
    Interest,
    InterestPaid,
    Fee,
    FeePaid,
}

/// The figure a sum is, the creditor it belongs to (none for the fee) and its sign; `None`
/// for what a statement does not show (receipts, payouts, SECAL's own funding). The
/// statement's columns of the one classification of a transfer (`ledger::effect`).
fn figure(s: &Sum) -> Option<(Figure, Option<&str>, i64)> {
    let code = TransferCode::try_from(i32::from(s.code)).ok()?;
    let effect = classify_stored(code, s.debit_kind, s.credit_kind, s.for_month.is_some());
    let (figure, sign) = match effect {
        Effect::Due { sign, .. } => (Figure::Due, sign),
        Effect::Advanced { .. } => (Figure::Advanced, Sign::Booked),
        Effect::Recovered { .. } => (Figure::Recovered, Sign::Booked),
        Effect::PaidToCreditor { month: true, .. } => (Figure::PaidToCreditor, Sign::Booked),
        // A creditor's share of an allocation names its month; interest has none
        // (`ledger::booking::allocation_transfers`).
        Effect::PaidToCreditor { month: false, .. } => (Figure::InterestPaid, Sign::Booked),
        Effect::Interest { sign, .. } => (Figure::Interest, sign),
        Effect::Fee { sign } => (Figure::Fee, sign),
        Effect::FeePaid => (Figure::FeePaid, Sign::Booked),
        Effect::TimeBarred { sign, .. } => (Figure::TimeBarred, sign),
        Effect::None => return None,
    };
    let party = effect.party(&s.debit_party, &s.credit_party);
    Some((figure, party, sign.factor()))
}

/// One month of one creditor (or of the fee), in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cells {
    due: i64,
    advanced: i64,
    recovered: i64,
    paid_to_creditor: i64,
    time_barred: i64,
    interest: i64,
    fee: i64,
}

impl Cells {
    fn add(&mut self, f: Figure, cents: i64) {
        match f {
            Figure::Due => self.due += cents,
            Figure::Advanced => self.advanced += cents,
            Figure::Recovered => self.recovered += cents,
            Figure::PaidToCreditor => self.paid_to_creditor += cents,
            Figure::TimeBarred => self.time_barred += cents,
            Figure::Interest => self.interest += cents,
            Figure::Fee => self.fee += cents,
            // Allocations of interest and fee name no month: only the totals show them.
            Figure::InterestPaid | Figure::FeePaid => {}
        }
    }
}

/// A month of the statement, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct MonthFigures {
    due: i64,
    paid: i64,
    advanced: i64,
    recovered: i64,
    open: i64,
    time_barred: i64,
    interest: i64,
    fee: i64,
}

impl MonthFigures {
    /// One creditor's cells of the month (or the fee's, all zero but `fee`).
    fn of(c: &Cells) -> Self {
        let paid = c.recovered + c.paid_to_creditor;
        Self {
            due: c.due,
            paid,
            advanced: c.advanced,
            recovered: c.recovered,
            // The ledger never lets a month be paid or barred beyond its due: the floor only
            // keeps a figure that cannot be negative from showing so.
            open: (c.due - paid - c.time_barred).max(0),
            time_barred: c.time_barred,
            interest: c.interest,
            fee: c.fee,
        }
    }

    fn plus(self, o: Self) -> Self {
        Self {
            due: self.due + o.due,
            paid: self.paid + o.paid,
            advanced: self.advanced + o.advanced,
            recovered: self.recovered + o.recovered,
            open: self.open + o.open,
            time_barred: self.time_barred + o.time_barred,
            interest: self.interest + o.interest,
            fee: self.fee + o.fee,
        }
    }

    fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    fn month_pb(&self, month: NaiveDate) -> pb::StatementMonth {
        pb::StatementMonth {
            month: Some(month_pb(month)),
            due: Some(cents_pb(self.due)),
            paid: Some(cents_pb(self.paid)),
            advanced: Some(cents_pb(self.advanced)),
            recovered: Some(cents_pb(self.recovered)),
            open: Some(cents_pb(self.open)),
            time_barred: Some(cents_pb(self.time_barred)),
            interest: Some(cents_pb(self.interest)),
            fee: Some(cents_pb(self.fee)),
        }
    }
}

/// The statement's totals, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    figures: MonthFigures,
    interest_paid: i64,
    fee_paid: i64,
    outstanding: i64,
}

impl Totals {
    fn to_pb(self) -> pb::StatementTotals {
        let f = self.figures;
        pb::StatementTotals {
            due: Some(cents_pb(f.due)),
            paid: Some(cents_pb(f.paid)),
            advanced: Some(cents_pb(f.advanced)),
            recovered: Some(cents_pb(f.recovered)),
            open: Some(cents_pb(f.open)),
            time_barred: Some(cents_pb(f.time_barred)),
            interest: Some(cents_pb(f.interest)),
            fee: Some(cents_pb(f.fee)),
            interest_paid: Some(cents_pb(self.interest_paid)),
            fee_paid: Some(cents_pb(self.fee_paid)),
            outstanding: Some(cents_pb(self.outstanding)),
        }
    }
}

/// The statement's months (oldest first, those with nothing left out) and totals. The fee
/// counts only in the debtor's view; a figure without a month (interest or fee booked
/// without one) counts in the totals only.
fn assemble(sums: &[Sum], view: View<'_>) -> (BTreeMap<NaiveDate, MonthFigures>, Totals) {
    // (month, creditor) -> cells; the fee's cells have no creditor.
    let mut cells: BTreeMap<(Option<NaiveDate>, Option<&str>), Cells> = BTreeMap::new();
    let (mut interest_paid, mut fee_paid) = (0, 0);
    for s in sums {
        let Some((f, party, sign)) = figure(s) else {
            continue;
        };
        let fee = matches!(f, Figure::Fee | Figure::FeePaid);
        let counted = match view {
            View::Debtor => true,
            View::Creditor(c) => !fee && party == Some(c),
        };
        if !counted {
            continue;
        }
        let cents = sign * s.cents;
        match f {
            Figure::InterestPaid => interest_paid += cents,
            Figure::FeePaid => fee_paid += cents,
            _ => cells.entry((s.for_month, party)).or_default().add(f, cents),
        }
    }
    let mut months: BTreeMap<NaiveDate, MonthFigures> = BTreeMap::new();
    let mut figures = MonthFigures::default();
    for ((month, _), c) in &cells {
        let m = MonthFigures::of(c);
        figures = figures.plus(m);
        if let Some(month) = month {
            let entry = months.entry(*month).or_default();
            *entry = entry.plus(m);
        }
    }
    months.retain(|_, m| !m.is_zero());
    let interest_left = figures.interest - interest_paid;
    let outstanding = match view {
        View::Debtor => figures.open + interest_left + figures.fee - fee_paid,
        View::Creditor(_) => figures.open + interest_left,
    };
    let totals = Totals {
        figures,
        interest_paid,
        fee_paid,
        outstanding,
    };
    (months, totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::AccountKind as K;

    const C1: &str = "child-1";
    const C2: &str = "child-2";

    fn month(m: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2024, m, 1)
    }

    fn sum(
        debit: (K, Option<&str>),
        credit: (K, Option<&str>),
        code: TransferCode,
        for_month: Option<NaiveDate>,
        cents: i64,
    ) -> Sum {
        Sum {
            debit_kind: debit.0 as i16,
            debit_party: debit.1.map(str::to_owned),
            credit_kind: credit.0 as i16,
            credit_party: credit.1.map(str::to_owned),
            code: code as i16,
            for_month,
            cents,
        }
    }

    fn due(c: &str, m: u32, cents: i64) -> Sum {
        sum(
            (K::DebtorPrincipal, None),
            (K::CreditorClaim, Some(c)),
            TransferCode::DebtRecognition,
            month(m),
            cents,
        )
    }

    /// Two creditors over two months with every kind of transfer a statement reads, and
    /// some it does not.
    fn ledger() -> Vec<Sum> {
        use TransferCode as T;
        vec![
            due(C1, 1, 20_000),
            due(C1, 2, 20_000),
            due(C2, 1, 15_000),
            // SECAL advanced 150 to child-1 for January (both legs; only the first counts).
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::ServiceAdvanceClaim, Some(C1)),
                T::Advance,
                month(1),
                15_000,
            ),
            sum(
                (K::AdvancesFunding, None),
                (K::Payable, Some(C1)),
                T::Advance,
                month(1),
                15_000,
            ),
            // The debtor paid 100 on January: 60 to SECAL, 40 to child-1, and 30 to child-2.
            sum(
                (K::Bank, None),
                (K::MoneyReceived, None),
                T::DebtorPayment,
                None,
                20_000,
            ),
            sum(
                (K::MoneyReceived, None),
                (K::DebtorPrincipal, None),
                T::Allocation,
                month(1),
                13_000,
            ),
            sum(
                (K::ServiceAdvanceClaim, Some(C1)),
                (K::AdvancesFunding, None),
                T::Allocation,
                month(1),
                6_000,
            ),
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::Payable, Some(C1)),
                T::Allocation,
                month(1),
                4_000,
            ),
            sum(
                (K::CreditorClaim, Some(C2)),
                (K::Payable, Some(C2)),
                T::Allocation,
                month(1),
                3_000,
            ),
            // Interest: 12 for child-1 in January, 2 of it corrected; 5 paid.
            sum(
                (K::DebtorInterest, None),
                (K::CreditorClaim, Some(C1)),
                T::Interest,
                month(1),
                1_200,
            ),
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::DebtorInterest, None),
                T::Correction,
                month(1),
                200,
            ),
            sum(
                (K::MoneyReceived, None),
                (K::DebtorInterest, None),
                T::Allocation,
                None,
                500,
            ),
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::Payable, Some(C1)),
                T::Allocation,
                None,
                500,
            ),
            // Fee: 13% of January and February's dues, 10 of it paid.
            sum(
                (K::DebtorSurcharge, None),
                (K::FeeIncome, None),
                T::Surcharge,
                month(1),
                4_550,
            ),
            sum(
                (K::DebtorSurcharge, None),
                (K::FeeIncome, None),
                T::Surcharge,
                month(2),
                2_600,
            ),
            sum(
                (K::MoneyReceived, None),
                (K::DebtorSurcharge, None),
                T::Allocation,
                None,
                1_000,
            ),
            // February of child-1 lowered by 50 (an amendment), then 30 of it time-barred.
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::DebtorPrincipal, None),
                T::Correction,
                month(2),
                5_000,
            ),
            sum(
                (K::DebtorTimeBarred, Some(C1)),
                (K::DebtorPrincipal, None),
                T::WriteOff,
                month(2),
                3_000,
            ),
            // A payout is no figure of a statement.
            sum(
                (K::Payable, Some(C1)),
                (K::PaidOut, Some(C1)),
                T::Payout,
                month(1),
                4_000,
            ),
        ]
    }

    #[test]
    fn the_debtor_sees_every_creditor_summed_per_month_with_the_fee() {
        let sums = ledger();
        let (months, t) = assemble(&sums, View::Debtor);
        let jan = months[&month(1).unwrap_or_default()];
        assert_eq!(
            jan,
            MonthFigures {
                due: 35_000,
                paid: 13_000,
                advanced: 15_000,
                recovered: 6_000,
                open: 22_000,
                time_barred: 0,
                interest: 1_000,
                fee: 4_550,
            }
        );
        let feb = months[&month(2).unwrap_or_default()];
        assert_eq!(
            feb,
            MonthFigures {
                due: 15_000,
                open: 12_000,
                time_barred: 3_000,
                fee: 2_600,
                ..Default::default()
            }
        );
        assert_eq!(t.figures, jan.plus(feb));
        assert_eq!((t.interest_paid, t.fee_paid), (500, 1_000));
        // open + interest − interest paid + fee − fee paid
        assert_eq!(t.outstanding, 34_000 + 1_000 - 500 + 7_150 - 1_000);
    }

    #[test]
    fn a_creditor_sees_only_their_months_and_no_fee() {
        let sums = ledger();
        let (months, t) = assemble(&sums, View::Creditor(C2));
        assert_eq!(months.len(), 1, "child-2 has January only");
        let jan = months[&month(1).unwrap_or_default()];
        assert_eq!(
            jan,
            MonthFigures {
                due: 15_000,
                paid: 3_000,
                open: 12_000,
                ..Default::default()
            }
        );
        assert_eq!((t.figures.fee, t.fee_paid, t.outstanding), (0, 0, 12_000));
        let (_, t1) = assemble(&sums, View::Creditor(C1));
        assert_eq!(t1.figures.due, 35_000);
        assert_eq!(t1.figures.open, 10_000 + 12_000);
        assert_eq!(t1.interest_paid, 500);
        assert_eq!(t1.outstanding, 22_000 + 1_000 - 500);
    }

    #[test]
    fn months_with_nothing_left_are_left_out_and_unmonthed_figures_count_in_totals() {
        use TransferCode as T;
        let sums = vec![
            due(C1, 3, 10_000),
            sum(
                (K::CreditorClaim, Some(C1)),
                (K::DebtorPrincipal, None),
                T::Correction,
                month(3),
                10_000,
            ),
            sum(
                (K::DebtorInterest, None),
                (K::CreditorClaim, Some(C1)),
                T::Interest,
                None,
                700,
            ),
        ];
        let (months, t) = assemble(&sums, View::Debtor);
        assert!(months.is_empty());
        assert_eq!(
            (t.figures.due, t.figures.interest, t.outstanding),
            (0, 700, 700)
        );
    }

    #[test]
    fn an_unknown_code_or_an_empty_ledger_is_no_figure() {
        let mut s = due(C1, 1, 100);
        s.code = 999;
        let (months, t) = assemble(&[s], View::Debtor);
        assert!(months.is_empty());
        assert_eq!(t, Totals::default());
    }
}
