//! One trace across the services. Intake, calculation and payments run as their real
//! binaries, each exporting spans by OTLP/gRPC to a receiver in this test. An application
//! submitted under the test's own `traceparent` is assessed by calculation: the spans of both
//! services carry that trace id, each child pointing at its parent across the process
//! boundary. The dossier's activation writes an outbox event; its later delivery to payments
//! continues the activation's trace (intake stores the `traceparent` with the event).
//!
//! RPC metrics (rate, errors, latency) and a business counter (advances paid) reach the
//! same receiver.
//!
//! The service binaries must be built (`cargo build --bins`; `scripts/test` does it).

use crate::form;
#[path = "e2e_trace/otlp.rs"]
mod otlp;

use std::time::Duration;

use anyhow::{Context, bail};
use form::*;
use otlp::{Received, Receiver};
use secal_proto::v1::{self as pb, intake_service_client::IntakeServiceClient};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::PaymentsClients;
use secal_testkit::{
    Suite, Svc,
    process::{ServiceProcess, free_addr, service_binary},
};

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

fn env(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Waits until `found` sees what it needs in the received spans.
async fn wait_for<T>(
    receiver: &Receiver,
    what: &str,
    found: impl Fn(&[Received]) -> Option<T>,
) -> anyhow::Result<T> {
    for _ in 0..150 {
        if let Some(t) = found(&receiver.spans()) {
            return Ok(t);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<_> = receiver
        .spans()
        .iter()
        .map(|s| format!("{} {} {}", s.service, s.name, s.trace_id))
        .collect();
    bail!("never received {what}; got {names:#?}")
}

/// The spans of one service that lead from `span` up to the first span of another service
/// or the trace's root; the last one is where the service was entered.
fn chain_within_service<'a>(spans: &'a [Received], span: &'a Received) -> Vec<&'a Received> {
    let mut chain = vec![span];
    let mut current = span;
    while let Some(parent) = spans.iter().find(|s| {
        s.span_id == current.parent_span_id
            && s.trace_id == current.trace_id
            && s.service == span.service
    }) {
        chain.push(parent);
        current = parent;
    }
    chain
}

/// A dossier with one child, activated at payments, and the May 2024 advances run: how many
/// advances it paid.
async fn pay_one_advance(suite: &Suite, payments: &ServiceProcess) -> anyhow::Result<i64> {
    let dossier = secal_domain::DossierNumber::new(2023, 77)?.to_string();
    let event_id = "00000000-0000-4000-9000-000000000077".to_owned();
    let service = suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?;
    let mut client = PaymentsClients::new(payments.channel().await?);
    let child = pb::DossierCreditor {
        person: Some(pb::DossierPerson {
            person_id: "child-77".into(),
            birth_date: Some(pb::Date {
                year: 2015,
                month: 3,
                day: 1,
            }),
            ..Default::default()
        }),
        creditor_key: "child-77".into(),
        monthly_amount: Some(pb::Money {
            amount: "200.00".into(),
        }),
        advances_requested: true,
        family_allowance_entitled: true,
        ..Default::default()
    };
    let event = pb::DossierEvent {
        event_id: event_id.clone(),
        event_type: pb::DossierEventType::Activated as i32,
        dossier_number: dossier.clone(),
        dossier_version: 1,
        sequence: 1,
        snapshot: Some(pb::DossierSnapshot {
            dossier_number: dossier,
            status: pb::DossierStatus::Active as i32,
            application_date: Some(pb::Date {
                year: 2023,
                month: 1,
                day: 15,
            }),
            creditors: vec![child],
            title: Some(pb::ExecutoryTitle {
                first_month: Some(pb::YearMonth {
                    year: 2022,
                    month: 1,
                }),
                ..Default::default()
            }),
            applicant_net_monthly_income: Some(pb::Money {
                amount: "1500.00".into(),
            }),
            dependent_child_count: 1,
            ..Default::default()
        }),
        ..Default::default()
    };
    client
        .ledger
        .receive_dossier_event(suite.request(
            &service,
            pb::ReceiveDossierEventRequest {
                idempotency_key: Some(pb::IdempotencyKey { value: event_id }),
                event: Some(event),
            },
        ))
        .await?;
    let operator = suite.agent_token("agent-payments", &[roles::PAYMENTS_OPERATOR])?;
    let run = pb::RunMonthlyAdvancesRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: "trace-run".into(),
        }),
        month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        progress_every: 0,
    };
    let mut stream = client
        .advances
        .run_monthly_advances(suite.request(&operator, run))
        .await?
        .into_inner();
    let mut paid = 0;
    while let Some(msg) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(r)) = msg.update {
            paid = r.totals.unwrap_or_default().advances_paid;
        }
    }
    Ok(paid)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_trace_runs_through_intake_calculation_and_payments() -> anyhow::Result<()> {
    let suite = Suite::start(&[]).await?;
    let (receiver, otlp_addr) = Receiver::start().await?;
    let dir = tempfile::tempdir()?;
    let telemetry = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp_addr}")),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "200".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];

    let calculation_addr = free_addr()?;
    let payments_addr = free_addr()?;
    let intake_addr = free_addr()?;
    let _calculation = ServiceProcess::start_with_env(
        &service_binary(Svc::Calculation)?,
        &suite,
        Svc::Calculation,
        dir.path(),
        calculation_addr,
        &env(&telemetry),
    )
    .await?;
    let payments_token = dir.path().join("payments.token");
    std::fs::write(
        &payments_token,
        suite.token("secal-payments", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let mut payments_env = telemetry.to_vec();
    payments_env.extend([
        ("SECAL_CALCULATION_ADDR", calculation_addr.to_string()),
        (
            "SECAL_SERVICE_TOKEN_FILE",
            payments_token.display().to_string(),
        ),
    ]);
    let payments = ServiceProcess::start_with_env(
        &service_binary(Svc::Payments)?,
        &suite,
        Svc::Payments,
        dir.path(),
        payments_addr,
        &env(&payments_env),
    )
    .await?;
    let token_file = dir.path().join("intake.token");
    std::fs::write(
        &token_file,
        suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let mut intake_env = telemetry.to_vec();
    intake_env.extend([
        ("SECAL_CALCULATION_ADDR", calculation_addr.to_string()),
        ("SECAL_PAYMENTS_ADDR", payments_addr.to_string()),
        ("SECAL_SERVICE_TOKEN_FILE", token_file.display().to_string()),
        ("SECAL_OUTBOX_POLL_INTERVAL", "100ms".to_owned()),
    ]);
    let intake = ServiceProcess::start_with_env(
        &service_binary(Svc::Intake)?,
        &suite,
        Svc::Intake,
        dir.path(),
        intake_addr,
        &env(&intake_env),
    )
    .await?;

    let intake_channel = intake.channel().await?;
    let mut client = IntakeServiceClient::new(intake_channel.clone());
    let token = suite.agent_token("agent-trace", &[roles::CASE_OFFICER])?;
    let mut submit_request = suite.request(&token, submit("trace-submit", mother_of_three()));
    submit_request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CALLER_SPAN}-01").parse()?,
    );
    let submitted = client
        .submit_application(submit_request)
        .await?
        .into_inner();
    let application_id = submitted.dossier.unwrap_or_default().application_id;

    // Submission: intake's server span is the child of the caller's; calculation's server span
    // is in the same trace, its parent a span of intake's.
    let (intake_root, calc_root) = wait_for(&receiver, "the submission's spans", |spans| {
        let intake_root = spans.iter().find(|s| {
            s.service == "secal-intake" && s.trace_id == TRACE_ID && s.parent_span_id == CALLER_SPAN
        })?;
        let calc = spans.iter().find(|s| {
            s.service == "secal-calculation"
                && s.trace_id == TRACE_ID
                && s.name.ends_with("CalculationService/CheckAdmissibility")
        })?;
        Some((intake_root.clone(), calc.clone()))
    })
    .await?;
    assert_eq!(intake_root.name, "secal.v1.IntakeService/SubmitApplication");
    let spans = receiver.spans();
    let caller = spans
        .iter()
        .find(|s| s.service == "secal-intake" && s.span_id == calc_root.parent_span_id)
        .context("calculation's parent is a span of intake's")?;
    assert_eq!(caller.trace_id, TRACE_ID);
    let up = chain_within_service(&spans, caller);
    assert_eq!(
        up.last().map(|s| s.span_id.as_str()),
        Some(intake_root.span_id.as_str()),
        "the calling span descends from intake's server span: {up:#?}"
    );

    // Activation: the event's delivery to payments continues the activation's trace.
    let activated = to_active(&intake_channel, &suite, &token, &application_id, "trace").await?;
    assert!(!activated.event_id.is_empty());
    let (activate, delivery, received) = wait_for(&receiver, "the event's delivery", |spans| {
        let activate = spans.iter().find(|s| {
            s.service == "secal-intake" && s.name == "secal.v1.IntakeService/ActivateDossier"
        })?;
        let received = spans.iter().find(|s| {
            s.service == "secal-payments" && s.name.ends_with("LedgerService/ReceiveDossierEvent")
        })?;
        let delivery = spans
            .iter()
            .find(|s| s.service == "secal-intake" && s.span_id == received.parent_span_id)?;
        Some((activate.clone(), delivery.clone(), received.clone()))
    })
    .await?;
    assert_eq!(delivery.name, "deliver_dossier_event");
    assert_eq!(received.trace_id, activate.trace_id, "one trace");
    assert_eq!(delivery.trace_id, activate.trace_id);
    assert_ne!(
        activate.trace_id, TRACE_ID,
        "another request, another trace"
    );
    let spans = receiver.spans();
    let emitted_in = spans
        .iter()
        .find(|s| s.span_id == delivery.parent_span_id)
        .context("the delivery's parent was exported")?;
    let up = chain_within_service(&spans, emitted_in);
    assert_eq!(
        up.last().map(|s| s.span_id.as_str()),
        Some(activate.span_id.as_str()),
        "the delivery hangs under the activation that wrote the event: {up:#?}"
    );

    // A business counter: an advances run pays a child of an active dossier (2024 figures).
    let paid = pay_one_advance(&suite, &payments).await?;
    assert_eq!(paid, 1, "the run paid the child's advance");

    // Metrics: every RPC counted, with its latency, per service and method; a refused call
    // counts as an error.
    let refused = client
        .submit_application(suite.request("not-a-token", submit("x", mother_of_three())))
        .await;
    assert!(refused.is_err());
    let metric = |points: &[otlp::Point], service: &str, name: &str, method: &str, status: &str| {
        points
            .iter()
            .filter(|p| {
                p.service == service && p.metric == name && p.method == method && p.status == status
            })
            .map(|p| p.value)
            .fold(0.0, f64::max)
    };
    wait_for(&receiver, "the RPC metrics", |_| {
        let points = receiver.points();
        let ok = metric(
            &points,
            "secal-intake",
            "rpc.server.requests",
            "SubmitApplication",
            "0",
        );
        let errors = metric(
            &points,
            "secal-intake",
            "rpc.server.errors",
            "SubmitApplication",
            "16",
        );
        let latency = metric(
            &points,
            "secal-intake",
            "rpc.server.duration",
            "SubmitApplication",
            "0",
        );
        let calc = metric(
            &points,
            "secal-calculation",
            "rpc.server.requests",
            "CheckAdmissibility",
            "0",
        );
        let advances = metric(&points, "secal-payments", "secal.advances.paid", "", "");
        let received = metric(
            &points,
            "secal-payments",
            "rpc.server.requests",
            "ReceiveDossierEvent",
            "0",
        );
        // The work queue's counts, a gauge per kind and team (zero ones included).
        let queue = points
            .iter()
            .any(|p| p.service == "secal-intake" && p.metric == "secal.work_queue.tasks_open");
        (ok >= 1.0
            && errors >= 1.0
            && latency >= 1.0
            && calc >= 1.0
            && received >= 1.0
            && advances >= 1.0
            && queue)
            .then_some(())
    })
    .await
    .with_context(|| format!("{:#?}", receiver.points()))?;
    Ok(())
}
