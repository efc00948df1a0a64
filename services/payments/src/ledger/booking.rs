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
use rust_decimal::Decimal;
use secal_proto::v1::TransferCode;
use secal_rules::allocation::{self, Line, MonthDebt, OpenDebts, Target};
use sqlx::PgConnection;

use crate::ledger::effect::{self, Effect};
use crate::ledger::{self, AccountKey, AccountKind as K, LedgerError, NewTransfer};

/// Posted transfers of a dossier of one pair of account kinds and parties, one code and one
/// month, summed: what the open debt and the statements are read from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Sum {
    pub debit_kind: i16,
    pub debit_party: Option<String>,
    pub credit_kind: i16,
    pub credit_party: Option<String>,
    pub code: i16,
    pub for_month: Option<NaiveDate>,
    pub cents: i64,
}

/// The dossier's posted transfers summed per [`Sum`], those valued up to `as_of` when given.
pub(crate) async fn transfer_sums(
    conn: &mut PgConnection,
    dossier: &str,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Sum>, LedgerError> {
    // A transfer's dossier is its debit account's, else its credit account's, so those
    // with `t.dossier_number = $1` are among the transfers touching the dossier's accounts.
    let sql = format!(
        "SELECT da.kind AS debit_kind, da.party_person_id AS debit_party, ca.kind AS credit_kind,
                ca.party_person_id AS credit_party, t.code, t.for_month, sum(t.amount)::bigint AS cents
         FROM ledger_transfers t
         JOIN ledger_accounts da ON da.id = t.debit_account
         JOIN ledger_accounts ca ON ca.id = t.credit_account
         WHERE t.id IN ({}) AND t.dossier_number = $1 AND t.state = {posted}
           AND ($2::date IS NULL OR t.value_date <= $2)
         GROUP BY 1, 2, 3, 4, 5, 6",
        crate::ledger::DOSSIER_TRANSFER_IDS,
        posted = crate::db_enum::sql_enum!(TransferState::Posted),
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .bind(as_of)
        .fetch_all(conn)
        .await?)
}

/// What the debtor still owes on a dossier, per creditor and month, from posted transfers.
pub async fn open_debts(conn: &mut PgConnection, dossier: &str) -> Result<OpenDebts, LedgerError> {
    let sums = transfer_sums(conn, dossier, None).await?;
    let mut tally = Tally::default();
    for s in &sums {
        tally.add(stored_code(dossier, s.code)?, s);
    }
    Ok(tally.open_debts())
}

/// A transfer's code: one this build does not know is an error, not a debt left out.
fn stored_code(dossier: &str, code: i16) -> Result<TransferCode, LedgerError> {
    TransferCode::try_from(i32::from(code)).map_err(|e| {
        LedgerError::Db(sqlx::Error::Decode(
            format!("dossier {dossier}: a transfer has the unknown code {code}: {e}").into(),
        ))
    })
}

/// The cells of a (creditor, month) in [`Tally::months`].
const DUE: usize = 0;
const ADVANCED: usize = 1;
const REIMBURSED: usize = 2;
const PAID_TO_CREDITOR: usize = 3;
const TIME_BARRED: usize = 4;

/// The open debt as summed so far.
#[derive(Default)]
struct Tally {
    /// (creditor, month) -> [due, advanced, reimbursed, paid to the creditor, time-barred]
    months: BTreeMap<(String, NaiveDate), [i64; 5]>,
    interest: BTreeMap<String, i64>,
    surcharge: i64,
}

impl Tally {
    fn add(&mut self, code: TransferCode, s: &Sum) {
        let effect =
            effect::classify_stored(code, s.debit_kind, s.credit_kind, s.for_month.is_some());
        let party = effect.party(&s.debit_party, &s.credit_party);
        match debt_of(effect) {
            Debt::Month(cell, sign) => {
                if let (Some(p), Some(m)) = (party, s.for_month) {
                    self.months.entry((p.to_owned(), m)).or_default()[cell] += sign * s.cents;
                }
            }
            // A creditor-claim account always names its creditor (`AccountKey::party`).
            Debt::Interest(sign) => {
                *self
                    .interest
                    .entry(party.unwrap_or_default().to_owned())
                    .or_default() += sign * s.cents
            }
            Debt::Surcharge(sign) => self.surcharge += sign * s.cents,
            Debt::None => {}
        }
    }

    fn open_debts(self) -> OpenDebts {
        OpenDebts {
            months: self
                .months
                .into_iter()
                .map(|((creditor, month), [due, adv, reimb, paid, barred])| {
                    // A time-barred part is no longer claimable: the creditor's part first.
                    let creditor_open = (due - adv - paid).max(0);
                    let service_open = (adv - reimb).max(0);
                    let barred_creditor = barred.clamp(0, creditor_open);
                    MonthDebt {
                        month,
                        creditor,
                        service_open: (service_open - (barred - barred_creditor)).max(0),
                        creditor_open: creditor_open - barred_creditor,
                    }
                })
                .filter(|m| m.service_open + m.creditor_open > 0)
                .collect(),
            interest: self.interest.into_iter().filter(|(_, c)| *c > 0).collect(),
            surcharge: self.surcharge.max(0),
        }
    }
}

/// What a transfer does to the open debt, added with the sign: a cell of its creditor's
/// month, its creditor's interest, or the fee.
enum Debt {
    Month(usize, i64),
    Interest(i64),
    Surcharge(i64),
    None,
}

/// The open debt's reading of a transfer's [`Effect`]: what is paid lowers what is owed.
fn debt_of(effect: Effect) -> Debt {
    match effect {
        Effect::Due { sign, .. } => Debt::Month(DUE, sign.factor()),
        Effect::Advanced { .. } => Debt::Month(ADVANCED, 1),
        Effect::Recovered { .. } => Debt::Month(REIMBURSED, 1),
        Effect::PaidToCreditor { month: true, .. } => Debt::Month(PAID_TO_CREDITOR, 1),
        // The creditor's share of an allocation without a month paid their interest.
        Effect::PaidToCreditor { month: false, .. } => Debt::Interest(-1),
        Effect::Interest { sign, .. } => Debt::Interest(sign.factor()),
        Effect::Fee { sign } => Debt::Surcharge(sign.factor()),
        Effect::FeePaid => Debt::Surcharge(-1),
        Effect::TimeBarred { sign, .. } => Debt::Month(TIME_BARRED, sign.factor()),
        Effect::None => Debt::None,
    }
}

/// The ledger transfers of one allocation (ids `<prefix>/a<n>` and `<prefix>/c<n>`, and
/// `<prefix>/f<n>` for the fee kept from the creditor's share under a regime before 2015:
/// `deduction_percent` of it, rounded half away from zero to the cent).
pub fn allocation_transfers(
    dossier: &str,
    prefix: &str,
    lines: &[Line],
    value_date: NaiveDate,
    deduction_percent: Decimal,
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
        if l.to_service {
            out.push(base(
                format!("{prefix}/c{n}"),
                AccountKey::party(K::ServiceAdvanceClaim, dossier, creditor),
                AccountKey::service(K::AdvancesFunding),
            ));
            continue;
        }
        let claim = AccountKey::party(K::CreditorClaim, dossier, creditor);
        let kept = crate::claims::target::fee_of(l.cents, deduction_percent).min(l.cents);
        let mut passed_on = base(
            format!("{prefix}/c{n}"),
            claim.clone(),
            AccountKey::party(K::Payable, dossier, creditor),
        );
        passed_on.cents -= kept;
        if passed_on.cents > 0 {
            out.push(passed_on);
        }
        if kept > 0 {
            let mut fee = base(
                format!("{prefix}/f{n}"),
                claim,
                AccountKey::service(K::FeeIncome),
            );
            fee.cents = kept;
            out.push(fee);
        }
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
    // The claim account books under the same lock: an allocation and a booking of one
    // dossier never interleave (a booking reads the allocations as payments).
    lock_dossier(&mut *conn, dossier).await?;
    // The claim account's interest and prescription follow the payments: its next booking
    // is a full one. Written before the open debts are read, this locks the account's row:
    // the advances run holds it (shared) while it reads a month's open part and writes its
    // advances, so an allocation reads the debts after the run's advances, or the run reads
    // them after the allocation — never both from before the other.
    sqlx::query("UPDATE claim_accounts SET stale = true WHERE dossier_number = $1")
        .bind(dossier)
        .execute(&mut *conn)
        .await?;
    let debts = open_debts(&mut *conn, dossier).await?;
    let (lines, rest) = allocation::allocate(cents, for_month, &debts);
    // The creditor deduction of the dossier's regime (none from 2015, and none before the
    // claim account's first booking states the regime).
    let deduction: Decimal = sqlx::query_scalar(
        "SELECT creditor_deduction_percent FROM claim_accounts WHERE dossier_number = $1",
    )
    .bind(dossier)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or_default();
    let prefix = format!("alloc/{payment_id}");
    let transfers = allocation_transfers(dossier, &prefix, &lines, value_date, deduction);
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

/// Serialises, until the transaction ends, the writers of one dossier's debt: intake's
/// events, the claim account's bookings and the allocations of money received.
pub(crate) async fn lock_dossier(
    conn: &mut PgConnection,
    dossier: &str,
) -> Result<(), LedgerError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(dossier)
        .execute(conn)
        .await?;
    Ok(())
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
        if !self.debtors.is_empty() {
            lock_certified_debtors(&mut self.tx, &self.debtors).await?;
        }
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

/// Locks the debtors' certified debts until the commit, in one order. Under read committed,
/// two bookings on two dossiers of one debtor each computed the debt from what was committed
/// when their rewrite began; the later writer overwrote the earlier one's figure with a sum
/// that missed it (a lost update, found by a test of concurrent recognitions). With the lock,
/// the second rewrite starts after the first commits, so its statement sees it. Taken last,
/// at commit, after every dossier lock, so no cycle can form.
async fn lock_certified_debtors(
    conn: &mut PgConnection,
    debtors: &BTreeSet<String>,
) -> Result<(), LedgerError> {
    // A sorted set: every transaction locks its debtors in the same order.
    let ordered: Vec<&str> = debtors.iter().map(String::as_str).collect();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('certified-debt:' || nn)) FROM unnest($1::text[]) nn",
    )
    .bind(&ordered)
    .execute(conn)
    .await?;
    Ok(())
}

/// Rewrites a debtor's certified debt when it changed (a new change sequence). Only
/// [`Booking::commit`] calls it.
///
/// The amount is the balance of the debtor's own debt accounts (`debtor_debt_kinds!`: what
/// the claim account books once due, less payments and time-barred parts). `since` is the
/// earliest value date among the posted debt recognitions (principal, interest, surcharge)
/// made since the debt last stood at zero: the debt's running balance is replayed in the
/// order the transfers were recorded, and the recognitions after its last zero (or all, when
/// it never was) are the ones that make up today's unbroken debt.
async fn refresh_certified_debtor(conn: &mut PgConnection, nn: &str) -> Result<(), LedgerError> {
    let recognitions = [
        TransferCode::DebtRecognition as i16,
        TransferCode::Interest as i16,
        TransferCode::Surcharge as i16,
    ];
    sqlx::query(concat!(
        "WITH acc AS (
            SELECT a.id FROM ledger_accounts a JOIN dossier_states s ON s.dossier_number = a.dossier_number
            WHERE s.debtor_national_number = $1 AND a.kind IN ",
        crate::db_enum::debtor_debt_kinds!(),
        "),
         moves AS (
            SELECT t.id, t.code, t.value_date,
                   CASE WHEN t.debit_account IN (SELECT id FROM acc) THEN t.amount ELSE 0 END
                 - CASE WHEN t.credit_account IN (SELECT id FROM acc) THEN t.amount ELSE 0 END AS delta
            FROM ledger_transfers t
            WHERE t.state = ",
        crate::db_enum::sql_enum!(TransferState::Posted),
        " AND (t.debit_account IN (SELECT id FROM acc) OR t.credit_account IN (SELECT id FROM acc))),
         running AS (SELECT id, code, value_date, delta, sum(delta) OVER (ORDER BY id) AS balance FROM moves),
         last_zero AS (SELECT COALESCE(max(id), 0) AS id FROM running WHERE balance <= 0),
         rose AS (
            SELECT COALESCE(min(r.value_date) FILTER (WHERE r.code = ANY($2)), min(r.value_date)) AS since
            FROM running r, last_zero z WHERE r.id > z.id AND r.delta > 0),
         d AS (
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
         SELECT $1, amount, CASE WHEN amount > 0 AND NOT suspended THEN COALESCE(rose.since, current_date) END,
                dossiers, nextval('certified_debt_changes'), amount = 0 OR suspended
         FROM d, rose
         ON CONFLICT (debtor_national_number) DO UPDATE
           SET amount_cents = EXCLUDED.amount_cents, since = EXCLUDED.since,
               dossier_numbers = EXCLUDED.dossier_numbers,
               change_sequence = EXCLUDED.change_sequence, withdrawn = EXCLUDED.withdrawn
           WHERE (c.amount_cents, c.since, c.withdrawn, c.dossier_numbers)
                 IS DISTINCT FROM (EXCLUDED.amount_cents, EXCLUDED.since, EXCLUDED.withdrawn, EXCLUDED.dossier_numbers)"
    ))
    .bind(nn)
    .bind(&recognitions[..])
    .execute(conn)
    .await?;
    Ok(())
}
