//! The foundation through real gRPC on a real PostgreSQL: health, reflection, caller
//! identity, idempotency, validation, and each service's first RPC.

use crate::common;

use common::*;
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    data_exchange_service_client::DataExchangeServiceClient,
    persons_service_client::PersonsServiceClient, receipts_service_client::ReceiptsServiceClient,
};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{Suite, Svc};
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

#[tokio::test]
async fn every_service_is_serving_and_lists_its_api_by_reflection() -> anyhow::Result<()> {
    use tokio_stream::StreamExt;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let suite = Suite::start(&Svc::ALL).await?;
    for svc in Svc::ALL {
        let channel = suite.channel(svc).await?;
        for name in svc.grpc_names() {
            let health = HealthClient::new(channel.clone())
                .check(HealthCheckRequest {
                    service: (*name).into(),
                })
                .await?
                .into_inner();
            assert_eq!(health.status(), ServingStatus::Serving, "{name}");
        }

        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::once(request))
            .await?
            .into_inner();
        let Some(Ok(reply)) = stream.next().await else {
            panic!("no reflection reply")
        };
        let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
            panic!("unexpected reflection reply")
        };
        let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
        for name in svc.grpc_names() {
            assert!(names.iter().any(|n| n == name), "{svc:?} lists {names:?}");
        }
        assert!(names.iter().any(|n| n == "grpc.health.v1.Health"));
    }
    Ok(())
}

#[tokio::test]
async fn calls_without_a_valid_token_or_role_are_refused() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let get = || pb::GetPersonRequest {
        lookup: Some(pb::get_person_request::Lookup::NationalNumber(
            pb::NationalNumber {
                value: NISS_1985.into(),
            },
        )),
    };

    assert_code(persons.get_person(get()).await, Code::Unauthenticated);
    assert_code(
        persons.get_person(suite.request("not.a.jwt", get())).await,
        Code::Unauthenticated,
    );

    // Signed by a key the service does not trust.
    let (other_private, _) = secal_testkit::keys::generate()?;
    let forged =
        secal_runtime::auth::TokenSigner::from_private_pem(other_private.as_bytes(), "secal-test")?
            .mint("mallory", PrincipalKind::Agent, &[roles::ADMIN], 600)?;
    assert_code(
        persons.get_person(suite.request(&forged, get())).await,
        Code::Unauthenticated,
    );

    // Valid token, wrong role.
    let auditor = suite.agent_token("agent-aud", &[roles::AUDITOR])?;
    assert_code(
        persons.get_person(suite.request(&auditor, get())).await,
        Code::PermissionDenied,
    );

    // An agent may not claim to act for another agent.
    let officer = suite.agent_token("agent-1", &[roles::CASE_OFFICER])?;
    let mut req = suite.request(&officer, get());
    req.metadata_mut()
        .insert("x-secal-on-behalf-of", officer.parse()?);
    assert_code(persons.get_person(req).await, Code::Unauthenticated);

    // The right role gets through to the handler (and finds nobody).
    assert_code(
        persons.get_person(suite.request(&officer, get())).await,
        Code::NotFound,
    );
    Ok(())
}

#[tokio::test]
async fn registering_a_person_is_idempotent_and_validated() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let registrar = suite.agent_token("agent-reg", &[roles::REGISTRAR])?;
    let request = |k: &str, family: &str| pb::RegisterPersonRequest {
        idempotency_key: key(k),
        national_number: nn("85.07.30-033.28"),
        family_name: family.into(),
        given_names: "Marie".into(),
        ..Default::default()
    };

    let first = persons
        .register_person(suite.request(&registrar, request("k-1", "Dupont")))
        .await?
        .into_inner();
    let again = persons
        .register_person(suite.request(&registrar, request("k-1", "Dupont")))
        .await?
        .into_inner();
    assert_eq!(first, again, "a retry returns the first answer");
    assert!(first.created);
    let person = first.person.clone().unwrap_or_default();
    assert_eq!(
        person.national_number.map(|n| n.value).as_deref(),
        Some(NISS_1985)
    );
    assert_eq!(
        person.registered.map(|r| r.actor).as_deref(),
        Some("agent-reg")
    );
    assert_eq!(person.birth_date, date(1985, 7, 30));

    // Same key, different request: refused, not replayed.
    let s = assert_code(
        persons
            .register_person(suite.request(&registrar, request("k-1", "Durand")))
            .await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("idempotency key"));

    // The same key and the same request from another agent: refused as a reuse, never the
    // first caller's answer (it would show a person's record to whoever guesses a key).
    let other = suite.agent_token("agent-other", &[roles::REGISTRAR])?;
    let s = assert_code(
        persons
            .register_person(suite.request(&other, request("k-1", "Dupont")))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&s), "IDEMPOTENCY_KEY_REUSED");
    // The first caller's retry still replays.
    let replay = persons
        .register_person(suite.request(&registrar, request("k-1", "Dupont")))
        .await?
        .into_inner();
    assert_eq!(replay, first);

    // A new key for a known national number returns the existing person.
    let known = persons
        .register_person(suite.request(&registrar, request("k-2", "Dupont")))
        .await?
        .into_inner();
    assert!(!known.created);
    assert_eq!(
        known.person.map(|p| p.person_id),
        first.person.map(|p| p.person_id)
    );

    let admin = suite.admin_pool().await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.persons")
        .fetch_one(&admin)
        .await?;
    assert_eq!(count, 1);

    // Every bad field is reported at once, and nothing is written.
    let bad = pb::RegisterPersonRequest {
        idempotency_key: key(""),
        national_number: nn("85073003329"),
        family_name: "  ".into(),
        given_names: "Marie".into(),
        ..Default::default()
    };
    let s = assert_code(
        persons
            .register_person(suite.request(&registrar, bad))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&s),
        ["idempotency_key", "national_number", "family_name"]
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.persons")
        .fetch_one(&admin)
        .await?;
    assert_eq!(count, 1);
    Ok(())
}

#[tokio::test]
async fn reference_values_come_from_the_database_page_by_page() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let mut client = CalculationServiceClient::new(suite.channel(Svc::Calculation).await?);
    let user = suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?;
    let mut rates = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_reference_values(suite.request(
                &user,
                pb::ListReferenceValuesRequest {
                    kind: pb::ReferenceKind::LegalInterestRate as i32,
                    page: Some(pb::PageRequest {
                        page_size: 10,
                        page_token: token,
                    }),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        rates.extend(page.values);
        token = page.page.unwrap_or_default().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    // Six periods from 1970 to 1989, 1990 to August 1996, September 1996 to 2002, then one a
    // year from 2003 to 2026.
    assert_eq!(rates.len(), 32, "1970..=2026");
    assert_eq!(rates[0].valid_from, date(1970, 1, 1));
    assert_eq!(rates[0].valid_to, date(1970, 6, 30));
    let y2007 = rates
        .iter()
        .find(|r| r.valid_from == date(2007, 1, 1))
        .map(|r| r.value.as_str());
    assert_eq!(y2007, Some("6"));
    assert_eq!(rates[6].valid_to, date(1996, 8, 31));
    assert_eq!(rates[8].valid_to, date(2003, 12, 31));

    let s = assert_code(
        client
            .list_reference_values(suite.request(&user, pb::ListReferenceValuesRequest::default()))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["kind"]);
    Ok(())
}

#[tokio::test]
async fn debtor_payments_are_recorded_once_in_cents() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Payments]).await?;
    let mut client = ReceiptsServiceClient::new(suite.channel(Svc::Payments).await?);
    let operator = suite.agent_token("agent-pay", &[roles::PAYMENTS_OPERATOR])?;
    let dossier = secal_domain::DossierNumber::new(2026, 17)?.to_string();
    let record = |k: &str, amount: &str| pb::RecordDebtorPaymentRequest {
        idempotency_key: key(k),
        dossier_number: dossier.clone(),
        amount: money(amount),
        received_on: date(2026, 11, 2),
        for_month: Some(pb::YearMonth {
            year: 2026,
            month: 11,
        }),
        ..Default::default()
    };
    let a = client
        .record_debtor_payment(suite.request(&operator, record("p-1", "150.5")))
        .await?
        .into_inner();
    let b = client
        .record_debtor_payment(suite.request(&operator, record("p-1", "150.5")))
        .await?
        .into_inner();
    assert_eq!(a, b);
    assert_eq!(
        a.payment
            .and_then(|p| p.amount)
            .map(|m| m.amount)
            .as_deref(),
        Some("150.50")
    );

    for (amount, why) in [
        ("0", "zero"),
        ("-5", "negative"),
        ("1.005", "fraction of a cent"),
        ("1e3", "exponent"),
    ] {
        let s = assert_code(
            client
                .record_debtor_payment(suite.request(
                    &operator,
                    record(&format!("bad-{}", why.replace(' ', "-")), amount),
                ))
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&s), ["amount.amount"], "{why}");
    }
    let mut bad_dossier = record("p-2", "10");
    bad_dossier.dossier_number = "SEC-2026-000017-00".into();
    let s = assert_code(
        client
            .record_debtor_payment(suite.request(&operator, bad_dossier))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&s), ["dossier_number"]);

    let list = client
        .list_debtor_payments(suite.request(
            &operator,
            pb::ListDebtorPaymentsRequest {
                dossier_number: dossier.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    assert_eq!(list.payments.len(), 1);

    let admin = suite.admin_pool().await?;
    let cents: i64 = sqlx::query_scalar("SELECT amount_cents FROM payments.debtor_payments")
        .fetch_one(&admin)
        .await?;
    assert_eq!(cents, 15050);
    let edit = sqlx::query("UPDATE payments.debtor_payments SET amount_cents = 1")
        .execute(&admin)
        .await;
    assert!(
        edit.is_err(),
        "recorded payments are immutable, even for the superuser"
    );
    Ok(())
}

#[tokio::test]
async fn reading_the_access_log_is_itself_logged_and_the_log_is_append_only() -> anyhow::Result<()>
{
    let suite = Suite::start(&[Svc::DataExchange]).await?;
    let mut client = DataExchangeServiceClient::new(suite.channel(Svc::DataExchange).await?);
    let auditor = suite.agent_token("agent-audit", &[roles::AUDITOR])?;
    let list = || pb::ListAccessLogEntriesRequest::default();
    let first = client
        .list_access_log_entries(suite.request(&auditor, list()))
        .await?
        .into_inner();
    assert_eq!(first.entries.len(), 1, "the read itself");
    let second = client
        .list_access_log_entries(suite.request(&auditor, list()))
        .await?
        .into_inner();
    assert_eq!(second.entries.len(), 2);
    assert_eq!(second.entries[0].agent_id, "agent-audit");
    assert_eq!(second.entries[0].purpose, pb::LookupPurpose::Audit as i32);

    let officer = suite.agent_token("agent-x", &[roles::INCOME_LOOKUP])?;
    assert_code(
        client
            .list_access_log_entries(suite.request(&officer, list()))
            .await,
        Code::PermissionDenied,
    );

    let own_role = suite.role_pool(Svc::DataExchange).await?;
    let tamper = sqlx::query("UPDATE data_exchange.access_log SET agent_id = 'nobody'")
        .execute(&own_role)
        .await;
    assert!(
        tamper.is_err(),
        "the service's own role cannot rewrite the log"
    );
    let erase = sqlx::query("DELETE FROM data_exchange.access_log")
        .execute(&own_role)
        .await;
    assert!(erase.is_err());
    Ok(())
}

#[tokio::test]
async fn each_service_role_is_confined_to_its_schema() -> anyhow::Result<()> {
    let suite = Suite::start(&Svc::ALL).await?;
    let intake = suite.role_pool(Svc::Intake).await?;
    let read = sqlx::query("SELECT count(*) FROM payments.debtor_payments")
        .execute(&intake)
        .await;
    let err = read.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("permission denied"), "{err}");
    let payments = suite.role_pool(Svc::Payments).await?;
    let create = sqlx::query("CREATE TABLE public.sneaky (x int)")
        .execute(&payments)
        .await;
    assert!(create.is_err());
    Ok(())
}
