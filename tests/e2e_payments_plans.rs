//! Payment plans and suspensions through gRPC with the real calculation service: a plan
//! sized on the seizable income (art. 1409, hand-computed here), instalments until the debt
//! is settled, missed instalments detected once, plans ended (also by a suspension), and
//! suspensions reviewed and listed.

use crate::common;

use common::{NISS_1985, assert_code, date, key, money, nn, reason, violated_fields};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::Svc;
use tonic::Code;

type Ctx = common::PaymentsCtx;

impl Ctx {
    /// An active dossier of the debtor `debtor-<nn>` owing `debt` (principal, January 2024).
    async fn dossier_with_debt(
        &mut self,
        seq: u32,
        debtor_nn: &str,
        debt: &str,
    ) -> anyhow::Result<String> {
        let d = DossierNumber::new(2024, seq)?.to_string();
        let id = format!("00000000-0000-4000-8000-{seq:012}");
        let event = common::dossier_event(&id, 1, common::debtor_dossier(&d, debtor_nn));
        self.ledger.receive_dossier_event(self.req(event)).await?;
        let item = pb::DebtItem {
            component: pb::DebtComponent::Principal as i32,
            creditor_person_id: "child-1".into(),
            month: Some(pb::YearMonth {
                year: 2024,
                month: 1,
            }),
            amount: money(debt),
            enforceable_since: date(2024, 1, 1),
        };
        let r = pb::RecognizeDebtorDebtRequest {
            idempotency_key: key(&format!("debt-{seq}")),
            dossier_number: d.clone(),
            items: vec![item],
            basis: "judgment".into(),
        };
        self.ledger.recognize_debtor_debt(self.req(r)).await?;
        Ok(d)
    }

    async fn create(
        &mut self,
        r: pb::CreatePaymentPlanRequest,
    ) -> Result<pb::PaymentPlan, tonic::Status> {
        let r = self.req(r);
        Ok(self
            .recovery
            .create_payment_plan(r)
            .await?
            .into_inner()
            .plan
            .unwrap_or_default())
    }

    async fn detect(
        &mut self,
        k: &str,
        as_of: Option<pb::Date>,
    ) -> anyhow::Result<pb::DetectMissedPlanInstalmentsResponse> {
        let r = self.req(pb::DetectMissedPlanInstalmentsRequest {
            idempotency_key: key(k),
            as_of,
            grace_days: 0,
        });
        Ok(self
            .recovery
            .detect_missed_plan_instalments(r)
            .await?
            .into_inner())
    }

    async fn get(&mut self, id: &str) -> anyhow::Result<pb::PaymentPlan> {
        let r = self.req(pb::GetPaymentPlanRequest { plan_id: id.into() });
        Ok(self
            .recovery
            .get_payment_plan(r)
            .await?
            .into_inner()
            .plan
            .unwrap_or_default())
    }

    async fn pay(
        &mut self,
        k: &str,
        d: &str,
        amount: &str,
        on: Option<pb::Date>,
    ) -> anyhow::Result<()> {
        let r = self.req(pb::RecordDebtorPaymentRequest {
            idempotency_key: key(k),
            dossier_number: d.into(),
            amount: money(amount),
            received_on: on,
            ..Default::default()
        });
        self.receipts.record_debtor_payment(r).await?;
        Ok(())
    }
}

fn eur(m: &Option<pb::Money>) -> rust_decimal::Decimal {
    m.as_ref()
        .and_then(|m| m.amount.parse().ok())
        .unwrap_or_default()
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_default()
}

fn income(id: &str, kind: pb::IncomeKind, amount: &str) -> pb::IncomeItem {
    pb::IncomeItem {
        income_id: id.into(),
        kind: kind as i32,
        amount: money(amount),
        ..Default::default()
    }
}

/// Wages of €1,800 in May 2024, 2 dependent children, an ordinary claim.
fn plan_request(k: &str, person: &str, dossier: &str) -> pb::CreatePaymentPlanRequest {
    pb::CreatePaymentPlanRequest {
        idempotency_key: key(k),
        debtor_person_id: person.into(),
        dossier_numbers: vec![dossier.into()],
        income_month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        incomes: vec![income("w", pb::IncomeKind::Wages, "1800.00")],
        dependent_children: 2,
        claim_kind: pb::SeizureClaimKind::Ordinary as i32,
        start_date: date(2024, 6, 1),
        due_day: 5,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_plan_sized_on_seizable_income_runs_until_settled_and_detects_missed_instalments()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let person = format!("debtor-{NISS_1985}");
    let d = c.dossier_with_debt(41, NISS_1985, "500.00").await?;

    // Wages of €1,000 are below A (1,341 in 2024): nothing seizable, and no override.
    let mut poor = plan_request("p-0", &person, &d);
    poor.incomes = vec![income("w", pb::IncomeKind::Wages, "1000.00")];
    let s = assert_code(c.create(poor.clone()).await, Code::FailedPrecondition);
    assert!(s.message().contains("seizable"), "{s:?}");
    // An override needs its reason, named.
    poor.idempotency_key = key("p-0b");
    poor.instalment_amount = money("25.00");
    let s = assert_code(c.create(poor).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["override_reason"]);
    // Unknown dossiers are refused by field.
    let unknown = DossierNumber::new(2024, 999)?.to_string();
    let s = assert_code(
        c.create(plan_request("p-0c", &person, &unknown)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["dossier_numbers[0]"]);
    // The calculation service's refusals come back under this request's field names.
    let mut no_month = plan_request("p-0d", &person, &d);
    no_month.income_month = None;
    let s = assert_code(c.create(no_month).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["income_month"]);

    // 2024 brackets A/B/C/D = 1341/1440/1589/1738, child increment 83. Wages 1,800:
    // 20% × (1440 − 1341) = 19.80; 30% × (1589 − 1440) = 44.70; 40% × (1738 − 1589) = 59.60;
    // all of 1800 − 1738 = 62.00 → 186.10; minus 2 × 83 = 166 → €20.10 a month.
    let req = plan_request("p-1", &person, &d);
    let plan = c.create(req.clone()).await?;
    assert_eq!(eur(&plan.seizable_amount), dec("20.10"));
    assert_eq!(eur(&plan.instalment_amount), dec("20.10"));
    assert!(plan.sizing_explanation.is_some());
    assert!(plan.structured_reference.starts_with("+++"), "{plan:?}");
    // Count 0: until the €500 is settled → 24 × 20.10 = 482.40, then a last of 17.60.
    assert_eq!(plan.instalment_count, 0);
    assert_eq!(plan.instalments.len(), 25);
    assert_eq!(plan.instalments[0].due_date, date(2024, 6, 5));
    assert_eq!(plan.instalments[24].due_date, date(2026, 6, 5));
    assert_eq!(eur(&plan.instalments[23].amount), dec("20.10"));
    assert_eq!(eur(&plan.instalments[24].amount), dec("17.60"));

    // Idempotent: the same request under its key returns the same plan; other content under
    // it is refused; a second active plan on the dossier is refused.
    assert_eq!(c.create(req.clone()).await?, plan);
    let mut other = req.clone();
    other.due_day = 6;
    assert_code(c.create(other).await, Code::FailedPrecondition);
    let s = assert_code(
        c.create(plan_request("p-2", &person, &d)).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains(&plan.plan_id), "{s:?}");

    // Instalment 1 (due 5 June) paid on 4 June; nothing for 5 July. On 20 July (grace 10:
    // due before 10 July) only instalment 2 is missed, once.
    c.pay("pay-1", &d, "20.10", date(2024, 6, 4)).await?;
    let first = c.detect("det-1", date(2024, 7, 20)).await?;
    let missed: Vec<_> = first
        .missed
        .iter()
        .map(|m| (m.plan_id.clone(), m.number, eur(&m.unpaid)))
        .collect();
    assert_eq!(missed, [(plan.plan_id.clone(), 2, dec("20.10"))]);
    assert_eq!(first.plans_checked, 1);
    assert_eq!(c.detect("det-1", date(2024, 7, 20)).await?, first, "replay");
    assert!(
        c.detect("det-2", date(2024, 7, 20))
            .await?
            .missed
            .is_empty()
    );

    // €10 on 25 July goes to the oldest unpaid instalment (2); instalment 3 (due 5 August)
    // is missed on 20 August with its whole amount unpaid.
    c.pay("pay-2", &d, "10.00", date(2024, 7, 25)).await?;
    let third = c.detect("det-3", date(2024, 8, 20)).await?;
    let missed: Vec<_> = third
        .missed
        .iter()
        .map(|m| (m.number, eur(&m.unpaid)))
        .collect();
    assert_eq!(missed, [(3, dec("20.10"))]);
    let now = c.get(&plan.plan_id).await?;
    use pb::PlanInstalmentStatus as S;
    let states: Vec<_> = now.instalments[..3]
        .iter()
        .map(|i| (i.status, eur(&i.paid)))
        .collect();
    assert_eq!(
        states,
        [
            (S::Paid as i32, dec("20.10")),
            (S::Missed as i32, dec("10.00")),
            (S::Missed as i32, dec("0")),
        ]
    );
    let listed = c
        .recovery
        .list_payment_plans(c.req(pb::ListPaymentPlansRequest {
            dossier_number: d.clone(),
            status: pb::PaymentPlanStatus::Active as i32,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .plans;
    assert_eq!(listed, [now]);

    // A case officer reads plans but does not make them.
    let officer = c.suite.agent_token("officer", &[roles::CASE_OFFICER])?;
    let read = pb::GetPaymentPlanRequest {
        plan_id: plan.plan_id.clone(),
    };
    c.recovery
        .get_payment_plan(c.suite.request(&officer, read))
        .await?;
    let denied = c
        .recovery
        .create_payment_plan(c.suite.request(&officer, plan_request("p-3", &person, &d)))
        .await;
    assert_code(denied, Code::PermissionDenied);

    // Ended for default; the end is idempotent and a second end is refused.
    let end = pb::EndPaymentPlanRequest {
        idempotency_key: key("end-1"),
        plan_id: plan.plan_id.clone(),
        reason: pb::PaymentPlanEndReason::Defaulted as i32,
        ended_on: date(2024, 8, 21),
        note: "two instalments missed".into(),
    };
    let ended = c
        .recovery
        .end_payment_plan(c.req(end.clone()))
        .await?
        .into_inner()
        .plan
        .unwrap_or_default();
    assert_eq!(ended.status, pb::PaymentPlanStatus::Ended as i32);
    assert_eq!(ended.end_reason, pb::PaymentPlanEndReason::Defaulted as i32);
    assert_eq!(ended.ended_on, date(2024, 8, 21));
    let again = c.recovery.end_payment_plan(c.req(end.clone())).await?;
    assert_eq!(again.into_inner().plan, Some(ended));
    let mut twice = end;
    twice.idempotency_key = key("end-2");
    assert_code(
        c.recovery.end_payment_plan(c.req(twice)).await,
        Code::FailedPrecondition,
    );
    // Ended plans are not judged any more.
    assert_eq!(c.detect("det-4", date(2025, 1, 1)).await?.plans_checked, 0);
    Ok(())
}

/// The last step of a plan's explanation: how its instalment was chosen.
fn instalment_step(plan: &pb::PaymentPlan) -> pb::RuleApplied {
    plan.sizing_explanation
        .as_ref()
        .and_then(|e| e.rules.iter().rfind(|r| r.rule_id == "PLAN_INSTALMENT"))
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_default_plan_leaves_the_protected_minimum_and_an_agent_raises_it_with_a_reason()
-> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let person = format!("debtor-{NISS_1985}");
    let (d1, d2) = (
        c.dossier_with_debt(61, NISS_1985, "5000.00").await?,
        c.dossier_with_debt(62, NISS_1985, "5000.00").await?,
    );

    // No claim kind: the ordinary art. 1409 amount (wages 1,800, 2 children: €20.10), not
    // the whole wage although SECAL's claims are maintenance claims.
    let mut req = plan_request("d-1", &person, &d1);
    req.claim_kind = pb::SeizureClaimKind::Unspecified as i32;
    req.instalment_count = 12;
    let plan = c.create(req).await?;
    assert_eq!(eur(&plan.seizable_amount), dec("20.10"));
    assert_eq!(eur(&plan.instalment_amount), dec("20.10"));
    assert_eq!(eur(&plan.maintenance_exception_amount), dec("1800.00"));
    assert!(plan.override_reason.is_empty());
    let step = instalment_step(&plan);
    assert_eq!(step.result, "20.10");
    assert!(step.detail.contains("protected minimum"), "{step:?}");

    // Raising needs a reason, and never beyond the maintenance-exception amount.
    let mut raise = plan_request("d-2", &person, &d2);
    raise.claim_kind = pb::SeizureClaimKind::Maintenance as i32;
    let s = assert_code(c.create(raise.clone()).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["override_reason"]);
    let mut beyond = plan_request("d-3", &person, &d2);
    beyond.instalment_amount = money("1800.01");
    beyond.override_reason = "the debtor asked".into();
    let s = assert_code(c.create(beyond).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&s), ["instalment_amount"]);

    // Raised to the maintenance-exception amount with a reason: stored and shown.
    raise.idempotency_key = key("d-4");
    raise.override_reason = "the debtor has other means".into();
    raise.instalment_count = 2;
    let plan = c.create(raise).await?;
    assert_eq!(eur(&plan.instalment_amount), dec("1800.00"));
    assert_eq!(eur(&plan.seizable_amount), dec("20.10"));
    let read = c.get(&plan.plan_id).await?;
    assert_eq!(read.override_reason, "the debtor has other means");
    let step = instalment_step(&read);
    assert_eq!(step.result, "1800.00");
    assert!(
        step.detail.contains("the debtor has other means") && step.detail.contains("20.10"),
        "{step:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_suspension_ends_plans_and_is_reviewed_and_listed() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let debtor_nn = "90010101707";
    let person = format!("debtor-{debtor_nn}");
    let d = c.dossier_with_debt(51, debtor_nn, "400.00").await?;

    // By default the ordinary amount: family allowance is unseizable and the debtor keeps the
    // protected minimum (€20.10, as below); the maintenance exception (everything counted,
    // 1,800 + 300 = €2,100) is only the ceiling. The agent sets 6 instalments of €50 instead.
    let mut req = plan_request("m-1", &person, &d);
    req.claim_kind = pb::SeizureClaimKind::Unspecified as i32;
    req.incomes
        .push(income("fa", pb::IncomeKind::FamilyAllowance, "300.00"));
    req.instalment_amount = money("50.00");
    req.override_reason = "agreed with the debtor".into();
    req.instalment_count = 6;
    let plan = c.create(req).await?;
    assert_eq!(eur(&plan.seizable_amount), dec("20.10"));
    assert_eq!(eur(&plan.maintenance_exception_amount), dec("2100.00"));
    assert_eq!(plan.instalments.len(), 6);
    assert!(plan.instalments.iter().all(|i| eur(&i.amount) == dec("50")));

    // Granting a suspension ends the plan in the same step; tax-refund offsets are zero.
    let grant = pb::GrantSuspensionRequest {
        idempotency_key: key("s-1"),
        debtor_person_id: person.clone(),
        dossier_numbers: vec![d.clone()],
        effective_from: date(2024, 9, 1),
        review_on: date(2025, 3, 1),
        grounds: "insolvent".into(),
        ..Default::default()
    };
    let granted = c
        .recovery
        .grant_suspension(c.req(grant))
        .await?
        .into_inner();
    assert_eq!(granted.ended_plan_ids, std::slice::from_ref(&plan.plan_id));
    let s = granted.suspension.unwrap_or_default();
    let ended = c.get(&plan.plan_id).await?;
    assert_eq!(ended.status, pb::PaymentPlanStatus::Ended as i32);
    assert_eq!(
        ended.end_reason,
        pb::PaymentPlanEndReason::Suspension as i32
    );
    let offset = c
        .recovery
        .propose_tax_refund_offset(c.req(pb::ProposeTaxRefundOffsetRequest {
            idempotency_key: key("tr"),
            refund_id: "R-S".into(),
            taxpayer: nn(debtor_nn),
            refund_amount: money("100.00"),
            assessment_year: 2024,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .offset
        .unwrap_or_default();
    assert_eq!(
        offset.zero_reason,
        pb::TaxRefundZeroReason::IndefiniteSuspension as i32
    );
    // No plan while suspended.
    let s2 = assert_code(
        c.create(plan_request("m-2", &person, &d)).await,
        Code::FailedPrecondition,
    );
    assert!(s2.message().contains("suspension"), "{s2:?}");
    // One suspension in force at a time: it is reviewed, not granted again.
    let mut again = grant_of(&person, "s-again");
    again.dossier_numbers = vec![d.clone()];
    let s3 = assert_code(
        c.recovery.grant_suspension(c.req(again)).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&s3), "SUSPENSION_IN_FORCE");
    assert!(s3.message().contains(&s.suspension_id), "{s3:?}");

    // Due for review by 1 March 2025, not by 28 February.
    let due = |k: Option<pb::Date>| pb::ListSuspensionsRequest {
        review_due_by: k,
        ..Default::default()
    };
    let list = |c: &mut Ctx, r: pb::ListSuspensionsRequest| {
        let r = c.req(r);
        let mut client = c.recovery.clone();
        async move { client.list_suspensions(r).await.map(|x| x.into_inner()) }
    };
    assert!(
        list(&mut c, due(date(2025, 2, 28)))
            .await?
            .suspensions
            .is_empty()
    );
    let listed = list(&mut c, due(date(2025, 3, 1))).await?.suspensions;
    assert_eq!(listed, std::slice::from_ref(&s));

    // Continue needs the next review date; with it, the suspension is due later.
    let review =
        |k: &str, outcome: pb::SuspensionReviewOutcome, next| pb::ReviewSuspensionRequest {
            idempotency_key: key(k),
            suspension_id: s.suspension_id.clone(),
            outcome: outcome as i32,
            reviewed_on: date(2025, 3, 1),
            next_review_on: next,
            note: "still insolvent".into(),
        };
    use pb::SuspensionReviewOutcome as O;
    let bad = c
        .recovery
        .review_suspension(c.req(review("r-0", O::Continue, None)))
        .await;
    assert_eq!(
        violated_fields(&assert_code(bad, Code::InvalidArgument)),
        ["next_review_on"]
    );
    let cont = c
        .recovery
        .review_suspension(c.req(review("r-1", O::Continue, date(2025, 9, 1))))
        .await?
        .into_inner()
        .suspension
        .unwrap_or_default();
    assert_eq!(cont.review_on, date(2025, 9, 1));
    assert_eq!(cont.status, pb::SuspensionStatus::Active as i32);
    assert_eq!(cont.reviews.len(), 1);
    assert!(
        list(&mut c, due(date(2025, 3, 1)))
            .await?
            .suspensions
            .is_empty()
    );
    assert_eq!(
        list(&mut c, due(date(2025, 9, 1))).await?.suspensions,
        std::slice::from_ref(&cont)
    );

    // Lifted: no longer active nor due; a further review is refused; a plan is possible again.
    let mut lift = review("r-2", O::Lift, None);
    lift.reviewed_on = date(2025, 6, 1);
    let lifted = c
        .recovery
        .review_suspension(c.req(lift.clone()))
        .await?
        .into_inner()
        .suspension
        .unwrap_or_default();
    assert_eq!(lifted.status, pb::SuspensionStatus::Lifted as i32);
    assert_eq!(lifted.lifted_on, date(2025, 6, 1));
    assert_eq!(lifted.reviews.len(), 2);
    let replay = c
        .recovery
        .review_suspension(c.req(lift))
        .await?
        .into_inner();
    assert_eq!(replay.suspension, Some(lifted.clone()));
    assert_code(
        c.recovery
            .review_suspension(c.req(review("r-3", O::Continue, date(2026, 1, 1))))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        list(&mut c, due(date(2030, 1, 1)))
            .await?
            .suspensions
            .is_empty()
    );
    let by_status = pb::ListSuspensionsRequest {
        debtor_person_id: person.clone(),
        status: pb::SuspensionStatus::Lifted as i32,
        ..Default::default()
    };
    assert_eq!(list(&mut c, by_status).await?.suspensions, [lifted]);
    c.create(plan_request("m-3", &person, &d)).await?;

    // Pages: two more suspensions, one a page. Without dossiers named, a suspension covers
    // all the debtor's.
    let mut debtors = Vec::new();
    for (seq, debtor_nn) in [(61, "80010100107"), (62, "80010100206")] {
        let dossier = c.dossier_with_debt(seq, debtor_nn, "10.00").await?;
        let who = format!("debtor-{debtor_nn}");
        let g = grant_of(&who, &format!("s-more-{seq}"));
        let granted = c.recovery.grant_suspension(c.req(g)).await?.into_inner();
        let covered = granted.suspension.unwrap_or_default().dossier_numbers;
        assert_eq!(covered, [dossier]);
        debtors.push(who);
    }
    let page = |token: &str| pb::ListSuspensionsRequest {
        status: pb::SuspensionStatus::Active as i32,
        page: Some(pb::PageRequest {
            page_size: 1,
            page_token: token.into(),
        }),
        ..Default::default()
    };
    let p1 = list(&mut c, page("")).await?;
    let token = p1.page.clone().unwrap_or_default().next_page_token;
    let p2 = list(&mut c, page(&token)).await?;
    let who: Vec<_> = p1
        .suspensions
        .iter()
        .chain(&p2.suspensions)
        .map(|s| s.debtor_person_id.as_str())
        .collect();
    assert_eq!(who, debtors);
    Ok(())
}

fn grant_of(person: &str, k: &str) -> pb::GrantSuspensionRequest {
    pb::GrantSuspensionRequest {
        idempotency_key: key(k),
        debtor_person_id: person.into(),
        effective_from: date(2024, 1, 1),
        review_on: date(2024, 12, 1),
        grounds: "insolvent".into(),
        ..Default::default()
    }
}

/// A suspension is for a debtor payments knows, on his own dossiers, valid numbers each once.
#[tokio::test]
async fn a_suspension_names_a_known_debtor_and_his_own_dossiers() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let mine = c.dossier_with_debt(71, "75050500597", "100.00").await?;
    let theirs = c.dossier_with_debt(72, "90010101707", "100.00").await?;
    let me = "debtor-75050500597";

    let unknown = assert_code(
        c.recovery
            .grant_suspension(c.req(grant_of("debtor-nobody", "u-1")))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&unknown), "DEBTOR_UNKNOWN");

    let mut bad = grant_of(me, "u-2");
    bad.dossier_numbers = vec![mine.clone(), "SEC-2024-000071-00".into(), mine.clone()];
    let s = assert_code(
        c.recovery.grant_suspension(c.req(bad)).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&s),
        ["dossier_numbers[1]", "dossier_numbers[2]"]
    );

    let mut foreign = grant_of(me, "u-3");
    foreign.dossier_numbers = vec![mine.clone(), theirs];
    let s = assert_code(
        c.recovery.grant_suspension(c.req(foreign)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["dossier_numbers[1]"]);
    assert!(
        s.message().contains("not a dossier of this debtor"),
        "{s:?}"
    );

    // Nothing was written by the refusals: the debtor can still be suspended, once.
    let mut good = grant_of(me, "u-4");
    good.dossier_numbers = vec![mine.clone()];
    let granted = c.recovery.grant_suspension(c.req(good.clone())).await?;
    let replay = c.recovery.grant_suspension(c.req(good)).await?;
    assert_eq!(granted.into_inner(), replay.into_inner());
    let listed = c
        .recovery
        .list_suspensions(c.req(pb::ListSuspensionsRequest {
            debtor_person_id: me.into(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .suspensions;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].dossier_numbers, [mine]);

    // Two grants for the same debtor at once: one is granted, the other refused.
    let (a, b) = {
        let (mut x, mut y) = (c.recovery.clone(), c.recovery.clone());
        let ra = c.req(grant_of("debtor-90010101707", "u-5"));
        let rb = c.req(grant_of("debtor-90010101707", "u-6"));
        tokio::join!(x.grant_suspension(ra), y.grant_suspension(rb))
    };
    let refused: Vec<_> = [a.err(), b.err()].into_iter().flatten().collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(reason(&refused[0]), "SUSPENSION_IN_FORCE");
    Ok(())
}

/// A plan ends completed once every instalment is paid (found by the periodic detection), and
/// not before; it ends defaulted only with a missed instalment on record.
#[tokio::test]
async fn a_paid_up_plan_is_completed_and_only_a_missed_one_defaulted() -> anyhow::Result<()> {
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let person = format!("debtor-{NISS_1985}");
    let d = c.dossier_with_debt(81, NISS_1985, "60.00").await?;
    let mut req = plan_request("c-1", &person, &d);
    req.instalment_amount = money("20.00");
    req.override_reason = "agreed with the debtor".into();
    let plan = c.create(req).await?;
    let amounts: Vec<_> = plan.instalments.iter().map(|i| eur(&i.amount)).collect();
    assert_eq!(amounts, [dec("20"), dec("20"), dec("20")]);
    c.pay("c-pay-1", &d, "20.00", date(2024, 6, 4)).await?;

    let end = |k: &str, reason: pb::PaymentPlanEndReason| pb::EndPaymentPlanRequest {
        idempotency_key: key(k),
        plan_id: plan.plan_id.clone(),
        reason: reason as i32,
        ended_on: date(2024, 6, 10),
        note: String::new(),
    };
    use pb::PaymentPlanEndReason as R;
    let s = assert_code(
        c.recovery
            .end_payment_plan(c.req(end("c-end-1", R::Completed)))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&s), "PLAN_NOT_PAID");
    assert!(s.message().contains("40.00"), "{s:?}");
    let s = assert_code(
        c.recovery
            .end_payment_plan(c.req(end("c-end-2", R::Defaulted)))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&s), "NO_MISSED_INSTALMENT");

    // 1 July: instalment 1 paid, nothing missed yet, the plan goes on.
    let first = c.detect("c-det-1", date(2024, 7, 1)).await?;
    assert!(first.missed.is_empty() && first.completed_plan_ids.is_empty());
    // The rest paid early; the next detection completes the plan on its date.
    c.pay("c-pay-2", &d, "40.00", date(2024, 7, 3)).await?;
    let second = c.detect("c-det-2", date(2024, 7, 10)).await?;
    assert!(second.missed.is_empty());
    assert_eq!(
        second.completed_plan_ids,
        std::slice::from_ref(&plan.plan_id)
    );
    let done = c.get(&plan.plan_id).await?;
    assert_eq!(done.status, pb::PaymentPlanStatus::Ended as i32);
    assert_eq!(done.end_reason, R::Completed as i32);
    assert_eq!(done.ended_on, date(2024, 7, 10));
    assert_eq!(
        c.detect("c-det-3", date(2024, 8, 1)).await?.plans_checked,
        0
    );
    Ok(())
}

/// A date as the contract carries it.
fn pb_date(d: chrono::NaiveDate) -> Option<pb::Date> {
    use chrono::Datelike;
    date(d.year(), d.month() as i32, d.day() as i32)
}

/// A plan until settled is sized on the enforceable debt of its creation day plus the title's
/// dues falling due over the plan (not indexed); later it reports today's debt beside the one
/// it was sized on, and flags a debt that moved otherwise than by the debtor's payments.
#[tokio::test]
async fn a_plan_counts_the_dues_falling_due_over_it_and_flags_a_changed_debt() -> anyhow::Result<()>
{
    use chrono::{Datelike, Months, NaiveDate, Utc};
    let mut c = Ctx::start(&[Svc::Calculation, Svc::Payments], "agent-plans").await?;
    let person = format!("debtor-{NISS_1985}");
    let today = Utc::now().date_naive();
    let this_month = today.with_day(1).unwrap_or(today);
    let next_month = this_month
        .checked_add_months(Months::new(1))
        .unwrap_or(today);
    let ym = |m: NaiveDate| {
        Some(pb::YearMonth {
            year: m.year(),
            month: m.month() as i32,
        })
    };
    // The title: €100 a month for child-1, due on the 1st, from four months ago: on its
    // activation today the claim account books five months due (500) and their 13 % fees
    // (65), all enforceable.
    let d = DossierNumber::new(2024, 95)?.to_string();
    let snapshot = |first: NaiveDate| {
        let mut snapshot = common::debtor_dossier(&d, NISS_1985);
        snapshot.application_date = pb_date(today);
        snapshot.active_from = pb_date(today);
        snapshot.title = Some(pb::ExecutoryTitle {
            kind: pb::TitleKind::Judgment as i32,
            title_date: date(2024, 1, 10),
            first_month: ym(first),
            due_day: 1,
            ..Default::default()
        });
        snapshot.creditors = vec![pb::DossierCreditor {
            person: Some(pb::DossierPerson {
                person_id: "child-1".into(),
                ..Default::default()
            }),
            creditor_key: "c1".into(),
            kind: pb::CreditorKind::Child as i32,
            monthly_amount: money("100.00"),
            ..Default::default()
        }];
        snapshot
    };
    let months_ago = |n| {
        this_month
            .checked_sub_months(Months::new(n))
            .unwrap_or(today)
    };
    let event = common::dossier_event(
        "00000000-0000-4000-8000-000000000095",
        1,
        snapshot(months_ago(4)),
    );
    c.ledger.receive_dossier_event(c.req(event)).await?;
    // Its debt is the claim account's: none is recognised by hand on such a dossier.
    let by_hand = pb::RecognizeDebtorDebtRequest {
        idempotency_key: key("debt-95"),
        dossier_number: d.clone(),
        items: vec![pb::DebtItem {
            component: pb::DebtComponent::Principal as i32,
            creditor_person_id: "child-2".into(),
            month: ym(months_ago(1)),
            amount: money("50.00"),
            enforceable_since: pb_date(today),
        }],
        basis: "judgment".into(),
    };
    let s = assert_code(
        c.ledger.recognize_debtor_debt(c.req(by_hand)).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&s), "CLAIM_ACCOUNT_KEEPS_THE_DEBT");

    // €250 a month from next month's 1st: 565 alone takes 3; with the dues of the months it
    // lasts (100 each, due on the 1st from next month) it takes 4: 565 + 4 × 100 = 965 =
    // 3 × 250 + 215.
    let mut req = plan_request("d-1", &person, &d);
    req.start_date = pb_date(next_month);
    req.due_day = 1;
    req.instalment_amount = money("250.00");
    req.override_reason = "agreed with the debtor".into();
    let plan = c.create(req.clone()).await?;
    let amounts: Vec<_> = plan.instalments.iter().map(|i| eur(&i.amount)).collect();
    assert_eq!(amounts, [dec("250"), dec("250"), dec("250"), dec("215")]);
    assert_eq!(eur(&plan.sized_debt), dec("565"));
    assert_eq!(eur(&plan.sized_dues), dec("400"));
    assert_eq!(eur(&plan.current_debt), dec("565"));
    assert!(!plan.debt_changed);
    let rules: Vec<_> = plan
        .sizing_explanation
        .iter()
        .flat_map(|e| &e.rules)
        .map(|r| r.rule_id.as_str())
        .collect();
    assert!(rules.contains(&"PLAN_ENFORCEABLE_DEBT") && rules.contains(&"PLAN_DUES"));

    // A payment lowers the debt as the plan foresees: not a change.
    c.pay("d-pay", &d, "250.00", pb_date(today)).await?;
    let now = c.get(&plan.plan_id).await?;
    assert_eq!(eur(&now.current_debt), dec("315"));
    assert_eq!(eur(&now.sized_debt), dec("565"));
    assert!(!now.debt_changed, "{now:?}");

    // A debt the plan did not count: the title corrected to start a month earlier, the claim
    // account books that month (100 and its fee 13): flagged, the plan itself unchanged
    // (re-sizing is a new plan).
    let event = common::dossier_event(
        "00000000-0000-4000-8000-000000000096",
        2,
        snapshot(months_ago(5)),
    );
    c.ledger.receive_dossier_event(c.req(event)).await?;
    let now = c.get(&plan.plan_id).await?;
    assert_eq!(eur(&now.current_debt), dec("428"));
    assert!(now.debt_changed);
    assert_eq!(now.instalments.len(), 4);
    let listed = c
        .recovery
        .list_payment_plans(c.req(pb::ListPaymentPlansRequest {
            dossier_number: d.clone(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .plans;
    assert_eq!(listed, [now]);

    // An instalment no larger than the dues never settles the plan.
    let end = pb::EndPaymentPlanRequest {
        idempotency_key: key("d-end"),
        plan_id: plan.plan_id.clone(),
        reason: pb::PaymentPlanEndReason::Replaced as i32,
        ended_on: pb_date(today),
        note: "debt changed".into(),
    };
    let ended = c.recovery.end_payment_plan(c.req(end)).await?.into_inner();
    assert!(
        !ended.plan.unwrap_or_default().debt_changed,
        "ended: not flagged"
    );
    let mut slow = req;
    slow.idempotency_key = key("d-2");
    slow.instalment_amount = money("100.00");
    let s = assert_code(c.create(slow).await, Code::FailedPrecondition);
    assert_eq!(reason(&s), "PLAN_TOO_LONG");
    Ok(())
}
