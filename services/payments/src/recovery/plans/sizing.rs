//! Sizing a plan: the calculation service's seizable income for the month, with its refusals
//! passed on naming the fields of CreatePaymentPlanRequest.

use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_runtime::{ErrorCode, FieldViolation, ServiceError, ServiceResult};
use tonic_types::StatusExt;

use crate::calc_client::Calculation;

pub struct Sizing {
    pub seizable_cents: i64,
    pub explanation: Option<pb::Explanation>,
}

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
    let claim_kind = match pb::SeizureClaimKind::try_from(req.claim_kind) {
        // SECAL's claims are maintenance claims.
        Ok(pb::SeizureClaimKind::Unspecified) => pb::SeizureClaimKind::Maintenance,
        Ok(k) => k,
        Err(_) => {
            return Err(ServiceError::invalid_field(
                "claim_kind",
                "unknown claim kind",
            ));
        }
    };
    let resp = calc
        .compute_seizable_income(pb::ComputeSeizableIncomeRequest {
            month: req.income_month,
            incomes: req.incomes.clone(),
            dependent_children: req.dependent_children,
            claim_kind: claim_kind as i32,
        })
        .await
        .map_err(from_calculation)?;
    let amount = resp
        .seizable_amount
        .as_ref()
        .map(|m| m.amount.parse::<Money>())
        .transpose()
        .map_err(ServiceError::internal)?
        .unwrap_or(Money::ZERO);
    Ok(Sizing {
        seizable_cents: amount.to_cents().map_err(ServiceError::internal)?.max(0),
        explanation: resp.explanation,
    })
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
