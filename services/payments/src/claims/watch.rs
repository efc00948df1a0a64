//! ListPrescriptionWatch: the open lines of the dossiers' last bookings (`claim_lines`) whose
//! prescription limit falls within some days, soonest first, with the amount that would be
//! lost and the acts that would save it; and the gauge of the amount at risk within 90 days,
//! refreshed after each dues run.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_rules::claim::ActKind;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::{PgConnection, PgPool};

use crate::api::PaymentsApi;
use crate::casework;
use crate::ledger::{cents_pb, month_pb};

/// The window of the watch when the request names none, and of the at-risk gauge.
const DEFAULT_WITHIN_DAYS: i32 = 90;
const MAX_WITHIN_DAYS: i32 = 3_650;

/// ListPrescriptionWatch, parsed.
#[derive(Debug)]
struct WatchCommand {
    from: NaiveDate,
    to: NaiveDate,
    dossier: Option<String>,
    page: wire::Page,
}

impl TryFrom<&pb::ListPrescriptionWatchRequest> for WatchCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPrescriptionWatchRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let within = match req.within_days {
            0 => Some(DEFAULT_WITHIN_DAYS),
            n if (1..=MAX_WITHIN_DAYS).contains(&n) => Some(n),
            _ => {
                v.add("within_days", "must be between 1 and 3,650");
                None
            }
        };
        let as_of = v
            .take_all(wire::optional_date_from_pb("as_of", req.as_of.as_ref()))
            .map(|d| d.unwrap_or_else(|| Utc::now().date_naive()));
        let dossier = match req.dossier_number.trim() {
            "" => Some(None),
            d => v
                .take(crate::receipts::payments::dossier("dossier_number", d))
                .map(|d| Some(d.to_string())),
        };
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            let from = as_of?;
            Some(WatchCommand {
                from,
                // Dates are bounded to years 1900–2999 and the window to ten years: no overflow.
                to: from.checked_add_signed(Duration::days(i64::from(within?)))?,
                dossier: dossier?,
                page: page?,
            })
        })
    }
}

/// One line of the watch, as stored.
#[derive(Debug, sqlx::FromRow)]
struct WatchRow {
    dossier_number: String,
    creditor: String,
    month: NaiveDate,
    due_date: NaiveDate,
    prescription_limit: NaiveDate,
    unpaid_cents: i64,
    booked_to: NaiveDate,
}

/// The lines the watch is about: open, unpaid, the limit in the window; `$3` a dossier or
/// NULL for all. Written once for the page and the total so that both select the same lines.
const WATCHED: &str = "FROM claim_lines
     WHERE status = 1 AND unpaid_cents > 0
       AND prescription_limit BETWEEN $1 AND $2
       AND ($3::text IS NULL OR dossier_number = $3)";

/// Open lines soonest to prescribe first. Ordered by limit, not by a key that grows, so the
/// page token is the position reached (as ListLedgerTransfers does).
#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListPrescriptionWatchRequest,
) -> ServiceResult<pb::ListPrescriptionWatchResponse> {
    let c = WatchCommand::try_from(&req)?;
    let offset = c.page.after.unwrap_or(0);
    let rows: Vec<WatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT dossier_number, creditor, month, due_date, prescription_limit, unpaid_cents,
                booked_to
         {WATCHED}
         ORDER BY prescription_limit, dossier_number, creditor_position, creditor, month, kind
         OFFSET $4 LIMIT $5"
    )))
    .bind(c.from)
    .bind(c.to)
    .bind(&c.dossier)
    .bind(offset)
    .bind(c.page.size)
    .fetch_all(&api.pool)
    .await?;
    let total = at_stake(&api.pool, c.from, c.to, c.dossier.as_deref()).await?;
    // The request the gauge stands for: record it while we have it.
    if c.dossier.is_none() && c.from == Utc::now().date_naive() && c.to == gauge_window_end(c.from)
    {
        at_risk_gauge().record(total, &[]);
    }
    let interrupted_by = interrupting_acts();
    // A page holds at most MAX_PAGE_SIZE lines: the conversion cannot saturate.
    let reached = offset.saturating_add(i64::try_from(rows.len()).unwrap_or(i64::MAX));
    Ok(pb::ListPrescriptionWatchResponse {
        page: Some(wire::page_to_pb(&c.page, rows.len(), Some(reached))),
        items: rows
            .iter()
            .map(|r| item(r, c.from, &interrupted_by))
            .collect(),
        total_at_stake: Some(cents_pb(total)),
    })
}

fn item(r: &WatchRow, as_of: NaiveDate, interrupted_by: &[i32]) -> pb::PrescriptionWatchItem {
    // The window is at most 3,650 days: the count fits.
    let days_left = i32::try_from((r.prescription_limit - as_of).num_days()).unwrap_or(i32::MAX);
    pb::PrescriptionWatchItem {
        dossier_number: r.dossier_number.clone(),
        creditor_person_id: r.creditor.clone(),
        month: Some(month_pb(r.month)),
        due_date: Some(wire::date_to_pb(r.due_date)),
        prescription_limit: Some(wire::date_to_pb(r.prescription_limit)),
        days_left,
        at_stake: Some(cents_pb(r.unpaid_cents)),
        interrupted_by: interrupted_by.to_vec(),
        booked_to: Some(wire::date_to_pb(r.booked_to)),
    }
}

/// The unpaid amount of every watched line, not only a page's.
async fn at_stake(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    dossier: Option<&str>,
) -> ServiceResult<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(sum(unpaid_cents), 0)::bigint {WATCHED}"
    )))
    .bind(from)
    .bind(to)
    .bind(dossier)
    .fetch_one(pool)
    .await?)
}

/// Every act of the rules, to find those that interrupt prescription.
const ACT_KINDS: [ActKind; 6] = [
    ActKind::FormalNotice,
    ActKind::Summons,
    ActKind::PaymentOrder,
    ActKind::Seizure,
    ActKind::DebtorAcknowledgement,
    ActKind::Judgment,
];

fn act_kind_pb(kind: ActKind) -> pb::LegalActKind {
    use pb::LegalActKind as L;
    match kind {
        ActKind::FormalNotice => L::FormalNotice,
        ActKind::Summons => L::Summons,
        ActKind::PaymentOrder => L::PaymentOrder,
        ActKind::Seizure => L::Seizure,
        ActKind::DebtorAcknowledgement => L::DebtorAcknowledgement,
        ActKind::Judgment => L::Judgment,
    }
}

/// The acts that would interrupt a line's prescription, as the rules say (not a list of our
/// own that could drift from them).
fn interrupting_acts() -> Vec<i32> {
    ACT_KINDS
        .into_iter()
        .filter(|k| k.interrupts_prescription())
        .map(|k| act_kind_pb(k) as i32)
        .collect()
}

fn gauge_window_end(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_signed(Duration::days(i64::from(DEFAULT_WITHIN_DAYS)))
        .unwrap_or(today)
}

/// The unpaid amount of the open lines prescribing within 90 days of today, as the last
/// bookings left them. A gauge, not a counter: each refresh states the whole amount. Every
/// replica reports the same figure, so a dashboard takes the maximum, not the sum.
fn at_risk_gauge() -> &'static opentelemetry::metrics::Gauge<i64> {
    static GAUGE: OnceLock<opentelemetry::metrics::Gauge<i64>> = OnceLock::new();
    GAUGE.get_or_init(|| {
        secal_runtime::telemetry::meter()
            .i64_gauge("secal.claims.prescription_at_risk_cents")
            .with_unit("cent")
            .with_description(
                "euro cents of open claim lines that become time-barred within 90 days",
            )
            .build()
    })
}

/// Recomputes the at-risk gauge from the claim lines; the dues run calls it when it ends (its
/// bookings replace the lines).
pub(crate) async fn refresh_at_risk_metric(pool: &PgPool) -> ServiceResult<i64> {
    let today = Utc::now().date_naive();
    let cents = at_stake(pool, today, gauge_window_end(today), None).await?;
    at_risk_gauge().record(cents, &[]);
    Ok(cents)
}

/// The watch as tasks of the one work queue: a dossier with open lines becoming time-barred
/// within 90 days gets a task (due: the first line's limit), and one whose lines are no
/// longer at risk (an act interrupted them, they were paid or booked away) has it closed by
/// `action`. For one dossier (after its booking or act, in that transaction) or for all (after
/// a dues run). As the transaction's last writes: the feed's lock is held to the commit.
pub(crate) async fn refresh_watch_tasks(
    conn: &mut PgConnection,
    dossier: Option<&str>,
    action: &'static str,
    by: casework::By<'_>,
) -> ServiceResult<usize> {
    let today = Utc::now().date_naive();
    let at_risk: Vec<(String, NaiveDate, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT dossier_number, min(prescription_limit), sum(unpaid_cents)::bigint {WATCHED}
          GROUP BY dossier_number ORDER BY dossier_number"
    )))
    .bind(today)
    .bind(gauge_window_end(today))
    .bind(dossier)
    .fetch_all(&mut *conn)
    .await?;
    let kind = pb::TaskKind::PrescriptionWatch;
    let risky: Vec<String> = at_risk
        .iter()
        .map(|(d, _, _)| casework::subject::prescription_watch(d))
        .collect();
    let watched = dossier.map(casework::subject::prescription_watch);
    let resolved: Vec<String> = casework::open_subjects(conn, kind)
        .await?
        .into_iter()
        .filter(|s| watched.as_ref().is_none_or(|w| w == s) && !risky.contains(s))
        .collect();
    let mut events = casework::closings(kind, resolved, action);
    for ((dossier, first, cents), subject) in at_risk.into_iter().zip(risky) {
        events.push(casework::Event::Opened(casework::Opening {
            kind,
            subject,
            summary: format!(
                "dossier {dossier}: EUR {} of claims become time-barred from {first}: take an \
                 interrupting act (summons, payment order, seizure, the debtor's written \
                 acknowledgement) and record it (RecordLegalAct)",
                cents_pb(cents).amount
            ),
            dossier_number: dossier,
            listed_from: today,
            due_on: first,
        }));
    }
    casework::write(conn, events, by).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(within_days: i32) -> pb::ListPrescriptionWatchRequest {
        pb::ListPrescriptionWatchRequest {
            within_days,
            as_of: Some(wire::date_to_pb(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            )),
            ..Default::default()
        }
    }

    #[test]
    fn the_window_defaults_to_90_days_and_is_inclusive_of_both_ends() {
        let c = WatchCommand::try_from(&req(0)).expect("valid");
        assert_eq!(
            c.from,
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
        );
        assert_eq!(
            c.to,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default()
        );
        assert_eq!((c.dossier, c.page.size), (None, wire::DEFAULT_PAGE_SIZE));
        let c = WatchCommand::try_from(&req(3_650)).expect("valid");
        assert_eq!((c.to - c.from).num_days(), 3_650);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut r = req(3_651);
        r.dossier_number = "SEC-2024".into();
        r.as_of = Some(pb::Date {
            year: 2026,
            month: 2,
            day: 30,
        });
        r.page = Some(pb::PageRequest {
            page_size: -1,
            page_token: String::new(),
        });
        let err = WatchCommand::try_from(&r).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["within_days", "as_of", "dossier_number", "page.page_size"]
        );
        assert!(WatchCommand::try_from(&req(-5)).is_err());
    }

    #[test]
    fn the_interrupting_acts_are_the_rules_ones() {
        use pb::LegalActKind as L;
        assert_eq!(
            interrupting_acts(),
            [
                L::Summons as i32,
                L::PaymentOrder as i32,
                L::Seizure as i32,
                L::DebtorAcknowledgement as i32
            ]
        );
    }

    #[test]
    fn an_item_counts_its_days_left_from_as_of() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        let row = WatchRow {
            dossier_number: "SEC-2024-000001-xx".into(),
            creditor: "child-1".into(),
            month: d(1, 1),
            due_date: d(1, 5),
            prescription_limit: d(12, 31),
            unpaid_cents: 12_345,
            booked_to: d(11, 30),
        };
        let i = item(&row, d(12, 1), &[2]);
        assert_eq!(i.days_left, 30);
        assert_eq!(i.at_stake.map(|m| m.amount), Some("123.45".into()));
        assert_eq!(i.interrupted_by, [2]);
    }
}
