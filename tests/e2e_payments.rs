//! Payments through gRPC against a real Postgres: the double-entry ledger (idempotent,
//! linked, two-phase, balance rules in the database), a dossier's life with advances, a
//! partial debtor payment and a tax-refund offset, checked against hand calculations.

use crate::common;

use common::{NISS_1985, assert_code, date, key, money, nn, violated_fields};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_testkit::Svc;
use tonic::Code;

type Ctx = common::PaymentsCtx;

impl Ctx {
    async fn transfers(
        &mut self,
        k: &str,
        specs: Vec<pb::LedgerTransferSpec>,
    ) -> Result<Vec<pb::LedgerTransfer>, tonic::Status> {
        let r = self.req(pb::CreateLedgerTransfersRequest {
            idempotency_key: key(k),
            transfers: specs,
        });
        Ok(self
            .ledger
            .create_ledger_transfers(r)
            .await?
            .into_inner()
            .transfers)
    }
}

fn dossier(seq: u32) -> String {
    DossierNumber::new(2024, seq)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn spec(
    id: &str,
    debit: &str,
    credit: &str,
    amount: &str,
    code: pb::TransferCode,
) -> pb::LedgerTransferSpec {
    pb::LedgerTransferSpec {
        transfer_id: id.into(),
        debit_account_id: debit.into(),
        credit_account_id: credit.into(),
        amount: money(amount),
        code: code as i32,
        value_date: date(2024, 5, 2),
        ..Default::default()
    }
}

fn month(m: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth {
        year: 2024,
        month: m,
    })
}

/// Money amounts compare as decimals ("25" == "25.00").
fn eur(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_default()
}

#[tokio::test]
async fn transfers_are_idempotent_linked_and_kept_within_balance_rules() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(11);
    let payable = format!("payable/{d}/child-1");
    let paid = format!("paid-out/{d}/child-1");
    let fund = spec(
        "t-fund",
        "advances-funding",
        &payable,
        "100.00",
        pb::TransferCode::Advance,
    );
    let first = c.transfers("k1", vec![fund.clone()]).await?;
    // A retry under another key returns the first result; other content under the id is refused.
    let again = c.transfers("k2", vec![fund.clone()]).await?;
    assert_eq!(first, again);
    let mut other = fund.clone();
    other.amount = money("100.01");
    let s = assert_code(c.transfers("k3", vec![other]).await, Code::AlreadyExists);
    assert!(s.message().contains("t-fund"), "{s:?}");

    // Payout beyond payable: refused by the database rule, naming the account; and linked:
    // the first (valid) leg of the group is not kept either.
    let ok_leg = spec(
        "t-ok",
        "bank",
        "suspense",
        "5.00",
        pb::TransferCode::UnmatchedReceipt,
    );
    let too_much = spec(
        "t-payout",
        &payable,
        &paid,
        "100.01",
        pb::TransferCode::Payout,
    );
    let s = assert_code(
        c.transfers("k4", vec![ok_leg, too_much]).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains(&payable), "{s:?}");
    assert_eq!(
        c.balance("bank").await.unwrap_or_default(),
        eur("0"),
        "linked: none kept"
    );
    let s = assert_code(
        c.balance("suspense")
            .await
            .map_err(|e| tonic::Status::not_found(e.to_string())),
        Code::NotFound,
    );
    assert!(!s.message().is_empty());

    // Two-phase: a pending payout reserves; a second one beyond the rest is refused.
    let mut pending = spec("t-pend", &payable, &paid, "60.00", pb::TransferCode::Payout);
    pending.pending = true;
    c.transfers("k5", vec![pending]).await?;
    let mut second = spec(
        "t-pend2",
        &payable,
        &paid,
        "50.00",
        pb::TransferCode::Payout,
    );
    second.pending = true;
    assert_code(
        c.transfers("k6", vec![second]).await,
        Code::FailedPrecondition,
    );
    // Post 40 of the 60: the other 20 is released.
    let post = |k: &str, id: &str, amount: Option<pb::Money>| pb::PostPendingTransferRequest {
        idempotency_key: key(k),
        pending_transfer_id: "t-pend".into(),
        transfer_id: id.into(),
        amount,
    };
    let posted = c
        .ledger
        .post_pending_transfer(c.req(post("k7", "t-pend/post", money("40"))))
        .await?
        .into_inner();
    let retried = c
        .ledger
        .post_pending_transfer(c.req(post("k8", "t-pend/post", money("40"))))
        .await?
        .into_inner();
    assert_eq!(posted, retried);
    assert_eq!(c.balance(&payable).await?, eur("60"));
    let void = pb::VoidPendingTransferRequest {
        idempotency_key: key("k9"),
        pending_transfer_id: "t-pend".into(),
        transfer_id: "t-pend/void".into(),
        reason: "late".into(),
    };
    let s = assert_code(
        c.ledger.void_pending_transfer(c.req(void)).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("already posted"), "{s:?}");

    // A pending transfer past its timeout is voided: posting it is refused.
    let mut short = spec(
        "t-short",
        &payable,
        &paid,
        "10.00",
        pb::TransferCode::Payout,
    );
    short.pending = true;
    short.timeout_seconds = 1;
    c.transfers("k10", vec![short]).await?;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut late = post("k11", "t-short/post", None);
    late.pending_transfer_id = "t-short".into();
    let s = assert_code(
        c.ledger.post_pending_transfer(c.req(late)).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("expired"), "{s:?}");

    // A correction is a new transfer; history shows running balances, as of any date.
    let mut fix = spec(
        "t-fix",
        &payable,
        "advances-funding",
        "10.00",
        pb::TransferCode::Correction,
    );
    fix.corrects_transfer_id = "t-no-such".into();
    fix.value_date = date(2024, 6, 1);
    let s = assert_code(
        c.transfers("k12-bad", vec![fix.clone()]).await,
        Code::InvalidArgument,
    );
    assert!(s.message().contains("t-no-such"), "{s:?}");
    fix.corrects_transfer_id = "t-fund".into();
    c.transfers("k12", vec![fix]).await?;
    let hist = c
        .ledger
        .list_ledger_transfers(c.req(pb::ListLedgerTransfersRequest {
            account_id: payable.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .transfers;
    let running: Vec<_> = hist
        .iter()
        .filter(|t| t.state == pb::TransferState::Posted as i32)
        .map(|t| eur(&t.running_balance.clone().unwrap_or_default().amount))
        .collect();
    assert_eq!(running, [eur("100"), eur("60"), eur("50")]);
    let as_of_may = c
        .ledger
        .get_ledger_account(c.req(pb::GetLedgerAccountRequest {
            account_id: payable.clone(),
            as_of: date(2024, 5, 31),
        }))
        .await?
        .into_inner()
        .account
        .unwrap_or_default();
    assert_eq!(
        eur(&as_of_may.balance.unwrap_or_default().amount),
        eur("60")
    );

    // Transfers are immutable even for the service's own database role.
    let pool = c.suite.role_pool(Svc::Payments).await?;
    let edit =
        sqlx::query("UPDATE payments.ledger_transfers SET amount = 1 WHERE transfer_id = 't-fund'")
            .execute(&pool)
            .await;
    assert!(edit.is_err());

    // Bad input names every field (not only a row's first).
    let bad = spec(
        "t-bad",
        "payable/nope",
        &paid,
        "-1",
        pb::TransferCode::Payout,
    );
    let s = assert_code(c.transfers("k13", vec![bad]).await, Code::InvalidArgument);
    assert_eq!(
        common::violated_fields(&s),
        ["transfers[0].debit_account_id", "transfers[0].amount"]
    );
    Ok(())
}

/// The ledger's own guards, below the service: a transfer naming an account that does not
/// exist is refused (the balance trigger proves every account exists), accounts cannot be
/// deleted, and a bulk statement moves each account's totals by the sum of its legs, from any
/// session's search path.
#[tokio::test]
async fn the_database_refuses_unknown_accounts_and_account_deletion() -> anyhow::Result<()> {
    let c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let pool = c.suite.admin_pool().await?;
    // Not as the service sees it: the ledger's functions name their tables unqualified and
    // must find the service's, whatever the session's search path (here one with a table of
    // the same name in front).
    let mut conn = pool.acquire().await?;
    sqlx::query("CREATE TABLE public.ledger_accounts (id bigint)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET search_path = public")
        .execute(&mut *conn)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO payments.ledger_accounts (code, kind, balance_rule, opened_by)
         SELECT 'test/' || i, 1, 1, 'test' FROM generate_series(1, 3) i RETURNING id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let transfer = |id: &str, debit: i64, credit: i64| {
        sqlx::query(
            "INSERT INTO payments.ledger_transfers (transfer_id, debit_account, credit_account,
                 amount, code, value_date, state, linked_group, recorded_by)
             VALUES ($1, $2, $3, 500, 1, '2024-05-01', 2, gen_random_uuid(), 'test')",
        )
        .bind(id.to_owned())
        .bind(debit)
        .bind(credit)
    };
    let err = transfer("t-unknown", ids[0], 987_654_321)
        .execute(&mut *conn)
        .await
        .err()
        .ok_or_else(|| anyhow::anyhow!("a transfer to an unknown account was accepted"))?;
    let db = err.as_database_error().map(|d| (d.code(), d.constraint()));
    assert_eq!(
        db.map(|(code, constraint)| (code.map(|c| c.to_string()), constraint.map(str::to_owned))),
        Some((
            Some("23503".to_owned()),
            Some("ledger_transfer_accounts_exist".to_owned())
        ))
    );
    // Several legs on the same accounts in one statement.
    sqlx::query(
        "INSERT INTO payments.ledger_transfers (transfer_id, debit_account, credit_account,
             amount, code, value_date, state, linked_group, recorded_by)
         SELECT 'bulk-' || i, $1, CASE WHEN i % 2 = 0 THEN $2 ELSE $3 END, i * 100, 1,
                '2024-05-01', 2, gen_random_uuid(), 'test'
         FROM generate_series(1, 10) i",
    )
    .bind(ids[0])
    .bind(ids[1])
    .bind(ids[2])
    .execute(&mut *conn)
    .await?;
    let totals: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT debits_posted, credits_posted FROM payments.ledger_account_totals
         WHERE id = ANY($1) ORDER BY id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    // Debits 100+...+1000 = 5,500; evens 200+400+...+1000 = 3,000; odds 2,500.
    assert_eq!(totals, vec![(5_500, 0), (0, 3_000), (0, 2_500)]);
    assert!(
        sqlx::query("DELETE FROM payments.ledger_accounts WHERE id = $1")
            .bind(ids[2])
            .execute(&mut *conn)
            .await
            .is_err(),
        "an account was deleted"
    );
    Ok(())
}

/// The dossier's activation; its event id is the dossier number's twelve digits, one per
/// dossier (a sum of its bytes made two dossiers share an id, and the second activation was
/// taken for a replay of the first).
fn activated(d: &str, debtor_nn: &str) -> pb::ReceiveDossierEventRequest {
    let digits: String = d.chars().filter(char::is_ascii_digit).collect();
    let id = format!("00000000-0000-4000-8000-{digits:0>12}");
    common::dossier_event(&id, 1, common::debtor_dossier(d, debtor_nn))
}

#[tokio::test]
async fn a_dossier_life_balances_to_the_hand_calculation() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(21);
    c.ledger
        .receive_dossier_event(c.req(activated(&d, NISS_1985)))
        .await?;
    // Maintenance 200/month for March-May 2024, owed to child-1; interest 10; surcharge 13%.
    let item = |m: i32| pb::DebtItem {
        component: pb::DebtComponent::Principal as i32,
        creditor_person_id: "child-1".into(),
        month: month(m),
        amount: money("200.00"),
        enforceable_since: date(2024, m, 1),
    };
    let mut items: Vec<_> = (3..=5).map(item).collect();
    items.push(pb::DebtItem {
        component: pb::DebtComponent::Interest as i32,
        creditor_person_id: "child-1".into(),
        amount: money("10.00"),
        enforceable_since: date(2024, 5, 1),
        ..Default::default()
    });
    items.push(pb::DebtItem {
        component: pb::DebtComponent::Surcharge as i32,
        amount: money("78.00"),
        enforceable_since: date(2024, 5, 1),
        ..Default::default()
    });
    let r = pb::RecognizeDebtorDebtRequest {
        idempotency_key: key("debt-1"),
        dossier_number: d.clone(),
        items,
        basis: "mandate".into(),
    };
    c.ledger.recognize_debtor_debt(c.req(r)).await?;
    // Advances of 175 for each month: SECAL steps into the creditor's rights.
    let claim = format!("creditor-claim/{d}/child-1");
    let service = format!("service-advance-claim/{d}/child-1");
    let payable = format!("payable/{d}/child-1");
    let mut adv = Vec::new();
    for m in 3..=5 {
        let mut sub = spec(
            &format!("adv/{m}/sub"),
            &claim,
            &service,
            "175.00",
            pb::TransferCode::Advance,
        );
        let mut pay = spec(
            &format!("adv/{m}/pay"),
            "advances-funding",
            &payable,
            "175.00",
            pb::TransferCode::Advance,
        );
        sub.for_month = month(m);
        pay.for_month = month(m);
        adv.extend([sub, pay]);
    }
    c.transfers("adv", adv).await?;

    // A partial payment of 300 for May: May's advance 175, May's rest 25, then March
    // (oldest arrears): advance 100 of 175.
    let pay = pb::RecordDebtorPaymentRequest {
        idempotency_key: key("pay-1"),
        dossier_number: d.clone(),
        amount: money("300.00"),
        received_on: date(2024, 5, 20),
        for_month: month(5),
        ..Default::default()
    };
    let p = c
        .receipts
        .record_debtor_payment(c.req(pay.clone()))
        .await?
        .into_inner()
        .payment
        .unwrap_or_default();
    let again = c
        .receipts
        .record_debtor_payment(c.req(pay))
        .await?
        .into_inner()
        .payment
        .unwrap_or_default();
    assert_eq!(p, again);
    let lines: Vec<_> = p
        .allocation
        .unwrap_or_default()
        .lines
        .iter()
        .map(|l| {
            (
                l.target,
                l.month.map(|m| m.month),
                eur(&l.amount.clone().unwrap_or_default().amount),
            )
        })
        .collect();
    use pb::AllocationTarget as T;
    assert_eq!(
        lines,
        [
            (T::AdvanceReimbursement as i32, Some(5), eur("175")),
            (T::MonthMaintenance as i32, Some(5), eur("25")),
            (T::Arrears as i32, Some(3), eur("100")),
        ]
    );

    // Tax refund of 1,000: open is 600 + 10 + 78 − 300 = 388 offset, 612 paid to the taxpayer.
    let propose = pb::ProposeTaxRefundOffsetRequest {
        idempotency_key: key("tr-1"),
        refund_id: "R-1".into(),
        taxpayer: nn(NISS_1985),
        refund_amount: money("1000.00"),
        assessment_year: 2024,
        ..Default::default()
    };
    let o = c
        .recovery
        .propose_tax_refund_offset(c.req(propose.clone()))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        eur(&o.offset_amount.clone().unwrap_or_default().amount),
        eur("388")
    );
    assert_eq!(
        eur(&o.remainder.clone().unwrap_or_default().amount),
        eur("612")
    );
    let o2 = c
        .recovery
        .propose_tax_refund_offset(c.req(propose.clone()))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(o, o2, "idempotent by refund id");
    let mut changed = propose.clone();
    changed.refund_amount = money("999.00");
    assert_code(
        c.recovery.propose_tax_refund_offset(c.req(changed)).await,
        Code::AlreadyExists,
    );
    // While held, a second refund finds nothing left to offset.
    let mut r2 = propose.clone();
    r2.refund_id = "R-2".into();
    let o3 = c
        .recovery
        .propose_tax_refund_offset(c.req(r2))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        o3.zero_reason,
        pb::TaxRefundZeroReason::NoEnforceableDebt as i32
    );
    let cancel = pb::CancelTaxRefundOffsetRequest {
        idempotency_key: key("tr-c2"),
        refund_id: "R-2".into(),
        reason: String::new(),
    };
    // A reason is one parser's text: a control character is refused by name, nothing written.
    let bad = pb::CancelTaxRefundOffsetRequest {
        reason: "no\0refund".into(),
        ..cancel.clone()
    };
    let refused = c.recovery.cancel_tax_refund_offset(c.req(bad)).await;
    assert_eq!(
        violated_fields(&assert_code(refused, Code::InvalidArgument)),
        ["reason"]
    );
    c.recovery.cancel_tax_refund_offset(c.req(cancel)).await?;
    let confirm = pb::ConfirmTaxRefundOffsetRequest {
        idempotency_key: key("tr-c1"),
        refund_id: "R-1".into(),
        paid_on: date(2024, 6, 10),
    };
    c.acknowledge_casework().await?;
    let done = c
        .recovery
        .confirm_tax_refund_offset(c.req(confirm.clone()))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(done.state, pb::TaxRefundOffsetState::Confirmed as i32);
    assert_eq!(
        done,
        c.recovery
            .confirm_tax_refund_offset(c.req(confirm))
            .await?
            .into_inner()
            .offset
            .unwrap_or_default()
    );

    // Hand calculation for child-1: advances 3 × 175 = 525, plus what the debtor paid beyond
    // the advances: 25 (May) + 25 (March) + 25 (April) + 10 interest = 85 → payable 610.
    assert_eq!(c.balance(&payable).await?, eur("610"));
    assert_eq!(
        c.balance(&service).await?,
        eur("0"),
        "every advance recovered"
    );
    assert_eq!(c.balance(&claim).await?, eur("0"));
    let ledger = c
        .ledger
        .get_dossier_ledger(c.req(pb::GetDossierLedgerRequest {
            dossier_number: d.clone(),
            as_of: None,
        }))
        .await?
        .into_inner();
    assert_eq!(
        eur(&ledger.debtor_outstanding.unwrap_or_default().amount),
        eur("0")
    );
    // Advances funding: 525 paid out, 525 recovered. Fee income: the 78 surcharge.
    assert_eq!(c.balance("advances-funding").await?, eur("0"));
    assert_eq!(c.balance("fee-income").await?, eur("78"));
    // The certified debt is withdrawn now that nothing is owed.
    let debts = c
        .recovery
        .list_certified_debts(c.req(pb::ListCertifiedDebtsRequest {
            page: None,
            changed_after_sequence: 1,
        }))
        .await?
        .into_inner()
        .debts;
    let last = debts
        .iter()
        .rfind(|x| x.debtor.as_ref().map(|n| n.value.as_str()) == Some(NISS_1985));
    assert!(last.is_some_and(|x| x.withdrawn), "{debts:?}");

    // Double entry: total debits = total credits, and the account totals kept by the
    // database trigger equal a recomputation from the posted transfers.
    let pool = c.suite.admin_pool().await?;
    let (debits, credits): (i64, i64) = sqlx::query_as("SELECT sum(debits_posted)::bigint, sum(credits_posted)::bigint FROM payments.ledger_account_totals").fetch_one(&pool).await?;
    let posted: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::bigint FROM payments.ledger_transfers WHERE state = 2",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((debits, credits), (posted, posted));
    let pending: (i64, i64) = sqlx::query_as("SELECT sum(debits_pending)::bigint, sum(credits_pending)::bigint FROM payments.ledger_account_totals").fetch_one(&pool).await?;
    assert_eq!(pending, (0, 0), "every hold settled");
    Ok(())
}

#[tokio::test]
async fn suspended_or_debt_free_debtors_get_a_zero_offset() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(31);
    let other = "90010101707";
    c.ledger
        .receive_dossier_event(c.req(activated(&d, other)))
        .await?;
    let propose = |id: &str, who: &str| pb::ProposeTaxRefundOffsetRequest {
        idempotency_key: key(id),
        refund_id: id.into(),
        taxpayer: nn(who),
        refund_amount: money("50.00"),
        assessment_year: 2024,
        ..Default::default()
    };
    let zero = |o: pb::ProposeTaxRefundOffsetResponse| o.offset.unwrap_or_default().zero_reason;
    let r = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("Z-1", other)))
        .await?
        .into_inner();
    assert_eq!(zero(r), pb::TaxRefundZeroReason::NoEnforceableDebt as i32);
    let r = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("Z-2", NISS_1985)))
        .await?
        .into_inner();
    assert_eq!(zero(r), pb::TaxRefundZeroReason::NotADebtor as i32);
    let item = pb::DebtItem {
        component: pb::DebtComponent::Principal as i32,
        creditor_person_id: "c".into(),
        month: month(1),
        amount: money("40.00"),
        enforceable_since: date(2024, 1, 1),
    };
    c.ledger
        .recognize_debtor_debt(c.req(pb::RecognizeDebtorDebtRequest {
            idempotency_key: key("d"),
            dossier_number: d.clone(),
            items: vec![item],
            ..Default::default()
        }))
        .await?;
    let grant = pb::GrantSuspensionRequest {
        idempotency_key: key("s"),
        debtor_person_id: format!("debtor-{other}"),
        effective_from: date(2024, 1, 1),
        review_on: date(2030, 1, 1),
        grounds: "insolvent".into(),
        ..Default::default()
    };
    c.recovery.grant_suspension(c.req(grant)).await?;
    let r = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("Z-3", other)))
        .await?
        .into_inner();
    let o = r.offset.unwrap_or_default();
    assert_eq!(
        o.zero_reason,
        pb::TaxRefundZeroReason::IndefiniteSuspension as i32
    );
    assert_eq!(eur(&o.remainder.unwrap_or_default().amount), eur("50"));
    Ok(())
}

/// The dossier's structured communication, worked out here independently of the service:
/// base = year × 10⁶ + sequence (10 digits), check = base mod 97 (97 for 0).
fn own_reference(year: u64, sequence: u64) -> String {
    let base = year * 1_000_000 + sequence;
    let check = match base % 97 {
        0 => 97,
        c => c,
    };
    format!("{base:010}{check:02}")
}

#[tokio::test]
async fn what_an_operator_says_about_a_payment_is_kept_and_bad_details_are_refused()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(31);
    c.ledger
        .receive_dossier_event(c.req(activated(&d, NISS_1985)))
        .await?;
    let digits = own_reference(2024, 31);
    let pay = |k: &str| pb::RecordDebtorPaymentRequest {
        idempotency_key: key(k),
        dossier_number: d.clone(),
        amount: money("50.00"),
        received_on: date(2024, 6, 3),
        channel: pb::DebtorPaymentChannel::WageSeizure as i32,
        structured_reference: digits.clone(),
        bank_reference: " EMPLOYER-0603 ".into(),
        note: "employer's transfer\nfor June".into(),
        ..Default::default()
    };
    let recorded = c
        .receipts
        .record_debtor_payment(c.req(pay("details-1")))
        .await?
        .into_inner()
        .payment
        .unwrap_or_default();
    let printed = format!("+++{}/{}/{}+++", &digits[..3], &digits[3..7], &digits[7..]);
    assert_eq!(
        recorded.channel,
        pb::DebtorPaymentChannel::WageSeizure as i32
    );
    assert_eq!(recorded.structured_reference, printed);
    assert_eq!(recorded.bank_reference, "EMPLOYER-0603");
    assert_eq!(recorded.note, "employer's transfer\nfor June");
    let listed = c
        .receipts
        .list_debtor_payments(c.req(pb::ListDebtorPaymentsRequest {
            dossier_number: d.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .payments;
    assert_eq!(listed.len(), 1);
    let mut without_allocation = recorded.clone();
    without_allocation.allocation = None;
    assert_eq!(listed[0], without_allocation);

    // Every bad detail is named, and nothing is booked: texts no field accepts (and the
    // malformed values) first, then everything the RPC checks, in one answer.
    let mut bad = pay("details-bad");
    bad.channel = 999;
    bad.bank_reference = "REF\0".into();
    bad.note = "x".repeat(3 << 20);
    bad.structured_reference = own_reference(2024, 32);
    let refused = assert_code(
        c.receipts.record_debtor_payment(c.req(bad.clone())).await,
        Code::InvalidArgument,
    );
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["bank_reference", "channel", "note"]);
    // A tab passes the widest limit, not the one line a bank reference is; 1,500 characters
    // pass the widest limit, not the note's 1,000.
    bad.bank_reference = "REF\t1".into();
    bad.note = "x".repeat(1_500);
    let refused = assert_code(
        c.receipts.record_debtor_payment(c.req(bad)).await,
        Code::InvalidArgument,
    );
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        ["bank_reference", "channel", "note", "structured_reference"]
    );
    let mut offset = pay("details-offset");
    offset.channel = pb::DebtorPaymentChannel::TaxRefundOffset as i32;
    offset.structured_reference = "123/4567/89000".into();
    let refused = assert_code(
        c.receipts.record_debtor_payment(c.req(offset)).await,
        Code::InvalidArgument,
    );
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["channel", "structured_reference"]);
    let after = c
        .receipts
        .list_debtor_payments(c.req(pb::ListDebtorPaymentsRequest {
            dossier_number: d.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .payments;
    assert_eq!(after.len(), 1, "a refused payment books nothing");
    Ok(())
}

/// A date as the contract carries it.
fn pb_date(d: chrono::NaiveDate) -> Option<pb::Date> {
    use chrono::Datelike;
    date(d.year(), d.month() as i32, d.day() as i32)
}

/// A tax-refund offset takes only the debt enforceable on the day of the proposal: a debt the
/// ledger holds with a value date after that day is left for later, and the certified debt
/// dates from the oldest recognition still part of it.
#[tokio::test]
async fn a_tax_refund_takes_only_the_debt_due_on_the_day_of_the_proposal() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(91);
    c.ledger
        .receive_dossier_event(c.req(activated(&d, NISS_1985)))
        .await?;
    let today = chrono::Utc::now().date_naive();
    let later = today + chrono::Days::new(40);
    // 120 due since 1 February 2024, interest 5 due since 1 March 2024; 300 (a month not yet
    // due) and a fee of 39 recognised ahead with a value date 40 days from now.
    let principal = |m: i32, amount: &str, on| pb::DebtItem {
        component: pb::DebtComponent::Principal as i32,
        creditor_person_id: "child-1".into(),
        month: month(m),
        amount: money(amount),
        enforceable_since: on,
    };
    let items = vec![
        principal(2, "120.00", date(2024, 2, 1)),
        pb::DebtItem {
            component: pb::DebtComponent::Interest as i32,
            creditor_person_id: "child-1".into(),
            amount: money("5.00"),
            enforceable_since: date(2024, 3, 1),
            ..Default::default()
        },
        principal(12, "300.00", pb_date(later)),
        pb::DebtItem {
            component: pb::DebtComponent::Surcharge as i32,
            amount: money("39.00"),
            enforceable_since: pb_date(later),
            ..Default::default()
        },
    ];
    c.ledger
        .recognize_debtor_debt(c.req(pb::RecognizeDebtorDebtRequest {
            idempotency_key: key("due-and-not-yet"),
            dossier_number: d.clone(),
            items,
            basis: "judgment".into(),
        }))
        .await?;
    let propose = |id: &str| pb::ProposeTaxRefundOffsetRequest {
        idempotency_key: key(id),
        refund_id: id.into(),
        taxpayer: nn(NISS_1985),
        refund_amount: money("1000.00"),
        assessment_year: 2025,
        // The tax administration pays after the not-yet-due debt falls due: still not taken.
        planned_payment_date: pb_date(later + chrono::Days::new(10)),
    };
    let o = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("F-1")))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        eur(&o.offset_amount.clone().unwrap_or_default().amount),
        eur("125")
    );
    assert_eq!(
        eur(&o.remainder.clone().unwrap_or_default().amount),
        eur("875")
    );
    assert_eq!(o.parts.len(), 1);
    // The hold counts: a second refund finds nothing enforceable left.
    let o2 = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("F-2")))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        o2.zero_reason,
        pb::TaxRefundZeroReason::NoEnforceableDebt as i32
    );
    // Confirmed once the debtor's pre-offset notice has gone out: before, the tax system is
    // told to wait.
    let confirm = pb::ConfirmTaxRefundOffsetRequest {
        idempotency_key: key("F-1-ok"),
        refund_id: "F-1".into(),
        paid_on: pb_date(today),
    };
    let early = c
        .recovery
        .confirm_tax_refund_offset(c.req(confirm.clone()))
        .await;
    let early = early.err().map(|s| common::reason(&s));
    assert_eq!(early.as_deref(), Some("PRE_OFFSET_NOTICE_PENDING"));
    let feed = c.acknowledge_casework().await?;
    let notices: Vec<&pb::LetterRequest> = feed
        .iter()
        .filter(|e| e.kind() == pb::CaseworkEventKind::LetterRequested)
        .filter_map(|e| e.letter.as_ref())
        .filter(|l| l.kind() == pb::LetterKind::PreOffsetNotice)
        .collect();
    assert!(
        !notices.is_empty(),
        "the proposal requested the debtor's notice"
    );
    // 339 is owed once the rest falls due (the ledger as of that day), none of it due today,
    // so a third refund takes nothing.
    c.recovery.confirm_tax_refund_offset(c.req(confirm)).await?;
    let after = c.acknowledge_casework().await?;
    assert!(
        after.iter().any(|e| e
            .letter
            .as_ref()
            .is_some_and(|l| l.kind() == pb::LetterKind::PostOffsetNotice)),
        "the confirmation requested the post-offset notice"
    );
    let ledger = c
        .ledger
        .get_dossier_ledger(c.req(pb::GetDossierLedgerRequest {
            dossier_number: d.clone(),
            as_of: pb_date(later),
        }))
        .await?
        .into_inner();
    assert_eq!(
        eur(&ledger.debtor_outstanding.unwrap_or_default().amount),
        eur("339")
    );
    let o3 = c
        .recovery
        .propose_tax_refund_offset(c.req(propose("F-3")))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        o3.zero_reason,
        pb::TaxRefundZeroReason::NoEnforceableDebt as i32
    );
    Ok(())
}

/// The certified debt's `since` is the value date of the oldest recognition made since the
/// debt last stood at zero: not the day of the refresh, and not a date from before a settlement.
#[tokio::test]
async fn a_certified_debt_dates_from_the_oldest_recognition_since_it_last_stood_at_zero()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(92);
    c.ledger
        .receive_dossier_event(c.req(activated(&d, NISS_1985)))
        .await?;
    let recognise = |k: &str, items: Vec<(i32, &str)>| pb::RecognizeDebtorDebtRequest {
        idempotency_key: key(k),
        dossier_number: d.clone(),
        items: items
            .into_iter()
            .map(|(m, amount)| pb::DebtItem {
                component: pb::DebtComponent::Principal as i32,
                creditor_person_id: "child-1".into(),
                month: month(m),
                amount: money(amount),
                enforceable_since: date(2024, m, 1),
            })
            .collect(),
        basis: "judgment".into(),
    };
    let certified = |c: &mut Ctx| {
        let r = c.req(pb::ListCertifiedDebtsRequest {
            page: None,
            changed_after_sequence: 0,
        });
        let mut client = c.recovery.clone();
        async move {
            let debts = client.list_certified_debts(r).await?.into_inner().debts;
            anyhow::Ok(
                debts
                    .into_iter()
                    .find(|x| x.debtor.as_ref().map(|n| n.value.as_str()) == Some(NISS_1985)),
            )
        }
    };
    // March recognised first, then February: since is February's value date.
    c.ledger
        .recognize_debtor_debt(c.req(recognise("k-1", vec![(3, "50.00")])))
        .await?;
    c.ledger
        .recognize_debtor_debt(c.req(recognise("k-2", vec![(2, "100.00")])))
        .await?;
    let debt = certified(&mut c).await?.unwrap_or_default();
    assert_eq!(
        eur(&debt.amount.clone().unwrap_or_default().amount),
        eur("150")
    );
    assert_eq!(debt.since, date(2024, 2, 1));
    assert!(!debt.withdrawn);
    // Settled in full: no longer certified.
    c.receipts
        .record_debtor_payment(c.req(pb::RecordDebtorPaymentRequest {
            idempotency_key: key("k-pay"),
            dossier_number: d.clone(),
            amount: money("150.00"),
            received_on: date(2024, 4, 10),
            ..Default::default()
        }))
        .await?;
    assert_eq!(certified(&mut c).await?, None);
    // A new debt for May: certified again, since May, not February.
    c.ledger
        .recognize_debtor_debt(c.req(recognise("k-3", vec![(5, "80.00")])))
        .await?;
    let debt = certified(&mut c).await?.unwrap_or_default();
    assert_eq!(
        eur(&debt.amount.clone().unwrap_or_default().amount),
        eur("80")
    );
    assert_eq!(debt.since, date(2024, 5, 1));
    Ok(())
}

/// Bad input is INVALID_ARGUMENT naming each field, with nothing stored: several bad rows of
/// one CreateLedgerTransfers are each named (a row answered only its first problem, and a
/// NUL in a description was INTERNAL); an amount written with a space is refused as by every
/// method (one amount parser); impossible planned payment dates are refused (they were stored).
/// Debts recognised at the same moment on two dossiers of one debtor all reach the certified
/// debt: each booking rewrites the debtor's certified debt before it commits, and the second
/// of two concurrent ones must count the first (it read the ledger before the first committed
/// and overwrote its figure, before the rewrite took the debtor's lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_debts_of_one_debtor_all_reach_the_certified_debt() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let (d1, d2) = (dossier(93), dossier(94));
    for d in [&d1, &d2] {
        c.ledger
            .receive_dossier_event(c.req(activated(d, NISS_1985)))
            .await?;
    }
    let recognise = |d: &str, k: String| pb::RecognizeDebtorDebtRequest {
        idempotency_key: key(&k),
        dossier_number: d.to_owned(),
        items: vec![pb::DebtItem {
            component: pb::DebtComponent::Principal as i32,
            creditor_person_id: "child-1".into(),
            month: month(3),
            amount: money("1.00"),
            enforceable_since: date(2024, 3, 1),
        }],
        basis: "judgment".into(),
    };
    // Pairs of calls, one per dossier, 16 calls in flight (under the service's limit).
    const ROUNDS: usize = 200;
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut calls: Vec<tokio::task::JoinHandle<Result<(), tonic::Status>>> = Vec::new();
    for i in 0..ROUNDS {
        for d in [&d1, &d2] {
            let mut ledger = c.ledger.clone();
            let r = c.req(recognise(d, format!("race-{d}-{i}")));
            let gate = gate.clone();
            calls.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await;
                ledger.recognize_debtor_debt(r).await.map(drop)
            }));
        }
    }
    for call in calls {
        call.await??;
    }
    let debts = c
        .recovery
        .list_certified_debts(c.req(pb::ListCertifiedDebtsRequest {
            page: None,
            changed_after_sequence: 0,
        }))
        .await?
        .into_inner()
        .debts;
    let debt = debts
        .iter()
        .find(|x| x.debtor.as_ref().map(|n| n.value.as_str()) == Some(NISS_1985))
        .and_then(|x| x.amount.clone())
        .unwrap_or_default();
    assert_eq!(eur(&debt.amount), eur(&format!("{}", 2 * ROUNDS)));
    Ok(())
}

#[tokio::test]
async fn bad_rows_padded_amounts_and_impossible_dates_are_refused_by_name() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-bad").await?;
    let payable = format!("payable/{}/child-1", dossier(1));
    let mut nul = spec(
        "bad-1",
        "advances-funding",
        &payable,
        "10.00",
        pb::TransferCode::Advance,
    );
    nul.description = "a\0b".into();
    let padded = spec(
        "bad-2",
        "advances-funding",
        &payable,
        " 12.50",
        pb::TransferCode::Advance,
    );
    let mut many = spec("bad-3", "", "", "1e3", pb::TransferCode::Advance);
    many.value_date = date(2023, 2, 30);
    // A text no field accepts is refused before the RPC's own checks, with every malformed
    // value of the request; the checks that need readable texts come once it is mended.
    let refused = c
        .transfers("bad-rows", vec![nul.clone(), padded.clone(), many.clone()])
        .await;
    let status = assert_code(refused, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "transfers[0].description",
            "transfers[1].amount",
            "transfers[2].amount",
            "transfers[2].value_date",
        ]
    );
    assert!(status.message().contains("transfers[0].description"));
    nul.description = "one line".into();
    let refused = c.transfers("bad-rows", vec![nul, padded, many]).await;
    let status = assert_code(refused, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "transfers[1].amount",
            "transfers[2].debit_account_id",
            "transfers[2].credit_account_id",
            "transfers[2].amount",
            "transfers[2].value_date",
        ]
    );

    let payment = pb::RecordDebtorPaymentRequest {
        idempotency_key: key("padded-payment"),
        dossier_number: dossier(7),
        amount: money(" 12.50"),
        received_on: date(2024, 5, 2),
        ..Default::default()
    };
    let refused = c.receipts.record_debtor_payment(c.req(payment)).await;
    let status = assert_code(refused, Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["amount.amount"]);

    for (i, (y, m, d)) in [(2023, 2, 30), (0, 1, 1), (2023, 13, 1), (99999, 1, 1)]
        .into_iter()
        .enumerate()
    {
        let propose = pb::ProposeTaxRefundOffsetRequest {
            idempotency_key: key(&format!("planned-{i}")),
            refund_id: format!("R-{i}"),
            taxpayer: nn(NISS_1985),
            refund_amount: money("100.00"),
            assessment_year: 2025,
            planned_payment_date: date(y, m, d),
        };
        let refused = c.recovery.propose_tax_refund_offset(c.req(propose)).await;
        let status = assert_code(refused, Code::InvalidArgument);
        assert_eq!(
            violated_fields(&status),
            ["planned_payment_date"],
            "{y}-{m}-{d}"
        );
    }
    let admin = c.suite.admin_pool().await?;
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM payments.ledger_transfers) \
              + (SELECT count(*) FROM payments.debtor_payments) \
              + (SELECT count(*) FROM payments.tax_refund_offsets)",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!(stored, 0, "nothing stored for the refused calls");
    Ok(())
}

/// Accounts without a balance rule (advances funding, bank, fee income, …) keep their totals
/// in slots chosen by the booking transaction, so that concurrent bookings on them do not
/// wait for one another (payments migration 0020). Their totals stay exact — a reservation
/// made in one transaction and posted in another nets out — and ruled accounts keep their
/// totals in their row, where the balance rules judge every booking.
#[tokio::test]
async fn hot_accounts_spread_over_slots_and_keep_exact_totals() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = dossier(77);
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..48 {
        let payable = format!("payable/{d}/child-{}", i % 3);
        let id = format!("hot-{i}");
        let r = c.req(pb::CreateLedgerTransfersRequest {
            idempotency_key: key(&id),
            transfers: vec![spec(
                &id,
                "advances-funding",
                &payable,
                "1.75",
                pb::TransferCode::Advance,
            )],
        });
        let mut ledger = c.ledger.clone();
        calls.spawn(async move { ledger.create_ledger_transfers(r).await });
    }
    while let Some(answer) = calls.join_next().await {
        answer??;
    }
    let payable = format!("payable/{d}/child-0");
    let mut hold = spec(
        "hot-hold",
        "advances-funding",
        &payable,
        "5.00",
        pb::TransferCode::Advance,
    );
    hold.pending = true;
    hold.timeout_seconds = 3600;
    c.transfers("hot-hold", vec![hold]).await?;
    c.ledger
        .post_pending_transfer(c.req(pb::PostPendingTransferRequest {
            idempotency_key: key("hot-post"),
            pending_transfer_id: "hot-hold".into(),
            transfer_id: "hot-hold/post".into(),
            amount: None,
        }))
        .await?;
    // A ruled account still refuses what would break its rule.
    let beyond = spec(
        "hot-beyond",
        &payable,
        &format!("paid-out/{d}/child-0"),
        "999.00",
        pb::TransferCode::Payout,
    );
    assert_code(
        c.transfers("hot-beyond", vec![beyond]).await,
        Code::FailedPrecondition,
    );

    let pool = c.suite.admin_pool().await?;
    let (funding_slots, ruled_slots): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE a.code = 'advances-funding'),
                count(*) FILTER (WHERE a.balance_rule <> 1)
           FROM payments.ledger_account_slots s
           JOIN payments.ledger_accounts a ON a.id = s.account_id",
    )
    .fetch_one(&pool)
    .await?;
    assert!(funding_slots > 1, "{funding_slots} slots");
    assert_eq!(ruled_slots, 0);
    // Every account's totals equal a recomputation from its transfers.
    let rows: Vec<(String, [i64; 4], [i64; 4])> = sqlx::query_as::<_, (String, i64, i64, i64, i64, i64, i64, i64, i64)>(
        "SELECT a.code, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
                COALESCE(sum(t.amount) FILTER (WHERE t.debit_account = a.id AND t.state = 2), 0)::bigint,
                COALESCE(sum(t.amount) FILTER (WHERE t.credit_account = a.id AND t.state = 2), 0)::bigint,
                COALESCE(sum(t.amount) FILTER (WHERE t.debit_account = a.id AND t.state = 1
                                                 AND s.id IS NULL), 0)::bigint,
                COALESCE(sum(t.amount) FILTER (WHERE t.credit_account = a.id AND t.state = 1
                                                 AND s.id IS NULL), 0)::bigint
           FROM payments.ledger_account_totals a
           LEFT JOIN payments.ledger_transfers t
                  ON t.debit_account = a.id OR t.credit_account = a.id
           LEFT JOIN payments.ledger_transfers s ON s.pending_id = t.id
          GROUP BY a.code, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending",
    )
    .fetch_all(&pool)
    .await?
    .into_iter()
    .map(|(code, a, b, e, f, g, h, i, j)| (code, [a, b, e, f], [g, h, i, j]))
    .collect();
    for (code, kept, recomputed) in &rows {
        assert_eq!(kept, recomputed, "{code}");
    }
    let funding = rows.iter().find(|r| r.0 == "advances-funding");
    assert_eq!(funding.map(|r| r.1), Some([48 * 175 + 500, 0, 0, 0]));
    Ok(())
}
