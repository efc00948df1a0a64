//! The monthly advances run through gRPC with the real calculation service: exactly once per
//! child and month, also when started twice at the same time or again after completion, and
//! control totals that reconcile with the ledger. Dues first, then advances: the run pays
//! only on the month's dues booked beforehand, never more than the creditor's open part.

use crate::common;

use common::{NISS_1985, assert_code, date, key, money, nn, violated_fields};
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

/// Dossier `seq` activated on the 1st of `(year, month)`: the claim account books its
/// mandate to then (the months before), so the month itself is left to its dues.
fn event(
    seq: u32,
    (year, month): (i32, i32),
    creditors: Vec<pb::DossierCreditor>,
) -> pb::ReceiveDossierEventRequest {
    let d = dossier(seq);
    let id = format!("00000000-0000-4000-9000-{seq:012}");
    let mut e = common::dossier_event(
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
    );
    if let Some(ev) = e.event.as_mut() {
        ev.effective_on = date(year, month, 1);
    }
    e
}

/// An account's balance today, in euros.
async fn balance(
    suite: &Suite,
    client: &Client,
    token: &str,
    account: String,
) -> anyhow::Result<rust_decimal::Decimal> {
    let r = suite.request(
        token,
        pb::GetLedgerAccountRequest {
            account_id: account,
            as_of: None,
        },
    );
    let a = client.clone().ledger.get_ledger_account(r).await?;
    let amount = a.into_inner().account.unwrap_or_default().balance;
    Ok(eur(&amount.unwrap_or_default().amount))
}

fn ym(year: i32, month: i32) -> Option<pb::YearMonth> {
    Some(pb::YearMonth { year, month })
}

const MAY: (i32, i32) = (2024, 5);
const JUNE: (i32, i32) = (2024, 6);

/// The month's dues of a dossier's children (child, amount), booked before the advances run
/// by the dossier's claim account (booked to the 2nd of the month, its dues then enforceable),
/// and checked to be what the claim account booked for each child.
async fn book_dues(
    suite: &Suite,
    client: &mut Client,
    token: &str,
    d: &str,
    (year, month): (i32, i32),
    dues: &[(&str, &str)],
) -> anyhow::Result<()> {
    let req = pb::BookClaimAccountRequest {
        idempotency_key: key(&format!("dues-{d}-{year}-{month:02}")),
        dossier_number: d.into(),
        booked_to: date(year, month, 2),
    };
    client
        .claims
        .book_claim_account(suite.request(token, req))
        .await?;
    let pool = suite.admin_pool().await?;
    for (child, amount) in dues {
        let booked: Option<rust_decimal::Decimal> = sqlx::query_scalar(
            "SELECT sum(t.amount)::numeric / 100 FROM payments.ledger_transfers t
               JOIN payments.ledger_accounts a ON a.id = t.credit_account
              WHERE a.dossier_number = $1 AND a.party_person_id = $2 AND t.for_month = $3
                AND t.code = $4",
        )
        .bind(d)
        .bind(child)
        .bind(chrono::NaiveDate::from_ymd_opt(year, month as u32, 1))
        .bind(pb::TransferCode::DebtRecognition as i16)
        .fetch_one(&pool)
        .await?;
        anyhow::ensure!(
            booked == Some(amount.parse()?),
            "{d} {child} {year}-{month:02}: the claim account booked {booked:?}, not {amount}"
        );
    }
    Ok(())
}

async fn run(
    suite: &Suite,
    client: Client,
    token: String,
    k: &str,
) -> anyhow::Result<(usize, i64, pb::AdvancesRun)> {
    run_month(suite, client, token, k, MAY).await
}

async fn run_month(
    suite: &Suite,
    mut client: Client,
    token: String,
    k: &str,
    (year, month): (i32, i32),
) -> anyhow::Result<(usize, i64, pb::AdvancesRun)> {
    let req = pb::RunMonthlyAdvancesRequest {
        idempotency_key: key(k),
        month: ym(year, month),
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
    // old without family allowance → not eligible (the 100 due is still owed).
    c.ledger
        .receive_dossier_event(suite.request(
            &token,
            event(
                1,
                MAY,
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
            event(
                2,
                MAY,
                vec![child("child-3", date(2000, 1, 1), "100.00", false)],
            ),
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

    // Dues first: May's maintenance booked before the run. The balances the run starts
    // from (the mandate booked the months before May).
    let (d1, d2) = (dossier(1), dossier(2));
    let dues1 = [("child-1", "200.00"), ("child-2", "150.00")];
    book_dues(&suite, &mut c, &token, &d1, MAY, &dues1).await?;
    let dues2 = [("child-3", "100.00")];
    book_dues(&suite, &mut c, &token, &d2, MAY, &dues2).await?;
    let bal = |account: String| balance(&suite, &client, &token, account);
    let claim1 = format!("creditor-claim/{d1}/child-1");
    let (claim1_before, principal1_before, principal2_before) = (
        bal(claim1.clone()).await?,
        bal(format!("debtor-principal/{d1}")).await?,
        bal(format!("debtor-principal/{d2}")).await?,
    );

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
    assert_eq!(counts(&ra), ((3, 2, 1, 0), eur("325")), "{t:?}");
    assert!(t.reconciled, "{t:?}");
    assert_eq!(t.ledger_transfer_count, 2);
    assert_eq!(totals(&rb).advances_paid, 2);
    assert_eq!(totals(&rb).amount_paid, t.amount_paid);

    // A start after completion pays nobody twice.
    let (_, _, again) = run(&suite, client.clone(), token.clone(), "run-c").await?;
    assert_eq!(totals(&again), t);
    assert_eq!(again.attempts, 3);

    // The ledger, by hand: child-1 payable 175, taken from its claim; child-2 stepped into
    // for 150; the run booked no debt (the debtor owes what he owed before it).
    assert_eq!(bal(format!("payable/{d1}/child-1")).await?, eur("175"));
    assert_eq!(bal(claim1).await?, claim1_before - eur("175"));
    assert_eq!(
        bal(format!("service-advance-claim/{d1}/child-2")).await?,
        eur("150")
    );
    assert_eq!(
        bal(format!("debtor-principal/{d1}")).await?,
        principal1_before
    );
    assert_eq!(
        bal(format!("debtor-principal/{d2}")).await?,
        principal2_before
    );
    assert_eq!(bal("advances-funding".into()).await?, eur("325"));

    let items = c
        .advances
        .list_advances_run_items(suite.request(
            &token,
            pb::ListAdvancesRunItemsRequest {
                month: ym(2024, 5),
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

/// An item of a run: child, status, amount in euros, reasons, error.
type ItemLine = (String, i32, rust_decimal::Decimal, Vec<i32>, String);

/// The items of June 2024 by child.
async fn june_items(
    suite: &Suite,
    client: &mut Client,
    token: &str,
) -> anyhow::Result<Vec<ItemLine>> {
    let items = client
        .advances
        .list_advances_run_items(suite.request(
            token,
            pb::ListAdvancesRunItemsRequest {
                month: ym(JUNE.0, JUNE.1),
                ..Default::default()
            },
        ))
        .await?
        .into_inner()
        .items;
    Ok(items
        .into_iter()
        .map(|i| {
            let amount = eur(&i.amount.unwrap_or_default().amount);
            (i.child_person_id, i.status, amount, i.reasons, i.error)
        })
        .collect())
}

/// Three dossiers activated on 1 June 2024, one child each owed 200 a month (advance capped
/// at 175): child-a's June dues are not booked yet; child-b's debtor paid 100 of June,
/// child-c's all of it. Their dossier numbers.
async fn june_dossiers(
    suite: &Suite,
    c: &mut Client,
    token: &str,
) -> anyhow::Result<(String, String, String)> {
    for (seq, id) in [(11, "child-a"), (12, "child-b"), (13, "child-c")] {
        let e = event(seq, JUNE, vec![child(id, date(2015, 3, 1), "200.00", true)]);
        c.ledger
            .receive_dossier_event(suite.request(token, e))
            .await?;
    }
    let (da, db, dc) = (dossier(11), dossier(12), dossier(13));
    book_dues(suite, c, token, &db, JUNE, &[("child-b", "200.00")]).await?;
    book_dues(suite, c, token, &dc, JUNE, &[("child-c", "200.00")]).await?;
    for (d, amount) in [(&db, "100.00"), (&dc, "200.00")] {
        let pay = pb::RecordDebtorPaymentRequest {
            idempotency_key: key(&format!("pay-{d}")),
            dossier_number: d.clone(),
            amount: money(amount),
            received_on: date(2024, 6, 10),
            for_month: ym(JUNE.0, JUNE.1),
            ..Default::default()
        };
        c.receipts
            .record_debtor_payment(suite.request(token, pay))
            .await?;
    }
    Ok((da, db, dc))
}

/// (children considered, paid, not eligible, failed) and the amount paid, in euros.
fn counts(r: &pb::AdvancesRun) -> ((i64, i64, i64, i64), rust_decimal::Decimal) {
    let t = r.totals.clone().unwrap_or_default();
    let amount = eur(&t.amount_paid.unwrap_or_default().amount);
    let n = (
        t.children_considered,
        t.advances_paid,
        t.not_eligible,
        t.failed,
    );
    (n, amount)
}

#[tokio::test]
async fn no_advance_before_its_month() -> anyhow::Result<()> {
    use chrono::Datelike;
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let mut c = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let today = chrono::Utc::now().date_naive();
    let (y, m) = match today.month() {
        12 => (today.year() + 1, 1),
        m => (today.year(), i32::try_from(m)? + 1),
    };
    let early = pb::RunMonthlyAdvancesRequest {
        idempotency_key: key("run-early"),
        month: ym(y, m),
        progress_every: 0,
    };
    let refused = assert_code(
        c.advances
            .run_monthly_advances(suite.request(&token, early))
            .await
            .map(|_| ()),
        tonic::Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["month"]);
    Ok(())
}

#[tokio::test]
async fn dues_first_then_advances_never_beyond_the_creditors_open_part() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut c = client.clone();
    let (da, db, dc) = june_dossiers(&suite, &mut c, &token).await?;

    // child-a fails naming the month (retried by the next start); child-b gets the 100 the
    // debtor left open, not 175; child-c is owed nothing more for June.
    let bal = |account: String| balance(&suite, &client, &token, account);
    let (claim_a, claim_b) = (
        format!("creditor-claim/{da}/child-a"),
        format!("creditor-claim/{db}/child-b"),
    );
    let principal_a = format!("debtor-principal/{da}");
    let (claim_a_before, claim_b_before, principal_a_before) = (
        bal(claim_a.clone()).await?,
        bal(claim_b.clone()).await?,
        bal(principal_a.clone()).await?,
    );
    let (_, _, first) = run_month(&suite, client.clone(), token.clone(), "june-1", JUNE).await?;
    assert_eq!(counts(&first), ((3, 1, 1, 1), eur("100")), "{first:?}");
    assert!(first.totals.clone().unwrap_or_default().reconciled);
    assert_eq!(
        first.state,
        pb::AdvancesRunState::CompletedWithFailures as i32
    );
    use pb::AdvancesRunItemStatus as S;
    let item = |child: &str, status: S, amount: &str, reasons: Vec<i32>, error: &str| {
        (
            child.to_owned(),
            status as i32,
            eur(amount),
            reasons,
            error.to_owned(),
        )
    };
    let no_due = vec![pb::AdvanceIneligibilityReason::NoMaintenanceDue as i32];
    let not_booked = "the dues of 2024-06 are not booked yet: run RunMonthlyDues first";
    assert_eq!(
        june_items(&suite, &mut c, &token).await?,
        [
            item("child-a", S::Failed, "0", vec![], not_booked),
            item("child-b", S::Paid, "100", vec![], ""),
            item("child-c", S::NotEligible, "0", no_due, ""),
        ]
    );
    // The run booked no debt: child-a's claim and its debtor's debt are as they were.
    assert_eq!(bal(principal_a.clone()).await?, principal_a_before);
    assert_eq!(bal(claim_a.clone()).await?, claim_a_before);
    // child-b: 100 from the debtor and 100 advanced, its June claim all taken.
    assert_eq!(bal(format!("payable/{db}/child-b")).await?, eur("200"));
    assert_eq!(bal(claim_b).await?, claim_b_before - eur("100"));
    assert_eq!(
        bal(format!("service-advance-claim/{db}/child-b")).await?,
        eur("100")
    );
    assert_eq!(bal(format!("payable/{dc}/child-c")).await?, eur("200"));

    // Once June's dues are booked, the next start pays child-a, and only child-a.
    book_dues(&suite, &mut c, &token, &da, JUNE, &[("child-a", "200.00")]).await?;
    let claim_a_due = bal(claim_a.clone()).await?;
    assert_eq!(claim_a_due, claim_a_before + eur("200"));
    let (_, _, second) = run_month(&suite, client.clone(), token.clone(), "june-2", JUNE).await?;
    assert_eq!(counts(&second), ((3, 2, 1, 0), eur("275")), "{second:?}");
    assert!(second.totals.clone().unwrap_or_default().reconciled);
    assert_eq!(second.state, pb::AdvancesRunState::Completed as i32);
    assert_eq!(bal(format!("payable/{da}/child-a")).await?, eur("175"));
    assert_eq!(bal(claim_a).await?, claim_a_due - eur("175"));
    assert_eq!(bal("advances-funding".into()).await?, eur("275"));
    Ok(())
}

#[tokio::test]
async fn no_advance_for_a_child_of_26_or_an_applicant_living_abroad() -> anyhow::Result<()> {
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut c = client.clone();
    // child-a is 26 on 1 June 2024, still entitled to family allowance and renewed; child-b's
    // applicant lives in France; child-c's in Belgium. Each is owed 200 for June.
    let mut old = child("child-a", date(1998, 6, 1), "200.00", true);
    old.entitlement_valid_until = date(2024, 12, 31);
    let living_in = |country: &str| pb::DossierPerson {
        person_id: "applicant".into(),
        address: Some(pb::Address {
            country_code: country.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let dossiers = [
        (21, old, "BE"),
        (22, child("child-b", date(2015, 3, 1), "200.00", true), "FR"),
        (23, child("child-c", date(2015, 3, 1), "200.00", true), "BE"),
    ];
    for (seq, creditor, country) in dossiers {
        let id = creditor.creditor_key.clone();
        let mut e = event(seq, JUNE, vec![creditor]);
        if let Some(s) = e.event.as_mut().and_then(|ev| ev.snapshot.as_mut()) {
            s.applicant = Some(living_in(country));
        }
        c.ledger
            .receive_dossier_event(suite.request(&token, e))
            .await?;
        book_dues(
            &suite,
            &mut c,
            &token,
            &dossier(seq),
            JUNE,
            &[(&id, "200.00")],
        )
        .await?;
    }
    let (_, _, run) = run_month(&suite, client.clone(), token.clone(), "june-26", JUNE).await?;
    assert_eq!(counts(&run), ((3, 1, 2, 0), eur("175")), "{run:?}");
    use pb::AdvanceIneligibilityReason as R;
    use pb::AdvancesRunItemStatus as S;
    let items: Vec<_> = june_items(&suite, &mut c, &token)
        .await?
        .into_iter()
        .map(|(child, status, amount, reasons, _)| (child, status, amount, reasons))
        .collect();
    assert_eq!(
        items,
        [
            (
                "child-a".to_owned(),
                S::NotEligible as i32,
                eur("0"),
                vec![R::ChildAged26OrOver as i32]
            ),
            (
                "child-b".to_owned(),
                S::NotEligible as i32,
                eur("0"),
                vec![R::ApplicantNotInBelgium as i32]
            ),
            ("child-c".to_owned(), S::Paid as i32, eur("175"), vec![]),
        ]
    );
    Ok(())
}

/// The advances run reads a month's open part under its dossiers' claim-account rows (shared),
/// which an allocation of a debtor payment locks before it reads the open debts: while an
/// allocation of the dossier is under way, the run waits for it, and then reads what it wrote
/// (before, a payment allocated between the run's read and its commit was not seen, and the
/// month could be paid twice: by the debtor and by an advance).
#[tokio::test]
async fn the_advances_run_waits_for_an_allocation_under_way_on_its_dossiers() -> anyhow::Result<()>
{
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let token = suite.agent_token("agent-run", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut c = client.clone();
    let (_, db, _) = june_dossiers(&suite, &mut c, &token).await?;

    // What an allocation holds while it reads and writes: the claim account's row.
    let admin = suite.admin_pool().await?;
    let mut allocation = admin.begin().await?;
    sqlx::query("SELECT 1 FROM payments.claim_accounts WHERE dossier_number = $1 FOR UPDATE")
        .bind(&db)
        .execute(&mut *allocation)
        .await?;
    let run = run_month(&suite, client.clone(), token.clone(), "june-wait", JUNE);
    // The run's batch is seen waiting for that row (a bounded poll, not a timing check);
    // then the allocation ends.
    let watch = async {
        let mut waiting = false;
        for _ in 0..300 {
            waiting = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                                 WHERE wait_event_type = 'Lock'
                                   AND query LIKE '%claim_accounts%FOR SHARE%')",
            )
            .fetch_one(&admin)
            .await?;
            if waiting {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        allocation.commit().await?;
        anyhow::Ok(waiting)
    };
    let (done, waiting) = tokio::join!(run, watch);
    assert!(
        waiting?,
        "the run did not wait for the dossier's allocation"
    );
    let (_, _, done) = done?;
    assert!(done.totals.clone().unwrap_or_default().reconciled);
    assert_eq!(counts(&done), ((3, 1, 1, 1), eur("100")), "{done:?}");
    Ok(())
}
