//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use secal_proto::v1 as pb;
use tonic::Code;

pub fn key(v: &str) -> Option<pb::IdempotencyKey> {
    Some(pb::IdempotencyKey {
        value: v.to_owned(),
    })
}

pub fn nn(v: &str) -> Option<pb::NationalNumber> {
    Some(pb::NationalNumber {
        value: v.to_owned(),
    })
}

pub fn money(v: &str) -> Option<pb::Money> {
    Some(pb::Money {
        amount: v.to_owned(),
    })
}

/// Today on the services' (UTC) clock.
pub fn today() -> Option<pb::Date> {
    use chrono::Datelike;
    let t = chrono::Utc::now().date_naive();
    date(
        t.year(),
        i32::try_from(t.month()).unwrap_or(0),
        i32::try_from(t.day()).unwrap_or(0),
    )
}

pub fn date(y: i32, m: i32, d: i32) -> Option<pb::Date> {
    Some(pb::Date {
        year: y,
        month: m,
        day: d,
    })
}

/// The fields named in a status's google.rpc.BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The machine-readable reason of a status (google.rpc.ErrorInfo), empty if none.
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

pub fn assert_code<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: Code,
) -> tonic::Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got Ok({v:?})"),
        Err(s) => {
            assert_eq!(s.code(), code, "unexpected status: {s:?}");
            s
        }
    }
}

/// A valid NISS (born 1985-07-30) and a valid post-2000 one (born 2007-03-15).
pub const NISS_1985: &str = "85073003328";

/// Intake's event `id` (a UUID) bringing `snapshot` at `version`: ACTIVATED at version 1,
/// CHANGED after. The dossier is the snapshot's.
pub fn dossier_event(
    id: &str,
    version: i64,
    snapshot: pb::DossierSnapshot,
) -> pb::ReceiveDossierEventRequest {
    let kind = match version {
        1 => pb::DossierEventType::Activated,
        _ => pb::DossierEventType::Changed,
    };
    pb::ReceiveDossierEventRequest {
        idempotency_key: key(id),
        event: Some(pb::DossierEvent {
            event_id: id.to_owned(),
            event_type: kind as i32,
            dossier_number: snapshot.dossier_number.clone(),
            dossier_version: version,
            sequence: version,
            snapshot: Some(snapshot),
            ..Default::default()
        }),
    }
}

/// A suite, a client of each payments service and an agent holding every payments role
/// (operator, intake's service role, the tax system's).
pub struct PaymentsCtx {
    pub suite: secal_testkit::Suite,
    pub ledger: pb::ledger_service_client::LedgerServiceClient<tonic::transport::Channel>,
    pub receipts: pb::receipts_service_client::ReceiptsServiceClient<tonic::transport::Channel>,
    pub advances: pb::advances_service_client::AdvancesServiceClient<tonic::transport::Channel>,
    pub payouts: pb::payouts_service_client::PayoutsServiceClient<tonic::transport::Channel>,
    pub recovery: pb::recovery_service_client::RecoveryServiceClient<tonic::transport::Channel>,
    pub claims:
        pb::claim_account_service_client::ClaimAccountServiceClient<tonic::transport::Channel>,
    pub token: String,
}

impl PaymentsCtx {
    /// A ledger account's balance today (by its balance rule), in euros.
    pub async fn balance(&mut self, account: &str) -> anyhow::Result<rust_decimal::Decimal> {
        let r = self.req(pb::GetLedgerAccountRequest {
            account_id: account.into(),
            as_of: None,
        });
        let a = self.ledger.get_ledger_account(r).await?.into_inner();
        let amount = a.account.and_then(|a| a.balance).unwrap_or_default().amount;
        Ok(amount.parse()?)
    }

    pub async fn start(services: &[secal_testkit::Svc], agent: &str) -> anyhow::Result<Self> {
        use secal_runtime::roles;
        let suite = secal_testkit::Suite::start(services).await?;
        let channel = suite.channel(secal_testkit::Svc::Payments).await?;
        let secal_testkit::PaymentsClients {
            ledger,
            receipts,
            advances,
            payouts,
            recovery,
            claims,
        } = secal_testkit::PaymentsClients::new(channel);
        let token = suite.agent_token(
            agent,
            &[
                roles::PAYMENTS_OPERATOR,
                roles::SERVICE,
                roles::TAX_REFUND_SYSTEM,
            ],
        )?;
        Ok(Self {
            suite,
            ledger,
            receipts,
            advances,
            payouts,
            recovery,
            claims,
            token,
        })
    }

    pub fn req<T>(&self, m: T) -> tonic::Request<T> {
        self.suite.request(&self.token, m)
    }

    /// Plays the intake pump's part where a test runs payments alone: reads payments'
    /// case-work feed to its end and acknowledges it as applied (role "service"), so that a
    /// step waiting for its letter (an offset's pre-offset notice) sees it gone out. Returns
    /// the feed's events read.
    pub async fn acknowledge_casework(&mut self) -> anyhow::Result<Vec<pb::CaseworkEvent>> {
        use pb::casework_feed_service_client::CaseworkFeedServiceClient;
        let channel = self.suite.channel(secal_testkit::Svc::Payments).await?;
        let mut feed = CaseworkFeedServiceClient::new(channel);
        let mut events = Vec::new();
        loop {
            let after = events.last().map_or(0, |e: &pb::CaseworkEvent| e.sequence);
            let page = pb::ListCaseworkEventsRequest {
                after_sequence: after,
                limit: 500,
            };
            let got = feed
                .list_casework_events(self.req(page))
                .await?
                .into_inner()
                .events;
            if got.is_empty() {
                break;
            }
            events.extend(got);
        }
        if let Some(last) = events.last().map(|e| e.sequence) {
            let ack = pb::AcknowledgeCaseworkEventsRequest {
                idempotency_key: key(&format!("test-ack-{last}")),
                applied_through: last,
            };
            feed.acknowledge_casework_events(self.req(ack)).await?;
        }
        Ok(events)
    }
}

/// An active dossier `d` whose debtor is `debtor-<debtor_nn>`, national number `debtor_nn`.
pub fn debtor_dossier(d: &str, debtor_nn: &str) -> pb::DossierSnapshot {
    pb::DossierSnapshot {
        dossier_number: d.into(),
        status: pb::DossierStatus::Active as i32,
        debtor: Some(pb::DossierPerson {
            person_id: format!("debtor-{debtor_nn}"),
            national_number: nn(debtor_nn),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl PaymentsCtx {
    /// The applicant Marie Dupont's sole account for dossier `d`, requested by this
    /// context's agent and confirmed by the one holding `confirmer` (separation of duties).
    pub async fn confirmed_payout_account(
        &mut self,
        d: &str,
        confirmer: &str,
    ) -> anyhow::Result<pb::PayoutAccount> {
        let request = self.req(pb::RequestPayoutAccountChangeRequest {
            idempotency_key: key(&format!("acc-{d}")),
            dossier_number: d.into(),
            account: Some(pb::BankAccount {
                iban: Some(pb::Iban {
                    value: "BE71096123456769".into(),
                }),
                bic: "GEBABEBB".into(),
                holder_name: "Marie Dupont".into(),
                bank_name: String::new(),
            }),
            holding: pb::AccountHolding::Sole as i32,
            lawyer_authorisation: None,
            source_reference: format!("letter-{d}"),
        });
        let requested = self.payouts.request_payout_account_change(request).await?;
        let requested = requested.into_inner().payout_account.unwrap_or_default();
        let confirm = self.suite.request(
            confirmer,
            pb::ConfirmPayoutAccountChangeRequest {
                idempotency_key: key(&format!("acc-ok-{d}")),
                payout_account_id: requested.payout_account_id,
                method: pb::ConfirmationMethod::BankCertificate as i32,
                evidence_reference: format!("certificate-{d}"),
            },
        );
        let confirmed = self.payouts.confirm_payout_account_change(confirm).await?;
        Ok(confirmed.into_inner().payout_account.unwrap_or_default())
    }
}

/// The payments binary beside the test executable (built by `cargo build --bins`).
pub fn payments_binary() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .ok_or_else(|| anyhow::anyhow!("no target folder"))?;
    let path = dir.join("secal-payments");
    anyhow::ensure!(
        path.exists(),
        "{} is missing: cargo build --bins",
        path.display()
    );
    Ok(path)
}

/// The payments binary on `addr`, calling the calculation service at `calc`, with its
/// service token in `dir` (the process tests kill and restart it).
pub async fn payments_process(
    suite: &secal_testkit::Suite,
    dir: &std::path::Path,
    addr: std::net::SocketAddr,
    calc: std::net::SocketAddr,
) -> anyhow::Result<secal_testkit::process::ServiceProcess> {
    payments_process_with(suite, dir, (addr, calc), &[]).await
}

/// As [`payments_process`], with settings (`SECAL_…` variables) added to its environment.
pub async fn payments_process_with(
    suite: &secal_testkit::Suite,
    dir: &std::path::Path,
    (addr, calc): (std::net::SocketAddr, std::net::SocketAddr),
    settings: &[(&str, &str)],
) -> anyhow::Result<secal_testkit::process::ServiceProcess> {
    use secal_runtime::{auth::PrincipalKind, roles};
    let token_file = dir.join("payments.token");
    std::fs::write(
        &token_file,
        suite.token("secal-payments", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let env = vec![
        ("SECAL_CALCULATION_ADDR".to_owned(), calc.to_string()),
        (
            "SECAL_SERVICE_TOKEN_FILE".to_owned(),
            token_file.display().to_string(),
        ),
    ];
    let env: Vec<(String, String)> = env
        .into_iter()
        .chain(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .collect();
    secal_testkit::process::ServiceProcess::start_with_env(
        &payments_binary()?,
        suite,
        secal_testkit::Svc::Payments,
        dir,
        addr,
        &env,
    )
    .await
}

/// Waits until intake's relay has delivered the event `event_id` to payments (its row in
/// payments' event table); how many rows (1).
pub async fn wait_for_payments_event(
    suite: &secal_testkit::Suite,
    event_id: &str,
) -> anyhow::Result<i64> {
    let admin = suite.admin_pool().await?;
    for _ in 0..100 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments.dossier_events WHERE event_id = $1::uuid",
        )
        .bind(event_id)
        .fetch_one(&admin)
        .await?;
        if n > 0 {
            return Ok(n);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("event {event_id} never reached payments")
}
