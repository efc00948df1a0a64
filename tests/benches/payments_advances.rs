//! Bench: a monthly advances run for N children (SECAL_BENCH_CHILDREN, default 1,000,000)
//! through gRPC with the real calculation service, against a plain COPY of the same number
//! of ledger rows (2 per child: the subrogation, the payable) into Postgres in the same run.
//! Dues first, then advances: each month's dues (the debt the run reads and steps into) are
//! booked before its run, in bulk and untimed, as the claim account's dues run would. Two
//! months are run: the first opens the advance accounts, the second is the steady state.
//! Prints the rates and the ratios run / COPY.
//!
//! `SECAL_BENCH_CHILDREN=20000 cargo bench -p secal-e2e --bench payments_advances`; with
//! `SECAL_BENCH_PROFILE=1` it also prints where the next month's database time went, by
//! statement (pg_stat_statements).

#[path = "shared/cpu.rs"]
mod cpu;

use cpu::Cpu;
use std::time::Instant;

// The services' binaries run with mimalloc (services/payments/src/main.rs); so do they here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};

fn money(v: &str) -> Option<pb::Money> {
    Some(pb::Money {
        amount: v.to_owned(),
    })
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

fn template(d: &str) -> pb::ReceiveDossierEventRequest {
    let id = "00000000-0000-4000-b000-000000000001".to_owned();
    let child = pb::DossierCreditor {
        person: Some(pb::DossierPerson {
            person_id: "child-1".into(),
            birth_date: date(2016, 1, 1),
            ..Default::default()
        }),
        monthly_amount: money("200.00"),
        advances_requested: true,
        ..Default::default()
    };
    pb::ReceiveDossierEventRequest {
        idempotency_key: Some(pb::IdempotencyKey { value: id.clone() }),
        event: Some(pb::DossierEvent {
            event_id: id,
            event_type: pb::DossierEventType::Activated as i32,
            dossier_number: d.into(),
            dossier_version: 1,
            snapshot: Some(pb::DossierSnapshot {
                dossier_number: d.into(),
                status: pb::DossierStatus::Active as i32,
                application_date: date(2023, 1, 15),
                creditors: vec![child],
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::var("SECAL_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    anyhow::ensure!(
        (1..=1_998_000).contains(&n),
        "SECAL_BENCH_CHILDREN: 1 to 1,998,000"
    );
    // SECAL_BENCH_PROFILE=1: where the next month's database time went, by statement.
    let profile = secal_testkit::profile::wanted();
    secal_testkit::profile::start_pg_if_wanted()?;
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let token = suite.agent_token("bench", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let d = DossierNumber::new(2999, 1)?.to_string();
    client
        .ledger
        .receive_dossier_event(suite.request(&token, template(&d)))
        .await?;
    // n − 1 copies of the template dossier, under valid numbers of years 2000 and 2001.
    let admin = suite.admin_pool().await?;
    sqlx::query(
        "INSERT INTO payments.dossier_states (dossier_number, dossier_version, status, snapshot, last_event_id,
                                              advance_children)
         SELECT 'SEC-' || y || '-' || lpad(s::text, 6, '0') || '-' || lpad((97 - ((y::bigint * 1000000 + s) % 97))::text, 2, '0'),
                1, t.status, t.snapshot, t.last_event_id, t.advance_children
         FROM payments.dossier_states t,
              LATERAL (SELECT 2000 + (i / 999999) AS y, 1 + (i % 999999) AS s FROM generate_series(0, $1 - 2) i) g
         WHERE t.dossier_number = $2",
    )
    .bind(n)
    .bind(&d)
    .execute(&admin)
    .await?;
    sqlx::query("ANALYZE payments.dossier_states")
        .execute(&admin)
        .await?;

    let dues_secs = book_dues(&admin, 5).await?;
    println!("May's dues booked for {n} children in {dues_secs:.2} s (setup, not timed)");

    // The first month opens every child's advance accounts; the next is the steady state of
    // a monthly run (accounts exist, each month adds its transfers).
    // Each timed phase starts after a checkpoint, so that none pays for writing out the
    // pages the one before it dirtied. Between two months a month passes: the vacuum of what
    // the first month left behind is done before the next, not by autovacuum during it
    // (autovacuum still cleans up after each month's own writes while it runs).
    checkpoint(&admin).await?;
    let first_secs = run_month(&suite, &mut client, &token, 5, n).await?;
    book_dues(&admin, 6).await?;
    sqlx::query(
        "VACUUM (ANALYZE) payments.ledger_accounts, payments.ledger_transfers,
                          payments.advances_run_items",
    )
    .execute(&admin)
    .await?;
    checkpoint(&admin).await?;
    if profile {
        secal_testkit::profile::reset(&admin).await?;
        sqlx::query("SELECT pg_stat_reset()")
            .execute(&admin)
            .await?;
    }
    let cpu_before = Cpu::now()?;
    let run_secs = run_month(&suite, &mut client, &token, 6, n).await?;
    let cpu = Cpu::now()?.since(&cpu_before);
    if profile {
        print_profile(&admin).await?;
    }

    // Baselines: COPY of 2 ledger rows per child (a) into a bare table of the ledger's
    // columns, (b) into a table shaped like the ledger (its indexes and checks; no foreign
    // keys or balance trigger), the floor of writing those rows where the ledger keeps them.
    let mut conn = admin.acquire().await?;
    sqlx::query(
        "CREATE TABLE public.bench_copy (transfer_id text NOT NULL, debit_account bigint NOT NULL,
             credit_account bigint NOT NULL, amount bigint NOT NULL, code smallint NOT NULL,
             value_date date NOT NULL, state smallint NOT NULL, linked_group uuid NOT NULL,
             for_month date, reference text NOT NULL, dossier_number text, recorded_by text NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE TABLE public.bench_ledger (LIKE payments.ledger_transfers INCLUDING ALL)")
        .execute(&mut *conn)
        .await?;
    checkpoint(&admin).await?;
    let (rows, copy_secs) = copy_rows(&mut conn, "public.bench_copy", n).await?;
    checkpoint(&admin).await?;
    let (_, shaped_secs) = copy_rows(&mut conn, "public.bench_ledger", n).await?;
    println!(
        "advances run, first month (opens the accounts): {n} children in {first_secs:.2} s ({:.0} children/s)",
        n as f64 / first_secs
    );
    println!(
        "advances run, next month: {n} children in {run_secs:.2} s ({:.0} children/s)",
        n as f64 / run_secs
    );
    println!(
        "CPU during the next month: services and client (this process) {:.1} s, other processes (Postgres) {:.1} s, idle {:.1} s",
        cpu.own, cpu.others, cpu.idle
    );
    println!(
        "plain COPY:   {rows} ledger rows in {copy_secs:.2} s ({:.0} rows/s)",
        rows as f64 / copy_secs
    );
    println!(
        "COPY into a ledger-shaped table (indexes, checks): {rows} rows in {shaped_secs:.2} s ({:.0} rows/s)",
        rows as f64 / shaped_secs
    );
    println!(
        "ratio next-month run / COPY: {:.2} (first month {:.2})",
        run_secs / copy_secs,
        first_secs / copy_secs
    );
    println!(
        "ratio next-month run / COPY into the ledger-shaped table: {:.2} (first month {:.2})",
        run_secs / shaped_secs,
        first_secs / shaped_secs
    );
    Ok(())
}

async fn checkpoint(admin: &sqlx::PgPool) -> anyhow::Result<()> {
    sqlx::query("CHECKPOINT").execute(admin).await?;
    Ok(())
}

/// Runs the advances of 2024-`month` through gRPC; returns the seconds taken after checking
/// every child was paid and the control totals reconcile with the ledger.
async fn run_month(
    suite: &Suite,
    client: &mut PaymentsClients,
    token: &str,
    month: i32,
    n: i64,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let req = pb::RunMonthlyAdvancesRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: format!("bench-{month}"),
        }),
        month: Some(pb::YearMonth { year: 2024, month }),
        progress_every: 100_000,
    };
    let mut stream = client
        .advances
        .run_monthly_advances(suite.request(token, req))
        .await?
        .into_inner();
    let mut totals = None;
    while let Some(m) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(r)) = m.update {
            totals = r.totals;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let totals = totals.ok_or_else(|| anyhow::anyhow!("no final message"))?;
    anyhow::ensure!(
        totals.advances_paid == n && totals.reconciled,
        "unexpected totals {totals:?}"
    );
    Ok(secs)
}

/// Books 2024-`month`'s dues of every dossier's child (200.00, the template's amount) as the
/// claim account books them: debtor-principal/<d> -> creditor-claim/<d>/child-1,
/// DEBT_RECOGNITION for the 1st of the month, opening the two accounts when needed. Written
/// through the ledger's own insert trigger (account totals and checks), in one statement per
/// step, not through RecognizeDebtorDebt: that takes one dossier per call, and a million calls
/// would take longer than the runs measured. Returns the seconds taken.
async fn book_dues(admin: &sqlx::PgPool, month: i32) -> anyhow::Result<f64> {
    let started = Instant::now();
    let first = chrono::NaiveDate::from_ymd_opt(2024, u32::try_from(month)?, 1)
        .ok_or_else(|| anyhow::anyhow!("no month {month}"))?;
    // Kinds and balance rules as the ledger opens them (services/payments/src/ledger/mod.rs):
    // creditor-claim 1 (debits within credits, 2), debtor-principal 3 (credits within debits,
    // 3). Both accounts of a dossier opened together, as the claim account opens them.
    sqlx::query(
        "INSERT INTO payments.ledger_accounts (code, kind, dossier_number, party_person_id, balance_rule, opened_by)
         SELECT a.code, a.kind, s.dossier_number, a.party, a.rule, 'bench'
         FROM payments.dossier_states s,
              LATERAL (VALUES ('debtor-principal/' || s.dossier_number, 3::smallint, NULL::text, 3::smallint),
                              ('creditor-claim/' || s.dossier_number || '/child-1', 1::smallint, 'child-1', 2::smallint)) a(code, kind, party, rule)
         ORDER BY 1
         ON CONFLICT (code) DO NOTHING",
    )
    .execute(admin)
    .await?;
    let booked = sqlx::query(
        "INSERT INTO payments.ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
             value_date, state, linked_group, for_month, reference, dossier_number, recorded_by)
         SELECT 'dues/' || $1 || '/' || s.dossier_number || '/child-1', p.id, c.id, 20000, $2,
                $1, $3, gen_random_uuid(), $1, 'bench dues of ' || $1, s.dossier_number, 'bench'
         FROM payments.dossier_states s
         JOIN payments.ledger_accounts p ON p.code = 'debtor-principal/' || s.dossier_number
         JOIN payments.ledger_accounts c ON c.code = 'creditor-claim/' || s.dossier_number || '/child-1'",
    )
    .bind(first)
    .bind(pb::TransferCode::DebtRecognition as i16)
    .bind(pb::TransferState::Posted as i16)
    .execute(admin)
    .await?
    .rows_affected();
    let dossiers: i64 = sqlx::query_scalar("SELECT count(*) FROM payments.dossier_states")
        .fetch_one(admin)
        .await?;
    anyhow::ensure!(
        i64::try_from(booked)? == dossiers,
        "{booked} dues booked for {dossiers} dossiers"
    );
    // As autovacuum would after the dues run: the run's plans see the accounts just opened.
    sqlx::query("ANALYZE payments.ledger_accounts, payments.ledger_transfers")
        .execute(admin)
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

/// COPY of the run's 2 ledger rows per child into `table`; returns the rows and the seconds
/// taken.
async fn copy_rows(
    conn: &mut sqlx::PgConnection,
    table: &str,
    n: i64,
) -> anyhow::Result<(u64, f64)> {
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} (transfer_id, debit_account, credit_account, amount, code, value_date,
                 state, linked_group, for_month, reference, dossier_number, recorded_by)
             FROM STDIN (FORMAT text)"
        ))
        .await?;
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        for (leg, code) in [("sub", 1), ("pay", 1)] {
            buf.push_str(&format!(
                "advance/2024-05/SEC-2000-{i:06}-00/child-1/{leg}\t{}\t{}\t17500\t{code}\t2024-05-01\t2\t00000000-0000-4000-b000-{i:012}\t2024-05-01\tadvances-run/2024-05-01\tSEC-2000-{i:06}-00\tbench\n",
                2 * i + 1,
                2 * i + 2
            ));
        }
        if buf.len() > (1 << 20) - 1024 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    let rows = copy.finish().await?;
    Ok((rows, started.elapsed().as_secs_f64()))
}

/// The statements that took most database time since the last reset (nested ones, such as
/// the ledger's balance trigger, included in their caller's time and listed on their own).
async fn print_profile(admin: &sqlx::PgPool) -> anyhow::Result<()> {
    println!("database time of the next month, by statement:");
    secal_testkit::profile::print_top(admin, 15).await?;
    // Updates that had to add index entries (not HOT) cost the most: account totals are
    // meant to be rewritten in place.
    let tables: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
         WHERE schemaname = 'payments' AND n_tup_upd > 0 ORDER BY n_tup_upd DESC",
    )
    .fetch_all(admin)
    .await?;
    for (table, updated, hot) in tables {
        println!("{table}: {updated} rows updated in the next month, {hot} in place (HOT)");
    }
    Ok(())
}
