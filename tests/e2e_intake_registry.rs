//! The persons registry (dated changes, roles, "active on date D" for data-exchange),
//! agent assignments, search, and the events of an amended and closed dossier reaching
//! payments in order, through gRPC.

use crate::common;
use crate::form;

use common::assert_code;
use form::*;
use secal_proto::v1::{
    self as pb, intake_service_client::IntakeServiceClient,
    persons_service_client::PersonsServiceClient,
};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{Suite, Svc};
use tonic::Code;

#[tokio::test]
async fn persons_registry_search_agents_and_events_of_an_active_dossier() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments, Svc::Intake]).await?;
    let mut client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?;
    let d = client
        .submit_application(suite.request(&token, submit("reg-1", mother_of_three())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let active = to_active(
        &suite.channel(Svc::Intake).await?,
        &suite,
        &token,
        &d.application_id,
        "reg",
    )
    .await?
    .dossier
    .unwrap_or_default();
    let number = active.dossier_number.clone();
    let by_number = || {
        Some(pb::DossierRef {
            id: Some(pb::dossier_ref::Id::DossierNumber(number.clone())),
        })
    };
    let assigned = client
        .assign_dossier_agent(suite.request(
            &token,
            pb::AssignDossierAgentRequest {
                idempotency_key: key("reg-assign"),
                dossier: by_number(),
                agent_id: "agent-lookup".into(),
                task: pb::AgentTask::IncomeLookup as i32,
                start_date: date(2007, 10, 1),
                end_date: None,
            },
        ))
        .await?
        .into_inner()
        .dossier;
    // GetDossier reads the dossier, its parties and agents in one statement: the same
    // dossier as the assignment answered, read the way every write reads it back.
    let read = client
        .get_dossier(suite.request(
            &token,
            pb::GetDossierRequest {
                dossier: by_number(),
            },
        ))
        .await?
        .into_inner()
        .dossier;
    assert_eq!(read, assigned);
    assert_eq!(read.as_ref().map(|d| d.agents.len()), Some(1));

    // The data-exchange service's question.
    let service = suite.token(
        "secal-data-exchange",
        PrincipalKind::System,
        &[roles::SERVICE],
    )?;
    let check = |on: Option<pb::Date>| pb::CheckPersonActiveDossierRequest {
        national_number: nn(CHILDREN[1]),
        on_date: on,
        dossier_number: String::new(),
        agent_id: "agent-lookup".into(),
        application_id: String::new(),
    };
    let yes = persons
        .check_person_active_dossier(suite.request(&service, check(date(2007, 11, 1))))
        .await?
        .into_inner();
    assert!(yes.in_active_dossier);
    assert_eq!(yes.registered_by_agent_id, "agent-officer");
    assert_eq!(yes.roles.len(), 1);
    assert_eq!(yes.roles[0].role(), pb::DossierRole::Creditor);
    assert!(yes.roles[0].agent_assigned);
    assert_eq!(
        yes.roles[0].agent_tasks,
        [pb::AgentTask::IncomeLookup as i32]
    );
    let before = persons
        .check_person_active_dossier(suite.request(&service, check(date(2007, 9, 30))))
        .await?
        .into_inner();
    assert!(!before.in_active_dossier, "not active before active_from");
    assert_code(
        persons
            .check_person_active_dossier(suite.request(&token, check(None)))
            .await,
        Code::PermissionDenied,
    );

    // Search by person and role, by status, by number.
    let search = |req: pb::SearchDossiersRequest| suite.request(&token, req);
    let found = client
        .search_dossiers(search(pb::SearchDossiersRequest {
            national_number: nn(DEBTOR),
            role: pb::DossierRole::Debtor as i32,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .dossiers;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].dossier_number, number);
    let none = client
        .search_dossiers(search(pb::SearchDossiersRequest {
            national_number: nn(DEBTOR),
            role: pb::DossierRole::Creditor as i32,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .dossiers;
    assert!(none.is_empty());
    let by_status = client
        .search_dossiers(search(pb::SearchDossiersRequest {
            statuses: vec![pb::DossierStatus::Active as i32],
            ..Default::default()
        }))
        .await?
        .into_inner()
        .dossiers;
    assert_eq!(by_status.len(), 1);
    // Personal data is for those entitled to it.
    let stranger = suite.agent_token("agent-x", &[roles::CALCULATION_USER])?;
    assert_code(
        client
            .get_dossier(suite.request(
                &stranger,
                pb::GetDossierRequest {
                    dossier: by_number(),
                },
            ))
            .await,
        Code::PermissionDenied,
    );

    // A dated change of the mother's account: appended, and payments hears of it.
    let mother = active
        .parties
        .iter()
        .find(|p| p.role() == pb::DossierRole::Applicant)
        .map(|p| p.person_id.clone())
        .unwrap_or_default();
    let change = persons
        .record_person_change(suite.request(
            &token,
            pb::RecordPersonChangeRequest {
                idempotency_key: key("reg-change"),
                person_id: mother.clone(),
                effective_from: date(2008, 1, 1),
                value: Some(pb::record_person_change_request::Value::BankAccount(
                    pb::BankAccount {
                        iban: Some(pb::Iban {
                            value: "BE71 0961 2345 6769".into(),
                        }),
                        holder_name: "Marie Dupont".into(),
                        ..Default::default()
                    },
                )),
                address_kind: 0,
                source: pb::ChangeSource::Applicant as i32,
                note: String::new(),
            },
        ))
        .await?
        .into_inner();
    assert_eq!(
        change.notified_dossier_numbers,
        std::slice::from_ref(&number)
    );
    assert_eq!(
        change
            .person
            .and_then(|p| p.current_bank_account)
            .and_then(|b| b.iban)
            .map(|i| i.value),
        Some("BE71096123456769".into())
    );
    let changes = persons
        .list_person_changes(suite.request(
            &token,
            pb::ListPersonChangesRequest {
                person_id: mother.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .changes;
    assert_eq!(changes.len(), 1);
    let roles = persons
        .list_person_dossier_roles(suite.request(
            &token,
            pb::ListPersonDossierRolesRequest {
                person: Some(pb::list_person_dossier_roles_request::Person::PersonId(
                    mother,
                )),
                page: None,
            },
        ))
        .await?
        .into_inner()
        .roles;
    let kinds: Vec<_> = roles.iter().map(|r| r.role()).collect();
    assert_eq!(
        kinds,
        [pb::DossierRole::Applicant, pb::DossierRole::Creditor]
    );

    // Amend and close: CHANGED then CLOSED, in order, after ACTIVATED.
    let mut amended = mother_of_three();
    amended.creditors[1].monthly_amount = money("175.00");
    let amend = client
        .amend_dossier(suite.request(
            &token,
            pb::AmendDossierRequest {
                idempotency_key: key("reg-amend"),
                dossier: by_number(),
                form: Some(amended),
                effective_from: date(2008, 3, 1),
                reason: "new judgment of 2008-02-12".into(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner();
    assert!(!amend.event_id.is_empty());
    let closed = client
        .close_dossier(suite.request(
            &token,
            pb::CloseDossierRequest {
                idempotency_key: key("reg-close"),
                dossier: by_number(),
                reason: pb::ClosureReason::Settled as i32,
                closed_on: date(2009, 1, 31),
                note: String::new(),
                expected_version: 0,
            },
        ))
        .await?
        .into_inner();
    assert_eq!(
        closed.dossier.map(|d| d.status()),
        Some(pb::DossierStatus::Closed)
    );
    let events = client
        .list_dossier_events(suite.request(
            &service,
            pb::ListDossierEventsRequest {
                dossier_number: number.clone(),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .events;
    let kinds: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    use pb::DossierEventType as E;
    assert_eq!(kinds, [E::Activated, E::Changed, E::Changed, E::Closed]);
    assert_eq!(
        events[1].changes,
        [pb::DossierChangeKind::PayoutAccount as i32]
    );
    assert_eq!(events[2].changes, [pb::DossierChangeKind::Title as i32]);
    assert!(
        events
            .windows(2)
            .all(|w| w[0].dossier_version < w[1].dossier_version)
    );
    // All reach payments, and the last applied state there is the closed one.
    let admin = suite.admin_pool().await?;
    let mut applied = 0;
    for _ in 0..100 {
        applied = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM payments.dossier_events WHERE dossier_number = $1",
        )
        .bind(&number)
        .fetch_one(&admin)
        .await?;
        if applied == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(applied, 4);
    let version: i64 = sqlx::query_scalar(
        "SELECT dossier_version FROM payments.dossier_states WHERE dossier_number = $1",
    )
    .bind(&number)
    .fetch_one(&admin)
    .await?;
    assert_eq!(version, events[3].dossier_version);
    Ok(())
}

#[tokio::test]
async fn changes_are_appended_never_overwritten_and_current_values_derive_from_them()
-> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let registrar = suite.agent_token("agent-reg", &[roles::REGISTRAR])?;
    let address = |street: &str| pb::Address {
        street: street.into(),
        house_number: "1".into(),
        postal_code: "1000".into(),
        municipality: "Bruxelles".into(),
        country_code: "BE".into(),
        ..Default::default()
    };
    let person = persons
        .register_person(suite.request(
            &registrar,
            pb::RegisterPersonRequest {
                idempotency_key: key("cp-reg"),
                national_number: nn(DEBTOR),
                family_name: "Martin".into(),
                given_names: "Paul".into(),
                birth_date: None,
                address: Some(address("Rue Neuve")),
                address_kind: pb::AddressKind::Official as i32,
            },
        ))
        .await?
        .into_inner()
        .person
        .unwrap_or_default();
    assert_eq!(person.current_address, Some(address("Rue Neuve")));
    let change = |k: &str, street: &str, from: Option<pb::Date>| pb::RecordPersonChangeRequest {
        idempotency_key: key(k),
        person_id: person.person_id.clone(),
        effective_from: from,
        value: Some(pb::record_person_change_request::Value::Address(address(
            street,
        ))),
        address_kind: pb::AddressKind::Residence as i32,
        source: pb::ChangeSource::Applicant as i32,
        note: String::new(),
    };
    persons
        .record_person_change(
            suite.request(&registrar, change("cp-1", "Rue Haute", date(2020, 1, 1))),
        )
        .await?;
    // A change dated in the future is recorded but not yet current.
    persons
        .record_person_change(
            suite.request(&registrar, change("cp-2", "Rue Basse", date(2999, 1, 1))),
        )
        .await?;
    let now = persons
        .get_person(suite.request(
            &registrar,
            pb::GetPersonRequest {
                lookup: Some(pb::get_person_request::Lookup::PersonId(
                    person.person_id.clone(),
                )),
            },
        ))
        .await?
        .into_inner()
        .person
        .unwrap_or_default();
    assert_eq!(
        now.current_address,
        Some(address("Rue Neuve")),
        "registered today, newest in force"
    );
    let all = persons
        .list_person_changes(suite.request(
            &registrar,
            pb::ListPersonChangesRequest {
                person_id: person.person_id.clone(),
                kind: pb::PersonChangeKind::Address as i32,
                page: Some(pb::PageRequest {
                    page_size: 2,
                    page_token: String::new(),
                }),
            },
        ))
        .await?
        .into_inner();
    let first: Vec<_> = all.changes.iter().map(|c| c.effective_from).collect();
    assert_eq!(first.len(), 2, "oldest first, page of 2");
    assert_eq!(first[0], date(2020, 1, 1));
    let rest = persons
        .list_person_changes(suite.request(
            &registrar,
            pb::ListPersonChangesRequest {
                person_id: person.person_id.clone(),
                kind: 0,
                page: Some(pb::PageRequest {
                    page_size: 2,
                    page_token: all.page.unwrap_or_default().next_page_token,
                }),
            },
        ))
        .await?
        .into_inner();
    assert_eq!(rest.changes.len(), 1);
    assert_eq!(rest.changes[0].effective_from, date(2999, 1, 1));
    // The registry refuses to rewrite history, even to its own role.
    let role = suite.role_pool(Svc::Intake).await?;
    let edit = sqlx::query("UPDATE intake.person_changes SET effective_from = '2000-01-01'")
        .execute(&role)
        .await;
    assert!(edit.is_err(), "person changes are append-only");
    assert_code(
        persons
            .get_person(suite.request(
                &suite.agent_token("agent-calc", &[roles::CALCULATION_USER])?,
                pb::GetPersonRequest {
                    lookup: Some(pb::get_person_request::Lookup::PersonId(person.person_id)),
                },
            ))
            .await,
        Code::PermissionDenied,
    );
    Ok(())
}

/// Bad input to the registry is INVALID_ARGUMENT naming the field, and nothing is stored:
/// impossible birth dates, a birth date contradicting the national number (it was silently
/// replaced by the number's), an over-long profession (3 MB were stored), an undeclared
/// change source.
#[tokio::test]
async fn registry_refuses_impossible_dates_long_texts_and_undeclared_enums() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let mut persons = PersonsServiceClient::new(suite.channel(Svc::Intake).await?);
    let registrar = suite.agent_token("agent-reg", &[roles::REGISTRAR])?;
    let register = |k: &str, birth: Option<pb::Date>| pb::RegisterPersonRequest {
        idempotency_key: key(k),
        national_number: nn(common::NISS_1985),
        family_name: "Martin".into(),
        given_names: "Paul".into(),
        birth_date: birth,
        address: None,
        address_kind: 0,
    };
    let bad_dates = [(2023, 2, 30), (0, 1, 1), (1985, 13, 1), (99999, 7, 30)];
    let contradicting = (1985, 7, 31);
    for (i, (y, m, d)) in bad_dates.into_iter().chain([contradicting]).enumerate() {
        let sent = register(&format!("bd-{i}"), date(y, m, d));
        let refused = persons
            .register_person(suite.request(&registrar, sent))
            .await;
        let status = assert_code(refused, Code::InvalidArgument);
        assert_eq!(
            common::violated_fields(&status),
            ["birth_date"],
            "{y}-{m}-{d}"
        );
    }
    let admin = suite.admin_pool().await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.persons")
        .fetch_one(&admin)
        .await?;
    assert_eq!(stored, 0, "nothing stored for a refused registration");

    let agreeing = register("bd-ok", date(1985, 7, 30));
    let person = persons
        .register_person(suite.request(&registrar, agreeing))
        .await?
        .into_inner()
        .person
        .unwrap_or_default();
    assert_eq!(person.birth_date, date(1985, 7, 30));

    use pb::record_person_change_request::Value;
    let change = |k: &str, value: Value, source: i32| pb::RecordPersonChangeRequest {
        idempotency_key: key(k),
        person_id: person.person_id.clone(),
        effective_from: date(2020, 1, 1),
        value: Some(value),
        source,
        ..Default::default()
    };
    let applicant = pb::ChangeSource::Applicant as i32;
    let cases = [
        (
            change("p-long", Value::Profession("x".repeat(201)), applicant),
            "profession",
        ),
        (
            change("p-nul", Value::Profession("a\0b".into()), applicant),
            "profession",
        ),
        (
            change("p-source", Value::Profession("baker".into()), 999),
            "source",
        ),
    ];
    for (request, field) in cases {
        let refused = persons
            .record_person_change(suite.request(&registrar, request))
            .await;
        let status = assert_code(refused, Code::InvalidArgument);
        assert_eq!(common::violated_fields(&status), [field]);
    }
    let changes: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.person_changes")
        .fetch_one(&admin)
        .await?;
    assert_eq!(changes, 0, "nothing stored for a refused change");
    Ok(())
}

/// Concurrent submissions naming the same new debtor: each is accepted and the debtor is
/// registered once. A submission whose registration waited for another one's and found the
/// person already there reads the id in a new statement (its own statement's snapshot
/// predates that person); without it the submission failed.
#[tokio::test]
async fn concurrent_submissions_naming_one_new_person_register_it_once() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Intake]).await?;
    let client = IntakeServiceClient::new(suite.channel(Svc::Intake).await?);
    let token = suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?;
    let (rounds, at_once) = (6, 12);
    for round in 0..rounds {
        // Each round names a debtor nobody registered yet; the rest of each form differs.
        let debtor = form_for(5_000 + round).debtor;
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..at_once {
            let mut client = client.clone();
            let mut f = form_for(round * at_once + i);
            f.debtor = debtor.clone();
            let request = suite.request(&token, submit(&format!("same-{round}-{i}"), f));
            calls.spawn(async move { client.submit_application(request).await });
        }
        while let Some(answer) = calls.join_next().await {
            answer??;
        }
    }
    let admin = suite.admin_pool().await?;
    let (dossiers, debtors, duplicates): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM intake.dossiers),
                (SELECT count(DISTINCT debtor_person_id) FROM intake.dossiers),
                (SELECT count(*) - count(DISTINCT national_number) FROM intake.persons)",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!((dossiers, debtors, duplicates), (72, 6, 0));
    Ok(())
}
