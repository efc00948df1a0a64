//! Booking debts and debtor money in the ledger: what is open per creditor and month (read
//! back from the ledger itself), receipts and their allocation, and the certified-debt list
//! kept in step with every change.
//!
//! Transfer conventions (the ledger is the only record of amounts):
//! - debt: debtor-principal -> creditor-claim/C (DEBT_RECOGNITION, month); interest:
//!   debtor-interest -> creditor-claim/C (INTEREST); surcharge: debtor-surcharge -> fee-income;
//! - advance: creditor-claim/C -> service-advance-claim/C (SECAL steps into the creditor's
//!   rights) and advances-funding -> payable/C (ADVANCE, month);
//! - receipt: bank (or tax-offset-clearing) -> money-received;
//! - allocation line: money-received -> debtor-principal|interest|surcharge, and for SECAL's
//!   share service-advance-claim/C -> advances-funding, for the creditor's share
//!   creditor-claim/C -> payable/C (ALLOCATION, month).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use secal_proto::v1::TransferCode;
use secal_rules::allocation::{self, Line, MonthDebt, OpenDebts, Target};
use sqlx::PgConnection;

use crate::ledger::{self, AccountKey, AccountKind as K, LedgerError, NewTransfer};

#[derive(sqlx::FromRow)]
struct Sum {
    debit_kind: i16,
    debit_party: Option<String>,
    credit_kind: i16,
    credit_party: Option<String>,
    code: i16,
    for_month: Option<NaiveDate>,
    cents: i64,
}

/// What the debtor still owes on a dossier, per creditor and month, from posted transfers.
pub async fn open_debts(conn: &mut PgConnection, dossier: &str) -> Result<OpenDebts, LedgerError> {
    // A transfer's dossier is its debit account's, else its credit account's, so those
    // with `t.dossier_number = $1` are among the transfers touching the dossier's accounts.
    let sql = format!(
        "SELECT da.kind AS debit_kind, da.party_person_id AS debit_party, ca.kind AS credit_kind,
                ca.party_person_id AS credit_party, t.code, t.for_month, sum(t.amount)::bigint AS cents
         FROM ledger_transfers t
         JOIN ledger_accounts da ON da.id = t.debit_account
         JOIN ledger_accounts ca ON ca.id = t.credit_account
         WHERE t.id IN ({}) AND t.dossier_number = $1 AND t.state = {posted}
         GROUP BY 1, 2, 3, 4, 5, 6",
        crate::ledger::DOSSIER_TRANSFER_IDS,
        posted = crate::db_enum::sql_enum!(TransferState::Posted),
    );
    let sums: Vec<Sum> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .fetch_all(conn)
        .await?;
    // (creditor, month) -> [due, advanced, reimbursed, paid to creditor]
    let mut months: BTreeMap<(String, NaiveDate), [i64; 4]> = BTreeMap::new();
    let mut interest: BTreeMap<String, i64> = BTreeMap::new();
    let mut surcharge = 0;
    let (claim, service, alloc) = (
        K::CreditorClaim as i16,
        K::ServiceAdvanceClaim as i16,
        TransferCode::Allocation as i16,
    );
    for s in sums {
        let code = TransferCode::try_from(i32::from(s.code)).map_err(|e| {
            LedgerError::Db(sqlx::Error::Decode(
                format!(
                    "dossier {dossier}: a transfer has the unknown code {}: {e}",
                    s.code
                )
                .into(),
            ))
        })?;
        let cell = |months: &mut BTreeMap<_, [i64; 4]>, party: &Option<String>, i: usize| {
            if let (Some(p), Some(m)) = (party, s.for_month) {
                months.entry((p.clone(), m)).or_default()[i] += s.cents;
            }
        };
        match code {
            TransferCode::DebtRecognition if s.credit_kind == claim => {
                cell(&mut months, &s.credit_party, 0)
            }
            TransferCode::Advance if s.debit_kind == claim => cell(&mut months, &s.debit_party, 1),
            TransferCode::Allocation if s.debit_kind == service => {
                cell(&mut months, &s.debit_party, 2)
            }
            TransferCode::Allocation if s.debit_kind == claim && s.for_month.is_some() => {
                cell(&mut months, &s.debit_party, 3)
            }
            // A creditor-claim account always names its creditor (`AccountKey::party`).
            TransferCode::Allocation if s.debit_kind == claim => {
                *interest
                    .entry(s.debit_party.clone().unwrap_or_default())
                    .or_default() -= s.cents
            }
            TransferCode::Interest if s.credit_kind == claim => {
                *interest
                    .entry(s.credit_party.clone().unwrap_or_default())
                    .or_default() += s.cents
            }
            TransferCode::Surcharge if s.debit_kind == K::DebtorSurcharge as i16 => {
                surcharge += s.cents
            }
            _ if s.code == alloc && s.credit_kind == K::DebtorSurcharge as i16 => {
                surcharge -= s.cents
            }
            _ => {}
        }
    }
    Ok(OpenDebts {
        months: months
            .into_iter()
            .map(|((creditor, month), [due, adv, reimb, paid])| MonthDebt {
                month,
                creditor,
                service_open: (adv - reimb).max(0),
                creditor_open: (due - adv - paid).max(0),
            })
            .filter(|m| m.service_open + m.creditor_open > 0)
            .collect(),
        interest: interest.into_iter().filter(|(_, c)| *c > 0).collect(),
        surcharge: surcharge.max(0),
    })
}

/// The ledger transfers of one allocation (ids `<prefix>/a<n>` and `<prefix>/c<n>`).
pub fn allocation_transfers(
    dossier: &str,
    prefix: &str,
    lines: &[Line],
    value_date: NaiveDate,
) -> Vec<NewTransfer> {
    let mut out = Vec::new();
    let received = AccountKey::dossier(K::MoneyReceived, dossier);
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        let debt = match l.target {
            Target::Interest => K::DebtorInterest,
            Target::Surcharge => K::DebtorSurcharge,
            _ => K::DebtorPrincipal,
        };
        let base = |id: String, debit: AccountKey, credit: AccountKey| NewTransfer {
            for_month: l.month,
            reference: prefix.to_owned(),
            ..NewTransfer::posted(
                id,
                debit,
                credit,
                l.cents,
                TransferCode::Allocation,
                value_date,
            )
        };
        out.push(base(
            format!("{prefix}/a{n}"),
            received.clone(),
            AccountKey::dossier(debt, dossier),
        ));
        let Some(creditor) = &l.creditor else {
            continue;
        };
        let (debit, credit) = if l.to_service {
            (
                AccountKey::party(K::ServiceAdvanceClaim, dossier, creditor),
                AccountKey::service(K::AdvancesFunding),
            )
        } else {
            (
                AccountKey::party(K::CreditorClaim, dossier, creditor),
                AccountKey::party(K::Payable, dossier, creditor),
            )
        };
        out.push(base(format!("{prefix}/c{n}"), debit, credit));
    }
    out
}

/// Allocates `cents` already credited to the dossier's money-received account; writes the
/// transfers and the allocation lines under `payment_id`. Returns the lines and the rest.
pub async fn allocate_received(
    conn: &mut PgConnection,
    actor: &str,
    dossier: &str,
    payment_id: &str,
    cents: i64,
    for_month: Option<NaiveDate>,
    value_date: NaiveDate,
) -> Result<(Vec<Line>, i64, Vec<String>), LedgerError> {
    let debts = open_debts(&mut *conn, dossier).await?;
    let (lines, rest) = allocation::allocate(cents, for_month, &debts);
    let transfers =
        allocation_transfers(dossier, &format!("alloc/{payment_id}"), &lines, value_date);
    let created = ledger::create_transfers(&mut *conn, actor, &transfers).await?;
    for (i, l) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO payment_allocations (payment_id, position, target, for_month, creditor, amount_cents, beneficiary, order_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(payment_id)
        .bind(i32::try_from(i + 1).unwrap_or(i32::MAX))
        .bind(l.target as i16)
        .bind(l.month)
        .bind(&l.creditor)
        .bind(l.cents)
        .bind(if l.to_service { 2i16 } else { 1 })
        .bind(allocation::ORDER_VERSION)
        .execute(&mut *conn)
        .await?;
    }
    Ok((
        lines,
        rest,
        created.into_iter().map(|t| t.transfer_id).collect(),
    ))
}

/// A unit of work on money: the transaction, and the debtors whose certified debt (the list the
/// tax administration pulls, `ListCertifiedDebts`) its changes touch. `commit` brings those
/// debts in step before committing, so a change to a debt or a suspension cannot commit
/// without them — it used to be a call every booking path had to remember.
pub(crate) struct Booking {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    dossiers: BTreeSet<String>,
    debtors: BTreeSet<String>,
}

impl Booking {
    pub(crate) async fn begin(pool: &sqlx::PgPool) -> Result<Self, sqlx::Error> {
        Ok(Self {
            tx: pool.begin().await?,
            dossiers: BTreeSet::new(),
            debtors: BTreeSet::new(),
        })
    }

    /// The debt of the dossier's debtor changed (a transfer on its accounts).
    pub(crate) fn touch_dossier(&mut self, dossier: &str) {
        self.dossiers.insert(dossier.to_owned());
    }

    /// A debtor's certified debt may have changed (a suspension, a new dossier).
    pub(crate) fn touch_debtor(&mut self, national_number: &str) {
        self.debtors.insert(national_number.to_owned());
    }

    /// Every touched debtor's certified debt rewritten (once each), then the commit.
    pub(crate) async fn commit(mut self) -> Result<(), LedgerError> {
        let dossiers: Vec<String> = self.dossiers.iter().cloned().collect();
        let of_dossiers: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT debtor_national_number FROM dossier_states
              WHERE dossier_number = ANY($1) AND debtor_national_number IS NOT NULL",
        )
        .bind(&dossiers)
        .fetch_all(&mut *self.tx)
        .await?;
        self.debtors.extend(of_dossiers);
        for nn in &self.debtors {
            refresh_certified_debtor(&mut self.tx, nn).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for Booking {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for Booking {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// Rewrites a debtor's certified debt when it changed (a new change sequence). Only
/// [`Booking::commit`] calls it.
async fn refresh_certified_debtor(conn: &mut PgConnection, nn: &str) -> Result<(), LedgerError> {
    sqlx::query(concat!(
        "WITH d AS (
            SELECT COALESCE(sum(a.debits_posted - a.credits_posted) FILTER (WHERE a.kind IN ",
        crate::db_enum::debtor_debt_kinds!(),
        "), 0)::bigint AS amount,
                   COALESCE(array_agg(DISTINCT s.dossier_number ORDER BY s.dossier_number), '{}') AS dossiers,
                   EXISTS (SELECT 1 FROM suspensions x WHERE x.debtor_person_id IN
                             (SELECT debtor_person_id FROM dossier_states WHERE debtor_national_number = $1)
                           AND x.lifted_on IS NULL AND x.effective_from <= current_date) AS suspended
            FROM dossier_states s LEFT JOIN ledger_accounts a ON a.dossier_number = s.dossier_number
            WHERE s.debtor_national_number = $1)
         INSERT INTO certified_debts AS c (debtor_national_number, amount_cents, since, dossier_numbers, change_sequence, withdrawn)
         SELECT $1, amount, CASE WHEN amount > 0 AND NOT suspended THEN current_date END, dossiers,
                nextval('certified_debt_changes'), amount = 0 OR suspended
         FROM d
         ON CONFLICT (debtor_national_number) DO UPDATE
           SET amount_cents = EXCLUDED.amount_cents,
               since = CASE WHEN c.withdrawn THEN EXCLUDED.since ELSE COALESCE(c.since, EXCLUDED.since) END,
               dossier_numbers = EXCLUDED.dossier_numbers,
               change_sequence = EXCLUDED.change_sequence, withdrawn = EXCLUDED.withdrawn
           WHERE (c.amount_cents, c.withdrawn, c.dossier_numbers)
                 IS DISTINCT FROM (EXCLUDED.amount_cents, EXCLUDED.withdrawn, EXCLUDED.dossier_numbers)"
    ))
    .bind(nn)
    .execute(conn)
    .await?;
    Ok(())
}
