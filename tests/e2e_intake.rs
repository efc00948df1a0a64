//! Intake end to end, through gRPC on a real PostgreSQL with the calculation and payments
//! services: the seed's mother-of-three application to an active dossier and its event at
//! payments, retries, completion later, and the lifecycle's refusals.

use crate::common;
use crate::form;

use crate::e2e_intake_lifecycle::get_dossier;
use common::{assert_code, violated_fields};
use form::*;
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    intake_service_client::IntakeServiceClient,
};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{PaymentsClients, Suite, Svc};
use tonic::Code;

const OFFICER: &str = "agent-officer";

async fn setup() -> anyhow::Result<(
    Suite,
    IntakeServiceClient<tonic::transport::Channel>,
    String,
)> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
    let client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token(OFFICER, &[roles::CASE_OFFICER])?;
    Ok((suite, client, token))
}

/// What the calculation service answers for the form, when it answers at all.
async fn real_admissibility(
    suite: &Suite,
) -> anyhow::Result<Option<pb::CheckAdmissibilityResponse>> {
    let token = suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?;
    let f = mother_of_three();
    let req = pb::CheckAdmissibilityRequest {
        application_date: date(2007, 8, 1),
        basis: Some(pb::check_admissibility_request::Basis::DeclaredArrears(
            pb::DeclaredArrears {
                due_day: 1,
                months: f
                    .arrears
                    .unwrap_or_default()
                    .unpaid_months
                    .into_iter()
                    .map(|m| pb::DeclaredUnpaidMonth {
                        creditor_id: m.creditor_key,
                        month: m.month,
                        unpaid: m.unpaid,
                    })
                    .collect(),
            },
        )),
    };
    let mut calc = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
    match calc.check_admissibility(suite.request(&token, req)).await {
        Ok(r) => Ok(Some(r.into_inner())),
        Err(s) if s.code() == Code::Unimplemented => Ok(None),
        Err(s) => Err(s.into()),
    }
}

#[tokio::test]
async fn mother_of_three_goes_from_submission_to_an_active_dossier_with_its_event_at_payments()
-> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let resp = client
        .submit_application(suite.request(&token, submit("m3-submit", mother_of_three())))
        .await?
        .into_inner();
    assert!(resp.created);
    let d = resp.dossier.clone().unwrap_or_default();
    assert_eq!(d.status(), pb::DossierStatus::Complete);
    assert!(d.missing_items.is_empty(), "{:?}", d.missing_items);
    assert_eq!(d.form.as_ref().map(|f| f.creditors.len()), Some(4));
    assert_eq!(d.received_on, date(2007, 8, 1));
    assert_eq!(
        d.decision_deadline,
        date(2007, 9, 1),
        "one month from the complete file"
    );
    // Applicant, debtor and four creditors (the mother is applicant and creditor).
    let roles: Vec<_> = d
        .parties
        .iter()
        .map(|p| (p.role(), p.creditor_key.as_str()))
        .collect();
    assert_eq!(d.parties.len(), 6, "{roles:?}");
    // The submission's answer takes its parties from the statement that inserts them: the
    // same dossier, parties in the same order, as GetDossier reads it afterwards.
    let read = get_dossier(&suite, &mut client, &token, &d.application_id).await?;
    assert_eq!(read, d);
    assert!(
        d.parties
            .iter()
            .all(|p| p.registered.as_ref().is_some_and(|s| s.actor == OFFICER))
    );

    let stored = d.admissibility.clone().unwrap_or_default();
    let calculation_answers = stored.outcome() != pb::AdmissibilityOutcome::NotAssessed;
    println!(
        "admissibility as stored: {:?} {}",
        stored.outcome(),
        stored.not_assessed_reason
    );
    match real_admissibility(&suite).await? {
        Some(real) => {
            assert_eq!(stored.outcome(), pb::AdmissibilityOutcome::Admissible);
            assert!(stored.admissible);
            assert_eq!(stored.unpaid_month_count, real.unpaid_month_count);
            assert_eq!(stored.unpaid_months, real.unpaid_months);
            assert_eq!(
                real.unpaid_month_count, 12,
                "Aug 2006 – Jul 2007 all unpaid"
            );
        }
        None => {
            assert_eq!(stored.outcome(), pb::AdmissibilityOutcome::NotAssessed);
            assert!(
                stored.not_assessed_reason.contains("Unimplemented"),
                "{}",
                stored.not_assessed_reason
            );
        }
    }

    let activated = to_active(
        &suite.channel(Svc::Intake).await?,
        &suite,
        &token,
        &d.application_id,
        "m3",
    )
    .await?;
    let active = activated.dossier.unwrap_or_default();
    assert_eq!(active.status(), pb::DossierStatus::Active);
    let mandate = active.mandate.clone().unwrap_or_default();
    if calculation_answers {
        // Computed from the title (SECAL indexes it, seed 002), not from the declared table
        // (the guide's illustrative steps): €150 on the CPI of August 2003 (80.25, 2013 = 100,
        // Statbel's file), adjusted each September on August's CPI (82.07, 84.62, 86.00):
        // 150.00, 153.40, 158.17, 160.75. Nothing is time-barred on 28 August 2007 and no act
        // started interest: 48 months (September 2003 to August 2007) × 4 creditors.
        assert_eq!(mandate.arrears_claimable, money("29871.36"));
        assert_eq!(mandate.basis(), pb::MandateBasis::Title);
        assert_eq!(mandate.interest, money("0.00"));
        assert!(mandate.explanation.is_some());
    }
    let number: secal_domain::DossierNumber = active.dossier_number.parse()?;
    assert_eq!(number.year(), 2007, "numbered in the year of the decision");
    assert_eq!(active.active_from, date(2007, 10, 1));
    assert!(!activated.event_id.is_empty());

    // The event reaches payments through the outbox relay, once.
    assert_eq!(
        common::wait_for_payments_event(&suite, &activated.event_id).await?,
        1
    );
    let service = suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?;
    let events = client
        .list_dossier_events(suite.request(
            &service,
            pb::ListDossierEventsRequest {
                dossier_number: active.dossier_number.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.event_type(), pb::DossierEventType::Activated);
    assert_eq!(event.event_id, activated.event_id);
    assert_eq!(event.dossier_version, active.version);
    let snapshot = event.snapshot.clone().unwrap_or_default();
    assert_eq!(snapshot.creditors.len(), 4);
    assert_eq!(
        snapshot
            .applicant
            .and_then(|a| a.national_number)
            .map(|n| n.value),
        Some(MOTHER.to_owned())
    );
    // A redelivery is answered without effect.
    let mut payments = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let again = payments
        .ledger
        .receive_dossier_event(suite.request(
            &service,
            pb::ReceiveDossierEventRequest {
                idempotency_key: key(&event.event_id),
                event: Some(event.clone()),
            },
        ))
        .await?
        .into_inner();
    assert!(again.duplicate && again.applied, "{again:?}");
    assert_eq!(
        common::wait_for_payments_event(&suite, &activated.event_id).await?,
        1
    );
    // The account the mother gave (frame 5) awaits an agent's confirmation at payments.
    let agent = suite.agent_token("agent-pay", &[roles::PAYMENTS_OPERATOR])?;
    let accounts = payments
        .payouts
        .list_payout_accounts(suite.request(
            &agent,
            pb::ListPayoutAccountsRequest {
                dossier_number: active.dossier_number.clone(),
                page: None,
            },
        ))
        .await?
        .into_inner()
        .payout_accounts;
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(
        accounts[0].status,
        pb::PayoutAccountStatus::PendingConfirmation as i32
    );
    assert_eq!(
        accounts[0].source_reference,
        format!("intake event {}", activated.event_id)
    );

    // The history tells the whole story, oldest first.
    let history = client
        .list_dossier_history(suite.request(
            &token,
            pb::ListDossierHistoryRequest {
                dossier: by_id(&d.application_id),
                page: None,
            },
        ))
        .await?
        .into_inner()
        .entries;
    let transitions: Vec<_> = history
        .iter()
        .filter(|e| e.kind() == pb::DossierHistoryKind::Transition)
        .map(|e| e.to_status())
        .collect();
    use pb::DossierStatus as S;
    assert_eq!(
        transitions,
        [
            S::Complete,
            S::DebtorNotified,
            S::Accepted,
            S::MandateProposed,
            S::MandateSigned,
            S::Active
        ]
    );
    assert!(
        history
            .iter()
            .all(|e| e.stamp.as_ref().is_some_and(|s| s.actor == OFFICER))
    );
    assert!(history.windows(2).all(|w| w[0].sequence < w[1].sequence));
    Ok(())
}

#[tokio::test]
async fn a_retried_submission_does_not_duplicate_and_a_reused_key_is_refused() -> anyhow::Result<()>
{
    let (suite, mut client, token) = setup().await?;
    let first = client
        .submit_application(suite.request(&token, submit("retry-1", mother_of_three())))
        .await?
        .into_inner();
    let again = client
        .submit_application(suite.request(&token, submit("retry-1", mother_of_three())))
        .await?
        .into_inner();
    assert_eq!(again, first, "the retry is answered with the first result");
    let mut other = mother_of_three();
    if let Some(a) = other.applicant.as_mut() {
        a.phone = "+32 4 000 00 00".into();
    }
    let reused = client
        .submit_application(suite.request(&token, submit("retry-1", other)))
        .await;
    assert_code(reused, Code::FailedPrecondition);
    let admin = suite.admin_pool().await?;
    let (dossiers, forms): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM intake.dossiers), (SELECT count(*) FROM intake.application_forms)",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!((dossiers, forms), (1, 1));
    // The persons were registered once, though a second application names them again.
    client
        .submit_application(suite.request(&token, submit("retry-2", mother_of_three())))
        .await?;
    let persons: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.persons")
        .fetch_one(&admin)
        .await?;
    assert_eq!(persons, 5, "mother, debtor, three children");
    Ok(())
}

#[tokio::test]
async fn an_incomplete_application_is_stored_with_what_is_missing_and_completed_later()
-> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let mut f = mother_of_three();
    if let Some(a) = f.applicant.as_mut() {
        a.national_number = None;
    }
    f.documents
        .retain(|d| d.kind() != pb::DocumentKind::PaySlip);
    f.documents[0].executory_formula_present = false;
    let d = client
        .submit_application(suite.request(&token, submit("inc-1", f)))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(d.status(), pb::DossierStatus::Incomplete);
    assert_eq!(d.decision_deadline, None);
    let mut missing: Vec<_> = d
        .missing_items
        .iter()
        .map(|m| (m.field.as_str(), m.code.as_str()))
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            (
                "form.applicant.national_number",
                "APPLICANT_NATIONAL_NUMBER_MISSING"
            ),
            ("form.documents", "PAY_SLIPS_MISSING"),
            (
                "form.documents[0].executory_formula_present",
                "EXECUTORY_FORMULA_MISSING"
            ),
        ]
    );
    // Nothing is lost: the form as given is kept.
    assert_eq!(d.form.as_ref().map(|f| f.creditors.len()), Some(4));

    // Still incomplete after a partial completion, then complete.
    let mut partial = mother_of_three();
    partial
        .documents
        .retain(|d| d.kind() != pb::DocumentKind::PaySlip);
    let d2 = client
        .complete_application(suite.request(
            &token,
            pb::CompleteApplicationRequest {
                idempotency_key: key("inc-2"),
                dossier: by_id(&d.application_id),
                form: Some(partial),
                expected_version: d.version,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(d2.status(), pb::DossierStatus::Incomplete);
    assert_eq!(d2.missing_items.len(), 1);
    assert_eq!(d2.form_revision, 2);
    let d3 = client
        .complete_application(suite.request(
            &token,
            pb::CompleteApplicationRequest {
                idempotency_key: key("inc-3"),
                dossier: by_id(&d.application_id),
                form: Some(mother_of_three()),
                expected_version: d2.version,
            },
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_eq!(d3.status(), pb::DossierStatus::Complete);
    assert_eq!(d3.form_revision, 3);
    assert!(d3.missing_items.is_empty());
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        d3.completed_on,
        Some(secal_runtime::wire::date_to_pb(today))
    );
    let deadline = today.checked_add_months(chrono::Months::new(1));
    assert_eq!(
        d3.decision_deadline,
        deadline.map(secal_runtime::wire::date_to_pb)
    );
    // A stale expected_version is ABORTED.
    let stale = client
        .complete_application(suite.request(
            &token,
            pb::CompleteApplicationRequest {
                idempotency_key: key("inc-4"),
                dossier: by_id(&d.application_id),
                form: Some(mother_of_three()),
                expected_version: d.version,
            },
        ))
        .await;
    assert_code(stale, Code::Aborted);
    Ok(())
}

#[tokio::test]
async fn malformed_applications_are_refused_whole_and_store_nothing() -> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let mut f = mother_of_three();
    f.creditors[1].national_number = nn("95050300296");
    if let Some(a) = f.payout.as_mut().and_then(|p| p.account.as_mut()) {
        a.iban = Some(pb::Iban {
            value: "BE68539007547035".into(),
        });
    }
    let status = assert_code(
        client
            .submit_application(suite.request(&token, submit("bad-1", f)))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        [
            "form.creditors[1].national_number",
            "form.payout.account.iban"
        ],
        "every problem at once"
    );
    let admin = suite.admin_pool().await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.dossiers")
        .fetch_one(&admin)
        .await?;
    assert_eq!(n, 0, "no partial write");
    Ok(())
}

/// A form revision is stored as protobuf bytes; one stored as JSON before (intake migration
/// 0008) reads as before, and the table holds exactly one encoding per revision.
#[tokio::test]
async fn forms_stored_as_json_before_the_bytes_still_read() -> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let d = client
        .submit_application(suite.request(&token, submit("json-1", mother_of_three())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let admin = suite.admin_pool().await?;
    let (bytes, json): (bool, bool) = sqlx::query_as(
        "SELECT form_protobuf IS NOT NULL, form IS NOT NULL FROM intake.application_forms",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!((bytes, json), (true, false));
    // A revision as a service before 0008 wrote it: the proto3 JSON of the form.
    let mut older = mother_of_three();
    if let Some(a) = older.applicant.as_mut() {
        a.family_name = "Janssens-Stored-As-Json".into();
    }
    let insert = |form: Option<serde_json::Value>, bytes: Option<Vec<u8>>| {
        sqlx::query(
            "INSERT INTO intake.application_forms (dossier_id, revision, form, form_protobuf,
                                                   recorded_by)
             SELECT id, 2, $2, $3, 'migration-test' FROM intake.dossiers
              WHERE application_id = $1::uuid",
        )
        .bind(d.application_id.clone())
        .bind(form)
        .bind(bytes)
    };
    let both = insert(Some(serde_json::to_value(&older)?), Some(vec![0]))
        .execute(&admin)
        .await;
    assert!(both.is_err(), "two encodings of one revision are refused");
    insert(Some(serde_json::to_value(&older)?), None)
        .execute(&admin)
        .await?;
    let read = get_dossier(&suite, &mut client, &token, &d.application_id).await?;
    assert_eq!(read.form, Some(older));
    Ok(())
}

/// The mandate is computed from the title — SECAL indexes the title itself (seed 002) — the
/// case payments books on activation: a judgment of €150 a month not indexed gives 48 months
/// (September 2003 to August 2007, the proposal being of 28 August) × 4 creditors. An indexed
/// title whose price index is not loaded (here a base month of 1993: the CPI is loaded from
/// 1994) falls back to the declared table, naming the month missing.
#[tokio::test]
async fn the_mandate_is_computed_from_the_title_and_from_the_declared_table_only_without_it()
-> anyhow::Result<()> {
    let (suite, mut client, token) = setup().await?;
    let channel = suite.channel(Svc::Intake).await?;
    let mut plain = mother_of_three();
    if let Some(t) = plain.title.as_mut() {
        t.indexed = false;
    }
    let mut unloaded = mother_of_three();
    if let Some(t) = unloaded.title.as_mut() {
        t.index_base_month = Some(pb::YearMonth {
            year: 1993,
            month: 8,
        });
    }
    let mut mandates = Vec::new();
    for (k, form) in [("title-plain", plain), ("title-indexed", unloaded)] {
        let d = client
            .submit_application(suite.request(&token, submit(k, form)))
            .await?
            .into_inner()
            .dossier
            .unwrap_or_default();
        let active = to_active(&channel, &suite, &token, &d.application_id, k).await?;
        mandates.push(
            active
                .dossier
                .unwrap_or_default()
                .mandate
                .unwrap_or_default(),
        );
    }
    let plain = &mandates[0];
    assert_eq!(plain.basis(), pb::MandateBasis::Title, "{plain:?}");
    assert_eq!(plain.arrears_claimable, money("28800.00"));
    assert!(plain.basis_note.is_empty());
    let indexed = &mandates[1];
    assert_eq!(indexed.basis(), pb::MandateBasis::Declared);
    assert_eq!(
        indexed.arrears_claimable,
        money("28699.56"),
        "the declared table"
    );
    for part in ["cpi", "1993-08"] {
        assert!(indexed.basis_note.contains(part), "{}", indexed.basis_note);
    }
    Ok(())
}
