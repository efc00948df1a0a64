//! What a plan settles: the dossiers' enforceable debt on its creation day and the dues
//! falling due over the plan (the title's monthly amounts per creditor, not indexed); how a
//! plan until settled is sized on both; and, read back later, whether the debt moved
//! otherwise than the plan foresaw.
//!
//! The two figures are kept as steps of the plan's sizing explanation (rule ids
//! [`DEBT_RULE`] and [`DUES_RULE`], results in euros): they are how the plan was sized, and
//! the plan row has no column of its own for them.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_rules::payment_plan::{self, Instalment, MAX_INSTALMENTS};
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use crate::db_enum::{debtor_debt_kinds, sql_enum};
use crate::ledger::AccountKind as K;
use crate::recovery::debt::total_enforceable_on;

/// Rule id of the explanation step holding the enforceable debt the plan was sized on.
pub(super) const DEBT_RULE: &str = "PLAN_ENFORCEABLE_DEBT";
/// Rule id of the explanation step holding the dues the plan counted.
pub(super) const DUES_RULE: &str = "PLAN_DUES";
const CREDITOR_DUES_RULE: &str = "PLAN_DUES_CREDITOR";

/// One creditor's maintenance for one month under the title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Due {
    pub dossier: String,
    pub creditor: String,
    /// The first of the month.
    pub month: NaiveDate,
    pub due_on: NaiveDate,
    pub cents: i64,
}

/// What a new plan was sized on.
pub(super) struct Settles {
    /// The enforceable debt on the creation day.
    pub debt: i64,
    /// The dues counted, oldest first.
    pub dues: Vec<Due>,
}

impl Settles {
    pub fn dues_cents(&self) -> i64 {
        self.dues.iter().map(|d| d.cents).sum()
    }
}

/// The date a month's maintenance falls due under the title: its due day (0 is the 1st),
/// the month's last day when the month is shorter.
fn due_on(month: NaiveDate, due_day: i32) -> Option<NaiveDate> {
    let last = month.checked_add_months(Months::new(1))?.pred_opt()?.day();
    let day = u32::try_from(due_day.max(1)).ok()?.min(last);
    month.with_day(day)
}

fn first_of(m: Option<&pb::YearMonth>) -> Option<NaiveDate> {
    let m = m?;
    NaiveDate::from_ymd_opt(m.year, u32::try_from(m.month).ok()?, 1)
}

/// The title's dues of one dossier falling due after `after` and on or before `until`: each
/// creditor's monthly amount, as the title fixes it (not indexed), for the title's months (from
/// its first month, to the creditor's last month when known), none after the dossier closed.
pub(super) fn title_dues(
    s: &pb::DossierSnapshot,
    after: NaiveDate,
    until: NaiveDate,
) -> ServiceResult<Vec<Due>> {
    let Some(title) = &s.title else {
        return Ok(Vec::new());
    };
    let first = first_of(title.first_month.as_ref());
    let closed = s.closed_on.as_ref().and_then(|d| {
        NaiveDate::from_ymd_opt(
            d.year,
            u32::try_from(d.month).ok()?,
            u32::try_from(d.day).ok()?,
        )
    });
    let mut out = Vec::new();
    for c in &s.creditors {
        let cents = match c.monthly_amount.as_ref().map(|m| m.amount.trim()) {
            None | Some("") => 0,
            Some(a) => a
                .parse::<Money>()
                .and_then(|m| m.to_cents())
                .map_err(ServiceError::internal)?,
        };
        if cents <= 0 {
            continue;
        }
        // The party the claim account books the creditor's months to: the person, else the key.
        let creditor = c
            .person
            .as_ref()
            .map(|p| p.person_id.trim().to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| c.creditor_key.trim().to_owned());
        let last = first_of(c.last_month.as_ref());
        let mut month = after.with_day(1);
        while let Some(m) = month.filter(|m| *m <= until) {
            let due = due_on(m, title.due_day);
            let in_title = first.is_none_or(|f| m >= f) && last.is_none_or(|l| m <= l);
            if let Some(due) = due.filter(|d| *d > after && *d <= until && in_title)
                && closed.is_none_or(|c| due <= c)
            {
                out.push(Due {
                    dossier: s.dossier_number.clone(),
                    creditor: creditor.clone(),
                    month: m,
                    due_on: due,
                    cents,
                });
            }
            month = m.checked_add_months(Months::new(1));
        }
    }
    Ok(out)
}

/// The months (dossier, creditor, month) whose principal the ledger holds as enforceable on
/// `on`: a posted debt recognition to the creditor for the month, valued on or before `on`.
async fn booked(
    conn: &mut PgConnection,
    dossiers: &[String],
    on: NaiveDate,
) -> ServiceResult<BTreeSet<(String, String, NaiveDate)>> {
    let rows: Vec<(String, String, NaiveDate)> = sqlx::query_as(concat!(
        "SELECT DISTINCT a.dossier_number, a.party_person_id, t.for_month
           FROM ledger_accounts a JOIN ledger_transfers t ON t.credit_account = a.id
          WHERE a.dossier_number = ANY($1) AND a.kind = $2 AND t.code = $3 AND t.state = ",
        sql_enum!(TransferState::Posted),
        " AND t.value_date <= $4 AND t.for_month IS NOT NULL AND a.party_person_id IS NOT NULL"
    ))
    .bind(dossiers)
    .bind(K::CreditorClaim as i16)
    .bind(pb::TransferCode::DebtRecognition as i16)
    .bind(on)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The dossiers' title dues falling due after `after` and on or before `until` that the
/// ledger does not yet hold as enforceable on `on` (those are in the enforceable debt).
pub(super) async fn dues_to_come(
    conn: &mut PgConnection,
    dossiers: &[String],
    (after, until): (NaiveDate, NaiveDate),
    on: NaiveDate,
) -> ServiceResult<Vec<Due>> {
    let snapshots: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT snapshot FROM dossier_states WHERE dossier_number = ANY($1)")
            .bind(dossiers)
            .fetch_all(&mut *conn)
            .await?;
    let held = booked(&mut *conn, dossiers, on).await?;
    let mut out = Vec::new();
    for bytes in snapshots {
        let s = pb::DossierSnapshot::decode(bytes.as_slice()).map_err(ServiceError::internal)?;
        out.extend(
            title_dues(&s, after, until)?
                .into_iter()
                .filter(|d| !held.contains(&(d.dossier.clone(), d.creditor.clone(), d.month))),
        );
    }
    out.sort_by(|a, b| {
        (a.due_on, &a.dossier, &a.creditor).cmp(&(b.due_on, &b.dossier, &b.creditor))
    });
    Ok(out)
}

fn too_long() -> ServiceError {
    ServiceError::failed_precondition(
        "PLAN_TOO_LONG",
        format!(
            "the plan would need more than {MAX_INSTALMENTS} instalments: the instalment must \
             outrun the dues falling due each month"
        ),
    )
}

/// The instalments of a new plan and what it is sized on, on `today` (its creation day). A
/// plan until settled (`count` 0) pays the enforceable debt and the dues falling due until its
/// last instalment; as more dues make the plan longer and a longer plan counts more dues, the
/// count is grown until it settles both.
pub(super) async fn size(
    conn: &mut PgConnection,
    dossiers: &[String],
    (start, due_day): (NaiveDate, u32),
    (amount, count): (i64, i64),
    today: NaiveDate,
) -> ServiceResult<(Vec<Instalment>, Settles)> {
    let debt = total_enforceable_on(&mut *conn, dossiers, today).await?;
    if count == 0 && debt <= 0 {
        return Err(ServiceError::failed_precondition(
            "NO_OUTSTANDING_DEBT",
            "nothing is enforceable on these dossiers today: a plan until settled has no \
             instalment",
        ));
    }
    // Every due a plan of this start could count, read once: the longest plan allowed.
    let horizon = u32::try_from(MAX_INSTALMENTS)
        .ok()
        .and_then(|n| payment_plan::due_date(start, due_day, n))
        .ok_or_else(too_long)?;
    let dues = dues_to_come(&mut *conn, dossiers, (today, horizon), today).await?;
    let mut total = debt;
    // Each round either keeps the total (done) or adds at least one due; bounded for safety.
    for _ in 0..=dues.len() + 1 {
        let instalments =
            payment_plan::instalments(start, due_day, amount, count, total).ok_or_else(too_long)?;
        let end = instalments.last().map_or(start, |i| i.due_date);
        let counted: Vec<Due> = dues.iter().filter(|d| d.due_on <= end).cloned().collect();
        let settles = Settles {
            debt,
            dues: counted,
        };
        let needed = debt + settles.dues_cents();
        if count != 0 || needed == total {
            return Ok((instalments, settles));
        }
        total = needed;
    }
    Err(too_long())
}

fn euros(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

/// The explanation of a new plan: the calculation service's seizable-income steps, then the
/// debt and the dues the plan was sized on.
pub(super) fn explain(
    seizable: Option<&pb::Explanation>,
    settles: &Settles,
    dossiers: &[String],
    today: NaiveDate,
) -> pb::Explanation {
    let mut e = seizable.cloned().unwrap_or_default();
    let step =
        |id: String, rule: &str, detail: String, subject: String, cents: i64| pb::RuleApplied {
            step_id: id,
            rule_id: rule.into(),
            legal_basis: "house rule".into(),
            detail,
            subject,
            result: euros(cents),
            reference_value_ids: Vec::new(),
        };
    e.rules.push(step(
        "plan-debt".into(),
        DEBT_RULE,
        format!(
            "enforceable debt of {} on {today}: debtor principal, interest and surcharge, \
             posted transfers valued up to that day",
            dossiers.join(", ")
        ),
        String::new(),
        settles.debt,
    ));
    let mut by_creditor: Vec<(&str, &str, Vec<&Due>)> = Vec::new();
    for d in &settles.dues {
        match by_creditor
            .iter_mut()
            .find(|(x, c, _)| *x == d.dossier && *c == d.creditor)
        {
            Some((_, _, v)) => v.push(d),
            None => by_creditor.push((&d.dossier, &d.creditor, vec![d])),
        }
    }
    for (i, (dossier, creditor, v)) in by_creditor.iter().enumerate() {
        let cents: i64 = v.iter().map(|d| d.cents).sum();
        let (first, last) = (v.first().map(|d| d.month), v.last().map(|d| d.month));
        e.rules.push(step(
            format!("plan-dues-{}", i + 1),
            CREDITOR_DUES_RULE,
            format!(
                "{} month(s) from {} to {}, title amount {} a month, not indexed",
                v.len(),
                first
                    .map(|m| m.format("%Y-%m").to_string())
                    .unwrap_or_default(),
                last.map(|m| m.format("%Y-%m").to_string())
                    .unwrap_or_default(),
                euros(v.first().map_or(0, |d| d.cents)),
            ),
            format!("dossier {dossier}, creditor {creditor}"),
            cents,
        ));
    }
    e.rules.push(step(
        "plan-dues".into(),
        DUES_RULE,
        format!("dues falling due after {today} until the plan's last instalment"),
        String::new(),
        settles.dues_cents(),
    ));
    e
}

/// The debt and dues a plan was sized on, from its explanation; `None` for a plan sized before
/// they were counted.
pub(super) fn sized_on(e: Option<&pb::Explanation>) -> Option<(i64, i64)> {
    let figure = |rule: &str| {
        e?.rules
            .iter()
            .rfind(|r| r.rule_id == rule)
            .and_then(|r| r.result.parse::<Money>().ok())
            .and_then(|m| m.to_cents().ok())
    };
    Some((figure(DEBT_RULE)?, figure(DUES_RULE)?))
}

/// What the debtor paid on the dossiers' debt, as the ledger allocated it, recorded after
/// `since` and valued up to `on`.
async fn allocated_since(
    conn: &mut PgConnection,
    dossiers: &[String],
    since: DateTime<Utc>,
    on: NaiveDate,
) -> ServiceResult<i64> {
    Ok(sqlx::query_scalar(concat!(
        "SELECT COALESCE(sum(t.amount), 0)::bigint
           FROM ledger_accounts a JOIN ledger_transfers t ON t.credit_account = a.id
          WHERE a.dossier_number = ANY($1) AND a.kind IN ",
        debtor_debt_kinds!(),
        " AND t.code = $2 AND t.state = ",
        sql_enum!(TransferState::Posted),
        " AND t.recorded_at > $3 AND t.value_date <= $4"
    ))
    .bind(dossiers)
    .bind(pb::TransferCode::Allocation as i16)
    .bind(since)
    .bind(on)
    .fetch_one(conn)
    .await?)
}

/// A plan's debt on `on` as GetPaymentPlan reports it.
pub(super) struct DebtNow {
    pub current: i64,
    pub changed: bool,
}

/// The plan's enforceable debt on `on`, and whether it moved otherwise than foreseen: today's
/// debt plus the counted dues not yet enforceable must equal the debt and dues it was sized
/// on less what the debtor paid since. `sized` is `None` for a plan sized before the debt was
/// counted (never flagged); an ended plan is never flagged.
pub(super) async fn debt_now(
    conn: &mut PgConnection,
    plan: (&[String], DateTime<Utc>, NaiveDate),
    sized: Option<(i64, i64)>,
    active: bool,
    on: NaiveDate,
) -> ServiceResult<DebtNow> {
    let (dossiers, created_at, last_due) = plan;
    let current = total_enforceable_on(&mut *conn, dossiers, on).await?;
    let Some((debt, dues)) = sized.filter(|_| active) else {
        return Ok(DebtNow {
            current,
            changed: false,
        });
    };
    let created = created_at.date_naive();
    let to_come: i64 = dues_to_come(&mut *conn, dossiers, (created, last_due), on)
        .await?
        .iter()
        .map(|d| d.cents)
        .sum();
    let paid = allocated_since(&mut *conn, dossiers, created_at, on).await?;
    Ok(DebtNow {
        current,
        changed: current + to_come != debt + dues - paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn snapshot(due_day: i32, last_month: Option<pb::YearMonth>) -> pb::DossierSnapshot {
        pb::DossierSnapshot {
            dossier_number: "D".into(),
            title: Some(pb::ExecutoryTitle {
                first_month: Some(pb::YearMonth {
                    year: 2024,
                    month: 3,
                }),
                due_day,
                ..Default::default()
            }),
            creditors: vec![pb::DossierCreditor {
                person: Some(pb::DossierPerson {
                    person_id: "child-1".into(),
                    ..Default::default()
                }),
                monthly_amount: Some(pb::Money {
                    amount: "150.00".into(),
                }),
                last_month,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn dues_fall_due_after_the_day_until_the_end_within_the_title() -> ServiceResult<()> {
        let months = |v: Vec<Due>| v.iter().map(|x| x.due_on).collect::<Vec<_>>();
        // Due on the 5th: February is before the title, March 5 is after 1 March.
        let dues = title_dues(&snapshot(5, None), d(2024, 2, 1), d(2024, 5, 5))?;
        assert_eq!(
            months(dues.clone()),
            [d(2024, 3, 5), d(2024, 4, 5), d(2024, 5, 5)]
        );
        assert!(
            dues.iter()
                .all(|x| x.cents == 15_000 && x.creditor == "child-1")
        );
        // Due on the 1st: the day itself is not after it.
        let dues = title_dues(&snapshot(0, None), d(2024, 4, 1), d(2024, 6, 30))?;
        assert_eq!(months(dues), [d(2024, 5, 1), d(2024, 6, 1)]);
        // The 31st in a short month is its last day; nothing after the creditor's last month.
        let last = Some(pb::YearMonth {
            year: 2024,
            month: 4,
        });
        let dues = title_dues(&snapshot(31, last), d(2024, 3, 31), d(2024, 12, 31))?;
        assert_eq!(months(dues), [d(2024, 4, 30)]);
        Ok(())
    }

    #[test]
    fn the_sized_figures_are_read_back_from_the_explanation() {
        let settles = Settles {
            debt: 50_000,
            dues: vec![Due {
                dossier: "D".into(),
                creditor: "c".into(),
                month: d(2027, 1, 1),
                due_on: d(2027, 1, 1),
                cents: 15_000,
            }],
        };
        let e = explain(None, &settles, &["D".into()], d(2026, 12, 6));
        assert_eq!(sized_on(Some(&e)), Some((50_000, 15_000)));
        assert_eq!(sized_on(None), None);
        assert_eq!(sized_on(Some(&pb::Explanation::default())), None);
    }
}
