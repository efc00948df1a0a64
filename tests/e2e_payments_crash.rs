//! Kill -9 the payments service in the middle of a monthly advances run, restart it, run
//! again: every child is paid exactly once and the control totals reconcile with the ledger.
//! The month's dues are booked before the run (dues first, then advances).
//! Needs the service binaries (`cargo build --bins`).

use crate::common;

use anyhow::Context;
use common::{date, key, money, nn};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};

const CHILDREN: u32 = 2_500;

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
    let mut e = common::dossier_event(
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
    );
    // Activated on 1 May 2024: the claim account's mandate books the months before, May is
    // left to its dues (below).
    if let Some(ev) = e.event.as_mut() {
        ev.effective_on = date(2024, 5, 1);
    }
    e
}

/// May 2024's dues of dossier `seq`'s child (180), booked before the advances run as the
/// claim account books them.
fn dues(seq: u32) -> pb::RecognizeDebtorDebtRequest {
    let d = DossierNumber::new(2022, seq)
        .map(|d| d.to_string())
        .unwrap_or_default();
    pb::RecognizeDebtorDebtRequest {
        idempotency_key: key(&format!("dues-{seq}-2024-05")),
        dossier_number: d,
        items: vec![pb::DebtItem {
            component: pb::DebtComponent::Principal as i32,
            creditor_person_id: format!("child-{seq}"),
            month: Some(pb::YearMonth {
                year: 2024,
                month: 5,
            }),
            amount: money("180.00"),
            enforceable_since: date(2024, 5, 1),
        }],
        basis: "dues of 2024-05".into(),
    }
}

fn run_request(k: &str) -> pb::RunMonthlyAdvancesRequest {
    pb::RunMonthlyAdvancesRequest {
        idempotency_key: key(k),
        month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        progress_every: 1_000,
    }
}

/// Runs May 2024 to the end; the final totals.
async fn run_to_end(
    suite: &Suite,
    client: &mut PaymentsClients,
    token: &str,
    k: &str,
) -> anyhow::Result<pb::AdvancesRun> {
    let mut stream = client
        .advances
        .run_monthly_advances(suite.request(token, run_request(k)))
        .await?
        .into_inner();
    let mut last = None;
    while let Some(m) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(r)) = m.update {
            last = Some(r);
        }
    }
    last.context("no final message")
}

#[tokio::test(flavor = "multi_thread")]
async fn children_whose_assessment_failed_are_paid_by_the_next_start_once() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let dir = tempfile::tempdir()?;
    let addr = secal_testkit::process::free_addr()?;
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    // First with a calculation service nobody answers at: every child fails.
    let nowhere = secal_testkit::process::free_addr()?;
    let process = common::payments_process(&suite, dir.path(), addr, nowhere).await?;
    let mut c = PaymentsClients::new(process.channel().await?);
    for seq in 1..=3 {
        c.ledger
            .receive_dossier_event(suite.request(&token, event(seq)))
            .await?;
        c.ledger
            .recognize_debtor_debt(suite.request(&token, dues(seq)))
            .await?;
    }
    let failed = run_to_end(&suite, &mut c, &token, "down").await?;
    let t = failed.totals.unwrap_or_default();
    assert_eq!(
        (t.children_considered, t.advances_paid, t.failed),
        (3, 0, 3),
        "{t:?}"
    );
    assert_eq!(t.ledger_transfer_count, 0);
    process.terminate().await?;

    // Back with the calculation service: the failed children are paid, once.
    let process =
        common::payments_process(&suite, dir.path(), addr, suite.addr(Svc::Calculation)?).await?;
    let mut c = PaymentsClients::new(process.channel().await?);
    let paid = run_to_end(&suite, &mut c, &token, "up").await?;
    let t = paid.totals.clone().unwrap_or_default();
    assert_eq!(
        (t.children_considered, t.advances_paid, t.failed),
        (3, 3, 0),
        "{t:?}"
    );
    assert_eq!(t.amount_paid, money("525.00"));
    assert!(t.reconciled, "{t:?}");
    let again = run_to_end(&suite, &mut c, &token, "again").await?;
    assert_eq!(again.totals, paid.totals);
    process.terminate().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_midway_and_restarted_pays_every_child_once() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation]).await?;
    let dir = tempfile::tempdir()?;
    let addr = secal_testkit::process::free_addr()?;
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let calc = suite.addr(Svc::Calculation)?;
    let process = common::payments_process(&suite, dir.path(), addr, calc).await?;
    let client = PaymentsClients::new(process.channel().await?);
    let mut seeders = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (mut c, token) = (client.clone(), token.clone());
        seeders.spawn(async move {
            for seq in (1..=CHILDREN).filter(|s| s % 8 == w) {
                let mut r = tonic::Request::new(event(seq));
                r.metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse()?);
                c.ledger.receive_dossier_event(r).await?;
                let mut r = tonic::Request::new(dues(seq));
                r.metadata_mut()
                    .insert("authorization", format!("Bearer {token}").parse()?);
                c.ledger.recognize_debtor_debt(r).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = seeders.join_next().await {
        r??;
    }
    let run = run_request;
    // First start: wait for the first batch to be reported, then kill -9.
    let mut c = client.clone();
    let mut stream = c
        .advances
        .run_monthly_advances(suite.request(&token, run("first")))
        .await?
        .into_inner();
    let first = stream.message().await?.context("no progress")?;
    assert!(matches!(
        first.update,
        Some(pb::run_monthly_advances_response::Update::Progress(_))
    ));
    process.kill9().await?;

    let process = common::payments_process(&suite, dir.path(), addr, calc).await?;
    let mut c = PaymentsClients::new(process.channel().await?);
    let mut stream = c
        .advances
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
