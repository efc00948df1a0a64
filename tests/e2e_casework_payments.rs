//! The payments process's case-work feed (CaseworkFeedService) over real gRPC against a real
//! Postgres: each of its five conditions writes a TASK_OPENED event where it arises and a
//! TASK_CLOSED event naming the action that resolves it; a replay of either request (same
//! idempotency key) writes nothing more; the feed pages by `after_sequence` and `limit`; and
//! the summaries carry no personal data.

use crate::common;

use chrono::{Datelike, Days, NaiveDate};
use common::{NISS_1985, assert_code, date, key, money, nn, violated_fields};
use secal_domain::DossierNumber;
use secal_proto::v1::{self as pb, casework_feed_service_client::CaseworkFeedServiceClient};
use secal_runtime::roles;
use secal_testkit::Svc;
use tonic::Code;
use tonic::transport::Channel;

use pb::CaseworkEventKind::{TaskClosed as CLOSED, TaskOpened as OPENED};
use pb::TaskKind as K;

/// What the tests keep of an event: kind, task kind, subject, dossier and action.
type Seen = (pb::CaseworkEventKind, K, String, String, String);

/// A payments suite with its clients, a second operator (separation of duties) and the feed.
struct Cw {
    c: common::PaymentsCtx,
    feed: CaseworkFeedServiceClient<Channel>,
    /// A second payments operator, who confirms what the first requested.
    bob: String,
}

impl Cw {
    async fn start(services: &[Svc]) -> anyhow::Result<Self> {
        let c = common::PaymentsCtx::start(services, "agent-cw").await?;
        let feed = CaseworkFeedServiceClient::new(c.suite.channel(Svc::Payments).await?);
        let bob = c
            .suite
            .agent_token("agent-bob", &[roles::PAYMENTS_OPERATOR])?;
        Ok(Self { c, feed, bob })
    }

    fn b<T>(&self, m: T) -> tonic::Request<T> {
        self.c.suite.request(&self.bob, m)
    }

    /// One page of the feed, read with the role "service" (the pump's).
    async fn page(
        &mut self,
        after_sequence: i64,
        limit: i32,
    ) -> Result<Vec<pb::CaseworkEvent>, tonic::Status> {
        let r = self.c.req(pb::ListCaseworkEventsRequest {
            after_sequence,
            limit,
        });
        Ok(self.feed.list_casework_events(r).await?.into_inner().events)
    }

    /// Every event after `after`, as a pump would read them.
    async fn since(&mut self, after: i64) -> anyhow::Result<Vec<pb::CaseworkEvent>> {
        let mut all = Vec::new();
        let mut cursor = after;
        loop {
            let page = self.page(cursor, 500).await?;
            let Some(last) = page.last() else {
                return Ok(all);
            };
            cursor = last.sequence;
            all.extend(page);
        }
    }

    /// The feed's last sequence so far (0 when empty).
    async fn mark(&mut self) -> anyhow::Result<i64> {
        Ok(self.since(0).await?.last().map_or(0, |e| e.sequence))
    }
}

fn seen(events: &[pb::CaseworkEvent]) -> Vec<Seen> {
    events
        .iter()
        .map(|e| {
            (
                e.kind(),
                e.task_kind(),
                e.subject.clone(),
                e.dossier_number.clone(),
                e.action.clone(),
            )
        })
        .collect()
}

fn opened(kind: K, subject: &str, dossier: &str) -> Seen {
    (OPENED, kind, subject.into(), dossier.into(), String::new())
}

fn closed(kind: K, subject: &str, dossier: &str, action: &str) -> Seen {
    (CLOSED, kind, subject.into(), dossier.into(), action.into())
}

/// A letter a step requested (intake issues it): no task kind, no action.
fn requested(subject: &str, dossier: &str) -> Seen {
    (
        pb::CaseworkEventKind::LetterRequested,
        K::Unspecified,
        subject.into(),
        dossier.into(),
        String::new(),
    )
}

fn pb_date(d: NaiveDate) -> Option<pb::Date> {
    date(
        d.year(),
        i32::try_from(d.month()).unwrap_or(0),
        i32::try_from(d.day()).unwrap_or(0),
    )
}

fn in_days(n: u64) -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    today.checked_add_days(Days::new(n)).unwrap_or(today)
}

/// An opened event says when it is due and listed, what to do, and who caused it, with no
/// personal data (the names, national number and IBANs these tests give the service).
fn check_opened(e: &pb::CaseworkEvent, due: NaiveDate, listed: NaiveDate) {
    assert_eq!(e.kind(), OPENED, "{e:?}");
    assert_eq!(e.due_on, pb_date(due), "{e:?}");
    assert_eq!(e.listed_from, pb_date(listed), "{e:?}");
    assert!(!e.summary.is_empty() && !e.summary.contains('\n'), "{e:?}");
    for personal in [
        "Dupont",
        "Marie",
        "Voisin",
        NISS_1985,
        "BE71",
        "096123456769",
        "debtor-",
    ] {
        assert!(!e.summary.contains(personal), "{personal} in {e:?}");
    }
    let at = e.at.clone().unwrap_or_default();
    assert!(!at.actor.is_empty() && !at.at.is_empty(), "{e:?}");
}

fn dossier(seq: u32) -> anyhow::Result<String> {
    Ok(DossierNumber::new(2024, seq)?.to_string())
}

/// One booked credit of a camt.053 statement, from Jean Voisin's account.
fn credit(bank_ref: &str, amount: &str, remittance: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-05-20</Dt></BookgDt><ValDt><Dt>2024-05-20</Dt></ValDt>
<AcctSvcrRef>{bank_ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Jean Voisin</Nm></Dbtr>
<DbtrAcct><Id><IBAN>BE71096123456769</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>"#
    )
}

/// A payout the bank returns to the service's account, with its end-to-end id and reason.
fn returned(bank_ref: &str, amount: &str, e2e: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-06-12</Dt></BookgDt><ValDt><Dt>2024-06-12</Dt></ValDt>
<AcctSvcrRef>{bank_ref}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
<RltdPties><Cdtr><Nm>Marie Dupont</Nm></Cdtr>
<CdtrAcct><Id><IBAN>BE62510007547061</IBAN></Id></CdtrAcct></RltdPties>
<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed</AddtlInf></RtrInf>
</TxDtls></NtryDtls></Ntry>"#
    )
}

/// A statement `id` of the service's own account.
fn statement(id: &str, entries: &[String]) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>MSG-{id}</MsgId><CreDtTm>2024-05-20T22:00:00+02:00</CreDtTm></GrpHdr>
<Stmt><Id>{id}</Id><CreDtTm>2024-05-20T22:00:00+02:00</CreDtTm>
<Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">250.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-20</Dt></Dt></Bal>
{}
</Stmt></BkToCstmrStmt></Document>"#,
        entries.concat()
    )
    .into_bytes()
}

/// Intake's activation of dossier `d` (version 1), the applicant Marie Dupont, the debtor
/// NISS_1985, and the payout account the applicant gave, if any.
fn activation(
    event: u32,
    d: &str,
    payout: Option<pb::PayoutFrame>,
) -> pb::ReceiveDossierEventRequest {
    let id = format!("00000000-0000-4000-8000-{event:012}");
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
                national_number: nn(NISS_1985),
                ..Default::default()
            }),
            payout,
            ..Default::default()
        },
    )
}

fn marie_dupont(iban: &str) -> pb::BankAccount {
    pb::BankAccount {
        iban: Some(pb::Iban { value: iban.into() }),
        bic: "GEBABEBB".into(),
        holder_name: "Marie Dupont".into(),
        bank_name: String::new(),
    }
}

fn account_change(k: &str, d: &str, iban: &str) -> pb::RequestPayoutAccountChangeRequest {
    pb::RequestPayoutAccountChangeRequest {
        idempotency_key: key(k),
        dossier_number: d.into(),
        account: Some(marie_dupont(iban)),
        holding: pb::AccountHolding::Sole as i32,
        lawyer_authorisation: None,
        source_reference: "letter-1".into(),
    }
}

fn confirm(k: &str, account: &str) -> pb::ConfirmPayoutAccountChangeRequest {
    pb::ConfirmPayoutAccountChangeRequest {
        idempotency_key: key(k),
        payout_account_id: account.into(),
        method: pb::ConfirmationMethod::BankCertificate as i32,
        evidence_reference: "certificate-1".into(),
    }
}

#[tokio::test]
async fn unmatched_statement_lines_open_tasks_resolving_closes_them_and_the_feed_pages()
-> anyhow::Result<()> {
    let mut w = Cw::start(&[Svc::Payments]).await?;
    let d = dossier(801)?;
    w.c.ledger
        .receive_dossier_event(w.c.req(activation(1, &d, None)))
        .await?;
    assert!(
        w.since(0).await?.is_empty(),
        "a dossier alone is no case work"
    );

    // Two credits nobody can place, one that carries the dossier's communication.
    let ours = d.parse::<DossierNumber>()?.payment_reference().to_string();
    let strd = |r: &str| {
        format!(
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>\
             <Ref>{r}</Ref></CdtrRefInf></Strd>"
        )
    };
    let xml = statement(
        "STMT-CW-1",
        &[
            credit("CW-1", "120.00", "<Ustrd>rent Marie Dupont</Ustrd>"),
            credit("CW-2", "80.50", "<Ustrd>for Dupont</Ustrd>"),
            credit("CW-3", "50.00", &strd(&ours)),
        ],
    );
    let import = |k: &str| pb::ImportBankStatementRequest {
        idempotency_key: key(k),
        camt053: xml.clone(),
        file_name: "statement.xml".into(),
    };
    let imported =
        w.c.receipts
            .import_bank_statement(w.c.req(import("imp-1")))
            .await?
            .into_inner();
    let lines: Vec<String> = imported
        .unmatched_lines
        .iter()
        .map(|l| l.line_id.clone())
        .collect();
    assert_eq!(lines.len(), 2, "{imported:?}");
    let subjects: Vec<String> = lines
        .iter()
        .map(|l| format!("statement-line:{l}"))
        .collect();
    let events = w.since(0).await?;
    assert_eq!(
        seen(&events),
        [
            opened(K::UnmatchedBankLine, &subjects[0], ""),
            opened(K::UnmatchedBankLine, &subjects[1], ""),
        ]
    );
    let today = in_days(0);
    for e in &events {
        check_opened(e, in_days(7), today);
        assert_eq!(e.at.clone().unwrap_or_default().actor, "agent-cw");
    }
    assert!(events[0].summary.contains("120.00"), "{:?}", events[0]);

    // A replay, and the same statement under another key, write nothing.
    w.c.receipts
        .import_bank_statement(w.c.req(import("imp-1")))
        .await?;
    w.c.receipts
        .import_bank_statement(w.c.req(import("imp-2")))
        .await?;
    assert_eq!(w.since(0).await?, events);

    // A person resolves the first line: its task closes, naming the action; a replay of the
    // resolution writes nothing more.
    let resolve = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-1"),
        line_id: lines[0].clone(),
        resolution: pb::StatementLineResolutionKind::NotADebtorPayment as i32,
        note: "a transfer between our own accounts".into(),
        ..Default::default()
    };
    w.c.receipts
        .resolve_statement_line(w.c.req(resolve.clone()))
        .await?;
    let mark = events[1].sequence;
    let after = w.since(mark).await?;
    assert_eq!(
        seen(&after),
        [closed(
            K::UnmatchedBankLine,
            &subjects[0],
            "",
            "ResolveStatementLine"
        )]
    );
    assert!(after[0].due_on.is_none() && after[0].summary.is_empty());
    w.c.receipts
        .resolve_statement_line(w.c.req(resolve))
        .await?;
    assert_eq!(w.since(mark).await?, after);

    // The second line goes back to its sender (its task closes), but the bank returns the
    // refund: the line waits for a person again, so its task opens again; the return's
    // replay writes nothing more.
    let mark = after[0].sequence;
    let back_to_sender = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-2"),
        line_id: lines[1].clone(),
        resolution: pb::StatementLineResolutionKind::ReturnToSender as i32,
        note: "no such dossier".into(),
        ..Default::default()
    };
    let refund =
        w.c.receipts
            .resolve_statement_line(w.c.req(back_to_sender))
            .await?
            .into_inner()
            .refund
            .unwrap_or_default();
    let refund_back = pb::RecordPayoutReturnRequest {
        idempotency_key: key("ret-refund"),
        payout_id: refund.payout_id.clone(),
        returned_on: common::today(),
        reason_code: "AC04".into(),
        ..Default::default()
    };
    w.c.payouts
        .record_payout_return(w.c.req(refund_back.clone()))
        .await?;
    w.c.payouts
        .record_payout_return(w.c.req(refund_back))
        .await?;
    let again = w.since(mark).await?;
    assert_eq!(
        seen(&again),
        [
            closed(
                K::UnmatchedBankLine,
                &subjects[1],
                "",
                "ResolveStatementLine"
            ),
            opened(K::UnmatchedBankLine, &subjects[1], ""),
        ]
    );
    check_opened(&again[1], in_days(7), today);
    assert!(again[1].summary.contains("AC04"), "{:?}", again[1]);
    let settle = pb::ResolveStatementLineRequest {
        idempotency_key: key("res-3"),
        line_id: lines[1].clone(),
        resolution: pb::StatementLineResolutionKind::NotADebtorPayment as i32,
        note: "booked by hand".into(),
        ..Default::default()
    };
    w.c.receipts.resolve_statement_line(w.c.req(settle)).await?;
    assert_eq!(
        seen(&w.since(again[1].sequence).await?),
        [closed(
            K::UnmatchedBankLine,
            &subjects[1],
            "",
            "ResolveStatementLine"
        )]
    );

    // Paging: oldest first, sequences increasing; `after_sequence` skips what was read and
    // `limit` cuts the page.
    let all = w.since(0).await?;
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|p| p[0].sequence < p[1].sequence));
    assert_eq!(w.page(0, 0).await?, all, "0: the default limit");
    assert_eq!(w.page(0, 2).await?, all[..2]);
    for (i, e) in all.iter().enumerate() {
        assert_eq!(
            w.page(e.sequence, 1).await?,
            all[i + 1..].iter().take(1).cloned().collect::<Vec<_>>()
        );
    }
    assert!(w.page(all[5].sequence, 100).await?.is_empty());
    assert_eq!(w.page(all[0].sequence - 1, 500).await?, all);

    // Bad paging names its field.
    for (after, limit, field) in [
        (0, -1, "limit"),
        (0, 501, "limit"),
        (-1, 10, "after_sequence"),
    ] {
        let s = assert_code(w.page(after, limit).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&s), [field], "{after} {limit}");
    }
    assert_eq!(w.page(0, 500).await?, all, "500 is allowed");

    // The pump's role and an auditor read the feed; an operator does not.
    let auditor = w.c.suite.agent_token("auditor", &[roles::AUDITOR])?;
    let r =
        w.c.suite
            .request(&auditor, pb::ListCaseworkEventsRequest::default());
    assert_eq!(
        w.feed.list_casework_events(r).await?.into_inner().events,
        all
    );
    let r = w.b(pb::ListCaseworkEventsRequest::default());
    assert_code(w.feed.list_casework_events(r).await, Code::PermissionDenied);
    Ok(())
}

#[tokio::test]
async fn payout_accounts_await_a_second_agent_and_a_returned_payout_waits_for_a_new_account()
-> anyhow::Result<()> {
    let mut w = Cw::start(&[Svc::Payments]).await?;
    let d = dossier(802)?;

    // Intake's event brings the account the applicant gave: pending, a task for a second
    // agent. Its redelivery writes nothing more; the second agent rejects it.
    let frame = pb::PayoutFrame {
        account: Some(marie_dupont("BE62510007547061")),
        holding: pb::AccountHolding::Sole as i32,
        lawyer_authorisation: None,
    };
    let event = activation(2, &d, Some(frame));
    w.c.ledger
        .receive_dossier_event(w.c.req(event.clone()))
        .await?;
    let again = w.c.ledger.receive_dossier_event(w.c.req(event)).await?;
    assert!(again.into_inner().duplicate);
    let accounts =
        w.c.payouts
            .list_payout_accounts(w.c.req(pb::ListPayoutAccountsRequest {
                dossier_number: d.clone(),
                page: None,
            }))
            .await?
            .into_inner()
            .payout_accounts;
    let [from_intake] = accounts.as_slice() else {
        anyhow::bail!("one account from intake: {accounts:?}");
    };
    let intake_subject = format!("payout-account-change:{}", from_intake.payout_account_id);
    let events = w.since(0).await?;
    assert_eq!(
        seen(&events),
        [opened(
            K::PayoutAccountAwaitingSecondAgent,
            &intake_subject,
            &d
        )]
    );
    check_opened(&events[0], in_days(3), in_days(0));
    let reject = pb::RejectPayoutAccountChangeRequest {
        idempotency_key: key("rej-1"),
        payout_account_id: from_intake.payout_account_id.clone(),
        reason: "the bank certificate names another person".into(),
    };
    w.c.payouts
        .reject_payout_account_change(w.b(reject.clone()))
        .await?;
    w.c.payouts
        .reject_payout_account_change(w.b(reject))
        .await?;
    let mark = events[0].sequence;
    assert_eq!(
        seen(&w.since(mark).await?),
        [closed(
            K::PayoutAccountAwaitingSecondAgent,
            &intake_subject,
            &d,
            "RejectPayoutAccountChange"
        )]
    );

    // An agent requests an account (a replay writes nothing more); another confirms it (so
    // does its replay).
    let mark = w.mark().await?;
    let request = account_change("acc-1", &d, "BE71 0961 2345 6769");
    let first =
        w.c.payouts
            .request_payout_account_change(w.c.req(request.clone()))
            .await?
            .into_inner()
            .payout_account
            .unwrap_or_default();
    w.c.payouts
        .request_payout_account_change(w.c.req(request))
        .await?;
    let first_subject = format!("payout-account-change:{}", first.payout_account_id);
    let events = w.since(mark).await?;
    assert_eq!(
        seen(&events),
        [opened(
            K::PayoutAccountAwaitingSecondAgent,
            &first_subject,
            &d
        )]
    );
    check_opened(&events[0], in_days(3), in_days(0));
    let ok = confirm("ok-1", &first.payout_account_id);
    w.c.payouts
        .confirm_payout_account_change(w.b(ok.clone()))
        .await?;
    w.c.payouts.confirm_payout_account_change(w.b(ok)).await?;
    let mark = events[0].sequence;
    assert_eq!(
        seen(&w.since(mark).await?),
        [closed(
            K::PayoutAccountAwaitingSecondAgent,
            &first_subject,
            &d,
            "ConfirmPayoutAccountChange"
        )]
    );

    // A payout to it, executed, comes back: its account is blocked, a task opens for it.
    let payable = format!("payable/{d}/child-1");
    w.c.ledger
        .create_ledger_transfers(w.c.req(pb::CreateLedgerTransfersRequest {
            idempotency_key: key("fund-1"),
            transfers: vec![pb::LedgerTransferSpec {
                transfer_id: "fund-1".into(),
                debit_account_id: "advances-funding".into(),
                credit_account_id: payable,
                amount: money("150.00"),
                code: pb::TransferCode::Advance as i32,
                value_date: date(2024, 5, 2),
                ..Default::default()
            }],
        }))
        .await?;
    let batch =
        w.c.payouts
            .create_payout_batch(w.c.req(pb::CreatePayoutBatchRequest {
                idempotency_key: key("batch-1"),
                requested_execution_date: common::today(),
                dossier_numbers: vec![d.clone()],
                max_payouts: 0,
            }))
            .await?
            .into_inner();
    let [payout] = batch.payouts.as_slice() else {
        anyhow::bail!("one payout: {batch:?}");
    };
    w.c.payouts
        .confirm_payouts(w.c.req(pb::ConfirmPayoutsRequest {
            idempotency_key: key("conf-1"),
            batch_id: batch.batch.clone().unwrap_or_default().batch_id,
            payout_ids: vec![],
            booked_on: common::today(),
            bank_reference: "bank-1".into(),
        }))
        .await?;
    assert!(
        w.since(0).await?.len() == 4,
        "no case work for a payout that went out"
    );
    let mark = w.mark().await?;
    let give_back = pb::RecordPayoutReturnRequest {
        idempotency_key: key("ret-1"),
        payout_id: payout.payout_id.clone(),
        returned_on: common::today(),
        amount: payout.amount.clone(),
        reason_code: "AC04".into(),
        reason_text: "closed account".into(),
        ..Default::default()
    };
    let back =
        w.c.payouts
            .record_payout_return(w.c.req(give_back.clone()))
            .await?
            .into_inner();
    assert_eq!(
        back.payout_account.unwrap_or_default().status,
        pb::PayoutAccountStatus::Blocked as i32
    );
    w.c.payouts.record_payout_return(w.c.req(give_back)).await?;
    let payout_subject = format!("payout:{}", payout.payout_id);
    let events = w.since(mark).await?;
    assert_eq!(
        seen(&events),
        [opened(K::ReturnedPayout, &payout_subject, &d)]
    );
    check_opened(&events[0], in_days(5), in_days(0));
    assert!(events[0].summary.contains("150.00"), "{:?}", events[0]);

    // A new account for the dossier, confirmed: both its own task and the returned payout's
    // close, in that order, naming the confirmation; its replay writes nothing more.
    let mark = events[0].sequence;
    let second = w
        .c
        .payouts
        .request_payout_account_change(w.c.req(account_change("acc-2", &d, "BE62 5100 0754 7061")))
        .await?
        .into_inner()
        .payout_account
        .unwrap_or_default();
    let second_subject = format!("payout-account-change:{}", second.payout_account_id);
    let ok = confirm("ok-2", &second.payout_account_id);
    w.c.payouts
        .confirm_payout_account_change(w.b(ok.clone()))
        .await?;
    w.c.payouts.confirm_payout_account_change(w.b(ok)).await?;
    assert_eq!(
        seen(&w.since(mark).await?),
        [
            opened(K::PayoutAccountAwaitingSecondAgent, &second_subject, &d),
            closed(
                K::PayoutAccountAwaitingSecondAgent,
                &second_subject,
                &d,
                "ConfirmPayoutAccountChange"
            ),
            closed(
                K::ReturnedPayout,
                &payout_subject,
                &d,
                "ConfirmPayoutAccountChange"
            ),
        ]
    );

    // The money goes out again to the new account, and the bank reports it returned in a
    // camt.053 statement: the import opens the returned payout's task; its replay, nothing.
    let mark = w.mark().await?;
    let batch =
        w.c.payouts
            .create_payout_batch(w.c.req(pb::CreatePayoutBatchRequest {
                idempotency_key: key("batch-2"),
                requested_execution_date: common::today(),
                dossier_numbers: vec![d.clone()],
                max_payouts: 0,
            }))
            .await?
            .into_inner();
    let [again] = batch.payouts.as_slice() else {
        anyhow::bail!("one payout again: {batch:?}");
    };
    w.c.payouts
        .confirm_payouts(w.c.req(pb::ConfirmPayoutsRequest {
            idempotency_key: key("conf-2"),
            batch_id: batch.batch.clone().unwrap_or_default().batch_id,
            payout_ids: vec![],
            booked_on: common::today(),
            bank_reference: "bank-2".into(),
        }))
        .await?;
    let import = pb::ImportBankStatementRequest {
        idempotency_key: key("imp-ret"),
        camt053: statement(
            "STMT-CW-RET",
            &[returned("CW-RET-1", "150.00", &again.end_to_end_id)],
        ),
        file_name: "returns.xml".into(),
    };
    let imported =
        w.c.receipts
            .import_bank_statement(w.c.req(import.clone()))
            .await?
            .into_inner();
    assert_eq!(
        imported.statement.unwrap_or_default().matched_count,
        1,
        "the return is matched to its payout"
    );
    w.c.receipts.import_bank_statement(w.c.req(import)).await?;
    let again_subject = format!("payout:{}", again.payout_id);
    let events = w.since(mark).await?;
    assert_eq!(
        seen(&events),
        [opened(K::ReturnedPayout, &again_subject, &d)]
    );
    check_opened(&events[0], in_days(5), in_days(0));
    Ok(())
}

/// A debtor's active dossier `seq` owing `debt` (principal, January 2024).
async fn dossier_with_debt(
    w: &mut Cw,
    seq: u32,
    debtor_nn: &str,
    debt: &str,
) -> anyhow::Result<String> {
    let d = dossier(seq)?;
    let id = format!("00000000-0000-4000-8000-{seq:012}");
    let event = common::dossier_event(&id, 1, common::debtor_dossier(&d, debtor_nn));
    w.c.ledger.receive_dossier_event(w.c.req(event)).await?;
    let r = pb::RecognizeDebtorDebtRequest {
        idempotency_key: key(&format!("debt-{seq}")),
        dossier_number: d.clone(),
        items: vec![pb::DebtItem {
            component: pb::DebtComponent::Principal as i32,
            creditor_person_id: "child-1".into(),
            month: Some(pb::YearMonth {
                year: 2024,
                month: 1,
            }),
            amount: money(debt),
            enforceable_since: date(2024, 1, 1),
        }],
        basis: "judgment".into(),
    };
    w.c.ledger.recognize_debtor_debt(w.c.req(r)).await?;
    Ok(d)
}

/// A plan of €20.10 a month from June 2024, due on the 5th (wages of €1,800, 2 children).
async fn plan(w: &mut Cw, k: &str, person: &str, d: &str) -> anyhow::Result<pb::PaymentPlan> {
    let r = w.c.req(pb::CreatePaymentPlanRequest {
        idempotency_key: key(k),
        debtor_person_id: person.into(),
        dossier_numbers: vec![d.into()],
        income_month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        incomes: vec![pb::IncomeItem {
            income_id: "w".into(),
            kind: pb::IncomeKind::Wages as i32,
            amount: money("1800.00"),
            ..Default::default()
        }],
        dependent_children: 2,
        claim_kind: pb::SeizureClaimKind::Ordinary as i32,
        start_date: date(2024, 6, 1),
        due_day: 5,
        ..Default::default()
    });
    let plan = w.c.recovery.create_payment_plan(r).await?.into_inner().plan;
    plan.ok_or_else(|| anyhow::anyhow!("no plan"))
}

async fn pay(w: &mut Cw, k: &str, d: &str, amount: &str, on: NaiveDate) -> anyhow::Result<()> {
    let r = w.c.req(pb::RecordDebtorPaymentRequest {
        idempotency_key: key(k),
        dossier_number: d.into(),
        amount: money(amount),
        received_on: pb_date(on),
        ..Default::default()
    });
    w.c.receipts.record_debtor_payment(r).await?;
    Ok(())
}

async fn detect(w: &mut Cw, k: &str, as_of: NaiveDate) -> anyhow::Result<()> {
    let r = w.c.req(pb::DetectMissedPlanInstalmentsRequest {
        idempotency_key: key(k),
        as_of: pb_date(as_of),
        grace_days: 0,
    });
    w.c.recovery.detect_missed_plan_instalments(r).await?;
    Ok(())
}

fn ymd(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("no date {y}-{m}-{d}"))
}

#[tokio::test]
async fn missed_instalments_and_suspension_reviews_open_and_close_their_tasks() -> anyhow::Result<()>
{
    let mut w = Cw::start(&[Svc::Calculation, Svc::Payments]).await?;
    let person = format!("debtor-{NISS_1985}");
    let d = dossier_with_debt(&mut w, 811, NISS_1985, "500.00").await?;
    let p = plan(&mut w, "plan-1", &person, &d).await?;
    let instalment = |due: NaiveDate| format!("plan-instalment:{}/{due}", p.plan_id);

    // Instalment 1 (5 June) paid; on 20 July (grace 10) instalment 2 (5 July) is missed:
    // one task; the detection's replay writes nothing more.
    pay(&mut w, "pay-1", &d, "20.10", ymd(2024, 6, 4)?).await?;
    let mark = w.mark().await?;
    detect(&mut w, "det-1", ymd(2024, 7, 20)?).await?;
    detect(&mut w, "det-1", ymd(2024, 7, 20)?).await?;
    let july = instalment(ymd(2024, 7, 5)?);
    let events = w.since(mark).await?;
    let breach = |on: &str, plan: &str| format!("plan-breach:{plan}/{on}");
    assert_eq!(
        seen(&events),
        [
            opened(K::MissedPlanInstalment, &july, &d),
            requested(&breach("2024-07-20", &p.plan_id), &d),
        ]
    );
    check_opened(&events[0], in_days(10), in_days(0));
    assert!(events[0].summary.contains("20.10"), "{:?}", events[0]);
    // The debtor's breach letter: the instalment, what is unpaid, 15 days to pay it (from
    // today: the detection judged a past date), the plan's reference.
    let letter = events[1].letter.clone().unwrap_or_default();
    assert_eq!(letter.kind(), pb::LetterKind::PaymentPlanBreach);
    assert_eq!(letter.recipient(), pb::DossierRole::Debtor);
    let Some(pb::letter_request::Content::Breach(notice)) = letter.content else {
        anyhow::bail!("a breach letter without its content: {letter:?}");
    };
    assert_eq!(notice.plan_id, p.plan_id);
    assert_eq!(notice.pay_by, pb_date(in_days(15)));
    assert_eq!(notice.payment_reference, p.structured_reference);
    let missed: Vec<_> = notice
        .missed
        .iter()
        .map(|m| (m.number, m.due_date, m.unpaid.clone()))
        .collect();
    assert_eq!(missed, [(2, date(2024, 7, 5), money("20.10"))]);

    // Paid late: the next detection finds it paid and closes its task; another detection
    // finds nothing more to say.
    pay(&mut w, "pay-2", &d, "20.10", ymd(2024, 7, 25)?).await?;
    let mark = events[1].sequence;
    detect(&mut w, "det-2", ymd(2024, 7, 30)?).await?;
    detect(&mut w, "det-3", ymd(2024, 7, 31)?).await?;
    assert_eq!(
        seen(&w.since(mark).await?),
        [closed(
            K::MissedPlanInstalment,
            &july,
            &d,
            "DetectMissedPlanInstalments"
        )]
    );

    // Instalment 3 (5 August) missed; the plan ends for default: its task closes, naming
    // EndPaymentPlan; the end's replay writes nothing more.
    let mark = w.mark().await?;
    detect(&mut w, "det-4", ymd(2024, 8, 20)?).await?;
    let august = instalment(ymd(2024, 8, 5)?);
    let end = pb::EndPaymentPlanRequest {
        idempotency_key: key("end-1"),
        plan_id: p.plan_id.clone(),
        reason: pb::PaymentPlanEndReason::Defaulted as i32,
        ended_on: date(2024, 8, 21),
        note: "an instalment missed".into(),
    };
    w.c.recovery.end_payment_plan(w.c.req(end.clone())).await?;
    w.c.recovery.end_payment_plan(w.c.req(end)).await?;
    assert_eq!(
        seen(&w.since(mark).await?),
        [
            opened(K::MissedPlanInstalment, &august, &d),
            requested(&breach("2024-08-20", &p.plan_id), &d),
            closed(K::MissedPlanInstalment, &august, &d, "EndPaymentPlan"),
        ]
    );

    // Another debtor's plan with a missed instalment; a suspension granted to him ends it
    // (its task closes, naming the grant) and is to be reviewed: listed 14 days before
    // its review date, due on it. The grant's replay writes nothing more.
    let other_nn = "90010101707";
    let other = format!("debtor-{other_nn}");
    let d2 = dossier_with_debt(&mut w, 812, other_nn, "400.00").await?;
    let p2 = plan(&mut w, "plan-2", &other, &d2).await?;
    let mark = w.mark().await?;
    detect(&mut w, "det-5", ymd(2024, 6, 20)?).await?;
    let june = format!("plan-instalment:{}/2024-06-05", p2.plan_id);
    let review_on = in_days(60);
    let grant = pb::GrantSuspensionRequest {
        idempotency_key: key("susp-1"),
        debtor_person_id: other.clone(),
        dossier_numbers: vec![d2.clone()],
        effective_from: date(2024, 9, 1),
        review_on: pb_date(review_on),
        grounds: "insolvent".into(),
        ..Default::default()
    };
    let granted =
        w.c.recovery
            .grant_suspension(w.c.req(grant.clone()))
            .await?
            .into_inner();
    assert_eq!(granted.ended_plan_ids, std::slice::from_ref(&p2.plan_id));
    w.c.recovery.grant_suspension(w.c.req(grant)).await?;
    let suspension = granted.suspension.unwrap_or_default().suspension_id;
    let subject = format!("suspension:{suspension}");
    let events = w.since(mark).await?;
    assert_eq!(
        seen(&events),
        [
            opened(K::MissedPlanInstalment, &june, &d2),
            requested(&breach("2024-06-20", &p2.plan_id), &d2),
            closed(K::MissedPlanInstalment, &june, &d2, "GrantSuspension"),
            opened(K::SuspensionReview, &subject, &d2),
            requested(&format!("suspension-letter:{suspension}"), &d2),
        ]
    );
    // The debtor's letter: the suspension's dates and the plan it ended.
    let letter = events[4].letter.clone().unwrap_or_default();
    assert_eq!(letter.kind(), pb::LetterKind::Suspension);
    assert_eq!(letter.recipient(), pb::DossierRole::Debtor);
    let Some(pb::letter_request::Content::Suspension(notice)) = letter.content else {
        anyhow::bail!("a suspension letter without its content: {letter:?}");
    };
    assert_eq!(notice.review_on, pb_date(review_on));
    assert_eq!(notice.ended_plans, 1);
    check_opened(&events[3], review_on, in_days(46));
    assert!(!events[3].summary.contains(other_nn), "{:?}", events[3]);

    // Continued to a next review sooner than 14 days ahead: the task closes and the next
    // one is listed at once. Lifted: it closes. Replays write nothing more.
    use pb::SuspensionReviewOutcome as O;
    let review = |k: &str, outcome: O, next: Option<NaiveDate>| pb::ReviewSuspensionRequest {
        idempotency_key: key(k),
        suspension_id: suspension.clone(),
        outcome: outcome as i32,
        reviewed_on: common::today(),
        next_review_on: next.and_then(pb_date),
        note: String::new(),
    };
    let mark = events[4].sequence;
    let next = in_days(10);
    let cont = review("rev-1", O::Continue, Some(next));
    w.c.recovery
        .review_suspension(w.c.req(cont.clone()))
        .await?;
    w.c.recovery.review_suspension(w.c.req(cont)).await?;
    let events = w.since(mark).await?;
    assert_eq!(
        seen(&events),
        [
            closed(K::SuspensionReview, &subject, &d2, "ReviewSuspension"),
            opened(K::SuspensionReview, &subject, &d2),
        ]
    );
    check_opened(&events[1], next, in_days(0));
    let mark = events[1].sequence;
    let lift = review("rev-2", O::Lift, None);
    w.c.recovery
        .review_suspension(w.c.req(lift.clone()))
        .await?;
    w.c.recovery.review_suspension(w.c.req(lift)).await?;
    assert_eq!(
        seen(&w.since(mark).await?),
        [closed(
            K::SuspensionReview,
            &subject,
            &d2,
            "ReviewSuspension"
        )]
    );
    Ok(())
}
