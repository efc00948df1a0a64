//! Bank statement import (camt.053) through gRPC against a real Postgres: a credit carrying
//! the dossier's structured communication becomes an allocated debtor payment, the others
//! wait in the unmatched list with their money in suspense, a person resolves one, a
//! re-import changes nothing and the ledger stays balanced.

use crate::common;

use common::{assert_code, date, key, money, nn};
use secal_domain::{DossierNumber, StructuredReference};
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::Svc;
use tonic::Code;

type Ctx = common::PaymentsCtx;

impl Ctx {
    async fn import(
        &mut self,
        k: &str,
        xml: &str,
    ) -> Result<pb::ImportBankStatementResponse, tonic::Status> {
        let r = self.req(pb::ImportBankStatementRequest {
            idempotency_key: key(k),
            camt053: xml.as_bytes().to_vec(),
            file_name: "statement.xml".into(),
        });
        Ok(self.receipts.import_bank_statement(r).await?.into_inner())
    }

    async fn unmatched(
        &mut self,
        size: i32,
        token: &str,
    ) -> anyhow::Result<pb::ListUnmatchedStatementLinesResponse> {
        let r = self.req(pb::ListUnmatchedStatementLinesRequest {
            page: Some(pb::PageRequest {
                page_size: size,
                page_token: token.into(),
            }),
            statement_id: String::new(),
        });
        Ok(self
            .receipts
            .list_unmatched_statement_lines(r)
            .await?
            .into_inner())
    }
}

fn eur(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_default()
}

/// One booked entry of a camt.053 statement.
fn entry(bank_ref: &str, amount: &str, cdt_dbt: &str, name: &str, remittance: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{cdt_dbt}</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-05-20</Dt></BookgDt><ValDt><Dt>2024-05-20</Dt></ValDt>
<AcctSvcrRef>{bank_ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr>
<DbtrAcct><Id><IBAN>BE71096123456769</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"#
    )
}

fn structured(reference: &str) -> String {
    format!(
        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>\
         <Ref>{reference}</Ref></CdtrRefInf></Strd>"
    )
}

fn statement(entries: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>STMT-20240520</MsgId><CreDtTm>2024-05-20T22:00:00+02:00</CreDtTm></GrpHdr>
<Stmt><Id>BE68539007547034-2024-05-20</Id><CreDtTm>2024-05-20T22:00:00+02:00</CreDtTm>
<Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">245.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-20</Dt></Dt></Bal>
{}
</Stmt></BkToCstmrStmt></Document>"#,
        entries.concat()
    )
}

fn activated(d: &str) -> pb::ReceiveDossierEventRequest {
    let id = "00000000-0000-4000-8000-000000000531".to_owned();
    common::dossier_event(
        &id,
        1,
        pb::DossierSnapshot {
            dossier_number: d.into(),
            status: pb::DossierStatus::Active as i32,
            applicant: Some(pb::DossierPerson {
                person_id: "applicant-1".into(),
                family_name: "Dupont".into(),
                given_names: "Marie".into(),
                ..Default::default()
            }),
            debtor: Some(pb::DossierPerson {
                person_id: "debtor-1".into(),
                national_number: nn(common::NISS_1985),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn statement_credits_are_matched_parked_resolved_and_never_booked_twice() -> anyhow::Result<()>
{
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = DossierNumber::new(2024, 31)?.to_string();
    c.ledger.receive_dossier_event(c.req(activated(&d))).await?;
    // May 2024: 200 owed to child-1.
    c.ledger
        .recognize_debtor_debt(c.req(pb::RecognizeDebtorDebtRequest {
            idempotency_key: key("debt"),
            dossier_number: d.clone(),
            items: vec![pb::DebtItem {
                component: pb::DebtComponent::Principal as i32,
                creditor_person_id: "child-1".into(),
                month: Some(pb::YearMonth {
                    year: 2024,
                    month: 5,
                }),
                amount: money("200.00"),
                enforceable_since: date(2024, 5, 1),
            }],
            basis: "mandate".into(),
        }))
        .await?;
    // The dossier's communication: base YYYYNNNNNN = 2024000031, check digits mod 97.
    let ours = StructuredReference::from_base(2_024_000_031)?;
    assert_eq!(ours.to_string(), "+++202/4000/03168+++");
    let unknown = StructuredReference::from_base(2_024_000_099)?;
    let xml = statement(&[
        entry(
            "BR-1",
            "150.00",
            "CRDT",
            "Jan Peeters",
            &structured(&ours.digits()),
        ),
        entry(
            "BR-2",
            "80.00",
            "CRDT",
            "Jan Peeters",
            "<Ustrd>pension mai</Ustrd>",
        ),
        entry("BR-3", "30.00", "DBIT", "Bank", "<Ustrd>fees</Ustrd>"),
        entry(
            "BR-4",
            "45.00",
            "CRDT",
            "Luc Maes",
            &structured(&unknown.digits()),
        ),
    ]);
    // The statement the test imports is one a bank could send.
    secal_testkit::xml::validate(xml.as_bytes(), "camt.053.001.02.xsd")?;

    let first = c.import("imp-1", &xml).await?;
    let s = first.statement.clone().unwrap_or_default();
    assert_eq!(
        (
            s.entry_count,
            s.matched_count,
            s.unmatched_count,
            s.ignored_count,
            s.duplicate_count
        ),
        (4, 1, 2, 1, 0)
    );
    assert_eq!(
        eur(&s.matched_amount.unwrap_or_default().amount),
        eur("150")
    );
    assert_eq!(
        eur(&s.unmatched_amount.unwrap_or_default().amount),
        eur("125")
    );
    let refs: Vec<_> = first
        .unmatched_lines
        .iter()
        .map(|l| l.bank_reference.as_str())
        .collect();
    assert_eq!(refs, ["BR-2", "BR-4"]);
    assert!(
        first
            .unmatched_lines
            .iter()
            .all(|l| !l.resolution_note.is_empty())
    );

    // The matched credit is a debtor payment, allocated to May (payable to the creditor).
    let payments = c
        .receipts
        .list_debtor_payments(c.req(pb::ListDebtorPaymentsRequest {
            dossier_number: d.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .payments;
    assert_eq!(payments.len(), 1);
    assert_eq!(
        eur(&payments[0].amount.clone().unwrap_or_default().amount),
        eur("150")
    );
    // Listed with the statement line it came from and that line's references.
    assert_eq!(payments[0].bank_reference, "BR-1");
    assert!(!payments[0].statement_line_id.is_empty());
    assert_eq!(
        payments[0].structured_reference.len(),
        12,
        "electronic form"
    );
    let payable = format!("payable/{d}/child-1");
    assert_eq!(c.balance(&payable).await?, eur("150"));
    assert_eq!(c.balance("suspense").await?, eur("125"));
    assert_eq!(
        c.balance("bank").await?,
        eur("275"),
        "debits are not debtor payments"
    );

    // The unmatched list, one per page, oldest first.
    let p1 = c.unmatched(1, "").await?;
    let token = p1.page.clone().unwrap_or_default().next_page_token;
    assert_eq!(p1.lines.len(), 1);
    assert!(!token.is_empty());
    let p2 = c.unmatched(1, &token).await?;
    assert_eq!(p2.lines.len(), 1);
    assert_eq!(p2.lines[0].bank_reference, "BR-4");
    let line = p1.lines[0].clone();
    assert_eq!(line.bank_reference, "BR-2");
    assert_eq!(line.counterparty_name, "Jan Peeters");
    assert_eq!(
        line.counterparty_iban.clone().unwrap_or_default().value,
        "BE71096123456769"
    );

    // A person assigns BR-2 to the dossier for May: 50 completes May, 30 is unallocated.
    let resolve = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-1"),
        line_id: line.line_id.clone(),
        resolution: pb::StatementLineResolutionKind::Assigned as i32,
        dossier_number: d.clone(),
        for_month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        note: "the debtor phoned: May".into(),
    };
    let done = c
        .receipts
        .resolve_statement_line(c.req(resolve.clone()))
        .await?
        .into_inner();
    let again = c
        .receipts
        .resolve_statement_line(c.req(resolve.clone()))
        .await?
        .into_inner();
    assert_eq!(done, again, "a retry answers as the first time");
    let payment = done.payment.clone().unwrap_or_default();
    let alloc = payment.allocation.unwrap_or_default();
    assert_eq!(
        eur(&alloc.unallocated.unwrap_or_default().amount),
        eur("30")
    );
    assert_eq!(
        done.line.unwrap_or_default().status,
        pb::StatementLineStatus::Resolved as i32
    );
    assert_eq!(c.balance(&payable).await?, eur("200"));
    assert_eq!(c.balance("suspense").await?, eur("45"));
    let mut other = resolve.clone();
    other.idempotency_key = key("res-2");
    assert_code(
        c.receipts.resolve_statement_line(c.req(other)).await,
        Code::FailedPrecondition,
    );
    let mut no_note = resolve.clone();
    no_note.idempotency_key = key("res-3");
    no_note.note = " ".into();
    let st = assert_code(
        c.receipts.resolve_statement_line(c.req(no_note)).await,
        Code::InvalidArgument,
    );
    assert_eq!(common::violated_fields(&st), ["note"]);

    // BR-4 goes back to its sender: no payment, but a payout of 45 to the account the line
    // came from, in a pain.001 file of its own; its money leaves suspense for the bank when
    // the bank executes it, never before. A retry books nothing twice.
    let br4 = p2.lines[0].line_id.clone();
    let ret = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-4"),
        line_id: br4.clone(),
        resolution: pb::StatementLineResolutionKind::ReturnToSender as i32,
        note: "no such dossier".into(),
        ..Default::default()
    };
    let r = c
        .receipts
        .resolve_statement_line(c.req(ret.clone()))
        .await?
        .into_inner();
    assert!(r.payment.is_none());
    let again = c
        .receipts
        .resolve_statement_line(c.req(ret.clone()))
        .await?;
    assert_eq!(again.into_inner(), r);
    let mut twice = ret.clone();
    twice.idempotency_key = key("res-5");
    assert_code(
        c.receipts.resolve_statement_line(c.req(twice)).await,
        Code::FailedPrecondition,
    );
    let refund = r.refund.clone().unwrap_or_default();
    assert_eq!(refund.refund_of_statement_line_id, br4);
    assert_eq!(refund.state, pb::PayoutState::Pending as i32);
    assert_eq!(
        eur(&refund.amount.clone().unwrap_or_default().amount),
        eur("45")
    );
    let payee = refund.payee.clone().unwrap_or_default();
    assert_eq!(payee.iban.unwrap_or_default().value, "BE71096123456769");
    assert_eq!(payee.holder_name, "Luc Maes");
    assert!(refund.dossier_number.is_empty() && refund.payout_account_id.is_empty());
    let file = c
        .payouts
        .get_payout_batch(c.req(pb::GetPayoutBatchRequest {
            batch_id: refund.batch_id.clone(),
            include_file: true,
        }))
        .await?
        .into_inner();
    secal_testkit::xml::validate(&file.pain001, "pain.001.001.03.xsd")?;
    let pain = String::from_utf8(file.pain001)?;
    assert!(pain.contains("<IBAN>BE71096123456769</IBAN>") && pain.contains(">45.00<"));
    assert!(pain.contains(&refund.end_to_end_id));
    assert!(c.unmatched(10, "").await?.lines.is_empty());
    // Still in suspense (pending) until the bank executes the refund.
    assert_eq!(c.balance("suspense").await?, eur("45"));
    let suspense_transfers = async |c: &mut Ctx| -> anyhow::Result<Vec<pb::LedgerTransfer>> {
        let r = c.req(pb::ListLedgerTransfersRequest {
            account_id: "suspense".into(),
            ..Default::default()
        });
        Ok(c.ledger
            .list_ledger_transfers(r)
            .await?
            .into_inner()
            .transfers)
    };
    let out: Vec<_> = suspense_transfers(&mut c)
        .await?
        .into_iter()
        .filter(|t| t.code == pb::TransferCode::Payout as i32)
        .collect();
    assert_eq!(out.len(), 1, "one refund: {out:?}");
    assert_eq!(out[0].transfer_id, refund.pending_transfer_id);
    assert_eq!(
        (
            out[0].debit_account_id.as_str(),
            out[0].credit_account_id.as_str()
        ),
        ("suspense", "bank")
    );
    assert_eq!(out[0].reference, refund.end_to_end_id);
    assert_eq!(out[0].state, pb::TransferState::Pending as i32);

    // The bank returns the refund (closed account): the money is in suspense again and the
    // line waits for a person again, saying why.
    c.payouts
        .record_payout_return(c.req(pb::RecordPayoutReturnRequest {
            idempotency_key: key("ret-refund"),
            payout_id: refund.payout_id.clone(),
            returned_on: common::today(),
            reason_code: "AC04".into(),
            ..Default::default()
        }))
        .await?;
    assert_eq!(c.balance("suspense").await?, eur("45"));
    let waiting = c.unmatched(10, "").await?.lines;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].line_id, br4);
    assert!(waiting[0].resolution_note.contains("AC04"), "{waiting:?}");

    // Returned again, to the sender's account the statement named; the bank executes it.
    let mut ret2 = ret.clone();
    ret2.idempotency_key = key("res-6");
    ret2.note = "the sender gave the right account".into();
    let r2 = c
        .receipts
        .resolve_statement_line(c.req(ret2))
        .await?
        .into_inner();
    let refund2 = r2.refund.unwrap_or_default();
    assert_ne!(refund2.payout_id, refund.payout_id);
    c.payouts
        .confirm_payouts(c.req(pb::ConfirmPayoutsRequest {
            idempotency_key: key("conf-refund"),
            batch_id: refund2.batch_id.clone(),
            payout_ids: vec![],
            booked_on: common::today(),
            bank_reference: "bank-refund".into(),
        }))
        .await?;
    assert_eq!(c.balance("suspense").await?, eur("0"));
    assert_eq!(
        c.balance("bank").await?,
        eur("230"),
        "275 received − 45 sent back"
    );
    let (refunds, settled): (Vec<_>, Vec<_>) = suspense_transfers(&mut c)
        .await?
        .into_iter()
        .filter(|t| t.code == pb::TransferCode::Payout as i32)
        .partition(|t| t.pending_transfer_id.is_empty());
    assert_eq!(refunds.len(), 2, "the returned refund and the executed one");
    let mut states: Vec<_> = settled
        .iter()
        .map(|t| (t.pending_transfer_id.clone(), t.state))
        .collect();
    states.sort();
    let mut want = vec![
        (
            refund.pending_transfer_id.clone(),
            pb::TransferState::Voided as i32,
        ),
        (
            refund2.pending_transfer_id.clone(),
            pb::TransferState::Posted as i32,
        ),
    ];
    want.sort();
    assert_eq!(states, want);

    // Re-importing the statement (another key) books nothing and answers as the first time.
    let pool = c.suite.admin_pool().await?;
    let count = "SELECT (SELECT count(*) FROM payments.ledger_transfers) + (SELECT count(*) FROM payments.debtor_payments)";
    let before: i64 = sqlx::query_scalar(count).fetch_one(&pool).await?;
    let second = c.import("imp-2", &xml).await?;
    assert_eq!(second, first);
    let after: i64 = sqlx::query_scalar(count).fetch_one(&pool).await?;
    assert_eq!(before, after);

    // Bad XML is INVALID_ARGUMENT naming the camt.053 element.
    let broken = statement(&[entry("BR-9", "1.00", "CRDT", "X", "")])
        .replace("<Amt Ccy=\"EUR\">1.00</Amt>", "");
    let st = assert_code(c.import("imp-3", &broken).await, Code::InvalidArgument);
    let fields = common::violated_fields(&st);
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("camt053: ") && f.contains("Ntry")),
        "{fields:?}"
    );

    // Double entry holds.
    let (debits, credits): (i64, i64) = sqlx::query_as(
        "SELECT sum(debits_posted)::bigint, sum(credits_posted)::bigint FROM payments.ledger_account_totals",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(debits, credits);
    Ok(())
}

/// A returned credit transfer as the bank reports it on SECAL's account: money back in,
/// sub-family RRTN, the end-to-end id our pain.001 gave, and the reason when the bank says.
fn returned(bank_ref: &str, amount: &str, e2e: &str, reason: Option<&str>) -> String {
    let rtr = reason
        .map(|r| {
            format!("<RtrInf><Rsn><Cd>{r}</Cd></Rsn><AddtlInf>Account closed</AddtlInf></RtrInf>")
        })
        .unwrap_or_default();
    format!(
        r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-06-12</Dt></BookgDt><ValDt><Dt>2024-06-12</Dt></ValDt>
<AcctSvcrRef>{bank_ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
<RltdPties><Cdtr><Nm>Marie Dupont</Nm></Cdtr>
<CdtrAcct><Id><IBAN>BE71096123456769</IBAN></Id></CdtrAcct></RltdPties>
{rtr}</TxDtls></NtryDtls></Ntry>"#
    )
}

#[tokio::test]
async fn payouts_returned_in_a_statement_go_back_to_payable_once() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let second = c
        .suite
        .agent_token("agent-two", &[roles::PAYMENTS_OPERATOR])?;
    let d = DossierNumber::new(2024, 41)?.to_string();
    c.ledger.receive_dossier_event(c.req(activated(&d))).await?;
    let (pay1, pay2) = (
        format!("payable/{d}/child-1"),
        format!("payable/{d}/child-2"),
    );
    let (out1, out2) = (
        format!("paid-out/{d}/child-1"),
        format!("paid-out/{d}/child-2"),
    );
    let fund = |id: &str, acct: &str, amount: &str| pb::LedgerTransferSpec {
        transfer_id: id.into(),
        debit_account_id: "advances-funding".into(),
        credit_account_id: acct.into(),
        amount: money(amount),
        code: pb::TransferCode::Advance as i32,
        value_date: date(2024, 5, 2),
        ..Default::default()
    };
    c.ledger
        .create_ledger_transfers(c.req(pb::CreateLedgerTransfersRequest {
            idempotency_key: key("fund"),
            transfers: vec![fund("f1", &pay1, "120.00"), fund("f2", &pay2, "80.00")],
        }))
        .await?;
    c.confirmed_payout_account(&d, &second).await?;
    let batch = c
        .payouts
        .create_payout_batch(c.req(pb::CreatePayoutBatchRequest {
            idempotency_key: key("batch"),
            requested_execution_date: common::today(),
            dossier_numbers: vec![d.clone()],
            max_payouts: 0,
        }))
        .await?
        .into_inner();
    let payout = |creditor: &str| {
        batch
            .payouts
            .iter()
            .find(|p| p.creditor_person_id == creditor)
            .cloned()
            .unwrap_or_default()
    };
    let (p1, p2) = (payout("child-1"), payout("child-2"));
    c.payouts
        .confirm_payouts(c.req(pb::ConfirmPayoutsRequest {
            idempotency_key: key("conf"),
            batch_id: batch.batch.clone().unwrap_or_default().batch_id,
            payout_ids: vec![],
            booked_on: date(2024, 6, 3),
            bank_reference: "bank-1".into(),
        }))
        .await?;
    assert_eq!(c.balance(&out1).await?, eur("120"));
    // child-2's return reaches us first by RecordPayoutReturn; the statement repeats it.
    c.payouts
        .record_payout_return(c.req(pb::RecordPayoutReturnRequest {
            idempotency_key: key("ret-2"),
            payout_id: p2.payout_id.clone(),
            returned_on: date(2024, 6, 11),
            reason_code: "AC01".into(),
            ..Default::default()
        }))
        .await?;
    assert_eq!(c.balance(&pay2).await?, eur("80"));

    let xml = statement(&[
        returned("RT-1", "120.00", &p1.end_to_end_id, Some("AC04")),
        returned("RT-2", "80.00", &p2.end_to_end_id, None),
        returned("RT-3", "12.00", "NOT-OURS-7", Some("MS03")),
        // Not the payout's whole amount: a person looks at it.
        returned("RT-4", "99.00", &p1.end_to_end_id, Some("AC04")),
    ]);
    secal_testkit::xml::validate(xml.as_bytes(), "camt.053.001.02.xsd")?;
    let first = c.import("imp-r1", &xml).await?;
    let s = first.statement.clone().unwrap_or_default();
    assert_eq!(
        (
            s.matched_count,
            s.unmatched_count,
            s.ignored_count,
            s.duplicate_count
        ),
        (2, 2, 0, 0)
    );
    let left: Vec<_> = first
        .unmatched_lines
        .iter()
        .map(|l| (l.bank_reference.as_str(), l.resolution_note.as_str()))
        .collect();
    assert_eq!(left.len(), 2);
    assert!(
        left[0].0 == "RT-3" && left[0].1.contains("NOT-OURS-7"),
        "{left:?}"
    );
    assert!(
        left[1].0 == "RT-4" && left[1].1.contains(&p1.payout_id),
        "{left:?}"
    );

    // By hand: both payouts are payable again, nothing paid out; the unmatched returns wait
    // in suspense; child-2's return was booked once, not twice.
    assert_eq!(c.balance(&pay1).await?, eur("120"));
    assert_eq!(c.balance(&out1).await?, eur("0"));
    assert_eq!(c.balance(&pay2).await?, eur("80"));
    assert_eq!(c.balance(&out2).await?, eur("0"));
    assert_eq!(
        c.balance("suspense").await?,
        eur("111"),
        "12 + 99 wait for a person"
    );
    let returns = c
        .payouts
        .list_payouts(c.req(pb::ListPayoutsRequest {
            dossier_number: d.clone(),
            state: pb::PayoutState::Returned as i32,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .payouts;
    let reason = |id: &str| {
        returns
            .iter()
            .find(|p| p.payout_id == id)
            .and_then(|p| p.return_info.clone())
            .map(|r| r.reason_code)
    };
    assert_eq!(reason(&p1.payout_id).as_deref(), Some("AC04"));
    assert_eq!(reason(&p2.payout_id).as_deref(), Some("AC01"), "kept");
    // The same path as RecordPayoutReturn: it now finds the payout returned.
    let again = c
        .payouts
        .record_payout_return(c.req(pb::RecordPayoutReturnRequest {
            idempotency_key: key("ret-1"),
            end_to_end_id: p1.end_to_end_id.clone(),
            returned_on: date(2024, 6, 12),
            reason_code: "AC04".into(),
            ..Default::default()
        }))
        .await;
    assert_code(again, Code::FailedPrecondition);

    // Re-importing books nothing.
    let pool = c.suite.admin_pool().await?;
    let count = "SELECT count(*) FROM payments.ledger_transfers";
    let before: i64 = sqlx::query_scalar(count).fetch_one(&pool).await?;
    assert_eq!(c.import("imp-r2", &xml).await?, first);
    let after: i64 = sqlx::query_scalar(count).fetch_one(&pool).await?;
    assert_eq!(before, after);
    let (debits, credits): (i64, i64) = sqlx::query_as(
        "SELECT sum(debits_posted)::bigint, sum(credits_posted)::bigint FROM payments.ledger_account_totals",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(debits, credits);
    Ok(())
}

#[tokio::test]
async fn a_statement_of_another_account_is_refused_and_nothing_is_stored() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    let d = DossierNumber::new(2024, 34)?.to_string();
    c.ledger.receive_dossier_event(c.req(activated(&d))).await?;
    let reference = StructuredReference::from_base(2_024_000_034)?.digits();
    // A credit with the dossier's reference, but on someone else's account (not ours).
    let xml = statement(&[entry(
        "OTHER-1",
        "50.00",
        "CRDT",
        "Dupont",
        &structured(&reference),
    )])
    .replace("BE68539007547034", "BE71096123456769");
    let st = assert_code(c.import("imp-other", &xml).await, Code::InvalidArgument);
    assert_eq!(
        common::violated_fields(&st),
        ["camt053: BkToCstmrStmt/Stmt/Acct/Id/IBAN"]
    );
    let pool = c.suite.admin_pool().await?;
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM payments.bank_statements)
              + (SELECT count(*) FROM payments.statement_lines)
              + (SELECT count(*) FROM payments.debtor_payments)
              + (SELECT count(*) FROM payments.ledger_transfers)",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(stored, 0, "nothing stored");
    Ok(())
}

#[tokio::test]
async fn a_line_without_the_senders_account_cannot_be_returned_and_stays_in_suspense()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Payments], "agent-pay").await?;
    // The bank named no account for the sender: there is nowhere to send the money back.
    let xml = statement(&[
        entry("NA-1", "30.00", "CRDT", "Unknown", "<Ustrd>?</Ustrd>").replace(
            "<DbtrAcct><Id><IBAN>BE71096123456769</IBAN></Id></DbtrAcct>",
            "",
        ),
    ]);
    let line = c.import("imp-na", &xml).await?.unmatched_lines[0].clone();
    assert!(line.counterparty_iban.is_none(), "{line:?}");
    let ret = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-na"),
        line_id: line.line_id.clone(),
        resolution: pb::StatementLineResolutionKind::ReturnToSender as i32,
        note: "not ours".into(),
        ..Default::default()
    };
    let st = assert_code(
        c.receipts.resolve_statement_line(c.req(ret)).await,
        Code::FailedPrecondition,
    );
    assert!(st.message().contains("no account"), "{st:?}");
    assert_eq!(c.unmatched(10, "").await?.lines.len(), 1, "still waiting");
    assert_eq!(c.balance("suspense").await?, eur("30"));
    Ok(())
}
