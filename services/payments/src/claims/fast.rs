//! The dues run's fast path: most dossiers, most months, only add the month's due and its fee.
//! For a dossier whose account is booked, whose title is not indexed, that has no line with
//! interest, no open line becoming time-barred by the run date and no money allocated since its
//! last booking (`claim_accounts.stale`), what ComputeArrears would add on the run date is
//! exactly the new months' lines: each creditor's amount, due on the title's day, prescribed
//! five years later, without interest (no act can start interest on an instalment not yet
//! due when the act was recorded, and a recorded act books at once). So those lines are made
//! here, a thousand dossiers per transaction, without a call per dossier; every other dossier
//! takes the full booking (`book`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::ServiceResult;
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use super::booked::Component;
use super::case;
use super::summary::LineSummary;
use super::target::{self, Delta, Line, Totals};
use crate::ledger::{self, NewTransfer};

/// A dossier the fast path can book, as read under its account's row lock.
#[derive(sqlx::FromRow)]
struct Row {
    dossier_number: String,
    snapshot: Vec<u8>,
    bookings: i64,
    fee_percent: Decimal,
    /// The account's table as its row keeps it (`LineSummary`).
    line_creditors: Vec<String>,
    line_last_months: Vec<NaiveDate>,
    next_prescription: Option<NaiveDate>,
}

/// What the fast path booked for one dossier (`None` totals: nothing was due yet).
pub(crate) struct Booked {
    pub dossier: String,
    pub totals: Option<Totals>,
}

/// The new lines of a dossier on `run_date`, or `None` when the fast path cannot tell them
/// (an indexed or stepped amount, a title the case cannot make).
fn new_lines(
    snapshot: &pb::DossierSnapshot,
    last_months: &BTreeMap<String, NaiveDate>,
    run_date: NaiveDate,
) -> Option<Vec<Line>> {
    let title = snapshot.title.as_ref()?;
    if title.indexed {
        return None;
    }
    let case = case::build(case::CaseInputs {
        snapshot,
        recorded_acts: Vec::new(),
        payments: Vec::new(),
    })
    .ok()?;
    let due_day = u32::try_from(title.due_day).unwrap_or(1).clamp(1, 31);
    let mut lines = Vec::new();
    for (position, c) in (0i32..).zip(case.title.as_ref()?.creditors.iter()) {
        let amount = flat_amount(c)?;
        let first = month_of(c.first_month.as_ref()?)?;
        let start = match last_months.get(&c.creditor_id) {
            Some(last) => YearMonth::from_date(*last).ok()?.next()?,
            None => first,
        };
        let end = c.last_month.as_ref().and_then(month_of);
        let mut month = start.max(first);
        loop {
            let due_date = secal_rules::dates::due_date(month, due_day);
            if due_date >= run_date || end.is_some_and(|e| month > e) {
                break;
            }
            lines.push(Line {
                creditor: c.creditor_id.clone(),
                position,
                kind: pb::ArrearsLineKind::Instalment,
                month: month.first_day(),
                due_date,
                due: amount,
                unpaid: amount,
                status: pb::InstalmentStatus::Open,
                limit: secal_rules::dates::add_years(due_date, secal_rules::prescription::YEARS)?,
                limitation_set_by: String::new(),
                interest: 0,
                interest_from: None,
            });
            month = month.next()?;
        }
    }
    Some(lines)
}

/// The amount of a title creditor whose amount is one open period (a title not indexed, as
/// `case` makes it), in cents.
fn flat_amount(c: &pb::TitleCreditor) -> Option<i64> {
    use pb::maintenance_amount::Method;
    match c.amount.as_ref()?.method.as_ref()? {
        Method::ExplicitSchedule(s)
            if s.periods.len() == 1 && s.periods[0].last_month.is_none() =>
        {
            let m = s.periods[0].amount.as_ref()?;
            m.amount
                .parse::<secal_domain::Money>()
                .ok()?
                .to_cents()
                .ok()
        }
        _ => None,
    }
}

fn month_of(m: &pb::YearMonth) -> Option<YearMonth> {
    YearMonth::new(m.year, u32::try_from(m.month).ok()?).ok()
}

/// The accounts of `dossiers` the fast path may book, locked in dossier order until the
/// transaction ends (two starts lock in the same order; a full booking of the same dossier
/// waits, and reads what this one wrote). What the fast path needs of each account's table is
/// on its row (`LineSummary`): one row per dossier, whatever its history.
async fn candidates(
    conn: &mut PgConnection,
    dossiers: &[String],
    run_date: NaiveDate,
) -> ServiceResult<Vec<Row>> {
    Ok(sqlx::query_as(
        "SELECT a.dossier_number, s.snapshot, a.bookings, a.fee_percent, a.line_creditors,
                a.line_last_months, a.next_prescription
           FROM claim_accounts a
           JOIN dossier_states s ON s.dossier_number = a.dossier_number AND s.status = $3
          WHERE a.dossier_number = ANY($1) AND a.booked_to < $2 AND NOT a.stale
            AND NOT a.lines_interest AND (a.next_prescription IS NULL OR a.next_prescription >= $2)
            AND NOT EXISTS (SELECT 1 FROM claim_booking_failures f WHERE f.dossier_number = a.dossier_number)
          ORDER BY a.dossier_number
            FOR UPDATE OF a",
    )
    .bind(dossiers)
    .bind(run_date)
    .bind(pb::DossierStatus::Active as i16)
    .fetch_all(&mut *conn)
    .await?)
}

/// What one batch writes, column by column.
#[derive(Default)]
struct Writes {
    transfers: Vec<NewTransfer>,
    lines: Vec<(String, Line)>,
    accounts: Vec<Account>,
}

/// What one batch writes on one account's row and in its journal.
struct Account {
    dossier: String,
    /// 0: nothing booked.
    sequence: i64,
    totals: Totals,
    transfers: usize,
    /// Its table with the new months.
    summary: LineSummary,
}

/// Books the dossiers of `dossiers` that the fast path can; returns them (the others are for
/// the full booking).
#[tracing::instrument(skip_all, fields(dossiers = dossiers.len()))]
pub(crate) async fn book_batch(
    conn: &mut crate::ledger::booking::Booking,
    actor: &str,
    dossiers: &[String],
    run_date: NaiveDate,
) -> ServiceResult<Vec<Booked>> {
    let rows = candidates(conn, dossiers, run_date).await?;
    let reference = format!("dues-run/{run_date}");
    let mut w = Writes::default();
    let mut done = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(snapshot) = pb::DossierSnapshot::decode(r.snapshot.as_slice()) else {
            continue;
        };
        // No interest: `candidates` leaves out the accounts whose lines carry any.
        let summary = LineSummary::from_row(
            r.line_creditors,
            r.line_last_months,
            false,
            r.next_prescription,
        );
        let Some(lines) = new_lines(&snapshot, &summary.last_months, run_date) else {
            continue;
        };
        let totals = plan(
            &mut w,
            (&r.dossier_number, r.bookings, r.fee_percent),
            &reference,
            summary,
            lines,
        );
        done.push(Booked {
            dossier: r.dossier_number,
            totals,
        });
    }
    write(conn, actor, run_date, &w).await?;
    certify(conn, &done).await?;
    write_transfers(conn, actor, w.transfers).await?;
    Ok(done)
}

/// The certified debts follow the batch (`Booking::commit` keeps them in step with every
/// booking): a debtor whose certified debt is standing (positive, not withdrawn) owes what the
/// batch added on top of it, and its `since` does not move; any other debtor of the batch is
/// rewritten in full by the commit.
async fn certify(conn: &mut crate::ledger::booking::Booking, done: &[Booked]) -> ServiceResult<()> {
    let added: Vec<(&str, i64)> = done
        .iter()
        .filter_map(|d| d.totals.map(|t| (d.dossier.as_str(), t.principal + t.fee)))
        .collect();
    let rest: Vec<String> = sqlx::query_scalar(
        "WITH x AS (SELECT s.debtor_national_number AS nn, sum(b.cents)::bigint AS delta
                      FROM unnest($1::text[], $2::bigint[]) AS b(dossier, cents)
                      JOIN dossier_states s ON s.dossier_number = b.dossier
                     WHERE s.debtor_national_number IS NOT NULL GROUP BY 1),
              up AS (UPDATE certified_debts c
                        SET amount_cents = c.amount_cents + x.delta,
                            change_sequence = nextval('certified_debt_changes')
                       FROM x
                      WHERE c.debtor_national_number = x.nn AND c.amount_cents > 0 AND NOT c.withdrawn
                  RETURNING c.debtor_national_number)
         SELECT nn FROM x WHERE nn NOT IN (SELECT debtor_national_number FROM up)",
    )
    .bind(added.iter().map(|a| a.0).collect::<Vec<_>>())
    .bind(added.iter().map(|a| a.1).collect::<Vec<_>>())
    .fetch_all(&mut **conn)
    .await?;
    for nn in &rest {
        conn.touch_debtor(nn);
    }
    Ok(())
}

/// Adds one dossier's transfers, lines and account change to the batch.
fn plan(
    w: &mut Writes,
    (dossier, bookings, fee_percent): (&str, i64, Decimal),
    reference: &str,
    mut summary: LineSummary,
    lines: Vec<Line>,
) -> Option<Totals> {
    if lines.is_empty() {
        w.accounts.push(Account {
            dossier: dossier.to_owned(),
            sequence: 0,
            totals: Totals::default(),
            transfers: 0,
            summary,
        });
        return None;
    }
    let deltas: Vec<Delta> = lines
        .iter()
        .flat_map(|l| {
            let delta = |component, creditor: &str, cents| Delta {
                component,
                creditor: creditor.to_owned(),
                month: l.month,
                cents,
                value_date: l.due_date,
                corrects: None,
            };
            [
                delta(Component::Due, &l.creditor, l.due),
                delta(Component::Fee, "", target::fee_of(l.due, fee_percent)),
            ]
        })
        .filter(|d| d.cents > 0)
        .collect();
    let sequence = bookings + 1;
    let totals = target::totals(&deltas);
    let transfers = target::transfers(dossier, sequence, reference, &deltas);
    summary.extend(&lines);
    w.accounts.push(Account {
        dossier: dossier.to_owned(),
        sequence,
        totals,
        transfers: transfers.len(),
        summary,
    });
    w.transfers.extend(transfers);
    w.lines
        .extend(lines.into_iter().map(|l| (dossier.to_owned(), l)));
    Some(totals)
}

async fn write(
    conn: &mut PgConnection,
    actor: &str,
    run_date: NaiveDate,
    w: &Writes,
) -> ServiceResult<()> {
    let booked: Vec<&Account> = w.accounts.iter().filter(|a| a.sequence > 0).collect();
    sqlx::query(
        "INSERT INTO claim_bookings (dossier_number, sequence, kind, booked_to, reason, principal_cents,
                                     fee_cents, interest_cents, barred_cents, transfers, run_date, booked_by)
         SELECT d, s, $3, $4, $5, p, f, 0, 0, t, $4, $6
           FROM unnest($1::text[], $2::bigint[], $7::bigint[], $8::bigint[], $9::int[]) AS x(d, s, p, f, t)",
    )
    .bind(booked.iter().map(|a| a.dossier.as_str()).collect::<Vec<_>>())
    .bind(booked.iter().map(|a| a.sequence).collect::<Vec<_>>())
    .bind(pb::ClaimBookingKind::DuesRun as i16)
    .bind(run_date)
    .bind(format!("dues run of {run_date}"))
    .bind(actor)
    .bind(booked.iter().map(|a| a.totals.principal).collect::<Vec<_>>())
    .bind(booked.iter().map(|a| a.totals.fee).collect::<Vec<_>>())
    .bind(booked.iter().map(|a| i32::try_from(a.transfers).unwrap_or(i32::MAX)).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    update_accounts(conn, run_date, &w.accounts).await?;
    super::book::insert_lines(conn, &w.lines, run_date).await
}

/// The accounts' rows: booked to the run date, their journal's sequence, their table's
/// summary with the new months (one row per dossier and creditor, gathered per dossier).
async fn update_accounts(
    conn: &mut PgConnection,
    run_date: NaiveDate,
    accounts: &[Account],
) -> ServiceResult<()> {
    let heads: Vec<(&str, &str, NaiveDate)> = accounts
        .iter()
        .flat_map(|a| {
            a.summary
                .last_months
                .iter()
                .map(|(c, m)| (a.dossier.as_str(), c.as_str(), *m))
        })
        .collect();
    sqlx::query(
        "WITH h AS (SELECT d, array_agg(c ORDER BY c) AS cs, array_agg(m ORDER BY c) AS ms
                      FROM unnest($4::text[], $5::text[], $6::date[]) AS h(d, c, m) GROUP BY d)
         UPDATE claim_accounts a
            SET booked_to = $3, bookings = GREATEST(a.bookings, x.s), next_prescription = x.np,
                line_creditors = COALESCE(h.cs, '{}'), line_last_months = COALESCE(h.ms, '{}'),
                updated_at = now()
           FROM unnest($1::text[], $2::bigint[], $7::date[]) AS x(d, s, np)
           LEFT JOIN h ON h.d = x.d
          WHERE a.dossier_number = x.d",
    )
    .bind(
        accounts
            .iter()
            .map(|a| a.dossier.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(accounts.iter().map(|a| a.sequence).collect::<Vec<_>>())
    .bind(run_date)
    .bind(heads.iter().map(|h| h.0).collect::<Vec<_>>())
    .bind(heads.iter().map(|h| h.1).collect::<Vec<_>>())
    .bind(heads.iter().map(|h| h.2).collect::<Vec<_>>())
    .bind(
        accounts
            .iter()
            .map(|a| a.summary.next_prescription)
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The batch's transfers, in one statement after everything else it writes. Every fee
/// credits the one fee-income account; an account without a balance rule keeps its totals in
/// slots taken by concurrent transactions (migration 0020), so the workers' batches do not
/// queue on it, and one statement fires the balance trigger and looks the accounts up once
/// (it was two, the fees apart and last, while that account's row was locked until the
/// commit).
async fn write_transfers(
    conn: &mut PgConnection,
    actor: &str,
    transfers: Vec<NewTransfer>,
) -> ServiceResult<()> {
    if !transfers.is_empty() {
        ledger::create_new(&mut *conn, actor, &transfers).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn snapshot(indexed: bool) -> pb::DossierSnapshot {
        pb::DossierSnapshot {
            kind: pb::ApplicationKind::ArrearsAndFuture as i32,
            creditors: vec![pb::DossierCreditor {
                creditor_key: "c1".into(),
                monthly_amount: Some(pb::Money {
                    amount: "150.00".into(),
                }),
                ..Default::default()
            }],
            title: Some(pb::ExecutoryTitle {
                first_month: Some(pb::YearMonth {
                    year: 2026,
                    month: 1,
                }),
                due_day: 5,
                indexed,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_months_after_the_last_booked_one_and_due_before_the_run_date() {
        let last = BTreeMap::from([("c1".to_owned(), day(2026, 9, 1))]);
        let lines = new_lines(&snapshot(false), &last, day(2026, 12, 5)).expect("lines");
        // October and November: December's instalment falls due on the run date itself.
        let months: Vec<NaiveDate> = lines.iter().map(|l| l.month).collect();
        assert_eq!(months, [day(2026, 10, 1), day(2026, 11, 1)]);
        assert_eq!(lines[0].due, 15_000);
        assert_eq!(lines[0].due_date, day(2026, 10, 5));
        assert_eq!(lines[0].limit, day(2031, 10, 5));
    }

    #[test]
    fn an_indexed_title_goes_to_the_full_booking() {
        assert!(new_lines(&snapshot(true), &BTreeMap::new(), day(2026, 12, 6)).is_none());
    }
}
