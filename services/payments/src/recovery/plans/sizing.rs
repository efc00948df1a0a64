//! Sizing a plan: the calculation service's seizable income for the month, with its refusals
//! passed on naming the fields of CreatePaymentPlanRequest.

use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_runtime::{ErrorCode, FieldViolation, ServiceError, ServiceResult};
use tonic_types::StatusExt;

use crate::calc_client::Calculation;

pub struct Sizing {
    /// The ordinary art. 1409 seizable amount (the debtor keeps the protected minimum): the
    /// instalment unless an agent raises it.
    pub seizable_cents: i64,
    /// The maintenance-exception seizable amount of the same incomes (art. 1412: all but CPAS
    /// social aid): the most an agent may raise the instalment to.
    pub maintenance_cents: i64,
    /// How the ordinary amount was computed.
    pub explanation: Option<pb::Explanation>,
    /// The agent asked for the maintenance-exception amount (claim_kind MAINTENANCE).
    pub raised_to_maintenance: bool,
}

/// Both seizable amounts of the debtor's month: the ordinary one is the default instalment,
/// the maintenance-exception one its ceiling. A plan by default never takes the protected
/// minimum, although SECAL's claims are maintenance claims.
pub async fn seizable(
    calc: Option<&Calculation>,
    req: &pb::CreatePaymentPlanRequest,
) -> ServiceResult<Sizing> {
    let calc = calc.ok_or_else(|| {
        ServiceError::new(
            ErrorCode::Unavailable,
            "the calculation service is not configured",
        )
    })?;
    let raised_to_maintenance = match pb::SeizureClaimKind::try_from(req.claim_kind) {
        Ok(pb::SeizureClaimKind::Unspecified | pb::SeizureClaimKind::Ordinary) => false,
        Ok(pb::SeizureClaimKind::Maintenance) => true,
        Err(_) => {
            return Err(ServiceError::invalid_field(
                "claim_kind",
                "unknown claim kind",
            ));
        }
    };
    let ask = |kind: pb::SeizureClaimKind| {
        calc.compute_seizable_income(pb::ComputeSeizableIncomeRequest {
            month: req.income_month,
            incomes: req.incomes.clone(),
            dependent_children: req.dependent_children,
            claim_kind: kind as i32,
        })
    };
    let (ordinary, maintenance) = tokio::try_join!(
        ask(pb::SeizureClaimKind::Ordinary),
        ask(pb::SeizureClaimKind::Maintenance)
    )
    .map_err(from_calculation)?;
    Ok(Sizing {
        seizable_cents: cents(&ordinary)?,
        maintenance_cents: cents(&maintenance)?,
        explanation: ordinary.explanation,
        raised_to_maintenance,
    })
}

/// The plan's explanation ended by how its instalment was chosen: the ordinary seizable
/// amount, or the agent's amount and reason beside it, with the maintenance-exception ceiling
/// (rule PLAN_INSTALMENT). The earlier steps (the ordinary computation) stay as they are.
pub fn explain_instalment(
    mut e: pb::Explanation,
    s: &Sizing,
    instalment: i64,
    reason: &str,
) -> pb::Explanation {
    let eur = |c: i64| Money::from_cents(c).to_string();
    let (ordinary, ceiling) = (eur(s.seizable_cents), eur(s.maintenance_cents));
    let detail = if reason.is_empty() {
        format!(
            "the ordinary seizable amount {ordinary} (art. 1409): the debtor keeps the \
             protected minimum; an agent may raise it, with a reason, up to the \
             maintenance-exception amount {ceiling} (art. 1412)"
        )
    } else {
        format!(
            "set by an agent instead of the ordinary seizable amount {ordinary} (art. 1409), \
             at most the maintenance-exception amount {ceiling} (art. 1412); reason: {reason}"
        )
    };
    e.rules.push(pb::RuleApplied {
        step_id: "plan-instalment".into(),
        rule_id: "PLAN_INSTALMENT".into(),
        legal_basis: "Judicial Code art. 1409 and 1412".into(),
        detail,
        subject: String::new(),
        result: eur(instalment),
        reference_value_ids: Vec::new(),
    });
    e
}

/// The answer's seizable amount in cents (never below zero).
fn cents(resp: &pb::ComputeSeizableIncomeResponse) -> ServiceResult<i64> {
    let amount = resp
        .seizable_amount
        .as_ref()
        .map(|m| m.amount.parse::<Money>())
        .transpose()
        .map_err(ServiceError::internal)?
        .unwrap_or(Money::ZERO);
    Ok(amount.to_cents().map_err(ServiceError::internal)?.max(0))
}

/// The calculation service's answer as ours: its bad-input fields are ours too (same names,
/// but `month` is `income_month`); unavailability stays retryable; anything else is internal.
fn from_calculation(status: tonic::Status) -> ServiceError {
    match status.code() {
        tonic::Code::InvalidArgument => {
            let mut v = violations(&status);
            for f in &mut v {
                if f.field == "month" {
                    f.field = "income_month".into();
                }
            }
            if v.is_empty() {
                v.push(FieldViolation::new("incomes", status.message()));
            }
            ServiceError::invalid(v)
        }
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => ServiceError::new(
            ErrorCode::Unavailable,
            "the calculation service is unavailable, retry later",
        ),
        _ => ServiceError::internal(std::io::Error::other(format!(
            "calculation service: {:?}",
            status.code()
        ))),
    }
}

fn violations(status: &tonic::Status) -> Vec<FieldViolation> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}
