//! The claim account end to end, as a new user plays it: an application goes through intake's
//! lifecycle to ACTIVE, intake's relay brings the ACTIVATED event to payments, and — with no
//! manual booking — the debtor owes the mandate's arrears, interest and fee; the dues run adds
//! the months since; a tax-refund offset takes at most the debt of the day; a payment through
//! a camt.053 line shows in both statements; an act moves prescription as the rules say.

use crate::common;
use crate::form;

use std::time::Duration;

use form::*;
use rust_decimal::Decimal;
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    intake_service_client::IntakeServiceClient,
};
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};
use tonic::transport::Channel;

struct Ctx {
    suite: Suite,
    intake: IntakeServiceClient<Channel>,
    calc: CalculationServiceClient<Channel>,
    pay: PaymentsClients,
    officer: String,
    operator: String,
}

impl Ctx {
    async fn start() -> anyhow::Result<Self> {
        let suite = Suite::start(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
        Ok(Self {
            intake: IntakeServiceClient::new(suite.channel(Svc::Intake).await?),
            calc: CalculationServiceClient::new(suite.channel(Svc::Calculation).await?),
            pay: PaymentsClients::new(suite.channel(Svc::Payments).await?),
            officer: suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?,
            operator: suite.agent_token(
                "agent-operator",
                &[roles::PAYMENTS_OPERATOR, roles::TAX_REFUND_SYSTEM],
            )?,
            suite,
        })
    }

    fn op<T>(&self, m: T) -> tonic::Request<T> {
        self.suite.request(&self.operator, m)
    }

    async fn account(&mut self, number: &str) -> anyhow::Result<pb::GetClaimAccountResponse> {
        let r = self.op(pb::GetClaimAccountRequest {
            dossier_number: number.into(),
        });
        Ok(self.pay.claims.get_claim_account(r).await?.into_inner())
    }

    /// Waits until intake's relay has brought the ACTIVATED event and payments booked it.
    async fn booked(&mut self, number: &str) -> anyhow::Result<pb::GetClaimAccountResponse> {
        for _ in 0..300 {
            if let Ok(a) = self.account(number).await
                && (a.booked_to.is_some() || !a.not_booked_reason.is_empty())
            {
                return Ok(a);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("dossier {number} was not booked within 30 s")
    }

    async fn debtor_statement(&mut self, number: &str) -> anyhow::Result<pb::Statement> {
        let r = self.op(pb::GetDebtorStatementRequest {
            dossier_number: number.into(),
            as_of: None,
        });
        let s = self.pay.claims.get_debtor_statement(r).await?.into_inner();
        s.statement.ok_or_else(|| anyhow::anyhow!("no statement"))
    }
}

fn eur(m: &Option<pb::Money>) -> Decimal {
    m.as_ref()
        .and_then(|m| m.amount.parse().ok())
        .unwrap_or_default()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth { year, month })
}

/// One creditor (a child) owed €250 a month from July 2025 under a judgment of June 2025 that
/// is not indexed, due on the 5th; the applicant declares January–August 2026 unpaid (8
/// months) and a formal notice of 20 March 2026; applies on 1 September 2026 for arrears and
/// future maintenance, without advances.
fn claim_form() -> pb::ApplicationForm {
    let mut f = example_2_form();
    f.kind = pb::ApplicationKind::ArrearsAndFuture as i32;
    if let Some(c) = f.creditors.first_mut() {
        c.monthly_amount = money("250.00");
    }
    if let Some(t) = f.title.as_mut() {
        t.title_date = date(2025, 6, 10);
        t.served_on = date(2025, 6, 20);
        t.first_month = ym(2025, 7);
        t.due_day = 5;
        t.indexed = false;
        t.index_base_month = None;
        t.first_adjustment_month = None;
    }
    let key = f
        .creditors
        .first()
        .map(|c| c.creditor_key.clone())
        .unwrap_or_default();
    f.arrears = Some(pb::ArrearsFrame {
        total_arrears: money("2000.00"),
        unpaid_months: (1..=8)
            .map(|m| pb::UnpaidMonthEntry {
                creditor_key: key.clone(),
                month: ym(2026, m),
                unpaid: money("250.00"),
            })
            .collect(),
    });
    if let Some(e) = f.enforcement.as_mut() {
        e.attempts = vec![pb::EnforcementAttempt {
            kind: pb::EnforcementActKind::FormalNotice as i32,
            act_date: date(2026, 3, 20),
            actor_name: "Me Lambert".into(),
            reference: "LR 2026/112".into(),
            covered_months: None,
            creditor_keys: vec![],
            document_key: "po".into(),
        }];
    }
    if let Some(x) = f.declarations.as_mut() {
        x.signed_on = date(2026, 8, 28);
    }
    for doc in &mut f.documents {
        doc.document_date = date(2026, 8, 20);
    }
    f
}

/// Submits `form` on 1 September 2026 and carries it to ACTIVE from 5 October 2026.
async fn activate(c: &mut Ctx, k: &str, form: pb::ApplicationForm) -> anyhow::Result<String> {
    let mut req = submit(&format!("{k}-submit"), form);
    req.received_on = date(2026, 9, 1);
    let dossier = c
        .intake
        .submit_application(c.suite.request(&c.officer, req))
        .await
        .map_err(|s| anyhow::anyhow!("submit {:?} {s:?}", common::violated_fields(&s)))?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let id = || by_id(&dossier.application_id);
    let kk = |s: &str| key(&format!("{k}-{s}"));
    let (suite, officer) = (&c.suite, c.officer.clone());
    let notified = c
        .intake
        .notify_debtor(suite.request(
            &officer,
            pb::NotifyDebtorRequest {
                idempotency_key: kk("notify"),
                dossier: id(),
                notified_on: date(2026, 9, 3),
                registered_letter_reference: "RR 2026 0001 BE".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&officer, &notified, date(2026, 9, 3).unwrap_or_default())
        .await?;
    c.intake
        .accept_application(suite.request(
            &officer,
            pb::AcceptApplicationRequest {
                idempotency_key: kk("accept"),
                dossier: id(),
                decided_on: date(2026, 9, 24),
                motivation: "conditions met".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await
        .map_err(|s| anyhow::anyhow!("accept {s:?}"))?;
    c.intake
        .propose_mandate(suite.request(
            &officer,
            pb::ProposeMandateRequest {
                idempotency_key: kk("propose"),
                dossier: id(),
                proposed_on: date(2026, 9, 25),
                proposal_document_key: "mandate-proposal".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await?;
    c.intake
        .record_mandate_signed(suite.request(
            &officer,
            pb::RecordMandateSignedRequest {
                idempotency_key: kk("signed"),
                dossier: id(),
                signed_on: date(2026, 10, 1),
                signed_document_key: "mandate-signed".into(),
                expected_version: 0,
            },
        ))
        .await?;
    let activated = c
        .intake
        .activate_dossier(suite.request(
            &officer,
            pb::ActivateDossierRequest {
                idempotency_key: kk("activate"),
                dossier: id(),
                active_from: date(2026, 10, 5),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner();
    Ok(activated.dossier.unwrap_or_default().dossier_number)
}

/// What ComputeArrears says of the same case on `on`, computed here from the form's own
/// figures (the title's €250 from January 2026, the formal notice).
async fn rules_on(
    c: &mut Ctx,
    creditor: &str,
    on: Option<pb::Date>,
) -> anyhow::Result<pb::ArrearsTotals> {
    let case = pb::ArrearsCase {
        title: Some(pb::MaintenanceTitle {
            title_date: date(2025, 6, 10),
            due_day: 5,
            creditors: vec![pb::TitleCreditor {
                creditor_id: creditor.into(),
                first_month: ym(2026, 1),
                last_month: None,
                amount: Some(pb::MaintenanceAmount {
                    method: Some(pb::maintenance_amount::Method::ExplicitSchedule(
                        pb::ExplicitAmountSchedule {
                            periods: vec![pb::AmountPeriod {
                                first_month: ym(2026, 1),
                                last_month: None,
                                amount: money("250.00"),
                            }],
                        },
                    )),
                }),
            }],
            ..Default::default()
        }),
        acts: vec![pb::LegalAct {
            act_id: "notice".into(),
            kind: pb::LegalActKind::FormalNotice as i32,
            act_date: date(2026, 3, 20),
            ..Default::default()
        }],
        ..Default::default()
    };
    let r = c.suite.request(
        &c.officer,
        pb::ComputeArrearsRequest {
            arrears_case: Some(case),
            calculation_date: on,
            ..Default::default()
        },
    );
    let resp = c.calc.compute_arrears(r).await?.into_inner();
    Ok(resp.totals.unwrap_or_default())
}

#[tokio::test]
async fn an_activated_dossier_owes_its_mandate_and_its_dues_without_any_manual_booking()
-> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let number = activate(&mut c, "claim1", claim_form()).await?;

    // The mandate, booked from intake's event: January–September 2026 (September fell due
    // between the application and the activation), to the activation date.
    let account = c.booked(&number).await?;
    assert_eq!(account.not_booked_reason, "");
    assert_eq!(account.booked_to, date(2026, 10, 5));
    let mandate = account.mandate.clone().unwrap_or_default();
    assert_eq!(eur(&mandate.principal), d("2250.00"));
    assert_eq!(eur(&mandate.fee), d("292.50"));
    assert_eq!(mandate.fee_percent, "13");
    // The applicant declared 8 months; the title makes September due too.
    assert_eq!(eur(&mandate.declared_total), d("2000.00"));
    assert_eq!(eur(&mandate.computed_total), d("2250.00"));
    assert_eq!(mandate.differences.len(), 1, "{:?}", mandate.differences);
    assert_eq!(mandate.differences[0].month, ym(2026, 9));
    assert_eq!(eur(&mandate.differences[0].difference), d("250.00"));
    let creditor = account
        .lines
        .first()
        .map(|l| l.creditor_person_id.clone())
        .unwrap_or_default();
    let rules = rules_on(&mut c, &creditor, date(2026, 10, 5)).await?;
    assert!(eur(&rules.interest) > Decimal::ZERO);
    assert_eq!(eur(&mandate.interest), eur(&rules.interest));
    assert!(account.structured_reference.starts_with("+++"));

    // The dues run adds October and November and December (due on the 5th, before the run
    // date) with their fee, and the interest to the run date; a second run books nothing.
    let run = |k: &str| pb::RunMonthlyDuesRequest {
        idempotency_key: key(k),
        run_date: date(2026, 12, 6),
    };
    let last = run_dues(&mut c, run("dues-1")).await?;
    assert_eq!(
        last.state(),
        pb::DuesRunState::Completed,
        "{:?}",
        last.failures
    );
    assert!(last.reconciled);
    assert!(last.dossiers_booked >= 1);
    let again = run_dues(&mut c, run("dues-2")).await?;
    assert_eq!(again.dossiers_booked, 0);
    let s = c.debtor_statement(&number).await?;
    let t = s.totals.clone().unwrap_or_default();
    assert_eq!(s.months.len(), 12);
    assert_eq!(eur(&t.due), d("3000.00"));
    assert_eq!(eur(&t.fee), d("390.00"));
    let rules = rules_on(&mut c, &creditor, date(2026, 12, 6)).await?;
    assert_eq!(eur(&t.interest), eur(&rules.interest));
    assert_eq!(s.structured_reference, account.structured_reference);

    // A tax refund of €10,000 takes the debt of the day, no more.
    let ledger = c
        .pay
        .ledger
        .get_dossier_ledger(c.op(pb::GetDossierLedgerRequest {
            dossier_number: number.clone(),
            as_of: None,
        }))
        .await?
        .into_inner();
    let outstanding = eur(&ledger.debtor_outstanding);
    assert_eq!(outstanding, eur(&t.outstanding));
    let offset = c
        .pay
        .recovery
        .propose_tax_refund_offset(c.op(pb::ProposeTaxRefundOffsetRequest {
            idempotency_key: key("refund-1"),
            refund_id: "IPP-2026-0001".into(),
            taxpayer: nn(DEBTOR),
            refund_amount: money("10000.00"),
            assessment_year: 2026,
            planned_payment_date: None,
        }))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(eur(&offset.offset_amount), outstanding);
    c.pay
        .recovery
        .cancel_tax_refund_offset(c.op(pb::CancelTaxRefundOffsetRequest {
            idempotency_key: key("refund-1-cancel"),
            refund_id: "IPP-2026-0001".into(),
            reason: "test: the offset is only looked at".into(),
        }))
        .await?;

    // €300 paid with the dossier's structured reference, read from a camt.053 file.
    let xml = camt(&account.structured_reference, "300.00");
    c.pay
        .receipts
        .import_bank_statement(c.op(pb::ImportBankStatementRequest {
            idempotency_key: key("camt-1"),
            camt053: xml.into_bytes(),
            file_name: "statement.xml".into(),
        }))
        .await?;
    let s = c.debtor_statement(&number).await?;
    assert_eq!(eur(&s.totals.unwrap_or_default().paid), d("300.00"));
    let r = c.op(pb::GetCreditorStatementRequest {
        dossier_number: number.clone(),
        as_of: None,
        creditor_person_id: creditor.clone(),
    });
    let cs = c.pay.claims.get_creditor_statement(r).await?.into_inner();
    let ct = cs.statement.and_then(|s| s.totals).unwrap_or_default();
    assert_eq!(eur(&ct.paid), d("300.00"));
    assert_eq!(eur(&ct.due), d("3000.00"));

    // A summons on 10 November 2026 moves January's prescription to 10 November 2031.
    let act = c
        .pay
        .claims
        .record_legal_act(c.suite.request(
            &c.officer,
            pb::RecordLegalActRequest {
                idempotency_key: key("summons-1"),
                dossier_number: number.clone(),
                kind: pb::LegalActKind::Summons as i32,
                act_date: date(2026, 11, 10),
                creditor_person_ids: vec![],
                covered_months: None,
                reference: "Cit. 26/4411".into(),
            },
        ))
        .await?
        .into_inner();
    assert_eq!(act.act.map(|a| a.source).unwrap_or_default(), "recorded");
    let account = c.account(&number).await?;
    let january = account
        .lines
        .iter()
        .find(|l| l.month == ym(2026, 1))
        .ok_or_else(|| anyhow::anyhow!("no January line"))?;
    assert_eq!(january.prescription_limit, date(2031, 11, 10));
    assert!(account.acts.iter().any(|a| a.source == "application form"));
    Ok(())
}

async fn run_dues(
    c: &mut Ctx,
    req: pb::RunMonthlyDuesRequest,
) -> anyhow::Result<pb::RunMonthlyDuesResponse> {
    let r = c.op(req);
    drain(c.pay.claims.run_monthly_dues(r)).await
}

/// The last message of a run's stream.
async fn drain(
    call: impl std::future::Future<
        Output = Result<
            tonic::Response<tonic::Streaming<pb::RunMonthlyDuesResponse>>,
            tonic::Status,
        >,
    >,
) -> anyhow::Result<pb::RunMonthlyDuesResponse> {
    let mut stream = call.await?.into_inner();
    let mut last = None;
    while let Some(m) = stream.message().await? {
        last = Some(m);
    }
    last.ok_or_else(|| anyhow::anyhow!("the run sent nothing"))
}

/// A camt.053 statement with one credit of `amount` paid with `reference`.
fn camt(reference: &str, amount: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>STMT-20261204</MsgId><CreDtTm>2026-12-04T22:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>BE68539007547034-2026-12-04</Id><CreDtTm>2026-12-04T22:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>BE68539007547034</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-04</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-04</Dt></BookgDt><ValDt><Dt>2026-12-04</Dt></ValDt>
<AcctSvcrRef>BANK-REF-0001</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Paul Martin</Nm></Dbtr>
<DbtrAcct><Id><IBAN>BE71096123456769</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>
<Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#
    )
}

/// €100 a month from February 2019 under a judgment of 15 January 2019 that also fixed the
/// 2017–2018 arrears at €2,400; the applicant claims arrears only, declaring January 2022 to
/// August 2026 unpaid.
fn judgment_form() -> pb::ApplicationForm {
    let mut f = claim_form();
    f.kind = pb::ApplicationKind::ArrearsOnly as i32;
    if let Some(c) = f.creditors.first_mut() {
        c.monthly_amount = money("100.00");
    }
    if let Some(t) = f.title.as_mut() {
        t.title_date = date(2019, 1, 15);
        t.served_on = date(2019, 1, 30);
        t.first_month = ym(2019, 2);
        t.fixed_arrears = money("2400.00");
        t.fixed_arrears_months = Some(pb::MonthRange {
            first_month: ym(2017, 1),
            last_month: ym(2018, 12),
        });
    }
    let key = f
        .creditors
        .first()
        .map(|c| c.creditor_key.clone())
        .unwrap_or_default();
    let months = (2022..=2026).flat_map(|y| (1..=12).map(move |m| (y, m)));
    f.arrears = Some(pb::ArrearsFrame {
        total_arrears: money("5600.00"),
        unpaid_months: months
            .filter(|&ym| ym <= (2026, 8))
            .map(|(y, m)| pb::UnpaidMonthEntry {
                creditor_key: key.clone(),
                month: ym(y, m),
                unpaid: money("100.00"),
            })
            .collect(),
    });
    f
}

#[tokio::test]
async fn judgment_fixed_arrears_keep_ten_years_and_the_watch_shows_what_is_about_to_be_lost()
-> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let number = activate(&mut c, "claim2", judgment_form()).await?;
    let account = c.booked(&number).await?;
    assert_eq!(account.not_booked_reason, "");
    // The lump sum of the judgment of 15 January 2019 runs ten years: still claimable.
    let lump = account
        .lines
        .iter()
        .find(|l| l.kind() == pb::ArrearsLineKind::JudgmentLumpSum)
        .ok_or_else(|| anyhow::anyhow!("no lump-sum line: {:?}", account.lines))?;
    assert_eq!(lump.month, ym(2018, 12));
    assert_eq!(lump.status(), pb::InstalmentStatus::Open);
    assert_eq!(lump.prescription_limit, date(2029, 1, 15));
    assert_eq!(eur(&lump.due), d("2400.00"));
    // January 2022, due on 5 January 2022, is lost on 5 January 2027 unless an act
    // interrupts it: 30 days left on 6 December 2026.
    let r = c.op(pb::ListPrescriptionWatchRequest {
        within_days: 90,
        as_of: date(2026, 12, 6),
        dossier_number: number.clone(),
        page: None,
    });
    let watch = c.pay.claims.list_prescription_watch(r).await?.into_inner();
    let first = watch
        .items
        .first()
        .ok_or_else(|| anyhow::anyhow!("nothing in the watch"))?;
    assert_eq!(first.month, ym(2022, 1));
    assert_eq!(first.prescription_limit, date(2027, 1, 5));
    assert_eq!(first.days_left, 30);
    assert_eq!(eur(&first.at_stake), d("100.00"));
    assert!(
        first
            .interrupted_by
            .contains(&(pb::LegalActKind::Summons as i32))
    );
    // The debt the ledger holds is the claimable one: the lump sum and 2022-01 … 2026-08.
    let ledger = c
        .pay
        .ledger
        .get_dossier_ledger(c.op(pb::GetDossierLedgerRequest {
            dossier_number: number.clone(),
            as_of: None,
        }))
        .await?
        .into_inner();
    let principal = ledger
        .accounts
        .iter()
        .find(|a| a.account_id.starts_with("debtor-principal/"))
        .map(|a| eur(&a.balance))
        .unwrap_or_default();
    assert_eq!(principal, d("2400.00") + d("100.00") * Decimal::from(56));
    the_watch_is_a_task_until_an_act_saves_the_lines(&mut c, &number).await
}

/// The watch's dossier in the one work queue: opened when the account is booked, closed by
/// the act that interrupts every line about to be lost.
async fn the_watch_is_a_task_until_an_act_saves_the_lines(
    c: &mut Ctx,
    number: &str,
) -> anyhow::Result<()> {
    let book = pb::BookClaimAccountRequest {
        idempotency_key: key("watch-book"),
        dossier_number: number.to_owned(),
        booked_to: None,
    };
    c.pay.claims.book_claim_account(c.op(book)).await?;
    let open = watch_task(c, number, pb::TaskState::Open).await?;
    assert_eq!(open.team, "payments");
    assert_eq!(open.due_on, date(2027, 1, 5), "the first line's limit");
    let summons = pb::RecordLegalActRequest {
        idempotency_key: key("watch-summons"),
        dossier_number: number.to_owned(),
        kind: pb::LegalActKind::Summons as i32,
        act_date: common::today(),
        creditor_person_ids: vec![],
        covered_months: None,
        reference: "Cit. 26/5120".into(),
    };
    c.pay
        .claims
        .record_legal_act(c.suite.request(&c.officer, summons))
        .await?;
    let closed = watch_task(c, number, pb::TaskState::Closed).await?;
    assert_eq!(closed.task_id, open.task_id);
    assert_eq!(closed.closed_by_action, "RecordLegalAct");
    Ok(())
}

/// The dossier's prescription-watch task in that state, once intake's pump has brought it
/// (payments' feed is pulled every 100 ms in tests; up to 30 s).
async fn watch_task(c: &Ctx, number: &str, state: pb::TaskState) -> anyhow::Result<pb::Task> {
    use secal_proto::v1::work_queue_service_client::WorkQueueServiceClient;
    let mut queue = WorkQueueServiceClient::new(c.suite.channel(Svc::Intake).await?);
    for _ in 0..300 {
        let req = pb::ListTasksRequest {
            kind: pb::TaskKind::PrescriptionWatch as i32,
            include_closed: true,
            ..Default::default()
        };
        let tasks = queue
            .list_tasks(c.suite.request(&c.officer, req))
            .await?
            .into_inner()
            .tasks;
        let found = tasks
            .into_iter()
            .find(|t| t.dossier_number == number && t.state() == state);
        if let Some(t) = found {
            return Ok(t);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("no {state:?} prescription-watch task for {number}")
}

#[tokio::test]
async fn concurrent_dues_runs_book_each_month_once() -> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let number = activate(&mut c, "claim3", claim_form()).await?;
    c.booked(&number).await?;
    let req = |k: &str| pb::RunMonthlyDuesRequest {
        idempotency_key: key(k),
        run_date: date(2026, 12, 6),
    };
    let (mut a, mut b) = (c.pay.claims.clone(), c.pay.claims.clone());
    let (ra, rb) = tokio::join!(
        drain(a.run_monthly_dues(c.op(req("a")))),
        drain(b.run_monthly_dues(c.op(req("b"))))
    );
    let (ra, rb) = (ra?, rb?);
    assert!(ra.reconciled && rb.reconciled);
    let s = c.debtor_statement(&number).await?;
    let t = s.totals.unwrap_or_default();
    assert_eq!(eur(&t.due), d("3000.00"));
    assert_eq!(eur(&t.fee), d("390.00"));
    let account = c.account(&number).await?;
    // The mandate and one dues booking: the other start found nothing to book.
    assert_eq!(account.bookings.len(), 2, "{:?}", account.bookings);
    Ok(())
}

#[tokio::test]
async fn before_2015_the_debtor_owes_ten_percent_and_five_are_kept_from_the_creditor()
-> anyhow::Result<()> {
    let mut c = Ctx::start().await?;
    let service = c.suite.agent_token("intake-relay", &[roles::SERVICE])?;
    let number = secal_domain::DossierNumber::new(2014, 77)?.to_string();
    let snapshot = pb::DossierSnapshot {
        dossier_number: number.clone(),
        status: pb::DossierStatus::Active as i32,
        kind: pb::ApplicationKind::ArrearsOnly as i32,
        application_date: date(2014, 5, 10),
        creditors: vec![pb::DossierCreditor {
            person: Some(pb::DossierPerson {
                person_id: "child-2014".into(),
                ..Default::default()
            }),
            creditor_key: "c1".into(),
            monthly_amount: money("200.00"),
            ..Default::default()
        }],
        title: Some(pb::ExecutoryTitle {
            title_date: date(2012, 12, 10),
            first_month: ym(2013, 1),
            due_day: 1,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut event = common::dossier_event("6f1d7a52-2b1c-4e8e-9a51-201400000077", 1, snapshot);
    if let Some(e) = event.event.as_mut() {
        e.effective_on = date(2014, 6, 1);
    }
    let r = c.suite.request(&service, event);
    c.pay.ledger.receive_dossier_event(r).await?;
    // January 2013 to April 2014, due before the application: 16 months of €200.
    let account = c.account(&number).await?;
    let mandate = account.mandate.unwrap_or_default();
    assert_eq!(eur(&mandate.principal), d("3200.00"));
    assert_eq!(mandate.fee_percent, "10");
    assert_eq!(eur(&mandate.fee), d("320.00"));
    // €500 paid: it pays arrears, and 5 % of the creditor's share stays with SECAL.
    c.pay
        .receipts
        .record_debtor_payment(c.op(pb::RecordDebtorPaymentRequest {
            idempotency_key: key("pay-2014"),
            dossier_number: number.clone(),
            amount: money("500.00"),
            received_on: date(2014, 7, 1),
            channel: pb::DebtorPaymentChannel::Voluntary as i32,
            ..Default::default()
        }))
        .await?;
    let payable = c
        .pay
        .ledger
        .get_ledger_account(c.op(pb::GetLedgerAccountRequest {
            account_id: format!("payable/{number}/child-2014"),
            as_of: None,
        }))
        .await?
        .into_inner()
        .account
        .unwrap_or_default();
    assert_eq!(eur(&payable.balance), d("475.00"));
    Ok(())
}
