//! A property of the claim account over generated dossier lives: whatever the title, the
//! payments, the acts, the amendments and the run dates, the ledger's debt per creditor and
//! month equals what ComputeArrears gives for the same inputs — rebuilt here from the test's
//! own record of the life, not read from payments — and every transfer balances.
//!
//! Lives are drawn from a seeded generator (the seed of a failing life is in the message);
//! `SECAL_LIVES` sets how many (default 6: each life is a dozen calls through the suite).

use crate::common;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use common::{key, money};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};
use tonic::transport::Channel;

fn pb_date(d: NaiveDate) -> Option<pb::Date> {
    common::date(d.year(), d.month() as i32, d.day() as i32)
}

fn ym(d: NaiveDate) -> Option<pb::YearMonth> {
    Some(pb::YearMonth {
        year: d.year(),
        month: d.month() as i32,
    })
}

fn eur(m: &Option<pb::Money>) -> Decimal {
    m.as_ref()
        .and_then(|m| m.amount.parse().ok())
        .unwrap_or_default()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// One creditor of a generated title.
#[derive(Debug, Clone)]
struct Creditor {
    id: String,
    amount: String,
    last_month: Option<NaiveDate>,
}

/// What the test knows of a life: the title, the acts, the payments' principal parts.
#[derive(Debug, Clone)]
struct Life {
    seed: u64,
    number: String,
    first_month: NaiveDate,
    due_day: i32,
    application: NaiveDate,
    creditors: Vec<Creditor>,
    acts: Vec<pb::LegalAct>,
    payments: Vec<pb::ReceivedPayment>,
    version: i64,
}

impl Life {
    fn draw(seed: u64, n: u32) -> Self {
        let mut r = StdRng::seed_from_u64(seed);
        let first_month = day(r.gen_range(2019..=2024), r.gen_range(1..=12), 1);
        let creditors = (0..r.gen_range(1..=3))
            .map(|i| Creditor {
                id: format!("life{seed}-c{i}"),
                amount: format!("{}.{:02}", r.gen_range(50..400), r.gen_range(0..100)),
                last_month: None,
            })
            .collect();
        Self {
            seed,
            number: secal_domain::DossierNumber::new(2026, 900 + n)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            first_month,
            due_day: r.gen_range(1..=28),
            application: day(2025, r.gen_range(1..=12), r.gen_range(1..=28)),
            creditors,
            acts: Vec::new(),
            payments: Vec::new(),
            version: 0,
        }
    }

    fn snapshot(&self) -> pb::DossierSnapshot {
        pb::DossierSnapshot {
            dossier_number: self.number.clone(),
            status: pb::DossierStatus::Active as i32,
            kind: pb::ApplicationKind::ArrearsAndFuture as i32,
            application_date: pb_date(self.application),
            creditors: self
                .creditors
                .iter()
                .map(|c| pb::DossierCreditor {
                    person: Some(pb::DossierPerson {
                        person_id: c.id.clone(),
                        ..Default::default()
                    }),
                    creditor_key: c.id.clone(),
                    monthly_amount: money(&c.amount),
                    last_month: c.last_month.and_then(ym),
                    ..Default::default()
                })
                .collect(),
            title: Some(pb::ExecutoryTitle {
                title_date: pb_date(self.first_month - Duration::days(20)),
                first_month: ym(self.first_month),
                due_day: self.due_day,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The last month the debtor paid something of for the last creditor.
    fn paid_months_of_last(&self) -> Option<NaiveDate> {
        let last = self.creditors.last()?;
        self.payments
            .iter()
            .filter(|p| p.creditor_id == last.id)
            .filter_map(|p| p.for_month)
            .filter_map(|m| NaiveDate::from_ymd_opt(m.year, m.month as u32, 1))
            .max()
    }

    /// The case as the rules read it, from what the test did.
    fn case(&self) -> pb::ArrearsCase {
        pb::ArrearsCase {
            title: Some(pb::MaintenanceTitle {
                title_date: pb_date(self.first_month - Duration::days(20)),
                due_day: self.due_day,
                creditors: self
                    .creditors
                    .iter()
                    .map(|c| pb::TitleCreditor {
                        creditor_id: c.id.clone(),
                        first_month: ym(self.first_month),
                        last_month: c.last_month.and_then(ym),
                        amount: Some(pb::MaintenanceAmount {
                            method: Some(pb::maintenance_amount::Method::ExplicitSchedule(
                                pb::ExplicitAmountSchedule {
                                    periods: vec![pb::AmountPeriod {
                                        first_month: ym(self.first_month),
                                        last_month: None,
                                        amount: money(&c.amount),
                                    }],
                                },
                            )),
                        }),
                    })
                    .collect(),
                ..Default::default()
            }),
            payments: self.payments.clone(),
            acts: self.acts.clone(),
            judgment_fixed_arrears: Vec::new(),
        }
    }
}

struct Ctx {
    suite: Suite,
    calc: CalculationServiceClient<Channel>,
    pay: PaymentsClients,
    token: String,
    /// For what no RPC shows: the summary of the booked table on the account's row.
    admin: sqlx::PgPool,
}

impl Ctx {
    fn req<T>(&self, m: T) -> tonic::Request<T> {
        self.suite.request(&self.token, m)
    }

    async fn event(&mut self, life: &mut Life, kind: pb::DossierEventType) -> anyhow::Result<()> {
        life.version += 1;
        let mut e = common::dossier_event(
            &format!(
                "00000000-0000-4000-8000-{:012}",
                life.seed * 100 + life.version as u64
            ),
            life.version,
            life.snapshot(),
        );
        if let Some(ev) = e.event.as_mut() {
            ev.event_type = kind as i32;
            ev.effective_on = pb_date(life.application + Duration::days(40));
        }
        let resp = self
            .pay
            .ledger
            .receive_dossier_event(self.req(e))
            .await?
            .into_inner();
        anyhow::ensure!(resp.applied, "seed {}: {}", life.seed, resp.note);
        anyhow::ensure!(
            !resp.note.contains("not booked"),
            "seed {}: {}",
            life.seed,
            resp.note
        );
        Ok(())
    }

    async fn pay(
        &mut self,
        life: &mut Life,
        on: NaiveDate,
        cents: i64,
        k: &str,
    ) -> anyhow::Result<()> {
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        let p = self
            .pay
            .receipts
            .record_debtor_payment(self.req(pb::RecordDebtorPaymentRequest {
                idempotency_key: key(k),
                dossier_number: life.number.clone(),
                amount: money(&amount),
                received_on: pb_date(on),
                channel: pb::DebtorPaymentChannel::Voluntary as i32,
                ..Default::default()
            }))
            .await?
            .into_inner()
            .payment
            .unwrap_or_default();
        let allocation = self
            .pay
            .receipts
            .get_payment_allocation(self.req(pb::GetPaymentAllocationRequest {
                payment_id: p.payment_id.clone(),
            }))
            .await?
            .into_inner()
            .allocation
            .unwrap_or_default();
        for l in allocation.lines {
            if matches!(
                l.target(),
                pb::AllocationTarget::Interest | pb::AllocationTarget::Surcharge
            ) {
                continue;
            }
            life.payments.push(pb::ReceivedPayment {
                payment_id: format!("{}/{}", p.payment_id, l.position),
                paid_on: pb_date(on),
                amount: l.amount,
                for_month: l.month,
                creditor_id: l.creditor_person_id,
            });
        }
        Ok(())
    }

    async fn act(
        &mut self,
        life: &mut Life,
        kind: pb::LegalActKind,
        on: NaiveDate,
        k: &str,
    ) -> anyhow::Result<()> {
        let resp = self
            .pay
            .claims
            .record_legal_act(self.req(pb::RecordLegalActRequest {
                idempotency_key: key(k),
                dossier_number: life.number.clone(),
                kind: kind as i32,
                act_date: pb_date(on),
                reference: format!("act {k}"),
                ..Default::default()
            }))
            .await?
            .into_inner();
        let act = resp.act.unwrap_or_default();
        life.acts.push(pb::LegalAct {
            act_id: act.act_id,
            kind: kind as i32,
            act_date: pb_date(on),
            ..Default::default()
        });
        Ok(())
    }

    async fn book(&mut self, life: &Life, on: NaiveDate, k: &str) -> anyhow::Result<()> {
        let r = self.req(pb::BookClaimAccountRequest {
            idempotency_key: key(k),
            dossier_number: life.number.clone(),
            booked_to: pb_date(on),
        });
        self.pay.claims.book_claim_account(r).await?;
        Ok(())
    }

    async fn dues(&mut self, on: NaiveDate, k: &str) -> anyhow::Result<()> {
        let r = self.req(pb::RunMonthlyDuesRequest {
            idempotency_key: key(k),
            run_date: pb_date(on),
        });
        let mut s = self.pay.claims.run_monthly_dues(r).await?.into_inner();
        let mut last = None;
        while let Some(m) = s.message().await? {
            last = Some(m);
        }
        let last = last.unwrap_or_default();
        anyhow::ensure!(last.reconciled, "run of {on} not reconciled");
        anyhow::ensure!(last.failures.is_empty(), "run of {on}: {:?}", last.failures);
        Ok(())
    }
}

/// Per (creditor, month): (due, open, time-barred, interest) in the ledger's statement.
async fn ledger_view(
    c: &mut Ctx,
    life: &Life,
) -> anyhow::Result<BTreeMap<(String, (i32, i32)), [Decimal; 4]>> {
    let mut out = BTreeMap::new();
    for cr in &life.creditors {
        let r = c.req(pb::GetCreditorStatementRequest {
            dossier_number: life.number.clone(),
            as_of: None,
            creditor_person_id: cr.id.clone(),
        });
        let s = c
            .pay
            .claims
            .get_creditor_statement(r)
            .await?
            .into_inner()
            .statement
            .unwrap_or_default();
        for m in s.months {
            let month = m.month.map(|m| (m.year, m.month)).unwrap_or_default();
            out.insert(
                (cr.id.clone(), month),
                [
                    eur(&m.due),
                    eur(&m.open),
                    eur(&m.time_barred),
                    eur(&m.interest),
                ],
            );
        }
    }
    Ok(out)
}

/// The same per (creditor, month) from ComputeArrears on the account's booked-to date.
async fn rules_view(
    c: &mut Ctx,
    life: &Life,
) -> anyhow::Result<BTreeMap<(String, (i32, i32)), [Decimal; 4]>> {
    let r = c.req(pb::GetClaimAccountRequest {
        dossier_number: life.number.clone(),
    });
    let booked_to = c
        .pay
        .claims
        .get_claim_account(r)
        .await?
        .into_inner()
        .booked_to;
    let r = c.req(pb::ComputeArrearsRequest {
        arrears_case: Some(life.case()),
        calculation_date: booked_to,
        ..Default::default()
    });
    let table = c.calc.compute_arrears(r).await?.into_inner();
    let mut out = BTreeMap::new();
    for cr in table.creditors {
        for l in cr.lines {
            let month = l.month.map(|m| (m.year, m.month)).unwrap_or_default();
            let barred = l.status() == pb::InstalmentStatus::TimeBarred;
            let unpaid = eur(&l.unpaid);
            let (open, barred) = if barred {
                (Decimal::ZERO, unpaid)
            } else {
                (unpaid, Decimal::ZERO)
            };
            let cell = out
                .entry((cr.creditor_id.clone(), month))
                .or_insert([Decimal::ZERO; 4]);
            cell[0] += eur(&l.due);
            cell[1] += open;
            cell[2] += barred;
            cell[3] += eur(&l.interest);
        }
    }
    Ok(out)
}

/// Plays one life: activation, then dues runs, payments, acts and an amendment on
/// increasing dates, checking the property after every step that books.
async fn play(c: &mut Ctx, life: &mut Life) -> anyhow::Result<()> {
    let mut r = StdRng::seed_from_u64(life.seed ^ 0x5eca1);
    c.event(life, pb::DossierEventType::Activated).await?;
    check(c, life, "activation").await?;
    let mut on = life.application + Duration::days(45);
    let end = day(2026, 12, 6);
    let mut step = 0;
    while on < end && step < 8 {
        step += 1;
        let k = format!("life{}-{step}", life.seed);
        match r.gen_range(0..10) {
            0..=3 => {
                c.pay(life, on, r.gen_range(1_000..60_000), &k).await?;
                // What the next dues run would do: the account follows the payment.
                c.book(life, on, &format!("{k}-book")).await?;
            }
            4 => c.act(life, pb::LegalActKind::Summons, on, &k).await?,
            5 => c.act(life, pb::LegalActKind::FormalNotice, on, &k).await?,
            6 => {
                // An amendment: the last creditor's maintenance ended some months ago (never
                // before a month the debtor already paid for it).
                let paid = life.paid_months_of_last();
                if let Some(cr) = life.creditors.last_mut() {
                    let ended = (on - Duration::days(200)).with_day(1).unwrap_or(on);
                    cr.last_month = Some(paid.map_or(ended, |p| p.max(ended)));
                }
                c.event(life, pb::DossierEventType::Changed).await?;
            }
            _ => c.dues(on, &k).await?,
        }
        check(c, life, &k).await?;
        on += Duration::days(r.gen_range(20..200));
    }
    Ok(())
}

async fn check(c: &mut Ctx, life: &Life, after: &str) -> anyhow::Result<()> {
    let ledger = ledger_view(c, life).await?;
    let rules = rules_view(c, life).await?;
    // Months the ledger shows with nothing in them (fully corrected) are not lines.
    let ledger: BTreeMap<_, _> = ledger
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| !x.is_zero()))
        .collect();
    let rules: BTreeMap<_, _> = rules
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| !x.is_zero()))
        .collect();
    anyhow::ensure!(
        ledger == rules,
        "seed {} after {after}: the ledger (due, open, time-barred, interest) differs from \
         ComputeArrears\nledger: {ledger:?}\nrules:  {rules:?}\nlife: {life:?}",
        life.seed
    );
    summary_matches_lines(c, life, after).await
}

/// What the account's row says of its booked table (the dues run's fast path decides on it
/// alone) is what the table's lines say.
async fn summary_matches_lines(c: &Ctx, life: &Life, after: &str) -> anyhow::Result<()> {
    let (kept, read): (String, String) = sqlx::query_as(
        "SELECT format('%s %s %s %s', a.line_creditors, a.line_last_months, a.lines_interest,
                       a.next_prescription),
                format('%s %s %s %s', COALESCE(s.creditors, '{}'), COALESCE(s.last_months, '{}'),
                       COALESCE(s.interest, false), s.next_limit)
           FROM payments.claim_accounts a
           LEFT JOIN (SELECT array_agg(creditor ORDER BY creditor) AS creditors,
                             array_agg(last_month ORDER BY creditor) AS last_months,
                             bool_or(interest) AS interest, min(next_limit) AS next_limit
                        FROM (SELECT creditor, max(month) AS last_month,
                                     bool_or(interest_cents <> 0 OR interest_from IS NOT NULL) AS interest,
                                     min(prescription_limit)
                                         FILTER (WHERE status = 1 AND unpaid_cents > 0) AS next_limit
                                FROM payments.claim_lines WHERE dossier_number = $1
                               GROUP BY creditor) c) s ON true
          WHERE a.dossier_number = $1",
    )
    .bind(&life.number)
    .fetch_one(&c.admin)
    .await?;
    anyhow::ensure!(
        kept == read,
        "seed {} after {after}: the account's row keeps {kept}, its lines say {read}",
        life.seed
    );
    Ok(())
}

#[tokio::test]
async fn the_ledger_equals_the_rules_over_generated_lives_and_every_transfer_balances()
-> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let token = suite.agent_token(
        "agent-lives",
        &[
            roles::PAYMENTS_OPERATOR,
            roles::SERVICE,
            roles::CASE_OFFICER,
        ],
    )?;
    let mut c = Ctx {
        calc: CalculationServiceClient::new(suite.channel(Svc::Calculation).await?),
        pay: PaymentsClients::new(suite.channel(Svc::Payments).await?),
        admin: suite.admin_pool().await?,
        suite,
        token,
    };
    let lives: u64 = std::env::var("SECAL_LIVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let mut numbers = Vec::new();
    let (mut payments, mut acts, mut amended) = (0, 0, 0);
    for (n, seed) in (0..lives).map(|i| 20_261_206 + i * 7_919).enumerate() {
        let mut life = Life::draw(seed, n as u32);
        play(&mut c, &mut life).await?;
        payments += life.payments.len();
        acts += life.acts.len();
        amended += usize::from(life.version > 1);
        numbers.push(life.number);
    }
    // The lives drawn did exercise what the property is about.
    anyhow::ensure!(
        payments > 0 && acts > 0 && amended > 0,
        "payments {payments}, acts {acts}, amendments {amended}"
    );
    c.dues(day(2026, 12, 6), "lives-final").await?;
    trial_balance(&mut c, &numbers).await
}

/// Over every account the lives touched (theirs and the service's), posted debits equal
/// posted credits.
async fn trial_balance(c: &mut Ctx, numbers: &[String]) -> anyhow::Result<()> {
    let mut accounts: Vec<String> = ["fee-income", "bank", "advances-funding", "suspense"]
        .map(String::from)
        .to_vec();
    for n in numbers {
        let r = c.req(pb::GetDossierLedgerRequest {
            dossier_number: n.clone(),
            as_of: None,
        });
        let l = c.pay.ledger.get_dossier_ledger(r).await?.into_inner();
        accounts.extend(l.accounts.into_iter().map(|a| a.account_id));
    }
    let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
    for id in accounts {
        let r = c.req(pb::GetLedgerAccountRequest {
            account_id: id.clone(),
            as_of: None,
        });
        match c.pay.ledger.get_ledger_account(r).await {
            Ok(a) => {
                let a = a.into_inner().account.unwrap_or_default();
                debits += eur(&a.debits_posted);
                credits += eur(&a.credits_posted);
            }
            // A service account no life used was never opened.
            Err(s) if s.code() == tonic::Code::NotFound => {}
            Err(s) => return Err(s.into()),
        }
    }
    anyhow::ensure!(debits == credits, "debits {debits} ≠ credits {credits}");
    anyhow::ensure!(debits > Decimal::ZERO, "nothing was booked");
    Ok(())
}
