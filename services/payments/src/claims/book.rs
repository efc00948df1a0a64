//! One booking of a dossier's claim account, inside the caller's unit of work: under the
//! dossier's lock, the case is read (snapshot, acts, allocations), the calculation service
//! computes its table on the date, and the differences with the ledger are booked, journalled
//! and the table kept for reading (the prescription watch). Repeating a booking, or running
//! two at once, books nothing the second time: the second one finds the first one's transfers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, idempotency, wire};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use super::summary::LineSummary;
use super::{booked, case, target};
use crate::calc_client::Calculation;
use crate::ledger::{self, booking::Booking};

/// What to book, why, and for whom.
pub(crate) struct Order<'a> {
    pub dossier: &'a str,
    /// The calculation date asked for; the account's booked-to date never goes back, so a
    /// date before it books to it instead.
    pub booked_to: NaiveDate,
    pub kind: pb::ClaimBookingKind,
    pub reason: String,
    pub run_date: Option<NaiveDate>,
    pub actor: &'a str,
}

/// What a booking did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// `None` when nothing changed.
    pub booking: Option<pb::ClaimBooking>,
    pub totals: target::Totals,
    /// The account's booked-to date after the booking (`None`: nothing to book at all).
    pub booked_to: Option<NaiveDate>,
}

/// The dossier's state as intake last sent it.
pub(crate) struct Dossier {
    pub status: pb::DossierStatus,
    pub snapshot: pb::DossierSnapshot,
}

/// The dossier's state, NOT_FOUND when intake's events never brought it.
pub(crate) async fn dossier(conn: &mut PgConnection, number: &str) -> ServiceResult<Dossier> {
    let row: Option<(i16, Vec<u8>)> =
        sqlx::query_as("SELECT status, snapshot FROM dossier_states WHERE dossier_number = $1")
            .bind(number)
            .fetch_optional(conn)
            .await?;
    let (status, snapshot) = row.ok_or_else(|| {
        ServiceError::not_found(format!("dossier {number} is not known to payments"))
    })?;
    Ok(Dossier {
        status: pb::DossierStatus::try_from(i32::from(status)).unwrap_or_default(),
        snapshot: pb::DossierSnapshot::decode(snapshot.as_slice())
            .map_err(ServiceError::internal)?,
    })
}

/// Whether the snapshot's title fixes an amount for anyone: a dossier without one (recovery
/// of a judgment's lump sum only is not a case the form allows) has nothing to book.
pub(crate) fn has_claim(s: &pb::DossierSnapshot) -> bool {
    s.title.is_some() && s.creditors.iter().any(|c| c.monthly_amount.is_some())
}

/// Refuses a debt booked by hand on a dossier whose claim account keeps its debt: the
/// account books the difference between its table and the ledger, so the next booking
/// (the next day's run at the latest) would reverse what was recognised by hand. A dossier
/// payments does not know, or whose title fixes no amount, is not refused.
pub(crate) async fn refuse_if_the_account_keeps_the_debt(
    conn: &mut PgConnection,
    number: &str,
) -> ServiceResult<()> {
    let kept = match dossier(conn, number).await {
        Ok(d) => has_claim(&d.snapshot),
        Err(e) if e.code() == secal_runtime::ErrorCode::NotFound => false,
        Err(e) => return Err(e),
    };
    if kept {
        return Err(ServiceError::failed_precondition(
            "CLAIM_ACCOUNT_KEEPS_THE_DEBT",
            format!(
                "dossier {number}'s debt is kept by its claim account, computed from its title: \
                 a debt recognised by hand would be reversed by the account's next booking; \
                 amend the title through intake or record a legal act (RecordLegalAct), and \
                 the account books the change"
            ),
        ));
    }
    Ok(())
}

/// The account's row: booked-to date, bookings so far, fee percentages.
struct Account {
    booked_to: Option<NaiveDate>,
    bookings: i64,
    fees: Fees,
}

async fn account(
    conn: &mut PgConnection,
    calc: &Calculation,
    number: &str,
    snapshot: &pb::DossierSnapshot,
) -> ServiceResult<Account> {
    let row: Option<(NaiveDate, i64, Decimal, Decimal)> = sqlx::query_as(
        "SELECT booked_to, bookings, fee_percent, creditor_deduction_percent
           FROM claim_accounts WHERE dossier_number = $1 FOR UPDATE",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((booked_to, bookings, debtor, creditor)) = row {
        return Ok(Account {
            booked_to: Some(booked_to),
            bookings,
            fees: Fees { debtor, creditor },
        });
    }
    Ok(Account {
        booked_to: None,
        bookings: 0,
        fees: fee_percent(calc, snapshot).await?,
    })
}

/// The fee percentages of the regime in force on the application date, as the calculation
/// service states them: the debtor's and the deduction from the creditor's share.
struct Fees {
    debtor: Decimal,
    creditor: Decimal,
}

fn percent(field: &str, raw: &str) -> ServiceResult<Decimal> {
    raw.trim()
        .trim_end_matches('%')
        .parse::<Decimal>()
        .map_err(|e| {
            ServiceError::internal(std::io::Error::other(format!(
                "the calculation's {field}: {e}"
            )))
        })
}

/// Asked on a principal of 100.00 (the regime does not depend on it).
async fn fee_percent(calc: &Calculation, s: &pb::DossierSnapshot) -> ServiceResult<Fees> {
    let resp = calc
        .compute_surcharge(pb::ComputeSurchargeRequest {
            application_date: s.application_date,
            principal: Some(pb::Money {
                amount: "100.00".into(),
            }),
        })
        .await
        .map_err(|s| calculation_error("the fee", &s))?;
    Ok(Fees {
        debtor: percent("debtor_surcharge_percent", &resp.debtor_surcharge_percent)?,
        creditor: percent(
            "creditor_deduction_percent",
            &resp.creditor_deduction_percent,
        )?,
    })
}

/// The reason of a booking the rules cannot compute (a figure missing, a case the title does
/// not make): not transient, so an event is taken without it and the dues run retries.
pub(crate) const NOT_COMPUTABLE: &str = "CLAIM_NOT_COMPUTABLE";

/// Keeps why the dossier's account could not be booked (GetClaimAccount shows it).
pub(crate) async fn record_failure(
    conn: &mut PgConnection,
    number: &str,
    reason: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO claim_booking_failures (dossier_number, reason) VALUES ($1, $2)
         ON CONFLICT (dossier_number) DO UPDATE SET reason = $2, failed_at = now()",
    )
    .bind(number)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A refusal of the calculation service: the case it cannot compute (e.g. a CPI month not
/// published yet) is named; anything else is the service being unavailable.
fn calculation_error(what: &str, s: &tonic::Status) -> ServiceError {
    match s.code() {
        tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition | tonic::Code::NotFound => {
            ServiceError::failed_precondition(
                NOT_COMPUTABLE,
                format!("{what} cannot be computed: {}", s.message()),
            )
        }
        _ => ServiceError::new(
            secal_runtime::ErrorCode::Unavailable,
            format!(
                "{what}: the calculation service did not answer ({:?})",
                s.code()
            ),
        ),
    }
}

#[derive(sqlx::FromRow)]
struct ActRow {
    act_id: uuid::Uuid,
    kind: i16,
    act_date: NaiveDate,
    creditor_ids: Vec<String>,
    covered_first: Option<NaiveDate>,
    covered_last: Option<NaiveDate>,
    reference: String,
}

/// The acts recorded since activation, as the rules read them (their ids are theirs).
async fn recorded_acts(conn: &mut PgConnection, number: &str) -> ServiceResult<Vec<pb::LegalAct>> {
    let rows: Vec<ActRow> = sqlx::query_as(
        "SELECT act_id, kind, act_date, creditor_ids, covered_first, covered_last, reference
           FROM claim_acts WHERE dossier_number = $1 ORDER BY act_date, recorded_at",
    )
    .bind(number)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|a| pb::LegalAct {
            act_id: a.act_id.to_string(),
            kind: i32::from(a.kind),
            act_date: Some(wire::date_to_pb(a.act_date)),
            creditor_ids: a.creditor_ids,
            covered_months: a.covered_first.map(|f| pb::MonthRange {
                first_month: Some(ledger::month_pb(f)),
                last_month: a.covered_last.map(ledger::month_pb),
            }),
            reference: a.reference,
        })
        .collect())
}

/// The calculation service, when the dossier's account may be booked now: an active dossier,
/// or a closing one once more (to its closing date; never after).
fn bookable<'c>(
    d: &Dossier,
    order: &Order<'_>,
    calc: Option<&'c Calculation>,
) -> ServiceResult<&'c Calculation> {
    let closing =
        order.kind == pb::ClaimBookingKind::Closure && d.status == pb::DossierStatus::Closed;
    if d.status != pb::DossierStatus::Active && !closing {
        return Err(ServiceError::failed_precondition(
            "DOSSIER_NOT_ACTIVE",
            format!(
                "dossier {} is {}: only an active dossier's account is booked",
                order.dossier,
                d.status.as_str_name()
            ),
        ));
    }
    // A deployment without the calculation service cannot book; like a missing figure, that
    // must not stop intake's events (the dues run retries once it is configured).
    calc.ok_or_else(|| {
        ServiceError::failed_precondition(
            NOT_COMPUTABLE,
            "no calculation service is configured: the claim account cannot be booked",
        )
    })
}

/// Books the dossier's claim account (see the module).
#[tracing::instrument(skip_all, fields(kind = ?order.kind, booked_to = %order.booked_to))]
pub(crate) async fn book(
    conn: &mut Booking,
    calc: Option<&Calculation>,
    order: Order<'_>,
) -> ServiceResult<Outcome> {
    ledger::booking::lock_dossier(conn, order.dossier).await?;
    let d = dossier(conn, order.dossier).await?;
    if !has_claim(&d.snapshot) {
        return Ok(Outcome::default());
    }
    let calc = bookable(&d, &order, calc)?;
    let account = account(conn, calc, order.dossier, &d.snapshot).await?;
    let booked_to = account
        .booked_to
        .map_or(order.booked_to, |b| b.max(order.booked_to));
    // The first booking is the mandate's, whatever asked for it (an activation whose booking
    // failed is booked by the next dues run).
    let first = account.booked_to.is_none();
    let order = Order {
        kind: if first {
            pb::ClaimBookingKind::Mandate
        } else {
            order.kind
        },
        ..order
    };
    let table = compute(conn, calc, order.dossier, &d.snapshot, booked_to).await?;
    let lines =
        target::lines_of(&table).map_err(|e| ServiceError::internal(std::io::Error::other(e)))?;
    let wanted = target::targets(&lines, account.fees.debtor, booked_to);
    let have = booked::read(conn, order.dossier).await?;
    let deltas = target::deltas(&wanted, &have, booked_to);
    let plan = Plan {
        order: &order,
        account: &account,
        booked_to,
        first,
        snapshot: &d.snapshot,
        lines: &lines,
        deltas: &deltas,
    };
    // All of a booking's writes or none (a savepoint): a balance rule refusing a correction
    // (the debtor paid months an amendment removed) leaves the account as it was.
    let mut sp = sqlx::Connection::begin(&mut **conn).await?;
    let booking = match write(&mut sp, &plan).await {
        Ok(booking) => {
            sp.commit().await?;
            booking
        }
        Err(e) => {
            sp.rollback().await?;
            return Err(e);
        }
    };
    if booking.is_some() {
        conn.touch_dossier(order.dossier);
    }
    Ok(Outcome {
        booking,
        totals: target::totals(&deltas),
        booked_to: Some(booked_to),
    })
}

/// A booking worked out, ready to write.
struct Plan<'a> {
    order: &'a Order<'a>,
    account: &'a Account,
    booked_to: NaiveDate,
    /// The dossier's first booking: its mandate.
    first: bool,
    snapshot: &'a pb::DossierSnapshot,
    lines: &'a [target::Line],
    deltas: &'a [target::Delta],
}

/// The booking's writes: the account, its table, the mandate's comparison, the transfers and
/// the journal; the booking (`None` when nothing changed).
async fn write(conn: &mut PgConnection, p: &Plan<'_>) -> ServiceResult<Option<pb::ClaimBooking>> {
    let (dossier, booked_to) = (p.order.dossier, p.booked_to);
    let sequence = p.account.bookings + i64::from(!p.deltas.is_empty());
    let summary = LineSummary::of(p.lines);
    save_account(
        conn,
        (dossier, booked_to, sequence),
        &p.account.fees,
        &summary,
    )
    .await?;
    save_lines(conn, dossier, p.lines, booked_to).await?;
    if p.first {
        save_mandate(conn, dossier, p.snapshot, p.lines, booked_to).await?;
    }
    sqlx::query("DELETE FROM claim_booking_failures WHERE dossier_number = $1")
        .bind(dossier)
        .execute(&mut *conn)
        .await?;
    if p.deltas.is_empty() {
        return Ok(None);
    }
    let reference = reference(p.order);
    let transfers = target::transfers(dossier, sequence, &reference, p.deltas);
    ledger::create_new(&mut *conn, p.order.actor, &transfers)
        .await
        .map_err(refused)?;
    let totals = target::totals(p.deltas);
    let booking = journal(conn, p.order, sequence, booked_to, totals, transfers.len()).await?;
    Ok(Some(booking))
}

/// A balance rule refusing a booking is a case for an agent, not a failure of the service:
/// the debtor paid more than the rules now make due (an amendment removed months he paid).
fn refused(e: ledger::LedgerError) -> ServiceError {
    match e {
        ledger::LedgerError::BalanceLimit {
            constraint,
            account,
        } => ServiceError::failed_precondition(
            NOT_COMPUTABLE,
            format!(
                "the booking would take account {account} beyond its balance rule \
                     ({constraint}): more was paid or passed on than the rules now make due; \
                     the allocations must be corrected first"
            ),
        ),
        other => other.into(),
    }
}

/// The transfers' reference: what booked them.
fn reference(order: &Order<'_>) -> String {
    match (order.kind, order.run_date) {
        (pb::ClaimBookingKind::DuesRun, Some(run)) => format!("dues-run/{run}"),
        (pb::ClaimBookingKind::Mandate, _) => "claim/mandate".into(),
        (pb::ClaimBookingKind::Amendment, _) => "claim/amendment".into(),
        (pb::ClaimBookingKind::LegalAct, _) => "claim/legal-act".into(),
        (pb::ClaimBookingKind::Closure, _) => "claim/closure".into(),
        _ => "claim/on-request".into(),
    }
}

/// The calculation's table of the dossier's case on `booked_to`.
async fn compute(
    conn: &mut PgConnection,
    calc: &Calculation,
    number: &str,
    snapshot: &pb::DossierSnapshot,
    booked_to: NaiveDate,
) -> ServiceResult<pb::ComputeArrearsResponse> {
    let inputs = case::CaseInputs {
        snapshot,
        recorded_acts: recorded_acts(conn, number).await?,
        payments: booked::allocated_payments(conn, number).await?,
    };
    let case =
        case::build(inputs).map_err(|e| ServiceError::failed_precondition(NOT_COMPUTABLE, e))?;
    calc.compute_arrears(pb::ComputeArrearsRequest {
        arrears_case: Some(case),
        calculation_date: Some(wire::date_to_pb(booked_to)),
        dossier_number: number.to_owned(),
        explanation: pb::ArrearsExplanationLevel::Summary as i32,
        ..Default::default()
    })
    .await
    .map_err(|s| calculation_error(&format!("the claim account of dossier {number}"), &s))
}

/// The account's row, with the summary of the table this booking writes (`save_lines`).
async fn save_account(
    conn: &mut PgConnection,
    (number, booked_to, bookings): (&str, NaiveDate, i64),
    fees: &Fees,
    summary: &LineSummary,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO claim_accounts (dossier_number, booked_to, bookings, fee_percent,
                                     creditor_deduction_percent, line_creditors, line_last_months,
                                     lines_interest, next_prescription)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (dossier_number) DO UPDATE
            SET booked_to = $2, bookings = $3, stale = false, line_creditors = $6,
                line_last_months = $7, lines_interest = $8, next_prescription = $9,
                updated_at = now()",
    )
    .bind(number)
    .bind(booked_to)
    .bind(bookings)
    .bind(fees.debtor)
    .bind(fees.creditor)
    .bind(summary.creditors())
    .bind(summary.months())
    .bind(summary.interest)
    .bind(summary.next_prescription)
    .execute(conn)
    .await?;
    Ok(())
}

/// The table of this booking replaces the last one.
async fn save_lines(
    conn: &mut PgConnection,
    number: &str,
    lines: &[target::Line],
    booked_to: NaiveDate,
) -> ServiceResult<()> {
    sqlx::query("DELETE FROM claim_lines WHERE dossier_number = $1")
        .bind(number)
        .execute(&mut *conn)
        .await?;
    let lines: Vec<(String, target::Line)> = lines
        .iter()
        .map(|l| (number.to_owned(), l.clone()))
        .collect();
    insert_lines(conn, &lines, booked_to).await
}

/// Adds lines of one or more dossiers to the booked tables (`claim_lines`).
pub(crate) async fn insert_lines(
    conn: &mut PgConnection,
    lines: &[(String, target::Line)],
    booked_to: NaiveDate,
) -> ServiceResult<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&target::Line) -> i64| lines.iter().map(|(_, l)| f(l)).collect::<Vec<i64>>();
    sqlx::query(
        "INSERT INTO claim_lines (dossier_number, creditor, creditor_position, kind, month, due_date,
                                  due_cents, unpaid_cents, status, prescription_limit,
                                  limitation_set_by, interest_cents, interest_from, booked_to)
         SELECT *, $14 FROM unnest($1::text[], $2::text[], $3::int[], $4::smallint[], $5::date[],
                                   $6::date[], $7::bigint[], $8::bigint[], $9::smallint[],
                                   $10::date[], $11::text[], $12::bigint[], $13::date[])",
    )
    .bind(lines.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.creditor.as_str()).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.position).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.kind as i16).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.month).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.due_date).collect::<Vec<_>>())
    .bind(col(|l| l.due))
    .bind(col(|l| l.unpaid))
    .bind(lines.iter().map(|(_, l)| l.status as i16).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.limit).collect::<Vec<_>>())
    .bind(lines.iter().map(|(_, l)| l.limitation_set_by.as_str()).collect::<Vec<_>>())
    .bind(col(|l| l.interest))
    .bind(lines.iter().map(|(_, l)| l.interest_from).collect::<Vec<_>>())
    .bind(booked_to)
    .execute(conn)
    .await?;
    Ok(())
}

/// The mandate's table beside the applicant's declaration, per creditor and month (written
/// once: a redelivered activation finds it).
async fn save_mandate(
    conn: &mut PgConnection,
    number: &str,
    s: &pb::DossierSnapshot,
    lines: &[target::Line],
    booked_to: NaiveDate,
) -> ServiceResult<()> {
    let rows = mandate_rows(s, lines);
    let creditors: Vec<&str> = rows.keys().map(|(c, _)| c.as_str()).collect();
    let months: Vec<NaiveDate> = rows.keys().map(|(_, m)| *m).collect();
    let declared: Vec<Option<i64>> = rows.values().map(|(d, _)| *d).collect();
    let computed: Vec<i64> = rows.values().map(|(_, c)| *c).collect();
    sqlx::query(
        "INSERT INTO claim_mandate_lines (dossier_number, creditor, month, declared_cents, computed_cents)
         SELECT $1, * FROM unnest($2::text[], $3::date[], $4::bigint[], $5::bigint[])
         ON CONFLICT DO NOTHING",
    )
    .bind(number)
    .bind(&creditors)
    .bind(&months)
    .bind(&declared)
    .bind(&computed)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE claim_accounts SET mandate_booked_to = COALESCE(mandate_booked_to, $2) WHERE dossier_number = $1",
    )
    .bind(number)
    .bind(booked_to)
    .execute(conn)
    .await?;
    Ok(())
}

/// (creditor, month) -> (declared unpaid, computed unpaid). A declared row without a
/// creditor key is the whole month of a form that did not split per creditor: it is set
/// beside the first creditor's line.
fn mandate_rows(
    s: &pb::DossierSnapshot,
    lines: &[target::Line],
) -> BTreeMap<(String, NaiveDate), (Option<i64>, i64)> {
    let party: BTreeMap<&str, String> = s
        .creditors
        .iter()
        .map(|c| (c.creditor_key.trim(), case::party_of(c)))
        .collect();
    let first = s.creditors.first().map(case::party_of).unwrap_or_default();
    let mut rows: BTreeMap<(String, NaiveDate), (Option<i64>, i64)> = BTreeMap::new();
    for l in lines {
        rows.entry((l.creditor.clone(), l.month)).or_default().1 += l.unpaid;
    }
    for r in s
        .declared_arrears
        .iter()
        .flat_map(|a| a.unpaid_months.iter())
    {
        let (Some(m), Some(cents)) = (
            r.month
                .and_then(|m| NaiveDate::from_ymd_opt(m.year, u32::try_from(m.month).ok()?, 1)),
            r.unpaid.as_ref().and_then(|u| {
                u.amount
                    .parse::<secal_domain::Money>()
                    .ok()?
                    .to_cents()
                    .ok()
            }),
        ) else {
            continue;
        };
        let who = party
            .get(r.creditor_key.trim())
            .cloned()
            .unwrap_or_else(|| first.clone());
        let cell = rows.entry((who, m)).or_default();
        cell.0 = Some(cell.0.unwrap_or(0) + cents);
    }
    rows
}

async fn journal(
    conn: &mut PgConnection,
    order: &Order<'_>,
    sequence: i64,
    booked_to: NaiveDate,
    t: target::Totals,
    transfers: usize,
) -> ServiceResult<pb::ClaimBooking> {
    let transfers = i32::try_from(transfers).map_err(ServiceError::internal)?;
    let at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "INSERT INTO claim_bookings (dossier_number, sequence, kind, booked_to, reason, principal_cents,
                                     fee_cents, interest_cents, barred_cents, transfers, run_date, booked_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING booked_at",
    )
    .bind(order.dossier)
    .bind(sequence)
    .bind(order.kind as i16)
    .bind(booked_to)
    .bind(&order.reason)
    .bind(t.principal)
    .bind(t.fee)
    .bind(t.interest)
    .bind(t.time_barred)
    .bind(transfers)
    .bind(order.run_date)
    .bind(order.actor)
    .fetch_one(conn)
    .await?;
    Ok(pb::ClaimBooking {
        sequence,
        kind: order.kind as i32,
        booked_to: Some(wire::date_to_pb(booked_to)),
        reason: order.reason.clone(),
        principal: Some(ledger::cents_pb(t.principal)),
        fee: Some(ledger::cents_pb(t.fee)),
        interest: Some(ledger::cents_pb(t.interest)),
        time_barred: Some(ledger::cents_pb(t.time_barred)),
        transfers,
        booked: Some(pb::AuditStamp {
            actor: order.actor.to_owned(),
            at: wire::timestamp(at),
            ..Default::default()
        }),
    })
}

/// BookClaimAccount, parsed.
struct BookCommand {
    key: String,
    dossier: String,
    booked_to: NaiveDate,
}

impl TryFrom<&pb::BookClaimAccountRequest> for BookCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::BookClaimAccountRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.take(dossier_field(&req.dossier_number));
        let booked_to = v.take_all(not_future("booked_to", req.booked_to.as_ref()));
        v.finish(|| {
            Some(BookCommand {
                key: key?,
                dossier: dossier?,
                booked_to: booked_to?,
            })
        })
    }
}

/// A dossier number field (`dossier_number`), normalised: the receipts' parser.
pub(crate) fn dossier_field(raw: &str) -> Result<String, secal_runtime::FieldViolation> {
    crate::receipts::payments::dossier("dossier_number", raw).map(|d| d.to_string())
}

/// A date defaulting to today and never after it.
pub(crate) fn not_future(field: &str, d: Option<&pb::Date>) -> ServiceResult<NaiveDate> {
    let today = chrono::Utc::now().date_naive();
    let date = wire::optional_date_from_pb(field, d)?.unwrap_or(today);
    if date > today {
        return Err(ServiceError::invalid_field(
            field,
            "must not be in the future",
        ));
    }
    Ok(date)
}

/// BookClaimAccount: one dossier booked to a date, idempotent by its key.
#[tracing::instrument(skip_all)]
pub(crate) async fn on_request(
    api: &crate::api::PaymentsApi,
    caller: &Caller,
    req: pb::BookClaimAccountRequest,
) -> ServiceResult<pb::BookClaimAccountResponse> {
    let c = BookCommand::try_from(&req)?;
    let mut tx = Booking::begin(&api.pool).await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, "BookClaimAccount", &c.key, &req).await?
    {
        return Ok(resp);
    }
    let order = Order {
        dossier: &c.dossier,
        booked_to: c.booked_to,
        kind: pb::ClaimBookingKind::OnRequest,
        reason: format!("booked on request to {}", c.booked_to),
        run_date: None,
        actor: &caller.actor().id,
    };
    let out = book(&mut tx, api.calculation.as_ref(), order).await?;
    let resp = pb::BookClaimAccountResponse {
        booking: out.booking,
        booked_to: out.booked_to.map(wire::date_to_pb),
    };
    idempotency::complete(&mut tx, "BookClaimAccount", &c.key, &resp).await?;
    let by = crate::casework::By::of(caller);
    super::watch::refresh_watch_tasks(&mut tx, Some(&c.dossier), "BookClaimAccount", by).await?;
    tx.commit().await?;
    Ok(resp)
}
