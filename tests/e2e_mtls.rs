//! Mutual TLS between the services, with certificates made at test time. Calculation,
//! payments and intake run as their real binaries with certificates from a test CA:
//! - intake's calls to calculation and payments go over mutual TLS (the application is
//!   assessed, the activation's event reaches payments);
//! - a workload may call only what the call graph gives it, whatever its token says;
//! - a system token is accepted only from that system's own certificate;
//! - no certificate, a certificate from another CA, or plaintext never reach a handler;
//! - kubelet-style plaintext health probes answer on their own port.
//!
//! The service binaries must be built (`cargo build --bins`; `scripts/test` does it).

use crate::form;
#[path = "e2e_mtls/pki.rs"]
mod pki;

use std::{net::SocketAddr, time::Duration};

use form::*;
use pki::{Ca, Workload};
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    intake_service_client::IntakeServiceClient, ledger_service_client::LedgerServiceClient,
};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{
    Suite, Svc,
    process::{ServiceProcess, free_addr, service_binary},
};
use tonic::{
    Code,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// A channel presenting `who`'s certificate (or none), trusting `ca`'s.
async fn tls_channel(
    addr: SocketAddr,
    who: Option<&Workload>,
    trust: &Workload,
) -> anyhow::Result<Channel> {
    let (_, _, ca) = trust.pem()?;
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some(w) = who {
        let (cert, key, _) = w.pem()?;
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Ok(Endpoint::from_shared(format!("https://{addr}"))?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy())
}

struct Running {
    addr: SocketAddr,
    health: SocketAddr,
    _process: ServiceProcess,
}

async fn start(
    suite: &Suite,
    svc: Svc,
    dir: &std::path::Path,
    workload: &Workload,
    more: &[(&str, String)],
) -> anyhow::Result<Running> {
    let (addr, health) = (free_addr()?, free_addr()?);
    let mut env = workload.env();
    env.push(("SECAL_HEALTH_LISTEN_ADDR".into(), health.to_string()));
    env.extend(more.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let process =
        ServiceProcess::start_with_env(&service_binary(svc)?, suite, svc, dir, addr, &env).await?;
    Ok(Running {
        addr,
        health,
        _process: process,
    })
}

fn index_request() -> pb::IndexAmountRequest {
    pb::IndexAmountRequest::default()
}

#[tokio::test(flavor = "multi_thread")]
async fn services_talk_over_mutual_tls_and_only_along_the_call_graph() -> anyhow::Result<()> {
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let ca = Ca::new("secal test cluster CA")?;
    let certs = |id: &str| ca.issue(id, dir.path());
    let (intake_cert, payments_cert, calculation_cert) = (
        certs("secal-intake")?,
        certs("secal-payments")?,
        certs("secal-calculation")?,
    );
    let portal = certs("case-officer-portal")?;
    let data_exchange = certs("secal-data-exchange")?;
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere)?;
    let stranger = Ca::new("another CA")?.issue("secal-intake", &elsewhere)?;

    let calculation = start(&suite, Svc::Calculation, dir.path(), &calculation_cert, &[]).await?;
    let payments = start(&suite, Svc::Payments, dir.path(), &payments_cert, &[]).await?;
    let token_file = dir.path().join("intake.token");
    std::fs::write(
        &token_file,
        suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let intake = start(
        &suite,
        Svc::Intake,
        dir.path(),
        &intake_cert,
        &[
            ("SECAL_CALCULATION_ADDR", calculation.addr.to_string()),
            ("SECAL_PAYMENTS_ADDR", payments.addr.to_string()),
            ("SECAL_SERVICE_TOKEN_FILE", token_file.display().to_string()),
            ("SECAL_OUTBOX_POLL_INTERVAL", "100ms".to_owned()),
            ("SECAL_TLS_CLIENTS", "case-officer-portal".to_owned()),
        ],
    )
    .await?;

    // Plaintext probes on their own port.
    for running in [&calculation, &payments, &intake] {
        let ch = Endpoint::from_shared(format!("http://{}", running.health))?
            .connect()
            .await?;
        let status = HealthClient::new(ch)
            .check(HealthCheckRequest::default())
            .await?
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving);
    }

    // A case officer's tool, a configured client system, submits through intake; intake asks
    // calculation over mutual TLS, and the activation's event reaches payments the same way.
    let officer = suite.agent_token("agent-mtls", &[roles::CASE_OFFICER])?;
    let portal_channel = tls_channel(intake.addr, Some(&portal), &portal).await?;
    let mut client = IntakeServiceClient::new(portal_channel.clone());
    let submitted = client
        .submit_application(suite.request(&officer, submit("mtls-submit", mother_of_three())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let assessment = submitted.admissibility.clone().unwrap_or_default();
    assert_eq!(
        assessment.outcome(),
        pb::AdmissibilityOutcome::Admissible,
        "calculation answered over mTLS: {}",
        assessment.not_assessed_reason
    );
    let activated = to_active(
        &portal_channel,
        &suite,
        &officer,
        &submitted.application_id,
        "mtls",
    )
    .await?;
    let admin = suite.admin_pool().await?;
    let mut delivered = false;
    for _ in 0..100 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments.dossier_events WHERE event_id = $1::uuid",
        )
        .bind(&activated.event_id)
        .fetch_one(&admin)
        .await?;
        if n == 1 {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the event reached payments over mTLS");

    // Intake's workload may ask calculation what the call graph allows, not the rest.
    let intake_token = suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?;
    let as_intake = tls_channel(calculation.addr, Some(&intake_cert), &intake_cert).await?;
    let mut calc = CalculationServiceClient::new(as_intake);
    let allowed = calc
        .index_amount(suite.request(&intake_token, index_request()))
        .await;
    assert_eq!(
        allowed.err().map(|s| s.code()),
        Some(Code::InvalidArgument),
        "reached the handler, which refuses an empty request"
    );
    let admin_token = suite.token("secal-intake", PrincipalKind::System, &[roles::ADMIN])?;
    let refused = calc
        .add_reference_value(suite.request(&admin_token, pb::AddReferenceValueRequest::default()))
        .await;
    assert_eq!(
        refused.err().map(|s| s.code()),
        Some(Code::PermissionDenied)
    );

    // Data-exchange has nothing to ask payments.
    let mut from_dx =
        LedgerServiceClient::new(tls_channel(payments.addr, Some(&data_exchange), &portal).await?);
    let dx_token = suite.token(
        "secal-data-exchange",
        PrincipalKind::System,
        &[roles::SERVICE],
    )?;
    let refused = from_dx
        .receive_dossier_event(suite.request(&dx_token, pb::ReceiveDossierEventRequest::default()))
        .await;
    assert_eq!(
        refused.err().map(|s| s.code()),
        Some(Code::PermissionDenied)
    );

    // Payments' token from intake's certificate: a token is only good from its own workload.
    let payments_token = suite.token("secal-payments", PrincipalKind::System, &[roles::SERVICE])?;
    let refused = calc
        .index_amount(suite.request(&payments_token, index_request()))
        .await;
    assert_eq!(
        refused.err().map(|s| s.code()),
        Some(Code::PermissionDenied)
    );

    // No certificate, a stranger's CA, or plaintext: the call never reaches a handler.
    for (what, channel) in [
        (
            "no client certificate",
            tls_channel(calculation.addr, None, &intake_cert).await?,
        ),
        (
            "a certificate from another CA",
            tls_channel(calculation.addr, Some(&stranger), &intake_cert).await?,
        ),
        (
            "plaintext",
            Endpoint::from_shared(format!("http://{}", calculation.addr))?
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(5))
                .connect_lazy(),
        ),
    ] {
        let answer = CalculationServiceClient::new(channel)
            .index_amount(suite.request(&intake_token, index_request()))
            .await;
        let code = answer.err().map(|s| s.code());
        assert!(
            !matches!(code, None | Some(Code::InvalidArgument)),
            "{what}: reached the handler ({code:?})"
        );
    }
    Ok(())
}

/// One JSON call over HTTPS, presenting `who`'s certificate (or none), trusting `trust`'s CA:
/// the HTTP status and the JSON body, or the error that stopped it before an answer.
async fn https_json(
    addr: SocketAddr,
    who: Option<&Workload>,
    trust: &Workload,
    path: &str,
    token: &str,
) -> anyhow::Result<(u16, serde_json::Value)> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
    let (_, _, ca) = trust.pem()?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert?)?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match who {
        Some(w) => {
            let (cert, key, _) = w.pem()?;
            let chain =
                CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<_, _>>()?;
            builder.with_client_auth_cert(chain, PrivateKeyDer::from_pem_slice(key.as_bytes())?)?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await?;
    tokio::spawn(connection);
    let request = tonic::codegen::http::Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))?;
    let answer = sender.send_request(request).await?;
    let status = answer.status().as_u16();
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await?
        .to_bytes();
    Ok((status, serde_json::from_slice(&body).unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn json_over_http_keeps_mutual_tls_the_call_graph_and_the_token_to_its_workload()
-> anyhow::Result<()> {
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let ca = Ca::new("secal test cluster CA")?;
    let calculation_cert = ca.issue("secal-calculation", dir.path())?;
    let intake_cert = ca.issue("secal-intake", dir.path())?;
    let http = free_addr()?;
    let more = [("SECAL_HTTP_LISTEN_ADDR", http.to_string())];
    let _calculation = start(
        &suite,
        Svc::Calculation,
        dir.path(),
        &calculation_cert,
        &more,
    )
    .await?;
    let mut answered = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(http).await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered, "the JSON listener listens");
    let index = "/secal.v1.CalculationService/IndexAmount";
    let intake_token = suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?;

    // Intake's certificate and token, a method the call graph gives it: the handler answers
    // (an empty request is refused by it, naming fields).
    let (status, body) =
        https_json(http, Some(&intake_cert), &intake_cert, index, &intake_token).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_argument")),
        "{body}"
    );
    // A method the call graph does not give intake: refused before the handler.
    let add = "/secal.v1.CalculationService/AddReferenceValue";
    let admin_token = suite.token("secal-intake", PrincipalKind::System, &[roles::ADMIN])?;
    let (status, _) = https_json(http, Some(&intake_cert), &intake_cert, add, &admin_token).await?;
    assert_eq!(status, 403);
    // Payments' token from intake's certificate: a token is only good from its own workload.
    let payments_token = suite.token("secal-payments", PrincipalKind::System, &[roles::SERVICE])?;
    let (status, _) = https_json(
        http,
        Some(&intake_cert),
        &intake_cert,
        index,
        &payments_token,
    )
    .await?;
    assert_eq!(status, 403);
    // No client certificate: no answer at all.
    let refused = https_json(http, None, &intake_cert, index, &intake_token).await;
    assert!(
        refused.is_err(),
        "answered without a client certificate: {refused:?}"
    );
    Ok(())
}
