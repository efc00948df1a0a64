//! DetectMissedPlanInstalments: an instalment of an active plan due before `as_of − grace`
//! and not covered by the debtor's payments (received from the plan's start to `as_of`) is
//! marked missed once; a later detection finds it marked and does not list it again. A plan
//! whose every instalment is covered on `as_of` ends, completed, on that date. A plan with
//! instalments newly missed gets one breach letter to the debtor (through the case-work
//! feed): what he missed and the date to pay it by, before the plan is ended.

use chrono::{Days, NaiveDate};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, idempotency, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{instalments_as_of, store};
use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::db_enum::sql_enum;
use crate::ledger;
use secal_proto::v1::PaymentPlanEndReason as R;

const METHOD: &str = "DetectMissedPlanInstalments";
const DEFAULT_GRACE_DAYS: u64 = 10;

#[derive(sqlx::FromRow)]
struct ActivePlan {
    id: Uuid,
    debtor_person_id: String,
    dossier_numbers: Vec<String>,
    start_date: NaiveDate,
    structured_reference: String,
}

/// DetectMissedPlanInstalments, parsed.
struct DetectCommand {
    key: String,
    as_of: NaiveDate,
    /// Instalments due before this date (`as_of` less the grace period) can be missed.
    due_before: NaiveDate,
}

impl TryFrom<&pb::DetectMissedPlanInstalmentsRequest> for DetectCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::DetectMissedPlanInstalmentsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let as_of = v.take_all(wire::date_from_pb("as_of", req.as_of.as_ref()));
        let grace = match req.grace_days {
            0 => Some(DEFAULT_GRACE_DAYS),
            g @ 1..=366 => Some(g.unsigned_abs().into()),
            _ => {
                v.add("grace_days", "0 (default 10) to 366");
                None
            }
        };
        let due_before = match (as_of, grace) {
            (Some(on), Some(g)) => {
                let d = on.checked_sub_days(Days::new(g));
                if d.is_none() {
                    v.add("as_of", "too early");
                }
                d
            }
            _ => None,
        };
        v.finish(|| {
            Some(DetectCommand {
                key: key?,
                as_of: as_of?,
                due_before: due_before?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn detect_missed(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::DetectMissedPlanInstalmentsRequest,
) -> ServiceResult<pb::DetectMissedPlanInstalmentsResponse> {
    let pool = &api.pool;
    let DetectCommand {
        key,
        as_of,
        due_before,
    } = DetectCommand::try_from(&req)?;
    let mut tx = pool.begin().await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, METHOD, &key, &req).await?
    {
        return Ok(resp);
    }
    // The literal status is the predicate of the partial index `payment_plans_active`.
    let plans: Vec<ActivePlan> = sqlx::query_as(concat!(
        "SELECT id, debtor_person_id, dossier_numbers, start_date, structured_reference
           FROM payment_plans
         WHERE status = ",
        sql_enum!(PaymentPlanStatus::Active),
        " ORDER BY seq FOR UPDATE"
    ))
    .fetch_all(&mut *tx)
    .await?;
    let actor = &caller.actor().id;
    let mut missed = Vec::new();
    let mut completed = Vec::new();
    let mut events = Vec::new();
    let mut breaches = Vec::new();
    for plan in &plans {
        let (m, paid_up) = judge(&mut tx, plan, as_of, due_before, actor, &mut events).await?;
        if !m.is_empty() {
            breaches.push(breach_letter(plan, &m, as_of));
        }
        missed.extend(m);
        if paid_up {
            completed.push(plan.id);
        }
    }
    if !completed.is_empty() {
        store::end_plans(
            &mut tx,
            &completed,
            R::Completed,
            as_of,
            "every instalment paid",
            actor,
        )
        .await?;
    }
    casework::write(&mut tx, events, By::of(caller)).await?;
    for (dossier, subject, letter) in breaches {
        casework::letters::request(&mut tx, &dossier, subject, &letter, By::of(caller)).await?;
    }
    let resp = pb::DetectMissedPlanInstalmentsResponse {
        missed,
        // Saturates: a count past i32 cannot be told on the wire.
        plans_checked: i32::try_from(plans.len()).unwrap_or(i32::MAX),
        completed_plan_ids: completed.iter().map(Uuid::to_string).collect(),
    };
    idempotency::complete(&mut tx, METHOD, &key, &resp).await?;
    tx.commit().await?;
    tracing::info!(
        missed = resp.missed.len(),
        plans = plans.len(),
        "missed instalments detected"
    );
    Ok(resp)
}

/// Marks the plan's newly missed instalments; also says whether every instalment is paid.
/// Their case work goes to `casework`: a task for each instalment newly missed, and the
/// closing of the task of each instalment once missed and paid since (this detection is
/// where the service judges instalments: a payment is allocated to dossiers, not plans).
async fn judge(
    conn: &mut PgConnection,
    plan: &ActivePlan,
    as_of: NaiveDate,
    due_before: NaiveDate,
    actor: &str,
    casework: &mut Vec<casework::Event>,
) -> ServiceResult<(Vec<pb::MissedPlanInstalment>, bool)> {
    let state = instalments_as_of(
        &mut *conn,
        plan.id,
        &plan.dossier_numbers,
        plan.start_date,
        as_of,
    )
    .await?;
    let paid_up = state.iter().all(|(r, c)| *c >= r.amount_cents);
    let mut out = Vec::new();
    for (r, c) in state {
        let (number, due, amount) = (r.number, r.due_date, r.amount_cents);
        if r.missed_on.is_some() && c >= amount {
            let subject = casework::subject::plan_instalment(plan.id, due);
            let kind = pb::TaskKind::MissedPlanInstalment;
            casework.extend(casework::closings(kind, [subject], METHOD));
            continue;
        }
        if r.missed_on.is_some() || due >= due_before || c >= amount {
            continue;
        }
        // Marked only if still unmarked: a concurrent detection lists it once, not twice.
        let done =
            store::mark_missed(&mut *conn, plan.id, number, as_of, amount - c, actor).await?;
        if done {
            casework.push(missed_instalment(plan, number, due, amount - c));
            out.push(pb::MissedPlanInstalment {
                plan_id: plan.id.to_string(),
                debtor_person_id: plan.debtor_person_id.clone(),
                number,
                due_date: Some(wire::date_to_pb(due)),
                unpaid: Some(ledger::cents_pb(amount - c)),
            });
        }
    }
    Ok((out, paid_up))
}

/// A missed instalment, as case work: due in 10 days, listed at once; closed when the plan
/// ends or the instalment is found paid by a later detection.
fn missed_instalment(
    plan: &ActivePlan,
    number: i32,
    due: NaiveDate,
    unpaid: i64,
) -> casework::Event {
    casework::Event::Opened(casework::Opening {
        kind: pb::TaskKind::MissedPlanInstalment,
        subject: casework::subject::plan_instalment(plan.id, due),
        dossier_number: plan.dossier_numbers.first().cloned().unwrap_or_default(),
        listed_from: casework::today(),
        due_on: casework::in_days(10),
        summary: format!(
            "Instalment {number} of payment plan {} ({}) due {due} was missed, EUR {} \
             unpaid: contact the debtor, or end the plan (EndPaymentPlan)",
            plan.id,
            casework::on_dossiers(&plan.dossier_numbers),
            ledger::cents_pb(unpaid).amount
        ),
    })
}

/// Days the debtor has to pay what he missed, from the detection, before the plan is ended.
const BREACH_DAYS: u64 = 15;

/// The breach letter to the debtor for a plan's newly missed instalments, attached to the
/// plan's first dossier: (dossier, subject, request).
fn breach_letter(
    plan: &ActivePlan,
    missed: &[pb::MissedPlanInstalment],
    as_of: NaiveDate,
) -> (String, String, pb::LetterRequest) {
    let today = casework::today();
    let pay_by = as_of.max(today).checked_add_days(Days::new(BREACH_DAYS));
    let letter = pb::LetterRequest {
        kind: pb::LetterKind::PaymentPlanBreach as i32,
        recipient: pb::DossierRole::Debtor as i32,
        issued_on: Some(wire::date_to_pb(today)),
        dispatch: None,
        content: Some(pb::letter_request::Content::Breach(pb::PlanBreachNotice {
            plan_id: plan.id.to_string(),
            missed: missed
                .iter()
                .map(|m| pb::BreachedInstalment {
                    number: m.number,
                    due_date: m.due_date,
                    unpaid: m.unpaid.clone(),
                })
                .collect(),
            pay_by: pay_by.map(wire::date_to_pb),
            payment_reference: plan.structured_reference.clone(),
        })),
    };
    let dossier = plan.dossier_numbers.first().cloned().unwrap_or_default();
    (dossier, format!("plan-breach:{}/{as_of}", plan.id), letter)
}
