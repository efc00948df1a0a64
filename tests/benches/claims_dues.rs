//! Bench: the claim account's monthly dues run (RunMonthlyDues) for N dossiers
//! (SECAL_BENCH_DOSSIERS, default 1,000,000) through gRPC with the real calculation service,
//! against a COPY of the same ledger rows (2 per dossier: the month's due, its fee) into
//! Postgres in the same run. Prints the rates and the ratios run / COPY.
//!
//! Every dossier is one a month-end run meets in steady state: active, its account booked
//! once (the mandate, on activation on 2026-11-06: January to November 2026, due and 13 %
//! fee per month, in the ledger and in the table of the last booking), a title that is not
//! indexed, nothing paid, no act, no interest. The run of 2026-12-06 books December for each.
//! The dossiers are seeded straight into the payments schema (COPY for the snapshots, one
//! statement per step for the rest), untimed: activating a million dossiers through
//! ReceiveDossierEvent would take longer than the run measured.
//!
//! `SECAL_BENCH_DOSSIERS=100000 cargo bench -p secal-e2e --bench claims_dues`; with
//! `SECAL_BENCH_PROFILE=1` it also prints where the run's database time went, by statement
//! (pg_stat_statements).

#[path = "shared/cpu.rs"]
mod cpu;

use cpu::Cpu;
use std::fmt::Write as _;
use std::time::Instant;

// The services' binaries run with mimalloc (services/payments/src/main.rs); so do they here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use prost::Message as _;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::roles;
use secal_testkit::{PaymentsClients, Suite, Svc};

/// The run measured, and the date of the booking every dossier had before it.
const RUN_DATE: &str = "2026-12-06";
const BOOKED_TO: &str = "2026-11-06";
/// 150.00 a month, and its fee at 13 % (the regime of an application of 2025).
const DUE_CENTS: i64 = 15_000;
const FEE_CENTS: i64 = 1_950;
/// Months already booked: January to November 2026.
const MONTHS_BOOKED: i64 = 11;
/// Dossiers per seeding statement: a statement per step of a million dossiers would hold
/// the transition table of 22 million transfers for the ledger's trigger at once.
const SEED_CHUNK: i64 = 100_000;
/// Rows sent to a COPY at once.
const COPY_BUFFER: usize = 1 << 20;

fn money(v: &str) -> Option<pb::Money> {
    Some(pb::Money {
        amount: v.to_owned(),
    })
}

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

/// The `k`-th dossier (1-based) under valid numbers of years 2000 and 2001.
fn dossier(k: i64) -> anyhow::Result<String> {
    let i = k - 1;
    let year = 2000 + i32::try_from(i / 999_999)?;
    let sequence = 1 + u32::try_from(i % 999_999)?;
    Ok(DossierNumber::new(year, sequence)?.to_string())
}

/// The snapshot intake sends on activation: one child under a judgment of 150.00 a month
/// from January 2026, not indexed, due on the 1st.
fn snapshot(d: &str, k: i64) -> pb::DossierSnapshot {
    let person = |id: String, born: Option<pb::Date>| pb::DossierPerson {
        person_id: id,
        birth_date: born,
        ..Default::default()
    };
    pb::DossierSnapshot {
        dossier_number: d.into(),
        status: pb::DossierStatus::Active as i32,
        kind: pb::ApplicationKind::ArrearsAndFuture as i32,
        application_date: date(2025, 12, 1),
        active_from: date(2026, 11, 6),
        debtor: Some(person(format!("debtor-{k}"), date(1985, 3, 1))),
        creditors: vec![pb::DossierCreditor {
            person: Some(person(format!("child-{k}"), date(2016, 1, 1))),
            creditor_key: "c1".into(),
            kind: pb::CreditorKind::Child as i32,
            monthly_amount: money("150.00"),
            ..Default::default()
        }],
        title: Some(pb::ExecutoryTitle {
            kind: pb::TitleKind::Judgment as i32,
            reference: format!("bench/{k}"),
            title_date: date(2025, 11, 10),
            first_month: Some(pb::YearMonth {
                year: 2026,
                month: 1,
            }),
            due_day: 1,
            indexed: false,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A uuid of the form the seed gives the `k`-th dossier's rows (`tag` tells them apart).
fn uuid(tag: u32, k: i64) -> String {
    format!("00000000-0000-4000-{tag:04x}-{k:012}")
}

/// `bytes` as a bytea in COPY's text format (hex, its backslash escaped).
fn push_bytea(buf: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push_str("\\\\x");
    for b in bytes {
        buf.push(char::from(HEX[usize::from(b >> 4)]));
        buf.push(char::from(HEX[usize::from(b & 15)]));
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::var("SECAL_BENCH_DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    anyhow::ensure!(
        (1..=1_999_998).contains(&n),
        "SECAL_BENCH_DOSSIERS: 1 to 1,999,998"
    );
    // SECAL_BENCH_PROFILE=1: where the run's database time went, by statement.
    let profile = secal_testkit::profile::wanted();
    secal_testkit::profile::start_pg_if_wanted()?;
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let token = suite.agent_token("bench", &[roles::PAYMENTS_OPERATOR, roles::SERVICE])?;
    let mut client = PaymentsClients::new(suite.channel(Svc::Payments).await?);
    let admin = suite.admin_pool().await?;

    let started = Instant::now();
    seed(&admin, n).await?;
    println!(
        "{n} dossiers seeded (booked to {BOOKED_TO}: {} ledger transfers) in {:.1} s (setup, not timed)",
        2 * MONTHS_BOOKED * n,
        started.elapsed().as_secs_f64()
    );

    // A month passed since the accounts were booked: autovacuum has cleaned up after the
    // seed and the planner knows the tables. The timed run starts after a checkpoint, so
    // that it does not pay for writing out the pages the seed dirtied.
    sqlx::query(
        "VACUUM (ANALYZE) payments.dossier_events, payments.dossier_states, payments.ledger_accounts,
                          payments.ledger_transfers, payments.claim_accounts, payments.claim_bookings,
                          payments.claim_lines",
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
    // Lines written from here on are the run's: the fast path adds December's line, a full
    // booking rewrites the dossier's whole table.
    let xid_before: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&admin)
        .await?;
    let cpu_before = Cpu::now()?;
    let run = run_dues(&suite, &mut client, &token).await?;
    let cpu = Cpu::now()?.since(&cpu_before);
    if profile {
        print_profile(&admin).await?;
    }
    check_run(&admin, &run.last, n).await?;
    let rewritten: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT dossier_number) FROM payments.claim_lines
          WHERE month < '2026-12-01' AND xmin::text::bigint >= $1",
    )
    .bind(xid_before)
    .fetch_one(&admin)
    .await?;
    println!(
        "fast path: {} dossiers; full booking (ComputeArrears): {rewritten}",
        n - rewritten
    );

    // Baselines: COPY of the run's 2 ledger rows per dossier (a) into a bare table of the
    // ledger's columns, (b) into a table shaped like the ledger (its indexes and checks; no
    // trigger, no account totals), the floor of writing those rows where the ledger keeps
    // them.
    let rows = baseline_rows(&admin, n).await?;
    let mut conn = admin.acquire().await?;
    sqlx::query(
        "CREATE TABLE public.bench_copy (transfer_id text NOT NULL, debit_account bigint NOT NULL,
             credit_account bigint NOT NULL, amount bigint NOT NULL, code smallint NOT NULL,
             value_date date NOT NULL, state smallint NOT NULL, linked_group uuid NOT NULL,
             for_month date, reference text NOT NULL, description text NOT NULL,
             dossier_number text, recorded_by text NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE TABLE public.bench_ledger (LIKE payments.ledger_transfers INCLUDING ALL)")
        .execute(&mut *conn)
        .await?;
    checkpoint(&admin).await?;
    let (copied, copy_secs) = copy_rows(&mut conn, "public.bench_copy", &rows).await?;
    checkpoint(&admin).await?;
    let (_, shaped_secs) = copy_rows(&mut conn, "public.bench_ledger", &rows).await?;

    let transfers = 2 * n;
    println!(
        "dues run of {RUN_DATE}: {n} dossiers in {:.2} s ({:.0} dossiers/s, {:.0} ledger rows/s; first message after {:.2} s)",
        run.secs,
        n as f64 / run.secs,
        transfers as f64 / run.secs,
        run.first_secs
    );
    println!(
        "CPU during the run: services and client (this process) {:.1} s, other processes (Postgres) {:.1} s, idle {:.1} s",
        cpu.own, cpu.others, cpu.idle
    );
    println!(
        "plain COPY:   {copied} ledger rows in {copy_secs:.2} s ({:.0} rows/s)",
        copied as f64 / copy_secs
    );
    println!(
        "COPY into a ledger-shaped table (indexes, checks): {copied} rows in {shaped_secs:.2} s ({:.0} rows/s)",
        copied as f64 / shaped_secs
    );
    println!("ratio run / COPY: {:.2}", run.secs / copy_secs);
    println!(
        "ratio run / COPY into the ledger-shaped table: {:.2} (goal: at most 3 for 1,000,000 dossiers)",
        run.secs / shaped_secs
    );
    Ok(())
}

/// Seeds `n` active dossiers booked to [`BOOKED_TO`] (see the module).
async fn seed(admin: &sqlx::PgPool, n: i64) -> anyhow::Result<()> {
    // Which dossier is the k-th: the bench's own table (not the service's), for the
    // statements below to seed in chunks and the baseline to find each dossier's accounts.
    sqlx::query(
        "CREATE UNLOGGED TABLE public.bench_dossiers (k bigint PRIMARY KEY, dossier_number text COLLATE \"C\" NOT NULL,
                                                     child text NOT NULL)",
    )
    .execute(admin)
    .await?;
    let mut conn = admin.acquire().await?;
    copy_in(
        &mut conn,
        "COPY public.bench_dossiers (k, dossier_number, child) FROM STDIN (FORMAT text)",
        n,
        |k, buf| {
            writeln!(buf, "{k}\t{}\tchild-{k}", dossier(k)?)?;
            Ok(())
        },
    )
    .await?;
    // The activation each dossier's state names (its last event), as ReceiveDossierEvent
    // stores it; then the state.
    copy_in(
        &mut conn,
        "COPY payments.dossier_events (event_id, dossier_number, dossier_version, event_type,
             intake_sequence, payload, response, received_by, received_at) FROM STDIN (FORMAT text)",
        n,
        |k, buf| {
            let d = dossier(k)?;
            let event = pb::DossierEvent {
                event_id: uuid(0xa000, k),
                event_type: pb::DossierEventType::Activated as i32,
                dossier_number: d.clone(),
                dossier_version: 1,
                sequence: k,
                occurred_at: "2026-11-06T09:00:00Z".into(),
                effective_on: date(2026, 11, 6),
                snapshot: Some(snapshot(&d, k)),
                ..Default::default()
            };
            let response = pb::ReceiveDossierEventResponse {
                applied: true,
                note: format!("claim account booked to {BOOKED_TO}"),
                ..Default::default()
            };
            write!(buf, "{}\t{d}\t1\t{}\t{k}\t", uuid(0xa000, k), event.event_type)?;
            push_bytea(buf, &event.encode_to_vec());
            buf.push('\t');
            push_bytea(buf, &response.encode_to_vec());
            buf.push_str("\tsecal-intake\t2026-11-06 09:00:01+00\n");
            Ok(())
        },
    )
    .await?;
    copy_in(
        &mut conn,
        "COPY payments.dossier_states (dossier_number, dossier_version, status, snapshot, last_event_id,
             debtor_person_id, advance_children, updated_at) FROM STDIN (FORMAT text)",
        n,
        |k, buf| {
            let d = dossier(k)?;
            write!(buf, "{d}\t1\t{}\t", pb::DossierStatus::Active as i32)?;
            push_bytea(buf, &snapshot(&d, k).encode_to_vec());
            writeln!(
                buf,
                "\t{}\tdebtor-{k}\t0\t2026-11-06 09:00:01+00",
                uuid(0xa000, k)
            )?;
            Ok(())
        },
    )
    .await?;
    drop(conn);

    // The fee income account every dossier's fee is credited to, opened by the first
    // booking; then per dossier what its mandate booking wrote.
    sqlx::query(
        "INSERT INTO payments.ledger_accounts (code, kind, balance_rule, opened_by)
         VALUES ('fee-income', 12, 1, 'bench') ON CONFLICT (code) DO NOTHING",
    )
    .execute(admin)
    .await?;
    let mut first = 1;
    while first <= n {
        let last = (first + SEED_CHUNK - 1).min(n);
        seed_chunk(admin, first, last).await?;
        first = last + 1;
    }
    Ok(())
}

/// The mandate booking of dossiers `first..=last`: the three accounts it opens (kinds and
/// balance rules as the ledger opens them, services/payments/src/ledger/mod.rs), its 22
/// transfers written through the ledger's own insert trigger (account totals and checks),
/// the claim account, its journal entry and the table of the booking.
async fn seed_chunk(admin: &sqlx::PgPool, first: i64, last: i64) -> anyhow::Result<()> {
    let mut tx = admin.begin().await?;
    sqlx::query(
        "INSERT INTO payments.ledger_accounts (code, kind, dossier_number, party_person_id, balance_rule, opened_by)
         SELECT a.code, a.kind, b.dossier_number, a.party, a.rule, 'secal-intake'
         FROM public.bench_dossiers b,
              LATERAL (VALUES (1, 'debtor-principal/' || b.dossier_number, 3::smallint, NULL::text, 3::smallint),
                              (2, 'creditor-claim/' || b.dossier_number || '/' || b.child, 1::smallint, b.child, 2::smallint),
                              (3, 'debtor-surcharge/' || b.dossier_number, 5::smallint, NULL::text, 3::smallint))
                      a(pos, code, kind, party, rule)
         WHERE b.k BETWEEN $1 AND $2
         ORDER BY b.k, a.pos",
    )
    .bind(first)
    .bind(last)
    .execute(&mut *tx)
    .await?;
    // Transfer n of the booking: dues of months 1 to 11 first, then their fees (the order of
    // the booking's differences, services/payments/src/claims/target.rs).
    let written = sqlx::query(
        "INSERT INTO payments.ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
             value_date, state, linked_group, for_month, reference, description, dossier_number, recorded_by)
         SELECT 'claim/' || b.dossier_number || '/1/' || t.n,
                CASE WHEN t.fee THEN s.id ELSE p.id END,
                CASE WHEN t.fee THEN f.id ELSE c.id END,
                CASE WHEN t.fee THEN $4 ELSE $3 END,
                CASE WHEN t.fee THEN $6 ELSE $5 END,
                t.month, 2, md5(b.dossier_number)::uuid, t.month, 'claim/mandate',
                CASE WHEN t.fee THEN 'fee ' ELSE 'maintenance due ' END || to_char(t.month, 'YYYY-MM'),
                b.dossier_number, 'secal-intake'
         FROM public.bench_dossiers b
         JOIN payments.ledger_accounts p ON p.code = 'debtor-principal/' || b.dossier_number
         JOIN payments.ledger_accounts c ON c.code = 'creditor-claim/' || b.dossier_number || '/' || b.child
         JOIN payments.ledger_accounts s ON s.code = 'debtor-surcharge/' || b.dossier_number
         CROSS JOIN payments.ledger_accounts f
         CROSS JOIN LATERAL (SELECT g AS n, g > $7 AS fee,
                                    make_date(2026, ((g - 1) % $7)::int + 1, 1) AS month
                             FROM generate_series(1, 2 * $7) g) t
         WHERE b.k BETWEEN $1 AND $2 AND f.code = 'fee-income'
         ORDER BY b.k, t.n",
    )
    .bind(first)
    .bind(last)
    .bind(DUE_CENTS)
    .bind(FEE_CENTS)
    .bind(pb::TransferCode::DebtRecognition as i16)
    .bind(pb::TransferCode::Surcharge as i16)
    .bind(MONTHS_BOOKED)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    anyhow::ensure!(
        i64::try_from(written)? == 2 * MONTHS_BOOKED * (last - first + 1),
        "{written} transfers seeded for dossiers {first} to {last}"
    );
    sqlx::query(
        // With the summary of its table (below) the booking keeps on the row: the child's
        // last month, no interest, January's limit the earliest.
        "INSERT INTO payments.claim_accounts (dossier_number, booked_to, bookings, fee_percent,
             creditor_deduction_percent, mandate_booked_to, updated_at, line_creditors,
             line_last_months, lines_interest, next_prescription)
         SELECT dossier_number, $3::date, 1, 13, 0, $3::date, '2026-11-06 09:00:01+00', ARRAY[child],
                ARRAY[make_date(2026, $4::int, 1)], false, make_date(2031, 1, 1)
         FROM public.bench_dossiers WHERE k BETWEEN $1 AND $2 ORDER BY k",
    )
    .bind(first)
    .bind(last)
    .bind(BOOKED_TO)
    .bind(i32::try_from(MONTHS_BOOKED)?)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO payments.claim_bookings (dossier_number, sequence, kind, booked_to, reason,
             principal_cents, fee_cents, interest_cents, barred_cents, transfers, run_date, booked_by,
             booked_at)
         SELECT dossier_number, 1, $3, $4::date, 'dossier activated', $5 * $7, $6 * $7, 0, 0, 2 * $7,
                NULL, 'secal-intake', '2026-11-06 09:00:01+00'
         FROM public.bench_dossiers WHERE k BETWEEN $1 AND $2 ORDER BY k",
    )
    .bind(first)
    .bind(last)
    .bind(pb::ClaimBookingKind::Mandate as i16)
    .bind(BOOKED_TO)
    .bind(DUE_CENTS)
    .bind(FEE_CENTS)
    .bind(MONTHS_BOOKED)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO payments.claim_lines (dossier_number, creditor, creditor_position, kind, month,
             due_date, due_cents, unpaid_cents, status, prescription_limit, limitation_set_by,
             interest_cents, interest_from, booked_to)
         SELECT b.dossier_number, b.child, 0, $3, m.month, m.month, $4, $4, $5,
                (m.month + interval '5 years')::date, '', 0, NULL, $6::date
         FROM public.bench_dossiers b,
              LATERAL (SELECT make_date(2026, g, 1) AS month FROM generate_series(1, $7::int) g) m
         WHERE b.k BETWEEN $1 AND $2
         ORDER BY b.k, m.month",
    )
    .bind(first)
    .bind(last)
    .bind(pb::ArrearsLineKind::Instalment as i16)
    .bind(DUE_CENTS)
    .bind(pb::InstalmentStatus::Open as i16)
    .bind(BOOKED_TO)
    .bind(i32::try_from(MONTHS_BOOKED)?)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A COPY of `n` rows, row `k` (1-based) written by `row`; returns the rows copied.
async fn copy_in(
    conn: &mut sqlx::PgConnection,
    statement: &'static str,
    n: i64,
    mut row: impl FnMut(i64, &mut String) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut buf = String::with_capacity(COPY_BUFFER);
    for k in 1..=n {
        row(k, &mut buf)?;
        if buf.len() > COPY_BUFFER - 4096 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    let rows = copy.finish().await?;
    anyhow::ensure!(i64::try_from(rows)? == n, "{rows} rows copied of {n}");
    Ok(rows)
}

async fn checkpoint(admin: &sqlx::PgPool) -> anyhow::Result<()> {
    sqlx::query("CHECKPOINT").execute(admin).await?;
    Ok(())
}

/// The run as the client saw it.
struct Run {
    secs: f64,
    /// Until the first message (the run lists its dossiers before booking any).
    first_secs: f64,
    last: pb::RunMonthlyDuesResponse,
}

/// RunMonthlyDues of [`RUN_DATE`] through gRPC, to its last message.
async fn run_dues(suite: &Suite, client: &mut PaymentsClients, token: &str) -> anyhow::Result<Run> {
    let started = Instant::now();
    let req = pb::RunMonthlyDuesRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: format!("bench-dues-{RUN_DATE}"),
        }),
        run_date: date(2026, 12, 6),
    };
    let mut stream = client
        .claims
        .run_monthly_dues(suite.request(token, req))
        .await?
        .into_inner();
    let mut first_secs = None;
    let mut last = None;
    while let Some(m) = stream.message().await? {
        first_secs.get_or_insert_with(|| started.elapsed().as_secs_f64());
        last = Some(m);
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        first_secs: first_secs.unwrap_or(secs),
        last: last.ok_or_else(|| anyhow::anyhow!("the run sent no message"))?,
    })
}

/// The run booked December for every dossier and nothing else: its last message says so,
/// and the ledger holds its 2 transfers per dossier.
async fn check_run(
    admin: &sqlx::PgPool,
    last: &pb::RunMonthlyDuesResponse,
    n: i64,
) -> anyhow::Result<()> {
    let summary = format!(
        "state {:?}, reconciled {}, {} total, {} done, {} booked, {} failed, principal {:?}, fee {:?}, interest {:?}, first failures {:?}",
        pb::DuesRunState::try_from(last.state),
        last.reconciled,
        last.dossiers_total,
        last.dossiers_done,
        last.dossiers_booked,
        last.dossiers_failed,
        last.principal.as_ref().map(|m| m.amount.as_str()),
        last.fee.as_ref().map(|m| m.amount.as_str()),
        last.interest.as_ref().map(|m| m.amount.as_str()),
        last.failures.iter().take(3).collect::<Vec<_>>()
    );
    anyhow::ensure!(
        last.state == pb::DuesRunState::Completed as i32
            && last.reconciled
            && last.dossiers_total == n
            && last.dossiers_booked == n,
        "unexpected end of the run: {summary}"
    );
    let (count, due, fee): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(amount) FILTER (WHERE code = $2), 0)::bigint,
                COALESCE(sum(amount) FILTER (WHERE code = $3), 0)::bigint
         FROM payments.ledger_transfers WHERE reference = $1",
    )
    .bind(format!("dues-run/{RUN_DATE}"))
    .bind(pb::TransferCode::DebtRecognition as i16)
    .bind(pb::TransferCode::Surcharge as i16)
    .fetch_one(admin)
    .await?;
    anyhow::ensure!(
        count == 2 * n && due == DUE_CENTS * n && fee == FEE_CENTS * n,
        "the run wrote {count} transfers (due {due}, fee {fee} cents) for {n} dossiers; {summary}"
    );
    println!("run checked: {summary}; {count} transfers in the ledger");
    Ok(())
}

/// One baseline row: what the run wrote for a dossier's due or fee.
struct Row {
    dossier: String,
    debit: i64,
    credit: i64,
    fee: bool,
}

/// The run's rows, read back from its accounts (untimed), for the COPY to write the same
/// values.
async fn baseline_rows(admin: &sqlx::PgPool, n: i64) -> anyhow::Result<Vec<Row>> {
    let accounts: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT b.dossier_number, p.id, c.id, s.id, f.id
         FROM public.bench_dossiers b
         JOIN payments.ledger_accounts p ON p.code = 'debtor-principal/' || b.dossier_number
         JOIN payments.ledger_accounts c ON c.code = 'creditor-claim/' || b.dossier_number || '/' || b.child
         JOIN payments.ledger_accounts s ON s.code = 'debtor-surcharge/' || b.dossier_number
         CROSS JOIN payments.ledger_accounts f
         WHERE f.code = 'fee-income'
         ORDER BY b.dossier_number",
    )
    .fetch_all(admin)
    .await?;
    anyhow::ensure!(
        i64::try_from(accounts.len())? == n,
        "{} dossiers with accounts of {n}",
        accounts.len()
    );
    Ok(accounts
        .into_iter()
        .flat_map(|(d, p, c, s, f)| {
            [
                Row {
                    dossier: d.clone(),
                    debit: p,
                    credit: c,
                    fee: false,
                },
                Row {
                    dossier: d,
                    debit: s,
                    credit: f,
                    fee: true,
                },
            ]
        })
        .collect())
}

/// COPY of the run's ledger rows into `table`; returns the rows and the seconds taken.
async fn copy_rows(
    conn: &mut sqlx::PgConnection,
    table: &str,
    rows: &[Row],
) -> anyhow::Result<(u64, f64)> {
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} (transfer_id, debit_account, credit_account, amount, code, value_date,
                 state, linked_group, for_month, reference, description, dossier_number, recorded_by)
             FROM STDIN (FORMAT text)"
        ))
        .await?;
    let mut buf = String::with_capacity(COPY_BUFFER);
    let (due, fee) = (
        pb::TransferCode::DebtRecognition as i16,
        pb::TransferCode::Surcharge as i16,
    );
    for (i, r) in (0_i64..).zip(rows) {
        let (n, amount, code, what) = if r.fee {
            (2, FEE_CENTS, fee, "fee")
        } else {
            (1, DUE_CENTS, due, "maintenance due")
        };
        writeln!(
            buf,
            "claim/{d}/2/{n}\t{}\t{}\t{amount}\t{code}\t2026-12-01\t2\t{}\t2026-12-01\tdues-run/{RUN_DATE}\t{what} 2026-12\t{d}\tbench",
            r.debit,
            r.credit,
            uuid(0xb000, i / 2),
            d = r.dossier
        )?;
        if buf.len() > COPY_BUFFER - 1024 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    let copied = copy.finish().await?;
    Ok((copied, started.elapsed().as_secs_f64()))
}

/// The statements that took most database time since the last reset (nested ones, such as
/// the ledger's balance trigger, included in their caller's time and listed on their own).
async fn print_profile(admin: &sqlx::PgPool) -> anyhow::Result<()> {
    println!("database time of the run, by statement:");
    secal_testkit::profile::print_top(admin, 15).await?;
    let tables: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
         WHERE schemaname = 'payments' AND n_tup_upd > 0 ORDER BY n_tup_upd DESC",
    )
    .fetch_all(admin)
    .await?;
    for (table, updated, hot) in tables {
        println!("{table}: {updated} rows updated in the run, {hot} in place (HOT)");
    }
    Ok(())
}
