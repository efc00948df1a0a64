//! Kill -9 the payments service in the middle of a dues run, restart it, run again: every
//! dossier's dues are booked exactly once per creditor and month, and the run's control
//! totals reconcile with the ledger. Needs the service binaries (`cargo build --bins`).

use crate::common;

use anyhow::Context;
use common::{date, key, money};
use rust_decimal::Decimal;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};

const DOSSIERS: u32 = 1_000;

fn number(seq: u32) -> String {
    DossierNumber::new(2023, seq)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Dossier `seq`: one child owed €150 a month from January 2023, due on the 1st, activated
/// on 10 March 2023 (the mandate books January to March).
fn activated(seq: u32) -> pb::ReceiveDossierEventRequest {
    let mut e = common::dossier_event(
        &format!("00000000-0000-4000-b000-{seq:012}"),
        1,
        pb::DossierSnapshot {
            dossier_number: number(seq),
            status: pb::DossierStatus::Active as i32,
            kind: pb::ApplicationKind::ArrearsAndFuture as i32,
            application_date: date(2023, 2, 15),
            creditors: vec![pb::DossierCreditor {
                person: Some(pb::DossierPerson {
                    person_id: format!("child-{seq}"),
                    ..Default::default()
                }),
                creditor_key: "c1".into(),
                monthly_amount: money("150.00"),
                ..Default::default()
            }],
            title: Some(pb::ExecutoryTitle {
                title_date: date(2022, 12, 12),
                first_month: Some(pb::YearMonth {
                    year: 2023,
                    month: 1,
                }),
                due_day: 1,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    if let Some(ev) = e.event.as_mut() {
        ev.effective_on = date(2023, 3, 10);
    }
    e
}

fn run(k: &str) -> pb::RunMonthlyDuesRequest {
    pb::RunMonthlyDuesRequest {
        idempotency_key: key(k),
        run_date: date(2026, 12, 6),
    }
}

/// The payments process of the test, at `addr`, with chunks of 100 dossiers: ten chunks, so
/// that the kill comes after the first with most still to book.
async fn payments(
    suite: &Suite,
    dir: &std::path::Path,
    addr: std::net::SocketAddr,
) -> anyhow::Result<secal_testkit::process::ServiceProcess> {
    common::payments_process_with(
        suite,
        dir,
        (addr, suite.addr(Svc::Calculation)?),
        &[("SECAL_DUES_RUN_CHUNK", "100")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dues_run_killed_midway_and_restarted_books_every_month_once() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let dir = tempfile::tempdir()?;
    let addr = secal_testkit::process::free_addr()?;
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let process = payments(&suite, dir.path(), addr).await?;
    let client = PaymentsClients::new(process.channel().await?);
    let mut seeders = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (mut c, request) = (client.clone(), |m| suite.request(&token, m));
        let requests: Vec<_> = (1..=DOSSIERS)
            .filter(|s| s % 8 == w)
            .map(|s| request(activated(s)))
            .collect();
        seeders.spawn(async move {
            for r in requests {
                c.ledger.receive_dossier_event(r).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = seeders.join_next().await {
        r??;
    }

    // First start: wait for the first progress message (a chunk of 100), then kill -9.
    let mut c = client.clone();
    let mut stream = c
        .claims
        .run_monthly_dues(suite.request(&token, run("first")))
        .await?
        .into_inner();
    let first = stream.message().await?.context("no progress")?;
    assert_eq!(first.state(), pb::DuesRunState::Running);
    process.kill9().await?;

    let process = payments(&suite, dir.path(), addr).await?;
    let mut c = PaymentsClients::new(process.channel().await?);
    let mut stream = c
        .claims
        .run_monthly_dues(suite.request(&token, run("second")))
        .await?
        .into_inner();
    let mut last = None;
    while let Some(m) = stream.message().await? {
        last = Some(m);
    }
    let last = last.context("no final message")?;
    assert_eq!(
        last.state(),
        pb::DuesRunState::Completed,
        "{:?}",
        last.failures
    );
    assert!(last.reconciled);
    // The restart booked only what the killed start had not (some, or the kill did not come
    // midway): together, every dossier.
    assert!(
        (1..i64::from(DOSSIERS)).contains(&last.dossiers_total),
        "{}",
        last.dossiers_total
    );

    // January 2023 to December 2026: 48 months of €150 each, never twice.
    for seq in (1..=DOSSIERS).step_by(37) {
        let r = suite.request(
            &token,
            pb::GetDebtorStatementRequest {
                dossier_number: number(seq),
                as_of: None,
            },
        );
        let s = c.claims.get_debtor_statement(r).await?.into_inner();
        let t = s.statement.and_then(|s| s.totals).unwrap_or_default();
        let due: Decimal = t.due.map(|m| m.amount).unwrap_or_default().parse()?;
        assert_eq!(due, Decimal::from(48 * 150), "dossier {seq}");
    }
    process.terminate().await?;
    Ok(())
}
