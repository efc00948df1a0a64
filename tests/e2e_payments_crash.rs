//! Kill -9 the payments service in the middle of a monthly advances run, restart it, run
//! again: every child is paid exactly once and the control totals reconcile with the ledger.
//! Needs the service binaries (`cargo build --bins`).

mod common;

use std::path::PathBuf;

use anyhow::Context;
use common::{date, key, money, nn};
use secal_domain::DossierNumber;
use secal_proto::v1::{self as pb, payments_service_client::PaymentsServiceClient};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{Suite, Svc, process::ServiceProcess};

const CHILDREN: u32 = 2_500;

fn binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .context("no target folder")?;
    let path = dir.join("secal-payments");
    anyhow::ensure!(
        path.exists(),
        "{} is missing: cargo build --bins",
        path.display()
    );
    Ok(path)
}

/// A distinct valid national number per debtor (born 1985-01-0D, serial S).
fn debtor_nn(seq: u32) -> String {
    let base = format!("85010{}{:03}", 1 + seq / 998, 1 + seq % 998);
    let check = 97 - base.parse::<u64>().unwrap_or(0) % 97;
    format!("{base}{check:02}")
}

fn event(seq: u32) -> pb::ReceiveDossierEventRequest {
    let d = DossierNumber::new(2022, seq)
        .map(|d| d.to_string())
        .unwrap_or_default();
    let id = format!("00000000-0000-4000-a000-{seq:012}");
    let child = pb::DossierCreditor {
        person: Some(pb::DossierPerson {
            person_id: format!("child-{seq}"),
            birth_date: date(2016, 1, 1),
            ..Default::default()
        }),
        monthly_amount: money("180.00"),
        advances_requested: true,
        ..Default::default()
    };
    common::dossier_event(
        &id,
        1,
        pb::DossierSnapshot {
            dossier_number: d,
            status: pb::DossierStatus::Active as i32,
            application_date: date(2023, 1, 15),
            debtor: Some(pb::DossierPerson {
                person_id: format!("debtor-{seq}"),
                national_number: nn(&debtor_nn(seq)),
                ..Default::default()
            }),
            creditors: vec![child],
            ..Default::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_midway_and_restarted_pays_every_child_once() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let dir = tempfile::tempdir()?;
    let addr = secal_testkit::process::free_addr()?;
    let token_file = dir.path().join("payments.token");
    std::fs::write(
        &token_file,
        suite.token("secal-payments", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let env = vec![
        (
            "SECAL_CALCULATION_ADDR".to_owned(),
            suite.addr(Svc::Calculation)?.to_string(),
        ),
        (
            "SECAL_SERVICE_TOKEN_FILE".to_owned(),
            token_file.display().to_string(),
        ),
    ];
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let process =
        ServiceProcess::start_with_env(&binary()?, &suite, Svc::Payments, dir.path(), addr, &env)
            .await?;
    let client = PaymentsServiceClient::new(process.channel().await?);
    let mut seeders = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (mut c, token) = (client.clone(), token.clone());
        seeders.spawn(async move {
            for seq in (1..=CHILDREN).filter(|s| s % 8 == w) {
                let mut r = tonic::Request::new(event(seq));
                r.metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse()?);
                c.receive_dossier_event(r).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = seeders.join_next().await {
        r??;
    }
    let month = Some(pb::YearMonth {
        year: 2024,
        month: 5,
    });
    let run = |k: &str| pb::RunMonthlyAdvancesRequest {
        idempotency_key: key(k),
        month,
        progress_every: 1_000,
    };
    // First start: wait for the first batch to be reported, then kill -9.
    let mut c = client.clone();
    let mut stream = c
        .run_monthly_advances(suite.request(&token, run("first")))
        .await?
        .into_inner();
    let first = stream.message().await?.context("no progress")?;
    assert!(matches!(
        first.update,
        Some(pb::run_monthly_advances_response::Update::Progress(_))
    ));
    process.kill9().await?;

    let process =
        ServiceProcess::start_with_env(&binary()?, &suite, Svc::Payments, dir.path(), addr, &env)
            .await?;
    let mut c = PaymentsServiceClient::new(process.channel().await?);
    let mut stream = c
        .run_monthly_advances(suite.request(&token, run("second")))
        .await?
        .into_inner();
    let mut last = None;
    let mut already_done = 0;
    let mut progress_seen = 0;
    while let Some(m) = stream.message().await? {
        match m.update {
            Some(pb::run_monthly_advances_response::Update::Progress(p)) => {
                progress_seen += 1;
                already_done = p.already_done;
            }
            Some(pb::run_monthly_advances_response::Update::Run(r)) => last = Some(r),
            None => {}
        }
    }
    let run = last.context("no final message")?;
    let t = run.totals.unwrap_or_default();
    assert_eq!(
        (t.children_considered, t.advances_paid, t.failed),
        (i64::from(CHILDREN), i64::from(CHILDREN), 0),
        "{t:?}"
    );
    assert_eq!(t.ledger_transfer_count, i64::from(CHILDREN));
    assert_eq!(t.amount_paid, money(&format!("{}.00", 175 * CHILDREN)));
    assert!(t.reconciled);
    assert_eq!(run.attempts, 2);
    assert!(
        already_done > 0,
        "the restart skipped what the first start had done: {already_done} {progress_seen}"
    );
    process.terminate().await?;
    Ok(())
}
