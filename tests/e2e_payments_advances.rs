//! The monthly advances run through gRPC with the real calculation service: exactly once per
//! child and month, also when started twice at the same time or again after completion, and
//! control totals that reconcile with the ledger.

mod common;

use common::{NISS_1985, date, key, money, nn};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};

type Client = PaymentsClients;

fn dossier(seq: u32) -> String {
    DossierNumber::new(2023, seq)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn eur(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap_or_default()
}

fn child(id: &str, born: Option<pb::Date>, amount: &str, allowance: bool) -> pb::DossierCreditor {
    pb::DossierCreditor {
        person: Some(pb::DossierPerson {
            person_id: id.into(),
            birth_date: born,
            ..Default::default()
        }),
        creditor_key: id.into(),
        kind: 0,
        monthly_amount: money(amount),
        advances_requested: true,
        family_allowance_entitled: allowance,
        ..Default::default()
    }
}

fn event(seq: u32, creditors: Vec<pb::DossierCreditor>) -> pb::ReceiveDossierEventRequest {
    let d = dossier(seq);
    let id = format!("00000000-0000-4000-9000-{seq:012}");
    common::dossier_event(
        &id,
        1,
        pb::DossierSnapshot {
            dossier_number: d,
            status: pb::DossierStatus::Active as i32,
            application_date: date(2023, 1, 15),
            debtor: Some(pb::DossierPerson {
                person_id: format!("debtor-{seq}"),
                national_number: nn(NISS_1985),
                ..Default::default()
            }),
            creditors,
            title: Some(pb::ExecutoryTitle {
                first_month: Some(pb::YearMonth {
                    year: 2022,
                    month: 1,
                }),
                ..Default::default()
            }),
            applicant_net_monthly_income: money("1500.00"),
            dependent_child_count: 2,
            ..Default::default()
        },
    )
}

async fn run(
    suite: &Suite,
    mut client: Client,
    token: String,
    k: &str,
) -> anyhow::Result<(usize, i64, pb::AdvancesRun)> {
    let req = pb::RunMonthlyAdvancesRequest {
        idempotency_key: key(k),
        month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        progress_every: 1,
    };
    let mut stream = client
        .advances
        .run_monthly_advances(suite.request(&token, req))
        .await?
        .into_inner();
    let (mut progress, mut total) = (0, 0);
    let mut last = None;
    while let Some(msg) = stream.message().await? {
        match msg.update {
            Some(pb::run_monthly_advances_response::Update::Progress(p)) => {
                progress += 1;
                total = p.children_total;
            }
            Some(pb::run_monthly_advances_response::Update::Run(r)) => last = Some(r),
            None => {}
        }
    }
    Ok((
        progress,
        total,
        last.ok_or_else(|| anyhow::anyhow!("no final run message"))?,
    ))
}

#[tokio::test]
async fn advances_are_paid_once_per_child_and_month_and_reconcile() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut c = client.clone();
    // child-1: 200 due → advance capped at 175; child-2: 150 due → 150; child-3: 24 years
    // old without family allowance → not eligible (but the 100 due is still owed).
    c.ledger
        .receive_dossier_event(suite.request(
            &token,
            event(
                1,
                vec![
                    child("child-1", date(2015, 3, 1), "200.00", true),
                    child("child-2", date(2017, 6, 1), "150.00", true),
                ],
            ),
        ))
        .await?;
    c.ledger
        .receive_dossier_event(suite.request(
            &token,
            event(2, vec![child("child-3", date(2000, 1, 1), "100.00", false)]),
        ))
        .await?;
    // The run's total comes from the children counted when each state was stored; a state
    // stored before there was a count (NULL) is counted from its snapshot.
    let admin = suite.admin_pool().await?;
    let stored: Vec<Option<i32>> = sqlx::query_scalar(
        "SELECT advance_children FROM payments.dossier_states ORDER BY dossier_number",
    )
    .fetch_all(&admin)
    .await?;
    assert_eq!(stored, [Some(2), Some(1)]);
    sqlx::query(
        "UPDATE payments.dossier_states SET advance_children = NULL WHERE dossier_number = $1",
    )
    .bind(dossier(2))
    .execute(&admin)
    .await?;

    // Two starts at the same time: one result.
    let (a, b) = tokio::join!(
        run(&suite, client.clone(), token.clone(), "run-a"),
        run(&suite, client.clone(), token.clone(), "run-b")
    );
    let ((pa, total, ra), (_, _, rb)) = (a?, b?);
    assert!(pa >= 1, "progress is streamed");
    assert_eq!(total, 3, "children_total");
    let totals = |r: &pb::AdvancesRun| r.totals.clone().unwrap_or_default();
    let t = totals(&ra);
    assert_eq!(
        (
            t.children_considered,
            t.advances_paid,
            t.not_eligible,
            t.failed
        ),
        (3, 2, 1, 0),
        "{t:?}"
    );
    assert_eq!(
        eur(&t.amount_paid.clone().unwrap_or_default().amount),
        eur("325")
    );
    assert!(t.reconciled, "{t:?}");
    assert_eq!(t.ledger_transfer_count, 2);
    assert_eq!(totals(&rb).advances_paid, 2);
    assert_eq!(totals(&rb).amount_paid, t.amount_paid);

    // A start after completion pays nobody twice.
    let (_, _, again) = run(&suite, client.clone(), token.clone(), "run-c").await?;
    assert_eq!(totals(&again), t);
    assert_eq!(again.attempts, 3);

    // The ledger, by hand: child-1 payable 175, its claim 200 − 175 = 25; the debtor owes
    // 200 + 150 + 100 on the two dossiers.
    let bal = |acct: String| {
        let mut c = client.clone();
        let r = suite.request(
            &token,
            pb::GetLedgerAccountRequest {
                account_id: acct,
                as_of: None,
            },
        );
        async move {
            anyhow::Ok(eur(&c
                .ledger
                .get_ledger_account(r)
                .await?
                .into_inner()
                .account
                .unwrap_or_default()
                .balance
                .unwrap_or_default()
                .amount))
        }
    };
    let d1 = dossier(1);
    assert_eq!(bal(format!("payable/{d1}/child-1")).await?, eur("175"));
    assert_eq!(
        bal(format!("creditor-claim/{d1}/child-1")).await?,
        eur("25")
    );
    assert_eq!(
        bal(format!("service-advance-claim/{d1}/child-2")).await?,
        eur("150")
    );
    assert_eq!(bal(format!("debtor-principal/{d1}")).await?, eur("350"));
    assert_eq!(
        bal(format!("debtor-principal/{}", dossier(2))).await?,
        eur("100")
    );
    assert_eq!(bal("advances-funding".into()).await?, eur("325"));

    let items = c
        .advances
        .list_advances_run_items(suite.request(
            &token,
            pb::ListAdvancesRunItemsRequest {
                month: Some(pb::YearMonth {
                    year: 2024,
                    month: 5,
                }),
                status: pb::AdvancesRunItemStatus::NotEligible as i32,
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].child_person_id, "child-3");
    assert!(!items[0].reasons.is_empty());
    Ok(())
}
