//! Advances, seizable income and the surcharge: requests read from the wire (every problem
//! reported at once, with its proto field path), handed to `secal_rules`, answers written back.
//!
//! Spans carry counts only: incomes, birth dates and amounts are personal data.

mod advance;
mod seizable;

use chrono::NaiveDate;
use secal_domain::Money;
use secal_proto::v1 as pb;
use secal_rules::{
    Explainer,
    advances::{self, AdvanceCase},
    surcharge,
};
use secal_runtime::{Caller, ServiceError, ServiceResult, wire};

use crate::collect::Collector;
use crate::{
    api::CalculationApi,
    convert::{explanation_to_pb, rule_error, rule_error_at},
};

/// A ComputeAdvance request, read and checked.
struct AdvanceCommand {
    case: AdvanceCase,
}

impl TryFrom<&pb::ComputeAdvanceRequest> for AdvanceCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ComputeAdvanceRequest) -> ServiceResult<Self> {
        let mut col = Collector::new();
        let case = advance::case_from_pb("advance_case", req.advance_case.as_ref(), &mut col);
        col.finish(|| Some(Self { case: case? }))
    }
}

/// A ComputeSurcharge request, read and checked.
struct SurchargeCommand {
    date: NaiveDate,
    principal: Money,
}

impl TryFrom<&pb::ComputeSurchargeRequest> for SurchargeCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ComputeSurchargeRequest) -> ServiceResult<Self> {
        let mut col = Collector::new();
        let date = col.take(wire::date_from_pb(
            "application_date",
            req.application_date.as_ref(),
        ));
        let principal = col.take(wire::money_from_pb("principal", req.principal.as_ref()));
        if let Some(principal) = principal {
            let mut v = secal_rules::error::Violations::new();
            surcharge::validate(principal, "principal", &mut v);
            col.merge_rules("", v.into_result());
        }
        col.finish(|| {
            Some(Self {
                date: date?,
                principal: principal?,
            })
        })
    }
}

impl CalculationApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn compute_advance(
        &self,
        _caller: &Caller,
        req: pb::ComputeAdvanceRequest,
    ) -> ServiceResult<pb::ComputeAdvanceResponse> {
        let AdvanceCommand { case } = AdvanceCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        let assessment = advances::assess(&case, &refs, Explainer::new())
            .map_err(|e| rule_error_at("advance_case", e))?;
        Ok(pb::ComputeAdvanceResponse {
            assessment: Some(advance::assessment_to_pb(assessment, true)),
        })
    }

    #[tracing::instrument(skip_all, fields(items = req.items.len()))]
    pub(crate) async fn compute_advances(
        &self,
        _caller: &Caller,
        req: pb::ComputeAdvancesRequest,
    ) -> ServiceResult<pb::ComputeAdvancesResponse> {
        if req.items.len() > advance::MAX_BATCH {
            return Err(ServiceError::invalid_field(
                "items",
                format!(
                    "at most {} items per call, got {}",
                    advance::MAX_BATCH,
                    req.items.len()
                ),
            ));
        }
        let refs = self.references.snapshot().await?;
        // Thousands of items are CPU work: keep it off the threads that serve other calls.
        let span = tracing::Span::current();
        let results =
            tokio::task::spawn_blocking(move || span.in_scope(|| advance::batch(&req, &refs)))
                .await
                .map_err(ServiceError::internal)?;
        Ok(pb::ComputeAdvancesResponse { results })
    }

    #[tracing::instrument(skip_all, fields(incomes = req.incomes.len()))]
    pub(crate) async fn compute_seizable_income(
        &self,
        _caller: &Caller,
        req: pb::ComputeSeizableIncomeRequest,
    ) -> ServiceResult<pb::ComputeSeizableIncomeResponse> {
        let seizable::SeizableCommand(request) = seizable::SeizableCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        let result = secal_rules::seizable::compute(&request, &refs, Explainer::new())
            .map_err(rule_error)?;
        seizable::response_to_pb(result)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn compute_surcharge(
        &self,
        _caller: &Caller,
        req: pb::ComputeSurchargeRequest,
    ) -> ServiceResult<pb::ComputeSurchargeResponse> {
        let SurchargeCommand { date, principal } = SurchargeCommand::try_from(&req)?;
        let refs = self.references.snapshot().await?;
        let s = surcharge::compute(date, principal, &refs, Explainer::new()).map_err(rule_error)?;
        Ok(pb::ComputeSurchargeResponse {
            debtor_surcharge: Some(wire::money_to_pb(s.debtor_surcharge)),
            debtor_surcharge_percent: s.debtor_percent.normalize().to_string(),
            creditor_deduction: Some(wire::money_to_pb(s.creditor_deduction)),
            creditor_deduction_percent: s.creditor_percent.normalize().to_string(),
            debtor_total: Some(wire::money_to_pb(s.debtor_total)),
            creditor_net: Some(wire::money_to_pb(s.creditor_net)),
            explanation: Some(explanation_to_pb(s.explanation)),
        })
    }
}
