//! Conversions the calculation RPCs share: titles' amount rules in, explanations and rule
//! errors out. Field paths in errors are proto field names.

use secal_proto::v1 as pb;
use secal_rules::{
    Explanation, RefKind, RefPayload, RefValue, RuleError,
    indexation::{AmountPeriod, AmountRule, CpiIndexation},
};
use secal_runtime::{FieldViolation, ServiceError, ServiceResult, wire};

/// `MaintenanceAmount` → the rules' amount rule; `field` is its path in the request.
pub fn amount_rule(field: &str, m: Option<&pb::MaintenanceAmount>) -> ServiceResult<AmountRule> {
    use pb::maintenance_amount::Method;
    match m.and_then(|m| m.method.as_ref()) {
        None => Err(ServiceError::invalid_field(
            field,
            "an amount rule is required (cpi_indexation or explicit_schedule)",
        )),
        Some(Method::CpiIndexation(c)) => {
            let f = format!("{field}.cpi_indexation");
            Ok(AmountRule::Cpi(CpiIndexation {
                base_amount: wire::money_from_pb(
                    &format!("{f}.base_amount"),
                    c.base_amount.as_ref(),
                )?,
                base_month: wire::year_month_from_pb(
                    &format!("{f}.base_month"),
                    c.base_month.as_ref(),
                )?,
                first_adjustment_month: wire::year_month_from_pb(
                    &format!("{f}.first_adjustment_month"),
                    c.first_adjustment_month.as_ref(),
                )?,
            }))
        }
        Some(Method::ExplicitSchedule(s)) => {
            let f = format!("{field}.explicit_schedule.periods");
            let periods = s
                .periods
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(AmountPeriod {
                        first: wire::year_month_from_pb(
                            &format!("{f}[{i}].first_month"),
                            p.first_month.as_ref(),
                        )?,
                        last: wire::optional_year_month_from_pb(
                            &format!("{f}[{i}].last_month"),
                            p.last_month.as_ref(),
                        )?,
                        amount: wire::money_from_pb(
                            &format!("{f}[{i}].amount"),
                            p.amount.as_ref(),
                        )?,
                    })
                })
                .collect::<ServiceResult<Vec<_>>>()?;
            Ok(AmountRule::Explicit(periods))
        }
    }
}

pub fn ref_kind_to_pb(kind: RefKind) -> pb::ReferenceKind {
    match kind {
        RefKind::Cpi => pb::ReferenceKind::Cpi,
        RefKind::HealthIndex => pb::ReferenceKind::HealthIndex,
        RefKind::PriceIndexLink => pb::ReferenceKind::PriceIndexLink,
        RefKind::LegalInterestRate => pb::ReferenceKind::LegalInterestRate,
        RefKind::AdvanceCap => pb::ReferenceKind::AdvanceCap,
        RefKind::ApplicantIncomeCeiling => pb::ReferenceKind::ApplicantIncomeCeiling,
        RefKind::ApplicantIncomeCeilingChildIncrement => {
            pb::ReferenceKind::ApplicantIncomeCeilingChildIncrement
        }
        RefKind::SeizureBrackets => pb::ReferenceKind::SeizureBrackets,
        RefKind::DebtorSurcharge => pb::ReferenceKind::DebtorSurcharge,
    }
}

pub fn ref_kind_from_pb(kind: i32) -> Option<RefKind> {
    Some(match pb::ReferenceKind::try_from(kind).ok()? {
        pb::ReferenceKind::Unspecified => return None,
        pb::ReferenceKind::Cpi => RefKind::Cpi,
        pb::ReferenceKind::HealthIndex => RefKind::HealthIndex,
        pb::ReferenceKind::PriceIndexLink => RefKind::PriceIndexLink,
        pb::ReferenceKind::LegalInterestRate => RefKind::LegalInterestRate,
        pb::ReferenceKind::AdvanceCap => RefKind::AdvanceCap,
        pb::ReferenceKind::ApplicantIncomeCeiling => RefKind::ApplicantIncomeCeiling,
        pb::ReferenceKind::ApplicantIncomeCeilingChildIncrement => {
            RefKind::ApplicantIncomeCeilingChildIncrement
        }
        pb::ReferenceKind::SeizureBrackets => RefKind::SeizureBrackets,
        pb::ReferenceKind::DebtorSurcharge => RefKind::DebtorSurcharge,
    })
}

/// A reference value as explanations cite it (the store adds audit fields when listing).
pub fn ref_value_to_pb(v: &RefValue) -> pb::ReferenceValue {
    let mut out = pb::ReferenceValue {
        kind: ref_kind_to_pb(v.kind) as i32,
        valid_from: Some(wire::date_to_pb(v.valid_from)),
        valid_to: v.valid_to.map(wire::date_to_pb),
        source: v.source.clone(),
        reference_value_id: v.id.clone(),
        key: v.key.clone(),
        ..Default::default()
    };
    match &v.payload {
        RefPayload::Number(n) => out.value = n.normalize().to_string(),
        RefPayload::Brackets(b) => {
            out.structured_value = Some(pb::reference_value::StructuredValue::SeizureBrackets(
                pb::SeizureBrackets {
                    threshold_a: Some(wire::money_to_pb(b.a)),
                    threshold_b: Some(wire::money_to_pb(b.b)),
                    threshold_c: Some(wire::money_to_pb(b.c)),
                    threshold_d: Some(wire::money_to_pb(b.d)),
                    child_increment: Some(wire::money_to_pb(b.child_increment)),
                },
            ))
        }
        RefPayload::Surcharge(s) => {
            out.structured_value = Some(pb::reference_value::StructuredValue::SurchargeRule(
                pb::SurchargeRule {
                    debtor_surcharge_percent: s.debtor_percent.normalize().to_string(),
                    creditor_deduction_percent: s.creditor_percent.normalize().to_string(),
                },
            ))
        }
        RefPayload::Abolished => out.abolished = true,
    }
    out
}

pub fn explanation_to_pb(e: Explanation) -> pb::Explanation {
    pb::Explanation {
        rules: e
            .steps
            .into_iter()
            .map(|s| pb::RuleApplied {
                step_id: s.id,
                rule_id: s.rule.id.to_owned(),
                legal_basis: s.rule.legal_basis.to_owned(),
                detail: s.detail,
                subject: s.subject,
                result: s.result.unwrap_or_default(),
                reference_value_ids: s.reference_ids,
            })
            .collect(),
        reference_values: e.references.iter().map(ref_value_to_pb).collect(),
    }
}

/// Rule errors as the client sees them: bad input is INVALID_ARGUMENT with every field; a
/// missing reference value is FAILED_PRECONDITION naming kind, key and date.
pub fn rule_error(e: RuleError) -> ServiceError {
    match e {
        RuleError::Invalid(violations) => ServiceError::invalid(
            violations
                .into_iter()
                .map(|v| FieldViolation::new(v.field, v.reason))
                .collect(),
        ),
        missing @ RuleError::MissingReference { .. } => {
            ServiceError::failed_precondition("REFERENCE_VALUE_MISSING", missing.to_string())
        }
    }
}

/// Prefixes every field of the rules' violations (the rules name fields relative to the
/// object they were given).
pub fn rule_error_at(prefix: &str, e: RuleError) -> ServiceError {
    match e {
        RuleError::Invalid(violations) => rule_error(RuleError::Invalid(
            violations
                .into_iter()
                .map(|mut v| {
                    v.field = format!("{prefix}.{}", v.field);
                    v
                })
                .collect(),
        )),
        other => rule_error(other),
    }
}
