//! `AdvanceCase` and `AdvanceAssessment` on the wire, and the batch of advances.

use std::collections::HashMap;

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::{
    Explainer, ReferenceTable, RuleError,
    advances::{self, AdvanceAssessment, AdvanceCase, Ineligibility, Maintenance},
};
use secal_runtime::wire;

use crate::collect::{Collector, join};
use crate::convert::{amount_rule, explanation_to_pb};

/// The case at `prefix`, or `None` with every problem recorded in `col` (the rules' checks
/// that need no reference data included).
pub(super) fn case_from_pb(
    prefix: &str,
    case: Option<&pb::AdvanceCase>,
    col: &mut Collector,
) -> Option<AdvanceCase> {
    let Some(c) = case else {
        col.push(prefix, "an advance case is required");
        return None;
    };
    let f = |name: &str| join(prefix, name);
    let maintenance = match &c.maintenance {
        None => {
            col.push(
                f("maintenance_due"),
                "maintenance_due or maintenance_amount is required",
            );
            Maintenance::Due(Money::ZERO)
        }
        Some(pb::advance_case::Maintenance::MaintenanceDue(m)) => Maintenance::Due(col.take_or(
            wire::money_from_pb(&f("maintenance_due"), Some(m)),
            Money::ZERO,
        )),
        Some(pb::advance_case::Maintenance::MaintenanceAmount(m)) => col
            .take(amount_rule(&f("maintenance_amount"), Some(m)))
            .map_or(Maintenance::Due(Money::ZERO), Maintenance::Title),
    };
    // Stand-ins that no cross-field check can trip over: the latest month, the earliest birth.
    let latest = YearMonth::new(2999, 12).ok()?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1)?;
    let case = AdvanceCase {
        month: col.take_or(
            wire::year_month_from_pb(&f("month"), c.month.as_ref()),
            latest,
        ),
        application_date: col.take_or(
            wire::date_from_pb(&f("application_date"), c.application_date.as_ref()),
            earliest,
        ),
        future_maintenance_claimed: c.future_maintenance_claimed,
        child_birth_date: col.take_or(
            wire::date_from_pb(&f("child_birth_date"), c.child_birth_date.as_ref()),
            earliest,
        ),
        family_allowance_entitled: c.family_allowance_entitled,
        adult_entitlement_valid_until: col
            .take(wire::optional_date_from_pb(
                &f("adult_entitlement_valid_until"),
                c.adult_entitlement_valid_until.as_ref(),
            ))
            .flatten(),
        maintenance,
        applicant_net_monthly_income: col
            .take(wire::optional_money_from_pb(
                &f("applicant_net_monthly_income"),
                c.applicant_net_monthly_income.as_ref(),
            ))
            .flatten(),
        dependent_children: c.dependent_children,
        disabled_dependent_children: c.disabled_dependent_children,
        // Checked by the rules' validation (named applicant_country_code).
        applicant_country: c.applicant_country_code.trim().to_owned(),
    };
    let mut v = secal_rules::error::Violations::new();
    advances::validate(&case, &mut v);
    col.merge_rules(prefix, v.into_result());
    col.is_empty().then_some(case)
}

/// `explained`: with the rules applied and the reference values used.
pub(super) fn assessment_to_pb(a: AdvanceAssessment, explained: bool) -> pb::AdvanceAssessment {
    pb::AdvanceAssessment {
        eligible: a.eligible,
        amount: Some(wire::money_to_pb(a.amount)),
        reasons: a.reasons.iter().map(|r| reason_to_pb(*r) as i32).collect(),
        maintenance_due: Some(wire::money_to_pb(a.maintenance_due)),
        cap: Some(wire::money_to_pb(a.cap)),
        income_ceiling: a.income_ceiling.map(wire::money_to_pb),
        explanation: explained.then(|| explanation_to_pb(a.explanation)),
    }
}

fn reason_to_pb(r: Ineligibility) -> pb::AdvanceIneligibilityReason {
    use pb::AdvanceIneligibilityReason as P;
    match r {
        Ineligibility::MonthNotAfterApplication => P::MonthNotAfterApplication,
        Ineligibility::NoFutureMaintenanceClaimed => P::NoFutureMaintenanceClaimed,
        Ineligibility::AdultWithoutFamilyAllowance => P::AdultWithoutFamilyAllowance,
        Ineligibility::AdultRenewalLapsed => P::AdultRenewalLapsed,
        Ineligibility::IncomeAboveCeiling => P::IncomeAboveCeiling,
        Ineligibility::NoMaintenanceDue => P::NoMaintenanceDue,
        Ineligibility::ChildAged26OrOver => P::ChildAged26OrOver,
        Ineligibility::ApplicantNotInBelgium => P::ApplicantNotInBelgium,
    }
}

/// Most items in one `ComputeAdvances` call.
pub(super) const MAX_BATCH: usize = 10_000;

/// Every item answered, in request order: an assessment, or that item's violations.
pub(super) fn batch(
    req: &pb::ComputeAdvancesRequest,
    refs: &ReferenceTable,
) -> Vec<pb::AdvanceBatchResult> {
    let (items, compact) = (&req.items, req.compact_explanation || req.omit_explanation);
    let mut first_with_id: HashMap<&str, usize> = HashMap::new();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut violations = Vec::new();
            let id_field = format!("items[{i}].item_id");
            if item.item_id.is_empty() {
                violations.push(violation(&id_field, "is required", "INVALID_FIELD"));
            } else if let Some(first) = first_with_id.get(item.item_id.as_str()) {
                let why = format!("duplicates items[{first}].item_id");
                violations.push(violation(&id_field, &why, "DUPLICATE_ITEM_ID"));
            } else {
                first_with_id.insert(item.item_id.as_str(), i);
            }
            let prefix = format!("items[{i}].advance_case");
            let mut col = Collector::new();
            let case = case_from_pb(&prefix, item.advance_case.as_ref(), &mut col);
            violations.extend(
                col.into_violations()
                    .into_iter()
                    .map(|v| violation(&v.field, &v.description, "INVALID_FIELD")),
            );
            let assessment = match case {
                Some(case) if violations.is_empty() => {
                    let ex = if compact {
                        Explainer::compact()
                    } else {
                        Explainer::new()
                    };
                    match advances::assess(&case, refs, ex) {
                        Ok(a) => Some(assessment_to_pb(a, !req.omit_explanation)),
                        Err(e) => {
                            violations.extend(item_violations(&prefix, e));
                            None
                        }
                    }
                }
                _ => None,
            };
            pb::AdvanceBatchResult {
                item_id: item.item_id.clone(),
                assessment,
                violations,
            }
        })
        .collect()
}

/// A rule error of one item: its invalid fields, or the missing reference value named on the
/// month (which decides the value in force).
fn item_violations(prefix: &str, e: RuleError) -> Vec<pb::FieldViolation> {
    match e {
        RuleError::Invalid(found) => found
            .into_iter()
            .map(|v| violation(&join(prefix, &v.field), &v.reason, "INVALID_FIELD"))
            .collect(),
        missing @ RuleError::MissingReference { .. } => vec![violation(
            &join(prefix, "month"),
            &missing.to_string(),
            "REFERENCE_VALUE_MISSING",
        )],
    }
}

fn violation(field: &str, description: &str, code: &str) -> pb::FieldViolation {
    pb::FieldViolation {
        field: field.to_owned(),
        description: description.to_owned(),
        code: code.to_owned(),
    }
}
