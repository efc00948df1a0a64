//! Income look-ups through gRPC: every access rule granted and refused, each attempt leaving
//! its access-log entry; sources answering on their own; the simulator down.

use crate::fixture;

use std::{collections::HashMap, time::Duration};

use fixture::*;
use secal_proto::{
    sim::v1::SimulatedSourceMode,
    v1::{self as pb, AccessRule, IncomeSource, SourceStatus},
};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::Svc;
use tonic::Code;

fn status_of(r: &pb::LookUpIncomesResponse, s: IncomeSource) -> SourceStatus {
    r.sources
        .iter()
        .find(|x| x.source == s as i32)
        .map(|x| x.status())
        .unwrap_or_default()
}

type Expected = HashMap<i64, (String, String)>;

fn note(expected: &mut Expected, agent: &str, seq: i64, rule: AccessRule) {
    expected.insert(seq, (agent.to_owned(), rule.as_str_name().to_owned()));
}

#[tokio::test]
async fn every_rule_is_enforced_naming_itself_and_every_attempt_is_logged() -> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    // Expected log entries: sequence -> (agent, refusal rule or "" when granted).
    let mut expected: Expected = HashMap::new();

    // Granted: the debtor, and a creditor, with a lawful purpose by an assigned agent.
    for who in [DEBTOR, CHILDREN[0]] {
        let ok = fx.look_up(&lookup, fx.request(who)).await?;
        assert_eq!(ok.sources.len(), 5);
        assert!(ok.access_log_sequence > 0);
        assert_eq!(ok.result_digest.len(), 64);
        assert!(!ok.subject_masked.contains(&who[..6]), "masked");
        expected.insert(ok.access_log_sequence, (LOOKUP.into(), String::new()));
    }
    // The same question gets the same (synthetic, deterministic) answer.
    let again = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    let first = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    let data = |r: &pb::LookUpIncomesResponse| {
        let mut s = r.sources.clone();
        s.iter_mut().for_each(|x| x.retrieved_at.clear());
        s
    };
    assert_eq!(data(&again), data(&first));
    assert!(first.sources.iter().any(|s| s.data.is_some()));
    expected.insert(again.access_log_sequence, (LOOKUP.into(), String::new()));
    expected.insert(first.access_log_sequence, (LOOKUP.into(), String::new()));

    // 1. The look-up role: an agent without it, and a system even with it.
    let officer = fx.token("agent-x", &[roles::CASE_OFFICER]);
    let r = fx.look_up(&officer, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        "agent-x",
        refused(r, AccessRule::LookupRoleRequired),
        AccessRule::LookupRoleRequired,
    );
    let system = fx.suite.token(
        "some-system",
        PrincipalKind::System,
        &[roles::INCOME_LOOKUP],
    )?;
    let r = fx.look_up(&system, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        "some-system",
        refused(r, AccessRule::LookupRoleRequired),
        AccessRule::LookupRoleRequired,
    );

    // 2. No token with both the registering and the look-up roles.
    let both = fx.token(LOOKUP, &[roles::INCOME_LOOKUP, roles::REGISTRAR]);
    let r = fx.look_up(&both, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        LOOKUP,
        refused(r, AccessRule::ConflictingRoles),
        AccessRule::ConflictingRoles,
    );

    // 3. A lawful purpose.
    for purpose in [pb::LookupPurpose::Unspecified, pb::LookupPurpose::Audit] {
        let mut req = fx.request(DEBTOR);
        req.purpose = purpose as i32;
        let r = fx.look_up(&lookup, req).await;
        note(
            &mut expected,
            LOOKUP,
            refused(r, AccessRule::PurposeRequired),
            AccessRule::PurposeRequired,
        );
    }
    for purpose in [
        pb::LookupPurpose::GrantAdvances,
        pb::LookupPurpose::RecoverAdvances,
        pb::LookupPurpose::PaymentFacilitiesOrSuspension,
        pb::LookupPurpose::EndOfIntervention,
    ] {
        let mut req = fx.request(DEBTOR);
        req.purpose = purpose as i32;
        let ok = fx.look_up(&lookup, req).await?;
        expected.insert(ok.access_log_sequence, (LOOKUP.into(), String::new()));
    }

    // 4. One person: no wildcard, no missing or malformed number.
    for who in ["*", "", "68021100145", "6802110014%"] {
        let r = fx.look_up(&lookup, fx.request(who)).await;
        note(
            &mut expected,
            LOOKUP,
            refused(r, AccessRule::OnePersonPerRequest),
            AccessRule::OnePersonPerRequest,
        );
    }

    // Malformed scope: INVALID_ARGUMENT naming the field, and still logged.
    let mut req = fx.request(DEBTOR);
    req.scope = Some(pb::look_up_incomes_request::Scope::Period(pb::MonthRange {
        first_month: Some(pb::YearMonth {
            year: 2020,
            month: 1,
        }),
        last_month: Some(pb::YearMonth {
            year: 2023,
            month: 1,
        }),
    }));
    let status = fx.look_up(&lookup, req).await.expect_err("36 months");
    assert_eq!(status.code(), Code::InvalidArgument);
    let (reason, seq) = logged_failure(&status);
    assert_eq!(reason, "INVALID_ARGUMENT");
    expected.insert(seq, (LOOKUP.into(), "INVALID_ARGUMENT".into()));

    // 6. The person must be a creditor or debtor of the dossier.
    let r = fx.look_up(&lookup, fx.request("85073003328")).await;
    note(
        &mut expected,
        LOOKUP,
        refused(r, AccessRule::NotPartyToDossier),
        AccessRule::NotPartyToDossier,
    );

    // 7. The agent must be assigned to the dossier for look-ups.
    let other = fx.token("agent-other", &[roles::INCOME_LOOKUP]);
    let r = fx.look_up(&other, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        "agent-other",
        refused(r, AccessRule::AgentNotAssigned),
        AccessRule::AgentNotAssigned,
    );

    // 8. The agent who registered the persons may not look them up, even assigned.
    fx.assign(OFFICER).await?;
    let registrar = fx.token(OFFICER, &[roles::INCOME_LOOKUP]);
    let r = fx.look_up(&registrar, fx.request(MOTHER)).await;
    note(
        &mut expected,
        OFFICER,
        refused(r, AccessRule::RegistrarCannotLookUp),
        AccessRule::RegistrarCannotLookUp,
    );

    // 9. Volume: flagged beyond 10 an hour, refused beyond 15 (test settings).
    let busy = fx.token(BUSY, &[roles::INCOME_LOOKUP]);
    let mut flagged = Vec::new();
    for _ in 0..15 {
        let ok = fx.look_up(&busy, fx.request(DEBTOR)).await?;
        expected.insert(ok.access_log_sequence, (BUSY.into(), String::new()));
        flagged.push(ok.access_log_sequence);
    }
    let r = fx.look_up(&busy, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        BUSY,
        refused(r, AccessRule::RateLimit),
        AccessRule::RateLimit,
    );

    // 5. The dossier must be active at the time of the request: close it today.
    fx.intake
        .clone()
        .close_dossier(fx.suite.request(
            &fx.officer,
            pb::CloseDossierRequest {
                idempotency_key: key("dx-close"),
                dossier: by_number(&fx.dossier),
                reason: pb::ClosureReason::Withdrawn as i32,
                closed_on: Some(secal_runtime::wire::date_to_pb(
                    chrono::Utc::now().date_naive(),
                )),
                note: String::new(),
                expected_version: 0,
            },
        ))
        .await?;
    let r = fx.look_up(&lookup, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        LOOKUP,
        refused(r, AccessRule::DossierNotActive),
        AccessRule::DossierNotActive,
    );

    // 10. Intake cannot answer: refused (fail closed) as UNAVAILABLE, worth a retry, still
    // logged.
    let mut fx = fx;
    fx.suite.stop_service(Svc::Intake).await?;
    let r = fx.look_up(&lookup, fx.request(DEBTOR)).await;
    note(
        &mut expected,
        LOOKUP,
        refused_with(r, AccessRule::DossierCheckUnavailable, Code::Unavailable),
        AccessRule::DossierCheckUnavailable,
    );

    // Every attempt has its entry, with who, the outcome and the rule.
    let entries = fx.entries().await?;
    let by_seq: HashMap<i64, &pb::AccessLogEntry> =
        entries.iter().map(|e| (e.sequence, e)).collect();
    for (seq, (agent, rule)) in &expected {
        let e = by_seq
            .get(seq)
            .unwrap_or_else(|| panic!("entry {seq} missing"));
        assert_eq!(&e.agent_id, agent, "entry {seq}");
        assert_eq!(&e.refusal_rule, rule, "entry {seq}");
        assert_eq!(e.action(), pb::AccessAction::IncomeLookup);
        let outcome = if rule.is_empty() {
            pb::AccessOutcome::Granted
        } else {
            pb::AccessOutcome::Refused
        };
        assert_eq!(e.outcome(), outcome, "entry {seq}");
        if rule.is_empty() {
            assert_eq!(e.result_digest.len(), 64);
            assert_eq!(e.source_outcomes.len(), 5);
            assert_eq!(e.dossier_number, fx.dossier);
            assert!(e.period.is_some());
            assert_eq!(e.justification, "debtor's means for the recovery plan");
        }
        assert!(!e.subject_masked.contains("680211"), "never in clear");
    }
    let digest_of_first = by_seq
        .get(&first.access_log_sequence)
        .map(|e| e.result_digest.clone());
    assert_eq!(digest_of_first, Some(first.result_digest.clone()));
    // Flagged: the busy agent's look-ups beyond the 10th.
    let flags: Vec<bool> = flagged
        .iter()
        .map(|s| by_seq.get(s).is_some_and(|e| e.flagged_unusual_volume))
        .collect();
    assert_eq!(flags.iter().filter(|f| **f).count(), 5, "{flags:?}");
    assert!(flags[10..].iter().all(|f| *f));

    // Only auditors read the log.
    let denied = fx
        .dx
        .clone()
        .list_access_log_entries(
            fx.suite
                .request(&lookup, pb::ListAccessLogEntriesRequest::default()),
        )
        .await;
    assert_eq!(
        denied.map(|_| ()).unwrap_err().code(),
        Code::PermissionDenied
    );
    // And reading is itself logged.
    let reads = fx.entries().await?;
    assert!(
        reads
            .iter()
            .any(|e| e.action() == pb::AccessAction::LogRead && e.agent_id == "agent-auditor")
    );
    assert!(fx.verify().await?.intact);
    Ok(())
}

#[tokio::test]
async fn a_source_down_is_unavailable_alone_and_the_network_down_fails_cleanly_but_logged()
-> anyhow::Result<()> {
    let mut fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    let sim = fx.suite.simulator()?;
    sim.set_mode(
        IncomeSource::Unemployment,
        SimulatedSourceMode::Down,
        Duration::ZERO,
    );
    sim.set_mode(
        IncomeSource::Pensions,
        SimulatedSourceMode::Slow,
        Duration::from_secs(3),
    );
    let r = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    assert_eq!(
        status_of(&r, IncomeSource::Unemployment),
        SourceStatus::Unavailable
    );
    assert_eq!(
        status_of(&r, IncomeSource::Pensions),
        SourceStatus::Unavailable
    );
    let pensions = r
        .sources
        .iter()
        .find(|s| s.source == IncomeSource::Pensions as i32);
    assert!(
        pensions.is_some_and(|p| p.status_detail.contains("timeout")),
        "{pensions:?}"
    );
    for s in [
        IncomeSource::Employment,
        IncomeSource::HolidayPay,
        IncomeSource::SicknessBenefits,
    ] {
        assert_ne!(
            status_of(&r, s),
            SourceStatus::Unavailable,
            "{s:?} still answers"
        );
    }
    sim.set_mode(
        IncomeSource::Pensions,
        SimulatedSourceMode::Normal,
        Duration::ZERO,
    );
    // A source that keeps failing opens its circuit breaker (3 failed look-ups in the test
    // settings): it is then reported unavailable without being asked.
    for _ in 0..2 {
        fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    }
    let calls = sim.switches().calls();
    let r = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    let unemployment = r
        .sources
        .iter()
        .find(|s| s.source == IncomeSource::Unemployment as i32);
    assert!(
        unemployment.is_some_and(|u| u.status_detail == "circuit open"),
        "{unemployment:?}"
    );
    // The four other sources were asked once each; unemployment (open) not at all.
    assert_eq!(sim.switches().calls() - calls, 4);
    // Back to normal: answers again (after the breaker's cool-down at worst).
    sim.set_mode(
        IncomeSource::Unemployment,
        SimulatedSourceMode::Normal,
        Duration::ZERO,
    );
    sim.set_mode(
        IncomeSource::Pensions,
        SimulatedSourceMode::Normal,
        Duration::ZERO,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    assert!(
        r.sources
            .iter()
            .all(|s| s.status() != SourceStatus::Unavailable),
        "{r:?}"
    );

    // Unemployment data as ONEM gives it, for a date.
    let mut req = fx.request(DEBTOR);
    req.sources = vec![IncomeSource::Unemployment as i32];
    req.scope = Some(pb::look_up_incomes_request::Scope::LastKnown(
        pb::LastKnownSituation {},
    ));
    let r = fx.look_up(&lookup, req).await?;
    assert_eq!(r.sources.len(), 1);

    // The whole network down: a clean UNAVAILABLE that names its log entry.
    fx.suite.stop_simulator().await?;
    let status = fx
        .look_up(&lookup, fx.request(DEBTOR))
        .await
        .expect_err("down");
    assert_eq!(status.code(), Code::Unavailable);
    let (reason, seq) = logged_failure(&status);
    assert_eq!(reason, "SOURCES_UNAVAILABLE");
    let entries = fx.entries().await?;
    let e = entries
        .iter()
        .find(|e| e.sequence == seq)
        .expect("the attempt is logged");
    assert_eq!(e.source_outcomes.len(), 5);
    assert!(
        e.source_outcomes
            .iter()
            .all(|o| o.status() == SourceStatus::Unavailable)
    );
    assert!(fx.verify().await?.intact);
    Ok(())
}

/// Seed 003: the advances income check needs the applicant's means before the dossier is
/// active; a submitted application is a dossier, so it may be looked at for that purpose
/// only, and only about its applicant. The recovery purposes keep needing an active dossier.
#[tokio::test]
async fn a_submitted_application_is_looked_up_for_granting_advances_only() -> anyhow::Result<()> {
    let fx = Fx::start().await?;
    let lookup = fx.lookup_token();
    let submitted = fx
        .intake
        .clone()
        .submit_application(fx.suite.request(
            &fx.officer,
            fixture::form::submit("dx-advances", fixture::form::mother_of_three()),
        ))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    assert_ne!(submitted.status(), pb::DossierStatus::Active);
    let application = submitted.application_id.clone();
    fx.intake
        .clone()
        .assign_dossier_agent(fx.suite.request(
            &fx.officer,
            pb::AssignDossierAgentRequest {
                idempotency_key: key("assign-app"),
                dossier: fixture::form::by_id(&application),
                agent_id: LOOKUP.into(),
                task: pb::AgentTask::IncomeLookup as i32,
                start_date: date(2007, 10, 1),
                end_date: None,
            },
        ))
        .await?;
    let on_application = |who: &str, purpose: pb::LookupPurpose| {
        let mut req = fx.request(who);
        req.dossier_number = String::new();
        req.application_id = application.clone();
        req.purpose = purpose as i32;
        req.justification = "income check of the advances application".into();
        req
    };

    // Granting advances: the applicant's incomes, filed under the application.
    let ok = fx
        .look_up(
            &lookup,
            on_application(MOTHER, pb::LookupPurpose::GrantAdvances),
        )
        .await?;
    assert!(ok.access_log_sequence > 0);
    let entry = fx
        .entries()
        .await?
        .into_iter()
        .find(|e| e.sequence == ok.access_log_sequence)
        .unwrap_or_default();
    assert_eq!(entry.dossier_number, format!("application {application}"));
    assert_eq!(entry.purpose, pb::LookupPurpose::GrantAdvances as i32);

    // Any other purpose, or another person than the applicant, is refused and logged.
    for purpose in [
        pb::LookupPurpose::RecoveryStrategy,
        pb::LookupPurpose::RecoverAdvances,
        pb::LookupPurpose::PaymentFacilitiesOrSuspension,
    ] {
        let r = fx.look_up(&lookup, on_application(MOTHER, purpose)).await;
        refused(r, AccessRule::ApplicationOnlyForAdvances);
    }
    let r = fx
        .look_up(
            &lookup,
            on_application(DEBTOR, pb::LookupPurpose::GrantAdvances),
        )
        .await;
    refused(r, AccessRule::ApplicationOnlyForAdvances);
    // An agent not assigned to the application is refused as for a dossier.
    let other = fx.token("agent-other", &[roles::INCOME_LOOKUP]);
    let r = fx
        .look_up(
            &other,
            on_application(MOTHER, pb::LookupPurpose::GrantAdvances),
        )
        .await;
    refused(r, AccessRule::AgentNotAssigned);

    // Both a dossier and an application: INVALID_ARGUMENT naming application_id.
    let mut both = on_application(MOTHER, pb::LookupPurpose::GrantAdvances);
    both.dossier_number = fx.dossier.clone();
    let status = fx.look_up(&lookup, both).await.expect_err("both");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(fixture::logged_failure(&status).1 > 0);

    // The recovery purposes on the active dossier still work.
    fx.look_up(&lookup, fx.request(DEBTOR)).await?;
    assert!(fx.verify().await?.intact);
    Ok(())
}
