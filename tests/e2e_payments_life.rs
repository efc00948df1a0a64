//! One dossier's whole money life through gRPC, with the real calculation service and a real
//! Postgres: activation, the May 2024 advances run, arrears recognised, a partial debtor
//! payment (and how it was allocated), a tax-refund offset, a payout account confirmed by a
//! second agent, a pain.001 batch valid against the ISO 20022 schema, the bank's
//! confirmation; then debits equal credits and every creditor's position equals the hand
//! calculation written below.

use crate::common;

use common::{NISS_1985, assert_code, date, key, money, nn, violated_fields};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::Svc;
use tonic::Code;

type Dec = rust_decimal::Decimal;

type Ctx = common::PaymentsCtx;

impl Ctx {
    async fn allocation(
        &mut self,
        payment_id: &str,
    ) -> Result<pb::PaymentAllocation, tonic::Status> {
        let r = self.req(pb::GetPaymentAllocationRequest {
            payment_id: payment_id.into(),
        });
        Ok(self
            .receipts
            .get_payment_allocation(r)
            .await?
            .into_inner()
            .allocation
            .unwrap_or_default())
    }

    /// Every page of a dossier's transfers, `size` at a time.
    async fn dossier_transfers(
        &mut self,
        d: &str,
        range: Option<pb::DateRange>,
        size: i32,
    ) -> anyhow::Result<Vec<String>> {
        let (mut out, mut token) = (Vec::new(), String::new());
        loop {
            let r = self.req(pb::ListLedgerTransfersRequest {
                account_id: String::new(),
                dossier_number: d.into(),
                value_dates: range,
                page: Some(pb::PageRequest {
                    page_size: size,
                    page_token: token,
                }),
            });
            let page = self.ledger.list_ledger_transfers(r).await?.into_inner();
            anyhow::ensure!(page.transfers.len() <= usize::try_from(size)?);
            out.extend(page.transfers.into_iter().map(|t| t.transfer_id));
            token = page.page.unwrap_or_default().next_page_token;
            if token.is_empty() {
                return Ok(out);
            }
        }
    }
}

fn eur(m: Option<&pb::Money>) -> Dec {
    m.map(|m| m.amount.parse().unwrap_or_default())
        .unwrap_or_default()
}

fn d(s: &str) -> Dec {
    s.parse().unwrap_or_default()
}

fn may(m: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth {
        year: 2024,
        month: m,
    })
}

fn child(id: &str, born: Option<pb::Date>, amount: &str) -> pb::DossierCreditor {
    pb::DossierCreditor {
        person: Some(pb::DossierPerson {
            person_id: id.into(),
            birth_date: born,
            ..Default::default()
        }),
        creditor_key: id.into(),
        monthly_amount: money(amount),
        advances_requested: true,
        family_allowance_entitled: true,
        ..Default::default()
    }
}

/// Activated on 2 May 2024 under a title from April 2024: the claim account books April's
/// and May's 350 (child-1 200, child-2 150) and each month's 13 % fee as the mandate.
fn activated(d: &str) -> pb::ReceiveDossierEventRequest {
    let id = "00000000-0000-4000-a000-000000000071".to_owned();
    let mut event = common::dossier_event(
        &id,
        1,
        pb::DossierSnapshot {
            dossier_number: d.into(),
            status: pb::DossierStatus::Active as i32,
            application_date: date(2023, 1, 15),
            applicant: Some(pb::DossierPerson {
                person_id: "applicant-1".into(),
                family_name: "Dupont".into(),
                given_names: "Marie".into(),
                ..Default::default()
            }),
            debtor: Some(pb::DossierPerson {
                person_id: "debtor-71".into(),
                national_number: nn(NISS_1985),
                ..Default::default()
            }),
            creditors: vec![
                child("child-1", date(2015, 3, 1), "200.00"),
                child("child-2", date(2017, 6, 1), "150.00"),
            ],
            title: Some(pb::ExecutoryTitle {
                first_month: Some(pb::YearMonth {
                    year: 2024,
                    month: 4,
                }),
                ..Default::default()
            }),
            applicant_net_monthly_income: money("1500.00"),
            dependent_child_count: 2,
            ..Default::default()
        },
    );
    if let Some(e) = event.event.as_mut() {
        e.effective_on = date(2024, 5, 2);
    }
    event
}

async fn run_may(c: &mut Ctx) -> anyhow::Result<pb::AdvancesRunTotals> {
    let r = c.req(pb::RunMonthlyAdvancesRequest {
        idempotency_key: key("run-may"),
        month: may(5),
        progress_every: 0,
    });
    let mut stream = c.advances.run_monthly_advances(r).await?.into_inner();
    let mut totals = None;
    while let Some(msg) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(run)) = msg.update {
            totals = run.totals;
        }
    }
    totals.ok_or_else(|| anyhow::anyhow!("the run sent no totals"))
}

/// (target, month, creditor, amount, beneficiary) of each line, in order.
fn lines(a: &pb::PaymentAllocation) -> Vec<(i32, Option<i32>, String, Dec, i32)> {
    a.lines
        .iter()
        .map(|l| {
            (
                l.target,
                l.month.map(|m| m.month),
                l.creditor_person_id.clone(),
                eur(l.amount.as_ref()),
                l.beneficiary,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_dossier_life_from_activation_to_payout_matches_the_hand_calculation()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-pay").await?;
    let second = c
        .suite
        .agent_token("agent-two", &[roles::PAYMENTS_OPERATOR])?;
    let dn = DossierNumber::new(2023, 71)?.to_string();
    c.ledger
        .receive_dossier_event(c.req(activated(&dn)))
        .await?;

    // May 2024 advances: child-1 is owed 200, the advance is capped at 175; child-2 is owed
    // 150, advanced in full, on May's 350 the activation booked as the debtor's debt.
    let t = run_may(&mut c).await?;
    assert_eq!((t.advances_paid, t.failed), (2, 0), "{t:?}");
    assert_eq!(eur(t.amount_paid.as_ref()), d("325"));
    // A partial payment of 400 for May (791 is owed: 700 of maintenance and 91 of fees):
    // May's advances back to SECAL (175 + 150), May's rest to child-1 (25), then the oldest
    // arrears, April's, creditor by creditor: child-1's (50 of 200).
    let paid = c
        .receipts
        .record_debtor_payment(c.req(pb::RecordDebtorPaymentRequest {
            idempotency_key: key("pay-1"),
            dossier_number: dn.clone(),
            amount: money("400.00"),
            received_on: date(2024, 5, 20),
            for_month: may(5),
            channel: pb::DebtorPaymentChannel::Voluntary as i32,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .payment
        .unwrap_or_default();
    let alloc = c.allocation(&paid.payment_id).await?;
    assert_eq!(Some(&alloc), paid.allocation.as_ref(), "as recorded");
    use pb::{AllocationBeneficiary as B, AllocationTarget as T};
    let (service, creditor) = (B::Service as i32, B::Creditor as i32);
    assert_eq!(
        lines(&alloc),
        [
            (
                T::AdvanceReimbursement as i32,
                Some(5),
                "child-1".into(),
                d("175"),
                service
            ),
            (
                T::AdvanceReimbursement as i32,
                Some(5),
                "child-2".into(),
                d("150"),
                service
            ),
            (
                T::MonthMaintenance as i32,
                Some(5),
                "child-1".into(),
                d("25"),
                creditor
            ),
            (
                T::Arrears as i32,
                Some(4),
                "child-1".into(),
                d("50"),
                creditor
            ),
        ]
    );
    let positions: Vec<_> = alloc.lines.iter().map(|l| l.position).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(eur(alloc.unallocated.as_ref()), d("0"));
    assert_eq!(alloc.allocation_order_version, "2024-1");
    // Stored with each line, so a later change of the order does not rewrite this answer.
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT order_version FROM payments.payment_allocations WHERE payment_id = $1",
    )
    .bind(&paid.payment_id)
    .fetch_all(&c.suite.admin_pool().await?)
    .await?;
    assert_eq!(stored, ["2024-1"]);
    assert_eq!(alloc.transfer_ids[0], format!("pay/{}", paid.payment_id));
    // Each line moves the money off money-received, and each has its second leg.
    assert_eq!(alloc.transfer_ids.len(), 1 + 2 * 4);
    let st = assert_code(c.allocation("nope").await, Code::InvalidArgument);
    assert_eq!(violated_fields(&st), ["payment_id"]);
    assert_code(
        c.allocation("00000000-0000-4000-8000-000000000000").await,
        Code::NotFound,
    );

    // A tax refund of 100 is offset in full (391 still owed) and confirmed: untied, it
    // pays April's arrears, child-1's first.
    let offset = c
        .recovery
        .propose_tax_refund_offset(c.req(pb::ProposeTaxRefundOffsetRequest {
            idempotency_key: key("tr"),
            refund_id: "R-71".into(),
            taxpayer: nn(NISS_1985),
            refund_amount: money("100.00"),
            assessment_year: 2024,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(eur(offset.offset_amount.as_ref()), d("100"));
    c.acknowledge_casework().await?;
    let offset = c
        .recovery
        .confirm_tax_refund_offset(c.req(pb::ConfirmTaxRefundOffsetRequest {
            idempotency_key: key("tr-ok"),
            refund_id: "R-71".into(),
            paid_on: date(2024, 6, 10),
        }))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(offset.debtor_payment_ids.len(), 1);
    let refund = c.allocation(&offset.debtor_payment_ids[0]).await?;
    assert_eq!(
        lines(&refund),
        [(
            T::Arrears as i32,
            Some(4),
            "child-1".into(),
            d("100"),
            creditor
        )]
    );
    assert_eq!(
        refund.transfer_ids.first(),
        Some(&format!("taxrefund/R-71/{dn}/post"))
    );

    // The payout account, requested by one agent and confirmed by another.
    let confirmed = c.confirmed_payout_account(&dn, &second).await?;
    assert_eq!(confirmed.status, pb::PayoutAccountStatus::Active as i32);

    // Payable by hand: child-1 = 175 (May advance) + 25 (May's rest) + 50 + 100 (April)
    // = 350; child-2 = 150 (May advance).
    let (pay1, pay2) = (
        format!("payable/{dn}/child-1"),
        format!("payable/{dn}/child-2"),
    );
    assert_eq!(c.balance(&pay1).await?, d("350"));
    assert_eq!(c.balance(&pay2).await?, d("150"));
    let batch = c
        .payouts
        .create_payout_batch(c.req(pb::CreatePayoutBatchRequest {
            idempotency_key: key("batch"),
            requested_execution_date: common::today(),
            dossier_numbers: vec![dn.clone()],
            max_payouts: 0,
        }))
        .await?
        .into_inner();
    secal_testkit::xml::validate(&batch.pain001, "pain.001.001.03.xsd")?;
    let xml = String::from_utf8_lossy(&batch.pain001).into_owned();
    assert!(xml.contains("<CtrlSum>500.00</CtrlSum>"), "{xml}");
    let info = batch.batch.clone().unwrap_or_default();
    assert_eq!(info.payout_count, 2);
    assert!(
        batch
            .payouts
            .iter()
            .all(|p| p.state == pb::PayoutState::Pending as i32)
    );
    // Pending until the bank confirms: still on payable, reserved.
    assert_eq!(c.balance(&pay1).await?, d("350"));
    let conf = c
        .payouts
        .confirm_payouts(c.req(pb::ConfirmPayoutsRequest {
            idempotency_key: key("bank-ok"),
            batch_id: info.batch_id,
            payout_ids: vec![],
            booked_on: date(2024, 6, 14),
            bank_reference: "BANK-71".into(),
        }))
        .await?
        .into_inner();
    assert_eq!(conf.payouts.len(), 2);

    // Every creditor's position by hand.
    // child-1: owed 200 (April) + 200 (May) = 400; advanced 175; paid by the debtor
    // 25 + 50 + 100 → still owed to child-1: 400 − 175 − 175 = 50 (of April); SECAL's advance
    // recovered; 350 paid out.
    // child-2: owed 150 (April) + 150 (May); May advanced 150 and recovered: April's 150
    // outstanding; 150 paid out.
    let ledger = c
        .ledger
        .get_dossier_ledger(c.req(pb::GetDossierLedgerRequest {
            dossier_number: dn.clone(),
            as_of: None,
        }))
        .await?
        .into_inner();
    let position = |p: &pb::CreditorPosition| {
        (
            p.creditor_person_id.clone(),
            eur(p.claim_outstanding.as_ref()),
            eur(p.advances_outstanding.as_ref()),
            eur(p.payable.as_ref()),
            eur(p.paid_out.as_ref()),
        )
    };
    let positions: Vec<_> = ledger.creditors.iter().map(position).collect();
    assert_eq!(
        positions,
        [
            ("child-1".into(), d("50"), d("0"), d("0"), d("350")),
            ("child-2".into(), d("150"), d("0"), d("0"), d("150")),
        ]
    );
    // The debtor still owes April's 50 + 150 and the fees the activation booked on April and
    // May (13 % of 350 each): 291.
    assert_eq!(eur(ledger.debtor_outstanding.as_ref()), d("291"));
    // Service accounts: advances funding 325 out, 325 back; 400 came through the bank, 100
    // through the tax offset; the fees are SECAL's (2 × 45.50).
    assert_eq!(c.balance("advances-funding").await?, d("0"));
    assert_eq!(c.balance("bank").await?, d("400"));
    assert_eq!(c.balance("tax-offset-clearing").await?, d("100"));
    assert_eq!(c.balance("fee-income").await?, d("91"));

    // The dossier's transfers, page by page, are exactly those touching its accounts, and a
    // value-date range keeps only its own.
    let pool = c.suite.admin_pool().await?;
    let expected = |from: &str| {
        format!(
            "SELECT t.transfer_id FROM payments.ledger_transfers t
             JOIN payments.ledger_accounts da ON da.id = t.debit_account
             JOIN payments.ledger_accounts ca ON ca.id = t.credit_account
             WHERE (da.dossier_number = $1 OR ca.dossier_number = $1) AND t.value_date >= '{from}'
             ORDER BY t.value_date, t.id"
        )
    };
    let all: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(expected("2000-01-01")))
        .bind(&dn)
        .fetch_all(&pool)
        .await?;
    assert_eq!(c.dossier_transfers(&dn, None, 4).await?, all);
    assert!(all.contains(&format!("pay/{}", paid.payment_id)));
    let june = Some(pb::DateRange {
        start_date: date(2024, 6, 1),
        end_date: None,
    });
    let since_june: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(expected("2024-06-01")))
        .bind(&dn)
        .fetch_all(&pool)
        .await?;
    assert!(!since_june.is_empty() && since_june.len() < all.len());
    assert_eq!(c.dossier_transfers(&dn, june, 3).await?, since_june);
    let both = c.req(pb::ListLedgerTransfersRequest {
        account_id: "bank".into(),
        dossier_number: dn.clone(),
        ..Default::default()
    });
    let st = assert_code(
        c.ledger.list_ledger_transfers(both).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&st), ["dossier_number"]);

    // Double entry: total debits = total credits = every posted transfer, nothing pending.
    let (debits, credits, pending): (i64, i64, i64) = sqlx::query_as(
        "SELECT sum(debits_posted)::bigint, sum(credits_posted)::bigint,
                sum(debits_pending + credits_pending)::bigint FROM payments.ledger_account_totals",
    )
    .fetch_one(&pool)
    .await?;
    let posted: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::bigint FROM payments.ledger_transfers WHERE state = 2",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((debits, credits, pending), (posted, posted, 0));
    Ok(())
}
