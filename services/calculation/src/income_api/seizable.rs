//! `ComputeSeizableIncome` on the wire.

use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::seizable::{
    self, Band, ClaimKind, Covers, Income, IncomeCategory, IncomeKind, Scale, SeizableIncome,
    SeizableRequest,
};
use secal_runtime::{ServiceError, ServiceResult, wire};

use crate::collect::Collector;
use crate::convert::explanation_to_pb;

/// The request as the rules take it, or INVALID_ARGUMENT naming every offending field.
pub(super) struct SeizableCommand(pub SeizableRequest);

impl TryFrom<&pb::ComputeSeizableIncomeRequest> for SeizableCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ComputeSeizableIncomeRequest) -> ServiceResult<Self> {
        let mut col = Collector::new();
        let month = col.take(wire::year_month_from_pb("month", req.month.as_ref()));
        let claim_kind = match pb::SeizureClaimKind::try_from(req.claim_kind) {
            Ok(pb::SeizureClaimKind::Ordinary) => ClaimKind::Ordinary,
            Ok(pb::SeizureClaimKind::Maintenance) => ClaimKind::Maintenance,
            _ => {
                col.push(
                    "claim_kind",
                    "must be SEIZURE_CLAIM_KIND_ORDINARY or SEIZURE_CLAIM_KIND_MAINTENANCE",
                );
                ClaimKind::Ordinary
            }
        };
        // The count is refused before any income is read (100,000 were read and checked first).
        let listed = if req.incomes.len() > seizable::MAX_INCOMES {
            let most = seizable::MAX_INCOMES;
            col.push("incomes", format!("at most {most} incomes"));
            &[][..]
        } else {
            &req.incomes[..]
        };
        let incomes = listed
            .iter()
            .enumerate()
            .map(|(i, item)| income_from_pb(i, item, &mut col))
            .collect();
        // An unreadable month (already reported) is stood in for, to check the rest.
        let Some(month) = month.or_else(|| YearMonth::new(2000, 1).ok()) else {
            return col.finish(|| None);
        };
        let request = SeizableRequest {
            month,
            incomes,
            dependent_children: req.dependent_children,
            claim_kind,
        };
        let mut v = secal_rules::error::Violations::new();
        seizable::validate(&request, &mut v);
        col.merge_rules("", v.into_result());
        col.finish(|| Some(Self(request)))
    }
}

fn income_from_pb(i: usize, item: &pb::IncomeItem, col: &mut Collector) -> Income {
    let f = |name: &str| format!("incomes[{i}].{name}");
    let kind = income_kind_from_pb(item.kind).unwrap_or_else(|| {
        col.push(f("kind"), "an income kind is required");
        IncomeKind::OtherEarned
    });
    let amount = col.take_or(
        wire::money_from_pb(&f("amount"), item.amount.as_ref()),
        Money::ZERO,
    );
    let covers = item.covers.as_ref().and_then(|r| {
        let first = col.take(wire::year_month_from_pb(
            &f("covers.first_month"),
            r.first_month.as_ref(),
        ));
        let last = col.take(wire::optional_year_month_from_pb(
            &f("covers.last_month"),
            r.last_month.as_ref(),
        ));
        // An unreadable end of the range leaves the range unchecked (reported already).
        Some(Covers {
            first: first?,
            last: last?,
        })
    });
    Income {
        id: item.income_id.clone(),
        kind,
        amount,
        covers,
    }
}

pub(super) fn response_to_pb(
    r: SeizableIncome,
) -> ServiceResult<pb::ComputeSeizableIncomeResponse> {
    Ok(pb::ComputeSeizableIncomeResponse {
        seizable_amount: Some(wire::money_to_pb(r.seizable_amount)),
        counted_income: Some(wire::money_to_pb(r.counted_income)),
        excluded_income: Some(wire::money_to_pb(r.excluded_income)),
        scale: scale_to_pb(r.scale) as i32,
        bands: r.bands.into_iter().map(band_to_pb).collect(),
        seizable_before_child_deduction: Some(wire::money_to_pb(r.seizable_before_child_deduction)),
        child_deduction: Some(wire::money_to_pb(r.child_deduction)),
        incomes: r
            .incomes
            .into_iter()
            .map(|t| {
                Ok(pb::IncomeTreatment {
                    income_id: t.income_id,
                    kind: income_kind_to_pb(t.kind)? as i32,
                    category: category_to_pb(t.category) as i32,
                    month_share: Some(wire::money_to_pb(t.month_share)),
                    counted: t.counted,
                })
            })
            .collect::<ServiceResult<_>>()?,
        explanation: Some(explanation_to_pb(r.explanation)),
    })
}

fn band_to_pb(b: Band) -> pb::SeizureBand {
    pb::SeizureBand {
        band: b.label.to_owned(),
        lower: Some(wire::money_to_pb(b.lower)),
        upper: b.upper.map(wire::money_to_pb),
        rate_percent: b.rate_percent.normalize().to_string(),
        income_in_band: Some(wire::money_to_pb(b.income_in_band)),
        seizable: Some(wire::money_to_pb(b.seizable)),
    }
}

fn scale_to_pb(s: Scale) -> pb::SeizureScale {
    match s {
        Scale::EarnedIncome => pb::SeizureScale::EarnedIncome,
        Scale::ReplacementIncome => pb::SeizureScale::ReplacementIncome,
        Scale::MaintenanceException => pb::SeizureScale::MaintenanceException,
    }
}

fn category_to_pb(c: IncomeCategory) -> pb::IncomeCategory {
    match c {
        IncomeCategory::Earned => pb::IncomeCategory::Earned,
        IncomeCategory::Replacement => pb::IncomeCategory::Replacement,
        IncomeCategory::FullyUnseizable => pb::IncomeCategory::FullyUnseizable,
        IncomeCategory::CpasSocialAid => pb::IncomeCategory::CpasSocialAid,
    }
}

/// Pairs of the wire's kinds and the rules' kinds, one place for both directions.
const KINDS: [(pb::IncomeKind, IncomeKind); 21] = [
    (pb::IncomeKind::Wages, IncomeKind::Wages),
    (pb::IncomeKind::SelfEmployed, IncomeKind::SelfEmployed),
    (pb::IncomeKind::HolidayPay, IncomeKind::HolidayPay),
    (pb::IncomeKind::NoticePay, IncomeKind::NoticePay),
    (
        pb::IncomeKind::UnemploymentBenefit,
        IncomeKind::UnemploymentBenefit,
    ),
    (pb::IncomeKind::SicknessBenefit, IncomeKind::SicknessBenefit),
    (pb::IncomeKind::Pension, IncomeKind::Pension),
    (
        pb::IncomeKind::CareerBreakAllowance,
        IncomeKind::CareerBreakAllowance,
    ),
    (
        pb::IncomeKind::OccupationalCompensation,
        IncomeKind::OccupationalCompensation,
    ),
    (
        pb::IncomeKind::MaintenanceReceived,
        IncomeKind::MaintenanceReceived,
    ),
    (pb::IncomeKind::FamilyAllowance, IncomeKind::FamilyAllowance),
    (pb::IncomeKind::OrphansPension, IncomeKind::OrphansPension),
    (
        pb::IncomeKind::DisabilityAllowance,
        IncomeKind::DisabilityAllowance,
    ),
    (
        pb::IncomeKind::GuaranteedIncomeElderly,
        IncomeKind::GuaranteedIncomeElderly,
    ),
    (
        pb::IncomeKind::SocialIntegrationIncome,
        IncomeKind::SocialIntegrationIncome,
    ),
    (pb::IncomeKind::CpasSocialAid, IncomeKind::CpasSocialAid),
    (
        pb::IncomeKind::ThirdPartyAssistance,
        IncomeKind::ThirdPartyAssistance,
    ),
    (
        pb::IncomeKind::CareReimbursement,
        IncomeKind::CareReimbursement,
    ),
    (pb::IncomeKind::PrisonerPay, IncomeKind::PrisonerPay),
    (pb::IncomeKind::OtherEarned, IncomeKind::OtherEarned),
    (
        pb::IncomeKind::OtherReplacement,
        IncomeKind::OtherReplacement,
    ),
];

fn income_kind_from_pb(kind: i32) -> Option<IncomeKind> {
    KINDS
        .iter()
        .find(|(p, _)| *p as i32 == kind)
        .map(|(_, k)| *k)
}

/// A kind the rules answer that the table does not pair is a defect: answering it as
/// UNSPECIFIED would tell the caller its own income had no kind.
fn income_kind_to_pb(kind: IncomeKind) -> ServiceResult<pb::IncomeKind> {
    KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(p, _)| *p)
        .ok_or_else(|| ServiceError::internal(format!("income kind {kind:?} has no wire kind")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_income_kind_maps_both_ways() {
        for (p, k) in KINDS {
            assert_eq!(income_kind_from_pb(p as i32), Some(k));
            assert_eq!(income_kind_to_pb(k).ok(), Some(p));
        }
        assert_eq!(income_kind_from_pb(0), None);
        assert_eq!(income_kind_from_pb(99), None);
    }
}
