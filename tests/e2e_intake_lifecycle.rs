//! Intake lifecycle rules and the decision-deadline list, through gRPC.

use crate::common;
use crate::form;

use common::assert_code;
use form::*;
use secal_proto::v1::{self as pb, intake_service_client::IntakeServiceClient};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tonic::Code;
use tonic::transport::Channel;

type Client = IntakeServiceClient<Channel>;

async fn setup() -> anyhow::Result<(Suite, Client, String)> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
    let client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?;
    Ok((suite, client, token))
}

async fn submitted(
    suite: &Suite,
    client: &mut Client,
    token: &str,
    k: &str,
    received: Option<pb::Date>,
) -> anyhow::Result<pb::Dossier> {
    let mut req = submit(k, mother_of_three());
    if received.is_some() {
        req.received_on = received;
    }
    Ok(client
        .submit_application(suite.request(token, req))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default())
}

/// The dossier as GetDossier reads it.
pub(crate) async fn get_dossier(
    suite: &Suite,
    client: &mut Client,
    token: &str,
    id: &str,
) -> anyhow::Result<pb::Dossier> {
    let req = pb::GetDossierRequest { dossier: by_id(id) };
    Ok(client
        .get_dossier(suite.request(token, req))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default())
}

#[tokio::test]
async fn illegal_transitions_are_refused_naming_the_current_status() -> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let d = submitted(&suite, &mut client, &token, "ill-1", None).await?;
    let id = d.application_id.clone();
    // COMPLETE → ACTIVE is not a step.
    let status = assert_code(
        client
            .activate_dossier(suite.request(
                &token,
                pb::ActivateDossierRequest {
                    idempotency_key: key("ill-act"),
                    dossier: by_id(&id),
                    active_from: date(2007, 10, 1),
                    expected_version: 0,
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        status.message().contains("DOSSIER_STATUS_COMPLETE")
            && status.message().contains("DOSSIER_STATUS_ACTIVE"),
        "{}",
        status.message()
    );
    // Accepting needs the debtor notified and the 15 days passed.
    let notified = client
        .notify_debtor(suite.request(
            &token,
            pb::NotifyDebtorRequest {
                idempotency_key: key("ill-notify"),
                dossier: by_id(&id),
                notified_on: date(2007, 8, 6),
                registered_letter_reference: "RR 1".into(),
                expected_version: d.version,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&token, &notified, date(2007, 8, 6).unwrap_or_default())
        .await?;
    let early = assert_code(
        client
            .accept_application(suite.request(
                &token,
                pb::AcceptApplicationRequest {
                    idempotency_key: key("ill-accept-early"),
                    dossier: by_id(&id),
                    decided_on: date(2007, 8, 21),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        early.message().contains("2007-08-21"),
        "{}",
        early.message()
    );
    // Refusal needs a reason and a motivation; then it is final.
    let refuse = |k: &str| pb::RefuseApplicationRequest {
        idempotency_key: key(k),
        dossier: by_id(&id),
        decided_on: date(2007, 8, 25),
        reasons: vec![pb::RefusalReason::DebtorProvedPayment as i32],
        motivation: "the debtor paid".into(),
        expected_version: 0,
        dispatch: None,
    };
    let mut no_reason = refuse("ill-r0");
    no_reason.reasons.clear();
    assert_code(
        client
            .refuse_application(suite.request(&token, no_reason))
            .await,
        Code::InvalidArgument,
    );
    let refused = client
        .refuse_application(suite.request(&token, refuse("ill-r1")))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(refused.status(), pb::DossierStatus::Refused);
    let again = client
        .refuse_application(suite.request(&token, refuse("ill-r1")))
        .await?
        .into_inner();
    assert_eq!(again.dossier, Some(refused), "a retry is answered the same");
    let status = assert_code(
        client
            .close_dossier(suite.request(
                &token,
                pb::CloseDossierRequest {
                    idempotency_key: key("ill-close"),
                    dossier: by_id(&id),
                    reason: pb::ClosureReason::Withdrawn as i32,
                    closed_on: date(2007, 9, 1),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        status.message().contains("DOSSIER_STATUS_REFUSED")
            && status.message().contains("final: no step leads back"),
        "{}",
        status.message()
    );
    // Only a case officer does dossier work.
    let registrar = suite.agent_token("agent-reg", &[roles::REGISTRAR])?;
    assert_code(
        client
            .submit_application(suite.request(&registrar, submit("ill-x", mother_of_three())))
            .await,
        Code::PermissionDenied,
    );
    Ok(())
}

#[tokio::test]
async fn undecided_dossiers_are_listed_by_deadline_overdue_first() -> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let late = submitted(&suite, &mut client, &token, "dl-1", date(2007, 8, 1)).await?;
    let later = submitted(&suite, &mut client, &token, "dl-2", date(2007, 8, 20)).await?;
    let soon = submitted(&suite, &mut client, &token, "dl-3", date(2007, 8, 10)).await?;
    let list = |overdue_only: bool, page: Option<pb::PageRequest>| {
        pb::ListDossiersByDecisionDeadlineRequest {
            as_of: date(2007, 9, 15),
            overdue_only,
            assigned_agent_id: String::new(),
            page,
        }
    };
    let all = client
        .list_dossiers_by_decision_deadline(suite.request(&token, list(false, None)))
        .await?
        .into_inner()
        .dossiers;
    let order: Vec<_> = all
        .iter()
        .map(|d| {
            (
                d.dossier
                    .as_ref()
                    .map(|s| s.application_id.clone())
                    .unwrap_or_default(),
                d.days_overdue,
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (late.application_id.clone(), 14),
            (soon.application_id.clone(), 5),
            (later.application_id.clone(), -5),
        ]
    );
    let overdue = client
        .list_dossiers_by_decision_deadline(suite.request(&token, list(true, None)))
        .await?
        .into_inner()
        .dossiers;
    assert_eq!(overdue.len(), 2);
    // Pages follow the same order.
    let first = client
        .list_dossiers_by_decision_deadline(suite.request(
            &token,
            list(
                false,
                Some(pb::PageRequest {
                    page_size: 2,
                    page_token: String::new(),
                }),
            ),
        ))
        .await?
        .into_inner();
    let token2 = first.page.unwrap_or_default().next_page_token;
    let second = client
        .list_dossiers_by_decision_deadline(suite.request(
            &token,
            list(
                false,
                Some(pb::PageRequest {
                    page_size: 2,
                    page_token: token2,
                }),
            ),
        ))
        .await?
        .into_inner();
    assert_eq!(second.dossiers.len(), 1);
    assert_eq!(
        second.dossiers[0]
            .dossier
            .as_ref()
            .map(|s| s.application_id.clone()),
        Some(later.application_id)
    );
    Ok(())
}

#[tokio::test]
async fn an_application_never_assessed_cannot_be_accepted() -> anyhow::Result<()> {
    // Without the calculation service the application is stored "not assessed".
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?;
    let d = submitted(&suite, &mut client, &token, "nas-1", None).await?;
    assert_eq!(
        d.admissibility.clone().unwrap_or_default().outcome(),
        pb::AdmissibilityOutcome::NotAssessed
    );
    let notified = client
        .notify_debtor(suite.request(
            &token,
            pb::NotifyDebtorRequest {
                idempotency_key: key("nas-notify"),
                dossier: by_id(&d.application_id),
                notified_on: date(2007, 8, 6),
                registered_letter_reference: "RR 3".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&token, &notified, date(2007, 8, 6).unwrap_or_default())
        .await?;
    let refused = assert_code(
        client
            .accept_application(suite.request(
                &token,
                pb::AcceptApplicationRequest {
                    idempotency_key: key("nas-accept"),
                    dossier: by_id(&d.application_id),
                    decided_on: date(2007, 8, 27),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        refused.message().contains("never assessed"),
        "{}",
        refused.message()
    );
    let after = get_dossier(&suite, &mut client, &token, &d.application_id).await?;
    assert_eq!(after.status(), pb::DossierStatus::DebtorNotified);
    assert!(after.dossier_number.is_empty(), "no dossier number given");
    Ok(())
}

#[tokio::test]
async fn an_application_found_not_admissible_cannot_be_accepted_only_refused() -> anyhow::Result<()>
{
    let (suite, mut client, token) = setup().await?;
    // One unpaid month in the year before the application: the rule asks for two.
    let mut f = mother_of_three();
    if let Some(a) = f.arrears.as_mut() {
        a.unpaid_months = vec![pb::UnpaidMonthEntry {
            creditor_key: "c1".into(),
            month: Some(pb::YearMonth {
                year: 2007,
                month: 3,
            }),
            unpaid: money("155.43"),
        }];
        a.total_arrears = money("155.43");
    }
    let d = client
        .submit_application(suite.request(&token, submit("na-1", f)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let assessment = d.admissibility.clone().unwrap_or_default();
    if assessment.outcome() == pb::AdmissibilityOutcome::NotAssessed {
        // The calculation service does not answer yet: nothing more to check here.
        assert!(!assessment.not_assessed_reason.is_empty());
        return Ok(());
    }
    assert_eq!(
        assessment.outcome(),
        pb::AdmissibilityOutcome::NotAdmissible
    );
    assert_eq!(assessment.unpaid_month_count, 1);
    assert!(
        assessment.explanation.is_some(),
        "the explanation is stored"
    );
    let notified = client
        .notify_debtor(suite.request(
            &token,
            pb::NotifyDebtorRequest {
                idempotency_key: key("na-notify"),
                dossier: by_id(&d.application_id),
                notified_on: date(2007, 8, 6),
                registered_letter_reference: "RR 2".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&token, &notified, date(2007, 8, 6).unwrap_or_default())
        .await?;
    let refused = assert_code(
        client
            .accept_application(suite.request(
                &token,
                pb::AcceptApplicationRequest {
                    idempotency_key: key("na-accept"),
                    dossier: by_id(&d.application_id),
                    decided_on: date(2007, 8, 27),
                    ..Default::default()
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert!(
        refused.message().contains("not admissible"),
        "{}",
        refused.message()
    );
    let done = client
        .refuse_application(suite.request(
            &token,
            pb::RefuseApplicationRequest {
                idempotency_key: key("na-refuse"),
                dossier: by_id(&d.application_id),
                decided_on: date(2007, 8, 27),
                reasons: vec![pb::RefusalReason::NotAdmissible as i32],
                motivation: "one unpaid instalment in the year before the application".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(done.status(), pb::DossierStatus::Refused);
    assert_eq!(
        done.dossier_number, "",
        "a refused application gets no dossier number"
    );
    Ok(())
}

#[tokio::test]
async fn the_mandate_carries_the_claimable_arrears_and_interest_on_its_date() -> anyhow::Result<()>
{
    let (suite, mut client, token) = setup().await?;
    let mut req = submit("ex2-submit", example_2_form());
    req.received_on = date(2007, 6, 1);
    let d = client
        .submit_application(suite.request(&token, req))
        .await
        .map_err(|s| anyhow::anyhow!("submit {:?} {s:?}", common::violated_fields(&s)))?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(
        d.status(),
        pb::DossierStatus::Complete,
        "{:?}",
        d.missing_items
    );
    if d.admissibility.as_ref().map(|a| a.outcome()) == Some(pb::AdmissibilityOutcome::NotAssessed)
    {
        return Ok(()); // The calculation service does not answer yet.
    }
    let id = || by_id(&d.application_id);
    let notified = client
        .notify_debtor(suite.request(
            &token,
            pb::NotifyDebtorRequest {
                idempotency_key: key("ex2-notify"),
                dossier: id(),
                notified_on: date(2007, 6, 5),
                registered_letter_reference: "RR 3".into(),
                expected_version: 0,
            },
        ))
        .await
        .map_err(|s| anyhow::anyhow!("notify {:?}", common::violated_fields(&s)))?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&token, &notified, date(2007, 6, 5).unwrap_or_default())
        .await?;
    client
        .accept_application(suite.request(
            &token,
            pb::AcceptApplicationRequest {
                idempotency_key: key("ex2-accept"),
                dossier: id(),
                decided_on: date(2007, 6, 25),
                ..Default::default()
            },
        ))
        .await
        .map_err(|s| anyhow::anyhow!("accept {:?}", common::violated_fields(&s)))?;
    let proposed = client
        .propose_mandate(suite.request(
            &token,
            pb::ProposeMandateRequest {
                idempotency_key: key("ex2-propose"),
                dossier: id(),
                proposed_on: date(2007, 7, 2),
                proposal_document_key: "proposal".into(),
                expected_version: 0,
                dispatch: None,
            },
        ))
        .await
        .map_err(|s| anyhow::anyhow!("propose {:?} {s:?}", common::violated_fields(&s)))?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let mandate = proposed.mandate.unwrap_or_default();
    // Computed from the title: €150 on the CPI of December 2001 (77.89, Statbel's file), adjusted
    // each January: 150.00 (2002), 152.04, 154.68, 158.20, 162.79, 165.44 (2007); the 65
    // months of January 2002 to May 2007 (June falls due on the application's date). The
    // payment order of July 2004 saved January–June 2002 (900.00) from prescription, and
    // interest runs from the order on.
    assert_eq!(mandate.arrears_claimable, money("10159.72"));
    let interest: rust_decimal::Decimal = mandate
        .interest
        .map(|m| m.amount)
        .unwrap_or_default()
        .parse()?;
    assert!(interest > rust_decimal::Decimal::ZERO, "{interest}");
    Ok(())
}

#[tokio::test]
async fn a_dossier_lists_the_steps_its_status_allows_and_a_refusal_names_what_comes_first()
-> anyhow::Result<()> {
    use pb::DossierStep as Step;
    let (suite, mut client, token) = setup().await?;
    let d = submitted(&suite, &mut client, &token, "steps-1", None).await?;
    let id = d.application_id.clone();
    let complete = get_dossier(&suite, &mut client, &token, &id).await?;
    assert_eq!(complete.status(), pb::DossierStatus::Complete);
    assert_eq!(
        complete.allowed_steps().collect::<Vec<_>>(),
        [
            Step::MarkIncomplete,
            Step::NotifyDebtor,
            Step::Refuse,
            Step::Withdraw
        ]
    );
    let notified = client
        .notify_debtor(suite.request(
            &token,
            pb::NotifyDebtorRequest {
                idempotency_key: key("steps-notify"),
                dossier: by_id(&id),
                notified_on: date(2007, 8, 6),
                registered_letter_reference: "RR 4".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    suite
        .deliver_debtor_notice(&token, &notified, date(2007, 8, 6).unwrap_or_default())
        .await?;
    let accepted = client
        .accept_application(suite.request(
            &token,
            pb::AcceptApplicationRequest {
                idempotency_key: key("steps-accept"),
                dossier: by_id(&id),
                decided_on: date(2007, 8, 27),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let read = get_dossier(&suite, &mut client, &token, &id).await?;
    assert_eq!(
        read, accepted,
        "the transition answers what GetDossier reads"
    );
    assert_eq!(read.status(), pb::DossierStatus::Accepted);
    assert_eq!(
        read.allowed_steps().collect::<Vec<_>>(),
        [Step::ProposeMandate, Step::Withdraw]
    );
    // Activation needs the mandate proposed and signed first: the refusal says so.
    let status = assert_code(
        client
            .activate_dossier(suite.request(
                &token,
                pb::ActivateDossierRequest {
                    idempotency_key: key("steps-activate"),
                    dossier: by_id(&id),
                    active_from: date(2007, 10, 1),
                    expected_version: 0,
                },
            ))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(
        status.message(),
        "a dossier in status DOSSIER_STATUS_ACCEPTED cannot go to DOSSIER_STATUS_ACTIVE \
         (DOSSIER_STEP_ACTIVATE): propose the mandate and record its signature first"
    );
    assert_eq!(common::reason(&status), "LIFECYCLE_TRANSITION_REFUSED");
    Ok(())
}

/// The ACTIVATED event of the dossier `number`, as intake's outbox lists it to payments.
async fn activated_event(
    suite: &Suite,
    client: &mut Client,
    number: &str,
) -> anyhow::Result<pb::DossierEvent> {
    let service = suite.token(
        "secal-intake",
        secal_runtime::auth::PrincipalKind::System,
        &[roles::SERVICE],
    )?;
    let req = pb::ListDossierEventsRequest {
        dossier_number: number.to_owned(),
        ..Default::default()
    };
    let events = client
        .list_dossier_events(suite.request(&service, req))
        .await?
        .into_inner()
        .events;
    events
        .into_iter()
        .find(|e| e.event_type() == pb::DossierEventType::Activated)
        .ok_or_else(|| anyhow::anyhow!("no ACTIVATED event for {number}"))
}

#[tokio::test]
async fn activation_gives_the_payment_reference_and_the_claim_account_frames() -> anyhow::Result<()>
{
    let (suite, mut client, token) = setup().await?;
    // Example 2 declares arrears (frame 4) and a payment order (frame 6).
    let form = example_2_form();
    let mut req = submit("claim-frames-submit", form.clone());
    req.received_on = date(2007, 6, 1);
    let d = client
        .submit_application(suite.request(&token, req))
        .await
        .map_err(|s| anyhow::anyhow!("submit {:?} {s:?}", common::violated_fields(&s)))?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let activated = to_active(
        &suite.channel(Svc::Intake).await?,
        &suite,
        &token,
        &d.application_id,
        "claim",
    )
    .await?;
    let number = activated.dossier.clone().unwrap_or_default().dossier_number;
    let parsed: secal_domain::DossierNumber = number.parse()?;
    let expected = parsed.payment_reference().to_string();
    assert!(
        expected.starts_with("+++") && expected.ends_with("+++"),
        "{expected}"
    );
    assert_eq!(activated.structured_reference, expected);

    let snapshot = activated_event(&suite, &mut client, &number)
        .await?
        .snapshot
        .unwrap_or_default();
    // As the dossier keeps its form (intake may have normalised what was typed).
    let stored = d.form.clone().unwrap_or_default();
    assert_eq!(snapshot.declared_arrears, stored.arrears);
    assert_eq!(
        snapshot.declared_arrears.map(|a| a.unpaid_months.len()),
        form.arrears.map(|a| a.unpaid_months.len())
    );
    let attempts = stored.enforcement.map(|e| e.attempts).unwrap_or_default();
    assert_eq!(attempts.len(), 1);
    assert_eq!(snapshot.enforcement_attempts, attempts);

    // Payments derives the same reference from the number alone (once intake's relay has
    // brought the dossier there: a dossier payments never heard of is NOT_FOUND).
    common::wait_for_payments_event(&suite, &activated.event_id).await?;
    let mut payments = secal_testkit::PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let ledger = payments
        .ledger
        .get_dossier_ledger(suite.request(
            &token,
            pb::GetDossierLedgerRequest {
                dossier_number: number.clone(),
                as_of: None,
            },
        ))
        .await?
        .into_inner();
    assert_eq!(ledger.structured_reference, expected);
    Ok(())
}
