//! Bench: a monthly advances run for N children (SECAL_BENCH_CHILDREN, default 1,000,000)
//! through gRPC with the real calculation service, against a plain COPY of the same number
//! of ledger rows (3 per child: the month's debt, the subrogation, the payable) into Postgres
//! in the same run. Prints both rates and the ratio run / COPY.
//!
//! `SECAL_BENCH_CHILDREN=20000 cargo bench -p secal-e2e --bench payments_advances`

use std::time::Instant;

use secal_domain::DossierNumber;
use secal_proto::v1::{self as pb, payments_service_client::PaymentsServiceClient};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};

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
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let token = suite.agent_token("bench", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut client = PaymentsServiceClient::new(suite.channel(Svc::Payments).await?);
    let d = DossierNumber::new(2999, 1)?.to_string();
    client
        .receive_dossier_event(suite.request(&token, template(&d)))
        .await?;
    // n − 1 copies of the template dossier, under valid numbers of years 2000 and 2001.
    let admin = suite.admin_pool().await?;
    sqlx::query(
        "INSERT INTO payments.dossier_states (dossier_number, dossier_version, status, snapshot, last_event_id)
         SELECT 'SEC-' || y || '-' || lpad(s::text, 6, '0') || '-' || lpad((97 - ((y::bigint * 1000000 + s) % 97))::text, 2, '0'),
                1, t.status, t.snapshot, t.last_event_id
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

    let started = Instant::now();
    let req = pb::RunMonthlyAdvancesRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: "bench".into(),
        }),
        month: Some(pb::YearMonth {
            year: 2024,
            month: 5,
        }),
        progress_every: 100_000,
    };
    let mut stream = client
        .run_monthly_advances(suite.request(&token, req))
        .await?
        .into_inner();
    let mut totals = None;
    while let Some(m) = stream.message().await? {
        if let Some(pb::run_monthly_advances_response::Update::Run(r)) = m.update {
            totals = r.totals;
        }
    }
    let run_secs = started.elapsed().as_secs_f64();
    let totals = totals.ok_or_else(|| anyhow::anyhow!("no final message"))?;
    anyhow::ensure!(
        totals.advances_paid == n && totals.reconciled,
        "unexpected totals {totals:?}"
    );

    // Baseline: COPY of 3 ledger rows per child into a plain table of the ledger's columns.
    let mut conn = admin.acquire().await?;
    sqlx::query(
        "CREATE TABLE public.bench_copy (transfer_id text NOT NULL, debit_account bigint NOT NULL,
             credit_account bigint NOT NULL, amount bigint NOT NULL, code smallint NOT NULL,
             value_date date NOT NULL, state smallint NOT NULL, linked_group uuid NOT NULL,
             for_month date, reference text NOT NULL, dossier_number text, recorded_by text NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY public.bench_copy FROM STDIN (FORMAT text)")
        .await?;
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        for (leg, code) in [("maint", 2), ("sub", 1), ("pay", 1)] {
            buf.push_str(&format!(
                "advance/2024-05/SEC-2000-{i:06}-00/child-1/{leg}\t{}\t{}\t17500\t{code}\t2024-05-01\t2\t00000000-0000-4000-b000-{i:012}\t2024-05-01\tadvances-run/2024-05-01\tSEC-2000-{i:06}-00\tbench\n",
                3 * i + 1,
                3 * i + 2
            ));
        }
        if buf.len() > (1 << 20) - 1024 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    let rows = copy.finish().await?;
    let copy_secs = started.elapsed().as_secs_f64();
    println!(
        "advances run: {n} children in {run_secs:.2} s ({:.0} children/s)",
        n as f64 / run_secs
    );
    println!(
        "plain COPY:   {rows} ledger rows in {copy_secs:.2} s ({:.0} rows/s)",
        rows as f64 / copy_secs
    );
    println!("ratio run / COPY: {:.2}", run_secs / copy_secs);
    Ok(())
}
