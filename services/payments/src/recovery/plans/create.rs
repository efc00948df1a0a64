//! CreatePaymentPlan.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_rules::payment_plan::MAX_INSTALMENTS;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, idempotency, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{settle, sizing, store, to_pb};
use crate::api::PaymentsApi;
use crate::ledger;

const METHOD: &str = "CreatePaymentPlan";

/// CreatePaymentPlan, parsed.
pub(super) struct PlanCommand {
    key: String,
    pub person: String,
    pub dossiers: Vec<String>,
    pub income_month: NaiveDate,
    pub start: NaiveDate,
    pub due_day: u32,
    override_cents: Option<i64>,
    pub override_reason: String,
    count: i64,
}

impl TryFrom<&pb::CreatePaymentPlanRequest> for PlanCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::CreatePaymentPlanRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let month = v.take_all(wire::year_month_from_pb(
            "income_month",
            req.income_month.as_ref(),
        ));
        let start = v.take_all(wire::date_from_pb("start_date", req.start_date.as_ref()));
        let amount = v.take_all(wire::optional_money_from_pb(
            "instalment_amount",
            req.instalment_amount.as_ref(),
        ));
        let person = req.debtor_person_id.trim().to_owned();
        if person.is_empty() {
            v.add("debtor_person_id", "required");
        }
        let dossiers = crate::recovery::debtors::parse_numbers(&req.dossier_numbers, &mut v);
        if req.dossier_numbers.is_empty() {
            v.add("dossier_numbers", "at least one dossier");
        }
        let due_day = due_day(req.due_day, &mut v);
        if !(0..=MAX_INSTALMENTS).contains(&i64::from(req.instalment_count)) {
            v.add(
                "instalment_count",
                format!("0 (until settled) to {MAX_INSTALMENTS}"),
            );
        }
        let reason = req.override_reason.trim().to_owned();
        // MAINTENANCE raises the instalment to the maintenance-exception amount.
        let raise = match pb::SeizureClaimKind::try_from(req.claim_kind) {
            Ok(kind) => kind == pb::SeizureClaimKind::Maintenance,
            Err(_) => {
                v.add("claim_kind", "unknown claim kind");
                false
            }
        };
        let override_cents = override_cents(amount.flatten(), &reason, raise, &mut v);
        v.finish(|| {
            Some(PlanCommand {
                key: key?,
                person,
                dossiers,
                income_month: month?.first_day(),
                start: start?,
                due_day,
                override_cents,
                override_reason: reason,
                count: i64::from(req.instalment_count),
            })
        })
    }
}

/// Unset is the first of the month; past the 28th a month would lack the day.
fn due_day(day: i32, v: &mut Violations) -> u32 {
    match day {
        0 => 1,
        d @ 1..=28 => d.unsigned_abs(),
        _ => {
            v.add("due_day", "a day from 1 to 28");
            1
        }
    }
}

/// An agent's instalment amount, which must come with the reason for overriding the sizing;
/// so must `raise`, the maintenance-exception amount asked for instead of the ordinary one.
fn override_cents(
    amount: Option<Money>,
    reason: &str,
    raise: bool,
    v: &mut Violations,
) -> Option<i64> {
    match amount {
        None if raise && reason.is_empty() => {
            v.add(
                "override_reason",
                "required to raise the instalment to the maintenance-exception amount",
            );
            None
        }
        None if !raise && !reason.is_empty() => {
            v.add(
                "override_reason",
                "only with instalment_amount or claim_kind MAINTENANCE",
            );
            None
        }
        None => None,
        Some(m) if !m.is_positive() => {
            v.add("instalment_amount", "must be more than zero");
            None
        }
        Some(m) => {
            if reason.is_empty() {
                v.add("override_reason", "required when instalment_amount is set");
            }
            Money::to_cents(&m).ok()
        }
    }
}

/// Every dossier is known and the debtor's; the debtor is not suspended nor already on an
/// active plan for one of them.
async fn check_state(conn: &mut PgConnection, p: &PlanCommand) -> ServiceResult<()> {
    crate::recovery::debtors::check_owned(conn, &p.person, &p.dossiers).await?;
    if crate::recovery::debtors::suspension_in_force(&mut *conn, &p.person)
        .await?
        .is_some()
    {
        return Err(ServiceError::failed_precondition(
            "DEBTOR_SUSPENDED",
            "the debtor is under indefinite suspension of recovery",
        ));
    }
    let overlapping: Option<Uuid> = sqlx::query_scalar(concat!(
        "SELECT id FROM payment_plans WHERE status = ",
        crate::db_enum::sql_enum!(PaymentPlanStatus::Active),
        " AND dossier_numbers && $1 LIMIT 1"
    ))
    .bind(&p.dossiers)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = overlapping {
        return Err(ServiceError::failed_precondition(
            "ACTIVE_PLAN_EXISTS",
            format!("plan {id} is active for one of these dossiers: end it (replaced) first"),
        ));
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub(crate) async fn create(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::CreatePaymentPlanRequest,
) -> ServiceResult<pb::CreatePaymentPlanResponse> {
    let p = PlanCommand::try_from(&req)?;
    // Asked before the transaction: no network call while holding locks.
    let sizing = sizing::seizable(api.calculation.as_ref(), &req).await?;
    let mut tx = api.pool.begin().await?;
    crate::recovery::debtors::lock(&mut tx, &p.person).await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, METHOD, &p.key, &req).await?
    {
        return Ok(resp);
    }
    check_state(&mut tx, &p).await?;
    let amount = instalment_cents(&p, &sizing)?;
    // The transaction's time is the plan's `created_at`: the sizing day is that day.
    let created_at: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let today = created_at.date_naive();
    let (instalments, settles) = settle::size(
        &mut tx,
        &p.dossiers,
        (p.start, p.due_day),
        (amount, p.count),
        today,
    )
    .await?;
    let plan = NewPlan {
        amount,
        sizing: &sizing,
        explanation: sizing::explain_instalment(
            settle::explain(sizing.explanation.as_ref(), &settles, &p.dossiers, today),
            &sizing,
            amount,
            &p.override_reason,
        ),
        instalment_count: req.instalment_count,
        lookup_access_log_sequence: req.lookup_access_log_sequence,
        reference: plan_reference(&p),
    };
    let actor = &caller.actor().id;
    let row = store::insert_plan(&mut tx, &p, &plan, actor, caller.via()).await?;
    store::insert_instalments(&mut tx, row.id, &instalments).await?;
    let resp = pb::CreatePaymentPlanResponse {
        plan: Some(to_pb(&mut tx, &row, today).await?),
    };
    request_plan_letter(&mut tx, resp.plan.as_ref(), today, caller).await?;
    idempotency::complete(&mut tx, METHOD, &p.key, &resp).await?;
    tx.commit().await?;
    tracing::info!(instalments = instalments.len(), "payment plan created");
    Ok(resp)
}

/// The agent's amount, else the maintenance-exception amount when the agent raised to it,
/// else the ordinary seizable amount (the debtor keeps the protected minimum). Never more
/// than the maintenance-exception amount; a plan of nothing is refused.
fn instalment_cents(p: &PlanCommand, sizing: &sizing::Sizing) -> ServiceResult<i64> {
    let cents = match p.override_cents {
        Some(c) if c > sizing.maintenance_cents => {
            return Err(ServiceError::invalid_field(
                "instalment_amount",
                format!(
                    "more than the maintenance-exception seizable amount ({})",
                    ledger::cents_pb(sizing.maintenance_cents).amount
                ),
            ));
        }
        Some(c) => c,
        None if sizing.raised_to_maintenance => sizing.maintenance_cents,
        None => sizing.seizable_cents,
    };
    if cents > 0 {
        return Ok(cents);
    }
    Err(ServiceError::failed_precondition(
        "NOTHING_SEIZABLE",
        "the seizable amount is zero: set instalment_amount with override_reason, at most \
         the maintenance-exception amount",
    ))
}

/// What the plan row keeps besides the checked request.
pub(super) struct NewPlan<'a> {
    pub amount: i64,
    pub sizing: &'a sizing::Sizing,
    /// The seizable income's explanation followed by the debt and dues the plan settles.
    pub explanation: pb::Explanation,
    pub instalment_count: i32,
    pub lookup_access_log_sequence: i64,
    /// The structured communication of the plan's first dossier (empty if it has none).
    pub reference: String,
}

/// The structured communication the debtor pays the plan with: its first dossier's (empty
/// when it has none, as `NewPlan::reference` allows).
fn plan_reference(p: &PlanCommand) -> String {
    crate::receipts::payments::dossier("dossier_numbers[0]", &p.dossiers[0])
        .ok()
        .map(|d| d.payment_reference().to_string())
        .unwrap_or_default()
}

/// The plan's letter to the debtor, requested through the case-work feed (intake issues it
/// in the dossier's language), attached to the plan's first dossier; as the transaction's
/// last writes (the feed's lock is held to the commit).
async fn request_plan_letter(
    conn: &mut sqlx::PgConnection,
    plan: Option<&pb::PaymentPlan>,
    today: chrono::NaiveDate,
    caller: &Caller,
) -> ServiceResult<()> {
    let Some(plan) = plan else {
        return Ok(());
    };
    let Some(dossier) = plan.dossier_numbers.first() else {
        return Ok(());
    };
    let letter = pb::LetterRequest {
        kind: pb::LetterKind::PaymentPlan as i32,
        recipient: pb::DossierRole::Debtor as i32,
        issued_on: Some(secal_runtime::wire::date_to_pb(today)),
        dispatch: None,
        content: Some(pb::letter_request::Content::Plan(pb::PlanNotice {
            plan_id: plan.plan_id.clone(),
            start_date: plan.start_date,
            due_day: plan.due_day,
            instalment_amount: plan.instalment_amount.clone(),
            instalment_count: plan.instalment_count,
            sized_debt: plan.sized_debt.clone(),
            seizable_amount: plan.seizable_amount.clone(),
            payment_reference: plan.structured_reference.clone(),
        })),
    };
    let subject = format!("payment-plan:{}", plan.plan_id);
    let by = crate::casework::By::of(caller);
    crate::casework::letters::request(conn, dossier, subject, &letter, by).await?;
    Ok(())
}
